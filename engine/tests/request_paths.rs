//! The JSON path in request errors, through each entry point that reads a
//! request from JSON: `Request::from_json` (and `evaluate_json`),
//! `api::compile_json` and the locale request of `api::transparency_json`
//! and `api::form_json`.
//!
//! The paths are serde_path_to_error's format for plain keys (`answers.q2`,
//! `consent.notice`, `declined[1]`), brackets and quotes for other keys
//! (`files["b.rhai"]`), `.` for the document itself, and the enclosing
//! object for a key that could not be read; the engine writes them itself.
//! A wrong path here means an error points a host at the wrong value.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code: a failed expectation should abort the test loudly"
)]

use aspekt::{ErrorCode, Evaluator, Request, RequestError};
use serde_json::Value;

fn who5() -> Evaluator {
    aspekt::library::load("who5").unwrap()
}

/// The error of a request, checking that `evaluate_json` agrees.
fn request_err(json: &str) -> RequestError {
    let err = Request::from_json(json).unwrap_err();
    assert_eq!(who5().evaluate_json(json).unwrap_err(), err, "{json}");
    err
}

fn check(err: &RequestError, code: ErrorCode, path: Option<&str>, message: &str) {
    assert_eq!(err.code, code, "{err}");
    assert_eq!(err.path.as_deref(), path, "{err}");
    assert_eq!(err.message, message, "{err}");
    assert!(err.help.as_deref().is_some_and(|h| !h.is_empty()), "{err}");
}

/// The error envelope's body, checking it is the only thing returned.
fn body(envelope: &str) -> Value {
    let v: Value = serde_json::from_str(envelope).unwrap();
    assert_eq!(v.as_object().unwrap().len(), 1, "{envelope}");
    v["error"].clone()
}

fn check_body(body: &Value, code: &str, path: Option<&str>, message: &str) {
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["path"].as_str(), path, "{body}");
    assert_eq!(body["message"], message, "{body}");
}

fn compile_err(json: &str) -> Value {
    match aspekt::api::compile_json(json) {
        Ok((_, info)) => panic!("expected an error for {json}, got {info}"),
        Err(envelope) => body(&envelope),
    }
}

/// The locale request's error, the same from the transparency statement and
/// the form.
fn locale_err(json: &str) -> Value {
    let e = who5();
    let transparency = aspekt::api::transparency_json(&e, json);
    assert_eq!(aspekt::api::form_json(&e, json), transparency, "{json}");
    body(&transparency)
}

const SHAPE: &str = "the request does not have the expected shape: ";
const REQUEST_OBJECT: &str =
    r#"the request must be a JSON object like {"answers": {…}, "consent": {"notice": "…"}}"#;
const COMPILE_OBJECT: &str = r#"the compile request must be a JSON object like {"definition": "…", "name": "…"} or {"library": "…"}"#;
const LOCALE_OBJECT: &str = r#"the locale request must be a JSON object like {"locale": "…"}"#;
const CONSENT_OBJECT: &str = r#"`consent` must be a JSON object like {"notice": "…"}"#;

// ------------------------------------------------------------------ request

#[test]
fn request_errors_name_the_value_they_are_about() {
    let not_a_code = "the answer to item `q2` is not an integer code or null";
    for value in ["\"3\"", "true", "[1]", "{}", "1.5"] {
        let err = request_err(&format!(r#"{{"answers":{{"q1":1,"q2":{value},"q3":2}}}}"#));
        check(
            &err,
            ErrorCode::InvalidRequest,
            Some("answers.q2"),
            not_a_code,
        );
    }
    let err = request_err(r#"{"consent":{"notice":2026}}"#);
    let message = format!("{SHAPE}expected a string");
    check(
        &err,
        ErrorCode::InvalidRequest,
        Some("consent.notice"),
        &message,
    );
    let err = request_err(r#"{"declined":["wellbeing",7,"x"]}"#);
    check(
        &err,
        ErrorCode::InvalidRequest,
        Some("declined[1]"),
        &message,
    );
    let err = request_err(r#"{"locale":["de"]}"#);
    check(&err, ErrorCode::InvalidRequest, Some("locale"), &message);
    let err = request_err(r#"{"consent":{"notice":"2026-11"},"audience":1}"#);
    check(&err, ErrorCode::InvalidRequest, Some("audience"), &message);
    let err = request_err(r#"{"declined":{"wellbeing":true}}"#);
    let message = format!("{SHAPE}expected a sequence");
    check(&err, ErrorCode::InvalidRequest, Some("declined"), &message);
    let err = request_err(r#"{"consent":true}"#);
    check(
        &err,
        ErrorCode::InvalidRequest,
        Some("consent"),
        CONSENT_OBJECT,
    );
}

#[test]
fn unknown_missing_and_repeated_request_fields_are_named() {
    let err = request_err(r#"{"answers":{},"consented":true}"#);
    let message = "unknown key `consented`: the keys here are `answers`, `declined`, `consent`, `locale`, `audience`";
    check(&err, ErrorCode::InvalidRequest, Some("consented"), message);
    let err = request_err(r#"{"consent":{"notice":"2026-11","version":"1"}}"#);
    let message = "unknown key `version`: the only key here is `notice`";
    check(
        &err,
        ErrorCode::InvalidRequest,
        Some("consent.version"),
        message,
    );
    // Missing and repeated fields are errors of the object that has them.
    let err = request_err(r#"{"consent":{}}"#);
    let message = format!("{SHAPE}missing field `notice`");
    check(&err, ErrorCode::InvalidRequest, Some("consent"), &message);
    let err = request_err(r#"{"consent":{"notice":"a","notice":"b"}}"#);
    let message = format!("{SHAPE}duplicate field `notice`");
    check(&err, ErrorCode::InvalidRequest, Some("consent"), &message);
    // The request itself has the root path.
    let err = request_err(r#"{"locale":"de","locale":"en"}"#);
    let message = format!("{SHAPE}duplicate field `locale`");
    check(&err, ErrorCode::InvalidRequest, Some("."), &message);
    // A repeated answer is at its item.
    let err = request_err(r#"{"answers":{"q1":1,"q2":2,"q1":3}}"#);
    let message = "item `q1` is answered twice";
    check(&err, ErrorCode::InvalidRequest, Some("answers.q1"), message);
}

/// Malformed JSON names the value it is in when there is one, and the
/// object it is in for a key that could not be read. The message has the
/// line and the kind of error, not the column: a column moves with the
/// digits of the answers before it.
#[test]
fn malformed_request_json_is_placed_where_serde_placed_it() {
    let cases = [
        // In a value: that value's path.
        (r#"{"answers":{"q1":tru}}"#, Some("answers.q1")),
        (
            r#"{"consent":{"notice":"2026-11\u00"}}"#,
            Some("consent.notice"),
        ),
        (r#"{"declined":["a",x]}"#, Some("declined[1]")),
        // Between values of an object or array: the object or array.
        (r#"{"answers":{"q1" 3}}"#, Some("answers")),
        (r#"{"declined":["a" "b"]}"#, Some("declined")),
        (r#"{"consent":{"notice":"2026-11"}"#, Some(".")),
        // A key that cannot be read: the object it is in.
        (r#"{"answers":{q1:3}}"#, Some("answers")),
        (r#"{"consent":{"notice":"2026-11",}}"#, Some("consent")),
        (r#"{"answers" 3}"#, Some(".")),
    ];
    for (json, path) in cases {
        let err = request_err(json);
        assert_eq!(err.code, ErrorCode::MalformedJson, "{json}: {err}");
        assert_eq!(err.path.as_deref(), path, "{json}: {err}");
        assert!(
            err.message
                .starts_with("the request is not valid JSON (line 1): "),
            "{err}"
        );
        assert!(!err.message.contains("column"), "{err}");
    }
    let err = request_err("{\n\"answers\": {\n\"q1\": 3,\n\"q2\": x}}");
    assert_eq!(
        err.message,
        "the request is not valid JSON (line 4): expected value"
    );
}

// ------------------------------------------------------------------ compile

#[test]
fn compile_request_errors_name_the_value_they_are_about() {
    let message = format!("{SHAPE}expected a string");
    let b = compile_err(r#"{"definition":3}"#);
    check_body(&b, "invalid_request", Some("definition"), &message);
    let b = compile_err(r#"{"definition":"","name":"x.toml","library":{}}"#);
    check_body(&b, "invalid_request", Some("library"), &message);
    let b = compile_err(r#"{"definition":"","files":{"a.rhai":"","b.rhai":["x"]}}"#);
    check_body(&b, "invalid_request", Some(r#"files["b.rhai"]"#), &message);
    let b = compile_err(r#"{"definition":"","files":["a.rhai"]}"#);
    check_body(
        &b,
        "invalid_request",
        Some("files"),
        &format!("{SHAPE}expected a map"),
    );
    let b = compile_err(r#"{"library":"who5","version":"1"}"#);
    let message =
        "unknown key `version`: the keys here are `definition`, `name`, `library`, `files`";
    check_body(&b, "invalid_request", Some("version"), message);
    let b = compile_err(r#"{"library":"who5","library":"who5"}"#);
    check_body(
        &b,
        "invalid_request",
        Some("."),
        &format!("{SHAPE}duplicate field `library`"),
    );
    let b = compile_err("42");
    check_body(&b, "invalid_request", Some("."), COMPILE_OBJECT);
    let b = compile_err(r#"{"definition":"","files":{"a.rhai":"\x"}}"#);
    assert_eq!(b["code"], "malformed_json");
    assert_eq!(b["path"], r#"files["a.rhai"]"#);
    let b = compile_err(r#"{"definition":"","files":{"a.rhai":""]}"#);
    assert_eq!(b["code"], "malformed_json");
    assert_eq!(b["path"], "files");
}

/// Every request is one JSON object and nothing after it. serde's derived
/// structs also read an array as the fields by position; the hand-written
/// reader does not, at the top or inside (`consent`), since the contract
/// and the JSON Schema say object.
#[test]
fn every_request_is_one_json_object() {
    for array in [r#"[null,null,null,{"a.rhai":1}]"#, "[7]", " []"] {
        let b = compile_err(array);
        check_body(&b, "invalid_request", Some("."), COMPILE_OBJECT);
        assert!(
            b["help"].as_str().unwrap().contains(r#""definition""#),
            "{b}"
        );
        let b = locale_err(array);
        check_body(&b, "invalid_request", Some("."), LOCALE_OBJECT);
        assert!(b["help"].as_str().unwrap().contains(r#""locale""#), "{b}");
        let err = request_err(array);
        check(&err, ErrorCode::InvalidRequest, Some("."), REQUEST_OBJECT);
    }
    for consent in [r#"{"consent":[]}"#, r#"{"consent":["v1"]}"#] {
        let err = request_err(consent);
        check(
            &err,
            ErrorCode::InvalidRequest,
            Some("consent"),
            CONSENT_OBJECT,
        );
    }
    // Text after the object is refused by all three, not ignored.
    let b = compile_err(r#"{"library":"who5"} {"#);
    assert_eq!(b["code"], "malformed_json", "{b}");
    let b = locale_err(r#"{"locale":"de"} x"#);
    assert_eq!(b["code"], "malformed_json", "{b}");
    let err = request_err(r#"{} 1"#);
    assert_eq!(err.code, ErrorCode::MalformedJson, "{err}");
}

// ------------------------------------------------------------------- locale

#[test]
fn locale_request_errors_name_the_value_they_are_about() {
    let b = locale_err(r#"{"locale":3}"#);
    check_body(
        &b,
        "invalid_request",
        Some("locale"),
        &format!("{SHAPE}expected a string"),
    );
    let b = locale_err(r#"{"lang":"de"}"#);
    let message = "unknown key `lang`: the only key here is `locale`";
    check_body(&b, "invalid_request", Some("lang"), message);
    let b = locale_err(r#"{"locale":"de","locale":"de"}"#);
    check_body(
        &b,
        "invalid_request",
        Some("."),
        &format!("{SHAPE}duplicate field `locale`"),
    );
    let b = locale_err(r#""de""#);
    check_body(&b, "invalid_request", Some("."), LOCALE_OBJECT);
    let b = locale_err(r#"{"locale":"de"#);
    assert_eq!(b["code"], "malformed_json");
    assert_eq!(b["path"], "locale");
    // Empty input is the default locale, and a known locale works.
    let e = who5();
    let default = aspekt::api::transparency_json(&e, " ");
    assert!(!default.starts_with("{\"error\""), "{default}");
    assert_eq!(aspekt::api::transparency_json(&e, "{}"), default);
}
