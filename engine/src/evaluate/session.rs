//! Answering over time: a [`Session`] holds one person's answers while they
//! fill in a questionnaire, and turns them into a [`Report`] when asked.
//!
//! The session enforces the promises of the method on the host's behalf:
//!
//! - **Consent first.** Until [`Session::consent`] accepted the privacy notice
//!   the definition requires, every other call is refused with
//!   [`ErrorCode::ConsentRequired`]; nothing is stored.
//! - **Voluntary.** [`Session::decline`] drops and zeroizes a topic's answers
//!   at once; the report shows that topic's results as `declined`, never
//!   scored, never guessed. [`Session::reopen`] lets the person come back.
//! - **Withdrawal.** [`Session::withdraw`] zeroizes everything the session
//!   holds and leaves a session that refuses every further call.
//! - **Nothing leaks by the side door.** Answers are validated as they come
//!   (errors name the item, never the code), [`Session::progress`] returns
//!   counts only, `Debug` is redacted, and there is no `Serialize`: the only
//!   thing that leaves a session is the [`Report`] of [`Session::finish`].
//!
//! ```
//! use aspekt::{Session, Status};
//!
//! let who5 = aspekt::library::load("who5")?;
//! let notice = who5.privacy_notice().unwrap_or_default().to_string();
//! let mut session = Session::new(who5);
//! session.consent(&notice)?;
//! for item in ["q1", "q2", "q3", "q4", "q5"] {
//!     session.answer(item, 4)?;
//! }
//! session.set_locale("en")?;
//! let report = session.finish()?;
//! assert_eq!(report.results[0].status, Status::Ok);
//! assert_eq!(format!("{session:?}"), r#"Session { definition: "who5", state: "consented", answers: <redacted> }"#);
//!
//! session.withdraw();
//! assert!(session.finish().is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use zeroize::{Zeroize, Zeroizing};

use crate::evaluate::error::{ErrorCode, RequestError};
use crate::evaluate::evaluator::Evaluator;
use crate::evaluate::report::Report;
use crate::evaluate::request::{Answers, Consent, Request};
use crate::evaluate::validate::{self, Via};
use crate::source::quote::quote;

/// The message every call on a withdrawn session is refused with.
const WITHDRAWN: &str = "consent was withdrawn; this session evaluates nothing more";

/// One person answering one questionnaire over time.
///
/// Create it with [`Session::new`], record consent with [`Session::consent`],
/// then [`answer`](Session::answer), [`clear`](Session::clear),
/// [`decline`](Session::decline) and [`reopen`](Session::reopen) in any order,
/// and [`finish`](Session::finish) to get the report. Every answer is checked
/// when it is given, so a session never holds an answer `finish` would reject.
///
/// A session is not `Clone` (that would copy the answers), has no
/// `Serialize`, and its `Debug` shows neither answers nor declined topics.
/// What it holds is zeroized on [`withdraw`](Session::withdraw) and on drop.
///
/// ## Finishing more than once
///
/// [`finish`](Session::finish) does not end the session: a person may look at
/// their report, go back, and change an answer. Each report on its own keeps
/// every item ambiguous among at least `k` codes (the disclosure guarantee
/// checked when the definition was compiled). **Two reports of the same
/// person do not**: whoever sees a report before and after one answer
/// changed learns on which side of a band boundary that answer moved, and a
/// few such differences can pin single answers (a differencing attack). A
/// host should therefore release only the **final** report to anyone but the
/// person themself, and should not offer others "what if" re-finishing with
/// altered answers. The engine cannot enforce this, because the person's own
/// right to revise their answers looks exactly the same from inside.
pub struct Session {
    state: State,
}

enum State {
    /// Consent given or not yet; answers may be held.
    Open(Box<Open>),
    /// Consent was withdrawn: nothing is held, every call is refused.
    Withdrawn,
}

/// A session that has not been withdrawn.
struct Open {
    evaluator: Evaluator,
    /// The questionnaire's items and topics, looked up from its definition.
    index: Index,
    /// The privacy-notice version consented to, once consent is given.
    consent: Option<String>,
    /// Per item (in `index.items` order): the answered code, if any.
    values: Zeroizing<Vec<Option<i64>>>,
    /// Per topic (in `index.topics` order): whether it is declined.
    declined: Zeroizing<Vec<bool>>,
    locale: Option<String>,
    audience: Option<String>,
}

impl Open {
    /// Overwrites everything the session holds about the person.
    fn wipe(&mut self) {
        self.values.zeroize();
        self.declined.zeroize();
        self.consent.zeroize();
        self.locale.zeroize();
        self.audience.zeroize();
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.wipe();
    }
}

/// Items and topics of the definition, for validating answers as they come.
struct Index {
    id: String,
    /// Topic ids; the implicit topic (named after the questionnaire) when the
    /// definition declares none.
    topics: Vec<String>,
    items: Vec<ItemInfo>,
}

struct ItemInfo {
    id: String,
    /// Index into `Index::topics`; `None` when the definition names a topic
    /// it does not declare (a compiled definition never does).
    topic: Option<usize>,
}

impl Index {
    fn of(evaluator: &Evaluator) -> Self {
        let def = evaluator.definition();
        let id = def.questionnaire.id.value().clone();
        let topics: Vec<String> = if def.topics.is_empty() {
            vec![id.clone()]
        } else {
            def.topics.iter().map(|t| t.id.value().clone()).collect()
        };
        let items = def
            .items
            .iter()
            .map(|it| {
                let topic = match &it.topic {
                    None if def.topics.is_empty() => Some(0),
                    None => None,
                    Some(t) => topics.iter().position(|x| x == t.value()),
                };
                ItemInfo {
                    id: it.id.value().clone(),
                    topic,
                }
            })
            .collect();
        Index { id, topics, items }
    }

    fn item(&self, evaluator: &Evaluator, item: &str) -> Result<usize, RequestError> {
        self.items.iter().position(|i| i.id == item).ok_or_else(|| {
            validate::unknown_item(
                evaluator.compiled(),
                item,
                validate::answer_path(item),
                validate::ANSWER_ONLY_ITEMS,
            )
        })
    }

    fn topic(&self, evaluator: &Evaluator, topic: &str) -> Result<usize, RequestError> {
        self.topics.iter().position(|t| t == topic).ok_or_else(|| {
            validate::unknown_topic(evaluator.compiled(), topic, Some("declined".to_string()))
        })
    }
}

/// How far a session has come: counts only, never which items or codes.
///
/// Meant for the person's own screen ("7 of 10 answered"). Do not pass it
/// on with the report: the disclosure guarantee counts "not answered" as one
/// of the possibilities that keep an answer ambiguous, so telling a third
/// party how many items were answered can narrow what a report reveals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Items that currently carry an answer.
    pub answered: usize,
    /// Items of the questionnaire, declined topics included.
    pub total: usize,
    /// Items in topics that are not declined: what is left to answer from.
    pub open: usize,
    /// Topics currently declined.
    pub declined_topics: usize,
    /// Topics of the questionnaire.
    pub topics: usize,
}

impl Session {
    /// A new session for one person on this evaluator. Nothing may be done
    /// with it before [`Session::consent`].
    pub fn new(evaluator: Evaluator) -> Self {
        let index = Index::of(&evaluator);
        let open = Open {
            values: Zeroizing::new(vec![None; index.items.len()]),
            declined: Zeroizing::new(vec![false; index.topics.len()]),
            evaluator,
            index,
            consent: None,
            locale: None,
            audience: None,
        };
        Session {
            state: State::Open(Box::new(open)),
        }
    }

    /// Records the person's consent to the privacy notice.
    ///
    /// `notice` must be the version the definition requires
    /// ([`Evaluator::privacy_notice`]); otherwise the call fails with
    /// [`ErrorCode::ConsentRequired`] and changes nothing. A definition that
    /// requires no notice accepts any. Consenting again to the same notice is
    /// harmless.
    pub fn consent(&mut self, notice: &str) -> Result<(), RequestError> {
        let open = self.open_mut()?;
        if let Some(required) = open.evaluator.privacy_notice()
            && required != notice
        {
            return Err(RequestError::new(
                ErrorCode::ConsentRequired,
                Some("consent.notice".to_string()),
                format!(
                    "consent was given to privacy notice {}, but `{}` requires {required}",
                    quote(notice),
                    open.index.id
                ),
                format!(
                    "show the person privacy notice {required}; once they agree, consent to \"{required}\""
                ),
            ));
        }
        open.consent = Some(notice.to_string());
        Ok(())
    }

    /// Answers an item with a code of its scale, replacing an earlier answer.
    ///
    /// Fails with [`ErrorCode::UnknownItem`], [`ErrorCode::InvalidCode`] or
    /// [`ErrorCode::AnswerInDeclinedTopic`] and then changes nothing. Error
    /// messages name the item, never the code.
    pub fn answer(&mut self, item: &str, code: i64) -> Result<(), RequestError> {
        let open = self.consented_mut()?;
        let idx = open.index.item(&open.evaluator, item)?;
        validate::validate_answer(
            open.evaluator.compiled(),
            idx,
            Some(code),
            &open.declined,
            Via::Session,
        )?;
        let slot = open
            .values
            .get_mut(idx)
            .ok_or_else(|| RequestError::internal("an indexed item has no slot"))?;
        slot.zeroize();
        *slot = Some(code);
        Ok(())
    }

    /// Takes back the answer to an item (it is then unanswered). Clearing an
    /// unanswered item, or one in a declined topic, is harmless.
    pub fn clear(&mut self, item: &str) -> Result<(), RequestError> {
        let open = self.consented_mut()?;
        let idx = open.index.item(&open.evaluator, item)?;
        if let Some(slot) = open.values.get_mut(idx) {
            slot.zeroize();
            *slot = None;
        }
        Ok(())
    }

    /// Declines a topic: its answers are dropped and zeroized at once, and
    /// its results are reported as `declined`. Declining a declined topic is
    /// harmless. Fails with [`ErrorCode::UnknownTopic`].
    pub fn decline(&mut self, topic: &str) -> Result<(), RequestError> {
        let open = self.consented_mut()?;
        let t = open.index.topic(&open.evaluator, topic)?;
        for (info, slot) in open.index.items.iter().zip(open.values.iter_mut()) {
            if info.topic == Some(t) {
                slot.zeroize();
                *slot = None;
            }
        }
        if let Some(d) = open.declined.get_mut(t) {
            *d = true;
        }
        Ok(())
    }

    /// Reopens a declined topic: its items can be answered again (its
    /// earlier answers are gone). Reopening a topic that is not declined is
    /// harmless. Fails with [`ErrorCode::UnknownTopic`].
    pub fn reopen(&mut self, topic: &str) -> Result<(), RequestError> {
        let open = self.consented_mut()?;
        let t = open.index.topic(&open.evaluator, topic)?;
        if let Some(d) = open.declined.get_mut(t) {
            *d = false;
        }
        Ok(())
    }

    /// Sets the locale of the report's texts (default: the definition's
    /// first locale). Fails with [`ErrorCode::UnknownLocale`].
    pub fn set_locale(&mut self, locale: &str) -> Result<(), RequestError> {
        let open = self.consented_mut()?;
        validate::resolve_locale(open.evaluator.compiled(), Some(locale))?;
        open.locale = Some(locale.to_string());
        Ok(())
    }

    /// Sets who the report is for (default `participant`). Fails with
    /// [`ErrorCode::UnknownAudience`].
    pub fn set_audience(&mut self, audience: &str) -> Result<(), RequestError> {
        let open = self.consented_mut()?;
        validate::check_audience(open.evaluator.compiled(), audience)?;
        open.audience = Some(audience.to_string());
        Ok(())
    }

    /// How far the person has come: counts only.
    pub fn progress(&self) -> Result<Progress, RequestError> {
        let open = self.consented()?;
        let declined_topic = |info: &ItemInfo| {
            info.topic
                .and_then(|t| open.declined.get(t).copied())
                .unwrap_or(false)
        };
        Ok(Progress {
            answered: open.values.iter().filter(|v| v.is_some()).count(),
            total: open.index.items.len(),
            open: open
                .index
                .items
                .iter()
                .filter(|i| !declined_topic(i))
                .count(),
            declined_topics: open.declined.iter().filter(|d| **d).count(),
            topics: open.index.topics.len(),
        })
    }

    /// Evaluates the answers held into the report for the session's audience
    /// and locale: exactly what [`Evaluator::evaluate`] returns for a request
    /// with these answers, declined topics, consent, locale and audience.
    ///
    /// The session stays open, so the person can revise answers and finish
    /// again; see [“Finishing more than once”](Session#finishing-more-than-once)
    /// for why a host should release only the final report to others.
    pub fn finish(&self) -> Result<Report, RequestError> {
        let open = self.consented()?;
        let mut answers = Answers::new();
        for (info, value) in open.index.items.iter().zip(open.values.iter()) {
            if let Some(code) = value {
                answers.insert(info.id.clone(), *code);
            }
        }
        let request = Request {
            answers,
            declined: open
                .index
                .topics
                .iter()
                .zip(open.declined.iter())
                .filter(|(_, d)| **d)
                .map(|(t, _)| t.clone())
                .collect(),
            consent: open.consent.as_ref().map(|notice| Consent {
                notice: notice.clone(),
            }),
            locale: open.locale.clone(),
            audience: open.audience.clone(),
        };
        // `request` (and with it the copy of the answers) is zeroized when
        // it is dropped at the end of this call.
        open.evaluator.evaluate(&request)
    }

    /// Withdraws consent: everything the session holds is zeroized and
    /// dropped, and every later call fails with
    /// [`ErrorCode::ConsentWithdrawn`]. Withdrawing
    /// twice is harmless. Reports already returned are the host's to delete.
    pub fn withdraw(&mut self) {
        if let State::Open(open) = &mut self.state {
            open.wipe();
        }
        self.state = State::Withdrawn;
    }

    fn open_mut(&mut self) -> Result<&mut Open, RequestError> {
        match &mut self.state {
            State::Open(open) => Ok(open),
            State::Withdrawn => Err(withdrawn()),
        }
    }

    fn consented_mut(&mut self) -> Result<&mut Open, RequestError> {
        let open = self.open_mut()?;
        match open.consent {
            Some(_) => Ok(open),
            None => Err(no_consent(open)),
        }
    }

    fn consented(&self) -> Result<&Open, RequestError> {
        match &self.state {
            State::Open(open) if open.consent.is_some() => Ok(open),
            State::Open(open) => Err(no_consent(open)),
            State::Withdrawn => Err(withdrawn()),
        }
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Session");
        match &self.state {
            State::Open(open) => {
                s.field("definition", &open.index.id);
                s.field(
                    "state",
                    &if open.consent.is_some() {
                        "consented"
                    } else {
                        "awaiting consent"
                    },
                );
            }
            State::Withdrawn => {
                s.field("state", &"withdrawn");
            }
        }
        s.field("answers", &format_args!("<redacted>")).finish()
    }
}

fn no_consent(open: &Open) -> RequestError {
    match open.evaluator.privacy_notice() {
        Some(notice) => RequestError::new(
            ErrorCode::ConsentRequired,
            Some("consent.notice".to_string()),
            format!(
                "`{}` requires consent to privacy notice {notice} before anything else",
                open.index.id
            ),
            format!(
                "show the person privacy notice {notice}; once they agree, consent to \"{notice}\""
            ),
        ),
        None => RequestError::new(
            ErrorCode::ConsentRequired,
            Some("consent.notice".to_string()),
            format!("`{}`: nothing is done before consent", open.index.id),
            "record the person's consent first",
        ),
    }
}

fn withdrawn() -> RequestError {
    RequestError::new(
        ErrorCode::ConsentWithdrawn,
        None,
        WITHDRAWN,
        "start a new session if the person wants to answer again; this one holds nothing any more",
    )
}
