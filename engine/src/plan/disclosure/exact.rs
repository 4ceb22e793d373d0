//! The exact part of the disclosure analysis: a dynamic programme over one
//! component's items that collects, per outcome vector, the codes of each
//! item that can lead to it.

use super::*;

/// Layout of the DP state for one component.
struct Layout<'a> {
    input: &'a Input<'a>,
    component: &'a [usize],
    /// Component scores (indices into `input.scores`).
    scores: Vec<usize>,
    /// Offset of each component score's slots.
    offset: Vec<usize>,
    /// Offset of the result slots.
    results_at: usize,
    len: usize,
}

impl<'a> Layout<'a> {
    fn new(input: &'a Input<'a>, component: &'a [usize]) -> Self {
        let scores: Vec<usize> = component
            .iter()
            .filter_map(|&r| input.results.get(r))
            .flat_map(|r| r.inputs.iter().map(|(s, _)| *s))
            .collect::<VecSet<_>>()
            .into_iter()
            .collect();
        let mut offset = Vec::new();
        let mut at = 0;
        for &s in &scores {
            offset.push(at);
            let width = input.scores.get(s).map_or(3, |p| {
                if p.rule.is_some() {
                    p.terms.len().max(3)
                } else {
                    3
                }
            });
            at += width;
        }
        Layout {
            input,
            component,
            scores,
            offset,
            results_at: at,
            len: at + component.len(),
        }
    }

    fn initial(&self) -> Vec<u64> {
        let mut state = vec![0u64; self.len];
        for (pos, &s) in self.scores.iter().enumerate() {
            if let (Some(p), Some(&at)) = (self.input.scores.get(s), self.offset.get(pos))
                && p.rule.is_some()
            {
                for slot in state.iter_mut().skip(at).take(p.terms.len()) {
                    *slot = UNSET;
                }
            }
        }
        for slot in state.iter_mut().skip(self.results_at) {
            *slot = PENDING;
        }
        state
    }

    /// Applies one item's choice (`None` = unanswered) to the scores it
    /// belongs to.
    fn apply(&self, state: &mut [u64], step: &Step, choice: Option<i64>) {
        for &(pos, ti) in &step.touch {
            let (Some(&s), Some(&at)) = (self.scores.get(pos), self.offset.get(pos)) else {
                continue;
            };
            let Some(p) = self.input.scores.get(s) else {
                continue;
            };
            let Some(t) = p.terms.get(ti) else { continue };
            if p.rule.is_some() {
                if let Some(slot) = state.get_mut(at + ti) {
                    *slot = choice.map_or(MISSING, encode);
                }
            } else if let Some(c) = choice
                && let Some([a, w, sum]) = state.get_mut(at..at + 3)
            {
                // Exact integers (thousandths), stored as their bits: the
                // order of addition cannot change the result.
                *a += 1;
                *w = (*w as i64).wrapping_add(t.weight) as u64;
                *sum = (*sum as i64).wrapping_add(t.contribution(c)) as u64;
            }
        }
    }

    /// The value of a complete score from its slots.
    fn score_value(&self, pos: usize, state: &[u64]) -> Result<ScoreValue, Stop> {
        let (Some(&s), Some(&at)) = (self.scores.get(pos), self.offset.get(pos)) else {
            return Ok(ScoreValue::Insufficient);
        };
        let Some(p) = self.input.scores.get(s) else {
            return Ok(ScoreValue::Insufficient);
        };
        if p.rule.is_some() {
            let values: Vec<Option<i64>> = (0..p.terms.len())
                .map(|ti| state.get(at + ti).copied().and_then(decode))
                .collect();
            // A rule score's terms index the definition's items; build a
            // value vector the rule can read.
            let mut full = vec![None; self.input.item_ids.len()];
            for (t, v) in p.terms.iter().zip(values) {
                if let Some(slot) = full.get_mut(t.item) {
                    *slot = v;
                }
            }
            // The compiler enumerated every combination of this rule's
            // answers and rejected it if any failed; a failure now is the
            // compile budget stopping the rule.
            return p
                .compute(&full, false, self.input.engine)
                .map_err(|_| self.stop_of_rule());
        }
        let (a, w, sum) = match state.get(at..at + 3) {
            Some([a, w, s]) => (*a as usize, *w as i64, *s as i64),
            _ => return Ok(ScoreValue::Insufficient),
        };
        Ok(if a < p.min_answered || a == 0 {
            ScoreValue::Insufficient
        } else {
            ScoreValue::Value(p.finish(a, w, sum))
        })
    }

    /// Why a rule run failed: the compile budget, or the rule itself.
    fn stop_of_rule(&self) -> Stop {
        if self.input.meter.exhausted() {
            Stop::Steps
        } else {
            Stop::RuleFailed
        }
    }

    /// After a step: determines the results whose inputs just became
    /// complete, then clears the scores nothing pending needs any more, so
    /// equal futures share one state.
    fn settle(&self, state: &mut [u64], step: &Step) -> Result<(), Stop> {
        for &ci in &step.settle {
            let Some(r) = self
                .component
                .get(ci)
                .and_then(|&ri| self.input.results.get(ri))
            else {
                continue;
            };
            let mut values = Vec::new();
            for (s, id) in &r.inputs {
                let Some(pos) = self.scores.iter().position(|x| x == s) else {
                    continue;
                };
                values.push((id.clone(), self.score_value(pos, state)?));
            }
            // Selections are never analysed (see `analyse`).
            let outcome = match r.choose(
                values.iter().map(|(id, v)| (id.as_str(), *v)),
                self.input.engine,
            ) {
                Ok(Chosen::Band(b)) => b as u64,
                Ok(Chosen::Insufficient) => INSUFFICIENT,
                Err(_) => return Err(self.stop_of_rule()),
            };
            if let Some(slot) = state.get_mut(self.results_at + ci) {
                *slot = outcome;
            }
        }
        for &pos in &step.clear {
            let Some(at) = self.offset.get(pos).copied() else {
                continue;
            };
            let width = self.offset.get(pos + 1).copied().unwrap_or(self.results_at) - at;
            for slot in state.iter_mut().skip(at).take(width) {
                *slot = 0;
            }
        }
        Ok(())
    }

    /// What each step of `order` touches, completes and clears.
    fn steps(&self, order: &[usize]) -> Vec<Step> {
        let step_of: VecMap<usize, usize> = order
            .iter()
            .enumerate()
            .map(|(i, &item)| (item, i))
            .collect();
        let last = order.len().saturating_sub(1);
        // The step after which each component score is complete.
        let complete: Vec<usize> = self
            .scores
            .iter()
            .map(|s| {
                self.input.scores.get(*s).map_or(last, |p| {
                    p.terms
                        .iter()
                        .filter_map(|t| step_of.get(&t.item).copied())
                        .max()
                        .unwrap_or(0)
                })
            })
            .collect();
        let pos_of = |s: usize| self.scores.iter().position(|x| *x == s);
        // The step after which each component result is determined.
        let determined: Vec<usize> = self
            .component
            .iter()
            .map(|&ri| {
                self.input.results.get(ri).map_or(last, |r| {
                    r.inputs
                        .iter()
                        .filter_map(|(s, _)| pos_of(*s).and_then(|p| complete.get(p).copied()))
                        .max()
                        .unwrap_or(last)
                })
            })
            .collect();
        // A score can be cleared once every result reading it is determined.
        let clear_at: Vec<usize> = self
            .scores
            .iter()
            .enumerate()
            .map(|(pos, &s)| {
                let readers = self
                    .component
                    .iter()
                    .zip(&determined)
                    .filter(|(ri, _)| {
                        self.input
                            .results
                            .get(**ri)
                            .is_some_and(|r| r.inputs.iter().any(|(x, _)| *x == s))
                    })
                    .map(|(_, d)| *d);
                readers
                    .chain(complete.get(pos).copied())
                    .max()
                    .unwrap_or(last)
            })
            .collect();
        order
            .iter()
            .enumerate()
            .map(|(i, &item)| Step {
                codes: codes_of(self.input, item),
                touch: self
                    .scores
                    .iter()
                    .enumerate()
                    .flat_map(|(pos, s)| {
                        self.input
                            .scores
                            .get(*s)
                            .into_iter()
                            .flat_map(|p| p.terms.iter().enumerate())
                            .filter(|(_, t)| t.item == item)
                            .map(move |(ti, _)| (pos, ti))
                    })
                    .collect(),
                settle: (0..self.component.len())
                    .filter(|&ci| determined.get(ci) == Some(&i))
                    .collect(),
                clear: (0..self.scores.len())
                    .filter(|&p| clear_at.get(p) == Some(&i))
                    .collect(),
            })
            .collect()
    }
}

/// One step of the analysis: an item and what it completes.
struct Step {
    codes: Vec<i64>,
    /// (score position, term index) of every score the item belongs to.
    touch: Vec<(usize, usize)>,
    /// Component results determined after this step.
    settle: Vec<usize>,
    /// Score positions cleared after this step.
    clear: Vec<usize>,
}

/// A fast, unseeded hash set for states. Iteration order does not matter:
/// states are only unioned, and the budget check depends only on the size.
type StateSet = std::collections::HashSet<Vec<u64>, BuildHasherDefault<rustc_hash::FxHasher>>;

/// Exact (or enumerated) analysis by dynamic programming, within the
/// compile budget: every state extended by one item's choices spends that
/// many steps, and the state sets may not outgrow the memory budget.
pub(super) fn exact(input: &Input<'_>, component: &[usize]) -> Result<Observations, Stop> {
    let layout = Layout::new(input, component);
    let items: VecSet<usize> = component
        .iter()
        .filter_map(|&r| input.results.get(r))
        .flat_map(|r| result_items(input, r))
        .collect();
    let state_bytes = layout.len * std::mem::size_of::<u64>() + STATE_OVERHEAD;
    let max_states = input.meter.budget().memory / state_bytes.max(1);
    let mut observations = Observations::new();
    for (rep, members) in representatives(input, &layout, &items) {
        let mut sequence = order(input, &layout, &items, rep);
        sequence.push(rep);
        let steps = layout.steps(&sequence);
        let Some((last, others)) = steps.split_last() else {
            continue;
        };
        let mut states = StateSet::default();
        states.insert(layout.initial());
        for step in others {
            let mut next = StateSet::default();
            let choices = step.codes.len() as u64 + 1;
            for s in &states {
                if !input.meter.spend(choices) {
                    return Err(Stop::Steps);
                }
                for choice in std::iter::once(None).chain(step.codes.iter().copied().map(Some)) {
                    let mut n = s.clone();
                    layout.apply(&mut n, step, choice);
                    layout.settle(&mut n, step)?;
                    next.insert(n);
                }
                if states.len() + next.len() > max_states {
                    return Err(Stop::Memory);
                }
            }
            states = next;
        }
        let choices = last.codes.len() as u64 + 1;
        for s in &states {
            if !input.meter.spend(choices) {
                return Err(Stop::Steps);
            }
            for choice in std::iter::once(None).chain(last.codes.iter().copied().map(Some)) {
                let mut n = s.clone();
                layout.apply(&mut n, last, choice);
                layout.settle(&mut n, last)?;
                let vector: Vec<u64> = n.get(layout.results_at..).unwrap_or_default().to_vec();
                observations.update(vector, VecMap::new, |entry| {
                    for &member in &members {
                        entry.update(member, VecSet::new, |set| {
                            if let Some(c) = choice {
                                set.insert(c);
                            }
                        });
                    }
                });
            }
        }
    }
    Ok(observations)
}

/// The codes of an item (from any score that uses it).
fn codes_of(input: &Input<'_>, item: usize) -> Vec<i64> {
    input
        .scores
        .iter()
        .flat_map(|s| s.terms.iter())
        .find(|t| t.item == item)
        .map(|t| t.codes.clone())
        .unwrap_or_default()
}

/// Classes of interchangeable items: (representative, members). Items of
/// rule scores are never interchangeable (a rule may treat each differently).
fn representatives(
    input: &Input<'_>,
    layout: &Layout<'_>,
    items: &VecSet<usize>,
) -> Vec<(usize, Vec<usize>)> {
    let mut classes: VecMap<ClassKey, Vec<usize>> = VecMap::new();
    let mut singles = Vec::new();
    for &item in items {
        let mut key = Vec::new();
        let mut ruled = false;
        for &s in &layout.scores {
            let Some(p) = input.scores.get(s) else {
                continue;
            };
            for t in p.terms.iter().filter(|t| t.item == item) {
                ruled |= p.rule.is_some();
                key.push((
                    s,
                    t.weight as u64,
                    t.reverse,
                    t.reverse_base,
                    t.codes.clone(),
                ));
            }
        }
        if ruled {
            singles.push((item, vec![item]));
        } else {
            classes.update(key, Vec::new, |c| c.push(item));
        }
    }
    let mut out: Vec<(usize, Vec<usize>)> = classes
        .into_values()
        .filter_map(|members| members.first().map(|&f| (f, members.clone())))
        .collect();
    out.extend(singles);
    crate::source::sorted::sort(&mut out);
    out
}

/// Processing order for the other items: greedily finish the score with the
/// fewest unprocessed items first, so its accumulators collapse early.
fn order(input: &Input<'_>, layout: &Layout<'_>, items: &VecSet<usize>, last: usize) -> Vec<usize> {
    let mut remaining: VecSet<usize> = items.iter().copied().filter(|i| *i != last).collect();
    let mut out = Vec::new();
    while !remaining.is_empty() {
        let best = layout
            .scores
            .iter()
            .filter_map(|s| input.scores.get(*s))
            .map(|p| {
                p.terms
                    .iter()
                    .map(|t| t.item)
                    .filter(|i| remaining.contains(i))
                    .collect::<Vec<_>>()
            })
            .filter(|v| !v.is_empty())
            .min_by_key(Vec::len);
        match best {
            Some(batch) => {
                for i in batch {
                    if remaining.remove(&i) {
                        out.push(i);
                    }
                }
            }
            None => {
                out.extend(remaining.iter().copied());
                remaining.clear();
            }
        }
    }
    out
}
