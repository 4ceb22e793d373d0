//! The report: the only thing that leaves the evaluator.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The engine's version, as written into every report.
pub const ENGINE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The evaluated summary for one audience: released results only.
///
/// It holds no answer, no item id, no item text and no score value; only
/// each result's status, band and the band's texts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "aspekt report")]
pub struct Report {
    /// Which definition produced the report.
    pub definition: DefinitionRef,
    /// Which engine produced the report.
    pub engine: EngineRef,
    /// Locale of the texts.
    pub locale: String,
    /// The audience the report is for.
    pub audience: String,
    /// The results this audience may see, in definition order.
    pub results: Vec<ResultEntry>,
}

/// Identity of a definition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DefinitionRef {
    /// Questionnaire id.
    pub id: String,
    /// Definition version.
    pub version: String,
    /// `sha256:` digest of the definition's canonical form.
    pub digest: String,
}

/// Identity of the engine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EngineRef {
    /// aspekt's version.
    pub version: String,
}

/// Whether a result was scored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Scored: `band` says which band.
    Ok,
    /// The person declined the topic; nothing was scored.
    Declined,
    /// Too few items answered for the missing-data rule; nothing was guessed.
    Insufficient,
}

/// A band's position.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BandRef {
    /// Band id.
    pub id: String,
    /// 0 = lowest band.
    pub index: usize,
    /// Number of bands.
    pub of: usize,
}

/// One released result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultEntry {
    /// Result id.
    pub id: String,
    /// The topic the result belongs to.
    pub topic: String,
    /// `ok`, `declined` or `insufficient`.
    pub status: Status,
    /// The band, when `ok`.
    pub band: Option<BandRef>,
    /// Short label in the report's locale.
    pub label: String,
    /// Explanation in the report's locale.
    pub explanation: String,
}

impl Report {
    /// The report as compact JSON. Identical inputs give identical bytes.
    pub fn to_json(&self) -> String {
        // Serializing plain strings, integers and enums cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The report as indented JSON.
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}
