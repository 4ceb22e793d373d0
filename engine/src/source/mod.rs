//! Stage 1, source: the text a definition comes from and how to point into it
//! (spans, line and column), diagnostics and their rendering, quoting of
//! untrusted names, the sorted-vector map, and the wording helpers every
//! later stage uses in its messages.

pub(crate) mod diagnostic;
pub(crate) mod quote;
pub(crate) mod sorted;
pub(crate) mod span;
pub(crate) mod words;
