//! Benchmarks of the engine: compiling definitions, evaluating requests, and
//! parsing JSON requests.
//!
//! Run with `cargo bench -p aspekt --bench engine`. The figures and how to read
//! them are in the book's "Performance" chapter (`book/src/performance.md`).
//!
//! The answer sets are random but deterministic (a fixed-seed LCG, so every
//! run measures the same inputs) and cycle through [`SETS`] prepared requests,
//! so a benchmark does not measure one cached path.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use aspekt::{Answers, Evaluator, Report, Request, Source};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// The synthetic 60-item, 6-result benchmark definition (not an instrument).
const BENCH60: &str = include_str!("fixtures/bench60.toml");
const BENCH60_PATH: &str = "engine/benches/fixtures/bench60.toml";

/// Prepared requests per benchmark, cycled through.
const SETS: usize = 1024;

/// A small linear congruential generator (Knuth's MMIX constants). Good
/// enough for plausible answer patterns; no extra dependency.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as u32
    }

    /// Uniform in `0..n`.
    fn below(&mut self, n: u32) -> u32 {
        self.next() % n
    }

    /// `true` with probability `percent` / 100.
    fn chance(&mut self, percent: u32) -> bool {
        self.below(100) < percent
    }
}

/// One person's answers, kept both as a typed request and as request JSON.
struct Case {
    request: Request,
    json: String,
}

/// What generating answers needs to know about an item.
struct ItemShape {
    id: String,
    lo: i64,
    hi: i64,
    reverse: bool,
}

/// The shape of a definition, as far as generating answers needs it.
struct Shape {
    /// Per topic: its id and its items.
    topics: Vec<(String, Vec<ItemShape>)>,
    notice: Option<String>,
}

impl Shape {
    fn of(evaluator: &Evaluator) -> Self {
        let def = evaluator.definition();
        let scale = |id: &str| {
            let s = def
                .scales
                .iter()
                .find(|s| s.id.value() == id)
                .expect("item names a declared scale");
            let codes = s.options.value().iter().map(|o| *o.code.value());
            (codes.clone().min().unwrap(), codes.max().unwrap())
        };
        let mut topics: Vec<(String, Vec<ItemShape>)> = def
            .topics
            .iter()
            .map(|t| (t.id.value().clone(), Vec::new()))
            .collect();
        if topics.is_empty() {
            topics.push((def.questionnaire.id.value().clone(), Vec::new()));
        }
        for item in &def.items {
            let (lo, hi) = scale(item.scale.value());
            let ti = item
                .topic
                .as_ref()
                .and_then(|t| topics.iter().position(|(id, _)| id == t.value()))
                .unwrap_or(0);
            let shape = ItemShape {
                id: item.id.value().clone(),
                lo,
                hi,
                reverse: item.reverse,
            };
            topics.get_mut(ti).unwrap().1.push(shape);
        }
        Shape {
            topics,
            notice: evaluator.privacy_notice().map(str::to_string),
        }
    }

    /// `n` plausible answer sets: each person has a tendency per topic and
    /// answers around it (reverse-keyed items the other way round); about 4 % of items are left unanswered (so some
    /// results come out `insufficient`), about 3 % of topics are declined
    /// (only when the definition has more than one), and locale and audience
    /// vary.
    fn cases(&self, n: usize, seed: u64) -> Vec<Case> {
        let mut rng = Lcg(seed);
        (0..n)
            .map(|_| {
                let mut answers = Answers::new();
                let mut declined = Vec::new();
                let mut entries = Vec::new();
                for (topic, items) in &self.topics {
                    if self.topics.len() > 1 && rng.chance(3) {
                        declined.push(topic.clone());
                        continue;
                    }
                    // Tendency in quarters of the scale: 0 = low … 4 = high.
                    let tendency = i64::from(rng.below(5));
                    for item in items {
                        if rng.chance(4) {
                            continue;
                        }
                        let (lo, hi) = (item.lo, item.hi);
                        let centre = lo + (hi - lo) * tendency / 4;
                        let jitter = i64::from(rng.below(3)) - 1;
                        let mut code = (centre + jitter).clamp(lo, hi);
                        // Reverse-keyed items are answered the other way round.
                        if item.reverse {
                            code = lo + hi - code;
                        }
                        answers.insert(item.id.clone(), code);
                        entries.push(format!("\"{}\":{code}", item.id));
                    }
                }
                let locale = if rng.chance(50) { "de" } else { "en" };
                let audience = if rng.chance(50) {
                    "participant"
                } else {
                    "counsellor"
                };
                let mut request = Request::new(answers)
                    .with_locale(locale)
                    .with_audience(audience);
                for topic in &declined {
                    request = request.decline(topic.clone());
                }
                let consent = match &self.notice {
                    Some(notice) => {
                        request = request.with_consent(notice.clone());
                        format!(",\"consent\":{{\"notice\":\"{notice}\"}}")
                    }
                    None => String::new(),
                };
                let declined_json = declined
                    .iter()
                    .map(|t| format!("\"{t}\""))
                    .collect::<Vec<_>>()
                    .join(",");
                let json = format!(
                    "{{\"answers\":{{{}}},\"declined\":[{declined_json}]{consent},\"locale\":\"{locale}\",\"audience\":\"{audience}\"}}",
                    entries.join(",")
                );
                Case { request, json }
            })
            .collect()
    }
}

fn bench60() -> Evaluator {
    aspekt::compile(&Source::new(BENCH60_PATH, BENCH60)).expect("bench60 compiles")
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(30)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1))
}

fn compile(c: &mut Criterion) {
    let mut group = c.benchmark_group("compile");
    group.throughput(Throughput::Elements(1));
    let source = Source::new(BENCH60_PATH, BENCH60);
    group.bench_function("bench60", |b| {
        b.iter(|| aspekt::compile(black_box(&source)).expect("bench60 compiles"))
    });
    for entry in aspekt::library::entries() {
        let source = entry.source();
        group.bench_function(entry.id, |b| {
            b.iter(|| aspekt::compile(black_box(&source)).expect("library compiles"))
        });
    }
    group.finish();
}

fn evaluate(c: &mut Criterion) {
    let evaluator = bench60();
    let cases = Shape::of(&evaluator).cases(SETS, 0x00a5_9e47);
    // Every prepared request must evaluate: a benchmark of errors is no benchmark.
    for case in &cases {
        evaluator
            .evaluate(&case.request)
            .expect("request evaluates");
        evaluator.evaluate_json(&case.json).expect("JSON evaluates");
    }
    let who5 = aspekt::library::load("who5").expect("who5 loads");
    let who5_cases = Shape::of(&who5).cases(SETS, 0x0000_0005);
    for case in &who5_cases {
        who5.evaluate(&case.request)
            .expect("who5 request evaluates");
    }

    let mut group = c.benchmark_group("evaluate");
    group.throughput(Throughput::Elements(1));
    group.bench_function("bench60/report", |b| {
        let mut next = cases.iter().cycle();
        b.iter(|| {
            let case = next.next().unwrap();
            let report: Report = evaluator.evaluate(black_box(&case.request)).unwrap();
            report
        })
    });
    group.bench_function("bench60/report+json", |b| {
        let mut next = cases.iter().cycle();
        b.iter(|| {
            let case = next.next().unwrap();
            evaluator
                .evaluate(black_box(&case.request))
                .unwrap()
                .to_json()
        })
    });
    group.bench_function("bench60/evaluate_json", |b| {
        let mut next = cases.iter().cycle();
        b.iter(|| {
            let case = next.next().unwrap();
            evaluator.evaluate_json(black_box(&case.json)).unwrap()
        })
    });
    group.bench_function("who5/report+json", |b| {
        let mut next = who5_cases.iter().cycle();
        b.iter(|| {
            let case = next.next().unwrap();
            who5.evaluate(black_box(&case.request)).unwrap().to_json()
        })
    });
    group.finish();
}

fn parse_request(c: &mut Criterion) {
    let evaluator = bench60();
    let cases = Shape::of(&evaluator).cases(SETS, 0x00a5_9e47);
    let mut group = c.benchmark_group("parse_request");
    group.throughput(Throughput::Elements(1));
    group.bench_function("bench60", |b| {
        let mut next = cases.iter().cycle();
        b.iter(|| {
            let case = next.next().unwrap();
            Request::from_json(black_box(&case.json)).unwrap()
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = compile, evaluate, parse_request
}
criterion_main!(benches);
