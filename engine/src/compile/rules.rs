//! Compile-time checks of scripted rules and of results: rule sources,
//! Rhai syntax errors mapped to `file:line:col`, and the exhaustive
//! enumeration that proves what a rule can return.

use crate::source::sorted::{VecMap, VecSet};
use std::ops::Range;

use rhai::{Dynamic, Map};

use crate::compile::{Checker, REACH_BUDGET, RESERVED_OUTCOMES};
use crate::definition::model::{Definition, ResultDef, Score};
use crate::plan::{BandPlan, Choice, ResultPlan, ScorePlan};
use crate::rules::{Returned, Rule, compile_rule, parse_position};
use crate::source::diagnostic::Code;
use crate::source::span::{Source, Sp};
use crate::source::words::{fmt_num, quote_list, suggest};

/// How many rule runs the compiler spends enumerating one rule's inputs.
pub(crate) const RULE_RUNS: usize = 50_000;

/// How to get a definition back within the compile budget.
pub(crate) fn budget_help() -> &'static str {
    "simplify it: fewer items or codes per score, fewer results sharing items, or a rule that does less work per run; a host compiling only trusted definitions can raise `Options::budget`"
}

/// A rule problem found over a combination of score values that answers may
/// not produce (the scores share items), reported only if the disclosure
/// analysis cannot show that no answer set reaches it.
pub(crate) struct Deferred {
    /// The result's id.
    result: String,
    file: Option<Source>,
    span: Range<usize>,
    code: Code,
    message: String,
    help: String,
}

/// Where a rule's text comes from.
pub(crate) enum Origin {
    /// A string value in the definition, at this span.
    Inline(Range<usize>),
    /// A rule file.
    File(Source),
}

/// A rule's text and origin.
pub(crate) struct RuleSource {
    pub(crate) text: String,
    pub(crate) origin: Origin,
}

/// A value a result rule may see for one input score.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Input {
    Value(f64),
    Insufficient,
}

impl Checker<'_, '_> {
    /// The rule of a score or result, from `rule` or `rule_file`. `Err` when
    /// both are given or the file is missing (already reported).
    pub(crate) fn rule_source(
        &mut self,
        inline: Option<&Sp<String>>,
        file: Option<&Sp<String>>,
        owner: &str,
    ) -> Result<Option<RuleSource>, ()> {
        match (inline, file) {
            (None, None) => Ok(None),
            (Some(_), Some(f)) => {
                self.sink
                    .error(
                        Code::InvalidRule,
                        Some(f.span()),
                        format!("{owner} gives both `rule` and `rule_file`"),
                    )
                    .help("keep one: the rule inline, or in a .rhai file beside the definition");
                Err(())
            }
            (Some(r), None) => Ok(Some(RuleSource {
                text: r.value().clone(),
                origin: Origin::Inline(r.span()),
            })),
            (None, Some(f)) => match self.options.files.get(f.value().as_str()) {
                Some(text) => {
                    let dir = self.source.name().rsplit_once('/').map_or("", |(d, _)| d);
                    let name = if dir.is_empty() {
                        f.value().clone()
                    } else {
                        format!("{dir}/{}", f.value())
                    };
                    Ok(Some(RuleSource {
                        text: text.clone(),
                        origin: Origin::File(Source::new(name, text.clone())),
                    }))
                }
                None => {
                    let known: Vec<&str> = self.options.files.keys().map(String::as_str).collect();
                    self.sink
                        .error(
                            Code::InvalidRule,
                            Some(f.span()),
                            format!("{owner} names rule file `{}`, which was not provided", f.value()),
                        )
                        .help(if known.is_empty() {
                            "put the .rhai file beside the definition (hosts pass it in the compile options' files)".to_string()
                        } else {
                            format!("the files provided are {}", quote_list(&known))
                        });
                    Err(())
                }
            },
        }
    }

    /// The span of a rule's `(line, column)` in the definition, or the rule
    /// file it lives in.
    fn rule_span(
        &self,
        src: &RuleSource,
        pos: Option<(usize, usize)>,
    ) -> (Option<Source>, Range<usize>) {
        let local = pos.map_or(0, |(l, c)| crate::source::span::offset_of(&src.text, l, c));
        match &src.origin {
            Origin::File(file) => (Some(file.clone()), local..local),
            Origin::Inline(span) => {
                // When the string is written without escapes, the script's
                // text stands verbatim inside the value: point into it.
                let raw = self.source.text().get(span.clone()).unwrap_or_default();
                match raw.find(src.text.as_str()) {
                    Some(base) if !src.text.is_empty() => {
                        let at = span.start + base + local;
                        (None, at..at)
                    }
                    _ => (None, span.clone()),
                }
            }
        }
    }

    fn rule_error(
        &mut self,
        src: &RuleSource,
        pos: Option<(usize, usize)>,
        code: Code,
        message: String,
        help: &str,
    ) {
        let (file, span) = self.rule_span(src, pos);
        self.emit(file, span, code, message, help.to_string());
    }

    fn emit(
        &mut self,
        file: Option<Source>,
        span: Range<usize>,
        code: Code,
        message: String,
        help: String,
    ) {
        match file {
            Some(file) => {
                self.sink.error_in(&file, code, span, message).help(help);
            }
            None => {
                self.sink.error(code, Some(span), message).help(help);
            }
        }
    }

    /// Reports the rule problems found over score combinations that answers
    /// may not produce, unless the disclosure analysis ran the rule over
    /// every answer set of every audience that sees the result (`exact` or
    /// `enumerated`) without a failure: then no answer set reaches them.
    pub(crate) fn settle_deferred(&mut self, disclosure: &crate::plan::disclosure::Disclosure) {
        use crate::plan::disclosure::Method;
        for d in std::mem::take(&mut self.deferred) {
            let mut findings = disclosure
                .results
                .iter()
                .filter(|f| f.result == d.result)
                .peekable();
            let covered = findings.peek().is_some()
                && findings.all(|f| matches!(f.method, Method::Exact | Method::Enumerated));
            if !covered || self.sink.has_errors() {
                self.emit(d.file, d.span, d.code, d.message, d.help);
            }
        }
    }

    /// Compiles a rule once, reporting Rhai syntax errors where they are.
    pub(crate) fn compile_rule(
        &mut self,
        src: &RuleSource,
        input: &'static str,
        name: String,
    ) -> Option<Rule> {
        match compile_rule(&self.engine, &src.text, input) {
            Ok(rule) => Some(rule),
            Err(e) => {
                let pos = parse_position(&e);
                self.rule_error(
                    src,
                    pos,
                    Code::RuleSyntax,
                    format!("the rule of {name} does not compile: {}", e.0),
                    &format!(
                        "a rule reads only `{input}`, the prelude (sum, mean, count_answered, prorate, reverse, clamp, rank, top, insufficient) and its own variables and functions; modules, eval, closures and undeclared variables are not available"
                    ),
                );
                None
            }
        }
    }

    /// The compile budget ran out while checking `what` (`score `x`` or
    /// `result `x``).
    pub(crate) fn budget_spent(&mut self, span: Range<usize>, what: &str) {
        if self.over_budget.iter().any(|w| w == what) {
            return;
        }
        self.over_budget.push(what.to_string());
        let steps = self.meter.budget().steps;
        self.sink
            .error(
                Code::AnalysisBudget,
                Some(span),
                format!("the compile budget of {steps} steps ran out while checking {what}"),
            )
            .help(budget_help());
    }

    /// Every value a score can take, declarative or scripted.
    pub(crate) fn reachable(&mut self, plan: &ScorePlan, score: &Sp<String>) -> Option<Vec<f64>> {
        let Some(rule) = &plan.rule else {
            return match plan.reachable(REACH_BUDGET, &self.meter) {
                Ok(v) => Some(v),
                Err(None) => {
                    self.budget_spent(score.span(), &format!("score `{}`", score.value()));
                    None
                }
                Err(Some(_)) => {
                    self.sink
                        .error(
                            Code::AnalysisBudget,
                            Some(score.span()),
                            format!(
                                "score `{}` has more than {REACH_BUDGET} partial sums to enumerate, too many to check the bands",
                                score.value()
                            ),
                        )
                        .help("use whole-number weights, fewer distinct weights or fewer items per score, so the reachable values stay enumerable");
                    None
                }
            };
        };
        let runs = plan
            .terms
            .iter()
            .try_fold(1usize, |acc, t| acc.checked_mul(t.codes.len() + 1))
            .filter(|n| *n <= RULE_RUNS);
        let Some(_) = runs else {
            self.sink
                .error(
                    Code::AnalysisBudget,
                    Some(score.span()),
                    format!(
                        "score `{}` is a rule over more answer combinations than the {RULE_RUNS} the compiler enumerates, so its bands cannot be checked",
                        score.value()
                    ),
                )
                .help("compute the score declaratively (sum or mean) and keep rules for results, or split the score into smaller ones");
            return None;
        };
        let mut values: Vec<f64> = Vec::new();
        let mut answers: Vec<Option<i64>> = vec![None; plan.terms.len()];
        let mut failure = None;
        enumerate_items(plan, 0, &mut answers, &mut |combo| {
            if failure.is_some() {
                return;
            }
            let mut input = Map::new();
            for (id, v) in plan.item_ids.iter().zip(combo) {
                input.insert(
                    id.as_str().into(),
                    v.map_or(Dynamic::UNIT, Dynamic::from_int),
                );
            }
            match rule.run(&self.engine, input) {
                Ok(Returned::Number(x)) => {
                    values.push(plan.transform(x));
                }
                Ok(Returned::Insufficient) => {}
                Ok(Returned::Outcome(_)) => {
                    failure = Some((
                        combo.to_vec(),
                        "returned a string; a score rule returns a number or insufficient()"
                            .to_string(),
                    ));
                }
                Err(e) => failure = Some((combo.to_vec(), e.message)),
            }
        });
        if failure.is_some() && self.meter.exhausted() {
            self.budget_spent(score.span(), &format!("score `{}`", score.value()));
            return None;
        }
        if let Some((combo, message)) = failure {
            let shown: Vec<String> = plan
                .item_ids
                .iter()
                .zip(&combo)
                .map(|(id, v)| format!("{id} = {}", v.map_or("()".to_string(), |c| c.to_string())))
                .collect();
            self.sink
                .error(
                    Code::RuleFailed,
                    Some(score.span()),
                    format!("the rule of score `{}` fails for {}: {message}", score.value(), shown.join(", ")),
                )
                .help("a score rule must return a number or insufficient() for every combination of answers, unanswered items included");
            return None;
        }
        // Equal under `total_cmp` is equal bits: one value per bit pattern.
        values.sort_by(f64::total_cmp);
        values.dedup_by(|a, b| a.to_bits() == b.to_bits());
        Some(values)
    }

    /// The strictest `k` that applies to a result: the questionnaire's, or
    /// its topic's when stricter.
    pub(crate) fn k_for(
        &self,
        def: &Definition,
        r: &ResultDef,
        scores: &[Option<ScorePlan>],
        score_index: &VecMap<String, usize>,
    ) -> u32 {
        let base = def.questionnaire.k.as_ref().map_or(2, |k| *k.value());
        let first = r.score.as_ref().or(r.scores.first());
        let topic = first
            .and_then(|s| score_index.get(s.value()))
            .and_then(|i| scores.get(*i))
            .and_then(Option::as_ref)
            .map(|p| p.topic);
        let topic_k = topic
            .and_then(|t| def.topics.get(t))
            .and_then(|t| t.k.as_ref())
            .map_or(0, |k| *k.value());
        base.max(topic_k)
    }

    /// Resolves one result: bands over a score, or a rule over scores.
    pub(crate) fn result(
        &mut self,
        r: &ResultDef,
        scores: &[Option<ScorePlan>],
        score_index: &VecMap<String, usize>,
        score_defs: &[Score],
        score_used: &mut [bool],
        k: u32,
    ) -> ResultPlan {
        let rid = r.id.value().clone();
        let audiences = r.audiences.iter().map(|a| a.value().clone()).collect();
        let waiver = r.waiver.as_ref().map(|w| w.value().clone());
        let owner = format!("result `{rid}`");
        let rule_src = self
            .rule_source(r.rule.as_ref(), r.rule_file.as_ref(), &owner)
            .unwrap_or(None);
        let scripted = r.rule.is_some() || r.rule_file.is_some();
        if let Some(select) = &r.select {
            return self.selection(r, select, k, waiver);
        }
        if let Some(strongest) = &r.strongest {
            return self.strongest(r, strongest, k, waiver);
        }
        if let Some(e) = &r.explanation {
            self.sink
                .error(Code::InvalidRule, Some(e.span()), format!("result `{rid}` has an `explanation` but no `select`"))
                .help("explanations of bands and outcomes go with each band or outcome; a result-level explanation belongs to a selection");
        }
        let mut resolve = |cx: &mut Self, name: &Sp<String>| -> Option<usize> {
            match score_index.get(name.value()) {
                Some(&i) => {
                    if let Some(u) = score_used.get_mut(i) {
                        *u = true;
                    }
                    Some(i)
                }
                None => {
                    cx.sink
                        .error(
                            Code::UnknownScore,
                            Some(name.span()),
                            format!(
                                "result `{rid}` uses score `{}`, which is not defined",
                                name.value()
                            ),
                        )
                        .help(suggest(
                            name.value(),
                            score_index.keys(),
                            "define it with [[score]]",
                        ));
                    None
                }
            }
        };
        if !scripted {
            if !r.scores.is_empty() || !r.outcomes.is_empty() {
                self.sink
                    .error(
                        Code::InvalidRule,
                        Some(r.id.span()),
                        format!("result `{rid}` has `scores` or `outcome`s but no rule"),
                    )
                    .help("a result is either `score` with bands, or `scores` with a `rule` and its `outcome`s");
            }
            let Some(score_name) = &r.score else {
                self.sink
                    .error(Code::InvalidRule, Some(r.id.span()), format!("result `{rid}` names no score"))
                    .help("add score = \"…\" and [[result.band]]s, or scores = [...] with a rule and outcomes");
                return empty(rid, audiences, k, waiver);
            };
            let score = resolve(self, score_name);
            let plan = score.and_then(|i| scores.get(i)).and_then(Option::as_ref);
            let bands = self.bands(r, score_name, plan);
            return ResultPlan {
                id: rid,
                score: score.unwrap_or(0),
                topic: plan.map_or(0, |p| p.topic),
                audiences,
                inputs: score
                    .map(|i| vec![(i, score_name.value().clone())])
                    .unwrap_or_default(),
                bands,
                choice: Choice::Bands,
                k,
                waiver,
            };
        }
        // A rule result.
        if r.score.is_some() || !r.bands.is_empty() {
            self.sink
                .error(Code::InvalidRule, Some(r.id.span()), format!("result `{rid}` has a rule and also `score` or bands"))
                .help("a rule result reads `scores = [...]` and returns one of its `outcome`s; remove `score` and the bands");
        }
        if r.scores.is_empty() {
            self.sink
                .error(
                    Code::InvalidRule,
                    Some(r.id.span()),
                    format!("result `{rid}` has a rule but no `scores`"),
                )
                .help("list the scores the rule reads, e.g. scores = [\"realistic\", \"social\"]");
        }
        if r.outcomes.is_empty() {
            self.sink
                .error(Code::NoBands, Some(r.id.span()), format!("result `{rid}` has a rule but no outcomes"))
                .help("declare each id the rule may return with [[result.outcome]]: id, label and explanation");
        }
        self.unique(r.outcomes.iter().map(|o| &o.id), "outcome");
        for o in r.outcomes.iter() {
            self.id(&o.id, "outcome");
            if RESERVED_OUTCOMES.contains(&o.id.as_str()) {
                self.sink
                    .error(Code::ReservedId, Some(o.id.span()), format!("outcome id `{}` is reserved", o.id.value()))
                    .help("`declined` and `insufficient` are result statuses; return insufficient() instead");
            }
            self.outcome_texts(o, &rid);
        }
        let mut inputs = Vec::new();
        let mut topics = VecSet::new();
        let mut complete = true;
        for name in &r.scores {
            match resolve(self, name) {
                Some(i) => {
                    if let Some(p) = scores.get(i).and_then(Option::as_ref) {
                        topics.insert(p.topic);
                    } else {
                        complete = false;
                    }
                    inputs.push((i, name.value().clone()));
                }
                None => complete = false,
            }
        }
        if topics.len() > 1 {
            self.sink
                .error(
                    Code::ScoreSpansTopics,
                    Some(r.id.span()),
                    format!("result `{rid}` reads scores from {} topics", topics.len()),
                )
                .help("a topic can be declined as a whole, so a result must stay within one topic");
            complete = false;
        }
        let bands: Vec<BandPlan> = r
            .outcomes
            .iter()
            .map(|o| BandPlan {
                id: o.id.value().clone(),
                min: f64::NAN,
                max: f64::NAN,
                label: o.label.value().clone(),
                explanation: o.explanation.value().clone(),
            })
            .collect();
        let rule = rule_src
            .as_ref()
            .and_then(|src| self.compile_rule(src, "scores", owner.clone()));
        if let (Some(rule), Some(src), true) = (&rule, &rule_src, complete) {
            self.check_outcomes(r, rule, src, &inputs, scores, score_defs);
        }
        ResultPlan {
            id: rid,
            score: inputs.first().map_or(0, |(i, _)| *i),
            topic: topics.into_iter().next().unwrap_or(0),
            audiences,
            inputs,
            bands,
            choice: match rule {
                Some(rule) => Choice::Rule(rule),
                None => Choice::Bands,
            },
            k,
            waiver,
        }
    }

    /// An outcome's label and explanation are given in every locale.
    pub(crate) fn outcome_texts(&mut self, o: &crate::definition::model::OutcomeDef, rid: &str) {
        self.text(
            &o.label,
            &format!("the label of outcome `{}` of result `{rid}`", o.id.value()),
        );
        self.text(
            &o.explanation,
            &format!(
                "the explanation of outcome `{}` of result `{rid}`",
                o.id.value()
            ),
        );
    }

    /// A selection result (interview mode): which items it may list.
    fn selection(
        &mut self,
        r: &ResultDef,
        select: &Sp<crate::definition::model::Select>,
        k: u32,
        waiver: Option<String>,
    ) -> ResultPlan {
        let rid = r.id.value().clone();
        let audiences = r.audiences.iter().map(|a| a.value().clone()).collect();
        if !self.interview {
            self.sink
                .error(
                    Code::SelectionInQuestionnaire,
                    Some(select.span()),
                    format!("result `{rid}` lists individual answers, but the questionnaire is not in interview mode"),
                )
                .help("a private questionnaire never lists answers; only a structured interview, where selections are made together in the open, may (mode = \"interview\")");
        }
        if r.score.is_some()
            || !r.scores.is_empty()
            || !r.bands.is_empty()
            || !r.outcomes.is_empty()
            || r.rule.is_some()
            || r.rule_file.is_some()
        {
            self.sink
                .error(
                    Code::InvalidRule,
                    Some(r.id.span()),
                    format!(
                        "result `{rid}` has `select` and also a score, bands, outcomes or a rule"
                    ),
                )
                .help("a selection result has only title, select, explanation and audiences");
        }
        let explanation = match &r.explanation {
            Some(e) => {
                self.text(e, &format!("the explanation of result `{rid}`"));
                e.value().clone()
            }
            None => {
                self.sink
                    .error(Code::MissingKey, Some(r.id.span()), format!("selection result `{rid}` has no `explanation`"))
                    .help("add explanation = { … } saying what the listed selections mean and that they were chosen together");
                Default::default()
            }
        };
        let mut items = Vec::new();
        let mut topics = VecSet::new();
        for name in select.items.iter() {
            match self.item_lookup.get(name.value()) {
                Some(&(i, topic)) => {
                    items.push(i);
                    topics.insert(topic);
                }
                None => {
                    self.sink
                        .error(
                            Code::UnknownItem,
                            Some(name.span()),
                            format!(
                                "result `{rid}` selects item `{}`, which is not defined",
                                name.value()
                            ),
                        )
                        .help(suggest(
                            name.value(),
                            self.item_lookup.keys(),
                            "define it with [[item]]",
                        ));
                }
            }
        }
        if items.is_empty() {
            self.sink
                .error(
                    Code::InvalidScoreItems,
                    Some(select.items.span()),
                    format!("selection result `{rid}` lists no items"),
                )
                .help("name the items that can be listed, e.g. items = [\"q1\", \"q2\"]");
        }
        if topics.len() > 1 {
            self.sink
                .error(
                    Code::ScoreSpansTopics,
                    Some(select.items.span()),
                    format!(
                        "selection result `{rid}` lists items from {} topics",
                        topics.len()
                    ),
                )
                .help(
                    "a topic can be declined as a whole, so a selection must stay within one topic",
                );
        }
        let top = select
            .top
            .as_ref()
            .map_or(usize::MAX, |t| *t.value() as usize);
        let builtin = |de: &str, en: &str| -> crate::definition::model::Text {
            [("de", de), ("en", en)]
                .iter()
                .map(|(l, t)| (l.to_string(), t.to_string()))
                .collect()
        };
        ResultPlan {
            id: rid,
            score: 0,
            topic: topics.into_iter().next().unwrap_or(0),
            audiences,
            bands: vec![
                BandPlan {
                    id: "none".to_string(),
                    min: f64::NAN,
                    max: f64::NAN,
                    label: builtin("Keine Auswahl", "Nothing selected"),
                    explanation: builtin(
                        "Im Gespräch wurde hier nichts ausgewählt. Das sagt nichts Nachteiliges aus; es ist ein möglicher Ausgangspunkt für das weitere Gespräch.",
                        "Nothing was selected here in the conversation. That says nothing negative; it is a possible starting point for the conversation.",
                    ),
                },
                BandPlan {
                    id: "listed".to_string(),
                    min: f64::NAN,
                    max: f64::NAN,
                    label: Default::default(),
                    explanation,
                },
            ],
            choice: Choice::Select {
                items,
                min_code: *select.min_code.value(),
                top,
            },
            inputs: Vec::new(),
            k,
            waiver,
        }
    }

    /// Runs a result rule over every combination of its inputs' reachable
    /// values (and "insufficient"), when they fit the budget: every returned
    /// id must be declared, and every declared outcome must be returned.
    fn check_outcomes(
        &mut self,
        r: &ResultDef,
        rule: &Rule,
        src: &RuleSource,
        inputs: &[(usize, String)],
        scores: &[Option<ScorePlan>],
        score_defs: &[Score],
    ) {
        let rid = r.id.value();
        let mut domains: Vec<Vec<Input>> = Vec::new();
        for (i, _) in inputs {
            let (Some(plan), Some(def)) =
                (scores.get(*i).and_then(Option::as_ref), score_defs.get(*i))
            else {
                return;
            };
            let Some(values) = self.reachable(plan, &def.id) else {
                return;
            };
            let mut d: Vec<Input> = values.into_iter().map(Input::Value).collect();
            d.push(Input::Insufficient);
            domains.push(d);
        }
        let runs = domains
            .iter()
            .try_fold(1usize, |acc, d| acc.checked_mul(d.len()))
            .filter(|n| *n <= RULE_RUNS);
        if runs.is_none() {
            // Too many combinations to enumerate: undeclared outcomes are
            // caught at evaluation time, and the disclosure analysis decides
            // separately whether the result may be released.
            return;
        }
        let declared: Vec<&str> = r.outcomes.iter().map(|o| o.id.as_str()).collect();
        let mut returned: VecSet<String> = VecSet::new();
        let mut problem: Option<(Code, String)> = None;
        let mut combo = Vec::with_capacity(domains.len());
        enumerate_inputs(&domains, &mut combo, &mut |combo| {
            if problem.is_some() {
                return;
            }
            let mut map = Map::new();
            for ((_, id), v) in inputs.iter().zip(combo) {
                let v = match v {
                    Input::Value(x) => Dynamic::from_float(*x),
                    Input::Insufficient => Dynamic::UNIT,
                };
                map.insert(id.as_str().into(), v);
            }
            let shown = || {
                inputs
                    .iter()
                    .zip(combo)
                    .map(|((_, id), v)| match v {
                        Input::Value(x) => format!("{id} = {}", fmt_num(*x)),
                        Input::Insufficient => format!("{id} = ()"),
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            match rule.run(&self.engine, map) {
                Ok(Returned::Outcome(o)) if declared.contains(&o.as_str()) => {
                    returned.insert(o);
                }
                Ok(Returned::Outcome(o)) => {
                    problem = Some((
                        Code::UndeclaredOutcome,
                        format!(
                            "the rule of result `{rid}` returns `{o}` for {}, which is not a declared outcome",
                            shown()
                        ),
                    ));
                }
                Ok(Returned::Insufficient) => {}
                Ok(Returned::Number(_)) => {
                    problem = Some((
                        Code::RuleFailed,
                        format!(
                            "the rule of result `{rid}` returns a number for {}; a result rule returns an outcome id",
                            shown()
                        ),
                    ));
                }
                Err(e) => {
                    problem = Some((
                        Code::RuleFailed,
                        format!(
                            "the rule of result `{rid}` fails for {}: {}",
                            shown(),
                            e.message
                        ),
                    ));
                }
            }
        });
        if problem.is_some() && self.meter.exhausted() {
            self.budget_spent(r.id.span(), &format!("result `{rid}`"));
            return;
        }
        if let Some((code, message)) = problem {
            let help = match code {
                Code::UndeclaredOutcome => format!("declare it with [[result.outcome]], or return one of {}", quote_list(&declared)),
                _ => "a result rule must return a declared outcome id or insufficient() for every value its scores can take, () included".to_string(),
            };
            // Scores that share items cannot take every combination of
            // their values: the combination may be one no answer set
            // gives. The disclosure analysis, which runs the rule over the
            // answer sets themselves, decides (`settle_deferred`).
            let terms = |i: &usize| {
                scores
                    .get(*i)
                    .and_then(Option::as_ref)
                    .map_or(&[][..], |p| p.terms.as_slice())
            };
            let shared = inputs.iter().enumerate().any(|(a, (x, _))| {
                inputs.iter().skip(a + 1).any(|(y, _)| {
                    terms(x)
                        .iter()
                        .any(|t| terms(y).iter().any(|u| u.item == t.item))
                })
            });
            if shared {
                let (file, span) = self.rule_span(src, None);
                self.deferred.push(Deferred {
                    result: rid.clone(),
                    file,
                    span,
                    code,
                    message,
                    help,
                });
            } else {
                self.rule_error(src, None, code, message, &help);
            }
            return;
        }
        for o in r.outcomes.iter() {
            if !returned.contains(o.id.as_str()) {
                self.sink
                    .error(
                        Code::UnreachableBand,
                        Some(o.id.span()),
                        format!(
                            "outcome `{}` of result `{rid}` is never returned by its rule",
                            o.id.value()
                        ),
                    )
                    .help("remove the outcome, or fix the rule so that it can return it");
            }
        }
    }
}

fn empty(id: String, audiences: Vec<String>, k: u32, waiver: Option<String>) -> ResultPlan {
    ResultPlan {
        id,
        score: 0,
        topic: 0,
        audiences,
        bands: Vec::new(),
        choice: Choice::Bands,
        inputs: Vec::new(),
        k,
        waiver,
    }
}

/// Calls `f` with every combination of codes (and "unanswered") of the
/// plan's items.
fn enumerate_items(
    plan: &ScorePlan,
    i: usize,
    answers: &mut Vec<Option<i64>>,
    f: &mut dyn FnMut(&[Option<i64>]),
) {
    let Some(term) = plan.terms.get(i) else {
        f(answers);
        return;
    };
    for choice in std::iter::once(None).chain(term.codes.iter().copied().map(Some)) {
        if let Some(slot) = answers.get_mut(i) {
            *slot = choice;
        }
        enumerate_items(plan, i + 1, answers, f);
    }
}

fn enumerate_inputs(domains: &[Vec<Input>], combo: &mut Vec<Input>, f: &mut dyn FnMut(&[Input])) {
    let Some(domain) = domains.get(combo.len()) else {
        f(combo);
        return;
    };
    for v in domain {
        combo.push(*v);
        enumerate_inputs(domains, combo, f);
        combo.pop();
    }
}
