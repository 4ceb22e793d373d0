//! Property tests over the library instruments.
//!
//! For every instrument of `aspekt::library`, random requests (each item
//! unanswered, null or answered with a random code of its scale; random
//! topics declined; random audience and locale) must give a report that
//!
//! - is exactly what an independent re-implementation of the declared
//!   scoring predicts (status, band, texts, audience filter, order);
//! - never contains an item id, item text or option label;
//! - is byte-identical when evaluated twice, when the answers come in
//!   another order, and whether it is built through the Rust API or parsed
//!   from JSON (`evaluate_json` = `evaluate(…).to_json()`).
//!
//! Plus: arbitrary input never panics, errors never echo an answer code, and
//! every released band leaves every item ambiguous among at least two codes
//! (the disclosure guarantee, checked independently of the compiler).
//!
//! The instrument model is read from `serde_json::to_value(definition())`,
//! the canonical form, so these tests do not depend on Rust field types.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code: a failed expectation should abort the test loudly"
)]

use std::collections::{BTreeMap, BTreeSet};

use aspekt::{Answers, ErrorCode, Evaluator, Request};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Value, json};

/// Cases per instrument and property.
const CASES: u32 = 256;

// ------------------------------------------------------------------ model

/// One item as the oracle needs it.
#[derive(Debug)]
struct ItemM {
    id: String,
    topic: usize,
    codes: Vec<i64>,
    reverse: bool,
    weight: f64,
}

/// A declarative score (`aggregate` = sum or mean).
#[derive(Debug)]
struct ScoreM {
    items: Vec<usize>,
    mean: bool,
    min_answered: usize,
    prorate: bool,
    multiply: f64,
    add: f64,
    round: Option<i32>,
}

#[derive(Debug)]
struct BandM {
    id: String,
    min: f64,
    max: f64,
    label: BTreeMap<String, String>,
    explanation: BTreeMap<String, String>,
}

#[derive(Debug)]
struct ResultM {
    id: String,
    audiences: Vec<String>,
    /// `None` for results the oracle does not model (e.g. scripted rules).
    banded: Option<(ScoreM, Vec<BandM>)>,
}

/// What the oracle knows about an instrument.
struct Model {
    id: String,
    evaluator: Evaluator,
    items: Vec<ItemM>,
    topics: Vec<String>,
    audiences: Vec<String>,
    locales: Vec<String>,
    results: Vec<ResultM>,
    /// Neutral (label, explanation) per locale, from reports.
    declined: BTreeMap<String, (String, String)>,
    insufficient: BTreeMap<String, (String, String)>,
    /// Texts that must never appear in a report: item texts and option
    /// labels in every locale (minus any that a released text contains
    /// anyway, which would make the check meaningless).
    forbidden: Vec<String>,
}

fn text_map(v: &Value) -> BTreeMap<String, String> {
    v.as_object()
        .unwrap_or_else(|| panic!("a text is an object: {v}"))
        .iter()
        .map(|(k, t)| (k.clone(), t.as_str().unwrap().to_string()))
        .collect()
}

fn arr(v: &Value) -> &[Value] {
    v.as_array().map_or(&[], Vec::as_slice)
}

fn string(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string: {v}"))
        .to_string()
}

impl Model {
    fn of(evaluator: Evaluator) -> Model {
        let def = serde_json::to_value(evaluator.definition()).unwrap();
        let q = &def["questionnaire"];
        let id = string(&q["id"]);
        let topics: Vec<String> = if arr(&def["topic"]).is_empty() {
            vec![id.clone()]
        } else {
            arr(&def["topic"])
                .iter()
                .map(|t| string(&t["id"]))
                .collect()
        };
        let scales: BTreeMap<String, &Value> = arr(&def["scale"])
            .iter()
            .map(|s| (string(&s["id"]), s))
            .collect();
        let mut forbidden = Vec::new();
        let mut items = Vec::new();
        for it in arr(&def["item"]) {
            let scale = scales[&string(&it["scale"])];
            let mut codes: Vec<i64> = arr(&scale["options"])
                .iter()
                .map(|o| o["code"].as_i64().unwrap())
                .collect();
            codes.sort_unstable();
            for o in arr(&scale["options"]) {
                forbidden.extend(text_map(&o["label"]).into_values());
            }
            forbidden.extend(text_map(&it["text"]).into_values());
            let topic = match it["topic"].as_str() {
                Some(t) => topics.iter().position(|x| x == t).unwrap(),
                None => 0,
            };
            items.push(ItemM {
                id: string(&it["id"]),
                topic,
                codes,
                reverse: it["reverse"].as_bool().unwrap_or(false),
                weight: it["weight"].as_f64().unwrap_or(1.0),
            });
        }
        let item_index: BTreeMap<&str, usize> = items
            .iter()
            .enumerate()
            .map(|(i, it)| (it.id.as_str(), i))
            .collect();
        let scores: BTreeMap<String, &Value> = arr(&def["score"])
            .iter()
            .map(|s| (string(&s["id"]), s))
            .collect();
        let mut results = Vec::new();
        let mut released_texts = Vec::new();
        for r in arr(&def["result"]) {
            let bands: Vec<BandM> = arr(&r["band"])
                .iter()
                .map(|b| BandM {
                    id: string(&b["id"]),
                    min: b["min"].as_f64().unwrap(),
                    max: b["max"].as_f64().unwrap(),
                    label: text_map(&b["label"]),
                    explanation: text_map(&b["explanation"]),
                })
                .collect();
            for b in &bands {
                released_texts.extend(b.label.values().cloned());
                released_texts.extend(b.explanation.values().cloned());
            }
            for o in arr(&r["outcome"]) {
                released_texts.extend(text_map(&o["label"]).into_values());
                released_texts.extend(text_map(&o["explanation"]).into_values());
            }
            let score = r["score"]
                .as_str()
                .and_then(|s| scores.get(s))
                .and_then(|s| score_model(s, &item_index));
            results.push(ResultM {
                id: string(&r["id"]),
                audiences: arr(&r["audiences"]).iter().map(string).collect(),
                banded: score.filter(|_| !bands.is_empty()).map(|s| (s, bands)),
            });
        }
        let locales = evaluator.locales().to_vec();
        let audiences = evaluator.audiences().to_vec();
        // Neutral texts, as the engine words them, from two reference reports.
        let mut declined = BTreeMap::new();
        let mut insufficient = BTreeMap::new();
        let notice = evaluator.privacy_notice().map(str::to_string);
        for l in &locales {
            let mut req = Request::new(Answers::new()).with_locale(l.clone());
            if let Some(n) = &notice {
                req = req.with_consent(n.clone());
            }
            let empty = evaluator.evaluate(&req).unwrap();
            if let Some(r) = empty
                .results
                .iter()
                .find(|r| r.status == aspekt::Status::Insufficient)
            {
                insufficient.insert(l.clone(), (r.label.clone(), r.explanation.clone()));
            } else {
                assert_eq!(
                    evaluator.mode(),
                    aspekt::model::Mode::Interview,
                    "an empty request leaves some result insufficient"
                );
            }
            for t in &topics {
                req = req.decline(t.clone());
            }
            let all_declined = evaluator.evaluate(&req).unwrap();
            let r = &all_declined.results[0];
            assert_eq!(r.status, aspekt::Status::Declined);
            declined.insert(l.clone(), (r.label.clone(), r.explanation.clone()));
        }
        for (a, b) in declined.values().chain(insufficient.values()) {
            released_texts.push(a.clone());
            released_texts.push(b.clone());
        }
        forbidden.sort();
        forbidden.dedup();
        forbidden.retain(|f| !released_texts.iter().any(|t| t.contains(f.as_str())));
        Model {
            id,
            evaluator,
            items,
            topics,
            audiences,
            locales,
            results,
            declined,
            insufficient,
            forbidden,
        }
    }

    fn codes(&self, item: usize) -> &[i64] {
        &self.items[item].codes
    }
}

fn score_model(s: &Value, item_index: &BTreeMap<&str, usize>) -> Option<ScoreM> {
    let mean = match s["aggregate"].as_str()? {
        "sum" => false,
        "mean" => true,
        _ => return None,
    };
    if !s["rule"].is_null() || !s.get("rule_file").is_none_or(Value::is_null) {
        return None;
    }
    let items: Vec<usize> = arr(&s["items"])
        .iter()
        .map(|i| item_index[i.as_str().unwrap()])
        .collect();
    let n = items.len();
    let m = &s["missing"];
    let min_answered = match (m["min_answered"].as_u64(), m["max_missing"].as_u64()) {
        (Some(k), _) => k as usize,
        (None, Some(k)) => n - k as usize,
        (None, None) => n,
    };
    Some(ScoreM {
        items,
        mean,
        min_answered,
        prorate: m["prorate"].as_bool().unwrap_or(false),
        multiply: s["transform"]["multiply"].as_f64().unwrap_or(1.0),
        add: s["transform"]["add"].as_f64().unwrap_or(0.0),
        round: s["round"].as_u64().map(|d| d as i32),
    })
}

// ----------------------------------------------------------------- oracle

/// The score's final value from its answered items, as the format defines
/// it: keyed (reverse: min + max − code), weighted, summed or averaged,
/// prorated, transformed, rounded half away from zero.
fn finish(
    score: &ScoreM,
    answered: usize,
    weight_answered: f64,
    sum: f64,
    weight_total: f64,
) -> f64 {
    let all = answered == score.items.len();
    let base = if score.mean {
        sum / weight_answered
    } else if all || !score.prorate {
        sum
    } else {
        sum / weight_answered * weight_total
    };
    let v = base * score.multiply + score.add;
    match score.round {
        Some(d) => {
            let f = 10f64.powi(d);
            (v * f).round() / f
        }
        None => v,
    }
}

fn keyed(item: &ItemM, code: i64) -> f64 {
    let c = if item.reverse {
        item.codes[0] + item.codes[item.codes.len() - 1] - code
    } else {
        code
    };
    item.weight * c as f64
}

#[derive(Debug, PartialEq)]
enum Predicted {
    Declined,
    Insufficient,
    Band(usize),
}

fn predict(
    m: &Model,
    score: &ScoreM,
    bands: &[BandM],
    values: &[Option<i64>],
    declined: &[bool],
) -> Predicted {
    let topic = m.items[score.items[0]].topic;
    if declined[topic] {
        return Predicted::Declined;
    }
    let (mut answered, mut wa, mut sum, mut wt) = (0, 0.0, 0.0, 0.0);
    for &i in &score.items {
        wt += m.items[i].weight;
        if let Some(c) = values[i] {
            answered += 1;
            wa += m.items[i].weight;
            sum += keyed(&m.items[i], c);
        }
    }
    if answered == 0 || answered < score.min_answered {
        return Predicted::Insufficient;
    }
    let v = finish(score, answered, wa, sum, wt);
    let b = bands
        .iter()
        .position(|b| b.min <= v && v <= b.max)
        .unwrap_or_else(|| panic!("{}: value {v} is in no band", m.id));
    Predicted::Band(b)
}

// --------------------------------------------------------------- requests

/// A generated request, kept as plain data so a failure prints it.
#[derive(Clone, Debug)]
struct Case {
    /// Per item: `None` = unanswered, `Some(i)` = the i-th code of its scale.
    answers: Vec<Option<Index>>,
    /// For unanswered items: write `null` instead of leaving the item out.
    nulls: Vec<bool>,
    declined: Vec<bool>,
    audience: Option<usize>,
    locale: Option<usize>,
}

fn case_strategy(m: &Model) -> impl Strategy<Value = Case> {
    let n = m.items.len();
    let topics = m.topics.len();
    let audiences = m.audiences.len();
    let locales = m.locales.len();
    // How often items are left unanswered: never, sometimes, often.
    let miss_rate = prop_oneof![Just(0u8), Just(25u8), Just(110u8)];
    let per_item = proptest::collection::vec((any::<Index>(), any::<u8>(), any::<bool>()), n);
    let declined = proptest::collection::vec(any::<u8>(), topics);
    (
        miss_rate,
        per_item,
        declined,
        proptest::option::of(0..audiences),
        proptest::option::of(0..locales),
    )
        .prop_map(move |(rate, items, declined, audience, locale)| Case {
            answers: items
                .iter()
                .map(|(idx, roll, _)| (*roll >= rate).then_some(*idx))
                .collect(),
            nulls: items.iter().map(|(_, _, null)| *null).collect(),
            declined: declined.iter().map(|d| *d < 40).collect(),
            audience,
            locale,
        })
}

impl Case {
    /// Item values, with the answers of declined topics removed.
    fn values(&self, m: &Model) -> Vec<Option<i64>> {
        self.answers
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let codes = m.codes(i);
                a.filter(|_| !self.declined[m.items[i].topic])
                    .map(|k| codes[k.index(codes.len())])
            })
            .collect()
    }

    fn request(&self, m: &Model) -> Request {
        let mut answers = Answers::new();
        for (i, v) in self.values(m).iter().enumerate() {
            match v {
                Some(c) => answers.insert(m.items[i].id.clone(), *c),
                None if self.nulls[i] => answers.clear(&m.items[i].id),
                None => {}
            }
        }
        let mut req = Request::new(answers);
        if let Some(n) = m.evaluator.privacy_notice() {
            req = req.with_consent(n);
        }
        for (t, d) in m.topics.iter().zip(&self.declined) {
            if *d {
                req = req.decline(t.clone());
            }
        }
        if let Some(a) = self.audience {
            req = req.with_audience(m.audiences[a].clone());
        }
        if let Some(l) = self.locale {
            req = req.with_locale(m.locales[l].clone());
        }
        req
    }

    /// The same request as JSON text; `reversed` writes answers and
    /// declines in reverse order and the top-level keys in another order.
    fn json(&self, m: &Model, reversed: bool) -> String {
        let q = |s: &str| serde_json::to_string(s).unwrap();
        let mut answers: Vec<String> = self
            .values(m)
            .iter()
            .enumerate()
            .filter_map(|(i, v)| match v {
                Some(c) => Some(format!("{}:{c}", q(&m.items[i].id))),
                None if self.nulls[i] => Some(format!("{}:null", q(&m.items[i].id))),
                None => None,
            })
            .collect();
        let mut declined: Vec<String> = m
            .topics
            .iter()
            .zip(&self.declined)
            .filter(|(_, d)| **d)
            .map(|(t, _)| q(t))
            .collect();
        if reversed {
            answers.reverse();
            declined.reverse();
        }
        let mut fields = vec![
            format!("\"answers\":{{{}}}", answers.join(",")),
            format!("\"declined\":[{}]", declined.join(",")),
        ];
        if let Some(n) = m.evaluator.privacy_notice() {
            fields.push(format!("\"consent\":{{\"notice\":{}}}", q(n)));
        }
        if let Some(a) = self.audience {
            fields.push(format!("\"audience\":{}", q(&m.audiences[a])));
        }
        if let Some(l) = self.locale {
            fields.push(format!("\"locale\":{}", q(&m.locales[l])));
        }
        if reversed {
            fields.reverse();
            format!("{{ {} }}\n", fields.join(" ,\n "))
        } else {
            format!("{{{}}}", fields.join(","))
        }
    }

    /// The report the oracle expects, as JSON.
    fn expected(&self, m: &Model) -> Value {
        let values = self.values(m);
        let locale = self.locale.map_or(&m.locales[0], |l| &m.locales[l]);
        let audience = self
            .audience
            .map_or("participant", |a| m.audiences[a].as_str());
        let results: Vec<Value> = m
            .results
            .iter()
            .filter(|r| r.audiences.iter().any(|a| a == audience))
            .map(|r| {
                let Some((score, bands)) = &r.banded else {
                    return Value::Null; // not modelled: compared by id only
                };
                let topic = &m.topics[m.items[score.items[0]].topic];
                let (status, band, (label, explanation)) =
                    match predict(m, score, bands, &values, &self.declined) {
                        Predicted::Declined => {
                            ("declined", Value::Null, m.declined[locale].clone())
                        }
                        Predicted::Insufficient => {
                            ("insufficient", Value::Null, m.insufficient[locale].clone())
                        }
                        Predicted::Band(i) => {
                            let b = &bands[i];
                            (
                                "ok",
                                json!({"id": b.id, "index": i, "of": bands.len()}),
                                (b.label[locale].clone(), b.explanation[locale].clone()),
                            )
                        }
                    };
                json!({
                    "id": r.id,
                    "topic": topic,
                    "status": status,
                    "band": band,
                    "label": label,
                    "explanation": explanation,
                })
            })
            .collect();
        json!({
            "definition": {
                "id": m.id,
                "version": m.evaluator.version(),
                "digest": m.evaluator.digest(),
            },
            "engine": {"version": aspekt::ENGINE_VERSION},
            "locale": locale,
            "audience": audience,
            "results": results,
        })
    }
}

// ------------------------------------------------------------- properties

/// The library's questionnaire-mode instruments: their reports must never
/// reveal an answer. (Interview-mode selections list what was chosen
/// together in the open, by design; `engine/tests/evaluate.rs` covers them.)
fn models() -> Vec<Model> {
    let models: Vec<Model> = aspekt::library::entries()
        .map(|e| e.compile().unwrap_or_else(|err| panic!("{}: {err}", e.id)))
        .filter(|e| e.mode() == aspekt::model::Mode::Questionnaire)
        .map(Model::of)
        .collect();
    let ids: BTreeSet<&str> = models.iter().map(|m| m.id.as_str()).collect();
    for id in ["who5", "brs", "gse"] {
        assert!(ids.contains(id), "library instrument {id} is missing");
    }
    models
}

fn runner() -> TestRunner {
    TestRunner::new(Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    })
}

fn check_case(m: &Model, case: &Case) -> Result<(), TestCaseError> {
    let e = &m.evaluator;
    let json = case.json(m, false);
    let via_json = e
        .evaluate_json(&json)
        .map_err(|err| TestCaseError::fail(format!("{json}: {err}")))?;
    let via_api = e.evaluate(&case.request(m)).unwrap().to_json();
    prop_assert_eq!(&via_json, &via_api, "evaluate_json = evaluate().to_json()");
    prop_assert_eq!(
        &e.evaluate_json(&json).unwrap(),
        &via_json,
        "evaluating twice"
    );
    prop_assert_eq!(
        &e.evaluate_json(&case.json(m, true)).unwrap(),
        &via_json,
        "answer and key order must not matter"
    );
    let clone = e.clone();
    prop_assert_eq!(
        &clone.evaluate_json(&json).unwrap(),
        &via_json,
        "a clone evaluates alike"
    );

    // The report is exactly what the declared scoring predicts.
    let got: Value = serde_json::from_str(&via_json).unwrap();
    let mut want = case.expected(m);
    // Results the oracle does not model are compared by id and topic only.
    if let (Some(w), Some(g)) = (want["results"].as_array_mut(), got["results"].as_array()) {
        prop_assert_eq!(w.len(), g.len(), "results for the audience");
        for (w, g) in w.iter_mut().zip(g) {
            if w.is_null() {
                *w = g.clone();
            }
        }
    }
    prop_assert_eq!(&got, &want, "report differs from the oracle for {}", json);

    // Results: definition order, the audience's only.
    let audience = got["audience"].as_str().unwrap();
    let want_ids: Vec<&str> = m
        .results
        .iter()
        .filter(|r| r.audiences.iter().any(|a| a == audience))
        .map(|r| r.id.as_str())
        .collect();
    let got_ids: Vec<&str> = arr(&got["results"])
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    prop_assert_eq!(got_ids, want_ids);

    // Nothing item-level leaves the evaluator.
    for item in &m.items {
        let token = format!("\"{}\"", item.id);
        prop_assert!(
            !via_json.contains(&token),
            "item id {} in {}",
            token,
            via_json
        );
    }
    for text in &m.forbidden {
        prop_assert!(
            !via_json.contains(text.as_str()),
            "`{}` in {}",
            text,
            via_json
        );
    }
    Ok(())
}

#[test]
fn random_requests_give_the_declared_report_and_nothing_else() {
    for m in models() {
        runner()
            .run(&case_strategy(&m), |case| check_case(&m, &case))
            .unwrap_or_else(|e| panic!("{}: {e}", m.id));
    }
}

#[test]
fn the_oracle_covers_every_status_and_band() {
    // Guards the property test itself: across its cases every status and
    // every band of every instrument occurs.
    for m in models() {
        let mut seen = BTreeSet::new();
        let mut runner = runner();
        let strategy = case_strategy(&m);
        for _ in 0..(CASES * 4) {
            let case = strategy.new_tree(&mut runner).unwrap().current();
            let report = m.evaluator.evaluate(&case.request(&m)).unwrap();
            for r in report.results {
                seen.insert(match r.band {
                    Some(b) => format!("{}:{}", r.id, b.id),
                    None => format!("{}:{:?}", r.id, r.status),
                });
            }
        }
        for r in &m.results {
            for s in ["Declined", "Insufficient"] {
                assert!(
                    seen.contains(&format!("{}:{s}", r.id)),
                    "{}: {} never {s}: {seen:?}",
                    m.id,
                    r.id
                );
            }
            // Extreme bands of long instruments are rare under random
            // answers; require the lowest and the middle ones at least.
            if let Some((_, bands)) = &r.banded {
                let middle = &bands[bands.len() / 2];
                assert!(
                    seen.contains(&format!("{}:{}", r.id, middle.id)),
                    "{}: {seen:?}",
                    m.id
                );
            }
        }
    }
}

#[test]
fn arbitrary_input_never_panics() {
    let models = models();
    let strategy = prop_oneof![
        any::<String>(),
        "[\\[\\]{}\":,0-9a-z. \\-]{0,60}",
        "\\{\"(answers|declined|consent|locale|audience)\":[\\[\\]{}\":,0-9a-z. \\-]{0,40}\\}",
        "\\{\"answers\":\\{(\"q[0-9]{1,2}\":(-?[0-9]{1,20}|null|[0-9]\\.[0-9]|\"[0-9]\"),?){0,12}\\}\\}",
    ];
    for m in &models {
        runner()
            .run(&strategy, |input| {
                match m.evaluator.evaluate_json(&input) {
                    Ok(report) => {
                        let v: Value = serde_json::from_str(&report).unwrap();
                        prop_assert!(v["results"].is_array());
                    }
                    Err(err) => {
                        prop_assert!(err.code != ErrorCode::Internal, "{}: {}", input, err);
                        prop_assert!(!err.message.is_empty());
                        let envelope: Value =
                            serde_json::from_str(&aspekt::ErrorEnvelope::from(&err).to_json())
                                .unwrap();
                        prop_assert!(envelope["error"]["code"].is_string());
                    }
                }
                Ok(())
            })
            .unwrap_or_else(|e| panic!("{}: {e}", m.id));
    }
}

#[test]
fn codes_off_the_scale_are_rejected_and_never_echoed() {
    for m in models() {
        let n = m.items.len();
        let strategy = (0..n, any::<i64>(), any::<bool>());
        runner()
            .run(&strategy, |(item, code, as_json)| {
                prop_assume!(!m.codes(item).contains(&code));
                let id = &m.items[item].id;
                let notice = m.evaluator.privacy_notice().unwrap_or_default();
                let err = if as_json {
                    let json = format!(
                        r#"{{"consent":{{"notice":"{notice}"}},"answers":{{"{id}":{code}}}}}"#
                    );
                    m.evaluator.evaluate_json(&json).unwrap_err()
                } else {
                    let mut answers = Answers::new();
                    answers.insert(id.clone(), code);
                    m.evaluator
                        .evaluate(&Request::new(answers).with_consent(notice))
                        .unwrap_err()
                };
                prop_assert_eq!(err.code, ErrorCode::InvalidCode);
                let path = format!("answers.{id}");
                prop_assert_eq!(err.path.as_deref(), Some(path.as_str()));
                let text = format!("{err}\n{}", aspekt::ErrorEnvelope::from(&err).to_json());
                if code.unsigned_abs() >= 10 {
                    prop_assert!(
                        !text.contains(&code.unsigned_abs().to_string()),
                        "{} echoed: {}",
                        code,
                        text
                    );
                }
                Ok(())
            })
            .unwrap_or_else(|e| panic!("{}: {e}", m.id));
    }
}

#[test]
fn unknown_items_are_rejected_at_their_path() {
    for m in models() {
        let known: BTreeSet<String> = m.items.iter().map(|i| i.id.clone()).collect();
        runner()
            .run(
                &("[a-zA-Z0-9_-]{1,12}", proptest::option::of(-5i64..10)),
                |(key, code)| {
                    prop_assume!(!known.contains(&key));
                    let mut answers = Answers::new();
                    match code {
                        Some(c) => answers.insert(key.clone(), c),
                        None => answers.clear(&key),
                    }
                    let notice = m.evaluator.privacy_notice().unwrap_or_default();
                    let err = m
                        .evaluator
                        .evaluate(&Request::new(answers).with_consent(notice))
                        .unwrap_err();
                    prop_assert_eq!(err.code, ErrorCode::UnknownItem);
                    let path = format!("answers.{key}");
                    prop_assert_eq!(err.path.as_deref(), Some(path.as_str()));
                    Ok(())
                },
            )
            .unwrap_or_else(|e| panic!("{}: {e}", m.id));
    }
}

/// The disclosure guarantee, checked from the outside: for every band of
/// every released result and every item of its score, the answers that
/// lead to that band leave the item's code open among at least two codes.
/// Computed exactly over the (answered count, keyed sum) states of the
/// other items, so it holds for every possible answer set, not a sample.
#[test]
fn every_band_leaves_every_item_ambiguous() {
    for m in models() {
        for r in &m.results {
            let Some((score, bands)) = &r.banded else {
                continue;
            };
            let weight_total: f64 = score.items.iter().map(|&i| m.items[i].weight).sum();
            for (pos, &target) in score.items.iter().enumerate() {
                // States of the other items: (answered, weight answered, sum).
                let mut states: BTreeSet<(usize, u64, u64)> =
                    BTreeSet::from([(0, 0f64.to_bits(), 0f64.to_bits())]);
                for (p, &i) in score.items.iter().enumerate() {
                    if p == pos {
                        continue;
                    }
                    let mut next = BTreeSet::new();
                    for &(a, w, s) in &states {
                        next.insert((a, w, s)); // unanswered
                        for &c in m.codes(i) {
                            let w2 = f64::from_bits(w) + m.items[i].weight;
                            let s2 = f64::from_bits(s) + keyed(&m.items[i], c);
                            next.insert((a + 1, w2.to_bits(), s2.to_bits()));
                        }
                    }
                    states = next;
                }
                let item = &m.items[target];
                let mut codes_per_band: Vec<BTreeSet<i64>> = vec![BTreeSet::new(); bands.len()];
                for &(a, w, s) in &states {
                    for &c in &item.codes {
                        let answered = a + 1;
                        if answered < score.min_answered {
                            continue;
                        }
                        let wa = f64::from_bits(w) + item.weight;
                        let sum = f64::from_bits(s) + keyed(item, c);
                        let v = finish(score, answered, wa, sum, weight_total);
                        if let Some(b) = bands.iter().position(|b| b.min <= v && v <= b.max) {
                            codes_per_band[b].insert(c);
                        }
                    }
                }
                for (b, codes) in bands.iter().zip(&codes_per_band) {
                    assert!(
                        codes.len() >= 2,
                        "{}: band `{}` of result `{}` pins item `{}` to {codes:?}",
                        m.id,
                        b.id,
                        r.id,
                        item.id
                    );
                }
            }
        }
    }
}
