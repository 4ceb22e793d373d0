//! `strongest` results: naming the strongest of several banded results.
//!
//! Checked exhaustively on `tests/fixtures/strongest.toml` (three fields of
//! two items each, codes 1–3 or unanswered: 4,096 answer sets):
//! - the outcome equals an independent oracle computed from the source
//!   results' bands in the same report;
//! - it releases nothing beyond its sources: grouping answer sets by the
//!   whole report gives the same per-item ambiguity as grouping them by the
//!   source results alone, and the analysis reports that ambiguity.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code: a failed expectation should abort the test loudly"
)]

use std::collections::{BTreeMap, BTreeSet};

use aspekt::{Answers, Evaluator, Method, Report, Request, Source, Status};

const FIELDS: [(&str, &str); 3] = [("art", "Art"), ("care", "Care"), ("tech", "Technology")];
const BANDS: [&str; 3] = ["low", "middle", "high"];

fn fixture() -> Evaluator {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/strongest.toml");
    let text = std::fs::read_to_string(path).unwrap();
    aspekt::compile(&Source::new("strongest.toml", &text)).unwrap_or_else(|e| panic!("{e}"))
}

fn evaluate(e: &Evaluator, codes: &[Option<i64>], audience: &str) -> Report {
    let mut answers = Answers::new();
    for (i, c) in codes.iter().enumerate() {
        if let Some(c) = c {
            answers.insert(format!("q{}", i + 1), *c);
        }
    }
    let request = Request::new(answers)
        .with_consent("")
        .with_audience(audience);
    e.evaluate(&request).unwrap()
}

/// Every answer set: each of the six items unanswered or 1–3.
fn answer_sets() -> Vec<Vec<Option<i64>>> {
    let choices = [None, Some(1), Some(2), Some(3)];
    (0..4usize.pow(6))
        .map(|n| (0..6).map(|i| choices[(n / 4usize.pow(i)) % 4]).collect())
        .collect()
}

/// (status, band id, label) of one result.
fn entry(report: &Report, id: &str) -> (Status, Option<String>, String) {
    let r = report
        .results
        .iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("no result {id} in {report:?}"));
    (
        r.status,
        r.band.as_ref().map(|b| b.id.clone()),
        r.label.clone(),
    )
}

#[test]
fn the_outcome_follows_from_the_source_bands_alone() {
    let e = fixture();
    let mut seen = BTreeSet::new();
    for codes in answer_sets() {
        let report = evaluate(&e, &codes, "participant");
        // The oracle: the highest band any field reached, if at least
        // `middle`, names every field in it, in the order listed.
        let reached: Vec<(&str, usize)> = FIELDS
            .iter()
            .filter_map(|(id, title)| match entry(&report, id) {
                (Status::Ok, Some(b), _) => {
                    Some((*title, BANDS.iter().position(|x| *x == b).unwrap()))
                }
                _ => None,
            })
            .collect();
        let expected = match reached.iter().map(|(_, b)| *b).max() {
            None => (Status::Insufficient, None, "Not enough answers".to_string()),
            Some(top) if top >= 1 => (
                Status::Ok,
                Some("listed".to_string()),
                reached
                    .iter()
                    .filter(|(_, b)| *b == top)
                    .map(|(t, _)| *t)
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            Some(_) => (
                Status::Ok,
                Some("none".to_string()),
                "No field stands out".to_string(),
            ),
        };
        let got = entry(&report, "strongest");
        if expected.0 == Status::Insufficient {
            assert_eq!((got.0, got.1), (expected.0, expected.1), "{codes:?}");
        } else {
            assert_eq!(got, expected, "{codes:?}");
        }
        seen.insert(got.2);
    }
    // Every shape of the list occurs: one, two or three fields, and none.
    for label in [
        "Art",
        "Care; Technology",
        "Art; Care; Technology",
        "No field stands out",
    ] {
        assert!(seen.contains(label), "never saw {label:?} in {seen:?}");
    }
}

#[test]
fn declining_the_topic_declines_the_strongest_result() {
    let e = fixture();
    let request = Request::new(Answers::new())
        .with_consent("")
        .decline("interests");
    let report = e.evaluate(&request).unwrap();
    assert_eq!(entry(&report, "strongest").0, Status::Declined);
}

/// Per item, the fewest codes it keeps among answer sets that look the same
/// under `key` ("unanswered" is no code; an item known to be unanswered
/// reveals no code and does not count, as in the analysis).
fn min_ambiguity(sets: &[Vec<Option<i64>>], key: impl Fn(&[Option<i64>]) -> String) -> usize {
    let mut groups: BTreeMap<String, Vec<BTreeSet<Option<i64>>>> = BTreeMap::new();
    for codes in sets {
        let g = groups
            .entry(key(codes))
            .or_insert_with(|| vec![BTreeSet::new(); 6]);
        for (i, c) in codes.iter().enumerate() {
            g[i].insert(*c);
        }
    }
    groups
        .values()
        .flat_map(|g| g.iter())
        .map(|codes| codes.iter().filter(|c| c.is_some()).count())
        .filter(|&n| n > 0)
        .min()
        .unwrap()
}

#[test]
fn it_releases_nothing_beyond_its_sources() {
    let e = fixture();
    let sets = answer_sets();
    let reports: BTreeMap<Vec<Option<i64>>, Report> = sets
        .iter()
        .map(|c| (c.clone(), evaluate(&e, c, "counsellor")))
        .collect();
    let view = |codes: &[Option<i64>], with_strongest: bool| -> String {
        let report = &reports[codes];
        let mut ids: Vec<&str> = FIELDS.iter().map(|(id, _)| *id).collect();
        if with_strongest {
            ids.push("strongest");
        }
        format!(
            "{:?}",
            ids.iter().map(|id| entry(report, id)).collect::<Vec<_>>()
        )
    };
    let sources_only = min_ambiguity(&sets, |c| view(c, false));
    let whole = min_ambiguity(&sets, |c| view(c, true));
    assert_eq!(sources_only, whole, "the strongest result narrowed an item");
    assert_eq!(whole, 2);

    // The analysis says so: derived from the three fields, as ambiguous as
    // the least ambiguous of them.
    let finding = e
        .disclosure()
        .results
        .iter()
        .find(|f| f.audience == "counsellor" && f.result == "strongest")
        .unwrap();
    assert_eq!(finding.method, Method::Derived);
    assert_eq!(finding.jointly_with, ["art", "care", "tech"]);
    for o in &finding.outcomes {
        assert_eq!(o.min_ambiguity, Some(whole as u32), "{o:?}");
    }
}

#[test]
fn a_strongest_result_may_not_reach_further_than_its_sources() {
    // Released to the counsellor while `care` is the participant's alone:
    // the list would tell the counsellor whether `care` was among the
    // strongest.
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/strongest.toml");
    let text = std::fs::read_to_string(path).unwrap();
    let narrowed = text.replacen(
        "id = \"care\"\ntitle = { en = \"Care\" }\nscore = \"care\"\naudiences = [\"participant\", \"counsellor\"]",
        "id = \"care\"\ntitle = { en = \"Care\" }\nscore = \"care\"\naudiences = [\"participant\"]",
        1,
    );
    assert_ne!(narrowed, text, "the fixture changed; update this test");
    let err = aspekt::compile(&Source::new("strongest.toml", &narrowed)).unwrap_err();
    let codes: Vec<&str> = err.diagnostics().iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["strongest_source_hidden"], "{}", err.render(false));
}
