//! Fuzz target `definition`: arbitrary bytes as the text of a whole
//! definition (TOML), compiled through the public API.
//!
//! Whatever the text, `compile_with` must return an evaluator or
//! diagnostics without panicking, hanging or exhausting memory: every
//! analysis it runs (reachable values, rule enumeration, the disclosure
//! check) has a budget, and libFuzzer reports a panic, a timeout (`-timeout`)
//! or an RSS blow-up (`-rss_limit_mb`) as a crash. When the text compiles,
//! it is evaluated once (no answers, for the participant, with the consent
//! it asks for) and its disclosure analysis and transparency statement are
//! read, so that arbitrary definitions reach evaluation too.
//!
//! Seeds are the library's definitions, the test fixtures and the
//! conformance corpus, read recursively from their folders (libFuzzer reads
//! the `.rhai` and `.json` files there too, which only adds variety):
//! `cargo +nightly fuzz run definition corpus/definition ../definitions ../engine/tests/fixtures ../tests/conformance -- -dict=definition.dict -max_total_time=300`

#![no_main]

use aspekt::{Answers, Options, Request, Source};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let source = Source::new("fuzz.toml", text);
    let Ok(evaluator) = aspekt::compile_with(&source, &Options::default()) else {
        return;
    };
    let consent = evaluator.privacy_notice().unwrap_or_default().to_string();
    let _ = evaluator.evaluate(&Request::new(Answers::new()).with_consent(consent));
    let _ = evaluator.disclosure();
    let _ = evaluator.transparency(None);
});
