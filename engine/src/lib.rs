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

pub mod api;
pub mod batch;
mod budget;
mod check_rules;
mod check_strongest;
mod compile;
mod diagnostic;
mod disclosure;
mod error;
mod evaluator;
mod form;
pub mod library;
pub mod model;
mod plan;
mod quote;
mod read;
mod report;
mod request;
mod rules;
mod schema;
mod session;
mod sorted;
mod span;
mod testing;
mod toml_text;
mod transparency;

pub use budget::Budget;
pub use compile::{CompileError, Options, check, check_with, compile, compile_with};
pub use diagnostic::{Code, Diagnostic, Related, Severity, render_plain};
#[cfg(feature = "pretty")]
pub use diagnostic::{render_pretty, render_pretty_sources};
pub use disclosure::{Disclosure, Method, OutcomeFinding, ResultFinding};
pub use error::{ErrorBody, ErrorCode, ErrorEnvelope, RequestError};
pub use evaluator::Evaluator;
pub use form::{Form, FormItem, FormOption, FormTopic};
pub use quote::{QUOTE_LIMIT, Quoted, key_path, quote};
pub use report::{BandRef, DefinitionRef, EngineRef, Report, ResultEntry, Status};
pub use request::{Answers, Consent, Request};
pub use rules::Limits;
pub use schema::{SchemaKind, json_schema};
pub use session::{Progress, Session};
pub use span::{LineCol, Source};
pub use testing::ExampleOutcome;
pub use transparency::{ResultVisibility, Transparency};

/// The engine's version, as written into every report.
pub const ENGINE_VERSION: &str = env!("CARGO_PKG_VERSION");
