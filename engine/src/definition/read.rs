//! Reading the definition model from TOML.
//!
//! A small reader over toml's parsed, spanned document ([`DeTable`]) instead
//! of serde's derived `Deserialize`: the format is a handful of tables, and
//! deserializing them through serde instantiated every model type for several
//! of toml's deserializers (about 450 KB of the WebAssembly module). The
//! reader also reports *every* unknown key, missing key and wrong type of a
//! definition in one run, where serde stopped at the first.
//!
//! Each model type implements [`FromToml`]; the tables are declared in one
//! [`tables!`] list (type, how messages name it, its keys), which is also
//! what the test against the JSON Schema reads.

use crate::source::sorted::VecMap;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeString, DeTable, DeValue};

use crate::definition::model::{
    Aggregate, Band, Definition, Example, InstrumentSource, Item, LabelText, MissingRule, Mode,
    NeutralTexts, OutcomeDef, Questionnaire, ResultDef, Scale, ScaleOption, Score, Select,
    Strongest, Topic, Transform, Translation,
};
use crate::source::diagnostic::{Code, Sink};
use crate::source::span::{Source, Sp};
use crate::source::words::{quote_list, suggest};

/// A parsed TOML value with the byte range it was read from.
type Value<'i> = Spanned<DeValue<'i>>;

/// Parses a definition. `None` when the text is not TOML (one `syntax`
/// error) or does not have the shape of the format (every `unknown_key`,
/// `missing_key` and `invalid_type` found).
pub(crate) fn definition(source: &Source, sink: &mut Sink<'_>) -> Option<Definition> {
    let doc = match DeTable::parse(source.text()) {
        Ok(doc) => doc,
        Err(e) => {
            sink.error(Code::Syntax, e.span(), e.message().trim())
                .help("fix the TOML syntax at this position (see https://toml.io)");
            return None;
        }
    };
    let span = doc.span();
    let root = Spanned::new(span, DeValue::Table(doc.into_inner()));
    let mut reader = Reader { sink, key: "" };
    let def = Definition::read(&root, &mut reader);
    if reader.sink.has_errors() { None } else { def }
}

/// Reads values into the model, reporting what does not fit.
pub(crate) struct Reader<'a, 's> {
    sink: &'a mut Sink<'s>,
    /// The key whose value is being read, for messages (empty at the top).
    key: &'static str,
}

/// A model type that can be read from a TOML value.
pub(crate) trait FromToml: Sized {
    /// Reads the value; `None` after reporting why it does not fit.
    fn read(value: &Value<'_>, r: &mut Reader<'_, '_>) -> Option<Self>;
}

impl Reader<'_, '_> {
    /// Reports a value of the wrong type.
    fn invalid<T>(&mut self, value: &Value<'_>, expected: &str) -> Option<T> {
        let found = describe(value.get_ref());
        self.wrong(
            value.span(),
            format!(
                "invalid type{}: {found}, expected {expected}",
                self.for_key()
            ),
        );
        None
    }

    /// Reports a value of the right type that the format does not allow.
    fn wrong(&mut self, span: Range<usize>, message: String) {
        self.sink
            .error(Code::InvalidType, Some(span), message)
            .help("give the value the type the format reference names for this key");
    }

    fn for_key(&self) -> String {
        if self.key.is_empty() {
            String::new()
        } else {
            format!(" for `{}`", self.key)
        }
    }

    /// The table a value must be.
    fn table<'v, 'i>(&mut self, value: &'v Value<'i>) -> Option<&'v DeTable<'i>> {
        match value.get_ref() {
            DeValue::Table(t) => Some(t),
            _ => self.invalid(value, "a table"),
        }
    }

    /// Reports every key of `table` that is not in `keys`.
    fn unknown_keys(&mut self, table: &DeTable<'_>, keys: &[&str], name: &str) {
        for key in table.keys() {
            let key_name: &str = key.get_ref();
            if keys.contains(&key_name) {
                continue;
            }
            let known: Vec<String> = keys.iter().map(|k| (*k).to_string()).collect();
            let list = quote_list(keys);
            let help = suggest(
                key_name,
                &known,
                &format!("remove the key; {name} takes {list}"),
            );
            self.sink
                .error(
                    Code::UnknownKey,
                    Some(key.span()),
                    format!(
                        "unknown key `{key_name}` in {name}, expected {}",
                        one_of(keys)
                    ),
                )
                .help(help);
        }
    }

    /// Reads the value of `key`, which the table must have.
    fn required<T: FromToml>(
        &mut self,
        table: &DeTable<'_>,
        key: &'static str,
        value: &Value<'_>,
        name: &str,
    ) -> Option<T> {
        match table.get(key) {
            Some(v) => self.field(key, v),
            None => {
                self.sink
                    .error(
                        Code::MissingKey,
                        Some(value.span()),
                        format!("missing key `{key}` in {name}"),
                    )
                    .help(format!(
                        "add `{key} = …`; the format reference lists what each table requires"
                    ));
                None
            }
        }
    }

    /// Reads the value of `key`, or its default when the table lacks it.
    fn defaulted<T: FromToml + Default>(
        &mut self,
        table: &DeTable<'_>,
        key: &'static str,
    ) -> Option<T> {
        match table.get(key) {
            Some(value) => self.field(key, value),
            None => Some(T::default()),
        }
    }

    fn field<T: FromToml>(&mut self, key: &'static str, value: &Value<'_>) -> Option<T> {
        let outer = std::mem::replace(&mut self.key, key);
        let read = T::read(value, self);
        self.key = outer;
        read
    }

    /// An integer that fits in `i64`.
    fn integer(&mut self, value: &Value<'_>, expected: &str) -> Option<i64> {
        match value.get_ref() {
            DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
                Ok(n) => Some(n),
                Err(_) => {
                    let message = format!(
                        "invalid value{}: integer `{i}` is too large, expected {expected}",
                        self.for_key()
                    );
                    self.wrong(value.span(), message);
                    None
                }
            },
            _ => self.invalid(value, expected),
        }
    }
}

/// "`a`", "`a` or `b`", "one of `a`, `b`, `c`".
fn one_of(names: &[&str]) -> String {
    match names {
        [a, b] => format!("`{a}` or `{b}`"),
        [a] => format!("`{a}`"),
        _ => format!("one of {}", quote_list(names)),
    }
}

/// What a value is, for messages: `string "yes"`, `integer `3``, `a table`.
fn describe(value: &DeValue<'_>) -> String {
    match value {
        DeValue::String(s) => format!("string {:?}", s.as_ref()),
        DeValue::Integer(i) => format!("integer `{i}`"),
        DeValue::Float(f) => format!("floating point `{f}`"),
        DeValue::Boolean(b) => format!("boolean `{b}`"),
        DeValue::Datetime(d) => format!("datetime `{d}`"),
        DeValue::Array(_) => "an array".to_string(),
        DeValue::Table(_) => "a table".to_string(),
    }
}

impl FromToml for String {
    fn read(value: &Value<'_>, r: &mut Reader<'_, '_>) -> Option<Self> {
        match value.get_ref() {
            DeValue::String(s) => Some(s.to_string()),
            _ => r.invalid(value, "a string"),
        }
    }
}

impl FromToml for bool {
    fn read(value: &Value<'_>, r: &mut Reader<'_, '_>) -> Option<Self> {
        match value.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            _ => r.invalid(value, "a boolean"),
        }
    }
}

impl FromToml for i64 {
    fn read(value: &Value<'_>, r: &mut Reader<'_, '_>) -> Option<Self> {
        r.integer(value, "an integer")
    }
}

impl FromToml for u32 {
    fn read(value: &Value<'_>, r: &mut Reader<'_, '_>) -> Option<Self> {
        const EXPECTED: &str = "an integer from 0 to 4294967295";
        let n = r.integer(value, EXPECTED)?;
        match u32::try_from(n) {
            Ok(n) => Some(n),
            Err(_) => {
                let message = format!(
                    "invalid value{}: integer `{n}`, expected {EXPECTED}",
                    r.for_key()
                );
                r.wrong(value.span(), message);
                None
            }
        }
    }
}

/// A number: a TOML float, or an integer (`min = 0`), as serde reads them.
impl FromToml for f64 {
    fn read(value: &Value<'_>, r: &mut Reader<'_, '_>) -> Option<Self> {
        match value.get_ref() {
            DeValue::Float(f) => match f.as_str().parse::<f64>() {
                // A finite literal too large for f64 parses as infinity.
                Ok(x) if !x.is_infinite() || f.as_str().contains("inf") => Some(x),
                _ => {
                    let message = format!(
                        "invalid value{}: floating point `{f}` is out of range, expected a number",
                        r.for_key()
                    );
                    r.wrong(value.span(), message);
                    None
                }
            },
            // Integers beyond ±2^53 lose precision, as they do through serde.
            DeValue::Integer(_) => r.integer(value, "a number").map(|n| n as f64),
            _ => r.invalid(value, "a number"),
        }
    }
}

impl<T: FromToml> FromToml for Option<T> {
    fn read(value: &Value<'_>, r: &mut Reader<'_, '_>) -> Option<Self> {
        T::read(value, r).map(Some)
    }
}

impl<T: FromToml> FromToml for Sp<T> {
    fn read(value: &Value<'_>, r: &mut Reader<'_, '_>) -> Option<Self> {
        T::read(value, r).map(|v| Sp::new(v, value.span()))
    }
}

/// Every element is read, so every wrong one is reported.
impl<T: FromToml> FromToml for Vec<T> {
    fn read(value: &Value<'_>, r: &mut Reader<'_, '_>) -> Option<Self> {
        let DeValue::Array(elements) = value.get_ref() else {
            return r.invalid(value, "an array");
        };
        let mut out = Vec::with_capacity(elements.len());
        let mut ok = true;
        for element in elements.iter() {
            match T::read(element, r) {
                Some(v) => out.push(v),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }
}

/// The key of a table read as a map (a locale, an item id).
pub(crate) trait MapKey: Ord {
    fn from_key(key: &Spanned<DeString<'_>>) -> Self;
}

impl MapKey for String {
    fn from_key(key: &Spanned<DeString<'_>>) -> Self {
        key.get_ref().to_string()
    }
}

impl MapKey for Sp<String> {
    fn from_key(key: &Spanned<DeString<'_>>) -> Self {
        Sp::new(key.get_ref().to_string(), key.span())
    }
}

/// A table with free keys, e.g. a text (locale → string).
impl<K: MapKey, T: FromToml> FromToml for VecMap<K, T> {
    fn read(value: &Value<'_>, r: &mut Reader<'_, '_>) -> Option<Self> {
        let table = r.table(value)?;
        // Collected, then sorted once: a table with many keys in no
        // particular order costs `O(n log n)`, not an insertion each.
        let mut entries = Vec::with_capacity(table.len());
        let mut ok = true;
        for (key, v) in table.iter() {
            match T::read(v, r) {
                Some(v) => entries.push((K::from_key(key), v)),
                None => ok = false,
            }
        }
        ok.then(|| entries.into_iter().collect())
    }
}

/// Unit enums written as lowercase strings.
macro_rules! names {
    ($($ty:ident { $($variant:ident = $name:literal),* $(,)? })*) => {$(
        impl FromToml for $ty {
            fn read(value: &Value<'_>, r: &mut Reader<'_, '_>) -> Option<Self> {
                const NAMES: &[&str] = &[$($name),*];
                let DeValue::String(s) = value.get_ref() else {
                    return r.invalid(value, &one_of(NAMES));
                };
                match s.as_ref() {
                    $($name => Some($ty::$variant),)*
                    other => {
                        let message = format!(
                            "unknown value `{other}`{}, expected {}",
                            r.for_key(),
                            one_of(NAMES)
                        );
                        r.wrong(value.span(), message);
                        None
                    }
                }
            }
        }
    )*};
}

names! {
    Mode { Questionnaire = "questionnaire", Interview = "interview" }
    Aggregate { Sum = "sum", Mean = "mean" }
}

/// Reads one field: `required` keys must be present, `default` keys take
/// the field type's default when absent.
macro_rules! field {
    ($r:ident, $table:ident, $value:ident, $name:literal, $key:literal, required) => {
        $r.required($table, $key, $value, $name)
    };
    ($r:ident, $table:ident, $value:ident, $name:literal, $key:literal, default) => {
        $r.defaulted($table, $key)
    };
}

/// The tables of the format: each model struct with the name messages use
/// for it and its fields by TOML key. Unknown keys are errors.
macro_rules! tables {
    ($($ty:ident $name:literal { $($field:ident: $key:literal $kind:ident),* $(,)? })*) => {
        $(
            impl FromToml for $ty {
                fn read(value: &Value<'_>, r: &mut Reader<'_, '_>) -> Option<Self> {
                    let table = r.table(value)?;
                    r.unknown_keys(table, &[$($key),*], $name);
                    $(let $field = field!(r, table, value, $name, $key, $kind);)*
                    Some(Self { $($field: $field?,)* })
                }
            }
        )*

        /// Every table: its type name (as in the JSON Schema), its keys and
        /// which of them are required.
        #[cfg(test)]
        const TABLES: &[(&str, &[(&str, bool)])] = &[
            $((stringify!($ty), &[$(($key, stringify!($kind).len() == "required".len())),*]),)*
        ];
    };
}

tables! {
    Definition "the top level of the definition" {
        questionnaire: "questionnaire" required,
        scales: "scale" default,
        topics: "topic" default,
        items: "item" default,
        scores: "score" default,
        results: "result" default,
        examples: "example" default,
    }
    Questionnaire "[questionnaire]" {
        id: "id" required,
        version: "version" required,
        locales: "locales" required,
        title: "title" required,
        description: "description" required,
        instructions: "instructions" default,
        mode: "mode" default,
        k: "k" default,
        minutes: "minutes" default,
        privacy_notice: "privacy_notice" default,
        audiences: "audiences" default,
        source: "source" required,
        texts: "texts" default,
    }
    InstrumentSource "[questionnaire.source]" {
        citation: "citation" required,
        url: "url" default,
        licence: "licence" required,
        commercial_use: "commercial_use" default,
        translations: "translations" default,
    }
    Translation "a translation in [questionnaire.source.translations]" {
        validated: "validated" required,
        note: "note" default,
    }
    NeutralTexts "[questionnaire.texts]" {
        declined: "declined" default,
        insufficient: "insufficient" default,
    }
    LabelText "a neutral text in [questionnaire.texts]" {
        label: "label" required,
        explanation: "explanation" required,
    }
    Scale "[[scale]]" {
        id: "id" required,
        options: "options" required,
    }
    ScaleOption "an option of a [[scale]]" {
        code: "code" required,
        label: "label" required,
    }
    Topic "[[topic]]" {
        id: "id" required,
        title: "title" required,
        description: "description" default,
        k: "k" default,
    }
    Item "[[item]]" {
        id: "id" required,
        topic: "topic" default,
        scale: "scale" required,
        text: "text" required,
        reverse: "reverse" default,
        weight: "weight" default,
    }
    Score "[[score]]" {
        id: "id" required,
        items: "items" required,
        aggregate: "aggregate" default,
        rule: "rule" default,
        rule_file: "rule_file" default,
        missing: "missing" default,
        transform: "transform" default,
        round: "round" default,
    }
    MissingRule "the `missing` rule of a [[score]]" {
        min_answered: "min_answered" default,
        max_missing: "max_missing" default,
        prorate: "prorate" default,
    }
    Transform "the `transform` of a [[score]]" {
        multiply: "multiply" default,
        add: "add" default,
    }
    ResultDef "[[result]]" {
        id: "id" required,
        title: "title" required,
        score: "score" default,
        scores: "scores" default,
        rule: "rule" default,
        rule_file: "rule_file" default,
        outcomes: "outcome" default,
        select: "select" default,
        explanation: "explanation" default,
        strongest: "strongest" default,
        waiver: "waiver" default,
        audiences: "audiences" required,
        basis: "basis" default,
        bands: "band" default,
    }
    Band "[[result.band]]" {
        id: "id" required,
        min: "min" required,
        max: "max" required,
        label: "label" required,
        explanation: "explanation" required,
    }
    Select "the `select` of a [[result]]" {
        items: "items" required,
        min_code: "min_code" required,
        top: "top" default,
    }
    Strongest "the `strongest` of a [[result]]" {
        results: "results" required,
        min_band: "min_band" required,
    }
    OutcomeDef "[[result.outcome]]" {
        id: "id" required,
        label: "label" required,
        explanation: "explanation" required,
    }
    Example "[[example]]" {
        name: "name" required,
        answers: "answers" default,
        declined: "declined" default,
        expect: "expect" required,
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )]

    use super::*;

    /// The reader and the JSON Schema cannot drift: every table takes
    /// exactly the properties its schema names, and requires what it requires.
    #[test]
    fn tables_match_the_json_schema() {
        let schema: serde_json::Value =
            serde_json::from_str(&crate::json_schema(crate::SchemaKind::Definition)).unwrap();
        let defs = schema["$defs"].as_object().unwrap();
        let mut seen = 0;
        for (name, keys) in TABLES {
            let table = if *name == "Definition" {
                &schema
            } else {
                &defs[*name]
            };
            let properties: std::collections::BTreeSet<&str> = table["properties"]
                .as_object()
                .unwrap_or_else(|| panic!("{name} has no properties in the schema"))
                .keys()
                .map(String::as_str)
                .collect();
            let ours: std::collections::BTreeSet<&str> = keys.iter().map(|(k, _)| *k).collect();
            assert_eq!(ours, properties, "keys of {name}");
            let required: std::collections::BTreeSet<&str> = table["required"]
                .as_array()
                .map(|a| a.iter().map(|v| v.as_str().unwrap()).collect())
                .unwrap_or_default();
            let ours: std::collections::BTreeSet<&str> =
                keys.iter().filter(|(_, r)| *r).map(|(k, _)| *k).collect();
            assert_eq!(ours, required, "required keys of {name}");
            assert_eq!(
                table["additionalProperties"], false,
                "{name} denies unknown keys"
            );
            seen += 1;
        }
        // Every table of the schema is read (the others are the two enums).
        let tables_in_schema = defs
            .values()
            .filter(|d| d.get("properties").is_some())
            .count();
        assert_eq!(seen, tables_in_schema + 1);
    }

    fn errors(text: &str) -> Vec<crate::Diagnostic> {
        let source = Source::new("t.toml", text);
        let mut sink = Sink::new(&source);
        assert!(definition(&source, &mut sink).is_none());
        sink.into_vec()
    }

    #[test]
    fn every_shape_error_is_reported_in_one_run() {
        let text = r#"
[questionnaire]
id = "x"
version = 1
locales = ["en", 2]
title = { en = "X" }
colour = "red"
[questionnaire.source]
licence = "CC0-1.0"
[[item]]
id = "q1"
scale = "s"
text = { en = "Q" }
weight = "heavy"
reversed = true
"#;
        let found: Vec<(String, String)> = errors(text)
            .into_iter()
            .map(|d| (d.code.to_string(), d.message))
            .collect();
        let expected = [
            (
                "missing_key",
                "missing key `description` in [questionnaire]",
            ),
            (
                "invalid_type",
                "invalid type for `version`: integer `1`, expected a string",
            ),
            (
                "invalid_type",
                "invalid type for `locales`: integer `2`, expected a string",
            ),
            (
                "unknown_key",
                "unknown key `colour` in [questionnaire], expected one of `id`, `version`, `locales`, `title`, `description`, `instructions`, `mode`, `k`, `minutes`, `privacy_notice`, `audiences`, `source`, `texts`",
            ),
            (
                "missing_key",
                "missing key `citation` in [questionnaire.source]",
            ),
            (
                "invalid_type",
                "invalid type for `weight`: string \"heavy\", expected a number",
            ),
            (
                "unknown_key",
                "unknown key `reversed` in [[item]], expected one of `id`, `topic`, `scale`, `text`, `reverse`, `weight`",
            ),
        ];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(c, m)| ((*c).to_string(), (*m).to_string()))
            .collect();
        assert_eq!(found, expected);
    }

    #[test]
    fn numbers_read_like_serde() {
        let text = r#"
[questionnaire]
id = "x"
version = "1.0.0"
locales = ["en"]
title = { en = "X" }
description = { en = "X" }
k = 3
[questionnaire.source]
citation = "c"
licence = "l"
[[score]]
id = "s"
items = ["q1"]
transform = { multiply = 2, add = 0.5 }
[[result]]
id = "r"
title = { en = "R" }
audiences = ["participant"]
[[result.band]]
id = "low"
min = 0
max = 1e3
label = { en = "l" }
explanation = { en = "e" }
"#;
        let source = Source::new("t.toml", text);
        let mut sink = Sink::new(&source);
        let def = definition(&source, &mut sink).unwrap();
        assert_eq!(def.questionnaire.k.as_ref().map(|k| **k), Some(3));
        let transform = def.scores[0].transform.as_ref().unwrap();
        assert_eq!((transform.multiply, transform.add), (Some(2.0), Some(0.5)));
        assert_eq!(
            (*def.results[0].bands[0].min, *def.results[0].bands[0].max),
            (0.0, 1000.0)
        );

        for (value, message) in [
            (
                "k = -1",
                "invalid value for `k`: integer `-1`, expected an integer from 0 to 4294967295",
            ),
            (
                "k = 1.5",
                "invalid type for `k`: floating point `1.5`, expected an integer from 0 to 4294967295",
            ),
            (
                "mode = \"chat\"",
                "unknown value `chat` for `mode`, expected `questionnaire` or `interview`",
            ),
            (
                "k = 99999999999999999999",
                "invalid value for `k`: integer `99999999999999999999` is too large, expected an integer from 0 to 4294967295",
            ),
        ] {
            let broken = text.replace("k = 3", value);
            let found: Vec<String> = errors(&broken).into_iter().map(|d| d.message).collect();
            assert_eq!(found, [message]);
        }
    }
}
