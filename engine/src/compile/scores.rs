//! Checking and resolving a definition's scores: items, keying, missing
//! rules, transforms and aggregates, into a [`ScorePlan`].

use super::*;

impl Checker<'_, '_> {
    pub(super) fn score(
        &mut self,
        s: &crate::definition::model::Score,
        items: &[ItemInfo],
        item_index: &VecMap<String, usize>,
        scales: &[ScalePlan],
        topic_ids: &[String],
        item_used: &mut [bool],
    ) -> Option<ScorePlan> {
        let sid = s.id.value();
        let mut ok = true;
        let owner = format!("score `{sid}`");
        let rule_src = match self.rule_source(s.rule.as_ref(), s.rule_file.as_ref(), &owner) {
            Ok(r) => r,
            Err(()) => {
                ok = false;
                None
            }
        };
        let scripted = s.rule.is_some() || s.rule_file.is_some();
        match (&s.aggregate, scripted) {
            (Some(a), true) => {
                self.sink
                    .error(
                        Code::InvalidRule,
                        Some(a.span()),
                        format!("score `{sid}` gives both `aggregate` and a rule"),
                    )
                    .help(
                        "keep one: aggregate = \"sum\" or \"mean\", or a rule computing the score",
                    );
                ok = false;
            }
            (None, false) => {
                self.sink
                    .error(
                        Code::InvalidRule,
                        Some(s.id.span()),
                        format!("score `{sid}` has neither `aggregate` nor a rule"),
                    )
                    .help("add aggregate = \"sum\" or \"mean\", or a rule computing the score");
                ok = false;
            }
            _ => {}
        }
        if let (true, Some(m)) = (scripted, &s.missing) {
            self.sink
                .error(Code::InvalidRule, Some(m.span()), format!("score `{sid}` has a rule and a missing-data rule"))
                .help("a rule sees unanswered items as () and decides itself: return insufficient() when too few are answered");
            ok = false;
        }
        let aggregate = s.aggregate.as_ref().map_or(Aggregate::Sum, |a| *a.value());
        if s.items.is_empty() {
            self.sink
                .error(
                    Code::InvalidScoreItems,
                    Some(s.items.span()),
                    format!("score `{sid}` has no items"),
                )
                .help("list the items the score aggregates, e.g. items = [\"q1\", \"q2\"]");
            return None;
        }
        let mut terms = Vec::new();
        let mut seen: VecMap<&str, Range<usize>> = VecMap::new();
        let mut topics: VecMap<usize, Range<usize>> = VecMap::new();
        for name in s.items.iter() {
            if let Some(first) = seen.get(name.as_str()) {
                self.sink
                    .error(
                        Code::InvalidScoreItems,
                        Some(name.span()),
                        format!("score `{sid}` lists item `{}` twice", name.value()),
                    )
                    .related(first.clone(), "first listed here")
                    .help("list each item once; use `weight` on the item to count it more");
                ok = false;
                continue;
            }
            seen.insert(name.as_str(), name.span());
            let Some((idx, info)) = item_index
                .get(name.value())
                .and_then(|&i| items.get(i).map(|info| (i, info)))
            else {
                self.sink
                    .error(
                        Code::UnknownItem,
                        Some(name.span()),
                        format!(
                            "score `{sid}` uses item `{}`, which is not defined",
                            name.value()
                        ),
                    )
                    .help(suggest(
                        name.value(),
                        item_index.keys(),
                        "define it with [[item]]",
                    ));
                ok = false;
                continue;
            };
            if let Some(u) = item_used.get_mut(idx) {
                *u = true;
            }
            topics.insert_if_absent(info.topic, || name.span());
            match info.scale.and_then(|sc| scales.get(sc)) {
                Some(scale) => terms.push(TermPlan {
                    item: idx,
                    weight: info.weight,
                    reverse: info.reverse,
                    reverse_base: scale.min + scale.max,
                    codes: scale.codes.clone(),
                }),
                None => ok = false,
            }
        }
        if topics.len() > 1 {
            let mut spans = topics.values();
            let first = spans.next().cloned().unwrap_or(0..0);
            let second = spans.next().cloned();
            self.sink
                .error(
                    Code::ScoreSpansTopics,
                    second.or(Some(s.items.span())),
                    format!(
                        "score `{sid}` mixes items from the topics {}",
                        quote_list(
                            &topics
                                .keys()
                                .filter_map(|t| topic_ids.get(*t).map(String::as_str))
                                .collect::<Vec<_>>()
                        )
                    ),
                )
                .related(first, "this item is in another topic")
                .help("a topic can be declined as a whole, so a score must stay within one topic; split the score by topic");
            ok = false;
        }
        let n = s.items.len();
        let mut min_answered = n;
        let mut prorate = false;
        if let Some(m) = &s.missing {
            prorate = m.prorate;
            match (m.min_answered, m.max_missing) {
                (Some(_), Some(_)) | (None, None) => {
                    let what = if m.min_answered.is_some() {
                        "gives both min_answered and max_missing"
                    } else {
                        "gives neither min_answered nor max_missing"
                    };
                    self.sink
                        .error(
                            Code::InvalidMissingRule,
                            Some(m.span()),
                            format!("the missing-data rule of score `{sid}` {what}"),
                        )
                        .help(format!(
                            "give exactly one, e.g. missing = {{ max_missing = 1 }} or missing = {{ min_answered = {} }}",
                            n.saturating_sub(1).max(1)
                        ));
                    ok = false;
                }
                (Some(k), None) if k == 0 || k as usize > n => {
                    self.sink
                        .error(
                            Code::InvalidMissingRule,
                            Some(m.span()),
                            format!("score `{sid}` requires {k} answered items but has {n} items"),
                        )
                        .help(format!("min_answered must be between 1 and {n}"));
                    ok = false;
                }
                (None, Some(k)) if k as usize >= n => {
                    self.sink
                        .error(
                            Code::InvalidMissingRule,
                            Some(m.span()),
                            format!(
                                "score `{sid}` allows {k} missing items but has only {n} items"
                            ),
                        )
                        .help(format!(
                            "max_missing must be below {n}, so at least one item is answered"
                        ));
                    ok = false;
                }
                (Some(k), None) => min_answered = k as usize,
                (None, Some(k)) => min_answered = n - k as usize,
            }
            if prorate && aggregate == Aggregate::Mean {
                self.sink
                    .error(
                        Code::InvalidMissingRule,
                        Some(m.span()),
                        format!("score `{sid}` is a mean; prorate applies only to sums"),
                    )
                    .help("remove prorate = true: a mean already uses only the answered items");
                ok = false;
            }
            if ok && min_answered < n && !prorate && aggregate == Aggregate::Sum {
                self.sink
                    .error(
                        Code::InvalidMissingRule,
                        Some(m.span()),
                        format!("score `{sid}` is a sum that allows missing items without proration"),
                    )
                    .help("add prorate = true (mean of the answered items × item count), or use aggregate = \"mean\"; a plain sum of fewer items is not comparable");
                ok = false;
            }
        }
        let (mut multiply, mut add) = (1.0, 0.0);
        if let Some(t) = &s.transform {
            multiply = t.multiply.unwrap_or(1.0);
            add = t.add.unwrap_or(0.0);
            if !(multiply.is_finite() && multiply != 0.0 && add.is_finite()) {
                self.sink
                    .error(
                        Code::InvalidNumber,
                        Some(t.span()),
                        format!("the transform of score `{sid}` is {multiply} × value + {add}"),
                    )
                    .help("multiply must be a finite number other than 0, and add a finite number");
                ok = false;
            }
        }
        let round = match &s.round {
            Some(r) if *r.value() > 9 => {
                self.sink
                    .error(
                        Code::InvalidNumber,
                        Some(r.span()),
                        format!("score `{sid}` rounds to {} decimals", r.value()),
                    )
                    .help("round to at most 9 decimal places");
                ok = false;
                None
            }
            Some(r) => Some(*r.value()),
            None => None,
        };
        let weight_total = terms.iter().map(|t| t.weight).sum();
        let topic = topics.keys().next().copied().unwrap_or(0);
        let rule = match &rule_src {
            Some(src) => match self.compile_rule(src, "items", owner) {
                Some(r) => Some(r),
                None => {
                    ok = false;
                    None
                }
            },
            None => None,
        };
        let item_ids = s.items.iter().map(|i| i.value().clone()).collect();
        ok.then_some(ScorePlan {
            terms,
            topic,
            rule,
            item_ids,
            aggregate,
            min_answered,
            prorate,
            weight_total,
            multiply,
            add,
            round,
        })
    }
}
