//! `aspekt take`: the participant flow.
//!
//! Shows the privacy notice and the transparency statement, asks for
//! consent, walks through the topics (each can be declined with one key) and
//! prints the participant's report. Answers are held only in
//! [`aspekt::Answers`] (redacted `Debug`, zeroized on drop): nothing is
//! logged or written to a file, and input lines are wiped once read.
//!
//! Non-interactive use (`--answers FILE|-`, or standard input that is not a
//! terminal) reads one JSON object instead of asking; see [`Piped`].

use std::collections::BTreeMap;
use std::io::{self, BufRead, Write};

use aspekt::{Answers, Consent, ErrorCode, Evaluator, Form, Request, RequestError, Transparency};
use serde::Deserialize;

/// The counselling profile `aspekt take` runs when no definition is named:
/// built-in library instruments, each its own group of topics, in this order.
pub(crate) fn default_profile() -> &'static [&'static str] {
    aspekt::library::profile()
}

/// One instrument of the flow, prepared in the chosen locale.
pub(crate) struct Instrument {
    pub(crate) evaluator: Evaluator,
    pub(crate) form: Form,
    pub(crate) statement: Transparency,
}

impl Instrument {
    /// Prepares an instrument in `locale`; errors if it lacks the locale.
    pub(crate) fn new(evaluator: Evaluator, locale: &str) -> Result<Self, RequestError> {
        let form = evaluator.form(Some(locale))?;
        let statement = evaluator.transparency(Some(locale))?;
        Ok(Self {
            evaluator,
            form,
            statement,
        })
    }

    fn item_count(&self) -> usize {
        self.form.topics.iter().map(|t| t.items.len()).sum()
    }
}

/// What one person gave for one instrument.
#[derive(Default)]
pub(crate) struct Given {
    pub(crate) answers: Answers,
    pub(crate) declined: Vec<String>,
}

/// How the dialog ended.
pub(crate) enum Ending {
    /// The person did not consent: nothing was asked, nothing is evaluated.
    Refused,
    /// The person quit (or input ended): nothing is evaluated.
    Quit,
    /// Everything was walked through: one entry per instrument.
    Done(Vec<Given>),
}

/// The CLI's own wording.
pub(crate) struct Ui {
    profile_title: &'static str,
    intro_one: &'static str,
    intro_many: &'static str,
    intro_many_minutes: &'static str,
    items: &'static str,
    minutes: &'static str,
    notice_heading: &'static str,
    notice_2026_11: &'static str,
    notice_unknown: &'static str,
    consent_prompt: &'static str,
    consent_retry: &'static str,
    yes: &'static [&'static str],
    no: &'static [&'static str],
    refused: &'static str,
    part: &'static str,
    of: &'static str,
    topic: &'static str,
    keys: &'static str,
    question: &'static str,
    choice: &'static str,
    invalid: &'static str,
    left_out: &'static str,
    topic_declined: &'static str,
    quit: &'static str,
    results_heading: &'static str,
    finished: &'static str,
}

const DE: Ui = Ui {
    profile_title: "aspekt – Fragebögen für Ihre Beratung",
    intro_one: "Sie beantworten gleich einen kurzen Fragebogen:",
    intro_many: "Sie beantworten gleich {n} kurze Fragebögen:",
    intro_many_minutes: "Sie beantworten gleich {n} kurze Fragebögen (zusammen etwa {m} Minuten):",
    items: "Fragen",
    minutes: "etwa {m} Minuten",
    notice_heading: "Datenschutzhinweis (Version {v})",
    notice_2026_11: "Was verarbeitet wird: Ihre Antworten auf die folgenden Fragen. Daraus bildet das Programm Ihre Ergebnisse.\n\n\
Wo: nur hier, auf diesem Gerät, in diesem Programm. Ihre Antworten werden nicht gespeichert, nicht gesendet und nicht protokolliert. Wenn das Programm endet, sind sie gelöscht.\n\n\
Wer was sieht: Das Programm zeigt Ihre Ergebnisse hier auf dem Bildschirm und sendet nichts. Wer ein Ergebnis sehen darf, steht unten unter „Wer sieht was?“.\n\n\
Ihre Einwilligung ist freiwillig. Sie können sie jederzeit zurückziehen: Geben Sie q ein. Dann wird nichts ausgewertet.",
    notice_unknown: "Den Text dieses Datenschutzhinweises erhalten Sie von Ihrer Beratungsstelle. Bitte lesen Sie ihn, bevor Sie zustimmen. Sie können jederzeit mit q aufhören; dann wird nichts ausgewertet.",
    consent_prompt: "Sind Sie damit einverstanden? [j/n] ",
    consent_retry: "Bitte j (ja) oder n (nein) eingeben.",
    yes: &["j", "ja", "y", "yes"],
    no: &["n", "nein", "no", "q"],
    refused: "Sie haben nicht zugestimmt. Es wurde nichts gefragt und nichts ausgewertet.",
    part: "Teil",
    of: "von",
    topic: "Thema",
    keys: "s = Thema überspringen · q = abbrechen · Enter = Frage auslassen",
    question: "Frage",
    choice: "Ihre Wahl",
    invalid: "Bitte eine Zahl von 1 bis {n} eingeben – oder s, q oder Enter.",
    left_out: "(ausgelassen)",
    topic_declined: "Thema übersprungen. Es wird nicht ausgewertet.",
    quit: "Abgebrochen. Es wurde nichts ausgewertet, und Ihre Antworten sind gelöscht.",
    results_heading: "Ihre Ergebnisse",
    finished: "Ihre Antworten sind jetzt gelöscht. Gespeichert oder gesendet wurde nichts.",
};

const EN: Ui = Ui {
    profile_title: "aspekt – questionnaires for your counselling",
    intro_one: "You are about to answer a short questionnaire:",
    intro_many: "You are about to answer {n} short questionnaires:",
    intro_many_minutes: "You are about to answer {n} short questionnaires (about {m} minutes in all):",
    items: "questions",
    minutes: "about {m} minutes",
    notice_heading: "Privacy notice (version {v})",
    notice_2026_11: "What is processed: your answers to the following questions. From them, this program forms your results.\n\n\
Where: only here, on this device, in this program. Your answers are not stored, not sent and not logged. When the program ends, they are gone.\n\n\
Who sees what: this program shows your results here on the screen and sends nothing. Who may see a result is listed below under \"Who sees what?\".\n\n\
Your consent is voluntary. You can withdraw it at any time: type q. Then nothing is evaluated.",
    notice_unknown: "Your counselling service gives you the text of this privacy notice. Please read it before you agree. You can stop at any time with q; then nothing is evaluated.",
    consent_prompt: "Do you agree? [y/n] ",
    consent_retry: "Please type y (yes) or n (no).",
    yes: &["y", "yes"],
    no: &["n", "no", "q"],
    refused: "You did not agree. Nothing was asked and nothing was evaluated.",
    part: "Part",
    of: "of",
    topic: "Topic",
    keys: "s = skip this topic · q = quit · Enter = leave this question out",
    question: "Question",
    choice: "Your choice",
    invalid: "Please type a number from 1 to {n} – or s, q or Enter.",
    left_out: "(left out)",
    topic_declined: "Topic skipped. It will not be scored.",
    quit: "Stopped. Nothing was evaluated, and your answers are gone.",
    results_heading: "Your results",
    finished: "Your answers are now gone. Nothing was stored or sent.",
};

/// The wording for a locale (German for `de`, English otherwise).
pub(crate) fn ui(locale: &str) -> &'static Ui {
    if locale == "de" || locale.starts_with("de-") {
        &DE
    } else {
        &EN
    }
}

const WIDTH: usize = 76;

/// Greedy word wrap of each paragraph with an indent.
fn wrap(text: &str, indent: &str) -> String {
    let mut out = String::new();
    for para in text.split('\n') {
        let mut line = String::from(indent);
        let base = indent.chars().count();
        let mut len = base;
        for word in para.split_whitespace() {
            let w = word.chars().count();
            if len > base && len + 1 + w > WIDTH {
                out.push_str(line.trim_end());
                out.push('\n');
                line = String::from(indent);
                len = base;
            }
            if len > base {
                line.push(' ');
                len += 1;
            }
            line.push_str(word);
            len += w;
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn heading(title: &str, with: char) -> String {
    format!(
        "{title}\n{}\n",
        with.to_string().repeat(title.chars().count())
    )
}

/// Overwrites a line the person typed before it is freed.
fn wipe(line: String) {
    let mut bytes = line.into_bytes();
    bytes.iter_mut().for_each(|b| *b = 0);
    std::hint::black_box(&bytes);
}

/// Reads one line; `None` at end of input.
fn read_line<R: BufRead>(input: &mut R) -> io::Result<Option<String>> {
    let mut line = String::new();
    match input.read_line(&mut line)? {
        0 => {
            wipe(line);
            Ok(None)
        }
        _ => Ok(Some(line)),
    }
}

/// The introduction, privacy notice and transparency statement.
pub(crate) fn preamble(instruments: &[Instrument], locale: &str) -> String {
    let u = ui(locale);
    let mut out = String::new();
    out.push_str(&heading(u.profile_title, '='));
    out.push('\n');
    let minutes: Option<u32> = instruments.iter().map(|i| i.form.minutes).sum();
    let intro = match (instruments.len(), minutes) {
        (1, _) => u.intro_one.to_string(),
        (n, Some(m)) => u
            .intro_many_minutes
            .replace("{n}", &n.to_string())
            .replace("{m}", &m.to_string()),
        (n, None) => u.intro_many.replace("{n}", &n.to_string()),
    };
    out.push_str(&wrap(&intro, ""));
    for (i, inst) in instruments.iter().enumerate() {
        let mut facts = format!("{} {}", inst.item_count(), u.items);
        if let Some(m) = inst.form.minutes {
            facts.push_str(", ");
            facts.push_str(&u.minutes.replace("{m}", &m.to_string()));
        }
        let number = format!("  {}. ", i + 1);
        let rest = " ".repeat(number.chars().count());
        let wrapped = wrap(&format!("{} ({facts})", inst.form.title), &rest);
        out.push_str(&number);
        out.push_str(wrapped.get(rest.len()..).unwrap_or(&wrapped));
    }
    let mut notices: Vec<&str> = Vec::new();
    for n in instruments
        .iter()
        .filter_map(|i| i.evaluator.privacy_notice())
    {
        if !notices.contains(&n) {
            notices.push(n);
        }
    }
    for n in notices {
        out.push('\n');
        out.push_str(&heading(&u.notice_heading.replace("{v}", n), '-'));
        let body = if n == "2026-11" {
            u.notice_2026_11
        } else {
            u.notice_unknown
        };
        out.push_str(&wrap(body, "  "));
    }
    out.push('\n');
    let statements: Vec<Transparency> = instruments.iter().map(|i| i.statement.clone()).collect();
    out.push_str(&Transparency::render(&statements));
    out.push('\n');
    out
}

/// What the person typed for one item.
enum Key {
    Option(usize),
    Skip,
    Quit,
    Leave,
    Invalid,
}

fn key(line: &str, options: usize) -> Key {
    match line.trim() {
        "" => Key::Leave,
        "s" | "S" => Key::Skip,
        "q" | "Q" => Key::Quit,
        other => match other.parse::<usize>() {
            Ok(n) if (1..=options).contains(&n) => Key::Option(n - 1),
            _ => Key::Invalid,
        },
    }
}

/// The whole dialog over any input and output: preamble, consent, then
/// every instrument's topics and items. Returns what was given; evaluating
/// is the caller's job (and happens only on [`Ending::Done`]).
pub(crate) fn dialog<R: BufRead, W: Write>(
    input: &mut R,
    out: &mut W,
    instruments: &[Instrument],
    locale: &str,
) -> io::Result<Ending> {
    let u = ui(locale);
    out.write_all(preamble(instruments, locale).as_bytes())?;
    // Consent.
    loop {
        write!(out, "{}", u.consent_prompt)?;
        out.flush()?;
        let Some(line) = read_line(input)? else {
            writeln!(out)?;
            writeln!(out, "{}", u.refused)?;
            return Ok(Ending::Refused);
        };
        let answer = line.trim().to_lowercase();
        wipe(line);
        if u.yes.contains(&answer.as_str()) {
            break;
        }
        if u.no.contains(&answer.as_str()) {
            writeln!(out, "{}", u.refused)?;
            return Ok(Ending::Refused);
        }
        writeln!(out, "{}", u.consent_retry)?;
    }

    let mut given: Vec<Given> = Vec::new();
    for (n, inst) in instruments.iter().enumerate() {
        let mut g = Given::default();
        let title = if instruments.len() > 1 {
            format!(
                "{} {} {} {} · {}",
                u.part,
                n + 1,
                u.of,
                instruments.len(),
                inst.form.title
            )
        } else {
            inst.form.title.clone()
        };
        writeln!(out)?;
        out.write_all(heading(&title, '=').as_bytes())?;
        out.write_all(wrap(&inst.form.description, "").as_bytes())?;
        if let Some(i) = &inst.form.instructions {
            writeln!(out)?;
            out.write_all(wrap(i, "").as_bytes())?;
        }
        let total = inst.item_count();
        let mut asked = 0;
        for topic in &inst.form.topics {
            writeln!(out)?;
            out.write_all(heading(&format!("{}: {}", u.topic, topic.title), '-').as_bytes())?;
            if let Some(d) = &topic.description {
                out.write_all(wrap(d, "").as_bytes())?;
            }
            writeln!(out, "  {}", u.keys)?;
            'items: for item in &topic.items {
                asked += 1;
                writeln!(out)?;
                writeln!(out, "{} {asked} {} {total}", u.question, u.of)?;
                out.write_all(wrap(&item.text, "  ").as_bytes())?;
                for (i, o) in item.options.iter().enumerate() {
                    writeln!(out, "    {:>2}  {}", i + 1, o.label)?;
                }
                let n = item.options.len();
                loop {
                    write!(out, "  {} (1–{n}): ", u.choice)?;
                    out.flush()?;
                    let Some(line) = read_line(input)? else {
                        writeln!(out)?;
                        writeln!(out, "{}", u.quit)?;
                        return Ok(Ending::Quit);
                    };
                    let k = key(&line, n);
                    wipe(line);
                    match k {
                        Key::Option(i) => {
                            if let Some(o) = item.options.get(i) {
                                g.answers.insert(item.id.as_str(), o.code);
                            }
                            break;
                        }
                        Key::Leave => {
                            writeln!(out, "  {}", u.left_out)?;
                            break;
                        }
                        Key::Skip => {
                            // Drop what was given for this topic.
                            for it in &topic.items {
                                g.answers.clear(&it.id);
                            }
                            g.declined.push(topic.id.clone());
                            asked += topic
                                .items
                                .iter()
                                .skip_while(|x| x.id != item.id)
                                .count()
                                .saturating_sub(1);
                            writeln!(out, "  {}", u.topic_declined)?;
                            break 'items;
                        }
                        Key::Quit => {
                            writeln!(out, "{}", u.quit)?;
                            return Ok(Ending::Quit);
                        }
                        Key::Invalid => {
                            writeln!(out, "  {}", u.invalid.replace("{n}", &n.to_string()))?;
                        }
                    }
                }
            }
        }
        given.push(g);
    }
    Ok(Ending::Done(given))
}

/// Evaluates what was given (consent to the notices shown) into the
/// participant's reports, one per instrument; all or nothing.
pub(crate) fn evaluate(
    instruments: &[Instrument],
    given: Vec<Given>,
    locale: &str,
) -> Result<Vec<aspekt::Report>, RequestError> {
    let mut reports = Vec::new();
    for (inst, g) in instruments.iter().zip(given) {
        let mut request = Request::new(g.answers).with_locale(locale);
        request.declined = g.declined;
        if let Some(n) = inst.evaluator.privacy_notice() {
            request = request.with_consent(n);
        }
        reports.push(inst.evaluator.evaluate(&request)?);
    }
    Ok(reports)
}

/// The participant's reports as text, one after the other.
pub(crate) fn reports_text<'a>(
    evaluators: impl IntoIterator<Item = &'a Evaluator>,
    reports: &[aspekt::Report],
) -> String {
    let mut out = String::new();
    // Each rendered report ends with a blank line, which separates them.
    for (e, report) in evaluators.into_iter().zip(reports) {
        out.push_str(&e.render_text(report));
    }
    out
}

/// The participant's reports as one JSON object, instrument id → report.
pub(crate) fn reports_json<'a>(
    evaluators: impl IntoIterator<Item = &'a Evaluator>,
    reports: &[aspekt::Report],
) -> String {
    let map: serde_json::Map<String, serde_json::Value> = evaluators
        .into_iter()
        .zip(reports)
        .map(|(e, r)| {
            (
                e.id().to_string(),
                serde_json::to_value(r).unwrap_or_default(),
            )
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&map).unwrap_or_default();
    s.push('\n');
    s
}

/// The closing words after the reports.
pub(crate) fn closing(instruments: &[Instrument], locale: &str) -> String {
    let u = ui(locale);
    let mut out = String::new();
    if let Some(first) = instruments.first() {
        out.push_str(&wrap(&first.statement.no_recommendation, ""));
        out.push('\n');
    }
    out.push_str(&wrap(u.finished, ""));
    out
}

/// The heading above the reports in the interactive flow.
pub(crate) fn results_heading(locale: &str) -> String {
    heading(ui(locale).results_heading, '=')
}

/// The non-interactive input: one JSON object.
///
/// ```json
/// {"consent": {"notice": "2026-11"}, "locale": "de",
///  "instruments": {"who5": {"answers": {"q1": 3}, "declined": []}}}
/// ```
///
/// Instruments not listed are declined as a whole.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Piped {
    #[serde(default)]
    pub(crate) consent: Option<Consent>,
    #[serde(default)]
    pub(crate) locale: Option<String>,
    #[serde(default)]
    pub(crate) instruments: BTreeMap<String, PipedInstrument>,
}

/// One instrument's answers and declined topics.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PipedInstrument {
    #[serde(default)]
    pub(crate) answers: Answers,
    #[serde(default)]
    pub(crate) declined: Vec<String>,
}

fn error(code: ErrorCode, path: Option<String>, message: String, help: &str) -> RequestError {
    RequestError {
        code,
        message,
        path,
        help: Some(help.to_string()),
    }
}

impl Piped {
    /// Parses the input. Error messages never repeat a value that was sent
    /// (it could be an answer).
    pub(crate) fn parse(text: &str) -> Result<Self, RequestError> {
        const HELP: &str = "send one JSON object: {\"consent\": {\"notice\": \"…\"}, \"locale\": \"de\", \"instruments\": {\"who5\": {\"answers\": {\"q1\": 3}, \"declined\": []}}}";
        if text.trim().is_empty() {
            return Err(error(
                ErrorCode::InvalidRequest,
                Some(".".to_string()),
                "no input: `aspekt take` reads its answers as JSON when standard input is not a terminal".to_string(),
                HELP,
            ));
        }
        if !text.trim_start().starts_with('{') {
            return Err(error(
                ErrorCode::InvalidRequest,
                Some(".".to_string()),
                "the input must be a JSON object".to_string(),
                HELP,
            ));
        }
        serde_json::from_str(text).map_err(|e| {
            // The line, not the column: a column moves with the digits of
            // the answers before it.
            let at = format!("line {}", e.line());
            let detail = e.to_string();
            let detail = detail
                .rfind(" at line ")
                .and_then(|i| detail.get(..i))
                .unwrap_or(&detail);
            if e.is_syntax() || e.is_eof() {
                return error(
                    ErrorCode::MalformedJson,
                    Some(".".to_string()),
                    format!("the input is not valid JSON ({at}): {detail}"),
                    HELP,
                );
            }
            // serde names the unexpected value, or the unknown key as it
            // was sent: keep only what was expected (after the last
            // `, expected `, which is serde's), and quote the key.
            let detail = if let Some(key) = detail.strip_prefix("unknown field `") {
                match key.rsplit_once("`, expected ") {
                    Some((key, expected)) => {
                        format!("unknown key {}, expected {expected}", aspekt::quote(key))
                    }
                    None => "unknown key".to_string(),
                }
            } else {
                match detail.rsplit_once(", expected ") {
                    Some((found, expected)) if found.starts_with("invalid") => {
                        format!("expected {expected}")
                    }
                    // The engine's own messages (answers, consent), which
                    // quote what they name.
                    _ => detail.to_string(),
                }
            };
            error(
                ErrorCode::InvalidRequest,
                Some(".".to_string()),
                format!("the input does not have the expected shape ({at}): {detail}"),
                HELP,
            )
        })
    }

    /// One request per instrument, in the order given; instruments not
    /// listed are declined as a whole. `locale` overrides the input's.
    pub(crate) fn requests(
        mut self,
        evaluators: &[Evaluator],
        locale: Option<String>,
    ) -> Result<Vec<Request>, RequestError> {
        if let Some(unknown) = self
            .instruments
            .keys()
            .find(|k| !evaluators.iter().any(|e| e.id() == k.as_str()))
        {
            let ids: Vec<&str> = evaluators.iter().map(Evaluator::id).collect();
            return Err(error(
                ErrorCode::UnknownDefinition,
                Some(aspekt::key_path("instruments", unknown)),
                format!(
                    "{} is not among the instruments taken",
                    aspekt::quote(unknown)
                ),
                &format!(
                    "answer only {}, or name the instrument on the command line",
                    ids.join(", ")
                ),
            ));
        }
        let locale = locale.or(self.locale.take());
        let mut requests = Vec::new();
        for e in evaluators {
            let mut request = match self.instruments.remove(e.id()) {
                Some(given) => {
                    let mut r = Request::new(given.answers);
                    r.declined = given.declined;
                    r
                }
                None => {
                    let mut r = Request::new(Answers::new());
                    r.declined = topic_ids(e);
                    r
                }
            };
            request.consent = self.consent.clone();
            request.locale = locale.clone();
            requests.push(request);
        }
        Ok(requests)
    }
}

/// Every topic id of a definition (the implicit one when none is declared).
fn topic_ids(e: &Evaluator) -> Vec<String> {
    e.form(None)
        .map(|f| f.topics.into_iter().map(|t| t.id).collect())
        .unwrap_or_default()
}

/// Evaluates piped requests: consent is checked for every instrument before
/// any is evaluated, and either every report or the first error.
pub(crate) fn evaluate_piped(
    evaluators: &[Evaluator],
    requests: &[Request],
) -> Result<Vec<aspekt::Report>, RequestError> {
    for (e, r) in evaluators.iter().zip(requests) {
        let given = r.consent.as_ref().map(|c| c.notice.as_str());
        if e.privacy_notice().is_some_and(|n| given != Some(n)) {
            // The engine refuses before it looks at any answer: its error
            // says which notice is needed.
            e.evaluate(r)?;
        }
    }
    evaluators
        .iter()
        .zip(requests)
        .map(|(e, r)| e.evaluate(r))
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic,
        reason = "test code"
    )]

    use super::*;

    fn instruments(ids: &[&str], locale: &str) -> Vec<Instrument> {
        ids.iter()
            .map(|id| Instrument::new(aspekt::library::load(id).unwrap(), locale).unwrap())
            .collect()
    }

    fn run(ids: &[&str], locale: &str, input: &str) -> (Ending, String) {
        let inst = instruments(ids, locale);
        let mut out = Vec::new();
        let ending = dialog(&mut input.as_bytes(), &mut out, &inst, locale).unwrap();
        (ending, String::from_utf8(out).unwrap())
    }

    fn report(ids: &[&str], locale: &str, input: &str) -> (Vec<aspekt::Report>, String) {
        let inst = instruments(ids, locale);
        let mut out = Vec::new();
        let Ending::Done(given) = dialog(&mut input.as_bytes(), &mut out, &inst, locale).unwrap()
        else {
            panic!(
                "the dialog did not finish:\n{}",
                String::from_utf8(out).unwrap()
            );
        };
        let reports = evaluate(&inst, given, locale).unwrap();
        (reports, String::from_utf8(out).unwrap())
    }

    #[test]
    fn refusing_consent_evaluates_nothing() {
        for input in ["n\n", "nein\n", "q\n", ""] {
            let (ending, out) = run(&["who5"], "de", input);
            assert!(matches!(ending, Ending::Refused), "{input:?}");
            assert!(out.contains("Datenschutzhinweis (Version 2026-11)"));
            assert!(out.contains("Wer sieht was?"));
            assert!(out.contains("nichts ausgewertet"));
            assert!(!out.contains("Frage 1 von 5"));
        }
    }

    #[test]
    fn consent_prompt_repeats_on_other_input() {
        let (ending, out) = run(&["who5"], "en", "maybe\ny\nq\n");
        assert!(matches!(ending, Ending::Quit));
        assert!(out.contains("Please type y (yes) or n (no)."));
        assert!(out.contains("Question 1 of 5"));
    }

    #[test]
    fn answering_every_item() {
        // Option 2 of the WHO-5 scale is "Most of the time" (code 4).
        let (reports, out) = report(&["who5"], "en", "y\n2\n2\n2\n2\n2\n");
        assert!(out.contains("Question 5 of 5"));
        assert_eq!(reports[0].results[0].band.as_ref().unwrap().id, "good");
        assert_eq!(reports[0].audience, "participant");
    }

    #[test]
    fn invalid_input_asks_again() {
        let (reports, out) = report(&["who5"], "de", "j\n0\n7\nx\n2\n2\n2\n2\n2\n");
        assert_eq!(
            out.matches("Bitte eine Zahl von 1 bis 6 eingeben").count(),
            3
        );
        assert_eq!(reports[0].results[0].band.as_ref().unwrap().id, "good");
    }

    #[test]
    fn enter_leaves_an_item_out() {
        let (reports, out) = report(&["who5"], "de", "j\n2\n\n2\n2\n2\n");
        assert!(out.contains("(ausgelassen)"));
        // WHO-5 needs every item: not enough answers, nothing guessed.
        assert_eq!(reports[0].results[0].status, aspekt::Status::Insufficient);
    }

    #[test]
    fn skipping_a_topic_declines_it_and_drops_its_answers() {
        let (reports, out) = report(&["who5", "brs"], "de", "j\n2\n3\ns\n1\n2\n3\n4\n5\n1\n");
        assert!(out.contains("Thema übersprungen"));
        assert!(out.contains("Teil 2 von 2"));
        assert_eq!(reports[0].results[0].status, aspekt::Status::Declined);
        assert_eq!(reports[1].results[0].status, aspekt::Status::Ok);
    }

    #[test]
    fn quitting_midway_evaluates_nothing() {
        let (ending, out) = run(&["who5", "brs"], "de", "j\n2\n2\nq\n");
        assert!(matches!(ending, Ending::Quit));
        assert!(out.contains("Abgebrochen. Es wurde nichts ausgewertet"));
        // End of input is quitting too.
        let (ending, _) = run(&["who5"], "de", "j\n2\n");
        assert!(matches!(ending, Ending::Quit));
    }

    #[test]
    fn piped_input_errors_do_not_repeat_values() {
        let e = Piped::parse(r#"{"instruments": {"who5": {"answers": {"q1": "secret"}}}}"#)
            .err()
            .unwrap();
        assert_eq!(e.code, ErrorCode::InvalidRequest);
        assert!(!e.message.contains("secret"), "{}", e.message);
        let e = Piped::parse("{\"consent\": ").err().unwrap();
        assert_eq!(e.code, ErrorCode::MalformedJson);
        let e = Piped::parse("").err().unwrap();
        assert_eq!(e.code, ErrorCode::InvalidRequest);
    }
}
