//! The same bad answer gets the same error from every way in: `evaluate`,
//! a `Session` and a batch (both of its paths: the flat kernel and the
//! general one). Only the help may differ, and only in how to give no
//! answer (null, the missing marker, clearing the item).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use aspekt::batch::{BatchOptions, MISSING};
use aspekt::{Answers, ErrorCode, Evaluator, Request, RequestError, Session};

/// An instrument's first item, its topic, and a code its scale lacks.
fn first_item(e: &Evaluator) -> (String, String, i64) {
    let d = e.definition();
    let item = &d.items[0];
    let topic = item
        .topic
        .as_ref()
        .map_or_else(|| d.questionnaire.id.value().clone(), |t| t.value().clone());
    let scale = d
        .scales
        .iter()
        .find(|s| s.id.value() == item.scale.value())
        .unwrap();
    let bad = scale.options.iter().map(|o| *o.code.value()).max().unwrap() + 1000;
    (item.id.value().clone(), topic, bad)
}

fn via_evaluate(e: &Evaluator, item: &str, code: i64, declined: Option<&str>) -> RequestError {
    let mut answers = Answers::new();
    answers.insert(item, code);
    let mut request = Request::new(answers);
    if let Some(notice) = e.privacy_notice() {
        request = request.with_consent(notice);
    }
    request.declined = declined.map(|t| vec![t.to_string()]).unwrap_or_default();
    e.evaluate(&request).unwrap_err()
}

fn via_session(e: &Evaluator, item: &str, code: i64, declined: Option<&str>) -> RequestError {
    let mut session = Session::new(e.clone());
    session
        .consent(e.privacy_notice().unwrap_or_default())
        .unwrap();
    if let Some(t) = declined {
        session.decline(t).unwrap();
    }
    session.answer(item, code).unwrap_err()
}

fn via_batch(e: &Evaluator, item: &str, code: i64, declined: Option<&str>) -> RequestError {
    let options = BatchOptions {
        consent: e.privacy_notice().map(str::to_string),
        threads: 1,
        ..BatchOptions::default()
    };
    // A second, empty row shows the error is the row's, not the call's.
    let codes = [i32::try_from(code).unwrap(), MISSING];
    let flags = [true, false];
    let topics = declined.map(|t| [t]);
    let declined = topics.as_ref().map(|t| (&t[..], &flags[..]));
    let batch = e
        .evaluate_batch(&[item], &codes, declined, &options)
        .unwrap();
    assert_eq!(batch.errors.len(), 1, "{}", e.id());
    assert_eq!(batch.errors[0].row, 0);
    batch.errors[0].error.clone()
}

/// Code, message and path agree; the help agrees up to its last clause.
fn assert_same(e: &Evaluator, errors: &[(&str, RequestError)], code: ErrorCode) {
    let (_, first) = &errors[0];
    assert_eq!(first.code, code, "{}: {first:?}", e.id());
    for (via, err) in errors {
        assert_eq!(err.code, first.code, "{} via {via}", e.id());
        assert_eq!(err.message, first.message, "{} via {via}", e.id());
        assert_eq!(err.path, first.path, "{} via {via}", e.id());
        let stem = |h: &Option<String>| {
            let h = h.clone().unwrap();
            h.split([';', ',', ':']).next().map(str::to_string).unwrap()
        };
        assert_eq!(stem(&err.help), stem(&first.help), "{} via {via}", e.id());
    }
}

#[test]
fn a_bad_code_gets_the_same_error_from_evaluate_session_and_batch() {
    for entry in aspekt::library::entries() {
        let e = entry.compile().unwrap();
        let (item, _, bad) = first_item(&e);
        let errors = [
            ("evaluate", via_evaluate(&e, &item, bad, None)),
            ("session", via_session(&e, &item, bad, None)),
            ("batch", via_batch(&e, &item, bad, None)),
        ];
        assert_same(&e, &errors, ErrorCode::InvalidCode);
        // The codes are listed; the rejected one is not repeated.
        let help = errors[0].1.help.clone().unwrap();
        assert!(help.starts_with("answer with one of the codes "), "{help}");
        for (_, err) in &errors {
            assert!(!err.message.contains(&bad.to_string()), "{}", err.message);
            assert!(!err.help.clone().unwrap().contains(&bad.to_string()));
        }
        // Each way in says how it gives no answer.
        assert!(
            errors[0]
                .1
                .help
                .clone()
                .unwrap()
                .ends_with("or null for no answer")
        );
        assert!(
            errors[1]
                .1
                .help
                .clone()
                .unwrap()
                .ends_with("clear the item for no answer")
        );
        assert!(
            errors[2]
                .1
                .help
                .clone()
                .unwrap()
                .ends_with("the missing marker for no answer")
        );
    }
}

#[test]
fn an_answer_in_a_declined_topic_gets_the_same_error_everywhere() {
    for entry in aspekt::library::entries() {
        let e = entry.compile().unwrap();
        let (item, topic, _) = first_item(&e);
        let d = e.definition();
        let scale = d
            .scales
            .iter()
            .find(|s| s.id.value() == d.items[0].scale.value())
            .unwrap();
        let good = *scale.options[0].code.value();
        let errors = [
            ("evaluate", via_evaluate(&e, &item, good, Some(&topic))),
            ("session", via_session(&e, &item, good, Some(&topic))),
            ("batch", via_batch(&e, &item, good, Some(&topic))),
        ];
        assert_same(&e, &errors, ErrorCode::AnswerInDeclinedTopic);
        assert!(errors[0].1.message.contains(&format!("`{topic}`")));
        // A bad code in a declined topic is about the topic, on every path.
        let (_, _, bad) = first_item(&e);
        let errors = [
            ("evaluate", via_evaluate(&e, &item, bad, Some(&topic))),
            ("session", via_session(&e, &item, bad, Some(&topic))),
            ("batch", via_batch(&e, &item, bad, Some(&topic))),
        ];
        assert_same(&e, &errors, ErrorCode::AnswerInDeclinedTopic);
    }
}
