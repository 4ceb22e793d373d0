//! The JSON surface for hosts that speak JSON (the WebAssembly module, and
//! any host that prefers strings to types): JSON in, JSON out, with the same
//! request, report and error shapes as the CLI. Every function returns either
//! its result or the error envelope `{"error": {...}}`, never panics, and
//! never returns anything derived from answers but a report.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::de::DeserializeSeed;
use serde::{Deserialize, Deserializer, Serialize};

use crate::compile::Options;
use crate::definition::model::{Mode, VecMap};
use crate::evaluate::error::{ErrorCode, ErrorEnvelope, RequestError};
use crate::evaluate::evaluator::Evaluator;
use crate::evaluate::request::json_path::{self, Fields, Path, StringMap, Struct, Track};
use crate::source::diagnostic::Diagnostic;
use crate::source::span::Source;
use crate::surface::compile::compile_with;

/// What to compile: a definition's text, or a library instrument.
#[derive(Clone, Debug, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "aspekt compile request")]
pub struct CompileRequest {
    /// The definition's text (TOML, or Rhai when `name` ends in `.rhai`).
    #[serde(default)]
    pub definition: Option<String>,
    /// The definition's name for diagnostics, e.g. `who5/definition.toml`.
    #[serde(default)]
    pub name: Option<String>,
    /// Instead of `definition`: the id of a built-in library instrument.
    #[serde(default)]
    pub library: Option<String>,
    /// Rule files the definition names, by file name.
    #[serde(default)]
    pub files: VecMap<String, String>,
}

// Read by hand (not derived) so that errors know their JSON path; see
// `json_path`. The `#[serde]` attributes still shape the JSON Schema.
impl Fields for CompileRequest {
    const NAME: &'static str = "CompileRequest";
    const EXPECTING: &'static str =
        "a JSON object like {\"definition\": \"…\", \"name\": \"…\"} or {\"library\": \"…\"}";
    const WHAT: &'static str = "compile request";
    const EXAMPLE: &'static str =
        "{\"definition\": \"<text of a definition>\", \"name\": \"definition.toml\"}";
    const FIELDS: &'static [&'static str] = &["definition", "name", "library", "files"];
    type Builder = CompileRequest;
    fn set<'de, D: Deserializer<'de>>(
        req: &mut CompileRequest,
        field: usize,
        d: D,
        track: &Track,
        at: &Path<'_>,
    ) -> Result<(), D::Error> {
        match field {
            0 => req.definition = Option::deserialize(d)?,
            1 => req.name = Option::deserialize(d)?,
            2 => req.library = Option::deserialize(d)?,
            _ => req.files = StringMap { track, at }.deserialize(d)?,
        }
        Ok(())
    }
    fn finish<E: serde::de::Error>(req: CompileRequest) -> Result<Self, E> {
        Ok(req)
    }
}

impl<'de> Deserialize<'de> for CompileRequest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Struct::new(&Track::default(), &Path::Root).deserialize(d)
    }
}

/// What a host learns about a compiled definition.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[schemars(title = "aspekt compiled definition")]
pub struct CompileInfo {
    /// Questionnaire id.
    pub id: String,
    /// Definition version.
    pub version: String,
    /// `sha256:` digest of the canonical form.
    pub digest: String,
    /// Declared locales; the first is the default.
    pub locales: Vec<String>,
    /// Audiences results can be released to.
    pub audiences: Vec<String>,
    /// The privacy-notice version consent is required for.
    pub privacy_notice: Option<String>,
    /// Questionnaire or interview.
    pub mode: Mode,
    /// Warnings found while compiling.
    pub warnings: Vec<Diagnostic>,
}

impl CompileInfo {
    /// The information about an evaluator.
    pub fn of(e: &Evaluator) -> Self {
        CompileInfo {
            id: e.id().to_string(),
            version: e.version().to_string(),
            digest: e.digest().to_string(),
            locales: e.locales().to_vec(),
            audiences: e.audiences().to_vec(),
            privacy_notice: e.privacy_notice().map(str::to_string),
            mode: e.mode(),
            warnings: e.warnings().to_vec(),
        }
    }
}

fn envelope(e: &RequestError) -> String {
    ErrorEnvelope::from(e).to_json()
}

/// The error envelope of an `invalid_request` a host detected itself (a bad
/// handle, input that is not UTF-8), in the shape every other error has.
pub fn invalid_request_json(message: &str, help: &str) -> String {
    envelope(&RequestError::new(
        ErrorCode::InvalidRequest,
        None,
        message,
        help,
    ))
}

/// Input bytes as the UTF-8 text JSON must be, or a `malformed_json`
/// request error at the root path (for hosts that receive bytes: the CLI,
/// Python's `bytes`, the WebAssembly module).
pub fn text_of(bytes: &[u8]) -> Result<&str, RequestError> {
    std::str::from_utf8(bytes).map_err(|e| RequestError::not_utf8(bytes, &e))
}

/// [`text_of`], with the error as the JSON envelope.
pub fn text_of_json(bytes: &[u8]) -> Result<&str, String> {
    text_of(bytes).map_err(|e| envelope(&e))
}

/// Compiles from a JSON [`CompileRequest`]. On success, the evaluator and
/// its [`CompileInfo`] as JSON; on failure, the error envelope.
pub fn compile_json(input: &str) -> Result<(Evaluator, String), String> {
    let request: CompileRequest = json_path::read(input).map_err(|e| envelope(&e))?;
    let (source, options) = match (request.definition, request.library) {
        (Some(text), None) => {
            let name = request
                .name
                .unwrap_or_else(|| "definition.toml".to_string());
            let options = Options {
                files: request.files,
                ..Options::default()
            };
            (Source::new(name, text), options)
        }
        (None, Some(id)) if !crate::surface::library::EMBEDDED => {
            return Err(envelope(&no_library_to_compile(&id)));
        }
        (None, Some(id)) => match crate::surface::library::get(&id) {
            Some(entry) => (entry.source(), entry.options()),
            None => {
                let known: Vec<&str> = crate::surface::library::entries().map(|e| e.id).collect();
                return Err(envelope(&RequestError::new(
                    ErrorCode::UnknownDefinition,
                    Some("library".to_string()),
                    format!(
                        "the library has no instrument {}",
                        crate::source::quote::quote(&id)
                    ),
                    format!("use one of {}", crate::source::words::quote_list(&known)),
                )));
            }
        },
        _ => {
            return Err(envelope(&RequestError::new(
                ErrorCode::InvalidRequest,
                json_path::ROOT.to_string(),
                "give exactly one of `definition` (its text) or `library` (an instrument id)",
                "e.g. {\"library\": \"who5\"} or {\"definition\": \"[questionnaire]\\n…\", \"name\": \"x.toml\"}",
            )));
        }
    };
    match compile_with(&source, &options) {
        Ok(e) => {
            let info = serde_json::to_string(&CompileInfo::of(&e)).unwrap_or_default();
            Ok((e, info))
        }
        Err(e) => Err(ErrorEnvelope::from(&e).to_json()),
    }
}

/// Evaluates a JSON request: the report's JSON, or the error envelope.
pub fn evaluate_json(evaluator: &Evaluator, request: &str) -> String {
    match evaluator.evaluate_json(request) {
        Ok(report) => report,
        Err(e) => envelope(&e),
    }
}

/// Which locale to present in: `{"locale": "de"}`, or empty for the default.
#[derive(Clone, Debug, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LocaleRequest {
    /// A declared locale; the definition's first when absent.
    #[serde(default)]
    pub locale: Option<String>,
}

impl Fields for LocaleRequest {
    const NAME: &'static str = "LocaleRequest";
    const EXPECTING: &'static str = "a JSON object like {\"locale\": \"…\"}";
    const WHAT: &'static str = "locale request";
    const EXAMPLE: &'static str = "{\"locale\": \"de\"}";
    const FIELDS: &'static [&'static str] = &["locale"];
    type Builder = LocaleRequest;
    fn set<'de, D: Deserializer<'de>>(
        req: &mut LocaleRequest,
        _: usize,
        d: D,
        _: &Track,
        _: &Path<'_>,
    ) -> Result<(), D::Error> {
        req.locale = Option::deserialize(d)?;
        Ok(())
    }
    fn finish<E: serde::de::Error>(req: LocaleRequest) -> Result<Self, E> {
        Ok(req)
    }
}

impl<'de> Deserialize<'de> for LocaleRequest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Struct::new(&Track::default(), &Path::Root).deserialize(d)
    }
}

fn locale_of(input: &str) -> Result<Option<String>, String> {
    if input.trim().is_empty() {
        return Ok(None);
    }
    json_path::read::<LocaleRequest>(input)
        .map(|r| r.locale)
        .map_err(|e| envelope(&e))
}

/// The transparency statement as JSON (input: a [`LocaleRequest`]), or the
/// error envelope.
pub fn transparency_json(evaluator: &Evaluator, input: &str) -> String {
    match locale_of(input).and_then(|l| {
        evaluator
            .transparency(l.as_deref())
            .map_err(|e| envelope(&e))
    }) {
        Ok(t) => serde_json::to_string(&t).unwrap_or_default(),
        Err(e) => e,
    }
}

/// The form as JSON (input: a [`LocaleRequest`]), or the error envelope.
pub fn form_json(evaluator: &Evaluator, input: &str) -> String {
    match locale_of(input).and_then(|l| evaluator.form(l.as_deref()).map_err(|e| envelope(&e))) {
        Ok(f) => serde_json::to_string(&f).unwrap_or_default(),
        Err(e) => e,
    }
}

/// The disclosure analysis as JSON.
pub fn disclosure_json(evaluator: &Evaluator) -> String {
    serde_json::to_string(evaluator.disclosure()).unwrap_or_default()
}

/// One instrument of the built-in library, for listings.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct LibraryEntry {
    /// Instrument id.
    pub id: String,
    /// Definition version.
    pub version: String,
    /// Title in the default locale.
    pub title: String,
    /// Declared locales.
    pub locales: Vec<String>,
    /// Number of items.
    pub items: usize,
    /// Typical minutes to answer.
    pub minutes: Option<u32>,
    /// Licence or terms of use.
    pub licence: String,
    /// Whether the terms allow commercial use, if known.
    pub commercial_use: Option<bool>,
    /// Questionnaire or interview.
    pub mode: Mode,
}

/// The built-in library with its metadata. Instruments that fail to compile
/// (a bug in the library) are left out.
pub fn library() -> Vec<LibraryEntry> {
    // Compiling every instrument (with its disclosure analysis) takes tens
    // of milliseconds; the embedded library never changes, so once is enough.
    static LISTING: std::sync::OnceLock<Vec<LibraryEntry>> = std::sync::OnceLock::new();
    LISTING.get_or_init(listing).clone()
}

fn listing() -> Vec<LibraryEntry> {
    crate::surface::library::entries()
        .filter_map(|entry| entry.compile().ok())
        .map(|e| {
            let q = &e.definition().questionnaire;
            LibraryEntry {
                id: e.id().to_string(),
                version: e.version().to_string(),
                title: e
                    .locales()
                    .first()
                    .and_then(|l| q.title.get(l))
                    .cloned()
                    .unwrap_or_default(),
                locales: e.locales().to_vec(),
                items: e.definition().items.len(),
                minutes: q.minutes.as_ref().map(|m| *m.value()),
                licence: q.source.licence.value().clone(),
                commercial_use: q.source.commercial_use,
                mode: e.mode(),
            }
        })
        .collect()
}

/// [`library`] as JSON; the error envelope when this build embeds no
/// library ([`crate::surface::library::EMBEDDED`]).
pub fn library_json() -> String {
    if !crate::surface::library::EMBEDDED {
        return envelope(&RequestError::new(
            ErrorCode::InvalidRequest,
            None,
            "this build of aspekt embeds no instrument library to list (the WebAssembly module is built without it, to stay small)",
            "read the listing from library.json, which bindings/wasm/build.sh writes beside aspekt.wasm: its `entries` are this listing and its `instruments` the texts to compile (aspekt.js loads it for library() and compileLibrary())",
        ));
    }
    serde_json::to_string(&library()).unwrap_or_default()
}

/// The error for `{"library": id}` in a build without the library.
fn no_library_to_compile(id: &str) -> RequestError {
    RequestError::new(
        ErrorCode::UnknownDefinition,
        Some("library".to_string()),
        format!(
            "this build of aspekt embeds no instrument library, so it cannot compile {} by id (the WebAssembly module is built without it, to stay small)",
            crate::source::quote::quote(id)
        ),
        format!(
            "send the instrument's text instead: {{\"definition\": <text of definitions/{id}/definition.toml>, \"name\": \"definitions/{id}/definition.toml\", \"files\": {{<rule file>: <text>}}}}; library.json beside aspekt.wasm (written by bindings/wasm/build.sh) holds these under `instruments`, and aspekt.js's compileLibrary() sends them for you",
            // The id is untrusted: in a path only when it is plain.
            id = if crate::source::quote::is_plain(id) {
                id
            } else {
                "<id>"
            }
        ),
    )
}

/// One instrument's texts in a [`LibraryBundle`].
#[derive(Clone, Debug, Serialize)]
pub struct BundledInstrument {
    /// The definition's path, used as its source name when compiling.
    pub name: &'static str,
    /// The definition's text.
    pub definition: &'static str,
    /// Rule files beside it, by file name.
    pub files: BTreeMap<&'static str, &'static str>,
}

/// The instrument library as one document, for hosts whose engine embeds
/// none (the WebAssembly module): the listing, the counselling profile, and
/// each instrument's texts. Compiling `{"definition": definition, "name":
/// name, "files": files}` gives the same evaluator, digest and reports as
/// the embedded library.
#[derive(Clone, Debug, Serialize)]
pub struct LibraryBundle {
    /// Version of this document's shape.
    pub format: u32,
    /// The counselling profile: instrument ids in order.
    pub profile: &'static [&'static str],
    /// The listing, as [`library`].
    pub entries: Vec<LibraryEntry>,
    /// Each instrument's texts, by id.
    pub instruments: BTreeMap<&'static str, BundledInstrument>,
}

/// The embedded library as a [`LibraryBundle`] (empty without the `library`
/// feature). `aspekt list --bundle` writes it; `bindings/wasm/build.sh`
/// ships it beside the module as `library.json`.
pub fn library_bundle() -> LibraryBundle {
    LibraryBundle {
        format: 1,
        profile: crate::surface::library::profile(),
        entries: library(),
        instruments: crate::surface::library::entries()
            .map(|e| {
                (
                    e.id,
                    BundledInstrument {
                        name: e.path,
                        definition: e.text,
                        files: e.files.iter().copied().collect(),
                    },
                )
            })
            .collect(),
    }
}
