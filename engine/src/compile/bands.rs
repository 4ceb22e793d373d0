//! Checking a result's bands: that they are ordered and that every value
//! its score can take falls in exactly one of them (coverage).

use super::*;

impl Checker<'_, '_> {
    pub(crate) fn bands(
        &mut self,
        r: &crate::definition::model::ResultDef,
        score_name: &Sp<String>,
        score: Option<&ScorePlan>,
    ) -> Vec<BandPlan> {
        let rid = r.id.value();
        if r.bands.is_empty() {
            let span = if r.bands.span().is_empty() {
                r.id.span()
            } else {
                r.bands.span()
            };
            self.sink
                .error(
                    Code::NoBands,
                    Some(span),
                    format!("result `{rid}` has no bands"),
                )
                .help("add [[result.band]] tables with id, min, max, label and explanation");
            return Vec::new();
        }
        self.unique(r.bands.iter().map(|b| &b.id), "band");
        let mut ok = true;
        for b in r.bands.iter() {
            self.id(&b.id, "band");
            if RESERVED_OUTCOMES.contains(&b.id.as_str()) {
                self.sink
                    .error(
                        Code::ReservedId,
                        Some(b.id.span()),
                        format!("band id `{}` is reserved", b.id.value()),
                    )
                    .help(
                        "`declined` and `insufficient` are result statuses; choose another band id",
                    );
            }
            self.text(
                &b.label,
                &format!("the label of band `{}` of result `{rid}`", b.id.value()),
            );
            self.text(
                &b.explanation,
                &format!(
                    "the explanation of band `{}` of result `{rid}`",
                    b.id.value()
                ),
            );
            if !(b.min.is_finite() && b.max.is_finite()) {
                self.sink
                    .error(
                        Code::InvalidNumber,
                        Some(if b.min.is_finite() {
                            b.max.span()
                        } else {
                            b.min.span()
                        }),
                        format!("band `{}` has a bound that is not finite", b.id.value()),
                    )
                    .help("band bounds are finite numbers");
                ok = false;
            } else if b.min.value() > b.max.value() {
                self.sink
                    .error(
                        Code::InvertedBand,
                        Some(b.min.span()),
                        format!(
                            "band `{}` runs from {} down to {}",
                            b.id.value(),
                            b.min.value(),
                            b.max.value()
                        ),
                    )
                    .related(b.max.span(), "max is here")
                    .help("swap min and max: ranges are inclusive, min ≤ max");
                ok = false;
            }
        }
        let bands: Vec<&crate::definition::model::Band> = r.bands.iter().collect();
        for pair in bands.windows(2) {
            if let [a, b] = pair
                && ok
                && b.min.value() < a.min.value()
            {
                self.sink
                    .error(
                        Code::UnorderedBands,
                        Some(b.id.span()),
                        format!("band `{}` starts below the band before it (`{}`)", b.id.value(), a.id.value()),
                    )
                    .help("list bands from the lowest range to the highest; the band index in reports follows this order");
                ok = false;
            }
        }
        if ok {
            for (i, a) in bands.iter().enumerate() {
                for b in bands.iter().skip(i + 1) {
                    if a.min.value() <= b.max.value() && b.min.value() <= a.max.value() {
                        self.sink
                            .error(
                                Code::BandOverlap,
                                Some(b.min.span()),
                                format!(
                                    "bands `{}` ({}–{}) and `{}` ({}–{}) overlap",
                                    a.id.value(),
                                    a.min.value(),
                                    a.max.value(),
                                    b.id.value(),
                                    b.min.value(),
                                    b.max.value()
                                ),
                            )
                            .related(a.max.span(), format!("`{}` ends here", a.id.value()))
                            .help(format!(
                                "ranges are inclusive: let `{}` start above {}",
                                b.id.value(),
                                a.max.value()
                            ));
                        ok = false;
                    }
                }
            }
        }
        let plans: Vec<BandPlan> = r
            .bands
            .iter()
            .map(|b| BandPlan {
                id: b.id.value().clone(),
                min: *b.min.value(),
                max: *b.max.value(),
                label: b.label.value().clone(),
                explanation: b.explanation.value().clone(),
            })
            .collect();
        if let (true, Some(score)) = (ok, score)
            && let Some(values) = self.reachable(score, score_name)
        {
            self.coverage(r, score_name, &plans, &values);
        }
        plans
    }

    pub(super) fn coverage(
        &mut self,
        r: &crate::definition::model::ResultDef,
        score_name: &Sp<String>,
        plans: &[BandPlan],
        values: &[f64],
    ) {
        let rid = r.id.value();
        let uncovered: Vec<f64> = values
            .iter()
            .copied()
            .filter(|v| !plans.iter().any(|b| b.min <= *v && *v <= b.max))
            .collect();
        if let Some(first) = uncovered.first() {
            let shown: Vec<String> = uncovered.iter().take(5).map(|v| fmt_num(*v)).collect();
            let more = if uncovered.len() > 5 {
                format!(" and {} more", uncovered.len() - 5)
            } else {
                String::new()
            };
            // Point at the band just below the gap, if any.
            let below = plans
                .iter()
                .zip(r.bands.iter())
                .rfind(|(b, _)| b.max < *first);
            let span = below.map_or(r.bands.span(), |(_, b)| b.max.span());
            let help = match below {
                Some((b, _)) => format!(
                    "extend band `{}` to max = {} or let the next band start there; the reachable values are {}",
                    b.id,
                    fmt_num(*first),
                    summarize(values)
                ),
                None => format!(
                    "let the lowest band start at {}; the reachable values are {}",
                    fmt_num(*first),
                    summarize(values)
                ),
            };
            self.sink
                .error(
                    Code::BandGap,
                    Some(span),
                    format!(
                        "result `{rid}`: score `{}` can be {}{more}, which no band covers",
                        score_name.value(),
                        shown.join(", ")
                    ),
                )
                .help(help);
        }
        for (b, def) in plans.iter().zip(r.bands.iter()) {
            if !values.iter().any(|v| b.min <= *v && *v <= b.max) {
                self.sink
                    .error(
                        Code::UnreachableBand,
                        Some(def.id.span()),
                        format!(
                            "band `{}` ({}–{}) of result `{rid}` can never be reached",
                            b.id,
                            fmt_num(b.min),
                            fmt_num(b.max)
                        ),
                    )
                    .help(format!(
                        "score `{}` takes only the values {}; move or remove this band",
                        score_name.value(),
                        summarize(values)
                    ));
            }
        }
    }
}
