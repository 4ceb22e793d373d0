//! JSON Schemas of the JSON surface: the contract every binding shares.

use schemars::{JsonSchema, schema_for};

use crate::definition::model::Definition;
use crate::evaluate::error::ErrorEnvelope;
use crate::evaluate::report::Report;
use crate::evaluate::request::Request;

/// The schemas aspekt publishes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SchemaKind {
    /// The definition format (for editors: taplo, Even Better TOML).
    Definition,
    /// An evaluation request.
    Request,
    /// A report.
    Report,
    /// The error envelope.
    Error,
    /// The form: what to present (topics, items, options).
    Form,
    /// The transparency statement: who sees which result.
    Transparency,
    /// The disclosure analysis.
    Disclosure,
    /// A compile request for JSON hosts (the WebAssembly module).
    Compile,
}

impl SchemaKind {
    /// Every kind, in a fixed order.
    pub const ALL: [SchemaKind; 8] = [
        SchemaKind::Definition,
        SchemaKind::Request,
        SchemaKind::Report,
        SchemaKind::Error,
        SchemaKind::Form,
        SchemaKind::Transparency,
        SchemaKind::Disclosure,
        SchemaKind::Compile,
    ];

    /// The kind's name: `definition`, `request`, `report` or `error`.
    pub fn name(self) -> &'static str {
        match self {
            SchemaKind::Definition => "definition",
            SchemaKind::Request => "request",
            SchemaKind::Report => "report",
            SchemaKind::Error => "error",
            SchemaKind::Form => "form",
            SchemaKind::Transparency => "transparency",
            SchemaKind::Disclosure => "disclosure",
            SchemaKind::Compile => "compile",
        }
    }

    /// The kind named `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }
}

fn pretty<T: JsonSchema>() -> String {
    let schema = schema_for!(T);
    let mut s = serde_json::to_string_pretty(&schema).unwrap_or_default();
    s.push('\n');
    s
}

/// The JSON Schema of a kind, pretty-printed with a trailing newline.
pub fn json_schema(kind: SchemaKind) -> String {
    match kind {
        SchemaKind::Definition => pretty::<Definition>(),
        SchemaKind::Request => pretty::<Request>(),
        SchemaKind::Report => pretty::<Report>(),
        SchemaKind::Error => pretty::<ErrorEnvelope>(),
        SchemaKind::Form => pretty::<crate::present::form::Form>(),
        SchemaKind::Transparency => pretty::<crate::present::transparency::Transparency>(),
        SchemaKind::Disclosure => pretty::<crate::plan::disclosure::Disclosure>(),
        SchemaKind::Compile => pretty::<crate::surface::api::CompileRequest>(),
    }
}
