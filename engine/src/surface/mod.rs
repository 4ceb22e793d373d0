//! Stage 8, surface: the public entry points: compiling into an
//! evaluator, the JSON API every binding shares, the embedded library,
//! and the JSON schemas of the surface.

pub mod api;
pub(crate) mod compile;
pub mod library;
pub(crate) mod schema;
