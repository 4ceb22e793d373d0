//! Fuzz target `rule`: arbitrary bytes as the source of a Rhai rule, compiled
//! and run under the sandbox through the public API only.
//!
//! Where the rule goes depends on what it reads, so that the hostile corpus
//! (`engine/tests/hostile/*.rhai`) seeds it as it is:
//! - a source mentioning `items` becomes a score rule over three items
//!   (216 answer combinations, all enumerated by the compiler);
//! - any other source becomes a result rule over score `a`, the sum of four
//!   items (0–16: 18 input values, all enumerated), with the outcome `fine`.
//!
//! When the definition compiles, it is evaluated for four answer sets.
//!
//! Whatever the source, `compile_with` and `evaluate` must return (a value
//! or an error) without panicking, hanging or exhausting memory; libFuzzer
//! reports a panic (even one caught inside Rhai), a timeout or an RSS blow-up
//! as a crash.
//!
//! Run (from `fuzz/`, seeded with the hostile corpus and a dictionary):
//! `cargo +nightly fuzz run rule corpus/rule ../engine/tests/hostile -- -dict=rule.dict -max_total_time=300`

#![no_main]

use aspekt::{Answers, Options, Request, Source};
use libfuzzer_sys::fuzz_target;

const HEAD: &str = r#"[questionnaire]
id = "fuzz"
version = "1.0.0"
locales = ["en"]
title = { en = "Fuzz" }
description = { en = "A definition around a fuzzed rule" }
[questionnaire.source]
citation = "aspekt fuzz target"
licence = "CC0-1.0"

[[scale]]
id = "five"
options = [
  { code = 0, label = { en = "0" } },
  { code = 1, label = { en = "1" } },
  { code = 2, label = { en = "2" } },
  { code = 3, label = { en = "3" } },
  { code = 4, label = { en = "4" } },
]

[[item]]
id = "q1"
scale = "five"
text = { en = "Q1" }

[[item]]
id = "q2"
scale = "five"
text = { en = "Q2" }

[[item]]
id = "q3"
scale = "five"
text = { en = "Q3" }

[[item]]
id = "q4"
scale = "five"
text = { en = "Q4" }
"#;

const OUTCOMES: &str = r#"
[[result.outcome]]
id = "fine"
label = { en = "Fine" }
explanation = { en = "The rule returned normally." }
"#;

/// The rule as a TOML string value, escaped by the `toml` crate (so any
/// text, quotes and newlines included, stays inside the value).
fn quoted(rule: &str) -> String {
    toml::Value::String(rule.to_string()).to_string()
}

fn result_rule_definition(rule: &str) -> String {
    format!(
        "{HEAD}
[[score]]
id = \"a\"
items = [\"q1\", \"q2\", \"q3\", \"q4\"]
aggregate = \"sum\"

[[result]]
id = \"fuzzed\"
title = {{ en = \"Fuzzed\" }}
scores = [\"a\"]
audiences = [\"participant\"]
rule = {}
{OUTCOMES}",
        quoted(rule)
    )
}

fn score_rule_definition(rule: &str) -> String {
    format!(
        "{HEAD}
[[score]]
id = \"s\"
items = [\"q1\", \"q2\", \"q3\"]
rule = {}

[[result]]
id = \"fuzzed\"
title = {{ en = \"Fuzzed\" }}
scores = [\"s\"]
audiences = [\"participant\"]
rule = '''\"fine\"'''
{OUTCOMES}",
        quoted(rule)
    )
}

fn request(codes: [Option<i64>; 4]) -> Request {
    let mut answers = Answers::new();
    for (i, c) in codes.iter().enumerate() {
        if let Some(c) = c {
            answers.insert(format!("q{}", i + 1), *c);
        }
    }
    Request::new(answers)
}

fuzz_target!(|data: &[u8]| {
    let Ok(rule) = std::str::from_utf8(data) else {
        return;
    };
    let text = if rule.contains("items") {
        score_rule_definition(rule)
    } else {
        result_rule_definition(rule)
    };
    let source = Source::new("fuzz.toml", text);
    let Ok(evaluator) = aspekt::compile_with(&source, &Options::default()) else {
        return;
    };
    for codes in [
        [Some(0), Some(0), Some(0), Some(0)],
        [Some(4), Some(4), Some(4), Some(4)],
        [Some(2), None, Some(1), Some(3)],
        [None, None, None, None],
    ] {
        let _ = evaluator.evaluate(&request(codes));
    }
});
