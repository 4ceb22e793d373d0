//! A Rust host embedding aspekt.
//!
//! - compile a definition once (from the built-in library, and one written
//!   inline), then evaluate many requests with it;
//! - share the `Evaluator` across threads (it is `Send + Sync`, and cloning it
//!   only clones an `Arc`);
//! - print the participant's report as text and the counsellor's as JSON;
//! - handle errors by printing them: their `Display` says what is wrong,
//!   where, and how to fix it.
//!
//! Run with `cargo run -p aspekt-example-embed`. Copy freely: there is no
//! `unwrap` here, every error is handled.

use std::process::ExitCode;
use std::thread;

use aspekt::{Answers, ErrorEnvelope, Evaluator, Request, Source, Status};

/// A small definition written inline. In a real host it would come from a
/// file or a database; the name passed to `Source::new` is what diagnostics
/// point at (`name:line:col`).
const CHECK_IN: &str = r#"
# A made-up three-item check-in, to show compiling a definition from text.
[questionnaire]
id = "check-in"
version = "1.0.0"
locales = ["en", "de"]
title = { en = "Check-in", de = "Kurzer Check-in" }
description = { en = "Three statements about this week.", de = "Drei Aussagen zu dieser Woche." }
privacy_notice = "2026-11"

[questionnaire.source]
citation = "Example definition of the aspekt project; not an instrument."
licence = "Apache-2.0 OR MIT"

[[scale]]
id = "agree"
options = [
  { code = 1, label = { en = "Disagree", de = "Stimme nicht zu" } },
  { code = 2, label = { en = "Partly", de = "Teils, teils" } },
  { code = 3, label = { en = "Agree", de = "Stimme zu" } },
]

[[item]]
id = "q1"
scale = "agree"
text = { en = "This week I had time for what matters to me.", de = "Diese Woche hatte ich Zeit für das, was mir wichtig ist." }

[[item]]
id = "q2"
scale = "agree"
text = { en = "This week I felt rushed.", de = "Diese Woche habe ich mich gehetzt gefühlt." }
reverse = true

[[item]]
id = "q3"
scale = "agree"
text = { en = "This week I could rest.", de = "Diese Woche konnte ich mich erholen." }

[[score]]
id = "balance"
items = ["q1", "q2", "q3"]
aggregate = "sum"

[[result]]
id = "balance"
title = { en = "Balance this week", de = "Ausgleich in dieser Woche" }
score = "balance"
audiences = ["participant", "counsellor"]

[[result.band]]
id = "low"
min = 3
max = 4
label = { en = "Little balance", de = "Wenig Ausgleich" }
explanation = { en = "There was little room to breathe this week. What took up the most time?", de = "Diese Woche blieb wenig Luft. Was hat die meiste Zeit gekostet?" }

[[result.band]]
id = "some"
min = 5
max = 7
label = { en = "Some balance", de = "Etwas Ausgleich" }
explanation = { en = "This week had both: time for yourself and pressure. What helped?", de = "Diese Woche hatte beides: Zeit für sich und Druck. Was hat geholfen?" }

[[result.band]]
id = "good"
min = 8
max = 9
label = { en = "Good balance", de = "Guter Ausgleich" }
explanation = { en = "This week left room for what matters to you. What made that possible?", de = "Diese Woche ließ Raum für das, was Ihnen wichtig ist. Was hat das möglich gemacht?" }
"#;

fn main() -> ExitCode {
    // Compile once, at start-up. A library instrument …
    let who5 = match aspekt::library::load("who5") {
        Ok(evaluator) => evaluator,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    // … and a definition from text. A `CompileError` prints every diagnostic
    // with its file:line:col and help.
    let check_in = match aspekt::compile(&Source::new("inline:check-in.toml", CHECK_IN)) {
        Ok(evaluator) => evaluator,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "compiled {} {} ({}) and {} {} ({})\n",
        who5.id(),
        who5.version(),
        who5.digest(),
        check_in.id(),
        check_in.version(),
        check_in.digest()
    );

    // Evaluate many: four threads share the compiled evaluator.
    if let Err(message) = evaluate_in_threads(&who5, 4, 250) {
        eprintln!("{message}");
        return ExitCode::FAILURE;
    }

    // One person: the same answers give the participant and the counsellor
    // the same results and explanations.
    let notice = who5.privacy_notice().unwrap_or_default().to_string();
    let mut answers = Answers::new();
    for (item, code) in [("q1", 3), ("q2", 4), ("q3", 2), ("q4", 3), ("q5", 4)] {
        answers.insert(item, code);
    }
    let request = Request::new(answers)
        .with_consent(notice.as_str())
        .with_locale("en");
    match who5.evaluate(&request) {
        Ok(report) => {
            println!("--- participant (text) ---\n{}", who5.render_text(&report));
        }
        Err(e) => eprintln!("{e}"),
    }
    let counsellor = request.with_audience("counsellor");
    match who5.evaluate(&counsellor) {
        Ok(report) => println!("--- counsellor (JSON) ---\n{}\n", report.to_json_pretty()),
        Err(e) => eprintln!("{e}"),
    }

    // The inline definition, evaluated from a JSON request (what the CLI,
    // Python and WASM hosts send), in German.
    let json = r#"{"answers": {"q1": 3, "q2": 2, "q3": null}, "consent": {"notice": "2026-11"}, "locale": "de"}"#;
    match check_in.evaluate_json(json) {
        Ok(report) => println!("--- check-in (JSON request, JSON report) ---\n{report}\n"),
        Err(e) => eprintln!("{e}"),
    }
    // q3 was null, and the score needs every item: the result is reported as
    // `insufficient`, never guessed.

    // Errors. A request error names the item or JSON path and never repeats
    // an answer code, so it is safe to log.
    println!("--- errors ---");
    let unknown_item = r#"{"answers": {"q1": 3, "q6": 4}, "consent": {"notice": "2026-11"}}"#;
    match who5.evaluate_json(unknown_item) {
        Ok(report) => println!("unexpectedly evaluated: {report}"),
        Err(e) => {
            println!("{e}\n");
            // The same error as the JSON envelope every binding shares.
            println!("{}\n", ErrorEnvelope::from(&e).to_json());
        }
    }
    // Without consent to the current privacy notice nothing is evaluated.
    let mut answers = Answers::new();
    answers.insert("q1", 3);
    match who5.evaluate(&Request::new(answers)) {
        Ok(report) => println!("unexpectedly evaluated: {}", report.to_json()),
        Err(e) => println!("{e}"),
    }
    ExitCode::SUCCESS
}

/// Evaluates `per_thread` requests on each of `threads` threads, all sharing
/// one compiled evaluator, and prints how often each band came out.
fn evaluate_in_threads(
    evaluator: &Evaluator,
    threads: usize,
    per_thread: usize,
) -> Result<(), String> {
    let notice = evaluator.privacy_notice().unwrap_or_default();
    thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                // A clone is an `Arc` clone; sharing `&Evaluator` works too.
                let evaluator = evaluator.clone();
                scope.spawn(move || {
                    let mut counts = [0usize; 5]; // low, reduced, good, insufficient, declined
                    for n in 0..per_thread {
                        let mut answers = Answers::new();
                        for (i, item) in ["q1", "q2", "q3", "q4", "q5"].into_iter().enumerate() {
                            // Deterministic stand-in answers (codes 0–5); a few
                            // left unanswered.
                            let code = ((n * 7 + i * 3 + t * 5) % 6) as i64;
                            if (n + i) % 97 != 0 {
                                answers.insert(item, code);
                            }
                        }
                        let request = Request::new(answers).with_consent(notice);
                        let report = evaluator
                            .evaluate(&request)
                            .map_err(|e| format!("thread {t}: {e}"))?;
                        for result in &report.results {
                            let slot = match (result.status, result.band.as_ref()) {
                                (Status::Ok, Some(band)) => band.index.min(2),
                                (Status::Insufficient, _) | (Status::Ok, None) => 3,
                                (Status::Declined, _) => 4,
                            };
                            if let Some(count) = counts.get_mut(slot) {
                                *count += 1;
                            }
                        }
                    }
                    Ok::<_, String>(counts)
                })
            })
            .collect();
        for (t, handle) in handles.into_iter().enumerate() {
            match handle.join() {
                Ok(Ok([low, reduced, good, insufficient, declined])) => println!(
                    "thread {t}: {per_thread} reports: low {low}, reduced {reduced}, good {good}, insufficient {insufficient}, declined {declined}"
                ),
                Ok(Err(message)) => return Err(message),
                Err(_) => return Err(format!("thread {t} panicked")),
            }
        }
        println!();
        Ok(())
    })
}
