//! Hostile corpus: scripts that attack the Rhai sandbox, each of which must
//! end in a clear error within its budget — never a hang, a panic or an
//! unbounded allocation — and leave the evaluator usable.
//!
//! Every file in `tests/hostile/` is one attack and starts with comments:
//!
//! ```text
//! // attack: <what it tries>
//! // stopped by: <the limit or mechanism that stops it>
//! // rule: result | score | definition      (optional; default: result)
//! // expect: <stage> [<limit> | -] [leak]
//! ```
//!
//! Stages:
//! - `syntax`: the rule does not compile (`rule_syntax`), naming the limit.
//! - `compile`: the compiler's enumeration of the rule's inputs runs into
//!   the attack (`rule_failed`), naming the rule and the limit.
//! - `evaluate`: the attack fires only when score `a` is 16. In a small
//!   definition the enumeration finds that (`rule_failed` at compile time);
//!   in a large one (104,976 input combinations, beyond the 50,000 runs the
//!   compiler spends) it compiles, and evaluating the hostile answers gives
//!   `RequestError { code: RuleFailed }` naming the rule and the limit,
//!   after which the *same* evaluator still scores a good request.
//!   `leak`: the message must not carry the score's value.
//! - `survives`: the attack aimed at a panic; the rule must simply work
//!   (small definition, checked and evaluated).
//! - `definition`: the file is a definition written in Rhai; compiling it
//!   gives `definition_script` naming the limit.
//!
//! Each attack runs on its own thread under a watchdog (a hang guard, not a
//! speed assertion), and a panic on that thread fails the test.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed expectation should abort the test loudly"
)]

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};
use std::sync::{Once, mpsc};
use std::time::{Duration, Instant};

use aspekt::{
    Answers, Diagnostic, ErrorCode, Evaluator, Limits, Options, Request, RequestError, Source,
    Status,
};

/// How long one attack may take before it counts as a hang. Generous: this
/// guards against hangs in debug builds on a loaded machine, it does not
/// measure speed.
const WATCHDOG: Duration = Duration::from_secs(20);

/// The result every hostile rule lives in.
const RESULT: &str = "hostile";

// ------------------------------------------------------------------ corpus

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Result,
    Score,
    Definition,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Syntax,
    Compile,
    Evaluate,
    Survives,
    Definition,
}

#[derive(Clone, Debug)]
struct Attack {
    name: String,
    script: String,
    kind: Kind,
    stage: Stage,
    /// The limit the error must name, if any.
    limit: Option<String>,
    /// The error must not repeat the value that triggered the attack.
    leak: bool,
}

fn hostile_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile")
}

fn header<'a>(script: &'a str, key: &str) -> Option<&'a str> {
    script
        .lines()
        .take_while(|l| l.starts_with("//"))
        .find_map(|l| l.strip_prefix(&format!("// {key}:")))
        .map(str::trim)
}

fn parse_attack(path: &Path) -> Attack {
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    let script = fs::read_to_string(path).unwrap();
    assert!(
        header(&script, "attack").is_some_and(|a| !a.is_empty()),
        "{name}: needs a `// attack:` line saying what it attacks"
    );
    assert!(
        header(&script, "stopped by").is_some_and(|a| !a.is_empty()),
        "{name}: needs a `// stopped by:` line naming the limit or mechanism"
    );
    let kind = match header(&script, "rule") {
        None | Some("result") => Kind::Result,
        Some("score") => Kind::Score,
        Some("definition") => Kind::Definition,
        Some(other) => panic!("{name}: unknown `// rule: {other}`"),
    };
    let expect =
        header(&script, "expect").unwrap_or_else(|| panic!("{name}: needs an `// expect:` line"));
    let mut words = expect.split_whitespace();
    let stage = match words.next() {
        Some("syntax") => Stage::Syntax,
        Some("compile") => Stage::Compile,
        Some("evaluate") => Stage::Evaluate,
        Some("survives") => Stage::Survives,
        Some("definition") => Stage::Definition,
        other => panic!("{name}: unknown stage {other:?}"),
    };
    let limit = match words.next() {
        None | Some("-") => None,
        Some(l) => Some(l.to_string()),
    };
    let leak = words.next() == Some("leak");
    Attack {
        name,
        script,
        kind,
        stage,
        limit,
        leak,
    }
}

fn corpus() -> Vec<Attack> {
    let mut paths: Vec<PathBuf> = fs::read_dir(hostile_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("rhai"))
        .collect();
    paths.sort();
    paths.iter().map(|p| parse_attack(p)).collect()
}

// ------------------------------------------------------------- definitions

/// A TOML basic string holding `text` (escaped by the `toml` crate).
fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

/// `n` items `q1..qn` on a 0–4 scale in one topic.
fn head(n: usize) -> String {
    let mut s = String::from(
        r#"[questionnaire]
id = "hostile"
version = "1.0.0"
locales = ["en"]
title = { en = "Hostile" }
description = { en = "A definition carrying an attack on the sandbox" }
[questionnaire.source]
citation = "aspekt test fixture"
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

[[topic]]
id = "t"
title = { en = "Topic" }
"#,
    );
    for i in 1..=n {
        writeln!(
            s,
            "\n[[item]]\nid = \"q{i}\"\ntopic = \"t\"\nscale = \"five\"\ntext = {{ en = \"Q{i}\" }}"
        )
        .unwrap();
    }
    s
}

fn result_rule(scores: &[&str], rule: &str) -> String {
    let list: Vec<String> = scores.iter().map(|s| format!("\"{s}\"")).collect();
    // Beyond the enumeration budget the disclosure analysis needs a waiver.
    let waiver = if scores.len() > 1 {
        "waiver = \"test fixture: the rule's inputs exceed the analysis budget on purpose\"\n"
    } else {
        ""
    };
    format!(
        r#"
[[result]]
id = "{RESULT}"
title = {{ en = "Hostile" }}
scores = [{}]
audiences = ["participant"]
{waiver}rule = {}
[[result.outcome]]
id = "fine"
label = {{ en = "Fine" }}
explanation = {{ en = "The rule returned normally." }}
"#,
        list.join(", "),
        toml_string(rule)
    )
}

fn sum_score(id: &str, items: std::ops::RangeInclusive<usize>) -> String {
    let items: Vec<String> = items.map(|i| format!("\"q{i}\"")).collect();
    format!(
        "\n[[score]]\nid = \"{id}\"\nitems = [{}]\naggregate = \"sum\"\n",
        items.join(", ")
    )
}

/// Score `a` = q1..q4 (0–16), a result rule over it: 18 input values, all
/// enumerated by the compiler.
fn small_result(rule: &str) -> String {
    [head(4), sum_score("a", 1..=4), result_rule(&["a"], rule)].concat()
}

/// Scores `a`..`d` over q1..q16: 18^4 = 104,976 input combinations, more
/// than the compiler enumerates, so the rule runs only at evaluation.
fn large_result(rule: &str) -> String {
    let mut s = head(16);
    for (k, id) in ["a", "b", "c", "d"].iter().enumerate() {
        s.push_str(&sum_score(id, (4 * k + 1)..=(4 * k + 4)));
    }
    s.push_str(&result_rule(&["a", "b", "c", "d"], rule));
    s
}

/// A score rule over q1..q4 (6^4 = 1,296 combinations, enumerated).
fn small_score(rule: &str) -> String {
    [
        head(4),
        format!(
            "\n[[score]]\nid = \"s\"\nitems = [\"q1\", \"q2\", \"q3\", \"q4\"]\nrule = {}\n",
            toml_string(rule)
        ),
        result_rule(&["s"], "\"fine\""),
    ]
    .concat()
}

fn request(n: usize, code: i64) -> Request {
    let mut answers = Answers::new();
    for i in 1..=n {
        answers.insert(format!("q{i}"), code);
    }
    Request::new(answers)
}

/// Answers to q1..q16: each block of four items (scores `a`..`d`) gets
/// the code of its entry in `codes`.
fn blocks(codes: &[i64; 4]) -> Request {
    let mut answers = Answers::new();
    for i in 1..=16 {
        answers.insert(format!("q{i}"), codes[(i - 1) / 4]);
    }
    Request::new(answers)
}

/// The same request as JSON, for `aspekt::api`.
fn blocks_json(codes: &[i64; 4]) -> String {
    let answers: Vec<String> = (1..=16)
        .map(|i| format!("\"q{i}\": {}", codes[(i - 1) / 4]))
        .collect();
    format!("{{\"answers\": {{{}}}}}", answers.join(", "))
}

/// Both answer sets make the rule fail; what every host sees of the
/// failure must be byte-identical: the `RequestError` itself, its display,
/// the JSON envelope of `aspekt::api`, a session's error and a batch row's.
fn assert_same_failure(what: &str, evaluator: &Evaluator, x: &[i64; 4], y: &[i64; 4]) {
    let ex = evaluator
        .evaluate(&blocks(x))
        .expect_err(&format!("{what}: answers {x:?} should fail"));
    let ey = evaluator
        .evaluate(&blocks(y))
        .expect_err(&format!("{what}: answers {y:?} should fail"));
    assert_eq!(ex.code, ErrorCode::RuleFailed, "{what}: {ex}");
    assert_eq!(ex, ey, "{what}: the error depends on the answers");
    assert_eq!(ex.to_string(), ey.to_string(), "{what}");
    let jx = aspekt::api::evaluate_json(evaluator, &blocks_json(x));
    let jy = aspekt::api::evaluate_json(evaluator, &blocks_json(y));
    assert!(jx.contains("\"rule_failed\""), "{what}: {jx}");
    assert_eq!(jx, jy, "{what}: the JSON envelope depends on the answers");
    let session = |codes: &[i64; 4]| {
        let mut s = aspekt::Session::new(evaluator.clone());
        s.consent("any").unwrap();
        for i in 1..=16 {
            s.answer(&format!("q{i}"), codes[(i - 1) / 4]).unwrap();
        }
        s.finish().unwrap_err()
    };
    assert_eq!(session(x), ex, "{what}: a session words it differently");
    assert_eq!(session(y), ex, "{what}: a session words it differently");
    let batch = |codes: &[i64; 4]| {
        let columns: Vec<String> = (1..=16).map(|i| format!("q{i}")).collect();
        let columns: Vec<&str> = columns.iter().map(String::as_str).collect();
        let row: Vec<i32> = (1..=16).map(|i| codes[(i - 1) / 4] as i32).collect();
        let b = evaluator
            .evaluate_batch(
                &columns,
                &row,
                None,
                &aspekt::batch::BatchOptions::default(),
            )
            .unwrap();
        b.errors.into_iter().next().map(|e| e.error)
    };
    assert_eq!(
        batch(x).as_ref(),
        Some(&ex),
        "{what}: a batch row words it differently"
    );
    assert_eq!(
        batch(y).as_ref(),
        Some(&ex),
        "{what}: a batch row words it differently"
    );
}

/// Answers that make score `a` 16 and fire the attack.
fn hostile_request(n: usize) -> Request {
    request(n, 4)
}

/// Answers that leave score `a` at 4: the rule returns "fine".
fn good_request(n: usize) -> Request {
    request(n, 1)
}

// ------------------------------------------------------------------ harness

/// Panics seen anywhere in this test binary, caught or not: Rhai catches
/// some panics itself (`catch_unwind` around its sort), which a WASM build
/// cannot, so a caught panic counts too.
static PANICS: AtomicUsize = AtomicUsize::new(0);

fn count_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.fetch_add(1, AtomicOrdering::SeqCst);
            default(info);
        }));
    });
}

/// Runs `f` on its own thread and returns its value; fails the test if it
/// panics or does not finish within [`WATCHDOG`].
fn guarded<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    guarded_timed(what, f).0
}

/// Like [`guarded`], also returning how long `f` took.
fn guarded_timed<T: Send + 'static>(
    what: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> (T, Duration) {
    count_panics();
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::Builder::new()
        .name(what.to_string())
        .spawn(move || {
            let started = Instant::now();
            let value = f();
            let _ = tx.send(started.elapsed());
            value
        })
        .unwrap();
    let elapsed = match rx.recv_timeout(WATCHDOG) {
        Ok(elapsed) => elapsed,
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("{what}: did not finish within {WATCHDOG:?} (a hang)")
        }
        // The thread dropped its sender without sending: it panicked.
        Err(mpsc::RecvTimeoutError::Disconnected) => Duration::ZERO,
    };
    match handle.join() {
        Ok(v) => (v, elapsed),
        Err(_) => panic!("{what}: the attack made aspekt panic (or failed an assertion)"),
    }
}

fn plain(diags: &[Diagnostic]) -> String {
    aspekt::render_plain(diags)
}

/// Checks a TOML definition (the name gets `.toml`: a `.rhai` source
/// would be read as a definition script).
fn check(text: String, name: &str, options: &Options) -> Vec<Diagnostic> {
    let name = format!("{}.toml", name.trim_end_matches(".toml"));
    aspekt::check_with(&Source::new(name, text), options)
}

/// Asserts a diagnostic with `code` whose message names `needles`.
fn assert_diagnostic(what: &str, diags: &[Diagnostic], code: &str, needles: &[&str]) {
    let found = diags
        .iter()
        .find(|d| d.code.as_str() == code)
        .unwrap_or_else(|| panic!("{what}: expected `{code}`, got:\n{}", plain(diags)));
    for n in needles {
        assert!(
            found.message.contains(n),
            "{what}: the `{code}` message should name {n}:\n{}",
            plain(diags)
        );
    }
    assert!(
        found.help.as_deref().is_some_and(|h| !h.is_empty()),
        "{what}: `{code}` has no help"
    );
}

fn limit_needle(limit: &Option<String>) -> Vec<String> {
    limit.iter().map(|l| format!("`{l}`")).collect()
}

fn compile_large(attack: &Attack) -> Evaluator {
    aspekt::compile_with(
        &Source::new(
            format!("{}.toml", attack.name),
            large_result(&attack.script),
        ),
        &Options::default(),
    )
    .unwrap_or_else(|e| panic!("{}: the large definition should compile:\n{e}", attack.name))
}

fn assert_fine(what: &str, evaluator: &Evaluator, request: &Request) {
    let report = evaluator
        .evaluate(request)
        .unwrap_or_else(|e| panic!("{what}: a good request fails afterwards: {e}"));
    let r = &report.results[0];
    assert_eq!(r.status, Status::Ok, "{what}: {report:?}");
    assert_eq!(r.band.as_ref().unwrap().id, "fine", "{what}: {report:?}");
}

fn assert_rule_failed(attack: &Attack, e: &RequestError) {
    let what = &attack.name;
    assert_eq!(e.code, ErrorCode::RuleFailed, "{what}: {e}");
    assert!(
        e.message.contains(&format!("result `{RESULT}`")),
        "{what}: the message should name the rule: {e}"
    );
    for n in limit_needle(&attack.limit) {
        assert!(
            e.message.contains(&n),
            "{what}: the message should name the limit {n}: {e}"
        );
        assert!(
            e.help.as_deref().unwrap_or_default().contains(&n),
            "{what}: the help should name the limit {n}: {e}"
        );
    }
    if attack.limit.is_none() {
        assert!(
            !e.message.contains("sandbox limit"),
            "{what}: no limit should be blamed: {e}"
        );
    }
    if attack.leak {
        assert!(
            !e.message.contains("16") && !e.help.as_deref().unwrap_or_default().contains("16"),
            "{what}: the error repeats the score's value: {e}"
        );
    }
}

/// Runs one attack to its expected end.
fn run_attack(attack: Attack) {
    let name = attack.name.clone();
    let limit = limit_needle(&attack.limit);
    let limit: Vec<&str> = limit.iter().map(String::as_str).collect();
    let opts = Options::default();
    match attack.stage {
        Stage::Syntax => {
            let diags = check(small_result(&attack.script), &name, &opts);
            let mut needles = vec!["result `hostile`"];
            needles.extend(&limit);
            assert_diagnostic(&name, &diags, "rule_syntax", &needles);
        }
        Stage::Compile => {
            let (text, owner) = match attack.kind {
                Kind::Score => (small_score(&attack.script), "score `s`"),
                _ => (small_result(&attack.script), "result `hostile`"),
            };
            let diags = check(text, &name, &opts);
            let mut needles = vec![owner];
            needles.extend(&limit);
            assert_diagnostic(&name, &diags, "rule_failed", &needles);
        }
        Stage::Evaluate => {
            // Where the compiler can enumerate the inputs, it finds the attack.
            let diags = check(small_result(&attack.script), &name, &opts);
            let mut needles = vec!["result `hostile`", "a = 16"];
            needles.extend(&limit);
            assert_diagnostic(&name, &diags, "rule_failed", &needles);
            // Where it cannot, evaluation stops it, and the evaluator lives on.
            let evaluator = compile_large(&attack);
            assert_fine(&name, &evaluator, &good_request(16));
            for _ in 0..2 {
                let e = evaluator
                    .evaluate(&hostile_request(16))
                    .expect_err(&format!("{name}: the attack should fail evaluation"));
                assert_rule_failed(&attack, &e);
                assert_fine(&name, &evaluator, &good_request(16));
            }
            let answers: Vec<String> = (1..=16).map(|i| format!("\"q{i}\": 4")).collect();
            let json = format!("{{\"answers\": {{{}}}}}", answers.join(", "));
            let e = evaluator.evaluate_json(&json).unwrap_err();
            assert_eq!(e.code, ErrorCode::RuleFailed, "{name}: {e}");
            // Other answers that fire the attack too: the same error, byte
            // for byte, as hosts see it.
            assert_same_failure(&name, &evaluator, &[4, 0, 0, 0], &[4, 3, 2, 1]);
        }
        Stage::Survives => {
            let evaluator = aspekt::compile_with(
                &Source::new(format!("{name}.toml"), small_result(&attack.script)),
                &opts,
            )
            .unwrap_or_else(|e| panic!("{name}: should compile cleanly:\n{e}"));
            assert_fine(&name, &evaluator, &hostile_request(4));
            assert_fine(&name, &evaluator, &good_request(4));
        }
        Stage::Definition => {
            let diags = aspekt::check_with(
                &Source::new(format!("hostile/{name}"), attack.script.clone()),
                &opts,
            );
            assert_diagnostic(&name, &diags, "definition_script", &limit);
        }
    }
}

// -------------------------------------------------------------------- tests

#[test]
fn corpus_is_large_and_well_formed() {
    let attacks = corpus();
    let erroring = attacks
        .iter()
        .filter(|a| a.stage != Stage::Survives)
        .count();
    assert!(
        erroring >= 24,
        "the hostile corpus should hold at least 24 attacks ending in an error, has {erroring}"
    );
    for a in &attacks {
        match (a.kind, a.stage) {
            (Kind::Definition, Stage::Definition)
            | (Kind::Score, Stage::Compile)
            | (Kind::Result, _) => {}
            (k, s) => panic!("{}: a {k:?} attack cannot have stage {s:?}", a.name),
        }
        if a.stage == Stage::Evaluate {
            assert!(
                a.script.contains("scores.a == 16.0"),
                "{}: an `evaluate` attack fires only when score `a` is 16",
                a.name
            );
        }
    }
}

#[test]
fn every_attack_ends_in_a_clear_error() {
    let mut failures = Vec::new();
    let before = PANICS.load(AtomicOrdering::SeqCst);
    // `ASPEKT_HOSTILE_ONLY=curry` runs only the attacks whose file name
    // holds `curry` (for measuring one attack; the test then says so).
    let only = std::env::var("ASPEKT_HOSTILE_ONLY").ok();
    for attack in corpus() {
        let name = attack.name.clone();
        if only.as_deref().is_some_and(|o| !name.contains(o)) {
            println!("{name:40} skipped (ASPEKT_HOSTILE_ONLY)");
            continue;
        }
        let how = format!(
            "{:?} {}",
            attack.stage,
            attack.limit.as_deref().unwrap_or("-")
        );
        // Each attack on a thread of its own, so one failure does not hide
        // the others; a panic in the harness thread reports it.
        let outcome = std::panic::catch_unwind(|| guarded_timed(&name, move || run_attack(attack)));
        match outcome {
            Ok(((), took)) => println!("{name:40} {how:28} {took:>10.1?}"),
            Err(_) => failures.push(name),
        }
    }
    assert!(failures.is_empty(), "attacks that misbehaved: {failures:?}");
    assert_eq!(
        PANICS.load(AtomicOrdering::SeqCst),
        before,
        "a panic happened (and was caught) while the attacks ran"
    );
}

#[test]
fn huge_inputs_to_the_parser_end_in_clear_errors() {
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "1 MiB string literal",
            format!("let s = \"{}\"; \"fine\"", "x".repeat(1 << 20)),
            "`string_size`",
        ),
        (
            "100,000-element array literal",
            format!("let a = [{}0]; \"fine\"", "0, ".repeat(100_000)),
            "`array_size`",
        ),
        (
            "100,000 nested parentheses",
            format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000)),
            "`expr_depth`",
        ),
        (
            "100,000 nested array literals",
            format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000)),
            "`expr_depth`",
        ),
        (
            "100,000 nested blocks",
            format!("{}\"fine\"{}", "{".repeat(100_000), "}".repeat(100_000)),
            "`expr_depth`",
        ),
        (
            "a chain of 100,000 additions",
            format!("1{}", " + 1".repeat(100_000)),
            "`expr_depth`",
        ),
    ];
    for (what, rule, limit) in cases {
        let diags = guarded(what, move || {
            check(small_result(&rule), "huge.toml", &Options::default())
        });
        assert_diagnostic(what, &diags, "rule_syntax", &["result `hostile`", limit]);
    }
}

#[test]
fn one_evaluator_survives_many_attacks_in_a_row() {
    let attack = corpus()
        .into_iter()
        .find(|a| a.name == "deep_nesting_value.rhai")
        .unwrap();
    guarded("repeated attacks", move || {
        let evaluator = compile_large(&attack);
        for _ in 0..10 {
            let e = evaluator.evaluate(&hostile_request(16)).unwrap_err();
            assert_rule_failed(&attack, &e);
            assert_fine(&attack.name, &evaluator, &good_request(16));
        }
    });
}

#[test]
fn attacks_on_other_threads_do_not_disturb_an_evaluation() {
    let attack = corpus()
        .into_iter()
        .find(|a| a.name == "infinite_loop.rhai")
        .unwrap();
    let evaluator = compile_large(&attack);
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let evaluator = evaluator.clone();
            std::thread::spawn(move || {
                for _ in 0..3 {
                    if t % 2 == 0 {
                        assert!(evaluator.evaluate(&hostile_request(16)).is_err());
                    } else {
                        assert_fine("threads", &evaluator, &good_request(16));
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

/// A legitimate rule of WHO-5 size: it reads one score and picks a band.
const LEGIT: &str = r#"
let v = scores.a;
if v == () { return insufficient(); }
if v <= 7.0 { "fine" } else if v <= 12.0 { "fine" } else { "fine" }
"#;

#[test]
fn limits_are_configurable_per_evaluator() {
    let tiny = Options {
        limits: Limits {
            operations: 3,
            ..Limits::default()
        },
        ..Options::default()
    };
    // With default limits the legitimate rule passes, at check and evaluation.
    let diags = check(small_result(LEGIT), "legit.toml", &Options::default());
    assert!(diags.is_empty(), "{}", plain(&diags));
    let evaluator = aspekt::compile_with(
        &Source::new("legit.toml", large_result(LEGIT)),
        &Options::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_fine("default limits", &evaluator, &hostile_request(16));

    // With a tiny operations budget the compiler's enumeration hits it ...
    let diags = check(small_result(LEGIT), "legit.toml", &tiny);
    assert_diagnostic(
        "tiny operations",
        &diags,
        "rule_failed",
        &["result `hostile`", "`operations`"],
    );
    // ... and where it does not enumerate, evaluation does, naming the limit.
    let evaluator = aspekt::compile_with(&Source::new("legit.toml", large_result(LEGIT)), &tiny)
        .unwrap_or_else(|e| panic!("{e}"));
    let e = evaluator.evaluate(&good_request(16)).unwrap_err();
    assert_eq!(e.code, ErrorCode::RuleFailed);
    assert!(e.message.contains("result `hostile`"), "{e}");
    assert!(e.message.contains("`operations`"), "{e}");
    assert!(e.help.unwrap().contains("`operations`"));

    // Raising a limit admits what the default refuses.
    let pushes = "let a = []; for i in 0..600 { a.push(i); } \"fine\"";
    let diags = check(small_result(pushes), "pushes.toml", &Options::default());
    assert_diagnostic(
        "600 elements",
        &diags,
        "rule_failed",
        &["result `hostile`", "`array_size`"],
    );
    let roomy = Options {
        limits: Limits {
            array_size: 1_000,
            ..Limits::default()
        },
        ..Options::default()
    };
    let diags = check(small_result(pushes), "pushes.toml", &roomy);
    assert!(diags.is_empty(), "{}", plain(&diags));
}

#[test]
fn default_limits_are_the_documented_ones() {
    let d = Limits::default();
    assert_eq!(
        (
            d.operations,
            d.call_levels,
            d.expr_depth,
            d.function_expr_depth,
            d.string_size,
            d.array_size,
            d.map_size,
            d.variables,
            d.functions
        ),
        (20_000, 16, 32, 16, 1_024, 512, 256, 64, 16),
        "update book/src/rules.md when the defaults change"
    );
    let r = Limits::for_definitions();
    assert_eq!(
        (
            r.operations,
            r.string_size,
            r.array_size,
            r.map_size,
            r.variables,
            r.functions
        ),
        (100_000, 64 * 1024, 1_024, 4_096, 256, 64),
        "update book/src/rules.md when the defaults change"
    );
    // Nesting depth is bounded by array_size + map_size: keep it shallow
    // enough for a 2 MiB stack in a debug build.
    assert!(d.array_size + d.map_size <= 1_024);
}

#[test]
fn error_messages_do_not_repeat_values() {
    // A score rule that divides by an answer-derived zero: the message at
    // evaluation must name the failure, not the numbers.
    for (what, rule) in [
        ("thrown", "if scores.a == 16.0 { throw scores.a } \"fine\""),
        (
            "index",
            "if scores.a == 16.0 { let x = [][scores.a.to_int() + 1000]; } \"fine\"",
        ),
        (
            "map key",
            "if scores.a == 16.0 { let m = #{}; let x = m[`k${scores.a + 1000.0}`]; } \"fine\"",
        ),
        (
            "function name",
            "if scores.a == 16.0 { let f = Fn(`f${scores.a + 1000.0}`); } \"fine\"",
        ),
        (
            "overflow",
            "if scores.a == 16.0 { let x = 9223372036854775000 + scores.a.to_int() * 1000; } \"fine\"",
        ),
        (
            "prelude",
            "if scores.a == 16.0 { top(scores, 1, `${scores.a + 1000.0}`); } \"fine\"",
        ),
    ] {
        let rule = rule.to_string();
        let e = guarded(what, move || {
            let evaluator = aspekt::compile_with(
                &Source::new("leak.toml", large_result(&rule)),
                &Options::default(),
            )
            .unwrap_or_else(|e| panic!("{e}"));
            evaluator.evaluate(&hostile_request(16)).unwrap_err()
        });
        assert_eq!(e.code, ErrorCode::RuleFailed, "{what}: {e}");
        assert!(e.message.contains("result `hostile`"), "{what}: {e}");
        for value in ["16", "1016", "1000"] {
            assert!(
                !e.message.contains(value),
                "{what}: the message repeats a value ({value}): {e}"
            );
        }
    }
}

/// Rules that fail differently for different answers (another line, another
/// function, a computed key or function name, an undeclared outcome of
/// another length, another thrown value or error): at evaluation the error
/// is the same, byte for byte. Score `a` is 16 in both answer sets; score
/// `b` is 0 in one and 8 in the other.
#[test]
fn rule_failures_at_evaluation_do_not_depend_on_answers() {
    let cases: &[(&str, &str)] = &[
        (
            "line and kind",
            "if scores.a == 16.0 {\n  if scores.b == 0.0 { let x = 1 / 0; }\n\n\n  let y = [][3];\n}\n\"fine\"",
        ),
        (
            "function",
            "fn alpha() { let x = 1 / 0; }\nfn beta() { let x = 1 / 0; }\nif scores.a == 16.0 { if scores.b == 0.0 { alpha() } else { beta() } }\n\"fine\"",
        ),
        (
            "computed key",
            "if scores.a == 16.0 { let m = #{}; m[`k${scores.b}`] = \"x\"; top(m, 1, \"id\"); }\n\"fine\"",
        ),
        (
            "function name",
            "if scores.a == 16.0 { let n = if scores.b == 0.0 { \"alpha\" } else { \"betagamma\" }; Fn(n).call(); }\n\"fine\"",
        ),
        (
            "outcome id length",
            "if scores.a == 16.0 { if scores.b == 0.0 { return \"x\"; } return \"xxxxxxxxxxxxxxxxxx\"; }\n\"fine\"",
        ),
        (
            "thrown value",
            "if scores.a == 16.0 { throw scores.b; }\n\"fine\"",
        ),
        (
            "returned value",
            "if scores.a == 16.0 { if scores.b == 0.0 { return 0.0 / 0.0; } return scores.b; }\n\"fine\"",
        ),
        (
            "operations, inside a function or not",
            "fn spin() { loop {} }\nif scores.a == 16.0 {\n  if scores.b == 0.0 { spin(); }\n  loop {}\n}\n\"fine\"",
        ),
        (
            "string_size, at different places",
            "if scores.a == 16.0 {\n  let s = \"xx\";\n  if scores.b == 0.0 { loop { s += s; } }\n  let t = \"yyy\";\n  loop { t = t + t; }\n}\n\"fine\"",
        ),
    ];
    let mut failures = Vec::new();
    for (what, rule) in cases {
        let (what, rule) = (what.to_string(), rule.to_string());
        let name = what.clone();
        let outcome = std::panic::catch_unwind(|| {
            guarded(&name, move || {
                let evaluator = aspekt::compile_with(
                    &Source::new("vary.toml", large_result(&rule)),
                    &Options::default(),
                )
                .unwrap_or_else(|e| panic!("{what}: {e}"));
                assert_fine(&what, &evaluator, &good_request(16));
                assert_same_failure(&what, &evaluator, &[4, 0, 1, 1], &[4, 2, 1, 1]);
            })
        });
        if outcome.is_err() {
            failures.push(name);
        }
    }
    assert!(
        failures.is_empty(),
        "errors that depend on the answers: {failures:?}"
    );
}

/// At compile time there are no answers: `aspekt check` and a definition's
/// own examples describe the failure in full (where, what, which input).
#[test]
fn rule_failures_are_described_where_there_are_no_answers() {
    let rule = "if scores.a == 16.0 {\n  let m = #{};\n  m[`k${scores.a}`] = \"x\";\n  top(m, 1, \"id\");\n}\n\"fine\"";
    let example = "\n[[example]]\nname = \"fires\"\nanswers = { q1 = 4, q2 = 4, q3 = 4, q4 = 4 }\nexpect = { hostile = \"fine\" }\n";
    let text = [large_result(rule), example.to_string()].concat();
    let evaluator = aspekt::compile_with(&Source::new("described.toml", text), &Options::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let outcomes = evaluator.run_examples(None);
    let failure = outcomes[0].failures.join("\n");
    assert!(failure.contains("result `hostile`"), "{failure}");
    assert!(failure.contains("is not a number"), "{failure}");
    assert!(failure.contains("line 4"), "{failure}");
    // The small definition is enumerated: `aspekt check` names the input.
    let diags = check(small_result(rule), "described.toml", &Options::default());
    assert_diagnostic(
        "check",
        &diags,
        "rule_failed",
        &["result `hostile`", "a = 16", "is not a number"],
    );
}
