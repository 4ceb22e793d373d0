//! The public entry points of the compiler: they turn the plan that
//! [`crate::compile`] builds into an [`Evaluator`], and a failed compile into
//! the JSON error envelope. They live on the surface so that the compiler
//! never imports the evaluator it feeds.

use crate::compile::{CompileError, Options, compile_plan};
use crate::evaluate::error::{ErrorBody, ErrorCode, ErrorEnvelope};
use crate::evaluate::evaluator::Evaluator;
use crate::source::diagnostic::Diagnostic;
use crate::source::span::Source;

/// Compiles a TOML definition into an [`Evaluator`].
///
/// ```
/// let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../definitions/who5/definition.toml")).unwrap();
/// let evaluator = aspekt::compile(&aspekt::Source::new("who5.toml", text)).unwrap();
/// assert_eq!(evaluator.id(), "who5");
/// ```
pub fn compile(source: &Source) -> Result<Evaluator, CompileError> {
    compile_with(source, &Options::default())
}

/// Compiles a definition with options. A source whose name ends in `.rhai`
/// is a definition written in Rhai: a script returning the definition as an
/// object map, which compiles to the same model as TOML.
pub fn compile_with(source: &Source, options: &Options) -> Result<Evaluator, CompileError> {
    compile_plan(source, options).map(Evaluator::from_compiled)
}

/// Every diagnostic of a definition, errors and warnings, without keeping the
/// evaluator.
pub fn check(source: &Source) -> Vec<Diagnostic> {
    check_with(source, &Options::default())
}

/// Like [`check`], with options.
pub fn check_with(source: &Source, options: &Options) -> Vec<Diagnostic> {
    match compile_plan(source, options) {
        Ok(c) => c.warnings,
        Err(e) => e.diagnostics,
    }
}

impl From<&CompileError> for ErrorEnvelope {
    fn from(e: &CompileError) -> Self {
        ErrorEnvelope {
            error: ErrorBody {
                code: ErrorCode::InvalidDefinition,
                message: e.headline().lines().next().unwrap_or_default().to_string(),
                path: None,
                help: Some(
                    "fix the diagnostics listed; `aspekt check` shows them with their source lines"
                        .into(),
                ),
                diagnostics: e.diagnostics().to_vec(),
            },
        }
    }
}
