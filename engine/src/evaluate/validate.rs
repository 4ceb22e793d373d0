//! Validation of what a request names and answers, written once for every
//! way in: `evaluate` (a JSON request), batches (a code matrix), sessions
//! (one answer at a time), and the locale of forms and transparency
//! statements. Each error has one named constructor, so the same bad input
//! gets the same message everywhere; only the help may differ where the
//! input really does (null, the missing marker, clearing an item).
//!
//! Messages name the item, never the answer: errors may be logged.

use crate::evaluate::error::{ErrorCode, RequestError};
use crate::plan::compiled::Compiled;
use crate::source::quote::{key_path, quote};
use crate::source::words::{join_codes, quote_list, suggest};

/// How the caller's input says "no answer", and so how to fix a bad one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Via {
    /// A request's answers: `null` is no answer.
    Request,
    /// A batch's code matrix: the missing marker is no answer.
    Batch,
    /// A session: an item is cleared to take its answer back.
    Session,
}

impl Via {
    fn no_answer(self) -> &'static str {
        match self {
            Via::Request => ", or null for no answer",
            Via::Batch => ", or the missing marker for no answer",
            Via::Session => "; clear the item for no answer",
        }
    }

    fn declined_help(self) -> &'static str {
        match self {
            Via::Request | Via::Batch => {
                "a declined topic carries no answers: drop its answers or the decline"
            }
            Via::Session => "a declined topic carries no answers: reopen the topic first",
        }
    }
}

fn quote_strings(items: &[String]) -> String {
    quote_list(&items.iter().map(String::as_str).collect::<Vec<_>>())
}

/// The path of an item's answer.
pub(crate) fn answer_path(item: &str) -> Option<String> {
    Some(key_path("answers", item))
}

/// An item the definition does not have, at `path`.
pub(crate) fn unknown_item(
    c: &Compiled,
    item: &str,
    path: Option<String>,
    fallback: &str,
) -> RequestError {
    RequestError::new(
        ErrorCode::UnknownItem,
        path,
        format!("`{}` has no item {}", c.id, quote(item)),
        suggest(item, &c.item_ids, fallback),
    )
}

/// The fallback help of an unknown answered item.
pub(crate) const ANSWER_ONLY_ITEMS: &str = "answer only the definition's items (see its form)";

/// A topic the definition does not have, at `path`.
pub(crate) fn unknown_topic(c: &Compiled, topic: &str, path: Option<String>) -> RequestError {
    RequestError::new(
        ErrorCode::UnknownTopic,
        path,
        format!("`{}` has no topic {}", c.id, quote(topic)),
        format!("decline one of {}", quote_strings(&c.topics)),
    )
}

/// The locale a request for `locale` gets: the given one if declared, else
/// the definition's first; an undeclared one is an error.
pub(crate) fn resolve_locale(c: &Compiled, locale: Option<&str>) -> Result<String, RequestError> {
    match locale {
        None => Ok(c.locales.first().cloned().unwrap_or_default()),
        Some(l) if c.locales.iter().any(|x| x == l) => Ok(l.to_string()),
        Some(l) => Err(RequestError::new(
            ErrorCode::UnknownLocale,
            Some("locale".to_string()),
            format!("`{}` has no locale {}", c.id, quote(l)),
            format!("use one of {}", quote_strings(&c.locales)),
        )),
    }
}

/// Checks that the definition releases results to `audience`.
pub(crate) fn check_audience(c: &Compiled, audience: &str) -> Result<(), RequestError> {
    if c.audiences.iter().any(|a| a == audience) {
        return Ok(());
    }
    Err(RequestError::new(
        ErrorCode::UnknownAudience,
        Some("audience".to_string()),
        format!("`{}` has no audience {}", c.id, quote(audience)),
        format!("use one of {}", quote_strings(&c.audiences)),
    ))
}

/// An answer to an item of a declined topic.
// Error paths stay out of line: inlined into the per-answer loop they cost
// the WebAssembly module bytes and the loop nothing.
#[inline(never)]
fn answer_in_declined_topic(c: &Compiled, idx: usize, via: Via) -> RequestError {
    let item = c.item_ids.get(idx).map_or("", String::as_str);
    let topic = c
        .item_topic
        .get(idx)
        .and_then(|t| c.topics.get(*t))
        .map_or("", String::as_str);
    RequestError::new(
        ErrorCode::AnswerInDeclinedTopic,
        answer_path(item),
        format!(
            "item {} is answered, but its topic `{topic}` is declined",
            quote(item)
        ),
        via.declined_help(),
    )
}

/// An answer that is not a code of its item's scale. The message does not
/// repeat the code.
#[inline(never)]
fn invalid_code(c: &Compiled, idx: usize, via: Via) -> RequestError {
    let item = c.item_ids.get(idx).map_or("", String::as_str);
    let codes = c
        .item_scale
        .get(idx)
        .and_then(|s| c.scales.get(*s))
        .map(|s| s.codes.as_slice())
        .unwrap_or_default();
    RequestError::new(
        ErrorCode::InvalidCode,
        answer_path(item),
        format!(
            "the answer to item {} is not a code of its scale",
            quote(item)
        ),
        format!(
            "answer with one of the codes {}{}",
            join_codes(codes),
            via.no_answer()
        ),
    )
}

/// Validates one answer to item `idx` (`None`: not answered) against the
/// plan: an answer must not be in a declined topic, and must be a code of
/// the item's scale.
pub(crate) fn validate_answer(
    c: &Compiled,
    idx: usize,
    code: Option<i64>,
    declined: &[bool],
    via: Via,
) -> Result<(), RequestError> {
    let Some(code) = code else {
        return Ok(());
    };
    let topic = c.item_topic.get(idx).copied().unwrap_or(0);
    if declined.get(topic).copied().unwrap_or(false) {
        return Err(answer_in_declined_topic(c, idx, via));
    }
    let scale = c.item_scale.get(idx).and_then(|s| c.scales.get(*s));
    if !scale.is_some_and(|s| s.contains(code)) {
        return Err(invalid_code(c, idx, via));
    }
    Ok(())
}
