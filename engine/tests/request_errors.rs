//! Request errors carry neither untrusted text as it was sent nor anything
//! that depends on the answers: hosts log them.
//!
//! - Text from the request (ids, keys, locale, audience, consent notice) is
//!   quoted: escaped and shortened to `aspekt::QUOTE_LIMIT` characters, in
//!   the message and in the path alike, so an error stays small whatever
//!   was sent.
//! - Every request error is the envelope with a path: `.` for the request
//!   as a whole, in plain words.
//! - Two requests that hit the same error with different answers give the
//!   same bytes: the error says nothing about the answers.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code: a failed expectation should abort the test loudly"
)]

use aspekt::{ErrorCode, Evaluator, QUOTE_LIMIT};
use proptest::prelude::*;
use serde_json::Value;

fn who5() -> Evaluator {
    aspekt::library::load("who5").unwrap()
}

/// The envelope `api::evaluate_json` returns for `request` (which must be
/// an error), and its body.
fn envelope(e: &Evaluator, request: &str) -> (String, Value) {
    let out = aspekt::api::evaluate_json(e, request);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert!(
        v.get("error").is_some(),
        "not an error: {}",
        &out[..200.min(out.len())]
    );
    assert_eq!(v.as_object().unwrap().len(), 1, "{out}");
    let body = v["error"].clone();
    for key in ["code", "message", "path", "help"] {
        assert!(body[key].is_string(), "{key} missing in {out}");
    }
    (out, body)
}

const CONSENT: &str = r#""consent":{"notice":"2026-11"}"#;

// ------------------------------------------------------------ big texts

/// A 50 MB text in any place of the request gives an error of less than a
/// kilobyte, with the text shortened in message and path.
#[test]
fn a_50_mb_text_gives_a_small_error() {
    let e = who5();
    // 50 MB where the attack set put it; 1 MB elsewhere (the same code
    // path, and debug builds read 50 MB slowly).
    let huge = "a".repeat(50 << 20);
    let big = "a".repeat(1 << 20);
    let shown = format!("{}…", "a".repeat(QUOTE_LIMIT));
    let cases = [
        (
            format!(r#"{{{CONSENT},"answers":{{"{huge}":1}}}}"#),
            "unknown_item",
        ),
        (
            format!(r#"{{{CONSENT},"answers":{{"{big}":"x"}}}}"#),
            "invalid_request",
        ),
        (format!(r#"{{{CONSENT},"{big}":1}}"#), "invalid_request"),
        (format!(r#"{{"consent":{{"{big}":1}}}}"#), "invalid_request"),
        (
            format!(r#"{{{CONSENT},"declined":["{big}"]}}"#),
            "unknown_topic",
        ),
        (
            format!(r#"{{{CONSENT},"locale":"{big}"}}"#),
            "unknown_locale",
        ),
        (
            format!(r#"{{{CONSENT},"audience":"{big}"}}"#),
            "unknown_audience",
        ),
        (
            format!(r#"{{"consent":{{"notice":"{big}"}}}}"#),
            "consent_required",
        ),
    ];
    for (request, code) in &cases {
        let (out, body) = envelope(&e, request);
        assert!(out.len() < 1024, "{code}: {} bytes: {out}", out.len());
        assert_eq!(body["code"], *code, "{out}");
        assert!(out.contains(&shown), "{out}");
    }
    // The repeated item of a long id, found by the reader.
    let request = format!(r#"{{"answers":{{"{big}":1,"{big}":2}}}}"#);
    let (out, body) = envelope(&e, &request);
    assert!(out.len() < 1024, "{out}");
    assert_eq!(
        body["path"],
        format!("answers[\"{}…\"]", "a".repeat(QUOTE_LIMIT))
    );
    // Escapes count towards the limit: a long run of right-to-left
    // overrides is as short.
    let rlo = "\u{202e}".repeat(1 << 20);
    let (out, _) = envelope(&e, &format!(r#"{{{CONSENT},"answers":{{"{rlo}":1}}}}"#));
    assert!(out.len() < 1024, "{out}");
    assert!(!out.contains('\u{202e}'), "{out}");
}

// ------------------------------------------------------- odd characters

/// Newline, NUL, bidi overrides and other invisible characters come back
/// escaped, in the message and in the path.
#[test]
fn control_and_bidi_characters_are_escaped_in_message_and_path() {
    let e = who5();
    // As JSON escapes in the request, and as the error shows them.
    let odd = [
        (r"q\n1", r"q\n1"),
        (r"q\u00001", r"q\01"),
        (r"q\u202e1", r"q\u{202e}1"),
        (r"\u2066q1\u2069", r"\u{2066}q1\u{2069}"),
        (r"q\u200b1", r"q\u{200b}1"),
        (r"q\u001b[31m1", r"q\u{1b}[31m1"),
        (r"q`1", r"q\`1"),
        (r#"q\"]1"#, r#"q\"]1"#),
    ];
    for (sent, shown) in odd {
        let quoted = format!("`{shown}`");
        let request = format!(r#"{{{CONSENT},"answers":{{"{sent}":1}}}}"#);
        let (out, body) = envelope(&e, &request);
        assert_eq!(body["code"], "unknown_item");
        assert_eq!(body["path"], format!("answers[\"{shown}\"]"), "{out}");
        assert_eq!(body["message"], format!("`who5` has no item {quoted}"));
        for raw in ['\n', '\0', '\u{202e}', '\u{2066}', '\u{200b}', '\u{1b}'] {
            assert!(!body.to_string().contains(raw), "{raw:?} in {out}");
            assert!(!out.contains(raw), "{raw:?} in {out}");
        }
        // The same quoting wherever the text is.
        let cases = [
            (
                format!(r#"{{{CONSENT},"answers":{{"{sent}":"x"}}}}"#),
                format!("answers[\"{shown}\"]"),
            ),
            (
                format!(r#"{{{CONSENT},"{sent}":1}}"#),
                format!("[\"{shown}\"]"),
            ),
            (
                format!(r#"{{"consent":{{"{sent}":1}}}}"#),
                format!("consent[\"{shown}\"]"),
            ),
            (
                format!(r#"{{{CONSENT},"declined":["{sent}"]}}"#),
                "declined[0]".to_string(),
            ),
            (
                format!(r#"{{{CONSENT},"locale":"{sent}"}}"#),
                "locale".to_string(),
            ),
            (
                format!(r#"{{{CONSENT},"audience":"{sent}"}}"#),
                "audience".to_string(),
            ),
            (
                format!(r#"{{"consent":{{"notice":"{sent}"}}}}"#),
                "consent.notice".to_string(),
            ),
        ];
        for (request, path) in cases {
            let (out, body) = envelope(&e, &request);
            assert_eq!(body["path"], path, "{out}");
            assert!(
                body["message"].as_str().unwrap().contains(&quoted),
                "{quoted} not in {out}"
            );
        }
    }
    // A plain key stays plain.
    let (_, body) = envelope(&e, &format!(r#"{{{CONSENT},"answers":{{"q9":1}}}}"#));
    assert_eq!(body["path"], "answers.q9");
    assert_eq!(body["message"], "`who5` has no item `q9`");
}

/// The compile request quotes what it names in the same way.
#[test]
fn compile_request_text_is_quoted_too() {
    let out = aspekt::api::compile_json(r#"{"definition":"","files":{"a\nb":3}}"#).unwrap_err();
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["error"]["path"], r#"files["a\nb"]"#, "{out}");
    let out = aspekt::api::compile_json(r#"{"library":"x\u202ey"}"#).unwrap_err();
    assert!(!out.contains('\u{202e}'), "{out}");
    let out = aspekt::api::compile_json(r#"{"defintion\u0000":""}"#).unwrap_err();
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["error"]["path"], r#"["defintion\0"]"#, "{out}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with(r"unknown key `defintion\0`: the keys here are `definition`"),
        "{out}"
    );
}

// ---------------------------------------------------- encoding and shape

/// Bytes that are not UTF-8 are a request error like the others, with the
/// envelope, the root path and the line; never the bytes.
#[test]
fn invalid_utf8_is_a_malformed_json_envelope() {
    let mut bytes = b"{\"answers\":{\n\"q1\":3,\n\"q".to_vec();
    bytes.extend_from_slice(&[0xc3, 0x28, 0xff]);
    bytes.extend_from_slice(b"\":1}}");
    let err = aspekt::api::text_of(&bytes).unwrap_err();
    assert_eq!(err.code, ErrorCode::MalformedJson);
    assert_eq!(err.path.as_deref(), Some("."));
    assert_eq!(
        err.message,
        "the request is not valid JSON (line 3): it is not UTF-8 text"
    );
    let out = aspekt::api::text_of_json(&bytes).unwrap_err();
    assert_eq!(out, aspekt::ErrorEnvelope::from(&err).to_json());
    // The line does not move with the answers' digits before it.
    let mut other = b"{\"answers\":{\n\"q1\":null,\n\"q".to_vec();
    other.extend_from_slice(&[0xff]);
    assert_eq!(aspekt::api::text_of_json(&other).unwrap_err(), out);
    // UTF-8 passes as it is.
    assert_eq!(aspekt::api::text_of("{}".as_bytes()).unwrap(), "{}");
}

/// A request that is not an object says so in plain words, at the root.
#[test]
fn a_request_that_is_not_an_object_is_named_at_the_root() {
    let e = who5();
    let message =
        r#"the request must be a JSON object like {"answers": {…}, "consent": {"notice": "…"}}"#;
    for json in ["[]", "42", r#""x""#, "true", "null", " [1, 2]", "-1.5"] {
        let (out, body) = envelope(&e, json);
        assert_eq!(body["code"], "invalid_request", "{json}: {out}");
        assert_eq!(body["path"], ".", "{json}: {out}");
        assert_eq!(body["message"], message, "{json}: {out}");
        assert!(!out.contains("struct"), "{out}");
        assert!(body["help"].as_str().unwrap().contains("answers"), "{out}");
    }
    // What is not JSON at all stays malformed JSON, at the root too.
    for json in ["", "x", "{"] {
        let (out, body) = envelope(&e, json);
        assert_eq!(body["code"], "malformed_json", "{json}: {out}");
        assert_eq!(body["path"], ".", "{json}: {out}");
    }
}

// ------------------------------------- the error says nothing of answers

/// Some answers to who5's items q1, q2, q4, q5 (q3 is where the errors
/// are): every valid code, and null.
fn others() -> impl Strategy<Value = Vec<Option<i64>>> {
    proptest::collection::vec(proptest::option::of(0i64..=5), 4)
}

/// A wrong value for q3 of the given kind.
fn bad_value(kind: u8, pick: u8) -> String {
    let pick = usize::from(pick);
    let pool: &[&str] = match kind {
        // Not on the scale.
        0 => &["6", "7", "9", "-1", "100", "9223372036854775807"],
        // Not a number.
        1 => &[
            r#""3""#,
            r#""very secret""#,
            "true",
            "[1]",
            "{}",
            r#"{"a":1}"#,
        ],
        // Not an integer, or beyond 64 bits.
        _ => &["1.5", "2.0", "3e0", "1e400", "99999999999999999999", "-0.5"],
    };
    pool[pick % pool.len()].to_string()
}

/// The request with q1, q2 and q4, q5 from `others`, q3 = `q3` in between,
/// and `rest` (more top-level keys) before the answers.
fn request(others: &[Option<i64>], q3: &str, rest: &str) -> String {
    let v = |i: usize| others[i].map_or_else(|| "null".to_string(), |c| c.to_string());
    let items = [
        format!(r#""q1":{}"#, v(0)),
        format!(r#""q2":{}"#, v(1)),
        format!(r#""q3":{q3}"#),
        format!(r#""q4":{}"#, v(2)),
        format!(r#""q5":{}"#, v(3)),
    ];
    format!(r#"{{{rest}"answers":{{{}}}}}"#, items.join(","))
}

/// Each error case, as (name, request) for the answers of one draw.
fn cases(others: &[Option<i64>], kind: u8, pick: u8) -> Vec<(&'static str, String)> {
    let c = format!("{CONSENT},");
    let bad = bad_value(kind, pick);
    let valid = others.iter().flatten().next().copied().unwrap_or(2);
    vec![
        // The value of q3 is wrong: out of range, a wrong type, not an integer.
        ("wrong value of q3", request(others, &bad, &c)),
        // An item the definition does not have, answered with anything.
        (
            "unknown item",
            request(others, &valid.to_string(), &c).replace(r#""q3":"#, r#""q33":"#),
        ),
        // q3 answered twice.
        (
            "repeated item",
            request(others, &valid.to_string(), &c)
                .replace(r#""q3":"#, &format!(r#""q3":{},"q3":"#, 5 - valid)),
        ),
        // Answers in a declined topic.
        (
            "answer in declined topic",
            request(others, "3", &format!(r#"{c}"declined":["wellbeing"],"#)),
        ),
        // No consent, consent to another notice.
        ("missing consent", request(others, &bad, "")),
        (
            "other consent",
            request(others, &bad, r#""consent":{"notice":"2025-01"},"#),
        ),
        (
            "unknown topic",
            request(others, &bad, &format!(r#"{c}"declined":["mood"],"#)),
        ),
        (
            "unknown locale",
            request(others, &bad, &format!(r#"{c}"locale":"fr","#)),
        ),
        (
            "unknown audience",
            request(others, &bad, &format!(r#"{c}"audience":"agency","#)),
        ),
        (
            "unknown key",
            request(others, &bad, &format!(r#"{c}"particpant":1,"#)),
        ),
        // Malformed JSON after the answers: its place moves with their digits.
        (
            "malformed JSON",
            request(others, "3", &c).replace(r#""q3":3"#, r#""q3":3,"q3" 1"#),
        ),
        ("trailing text", format!("{} x", request(others, "3", &c))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Two requests that hit the same error, with other answers and another
    /// wrong value of the same kind, give byte-identical envelopes.
    #[test]
    fn the_same_error_for_other_answers_is_the_same_bytes(
        a in others(),
        b in others(),
        kind in 0u8..3,
        pick_a in any::<u8>(),
        pick_b in any::<u8>(),
    ) {
        let e = who5();
        // The "declined" case needs every answer in that topic to be the
        // first error; answers to q1, q2 come before q3 there, so keep the
        // first answered item the same: the first is always answered.
        let (mut a, mut b) = (a, b);
        a[0] = Some(a[0].unwrap_or(1));
        b[0] = Some(b[0].unwrap_or(4));
        let one = cases(&a, kind, pick_a);
        let two = cases(&b, kind, pick_b);
        for ((name, x), (_, y)) in one.iter().zip(&two) {
            let (ex, body) = envelope(&e, x);
            let (ey, _) = envelope(&e, y);
            prop_assert_eq!(&ex, &ey, "{}: {} vs {}", name, x, y);
            prop_assert!(body["path"].is_string(), "{}: {}", name, ex);
        }
    }
}

/// The cases above are the errors they are named for (a case that stopped
/// failing would make the property vacuous).
#[test]
fn each_case_hits_its_error() {
    let e = who5();
    let others = [Some(3), None, Some(0), Some(5)];
    let expected = [
        ("invalid_code", "answers.q3"),
        ("unknown_item", "answers.q33"),
        ("invalid_request", "answers.q3"),
        ("answer_in_declined_topic", "answers.q1"),
        ("consent_required", "consent.notice"),
        ("consent_required", "consent.notice"),
        ("unknown_topic", "declined[0]"),
        ("unknown_locale", "locale"),
        ("unknown_audience", "audience"),
        ("invalid_request", "particpant"),
        ("malformed_json", "answers"),
        ("malformed_json", "."),
    ];
    let cases = cases(&others, 0, 1);
    assert_eq!(cases.len(), expected.len());
    for ((name, request), (code, path)) in cases.iter().zip(expected) {
        let (out, body) = envelope(&e, request);
        assert_eq!(body["code"], code, "{name}: {request}: {out}");
        assert_eq!(body["path"], path, "{name}: {request}: {out}");
    }
    for kind in 1..3 {
        for pick in 0..6 {
            let (out, body) = envelope(&e, &cases_of(kind, pick));
            assert_eq!(body["code"], "invalid_request", "{out}");
            assert_eq!(body["path"], "answers.q3", "{out}");
            assert_eq!(
                body["message"], "the answer to item `q3` is not an integer code or null",
                "{out}"
            );
        }
    }
}

fn cases_of(kind: u8, pick: u8) -> String {
    cases(&[Some(1), Some(2), Some(3), Some(4)], kind, pick)
        .into_iter()
        .next()
        .unwrap()
        .1
}
