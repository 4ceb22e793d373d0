//! Stage 4, plan.
//!
//! The compiled scoring plan: flat, resolved scores and bands.
//!
//! One function computes a score's final value from its accumulators
//! ([`ScorePlan::finish`]); both evaluation and the compile-time analysis of
//! reachable values call it, so what the compiler proves about bands holds for
//! the very floating-point values evaluation produces.

pub(crate) mod compiled;
pub(crate) mod disclosure;

use rhai::{Dynamic, Engine, Map};

use crate::definition::model::{Aggregate, Text};
use crate::rules::{Returned, Rule, RuleFailure};

/// A resolved response scale.
#[derive(Clone, Debug)]
pub(crate) struct ScalePlan {
    /// Codes, sorted ascending, distinct.
    pub(crate) codes: Vec<i64>,
    pub(crate) min: i64,
    pub(crate) max: i64,
}

impl ScalePlan {
    pub(crate) fn contains(&self, code: i64) -> bool {
        self.codes.binary_search(&code).is_ok()
    }
}

/// One item's part in a score.
#[derive(Clone, Debug)]
pub(crate) struct TermPlan {
    /// Index of the item in the definition.
    pub(crate) item: usize,
    /// The weight in thousandths (weights have at most three decimals), so
    /// that sums are exact integers whatever order they are added in: the
    /// disclosure analysis adds in another order than evaluation does.
    pub(crate) weight: i64,
    pub(crate) reverse: bool,
    /// `min + max` of the item's scale, for reverse keying.
    pub(crate) reverse_base: i64,
    /// The item's scale's codes (sorted).
    pub(crate) codes: Vec<i64>,
}

impl TermPlan {
    /// The keyed, weighted contribution of a code, in thousandths.
    pub(crate) fn contribution(&self, code: i64) -> i64 {
        let keyed = if self.reverse {
            self.reverse_base - code
        } else {
            code
        };
        self.weight.saturating_mul(keyed)
    }
}

/// A resolved score.
#[derive(Clone, Debug)]
pub(crate) struct ScorePlan {
    pub(crate) terms: Vec<TermPlan>,
    pub(crate) topic: usize,
    pub(crate) aggregate: Aggregate,
    pub(crate) min_answered: usize,
    pub(crate) prorate: bool,
    /// Σ weights of all items, in thousandths.
    pub(crate) weight_total: i64,
    pub(crate) multiply: f64,
    pub(crate) add: f64,
    pub(crate) round: Option<u32>,
    /// A Rhai rule replacing the aggregate and missing-data rule.
    pub(crate) rule: Option<Rule>,
    /// Item ids, parallel to `terms`: the keys of a rule's `items` map.
    pub(crate) item_ids: Vec<String>,
}

/// The outcome of computing a score.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum ScoreValue {
    /// The score's topic was declined.
    Declined,
    /// The missing-data rule was not met.
    Insufficient,
    /// The final value.
    Value(f64),
}

impl ScorePlan {
    /// The final value from the accumulators over answered items.
    ///
    /// Accumulators are exact integers in thousandths; the only rounding
    /// happens here, once, in the same way for evaluation and analysis.
    pub(crate) fn finish(&self, answered: usize, weight_answered: i64, sum: i64) -> f64 {
        let all = answered == self.terms.len();
        let (sum, w, total) = (sum as f64, weight_answered as f64, self.weight_total as f64);
        let base = match self.aggregate {
            Aggregate::Sum if all || !self.prorate => sum / 1000.0,
            Aggregate::Sum => sum / w * (total / 1000.0),
            Aggregate::Mean => sum / w,
        };
        self.transform(base)
    }

    /// Transform and rounding, applied to every score's base value.
    pub(crate) fn transform(&self, base: f64) -> f64 {
        let v = base * self.multiply + self.add;
        let v = match self.round {
            Some(d) => {
                let f = 10f64.powi(d.min(15) as i32);
                (v * f).round() / f
            }
            None => v,
        };
        // Normalise -0.0 so equal values serialise and compare alike.
        if v == 0.0 { 0.0 } else { v }
    }

    /// Computes the score from item values (`None` = unanswered).
    pub(crate) fn compute(
        &self,
        values: &[Option<i64>],
        declined: bool,
        engine: &Engine,
    ) -> Result<ScoreValue, RuleFailure> {
        if declined {
            return Ok(ScoreValue::Declined);
        }
        match &self.rule {
            Some(rule) => self.run_rule(rule, values, engine),
            None => Ok(self.aggregate(values)),
        }
    }

    fn run_rule(
        &self,
        rule: &Rule,
        values: &[Option<i64>],
        engine: &Engine,
    ) -> Result<ScoreValue, RuleFailure> {
        let mut input = Map::new();
        for (t, id) in self.terms.iter().zip(&self.item_ids) {
            let v = values
                .get(t.item)
                .copied()
                .flatten()
                .map_or(Dynamic::UNIT, Dynamic::from_int);
            input.insert(id.as_str().into(), v);
        }
        match rule.run(engine, input)? {
            Returned::Number(x) => Ok(ScoreValue::Value(self.transform(x))),
            Returned::Insufficient => Ok(ScoreValue::Insufficient),
            Returned::Outcome(_) => Err(RuleFailure {
                message: "returned a string; a score rule returns a number or insufficient()"
                    .to_string(),
                limit: None,
            }),
        }
    }

    /// The declarative aggregate.
    pub(crate) fn aggregate(&self, values: &[Option<i64>]) -> ScoreValue {
        let mut answered = 0usize;
        let mut weight_answered = 0i64;
        let mut sum = 0i64;
        for t in &self.terms {
            if let Some(Some(code)) = values.get(t.item) {
                answered += 1;
                weight_answered += t.weight;
                sum += t.contribution(*code);
            }
        }
        if answered < self.min_answered || answered == 0 {
            return ScoreValue::Insufficient;
        }
        ScoreValue::Value(self.finish(answered, weight_answered, sum))
    }

    /// Every value the score can take when its missing-data rule is met,
    /// sorted and distinct, by dynamic programming over the items in the
    /// same order and with the same arithmetic as [`Self::compute`].
    ///
    /// Returns `Err(states)` when more than `budget` intermediate states
    /// would be needed.
    /// Spends one step of `meter` per state extended by an item; `Err(None)`
    /// when its steps run out, `Err(Some(n))` when more than `budget`
    /// partial sums would be held.
    pub(crate) fn reachable(
        &self,
        budget: usize,
        meter: &crate::rules::budget::Meter,
    ) -> Result<Vec<f64>, Option<usize>> {
        let n = self.terms.len();
        let may_miss = self.min_answered < n;
        // State: (answered, weight answered, sum), exact integers. A hash
        // set: the order does not matter (the values are sorted at the end).
        let mut states: States = States::default();
        states.insert((0, 0, 0));
        for (i, t) in self.terms.iter().enumerate() {
            let remaining_after = n - i - 1;
            let mut next = States::default();
            if !meter.spend(states.len() as u64) {
                return Err(None);
            }
            for &(answered, w, s) in &states {
                if may_miss && answered + remaining_after >= self.min_answered {
                    next.insert((answered, w, s));
                }
                for &code in &t.codes {
                    next.insert((answered + 1, w + t.weight, s + t.contribution(code)));
                }
                if next.len() > budget {
                    return Err(Some(next.len()));
                }
            }
            states = next;
        }
        let mut values: Vec<f64> = states
            .into_iter()
            .filter(|&(answered, _, _)| answered >= self.min_answered && answered > 0)
            .map(|(answered, w, s)| self.finish(answered, w, s))
            .collect();
        values.sort_by(f64::total_cmp);
        values.dedup();
        Ok(values)
    }
}

/// A resolved band.
#[derive(Clone, Debug)]
pub(crate) struct BandPlan {
    pub(crate) id: String,
    pub(crate) min: f64,
    pub(crate) max: f64,
    pub(crate) label: Text,
    pub(crate) explanation: Text,
}

/// How a result chooses its outcome.
#[derive(Clone, Debug)]
pub(crate) enum Choice {
    /// The band of `ResultPlan::score` holding its value.
    Bands,
    /// A rule over the input scores returning an outcome id.
    Rule(Rule),
    /// Interview mode: list the items coded at least `min_code`, highest
    /// first, at most `top`. Bands: `none` (0) and `listed` (1).
    Select {
        items: Vec<usize>,
        min_code: i64,
        top: usize,
    },
    /// Names the `sources` (result indices) in the highest band any of them
    /// reached, when it is at least `min_band`. Bands: `none` (0) and
    /// `listed` (1). A function of the sources' outcomes alone.
    Strongest {
        sources: Vec<usize>,
        min_band: usize,
    },
}

/// A resolved result.
#[derive(Clone, Debug)]
pub(crate) struct ResultPlan {
    pub(crate) id: String,
    pub(crate) score: usize,
    pub(crate) topic: usize,
    pub(crate) audiences: Vec<String>,
    /// Bands, or a rule's outcomes (whose bounds are unused).
    pub(crate) bands: Vec<BandPlan>,
    pub(crate) choice: Choice,
    /// Scores a rule reads, with their ids (for bands: just `score`).
    pub(crate) inputs: Vec<(usize, String)>,
    /// Minimum ambiguity demanded of this result's items.
    pub(crate) k: u32,
    /// A waiver of the disclosure check, with its reason.
    pub(crate) waiver: Option<String>,
}

/// What a banded or rule result chose from its input scores.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Chosen {
    /// This band or outcome (an index into `ResultPlan::bands`).
    Band(usize),
    /// An input was insufficient (bands), or the rule returned `insufficient()`.
    Insufficient,
}

/// Why a result could not choose.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum NotChosen {
    /// A value no band holds (the compiler proves this cannot happen).
    NoBand,
    /// The rule failed, or returned something it may not.
    Rule(RuleFailure),
    /// A selection or a strongest result: it chooses from answers or from
    /// other results, not from scores.
    Selection,
}

impl ResultPlan {
    /// The index of the band holding `v`.
    pub(crate) fn band_of(&self, v: f64) -> Option<usize> {
        self.bands.iter().position(|b| b.min <= v && v <= b.max)
    }

    /// The outcome from the input scores' values, given in the order of
    /// `inputs` with their ids: the band holding the value, or what the rule
    /// returns. One place for evaluation, batches and the disclosure analysis.
    pub(crate) fn choose<'a>(
        &self,
        values: impl IntoIterator<Item = (&'a str, ScoreValue)>,
        engine: &Engine,
    ) -> Result<Chosen, NotChosen> {
        match &self.choice {
            Choice::Select { .. } | Choice::Strongest { .. } => Err(NotChosen::Selection),
            Choice::Bands => match values.into_iter().next().map(|(_, v)| v) {
                Some(ScoreValue::Value(v)) => {
                    self.band_of(v).map(Chosen::Band).ok_or(NotChosen::NoBand)
                }
                _ => Ok(Chosen::Insufficient),
            },
            Choice::Rule(rule) => {
                let mut input = Map::new();
                for (id, v) in values {
                    let d = match v {
                        ScoreValue::Value(x) => Dynamic::from_float(x),
                        _ => Dynamic::UNIT,
                    };
                    input.insert(id.into(), d);
                }
                match rule.run(engine, input).map_err(NotChosen::Rule)? {
                    Returned::Outcome(o) => match self.bands.iter().position(|b| b.id == o) {
                        Some(b) => Ok(Chosen::Band(b)),
                        // Not the string itself: a rule beyond the compiler's
                        // enumeration could spell answers into it.
                        None => Err(NotChosen::Rule(RuleFailure {
                            message: format!(
                                "returned an outcome id ({} characters) that is not declared",
                                o.chars().count()
                            ),
                            limit: None,
                        })),
                    },
                    Returned::Insufficient => Ok(Chosen::Insufficient),
                    Returned::Number(_) => Err(NotChosen::Rule(RuleFailure {
                        message: "returned a number; a result rule returns an outcome id"
                            .to_string(),
                        limit: None,
                    })),
                }
            }
        }
    }
}

/// The dynamic programme's states in [`ScorePlan::reachable`].
type States = rustc_hash::FxHashSet<(usize, i64, i64)>;

#[cfg(test)]
mod tests {
    use super::*;

    fn unmetered() -> crate::rules::budget::Meter {
        crate::rules::budget::Meter::new(crate::rules::budget::Budget::default())
    }

    fn plan(n: usize, codes: &[i64], aggregate: Aggregate, min_answered: usize) -> ScorePlan {
        let terms = (0..n)
            .map(|i| TermPlan {
                item: i,
                weight: 1000,
                reverse: false,
                reverse_base: codes.iter().min().unwrap_or(&0) + codes.iter().max().unwrap_or(&0),
                codes: codes.to_vec(),
            })
            .collect();
        ScorePlan {
            terms,
            topic: 0,
            aggregate,
            min_answered,
            prorate: true,
            weight_total: 1000 * n as i64,
            multiply: 1.0,
            add: 0.0,
            round: None,
            rule: None,
            item_ids: (0..n).map(|i| format!("q{}", i + 1)).collect(),
        }
    }

    #[test]
    fn reachable_sums_are_every_integer_between_extremes() {
        let p = plan(3, &[0, 1, 2], Aggregate::Sum, 3);
        assert_eq!(
            p.reachable(1000, &unmetered()),
            Ok(vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
        );
    }

    #[test]
    fn reachable_means_with_missing_match_compute() {
        let p = plan(4, &[1, 2, 3, 4], Aggregate::Mean, 3);
        let reach = p.reachable(10_000, &unmetered()).unwrap_or_default();
        // Every computed value is in the reachable set, bit for bit.
        for a in 1..=4 {
            for b in 1..=4 {
                for c in 1..=4 {
                    let v = p.aggregate(&[Some(a), None, Some(b), Some(c)]);
                    let ScoreValue::Value(v) = v else {
                        unreachable!("three answers meet min_answered = 3")
                    };
                    assert!(reach.contains(&v), "{v} missing from {reach:?}");
                }
            }
        }
        assert_eq!(
            p.aggregate(&[Some(1), None, None, Some(2)]),
            ScoreValue::Insufficient
        );
    }

    #[test]
    fn reachable_reports_budget_overflow() {
        let p = plan(20, &[1, 2, 3, 4, 5], Aggregate::Mean, 1);
        assert!(p.reachable(10, &unmetered()).is_err());
    }

    #[test]
    fn prorated_sum_is_mean_times_count_only_when_items_are_missing() {
        let p = plan(4, &[1, 2, 3, 4], Aggregate::Sum, 3);
        assert_eq!(
            p.aggregate(&[Some(1), Some(2), Some(4), Some(4)]),
            ScoreValue::Value(11.0)
        );
        assert_eq!(
            p.aggregate(&[Some(1), Some(2), None, Some(3)]),
            ScoreValue::Value(8.0)
        );
        assert_eq!(
            p.compute(
                &[Some(1), Some(2), None, Some(3)],
                true,
                &crate::rules::engine(&crate::rules::Limits::default())
            ),
            Ok(ScoreValue::Declined)
        );
    }
}
