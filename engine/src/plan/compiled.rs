//! The compiled artefact: everything an evaluator needs, resolved and
//! immutable. The compiler builds it; the evaluator and the presenters only
//! read it.

use crate::definition::model::{Definition, Mode, Text};
use crate::plan::{ResultPlan, ScalePlan, ScorePlan};
use crate::source::diagnostic::Diagnostic;
use crate::source::sorted::VecMap;

/// Neutral texts for results that are not scored: (label, explanation).
#[derive(Clone, Debug)]
pub(crate) struct Neutral {
    pub(crate) declined: (Text, Text),
    pub(crate) insufficient: (Text, Text),
}

fn text(pairs: &[(&str, &str)]) -> Text {
    pairs
        .iter()
        .map(|(l, t)| (l.to_string(), t.to_string()))
        .collect()
}

impl Neutral {
    pub(crate) fn builtin() -> Self {
        Neutral {
            declined: (
                text(&[("de", "Übersprungen"), ("en", "Skipped")]),
                text(&[
                    (
                        "de",
                        "Dieses Thema wurde ausgelassen. Das ist jederzeit in Ordnung: Es wird nichts berechnet und nichts geschätzt, und das Gespräch geht ohne dieses Ergebnis weiter.",
                    ),
                    (
                        "en",
                        "This topic was skipped. That is always fine: nothing is calculated or guessed, and the conversation continues without this result.",
                    ),
                ]),
            ),
            insufficient: (
                text(&[
                    ("de", "Nicht genug Antworten"),
                    ("en", "Not enough answers"),
                ]),
                text(&[
                    (
                        "de",
                        "Zu diesem Thema wurden zu wenige Fragen beantwortet, um ein Ergebnis zu bilden. Fehlende Antworten werden nicht geschätzt oder ergänzt.",
                    ),
                    (
                        "en",
                        "Too few questions on this topic were answered to form a result. Missing answers are not guessed or filled in.",
                    ),
                ]),
            ),
        }
    }
}

/// Everything an evaluator needs, resolved and immutable.
pub(crate) struct Compiled {
    pub(crate) id: String,
    pub(crate) version: String,
    pub(crate) digest: String,
    pub(crate) locales: Vec<String>,
    pub(crate) audiences: Vec<String>,
    pub(crate) privacy_notice: Option<String>,
    pub(crate) topics: Vec<String>,
    pub(crate) topic_index: VecMap<String, usize>,
    pub(crate) item_ids: Vec<String>,
    pub(crate) item_topic: Vec<usize>,
    pub(crate) item_scale: Vec<usize>,
    /// Item index by id, hashed: looked up once per answer (a binary search
    /// over string keys was the slowest part of evaluating a request).
    pub(crate) item_index: rustc_hash::FxHashMap<String, usize>,
    pub(crate) scales: Vec<ScalePlan>,
    pub(crate) scores: Vec<ScorePlan>,
    pub(crate) results: Vec<ResultPlan>,
    pub(crate) disclosure: crate::plan::disclosure::Disclosure,
    pub(crate) neutral: Neutral,
    pub(crate) warnings: Vec<Diagnostic>,
    pub(crate) mode: Mode,
    /// The sandboxed Rhai engine every rule of this evaluator runs in.
    pub(crate) engine: rhai::Engine,
    pub(crate) definition: Definition,
}

impl std::fmt::Debug for Compiled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compiled")
            .field("id", &self.id)
            .field("version", &self.version)
            .field("digest", &self.digest)
            .finish_non_exhaustive()
    }
}
