//! The compile budget: how much work the compile-time checks may do for one
//! definition, across all of them together.
//!
//! A hostile definition can make the checks expensive — hundreds of items in
//! one sum, a scale of thousands of codes, many copies of a slow rule — and
//! the compiler must stop such a definition cleanly instead of running for
//! minutes or growing to gigabytes. Every check spends from one [`Meter`]:
//! the disclosure analysis one step per state it extends, and every rule run
//! at compile time (enumeration, analysis, examples) one step per Rhai
//! operation. When the steps run out, or one analysis would hold more states
//! than the memory budget allows, the result being checked gets an
//! `analysis_budget` diagnostic that names it and says how to simplify it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// How much work the compile-time checks of one definition may do.
///
/// The defaults finish any definition within a few seconds on a 2-core
/// machine (release build) and leave every instrument of the library a wide
/// margin; see the privacy chapter of the book for the measurements. A host
/// that compiles only trusted definitions may raise them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Steps across every check of one compilation: one per state the
    /// disclosure analysis extends by one item, one per Rhai operation of a
    /// rule run at compile time.
    pub steps: u64,
    /// Bytes one disclosure analysis may hold in its state sets at once.
    pub memory: usize,
}

impl Budget {
    /// The default number of steps.
    pub const STEPS: u64 = 40_000_000;
    /// The default memory, in bytes (64 MiB).
    pub const MEMORY: usize = 64 * 1024 * 1024;
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            steps: Budget::STEPS,
            memory: Budget::MEMORY,
        }
    }
}

/// The budget being spent by one compilation. Cloning shares the count.
#[derive(Clone, Debug)]
pub(crate) struct Meter {
    spent: Arc<AtomicU64>,
    budget: Budget,
    /// The count at which this meter stops: the budget's steps, or fewer
    /// for a capped meter.
    stop: u64,
}

impl Meter {
    pub(crate) fn new(budget: Budget) -> Self {
        Meter {
            spent: Arc::new(AtomicU64::new(0)),
            budget,
            stop: budget.steps,
        }
    }

    /// A meter sharing this one's count that stops after at most `steps`
    /// more (or when this one does).
    pub(crate) fn capped(&self, steps: u64) -> Self {
        let now = self.spent.load(Ordering::Relaxed);
        Meter {
            spent: Arc::clone(&self.spent),
            budget: self.budget,
            stop: now.saturating_add(steps).min(self.stop),
        }
    }

    /// Spends `n` steps; `false` once the budget is exhausted.
    pub(crate) fn spend(&self, n: u64) -> bool {
        let before = self.spent.fetch_add(n, Ordering::Relaxed);
        before.saturating_add(n) <= self.stop
    }

    /// Whether the steps have run out.
    pub(crate) fn exhausted(&self) -> bool {
        self.spent.load(Ordering::Relaxed) > self.stop
    }

    pub(crate) fn budget(&self) -> Budget {
        self.budget
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]
    use super::*;

    #[test]
    fn a_meter_runs_out_and_stays_out() {
        let m = Meter::new(Budget {
            steps: 10,
            memory: 0,
        });
        assert!(m.spend(4));
        assert!(m.clone().spend(6), "clones share the count");
        assert!(!m.exhausted());
        assert!(!m.spend(1));
        assert!(m.exhausted());
        assert!(!m.spend(0));
    }

    #[test]
    fn a_capped_meter_stops_first_and_spends_from_the_same_count() {
        let m = Meter::new(Budget {
            steps: 100,
            memory: 0,
        });
        assert!(m.spend(10));
        let c = m.capped(5);
        assert!(c.spend(5));
        assert!(!c.spend(1));
        assert!(c.exhausted());
        assert!(!m.exhausted(), "the cap is the capped meter's only");
        assert!(m.spend(84));
        assert!(!m.spend(1));
        // A cap never reaches beyond the budget.
        assert!(m.capped(1_000).exhausted());
    }

    #[test]
    fn rules_run_by_a_metered_engine_stop_when_it_runs_out() {
        let m = Meter::new(Budget {
            steps: 2_000,
            memory: 0,
        });
        let engine = crate::rules::metered_engine(&crate::rules::Limits::default(), &m);
        let run = |e: &rhai::Engine| e.eval::<i64>("let n = 0; for i in 0..100 { n += i; } n");
        assert_eq!(run(&engine).unwrap(), 4950);
        // Each run is well within the per-call operation limit; together
        // they exhaust the meter.
        let err = (0..20).find_map(|_| run(&engine).err()).unwrap();
        assert!(
            matches!(*err, rhai::EvalAltResult::ErrorTerminated(..)),
            "{err}"
        );
        assert!(m.exhausted());
    }
}
