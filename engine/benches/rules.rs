//! Benchmarks of scripted rules: evaluating a result computed by a Rhai rule
//! from precompiled ASTs, against the declarative WHO-5.
//!
//! Run with `cargo bench -p aspekt --bench rules`. Every benchmark evaluates
//! one request (consent, validation, scoring, the result, the report) and
//! reports evaluations per second on one core:
//!
//! - `rule_result`: WHO-5 size, five items summed declaratively, the result
//!   chosen by a Rhai rule over that one score;
//! - `rule_score_and_result`: the same, with the score computed by a Rhai
//!   rule too (`sum(items) * 4`), so two rule calls per evaluation;
//! - `declarative_who5`: the library's WHO-5 (bands, no rule), for comparison.
//!
//! The target of the issue: at least 300,000 evaluations per second per core
//! for `rule_result`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "benchmark code: a failed setup should abort loudly"
)]

use std::hint::black_box;
use std::time::Duration;

use aspekt::{Answers, Evaluator, Request, Source};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// Requests per benchmark, cycled through so that no single path is cached.
const SETS: usize = 256;

const HEAD: &str = r#"[questionnaire]
id = "who5-rules"
version = "1.0.0"
locales = ["en"]
title = { en = "WHO-5 with rules" }
description = { en = "A WHO-5-size definition whose result is chosen by a Rhai rule" }
[questionnaire.source]
citation = "aspekt benchmark fixture (not an instrument)"
licence = "CC0-1.0"

[[scale]]
id = "frequency"
options = [
  { code = 0, label = { en = "At no time" } },
  { code = 1, label = { en = "Some of the time" } },
  { code = 2, label = { en = "Less than half of the time" } },
  { code = 3, label = { en = "More than half of the time" } },
  { code = 4, label = { en = "Most of the time" } },
  { code = 5, label = { en = "All of the time" } },
]

[[item]]
id = "q1"
scale = "frequency"
text = { en = "I have felt cheerful and in good spirits." }
[[item]]
id = "q2"
scale = "frequency"
text = { en = "I have felt calm and relaxed." }
[[item]]
id = "q3"
scale = "frequency"
text = { en = "I have felt active and vigorous." }
[[item]]
id = "q4"
scale = "frequency"
text = { en = "I woke up feeling fresh and rested." }
[[item]]
id = "q5"
scale = "frequency"
text = { en = "My daily life has been filled with things that interest me." }
"#;

/// The result: WHO-5's three bands, chosen by a rule.
const RESULT: &str = r#"
[[result]]
id = "wellbeing"
title = { en = "Well-being" }
scores = ["index"]
audiences = ["participant"]
rule = """
let v = scores.index;
if v == () { return insufficient(); }
if v <= 28.0 { "low" } else if v <= 48.0 { "reduced" } else { "good" }
"""
[[result.outcome]]
id = "low"
label = { en = "Low well-being" }
explanation = { en = "Your result is in the lower part of the scale." }
[[result.outcome]]
id = "reduced"
label = { en = "Reduced well-being" }
explanation = { en = "Your result is somewhat below the middle of the scale." }
[[result.outcome]]
id = "good"
label = { en = "Good well-being" }
explanation = { en = "Your result is in the upper half of the scale." }
"#;

const DECLARATIVE_SCORE: &str = r#"
[[score]]
id = "index"
items = ["q1", "q2", "q3", "q4", "q5"]
aggregate = "sum"
transform = { multiply = 4 }
"#;

const RULE_SCORE: &str = r#"
[[score]]
id = "index"
items = ["q1", "q2", "q3", "q4", "q5"]
rule = """
if count_answered(items) < 5 { return insufficient(); }
sum(items) * 4
"""
"#;

fn compile(name: &str, text: String) -> Evaluator {
    aspekt::compile(&Source::new(name, text)).unwrap_or_else(|e| panic!("{e}"))
}

/// Deterministic answer sets (a fixed-seed LCG), every tenth with a gap.
fn requests(notice: Option<&str>) -> Vec<Request> {
    let mut state: u64 = 0x5eed;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as i64
    };
    (0..SETS)
        .map(|i| {
            let mut answers = Answers::new();
            for q in 1..=5 {
                if i % 10 == 9 && q == 3 {
                    continue;
                }
                answers.insert(format!("q{q}"), next() % 6);
            }
            let r = Request::new(answers);
            match notice {
                Some(n) => r.with_consent(n),
                None => r,
            }
        })
        .collect()
}

fn bench_rules(c: &mut Criterion) {
    let rule_result = compile(
        "rule_result.toml",
        [HEAD, DECLARATIVE_SCORE, RESULT].concat(),
    );
    let rule_both = compile("rule_score.toml", [HEAD, RULE_SCORE, RESULT].concat());
    let who5 = aspekt::library::load("who5").unwrap();

    let plain = requests(None);
    let consented = requests(who5.privacy_notice());
    // The same answers give the same band either way.
    for r in &plain {
        let a = rule_result.evaluate(r).unwrap();
        let b = rule_both.evaluate(r).unwrap();
        assert_eq!(a.results[0].band, b.results[0].band);
    }

    let mut group = c.benchmark_group("rules");
    group.throughput(Throughput::Elements(1));
    group.measurement_time(Duration::from_secs(5));
    for (name, evaluator, requests) in [
        ("rule_result", &rule_result, &plain),
        ("rule_score_and_result", &rule_both, &plain),
        ("declarative_who5", &who5, &consented),
    ] {
        let mut i = 0usize;
        group.bench_function(name, |b| {
            b.iter(|| {
                i = (i + 1) % SETS;
                black_box(evaluator.evaluate(black_box(&requests[i])).unwrap())
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench_rules);
criterion_main!(benches);
