//! The disclosure guarantee, checked at compile time.
//!
//! For every audience, every released result and each of its outcomes, every
//! contributing item must remain ambiguous among at least `k` of its codes
//! over all answer sets that produce that outcome. Results the same audience
//! sees that share items are analysed **jointly**: the observer sees the whole
//! vector of their outcomes. Missing answers are part of the answer space.
//!
//! How (see the book's privacy chapter for the argument):
//! - **exact**: dynamic programming over the component's items. The state
//!   holds the accumulators of scores not yet complete, the values of
//!   complete scores still needed by a pending rule result, and the outcomes
//!   of complete results. The analysed item is processed last, so each final
//!   state, extended by each of its codes, yields the outcome vector that
//!   code leads to. Items that are interchangeable (same scores, weight,
//!   keying and codes) share one analysis.
//! - **enumerated**: the same, when rules take part (a rule score keeps its
//!   items' codes in the state; a rule result runs once its inputs are done).
//! - **waived**: the analysis could not decide (too large for the compile
//!   budget) and every result involved carries a waiver.
//!
//! There is no weaker method: an earlier witness search (concrete answer
//! sets per outcome) could not see outcomes it never tried, such as an
//! `insufficient()` or a failure returned for one answer set, so it was
//! removed. Beyond the budget a result is `disclosure_unproven`.
//!
//! Interview mode shares the selections with the participant and the
//! counsellor, who choose them together; every other audience is analysed
//! like in a questionnaire, and sees no selection at all.
//!
//! A leak found by any analysis is an error that no waiver silences: when a
//! joint analysis does not fit the budget, each of its results is analysed
//! alone, and a leak of a result seen alone is a leak of the joint view
//! too (seeing more can only narrow an item further).

mod exact;

use crate::source::sorted::{VecMap, VecSet};
use std::hash::BuildHasherDefault;

use rhai::Engine;
use schemars::JsonSchema;
use serde::Serialize;

use crate::definition::model::BUILTIN_AUDIENCES;
use crate::plan::{Choice, Chosen, ResultPlan, ScorePlan, ScoreValue};
use crate::rules::budget::Meter;

/// Steps the joint analysis of a component with an obvious leak may spend.
const AFTER_OBVIOUS: u64 = 1_000_000;
/// Bytes a state costs in a state set besides its slots: the vector's
/// header and allocation, and the set's own entry.
const STATE_OVERHEAD: usize = 48;

/// How an outcome's ambiguity was established.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Exact analysis of declarative scoring.
    Exact,
    /// Exhaustive enumeration including scripted rules.
    Enumerated,
    /// Not proven; released under the definition's stated waiver.
    Waived,
    /// Interview mode, for the participant and the counsellor: they choose
    /// the selections together, in the open.
    Interview,
    /// A function of other results' outcomes that the same audience sees:
    /// it inherits their findings (the smallest of them is given).
    Derived,
}

/// The analysis of one outcome of one result for one audience.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct OutcomeFinding {
    /// Band or outcome id, or `insufficient`.
    pub outcome: String,
    /// The fewest codes any contributing item stays ambiguous among, over all
    /// answer sets with this outcome; `null` when the outcome reveals no code
    /// (every contributing item is then unanswered) or was not analysed.
    pub min_ambiguity: Option<u32>,
    /// The item attaining `min_ambiguity`.
    pub worst_item: Option<String>,
}

/// The analysis of one released result for one audience.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct ResultFinding {
    /// The audience.
    pub audience: String,
    /// The result.
    pub result: String,
    /// The `k` demanded.
    pub k: u32,
    /// How the guarantee was established.
    pub method: Method,
    /// Other results analysed jointly with this one (same audience, shared
    /// items); for a derived result, the results it is computed from.
    pub jointly_with: Vec<String>,
    /// Per outcome.
    pub outcomes: Vec<OutcomeFinding>,
    /// The waiver's reason, when waived.
    pub waiver: Option<String>,
}

/// The disclosure analysis of a definition.
#[derive(Clone, Debug, Default, PartialEq, Serialize, JsonSchema)]
#[schemars(title = "aspekt disclosure analysis")]
pub struct Disclosure {
    /// One entry per audience and released result.
    pub results: Vec<ResultFinding>,
}

/// A proven leak: an outcome vector that pins an item to fewer than `k` codes.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Leak {
    pub(crate) audience: String,
    pub(crate) result: usize,
    pub(crate) outcome: String,
    pub(crate) item: usize,
    pub(crate) codes: Vec<i64>,
    pub(crate) k: u32,
    /// Outcomes of the other results in the same observation.
    pub(crate) context: Vec<(usize, String)>,
}

/// A result the analysis could not prove and that carries no waiver.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Unproven {
    pub(crate) result: usize,
    pub(crate) audience: String,
    /// Why the analysis stopped.
    pub(crate) stop: Stop,
    /// How many other results it was analysed jointly with.
    pub(crate) joint: usize,
}

/// Why an analysis could not decide.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stop {
    /// The compile budget's steps ran out.
    Steps,
    /// The states would exceed the memory budget.
    Memory,
    /// A rule failed for some combination of answers.
    RuleFailed,
}

/// A selection (interview mode) that reaches an audience other than the
/// participant and the counsellor.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct SharedSelection {
    pub(crate) result: usize,
    pub(crate) audience: String,
}

/// Everything the analysis found.
#[derive(Debug, Default)]
pub(crate) struct Analysis {
    pub(crate) report: Disclosure,
    pub(crate) leaks: Vec<Leak>,
    pub(crate) unproven: Vec<Unproven>,
    pub(crate) selections: Vec<SharedSelection>,
}

/// What the analysis needs from the compiled plan.
#[derive(Clone, Copy)]
pub(crate) struct Input<'a> {
    pub(crate) scores: &'a [ScorePlan],
    pub(crate) results: &'a [ResultPlan],
    pub(crate) audiences: &'a [String],
    pub(crate) item_ids: &'a [String],
    pub(crate) engine: &'a Engine,
    pub(crate) interview: bool,
    /// The compile budget (the engine spends from it too).
    pub(crate) meter: &'a Meter,
}

/// The outcome slot of a result not yet determined.
const PENDING: u64 = u64::MAX;
/// The outcome slot of an insufficient result.
const INSUFFICIENT: u64 = u64::MAX - 1;
/// An item code slot of a rule score: not yet chosen.
const UNSET: u64 = u64::MAX - 3;
/// An item code slot of a rule score: unanswered.
const MISSING: u64 = u64::MAX - 4;
/// Codes are stored offset, so negative codes stay clear of the sentinels
/// (the compiler bounds codes to ±1,000,000).
const CODE_OFFSET: i64 = 1 << 40;

fn encode(code: i64) -> u64 {
    code.saturating_add(CODE_OFFSET).max(0) as u64
}

fn decode(slot: u64) -> Option<i64> {
    match slot {
        MISSING | UNSET => None,
        s => i64::try_from(s).ok().map(|s| s - CODE_OFFSET),
    }
}

fn outcome_name(r: &ResultPlan, slot: u64) -> String {
    match slot {
        INSUFFICIENT => "insufficient".to_string(),
        b => usize::try_from(b)
            .ok()
            .and_then(|b| r.bands.get(b))
            .map_or_else(|| "?".to_string(), |b| b.id.clone()),
    }
}

/// What one component's analysis gave: its method and observations, or why
/// it stopped. Audiences that see the same results observe the same thing,
/// so each distinct component is analysed once.
type Cache = VecMap<Vec<usize>, Result<(Method, Observations), Stop>>;

/// Runs the analysis. Leaks, unproven results and shared selections become
/// diagnostics.
pub(crate) fn analyse(input: &Input<'_>) -> Analysis {
    let mut cache: Cache = VecMap::new();
    let mut out = Analysis::default();
    for audience in input.audiences {
        // In interview mode the participant and the counsellor choose the
        // selections together: nothing is hidden between them. Every other
        // audience is analysed as in a questionnaire.
        let open = input.interview && BUILTIN_AUDIENCES.contains(&audience.as_str());
        let visible: Vec<usize> = input
            .results
            .iter()
            .enumerate()
            .filter(|(_, r)| r.audiences.iter().any(|a| a == audience))
            .filter(|(_, r)| !matches!(r.choice, Choice::Strongest { .. }))
            .filter(|(i, r)| {
                // A selection lists items by their codes: it is for the
                // people choosing together only.
                let selection = matches!(r.choice, Choice::Select { .. });
                if selection && !open {
                    out.selections.push(SharedSelection {
                        result: *i,
                        audience: audience.clone(),
                    });
                }
                !selection || open
            })
            .map(|(i, _)| i)
            .collect();
        let first = out.report.results.len();
        for component in components(input, &visible) {
            // Obvious leaks first: they need no search. A component with one
            // is rejected whatever the joint analysis adds, so that analysis
            // then only gets a small part of the budget: enough to report
            // every leak of a small definition, not enough to make a large
            // one slow.
            if !open {
                let before = out.leaks.len();
                for &ri in &component {
                    obvious_leaks(input, audience, ri, &mut out.leaks);
                }
                if out.leaks.len() > before {
                    let capped = input.meter.capped(AFTER_OBVIOUS);
                    let small = Input {
                        meter: &capped,
                        ..*input
                    };
                    if let Ok(observations) = exact::exact(&small, &component) {
                        record(input, audience, &component, &observations, &mut out.leaks);
                    }
                    continue;
                }
            }
            if open {
                out.report.results.extend(finding(
                    input,
                    audience,
                    &component,
                    Method::Interview,
                    &VecMap::new(),
                ));
            } else {
                analyse_component(input, audience, &component, &mut cache, &mut out);
            }
        }
        let derived: Vec<ResultFinding> = input
            .results
            .iter()
            .filter(|r| r.audiences.iter().any(|a| a == audience))
            .filter_map(|r| match &r.choice {
                Choice::Strongest { sources, .. } => Some(inherited(
                    input,
                    audience,
                    r,
                    sources,
                    out.report.results.get(first..).unwrap_or_default(),
                )),
                _ => None,
            })
            .collect();
        out.report.results.extend(derived);
    }
    out
}

/// Leaks of a banded sum that need no search. Take the answer set where
/// every item gives its largest contribution (then the smallest): its band
/// is an outcome that really occurs with every item answered. An item's code
/// can lead to that band only if the score, with the other items anywhere
/// between their smallest and largest possible part (blank counting as 0),
/// can fall in it; when a single code can, the band pins the item. The
/// bounds over-approximate what the other items can reach, so a leak found
/// here is a leak; one not found is left to the exact analysis.
fn obvious_leaks(input: &Input<'_>, audience: &str, ri: usize, leaks: &mut Vec<Leak>) {
    let Some(r) = input.results.get(ri) else {
        return;
    };
    let Some(p) = r.inputs.first().and_then(|(s, _)| input.scores.get(*s)) else {
        return;
    };
    let items: VecSet<usize> = p.terms.iter().map(|t| t.item).collect();
    // Monotone in the sum: a plain (not prorated) sum, transformed by a
    // non-negative factor, each item once.
    if !matches!(r.choice, Choice::Bands)
        || p.rule.is_some()
        || p.aggregate != crate::definition::model::Aggregate::Sum
        || p.prorate
        || p.multiply.is_nan()
        || p.multiply < 0.0
        || items.len() != p.terms.len()
    {
        return;
    }
    // The result's own `k` (its topic's included): an item shared with
    // stricter results needs at least this much.
    let k = r.k;
    let n = p.terms.len();
    let parts: Vec<(i64, i64)> = p
        .terms
        .iter()
        .map(|t| {
            let c = t.codes.iter().map(|&c| t.contribution(c));
            (c.clone().min().unwrap_or(0), c.max().unwrap_or(0))
        })
        .collect();
    let weight: i64 = p.terms.iter().map(|t| t.weight).sum();
    let low: i64 = parts.iter().map(|(lo, _)| (*lo).min(0)).sum();
    let high: i64 = parts.iter().map(|(_, hi)| (*hi).max(0)).sum();
    for extreme in [true, false] {
        let sum: i64 = parts
            .iter()
            .map(|(lo, hi)| if extreme { *hi } else { *lo })
            .sum();
        let Some(b) = r.band_of(p.finish(n, weight, sum)) else {
            continue;
        };
        let Some(band) = r.bands.get(b) else { continue };
        for (t, (lo, hi)) in p.terms.iter().zip(&parts) {
            let (others_low, others_high) = (low - (*lo).min(0), high - (*hi).max(0));
            let compatible: Vec<i64> = t
                .codes
                .iter()
                .copied()
                .filter(|&c| {
                    let x = t.contribution(c);
                    let (a, z) = (
                        p.finish(n, weight, others_low + x),
                        p.finish(n, weight, others_high + x),
                    );
                    a <= band.max && band.min <= z
                })
                .collect();
            let already = leaks.iter().any(|l| {
                l.audience == audience && l.result == ri && l.outcome == band.id && l.item == t.item
            });
            if compatible.len() == 1 && k >= 2 && !already {
                leaks.push(Leak {
                    audience: audience.to_string(),
                    result: ri,
                    outcome: band.id.clone(),
                    item: t.item,
                    codes: compatible,
                    k,
                    context: Vec::new(),
                });
            }
        }
    }
}

/// The finding of a result computed from other results' outcomes alone
/// (the compiler makes sure the audience sees every source): what the
/// audience learns from it, it already learns from the sources, so each of
/// its outcomes is as ambiguous as the least ambiguous source outcome.
fn inherited(
    input: &Input<'_>,
    audience: &str,
    r: &ResultPlan,
    sources: &[usize],
    findings: &[ResultFinding],
) -> ResultFinding {
    let ids: Vec<&str> = sources
        .iter()
        .filter_map(|&s| input.results.get(s).map(|x| x.id.as_str()))
        .collect();
    let worst = findings
        .iter()
        .filter(|f| ids.contains(&f.result.as_str()))
        .flat_map(|f| f.outcomes.iter())
        .filter(|o| o.min_ambiguity.is_some())
        .min_by_key(|o| o.min_ambiguity);
    ResultFinding {
        audience: audience.to_string(),
        result: r.id.clone(),
        k: r.k,
        method: Method::Derived,
        jointly_with: ids.iter().map(|s| s.to_string()).collect(),
        outcomes: r
            .bands
            .iter()
            .map(|b| OutcomeFinding {
                outcome: b.id.clone(),
                min_ambiguity: worst.and_then(|o| o.min_ambiguity),
                worst_item: worst.and_then(|o| o.worst_item.clone()),
            })
            .collect(),
        waiver: None,
    }
}

/// Items a result depends on.
fn result_items(input: &Input<'_>, r: &ResultPlan) -> VecSet<usize> {
    r.inputs
        .iter()
        .filter_map(|(s, _)| input.scores.get(*s))
        .flat_map(|s| s.terms.iter().map(|t| t.item))
        .collect()
}

/// Groups results that share items (transitively).
fn components(input: &Input<'_>, visible: &[usize]) -> Vec<Vec<usize>> {
    let items: Vec<VecSet<usize>> = visible
        .iter()
        .map(|&r| {
            input
                .results
                .get(r)
                .map(|r| result_items(input, r))
                .unwrap_or_default()
        })
        .collect();
    let mut group: Vec<usize> = (0..visible.len()).collect();
    fn find(group: &mut [usize], mut i: usize) -> usize {
        while let Some(&p) = group.get(i) {
            if p == i {
                break;
            }
            i = p;
        }
        i
    }
    for a in 0..visible.len() {
        for b in a + 1..visible.len() {
            let share = match (items.get(a), items.get(b)) {
                (Some(x), Some(y)) => !x.is_disjoint(y),
                _ => false,
            };
            if share {
                let (ra, rb) = (find(&mut group, a), find(&mut group, b));
                if let Some(g) = group.get_mut(rb) {
                    *g = ra;
                }
            }
        }
    }
    let mut out: VecMap<usize, Vec<usize>> = VecMap::new();
    for (i, &r) in visible.iter().enumerate() {
        out.update(find(&mut group, i), Vec::new, |v| v.push(r));
    }
    out.into_values().collect()
}

/// A result's `k` for an item: the strictest over the component's results
/// the item contributes to.
fn k_of(input: &Input<'_>, component: &[usize], item: usize) -> u32 {
    component
        .iter()
        .filter_map(|&r| input.results.get(r))
        .filter(|r| result_items(input, r).contains(&item))
        .map(|r| r.k)
        .max()
        .unwrap_or(2)
}

#[allow(clippy::too_many_arguments)]
fn finding(
    input: &Input<'_>,
    audience: &str,
    component: &[usize],
    method: Method,
    per_outcome: &PerOutcome,
) -> Vec<ResultFinding> {
    component
        .iter()
        .filter_map(|&ri| input.results.get(ri).map(|r| (ri, r)))
        .map(|(ri, r)| {
            let mut outcomes: Vec<OutcomeFinding> = r
                .bands
                .iter()
                .map(|b| b.id.clone())
                .chain(std::iter::once("insufficient".to_string()))
                .filter_map(|o| {
                    per_outcome
                        .get(&(ri, o.clone()))
                        .map(|(m, w)| OutcomeFinding {
                            outcome: o,
                            min_ambiguity: *m,
                            worst_item: w.and_then(|i| input.item_ids.get(i).cloned()),
                        })
                })
                .collect();
            if method == Method::Waived || method == Method::Interview {
                outcomes = r
                    .bands
                    .iter()
                    .map(|b| OutcomeFinding {
                        outcome: b.id.clone(),
                        min_ambiguity: None,
                        worst_item: None,
                    })
                    .collect();
            }
            ResultFinding {
                audience: audience.to_string(),
                result: r.id.clone(),
                k: r.k,
                method,
                jointly_with: component
                    .iter()
                    .filter(|&&o| o != ri)
                    .filter_map(|&o| input.results.get(o).map(|r| r.id.clone()))
                    .collect(),
                outcomes,
                waiver: r.waiver.clone(),
            }
        })
        .collect()
}

fn analyse_component(
    input: &Input<'_>,
    audience: &str,
    component: &[usize],
    cache: &mut Cache,
    out: &mut Analysis,
) {
    let observed = analysed(input, component, cache);
    let stop = match observed {
        Ok((method, observations)) => {
            let per_outcome = record(input, audience, component, &observations, &mut out.leaks);
            out.report
                .results
                .extend(finding(input, audience, component, method, &per_outcome));
            return;
        }
        Err(stop) => stop,
    };
    // The joint analysis could not decide. A leak of any result seen alone
    // is a leak of the joint view too: find those, so that no waiver can
    // release them.
    let mut leaking: VecSet<usize> = VecSet::new();
    if component.len() > 1 {
        for &ri in component {
            if let Ok((_, observations)) = analysed(input, &[ri], cache) {
                let before = out.leaks.len();
                record(input, audience, &[ri], &observations, &mut out.leaks);
                if out.leaks.len() > before {
                    leaking.insert(ri);
                }
            }
        }
    }
    // A rule that fails for a real answer set is an observation found, not
    // a proof that could not be made: no waiver releases it.
    let waived = stop != Stop::RuleFailed
        && component
            .iter()
            .filter_map(|&r| input.results.get(r))
            .all(|r| r.waiver.is_some());
    if waived {
        let released: Vec<usize> = component
            .iter()
            .copied()
            .filter(|r| !leaking.contains(r))
            .collect();
        out.report.results.extend(
            finding(input, audience, component, Method::Waived, &VecMap::new())
                .into_iter()
                .zip(component)
                .filter(|(_, r)| released.contains(r))
                .map(|(f, _)| f),
        );
        return;
    }
    for &r in component {
        if leaking.contains(&r) {
            continue;
        }
        if input
            .results
            .get(r)
            .is_some_and(|r| r.waiver.is_none() || stop == Stop::RuleFailed)
        {
            out.unproven.push(Unproven {
                result: r,
                audience: audience.to_string(),
                stop,
                joint: component.len() - 1,
            });
        }
    }
}

/// The analysis of a component, from the cache or computed now.
fn analysed(
    input: &Input<'_>,
    component: &[usize],
    cache: &mut Cache,
) -> Result<(Method, Observations), Stop> {
    if let Some(o) = cache.get(component) {
        return o.clone();
    }
    let scripted = component
        .iter()
        .filter_map(|&r| input.results.get(r))
        .any(|r| {
            matches!(r.choice, Choice::Rule(_))
                || r.inputs
                    .iter()
                    .filter_map(|(s, _)| input.scores.get(*s))
                    .any(|s| s.rule.is_some())
        });
    let method = if scripted {
        Method::Enumerated
    } else {
        Method::Exact
    };
    let o = exact::exact(input, component).map(|o| (method, o));
    cache.insert(component.to_vec(), o.clone());
    o
}

/// Turns a component's observations into per-outcome findings, and pushes
/// every outcome vector that leaves a contributing item fewer than its `k`
/// codes as a leak.
fn record(
    input: &Input<'_>,
    audience: &str,
    component: &[usize],
    observations: &Observations,
    leaks: &mut Vec<Leak>,
) -> PerOutcome {
    let mut per_outcome: PerOutcome = VecMap::new();
    for (vector, items) in observations {
        for (pos, &ri) in component.iter().enumerate() {
            let Some(r) = input.results.get(ri) else {
                continue;
            };
            let Some(&slot) = vector.get(pos) else {
                continue;
            };
            let name = outcome_name(r, slot);
            let key = (ri, name.clone());
            let mut worst = per_outcome.get(&key).copied().unwrap_or((None, None));
            let contributing = result_items(input, r);
            for (&item, codes) in items {
                if !contributing.contains(&item) || codes.is_empty() {
                    continue;
                }
                let n = u32::try_from(codes.len()).unwrap_or(u32::MAX);
                if worst.0.is_none_or(|m| n < m) {
                    worst = (Some(n), Some(item));
                }
                let k = k_of(input, component, item);
                if n < k {
                    let already = leaks.iter().any(|l| {
                        l.audience == audience
                            && l.result == ri
                            && l.outcome == name
                            && l.item == item
                    });
                    if !already {
                        leaks.push(Leak {
                            audience: audience.to_string(),
                            result: ri,
                            outcome: name.clone(),
                            item,
                            codes: codes.iter().copied().collect(),
                            k,
                            context: component
                                .iter()
                                .zip(vector)
                                .filter(|(o, _)| **o != ri)
                                .filter_map(|(&o, &s)| {
                                    input.results.get(o).map(|r| (o, outcome_name(r, s)))
                                })
                                .collect(),
                        });
                    }
                }
            }
            per_outcome.insert(key, worst);
        }
    }
    per_outcome
}

/// Per (result, outcome): the minimum ambiguity and the item attaining it.
type PerOutcome = VecMap<(usize, String), (Option<u32>, Option<usize>)>;

/// What makes items interchangeable: per score, (score, weight bits, reverse,
/// reverse base, codes).
type ClassKey = Vec<(usize, u64, bool, i64, Vec<i64>)>;

/// Observations: outcome vector (one slot per component result) → per item,
/// the codes that can lead to it.
type Observations = VecMap<Vec<u64>, VecMap<usize, VecSet<i64>>>;
