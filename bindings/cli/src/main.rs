//! `aspekt`: check, evaluate and test questionnaire definitions.
//!
//! A thin translation layer: every decision is the engine's. This file reads
//! files and arguments, calls `aspekt`, and prints what it returns.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod batch;

use aspekt::{Evaluator, Request, SchemaKind, Severity, Source};
use clap::{Parser, Subcommand, ValueEnum};
use zeroize::Zeroizing;

mod take;

#[derive(Parser)]
#[command(
    name = "aspekt",
    version,
    about = "Score counselling questionnaires; release only results, never answers",
    long_about = None
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Format {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Check definitions: files, or folders searched for definition.toml.
    Check {
        /// Definition files or folders.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Evaluate a request and print the report.
    Evaluate {
        /// A definition file, or the id of a built-in library instrument.
        definition: String,
        /// The request JSON (file, or - for standard input).
        #[arg(long)]
        answers: String,
        /// Locale of the report (overrides the request).
        #[arg(long)]
        locale: Option<String>,
        /// Audience of the report (overrides the request); default participant.
        #[arg(long)]
        audience: Option<String>,
        /// Privacy-notice version the person consented to (overrides the request).
        #[arg(long)]
        consent: Option<String>,
        /// Output format: the JSON report, or the text a participant reads.
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
    /// Run the examples of definitions (default: the built-in library).
    Test {
        /// Definition files or folders.
        paths: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Print a JSON Schema.
    Schema {
        /// definition, request, report or error.
        #[arg(value_parser = ["definition", "request", "report", "error", "form", "transparency", "disclosure", "compile"])]
        kind: String,
    },
    /// Score a file of response sets (CSV, JSON Lines or Parquet) into a file
    /// of statuses and bands, for research on data collected with consent.
    Batch {
        /// A definition file, or the id of a built-in library instrument.
        definition: String,
        /// Input: .csv, .jsonl or .parquet, one row per respondent.
        #[arg(long)]
        input: PathBuf,
        /// Output: .csv, .jsonl or .parquet.
        #[arg(long)]
        output: PathBuf,
        /// The privacy-notice version the respondents consented to.
        #[arg(long)]
        consent: Option<String>,
        /// Whose results to compute.
        #[arg(long, default_value = "participant")]
        audience: String,
        /// A row that cannot be evaluated: stop (`fail`) or write it with status `error` (`skip`).
        #[arg(long, value_enum, default_value_t = batch::OnError::Fail)]
        on_error: batch::OnError,
        /// Worker threads (0 = one per core).
        #[arg(long, default_value_t = 0)]
        threads: usize,
    },
    /// List the built-in instrument library.
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Instead of the listing, write the whole library as one JSON
        /// document (listing, profile, every instrument's texts): the
        /// `library.json` that hosts of the WebAssembly module load.
        #[arg(long, conflicts_with = "format")]
        bundle: bool,
    },
    /// Answer questionnaires and read your own report (default: a
    /// counselling profile over the built-in library).
    ///
    /// In a terminal: shows the privacy notice and who sees which result,
    /// asks for consent, then asks topic by topic (s skips a topic, q quits
    /// without evaluating anything). With --answers, or when standard input
    /// is not a terminal, reads one JSON object instead:
    /// {"consent": {"notice": "2026-11"}, "locale": "de", "instruments":
    /// {"who5": {"answers": {"q1": 3, …}, "declined": []}}}.
    Take {
        /// Definition files or library ids (default: the counselling profile of definitions/PROFILE.md).
        definitions: Vec<String>,
        /// Locale (default: the first definition's default locale).
        #[arg(long)]
        locale: Option<String>,
        /// Answers as JSON (file, or - for standard input) instead of asking.
        #[arg(long)]
        answers: Option<String>,
        /// Output format of the reports.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Print the transparency statement: who sees the answers (nobody) and
    /// who sees which result, before anyone answers.
    Transparency {
        /// A definition file, or the id of a built-in library instrument.
        definition: String,
        /// Locale (default: the definition's default locale).
        #[arg(long)]
        locale: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Print the form as JSON: texts, topics, items and options in order.
    Form {
        /// A definition file, or the id of a built-in library instrument.
        definition: String,
        /// Locale (default: the definition's default locale).
        #[arg(long)]
        locale: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check { paths, format } => check(&paths, format),
        Command::Evaluate {
            definition,
            answers,
            locale,
            audience,
            consent,
            format,
        } => evaluate(&definition, &answers, locale, audience, consent, format),
        Command::Test { paths, format } => test(&paths, format),
        Command::Schema { kind } => {
            match SchemaKind::from_name(&kind) {
                Some(k) => print!("{}", aspekt::json_schema(k)),
                None => eprintln!("unknown schema `{kind}`"),
            }
            Ok(true)
        }
        Command::List { bundle: true, .. } => serde_json::to_string(&aspekt::api::library_bundle())
            .map(|json| {
                println!("{json}");
                true
            })
            .map_err(|e| format!("cannot write the library bundle: {e}")),
        Command::List { format, .. } => list(format),
        Command::Batch {
            definition,
            input,
            output,
            consent,
            audience,
            on_error,
            threads,
        } => match load(&definition) {
            Ok((evaluator, _)) => batch::run(
                &evaluator,
                &batch::Args {
                    input,
                    output,
                    consent,
                    audience,
                    on_error,
                    threads,
                },
            ),
            Err(Loaded::Invalid(rendered)) => {
                eprint!("{rendered}");
                Ok(false)
            }
            Err(Loaded::Missing(message)) => Err(message),
        },
        Command::Take {
            definitions,
            locale,
            answers,
            format,
        } => take(&definitions, locale, answers, format),
        Command::Transparency {
            definition,
            locale,
            format,
        } => transparency(&definition, locale.as_deref(), format),
        Command::Form { definition, locale } => form(&definition, locale.as_deref()),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(message) => {
            eprintln!("{message}");
            ExitCode::from(2)
        }
    }
}

fn color() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// Definition files named by the paths: files as given, folders searched
/// recursively for `definition.toml`, sorted.
fn collect(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
        let entries = std::fs::read_dir(dir)
            .map_err(|e| format!("error: cannot read folder {}: {e}", dir.display()))?;
        for entry in entries.flatten() {
            let p = entry.path();
            if p.is_dir() {
                walk(&p, out)?;
            } else if p
                .file_name()
                .is_some_and(|n| n == "definition.toml" || n == "definition.rhai")
            {
                out.push(p);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let before = out.len();
            walk(p, &mut out)?;
            if out.len() == before {
                return Err(format!(
                    "error: no definition.toml below {}\n  help: name a definition file, or a folder holding <id>/definition.toml",
                    p.display()
                ));
            }
        } else if p.is_file() {
            out.push(p.clone());
        } else {
            return Err(format!("error: {} does not exist", p.display()));
        }
    }
    out.sort();
    Ok(out)
}

fn read_source(path: &Path) -> Result<Source, String> {
    std::fs::read_to_string(path)
        .map(|text| Source::new(path.display().to_string(), text))
        .map_err(|e| format!("error: cannot read {}: {e}", path.display()))
}

/// Compile options for a definition file: the `.rhai` files beside it are the
/// rule files it may name (the engine reads no files itself).
fn options_for(path: &Path) -> aspekt::Options {
    let mut options = aspekt::Options::default();
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let p = entry.path();
            if p.extension().is_some_and(|e| e == "rhai")
                && p != path
                && let (Some(name), Ok(text)) = (p.file_name(), std::fs::read_to_string(&p))
            {
                options
                    .files
                    .insert(name.to_string_lossy().into_owned(), text);
            }
        }
    }
    options
}

fn check(paths: &[PathBuf], format: Format) -> Result<bool, String> {
    let files = collect(paths)?;
    let mut all = Vec::new();
    let mut clean = true;
    for f in &files {
        let source = read_source(f)?;
        let (diags, rendered, evaluator) = match aspekt::compile_with(&source, &options_for(f)) {
            Ok(e) => (
                e.warnings().to_vec(),
                aspekt::render_pretty(&source, e.warnings(), color()),
                Some(e),
            ),
            Err(e) => (e.diagnostics().to_vec(), e.render(color()), None),
        };
        clean &= !diags.iter().any(|d| d.severity == Severity::Error);
        match format {
            Format::Text => {
                if diags.is_empty() {
                    println!("ok    {}", source.name());
                    if let Some(e) = &evaluator {
                        print!("{}", disclosure_table(e));
                    }
                } else {
                    eprint!("{rendered}");
                    let errors = diags
                        .iter()
                        .filter(|d| d.severity == Severity::Error)
                        .count();
                    let status = if errors > 0 { "FAIL " } else { "ok   " };
                    println!(
                        "{status} {} ({errors} error(s), {} warning(s))",
                        source.name(),
                        diags.len() - errors
                    );
                }
            }
            Format::Json => all.push(serde_json::json!({
                "file": source.name(),
                "mode": evaluator.as_ref().map(|e| e.mode()),
                "diagnostics": diags,
                "disclosure": evaluator.as_ref().map(|e| e.disclosure()),
            })),
        }
    }
    if format == Format::Json {
        println!("{}", serde_json::to_string_pretty(&all).unwrap_or_default());
    }
    Ok(clean)
}

/// The disclosure analysis as an indented table: per audience and result,
/// how it was established, and per outcome the minimum ambiguity.
fn disclosure_table(e: &Evaluator) -> String {
    let mode = match e.mode() {
        aspekt::model::Mode::Questionnaire => "questionnaire (answers private; disclosure checked)",
        aspekt::model::Mode::Interview => {
            "interview (selections made together with the counsellor)"
        }
    };
    let mut out = format!("      mode: {mode}\n");
    for f in &e.disclosure().results {
        let method = serde_json::to_value(f.method)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let joint = if f.jointly_with.is_empty() {
            String::new()
        } else if f.method == aspekt::Method::Derived {
            format!(" from {}", f.jointly_with.join(", "))
        } else {
            format!(", jointly with {}", f.jointly_with.join(", "))
        };
        out.push_str(&format!(
            "      {} › {} (k = {}, {method}{joint})\n",
            f.audience, f.result, f.k
        ));
        for o in &f.outcomes {
            let amb = match (o.min_ambiguity, &o.worst_item) {
                (Some(m), Some(i)) => format!("every item among ≥ {m} codes (tightest: {i})"),
                (Some(m), None) => format!("every item among ≥ {m} codes"),
                (None, _) if f.method == aspekt::Method::Waived => {
                    "not analysed (waived)".to_string()
                }
                (None, _) => "reveals no code".to_string(),
            };
            out.push_str(&format!("        {:<14} {amb}\n", o.outcome));
        }
        if let Some(w) = &f.waiver {
            out.push_str(&format!("        waiver: {w}\n"));
        }
    }
    out
}

/// Why a definition could not be loaded.
enum Loaded {
    /// No such file or library id (or unreadable): a usage error.
    Missing(String),
    /// It does not compile: the rendered diagnostics.
    Invalid(String),
}

impl From<String> for Loaded {
    fn from(message: String) -> Self {
        Loaded::Missing(message)
    }
}

/// A definition by path or library id.
fn load(definition: &str) -> Result<(Evaluator, Source), Loaded> {
    let path = Path::new(definition);
    let file = if path.is_dir() {
        ["definition.toml", "definition.rhai"]
            .iter()
            .map(|n| path.join(n))
            .find(|p| p.is_file())
    } else {
        path.is_file().then(|| path.to_path_buf())
    };
    let (source, options) = if let Some(file) = file {
        (read_source(&file)?, options_for(&file))
    } else if let Some(entry) = aspekt::library::get(definition) {
        (entry.source(), entry.options())
    } else {
        let known: Vec<&str> = aspekt::library::entries().map(|e| e.id).collect();
        return Err(Loaded::Missing(format!(
            "error[unknown_definition]: `{definition}` is neither a file nor a library instrument\n  help: give a path to a definition.toml, or one of: {}",
            known.join(", ")
        )));
    };
    match aspekt::compile_with(&source, &options) {
        Ok(e) => Ok((e, source)),
        Err(e) => Err(Loaded::Invalid(e.render(color()))),
    }
}

fn evaluate(
    definition: &str,
    answers: &str,
    locale: Option<String>,
    audience: Option<String>,
    consent: Option<String>,
    format: Format,
) -> Result<bool, String> {
    let (evaluator, _) = match load(definition) {
        Ok(x) => x,
        // A definition that does not compile is a failed evaluation (exit
        // 1), like a bad request; a missing one is a usage error (exit 2).
        Err(Loaded::Invalid(rendered)) => {
            eprint!("{rendered}");
            return Ok(false);
        }
        Err(Loaded::Missing(message)) => return Err(message),
    };
    let bytes =
        read_input(answers).map_err(|e| format!("error: cannot read request {answers}: {e}"))?;
    let report = aspekt::api::text_of(&bytes)
        .and_then(Request::from_json)
        .and_then(|mut request| {
            if locale.is_some() {
                request.locale = locale;
            }
            if audience.is_some() {
                request.audience = audience;
            }
            if let Some(notice) = consent {
                request = request.with_consent(notice);
            }
            evaluator.evaluate(&request)
        });
    match report {
        Ok(report) => {
            let out = match format {
                Format::Json => format!("{}\n", report.to_json_pretty()),
                Format::Text => evaluator.render_text(&report),
            };
            let _ = std::io::stdout().write_all(out.as_bytes());
            Ok(true)
        }
        Err(e) => {
            print_error(&e, format);
            Ok(false)
        }
    }
}

/// The bytes of a request file, or of standard input for `-`. Not read as
/// text here: input that is not UTF-8 is a request error (exit 1, the
/// envelope), not a failure to read (exit 2).
fn read_input(path: &str) -> std::io::Result<Zeroizing<Vec<u8>>> {
    // The bytes hold answers: zeroized when dropped.
    let mut bytes = Zeroizing::new(Vec::new());
    if path == "-" {
        std::io::stdin().read_to_end(&mut bytes)?;
    } else {
        std::fs::File::open(path)?.read_to_end(&mut bytes)?;
    }
    Ok(bytes)
}

fn test(paths: &[PathBuf], format: Format) -> Result<bool, String> {
    let sources: Vec<(Source, aspekt::Options)> = if paths.is_empty() {
        aspekt::library::entries()
            .map(|e| (e.source(), e.options()))
            .collect()
    } else {
        collect(paths)?
            .iter()
            .map(|p| read_source(p).map(|s| (s, options_for(p))))
            .collect::<Result<_, _>>()?
    };
    let mut passed = 0;
    let mut failed = 0;
    let mut report = Vec::new();
    for (source, options) in &sources {
        let evaluator = match aspekt::compile_with(source, options) {
            Ok(e) => e,
            Err(e) => {
                failed += 1;
                eprint!("{}", e.render(color()));
                println!("FAIL  {} (does not compile)", source.name());
                continue;
            }
        };
        let outcomes = evaluator.run_examples(Some(source));
        if outcomes.is_empty() {
            failed += 1;
            println!("FAIL  {} has no [[example]]", source.name());
            continue;
        }
        for o in &outcomes {
            let at = o
                .location
                .map(|lc| format!("{}:{}:{}", source.name(), lc.line, lc.column))
                .unwrap_or_else(|| source.name().to_string());
            if o.passed() {
                passed += 1;
                if format == Format::Text {
                    println!("ok    {} › {}", evaluator.id(), o.name);
                }
            } else {
                failed += 1;
                if format == Format::Text {
                    println!("FAIL  {} › {} ({at})", evaluator.id(), o.name);
                    for f in &o.failures {
                        println!("        {f}");
                    }
                }
            }
        }
        report.push(serde_json::json!({"definition": source.name(), "examples": outcomes}));
    }
    match format {
        Format::Text => println!("\nexamples: {passed} passed, {failed} failed"),
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({"passed": passed, "failed": failed, "definitions": report})
            )
            .unwrap_or_default()
        ),
    }
    Ok(failed == 0)
}

fn list(format: Format) -> Result<bool, String> {
    let rows = aspekt::api::library();
    if format == Format::Json {
        println!(
            "{}",
            serde_json::to_string_pretty(&rows).unwrap_or_default()
        );
        return Ok(true);
    }
    let commercial = |c: Option<bool>| match c {
        Some(true) => "yes",
        Some(false) => "no",
        None => "unclear",
    };
    let mode = |m: aspekt::model::Mode| match m {
        aspekt::model::Mode::Questionnaire => "questionnaire",
        aspekt::model::Mode::Interview => "interview",
    };
    // Licences can be long; the table shows their first words.
    let licence = |l: &str| -> String {
        let short: String = l.chars().take(28).collect();
        if short.len() < l.len() {
            format!("{short}…")
        } else {
            short
        }
    };
    let id_w = rows.iter().map(|r| r.id.len()).max().unwrap_or(2).max(2);
    let lic_w = rows
        .iter()
        .map(|r| licence(&r.licence).chars().count())
        .max()
        .unwrap_or(7)
        .max(7);
    println!(
        "{:<id_w$}  {:>5}  {:>4}  {:<13}  {:<lic_w$}  {:<10}  title",
        "id", "items", "min", "mode", "licence", "commercial"
    );
    for r in &rows {
        println!(
            "{:<id_w$}  {:>5}  {:>4}  {:<13}  {:<lic_w$}  {:<10}  {}",
            r.id,
            r.items,
            r.minutes.map_or_else(|| "–".to_string(), |m| m.to_string()),
            mode(r.mode),
            licence(&r.licence),
            commercial(r.commercial_use),
            r.title
        );
    }
    Ok(true)
}

/// Loads a definition for a command that does not evaluate: a definition
/// that does not compile is a failure (exit 1), a missing one a usage error.
fn load_or_report(definition: &str) -> Result<Result<Evaluator, ()>, String> {
    match load(definition) {
        Ok((e, _)) => Ok(Ok(e)),
        Err(Loaded::Invalid(rendered)) => {
            eprint!("{rendered}");
            Ok(Err(()))
        }
        Err(Loaded::Missing(message)) => Err(message),
    }
}

/// Prints a request error: the JSON envelope on stdout, or the message on stderr.
fn print_error(e: &aspekt::RequestError, format: Format) {
    match format {
        Format::Json => println!("{}", aspekt::ErrorEnvelope::from(e).to_json()),
        Format::Text => eprintln!("{e}"),
    }
}

fn transparency(definition: &str, locale: Option<&str>, format: Format) -> Result<bool, String> {
    let Ok(evaluator) = load_or_report(definition)? else {
        return Ok(false);
    };
    match evaluator.transparency(locale) {
        Ok(t) => {
            let out = match format {
                Format::Text => t.text,
                Format::Json => {
                    format!("{}\n", serde_json::to_string_pretty(&t).unwrap_or_default())
                }
            };
            let _ = std::io::stdout().write_all(out.as_bytes());
            Ok(true)
        }
        Err(e) => {
            print_error(&e, format);
            Ok(false)
        }
    }
}

fn form(definition: &str, locale: Option<&str>) -> Result<bool, String> {
    let Ok(evaluator) = load_or_report(definition)? else {
        return Ok(false);
    };
    match evaluator.form(locale) {
        Ok(f) => {
            println!("{}", serde_json::to_string_pretty(&f).unwrap_or_default());
            Ok(true)
        }
        Err(e) => {
            print_error(&e, Format::Json);
            Ok(false)
        }
    }
}

fn take(
    definitions: &[String],
    locale: Option<String>,
    answers: Option<String>,
    format: Format,
) -> Result<bool, String> {
    let names: Vec<String> = if definitions.is_empty() {
        take::default_profile()
            .iter()
            .map(|s| s.to_string())
            .collect()
    } else {
        definitions.to_vec()
    };
    let mut evaluators = Vec::new();
    for name in &names {
        let Ok(e) = load_or_report(name)? else {
            return Ok(false);
        };
        evaluators.push(e);
    }
    let interactive = answers.is_none() && std::io::stdin().is_terminal();
    if !interactive {
        return take_piped(
            &evaluators,
            locale,
            answers.as_deref().unwrap_or("-"),
            format,
        );
    }
    let locale = locale
        .or_else(|| {
            evaluators
                .first()
                .and_then(|e| e.locales().first().cloned())
        })
        .unwrap_or_default();
    let mut instruments = Vec::new();
    for e in evaluators {
        match take::Instrument::new(e, &locale) {
            Ok(i) => instruments.push(i),
            Err(e) => {
                print_error(&e, format);
                return Ok(false);
            }
        }
    }
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let ending = take::dialog(&mut input, &mut out, &instruments, &locale)
        .map_err(|e| format!("error: {e}"))?;
    let take::Ending::Done(given) = ending else {
        // Refused or quit: nothing was evaluated.
        return Ok(true);
    };
    match take::evaluate(&instruments, given, &locale) {
        Ok(reports) => {
            let text = match format {
                Format::Text => format!(
                    "\n{}\n{}{}",
                    take::results_heading(&locale),
                    take::reports_text(instruments.iter().map(|i| &i.evaluator), &reports),
                    take::closing(&instruments, &locale)
                ),
                Format::Json => {
                    take::reports_json(instruments.iter().map(|i| &i.evaluator), &reports)
                }
            };
            let _ = out.write_all(text.as_bytes());
            Ok(true)
        }
        Err(e) => {
            print_error(&e, format);
            Ok(false)
        }
    }
}

/// `take` without a dialog: the answers come as one JSON object.
fn take_piped(
    evaluators: &[Evaluator],
    locale: Option<String>,
    answers: &str,
    format: Format,
) -> Result<bool, String> {
    // The bytes held answers: zeroized when dropped.
    let bytes =
        read_input(answers).map_err(|e| format!("error: cannot read answers {answers}: {e}"))?;
    let parsed = aspekt::api::text_of(&bytes).and_then(take::Piped::parse);
    drop(bytes);
    let reports = parsed
        .and_then(|p| p.requests(evaluators, locale))
        .and_then(|requests| take::evaluate_piped(evaluators, &requests));
    match reports {
        Ok(reports) => {
            let out = match format {
                Format::Text => take::reports_text(evaluators, &reports),
                Format::Json => take::reports_json(evaluators, &reports),
            };
            let _ = std::io::stdout().write_all(out.as_bytes());
            Ok(true)
        }
        Err(e) => {
            print_error(&e, format);
            Ok(false)
        }
    }
}
