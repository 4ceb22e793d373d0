//! Stage 6, evaluate: requests and their validation, the evaluator that
//! turns answers into a report, batches, sessions, and running a
//! definition's examples. Reads the plan; never imports the compiler.

pub mod batch;
pub(crate) mod error;
pub(crate) mod evaluator;
pub(crate) mod examples;
pub(crate) mod report;
pub(crate) mod request;
pub(crate) mod session;
pub(crate) mod validate;
