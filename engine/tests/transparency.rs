//! The transparency statement and the form, through the public API.
//!
//! The statement is promise 3 of DESIGN.md: before answering, the person can
//! see who will see which result. These tests check that it names every
//! result and its audiences in every locale, says who does *not* see a
//! result, shows waivers, and that the form presents every item exactly once
//! and nothing about answers or scoring.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code: a failed expectation should abort the test loudly"
)]

use std::collections::BTreeSet;

use aspekt::model::Mode;
use aspekt::{ErrorCode, Evaluator, Source, Transparency};
use serde_json::Value;

const LIBRARY: [&str; 3] = ["who5", "brs", "gse"];
const LOCALES: [&str; 2] = ["de", "en"];
const VALID: &str = include_str!("fixtures/valid.toml");

fn lib(id: &str) -> Evaluator {
    aspekt::library::load(id).unwrap_or_else(|e| panic!("library instrument {id}: {e}"))
}

fn compile(text: &str) -> Evaluator {
    aspekt::compile(&Source::new("fixture.toml", text)).unwrap_or_else(|e| panic!("{e}"))
}

/// A small definition with one extra audience and two results.
fn fixture(extra_audience: &str, mode: &str) -> String {
    let mut items = String::new();
    for i in 1..=3 {
        items.push_str(&format!(
            "[[item]]\nid = \"q{i}\"\nscale = \"five\"\ntext = {{ de = \"Frage {i}\", en = \"Question {i}\" }}\n\n"
        ));
    }
    format!(
        r#"[questionnaire]
id = "fixture"
version = "1.0.0"
locales = ["de", "en"]
title = {{ de = "Testbogen", en = "Test form" }}
description = {{ de = "Zum Testen.", en = "For testing." }}
audiences = ["{extra_audience}"]
{mode}
[questionnaire.source]
citation = "aspekt test fixture"
licence = "CC0-1.0"

[[scale]]
id = "five"
options = [
  {{ code = 1, label = {{ de = "eins", en = "one" }} }},
  {{ code = 2, label = {{ de = "zwei", en = "two" }} }},
  {{ code = 3, label = {{ de = "drei", en = "three" }} }},
  {{ code = 4, label = {{ de = "vier", en = "four" }} }},
  {{ code = 5, label = {{ de = "fünf", en = "five" }} }},
]

{items}
[[score]]
id = "total"
items = ["q1", "q2", "q3"]
aggregate = "sum"

[[result]]
id = "shared"
title = {{ de = "Geteiltes Ergebnis", en = "Shared result" }}
score = "total"
audiences = ["participant", "counsellor", "{extra_audience}"]
[[result.band]]
id = "lower"
min = 3
max = 9
label = {{ de = "niedriger", en = "lower" }}
explanation = {{ de = "niedriger", en = "lower" }}
[[result.band]]
id = "higher"
min = 10
max = 15
label = {{ de = "höher", en = "higher" }}
explanation = {{ de = "höher", en = "higher" }}

[[result]]
id = "private"
title = {{ de = "Vertrauliches Ergebnis", en = "Confidential result" }}
score = "total"
audiences = ["participant", "counsellor"]
[[result.band]]
id = "lower"
min = 3
max = 9
label = {{ de = "niedriger", en = "lower" }}
explanation = {{ de = "niedriger", en = "lower" }}
[[result.band]]
id = "higher"
min = 10
max = 15
label = {{ de = "höher", en = "higher" }}
explanation = {{ de = "höher", en = "higher" }}
"#
    )
}

/// Two results over 30 items each that are too large to analyse jointly,
/// released under waivers.
fn waived() -> String {
    let mut s = String::from(
        r#"[questionnaire]
id = "waived"
version = "1.0.0"
locales = ["de", "en"]
title = { de = "Verzicht", en = "Waived" }
description = { de = "Zum Testen.", en = "For testing." }
[questionnaire.source]
citation = "aspekt test fixture"
licence = "CC0-1.0"

[[scale]]
id = "five"
options = [
  { code = 1, label = { de = "1", en = "1" } },
  { code = 2, label = { de = "2", en = "2" } },
  { code = 3, label = { de = "3", en = "3" } },
  { code = 4, label = { de = "4", en = "4" } },
  { code = 5, label = { de = "5", en = "5" } },
]
"#,
    );
    for i in 1..=60 {
        s.push_str(&format!(
            "[[item]]\nid = \"q{i}\"\nscale = \"five\"\ntext = {{ de = \"Frage {i}\", en = \"Question {i}\" }}\n"
        ));
    }
    let list = |from: usize, to: usize| {
        (from..=to)
            .map(|i| format!("\"q{i}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    s.push_str(&format!(
        "[[score]]\nid = \"a\"\nitems = [{}]\naggregate = \"sum\"\n[[score]]\nid = \"b\"\nitems = [{}]\naggregate = \"sum\"\n",
        list(1, 30),
        list(31, 60)
    ));
    s.push_str(
        r#"
[[result]]
id = "a-level"
title = { de = "Stufe A", en = "Level A" }
waiver = "seen together with the comparison, too large to check"
score = "a"
audiences = ["participant", "counsellor"]
[[result.band]]
id = "lower"
min = 30
max = 90
label = { de = "niedriger", en = "lower" }
explanation = { de = "niedriger", en = "lower" }
[[result.band]]
id = "higher"
min = 91
max = 150
label = { de = "höher", en = "higher" }
explanation = { de = "höher", en = "higher" }

[[result]]
id = "stronger"
title = { de = "Stärker", en = "Stronger" }
waiver = "only compares two totals of thirty items each"
scores = ["a", "b"]
audiences = ["participant", "counsellor"]
rule = """
if scores.a == () || scores.b == () { insufficient() } else if scores.a >= scores.b { "a" } else { "b" }
"""
[[result.outcome]]
id = "a"
label = { de = "A", en = "A" }
explanation = { de = "A", en = "A" }
[[result.outcome]]
id = "b"
label = { de = "B", en = "B" }
explanation = { de = "B", en = "B" }
"#,
    );
    s
}

// ------------------------------------------------------- transparency

#[test]
fn library_statements_name_every_result_and_who_sees_it() {
    for id in LIBRARY {
        let e = lib(id);
        for locale in LOCALES {
            let t = e.transparency(Some(locale)).unwrap();
            assert_eq!(t.locale, locale);
            assert_eq!(t.definition.id, id);
            assert_eq!(t.definition.digest, e.digest());
            assert_eq!(t.privacy_notice.as_deref(), Some("2026-11"));
            assert_eq!(t.mode, Mode::Questionnaire);
            assert_eq!(t.results.len(), e.definition().results.len());
            let (you, counsellor, agency) = match locale {
                "de" => (
                    "Sie selbst",
                    "Ihre Beraterin oder Ihr Berater",
                    "die Agentur für Arbeit",
                ),
                _ => ("you", "your counsellor", "the employment agency"),
            };
            for (r, def) in t.results.iter().zip(&e.definition().results) {
                let title = def.title.value().get(locale).unwrap();
                assert_eq!(&r.title, title);
                assert!(t.text.contains(title.as_str()), "{id}/{locale}: {title}");
                assert_eq!(r.seen_by, [you, counsellor], "{id}/{locale}");
                // The agency is named although the definition does not
                // declare it: it is what participants ask about first.
                assert_eq!(r.not_seen_by, [agency], "{id}/{locale}");
                assert_eq!(r.waiver, None);
            }
            for phrase in [you, counsellor, agency] {
                assert!(t.text.contains(phrase), "{id}/{locale}: {phrase}");
            }
            for paragraph in [&t.voluntary, &t.no_recommendation] {
                assert!(!paragraph.is_empty());
            }
            // The text holds the paragraphs (wrapped): compare word by word.
            let words = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
            for paragraph in [&t.answers, &t.voluntary, &t.no_recommendation] {
                assert!(words(&t.text).contains(&words(paragraph)), "{paragraph}");
            }
            assert!(t.text.contains("2026-11"));
        }
    }
}

#[test]
fn statement_wording_is_plain_and_addresses_the_person() {
    let de = lib("who5").transparency(Some("de")).unwrap();
    assert!(
        de.answers
            .starts_with("Ihre einzelnen Antworten sieht niemand")
    );
    assert!(de.answers.contains("nicht Ihre Beraterin oder Ihr Berater"));
    assert!(de.answers.contains("nicht die Agentur für Arbeit"));
    assert!(de.voluntary.contains("überspringen"));
    assert!(de.no_recommendation.contains("keine Empfehlung"));
    assert!(de.text.starts_with("Wer sieht was?"));
    assert!(
        de.text.lines().all(|l| l.chars().count() <= 76),
        "{}",
        de.text
    );

    let en = lib("who5").transparency(Some("en")).unwrap();
    assert!(
        en.answers
            .starts_with("Nobody sees your individual answers")
    );
    assert!(en.answers.contains("not your counsellor"));
    assert!(en.answers.contains("not the employment agency"));
    assert!(en.voluntary.contains("skip any topic"));
    assert!(en.no_recommendation.contains("no recommendation"));
    assert!(
        en.text.lines().all(|l| l.chars().count() <= 76),
        "{}",
        en.text
    );
}

#[test]
fn default_locale_is_the_first_declared() {
    let e = lib("who5");
    assert_eq!(
        e.transparency(None).unwrap(),
        e.transparency(Some("de")).unwrap()
    );
}

#[test]
fn statement_is_deterministic() {
    for id in LIBRARY {
        let a = lib(id).transparency(Some("en")).unwrap();
        let b = lib(id).transparency(Some("en")).unwrap();
        assert_eq!(a, b);
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&b).unwrap()
        );
    }
}

#[test]
fn agency_audience_shows_who_does_not_see_a_result() {
    let e = compile(&fixture("agency", ""));
    let t = e.transparency(Some("de")).unwrap();
    let shared = &t.results[0];
    assert_eq!(shared.id, "shared");
    assert_eq!(shared.audiences, ["participant", "counsellor", "agency"]);
    assert_eq!(
        shared.seen_by,
        [
            "Sie selbst",
            "Ihre Beraterin oder Ihr Berater",
            "die Agentur für Arbeit"
        ]
    );
    assert!(shared.not_seen_by.is_empty());
    let private = &t.results[1];
    assert_eq!(private.id, "private");
    assert_eq!(
        private.seen_by,
        ["Sie selbst", "Ihre Beraterin oder Ihr Berater"]
    );
    assert_eq!(private.not_seen_by, ["die Agentur für Arbeit"]);
    assert!(
        t.text
            .contains("Sehen es nicht: die Agentur für Arbeit und alle anderen"),
        "{}",
        t.text
    );
    assert!(
        t.text
            .contains("Sehen es:       Sie selbst, Ihre Beraterin oder Ihr Berater und die\n"),
        "{}",
        t.text
    );

    let en = e.transparency(Some("en")).unwrap();
    assert_eq!(en.results[1].not_seen_by, ["the employment agency"]);
    assert!(
        en.text
            .contains("Not seen by: the employment agency or anyone else")
    );
    assert!(
        en.text
            .contains("Seen by:     you, your counsellor and the employment agency")
    );
}

#[test]
fn the_valid_fixture_restricts_work_to_participant_and_counsellor() {
    let t = compile(VALID).transparency(Some("en")).unwrap();
    let work = t.results.iter().find(|r| r.id == "work").unwrap();
    assert_eq!(work.not_seen_by, ["the employment agency"]);
    let mood = t.results.iter().find(|r| r.id == "mood").unwrap();
    assert!(mood.seen_by.contains(&"the employment agency".to_string()));
}

#[test]
fn other_audiences_are_shown_by_their_id() {
    let e = compile(&fixture("school", ""));
    let t = e.transparency(Some("en")).unwrap();
    assert_eq!(t.results[0].seen_by, ["you", "your counsellor", "school"]);
    assert_eq!(
        t.results[1].not_seen_by,
        ["school", "the employment agency"]
    );
    assert_eq!(t.results[0].not_seen_by, ["the employment agency"]);
}

#[test]
fn waivers_and_their_reasons_are_shown() {
    let e = compile(&waived());
    for locale in LOCALES {
        let t = e.transparency(Some(locale)).unwrap();
        assert_eq!(
            t.results[0].waiver.as_deref(),
            Some("seen together with the comparison, too large to check")
        );
        assert_eq!(
            t.results[1].waiver.as_deref(),
            Some("only compares two totals of thirty items each")
        );
        let words = t.text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(words.contains("only compares two totals of thirty items each"));
        assert!(words.contains("seen together with the comparison, too large to check"));
        let note = if locale == "de" { "Hinweis:" } else { "Note:" };
        assert_eq!(t.text.matches(note).count(), 2, "{}", t.text);
    }
    // Without a waiver in force, no note.
    let plain = lib("who5").transparency(Some("de")).unwrap();
    assert!(!plain.text.contains("Hinweis:"));
}

#[test]
fn interview_mode_says_answers_are_chosen_together() {
    let e = compile(&fixture("agency", "mode = \"interview\""));
    assert_eq!(e.mode(), Mode::Interview);
    let de = e.transparency(Some("de")).unwrap();
    assert_eq!(de.mode, Mode::Interview);
    assert!(
        de.answers
            .contains("gemeinsam mit Ihrer Beraterin oder Ihrem Berater")
    );
    assert!(de.answers.contains("Sie beide sehen sie"));
    let en = e.transparency(Some("en")).unwrap();
    assert!(en.answers.contains("together with your counsellor"));
    assert!(en.answers.contains("You both see them"));
    // The agency sees a result: the statement says it was checked for it.
    assert!(de.answers.contains("Wer sonst ein Ergebnis sieht"));
    assert!(en.answers.contains("Anyone else who sees a result"));
    let shared = en.results.iter().find(|r| r.id == "shared").unwrap();
    assert!(shared.audiences.iter().any(|a| a == "agency"));
    let agency = e
        .disclosure()
        .results
        .iter()
        .filter(|f| f.audience == "agency")
        .collect::<Vec<_>>();
    assert!(!agency.is_empty());
    assert!(
        agency.iter().all(|f| f.method == aspekt::Method::Exact),
        "{agency:?}"
    );
}

#[test]
fn interview_mode_for_the_two_alone_says_nobody_else_sees_anything() {
    let text = fixture("agency", "mode = \"interview\"").replace(
        "audiences = [\"participant\", \"counsellor\", \"agency\"]",
        "audiences = [\"participant\", \"counsellor\"]",
    );
    let en = compile(&text).transparency(Some("en")).unwrap();
    assert!(en.answers.contains("Nobody else does"));
    assert!(!en.answers.contains("Anyone else who sees a result"));
}

#[test]
fn unknown_locale_is_an_error() {
    let e = lib("who5");
    for err in [
        e.transparency(Some("fr")).unwrap_err(),
        e.form(Some("fr")).unwrap_err(),
    ] {
        assert_eq!(err.code, ErrorCode::UnknownLocale);
        assert_eq!(err.path.as_deref(), Some("locale"));
        assert!(err.message.contains("`fr`"));
    }
}

#[test]
fn several_statements_render_as_one() {
    let statements: Vec<Transparency> = LIBRARY
        .iter()
        .map(|id| lib(id).transparency(Some("de")).unwrap())
        .collect();
    let text = Transparency::render(&statements);
    assert!(text.starts_with("Wer sieht was?\n"));
    for s in &statements {
        assert!(text.contains(&s.title));
        for r in &s.results {
            assert!(text.contains(&r.title));
        }
    }
    // Shared paragraphs appear once.
    assert_eq!(text.matches("Freiwillig").count(), 1);
    assert_eq!(text.matches("Ihre einzelnen Antworten").count(), 1);
    assert_eq!(text.matches("2026-11").count(), 1);
    assert_eq!(Transparency::render(&statements[..1]), statements[0].text);
    assert_eq!(Transparency::render(&[]), "");
}

// ---------------------------------------------------------------- form

#[test]
fn form_lists_every_item_and_option_once_in_order() {
    for id in LIBRARY {
        let e = lib(id);
        let def = e.definition();
        for locale in LOCALES {
            let form = e.form(Some(locale)).unwrap();
            assert_eq!(form.id, id);
            assert_eq!(form.version, e.version());
            assert_eq!(form.digest, e.digest());
            assert_eq!(form.locale, locale);
            assert_eq!(form.locales, e.locales());
            assert_eq!(form.privacy_notice.as_deref(), Some("2026-11"));
            assert_eq!(
                form.title,
                *def.questionnaire.title.value().get(locale).unwrap()
            );
            assert_eq!(
                form.description,
                *def.questionnaire.description.value().get(locale).unwrap()
            );
            assert_eq!(form.mode, Mode::Questionnaire);
            assert!(form.minutes.is_some());
            let topic_ids: Vec<&str> = form.topics.iter().map(|t| t.id.as_str()).collect();
            let declared: Vec<&str> = def.topics.iter().map(|t| t.id.value().as_str()).collect();
            assert_eq!(topic_ids, declared);
            let items: Vec<_> = form.topics.iter().flat_map(|t| &t.items).collect();
            assert_eq!(items.len(), def.items.len(), "{id}: every item once");
            for (item, d) in items.iter().zip(&def.items) {
                assert_eq!(item.id, *d.id.value(), "{id}: definition order");
                assert_eq!(item.text, *d.text.value().get(locale).unwrap());
                let scale = def
                    .scales
                    .iter()
                    .find(|s| s.id.value() == d.scale.value())
                    .unwrap();
                let codes: Vec<i64> = item.options.iter().map(|o| o.code).collect();
                let expected: Vec<i64> = scale.options.iter().map(|o| *o.code.value()).collect();
                assert_eq!(codes, expected, "{id}/{}: presentation order", item.id);
                let unique: BTreeSet<i64> = codes.iter().copied().collect();
                assert_eq!(unique.len(), codes.len());
                for (o, so) in item.options.iter().zip(scale.options.iter()) {
                    assert_eq!(o.label, *so.label.value().get(locale).unwrap());
                }
            }
        }
    }
}

#[test]
fn form_holds_no_answers_and_nothing_about_scoring() {
    fn keys(v: &Value, out: &mut BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    out.insert(k.clone());
                    keys(v, out);
                }
            }
            Value::Array(a) => a.iter().for_each(|v| keys(v, out)),
            _ => {}
        }
    }
    let mut all = BTreeSet::new();
    for id in LIBRARY {
        let form = lib(id).form(Some("en")).unwrap();
        keys(&serde_json::to_value(&form).unwrap(), &mut all);
    }
    keys(
        &serde_json::to_value(compile(VALID).form(None).unwrap()).unwrap(),
        &mut all,
    );
    let allowed: BTreeSet<String> = [
        "id",
        "version",
        "digest",
        "locale",
        "locales",
        "title",
        "description",
        "instructions",
        "mode",
        "privacy_notice",
        "minutes",
        "topics",
        "items",
        "text",
        "options",
        "code",
        "label",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(all, allowed, "the form has exactly these keys");
}

#[test]
fn form_of_a_definition_without_topics_has_one_implicit_topic() {
    let text = fixture("agency", "");
    let e = compile(&text);
    assert!(e.definition().topics.is_empty());
    let form = e.form(Some("en")).unwrap();
    assert_eq!(form.topics.len(), 1);
    assert_eq!(form.topics[0].id, "fixture");
    assert_eq!(form.topics[0].title, "Test form");
    let ids: Vec<&str> = form.topics[0].items.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, ["q1", "q2", "q3"]);
    assert_eq!(form.topics[0].items[0].options[4].label, "five");
    assert_eq!(form.instructions, None);
    assert_eq!(form.privacy_notice, None);
    assert_eq!(form.minutes, None);
}

#[test]
fn form_topics_carry_their_description() {
    let form = compile(VALID).form(Some("de")).unwrap();
    assert_eq!(form.topics[0].id, "mood");
    assert_eq!(
        form.topics[0].description.as_deref(),
        Some("Wie es Ihnen geht.")
    );
    assert_eq!(form.topics[1].description, None);
    assert_eq!(form.instructions.as_deref(), Some("Bitte kreuzen Sie an."));
    assert_eq!(form.minutes, Some(3));
}

#[test]
fn declining_every_form_topic_is_a_valid_request() {
    // The form's topic ids are what a request declines.
    for id in LIBRARY {
        let e = lib(id);
        let form = e.form(None).unwrap();
        let mut request = aspekt::Request::new(aspekt::Answers::new()).with_consent("2026-11");
        for t in &form.topics {
            request = request.decline(t.id.clone());
        }
        let report = e.evaluate(&request).unwrap();
        assert!(
            report
                .results
                .iter()
                .all(|r| r.status == aspekt::Status::Declined)
        );
    }
}
