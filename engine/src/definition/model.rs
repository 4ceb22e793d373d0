//! The definition model: what a questionnaire file says, as written.
//!
//! This is the model of the TOML format: `read.rs` reads it from TOML,
//! its `Serialize` gives the canonical form the digest is computed from, and
//! its `JsonSchema` the schema in `schemas/definition.schema.json` (a test
//! keeps the reader's keys equal to the schema's). It is deliberately close to
//! the text: values keep their spans for diagnostics, and nothing is resolved
//! here. The `#[serde(..)]` attributes shape the serialization and the schema.
//! The compiler (`compile/`) validates and resolves it into an [`Evaluator`](crate::Evaluator).

use schemars::JsonSchema;
use serde::Serialize;

pub use crate::source::sorted::VecMap;
use crate::source::span::Sp;

/// A text in every declared locale, keyed by locale tag (`de`, `en`, …).
pub type Text = VecMap<String, String>;

/// Audiences every definition knows.
pub(crate) const BUILTIN_AUDIENCES: [&str; 2] = ["participant", "counsellor"];

/// A questionnaire definition: one instrument with its scoring and the results
/// it may release.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "aspekt questionnaire definition")]
pub struct Definition {
    /// Identity, texts and provenance of the questionnaire.
    pub questionnaire: Questionnaire,
    /// Response scales: the ordered options an item can be answered with.
    #[serde(default, rename = "scale")]
    pub scales: Vec<Scale>,
    /// Topics: groups of items that a person can decline as a whole. When no
    /// topic is declared, all items form one topic named after the questionnaire.
    #[serde(default, rename = "topic")]
    pub topics: Vec<Topic>,
    /// Items (questions), in the order they are presented.
    #[serde(default, rename = "item")]
    pub items: Vec<Item>,
    /// Scores: internal values computed from items. Never released.
    #[serde(default, rename = "score")]
    pub scores: Vec<Score>,
    /// Results: what is released, derived from a score through bands.
    #[serde(default, rename = "result")]
    pub results: Vec<ResultDef>,
    /// Examples: answer sets with their expected outcomes, run by `aspekt test`.
    /// Examples are not part of the definition's digest.
    #[serde(default, rename = "example", skip_serializing)]
    pub examples: Vec<Example>,
}

/// Identity, texts and provenance of a questionnaire.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Questionnaire {
    /// Stable identifier: lowercase letters, digits, `-` and `_`, starting
    /// with a letter (e.g. `who5`).
    pub id: Sp<String>,
    /// Semantic version of this definition (e.g. `1.0.0`).
    pub version: Sp<String>,
    /// Declared locales; the first is the default. Every text must exist in
    /// every declared locale.
    pub locales: Sp<Vec<Sp<String>>>,
    /// Title per locale.
    pub title: Sp<Text>,
    /// Short description per locale, shown before answering.
    pub description: Sp<Text>,
    /// Instructions shown above the items, per locale (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<Sp<Text>>,
    /// How answers come about. `questionnaire` (the default): the person
    /// answers alone and in private; the disclosure check applies.
    /// `interview`: selections are made together with the counsellor in a
    /// structured interview, in the open; a result may list them. Must be
    /// written out to take effect, so a self-report questionnaire is never an
    /// interview by accident.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<Sp<Mode>>,
    /// Minimum ambiguity for the disclosure check: for every released outcome,
    /// every contributing item must stay ambiguous among at least `k` of its
    /// codes. Default 2; topics may demand more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k: Option<Sp<u32>>,
    /// Typical minutes needed to answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minutes: Option<Sp<u32>>,
    /// The privacy-notice version a person must consent to before anything
    /// is evaluated (e.g. `"2026-01"`). Omit only for definitions that are
    /// never shown to people (test fixtures).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privacy_notice: Option<Sp<String>>,
    /// Audiences beyond the built-in `participant` and `counsellor` that
    /// results may name (e.g. `agency`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub audiences: Vec<Sp<String>>,
    /// Where the instrument comes from and under which terms.
    pub source: InstrumentSource,
    /// Overrides for the neutral texts of declined and insufficient results.
    /// Built-in texts exist for `de` and `en`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub texts: Option<NeutralTexts>,
}

/// How answers come about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Private self-report: nobody sees answers; the disclosure check applies.
    Questionnaire,
    /// Structured interview: selections made together with the counsellor.
    Interview,
}

/// Provenance and licence of an instrument.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InstrumentSource {
    /// Full citation of the instrument (authors, year, title, journal).
    pub citation: Sp<String>,
    /// Where the instrument and its terms can be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Licence or terms of use (e.g. `public domain`, `CC BY-NC-SA 3.0 IGO`).
    pub licence: Sp<String>,
    /// Whether the terms allow commercial use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commercial_use: Option<bool>,
    /// Status of each locale's wording, keyed by locale.
    #[serde(default, skip_serializing_if = "VecMap::is_empty")]
    pub translations: VecMap<String, Translation>,
}

/// Status of one locale's wording.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Translation {
    /// `true` when this wording is a published, validated version.
    pub validated: bool,
    /// Where the wording comes from (published version, team translation, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Neutral texts for results that are not scored.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NeutralTexts {
    /// Label and explanation of a result whose topic was declined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declined: Option<LabelText>,
    /// Label and explanation of a result whose missing-data rule was not met.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insufficient: Option<LabelText>,
}

/// A label with its explanation, per locale.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LabelText {
    /// Short label per locale.
    pub label: Sp<Text>,
    /// Explanation per locale.
    pub explanation: Sp<Text>,
}

/// A response scale: ordered options with numeric codes.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scale {
    /// Identifier items use to name this scale.
    pub id: Sp<String>,
    /// Options in presentation order, each with a distinct code.
    pub options: Sp<Vec<ScaleOption>>,
}

/// One option of a response scale.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScaleOption {
    /// The numeric code recorded for this option, as published.
    pub code: Sp<i64>,
    /// Label per locale.
    pub label: Sp<Text>,
}

/// A group of items that is voluntary as a whole.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Topic {
    /// Identifier items and requests use to name this topic.
    pub id: Sp<String>,
    /// Title per locale.
    pub title: Sp<Text>,
    /// Description per locale (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Sp<Text>>,
    /// A stricter minimum ambiguity for this topic's items (e.g. health).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k: Option<Sp<u32>>,
}

/// One item (question).
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// Identifier; library instruments use `q1`…`qN` in the published order.
    pub id: Sp<String>,
    /// The topic this item belongs to. Required when topics are declared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<Sp<String>>,
    /// The response scale.
    pub scale: Sp<String>,
    /// Item text per locale.
    pub text: Sp<Text>,
    /// Reverse keying: the code `c` counts as `min + max - c` of its scale.
    #[serde(default)]
    pub reverse: bool,
    /// Weight of the (keyed) code in sums and means; default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<Sp<f64>>,
}

/// How a score aggregates its items.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Aggregate {
    /// Weighted sum of keyed codes.
    Sum,
    /// Weighted mean of the answered keyed codes.
    Mean,
}

/// An internal score. Scores are never released; results are.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Score {
    /// Identifier results use to name this score.
    pub id: Sp<String>,
    /// The items, all from one topic.
    pub items: Sp<Vec<Sp<String>>>,
    /// `sum` or `mean`; omit when the score uses a `rule`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggregate: Option<Sp<Aggregate>>,
    /// A Rhai rule computing the score from its items instead of `aggregate`
    /// (inline source). It sees `items`, a map from item id to the answered
    /// code or `()`, and returns a number or `insufficient()`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<Sp<String>>,
    /// Like `rule`, but the source is in this file, relative to the definition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_file: Option<Sp<String>>,
    /// Missing-data rule. Without it every item must be answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing: Option<Sp<MissingRule>>,
    /// Linear transform applied after aggregation: `value * multiply + add`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transform: Option<Sp<Transform>>,
    /// Round the final value to this many decimal places (half away from zero).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round: Option<Sp<u32>>,
}

/// A declared missing-data rule: exactly one of `min_answered` or `max_missing`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MissingRule {
    /// At least this many items must be answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_answered: Option<u32>,
    /// At most this many items may be missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_missing: Option<u32>,
    /// For `sum`: when items are missing, score the mean of the answered items
    /// times the item count (weights respected). Required for a `sum` that
    /// allows missing items.
    #[serde(default)]
    pub prorate: bool,
}

/// A linear transform `value * multiply + add`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Transform {
    /// Factor, default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multiply: Option<f64>,
    /// Offset, default 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add: Option<f64>,
}

/// A released result: a score mapped through bands.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultDef {
    /// Identifier of the result in reports.
    pub id: Sp<String>,
    /// Title per locale.
    pub title: Sp<Text>,
    /// The score this result is derived from through bands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<Sp<String>>,
    /// The scores a `rule` result reads (instead of `score` and bands).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scores: Vec<Sp<String>>,
    /// A Rhai rule choosing one of `outcome` from `scores` (inline source). It
    /// sees `scores`, a map from score id to its value or `()` when
    /// insufficient, and returns an outcome id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<Sp<String>>,
    /// Like `rule`, but the source is in this file, relative to the definition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_file: Option<Sp<String>>,
    /// The outcomes a `rule` result may return.
    #[serde(default, rename = "outcome", skip_serializing_if = "empty")]
    pub outcomes: Sp<Vec<OutcomeDef>>,
    /// Interview mode only: lists the items rated at least `min_code`
    /// (e.g. the competence fields with the most experience), highest first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub select: Option<Sp<Select>>,
    /// The explanation shown with a selection's list, per locale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<Sp<Text>>,
    /// Names the strongest of several banded results: those in the highest
    /// band any of them reached, when that band is at least `min_band`. Its
    /// outcomes are `listed` and `none` (declared with `[[result.outcome]]`).
    /// It says nothing its source results do not already say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strongest: Option<Sp<Strongest>>,
    /// Releases this result although the disclosure check cannot prove it
    /// safe: the reason, shown in the transparency statement. Use sparingly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiver: Option<Sp<String>>,
    /// Who may see this result: `participant`, `counsellor`, or an audience
    /// the questionnaire declares.
    pub audiences: Sp<Vec<Sp<String>>>,
    /// Where the bands come from (published cut-offs, a cited norm sample, or
    /// a description relative to the scale). Shown to researchers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<String>,
    /// Bands: inclusive ranges that together cover every reachable value of
    /// the score exactly once, from lowest to highest.
    #[serde(default, rename = "band", skip_serializing_if = "empty")]
    pub bands: Sp<Vec<Band>>,
}

/// One band of a result: an inclusive range of score values.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Band {
    /// Identifier of the band in reports.
    pub id: Sp<String>,
    /// Lowest score value in the band (inclusive).
    pub min: Sp<f64>,
    /// Highest score value in the band (inclusive).
    pub max: Sp<f64>,
    /// Short label per locale.
    pub label: Sp<Text>,
    /// Explanation per locale, written for the person and their counsellor.
    pub explanation: Sp<Text>,
}

/// Which selections an interview-mode result lists.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Select {
    /// The items that can be listed, all from one topic.
    pub items: Sp<Vec<Sp<String>>>,
    /// An item is listed when its code is at least this.
    pub min_code: Sp<i64>,
    /// List at most this many (highest codes first; ties in item order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top: Option<Sp<u32>>,
}

/// Which results a `strongest` result compares.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Strongest {
    /// Banded results with the same band ids, in one topic, each released to
    /// every audience of this result.
    pub results: Sp<Vec<Sp<String>>>,
    /// The lowest band that counts: below it, the outcome is `none`.
    pub min_band: Sp<String>,
}

/// One outcome a rule result may return.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutcomeDef {
    /// Identifier the rule returns and reports carry.
    pub id: Sp<String>,
    /// Short label per locale.
    pub label: Sp<Text>,
    /// Explanation per locale, written for the person and their counsellor.
    pub explanation: Sp<Text>,
}

/// An answer set with its expected outcomes.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Example {
    /// What this example covers (e.g. `all minimal`, `q3 missing`).
    pub name: Sp<String>,
    /// Answers by item id; items left out are unanswered.
    #[serde(default)]
    pub answers: Sp<VecMap<Sp<String>, Sp<i64>>>,
    /// Declined topics.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub declined: Vec<Sp<String>>,
    /// Expected outcome by result id: a band id, `declined` or `insufficient`.
    pub expect: Sp<VecMap<Sp<String>, Sp<String>>>,
}

/// Serialization skips absent optional parts, so adding an optional key to
/// the format does not change the digest of definitions that do not use it.
fn empty<T>(v: &Sp<Vec<T>>) -> bool {
    v.is_empty()
}

impl<T: Default> Default for Sp<T> {
    fn default() -> Self {
        Sp::new(T::default(), 0..0)
    }
}
