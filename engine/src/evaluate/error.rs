//! Errors of evaluation requests, and the JSON error envelope every binding
//! shares.

use std::fmt;

use schemars::JsonSchema;
use serde::Serialize;

use crate::evaluate::request::json_path::{Failure, ROOT};
use crate::source::diagnostic::Diagnostic;

/// Stable error codes of the JSON surface.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorCode {
    /// The request is not valid JSON.
    MalformedJson,
    /// The request is JSON but not of the request's shape (wrong type, unknown key).
    InvalidRequest,
    /// An answer names an item the definition does not have.
    UnknownItem,
    /// An answer's code is not on the item's scale.
    InvalidCode,
    /// A declined topic the definition does not have.
    UnknownTopic,
    /// An answer to an item whose topic is declined.
    AnswerInDeclinedTopic,
    /// A locale the definition does not declare.
    UnknownLocale,
    /// An audience the definition does not know.
    UnknownAudience,
    /// Consent to the definition's privacy notice is missing or for another version.
    ConsentRequired,
    /// Consent was withdrawn: the session holds nothing and evaluates nothing
    /// more. (Unlike `consent_required`, showing the notice again does not
    /// help; a new session is needed.)
    ConsentWithdrawn,
    /// The definition does not compile.
    InvalidDefinition,
    /// No definition with that id or path.
    UnknownDefinition,
    /// A rule of the definition failed or hit a sandbox limit.
    RuleFailed,
    /// A fault inside the engine; please report it.
    Internal,
}

impl ErrorCode {
    /// The stable name, e.g. `unknown_item`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::MalformedJson => "malformed_json",
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::UnknownItem => "unknown_item",
            ErrorCode::InvalidCode => "invalid_code",
            ErrorCode::UnknownTopic => "unknown_topic",
            ErrorCode::AnswerInDeclinedTopic => "answer_in_declined_topic",
            ErrorCode::UnknownLocale => "unknown_locale",
            ErrorCode::UnknownAudience => "unknown_audience",
            ErrorCode::ConsentRequired => "consent_required",
            ErrorCode::ConsentWithdrawn => "consent_withdrawn",
            ErrorCode::InvalidDefinition => "invalid_definition",
            ErrorCode::UnknownDefinition => "unknown_definition",
            ErrorCode::RuleFailed => "rule_failed",
            ErrorCode::Internal => "internal",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request that cannot be evaluated. Nothing was computed.
///
/// Messages never contain an answer code: they name the item and the JSON
/// path, so that logging an error cannot leak what someone answered. Text
/// from the request that they name is quoted with [`crate::source::quote`]
/// (escaped, at most [`crate::QUOTE_LIMIT`] characters), paths included.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct RequestError {
    /// Stable code.
    pub code: ErrorCode,
    /// What is wrong.
    pub message: String,
    /// JSON path of the offending value, e.g. `answers.q3` or
    /// `answers["weird id"]`; `.` for the request as a whole; `None` only
    /// for errors not about the request's content (a rule failure, an
    /// internal error, a withdrawn session).
    pub path: Option<String>,
    /// How to fix it.
    pub help: Option<String>,
}

impl RequestError {
    /// A bug in aspekt: `what` went wrong that a compiled definition rules out.
    pub(crate) fn internal(what: &str) -> Self {
        Self::new(
            ErrorCode::Internal,
            None,
            format!("internal error: {what}"),
            "this is a bug in aspekt; please report it with the definition",
        )
    }

    pub(crate) fn new(
        code: ErrorCode,
        path: impl Into<Option<String>>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Self {
        Self {
            code,
            message: message.into(),
            path: path.into(),
            help: Some(help.into()),
        }
    }

    /// The error for a request that serde_json could not read, at the
    /// failure recorded while reading. Nothing of serde's text that could
    /// carry what was sent is kept: a syntax error keeps its kind and line
    /// (not its column, which would move with the digits of earlier
    /// answers), a recorded reason replaces serde's text, and a wrong type
    /// keeps only what was expected.
    pub(crate) fn from_json(e: &serde_json::Error, failure: Failure) -> Self {
        let Failure { path, reason } = failure;
        let kind = strip_position(&e.to_string());
        // `1e400` is valid JSON that serde_json cannot hold: a value error
        // (for an answer: not a code, like any other non-integer).
        let too_big = kind == "number out of range";
        if (e.is_syntax() || e.is_eof()) && !too_big {
            return Self::new(
                ErrorCode::MalformedJson,
                path,
                format!("the request is not valid JSON (line {}): {kind}", e.line()),
                "send one JSON object, e.g. {\"answers\": {\"q1\": 3}}",
            );
        }
        if let Some((message, help)) = reason {
            return Self::new(ErrorCode::InvalidRequest, path, message, help);
        }
        // serde names the unexpected value ("invalid type: string \"x\",
        // expected …"); keep only what was expected (the last `, expected`
        // is serde's: what follows it is the visitor's own text).
        let detail = match kind.rsplit_once(", expected ") {
            Some((found, expected)) if found.starts_with("invalid") => {
                format!("expected {expected}")
            }
            // `missing field` and `duplicate field` name a key of the
            // format, never one that was sent.
            _ if kind.starts_with("missing field `")
                || kind.starts_with("duplicate field `")
                || too_big =>
            {
                kind
            }
            // Anything else: quoted, like all untrusted text.
            _ => crate::source::quote::quote(&kind).to_string(),
        };
        Self::new(
            ErrorCode::InvalidRequest,
            path,
            format!("the request does not have the expected shape: {detail}"),
            "see `aspekt schema request` for the request's JSON Schema",
        )
    }

    /// The error for input that is not UTF-8 text (JSON must be).
    pub(crate) fn not_utf8(bytes: &[u8], e: &std::str::Utf8Error) -> Self {
        let before = bytes.get(..e.valid_up_to()).unwrap_or_default();
        let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
        Self::new(
            ErrorCode::MalformedJson,
            ROOT.to_string(),
            format!("the request is not valid JSON (line {line}): it is not UTF-8 text"),
            "encode the request as UTF-8, as JSON requires",
        )
    }
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message.get(..i).unwrap_or(message).to_string(),
        None => message.to_string(),
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error[{}]: {}", self.code, self.message)?;
        if let Some(p) = &self.path {
            write!(f, " (at {p})")?;
        }
        if let Some(h) = &self.help {
            write!(f, "\n  help: {h}")?;
        }
        Ok(())
    }
}

impl std::error::Error for RequestError {}

/// The body of the JSON error envelope.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ErrorBody {
    /// Stable code.
    pub code: ErrorCode,
    /// What is wrong.
    pub message: String,
    /// JSON path of the offending value, when the error is about a request
    /// (`.` for the request as a whole); null otherwise.
    pub path: Option<String>,
    /// How to fix it.
    pub help: Option<String>,
    /// Diagnostics, when the error is about a definition (absent otherwise).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diagnostics: Vec<Diagnostic>,
}

/// The JSON error envelope shared by the CLI, Python and WASM:
/// `{"error": {"code", "message", "path", "help", "diagnostics"}}`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[schemars(title = "aspekt error")]
pub struct ErrorEnvelope {
    /// The error.
    pub error: ErrorBody,
}

impl ErrorEnvelope {
    /// Serializes the envelope.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| {
            String::from(r#"{"error":{"code":"internal","message":"could not serialize an error","path":null,"help":null}}"#)
        })
    }
}

impl From<&RequestError> for ErrorEnvelope {
    fn from(e: &RequestError) -> Self {
        ErrorEnvelope {
            error: ErrorBody {
                code: e.code,
                message: e.message.clone(),
                path: e.path.clone(),
                help: e.help.clone(),
                diagnostics: Vec::new(),
            },
        }
    }
}
