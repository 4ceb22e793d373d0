//! Running a definition's own examples.

use crate::evaluate::evaluator::Evaluator;
use crate::evaluate::request::{Answers, Consent, Request};
use crate::source::span::LineCol;

/// The outcome of one `[[example]]`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ExampleOutcome {
    /// The example's name.
    pub name: String,
    /// Where the example's name is written.
    pub location: Option<LineCol>,
    /// One line per result whose outcome differs from the expectation; empty
    /// when the example passes.
    pub failures: Vec<String>,
}

impl ExampleOutcome {
    /// Whether every expectation held.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

impl Evaluator {
    /// Runs every example of the definition. `source` positions are taken
    /// from the text the evaluator was compiled from, when given.
    pub fn run_examples(
        &self,
        source: Option<&crate::source::span::Source>,
    ) -> Vec<ExampleOutcome> {
        let def = self.definition();
        def.examples
            .iter()
            .map(|ex| {
                let mut answers = Answers::new();
                for (item, code) in ex.answers.iter() {
                    answers.insert(item.value().clone(), *code.value());
                }
                let request = Request {
                    answers,
                    declined: ex.declined.iter().map(|d| d.value().clone()).collect(),
                    consent: self.privacy_notice().map(|n| Consent {
                        notice: n.to_string(),
                    }),
                    locale: None,
                    audience: None,
                };
                let failures = match self.outcomes(&request) {
                    Err(e) => vec![e.to_string()],
                    Ok(got) => ex
                        .expect
                        .iter()
                        .filter_map(|(rid, want)| {
                            let actual = got
                                .iter()
                                .find(|(id, _)| id == rid.value())
                                .map(|(_, o)| o.as_str());
                            (actual != Some(want.as_str())).then(|| {
                                format!(
                                    "result `{rid}`: expected `{}`, got `{}`",
                                    want.value(),
                                    actual.unwrap_or("nothing")
                                )
                            })
                        })
                        .collect(),
                };
                ExampleOutcome {
                    name: ex.name.value().clone(),
                    location: source.map(|s| s.line_col(ex.name.span().start)),
                    failures,
                }
            })
            .collect()
    }
}
