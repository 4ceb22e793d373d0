//! End-to-end tests of the `aspekt` binary: exit codes, output formats, and
//! that it prints exactly what the engine returns (the CLI is a thin layer).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code: a failed expectation should abort the test loudly"
)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
const WHO5_REQUEST: &str = "examples/requests/who5.json";

/// Runs `aspekt` in the repository root, with `stdin` piped in.
fn run(args: &[&str], stdin: Option<&str>) -> Output {
    run_bytes(args, stdin.map(str::as_bytes))
}

/// [`run`] with any bytes on standard input.
fn run_bytes(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_aspekt"))
        .args(args)
        .current_dir(ROOT)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the aspekt binary runs");
    {
        let mut pipe = child.stdin.take().unwrap();
        if let Some(input) = stdin {
            pipe.write_all(input).unwrap();
        }
    }
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

#[track_caller]
fn assert_exit(o: &Output, code: i32) {
    assert_eq!(
        o.status.code(),
        Some(code),
        "exit status\nstdout:\n{}\nstderr:\n{}",
        stdout(o),
        stderr(o)
    );
}

fn json(o: &Output) -> Value {
    serde_json::from_str(&stdout(o))
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", stdout(o)))
}

/// A fresh folder for this test under the system's temp dir.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("aspekt-cli-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A definition with a gap between its bands (sum 5 is in no band): line
/// and column of the error are known.
const BROKEN: &str = r#"[questionnaire]
id = "broken"
version = "1.0.0"
locales = ["en"]
title = { en = "Broken" }
description = { en = "Has a gap between its bands." }

[questionnaire.source]
citation = "aspekt CLI test"
licence = "CC0-1.0"

[[scale]]
id = "agree"
options = [
  { code = 1, label = { en = "no" } },
  { code = 2, label = { en = "rather no" } },
  { code = 3, label = { en = "rather yes" } },
  { code = 4, label = { en = "yes" } },
]

[[item]]
id = "q1"
scale = "agree"
text = { en = "First." }

[[item]]
id = "q2"
scale = "agree"
text = { en = "Second." }

[[score]]
id = "total"
items = ["q1", "q2"]
aggregate = "sum"

[[result]]
id = "total"
title = { en = "Total" }
score = "total"
audiences = ["participant", "counsellor"]

[[result.band]]
id = "low"
min = 2
max = 4
label = { en = "low" }
explanation = { en = "Rather low." }

[[result.band]]
id = "high"
min = 6
max = 8
label = { en = "high" }
explanation = { en = "Rather high." }
"#;

fn write_broken(dir: &Path) -> PathBuf {
    let path = dir.join("definition.toml");
    std::fs::write(&path, BROKEN).unwrap();
    path
}

/// `path:line:col` appears in `text` for some line and column.
fn has_position(text: &str, path: &str) -> bool {
    text.match_indices(path).any(|(i, _)| {
        let rest = &text[i + path.len()..];
        let mut parts = rest.splitn(3, ':');
        parts.next() == Some("")
            && parts
                .next()
                .is_some_and(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_digit()))
            && parts
                .next()
                .is_some_and(|c| c.chars().next().is_some_and(|c| c.is_ascii_digit()))
    })
}

// ------------------------------------------------------------------ check

#[test]
fn check_passes_on_the_library() {
    let o = run(&["check", "definitions"], None);
    assert_exit(&o, 0);
    let out = stdout(&o);
    for id in ["who5", "brs", "gse"] {
        assert!(
            out.contains(&format!("definitions/{id}/definition.toml")),
            "{out}"
        );
    }
    assert!(!out.contains("FAIL"), "{out}");
}

#[test]
fn check_reports_errors_with_file_line_col() {
    let dir = temp_dir("check-text");
    let path = write_broken(&dir);
    let path_str = path.display().to_string();
    let o = run(&["check", &path_str], None);
    assert_exit(&o, 1);
    let err = stderr(&o);
    assert!(
        has_position(&err, &path_str),
        "no {path_str}:line:col in\n{err}"
    );
    assert!(err.contains("band_gap"), "{err}");
    assert!(stdout(&o).contains("FAIL"), "{}", stdout(&o));
    // One broken file fails the whole check, also next to good ones.
    let o = run(&["check", "definitions", &path_str], None);
    assert_exit(&o, 1);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn check_json_lists_diagnostics_with_code_and_location() {
    let dir = temp_dir("check-json");
    let path = write_broken(&dir);
    let path_str = path.display().to_string();
    let o = run(&["check", &path_str, "--format", "json"], None);
    assert_exit(&o, 1);
    let v = json(&o);
    // One entry per file: its mode, diagnostics and disclosure analysis.
    let files = v.as_array().expect("a JSON array");
    assert_eq!(files.len(), 1);
    assert_eq!(files[0]["file"], path_str.as_str());
    assert!(
        files[0]["disclosure"].is_null(),
        "no analysis without compiling"
    );
    let diags = files[0]["diagnostics"].as_array().expect("diagnostics");
    assert!(!diags.is_empty());
    let gap = diags
        .iter()
        .find(|d| d["code"] == "band_gap")
        .expect("a band_gap diagnostic");
    assert_eq!(gap["severity"], "error");
    assert_eq!(gap["file"], path_str.as_str());
    // `max = 4` of band `low`, the band below the gap.
    assert_eq!(gap["location"]["line"], 45);
    assert_eq!(gap["location"]["column"], 7);
    assert!(gap["message"].as_str().unwrap().contains('5'));
    assert!(gap["help"].is_string());
    // The same diagnostics as the engine's.
    let engine = aspekt::check(&aspekt::Source::new(path_str.clone(), BROKEN));
    assert_eq!(
        files[0]["diagnostics"],
        serde_json::to_value(&engine).unwrap()
    );

    // The library: an array, and no errors.
    let o = run(&["check", "definitions", "--format", "json"], None);
    assert_exit(&o, 0);
    let v = json(&o);
    for file in v.as_array().unwrap() {
        assert!(
            file["diagnostics"]
                .as_array()
                .unwrap()
                .iter()
                .all(|d| d["severity"] != "error")
        );
        assert!(["questionnaire", "interview"].contains(&file["mode"].as_str().unwrap()));
        // Every released result of the library carries its analysis.
        let findings = file["disclosure"]["results"].as_array().unwrap();
        assert!(!findings.is_empty(), "{}", file["file"]);
        for f in findings {
            let method = f["method"].as_str().unwrap();
            let allowed: &[&str] = if file["mode"] == "interview" {
                &["interview"]
            } else {
                &["exact", "enumerated", "waived", "derived"]
            };
            assert!(allowed.contains(&method), "{}: {method}", file["file"]);
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn check_without_definitions_is_a_usage_error() {
    let dir = temp_dir("check-empty");
    let o = run(&["check", &dir.display().to_string()], None);
    assert_exit(&o, 2);
    let o = run(&["check", "does/not/exist.toml"], None);
    assert_exit(&o, 2);
    let o = run(&["check"], None);
    assert_exit(&o, 2);
    let _ = std::fs::remove_dir_all(dir);
}

// --------------------------------------------------------------- evaluate

fn engine_report(id: &str, request: &str) -> aspekt::Report {
    let e = aspekt::library::load(id).unwrap();
    e.evaluate(&aspekt::Request::from_json(request).unwrap())
        .unwrap()
}

#[test]
fn evaluate_prints_the_report_json() {
    let o = run(&["evaluate", "who5", "--answers", WHO5_REQUEST], None);
    assert_exit(&o, 0);
    let v = json(&o);
    assert_eq!(v["definition"]["id"], "who5");
    assert_eq!(v["locale"], "de");
    assert_eq!(v["audience"], "participant");
    let r = &v["results"][0];
    assert_eq!(r["status"], "ok");
    // 3 + 2 + 2 + 1 + 3 = 11, × 4 = 44: reduced.
    assert_eq!(r["band"]["id"], "reduced");
    assert_eq!(r["label"], "Eingeschränktes Wohlbefinden");
    // Exactly the engine's report, pretty-printed.
    let request = std::fs::read_to_string(Path::new(ROOT).join(WHO5_REQUEST)).unwrap();
    let report = engine_report("who5", &request);
    assert_eq!(stdout(&o), format!("{}\n", report.to_json_pretty()));
    assert!(!stdout(&o).contains("\"q1\""));
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
}

#[test]
fn evaluate_text_prints_label_and_explanation() {
    let o = run(
        &[
            "evaluate",
            "who5",
            "--answers",
            WHO5_REQUEST,
            "--format",
            "text",
        ],
        None,
    );
    assert_exit(&o, 0);
    let out = stdout(&o);
    let report = engine_report(
        "who5",
        &std::fs::read_to_string(Path::new(ROOT).join(WHO5_REQUEST)).unwrap(),
    );
    let entry = &report.results[0];
    assert!(out.contains(&entry.label), "{out}");
    // The explanation is wrapped: compare with whitespace collapsed.
    let collapse = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        collapse(&out).contains(&collapse(&entry.explanation)),
        "{out}"
    );
    assert!(out.contains("WHO-5-Fragebogen zum Wohlbefinden"), "{out}");
    // Never item texts or answers.
    assert!(
        !out.contains("In den letzten zwei Wochen war ich froh"),
        "{out}"
    );
}

#[test]
fn evaluate_options_override_the_request() {
    // --audience
    let o = run(
        &[
            "evaluate",
            "who5",
            "--answers",
            WHO5_REQUEST,
            "--audience",
            "counsellor",
        ],
        None,
    );
    assert_exit(&o, 0);
    assert_eq!(json(&o)["audience"], "counsellor");
    // --locale (the request says de)
    let o = run(
        &[
            "evaluate",
            "who5",
            "--answers",
            WHO5_REQUEST,
            "--locale",
            "en",
        ],
        None,
    );
    assert_exit(&o, 0);
    let v = json(&o);
    assert_eq!(v["locale"], "en");
    assert_eq!(v["results"][0]["label"], "Reduced well-being");
    // --consent replaces the request's consent …
    let o = run(
        &[
            "evaluate",
            "who5",
            "--answers",
            WHO5_REQUEST,
            "--consent",
            "2025-01",
        ],
        None,
    );
    assert_exit(&o, 1);
    assert_eq!(json(&o)["error"]["code"], "consent_required");
    // … and supplies a missing one.
    let request = r#"{"answers":{"q1":5,"q2":5,"q3":5,"q4":5,"q5":5}}"#;
    let o = run(&["evaluate", "who5", "--answers", "-"], Some(request));
    assert_exit(&o, 1);
    assert_eq!(json(&o)["error"]["code"], "consent_required");
    let o = run(
        &["evaluate", "who5", "--answers", "-", "--consent", "2026-11"],
        Some(request),
    );
    assert_exit(&o, 0);
    assert_eq!(json(&o)["results"][0]["band"]["id"], "good");
    // An unknown audience or locale from the command line is the engine's error.
    let o = run(
        &[
            "evaluate",
            "who5",
            "--answers",
            WHO5_REQUEST,
            "--audience",
            "agency",
        ],
        None,
    );
    assert_exit(&o, 1);
    assert_eq!(json(&o)["error"]["code"], "unknown_audience");
    let o = run(
        &[
            "evaluate",
            "who5",
            "--answers",
            WHO5_REQUEST,
            "--locale",
            "fr",
        ],
        None,
    );
    assert_exit(&o, 1);
    assert_eq!(json(&o)["error"]["code"], "unknown_locale");
}

#[test]
fn evaluate_reads_the_request_from_stdin() {
    let request = std::fs::read_to_string(Path::new(ROOT).join(WHO5_REQUEST)).unwrap();
    let from_stdin = run(&["evaluate", "who5", "--answers", "-"], Some(&request));
    let from_file = run(&["evaluate", "who5", "--answers", WHO5_REQUEST], None);
    assert_exit(&from_stdin, 0);
    assert_eq!(from_stdin.stdout, from_file.stdout);
    // A definition given as a path works like the library id.
    let by_path = run(
        &[
            "evaluate",
            "definitions/who5/definition.toml",
            "--answers",
            "-",
        ],
        Some(&request),
    );
    assert_exit(&by_path, 0);
    assert_eq!(by_path.stdout, from_file.stdout);
    let by_folder = run(
        &["evaluate", "definitions/who5", "--answers", "-"],
        Some(&request),
    );
    assert_exit(&by_folder, 0);
    assert_eq!(by_folder.stdout, from_file.stdout);
}

#[test]
fn evaluate_errors_print_only_the_error_envelope() {
    let cases = [
        (
            r#"{"consent":{"notice":"2026-11"},"answers":{"q1":77}}"#,
            "invalid_code",
            Some("answers.q1"),
        ),
        (
            r#"{"consent":{"notice":"2026-11"},"answers":{"q9":1}}"#,
            "unknown_item",
            Some("answers.q9"),
        ),
        (
            r#"{"consent":{"notice":"2026-11"},"answers":"#,
            "malformed_json",
            None,
        ),
        (
            r#"{"consent":{"notice":"2026-11"},"answers":{},"foo":1}"#,
            "invalid_request",
            Some("foo"),
        ),
        (
            r#"{"consent":{"notice":"2026-11"},"declined":["mood"]}"#,
            "unknown_topic",
            Some("declined[0]"),
        ),
    ];
    let who5 = aspekt::library::load("who5").unwrap();
    for (request, code, path) in cases {
        let o = run(&["evaluate", "who5", "--answers", "-"], Some(request));
        assert_exit(&o, 1);
        let v = json(&o);
        assert_eq!(v["error"]["code"], code, "{request}");
        if let Some(p) = path {
            assert_eq!(v["error"]["path"], p, "{request}");
        }
        assert!(v.get("results").is_none());
        // Exactly the engine's envelope, on one line.
        let err = who5.evaluate_json(request).unwrap_err();
        assert_eq!(
            stdout(&o),
            format!("{}\n", aspekt::ErrorEnvelope::from(&err).to_json())
        );
        assert!(!stdout(&o).contains("77"));
    }
    // In text format the error goes to stderr and stdout stays empty.
    let o = run(
        &["evaluate", "who5", "--answers", "-", "--format", "text"],
        Some(cases[0].0),
    );
    assert_exit(&o, 1);
    assert!(stdout(&o).is_empty(), "{}", stdout(&o));
    assert!(stderr(&o).contains("invalid_code"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("77"), "{}", stderr(&o));
}

/// Input that is not UTF-8 is a bad request like any other: the engine's
/// envelope at the root path, and exit 1 (not 2, a usage error).
#[test]
fn a_request_that_is_not_utf8_gets_the_error_envelope() {
    let mut request = br#"{"consent":{"notice":"2026-11"},"answers":{"q1":3,"q"#.to_vec();
    request.extend_from_slice(&[0xff, 0xfe]);
    request.extend_from_slice(br#"":1}}"#);
    let o = run_bytes(&["evaluate", "who5", "--answers", "-"], Some(&request));
    assert_exit(&o, 1);
    let v = json(&o);
    assert_eq!(v["error"]["code"], "malformed_json", "{v}");
    assert_eq!(v["error"]["path"], ".", "{v}");
    let err = aspekt::api::text_of(&request).unwrap_err();
    assert_eq!(
        stdout(&o),
        format!("{}\n", aspekt::ErrorEnvelope::from(&err).to_json())
    );
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
    // The same for `take`, and in text format on stderr.
    let o = run_bytes(&["take", "who5", "--format", "json"], Some(&request));
    assert_exit(&o, 1);
    assert_eq!(json(&o)["error"]["code"], "malformed_json");
    let o = run_bytes(
        &["evaluate", "who5", "--answers", "-", "--format", "text"],
        Some(&request),
    );
    assert_exit(&o, 1);
    assert!(stderr(&o).contains("malformed_json"), "{}", stderr(&o));
}

/// Untrusted text in a request comes back escaped and shortened, whatever
/// its size: a 4 MB item id gives a short error (the engine tests 50 MB).
#[test]
fn request_text_in_errors_is_escaped_and_bounded() {
    let id = "\u{202e}x".repeat(1 << 20);
    let request = format!(r#"{{"consent":{{"notice":"2026-11"}},"answers":{{"{id}":1}}}}"#);
    let o = run(&["evaluate", "who5", "--answers", "-"], Some(&request));
    assert_exit(&o, 1);
    let out = stdout(&o);
    assert!(out.len() < 1024, "{} bytes", out.len());
    assert!(!out.contains('\u{202e}'), "{out}");
    assert_eq!(json(&o)["error"]["code"], "unknown_item");
    let o = run(
        &["take", "who5", "--format", "json"],
        Some(r#"{"consent":{"notice":"2026-11"},"instruments":{"a\nb\u202e":{}}}"#),
    );
    assert_exit(&o, 1);
    let v = json(&o);
    assert_eq!(v["error"]["path"], r#"instruments["a\nb\u{202e}"]"#, "{v}");
    assert_eq!(
        v["error"]["message"], r"`a\nb\u{202e}` is not among the instruments taken",
        "{v}"
    );
    let o = run(
        &["take", "who5", "--format", "json"],
        Some(r#"{"consent":{"notice":"2026-11"},"weird\u0000key":1}"#),
    );
    assert_exit(&o, 1);
    let v = json(&o);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains(r"unknown key `weird\0key`, expected "),
        "{v}"
    );
}

#[test]
fn evaluate_unknown_definition_lists_the_library() {
    let o = run(&["evaluate", "who-5", "--answers", WHO5_REQUEST], None);
    assert_exit(&o, 2);
    let err = stderr(&o);
    assert!(err.contains("unknown_definition"), "{err}");
    for id in ["who5", "brs", "gse"] {
        assert!(err.contains(id), "{err}");
    }
    assert!(stdout(&o).is_empty());
}

#[test]
fn evaluate_missing_request_file_fails_without_output() {
    let o = run(
        &["evaluate", "who5", "--answers", "does/not/exist.json"],
        None,
    );
    assert!(!o.status.success());
    assert!(stdout(&o).is_empty());
    assert!(stderr(&o).contains("does/not/exist.json"), "{}", stderr(&o));
}

/// docs (book/src/cli.md): exit 1 when "the command ran and found a problem
/// (errors in a definition, …)", 2 for usage errors.
#[test]
fn evaluate_broken_definition_exits_1() {
    let dir = temp_dir("evaluate-broken");
    let path = write_broken(&dir).display().to_string();
    let o = run(&["evaluate", &path, "--answers", WHO5_REQUEST], None);
    assert_exit(&o, 1);
    assert!(has_position(&stderr(&o), &path), "{}", stderr(&o));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn evaluate_broken_definition_shows_its_diagnostics() {
    let dir = temp_dir("evaluate-broken-diags");
    let path = write_broken(&dir).display().to_string();
    let o = run(&["evaluate", &path, "--answers", WHO5_REQUEST], None);
    assert!(!o.status.success());
    assert!(stdout(&o).is_empty(), "{}", stdout(&o));
    assert!(has_position(&stderr(&o), &path), "{}", stderr(&o));
    let _ = std::fs::remove_dir_all(dir);
}

// ---------------------------------------------------------- test, schema, list

#[test]
fn test_runs_the_library_examples() {
    for args in [&["test"][..], &["test", "definitions"][..]] {
        let o = run(args, None);
        assert_exit(&o, 0);
        let out = stdout(&o);
        assert!(out.contains("0 failed"), "{out}");
        assert!(!out.contains("FAIL"), "{out}");
        for id in ["who5", "brs", "gse"] {
            assert!(out.contains(&format!("ok    {id} ›")), "{out}");
        }
    }
}

#[test]
fn test_fails_on_a_wrong_expectation() {
    let dir = temp_dir("test-fail");
    let who5 =
        std::fs::read_to_string(Path::new(ROOT).join("definitions/who5/definition.toml")).unwrap();
    let wrong = format!(
        "{who5}\n[[example]]\nname = \"deliberately wrong\"\nanswers = {{ q1 = 0, q2 = 0, q3 = 0, q4 = 0, q5 = 0 }}\nexpect = {{ wellbeing = \"good\" }}\n"
    );
    let path = dir.join("definition.toml");
    std::fs::write(&path, wrong).unwrap();
    let o = run(&["test", &path.display().to_string()], None);
    assert_exit(&o, 1);
    assert!(
        stdout(&o).contains("FAIL  who5 › deliberately wrong"),
        "{}",
        stdout(&o)
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn schema_request_prints_a_json_schema() {
    let o = run(&["schema", "request"], None);
    assert_exit(&o, 0);
    let v = json(&o);
    assert!(v.get("$schema").is_some(), "{v}");
    assert!(v["properties"]["answers"].is_object(), "{v}");
    assert_eq!(stdout(&o), aspekt::json_schema(aspekt::SchemaKind::Request));
    for kind in ["definition", "report", "error"] {
        let o = run(&["schema", kind], None);
        assert_exit(&o, 0);
        assert!(json(&o).get("$schema").is_some(), "{kind}");
    }
    let o = run(&["schema", "answers"], None);
    assert_exit(&o, 2);
}

#[test]
fn list_json_names_the_library_with_item_counts() {
    let o = run(&["list", "--format", "json"], None);
    assert_exit(&o, 0);
    let v = json(&o);
    let rows = v.as_array().unwrap();
    let items = |id: &str| {
        rows.iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("{id} not listed: {v}"))["items"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(items("who5"), 5);
    assert_eq!(items("brs"), 6);
    assert_eq!(items("gse"), 10);
    for r in rows {
        assert!(
            r["version"].is_string() && r["title"].is_string() && r["locales"].is_array(),
            "{r}"
        );
    }
    let o = run(&["list"], None);
    assert_exit(&o, 0);
    assert!(stdout(&o).contains("who5"));
}

#[test]
fn list_bundle_holds_the_listing_the_profile_and_every_text() {
    let o = run(&["list", "--bundle"], None);
    assert_exit(&o, 0);
    let v = json(&o);
    assert_eq!(v["format"], 1);
    let listing = json(&run(&["list", "--format", "json"], None));
    assert_eq!(v["entries"], listing);
    let instruments = v["instruments"].as_object().unwrap();
    assert_eq!(instruments.len(), listing.as_array().unwrap().len());
    for (id, i) in instruments {
        let path = i["name"].as_str().unwrap();
        assert_eq!(path, format!("definitions/{id}/definition.toml"));
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let on_disk = std::fs::read_to_string(root.join(path)).unwrap();
        assert_eq!(i["definition"].as_str().unwrap(), on_disk, "{id}");
    }
    // Rule files travel as a map by name; the profile lists library ids.
    assert!(instruments.values().all(|i| i["files"].is_object()));
    for id in v["profile"].as_array().unwrap() {
        assert!(instruments.contains_key(id.as_str().unwrap()), "{id}");
    }
    assert_exit(&run(&["list", "--bundle", "--format", "json"], None), 2);
}

#[test]
fn usage_errors_exit_2() {
    assert_exit(&run(&[], None), 2);
    assert_exit(&run(&["frobnicate"], None), 2);
    assert_exit(&run(&["evaluate", "who5"], None), 2);
    assert_exit(
        &run(
            &[
                "evaluate",
                "who5",
                "--answers",
                WHO5_REQUEST,
                "--format",
                "yaml",
            ],
            None,
        ),
        2,
    );
}
