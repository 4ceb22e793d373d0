//! The compiled evaluator and evaluation.

use std::sync::Arc;

use zeroize::Zeroizing;

use crate::definition::model::BUILTIN_AUDIENCES;
use crate::definition::model::{Definition, Mode, Text};
use crate::evaluate::error::{ErrorCode, RequestError};
use crate::evaluate::report::{BandRef, DefinitionRef, EngineRef, Report, ResultEntry, Status};
use crate::evaluate::request::Request;
use crate::evaluate::validate::{self, Via};
use crate::plan::compiled::Compiled;
use crate::plan::{Choice, Chosen, NotChosen, ResultPlan, ScoreValue};
use crate::rules::RuleFailure;
use crate::source::diagnostic::Diagnostic;
use crate::source::quote::quote;

/// Per-item values of one evaluation (`None` = unanswered), zeroized on drop.
pub(crate) type Values = Zeroizing<Vec<Option<i64>>>;

/// A compiled, validated definition, ready to evaluate answers.
///
/// Immutable, `Send + Sync`, and cheap to clone (an `Arc`): compile once and
/// share it across threads.
///
/// ```
/// use aspekt::{Answers, Request};
/// let who5 = aspekt::library::load("who5").unwrap();
/// let mut answers = Answers::new();
/// for (i, code) in [3, 4, 2, 3, 3].into_iter().enumerate() {
///     answers.insert(format!("q{}", i + 1), code);
/// }
/// let request = Request::new(answers).with_consent(who5.privacy_notice().unwrap_or_default());
/// let report = who5.evaluate(&request).unwrap();
/// assert_eq!(report.results[0].band.as_ref().unwrap().id, "good");
/// ```
#[derive(Clone, Debug)]
pub struct Evaluator {
    inner: Arc<Compiled>,
}

/// The outcome of one result, before any text is attached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Outcome {
    pub(crate) status: Status,
    pub(crate) band: Option<usize>,
    /// Items a selection result lists (interview mode), or results a
    /// strongest result names, in order.
    pub(crate) listed: Vec<usize>,
}

impl Evaluator {
    pub(crate) fn new(inner: Arc<Compiled>) -> Self {
        Self { inner }
    }

    /// The evaluator of a compiled plan.
    pub(crate) fn from_compiled(c: Compiled) -> Self {
        Self::new(Arc::new(c))
    }

    pub(crate) fn compiled(&self) -> &Compiled {
        &self.inner
    }

    /// The questionnaire id.
    pub fn id(&self) -> &str {
        &self.inner.id
    }

    /// The definition's version.
    pub fn version(&self) -> &str {
        &self.inner.version
    }

    /// `sha256:` digest of the definition's canonical form.
    pub fn digest(&self) -> &str {
        &self.inner.digest
    }

    /// Declared locales; the first is the default.
    pub fn locales(&self) -> &[String] {
        &self.inner.locales
    }

    /// Audiences results can be released to.
    pub fn audiences(&self) -> &[String] {
        &self.inner.audiences
    }

    /// The privacy-notice version consent is required for, if any.
    pub fn privacy_notice(&self) -> Option<&str> {
        self.inner.privacy_notice.as_deref()
    }

    /// How answers come about: private questionnaire, or structured interview.
    pub fn mode(&self) -> Mode {
        self.inner.mode
    }

    /// The disclosure analysis: per audience, result and outcome, the
    /// minimum ambiguity of its items and how it was established.
    pub fn disclosure(&self) -> &crate::plan::disclosure::Disclosure {
        &self.inner.disclosure
    }

    /// Every result with its outcome ids in index order (bands, rule
    /// outcomes, or `none`/`listed` for selections): what a band index in a
    /// report or batch means.
    pub fn result_outcomes(&self) -> Vec<(String, Vec<String>)> {
        self.inner
            .results
            .iter()
            .map(|r| (r.id.clone(), r.bands.iter().map(|b| b.id.clone()).collect()))
            .collect()
    }

    /// Warnings found while compiling.
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.inner.warnings
    }

    /// The definition as written (texts, provenance) for presenting the
    /// questionnaire. It holds no answers.
    pub fn definition(&self) -> &Definition {
        &self.inner.definition
    }

    /// Evaluates a request into the report for its audience.
    ///
    /// Either the whole report or an error: never a partial report. Errors
    /// name the item or JSON path and never contain an answer code.
    pub fn evaluate(&self, request: &Request) -> Result<Report, RequestError> {
        let c = &*self.inner;
        // Consent comes first: without it nothing is looked at.
        if let Some(notice) = &c.privacy_notice {
            let given = request.consent.as_ref().map(|x| x.notice.as_str());
            if given != Some(notice.as_str()) {
                let message = match given {
                    None => format!("`{}` requires consent to privacy notice {notice}", c.id),
                    Some(v) => format!(
                        "consent was given to privacy notice {}, but `{}` requires {notice}",
                        quote(v),
                        c.id
                    ),
                };
                return Err(RequestError::new(
                    ErrorCode::ConsentRequired,
                    Some("consent.notice".to_string()),
                    message,
                    format!(
                        "show the person privacy notice {notice}; once they agree, send \"consent\": {{\"notice\": \"{notice}\"}}"
                    ),
                ));
            }
        }
        let locale = validate::resolve_locale(c, request.locale.as_deref())?;
        let audience = request.audience.as_deref().unwrap_or(BUILTIN_AUDIENCES[0]);
        validate::check_audience(c, audience)?;
        let (values, declined) = self.resolve(request)?;
        let mut results = Vec::new();
        let mut done = vec![None; c.results.len()];
        for (ri, r) in c.results.iter().enumerate() {
            if !r.audiences.iter().any(|a| a == audience) {
                continue;
            }
            let outcome = self.outcome(r, &values, &declined, &done)?;
            results.push(self.entry(r, &outcome, &locale));
            if let Some(slot) = done.get_mut(ri) {
                *slot = Some(outcome);
            }
        }
        Ok(Report {
            definition: DefinitionRef {
                id: c.id.clone(),
                version: c.version.clone(),
                digest: c.digest.clone(),
            },
            engine: EngineRef {
                version: crate::evaluate::report::ENGINE_VERSION.to_string(),
            },
            locale,
            audience: audience.to_string(),
            results,
        })
    }

    /// Parses a JSON request, evaluates it, and returns the report as JSON.
    pub fn evaluate_json(&self, request: &str) -> Result<String, RequestError> {
        let request = Request::from_json(request)?;
        self.evaluate(&request).map(|r| r.to_json())
    }

    /// Validates answers and declines into per-item values and per-topic flags.
    pub(crate) fn resolve(&self, request: &Request) -> Result<(Values, Vec<bool>), RequestError> {
        let c = &*self.inner;
        let mut declined = vec![false; c.topics.len()];
        for (i, t) in request.declined.iter().enumerate() {
            match c.topic_index.get(t) {
                Some(&ti) => {
                    if let Some(d) = declined.get_mut(ti) {
                        *d = true;
                    }
                }
                None => {
                    return Err(validate::unknown_topic(
                        c,
                        t,
                        Some(format!("declined[{i}]")),
                    ));
                }
            }
        }
        let mut values = Zeroizing::new(vec![None; c.item_ids.len()]);
        // Answers usually come in the definition's order (a form, a CSV's
        // columns): try the item after the last one first, and search only
        // when that is not it.
        let mut next = 0;
        for (item, code) in request.answers.entries() {
            let hinted = c.item_ids.get(next).filter(|id| *id == item).map(|_| next);
            let Some(idx) = hinted.or_else(|| c.item_index.get(item).copied()) else {
                return Err(validate::unknown_item(
                    c,
                    item,
                    validate::answer_path(item),
                    validate::ANSWER_ONLY_ITEMS,
                ));
            };
            validate::validate_answer(c, idx, *code, &declined, Via::Request)?;
            if let Some(v) = values.get_mut(idx) {
                *v = *code;
            }
            next = idx + 1;
        }
        Ok((values, declined))
    }

    /// The outcome of `r`. `done` holds, by result index, outcomes already
    /// computed for the same answers (empty or partial is fine): a strongest
    /// result reuses its sources' outcomes from there instead of scoring
    /// them again.
    pub(crate) fn outcome(
        &self,
        r: &ResultPlan,
        values: &[Option<i64>],
        declined: &[bool],
        done: &[Option<Outcome>],
    ) -> Result<Outcome, RequestError> {
        self.outcome_worded(r, values, declined, done, Wording::Fixed)
    }

    /// [`Self::outcome`], with a rule failure worded as `wording` says.
    fn outcome_worded(
        &self,
        r: &ResultPlan,
        values: &[Option<i64>],
        declined: &[bool],
        done: &[Option<Outcome>],
        wording: Wording,
    ) -> Result<Outcome, RequestError> {
        let c = &*self.inner;
        let declined_topic = declined.get(r.topic).copied().unwrap_or(false);
        if declined_topic {
            return Ok(Outcome {
                status: Status::Declined,
                band: None,
                listed: Vec::new(),
            });
        }
        let score_value = |i: usize| -> Result<ScoreValue, RequestError> {
            let score = c
                .scores
                .get(i)
                .ok_or_else(|| RequestError::internal("a result names a missing score"))?;
            score.compute(values, false, &c.engine).map_err(|e| {
                rule_failed(
                    &c.definition
                        .scores
                        .get(i)
                        .map(|s| format!("score `{}`", s.id.value()))
                        .unwrap_or_default(),
                    &e,
                    wording,
                )
            })
        };
        match &r.choice {
            Choice::Select {
                items,
                min_code,
                top,
            } => {
                let mut chosen: Vec<(i64, usize)> = items
                    .iter()
                    .filter_map(|&i| values.get(i).copied().flatten().map(|c| (c, i)))
                    .filter(|(c, _)| c >= min_code)
                    .collect();
                // Highest first; the sort is stable, so ties keep item order.
                crate::source::sorted::sort_by_key(&mut chosen, |&(code, _)| {
                    std::cmp::Reverse(code)
                });
                chosen.truncate(*top);
                Ok(Outcome {
                    status: Status::Ok,
                    band: Some(usize::from(!chosen.is_empty())),
                    listed: chosen.into_iter().map(|(_, i)| i).collect(),
                })
            }
            Choice::Strongest { sources, min_band } => {
                // Only the sources' outcomes: nothing their audience does not
                // already see.
                let mut reached: Vec<(usize, usize)> = Vec::new();
                for &si in sources {
                    let source = c.results.get(si).ok_or_else(|| {
                        RequestError::internal("a strongest result names a missing result")
                    })?;
                    if matches!(source.choice, Choice::Strongest { .. }) {
                        return Err(RequestError::internal(
                            "a strongest result compares a strongest result",
                        ));
                    }
                    let computed;
                    let o = match done.get(si).and_then(Option::as_ref) {
                        Some(o) => o,
                        None => {
                            computed =
                                self.outcome_worded(source, values, declined, &[], wording)?;
                            &computed
                        }
                    };
                    if let (Status::Ok, Some(b)) = (o.status, o.band) {
                        reached.push((si, b));
                    }
                }
                let Some(top) = reached.iter().map(|&(_, b)| b).max() else {
                    return Ok(Outcome {
                        status: Status::Insufficient,
                        band: None,
                        listed: Vec::new(),
                    });
                };
                let listed: Vec<usize> = if top >= *min_band {
                    reached
                        .iter()
                        .filter(|&&(_, b)| b == top)
                        .map(|&(si, _)| si)
                        .collect()
                } else {
                    Vec::new()
                };
                Ok(Outcome {
                    status: Status::Ok,
                    band: Some(usize::from(!listed.is_empty())),
                    listed,
                })
            }
            Choice::Bands | Choice::Rule(_) => {
                // Input values straight into `choose` (no allocation for
                // bands); a failing score rule is kept aside and wins.
                let mut failure = None;
                let values = r.inputs.iter().map(|(i, id)| {
                    let v = score_value(*i).unwrap_or_else(|e| {
                        failure.get_or_insert(e);
                        ScoreValue::Insufficient
                    });
                    (id.as_str(), v)
                });
                let chosen = r.choose(values, &c.engine);
                if let Some(e) = failure {
                    return Err(e);
                }
                let (status, band) = match chosen {
                    Ok(Chosen::Band(b)) => (Status::Ok, Some(b)),
                    Ok(Chosen::Insufficient) => (Status::Insufficient, None),
                    // The compiler proves every reachable value lies in a band.
                    Err(NotChosen::NoBand) => {
                        return Err(RequestError::internal(&format!(
                            "result `{}` has no band for a reachable value",
                            r.id
                        )));
                    }
                    Err(NotChosen::Rule(e)) => {
                        return Err(rule_failed(&format!("result `{}`", r.id), &e, wording));
                    }
                    Err(NotChosen::Selection) => {
                        return Err(RequestError::internal(
                            "a selection was scored as a score result",
                        ));
                    }
                };
                Ok(Outcome {
                    status,
                    band,
                    listed: Vec::new(),
                })
            }
        }
    }

    fn entry(&self, r: &ResultPlan, o: &Outcome, locale: &str) -> ResultEntry {
        let c = &*self.inner;
        let pick = |t: &Text| pick_text(t, locale, &c.locales);
        let (label, explanation) = match (o.status, o.band.and_then(|b| r.bands.get(b))) {
            // A selection lists what was chosen together, in the open.
            (Status::Ok, Some(b)) if !o.listed.is_empty() => (
                match r.choice {
                    // The titles of the strongest results.
                    Choice::Strongest { .. } => o
                        .listed
                        .iter()
                        .filter_map(|&i| c.definition.results.get(i))
                        .map(|x| pick(x.title.value()))
                        .collect::<Vec<_>>(),
                    // The items selected together.
                    _ => o
                        .listed
                        .iter()
                        .filter_map(|&i| c.definition.items.get(i))
                        .map(|it| pick(it.text.value()))
                        .collect::<Vec<_>>(),
                }
                .join("; "),
                pick(&b.explanation),
            ),
            (Status::Ok, Some(b)) => (pick(&b.label), pick(&b.explanation)),
            (Status::Insufficient, _) | (Status::Ok, None) => (
                pick(&c.neutral.insufficient.0),
                pick(&c.neutral.insufficient.1),
            ),
            (Status::Declined, _) => (pick(&c.neutral.declined.0), pick(&c.neutral.declined.1)),
        };
        ResultEntry {
            id: r.id.clone(),
            topic: c.topics.get(r.topic).cloned().unwrap_or_default(),
            status: o.status,
            band: o.band.and_then(|i| {
                r.bands.get(i).map(|b| BandRef {
                    id: b.id.clone(),
                    index: i,
                    of: r.bands.len(),
                })
            }),
            label,
            explanation,
        }
    }

    /// Renders a report as text for the person reading it: result titles,
    /// labels and explanations.
    pub fn render_text(&self, report: &Report) -> String {
        let c = &*self.inner;
        let def = &c.definition;
        let locale = report.locale.as_str();
        let mut out = String::new();
        let title = pick_text(def.questionnaire.title.value(), locale, &c.locales);
        out.push_str(&title);
        out.push('\n');
        out.push_str(&"=".repeat(title.chars().count()));
        out.push_str("\n\n");
        for entry in &report.results {
            let rtitle = def
                .results
                .iter()
                .find(|r| r.id.as_str() == entry.id)
                .map(|r| pick_text(r.title.value(), locale, &c.locales))
                .unwrap_or_else(|| entry.id.clone());
            // Bands are levels, ordered from lowest to highest. A rule's
            // outcomes (e.g. "security first") and a list (selection,
            // strongest fields) are not.
            let levelled = c
                .results
                .iter()
                .any(|r| r.id == entry.id && matches!(r.choice, Choice::Bands));
            let position = entry
                .band
                .as_ref()
                .filter(|_| levelled)
                .map(|b| {
                    format!(
                        "  ({} {} / {})",
                        if locale == "de" { "Stufe" } else { "level" },
                        b.index + 1,
                        b.of
                    )
                })
                .unwrap_or_default();
            out.push_str(&format!("{rtitle}: {}{position}\n", entry.label));
            out.push_str(&wrap(&entry.explanation, 76, "  "));
            out.push('\n');
        }
        out
    }

    /// Outcomes of every result regardless of audience, for running the
    /// definition's own examples. Not public: hosts get reports only.
    pub(crate) fn outcomes(
        &self,
        request: &Request,
    ) -> Result<Vec<(String, String)>, RequestError> {
        let c = &*self.inner;
        let (values, declined) = self.resolve(request)?;
        let mut out = Vec::new();
        let mut done = vec![None; c.results.len()];
        for (ri, r) in c.results.iter().enumerate() {
            let o = self.outcome_worded(r, &values, &declined, &done, Wording::Described)?;
            let name = match (o.status, o.band.and_then(|b| r.bands.get(b))) {
                (Status::Ok, Some(b)) => b.id.clone(),
                (Status::Declined, _) => "declined".to_string(),
                _ => "insufficient".to_string(),
            };
            out.push((r.id.clone(), name));
            if let Some(slot) = done.get_mut(ri) {
                *slot = Some(o);
            }
        }
        Ok(out)
    }
}

/// How a rule failure is worded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wording {
    /// At evaluation: a function of the rule's owner and the limit alone.
    /// Where a rule failed, in which function, which key or function name
    /// it computed, how long an undeclared outcome id was: all of that can
    /// depend on the answers, and an error gets logged and shown.
    Fixed,
    /// For a definition's own examples, which are the author's answers, not
    /// anyone's: everything the rule's failure says.
    Described,
}

/// The `rule_failed` error of `owner`'s rule (`result `x``, `score `y``).
fn rule_failed(owner: &str, e: &RuleFailure, wording: Wording) -> RequestError {
    let message = match (wording, e.limit) {
        (Wording::Fixed, Some(limit)) => {
            format!("the rule of {owner} failed: it hit the sandbox limit `{limit}`")
        }
        (Wording::Fixed, None) => format!("the rule of {owner} failed at run time"),
        (Wording::Described, _) => format!("the rule of {owner} {}", e.message),
    };
    let help = match e.limit {
        Some(limit) => format!(
            "the rule exceeded the sandbox limit `{limit}`; fix the definition's rule, or raise the limit in the compile options if the rule is legitimate. Evaluation does not say where (that could depend on the answers): `aspekt check` on the definition does"
        ),
        None => "the definition's rule is faulty. Evaluation does not say how (that could depend on the answers): `aspekt check` on the definition enumerates the rule's inputs and shows the failure, and a definition's examples (`aspekt test`) show it for their answers".to_string(),
    };
    RequestError::new(ErrorCode::RuleFailed, None, message, help)
}

/// The text in `locale`, else in the default locale, else any.
pub(crate) fn pick_text(t: &Text, locale: &str, locales: &[String]) -> String {
    t.get(locale)
        .or_else(|| locales.first().and_then(|l| t.get(l)))
        .or_else(|| t.values().next())
        .cloned()
        .unwrap_or_default()
}

/// Greedy word wrap with an indent.
pub(crate) fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    for para in text.split('\n') {
        let mut line = String::from(indent);
        let mut len = indent.chars().count();
        for word in para.split_whitespace() {
            let w = word.chars().count();
            if len > indent.chars().count() && len + 1 + w > width {
                out.push_str(line.trim_end());
                out.push('\n');
                line = String::from(indent);
                len = indent.chars().count();
            }
            if len > indent.chars().count() {
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

#[allow(dead_code)]
fn _assert_send_sync() {
    fn is<T: Send + Sync>() {}
    is::<Evaluator>();
}
