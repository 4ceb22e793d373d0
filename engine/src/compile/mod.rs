//! Stage 5, compile.
//!
//! Compiling a definition: parse, validate, resolve, analyse, stamp.

mod bands;
mod disclosure;
mod examples;
mod rules;
mod scores;
mod strongest;

use examples::ExampleContext;

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
}

struct ItemInfo {
    id: String,
    topic: usize,
    scale: Option<usize>,
    reverse: bool,
    /// In thousandths.
    weight: i64,
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
