//! The disclosure analysis cross-checked against brute force.
//!
//! 1. **Exactness (and so soundness) on small definitions.** Random
//!    definitions (2–4 items with 2–4 codes, reverse keying, weights 1 or 2;
//!    1–3 sum or mean scores over random item subsets with random
//!    `min_answered`, sometimes a transform with rounding; banded results cut
//!    at random reachable values, sometimes two results sharing items) are
//!    compiled with `k = 1` so they always compile. Then every answer vector
//!    (each item unanswered or any code) is evaluated; per outcome vector the
//!    codes each item takes are collected, and per (result, outcome) the
//!    fewest codes any contributing item keeps is compared with
//!    `Evaluator::disclosure()`. They must be **equal**: a larger reported
//!    ambiguity would be unsound, a smaller one inexact.
//!    A second property does the same with scripted rules (a result rule
//!    comparing two scores, a score rule), which the analysis enumerates.
//!
//! 2. **The guarantee, empirically, on the library.** For random answer
//!    sets of each shipped instrument, every answered item must keep at least
//!    `k` codes that yield the identical report: first by varying the item
//!    alone, then, where the other answers make it unique, by searching other
//!    answer sets (the guarantee is over all answer sets with that report).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code: a failed expectation should abort the test loudly"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use aspekt::{Answers, Evaluator, Method, Request, Source};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

// ------------------------------------------------------------------ spec

#[derive(Clone, Debug)]
struct ItemSpec {
    codes: Vec<i64>,
    reverse: bool,
    weight: f64,
}

/// How a score computes its value.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Sum,
    Mean,
    /// A rule: the highest raw code answered (insufficient if none).
    Max,
    /// A rule: how many items are answered (never insufficient).
    Count,
}

#[derive(Clone, Debug)]
struct ScoreSpec {
    /// Item indices, in the order the score lists them.
    items: Vec<usize>,
    kind: Kind,
    min_answered: usize,
    /// (multiply, add, round); declarative scores only.
    transform: Option<(f64, f64, Option<u32>)>,
}

/// A rule result's decision from its (first, second) score values.
type Decide = Box<dyn Fn(Option<f64>, Option<f64>) -> Option<&'static str>>;

/// How a result chooses its outcome.
#[derive(Clone, Debug)]
enum Choice {
    /// Bands over the score, cut at these raw choices of reachable values.
    Bands(Vec<u16>),
    /// A rule: "a" when the score is at least the other score, else "b".
    Compare(usize),
    /// A rule: "lo" up to a reachable value picked by the raw choice, else "hi".
    Threshold(u16),
}

#[derive(Clone, Debug)]
struct ResultSpec {
    score: usize,
    choice: Choice,
}

#[derive(Clone, Debug)]
struct Spec {
    items: Vec<ItemSpec>,
    scores: Vec<ScoreSpec>,
    results: Vec<ResultSpec>,
}

/// Raw material for a spec; `Spec::from_raw` makes it valid. Kept as plain
/// numbers so that proptest shrinks it well.
type RawItem = (usize, i64, i64, bool, u8);
/// (item mask, kind, min answered, transform, order)
type RawScore = (u8, u8, u8, u8, Vec<u8>);
/// (score, choice kind, other score or cut, band cuts)
type RawResult = (u8, u8, u16, Vec<u16>);

fn raw_item() -> impl Strategy<Value = RawItem> {
    (2usize..=4, -2i64..=3, 1i64..=2, any::<bool>(), 0u8..=3)
}

fn raw_score() -> impl Strategy<Value = RawScore> {
    (
        1u8..=15,
        any::<u8>(),
        any::<u8>(),
        0u8..=9,
        proptest::collection::vec(any::<u8>(), 4),
    )
}

fn raw_result() -> impl Strategy<Value = RawResult> {
    (
        any::<u8>(),
        any::<u8>(),
        any::<u16>(),
        proptest::collection::vec(any::<u16>(), 0..=3),
    )
}

/// Item weights: `raw % weights.len()` picks one.
const WHOLE: &[f64] = &[1.0, 2.0];
/// Weights whose sums are not exact in binary floating point.
const FRACTIONAL: &[f64] = &[0.1, 0.2, 0.3, 0.7];

/// Random small definitions: declarative only, or with scripted rules.
fn spec(weights: &'static [f64], rules: bool) -> impl Strategy<Value = Spec> {
    (
        proptest::collection::vec(raw_item(), 2..=4),
        proptest::collection::vec(raw_score(), 1..=3),
        proptest::collection::vec(raw_result(), 1..=4),
    )
        .prop_map(move |(items, scores, results)| {
            Spec::from_raw(&items, &scores, &results, weights, rules)
        })
}

impl Spec {
    fn from_raw(
        items: &[RawItem],
        scores: &[RawScore],
        results: &[RawResult],
        weights: &[f64],
        rules: bool,
    ) -> Spec {
        let items: Vec<ItemSpec> = items
            .iter()
            .map(|&(n, start, step, reverse, weight)| ItemSpec {
                codes: (0..n as i64).map(|i| start + i * step).collect(),
                reverse,
                weight: weights[usize::from(weight) % weights.len()],
            })
            .collect();
        let n = items.len();
        let mut used = vec![false; n];
        let mut out_scores: Vec<ScoreSpec> = scores
            .iter()
            .map(|(mask, kind, min, transform, order)| {
                let mut members: Vec<usize> = (0..n).filter(|i| mask & (1 << i) != 0).collect();
                if members.is_empty() {
                    members.push(usize::from(*mask) % n);
                }
                // A random order of the score's items.
                for (i, o) in order.iter().enumerate().take(members.len()) {
                    let j = usize::from(*o) % members.len();
                    members.swap(i, j);
                }
                for &m in &members {
                    used[m] = true;
                }
                let kind = match (rules, kind % 4) {
                    (_, 0) | (false, 2) => Kind::Sum,
                    (_, 1) | (false, 3) => Kind::Mean,
                    (true, 2) => Kind::Max,
                    _ => Kind::Count,
                };
                let declarative = matches!(kind, Kind::Sum | Kind::Mean);
                let transform = match transform {
                    _ if !declarative => None,
                    0..=5 => None,
                    6 => Some((4.0, 0.0, None)),
                    7 => Some((10.0, -1.0, Some(0))),
                    8 => Some((5.0, 0.0, Some(0))),
                    _ => Some((100.0, 0.0, Some(1))),
                };
                ScoreSpec {
                    min_answered: 1 + usize::from(*min) % members.len(),
                    items: members,
                    kind,
                    transform,
                }
            })
            .collect();
        // Every item must be scored: unused ones join the first score.
        for (i, u) in used.iter().enumerate() {
            if !u {
                out_scores[0].items.push(i);
            }
        }
        let n_scores = out_scores.len();
        let out_results = results
            .iter()
            .map(|(s, choice, other, cuts)| {
                let score = usize::from(*s) % n_scores;
                let choice = match (rules, choice % 3) {
                    (true, 1) => Choice::Compare(usize::from(*other) % n_scores),
                    (true, 2) => Choice::Threshold(*other),
                    _ => Choice::Bands(cuts.clone()),
                };
                ResultSpec { score, choice }
            })
            .collect();
        Spec {
            items,
            scores: out_scores,
            results: out_results,
        }
    }

    fn item_id(i: usize) -> String {
        format!("q{}", i + 1)
    }

    /// The score's value for an answer vector, with the engine's arithmetic;
    /// `None` when insufficient.
    fn score_value(&self, s: &ScoreSpec, answers: &[Option<i64>]) -> Option<f64> {
        match s.kind {
            Kind::Max => {
                return s
                    .items
                    .iter()
                    .filter_map(|&i| answers[i])
                    .max()
                    .map(|c| c as f64);
            }
            Kind::Count => {
                return Some(s.items.iter().filter(|&&i| answers[i].is_some()).count() as f64);
            }
            Kind::Sum | Kind::Mean => {}
        }
        // Exact integer accumulators in thousandths of a weight, one
        // division at the end (the engine's documented arithmetic, which
        // does not depend on the order items are added in).
        let mut answered = 0;
        let mut w: i64 = 0;
        let mut sum: i64 = 0;
        let mut total: i64 = 0;
        for &i in &s.items {
            let it = &self.items[i];
            let milli = (it.weight * 1000.0).round() as i64;
            total += milli;
            if let Some(c) = answers[i] {
                let lo = it.codes[0];
                let hi = *it.codes.last().unwrap();
                let keyed = if it.reverse { lo + hi - c } else { c };
                answered += 1;
                w += milli;
                sum += milli * keyed;
            }
        }
        if answered < s.min_answered || answered == 0 {
            return None;
        }
        let (sum, w, total) = (sum as f64, w as f64, total as f64);
        let base = if s.kind == Kind::Mean {
            sum / w
        } else if answered == s.items.len() {
            sum / 1000.0
        } else {
            sum / w * (total / 1000.0)
        };
        let (m, a, round) = s.transform.unwrap_or((1.0, 0.0, None));
        let mut v = base * m + a;
        if let Some(d) = round {
            let f = 10f64.powi(d as i32);
            v = (v * f).round() / f;
        }
        Some(if v == 0.0 { 0.0 } else { v })
    }

    /// Every answer vector of the items (each unanswered or any code).
    fn vectors(&self) -> Vec<Vec<Option<i64>>> {
        let mut out: Vec<Vec<Option<i64>>> = vec![Vec::new()];
        for it in &self.items {
            let mut next = Vec::new();
            for v in &out {
                for c in std::iter::once(None).chain(it.codes.iter().copied().map(Some)) {
                    let mut v = v.clone();
                    v.push(c);
                    next.push(v);
                }
            }
            out = next;
        }
        out
    }

    fn reachable(&self, s: &ScoreSpec) -> Vec<f64> {
        let mut values: Vec<f64> = self
            .vectors()
            .iter()
            .filter_map(|v| self.score_value(s, v))
            .collect();
        values.sort_by(f64::total_cmp);
        values.dedup();
        values
    }

    /// Bands of a result: (min, max) pairs at reachable values.
    fn bands(&self, score: usize, cuts: &[u16]) -> Vec<(f64, f64)> {
        let values = self.reachable(&self.scores[score]);
        let mut starts: BTreeSet<usize> = BTreeSet::new();
        if values.len() > 1 {
            for c in cuts {
                starts.insert(1 + usize::from(*c) % (values.len() - 1));
            }
        }
        let mut bounds = vec![0];
        bounds.extend(starts);
        bounds.push(values.len());
        bounds
            .windows(2)
            .map(|w| (values[w[0]], values[w[1] - 1]))
            .collect()
    }

    /// The item indices a result depends on.
    fn contributing(&self, r: &ResultSpec) -> BTreeSet<usize> {
        let mut items: BTreeSet<usize> = self.scores[r.score].items.iter().copied().collect();
        if let Choice::Compare(other) = r.choice {
            items.extend(self.scores[other].items.iter().copied());
        }
        items
    }

    /// A rule result's source and the outcomes it can return (declared are
    /// exactly those some answer vector reaches, so the definition is valid).
    fn rule(&self, r: &ResultSpec) -> Option<(String, Vec<&'static str>)> {
        let s = r.score;
        let (source, outcome): (String, Decide) = match r.choice {
            Choice::Bands(_) => return None,
            Choice::Compare(o) => (
                format!(
                    "if scores.s{s} == () || scores.s{o} == () {{ insufficient() }} else if scores.s{s} >= scores.s{o} {{ \"a\" }} else {{ \"b\" }}"
                ),
                Box::new(|a, b| match (a, b) {
                    (Some(a), Some(b)) => Some(if a >= b { "a" } else { "b" }),
                    _ => None,
                }),
            ),
            Choice::Threshold(cut) => {
                let values = self.reachable(&self.scores[s]);
                let t = values
                    .get(usize::from(cut) % values.len().max(1))
                    .copied()
                    .unwrap_or(0.0);
                (
                    format!(
                        "if scores.s{s} == () {{ insufficient() }} else if scores.s{s} <= {t:?} {{ \"lo\" }} else {{ \"hi\" }}"
                    ),
                    Box::new(move |a, _| a.map(|a| if a <= t { "lo" } else { "hi" })),
                )
            }
        };
        let other = match r.choice {
            Choice::Compare(o) => o,
            _ => s,
        };
        // The compiler checks the rule over every combination of its
        // inputs' reachable values (as if the scores were independent), so
        // declare what those combinations return.
        let with_none = |score: usize| {
            std::iter::once(None)
                .chain(self.reachable(&self.scores[score]).into_iter().map(Some))
                .collect::<Vec<_>>()
        };
        let mut outcomes = BTreeSet::new();
        for a in with_none(s) {
            for b in with_none(other) {
                let b = if other == s { a } else { b };
                if let Some(o) = outcome(a, b) {
                    outcomes.insert(o);
                }
            }
        }
        Some((source, outcomes.into_iter().collect()))
    }

    fn toml(&self, k: u32) -> String {
        let mut t = String::new();
        writeln!(
            t,
            "[questionnaire]\nid = \"gen\"\nversion = \"1.0.0\"\nlocales = [\"en\"]\ntitle = {{ en = \"Gen\" }}\ndescription = {{ en = \"Gen\" }}\nk = {k}\n[questionnaire.source]\ncitation = \"generated\"\nlicence = \"CC0-1.0\"\n"
        )
        .unwrap();
        for (i, it) in self.items.iter().enumerate() {
            let options: Vec<String> = it
                .codes
                .iter()
                .map(|c| format!("{{ code = {c}, label = {{ en = \"{c}\" }} }}"))
                .collect();
            writeln!(
                t,
                "[[scale]]\nid = \"s{}\"\noptions = [{}]\n",
                i + 1,
                options.join(", ")
            )
            .unwrap();
        }
        for (i, it) in self.items.iter().enumerate() {
            writeln!(
                t,
                "[[item]]\nid = \"{}\"\nscale = \"s{}\"\ntext = {{ en = \"Q\" }}\nreverse = {}\nweight = {:?}\n",
                Self::item_id(i),
                i + 1,
                it.reverse,
                it.weight
            )
            .unwrap();
        }
        for (si, s) in self.scores.iter().enumerate() {
            let ids: Vec<String> = s.items.iter().map(|&i| Self::item_id(i)).collect();
            let quoted: Vec<String> = ids.iter().map(|i| format!("\"{i}\"")).collect();
            writeln!(
                t,
                "[[score]]\nid = \"s{si}\"\nitems = [{}]",
                quoted.join(", ")
            )
            .unwrap();
            match s.kind {
                Kind::Max => {
                    let mut rule = String::from("let best = ();\n");
                    for id in &ids {
                        writeln!(
                            rule,
                            "if items.{id} != () && (best == () || items.{id} > best) {{ best = items.{id}; }}"
                        )
                        .unwrap();
                    }
                    rule.push_str("if best == () { insufficient() } else { best }");
                    writeln!(t, "rule = '''\n{rule}\n'''").unwrap();
                }
                Kind::Count => writeln!(t, "rule = \"count_answered(items)\"").unwrap(),
                Kind::Sum | Kind::Mean => {
                    let mean = s.kind == Kind::Mean;
                    writeln!(t, "aggregate = \"{}\"", if mean { "mean" } else { "sum" }).unwrap();
                    if s.min_answered < s.items.len() {
                        writeln!(
                            t,
                            "missing = {{ min_answered = {}{} }}",
                            s.min_answered,
                            if mean { "" } else { ", prorate = true" }
                        )
                        .unwrap();
                    }
                    if let Some((m, a, round)) = s.transform {
                        writeln!(t, "transform = {{ multiply = {m:?}, add = {a:?} }}").unwrap();
                        if let Some(d) = round {
                            writeln!(t, "round = {d}").unwrap();
                        }
                    }
                }
            }
            t.push('\n');
        }
        for (ri, r) in self.results.iter().enumerate() {
            writeln!(t, "[[result]]\nid = \"r{ri}\"\ntitle = {{ en = \"R\" }}\naudiences = [\"participant\"]").unwrap();
            match (&r.choice, self.rule(r)) {
                (Choice::Bands(cuts), _) => {
                    writeln!(t, "score = \"s{}\"", r.score).unwrap();
                    for (bi, (min, max)) in self.bands(r.score, cuts).iter().enumerate() {
                        writeln!(
                            t,
                            "[[result.band]]\nid = \"b{bi}\"\nmin = {min:?}\nmax = {max:?}\nlabel = {{ en = \"B\" }}\nexplanation = {{ en = \"B\" }}"
                        )
                        .unwrap();
                    }
                }
                (choice, Some((source, outcomes))) => {
                    let mut scores = vec![format!("\"s{}\"", r.score)];
                    if let Choice::Compare(o) = choice
                        && *o != r.score
                    {
                        scores.push(format!("\"s{o}\""));
                    }
                    writeln!(
                        t,
                        "scores = [{}]\nrule = '''\n{source}\n'''",
                        scores.join(", ")
                    )
                    .unwrap();
                    for o in outcomes {
                        writeln!(
                            t,
                            "[[result.outcome]]\nid = \"{o}\"\nlabel = {{ en = \"O\" }}\nexplanation = {{ en = \"O\" }}"
                        )
                        .unwrap();
                    }
                }
                (_, None) => unreachable!("a rule result has a rule"),
            }
            t.push('\n');
        }
        t
    }
}

// ------------------------------------------------------------------ oracle

/// Per (result id, outcome): the fewest codes any contributing item keeps,
/// over every observable outcome vector with that outcome (`None`: every
/// contributing item unanswered in all of them).
type Ambiguity = BTreeMap<(String, String), Option<u32>>;

/// A full outcome vector: (result id, band id or status) per result.
type Observed = Vec<(String, String)>;

fn request(ids: &[String], v: &[Option<i64>]) -> Request {
    let mut answers = Answers::new();
    for (id, c) in ids.iter().zip(v) {
        if let Some(c) = c {
            answers.insert(id.clone(), *c);
        }
    }
    Request::new(answers)
}

/// Brute force: evaluate every vector; `contributing[result id]` lists the
/// item indices of each result.
fn brute_force(
    e: &Evaluator,
    ids: &[String],
    vectors: &[Vec<Option<i64>>],
    contributing: &BTreeMap<String, BTreeSet<usize>>,
) -> Result<Ambiguity, String> {
    // Outcome vector → per item, the codes seen.
    let mut seen: BTreeMap<Observed, Vec<BTreeSet<i64>>> = BTreeMap::new();
    for v in vectors {
        let report = e
            .evaluate(&request(ids, v))
            .map_err(|err| format!("evaluate {v:?}: {err}"))?;
        let outcome: Observed = report
            .results
            .iter()
            .map(|r| {
                let o = match &r.band {
                    Some(b) => b.id.clone(),
                    None => format!("{:?}", r.status).to_lowercase(),
                };
                (r.id.clone(), o)
            })
            .collect();
        let sets = seen
            .entry(outcome)
            .or_insert_with(|| vec![BTreeSet::new(); ids.len()]);
        for (i, c) in v.iter().enumerate() {
            if let Some(c) = c {
                sets[i].insert(*c);
            }
        }
    }
    let mut out: Ambiguity = BTreeMap::new();
    for (vector, sets) in &seen {
        for (result, outcome) in vector {
            let entry = out.entry((result.clone(), outcome.clone())).or_insert(None);
            for &i in &contributing[result] {
                let n = sets[i].len() as u32;
                if n > 0 && entry.is_none_or(|m| n < m) {
                    *entry = Some(n);
                }
            }
        }
    }
    Ok(out)
}

/// What the analysis reports for the participant.
fn analysed(e: &Evaluator) -> (Ambiguity, BTreeSet<Method>) {
    let mut out = BTreeMap::new();
    let mut methods = BTreeSet::new();
    for f in &e.disclosure().results {
        if f.audience != "participant" {
            continue;
        }
        methods.insert(f.method);
        for o in &f.outcomes {
            out.insert((f.result.clone(), o.outcome.clone()), o.min_ambiguity);
        }
    }
    (out, methods)
}

fn diff(analysis: &Ambiguity, brute: &Ambiguity) -> String {
    let keys: BTreeSet<_> = analysis.keys().chain(brute.keys()).collect();
    let mut s = String::new();
    for k in keys {
        let (a, b) = (analysis.get(k), brute.get(k));
        if a != b {
            writeln!(s, "  {}/{}: analysis {a:?}, brute force {b:?}", k.0, k.1).unwrap();
        }
    }
    s
}

fn only_unproven(diagnostics: &[aspekt::Diagnostic]) -> bool {
    let mut errors = diagnostics
        .iter()
        .filter(|d| d.severity == aspekt::Severity::Error)
        .peekable();
    errors.peek().is_some() && errors.all(|d| d.code == aspekt::Code::DisclosureUnproven)
}

/// What a spec's check found.
#[derive(Debug)]
enum Verdict {
    /// The analysis is exact and equals brute force.
    Equal,
    /// The analysis gave up (`disclosure_unproven`) on a tiny definition.
    Unproven(String),
    /// A finding claims more ambiguity than brute force shows: unsound.
    Unsound(String),
    /// Findings differ otherwise (too little ambiguity, missing outcomes).
    Inexact(String),
}

fn check_spec(spec: &Spec) -> Result<Verdict, TestCaseError> {
    let text = spec.toml(1);
    let e = match aspekt::compile(&Source::new("gen.toml", &text)) {
        Ok(e) => e,
        Err(err) if only_unproven(err.diagnostics()) => {
            return Ok(Verdict::Unproven(format!(
                "{}\n{text}",
                aspekt::render_plain(err.diagnostics())
            )));
        }
        Err(err) => {
            return Err(TestCaseError::fail(format!(
                "does not compile:\n{}\n{text}",
                aspekt::render_plain(err.diagnostics())
            )));
        }
    };
    let ids: Vec<String> = (0..spec.items.len()).map(Spec::item_id).collect();
    let contributing: BTreeMap<String, BTreeSet<usize>> = spec
        .results
        .iter()
        .enumerate()
        .map(|(ri, r)| (format!("r{ri}"), spec.contributing(r)))
        .collect();
    let brute =
        brute_force(&e, &ids, &spec.vectors(), &contributing).map_err(TestCaseError::fail)?;
    let (analysis, methods) = analysed(&e);
    // Soundness first: no finding may claim more codes than brute force
    // shows for that outcome, and every outcome it lists must occur.
    let unsound = analysis
        .iter()
        .any(|(key, claimed)| match (claimed, brute.get(key)) {
            (_, None) => true,
            (Some(c), Some(Some(b))) => c > b,
            (Some(_), Some(None)) => true,
            (None, Some(_)) => false,
        });
    if unsound {
        return Ok(Verdict::Unsound(format!(
            "{}\n{text}",
            diff(&analysis, &brute)
        )));
    }
    if !methods
        .iter()
        .all(|m| matches!(m, Method::Exact | Method::Enumerated))
    {
        return Err(TestCaseError::fail(format!(
            "small definitions should be analysed exactly or by enumeration, got {methods:?}\n{text}"
        )));
    }
    if analysis != brute {
        return Ok(Verdict::Inexact(format!(
            "{}\n{text}",
            diff(&analysis, &brute)
        )));
    }
    Ok(Verdict::Equal)
}

/// Counts of verdicts over a property run.
#[derive(Debug, Default)]
struct Tally {
    equal: usize,
    unproven: usize,
    inexact: usize,
}

/// Which verdicts fail a property run (unsound findings always do).
#[derive(Clone, Copy)]
enum Strict {
    /// Inexact findings fail; give-ups are counted.
    Exactness,
    /// Only unsound findings fail; everything else is counted.
    Soundness,
    /// Anything but `Equal` fails.
    All,
}

/// Runs a property over specs: unsound findings always fail it, others as
/// `strict` says; verdicts that do not fail are counted.
fn exactness(strategy: impl Strategy<Value = Spec>, cases: u32, strict: Strict) -> Tally {
    let tally = std::cell::RefCell::new(Tally::default());
    runner(cases)
        .run(&strategy, |s| {
            let mut t = tally.borrow_mut();
            match check_spec(&s)? {
                Verdict::Equal => t.equal += 1,
                Verdict::Unsound(d) => {
                    return Err(TestCaseError::fail(format!("UNSOUND analysis:\n{d}")));
                }
                Verdict::Inexact(d) if !matches!(strict, Strict::Soundness) => {
                    return Err(TestCaseError::fail(format!(
                        "analysis and brute force differ:\n{d}"
                    )));
                }
                Verdict::Unproven(d) if matches!(strict, Strict::All) => {
                    return Err(TestCaseError::fail(format!(
                        "the analysis gave up on a tiny definition:\n{d}"
                    )));
                }
                Verdict::Unproven(_) => t.unproven += 1,
                Verdict::Inexact(_) => t.inexact += 1,
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    let tally = tally.into_inner();
    eprintln!("{tally:?}");
    tally
}

/// The guarantee itself: when a spec compiles with `k = 2`, brute force
/// must find every contributing item among at least 2 codes for every
/// outcome vector. Returns whether it compiled.
fn check_guarantee(spec: &Spec) -> Result<bool, TestCaseError> {
    let text = spec.toml(2);
    let Ok(e) = aspekt::compile(&Source::new("gen.toml", &text)) else {
        return Ok(false);
    };
    let ids: Vec<String> = (0..spec.items.len()).map(Spec::item_id).collect();
    let contributing: BTreeMap<String, BTreeSet<usize>> = spec
        .results
        .iter()
        .enumerate()
        .map(|(ri, r)| (format!("r{ri}"), spec.contributing(r)))
        .collect();
    let brute =
        brute_force(&e, &ids, &spec.vectors(), &contributing).map_err(TestCaseError::fail)?;
    let leaks: Vec<String> = brute
        .iter()
        .filter(|(_, m)| m.is_some_and(|m| m < 2))
        .map(|((r, o), m)| format!("  {r}/{o}: {m:?}"))
        .collect();
    if !leaks.is_empty() {
        let (analysis, _) = analysed(&e);
        return Err(TestCaseError::fail(format!(
            "compiles with k = 2, but outcomes pin an item:\n{}\nanalysis vs brute force:\n{}\n{text}",
            leaks.join("\n"),
            diff(&analysis, &brute)
        )));
    }
    Ok(true)
}

fn guarantee(strategy: impl Strategy<Value = Spec>, cases: u32) -> usize {
    let compiled = std::cell::Cell::new(0);
    runner(cases)
        .run(&strategy, |s| {
            if check_guarantee(&s)? {
                compiled.set(compiled.get() + 1);
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    eprintln!("compiled with k = 2: {}", compiled.get());
    compiled.get()
}

/// Cases per property; `ASPEKT_PROPTEST_CASES` raises it for a deep run.
fn runner(cases: u32) -> TestRunner {
    let cases = std::env::var("ASPEKT_PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(cases);
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

/// Exactness on small definitions with whole weights. Cases where the
/// analysis gives up on a tiny definition (a known engine bug, see
/// `tiny_definitions_are_analysed`) are skipped and counted.
#[test]
fn analysis_equals_brute_force_on_small_definitions() {
    let t = exactness(spec(WHOLE, false), 128, Strict::Exactness);
    assert!(t.equal >= 96, "too few cases checked: {t:?}");
}

/// Exactness with scripted rules (score rules, result rules comparing two
/// scores or cutting one), which the analysis enumerates.
#[test]
fn analysis_equals_brute_force_with_rules() {
    let t = exactness(spec(WHOLE, true), 96, Strict::Exactness);
    assert!(t.equal >= 64, "too few cases checked: {t:?}");
}

/// The same with fractional weights, whose sums depend on the order of
/// addition. Findings must stay sound; fallbacks are counted.
#[test]
fn analysis_is_sound_with_fractional_weights() {
    let t = exactness(spec(FRACTIONAL, false), 128, Strict::Soundness);
    assert!(t.equal >= 32, "too few cases checked: {t:?}");
}

/// The analysis never gives up on, or falls back to witnesses for, a
/// definition with at most 625 answer vectors.
#[test]
fn tiny_definitions_are_analysed() {
    exactness(spec(WHOLE, false), 512, Strict::All);
    exactness(spec(WHOLE, true), 512, Strict::All);
}

/// Declarative scoring with fractional weights is analysed exactly.
#[test]
fn fractional_weights_are_analysed_exactly() {
    exactness(spec(FRACTIONAL, false), 256, Strict::All);
}

/// Definitions that compile with `k = 2` keep every item among 2 codes.
#[test]
fn compiled_definitions_keep_the_guarantee() {
    let compiled = guarantee(spec(WHOLE, false), 256);
    assert!(compiled >= 16, "too few definitions compiled: {compiled}");
}

/// The same with scripted rules.
#[test]
fn compiled_definitions_with_rules_keep_the_guarantee() {
    guarantee(spec(WHOLE, true), 96);
}

/// The same with fractional weights.
#[test]
fn compiled_definitions_keep_the_guarantee_with_fractional_weights() {
    guarantee(spec(FRACTIONAL, false), 256);
}

// ------------------------------------------------------------------ library

/// A small deterministic generator: reproducible samples without a seed file.
struct Xorshift(u64);

impl Xorshift {
    fn next(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

/// An instrument's items with their codes, from its definition.
fn items_of(e: &Evaluator) -> Vec<(String, Vec<i64>)> {
    let def = e.definition();
    def.items
        .iter()
        .map(|it| {
            let scale = def
                .scales
                .iter()
                .find(|s| s.id.as_str() == it.scale.as_str())
                .unwrap();
            let codes = scale.options.iter().map(|o| *o.code.value()).collect();
            (it.id.to_string(), codes)
        })
        .collect()
}

fn report_json(e: &Evaluator, items: &[(String, Vec<i64>)], v: &[Option<i64>]) -> String {
    let ids: Vec<String> = items.iter().map(|(id, _)| id.clone()).collect();
    let request = request(&ids, v).with_consent(e.privacy_notice().unwrap_or_default());
    e.evaluate(&request)
        .unwrap_or_else(|err| panic!("{}: {err}", e.id()))
        .to_json()
}

/// Candidate answer sets near `base` with item `i` set to `code`, cheapest
/// first: phase 0 changes one other item, phase 1 draws random sets, phase 2
/// changes every pair of other items.
fn candidates(
    items: &[(String, Vec<i64>)],
    base: &[Option<i64>],
    i: usize,
    code: i64,
    phase: usize,
    rng: &mut Xorshift,
) -> Vec<Vec<Option<i64>>> {
    let options = |j: usize| -> Vec<Option<i64>> {
        std::iter::once(None)
            .chain(items[j].1.iter().copied().map(Some))
            .collect()
    };
    let mut v = base.to_vec();
    v[i] = Some(code);
    let others: Vec<usize> = (0..items.len()).filter(|&j| j != i).collect();
    let mut out = Vec::new();
    match phase {
        0 => {
            for &j in &others {
                for a in options(j) {
                    let mut w = v.clone();
                    w[j] = a;
                    out.push(w);
                }
            }
        }
        1 => {
            for _ in 0..300 {
                let mut w: Vec<Option<i64>> = (0..items.len())
                    .map(|j| {
                        let o = options(j);
                        o[rng.next(o.len())]
                    })
                    .collect();
                w[i] = Some(code);
                out.push(w);
            }
        }
        _ => {
            for (x, &j) in others.iter().enumerate() {
                for &l in &others[x + 1..] {
                    for a in options(j) {
                        for b in options(l) {
                            let mut w = v.clone();
                            w[j] = a;
                            w[l] = b;
                            out.push(w);
                        }
                    }
                }
            }
        }
    }
    out
}

/// For random answer sets of every library instrument, every answered item
/// keeps at least `k` codes that yield the identical (participant) report.
#[test]
fn library_reports_keep_every_answered_item_ambiguous() {
    const SAMPLES: usize = 20;
    let mut rng = Xorshift(0x9e37_79b9_7f4a_7c15);
    for entry in aspekt::library::entries() {
        let e = entry
            .compile()
            .unwrap_or_else(|err| panic!("{}: {err}", entry.id));
        if e.mode() == aspekt::model::Mode::Interview {
            // Selections made in the open with the counsellor: results may
            // list them, and the disclosure check does not apply.
            eprintln!("{}: interview mode, skipped", entry.id);
            continue;
        }
        let k = e
            .disclosure()
            .results
            .iter()
            .map(|f| f.k)
            .max()
            .unwrap_or(2) as usize;
        let items = items_of(&e);
        let started = std::time::Instant::now();
        let (mut searched, mut checked) = (0, 0);
        for _ in 0..SAMPLES {
            // Mostly answered, sometimes not: missing answers are part of
            // the answer space.
            let sample: Vec<Option<i64>> = items
                .iter()
                .map(|(_, codes)| (rng.next(8) != 0).then(|| codes[rng.next(codes.len())]))
                .collect();
            let target = report_json(&e, &items, &sample);
            for (i, (id, codes)) in items.iter().enumerate() {
                if sample[i].is_none() {
                    continue;
                }
                checked += 1;
                // The item alone, the other answers fixed.
                let mut same: BTreeSet<i64> = BTreeSet::new();
                for &c in codes {
                    let mut v = sample.clone();
                    v[i] = Some(c);
                    if report_json(&e, &items, &v) == target {
                        same.insert(c);
                    }
                }
                if same.len() >= k {
                    continue;
                }
                // The other answers pin it: the guarantee is over all answer
                // sets with this report, so search them.
                searched += 1;
                'phases: for phase in 0..3 {
                    for &c in codes {
                        if same.contains(&c) {
                            continue;
                        }
                        let found = candidates(&items, &sample, i, c, phase, &mut rng)
                            .iter()
                            .any(|w| report_json(&e, &items, w) == target);
                        if found {
                            same.insert(c);
                            if same.len() >= k {
                                break 'phases;
                            }
                        }
                    }
                }
                assert!(
                    same.len() >= k,
                    "{}: item {id} answered {:?} is pinned to {same:?} by report {target}",
                    entry.id,
                    sample[i]
                );
            }
        }
        eprintln!(
            "{}: {checked} answered items in {SAMPLES} samples, {searched} needed a search over other answer sets ({:.1?})",
            entry.id,
            started.elapsed()
        );
    }
}
