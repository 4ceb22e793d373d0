//! The `Session` API: consent first, answering over time, declining and
//! reopening topics, withdrawal, and reports identical to `evaluate`.
//!
//! Each test guards a promise of DESIGN.md (consent first, voluntary topics,
//! withdrawal, no answer leaves except through the report).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code: a failed expectation should abort the test loudly"
)]

use std::marker::PhantomData;

use aspekt::{
    Answers, ErrorCode, Evaluator, Progress, Report, Request, RequestError, Session, Source, Status,
};

const VALID: &str = include_str!("fixtures/valid.toml");
const VALID_NOTICE: &str = "2026-01";

fn valid() -> Evaluator {
    aspekt::compile(&Source::new("valid.toml", VALID)).unwrap_or_else(|e| panic!("{e}"))
}

fn who5() -> Evaluator {
    aspekt::library::load("who5").unwrap()
}

fn consented(e: &Evaluator) -> Session {
    let mut s = Session::new(e.clone());
    s.consent(e.privacy_notice().unwrap()).unwrap();
    s
}

fn err<T: std::fmt::Debug>(r: Result<T, RequestError>) -> RequestError {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e,
    }
}

fn assert_code<T: std::fmt::Debug>(r: Result<T, RequestError>, code: ErrorCode) -> RequestError {
    let e = err(r);
    assert_eq!(e.code, code, "{e}");
    assert!(!e.message.is_empty(), "{e}");
    assert!(e.help.as_deref().is_some_and(|h| !h.is_empty()), "{e}");
    e
}

fn report_of(e: &Evaluator, r: &Request) -> Report {
    e.evaluate(r).unwrap_or_else(|err| panic!("{err}"))
}

fn outcome(report: &Report, result: &str) -> (Status, Option<String>) {
    let r = report
        .results
        .iter()
        .find(|r| r.id == result)
        .unwrap_or_else(|| panic!("no result {result} in {report:?}"));
    (r.status, r.band.as_ref().map(|b| b.id.clone()))
}

/// Every call of a session that must be refused in its current state, by name.
fn every_call(s: &mut Session) -> Vec<(&'static str, Result<(), RequestError>)> {
    vec![
        ("answer", s.answer("m1", 2)),
        ("clear", s.clear("m1")),
        ("decline", s.decline("mood")),
        ("reopen", s.reopen("mood")),
        ("set_locale", s.set_locale("en")),
        ("set_audience", s.set_audience("counsellor")),
        ("progress", s.progress().map(|_| ())),
        ("finish", s.finish().map(|_| ())),
    ]
}

// ------------------------------------------------------------------ flow

#[test]
fn whole_flow_gives_the_report_evaluate_gives() {
    let e = valid();
    let mut s = Session::new(e.clone());
    s.consent(VALID_NOTICE).unwrap();
    assert_eq!(
        s.progress().unwrap(),
        Progress {
            answered: 0,
            total: 5,
            open: 5,
            declined_topics: 0,
            topics: 2
        }
    );
    s.answer("m1", 1).unwrap();
    s.answer("m2", 4).unwrap();
    s.answer("m3", 2).unwrap();
    s.answer("w1", 3).unwrap();
    s.answer("w2", 0).unwrap();
    // Change an answer and take one back.
    s.answer("m1", 3).unwrap();
    s.clear("w2").unwrap();
    s.set_locale("en").unwrap();
    s.set_audience("counsellor").unwrap();
    assert_eq!(s.progress().unwrap().answered, 4);

    let mut answers = Answers::new();
    answers.insert("m1", 3);
    answers.insert("m2", 4);
    answers.insert("m3", 2);
    answers.insert("w1", 3);
    let request = Request::new(answers)
        .with_consent(VALID_NOTICE)
        .with_locale("en")
        .with_audience("counsellor");
    let expected = report_of(&e, &request);
    let got = s.finish().unwrap();
    assert_eq!(got.to_json(), expected.to_json());
    assert_eq!(got, expected);
    assert_eq!(got.audience, "counsellor");
    assert_eq!(got.locale, "en");

    // Finishing does not end the session; finishing again without changes
    // gives the same bytes.
    assert_eq!(s.finish().unwrap().to_json(), expected.to_json());
}

#[test]
fn defaults_are_those_of_evaluate() {
    let e = who5();
    let mut s = consented(&e);
    for (i, c) in [0, 5, 3, 2, 4].into_iter().enumerate() {
        s.answer(&format!("q{}", i + 1), c).unwrap();
    }
    let mut answers = Answers::new();
    for (i, c) in [0, 5, 3, 2, 4].into_iter().enumerate() {
        answers.insert(format!("q{}", i + 1), c);
    }
    let expected = report_of(&e, &Request::new(answers).with_consent("2026-11"));
    let got = s.finish().unwrap();
    assert_eq!(got.to_json(), expected.to_json());
    assert_eq!(got.audience, "participant");
    assert_eq!(got.locale, "de");
}

/// Many answer sequences over the fixture: the session's report equals the
/// report of the request holding the final state, byte for byte.
#[test]
fn report_equals_evaluate_for_many_sequences() {
    let e = valid();
    let items = ["m1", "m2", "m3", "w1", "w2"];
    let codes: [&[i64]; 5] = [
        &[1, 2, 3, 4],
        &[1, 2, 3, 4],
        &[1, 2, 3, 4],
        &[0, 1, 2, 3],
        &[0, 1, 2, 3],
    ];
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    };
    for _ in 0..300 {
        let mut s = consented(&e);
        let mut state: [Option<i64>; 5] = [None; 5];
        let mut declined = [false; 2];
        for _ in 0..12 {
            let i = next(5) as usize;
            let topic = usize::from(i >= 3);
            match next(6) {
                0..=2 => {
                    let c = codes[i][next(codes[i].len() as u64) as usize];
                    let r = s.answer(items[i], c);
                    if declined[topic] {
                        assert_code(r, ErrorCode::AnswerInDeclinedTopic);
                    } else {
                        r.unwrap();
                        state[i] = Some(c);
                    }
                }
                3 => {
                    s.clear(items[i]).unwrap();
                    state[i] = None;
                }
                4 => {
                    s.decline(["mood", "work"][topic]).unwrap();
                    declined[topic] = true;
                    for (j, v) in state.iter_mut().enumerate() {
                        if usize::from(j >= 3) == topic {
                            *v = None;
                        }
                    }
                }
                _ => {
                    s.reopen(["mood", "work"][topic]).unwrap();
                    declined[topic] = false;
                }
            }
        }
        let audience = ["participant", "counsellor", "agency"][next(3) as usize];
        let locale = ["de", "en"][next(2) as usize];
        s.set_audience(audience).unwrap();
        s.set_locale(locale).unwrap();
        let mut answers = Answers::new();
        for (i, v) in state.iter().enumerate() {
            if let Some(c) = v {
                answers.insert(items[i], *c);
            }
        }
        let mut request = Request::new(answers)
            .with_consent(VALID_NOTICE)
            .with_audience(audience)
            .with_locale(locale);
        for (t, d) in ["mood", "work"].iter().zip(declined) {
            if d {
                request = request.decline(*t);
            }
        }
        assert_eq!(
            s.finish().unwrap().to_json(),
            report_of(&e, &request).to_json()
        );
        let p = s.progress().unwrap();
        assert_eq!(p.answered, state.iter().flatten().count());
        assert_eq!(p.declined_topics, declined.iter().filter(|d| **d).count());
    }
}

// ------------------------------------------------------------------ consent

#[test]
fn nothing_before_consent() {
    let e = valid();
    let mut s = Session::new(e);
    for (name, r) in every_call(&mut s) {
        let e = assert_code(r, ErrorCode::ConsentRequired);
        assert!(e.message.contains("2026-01"), "{name}: {e}");
    }
}

#[test]
fn consent_to_another_notice_is_refused_and_changes_nothing() {
    let e = valid();
    let mut s = Session::new(e);
    let r = assert_code(s.consent("2025-01"), ErrorCode::ConsentRequired);
    assert_eq!(r.path.as_deref(), Some("consent.notice"));
    assert!(r.message.contains("2026-01"), "{r}");
    for (name, r) in every_call(&mut s) {
        assert_eq!(err(r).code, ErrorCode::ConsentRequired, "{name}");
    }
    // Consenting properly afterwards works; a later wrong consent does not
    // revoke it.
    s.consent(VALID_NOTICE).unwrap();
    s.answer("m1", 2).unwrap();
    assert_code(s.consent("2025-01"), ErrorCode::ConsentRequired);
    assert_eq!(s.progress().unwrap().answered, 1);
    s.consent(VALID_NOTICE).unwrap();
    assert_eq!(s.progress().unwrap().answered, 1);
}

#[test]
fn a_definition_without_notice_accepts_any_consent_but_still_requires_one() {
    let text = VALID.replace("privacy_notice = \"2026-01\"\n", "");
    let e = aspekt::compile(&Source::new("valid.toml", &text)).unwrap();
    assert_eq!(e.privacy_notice(), None);
    let mut s = Session::new(e.clone());
    assert_code(s.answer("m1", 2), ErrorCode::ConsentRequired);
    assert_code(s.finish(), ErrorCode::ConsentRequired);
    s.consent("whatever the host showed").unwrap();
    s.answer("m1", 2).unwrap();
    let mut answers = Answers::new();
    answers.insert("m1", 2);
    assert_eq!(
        s.finish().unwrap().to_json(),
        report_of(&e, &Request::new(answers)).to_json()
    );
}

// ------------------------------------------------------------------ errors

#[test]
fn answer_errors_name_the_item_never_the_code_and_change_nothing() {
    let e = valid();
    let mut s = consented(&e);
    s.answer("m1", 2).unwrap();
    let before = s.finish().unwrap().to_json();

    let u = assert_code(s.answer("m9", 2), ErrorCode::UnknownItem);
    assert_eq!(u.path.as_deref(), Some("answers.m9"));
    assert!(u.message.contains("m9"), "{u}");
    let u = assert_code(s.clear("mm1"), ErrorCode::UnknownItem);
    assert!(u.help.unwrap().contains("m1"), "a suggestion");

    for bad in [987_654_321, -987_654_321, 0, 5, i64::MAX, i64::MIN] {
        let c = assert_code(s.answer("m1", bad), ErrorCode::InvalidCode);
        assert_eq!(c.path.as_deref(), Some("answers.m1"));
        assert!(c.message.contains("m1"), "{c}");
        if bad.unsigned_abs() > 100 {
            let shown = format!("{c} {c:?}");
            assert!(
                !shown.contains(&bad.to_string()),
                "echoes the code: {shown}"
            );
            let digits = bad.unsigned_abs().to_string();
            assert!(!shown.contains(&digits[..6]), "echoes the code: {shown}");
        }
        // The help lists the scale's codes (public), so small bad codes may
        // coincide with a listed digit; the message itself never has digits
        // beyond the item id.
        assert!(
            !c.message.chars().any(|ch| ch.is_ascii_digit() && ch != '1'),
            "{c}"
        );
    }

    s.decline("work").unwrap();
    let d = assert_code(s.answer("w1", 1), ErrorCode::AnswerInDeclinedTopic);
    assert_eq!(d.path.as_deref(), Some("answers.w1"));
    assert!(d.message.contains("work"), "{d}");

    let t = assert_code(s.decline("health"), ErrorCode::UnknownTopic);
    assert!(t.help.unwrap().contains("mood"));
    assert_code(s.reopen("health"), ErrorCode::UnknownTopic);
    let l = assert_code(s.set_locale("fr"), ErrorCode::UnknownLocale);
    assert_eq!(l.path.as_deref(), Some("locale"));
    let a = assert_code(s.set_audience("employer"), ErrorCode::UnknownAudience);
    assert_eq!(a.path.as_deref(), Some("audience"));

    // Nothing changed but the decline of `work`.
    let mut answers = Answers::new();
    answers.insert("m1", 2);
    let request = Request::new(answers)
        .with_consent(VALID_NOTICE)
        .decline("work");
    assert_eq!(
        s.finish().unwrap().to_json(),
        report_of(&e, &request).to_json()
    );
    assert_ne!(s.finish().unwrap().to_json(), before);
}

#[test]
fn codes_of_each_scale_are_checked_per_item() {
    let e = valid();
    let mut s = consented(&e);
    // `w1` uses the 0–3 scale, `m1` the 1–4 scale.
    s.answer("w1", 0).unwrap();
    assert_code(s.answer("m1", 0), ErrorCode::InvalidCode);
    s.answer("m1", 4).unwrap();
    assert_code(s.answer("w1", 4), ErrorCode::InvalidCode);
    assert_eq!(s.progress().unwrap().answered, 2);
}

// ------------------------------------------------------------------ topics

#[test]
fn decline_drops_the_topics_answers_and_reports_it_declined() {
    let e = valid();
    let mut s = consented(&e);
    for (item, code) in [("m1", 4), ("m2", 4), ("m3", 1), ("w1", 3), ("w2", 3)] {
        s.answer(item, code).unwrap();
    }
    assert_eq!(
        outcome(&s.finish().unwrap(), "mood"),
        (Status::Ok, Some("high".into()))
    );
    s.decline("mood").unwrap();
    s.decline("mood").unwrap(); // harmless twice
    assert_eq!(
        s.progress().unwrap(),
        Progress {
            answered: 2,
            total: 5,
            open: 2,
            declined_topics: 1,
            topics: 2
        }
    );
    let report = s.finish().unwrap();
    assert_eq!(outcome(&report, "mood"), (Status::Declined, None));
    assert_eq!(outcome(&report, "work"), (Status::Ok, Some("high".into())));
    // Clearing in a declined topic is harmless.
    s.clear("m1").unwrap();

    // Reopen: the topic can be answered again, but its old answers are gone.
    s.reopen("mood").unwrap();
    s.reopen("mood").unwrap(); // harmless twice
    s.reopen("work").unwrap(); // not declined: harmless
    assert_eq!(s.progress().unwrap().answered, 2);
    assert_eq!(
        outcome(&s.finish().unwrap(), "mood"),
        (Status::Insufficient, None)
    );
    s.answer("m1", 1).unwrap();
    s.answer("m2", 1).unwrap();
    assert_eq!(
        outcome(&s.finish().unwrap(), "mood"),
        (Status::Ok, Some("low".into()))
    );
}

#[test]
fn the_implicit_topic_is_named_after_the_questionnaire() {
    let e = who5();
    let mut s = consented(&e);
    s.answer("q1", 3).unwrap();
    s.decline("wellbeing").unwrap();
    let report = s.finish().unwrap();
    assert_eq!(outcome(&report, "wellbeing"), (Status::Declined, None));

    let text = VALID
        .replace("topic = \"mood\"\n", "")
        .replace("topic = \"work\"\n", "");
    let cut = text.find("[[topic]]").unwrap();
    let end = text.find("[[item]]").unwrap();
    let examples = text.find("[[example]]").unwrap();
    let text = format!("{}{}", &text[..cut], &text[end..examples]);
    let e = aspekt::compile(&Source::new("valid.toml", &text)).unwrap_or_else(|e| panic!("{e}"));
    let mut s = consented(&e);
    s.answer("w1", 2).unwrap();
    assert_code(s.decline("mood"), ErrorCode::UnknownTopic);
    s.decline("valid").unwrap();
    assert_eq!(s.progress().unwrap().answered, 0);
    let report = s.finish().unwrap();
    assert!(report.results.iter().all(|r| r.status == Status::Declined));
}

// ------------------------------------------------------------------ withdraw

#[test]
fn withdraw_refuses_every_later_call() {
    let e = valid();
    let mut s = consented(&e);
    s.answer("m1", 3).unwrap();
    s.decline("work").unwrap();
    s.withdraw();
    for (name, r) in every_call(&mut s) {
        let e = assert_code(r, ErrorCode::ConsentWithdrawn);
        assert_eq!(
            e.message, "consent was withdrawn; this session evaluates nothing more",
            "{name}"
        );
    }
    // Not even a new consent reopens it.
    let e2 = assert_code(s.consent(VALID_NOTICE), ErrorCode::ConsentWithdrawn);
    assert!(e2.message.contains("withdrawn"));
    s.withdraw(); // harmless twice
    assert_code(s.finish(), ErrorCode::ConsentWithdrawn);
    assert_eq!(
        format!("{s:?}"),
        r#"Session { state: "withdrawn", answers: <redacted> }"#
    );
}

#[test]
fn withdraw_before_consent_also_ends_the_session() {
    let mut s = Session::new(valid());
    s.withdraw();
    let e = assert_code(s.consent(VALID_NOTICE), ErrorCode::ConsentWithdrawn);
    assert!(e.message.contains("withdrawn"), "{e}");
}

// ------------------------------------------------------------------ redaction

#[test]
fn debug_shows_no_answers() {
    let e = valid();
    let mut s = Session::new(e.clone());
    assert_eq!(
        format!("{s:?}"),
        r#"Session { definition: "valid", state: "awaiting consent", answers: <redacted> }"#
    );
    s.consent(VALID_NOTICE).unwrap();
    let empty = format!("{s:?}");
    let empty_alt = format!("{s:#?}");
    for (item, code) in [("m1", 4), ("m2", 3), ("m3", 2), ("w1", 1), ("w2", 3)] {
        s.answer(item, code).unwrap();
    }
    s.decline("work").unwrap();
    // The same text whatever was answered or declined.
    assert_eq!(format!("{s:?}"), empty);
    assert_eq!(format!("{s:#?}"), empty_alt);
    assert_eq!(
        empty,
        r#"Session { definition: "valid", state: "consented", answers: <redacted> }"#
    );
    // Progress is counts only.
    let p = format!("{:?}", s.progress().unwrap());
    assert!(!p.contains("m1") && !p.contains("work"), "{p}");
}

/// Compile-time probes: `Session` has no `Serialize` and no `Clone`.
#[test]
fn session_has_no_serialize_and_no_clone() {
    trait Fallback {
        const SERIALIZE: bool = false;
        const CLONE: bool = false;
    }
    impl<T: ?Sized> Fallback for T {}
    struct Probe<T: ?Sized>(PhantomData<T>);
    #[allow(dead_code)]
    impl<T: ?Sized + serde::Serialize> Probe<T> {
        const SERIALIZE: bool = true;
    }
    #[allow(dead_code)]
    struct CloneProbe<T: ?Sized>(PhantomData<T>);
    #[allow(dead_code)]
    impl<T: Clone> CloneProbe<T> {
        const CLONE: bool = true;
    }
    const { assert!(!<Probe<Session>>::SERIALIZE) };
    const { assert!(!<Probe<Answers>>::SERIALIZE) };
    const { assert!(!<CloneProbe<Session>>::CLONE) };
    // The probes do detect the traits where they are implemented.
    const { assert!(<Probe<Report>>::SERIALIZE) };
    const { assert!(<CloneProbe<Report>>::CLONE) };
}

#[test]
fn session_is_send_and_sync() {
    fn is<T: Send + Sync>() {}
    is::<Session>();
}
