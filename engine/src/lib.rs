//! # aspekt
//!
//! An embeddable scoring engine for counselling questionnaires. Definitions
//! (TOML) are compiled into an immutable [`Evaluator`] that turns a person's
//! answers into a [`Report`] holding **only released results and their
//! explanations** — never the answers.
//!
//! ```
//! use aspekt::{Answers, Request, Source};
//!
//! let evaluator = aspekt::library::load("who5")?;
//! let mut answers = Answers::new();
//! for item in ["q1", "q2", "q3", "q4", "q5"] {
//!     answers.insert(item, 4);
//! }
//! let request = Request::new(answers).with_consent("2026-11").with_locale("en");
//! let report = evaluator.evaluate(&request)?;
//! assert_eq!(report.results[0].status, aspekt::Status::Ok);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The pipeline: [`compile`] parses and validates a [`Source`] (diagnostics
//! with `file:line:col` and help), resolves it into a flat scoring plan, proves
//! that every reachable score value falls in exactly one band, and stamps a
//! digest; [`Evaluator::evaluate`] validates a [`Request`] and releases a
//! [`Report`] for one audience.

#![deny(missing_docs)]

// The stages, in pipeline order: source, definition, rules, plan, compile,
// evaluate, present, surface. A stage imports only the stages before it
// (see the module map in book/src/contributing.md).
mod compile;
mod definition;
mod evaluate;
mod plan;
mod present;
mod rules;
mod source;
mod surface;

pub use definition::model;
pub use evaluate::batch;
pub use surface::{api, library};

pub use compile::{CompileError, Options};
pub use evaluate::error::{ErrorBody, ErrorCode, ErrorEnvelope, RequestError};
pub use evaluate::evaluator::Evaluator;
pub use evaluate::examples::ExampleOutcome;
pub use evaluate::report::{
    BandRef, DefinitionRef, ENGINE_VERSION, EngineRef, Report, ResultEntry, Status,
};
pub use evaluate::request::{Answers, Consent, Request};
pub use evaluate::session::{Progress, Session};
pub use plan::disclosure::{Disclosure, Method, OutcomeFinding, ResultFinding};
pub use present::form::{Form, FormItem, FormOption, FormTopic};
pub use present::transparency::{ResultVisibility, Transparency};
pub use rules::Limits;
pub use rules::budget::Budget;
pub use source::diagnostic::{Code, Diagnostic, Related, Severity, render_plain};
#[cfg(feature = "pretty")]
pub use source::diagnostic::{render_pretty, render_pretty_sources};
pub use source::quote::{QUOTE_LIMIT, Quoted, key_path, quote};
pub use source::span::{LineCol, Source};
pub use surface::compile::{check, check_with, compile, compile_with};
pub use surface::schema::{SchemaKind, json_schema};
