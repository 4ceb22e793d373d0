//! End-to-end tests of the participant flow: `aspekt take` (piped and in a
//! pseudo-terminal), `aspekt transparency` and `aspekt form`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code: a failed expectation should abort the test loudly"
)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
const BIN: &str = env!("CARGO_BIN_EXE_aspekt");

/// Runs `aspekt` in the repository root with `stdin` piped in.
fn run(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(BIN)
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
        // The child may exit before reading (e.g. a usage error).
        let _ = pipe.write_all(stdin.as_bytes());
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

const WHO5_GOOD: &str = r#"{"consent": {"notice": "2026-11"}, "locale": "en",
  "instruments": {"who5": {"answers": {"q1": 4, "q2": 4, "q3": 3, "q4": 3, "q5": 4}}}}"#;

// ------------------------------------------------------------ take, piped

#[test]
fn piped_take_prints_the_participants_text_report() {
    let o = run(&["take", "who5"], WHO5_GOOD);
    assert_exit(&o, 0);
    let out = stdout(&o);
    assert!(out.starts_with("WHO-5 Well-Being Index\n"), "{out}");
    assert!(out.contains("Well-being over the last two weeks: Good well-being  (level 3 / 3)"));
    assert!(out.contains("A question to talk about"));
    // Exactly what the engine renders for the participant.
    let evaluate = run(
        &["evaluate", "who5", "--answers", "-", "--format", "text"],
        r#"{"consent": {"notice": "2026-11"}, "locale": "en",
            "answers": {"q1": 4, "q2": 4, "q3": 3, "q4": 3, "q5": 4}}"#,
    );
    assert_exit(&evaluate, 0);
    assert_eq!(out, stdout(&evaluate));
}

#[test]
fn piped_take_reads_an_answers_file() {
    let dir = std::env::temp_dir().join(format!("aspekt-take-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("answers.json");
    std::fs::write(&file, WHO5_GOOD).unwrap();
    let o = run(&["take", "who5", "--answers", file.to_str().unwrap()], "");
    let _ = std::fs::remove_dir_all(&dir);
    assert_exit(&o, 0);
    assert!(stdout(&o).contains("Good well-being"));
}

#[test]
fn default_profile_declines_instruments_not_listed() {
    let o = run(&["take"], WHO5_GOOD);
    assert_exit(&o, 0);
    let out = stdout(&o);
    let who5 = out.find("WHO-5 Well-Being Index").unwrap();
    let brs = out.find("Brief Resilience Scale (BRS)").unwrap();
    let gse = out.find("General Self-Efficacy Scale (GSE)").unwrap();
    assert!(
        who5 < brs && brs < gse,
        "profile order who5, brs, gse:\n{out}"
    );
    // Every result of every other instrument of the profile is skipped.
    let skipped: usize = aspekt::library::profile()
        .iter()
        .filter(|id| **id != "who5")
        .map(|id| {
            let e = aspekt::library::load(id).unwrap();
            e.definition()
                .results
                .iter()
                .filter(|r| r.audiences.iter().any(|a| a.as_str() == "participant"))
                .count()
        })
        .sum();
    assert_eq!(out.matches(": Skipped").count(), skipped, "{out}");
    assert!(out.contains("nothing is calculated or"));
}

#[test]
fn declining_a_topic_shows_the_neutral_text() {
    let o = run(
        &["take", "who5", "brs"],
        r#"{"consent": {"notice": "2026-11"}, "locale": "de",
            "instruments": {"who5": {"declined": ["wellbeing"]},
                            "brs": {"answers": {"q1": 4, "q2": 2, "q3": 4, "q4": 2, "q5": 4, "q6": 2}}}}"#,
    );
    assert_exit(&o, 0);
    let out = stdout(&o);
    assert!(
        out.contains("Wohlbefinden in den letzten zwei Wochen: Übersprungen"),
        "{out}"
    );
    assert!(out.contains("Dieses Thema wurde ausgelassen."));
    assert!(out.contains("Erholung nach Belastungen (Selbsteinschätzung): "));
    assert!(!out.contains("Erholung nach Belastungen (Selbsteinschätzung): Übersprungen"));
}

#[test]
fn without_consent_nothing_is_evaluated() {
    let answers = r#"{"locale": "en", "instruments": {"who5": {"answers": {"q1": 4, "q2": 4, "q3": 3, "q4": 3, "q5": 4}}}}"#;
    let o = run(&["take", "who5"], answers);
    assert_exit(&o, 1);
    assert_eq!(stdout(&o), "", "no report");
    assert!(
        stderr(&o).contains("error[consent_required]"),
        "{}",
        stderr(&o)
    );

    let o = run(&["take", "who5", "--format", "json"], answers);
    assert_exit(&o, 1);
    let v = json(&o);
    assert_eq!(v["error"]["code"], "consent_required");
    assert_eq!(v["error"]["path"], "consent.notice");
    assert!(v.get("who5").is_none());

    // Consent to another version is no consent.
    let old =
        r#"{"consent": {"notice": "2025-01"}, "instruments": {"who5": {"answers": {"q1": 4}}}}"#;
    let o = run(&["take", "who5"], old);
    assert_exit(&o, 1);
    assert_eq!(stdout(&o), "");
    assert!(stderr(&o).contains("2026-11"));
}

#[test]
fn json_output_maps_instrument_ids_to_reports() {
    let o = run(&["take", "--format", "json"], WHO5_GOOD);
    assert_exit(&o, 0);
    let v = json(&o);
    let ids: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(ids.len(), aspekt::library::profile().len());
    for id in ["who5", "brs", "gse"] {
        assert_eq!(v[id]["definition"]["id"], id);
        assert_eq!(v[id]["audience"], "participant");
        assert_eq!(v[id]["locale"], "en");
    }
    assert_eq!(v["who5"]["results"][0]["band"]["id"], "good");
    assert_eq!(v["brs"]["results"][0]["status"], "declined");
}

#[test]
fn bad_input_is_refused_without_repeating_answers() {
    // An invalid code: the engine's error names the item, not the code.
    let o = run(
        &["take", "who5"],
        r#"{"consent": {"notice": "2026-11"}, "instruments": {"who5": {"answers": {"q1": 987}}}}"#,
    );
    assert_exit(&o, 1);
    assert_eq!(stdout(&o), "");
    assert!(stderr(&o).contains("error[invalid_code]"));
    assert!(!stderr(&o).contains("987"));

    // A string where a code belongs.
    let o = run(
        &["take", "who5", "--format", "json"],
        r#"{"consent": {"notice": "2026-11"}, "instruments": {"who5": {"answers": {"q1": "very secret"}}}}"#,
    );
    assert_exit(&o, 1);
    assert_eq!(json(&o)["error"]["code"], "invalid_request");
    assert!(!stdout(&o).contains("very secret"));

    // An instrument that is not taken.
    let o = run(
        &["take", "who5", "--format", "json"],
        r#"{"consent": {"notice": "2026-11"}, "instruments": {"gse": {}}}"#,
    );
    assert_exit(&o, 1);
    assert_eq!(json(&o)["error"]["path"], "instruments.gse");

    // Malformed JSON and empty input.
    for input in ["{\"consent\": ", ""] {
        let o = run(&["take", "who5", "--format", "json"], input);
        assert_exit(&o, 1);
        assert!(json(&o)["error"]["code"].is_string());
    }
}

#[test]
fn unknown_definition_is_a_usage_error() {
    let o = run(&["take", "who6"], WHO5_GOOD);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("unknown_definition"));
}

// ---------------------------------------------------- take, interactive

/// Runs `aspekt take ARGS` in a pseudo-terminal (util-linux `script`) with
/// `input` typed in; `None` when `script` is not available.
fn run_in_terminal(args: &str, input: &str) -> Option<(i32, String)> {
    let available = Command::new("script")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !available {
        eprintln!("skipped: `script` (util-linux) is not installed");
        return None;
    }
    let command = format!("'{BIN}' take {args}");
    let mut child = Command::new("script")
        .args(["-qfec", &command, "/dev/null"])
        .current_dir(ROOT)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut pipe = child.stdin.take().unwrap();
        pipe.write_all(input.as_bytes()).unwrap();
    }
    let o = child.wait_with_output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout).replace("\r\n", "\n");
    Some((o.status.code().unwrap_or(-1), out))
}

#[test]
fn interactive_take_walks_through_and_prints_the_report() {
    // Option 2 is "Most of the time" (code 4) for every WHO-5 item.
    let Some((code, out)) = run_in_terminal("who5 --locale en", "y\n2\n2\n2\n2\n2\n") else {
        return;
    };
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Privacy notice (version 2026-11)"), "{out}");
    assert!(out.contains("Who sees what?"));
    assert!(out.contains("Not seen by: the employment agency or anyone else"));
    assert!(out.contains("Do you agree? [y/n]"));
    assert!(out.contains("Question 1 of 5"));
    assert!(out.contains("Question 5 of 5"));
    assert!(out.contains("Your results\n============"));
    assert!(out.contains("Well-being over the last two weeks: Good well-being"));
    assert!(out.contains("Nothing was stored or sent."));
}

#[test]
fn interactive_take_skips_a_topic_with_one_key() {
    let Some((code, out)) = run_in_terminal("who5 brs", "j\n2\n\ns\n4\n2\n4\n2\n4\n2\n") else {
        return;
    };
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Teil 1 von 2"), "{out}");
    assert!(out.contains("(ausgelassen)"));
    assert!(out.contains("Thema übersprungen"));
    assert!(out.contains("Wohlbefinden in den letzten zwei Wochen: Übersprungen"));
    assert!(out.contains("Frage 6 von 6"));
    assert!(out.contains("Ihre Ergebnisse\n==============="));
}

#[test]
fn interactive_take_quits_or_refuses_without_evaluating() {
    for (input, says) in [
        ("j\n2\nq\n", "Abgebrochen. Es wurde nichts ausgewertet"),
        ("n\n", "Sie haben nicht zugestimmt."),
    ] {
        let Some((code, out)) = run_in_terminal("who5", input) else {
            return;
        };
        assert_eq!(code, 0, "{out}");
        assert!(out.contains(says), "{out}");
        // "Ihre Ergebnisse" also heads a section of the statement; the
        // reports' heading is underlined with `=`.
        assert!(!out.contains("Ihre Ergebnisse\n==="), "{out}");
        assert!(
            !out.contains("Wohlbefinden in den letzten zwei Wochen:"),
            "{out}"
        );
    }
}

// ---------------------------------------------------------- transparency

#[test]
fn transparency_in_german_and_english() {
    let de = run(&["transparency", "who5", "--locale", "de"], "");
    assert_exit(&de, 0);
    let text = stdout(&de);
    assert!(text.starts_with("Wer sieht was? – WHO-5-Fragebogen zum Wohlbefinden\n"));
    assert!(text.contains("Ihre einzelnen Antworten sieht niemand"));
    assert!(text.contains("• Wohlbefinden in den letzten zwei Wochen"));
    assert!(text.contains("Sehen es:       Sie selbst und Ihre Beraterin oder Ihr Berater"));
    assert!(text.contains("Sehen es nicht: die Agentur für Arbeit und alle anderen"));
    assert!(text.contains("Datenschutzhinweis: Version 2026-11."));

    let en = run(&["transparency", "who5", "--locale", "en"], "");
    assert_exit(&en, 0);
    let text = stdout(&en);
    assert!(text.starts_with("Who sees what? – WHO-5 Well-Being Index\n"));
    assert!(text.contains("Seen by:     you and your counsellor"));

    // Default locale: the definition's first (German).
    let default = run(&["transparency", "who5"], "");
    assert_eq!(stdout(&default), stdout(&de));
}

#[test]
fn transparency_as_json() {
    let o = run(
        &["transparency", "brs", "--locale", "en", "--format", "json"],
        "",
    );
    assert_exit(&o, 0);
    let v = json(&o);
    assert_eq!(v["definition"]["id"], "brs");
    assert_eq!(v["locale"], "en");
    assert_eq!(v["privacy_notice"], "2026-11");
    assert_eq!(v["results"][0]["seen_by"][0], "you");
    assert_eq!(v["results"][0]["not_seen_by"][0], "the employment agency");
    assert!(v["results"][0]["waiver"].is_null());
    assert!(v["text"].as_str().unwrap().contains("Who sees what?"));
}

#[test]
fn transparency_unknown_locale_fails() {
    let o = run(&["transparency", "who5", "--locale", "fr"], "");
    assert_exit(&o, 1);
    assert!(stderr(&o).contains("error[unknown_locale]"));
    let o = run(
        &["transparency", "who5", "--locale", "fr", "--format", "json"],
        "",
    );
    assert_exit(&o, 1);
    assert_eq!(json(&o)["error"]["code"], "unknown_locale");
}

// ------------------------------------------------------------------ form

#[test]
fn form_prints_json() {
    let o = run(&["form", "gse", "--locale", "en"], "");
    assert_exit(&o, 0);
    let v = json(&o);
    assert_eq!(v["id"], "gse");
    assert_eq!(v["locale"], "en");
    let items = v["topics"][0]["items"].as_array().unwrap();
    assert_eq!(items.len(), 10);
    assert_eq!(items[0]["id"], "q1");
    assert!(items[0]["options"].as_array().unwrap().len() >= 2);
    assert!(items[0]["options"][0]["code"].is_i64());

    let o = run(&["form", "who5", "--locale", "fr"], "");
    assert_exit(&o, 1);
    assert_eq!(json(&o)["error"]["code"], "unknown_locale");
    let o = run(&["form", "no-such-definition"], "");
    assert_exit(&o, 2);
}
