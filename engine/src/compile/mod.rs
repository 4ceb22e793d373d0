//! Stage 5, compile.
//!
//! Compiling a definition: parse, validate, resolve, analyse, stamp.

mod rules;
mod strongest;

use crate::source::sorted::VecMap;
use std::fmt;
use std::ops::Range;

use sha2::{Digest, Sha256};

use crate::definition::model::BUILTIN_AUDIENCES;
use crate::definition::model::{Aggregate, Definition, Mode, Text};
use crate::plan::compiled::{Compiled, Neutral};
use crate::plan::disclosure::Disclosure;
use crate::plan::{BandPlan, ResultPlan, ScalePlan, ScorePlan, TermPlan};
use crate::rules::Limits;
use crate::rules::budget::{Budget, Meter};
use crate::source::diagnostic::{Code, Diagnostic, Sink};
use crate::source::span::{Source, Sp};
use crate::source::words::{fmt_num, join_codes, quote_list, suggest, summarize};

/// Band ids the format reserves for result statuses.
pub(crate) const RESERVED_OUTCOMES: [&str; 2] = ["declined", "insufficient"];
/// The largest magnitude of an answer code.
pub(crate) const MAX_CODE: i64 = 1_000_000;
/// How many intermediate states the reachable-value analysis may use per score.
pub(crate) const REACH_BUDGET: usize = 2_000_000;

/// A definition that did not compile: its diagnostics, with the source they
/// point into.
#[derive(Clone, Debug)]
pub struct CompileError {
    source: Source,
    /// Further sources diagnostics point into (rule files).
    others: Vec<Source>,
    pub(crate) diagnostics: Vec<Diagnostic>,
}

impl CompileError {
    /// Every diagnostic, errors and warnings, in source order.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The source the diagnostics point into.
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// Further sources diagnostics point into (rule files), besides
    /// [`Self::source`].
    pub fn other_sources(&self) -> &[Source] {
        &self.others
    }

    /// Renders the diagnostics for a terminal, like rustc.
    #[cfg(feature = "pretty")]
    pub fn render(&self, color: bool) -> String {
        let mut sources = vec![self.source.clone()];
        sources.extend(self.others.iter().cloned());
        crate::source::diagnostic::render_pretty_sources(&sources, &self.diagnostics, color)
    }
}

impl CompileError {
    /// The first line of the error: which source, and how many errors.
    pub(crate) fn headline(&self) -> String {
        let errors = self
            .diagnostics
            .iter()
            .filter(|d| d.severity == crate::source::diagnostic::Severity::Error)
            .count();
        format!(
            "{} does not compile ({errors} error{})",
            self.source.name(),
            if errors == 1 { "" } else { "s" }
        )
    }
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.headline())?;
        for d in &self.diagnostics {
            write!(f, "\n{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for CompileError {}

/// How to compile: sandbox limits, the compile budget, and the files a
/// definition may name.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Limits of every rule call of the evaluator.
    pub limits: Limits,
    /// How much work the compile-time checks may do, all together.
    pub budget: Budget,
    /// Files a definition names with `rule_file`, by path relative to the
    /// definition (e.g. `strongest.rhai`). The engine reads no files itself.
    pub files: crate::definition::model::VecMap<String, String>,
}

impl Options {
    /// Adds a file a definition may name.
    pub fn with_file(mut self, path: impl Into<String>, text: impl Into<String>) -> Self {
        self.files.insert(path.into(), text.into());
        self
    }
}

/// Compiles a definition into its plan (see [`crate::compile_with`]). A
/// source whose name ends in `.rhai` is a definition written in Rhai: a
/// script returning the definition as an object map, which compiles to the
/// same model as TOML.
pub(crate) fn compile_plan(source: &Source, options: &Options) -> Result<Compiled, CompileError> {
    if source.name().ends_with(".rhai") {
        return compile_script(source, options);
    }
    let mut sink = Sink::new(source);
    let compiled = build(source, &mut sink, options);
    let others = sink.take_others();
    match compiled {
        Some(mut c) if !sink.has_errors() => {
            c.warnings = sink.into_vec();
            Ok(c)
        }
        _ => Err(CompileError {
            source: source.clone(),
            others,
            diagnostics: sink.into_vec(),
        }),
    }
}

/// Runs a definition script in the sandbox, renders the map it returns as
/// TOML, and compiles that. Diagnostics point into the generated TOML, which
/// the error carries for rendering.
fn compile_script(script: &Source, options: &Options) -> Result<Compiled, CompileError> {
    let engine = crate::rules::engine(&Limits::for_definitions());
    let fail = |span: Range<usize>, message: String, help: &str| {
        let mut sink = Sink::new(script);
        sink.error(Code::DefinitionScript, Some(span), message)
            .help(help);
        CompileError {
            source: script.clone(),
            others: Vec::new(),
            diagnostics: sink.into_vec(),
        }
    };
    let value = crate::rules::run_definition_script(&engine, script.text()).map_err(|(pos, message)| {
        let offset = pos.map_or(0, |(l, c)| crate::source::span::offset_of(script.text(), l, c));
        fail(
            offset..offset,
            format!("the definition script fails: {message}"),
            "a definition script must run to completion within the sandbox and return an object map",
        )
    })?;
    let text = crate::rules::definition_table(&value)
        .map(|table| crate::definition::toml_text::document(&table))
        .map_err(|e| {
            fail(
                0..0,
                format!("the definition script does not return a definition: {e}"),
                "return an object map shaped like the TOML format: #{questionnaire: #{...}, item: [...], ...}",
            )
        })?;
    let generated = Source::new(format!("{} (as TOML)", script.name()), text);
    compile_plan(&generated, options)
}

/// Checks and resolves the whole definition. Returns `None` only when the
/// text could not be parsed; otherwise a best-effort plan whose validity the
/// sink's errors decide.
fn build(source: &Source, sink: &mut Sink<'_>, options: &Options) -> Option<Compiled> {
    let def = crate::definition::read::definition(source, sink)?;
    // The compiler's own engine spends from the compile budget with every
    // operation; the evaluator gets a fresh one without the meter.
    let meter = Meter::new(options.budget);
    let engine = crate::rules::metered_engine(&options.limits, &meter);
    let mut cx = Checker {
        sink,
        locales: Vec::new(),
        engine,
        meter,
        over_budget: Vec::new(),
        deferred: Vec::new(),
        options,
        source,
        interview: def
            .questionnaire
            .mode
            .as_ref()
            .is_some_and(|m| *m.value() == Mode::Interview),
        item_lookup: VecMap::new(),
    };
    Some(cx.definition(def))
}

pub(crate) struct Checker<'a, 's> {
    pub(crate) sink: &'a mut Sink<'s>,
    pub(crate) locales: Vec<String>,
    pub(crate) engine: rhai::Engine,
    /// The compile budget, shared by every check of this compilation.
    pub(crate) meter: Meter,
    /// What an `analysis_budget` diagnostic already names (each once).
    pub(crate) over_budget: Vec<String>,
    /// Rule problems found over score combinations answers may not give.
    pub(crate) deferred: Vec<crate::compile::rules::Deferred>,
    pub(crate) options: &'a Options,
    pub(crate) source: &'a Source,
    /// Whether the definition is in interview mode.
    pub(crate) interview: bool,
    /// Item id → (index, topic), once items are resolved.
    pub(crate) item_lookup: VecMap<String, (usize, usize)>,
}

fn valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some('a'..='z'))
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_' | '-'))
}

impl Checker<'_, '_> {
    pub(crate) fn id(&mut self, id: &Sp<String>, kind: &str) {
        if !valid_id(id) {
            self.sink
                .error(
                    Code::InvalidId,
                    Some(id.span()),
                    format!("{kind} id `{}` is not a valid id", id.value()),
                )
                .help("ids start with a lowercase letter and contain only a-z, 0-9, `-` and `_`");
        }
    }

    pub(crate) fn unique<'x>(&mut self, ids: impl IntoIterator<Item = &'x Sp<String>>, kind: &str) {
        let mut seen: VecMap<&str, Range<usize>> = VecMap::new();
        for id in ids {
            if let Some(first) = seen.get(id.as_str()) {
                self.sink
                    .error(
                        Code::DuplicateId,
                        Some(id.span()),
                        format!("{kind} `{}` is defined twice", id.value()),
                    )
                    .related(first.clone(), "first defined here")
                    .help(format!(
                        "give each {kind} its own id, or remove one of them"
                    ));
            } else {
                seen.insert(id.as_str(), id.span());
            }
        }
    }

    pub(crate) fn text(&mut self, text: &Sp<Text>, what: &str) {
        if self.locales.is_empty() {
            // Already reported as `invalid_locales`; checking texts against
            // nothing would only repeat it once per text.
            return;
        }
        let missing: Vec<&str> = self
            .locales
            .iter()
            .filter(|l| !text.contains_key(l.as_str()))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            self.sink
                .error(
                    Code::MissingText,
                    Some(text.span()),
                    format!("{what} has no text for locale {}", quote_list(&missing)),
                )
                .help(format!(
                    "add {} = \"…\"; every text needs every declared locale",
                    missing.first().copied().unwrap_or("the locale")
                ));
        }
        for key in text.keys() {
            if !self.locales.iter().any(|l| l == key) {
                self.sink
                    .error(
                        Code::UndeclaredLocale,
                        Some(text.span()),
                        format!("{what} has a text for `{key}`, which the questionnaire does not declare"),
                    )
                    .help(format!(
                        "add \"{key}\" to questionnaire.locales, or remove this text"
                    ));
            }
        }
    }

    fn definition(&mut self, def: Definition) -> Compiled {
        let q = &def.questionnaire;
        self.id(&q.id, "questionnaire");
        if semver::Version::parse(q.version.value()).is_err() {
            self.sink
                .error(
                    Code::InvalidVersion,
                    Some(q.version.span()),
                    format!("version `{}` is not a semantic version", q.version.value()),
                )
                .help("write MAJOR.MINOR.PATCH, e.g. \"1.0.0\"; raise MAJOR when scoring changes");
        }

        // Locales first: every text is checked against them. Declared order
        // is kept (the first is the default); empty and repeated ones are
        // reported and left out.
        self.locales = Vec::new();
        for l in q.locales.iter() {
            if l.is_empty() || self.locales.contains(l.value()) {
                let what = if l.is_empty() {
                    "an empty locale is declared".to_string()
                } else {
                    format!("locale `{}` is declared twice", l.value())
                };
                self.sink
                    .error(Code::InvalidLocales, Some(l.span()), what)
                    .help("list each locale once, e.g. locales = [\"de\", \"en\"]");
            } else {
                self.locales.push(l.value().clone());
            }
        }
        if q.locales.is_empty() {
            self.sink
                .error(Code::InvalidLocales, Some(q.locales.span()), "no locale is declared")
                .help("declare at least one locale; the first is the default, e.g. locales = [\"de\", \"en\"]");
        }

        self.text(&q.title, "the questionnaire title");
        self.text(&q.description, "the questionnaire description");
        if let Some(t) = &q.instructions {
            self.text(t, "the questionnaire instructions");
        }
        let neutral = self.neutral(&def);

        // Audiences.
        let mut audiences: Vec<String> = BUILTIN_AUDIENCES.iter().map(|s| s.to_string()).collect();
        for a in &q.audiences {
            self.id(a, "audience");
            if audiences.iter().any(|x| x == a.value()) {
                self.sink
                    .error(
                        Code::DuplicateId,
                        Some(a.span()),
                        format!("audience `{}` is declared twice or is built in", a.value()),
                    )
                    .help("`participant` and `counsellor` are always known; declare only further audiences, each once");
            } else {
                audiences.push(a.value().clone());
            }
        }

        // Scales.
        self.unique(def.scales.iter().map(|s| &s.id), "scale");
        let mut scale_index = VecMap::new();
        let mut scales = Vec::new();
        for s in &def.scales {
            self.id(&s.id, "scale");
            if s.options.len() < 2 {
                self.sink
                    .error(
                        Code::ScaleTooSmall,
                        Some(s.options.span()),
                        format!("scale `{}` has {} option(s)", s.id.value(), s.options.len()),
                    )
                    .help("a response scale needs at least two options");
            }
            let mut codes: VecMap<i64, Range<usize>> = VecMap::new();
            for o in s.options.iter() {
                if o.code.value().abs() > MAX_CODE {
                    self.sink
                        .error(
                            Code::InvalidNumber,
                            Some(o.code.span()),
                            format!(
                                "code {} of scale `{}` is out of range",
                                o.code.value(),
                                s.id.value()
                            ),
                        )
                        .help(format!(
                            "answer codes lie between -{MAX_CODE} and {MAX_CODE}"
                        ));
                }
                if let Some(first) = codes.get(o.code.value()) {
                    self.sink
                        .error(
                            Code::DuplicateCode,
                            Some(o.code.span()),
                            format!(
                                "code {} appears twice in scale `{}`",
                                o.code.value(),
                                s.id.value()
                            ),
                        )
                        .related(first.clone(), "first used here")
                        .help("give every option of a scale its own code, as published");
                } else {
                    codes.insert(*o.code.value(), o.code.span());
                }
                self.text(
                    &o.label,
                    &format!("option {} of scale `{}`", o.code.value(), s.id.value()),
                );
            }
            let codes: Vec<i64> = codes.into_keys().collect();
            let plan = ScalePlan {
                min: codes.first().copied().unwrap_or(0),
                max: codes.last().copied().unwrap_or(0),
                codes,
            };
            scale_index.insert_if_absent(s.id.value().clone(), || scales.len());
            scales.push(plan);
        }

        // Topics (an implicit one when none is declared).
        let implicit_topic = def.topics.is_empty();
        let mut topic_ids: Vec<String> = Vec::new();
        if implicit_topic {
            topic_ids.push(q.id.value().clone());
        } else {
            self.unique(def.topics.iter().map(|t| &t.id), "topic");
            for t in &def.topics {
                self.id(&t.id, "topic");
                self.text(&t.title, &format!("the title of topic `{}`", t.id.value()));
                if let Some(d) = &t.description {
                    self.text(d, &format!("the description of topic `{}`", t.id.value()));
                }
                topic_ids.push(t.id.value().clone());
            }
        }
        let topic_index: VecMap<String, usize> = topic_ids
            .iter()
            .enumerate()
            .rev()
            .map(|(i, t)| (t.clone(), i))
            .collect();

        // Items.
        self.unique(def.items.iter().map(|i| &i.id), "item");
        let mut item_index = VecMap::new();
        let mut items = Vec::new();
        let mut topic_used = vec![false; topic_ids.len()];
        let mut scale_used = vec![false; scales.len()];
        for it in &def.items {
            self.id(&it.id, "item");
            self.text(&it.text, &format!("the text of item `{}`", it.id.value()));
            let scale = match scale_index.get(it.scale.value()) {
                Some(&s) => Some(s),
                None => {
                    self.sink
                        .error(
                            Code::UnknownScale,
                            Some(it.scale.span()),
                            format!(
                                "item `{}` uses scale `{}`, which is not defined",
                                it.id.value(),
                                it.scale.value()
                            ),
                        )
                        .help(suggest(
                            it.scale.value(),
                            scale_index.keys(),
                            "define it with [[scale]]",
                        ));
                    None
                }
            };
            let topic = match (&it.topic, implicit_topic) {
                (None, true) => Some(0),
                (Some(t), false) => match topic_index.get(t.value()) {
                    Some(&i) => Some(i),
                    None => {
                        self.sink
                            .error(
                                Code::UnknownTopic,
                                Some(t.span()),
                                format!(
                                    "item `{}` belongs to topic `{}`, which is not defined",
                                    it.id.value(),
                                    t.value()
                                ),
                            )
                            .help(suggest(
                                t.value(),
                                topic_index.keys(),
                                "define it with [[topic]]",
                            ));
                        None
                    }
                },
                (Some(t), true) => {
                    self.sink
                        .error(
                            Code::UnknownTopic,
                            Some(t.span()),
                            format!("item `{}` names topic `{}`, but no topics are declared", it.id.value(), t.value()),
                        )
                        .help("declare the topic with [[topic]], or remove `topic` to use the questionnaire's single implicit topic");
                    None
                }
                (None, false) => {
                    self.sink
                        .error(
                            Code::UnknownTopic,
                            Some(it.id.span()),
                            format!(
                                "item `{}` has no topic, but the questionnaire declares topics",
                                it.id.value()
                            ),
                        )
                        .help(format!(
                            "add topic = \"…\" naming one of {}",
                            quote_list(&topic_ids.iter().map(String::as_str).collect::<Vec<_>>())
                        ));
                    None
                }
            };
            let weight = match &it.weight {
                Some(w) => {
                    let milli = *w.value() * 1000.0;
                    let exact = milli.round();
                    if !(w.value().is_finite() && *w.value() > 0.0 && *w.value() <= 1000.0)
                        || (milli - exact).abs() > 1e-6
                    {
                        self.sink
                            .error(
                                Code::InvalidNumber,
                                Some(w.span()),
                                format!("item `{}` has weight {}", it.id.value(), w.value()),
                            )
                            .help("a weight is a number greater than 0 and at most 1000, with at most three decimals (so that sums stay exact)");
                        1000
                    } else {
                        exact as i64
                    }
                }
                None => 1000,
            };
            if let Some(u) = topic.and_then(|t| topic_used.get_mut(t)) {
                *u = true;
            }
            if let Some(u) = scale.and_then(|s| scale_used.get_mut(s)) {
                *u = true;
            }
            item_index.insert_if_absent(it.id.value().clone(), || items.len());
            items.push(ItemInfo {
                id: it.id.value().clone(),
                topic: topic.unwrap_or(0),
                scale,
                reverse: it.reverse,
                weight,
            });
        }
        if !implicit_topic {
            for (t, used) in def.topics.iter().zip(&topic_used) {
                if !used {
                    self.sink
                        .error(
                            Code::EmptyTopic,
                            Some(t.id.span()),
                            format!("topic `{}` has no items", t.id.value()),
                        )
                        .help("add items with topic = \"…\", or remove the topic");
                }
            }
        }
        for (s, used) in def.scales.iter().zip(&scale_used) {
            if !used {
                self.sink
                    .warning(
                        Code::UnusedScale,
                        Some(s.id.span()),
                        format!("scale `{}` is not used by any item", s.id.value()),
                    )
                    .help("remove the scale, or use it in an item");
            }
        }

        // Scores.
        self.unique(def.scores.iter().map(|s| &s.id), "score");
        let mut score_index = VecMap::new();
        let mut scores: Vec<Option<ScorePlan>> = Vec::new();
        let mut item_used = vec![false; items.len()];
        for s in &def.scores {
            self.id(&s.id, "score");
            let plan = self.score(s, &items, &item_index, &scales, &topic_ids, &mut item_used);
            score_index.insert_if_absent(s.id.value().clone(), || scores.len());
            scores.push(plan);
        }
        self.item_lookup = item_index
            .iter()
            .filter_map(|(id, &i)| items.get(i).map(|it| (id.clone(), (i, it.topic))))
            .collect();
        for select in def.results.iter().filter_map(|r| r.select.as_ref()) {
            for name in select.items.iter() {
                if let Some(u) = item_index
                    .get(name.value())
                    .and_then(|&i| item_used.get_mut(i))
                {
                    *u = true;
                }
            }
        }
        for (i, (it, used)) in def.items.iter().zip(&item_used).enumerate() {
            // A duplicate id is reported once, as `duplicate_id`.
            let first = item_index.get(it.id.value()) == Some(&i);
            if !used && first {
                self.sink
                    .error(
                        Code::UnusedItem,
                        Some(it.id.span()),
                        format!("item `{}` is asked but no score uses it", it.id.value()),
                    )
                    .help(
                        "add the item to a score, or remove it: aspekt asks only what it evaluates",
                    );
            }
        }

        // Results.
        self.unique(def.results.iter().map(|r| &r.id), "result");
        let mut results = Vec::new();
        let mut score_used = vec![false; scores.len()];
        for r in &def.results {
            self.id(&r.id, "result");
            self.text(&r.title, &format!("the title of result `{}`", r.id.value()));
            if r.audiences.is_empty() {
                self.sink
                    .error(
                        Code::NoAudience,
                        Some(r.audiences.span()),
                        format!("result `{}` names no audience", r.id.value()),
                    )
                    .help(
                        "list who may see it, e.g. audiences = [\"participant\", \"counsellor\"]",
                    );
            }
            if !r.audiences.is_empty() && !r.audiences.iter().any(|a| a.as_str() == "participant") {
                self.sink
                    .error(
                        Code::HiddenFromParticipant,
                        Some(r.audiences.span()),
                        format!(
                            "result `{}` is released to others but not to the participant",
                            r.id.value()
                        ),
                    )
                    .help("add \"participant\": the person always receives every result about them, with the same explanation");
            }
            for a in r.audiences.iter() {
                if !audiences.iter().any(|x| x == a.value()) {
                    self.sink
                        .error(
                            Code::UnknownAudience,
                            Some(a.span()),
                            format!(
                                "result `{}` names audience `{}`, which is not declared",
                                r.id.value(),
                                a.value()
                            ),
                        )
                        .help(format!(
                            "use one of {}, or declare it in questionnaire.audiences",
                            quote_list(&audiences.iter().map(String::as_str).collect::<Vec<_>>())
                        ));
                }
            }
            let k = self.k_for(&def, r, &scores, &score_index);
            let plan = self.result(r, &scores, &score_index, &def.scores, &mut score_used, k);
            results.push(plan);
        }
        self.sources(&def, &mut results);
        for (s, used) in def.scores.iter().zip(&score_used) {
            if !used {
                self.sink
                    .warning(
                        Code::UnusedScore,
                        Some(s.id.span()),
                        format!("score `{}` is not used by any result", s.id.value()),
                    )
                    .help("remove the score, or release it through a [[result]]");
            }
        }
        if def.items.is_empty() || def.results.is_empty() {
            let what = if def.items.is_empty() {
                "items"
            } else {
                "results"
            };
            self.sink
                .error(
                    Code::EmptyDefinition,
                    None,
                    format!("the definition has no {what}"),
                )
                .help(
                    "a questionnaire needs at least one [[item]], one [[score]] and one [[result]]",
                );
        }

        let cx = ExampleContext {
            items: &items,
            item_index: &item_index,
            scales: &scales,
            topic_index: &topic_index,
            results: &results,
        };
        for ex in &def.examples {
            self.example(ex, &cx);
        }

        let digest = digest(&def);
        let scores: Vec<ScorePlan> = scores.into_iter().map(Option::unwrap_or_default).collect();
        let item_ids: Vec<String> = items.iter().map(|i| i.id.clone()).collect();
        let mode = q.mode.as_ref().map_or(Mode::Questionnaire, |m| *m.value());
        let disclosure = if self.sink.has_errors() {
            Disclosure::default()
        } else {
            self.disclosure(&def, &scores, &results, &audiences, &item_ids, mode)
        };
        self.settle_deferred(&disclosure);
        Compiled {
            id: q.id.value().clone(),
            version: q.version.value().clone(),
            digest,
            locales: self.locales.clone(),
            audiences,
            privacy_notice: q.privacy_notice.as_ref().map(|p| p.value().clone()),
            topics: topic_ids,
            topic_index,
            item_ids,
            item_topic: items.iter().map(|i| i.topic).collect(),
            item_scale: items.iter().map(|i| i.scale.unwrap_or(0)).collect(),
            item_index: item_index.iter().map(|(id, &i)| (id.clone(), i)).collect(),
            scales,
            scores,
            results,
            disclosure,
            neutral,
            warnings: Vec::new(),
            mode,
            engine: crate::rules::engine(&self.options.limits),
            definition: def,
        }
    }

    /// Runs the disclosure analysis; leaks and unproven results are errors.
    fn disclosure(
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

    fn neutral(&mut self, def: &Definition) -> Neutral {
        let mut n = Neutral::builtin();
        let texts = def.questionnaire.texts.as_ref();
        if let Some(t) = texts.and_then(|t| t.declined.as_ref()) {
            self.text(&t.label, "the declined label");
            self.text(&t.explanation, "the declined explanation");
            n.declined = (t.label.value().clone(), t.explanation.value().clone());
        }
        if let Some(t) = texts.and_then(|t| t.insufficient.as_ref()) {
            self.text(&t.label, "the insufficient label");
            self.text(&t.explanation, "the insufficient explanation");
            n.insufficient = (t.label.value().clone(), t.explanation.value().clone());
        }
        let missing: Vec<&str> = self
            .locales
            .iter()
            .filter(|l| {
                !(n.declined.0.contains_key(*l)
                    && n.declined.1.contains_key(*l)
                    && n.insufficient.0.contains_key(*l)
                    && n.insufficient.1.contains_key(*l))
            })
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            self.sink
                .error(
                    Code::MissingText,
                    Some(def.questionnaire.locales.span()),
                    format!(
                        "aspekt has no built-in declined/insufficient texts for locale {}",
                        quote_list(&missing)
                    ),
                )
                .help("add [questionnaire.texts.declined] and [questionnaire.texts.insufficient] with label and explanation in every locale");
        }
        n
    }

    fn score(
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

    fn coverage(
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

    fn example(&mut self, ex: &crate::definition::model::Example, cx: &ExampleContext<'_>) {
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

struct ItemInfo {
    id: String,
    topic: usize,
    scale: Option<usize>,
    reverse: bool,
    /// In thousandths.
    weight: i64,
}

struct ExampleContext<'a> {
    items: &'a [ItemInfo],
    item_index: &'a VecMap<String, usize>,
    scales: &'a [ScalePlan],
    topic_index: &'a VecMap<String, usize>,
    results: &'a [ResultPlan],
}

impl Default for ScorePlan {
    fn default() -> Self {
        ScorePlan {
            terms: Vec::new(),
            topic: 0,
            aggregate: Aggregate::Sum,
            min_answered: 1,
            prorate: false,
            weight_total: 0,
            multiply: 1.0,
            add: 0.0,
            round: None,
            rule: None,
            item_ids: Vec::new(),
        }
    }
}

/// SHA-256 over the canonical JSON form (struct fields in declaration order,
/// maps sorted, spans and examples left out).
fn digest(def: &Definition) -> String {
    let canonical = serde_json::to_vec(def).unwrap_or_default();
    let hash = Sha256::digest(&canonical);
    let mut out = String::from("sha256:");
    for b in hash.iter() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}
