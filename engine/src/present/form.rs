//! The form: what a host needs to present a questionnaire in one locale.
//!
//! Texts, topics, items and their options in presentation order — and
//! nothing about scoring (no keying, weights, scores or bands) and no
//! answers. The Python and WASM bindings and the web component render it.

use schemars::JsonSchema;
use serde::Serialize;

use crate::definition::model::Mode;
use crate::evaluate::error::RequestError;
use crate::evaluate::evaluator::{Evaluator, pick_text};
use crate::present::transparency::resolve_locale;

/// A questionnaire ready to present, in one locale.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(title = "aspekt form")]
pub struct Form {
    /// Questionnaire id (the key hosts answer under).
    pub id: String,
    /// Definition version.
    pub version: String,
    /// `sha256:` digest of the definition, as in reports.
    pub digest: String,
    /// Locale of the texts.
    pub locale: String,
    /// Every locale the definition declares; the first is the default.
    pub locales: Vec<String>,
    /// Title.
    pub title: String,
    /// Short description, shown before answering.
    pub description: String,
    /// Instructions shown above the items, if any.
    pub instructions: Option<String>,
    /// How answers come about: private questionnaire, or structured interview.
    pub mode: Mode,
    /// The privacy-notice version the person must consent to first, if any.
    pub privacy_notice: Option<String>,
    /// Typical minutes needed to answer, if known.
    pub minutes: Option<u32>,
    /// Topics in presentation order, each with its items. Each topic can be
    /// declined as a whole (send its id in `declined`).
    pub topics: Vec<FormTopic>,
}

/// A topic: a group of items the person can decline as a whole.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct FormTopic {
    /// Topic id, as used in a request's `declined`.
    pub id: String,
    /// Title.
    pub title: String,
    /// Description, if any.
    pub description: Option<String>,
    /// Items in presentation order.
    pub items: Vec<FormItem>,
}

/// One item (question).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct FormItem {
    /// Item id, as used in a request's `answers`.
    pub id: String,
    /// Item text.
    pub text: String,
    /// The options to choose from, in presentation order.
    pub options: Vec<FormOption>,
}

/// One option of an item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct FormOption {
    /// The code to send as the answer.
    pub code: i64,
    /// Label.
    pub label: String,
}

impl Evaluator {
    /// The form in `locale` (default: the definition's first locale): texts,
    /// topics, and items with their options, in presentation order.
    ///
    /// An undeclared locale is an [`crate::ErrorCode::UnknownLocale`] error,
    /// as in [`Evaluator::evaluate`].
    ///
    /// ```
    /// let who5 = aspekt::library::load("who5")?;
    /// let form = who5.form(Some("en"))?;
    /// assert_eq!(form.topics[0].items.len(), 5);
    /// assert_eq!(form.topics[0].items[0].options[0].label, "All of the time");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn form(&self, locale: Option<&str>) -> Result<Form, RequestError> {
        let locale = resolve_locale(self, locale)?;
        let def = self.definition();
        let locales = self.locales();
        let pick = |t: &crate::definition::model::Text| pick_text(t, &locale, locales);
        let q = &def.questionnaire;

        let item = |it: &crate::definition::model::Item| FormItem {
            id: it.id.value().clone(),
            text: pick(it.text.value()),
            options: def
                .scales
                .iter()
                .find(|s| s.id.value() == it.scale.value())
                .map(|s| {
                    s.options
                        .iter()
                        .map(|o| FormOption {
                            code: *o.code.value(),
                            label: pick(o.label.value()),
                        })
                        .collect()
                })
                .unwrap_or_default(),
        };

        let topics = if def.topics.is_empty() {
            // No topics declared: all items form one topic named after the
            // questionnaire.
            vec![FormTopic {
                id: q.id.value().clone(),
                title: pick(q.title.value()),
                description: None,
                items: def.items.iter().map(item).collect(),
            }]
        } else {
            def.topics
                .iter()
                .map(|t| FormTopic {
                    id: t.id.value().clone(),
                    title: pick(t.title.value()),
                    description: t.description.as_ref().map(|d| pick(d.value())),
                    items: def
                        .items
                        .iter()
                        .filter(|it| it.topic.as_ref().is_some_and(|x| x.value() == t.id.value()))
                        .map(item)
                        .collect(),
                })
                .collect()
        };

        Ok(Form {
            id: self.id().to_string(),
            version: self.version().to_string(),
            digest: self.digest().to_string(),
            locales: locales.to_vec(),
            title: pick(q.title.value()),
            description: pick(q.description.value()),
            instructions: q.instructions.as_ref().map(|t| pick(t.value())),
            mode: self.mode(),
            privacy_notice: self.privacy_notice().map(str::to_string),
            minutes: q.minutes.as_ref().map(|m| *m.value()),
            topics,
            locale,
        })
    }
}
