//! The disclosure findings of a definition: runs the analysis of
//! [`crate::plan::disclosure`] over the resolved plan, and reports each
//! leak and each result it cannot prove as an error.

use super::*;

impl Checker<'_, '_> {
    /// Runs the disclosure analysis; leaks and unproven results are errors.
    pub(super) fn disclosure(
        &mut self,
        def: &Definition,
        scores: &[ScorePlan],
        results: &[ResultPlan],
        audiences: &[String],
        item_ids: &[String],
        mode: Mode,
    ) -> Disclosure {
        let input = crate::plan::disclosure::Input {
            scores,
            results,
            audiences,
            item_ids,
            engine: &self.engine,
            interview: mode == Mode::Interview,
            meter: &self.meter,
        };
        let crate::plan::disclosure::Analysis {
            report,
            leaks,
            unproven,
            selections,
        } = crate::plan::disclosure::analyse(&input);
        let name = |i: usize| results.get(i).map_or("", |r| r.id.as_str()).to_string();
        for leak in leaks {
            let Some(r) = def.results.get(leak.result) else {
                continue;
            };
            let item = item_ids.get(leak.item).cloned().unwrap_or_default();
            let span = r
                .bands
                .iter()
                .map(|b| &b.id)
                .chain(r.outcomes.iter().map(|o| &o.id))
                .find(|id| id.as_str() == leak.outcome)
                .map_or(r.id.span(), |id| id.span());
            let with = if leak.context.is_empty() {
                String::new()
            } else {
                format!(
                    " together with {}",
                    leak.context
                        .iter()
                        .map(|(o, v)| format!("`{}` = `{v}`", name(*o)))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            let codes = leak
                .codes
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(" or ");
            let joint = if leak.context.is_empty() {
                ""
            } else {
                "; these results share items and are seen together (the participant sees every result), so coarsen them jointly"
            };
            self.sink
                .error(
                    Code::Disclosure,
                    Some(span),
                    format!(
                        "outcome `{}` of result `{}`{with} reveals to `{}` that item `{item}` was answered {codes} (needs at least {} possible codes)",
                        leak.outcome,
                        r.id.value(),
                        leak.audience,
                        leak.k
                    ),
                )
                .help(format!(
                    "coarsen the bands (merge `{}` with a neighbour), merge outcomes, add items to the score, or show the result to fewer audiences{joint}",
                    leak.outcome
                ));
        }
        for sel in selections {
            let Some(r) = def.results.get(sel.result) else {
                continue;
            };
            self.sink
                .error(
                    Code::Disclosure,
                    Some(r.id.span()),
                    format!(
                        "result `{}` lists selected items, and `{}` would see it: selections are shared only by the participant and the counsellor",
                        r.id.value(),
                        sel.audience
                    ),
                )
                .help(format!(
                    "remove `{}` from the result's audiences; release a banded result to it instead",
                    sel.audience
                ));
        }
        for u in unproven {
            let Some(r) = def.results.get(u.result) else {
                continue;
            };
            use crate::plan::disclosure::Stop;
            let jointly = if u.joint > 0 {
                format!(
                    ", analysed jointly with {} other result(s) that share its items,",
                    u.joint
                )
            } else {
                String::new()
            };
            if u.stop == Stop::Steps {
                // One budget diagnostic per result (`over_budget`, shared
                // with the rule checks): the budget is shared, so every
                // audience after the first would only repeat it.
                let what = format!("result `{}`", r.id.value());
                if self.over_budget.contains(&what) {
                    continue;
                }
                self.over_budget.push(what);
                self.sink
                    .error(
                        Code::AnalysisBudget,
                        Some(r.id.span()),
                        format!(
                            "the compile budget of {} steps ran out before the disclosure analysis of result `{}`{jointly} could finish",
                            self.meter.budget().steps,
                            r.id.value(),
                        ),
                    )
                    .help(crate::compile::rules::budget_help());
                continue;
            }
            if u.stop == Stop::RuleFailed {
                self.sink
                    .error(
                        Code::RuleFailed,
                        Some(r.id.span()),
                        format!(
                            "a rule of result `{}`{jointly} fails for some combination of answers, and `{}` would see the failed request",
                            r.id.value(),
                            u.audience,
                        ),
                    )
                    .help("a rule must return a declared outcome, a number or insufficient() for every combination of answers, unanswered items included");
                continue;
            }
            // What is left: the states would outgrow the memory budget.
            let why = format!(
                "its answer space{jointly} needs more states than the analysis may hold ({} MiB)",
                self.meter.budget().memory / (1024 * 1024)
            );
            self.sink
                .error(
                    Code::DisclosureUnproven,
                    Some(r.id.span()),
                    format!(
                        "the disclosure guarantee of result `{}` for `{}` cannot be proven: {why}",
                        r.id.value(),
                        u.audience,
                    ),
                )
                .help("simplify the rule or its inputs so they can be enumerated, or add waiver = \"…reason…\" to release it anyway; the transparency statement shows the waiver to every participant");
        }
        report
    }
}
