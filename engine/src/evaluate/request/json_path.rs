//! Reading the request types from JSON while keeping track of where an
//! error is, so that the error can name its JSON path.
//!
//! Paths (this replaces serde_path_to_error, whose generic wrappers cost the
//! WebAssembly module ~14 KB): keys joined by `.`, indices in brackets
//! (`answers.q3`, `consent.notice`, `declined[1]`), a key that is not plain
//! ASCII in brackets and quotes, escaped and shortened like every untrusted
//! text ([`crate::source::quote`]: `answers["weird id"]`, `files["a.rhai"]`), and
//! `.` for the document itself. A key that could not be read (malformed
//! JSON) is placed at the object it is in.
//!
//! The request types implement [`Fields`]; [`Struct`] reads them like
//! serde's derive would (`deny_unknown_fields`, optional fields defaulted
//! and required ones checked in [`Fields::finish`], duplicate keys refused)
//! except that an array is not read as the fields by position: the
//! contract, and the JSON Schema, is an object. The seeds here record the
//! path of an error as it passes outward, and for errors whose serde text
//! would quote what was sent (an unknown key, an answer), the message to
//! give instead. The innermost record wins: it is the most precise.

use std::cell::Cell;
use std::fmt::{self, Write as _};
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::definition::model::VecMap;
use crate::evaluate::error::RequestError;
use crate::source::quote::{push_key, quote};

/// A JSON path, built on the stack while reading and written out only for
/// an error.
#[derive(Clone, Copy)]
pub(crate) enum Path<'a> {
    /// The whole document.
    Root,
    /// An object's value by key.
    Key(&'a Path<'a>, &'a str),
    /// An array's element by index.
    Index(&'a Path<'a>, usize),
    /// A key that could not be read (malformed JSON): the object it is in.
    Unknown(&'a Path<'a>),
}

/// The path of the document itself.
pub(crate) const ROOT: &str = ".";

impl Path<'_> {
    /// The path as text: [`ROOT`] for the document.
    pub(crate) fn text(&self) -> String {
        let mut out = String::new();
        if !self.write(&mut out) {
            out.push_str(ROOT);
        }
        out
    }

    /// Appends the path's segments to `out`; whether there were any.
    fn write(&self, out: &mut String) -> bool {
        match self {
            Path::Root => false,
            Path::Unknown(parent) => parent.write(out),
            Path::Index(parent, index) => {
                parent.write(out);
                let _ = write!(out, "[{index}]");
                true
            }
            Path::Key(parent, key) => {
                let first = !parent.write(out);
                push_key(out, key, first);
                true
            }
        }
    }
}

/// What went wrong where, recorded while reading.
pub(crate) struct Failure {
    /// The JSON path.
    pub(crate) path: String,
    /// The message and help to give instead of serde's (which would quote
    /// what was sent), unless the JSON itself is malformed.
    pub(crate) reason: Option<(String, String)>,
}

/// Where the error is, once one happened.
#[derive(Default)]
pub(crate) struct Track(Cell<Option<Failure>>);

impl Track {
    /// Records `path` as the error's, unless a deeper level already did.
    pub(crate) fn fail(&self, path: &Path<'_>) {
        self.record(path, None);
    }

    /// Records `path` and the message and help for an error whose serde
    /// text would quote what was sent, unless a deeper level already did.
    pub(crate) fn fail_with(&self, path: &Path<'_>, message: String, help: &str) {
        self.record(path, Some((message, help.to_string())));
    }

    fn record(&self, path: &Path<'_>, reason: Option<(String, String)>) {
        let recorded = self.0.take().unwrap_or_else(|| Failure {
            path: path.text(),
            reason,
        });
        self.0.set(Some(recorded));
    }

    /// What was recorded; the document when nothing was.
    fn failure(self) -> Failure {
        self.0.into_inner().unwrap_or_else(|| Failure {
            path: ROOT.to_string(),
            reason: None,
        })
    }
}

/// Reads a `T` from a whole JSON text: one object and nothing after it, or
/// the error at its path.
pub(crate) fn read<T: Fields>(json: &str) -> Result<T, RequestError> {
    let mut de = serde_json::Deserializer::from_str(json);
    let track = Track::default();
    let value = Struct::<T>::new(&track, &Path::Root)
        .deserialize(&mut de)
        .map_err(|e| RequestError::from_json(&e, track.failure()))?;
    de.end().map_err(|e| {
        RequestError::from_json(
            &e,
            Failure {
                path: ROOT.to_string(),
                reason: None,
            },
        )
    })?;
    Ok(value)
}

/// The most fields a [`Fields`] type may have (repeated keys are found by
/// an array this long).
const MAX_FIELDS: usize = 8;

/// A struct read from a JSON object, field by field.
pub(crate) trait Fields: Sized {
    /// The type's name, as serde's derive names it in errors.
    const NAME: &'static str;
    /// What the value must be, in plain words (`a JSON object like …`).
    const EXPECTING: &'static str;
    /// The JSON keys, in declaration order.
    const FIELDS: &'static [&'static str];
    /// What the document is, for errors (`request`, `compile request`).
    const WHAT: &'static str = "request";
    /// A small valid document, for errors.
    const EXAMPLE: &'static str = "{}";
    /// The fields read so far.
    type Builder: Default;
    /// Reads field `field` (an index into [`Self::FIELDS`]) at `at`.
    fn set<'de, D: Deserializer<'de>>(
        fields: &mut Self::Builder,
        field: usize,
        d: D,
        track: &Track,
        at: &Path<'_>,
    ) -> Result<(), D::Error>;
    /// The value, once the object ended.
    fn finish<E: de::Error>(fields: Self::Builder) -> Result<Self, E>;
}

/// Reads a [`Fields`] type at `at`.
pub(crate) struct Struct<'a, T> {
    track: &'a Track,
    at: &'a Path<'a>,
    t: PhantomData<T>,
}

impl<'a, T> Struct<'a, T> {
    pub(crate) fn new(track: &'a Track, at: &'a Path<'a>) -> Self {
        Self {
            track,
            at,
            t: PhantomData,
        }
    }
}

impl<'de, T: Fields> DeserializeSeed<'de> for Struct<'_, T> {
    type Value = T;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        let (track, at) = (self.track, self.at);
        let entered = Cell::new(false);
        d.deserialize_struct(
            T::NAME,
            T::FIELDS,
            StructVisitor {
                s: self,
                entered: &entered,
            },
        )
        .inspect_err(|_| {
            // Not an object (an array, a number, a string …), said in plain
            // words; serde would say `invalid type: …, expected struct …`.
            if !entered.get() {
                not_an_object(track, at, T::WHAT, T::EXPECTING, T::EXAMPLE);
            }
        })
    }
}

/// Records that the value at `at` is not an object. Not generic, so that
/// there is one copy for all.
fn not_an_object(track: &Track, at: &Path<'_>, what: &str, expecting: &str, example: &str) {
    let message = match at {
        Path::Root => format!("the {what} must be {expecting}"),
        _ => format!("`{}` must be {expecting}", at.text()),
    };
    let help = match at {
        Path::Root => format!("send one JSON object, e.g. {example}"),
        _ => "see `aspekt schema request` for the request's JSON Schema".to_string(),
    };
    track.fail_with(at, message, &help);
}

/// [`Struct`]'s visitor, noting that it was given an object.
struct StructVisitor<'a, 'b, T> {
    s: Struct<'a, T>,
    entered: &'b Cell<bool>,
}

impl<'de, T: Fields> Visitor<'de> for StructVisitor<'_, '_, T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        self.entered.set(true);
        let s = self.s;
        let mut fields = T::Builder::default();
        let mut seen = [false; MAX_FIELDS];
        while let Some(i) = next_field(&mut map, T::FIELDS, &mut seen, s.track, s.at)? {
            let key = T::FIELDS.get(i).copied().unwrap_or_default();
            map.next_value_seed(Field::<T> {
                fields: &mut fields,
                i,
                track: s.track,
                at: Path::Key(s.at, key),
            })?;
        }
        T::finish(fields)
    }
}

/// The next key of an object read as a [`Fields`] type with these
/// `fields`: its index, or an error for an unknown or repeated key. Not
/// generic over the type, so that there is one copy for all.
fn next_field<'de, A: MapAccess<'de>>(
    map: &mut A,
    fields: &'static [&'static str],
    seen: &mut [bool],
    track: &Track,
    at: &Path<'_>,
) -> Result<Option<usize>, A::Error> {
    let name = FieldName { fields, track, at };
    let next = map.next_key_seed(name);
    let Some(i) = next.inspect_err(|_| track.fail(&Path::Unknown(at)))? else {
        return Ok(None);
    };
    match seen.get_mut(i) {
        Some(true) => {
            let key = fields.get(i).copied().unwrap_or_default();
            Err(de::Error::duplicate_field(key))
        }
        Some(seen) => {
            *seen = true;
            Ok(Some(i))
        }
        None => Ok(Some(i)),
    }
}

/// A key of a [`Fields`] type: its index. An unknown key is an error at
/// the key's path.
#[derive(Clone, Copy)]
struct FieldName<'a> {
    fields: &'static [&'static str],
    track: &'a Track,
    at: &'a Path<'a>,
}

impl<'de> DeserializeSeed<'de> for FieldName<'_> {
    type Value = usize;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_identifier(self)
    }
}

impl Visitor<'_> for FieldName<'_> {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("field identifier")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<usize, E> {
        self.fields.iter().position(|f| *f == v).ok_or_else(|| {
            let expected = match self.fields {
                [one] => format!("the only key here is `{one}`"),
                _ => format!(
                    "the keys here are {}",
                    crate::source::words::quote_list(self.fields)
                ),
            };
            let message = format!("unknown key {}: {expected}", quote(v));
            let e = E::custom(&message);
            self.track.fail_with(
                &Path::Key(self.at, v),
                message,
                "remove the key or correct its spelling; `aspekt schema request` gives the JSON Schema",
            );
            e
        })
    }
}

/// The value of one field of a [`Fields`] type.
struct Field<'a, T: Fields> {
    fields: &'a mut T::Builder,
    i: usize,
    track: &'a Track,
    at: Path<'a>,
}

impl<'de, T: Fields> DeserializeSeed<'de> for Field<'_, T> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        T::set(self.fields, self.i, d, self.track, &self.at)
            .inspect_err(|_| self.track.fail(&self.at))
    }
}

/// A value with nothing to track inside (a string, an answer code).
pub(crate) struct Leaf<'a, T> {
    track: &'a Track,
    at: Path<'a>,
    t: PhantomData<T>,
}

impl<'a, T> Leaf<'a, T> {
    pub(crate) fn new(track: &'a Track, at: Path<'a>) -> Self {
        Self {
            track,
            at,
            t: PhantomData,
        }
    }
}

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for Leaf<'_, T> {
    type Value = T;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        T::deserialize(d).inspect_err(|_| self.track.fail(&self.at))
    }
}

/// `null` or what the seed reads, like `Option<T>`.
pub(crate) struct Nullable<S>(pub(crate) S);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Nullable<S> {
    type Value = Option<S::Value>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de, S: DeserializeSeed<'de>> Visitor<'de> for Nullable<S> {
    type Value = Option<S::Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("option")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.0.deserialize(d).map(Some)
    }
}

/// A list of strings (`Vec<String>`), each at its index.
pub(crate) struct Strings<'a> {
    pub(crate) track: &'a Track,
    pub(crate) at: &'a Path<'a>,
}

impl<'de> DeserializeSeed<'de> for Strings<'_> {
    type Value = Vec<String>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<String>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Strings<'_> {
    type Value = Vec<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sequence")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<String>, A::Error> {
        let mut out = Vec::new();
        while let Some(s) =
            seq.next_element_seed(Leaf::new(self.track, Path::Index(self.at, out.len())))?
        {
            out.push(s);
        }
        Ok(out)
    }
}

/// A map of strings by string, each value at its key; a repeated key
/// replaces the earlier value.
pub(crate) struct StringMap<'a> {
    pub(crate) track: &'a Track,
    pub(crate) at: &'a Path<'a>,
}

impl<'de> DeserializeSeed<'de> for StringMap<'_> {
    type Value = VecMap<String, String>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for StringMap<'_> {
    type Value = VecMap<String, String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        // Collected, then sorted once (`collect` keeps the last of equal
        // keys): many files in no order cost `O(n log n)`.
        let mut out = Vec::new();
        while let Some(key) = map
            .next_key::<String>()
            .inspect_err(|_| self.track.fail(&Path::Unknown(self.at)))?
        {
            let value = map.next_value_seed(Leaf::new(self.track, Path::Key(self.at, &key)))?;
            out.push((key, value));
        }
        Ok(out.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::indexing_slicing, reason = "test code")]

    use super::*;

    fn text(path: &Path<'_>) -> String {
        let track = Track::default();
        track.fail(path);
        track.failure().path
    }

    /// serde_path_to_error's format for plain keys, brackets and quotes for
    /// the others, `.` for the document.
    #[test]
    fn paths_are_written_with_plain_keys_or_quoted_ones() {
        let root = Path::Root;
        assert_eq!(text(&root), ".");
        assert_eq!(Track::default().failure().path, ".");
        let answers = Path::Key(&root, "answers");
        assert_eq!(text(&answers), "answers");
        assert_eq!(text(&Path::Key(&answers, "q1")), "answers.q1");
        // A key that could not be read: the object it is in.
        assert_eq!(text(&Path::Unknown(&answers)), "answers");
        assert_eq!(text(&Path::Unknown(&root)), ".");
        let declined = Path::Key(&root, "declined");
        assert_eq!(text(&Path::Index(&declined, 1)), "declined[1]");
        let third = Path::Index(&root, 3);
        assert_eq!(text(&third), "[3]");
        assert_eq!(text(&Path::Key(&third, "a.rhai")), r#"[3]["a.rhai"]"#);
        assert_eq!(text(&Path::Index(&third, 0)), "[3][0]");
        // An empty key is a segment too.
        let empty = Path::Key(&root, "");
        assert_eq!(text(&empty), r#"[""]"#);
        assert_eq!(text(&Path::Key(&empty, "x")), r#"[""].x"#);
        // Untrusted keys are escaped and shortened.
        let odd = Path::Key(&answers, "q\n1\u{202e}");
        assert_eq!(text(&odd), r#"answers["q\n1\u{202e}"]"#);
        let long = "a".repeat(1 << 20);
        assert_eq!(
            text(&Path::Key(&answers, &long)),
            format!("answers[\"{}…\"]", "a".repeat(crate::QUOTE_LIMIT))
        );
    }

    /// The innermost level records the path; outer levels leave it.
    #[test]
    fn the_first_recorded_path_wins() {
        let track = Track::default();
        let root = Path::Root;
        let consent = Path::Key(&root, "consent");
        track.fail(&Path::Key(&consent, "notice"));
        track.fail(&consent);
        track.fail_with(&root, "m".into(), "h");
        let failure = track.failure();
        assert_eq!(failure.path, "consent.notice");
        assert!(failure.reason.is_none());
    }

    #[test]
    fn repeated_keys_are_found_in_every_request_type() {
        for fields in [
            crate::Request::FIELDS,
            crate::Consent::FIELDS,
            crate::surface::api::CompileRequest::FIELDS,
            crate::surface::api::LocaleRequest::FIELDS,
        ] {
            assert!(fields.len() <= MAX_FIELDS, "{fields:?}");
        }
    }
}
