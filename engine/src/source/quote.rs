//! Quoting untrusted text (an item id, a locale, a key a host sent) for
//! error messages and JSON paths.
//!
//! Hosts log errors, so an error must not carry what an attacker put into a
//! request: not a 50 MB id, not a newline that forges a log line, not a
//! right-to-left override that makes `q1` read as something else. Every
//! request error that names request text writes it through here:
//!
//! - Control characters, bidirectional controls (U+202A–U+202E,
//!   U+2066–U+2069, U+200E, U+200F, U+061C) and other invisible or format
//!   characters are written as escapes: `\n`, `\r`, `\t`, `\0`, else
//!   `\u{202e}`. So are `\`, `` ` ``, `"` (as `\\`, `` \` ``, `\"`) and `…`
//!   (as `\u{2026}`), so that the quotes and the shortening mark below always
//!   mean what they say.
//! - At most [`QUOTE_LIMIT`] characters are written (an escape counts with
//!   its length; it is never cut in half). A longer text shows its start
//!   followed by `…` inside the quotes: `` `aaaa…` ``.
//!
//! Messages quote with backticks (`` `q1` ``). Paths write a key as is when
//! it is 1 to [`QUOTE_LIMIT`] ASCII letters, digits, `_` or `-`
//! (`answers.q3`), and otherwise in brackets with the same escapes
//! (`answers["weird id"]`, `files["a.rhai"]`).
//!
//! Hand-written rather than taken from a crate: it is a few lines over
//! `char::escape_debug` (the standard library's table of printable
//! characters), which builds for `wasm32-unknown-unknown` with no imports,
//! and no crate found both escapes and bounds the length.

use std::fmt::{self, Write as _};

/// The most characters of untrusted text an error shows, escapes included.
pub const QUOTE_LIMIT: usize = 40;

/// Untrusted text as an error shows it: between backticks, escaped and
/// shortened (see the [module](self)). `quote("a\nb").to_string()` is
/// `` `a\nb` ``.
#[derive(Clone, Copy, Debug)]
pub struct Quoted<'a>(&'a str);

/// Quotes untrusted text for an error message.
///
/// ```
/// assert_eq!(aspekt::quote("q1").to_string(), "`q1`");
/// assert_eq!(aspekt::quote("q\u{202e}1\n").to_string(), r"`q\u{202e}1\n`");
/// let long = "a".repeat(1_000_000);
/// assert_eq!(aspekt::quote(&long).to_string(), format!("`{}…`", "a".repeat(40)));
/// ```
pub fn quote(text: &str) -> Quoted<'_> {
    Quoted(text)
}

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('`')?;
        write_escaped(f, self.0)?;
        f.write_char('`')
    }
}

/// Writes `text` escaped and shortened, without quotes.
pub(crate) fn write_escaped(out: &mut impl fmt::Write, text: &str) -> fmt::Result {
    let mut written = 0;
    let mut buf = String::new();
    for c in text.chars() {
        buf.clear();
        escape(c, &mut buf);
        let len = buf.chars().count();
        if written + len > QUOTE_LIMIT {
            return out.write_char('…');
        }
        out.write_str(&buf)?;
        written += len;
    }
    Ok(())
}

/// Appends one JSON path segment for an object key to `out`: `.key` (or
/// `key` at the start) when plain, else `["…"]`.
pub(crate) fn push_key(out: &mut String, key: &str, first: bool) {
    if is_plain(key) {
        if !first {
            out.push('.');
        }
        out.push_str(key);
    } else {
        out.push_str("[\"");
        let _ = write_escaped(out, key);
        out.push_str("\"]");
    }
}

/// Whether `text` is 1 to [`QUOTE_LIMIT`] ASCII letters, digits, `_` or
/// `-`: safe to show as it is.
pub(crate) fn is_plain(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= QUOTE_LIMIT
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The JSON path of `key` in the top-level object `field`, e.g.
/// `answers.q3` or `answers["a b"]`, quoted like every untrusted text.
///
/// ```
/// assert_eq!(aspekt::key_path("answers", "q3"), "answers.q3");
/// assert_eq!(aspekt::key_path("answers", "q 3\n"), r#"answers["q 3\n"]"#);
/// ```
pub fn key_path(field: &str, key: &str) -> String {
    let mut out = String::new();
    push_key(&mut out, field, true);
    push_key(&mut out, key, false);
    out
}

fn escape(c: char, out: &mut String) {
    match c {
        '\\' => out.push_str("\\\\"),
        '`' => out.push_str("\\`"),
        '"' => out.push_str("\\\""),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\0' => out.push_str("\\0"),
        '\'' | ' ' => out.push(c),
        c if visible(c) => out.push(c),
        c => {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
    }
}

/// Whether `c` shows as itself: not a control, format, separator (other
/// than space), private-use, unassigned or combining character, nor one of
/// the letters and symbols that render as blank space.
fn visible(c: char) -> bool {
    // `escape_debug` leaves exactly the printable characters as they are
    // (it escapes `Cc`, `Cf`, `Z*` but space, `Co`, `Cn` and grapheme
    // extenders, the bidi controls among them).
    let mut e = c.escape_debug();
    let printable = e.next() == Some(c) && e.next().is_none();
    printable
        && !matches!(
            c,
            // Hangul fillers, the braille blank, the Mongolian vowel
            // separator, the ellipsis this module uses as its mark.
            '\u{115f}' | '\u{1160}' | '\u{3164}' | '\u{ffa0}' | '\u{2800}' | '\u{180e}' | '…'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inner(s: &str) -> String {
        let mut out = String::new();
        let _ = write_escaped(&mut out, s);
        out
    }

    #[test]
    fn controls_bidi_and_invisible_characters_are_escaped() {
        assert_eq!(inner("a\nb\r\t\0"), r"a\nb\r\t\0");
        for c in [
            '\u{202a}',
            '\u{202b}',
            '\u{202c}',
            '\u{202d}',
            '\u{202e}',
            '\u{2066}',
            '\u{2067}',
            '\u{2068}',
            '\u{2069}',
            '\u{200e}',
            '\u{200f}',
            '\u{061c}',
            '\u{200b}',
            '\u{200d}',
            '\u{feff}',
            '\u{00a0}',
            '\u{2028}',
            '\u{2029}',
            '\u{1b}',
            '\u{7f}',
            '\u{85}',
            '\u{e0041}',
            '\u{fe0f}',
            '\u{3164}',
            '\u{115f}',
            '\u{e000}',
            '\u{0301}',
        ] {
            let s = inner(&format!("x{c}y"));
            assert_eq!(s, format!("x\\u{{{:x}}}y", u32::from(c)), "{c:?}");
        }
        assert_eq!(inner(r#"a`b"c\d…"#), r#"a\`b\"c\\d\u{2026}"#);
    }

    #[test]
    fn readable_text_stays_as_it_is() {
        for s in [
            "q1",
            "wellbeing",
            "de-CH",
            "Übersprungen",
            "don't",
            "a b",
            "日本語",
        ] {
            assert_eq!(inner(s), s);
        }
    }

    #[test]
    fn long_text_is_shortened_with_a_mark() {
        assert_eq!(inner(&"a".repeat(QUOTE_LIMIT)), "a".repeat(QUOTE_LIMIT));
        let long = "a".repeat(QUOTE_LIMIT + 1);
        assert_eq!(inner(&long), format!("{}…", "a".repeat(QUOTE_LIMIT)));
        // An escape is never cut: it counts with its length.
        let rlo = "\u{202e}".repeat(100);
        let s = inner(&rlo);
        assert_eq!(s, format!("{}…", r"\u{202e}".repeat(5)));
        assert!(s.chars().count() <= QUOTE_LIMIT + 1);
        let s = inner(&format!("{}\u{202e}", "a".repeat(QUOTE_LIMIT - 3)));
        assert_eq!(s, format!("{}…", "a".repeat(QUOTE_LIMIT - 3)));
    }

    #[test]
    fn path_keys_are_plain_or_bracketed() {
        assert_eq!(key_path("answers", "q3"), "answers.q3");
        assert_eq!(key_path("answers", "weird id"), r#"answers["weird id"]"#);
        assert_eq!(key_path("answers", "a.b"), r#"answers["a.b"]"#);
        assert_eq!(key_path("answers", ""), r#"answers[""]"#);
        assert_eq!(key_path("answers", "q\n\"]x"), r#"answers["q\n\"]x"]"#);
        let long = "a".repeat(QUOTE_LIMIT + 1);
        assert_eq!(
            key_path("answers", &long),
            format!("answers[\"{}…\"]", "a".repeat(QUOTE_LIMIT))
        );
        let mut out = String::new();
        push_key(&mut out, "a b", true);
        assert_eq!(out, r#"["a b"]"#);
    }
}
