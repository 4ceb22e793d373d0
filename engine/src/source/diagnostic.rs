//! Diagnostics: what is wrong in a definition, where, and how to fix it.

use std::fmt;
use std::ops::Range;

use schemars::JsonSchema;
use serde::Serialize;

use crate::source::span::{LineCol, Source};

/// How serious a diagnostic is. Errors stop compilation; warnings do not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The definition does not compile.
    Error,
    /// The definition compiles, but something deserves a look.
    Warning,
}

macro_rules! codes {
    ($($(#[doc = $doc:literal])* $variant:ident => $name:literal,)*) => {
        /// Stable diagnostic codes. The names never change meaning; new codes
        /// may be added.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
        #[serde(rename_all = "snake_case")]
        #[non_exhaustive]
        pub enum Code {
            $($(#[doc = $doc])* $variant,)*
        }

        impl Code {
            /// The stable name of the code, e.g. `duplicate_id`.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }

            /// Every code, in declaration order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];
        }
    };
}

codes! {
    /// The file is not valid TOML.
    Syntax => "syntax",
    /// A key the format does not know.
    UnknownKey => "unknown_key",
    /// A required key is missing.
    MissingKey => "missing_key",
    /// A value has the wrong type.
    InvalidType => "invalid_type",
    /// The version is not a semantic version.
    InvalidVersion => "invalid_version",
    /// An id does not match `[a-z][a-z0-9_-]*`.
    InvalidId => "invalid_id",
    /// An id is used by a word the format reserves.
    ReservedId => "reserved_id",
    /// Two things of one kind share an id.
    DuplicateId => "duplicate_id",
    /// No locale is declared, or one is declared twice.
    InvalidLocales => "invalid_locales",
    /// A text lacks a declared locale.
    MissingText => "missing_text",
    /// A text names a locale the questionnaire does not declare.
    UndeclaredLocale => "undeclared_locale",
    /// A scale has fewer than two options.
    ScaleTooSmall => "scale_too_small",
    /// Two options of a scale share a code.
    DuplicateCode => "duplicate_code",
    /// An item names a scale that does not exist.
    UnknownScale => "unknown_scale",
    /// An item names a topic that does not exist, or names none while topics are declared.
    UnknownTopic => "unknown_topic",
    /// A score names an item that does not exist.
    UnknownItem => "unknown_item",
    /// A result names a score that does not exist.
    UnknownScore => "unknown_score",
    /// A result names an audience that is not declared.
    UnknownAudience => "unknown_audience",
    /// An example or a `strongest` result names a result that does not exist.
    UnknownResult => "unknown_result",
    /// An item is asked but no score uses it.
    UnusedItem => "unused_item",
    /// A scale no item uses.
    UnusedScale => "unused_scale",
    /// A score no result uses.
    UnusedScore => "unused_score",
    /// A topic with no items.
    EmptyTopic => "empty_topic",
    /// A score with no items, or an item listed twice.
    InvalidScoreItems => "invalid_score_items",
    /// A score whose items belong to different topics.
    ScoreSpansTopics => "score_spans_topics",
    /// A missing-data rule that cannot be met or says nothing.
    InvalidMissingRule => "invalid_missing_rule",
    /// A weight or transform that is zero, negative where it must not be, or not finite.
    InvalidNumber => "invalid_number",
    /// A result with no audience.
    NoAudience => "no_audience",
    /// A result lists individual answers outside interview mode.
    SelectionInQuestionnaire => "selection_in_questionnaire",
    /// A result some audience sees but the participant does not.
    HiddenFromParticipant => "hidden_from_participant",
    /// A result with no bands.
    NoBands => "no_bands",
    /// A band whose `min` is greater than its `max`.
    InvertedBand => "inverted_band",
    /// Bands out of order (they must go from lowest to highest).
    UnorderedBands => "unordered_bands",
    /// Two bands overlap.
    BandOverlap => "band_overlap",
    /// A reachable score value falls in no band.
    BandGap => "band_gap",
    /// A band no reachable score value falls in.
    UnreachableBand => "unreachable_band",
    /// The reachable values of a score are too many to analyse.
    AnalysisBudget => "analysis_budget",
    /// An example's answers are not valid for the definition.
    InvalidExample => "invalid_example",
    /// An example expects an outcome its result cannot have.
    UnknownOutcome => "unknown_outcome",
    /// A definition without items or without results.
    EmptyDefinition => "empty_definition",
    /// A score or result mixes declarative and scripted parts, or a rule file is missing.
    InvalidRule => "invalid_rule",
    /// A Rhai rule does not parse.
    RuleSyntax => "rule_syntax",
    /// A Rhai rule fails, hits a sandbox limit or returns a wrong type for some answers.
    RuleFailed => "rule_failed",
    /// A rule returns an outcome its result does not declare.
    UndeclaredOutcome => "undeclared_outcome",
    /// A definition written in Rhai does not run or does not return a definition.
    DefinitionScript => "definition_script",
    /// A released outcome lets its audience narrow an item to fewer than `k` codes.
    Disclosure => "disclosure",
    /// The disclosure guarantee of a result cannot be proven and it carries no waiver.
    DisclosureUnproven => "disclosure_unproven",
    /// A `strongest` result compares results that are not comparable banded results.
    InvalidStrongest => "invalid_strongest",
    /// A `strongest` result reaches an audience that does not see one of its sources.
    StrongestSourceHidden => "strongest_source_hidden",
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A secondary place that helps explain a diagnostic (e.g. the first definition
/// of a duplicated id).
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct Related {
    /// What this place has to do with the diagnostic.
    pub message: String,
    /// Byte range in the same source.
    #[serde(skip)]
    pub span: Range<usize>,
    /// Position of the start of `span`.
    pub location: Option<LineCol>,
}

/// One finding about a definition.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct Diagnostic {
    /// Stable code.
    pub code: Code,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
    /// The source's name (usually its path).
    pub file: String,
    /// Position of the start of the span.
    pub location: Option<LineCol>,
    /// Byte range in the source.
    #[serde(skip)]
    pub span: Option<Range<usize>>,
    /// Other places that help explain it (absent when none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Related>,
}

impl Diagnostic {
    /// `file:line:col` of the diagnostic, or just the file when it has no span.
    pub fn position(&self) -> String {
        match self.location {
            Some(lc) => format!("{}:{}:{}", self.file, lc.line, lc.column),
            None => self.file.clone(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{}: {kind}[{}]: {}",
            self.position(),
            self.code,
            self.message
        )?;
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

/// Collects diagnostics against one source while a definition is checked.
#[derive(Debug)]
pub(crate) struct Sink<'s> {
    source: &'s Source,
    list: Vec<Diagnostic>,
    /// Further sources diagnostics point into (rule files).
    others: Vec<Source>,
}

impl<'s> Sink<'s> {
    pub(crate) fn new(source: &'s Source) -> Self {
        Self {
            source,
            list: Vec::new(),
            others: Vec::new(),
        }
    }

    /// An error pointing into another source (a rule file).
    pub(crate) fn error_in(
        &mut self,
        other: &Source,
        code: Code,
        span: Range<usize>,
        message: impl Into<String>,
    ) -> DiagBuilder<'_, 's> {
        if !self.others.iter().any(|s| s.name() == other.name()) {
            self.others.push(other.clone());
        }
        self.list.push(Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            help: None,
            file: other.name().to_string(),
            location: Some(other.line_col(span.start)),
            span: Some(span),
            related: Vec::new(),
        });
        DiagBuilder { sink: self }
    }

    pub(crate) fn take_others(&mut self) -> Vec<Source> {
        std::mem::take(&mut self.others)
    }

    pub(crate) fn error(
        &mut self,
        code: Code,
        span: Option<Range<usize>>,
        message: impl Into<String>,
    ) -> DiagBuilder<'_, 's> {
        self.push(Severity::Error, code, span, message.into())
    }

    pub(crate) fn warning(
        &mut self,
        code: Code,
        span: Option<Range<usize>>,
        message: impl Into<String>,
    ) -> DiagBuilder<'_, 's> {
        self.push(Severity::Warning, code, span, message.into())
    }

    fn push(
        &mut self,
        severity: Severity,
        code: Code,
        span: Option<Range<usize>>,
        message: String,
    ) -> DiagBuilder<'_, 's> {
        let location = span.as_ref().map(|s| self.source.line_col(s.start));
        self.list.push(Diagnostic {
            code,
            severity,
            message,
            help: None,
            file: self.source.name().to_string(),
            location,
            span,
            related: Vec::new(),
        });
        DiagBuilder { sink: self }
    }

    pub(crate) fn has_errors(&self) -> bool {
        self.list.iter().any(|d| d.severity == Severity::Error)
    }

    pub(crate) fn into_vec(self) -> Vec<Diagnostic> {
        let mut list = self.list;
        // Stable order: by file (the definition first), position, then
        // code, so output does not depend on the order checks run in.
        let main = self.source.name().to_string();
        crate::source::sorted::sort_by(&mut list, |a, b| {
            let ka = a.span.as_ref().map_or(usize::MAX, |s| s.start);
            let kb = b.span.as_ref().map_or(usize::MAX, |s| s.start);
            (a.file != main)
                .cmp(&(b.file != main))
                .then(a.file.cmp(&b.file))
                .then(ka.cmp(&kb))
                .then(a.code.cmp(&b.code))
        });
        list
    }
}

/// Adds help and related places to the diagnostic just pushed.
pub(crate) struct DiagBuilder<'a, 's> {
    sink: &'a mut Sink<'s>,
}

impl DiagBuilder<'_, '_> {
    pub(crate) fn help(self, help: impl Into<String>) -> Self {
        if let Some(d) = self.sink.list.last_mut() {
            d.help = Some(help.into());
        }
        self
    }

    pub(crate) fn related(self, span: Range<usize>, message: impl Into<String>) -> Self {
        let location = Some(self.sink.source.line_col(span.start));
        if let Some(d) = self.sink.list.last_mut() {
            d.related.push(Related {
                message: message.into(),
                span,
                location,
            });
        }
        self
    }
}

/// Renders diagnostics for a terminal, like rustc: the source line, a label
/// under the span, and the help. `color` adds ANSI colours.
#[cfg(feature = "pretty")]
pub fn render_pretty(source: &Source, diagnostics: &[Diagnostic], color: bool) -> String {
    render_pretty_sources(std::slice::from_ref(source), diagnostics, color)
}

/// Like [`render_pretty`], for diagnostics that point into several sources
/// (a definition and its rule files). A diagnostic whose file is not among
/// `sources` is rendered in the one-line form.
#[cfg(feature = "pretty")]
pub fn render_pretty_sources(
    sources: &[Source],
    diagnostics: &[Diagnostic],
    color: bool,
) -> String {
    use ariadne::{Config, Label, Report, ReportKind};

    let mut cache = ariadne::sources(
        sources
            .iter()
            .map(|s| (s.name().to_string(), s.text().to_string())),
    );
    let mut out = Vec::new();
    for d in diagnostics {
        if !sources.iter().any(|s| s.name() == d.file) {
            out.extend_from_slice(format!("{d}\n").as_bytes());
            continue;
        }
        let name = d.file.clone();
        let kind = match d.severity {
            Severity::Error => ReportKind::Error,
            Severity::Warning => ReportKind::Warning,
        };
        let Some(span) = d.span.clone() else {
            // Nothing to point at: the one-line form still names the file
            // and carries the help.
            out.extend_from_slice(format!("{d}\n").as_bytes());
            continue;
        };
        let config = Config::default()
            .with_color(color)
            .with_index_type(ariadne::IndexType::Byte);
        let mut report = Report::build(kind, (name.clone(), span.clone()))
            .with_config(config)
            .with_code(d.code.as_str())
            .with_message(&d.message);
        report = report.with_label(Label::new((name.clone(), span)).with_message(&d.message));
        for r in &d.related {
            report = report
                .with_label(Label::new((name.clone(), r.span.clone())).with_message(&r.message));
        }
        if let Some(help) = &d.help {
            report = report.with_help(help);
        }
        // Writing into a Vec cannot fail; an error here would only lose this
        // one diagnostic's drawing, so fall back to the one-line form.
        if report.finish().write(&mut cache, &mut out).is_err() {
            out.extend_from_slice(format!("{d}\n").as_bytes());
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Renders diagnostics as plain lines: `file:line:col: error[code]: message`
/// followed by the help. Used where no terminal drawing is wanted.
pub fn render_plain(diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diagnostics {
        out.push_str(&d.to_string());
        out.push('\n');
    }
    out
}
