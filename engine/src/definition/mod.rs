//! Stage 2, definition: the model of a definition (what the TOML format
//! says), the reader that builds it from TOML with spans, and the TOML
//! writer a definition script's result is rendered through.

pub mod model;
pub(crate) mod read;
pub(crate) mod toml_text;
