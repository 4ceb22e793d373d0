//! Checking a definition's examples: each example's answers are
//! validated and evaluated against the plan, and the outcome compared with
//! what the example expects.

use super::*;

impl Checker<'_, '_> {
    pub(super) fn example(
        &mut self,
        ex: &crate::definition::model::Example,
        cx: &ExampleContext<'_>,
    ) {
        let name = ex.name.value();
        let mut declined = vec![false; cx.topic_index.len()];
        for t in &ex.declined {
            match cx.topic_index.get(t.value()) {
                Some(&i) => {
                    if let Some(d) = declined.get_mut(i) {
                        *d = true;
                    }
                }
                None => {
                    self.sink
                        .error(
                            Code::InvalidExample,
                            Some(t.span()),
                            format!(
                                "example `{name}` declines topic `{}`, which is not defined",
                                t.value()
                            ),
                        )
                        .help(suggest(
                            t.value(),
                            cx.topic_index.keys(),
                            "name a defined topic",
                        ));
                }
            }
        }
        for (item, code) in ex.answers.iter() {
            let Some(info) = cx
                .item_index
                .get(item.value())
                .and_then(|&i| cx.items.get(i))
            else {
                self.sink
                    .error(
                        Code::InvalidExample,
                        Some(item.span()),
                        format!("example `{name}` answers item `{item}`, which is not defined"),
                    )
                    .help(suggest(
                        item,
                        cx.item_index.keys(),
                        "answer defined items only",
                    ));
                continue;
            };
            if let Some(scale) = info.scale.and_then(|s| cx.scales.get(s))
                && !scale.contains(*code.value())
            {
                self.sink
                    .error(
                        Code::InvalidExample,
                        Some(code.span()),
                        format!("example `{name}` answers item `{item}` with {}, which is not on its scale", code.value()),
                    )
                    .help(format!("use one of the codes {}", join_codes(&scale.codes)));
            }
            if declined.get(info.topic).copied().unwrap_or(false) {
                self.sink
                    .error(
                        Code::InvalidExample,
                        Some(code.span()),
                        format!("example `{name}` answers item `{item}` in a topic it declines"),
                    )
                    .help("a declined topic has no answers; remove the answer or the decline");
            }
        }
        for (rid, outcome) in ex.expect.iter() {
            let Some(r) = cx.results.iter().find(|r| &r.id == rid.value()) else {
                self.sink
                    .error(
                        Code::UnknownResult,
                        Some(rid.span()),
                        format!("example `{name}` expects result `{rid}`, which is not defined"),
                    )
                    .help(suggest(
                        rid,
                        cx.results.iter().map(|r| &r.id),
                        "name a defined result",
                    ));
                continue;
            };
            let o = outcome.as_str();
            if !RESERVED_OUTCOMES.contains(&o) && !r.bands.iter().any(|b| b.id == o) {
                let mut options: Vec<&str> = r.bands.iter().map(|b| b.id.as_str()).collect();
                options.extend(RESERVED_OUTCOMES);
                self.sink
                    .error(
                        Code::UnknownOutcome,
                        Some(outcome.span()),
                        format!("example `{name}` expects `{o}` for result `{rid}`, which has no such outcome"),
                    )
                    .help(format!("expect one of {}", quote_list(&options)));
            }
        }
    }
}

pub(super) struct ExampleContext<'a> {
    pub(super) items: &'a [ItemInfo],
    pub(super) item_index: &'a VecMap<String, usize>,
    pub(super) scales: &'a [ScalePlan],
    pub(super) topic_index: &'a VecMap<String, usize>,
    pub(super) results: &'a [ResultPlan],
}
