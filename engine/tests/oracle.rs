//! The soundness oracle (issue 13): the compiler's disclosure verdict
//! checked by brute force, over the whole definition format.
//!
//! `privacy_properties.rs` compares the analysis's *numbers* with brute
//! force on declarative scores and a few rules, for the participant, with
//! `k = 1` so everything compiles. This file checks the *verdict*, the way an
//! adversary would: random small definitions using every part of the format
//! (topics with their own `k`, declared audiences, interview mode,
//! selections, weights, reverse keys, missing-data rules, transforms and
//! rounding, bands, result and score rules that return `insufficient()` or
//! fail, `strongest`, waivers) are compiled as they are. For each one that
//! compiles, every answer set (each item blank or at any code, each topic
//! answered or declined) is evaluated for every audience through the public
//! API. The **observation** of one evaluation is what that audience reads:
//! per result its id, status, band id and label, or the error's code,
//! message and path. Answer sets are grouped by observation; an item that
//! contributes to a result the audience sees and takes fewer than its `k`
//! codes within one group (blank does not count; a group where the item is
//! always blank reveals no code) is a **leak** and fails the test.
//!
//! Exclusions, by design: in interview mode the participant and counsellor
//! share the selections, so only other audiences are checked there; a leak
//! where every result involving the item is reported `waived` by
//! `Evaluator::disclosure()` is counted as a "waived leak", not a failure.
//!
//! For definitions the compiler rejects *only* for disclosure reasons
//! (`disclosure`, `disclosure_unproven`, `analysis_budget`), a twin with
//! `k = 1` and every result waived is compiled (evaluation does not depend on
//! `k` or waivers) and brute-forced with the original `k`: when it shows no
//! leak, the rejection was a false one. Their count and rate, per code, is
//! printed at the end.
//!
//! `ASPEKT_ORACLE_CASES` sets the number of generated definitions (default
//! 10,000).
//!
//! The holes issue 13 found (interview mode unanalysed for declared
//! audiences, witnesses blind to `insufficient()` and failures, waivers over
//! leaks a single result shows) each have a test below with a minimal
//! definition, written before their fix.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code: a failed expectation should abort the test loudly"
)]

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use aspekt::{Answers, Code, Evaluator, Method, Request, Severity, Source};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

// ------------------------------------------------------------------ spec

const EXTRA_AUDIENCES: &[&str] = &["agency", "employer"];
const NOTICE: &str = "2026-01";

#[derive(Clone, Debug)]
struct ItemSpec {
    codes: Vec<i64>,
    reverse: bool,
    /// Weight in thousandths.
    milli: i64,
    topic: usize,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Sum,
    Mean,
    /// Rule: the highest raw code answered (insufficient if none).
    Max,
    /// Rule: how many items are answered.
    Count,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum MissingRule {
    All,
    MinAnswered(usize),
    MaxMissing(usize),
}

#[derive(Clone, Debug)]
struct ScoreSpec {
    items: Vec<usize>,
    kind: Kind,
    missing: MissingRule,
    transform: Option<(f64, f64)>,
    round: Option<u32>,
}

#[derive(Clone, Debug)]
enum RuleKind {
    /// "lo" up to a threshold, else "hi"; insufficient when the score is.
    Threshold(f64),
    /// "a" when the first score is at least the second, else "b".
    Compare,
    /// `insufficient()` exactly at one value, "none" for a missing score,
    /// else "lo"/"hi" around a threshold.
    InsufficientAt(f64, f64),
    /// Throws at one value (the compiler must catch it), else a threshold.
    ThrowAt(f64, f64),
    /// One outcome per reachable value (echoes the score).
    Echo,
    /// Throws when the two scores take these two values together (each
    /// reachable, together perhaps not), else as `Compare`.
    ThrowAtPair(f64, f64),
}

#[derive(Clone, Debug)]
enum Choice {
    /// Bands as (min, max) over the score's reachable values.
    Bands {
        score: usize,
        bands: Vec<(f64, f64)>,
    },
    Rule {
        scores: Vec<usize>,
        kind: RuleKind,
        outcomes: Vec<String>,
    },
    Strongest {
        sources: Vec<usize>,
        min_band: usize,
    },
    Select {
        items: Vec<usize>,
        min_code: i64,
        top: usize,
    },
}

#[derive(Clone, Debug)]
struct ResultSpec {
    choice: Choice,
    audiences: Vec<&'static str>,
    waiver: bool,
}

#[derive(Clone, Debug)]
struct Spec {
    interview: bool,
    k: Option<u32>,
    audiences: Vec<&'static str>,
    notice: bool,
    /// `None`: no `[[topic]]` declared (one implicit topic).
    topics: Option<Vec<Option<u32>>>,
    items: Vec<ItemSpec>,
    scores: Vec<ScoreSpec>,
    results: Vec<ResultSpec>,
}

/// Raw material, plain numbers so that proptest shrinks well.
type RawHead = (u8, u8, u8, bool, u8, u8);
/// (codes, start, gaps, reverse, weight, topic)
type RawItem = (usize, i64, [u8; 3], bool, u8, u8);
/// (item mask, kind, missing, transform, round)
type RawScore = (u8, u8, u8, u8, u8);
/// (kind, score, other, cuts, audiences, waiver, param)
type RawResult = (u8, u8, u8, Vec<u16>, u8, u8, u16);

fn raw_head() -> impl Strategy<Value = RawHead> {
    (
        any::<u8>(),
        any::<u8>(),
        any::<u8>(),
        any::<bool>(),
        any::<u8>(),
        any::<u8>(),
    )
}

fn raw_item() -> impl Strategy<Value = RawItem> {
    (
        2usize..=4,
        -2i64..=3,
        [1u8..=3, 1u8..=3, 1u8..=3],
        any::<bool>(),
        any::<u8>(),
        any::<u8>(),
    )
}

fn raw_score() -> impl Strategy<Value = RawScore> {
    (1u8..=15, any::<u8>(), any::<u8>(), any::<u8>(), any::<u8>())
}

fn raw_result() -> impl Strategy<Value = RawResult> {
    (
        any::<u8>(),
        any::<u8>(),
        any::<u8>(),
        proptest::collection::vec(any::<u16>(), 0..=3),
        any::<u8>(),
        any::<u8>(),
        any::<u16>(),
    )
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        raw_head(),
        proptest::collection::vec(raw_item(), 1..=4),
        proptest::collection::vec(raw_score(), 1..=3),
        proptest::collection::vec(raw_result(), 1..=4),
    )
        .prop_map(|(head, items, scores, results)| Spec::from_raw(head, &items, &scores, &results))
}

/// Weights in thousandths; mostly whole.
const WEIGHTS: &[i64] = &[1000, 1000, 1000, 2000, 500, 1500, 300];

impl Spec {
    fn from_raw(
        head: RawHead,
        items: &[RawItem],
        scores: &[RawScore],
        results: &[RawResult],
    ) -> Spec {
        let (mode, k, audiences, notice, topics, topic_k) = head;
        let interview = mode % 5 == 0;
        let k = match k % 8 {
            0 => Some(2),
            1 => Some(3),
            2 => Some(1),
            _ => None,
        };
        let audiences: Vec<&'static str> = EXTRA_AUDIENCES
            .iter()
            .enumerate()
            .filter(|(i, _)| audiences & (1 << i) != 0 && (i == &0 || audiences % 3 == 0))
            .map(|(_, a)| *a)
            .collect();
        let n_topics = usize::from(topics % 3);
        // Items, their topics; topics without items are dropped.
        let mut items: Vec<ItemSpec> = items
            .iter()
            .map(|&(n, start, gaps, reverse, weight, topic)| {
                let mut codes = vec![start];
                for g in gaps.iter().take(n - 1) {
                    let step = if topic % 2 == 0 { 1 } else { i64::from(*g) };
                    codes.push(codes.last().unwrap() + step);
                }
                ItemSpec {
                    codes,
                    reverse,
                    milli: WEIGHTS[usize::from(weight) % WEIGHTS.len()],
                    topic: if n_topics == 0 {
                        0
                    } else {
                        usize::from(topic / 2) % n_topics
                    },
                }
            })
            .collect();
        let used_topics: BTreeSet<usize> = items.iter().map(|i| i.topic).collect();
        let renumber: BTreeMap<usize, usize> = used_topics
            .iter()
            .enumerate()
            .map(|(new, &old)| (old, new))
            .collect();
        for it in &mut items {
            it.topic = renumber[&it.topic];
        }
        let topics = (n_topics > 0).then(|| {
            (0..used_topics.len())
                .map(|t| match (topic_k >> (2 * t)) % 4 {
                    0 => Some(3),
                    1 => Some(2),
                    _ => None,
                })
                .collect()
        });
        let n = items.len();
        // Scores: items of one topic (the first chosen item's).
        let mut out_scores: Vec<ScoreSpec> = Vec::new();
        for &(mask, kind, missing, transform, round) in scores {
            let mut members: Vec<usize> = (0..n).filter(|i| mask & (1 << i) != 0).collect();
            if members.is_empty() {
                members.push(usize::from(mask) % n);
            }
            let topic = items[members[0]].topic;
            members.retain(|&i| items[i].topic == topic);
            if mask & 0x10 != 0 {
                members.reverse();
            }
            let kind = match kind % 6 {
                0 | 1 => Kind::Sum,
                2 | 3 => Kind::Mean,
                4 => Kind::Max,
                _ => Kind::Count,
            };
            out_scores.push(ScoreSpec::new(members, kind, missing, transform, round));
        }
        // Every item is scored: unused ones join a score of their topic, or
        // get their own.
        for i in 0..n {
            if out_scores.iter().any(|s| s.items.contains(&i)) {
                continue;
            }
            match out_scores
                .iter_mut()
                .find(|s| items[s.items[0]].topic == items[i].topic)
            {
                Some(s) => s.items.push(i),
                None => out_scores.push(ScoreSpec::new(vec![i], Kind::Sum, 0, 0, 0)),
            }
        }
        for s in &mut out_scores {
            s.fix_missing();
        }
        let mut spec = Spec {
            interview,
            k,
            audiences,
            notice,
            topics,
            items,
            scores: out_scores,
            results: Vec::new(),
        };
        for raw in results {
            let r = spec.result_from_raw(raw);
            spec.results.push(r);
        }
        // Every score is used by a result.
        for s in 0..spec.scores.len() {
            if !spec
                .results
                .iter()
                .any(|r| spec.result_scores(r).contains(&s))
            {
                let bands = spec.bands(s, &[]);
                spec.results.push(ResultSpec {
                    choice: Choice::Bands { score: s, bands },
                    audiences: vec!["participant"],
                    waiver: false,
                });
            }
        }
        spec
    }

    fn audiences_from(&self, mask: u8) -> Vec<&'static str> {
        let mut out = vec!["participant"];
        if mask & 1 != 0 {
            out.push("counsellor");
        }
        for (i, a) in self.audiences.iter().enumerate() {
            if mask & (2 << i) != 0 {
                out.push(a);
            }
        }
        out
    }

    fn result_from_raw(&self, raw: &RawResult) -> ResultSpec {
        let &(kind, score, other, ref cuts, audiences, waiver, param) = raw;
        let n_scores = self.scores.len();
        let s = usize::from(score) % n_scores;
        let topic = self.score_topic(s);
        let same_topic: Vec<usize> = (0..n_scores)
            .filter(|&o| o != s && self.score_topic(o) == topic)
            .collect();
        let values = self.reachable(s);
        let pick = |p: u16| values[usize::from(p) % values.len()];
        let audiences = self.audiences_from(audiences);
        let waiver = waiver % 5 == 0;
        let rule = |kind: RuleKind, scores: Vec<usize>| {
            let outcomes = self.declared_outcomes(&scores, &kind);
            Choice::Rule {
                scores,
                kind,
                outcomes,
            }
        };
        let bands = || Choice::Bands {
            score: s,
            bands: self.bands(s, cuts),
        };
        let choice = match kind % 12 {
            0..=3 => bands(),
            4 => rule(RuleKind::Threshold(pick(param)), vec![s]),
            5 if !same_topic.is_empty() => rule(
                RuleKind::Compare,
                vec![s, same_topic[usize::from(other) % same_topic.len()]],
            ),
            6 => rule(
                RuleKind::InsufficientAt(pick(param), pick(param / 7 + u16::from(other))),
                vec![s],
            ),
            7 if param % 3 == 0 => rule(
                RuleKind::ThrowAt(pick(param), pick(u16::from(other))),
                vec![s],
            ),
            7 if !same_topic.is_empty() => {
                let o = same_topic[usize::from(other) % same_topic.len()];
                let theirs = self.reachable(o);
                let u = theirs[usize::from(param / 5) % theirs.len()];
                rule(RuleKind::ThrowAtPair(pick(param), u), vec![s, o])
            }
            8 if values.len() <= 6 => rule(RuleKind::Echo, vec![s]),
            9 => {
                // The strongest of earlier banded results of this topic
                // with as many bands as the first of them.
                let banded: Vec<usize> = self
                    .results
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| matches!(r.choice, Choice::Bands { .. }))
                    .filter(|(_, r)| self.result_topic(r) == Some(topic))
                    .map(|(i, _)| i)
                    .collect();
                let n_bands = |r: usize| match &self.results[r].choice {
                    Choice::Bands { bands, .. } => bands.len(),
                    _ => 0,
                };
                // The largest group with one band count.
                let mut by_count: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
                for &r in &banded {
                    by_count.entry(n_bands(r)).or_default().push(r);
                }
                let sources: Vec<usize> = by_count
                    .into_values()
                    .max_by_key(Vec::len)
                    .unwrap_or_default();
                if sources.len() >= 2 && n_bands(sources[0]) >= 2 {
                    // Released to audiences that see every source.
                    let audiences: Vec<&'static str> = audiences
                        .iter()
                        .copied()
                        .filter(|a| {
                            sources
                                .iter()
                                .all(|&r| self.results[r].audiences.contains(a))
                        })
                        .collect();
                    return ResultSpec {
                        choice: Choice::Strongest {
                            min_band: usize::from(other) % n_bands(sources[0]),
                            sources,
                        },
                        audiences,
                        waiver,
                    };
                }
                bands()
            }
            10 | 11 if self.interview => {
                let items: Vec<usize> = (0..self.items.len())
                    .filter(|&i| self.items[i].topic == topic)
                    .filter(|&i| (param >> i) & 1 == 1 || i == self.scores[s].items[0])
                    .collect();
                let codes: BTreeSet<i64> = items
                    .iter()
                    .flat_map(|&i| self.items[i].codes.iter().copied())
                    .collect();
                let codes: Vec<i64> = codes.into_iter().collect();
                Choice::Select {
                    min_code: codes[usize::from(other) % codes.len()],
                    top: 1 + usize::from(other / 64) % 3,
                    items,
                }
            }
            _ => bands(),
        };
        // A rule that could return no declared outcome falls back to bands.
        let choice = match choice {
            Choice::Rule { ref outcomes, .. } if outcomes.is_empty() => bands(),
            c => c,
        };
        ResultSpec {
            choice,
            audiences,
            waiver,
        }
    }

    fn score_topic(&self, s: usize) -> usize {
        self.items[self.scores[s].items[0]].topic
    }

    fn result_topic(&self, r: &ResultSpec) -> Option<usize> {
        match &r.choice {
            Choice::Select { items, .. } => items.first().map(|&i| self.items[i].topic),
            _ => self.result_scores(r).first().map(|&s| self.score_topic(s)),
        }
    }

    /// The scores a result reads (a strongest result: its sources').
    fn result_scores(&self, r: &ResultSpec) -> Vec<usize> {
        match &r.choice {
            Choice::Bands { score, .. } => vec![*score],
            Choice::Rule { scores, .. } => scores.clone(),
            Choice::Strongest { sources, .. } => sources
                .iter()
                .flat_map(|&s| self.result_scores(&self.results[s]))
                .collect(),
            Choice::Select { .. } => Vec::new(),
        }
    }
}
impl ScoreSpec {
    fn new(items: Vec<usize>, kind: Kind, missing: u8, transform: u8, round: u8) -> ScoreSpec {
        let declarative = matches!(kind, Kind::Sum | Kind::Mean);
        let missing = match missing % 4 {
            0 | 1 => MissingRule::All,
            2 => MissingRule::MinAnswered(1 + usize::from(missing / 4)),
            _ => MissingRule::MaxMissing(1 + usize::from(missing / 4)),
        };
        let transform = match transform % 10 {
            _ if !declarative => None,
            0..=5 => None,
            6 => Some((4.0, 0.0)),
            7 => Some((10.0, -1.0)),
            8 => Some((-2.5, 3.0)),
            _ => Some((100.0 / 3.0, 0.0)),
        };
        let round = match (transform, round % 3) {
            (None, _) if !round.is_multiple_of(5) => None,
            (_, 0) => Some(0),
            (_, 1) => Some(1),
            _ => None,
        };
        ScoreSpec {
            items,
            kind,
            missing: if declarative {
                missing
            } else {
                MissingRule::All
            },
            transform,
            round: if declarative { round } else { None },
        }
    }

    /// Makes the missing-data rule valid for the score's item count.
    fn fix_missing(&mut self) {
        let n = self.items.len();
        self.missing = match self.missing {
            MissingRule::MinAnswered(m) if n > 1 => MissingRule::MinAnswered(1 + (m - 1) % (n - 1)),
            MissingRule::MaxMissing(m) if n > 1 => MissingRule::MaxMissing(1 + (m - 1) % (n - 1)),
            _ => MissingRule::All,
        };
    }

    /// How many items must be answered.
    fn min_answered(&self) -> usize {
        match self.missing {
            MissingRule::All => self.items.len(),
            MissingRule::MinAnswered(m) => m,
            MissingRule::MaxMissing(m) => self.items.len() - m,
        }
    }
}

// ------------------------------------------------------------------ model

/// What a result rule does for its inputs' values.
enum Ruled {
    Outcome(String),
    Insufficient,
    Fails,
}

impl Spec {
    fn item_id(i: usize) -> String {
        format!("q{}", i + 1)
    }

    fn topic_ids(&self) -> Vec<String> {
        match &self.topics {
            None => vec!["gen".to_string()],
            Some(t) => (0..t.len()).map(|i| format!("t{i}")).collect(),
        }
    }

    /// The `k` that applies to an item: the larger of the questionnaire's
    /// and its topic's.
    fn k_of(&self, item: usize) -> u32 {
        let q = self.k.unwrap_or(2);
        let t = self
            .topics
            .as_ref()
            .and_then(|t| t[self.items[item].topic])
            .unwrap_or(0);
        q.max(t)
    }

    /// A score's value with the engine's documented arithmetic; `None`
    /// when insufficient.
    fn score_value(&self, s: usize, answers: &[Option<i64>]) -> Option<f64> {
        let s = &self.scores[s];
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
        let (mut answered, mut w, mut sum, mut total) = (0, 0i64, 0i64, 0i64);
        for &i in &s.items {
            let it = &self.items[i];
            total += it.milli;
            if let Some(c) = answers[i] {
                let (lo, hi) = (it.codes[0], *it.codes.last().unwrap());
                let keyed = if it.reverse { lo + hi - c } else { c };
                answered += 1;
                w += it.milli;
                sum += it.milli * keyed;
            }
        }
        if answered < s.min_answered() || answered == 0 {
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
        let (m, a) = s.transform.unwrap_or((1.0, 0.0));
        let mut v = base * m + a;
        if let Some(d) = s.round {
            let f = 10f64.powi(d as i32);
            v = (v * f).round() / f;
        }
        Some(if v == 0.0 { 0.0 } else { v })
    }

    /// Every combination of the given items' codes and blank.
    fn combinations(&self, items: &[usize]) -> Vec<Vec<Option<i64>>> {
        let mut out = vec![vec![None; self.items.len()]];
        for &i in items {
            let mut next = Vec::new();
            for v in &out {
                for c in std::iter::once(None).chain(self.items[i].codes.iter().copied().map(Some))
                {
                    let mut v = v.clone();
                    v[i] = c;
                    next.push(v);
                }
            }
            out = next;
        }
        out
    }

    /// The values a score can take, sorted.
    fn reachable(&self, s: usize) -> Vec<f64> {
        let mut values: Vec<f64> = self
            .combinations(&self.scores[s].items)
            .iter()
            .filter_map(|v| self.score_value(s, v))
            .collect();
        values.sort_by(f64::total_cmp);
        values.dedup();
        values
    }

    /// Bands cut at reachable values: (min, max) pairs covering all of them.
    fn bands(&self, s: usize, cuts: &[u16]) -> Vec<(f64, f64)> {
        let values = self.reachable(s);
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

    /// What a result rule does; `values` has one entry per input score.
    fn ruled(&self, kind: &RuleKind, scores: &[usize], values: &[Option<f64>]) -> Ruled {
        let out = |o: &str| Ruled::Outcome(o.to_string());
        match (kind, values) {
            (RuleKind::Threshold(t), [a]) => match a {
                None => Ruled::Insufficient,
                Some(a) if a <= t => out("lo"),
                Some(_) => out("hi"),
            },
            (RuleKind::Compare, [a, b]) => match (a, b) {
                (Some(a), Some(b)) if a >= b => out("a"),
                (Some(_), Some(_)) => out("b"),
                _ => Ruled::Insufficient,
            },
            (RuleKind::InsufficientAt(t, t2), [a]) => match a {
                None => out("none"),
                Some(a) if a == t => Ruled::Insufficient,
                Some(a) if a <= t2 => out("lo"),
                Some(_) => out("hi"),
            },
            (RuleKind::ThrowAt(t, t2), [a]) => match a {
                Some(a) if a == t => Ruled::Fails,
                None => Ruled::Insufficient,
                Some(a) if a <= t2 => out("lo"),
                Some(_) => out("hi"),
            },
            (RuleKind::ThrowAtPair(t, u), [a, b]) => match (a, b) {
                (Some(a), Some(b)) if a == t && b == u => Ruled::Fails,
                (Some(a), Some(b)) if a >= b => out("a"),
                (Some(_), Some(_)) => out("b"),
                _ => Ruled::Insufficient,
            },
            (RuleKind::Echo, [a]) => match a {
                None => Ruled::Insufficient,
                Some(a) => {
                    let values = self.reachable(scores[0]);
                    let i = values.iter().position(|v| v == a).unwrap_or(0);
                    Ruled::Outcome(format!("v{i}"))
                }
            },
            _ => unreachable!("rule {kind:?} over {} scores", values.len()),
        }
    }

    /// The outcomes a rule returns over every combination of its inputs'
    /// reachable values and blank: what the compiler demands be declared.
    fn declared_outcomes(&self, scores: &[usize], kind: &RuleKind) -> Vec<String> {
        let mut combos: Vec<Vec<Option<f64>>> = vec![Vec::new()];
        for &s in scores {
            let mut next = Vec::new();
            for c in &combos {
                for v in std::iter::once(None).chain(self.reachable(s).into_iter().map(Some)) {
                    let mut c = c.clone();
                    c.push(v);
                    next.push(c);
                }
            }
            combos = next;
        }
        let mut out = BTreeSet::new();
        for c in combos {
            if let Ruled::Outcome(o) = self.ruled(kind, scores, &c) {
                out.insert(o);
            }
        }
        out.into_iter().collect()
    }

    fn rule_source(&self, kind: &RuleKind, scores: &[usize]) -> String {
        let a = format!("scores.s{}", scores[0]);
        match kind {
            RuleKind::Threshold(t) => format!(
                "if {a} == () {{ insufficient() }} else if {a} <= {t:?} {{ \"lo\" }} else {{ \"hi\" }}"
            ),
            RuleKind::Compare => {
                let b = format!("scores.s{}", scores[1]);
                format!(
                    "if {a} == () || {b} == () {{ insufficient() }} else if {a} >= {b} {{ \"a\" }} else {{ \"b\" }}"
                )
            }
            RuleKind::InsufficientAt(t, t2) => format!(
                "if {a} == () {{ \"none\" }} else if {a} == {t:?} {{ insufficient() }} else if {a} <= {t2:?} {{ \"lo\" }} else {{ \"hi\" }}"
            ),
            RuleKind::ThrowAt(t, t2) => format!(
                "if {a} != () && {a} == {t:?} {{ throw \"no\"; }}\nif {a} == () {{ insufficient() }} else if {a} <= {t2:?} {{ \"lo\" }} else {{ \"hi\" }}"
            ),
            RuleKind::ThrowAtPair(t, u) => {
                let b = format!("scores.s{}", scores[1]);
                format!(
                    "if {a} != () && {b} != () && {a} == {t:?} && {b} == {u:?} {{ throw \"no\"; }}\nif {a} == () || {b} == () {{ insufficient() }} else if {a} >= {b} {{ \"a\" }} else {{ \"b\" }}"
                )
            }
            RuleKind::Echo => {
                let mut src = format!("if {a} == () {{ insufficient() }}");
                for (i, v) in self.reachable(scores[0]).iter().enumerate() {
                    write!(src, " else if {a} == {v:?} {{ \"v{i}\" }}").unwrap();
                }
                src.push_str(" else { \"v0\" }");
                src
            }
        }
    }

    /// The items a result depends on.
    fn contributing(&self, r: &ResultSpec) -> BTreeSet<usize> {
        match &r.choice {
            Choice::Select { items, .. } => items.iter().copied().collect(),
            _ => self
                .result_scores(r)
                .iter()
                .flat_map(|&s| self.scores[s].items.iter().copied())
                .collect(),
        }
    }

    /// The parts of the format this definition uses, for the coverage tally.
    fn features(&self) -> BTreeSet<&'static str> {
        let mut f = BTreeSet::new();
        let mut add = |on: bool, name| {
            if on {
                f.insert(name);
            }
        };
        add(self.interview, "interview");
        add(self.notice, "privacy_notice");
        add(self.k == Some(3), "k3");
        add(!self.audiences.is_empty(), "declared_audience");
        add(
            self.topics.as_ref().is_some_and(|t| t.len() > 1),
            "two_topics",
        );
        add(
            self.topics
                .as_ref()
                .is_some_and(|t| t.iter().any(Option::is_some)),
            "topic_k",
        );
        add(self.items.iter().any(|i| i.reverse), "reverse");
        add(self.items.iter().any(|i| i.milli != 1000), "weight");
        add(
            self.items
                .iter()
                .any(|i| i.codes.windows(2).any(|w| w[1] - w[0] > 1)),
            "gapped_codes",
        );
        add(self.items.iter().any(|i| i.codes[0] < 0), "negative_codes");
        for s in &self.scores {
            add(matches!(s.kind, Kind::Max | Kind::Count), "score_rule");
            add(s.kind == Kind::Mean, "mean");
            add(s.missing != MissingRule::All, "missing_rule");
            add(s.transform.is_some(), "transform");
            add(s.round.is_some(), "round");
        }
        for r in &self.results {
            add(r.waiver, "waiver");
            add(
                r.audiences.len() < self.all_audiences().len(),
                "restricted_result",
            );
            add(
                r.audiences.iter().any(|a| EXTRA_AUDIENCES.contains(a)),
                "result_for_declared_audience",
            );
            add(
                self.results.len() > 1
                    && self
                        .results
                        .iter()
                        .filter(|o| !self.contributing(o).is_disjoint(&self.contributing(r)))
                        .count()
                        > 1,
                "shared_items",
            );
            add(matches!(r.choice, Choice::Bands { .. }), "bands");
            match &r.choice {
                Choice::Rule { kind, .. } => add(
                    true,
                    match kind {
                        RuleKind::Threshold(_) => "rule_threshold",
                        RuleKind::Compare => "rule_compare",
                        RuleKind::InsufficientAt(..) => "rule_insufficient",
                        RuleKind::ThrowAt(..) => "rule_throw",
                        RuleKind::Echo => "rule_echo",
                        RuleKind::ThrowAtPair(..) => "rule_throw_pair",
                    },
                ),
                Choice::Strongest { .. } => add(true, "strongest"),
                Choice::Select { .. } => add(true, "select"),
                Choice::Bands { .. } => {}
            }
        }
        f
    }

    /// The audiences reports can be made for.
    fn all_audiences(&self) -> Vec<&'static str> {
        let mut out = vec!["participant", "counsellor"];
        out.extend(self.audiences.iter().copied());
        out
    }

    /// The same definition with `k = 1` and every result waived: it
    /// evaluates exactly like the original, and compiles whenever the
    /// original failed for disclosure reasons only.
    fn twin(&self) -> Spec {
        let mut t = self.clone();
        t.k = Some(1);
        if let Some(topics) = &mut t.topics {
            for k in topics.iter_mut() {
                *k = None;
            }
        }
        for r in &mut t.results {
            r.waiver = true;
        }
        // Rules without their throws (which the oracle checks separately).
        for ri in 0..t.results.len() {
            let (scores, kind) = match &t.results[ri].choice {
                Choice::Rule {
                    scores,
                    kind: RuleKind::ThrowAt(_, t2),
                    ..
                } => (scores.clone(), RuleKind::Threshold(*t2)),
                Choice::Rule {
                    scores,
                    kind: RuleKind::ThrowAtPair(..),
                    ..
                } => (scores.clone(), RuleKind::Compare),
                _ => continue,
            };
            let outcomes = t.declared_outcomes(&scores, &kind);
            t.results[ri].choice = Choice::Rule {
                scores,
                kind,
                outcomes,
            };
        }
        t
    }

    /// Whether some answer set makes a rule fail.
    fn fails_somewhere(&self) -> bool {
        answer_sets(self).iter().any(|set| {
            self.results.iter().any(|r| match &r.choice {
                Choice::Rule { scores, kind, .. } => {
                    let topic = self.score_topic(scores[0]);
                    let values: Vec<Option<f64>> = scores
                        .iter()
                        .map(|&s| self.score_value(s, &set.codes))
                        .collect();
                    !set.declined[topic]
                        && matches!(self.ruled(kind, scores, &values), Ruled::Fails)
                }
                _ => false,
            })
        })
    }

    fn toml(&self) -> String {
        let mut t = String::new();
        let quoted = |ids: &[String]| {
            ids.iter()
                .map(|i| format!("\"{i}\""))
                .collect::<Vec<_>>()
                .join(", ")
        };
        writeln!(
            t,
            "[questionnaire]\nid = \"gen\"\nversion = \"1.0.0\"\nlocales = [\"en\"]\ntitle = {{ en = \"Gen\" }}\ndescription = {{ en = \"Gen\" }}"
        )
        .unwrap();
        if self.interview {
            writeln!(t, "mode = \"interview\"").unwrap();
        }
        if let Some(k) = self.k {
            writeln!(t, "k = {k}").unwrap();
        }
        if self.notice {
            writeln!(t, "privacy_notice = \"{NOTICE}\"").unwrap();
        }
        if !self.audiences.is_empty() {
            let a: Vec<String> = self.audiences.iter().map(|a| a.to_string()).collect();
            writeln!(t, "audiences = [{}]", quoted(&a)).unwrap();
        }
        writeln!(
            t,
            "[questionnaire.source]\ncitation = \"generated\"\nlicence = \"CC0-1.0\"\n"
        )
        .unwrap();
        let topic_ids = self.topic_ids();
        if let Some(topics) = &self.topics {
            for (i, k) in topics.iter().enumerate() {
                writeln!(
                    t,
                    "[[topic]]\nid = \"{}\"\ntitle = {{ en = \"T\" }}",
                    topic_ids[i]
                )
                .unwrap();
                if let Some(k) = k {
                    writeln!(t, "k = {k}").unwrap();
                }
                t.push('\n');
            }
        }
        for (i, it) in self.items.iter().enumerate() {
            let options: Vec<String> = it
                .codes
                .iter()
                .map(|c| format!("{{ code = {c}, label = {{ en = \"{c}\" }} }}"))
                .collect();
            writeln!(
                t,
                "[[scale]]\nid = \"c{}\"\noptions = [{}]\n",
                i + 1,
                options.join(", ")
            )
            .unwrap();
        }
        for (i, it) in self.items.iter().enumerate() {
            writeln!(
                t,
                "[[item]]\nid = \"{}\"\nscale = \"c{}\"",
                Self::item_id(i),
                i + 1
            )
            .unwrap();
            if self.topics.is_some() {
                writeln!(t, "topic = \"{}\"", topic_ids[it.topic]).unwrap();
            }
            writeln!(t, "text = {{ en = \"Question {}\" }}", i + 1).unwrap();
            if it.reverse {
                writeln!(t, "reverse = true").unwrap();
            }
            if it.milli != 1000 {
                writeln!(t, "weight = {:?}", it.milli as f64 / 1000.0).unwrap();
            }
            t.push('\n');
        }
        for (si, s) in self.scores.iter().enumerate() {
            let ids: Vec<String> = s.items.iter().map(|&i| Self::item_id(i)).collect();
            writeln!(t, "[[score]]\nid = \"s{si}\"\nitems = [{}]", quoted(&ids)).unwrap();
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
                    let prorate = if mean { "" } else { ", prorate = true" };
                    match s.missing {
                        MissingRule::All => {}
                        MissingRule::MinAnswered(m) => {
                            writeln!(t, "missing = {{ min_answered = {m}{prorate} }}").unwrap();
                        }
                        MissingRule::MaxMissing(m) => {
                            writeln!(t, "missing = {{ max_missing = {m}{prorate} }}").unwrap();
                        }
                    }
                    if let Some((m, a)) = s.transform {
                        writeln!(t, "transform = {{ multiply = {m:?}, add = {a:?} }}").unwrap();
                    }
                    if let Some(d) = s.round {
                        writeln!(t, "round = {d}").unwrap();
                    }
                }
            }
            t.push('\n');
        }
        for (ri, r) in self.results.iter().enumerate() {
            let audiences: Vec<String> = r.audiences.iter().map(|a| a.to_string()).collect();
            writeln!(
                t,
                "[[result]]\nid = \"r{ri}\"\ntitle = {{ en = \"Result {ri}\" }}\naudiences = [{}]",
                quoted(&audiences)
            )
            .unwrap();
            if r.waiver {
                writeln!(t, "waiver = \"coarse by construction\"").unwrap();
            }
            let outcome = |t: &mut String, id: &str| {
                writeln!(
                    t,
                    "[[result.outcome]]\nid = \"{id}\"\nlabel = {{ en = \"Outcome {id}\" }}\nexplanation = {{ en = \"O\" }}"
                )
                .unwrap();
            };
            match &r.choice {
                Choice::Bands { score, bands } => {
                    writeln!(t, "score = \"s{score}\"").unwrap();
                    for (bi, (min, max)) in bands.iter().enumerate() {
                        writeln!(
                            t,
                            "[[result.band]]\nid = \"b{bi}\"\nmin = {min:?}\nmax = {max:?}\nlabel = {{ en = \"Band {bi}\" }}\nexplanation = {{ en = \"B\" }}"
                        )
                        .unwrap();
                    }
                }
                Choice::Rule {
                    scores,
                    kind,
                    outcomes,
                } => {
                    let ids: Vec<String> = scores.iter().map(|s| format!("s{s}")).collect();
                    writeln!(
                        t,
                        "scores = [{}]\nrule = '''\n{}\n'''",
                        quoted(&ids),
                        self.rule_source(kind, scores)
                    )
                    .unwrap();
                    for o in outcomes {
                        outcome(&mut t, o);
                    }
                }
                Choice::Strongest { sources, min_band } => {
                    let ids: Vec<String> = sources.iter().map(|s| format!("r{s}")).collect();
                    writeln!(
                        t,
                        "strongest = {{ results = [{}], min_band = \"b{min_band}\" }}",
                        quoted(&ids)
                    )
                    .unwrap();
                    outcome(&mut t, "listed");
                    outcome(&mut t, "none");
                }
                Choice::Select {
                    items,
                    min_code,
                    top,
                } => {
                    let ids: Vec<String> = items.iter().map(|&i| Self::item_id(i)).collect();
                    writeln!(
                        t,
                        "select = {{ items = [{}], min_code = {min_code}, top = {top} }}\nexplanation = {{ en = \"Chosen together\" }}",
                        quoted(&ids)
                    )
                    .unwrap();
                }
            }
            t.push('\n');
        }
        t
    }
}

// ------------------------------------------------------------------ oracle

/// What one audience reads from one evaluation: per result its id, status,
/// band id and label; or the error.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Observation {
    Report(Vec<(String, String, Option<String>, String)>),
    Error {
        code: String,
        message: String,
        path: Option<String>,
    },
}

impl Observation {
    /// The part of the observation about one result (an error stays whole).
    fn only(&self, result: &str) -> Observation {
        match self {
            Observation::Report(entries) => {
                Observation::Report(entries.iter().filter(|e| e.0 == result).cloned().collect())
            }
            e => e.clone(),
        }
    }
}

/// One answer set: per item a code or blank, per topic whether declined.
#[derive(Clone, Debug)]
struct AnswerSet {
    codes: Vec<Option<i64>>,
    declined: Vec<bool>,
}

/// Every answer set: each topic declined (its items blank) or answered
/// with each of its items blank or at any code.
fn answer_sets(spec: &Spec) -> Vec<AnswerSet> {
    let n_topics = spec.topic_ids().len();
    let mut out = vec![AnswerSet {
        codes: vec![None; spec.items.len()],
        declined: vec![false; n_topics],
    }];
    for t in 0..n_topics {
        let items: Vec<usize> = (0..spec.items.len())
            .filter(|&i| spec.items[i].topic == t)
            .collect();
        let combos = spec.combinations(&items);
        let mut next = Vec::with_capacity(out.len() * (combos.len() + 1));
        for set in &out {
            let mut d = set.clone();
            d.declined[t] = true;
            next.push(d);
            for c in &combos {
                let mut a = set.clone();
                for &i in &items {
                    a.codes[i] = c[i];
                }
                next.push(a);
            }
        }
        out = next;
    }
    out
}

fn observe(spec: &Spec, e: &Evaluator, set: &AnswerSet, audience: &str) -> Observation {
    let mut answers = Answers::new();
    for (i, c) in set.codes.iter().enumerate() {
        if let Some(c) = c {
            answers.insert(Spec::item_id(i), *c);
        }
    }
    let mut request = Request::new(answers).with_audience(audience);
    if spec.notice {
        request = request.with_consent(NOTICE);
    }
    for (t, id) in spec.topic_ids().iter().enumerate() {
        if set.declined[t] {
            request = request.decline(id.clone());
        }
    }
    match e.evaluate(&request) {
        Ok(report) => Observation::Report(
            report
                .results
                .into_iter()
                .map(|r| {
                    (
                        r.id,
                        format!("{:?}", r.status).to_lowercase(),
                        r.band.map(|b| b.id),
                        r.label,
                    )
                })
                .collect(),
        ),
        Err(err) => Observation::Error {
            code: err.code.to_string(),
            message: err.message,
            path: err.path,
        },
    }
}

/// Why a leak does not fail the main property.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Excuse {
    /// Every result involving the item is reported `waived`, and no single
    /// result shows the leak alone (a leak one result shows is an error no
    /// waiver may silence).
    Waived,
}

/// An observation that narrows a contributing item to fewer than `k` codes.
#[derive(Clone, Debug)]
struct Leak {
    audience: &'static str,
    observation: Observation,
    item: usize,
    codes: Vec<i64>,
    k: u32,
    excuse: Option<Excuse>,
    /// The leak shows in the observation of a single result alone.
    alone: bool,
}

impl Leak {
    fn describe(&self) -> String {
        format!(
            "audience `{}`, observation {:?}: item `{}` takes only {:?} (k = {}){}{}",
            self.audience,
            self.observation,
            Spec::item_id(self.item),
            self.codes,
            self.k,
            self.excuse
                .map_or(String::new(), |x| format!(", excused: {x:?}")),
            if self.alone {
                ", visible in one result alone"
            } else {
                ""
            }
        )
    }
}

/// Per observation, per item, the codes seen.
type Groups = HashMap<Observation, Vec<BTreeSet<i64>>>;

fn group(
    observed: &[(Observation, &AnswerSet)],
    project: impl Fn(&Observation) -> Observation,
) -> Groups {
    let mut groups: Groups = HashMap::new();
    for (o, set) in observed {
        let entry = groups
            .entry(project(o))
            .or_insert_with(|| vec![BTreeSet::new(); set.codes.len()]);
        for (i, c) in set.codes.iter().enumerate() {
            if let Some(c) = c {
                entry[i].insert(*c);
            }
        }
    }
    groups
}

/// Items of `items` narrowed below their `k` in some group: (item,
/// observation, codes), the narrowest per item.
fn narrowed(
    spec: &Spec,
    groups: &Groups,
    items: &BTreeSet<usize>,
) -> BTreeMap<usize, (Observation, Vec<i64>)> {
    let mut out: BTreeMap<usize, (Observation, Vec<i64>)> = BTreeMap::new();
    for (o, sets) in groups {
        for &i in items {
            let n = sets[i].len();
            if n == 0 || n >= spec.k_of(i) as usize {
                continue;
            }
            let better = out.get(&i).is_none_or(|(po, pc)| (n, o) < (pc.len(), po));
            if better {
                out.insert(i, (o.clone(), sets[i].iter().copied().collect()));
            }
        }
    }
    out
}

fn method_of(e: &Evaluator, audience: &str, result: &str) -> Option<Method> {
    e.disclosure()
        .results
        .iter()
        .find(|f| f.audience == audience && f.result == result)
        .map(|f| f.method)
}

/// Counts of what the evaluations of compiled definitions returned.
#[derive(Debug, Default)]
struct Evaluations {
    total: usize,
    errors: BTreeMap<String, usize>,
}

/// Brute force over every answer set and audience: the leaks of a compiled
/// definition (in interview mode, participant and counsellor are skipped).
fn leaks(spec: &Spec, e: &Evaluator, evaluations: &mut Evaluations) -> Vec<Leak> {
    let sets = answer_sets(spec);
    let mut out = Vec::new();
    for audience in spec.all_audiences() {
        if spec.interview && matches!(audience, "participant" | "counsellor") {
            continue;
        }
        let visible: Vec<(String, &ResultSpec)> = spec
            .results
            .iter()
            .enumerate()
            .filter(|(_, r)| r.audiences.contains(&audience))
            .map(|(i, r)| (format!("r{i}"), r))
            .collect();
        let items: BTreeSet<usize> = visible
            .iter()
            .flat_map(|(_, r)| spec.contributing(r))
            .collect();
        if items.is_empty() {
            continue;
        }
        let observed: Vec<(Observation, &AnswerSet)> = sets
            .iter()
            .map(|s| (observe(spec, e, s, audience), s))
            .collect();
        evaluations.total += observed.len();
        for (o, _) in &observed {
            if let Observation::Error { code, .. } = o {
                *evaluations.errors.entry(code.clone()).or_default() += 1;
            }
        }
        let joint = narrowed(spec, &group(&observed, Clone::clone), &items);
        for (item, (observation, codes)) in joint {
            let involved: Vec<&String> = visible
                .iter()
                .filter(|(_, r)| spec.contributing(r).contains(&item))
                .map(|(id, _)| id)
                .collect();
            let methods: Vec<Option<Method>> = involved
                .iter()
                .map(|id| method_of(e, audience, id))
                .collect();
            let excuse = if methods.iter().all(|m| *m == Some(Method::Waived)) {
                Some(Excuse::Waived)
            } else {
                None
            };
            let alone = involved.iter().any(|id| {
                let single: BTreeSet<usize> = [item].into();
                !narrowed(spec, &group(&observed, |o| o.only(id)), &single).is_empty()
            });
            out.push(Leak {
                audience,
                observation,
                item,
                codes,
                k: spec.k_of(item),
                excuse,
                alone,
            });
        }
    }
    out
}

/// Rejections the false-rejection figure is about: disclosure, and rule
/// failures (which may be found over score combinations no answer set
/// produces).
const DISCLOSURE_CODES: &[Code] = &[
    Code::Disclosure,
    Code::DisclosureUnproven,
    Code::AnalysisBudget,
    Code::RuleFailed,
];

/// What the run saw, printed at the end.
#[derive(Debug, Default)]
struct Tally {
    cases: usize,
    compiled: usize,
    /// Rejected definitions by the set of error codes.
    rejected: BTreeMap<String, usize>,
    /// Per disclosure code: (definitions rejected with it for disclosure
    /// reasons only, of which the oracle found safe).
    disclosure_rejections: BTreeMap<String, (usize, usize)>,
    /// Disclosure-only rejections whose twin did not compile either.
    twin_failed: usize,
    /// Leaks excused, by excuse.
    excused: BTreeMap<String, usize>,
    /// First example of each excuse.
    examples: BTreeMap<String, String>,
    evaluations: Evaluations,
    /// Compiled definitions using each feature of the format.
    features: BTreeMap<&'static str, usize>,
    /// Time spent compiling, and evaluating.
    compiling: std::time::Duration,
    evaluating: std::time::Duration,
}

fn compile(text: &str, tally: &mut Tally) -> Result<Evaluator, Vec<aspekt::Diagnostic>> {
    let started = std::time::Instant::now();
    let e = aspekt::compile(&Source::new("gen.toml", text)).map_err(|e| e.diagnostics().to_vec());
    tally.compiling += started.elapsed();
    e
}

fn check(spec: &Spec, tally: &mut Tally) -> Result<(), TestCaseError> {
    tally.cases += 1;
    let text = spec.toml();
    match compile(&text, tally) {
        Ok(e) => {
            tally.compiled += 1;
            for f in spec.features() {
                *tally.features.entry(f).or_default() += 1;
            }
            let started = std::time::Instant::now();
            let found = leaks(spec, &e, &mut tally.evaluations);
            tally.evaluating += started.elapsed();
            for leak in found {
                let fails = match leak.excuse {
                    None => true,
                    Some(Excuse::Waived) => leak.alone,
                };
                if fails {
                    return Err(TestCaseError::fail(format!(
                        "compiles, but leaks: {}\n--- definition\n{text}",
                        leak.describe()
                    )));
                }
                let key = format!("{:?}", leak.excuse.unwrap());
                *tally.excused.entry(key.clone()).or_default() += 1;
                tally
                    .examples
                    .entry(key)
                    .or_insert_with(|| format!("{}\n{text}", leak.describe()));
            }
        }
        Err(diagnostics) => {
            let codes: BTreeSet<Code> = diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .map(|d| d.code)
                .collect();
            let names: Vec<&str> = codes.iter().map(|c| c.as_str()).collect();
            *tally.rejected.entry(names.join("+")).or_default() += 1;
            if codes.is_empty() || !codes.iter().all(|c| DISCLOSURE_CODES.contains(c)) {
                return Ok(());
            }
            let Ok(twin) = compile(&spec.twin().toml(), tally) else {
                tally.twin_failed += 1;
                return Ok(());
            };
            let started = std::time::Instant::now();
            let safe =
                !spec.fails_somewhere() && leaks(spec, &twin, &mut tally.evaluations).is_empty();
            tally.evaluating += started.elapsed();
            if safe {
                tally
                    .examples
                    .entry(format!("false rejection ({})", names.join("+")))
                    .or_insert_with(|| format!("{}\n{text}", aspekt::render_plain(&diagnostics)));
            }
            for c in &codes {
                let entry = tally
                    .disclosure_rejections
                    .entry(c.as_str().to_string())
                    .or_default();
                entry.0 += 1;
                if safe {
                    entry.1 += 1;
                }
            }
        }
    }
    Ok(())
}

fn cases() -> u32 {
    std::env::var("ASPEKT_ORACLE_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(10_000)
}

/// Runs the property on every core (each thread its own runner and share
/// of the cases), then prints and returns the merged tally.
fn run() -> Tally {
    let started = std::time::Instant::now();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4)) as u32;
    let total = cases();
    let outcomes: Vec<(Tally, Result<(), String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let share = total / threads + u32::from(t < total % threads);
                scope.spawn(move || {
                    let tally = RefCell::new(Tally::default());
                    let mut runner = TestRunner::new(Config {
                        cases: share,
                        failure_persistence: None,
                        ..Config::default()
                    });
                    let result = runner
                        .run(&spec(), |s| check(&s, &mut tally.borrow_mut()))
                        .map_err(|e| e.to_string());
                    (tally.into_inner(), result)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut tally = Tally::default();
    let mut failures = Vec::new();
    for (t, result) in outcomes {
        tally.merge(t);
        if let Err(e) = result {
            failures.push(e);
        }
    }
    print_tally(&tally, started.elapsed());
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    tally
}

impl Tally {
    fn merge(&mut self, o: Tally) {
        self.cases += o.cases;
        self.compiled += o.compiled;
        for (k, v) in o.rejected {
            *self.rejected.entry(k).or_default() += v;
        }
        for (k, (n, safe)) in o.disclosure_rejections {
            let e = self.disclosure_rejections.entry(k).or_default();
            e.0 += n;
            e.1 += safe;
        }
        self.twin_failed += o.twin_failed;
        for (k, v) in o.excused {
            *self.excused.entry(k).or_default() += v;
        }
        for (k, v) in o.examples {
            self.examples.entry(k).or_insert(v);
        }
        self.evaluations.total += o.evaluations.total;
        for (k, v) in o.evaluations.errors {
            *self.evaluations.errors.entry(k).or_default() += v;
        }
        for (k, v) in o.features {
            *self.features.entry(k).or_default() += v;
        }
        self.compiling += o.compiling;
        self.evaluating += o.evaluating;
    }
}

fn print_tally(t: &Tally, elapsed: std::time::Duration) {
    eprintln!(
        "oracle: {} definitions ({} compiled) in {elapsed:.1?} ({:.1?} compiling, {:.1?} evaluating); {} evaluations, errors {:?}",
        t.cases, t.compiled, t.compiling, t.evaluating, t.evaluations.total, t.evaluations.errors
    );
    eprintln!("oracle: compiled definitions by feature: {:?}", t.features);
    eprintln!("oracle: rejected by error codes: {:?}", t.rejected);
    let total: usize = t.cases - t.compiled;
    for (code, (n, safe)) in &t.disclosure_rejections {
        eprintln!(
            "oracle: false rejections with `{code}`: {safe} of {n} ({:.1}%; {:.2}% of all rejections)",
            100.0 * *safe as f64 / (*n).max(1) as f64,
            100.0 * *safe as f64 / total.max(1) as f64
        );
    }
    eprintln!(
        "oracle: disclosure-only rejections whose k = 1 twin does not compile: {}",
        t.twin_failed
    );
    eprintln!("oracle: excused leaks: {:?}", t.excused);
    for (k, ex) in &t.examples {
        eprintln!("oracle: first {k}: {ex}");
    }
}

/// The main property: no definition that compiles leaks (waived leaks that
/// no single result shows are counted, not failed).
#[test]
fn compiled_definitions_never_leak() {
    let t = run();
    // Sanity: the generator must produce definitions that compile and
    // definitions that are rejected for disclosure, or the oracle checks
    // nothing.
    assert!(t.compiled * 10 >= t.cases, "too few compiled: {t:?}");
    assert!(
        t.disclosure_rejections.contains_key("disclosure"),
        "no definition was rejected for a leak: {t:?}"
    );
    assert!(t.evaluations.total > t.compiled, "{t:?}");
    // The disclosure analysis of these small definitions is exact (and the
    // search-free check for obvious leaks only reports real ones): every
    // `disclosure` rejection must be a leak brute force confirms.
    let (_, safe) = t
        .disclosure_rejections
        .get("disclosure")
        .copied()
        .unwrap_or_default();
    assert_eq!(
        safe, 0,
        "definitions rejected for a leak brute force does not see: {t:?}"
    );
}

// ------------------------------------------------------------------ known holes

/// Compiles a hand-made spec and brute-forces it: the leaks, or the
/// compiler's errors.
fn verdict(spec: &Spec) -> Result<Vec<Leak>, Vec<aspekt::Diagnostic>> {
    let e = compile(&spec.toml(), &mut Tally::default())?;
    Ok(leaks(spec, &e, &mut Evaluations::default()))
}

fn assert_no_leak(spec: &Spec) {
    if let Ok(found) = verdict(spec) {
        assert!(
            found.is_empty(),
            "compiles, but leaks:\n{}\n--- definition\n{}",
            found
                .iter()
                .map(Leak::describe)
                .collect::<Vec<_>>()
                .join("\n"),
            spec.toml()
        );
    }
}

/// One two-code item, one score, in interview mode with an `agency`.
fn interview_with_agency(choice: Choice) -> Spec {
    Spec {
        interview: true,
        k: None,
        audiences: vec!["agency"],
        notice: false,
        topics: None,
        items: vec![ItemSpec {
            codes: vec![0, 1],
            reverse: false,
            milli: 1000,
            topic: 0,
        }],
        scores: vec![ScoreSpec::new(vec![0], Kind::Sum, 0, 0, 1)],
        results: vec![ResultSpec {
            choice,
            audiences: vec!["participant", "agency"],
            waiver: false,
        }],
    }
}

/// Hole 1 of issue 13: interview mode switches the analysis off for every
/// audience, so a band per code released to the agency compiles. (Found by
/// the oracle; this is its shrunk case with bands instead of a rule.)
#[test]
fn interview_mode_analyses_declared_audiences() {
    assert_no_leak(&interview_with_agency(Choice::Bands {
        score: 0,
        bands: vec![(0.0, 0.0), (1.0, 1.0)],
    }));
    // The oracle's shrunk case: a rule whose `insufficient()` pins the item.
    let mut spec = interview_with_agency(Choice::Bands {
        score: 0,
        bands: Vec::new(),
    });
    spec.results[0].choice = Choice::Rule {
        scores: vec![0],
        kind: RuleKind::InsufficientAt(0.0, 0.0),
        outcomes: vec!["hi".to_string(), "none".to_string()],
    };
    assert_no_leak(&spec);
}

/// Hole 1, selections: in interview mode a selection lists what was
/// chosen; shown to the agency, it tells the agency the codes.
#[test]
fn interview_mode_selection_for_a_declared_audience_is_analysed() {
    let mut spec = interview_with_agency(Choice::Select {
        items: vec![0],
        min_code: 1,
        top: 1,
    });
    // The item must be scored; the score's result stays with the two.
    spec.results.push(ResultSpec {
        choice: Choice::Bands {
            score: 0,
            bands: vec![(0.0, 1.0)],
        },
        audiences: vec!["participant"],
        waiver: false,
    });
    assert_no_leak(&spec);
}

/// A definition too large for brute force or the exact analysis: scores
/// `a`, `b` (and `c` when `three`) are sums of 30 items coded 1–5 each, and
/// one result rule reads them.
/// `extra` follows the rule result, `waiver` (a line or "") goes into it.
fn large(three: bool, rule: &str, outcomes: &[&str], waiver: &str, extra: &str) -> String {
    let n = if three { 90 } else { 60 };
    let mut t = String::from(
        "[questionnaire]\nid = \"large\"\nversion = \"1.0.0\"\nlocales = [\"en\"]\ntitle = { en = \"L\" }\ndescription = { en = \"L\" }\n[questionnaire.source]\ncitation = \"aspekt test\"\nlicence = \"CC0-1.0\"\n\n[[scale]]\nid = \"five\"\noptions = [",
    );
    let options: Vec<String> = (1..=5)
        .map(|c| format!("{{ code = {c}, label = {{ en = \"{c}\" }} }}"))
        .collect();
    t.push_str(&options.join(", "));
    t.push_str("]\n\n");
    for i in 1..=n {
        writeln!(
            t,
            "[[item]]\nid = \"q{i}\"\nscale = \"five\"\ntext = {{ en = \"Q{i}\" }}\n"
        )
        .unwrap();
    }
    let names = if three {
        &["a", "b", "c"][..]
    } else {
        &["a", "b"][..]
    };
    for (s, name) in names.iter().enumerate() {
        let ids: Vec<String> = (30 * s + 1..=30 * s + 30)
            .map(|i| format!("\"q{i}\""))
            .collect();
        writeln!(
            t,
            "[[score]]\nid = \"{name}\"\nitems = [{}]\naggregate = \"sum\"\n",
            ids.join(", ")
        )
        .unwrap();
    }
    let scores: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    writeln!(
        t,
        "[[result]]\nid = \"rule\"\ntitle = {{ en = \"R\" }}\naudiences = [\"participant\"]\nscores = [{}]\n{waiver}rule = '''\n{rule}\n'''",
        scores.join(", ")
    )
    .unwrap();
    for o in outcomes {
        writeln!(t, "[[result.outcome]]\nid = \"{o}\"\nlabel = {{ en = \"{o}\" }}\nexplanation = {{ en = \"{o}\" }}").unwrap();
    }
    t.push_str(extra);
    t
}

/// Answers: every item of `a` at `a_code`; `b`'s items so that `b` sums to
/// `b_sum`; `c`'s (if any) at 3.
fn large_answers(n: usize, a_code: i64, b_sum: i64) -> Request {
    let mut answers = Answers::new();
    for i in 1..=30 {
        answers.insert(format!("q{i}"), a_code);
    }
    // b: 30 items from 1..=5 summing to b_sum (30..=150).
    let mut left = b_sum - 30;
    for i in 31..=60 {
        let extra = left.min(4);
        left -= extra;
        answers.insert(format!("q{i}"), 1 + extra);
    }
    for i in 61..=n {
        answers.insert(format!("q{i}"), 3);
    }
    Request::new(answers)
}

/// Asserts the definition is rejected for disclosure; when it compiles,
/// shows that `pins` (evaluated) produces the observation only an answer
/// set with every item of `a` at 5 produces, and fails.
fn assert_rejected_or_show(text: &str, n: usize, observe: impl Fn(&Evaluator, &Request) -> String) {
    match compile(text, &mut Tally::default()) {
        Err(d) => assert!(
            d.iter()
                .any(|d| matches!(d.code, Code::Disclosure | Code::DisclosureUnproven)),
            "{}",
            aspekt::render_plain(&d)
        ),
        Ok(e) => {
            let pinned = observe(&e, &large_answers(n, 5, 90));
            // The same with one item of `a` lower: `a` is no longer 150.
            let mut other = large_answers(n, 5, 90);
            other.answers.insert("q1", 4);
            let unpinned = observe(&e, &other);
            assert_ne!(
                pinned, unpinned,
                "the observation does not single out a = 150"
            );
            let method = method_of(&e, "participant", "rule");
            panic!(
                "compiles (method {method:?}), although observation {pinned} occurs only when a = 150, \
                 that is every item of `a` answered 5 (a sum of 30 items coded 1–5)"
            );
        }
    }
}

fn observed_status(e: &Evaluator, r: &Request) -> String {
    match e.evaluate(r) {
        Ok(report) => format!("{:?}", report.results[0].status),
        Err(err) => format!("error {}", err.code),
    }
}

/// Hole 2 of issue 13: a single rule result too large to enumerate is
/// proven by witnesses, which never look at `insufficient()`: here it is
/// returned only when `a` is 150 (every item of `a` at 5) and `b` is 90, a
/// combination no witness hits.
#[test]
fn witnessed_rule_insufficient_only_at_one_answer_set_is_rejected() {
    let text = large(
        false,
        "if scores.a == () || scores.b == () { return \"a\"; }\nif scores.a == 150.0 && scores.b == 90.0 { return insufficient(); }\nif scores.a >= scores.b { \"a\" } else { \"b\" }",
        &["a", "b"],
        "",
        "",
    );
    assert_rejected_or_show(&text, 60, observed_status);
}

/// Hole 2, failures: with three scores the compiler does not enumerate the
/// rule's inputs, and the witnesses never hit the one combination where it
/// throws; the error then tells that every item of `a` was answered 5.
#[test]
fn witnessed_rule_failing_at_one_answer_set_is_rejected() {
    let text = large(
        true,
        "if scores.a == () || scores.b == () || scores.c == () { return \"a\"; }\nif scores.a == 150.0 && scores.b == 90.0 { throw \"no\"; }\nif scores.a >= scores.b { \"a\" } else { \"b\" }",
        &["a", "b"],
        "",
        "",
    );
    assert_rejected_or_show(&text, 90, observed_status);
}

/// Hole 3 of issue 13: a waiver covers a leak that the analysis of one
/// result alone proves. `echo` has one band per code of `q1`; it shares
/// `q1` with a rule over two 30-item scores, so the two are analysed
/// jointly, which is too large, and both carry waivers.
#[test]
fn a_waiver_does_not_cover_a_leak_of_one_result_alone() {
    let waiver = "waiver = \"compares two long scales; coarse by construction\"\n";
    let mut extra = format!(
        "\n[[score]]\nid = \"one\"\nitems = [\"q1\"]\naggregate = \"sum\"\n\n[[result]]\nid = \"echo\"\ntitle = {{ en = \"E\" }}\naudiences = [\"participant\"]\nscore = \"one\"\n{waiver}"
    );
    for c in 1..=5 {
        writeln!(extra, "[[result.band]]\nid = \"b{c}\"\nmin = {c}\nmax = {c}\nlabel = {{ en = \"{c}\" }}\nexplanation = {{ en = \"{c}\" }}").unwrap();
    }
    let text = large(
        false,
        "if scores.a == () || scores.b == () { insufficient() } else if scores.a >= scores.b { \"a\" } else { \"b\" }",
        &["a", "b"],
        waiver,
        &extra,
    );
    match compile(&text, &mut Tally::default()) {
        Err(d) => assert!(
            d.iter()
                .any(|d| d.code == Code::Disclosure && d.message.contains("`echo`")),
            "{}",
            aspekt::render_plain(&d)
        ),
        Ok(e) => {
            // Brute force over q1 alone: each band is reached by one code.
            let mut bands = BTreeMap::new();
            for c in 1..=5 {
                let mut r = large_answers(60, 3, 90);
                r.answers.insert("q1", c);
                let report = e.evaluate(&r).unwrap();
                let echo = report.results.iter().find(|r| r.id == "echo").unwrap();
                bands.insert(c, echo.band.as_ref().unwrap().id.clone());
            }
            let distinct: BTreeSet<&String> = bands.values().collect();
            assert_eq!(distinct.len(), 5, "{bands:?}");
            panic!(
                "compiles (echo: {:?}), although each band of `echo` is reached by exactly one code of q1: {bands:?}",
                method_of(&e, "participant", "echo")
            );
        }
    }
}
