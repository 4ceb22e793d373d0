//! The built-in instrument library, embedded from `definitions/`.

use crate::compile::{CompileError, Options};
use crate::evaluate::error::{ErrorCode, RequestError};
use crate::evaluate::evaluator::Evaluator;
use crate::source::span::Source;
use crate::surface::compile::compile_with;

/// (id, definition path, text, rule files as (name, text)).
type RawEntry = (
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

#[cfg(feature = "library")]
include!(concat!(env!("OUT_DIR"), "/library.rs"));

#[cfg(not(feature = "library"))]
static ENTRIES: &[RawEntry] = &[];
#[cfg(not(feature = "library"))]
static PROFILE: &[&str] = &[];

/// Whether this build embeds the library (the `library` feature). The
/// WebAssembly module does not: it ships the library beside it as
/// `library.json` (`bindings/wasm/build.sh`) to stay small.
pub const EMBEDDED: bool = cfg!(feature = "library");

/// The counselling profile: the library instruments a counselling session
/// goes through by default, in order (`definitions/PROFILE.md`). Each is its
/// own voluntary part.
pub fn profile() -> &'static [&'static str] {
    PROFILE
}

/// One instrument of the built-in library.
#[derive(Clone, Copy, Debug)]
pub struct Entry {
    /// The instrument's id (its folder name).
    pub id: &'static str,
    /// Path of its definition, relative to the repository root.
    pub path: &'static str,
    /// The definition's text.
    pub text: &'static str,
    /// Rule files beside the definition: (file name, text).
    pub files: &'static [(&'static str, &'static str)],
}

impl Entry {
    /// The definition as a [`Source`], named by its path.
    pub fn source(&self) -> Source {
        Source::new(self.path, self.text)
    }

    /// Compile options carrying the entry's rule files.
    pub fn options(&self) -> Options {
        let mut options = Options::default();
        for (name, text) in self.files {
            options
                .files
                .insert((*name).to_string(), (*text).to_string());
        }
        options
    }

    /// Compiles the definition.
    pub fn compile(&self) -> Result<Evaluator, CompileError> {
        compile_with(&self.source(), &self.options())
    }
}

/// Every instrument, sorted by id.
pub fn entries() -> impl Iterator<Item = Entry> {
    ENTRIES.iter().map(|&(id, path, text, files)| Entry {
        id,
        path,
        text,
        files,
    })
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
            format!("use one of {}", crate::source::words::quote_list(&known)),
        )));
    };
    entry.compile().map_err(|e| LoadError::Invalid(Box::new(e)))
}
