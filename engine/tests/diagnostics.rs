//! Diagnostics corpus: one minimal broken definition per diagnostic code.
//!
//! Every file in `tests/broken/` starts with
//!
//! ```toml
//! # expect: <code>
//! # <what is broken>
//! ```
//!
//! (`// expect: <code>` and `// <what is broken>` in a `.rhai` file, a
//! definition written in Rhai) and is named `<code>.toml` (or `.rhai`), or
//! `<code>--<variant>.toml` when a code has more than one distinct trigger. For each file this test checks that the expected
//! diagnostic is reported with the right severity, a position and help, and
//! snapshots the plain and the pretty rendering of everything reported.
//! A code in [`Code::ALL`] without a file fails `every_code_has_a_case`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed expectation should abort the test loudly"
)]

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use aspekt::{Code, Diagnostic, Severity, Source};

/// Codes that are warnings; every other code is an error.
const WARNINGS: &[&str] = &["unused_scale", "unused_score"];

/// Codes that concern the whole file and may therefore come without a position.
const WHOLE_FILE: &[&str] = &["empty_definition"];

fn broken_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/broken")
}

/// The code a corpus file is named after: the file stem up to `--`.
fn code_of_file_name(path: &Path) -> String {
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .expect("corpus file names are UTF-8");
    stem.split("--").next().unwrap_or(stem).to_string()
}

/// The file extensions of corpus files: TOML definitions, and definitions
/// written in Rhai.
const EXTENSIONS: &[&str] = &["toml", "rhai"];

/// The comment marker of a corpus file's header: `#` in TOML, `//` in Rhai.
fn comment(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("rhai") => "//",
        _ => "#",
    }
}

/// The `# expect: <code>` and `# <what is broken>` header of a corpus file.
fn header(path: &Path, text: &str) -> (String, String) {
    let c = comment(path);
    let mut lines = text.lines();
    let expect = lines
        .next()
        .and_then(|l| l.strip_prefix(&format!("{c} expect: ")))
        .map(str::trim)
        .unwrap_or_else(|| {
            panic!(
                "{}: first line must be `{c} expect: <code>`",
                path.display()
            )
        });
    let what = lines
        .next()
        .and_then(|l| l.strip_prefix(&format!("{c} ")))
        .map(str::trim)
        .unwrap_or_else(|| panic!("{}: second line must say what is broken", path.display()));
    (expect.to_string(), what.to_string())
}

fn code_named(name: &str) -> Option<Code> {
    Code::ALL.iter().copied().find(|c| c.as_str() == name)
}

fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn check_expected(name: &str, expect: &str, diags: &[Diagnostic]) {
    let plain = aspekt::render_plain(diags);
    assert!(
        code_named(expect).is_some(),
        "{name}: `# expect: {expect}` is not a diagnostic code"
    );
    let found: Vec<&Diagnostic> = diags.iter().filter(|d| d.code.as_str() == expect).collect();
    assert!(
        !found.is_empty(),
        "{name}: expected a `{expect}` diagnostic, got:\n{plain}"
    );
    let want = if WARNINGS.contains(&expect) {
        Severity::Warning
    } else {
        Severity::Error
    };
    for d in &found {
        assert_eq!(
            d.severity,
            want,
            "{name}: `{expect}` should be a {}, got:\n{plain}",
            severity_name(want)
        );
        if !WHOLE_FILE.contains(&expect) {
            assert!(
                d.location.is_some() && d.span.is_some(),
                "{name}: `{expect}` has no position:\n{plain}"
            );
        }
        assert!(
            d.help.as_deref().is_some_and(|h| !h.trim().is_empty()),
            "{name}: `{expect}` has no help:\n{plain}"
        );
        assert_eq!(d.file, name, "{name}: diagnostic names the wrong file");
    }
}

#[test]
fn broken_definitions() {
    insta::glob!("broken/*.{toml,rhai}", |path| {
        let text = fs::read_to_string(path).unwrap();
        let file_name = path.file_name().and_then(|n| n.to_str()).unwrap();
        let name = format!("broken/{file_name}");
        let (expect, what) = header(path, &text);
        assert_eq!(
            expect,
            code_of_file_name(path),
            "{name}: the file name and `# expect:` disagree"
        );

        let source = Source::new(name.clone(), text);
        let diags = aspekt::check(&source);
        check_expected(&name, &expect, &diags);

        let mut out = aspekt::render_plain(&diags);
        out.push_str("\n---\n\n");
        out.push_str(&aspekt::render_pretty(&source, &diags, false));
        insta::with_settings!({ description => format!("{expect}: {what}"), omit_expression => true }, {
            insta::assert_snapshot!(out);
        });
    });
}

#[test]
fn every_code_has_a_case() {
    let mut covered = BTreeSet::new();
    for entry in fs::read_dir(broken_dir()).unwrap() {
        let path = entry.unwrap().path();
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default();
        if !EXTENSIONS.contains(&ext) {
            continue;
        }
        let code = code_of_file_name(&path);
        assert!(
            code_named(&code).is_some(),
            "{}: `{code}` is not a diagnostic code",
            path.display()
        );
        covered.insert(code);
    }
    let missing: Vec<&str> = Code::ALL
        .iter()
        .map(|c| c.as_str())
        .filter(|c| !covered.contains(*c))
        .collect();
    assert!(
        missing.is_empty(),
        "codes without a case in tests/broken/: {missing:?}"
    );
}

#[test]
fn every_code_is_in_the_books_reference() {
    let book = Path::new(env!("CARGO_MANIFEST_DIR")).join("../book/src/diagnostics.md");
    let text = fs::read_to_string(book).unwrap();
    let missing: Vec<&str> = Code::ALL
        .iter()
        .map(|c| c.as_str())
        .filter(|c| !text.contains(&format!("| `{c}` |")))
        .collect();
    assert!(
        missing.is_empty(),
        "codes without a row in book/src/diagnostics.md: {missing:?}"
    );
}

#[test]
fn valid_fixture_is_clean_and_its_examples_pass() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid.toml");
    let text = fs::read_to_string(path).unwrap();
    let source = Source::new("fixtures/valid.toml", text);
    let diags = aspekt::check(&source);
    assert!(
        diags.is_empty(),
        "the valid fixture should compile without diagnostics, got:\n{}",
        aspekt::render_plain(&diags)
    );
    // Its examples hold, so the fixture is valid in meaning, not just in form.
    let evaluator = aspekt::compile(&source).unwrap();
    let outcomes = evaluator.run_examples(Some(&source));
    assert_eq!(outcomes.len(), 3, "the valid fixture has three examples");
    for o in &outcomes {
        assert!(o.passed(), "example `{}` fails: {:?}", o.name, o.failures);
    }
}
