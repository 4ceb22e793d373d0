//! What a host sends to evaluate: answers, declined topics, consent.
//!
//! [`Answers`] is the only type that ever holds a person's answers. It has no
//! `Serialize`, its `Debug` is redacted, and its memory is zeroized on drop.

use std::fmt;
use std::hash::{Hash, Hasher};

use rustc_hash::{FxHashSet, FxHasher};
use schemars::JsonSchema;
use serde::de::{DeserializeSeed, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use zeroize::{Zeroize, ZeroizeOnDrop};

pub(crate) mod json_path;

use crate::source::quote::quote;
use json_path::{Fields, Nullable, Path, Strings, Struct, Track};

/// A person's answers by item id. `None` means "not answered".
///
/// ```
/// let mut answers = aspekt::Answers::new();
/// answers.insert("q1", 3);
/// assert_eq!(format!("{answers:?}"), "Answers(<1 redacted>)");
/// ```
#[derive(Clone, Default, Zeroize, ZeroizeOnDrop)]
pub struct Answers {
    entries: Vec<(String, Option<i64>)>,
}

impl Answers {
    /// No answers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the code for an item, replacing an earlier one.
    pub fn insert(&mut self, item: impl Into<String>, code: i64) {
        self.set(item.into(), Some(code));
    }

    /// Marks an item as not answered (the same as leaving it out).
    pub fn clear(&mut self, item: &str) {
        self.set(item.to_string(), None);
    }

    fn set(&mut self, item: String, code: Option<i64>) {
        match self.entries.iter_mut().find(|(id, _)| *id == item) {
            Some(entry) => {
                entry.1.zeroize();
                entry.1 = code;
            }
            None => self.push(item, code),
        }
    }

    /// Appends without leaving copies behind: when the vector is full, the
    /// entries move to a larger one and the old buffer is zeroized before it
    /// is freed (a plain `push` would free it as it is).
    fn push(&mut self, item: String, code: Option<i64>) {
        if self.entries.len() == self.entries.capacity() {
            let mut bigger = Vec::with_capacity((self.entries.capacity() * 2).max(8));
            bigger.append(&mut self.entries);
            // `append` moved the Strings (their heap text did not move); the
            // old buffer held only their handles and the codes: wipe it.
            self.entries.zeroize();
            self.entries = bigger;
        }
        self.entries.push((item, code));
    }

    /// No answers, with room for `n` without reallocating.
    pub fn with_capacity(n: usize) -> Self {
        Self {
            entries: Vec::with_capacity(n),
        }
    }

    /// How many items carry an entry (answered or explicitly unanswered).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub(crate) fn entries(&self) -> &[(String, Option<i64>)] {
        &self.entries
    }
}

impl fmt::Debug for Answers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Answers(<{} redacted>)", self.entries.len())
    }
}

impl<'de> Deserialize<'de> for Answers {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        AnswersAt {
            track: &Track::default(),
            at: &Path::Root,
        }
        .deserialize(d)
    }
}

/// Reads [`Answers`], each at its item id's path (`answers.q1`), straight
/// from the JSON: nothing holds the answers but `Answers`.
struct AnswersAt<'a> {
    track: &'a Track,
    at: &'a Path<'a>,
}

impl<'de> DeserializeSeed<'de> for AnswersAt<'_> {
    type Value = Answers;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Answers, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for AnswersAt<'_> {
    type Value = Answers;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object mapping item ids to integer codes (or null)")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Answers, A::Error> {
        let mut answers = Answers::with_capacity(map.size_hint().unwrap_or(0).min(1024));
        // Hashes of the item ids seen (ids, not answers): a repeated id is
        // confirmed by a scan only when its hash repeats, so the check stays
        // linear.
        let mut seen = FxHashSet::default();
        while let Some(key) = map
            .next_key::<String>()
            .inspect_err(|_| self.track.fail(&Path::Unknown(self.at)))?
        {
            let at = Path::Key(self.at, &key);
            let code = map
                .next_value_seed(CodeAt {
                    track: self.track,
                    at: &at,
                    item: &key,
                })?
                .map(|c| c.0);
            let mut h = FxHasher::default();
            key.hash(&mut h);
            if !seen.insert(h.finish()) && answers.entries.iter().any(|(id, _)| *id == key) {
                let message = format!("item {} is answered twice", quote(&key));
                let e = serde::de::Error::custom(&message);
                self.track
                    .fail_with(&at, message, "send each item's answer once");
                return Err(e);
            }
            answers.push(key, code);
        }
        Ok(answers)
    }
}

/// Reads an answer's code (or null) at its item's path. serde's text would
/// name the value sent ("invalid type: string \"…\""): never repeat an
/// answer, errors get logged.
struct CodeAt<'a> {
    track: &'a Track,
    at: &'a Path<'a>,
    item: &'a str,
}

impl<'de> DeserializeSeed<'de> for CodeAt<'_> {
    type Value = Option<Code>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<Code>, D::Error> {
        Option::<Code>::deserialize(d).inspect_err(|_| {
            self.track.fail_with(
                self.at,
                format!(
                    "the answer to item {} is not an integer code or null",
                    quote(self.item)
                ),
                "send each answer as an integer code from the item's scale, or null for no answer",
            );
        })
    }
}

/// An answer code: an integer, with a message that says so.
struct Code(i64);

impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Code;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer answer code")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Code, E> {
                Ok(Code(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Code, E> {
                i64::try_from(v)
                    .map(Code)
                    .map_err(|_| E::custom("answer code out of range"))
            }
        }
        d.deserialize_i64(V)
    }
}

/// Consent to a privacy notice.
#[derive(Clone, Debug, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Consent {
    /// The version of the privacy notice the person agreed to.
    pub notice: String,
}

/// A request to evaluate one person's answers.
#[derive(Clone, Debug, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "aspekt evaluation request")]
pub struct Request {
    /// Answers by item id: an integer code from the item's scale, or null
    /// (not answered). Items left out are not answered.
    #[serde(default)]
    #[schemars(with = "std::collections::BTreeMap<String, Option<i64>>")]
    pub answers: Answers,
    /// Topics the person declined. A declined topic is never scored.
    #[serde(default)]
    pub declined: Vec<String>,
    /// Consent to the privacy notice the definition requires.
    #[serde(default)]
    pub consent: Option<Consent>,
    /// Locale of the report's texts; default: the definition's first locale.
    #[serde(default)]
    pub locale: Option<String>,
    /// Who the report is for; default `participant`.
    #[serde(default)]
    pub audience: Option<String>,
}

impl Request {
    /// A request with these answers and nothing else.
    pub fn new(answers: Answers) -> Self {
        Self {
            answers,
            ..Self::default()
        }
    }

    /// Sets the consent to a privacy-notice version.
    pub fn with_consent(mut self, notice: impl Into<String>) -> Self {
        self.consent = Some(Consent {
            notice: notice.into(),
        });
        self
    }

    /// Sets the audience.
    pub fn with_audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// Sets the locale.
    pub fn with_locale(mut self, locale: impl Into<String>) -> Self {
        self.locale = Some(locale.into());
        self
    }

    /// Declines a topic.
    pub fn decline(mut self, topic: impl Into<String>) -> Self {
        self.declined.push(topic.into());
        self
    }

    /// Parses a request from JSON. Errors name the JSON path.
    pub fn from_json(json: &str) -> Result<Self, crate::evaluate::error::RequestError> {
        json_path::read(json)
    }
}

// The request types are read by hand (not derived) so that errors know
// their JSON path; see `json_path`. The `#[serde]` attributes above still
// shape the JSON Schema, and say what these implement.

impl Fields for Consent {
    const NAME: &'static str = "Consent";
    const EXPECTING: &'static str = "a JSON object like {\"notice\": \"…\"}";
    const FIELDS: &'static [&'static str] = &["notice"];
    type Builder = Option<String>;
    fn set<'de, D: Deserializer<'de>>(
        notice: &mut Option<String>,
        _: usize,
        d: D,
        _: &Track,
        _: &Path<'_>,
    ) -> Result<(), D::Error> {
        *notice = Some(String::deserialize(d)?);
        Ok(())
    }
    fn finish<E: serde::de::Error>(notice: Option<String>) -> Result<Self, E> {
        match notice {
            Some(notice) => Ok(Consent { notice }),
            None => Err(E::missing_field("notice")),
        }
    }
}

impl Fields for Request {
    const NAME: &'static str = "Request";
    const EXPECTING: &'static str =
        "a JSON object like {\"answers\": {…}, \"consent\": {\"notice\": \"…\"}}";
    const EXAMPLE: &'static str = "{\"answers\": {\"q1\": 3}}";
    const FIELDS: &'static [&'static str] =
        &["answers", "declined", "consent", "locale", "audience"];
    type Builder = Request;
    fn set<'de, D: Deserializer<'de>>(
        req: &mut Request,
        field: usize,
        d: D,
        track: &Track,
        at: &Path<'_>,
    ) -> Result<(), D::Error> {
        match field {
            0 => req.answers = AnswersAt { track, at }.deserialize(d)?,
            1 => req.declined = Strings { track, at }.deserialize(d)?,
            2 => req.consent = Nullable(Struct::new(track, at)).deserialize(d)?,
            3 => req.locale = Option::deserialize(d)?,
            _ => req.audience = Option::deserialize(d)?,
        }
        Ok(())
    }
    fn finish<E: serde::de::Error>(req: Request) -> Result<Self, E> {
        Ok(req)
    }
}

impl<'de> Deserialize<'de> for Consent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Struct::new(&Track::default(), &Path::Root).deserialize(d)
    }
}

impl<'de> Deserialize<'de> for Request {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Struct::new(&Track::default(), &Path::Root).deserialize(d)
    }
}
