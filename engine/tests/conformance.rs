//! Runs the shared conformance corpus in `tests/conformance/` (see its
//! README): for each case, compile the definition, evaluate the request,
//! and compare the output byte for byte with `expected.json`.
//!
//! `ASPEKT_BLESS=1 cargo test -p aspekt --test conformance` rewrites the
//! expected files instead. Read every rewritten file before committing it:
//! statuses, bands and texts must be right by hand, not just by the engine.
//!
//! The Python and WASM bindings run the same corpus with the same few
//! steps; [`evaluate_case`] is the whole contract, written to be mirrored.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code: a failed expectation should abort the test loudly"
)]

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use aspekt::{ErrorEnvelope, Source};
use serde_json::Value;

/// Where a case's definition comes from.
enum CaseDefinition {
    /// `case.json` names a library instrument: `{"library": "who5"}`.
    Library(String),
    /// `definition.toml` in the case folder, compiled under the name
    /// `definition.toml` (diagnostics carry that name as their `file`).
    Inline(String),
}

/// The conformance contract — every binding implements exactly this:
///
/// 1. get an evaluator: the library instrument by id, or compile the inline
///    text named `definition.toml`; on failure the output is the error
///    envelope of that failure (`invalid_definition` with diagnostics, or
///    `unknown_definition`);
/// 2. `evaluate_json(request)` with the request file's text, unchanged;
/// 3. the output is the report JSON, or the error envelope JSON.
///
/// The expected file holds the output followed by one `\n`.
fn evaluate_case(definition: &CaseDefinition, request: &str) -> String {
    let evaluator = match definition {
        CaseDefinition::Library(id) => match aspekt::library::load(id) {
            Ok(e) => e,
            Err(aspekt::library::LoadError::Unknown(e)) => {
                return ErrorEnvelope::from(&e).to_json();
            }
            Err(aspekt::library::LoadError::Invalid(e)) => {
                return ErrorEnvelope::from(&*e).to_json();
            }
        },
        CaseDefinition::Inline(text) => {
            match aspekt::compile(&Source::new("definition.toml", text.as_str())) {
                Ok(e) => e,
                Err(e) => return ErrorEnvelope::from(&e).to_json(),
            }
        }
    };
    match evaluator.evaluate_json(request) {
        Ok(report) => report,
        Err(e) => ErrorEnvelope::from(&e).to_json(),
    }
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/conformance")
}

struct Case {
    name: String,
    dir: PathBuf,
    definition: CaseDefinition,
    request: String,
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every case folder, sorted by name, validated for layout.
fn cases() -> Vec<Case> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(corpus_dir())
        .unwrap_or_else(|e| panic!("{}: {e}", corpus_dir().display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs.into_iter()
        .map(|dir| {
            let name = dir.file_name().unwrap().to_string_lossy().into_owned();
            let files: BTreeSet<String> = fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            for f in &files {
                assert!(
                    [
                        "case.json",
                        "definition.toml",
                        "request.json",
                        "expected.json"
                    ]
                    .contains(&f.as_str()),
                    "{name}: unexpected file {f}"
                );
            }
            let meta: Value = serde_json::from_str(&read(&dir.join("case.json")))
                .unwrap_or_else(|e| panic!("{name}/case.json: {e}"));
            let keys: BTreeSet<&str> = meta
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            assert!(
                keys.is_subset(&BTreeSet::from(["description", "library"])),
                "{name}/case.json: only `description` and `library` are known, got {keys:?}"
            );
            assert!(
                meta["description"].as_str().is_some_and(|d| !d.is_empty()),
                "{name}/case.json: say what the case covers in `description`"
            );
            let definition = match (meta["library"].as_str(), files.contains("definition.toml")) {
                (Some(id), false) => CaseDefinition::Library(id.to_string()),
                (None, true) => CaseDefinition::Inline(read(&dir.join("definition.toml"))),
                _ => panic!(
                    "{name}: give either `library` in case.json or a definition.toml, not both"
                ),
            };
            Case {
                request: read(&dir.join("request.json")),
                name,
                dir,
                definition,
            }
        })
        .collect()
}

#[test]
fn conformance_corpus() {
    let bless = std::env::var_os("ASPEKT_BLESS").is_some_and(|v| v == "1");
    let cases = cases();
    assert!(
        cases.len() >= 15,
        "the corpus has only {} cases",
        cases.len()
    );
    let mut failures = Vec::new();
    for case in &cases {
        let output = format!("{}\n", evaluate_case(&case.definition, &case.request));
        // Each output is valid JSON: a report or an error envelope.
        let v: Value =
            serde_json::from_str(&output).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        assert!(
            v.get("results").is_some() || v.get("error").is_some(),
            "{}",
            case.name
        );
        // Deterministic: a second run gives the same bytes.
        assert_eq!(
            format!("{}\n", evaluate_case(&case.definition, &case.request)),
            output,
            "{}",
            case.name
        );
        let path = case.dir.join("expected.json");
        let expected = fs::read_to_string(&path).unwrap_or_default();
        if expected == output {
            continue;
        }
        if bless {
            fs::write(&path, &output).unwrap();
            eprintln!("blessed {}", path.display());
        } else {
            failures.push(format!(
                "{}:\n  expected: {}\n  got:      {}",
                case.name,
                expected.trim_end(),
                output.trim_end()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} conformance cases differ:\n{}\n\nif the change is intended, run `ASPEKT_BLESS=1 cargo test -p aspekt --test conformance` and review every rewritten file",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// The corpus exercises every status, every request error code, both
/// locales, an extra audience and a definition error.
#[test]
fn corpus_covers_the_json_surface() {
    let mut statuses = BTreeSet::new();
    let mut codes = BTreeSet::new();
    let mut locales = BTreeSet::new();
    let mut audiences = BTreeSet::new();
    let mut libraries = BTreeSet::new();
    for case in cases() {
        if let CaseDefinition::Library(id) = &case.definition {
            libraries.insert(id.clone());
        }
        let Ok(text) = fs::read_to_string(case.dir.join("expected.json")) else {
            continue; // not blessed yet; conformance_corpus reports it
        };
        let v: Value = serde_json::from_str(&text).unwrap();
        if let Some(code) = v["error"]["code"].as_str() {
            codes.insert(code.to_string());
            if code == "invalid_definition" {
                assert!(
                    v["error"]["diagnostics"]
                        .as_array()
                        .is_some_and(|d| !d.is_empty()),
                    "{}: an invalid definition comes with diagnostics",
                    case.name
                );
            }
        } else {
            locales.insert(v["locale"].as_str().unwrap().to_string());
            audiences.insert(v["audience"].as_str().unwrap().to_string());
            for r in v["results"].as_array().unwrap() {
                statuses.insert(r["status"].as_str().unwrap().to_string());
            }
        }
    }
    let want = |items: &[&str]| {
        items
            .iter()
            .map(|s| s.to_string())
            .collect::<BTreeSet<String>>()
    };
    assert!(
        statuses.is_superset(&want(&["ok", "declined", "insufficient"])),
        "{statuses:?}"
    );
    assert!(
        codes.is_superset(&want(&[
            "malformed_json",
            "invalid_request",
            "unknown_item",
            "invalid_code",
            "unknown_topic",
            "answer_in_declined_topic",
            "unknown_locale",
            "unknown_audience",
            "consent_required",
            "invalid_definition",
        ])),
        "{codes:?}"
    );
    assert!(locales.is_superset(&want(&["de", "en"])), "{locales:?}");
    assert!(
        audiences.is_superset(&want(&["participant", "counsellor", "agency"])),
        "{audiences:?}"
    );
    let library: BTreeSet<String> = aspekt::library::entries()
        .map(|e| e.id.to_string())
        .collect();
    assert!(
        libraries.is_superset(&want(&["who5", "brs", "gse"])),
        "{libraries:?}"
    );
    assert!(libraries.is_subset(&library), "{libraries:?}");
}
