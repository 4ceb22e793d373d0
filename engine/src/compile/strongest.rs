//! Checks and resolves `strongest` results: a result naming the strongest of
//! several banded results (e.g. the interest fields a person likes most).
//!
//! Such a result is a function of its sources' outcomes alone, so it releases
//! nothing an audience that sees every source does not already know. The
//! compiler therefore demands exactly that (every audience of the result sees
//! every source) and the disclosure analysis inherits the sources' findings.

use crate::source::sorted::VecSet;

use crate::compile::Checker;
use crate::definition::model::{Definition, ResultDef, Strongest};
use crate::plan::{BandPlan, Choice, ResultPlan};
use crate::source::diagnostic::Code;
use crate::source::span::Sp;
use crate::source::words::{quote_list, suggest};

/// The outcomes of a strongest result, in band-index order.
const OUTCOMES: [&str; 2] = ["none", "listed"];

impl Checker<'_, '_> {
    /// The result's own parts: outcomes `none` and `listed`, nothing else.
    /// Sources are resolved later, once every result is ([`Self::sources`]).
    pub(crate) fn strongest(
        &mut self,
        r: &ResultDef,
        strongest: &Sp<Strongest>,
        k: u32,
        waiver: Option<String>,
    ) -> ResultPlan {
        let rid = r.id.value().clone();
        if r.score.is_some()
            || !r.scores.is_empty()
            || !r.bands.is_empty()
            || r.rule.is_some()
            || r.rule_file.is_some()
            || r.select.is_some()
            || r.explanation.is_some()
        {
            self.sink
                .error(
                    Code::InvalidStrongest,
                    Some(r.id.span()),
                    format!("result `{rid}` has `strongest` and also a score, bands, a rule, a selection or an explanation"),
                )
                .help("a strongest result has only title, strongest, audiences and its two outcomes `listed` and `none`, each with label and explanation");
        }
        self.unique(r.outcomes.iter().map(|o| &o.id), "outcome");
        for o in r.outcomes.iter() {
            if !OUTCOMES.contains(&o.id.as_str()) {
                self.sink
                    .error(
                        Code::InvalidStrongest,
                        Some(o.id.span()),
                        format!(
                            "strongest result `{rid}` declares outcome `{}`",
                            o.id.value()
                        ),
                    )
                    .help("a strongest result has exactly two outcomes: `listed` (some results are named) and `none` (none reached `min_band`)");
            }
            self.outcome_texts(o, &rid);
        }
        let mut bands = Vec::new();
        for id in OUTCOMES {
            match r.outcomes.iter().find(|o| o.id.as_str() == id) {
                Some(o) => bands.push(BandPlan {
                    id: id.to_string(),
                    min: f64::NAN,
                    max: f64::NAN,
                    label: o.label.value().clone(),
                    explanation: o.explanation.value().clone(),
                }),
                None => {
                    self.sink
                        .error(
                            Code::MissingKey,
                            Some(strongest.span()),
                            format!("strongest result `{rid}` has no outcome `{id}`"),
                        )
                        .help(format!(
                            "add [[result.outcome]] with id = \"{id}\", a label and an explanation{}",
                            if id == "listed" {
                                " (the report shows the names of the strongest results in place of its label)"
                            } else {
                                " (shown when no result reached `min_band`)"
                            }
                        ));
                }
            }
        }
        ResultPlan {
            id: rid,
            score: 0,
            topic: 0,
            audiences: r.audiences.iter().map(|a| a.value().clone()).collect(),
            bands,
            choice: Choice::Strongest {
                sources: Vec::new(),
                min_band: 0,
            },
            inputs: Vec::new(),
            k,
            waiver,
        }
    }

    /// Resolves the sources of every strongest result against the other
    /// results: they must exist, be banded results with the same band ids in
    /// one topic, and be released to every audience of the strongest result.
    pub(crate) fn sources(&mut self, def: &Definition, results: &mut [ResultPlan]) {
        for (ri, r) in def.results.iter().enumerate() {
            let Some(strongest) = &r.strongest else {
                continue;
            };
            let rid = r.id.value();
            let audiences: Vec<String> = r.audiences.iter().map(|a| a.value().clone()).collect();
            let mut sources: Vec<usize> = Vec::new();
            let mut seen = VecSet::new();
            let mut bands: Option<(Vec<String>, &Sp<String>)> = None;
            let mut topics = VecSet::new();
            for name in strongest.results.iter() {
                let Some(si) = def
                    .results
                    .iter()
                    .position(|x| x.id.value() == name.value())
                else {
                    self.sink
                        .error(
                            Code::UnknownResult,
                            Some(name.span()),
                            format!(
                                "strongest result `{rid}` compares result `{}`, which is not defined",
                                name.value()
                            ),
                        )
                        .help(suggest(
                            name.value(),
                            def.results.iter().map(|x| x.id.value()),
                            "name banded results defined with [[result]]",
                        ));
                    continue;
                };
                if !seen.insert(si) {
                    self.sink
                        .error(
                            Code::InvalidStrongest,
                            Some(name.span()),
                            format!(
                                "strongest result `{rid}` names result `{}` twice",
                                name.value()
                            ),
                        )
                        .help("name each result once");
                    continue;
                }
                let Some(source) = results.get(si) else {
                    continue;
                };
                if si == ri || !matches!(source.choice, Choice::Bands) {
                    self.sink
                        .error(
                            Code::InvalidStrongest,
                            Some(name.span()),
                            format!(
                                "strongest result `{rid}` compares result `{}`, which is not a banded result",
                                name.value()
                            ),
                        )
                        .help("compare results with `score` and bands; rule, selection and strongest results have no common order");
                    continue;
                }
                let ids: Vec<String> = source.bands.iter().map(|b| b.id.clone()).collect();
                match &bands {
                    None => bands = Some((ids, name)),
                    Some((first, first_name)) if *first != ids => {
                        self.sink
                            .error(
                                Code::InvalidStrongest,
                                Some(name.span()),
                                format!(
                                    "result `{}` has bands {}, but `{}` has {}",
                                    name.value(),
                                    quote_list(&ids.iter().map(String::as_str).collect::<Vec<_>>()),
                                    first_name.value(),
                                    quote_list(&first.iter().map(String::as_str).collect::<Vec<_>>())
                                ),
                            )
                            .related(first_name.span(), "the first result compared")
                            .help("a strongest result compares results whose bands have the same ids in the same order, so that `the highest band` means the same for each");
                        continue;
                    }
                    Some(_) => {}
                }
                for audience in &audiences {
                    if !source.audiences.contains(audience) {
                        self.sink
                            .error(
                                Code::StrongestSourceHidden,
                                Some(name.span()),
                                format!(
                                    "strongest result `{rid}` is released to `{audience}`, who does not see result `{}`",
                                    name.value()
                                ),
                            )
                            .help(format!(
                                "release `{}` to `{audience}` too, or remove `{audience}` from the audiences of `{rid}`: a strongest result may only summarise what its audience already sees",
                                name.value()
                            ));
                    }
                }
                topics.insert(source.topic);
                sources.push(si);
            }
            if strongest.results.len() < 2 {
                self.sink
                    .error(
                        Code::InvalidStrongest,
                        Some(strongest.results.span()),
                        format!("strongest result `{rid}` compares fewer than two results"),
                    )
                    .help("name at least two banded results, e.g. results = [\"leadership\", \"altruism\"]");
            }
            if topics.len() > 1 {
                self.sink
                    .error(
                        Code::ScoreSpansTopics,
                        Some(strongest.results.span()),
                        format!("strongest result `{rid}` compares results from {} topics", topics.len()),
                    )
                    .help("a topic can be declined as a whole, so a result must stay within one topic");
            }
            let min_band = match &bands {
                Some((ids, _)) => match ids.iter().position(|b| b == strongest.min_band.value()) {
                    Some(m) => m,
                    None => {
                        self.sink
                            .error(
                                Code::InvalidStrongest,
                                Some(strongest.min_band.span()),
                                format!(
                                    "`min_band` of strongest result `{rid}` is `{}`, which is not a band of the results it compares",
                                    strongest.min_band.value()
                                ),
                            )
                            .help(format!(
                                "use one of {}",
                                quote_list(&ids.iter().map(String::as_str).collect::<Vec<_>>())
                            ));
                        0
                    }
                },
                None => 0,
            };
            if let Some(plan) = results.get_mut(ri) {
                plan.topic = topics.into_iter().next().unwrap_or(0);
                plan.choice = Choice::Strongest { sources, min_band };
            }
        }
    }
}
