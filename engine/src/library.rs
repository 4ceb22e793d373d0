//! The built-in instrument library, embedded from `definitions/`.

use crate::compile::{CompileError, compile};
use crate::error::{ErrorCode, RequestError};
use crate::evaluator::Evaluator;
use crate::span::Source;

#[cfg(feature = "library")]
include!(concat!(env!("OUT_DIR"), "/library.rs"));

#[cfg(not(feature = "library"))]
static ENTRIES: &[(&str, &str, &str)] = &[];

/// One instrument of the built-in library.
#[derive(Clone, Copy, Debug)]
pub struct Entry {
    /// The instrument's id (its folder name).
    pub id: &'static str,
    /// Path of its definition, relative to the repository root.
    pub path: &'static str,
    /// The definition's text.
    pub text: &'static str,
}

impl Entry {
    /// The definition as a [`Source`], named by its path.
    pub fn source(&self) -> Source {
        Source::new(self.path, self.text)
    }

    /// Compiles the definition.
    pub fn compile(&self) -> Result<Evaluator, CompileError> {
        compile(&self.source())
    }
}

/// Every instrument, sorted by id.
pub fn entries() -> impl Iterator<Item = Entry> {
    ENTRIES
        .iter()
        .map(|&(id, path, text)| Entry { id, path, text })
}

/// The instrument with this id.
pub fn get(id: &str) -> Option<Entry> {
    entries().find(|e| e.id == id)
}

/// Why a library instrument could not be loaded.
#[derive(Clone, Debug)]
pub enum LoadError {
    /// No instrument has that id.
    Unknown(RequestError),
    /// The instrument does not compile (a bug in the library).
    Invalid(Box<CompileError>),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Unknown(e) => e.fmt(f),
            LoadError::Invalid(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for LoadError {}

/// Compiles the library instrument with this id.
pub fn load(id: &str) -> Result<Evaluator, LoadError> {
    let Some(entry) = get(id) else {
        let known: Vec<&str> = entries().map(|e| e.id).collect();
        return Err(LoadError::Unknown(RequestError::new(
            ErrorCode::UnknownDefinition,
            None,
            format!("the library has no instrument `{id}`"),
            format!("use one of {}", crate::compile::quote_list(&known)),
        )));
    };
    entry.compile().map_err(|e| LoadError::Invalid(Box::new(e)))
}
