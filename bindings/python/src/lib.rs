//! The native module `aspekt._aspekt`: the aspekt engine for Python.
//!
//! This crate only translates. Python values become the engine's request
//! JSON or its batch matrix; the engine's reports, statements and errors
//! come back as the engine's own JSON strings, `bytes` buffers and typed
//! exceptions. No scoring, validation or rendering happens here: every
//! decision (is this answer valid, which band, which message) is the
//! engine's, so Python gives the same bytes as Rust, the CLI and WASM.
//!
//! The pure-Python package `aspekt` (python/aspekt) wraps this module with
//! the documented API; this module is private to it.

use std::collections::BTreeMap;

use aspekt::batch::{BatchOptions, MISSING};
use aspekt::{CompileError, ErrorCode, ErrorEnvelope, Evaluator, Options, Source};
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyString};
use serde_json::{Map, Value};
use zeroize::Zeroizing;

create_exception!(
    aspekt,
    AspektError,
    PyException,
    "Base class of every error aspekt raises.\n\nAttributes: `code` (stable code, e.g. `unknown_item`), `message`, `path` (JSON path of the offending value, e.g. `answers.q3`, or None), `help`, `diagnostics` (list of Diagnostic; empty unless the definition is at fault) and `json` (the engine's error envelope, byte for byte as the CLI and WASM give it)."
);
create_exception!(
    aspekt,
    DefinitionError,
    AspektError,
    "A definition does not compile. `diagnostics` lists every finding with code, severity, message, help, file, line and column; `rendered` shows them with their source lines."
);
create_exception!(
    aspekt,
    RequestError,
    AspektError,
    "A request cannot be evaluated (unknown item, invalid code, unknown locale, …). Nothing was computed. Messages name the item, never the answer."
);
create_exception!(
    aspekt,
    ConsentError,
    RequestError,
    "Consent to the definition's privacy notice is missing or for another version (code `consent_required`), or was withdrawn from a session (code `consent_withdrawn`)."
);

/// One finding about a definition: what is wrong, where, and how to fix it.
#[pyclass(module = "aspekt", name = "Diagnostic", frozen, get_all)]
#[derive(Clone)]
struct PyDiagnostic {
    /// Stable code, e.g. `band_gap`.
    code: String,
    /// `error` or `warning`.
    severity: String,
    /// What is wrong.
    message: String,
    /// How to fix it.
    help: Option<String>,
    /// The source's name (usually its path).
    file: String,
    /// 1-based line, when the finding has a position.
    line: Option<usize>,
    /// 1-based column (in characters), when the finding has a position.
    column: Option<usize>,
    /// The engine's JSON of the diagnostic.
    json: String,
    /// The engine's one-line rendering (`file:line:col: error[code]: …`).
    text: String,
}

impl PyDiagnostic {
    fn of(d: &aspekt::Diagnostic) -> Self {
        PyDiagnostic {
            code: d.code.as_str().to_string(),
            severity: match d.severity {
                aspekt::Severity::Error => "error".to_string(),
                aspekt::Severity::Warning => "warning".to_string(),
            },
            message: d.message.clone(),
            help: d.help.clone(),
            file: d.file.clone(),
            line: d.location.map(|l| l.line),
            column: d.location.map(|l| l.column),
            json: serde_json::to_string(d).unwrap_or_default(),
            text: d.to_string(),
        }
    }
}

#[pymethods]
impl PyDiagnostic {
    fn __repr__(&self) -> String {
        format!(
            "Diagnostic(code={:?}, severity={:?}, line={}, column={}, message={:?})",
            self.code,
            self.severity,
            self.line.map_or("None".to_string(), |l| l.to_string()),
            self.column.map_or("None".to_string(), |c| c.to_string()),
            self.message
        )
    }

    fn __str__(&self) -> String {
        self.text.clone()
    }
}

/// Sets the attributes every aspekt exception carries, from the engine's
/// error envelope.
fn decorate(
    py: Python<'_>,
    err: PyErr,
    envelope: &ErrorEnvelope,
    diagnostics: Vec<PyDiagnostic>,
) -> PyErr {
    let value = err.value(py);
    let body = &envelope.error;
    let set = || -> PyResult<()> {
        value.setattr("code", body.code.as_str())?;
        value.setattr("message", &body.message)?;
        value.setattr("path", body.path.as_deref())?;
        value.setattr("help", body.help.as_deref())?;
        value.setattr("diagnostics", diagnostics)?;
        value.setattr("json", envelope.to_json())?;
        Ok(())
    };
    match set() {
        Ok(()) => err,
        Err(e) => e,
    }
}

/// The exception for a request error: `ConsentError` for
/// `consent_required` and `consent_withdrawn`, `RequestError` otherwise.
fn request_error(py: Python<'_>, e: &aspekt::RequestError) -> PyErr {
    let err = if matches!(
        e.code,
        ErrorCode::ConsentRequired | ErrorCode::ConsentWithdrawn
    ) {
        ConsentError::new_err(e.to_string())
    } else {
        RequestError::new_err(e.to_string())
    };
    decorate(py, err, &ErrorEnvelope::from(e), Vec::new())
}

/// The exception for a definition that does not compile.
fn definition_error(py: Python<'_>, e: &CompileError) -> PyErr {
    let err = decorate(
        py,
        DefinitionError::new_err(e.to_string()),
        &ErrorEnvelope::from(e),
        e.diagnostics().iter().map(PyDiagnostic::of).collect(),
    );
    if let Err(set) = err.value(py).setattr("rendered", e.render(false)) {
        return set;
    }
    err
}

fn load_error(py: Python<'_>, e: &aspekt::library::LoadError) -> PyErr {
    match e {
        aspekt::library::LoadError::Unknown(e) => request_error(py, e),
        aspekt::library::LoadError::Invalid(e) => definition_error(py, e),
    }
}

/// Python answer values as JSON for the engine's request parser. The engine
/// decides what is valid; this only maps Python's spellings: `None` and NaN
/// are "not answered", integral floats (what a pandas column with gaps
/// holds) are integers, everything else keeps its JSON type so that the
/// engine rejects it with its own message.
fn answer_value(v: &Bound<'_, PyAny>) -> PyResult<Value> {
    if v.is_none() {
        return Ok(Value::Null);
    }
    if v.is_instance_of::<PyBool>() {
        return Ok(Value::Bool(v.extract::<bool>()?));
    }
    if v.is_instance_of::<PyInt>() {
        return Ok(int_value(v));
    }
    if v.is_instance_of::<PyFloat>() {
        return Ok(float_value(v.extract::<f64>()?));
    }
    if v.is_instance_of::<PyString>() {
        // Not a code, whatever it says: the engine's error is the same for
        // every string, so the text (which may be an answer, and may not
        // even be UTF-8) is not copied.
        return Ok(Value::String(String::new()));
    }
    // numpy scalars: integers convert through `__index__`, floats through
    // `__float__`.
    if v.hasattr("__index__")? {
        return Ok(int_value(v));
    }
    if let Ok(f) = v.extract::<f64>() {
        return Ok(float_value(f));
    }
    Err(PyTypeError::new_err(format!(
        "an answer must be an integer code or None, not {}",
        v.get_type().name()?
    )))
}

fn int_value(v: &Bound<'_, PyAny>) -> Value {
    if let Ok(i) = v.extract::<i64>() {
        Value::from(i)
    } else if let Ok(u) = v.extract::<u64>() {
        Value::from(u)
    } else {
        // Beyond 64 bits: no code is that large; the engine says so.
        Value::from(f64::MAX)
    }
}

fn float_value(f: f64) -> Value {
    if f.is_nan() {
        Value::Null
    } else if f.fract() == 0.0 && f.abs() < 9.0e15 {
        #[allow(clippy::cast_possible_truncation, reason = "integral and in range")]
        Value::from(f as i64)
    } else {
        serde_json::Number::from_f64(f).map_or(Value::from(f64::MAX), Value::Number)
    }
}

/// Builds the engine's request JSON from keyword arguments. The text holds
/// answers, so it is wiped when dropped.
fn request_json(
    answers: &Bound<'_, PyDict>,
    declined: Vec<String>,
    locale: Option<String>,
    audience: Option<String>,
    consent: Option<String>,
) -> PyResult<Zeroizing<String>> {
    let mut map = Map::new();
    for (k, v) in answers.iter() {
        // Lossy: an id with lone surrogates (not UTF-8) becomes an unknown
        // item of the engine's, quoted like any, not a UnicodeEncodeError
        // that would print it.
        let key = k
            .cast::<PyString>()
            .map_err(|_| PyTypeError::new_err("answers are keyed by item id (str)"))?
            .to_string_lossy()
            .into_owned();
        map.insert(key, answer_value(&v)?);
    }
    let mut request = Map::new();
    request.insert("answers".into(), Value::Object(map));
    request.insert(
        "declined".into(),
        Value::Array(declined.into_iter().map(Value::String).collect()),
    );
    if let Some(notice) = consent {
        let mut c = Map::new();
        c.insert("notice".into(), Value::String(notice));
        request.insert("consent".into(), Value::Object(c));
    }
    if let Some(l) = locale {
        request.insert("locale".into(), Value::String(l));
    }
    if let Some(a) = audience {
        request.insert("audience".into(), Value::String(a));
    }
    serde_json::to_string(&Value::Object(request))
        .map(Zeroizing::new)
        .map_err(|e| PyValueError::new_err(e.to_string()))
}

fn report_of(json: &str) -> PyResult<aspekt::Report> {
    serde_json::from_str(json).map_err(|e| PyValueError::new_err(format!("not a report: {e}")))
}

/// Calls `f` with a request's bytes as Python passes them: a `bytes`, or
/// a `str` as UTF-8 (a `str` with lone surrogates, which UTF-8 cannot hold,
/// as they would be encoded: not UTF-8). The engine decides what bytes that
/// are not UTF-8 are (`malformed_json`), as for the CLI and WASM. Nothing
/// is copied: the bytes hold answers.
fn with_text<R>(request: &Bound<'_, PyAny>, f: impl FnOnce(&[u8]) -> R) -> PyResult<R> {
    if let Ok(b) = request.cast::<PyBytes>() {
        return Ok(f(b.as_bytes()));
    }
    let s = request
        .cast::<PyString>()
        .map_err(|_| PyTypeError::new_err("a JSON request is a str or bytes"))?;
    match s.to_cow() {
        Ok(text) => Ok(f(text.as_bytes())),
        Err(_) => {
            let encoded = s.call_method1("encode", ("utf-8", "surrogatepass"))?;
            let bytes = encoded
                .cast::<PyBytes>()
                .map_err(|_| PyTypeError::new_err("str.encode did not return bytes"))?;
            Ok(f(bytes.as_bytes()))
        }
    }
}

/// A row error of a batch: (row, code, message, path, help, envelope JSON).
type RowErrorTuple = (
    usize,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
);

/// A compiled, immutable evaluator (private; see `aspekt.Evaluator`).
#[pyclass(module = "aspekt._aspekt", name = "Evaluator", frozen)]
struct PyEvaluator {
    inner: Evaluator,
}

#[pymethods]
impl PyEvaluator {
    #[getter]
    fn id(&self) -> &str {
        self.inner.id()
    }

    #[getter]
    fn version(&self) -> &str {
        self.inner.version()
    }

    #[getter]
    fn digest(&self) -> &str {
        self.inner.digest()
    }

    #[getter]
    fn locales(&self) -> Vec<String> {
        self.inner.locales().to_vec()
    }

    #[getter]
    fn audiences(&self) -> Vec<String> {
        self.inner.audiences().to_vec()
    }

    #[getter]
    fn privacy_notice(&self) -> Option<&str> {
        self.inner.privacy_notice()
    }

    #[getter]
    fn warnings(&self) -> Vec<PyDiagnostic> {
        self.inner.warnings().iter().map(PyDiagnostic::of).collect()
    }

    /// `CompileInfo` as JSON (id, version, digest, locales, audiences, …).
    fn info_json(&self) -> String {
        serde_json::to_string(&aspekt::api::CompileInfo::of(&self.inner)).unwrap_or_default()
    }

    /// The definition model as JSON (what the file says; no examples).
    fn definition_json(&self) -> String {
        serde_json::to_string(self.inner.definition()).unwrap_or_default()
    }

    /// Evaluates a JSON request (`str` or `bytes`); the report JSON
    /// (`Report::to_json`).
    fn evaluate_json(&self, py: Python<'_>, request: &Bound<'_, PyAny>) -> PyResult<String> {
        with_text(request, |text| {
            py.detach(|| aspekt::api::text_of(text).and_then(|t| self.inner.evaluate_json(t)))
        })?
        .map_err(|e| request_error(py, &e))
    }

    /// Evaluates keyword arguments; the report JSON (`Report::to_json`).
    #[pyo3(signature = (answers, declined, locale, audience, consent))]
    fn evaluate(
        &self,
        py: Python<'_>,
        answers: &Bound<'_, PyDict>,
        declined: Vec<String>,
        locale: Option<String>,
        audience: Option<String>,
        consent: Option<String>,
    ) -> PyResult<String> {
        let json = request_json(answers, declined, locale, audience, consent)?;
        py.detach(|| self.inner.evaluate_json(&json))
            .map_err(|e| request_error(py, &e))
    }

    /// The engine's text rendering of a report of this evaluator.
    fn render_text(&self, report: &str) -> PyResult<String> {
        Ok(self.inner.render_text(&report_of(report)?))
    }

    /// The transparency statement as JSON.
    #[pyo3(signature = (locale=None))]
    fn transparency_json(&self, py: Python<'_>, locale: Option<&str>) -> PyResult<String> {
        self.inner
            .transparency(locale)
            .map(|t| serde_json::to_string(&t).unwrap_or_default())
            .map_err(|e| request_error(py, &e))
    }

    /// The form (topics, items, options) as JSON.
    #[pyo3(signature = (locale=None))]
    fn form_json(&self, py: Python<'_>, locale: Option<&str>) -> PyResult<String> {
        self.inner
            .form(locale)
            .map(|f| serde_json::to_string(&f).unwrap_or_default())
            .map_err(|e| request_error(py, &e))
    }

    /// The disclosure analysis as JSON.
    fn disclosure_json(&self) -> String {
        aspekt::api::disclosure_json(&self.inner)
    }

    /// Band (or outcome) ids of every result, in definition order, indexed
    /// like the batch's band indices.
    fn band_ids(&self) -> Vec<(String, Vec<String>)> {
        band_ids(&self.inner)
    }

    /// Evaluates a row-major `rows × items` matrix of native-endian i32
    /// codes (`MISSING` = unanswered) with `aspekt::Evaluator::evaluate_batch`,
    /// without the GIL. Returns (result ids, status bytes, band bytes as
    /// native-endian i16, row errors).
    #[pyo3(signature = (items, codes, declined_topics, declined_flags, consent, audience, threads))]
    #[allow(clippy::too_many_arguments, reason = "mirrors BatchOptions")]
    fn evaluate_matrix<'py>(
        &self,
        py: Python<'py>,
        items: Vec<String>,
        codes: &Bound<'py, PyBytes>,
        declined_topics: Vec<String>,
        declined_flags: Option<&Bound<'py, PyBytes>>,
        consent: Option<String>,
        audience: String,
        threads: usize,
    ) -> PyResult<BatchTuple<'py>> {
        let raw = codes.as_bytes();
        if raw.len() % 4 != 0 {
            return Err(PyValueError::new_err(
                "codes must be native-endian int32 values",
            ));
        }
        let flags = flags_of(declined_flags);
        let options = BatchOptions {
            consent,
            audience,
            threads,
        };
        let evaluator = &self.inner;
        let batch = py.detach(|| {
            // Read in place when the bytes object's buffer is 4-byte
            // aligned (it is, in CPython); otherwise one copy, wiped after.
            let copy: Zeroizing<Vec<i32>>;
            let matrix: &[i32] = match bytemuck::try_cast_slice::<u8, i32>(raw) {
                Ok(slice) => slice,
                Err(_) => {
                    copy = Zeroizing::new(
                        raw.chunks_exact(4)
                            .map(bytemuck::pod_read_unaligned::<i32>)
                            .collect(),
                    );
                    &copy
                }
            };
            run_batch(
                evaluator,
                &items,
                matrix,
                &declined_topics,
                flags.as_deref(),
                &options,
            )
        });
        batch_tuple(py, batch)
    }

    /// Like `evaluate_matrix`, from one buffer per item column: `(kind,
    /// bytes)` with kind `i1 i2 i4 i8 u1 u2 u4 u8 f4 f8` (native-endian),
    /// each `rows` values long. The columns are interleaved into the code
    /// matrix without the GIL, translating Python's spellings only: NaN is
    /// `MISSING`, and a value that is not an int32 integer (3.5, 1e12, inf)
    /// becomes a code no scale has, which the engine then rejects as
    /// `invalid_code` for that row. In integer columns `MISSING` itself
    /// also marks a missing answer.
    #[pyo3(signature = (items, columns, rows, declined_topics, declined_flags, consent, audience, threads))]
    #[allow(clippy::too_many_arguments, reason = "mirrors BatchOptions")]
    fn evaluate_columns<'py>(
        &self,
        py: Python<'py>,
        items: Vec<String>,
        columns: Vec<(String, Bound<'py, PyBytes>)>,
        rows: usize,
        declined_topics: Vec<String>,
        declined_flags: Option<&Bound<'py, PyBytes>>,
        consent: Option<String>,
        audience: String,
        threads: usize,
    ) -> PyResult<BatchTuple<'py>> {
        let mut cols: Vec<Column<'_>> = Vec::with_capacity(columns.len());
        for (kind, data) in &columns {
            let kind = Kind::of(kind)
                .ok_or_else(|| PyValueError::new_err(format!("unknown column kind `{kind}`")))?;
            let bytes = data.as_bytes();
            if bytes.len() != rows * kind.size() {
                return Err(PyValueError::new_err(format!(
                    "a column holds {} bytes, not {rows} values",
                    bytes.len()
                )));
            }
            cols.push(Column { kind, bytes });
        }
        let flags = flags_of(declined_flags);
        let options = BatchOptions {
            consent,
            audience,
            threads,
        };
        let evaluator = &self.inner;
        let batch = py.detach(|| {
            let matrix = interleave(&cols, rows, threads);
            run_batch(
                evaluator,
                &items,
                &matrix,
                &declined_topics,
                flags.as_deref(),
                &options,
            )
        });
        batch_tuple(py, batch)
    }

    fn __repr__(&self) -> String {
        format!(
            "Evaluator(id={:?}, version={:?}, digest={:?})",
            self.inner.id(),
            self.inner.version(),
            self.inner.digest()
        )
    }
}

/// What a batch returns to Python: (result ids, status bytes, band bytes as
/// native-endian i16, row errors).
type BatchTuple<'py> = (
    Vec<String>,
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
    Vec<RowErrorTuple>,
);

fn flags_of(flags: Option<&Bound<'_, PyBytes>>) -> Option<Vec<bool>> {
    flags.map(|f| f.as_bytes().iter().map(|&b| b != 0).collect())
}

fn run_batch(
    evaluator: &Evaluator,
    items: &[String],
    matrix: &[i32],
    declined_topics: &[String],
    flags: Option<&[bool]>,
    options: &BatchOptions,
) -> Result<aspekt::batch::Batch, aspekt::RequestError> {
    let cols: Vec<&str> = items.iter().map(String::as_str).collect();
    let topics: Vec<&str> = declined_topics.iter().map(String::as_str).collect();
    let declined = flags.map(|f| (topics.as_slice(), f));
    evaluator.evaluate_batch(&cols, matrix, declined, options)
}

fn batch_tuple<'py>(
    py: Python<'py>,
    batch: Result<aspekt::batch::Batch, aspekt::RequestError>,
) -> PyResult<BatchTuple<'py>> {
    let batch = batch.map_err(|e| request_error(py, &e))?;
    let status = PyBytes::new(py, &batch.status);
    let band = PyBytes::new(py, bytemuck::cast_slice::<i16, u8>(&batch.band));
    let errors = batch
        .errors
        .into_iter()
        .map(|e| {
            let envelope = ErrorEnvelope::from(&e.error).to_json();
            (
                e.row,
                e.error.code.as_str().to_string(),
                e.error.message,
                e.error.path,
                e.error.help,
                envelope,
            )
        })
        .collect();
    Ok((batch.results, status, band, errors))
}

/// A code no scale has (codes are at most 1,000,000 in magnitude): what a
/// value that is not an int32 integer is passed as, so that the engine
/// rejects its row as `invalid_code`.
const NOT_A_CODE: i32 = i32::MAX;

/// The element type of a column buffer.
#[derive(Clone, Copy)]
enum Kind {
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    U64,
    F32,
    F64,
}

impl Kind {
    fn of(name: &str) -> Option<Kind> {
        Some(match name {
            "i1" => Kind::I8,
            "i2" => Kind::I16,
            "i4" => Kind::I32,
            "i8" => Kind::I64,
            "u1" => Kind::U8,
            "u2" => Kind::U16,
            "u4" => Kind::U32,
            "u8" => Kind::U64,
            "f4" => Kind::F32,
            "f8" => Kind::F64,
            _ => return None,
        })
    }

    fn size(self) -> usize {
        match self {
            Kind::I8 | Kind::U8 => 1,
            Kind::I16 | Kind::U16 => 2,
            Kind::I32 | Kind::U32 | Kind::F32 => 4,
            Kind::I64 | Kind::U64 | Kind::F64 => 8,
        }
    }
}

struct Column<'a> {
    kind: Kind,
    bytes: &'a [u8],
}

fn from_int(v: i64) -> i32 {
    i32::try_from(v).unwrap_or(NOT_A_CODE)
}

fn from_float(v: f64) -> i32 {
    if v.is_nan() {
        MISSING
    } else if v.fract() == 0.0 && v > f64::from(MISSING) && v <= f64::from(i32::MAX) {
        #[allow(clippy::cast_possible_truncation, reason = "integral and in range")]
        let code = v as i32;
        code
    } else {
        NOT_A_CODE
    }
}

/// Writes `values` into column `j` of the row-major block `out`.
fn scatter<T>(
    values: impl Iterator<Item = T>,
    out: &mut [i32],
    width: usize,
    j: usize,
    conv: impl Fn(T) -> i32,
) {
    for (row, v) in out.chunks_exact_mut(width).zip(values) {
        if let Some(cell) = row.get_mut(j) {
            *cell = conv(v);
        }
    }
}

/// Decodes rows `from..to` of a column of `T` into column `j` of `out`:
/// read in place when the buffer is aligned for `T` (CPython's `bytes`
/// are), value by value otherwise — never into a copy that would outlive
/// the call.
fn decode<T: bytemuck::Pod>(
    bytes: &[u8],
    (from, to): (usize, usize),
    out: &mut [i32],
    (width, j): (usize, usize),
    conv: impl Fn(T) -> i32,
) {
    let size = std::mem::size_of::<T>();
    let part = bytes.get(from * size..to * size).unwrap_or_default();
    match bytemuck::try_cast_slice::<u8, T>(part) {
        Ok(slice) => scatter(slice.iter().copied(), out, width, j, conv),
        Err(_) => scatter(
            part.chunks_exact(size)
                .map(bytemuck::pod_read_unaligned::<T>),
            out,
            width,
            j,
            conv,
        ),
    }
}

/// Decodes rows `from..to` of a column into column `j` of `out`.
fn fill(col: &Column<'_>, rows: (usize, usize), out: &mut [i32], at: (usize, usize)) {
    let b = col.bytes;
    match col.kind {
        Kind::I8 => decode::<i8>(b, rows, out, at, i32::from),
        Kind::I16 => decode::<i16>(b, rows, out, at, i32::from),
        Kind::I32 => decode::<i32>(b, rows, out, at, |v| v),
        Kind::I64 => decode::<i64>(b, rows, out, at, from_int),
        Kind::U8 => decode::<u8>(b, rows, out, at, i32::from),
        Kind::U16 => decode::<u16>(b, rows, out, at, i32::from),
        Kind::U32 => decode::<u32>(b, rows, out, at, |v| i32::try_from(v).unwrap_or(NOT_A_CODE)),
        Kind::U64 => decode::<u64>(b, rows, out, at, |v| i32::try_from(v).unwrap_or(NOT_A_CODE)),
        Kind::F32 => decode::<f32>(b, rows, out, at, |v| from_float(f64::from(v))),
        Kind::F64 => decode::<f64>(b, rows, out, at, from_float),
    }
}

/// Rows per block when interleaving: a block of the matrix (rows × 4 bytes
/// × columns) stays in cache while every column is written into it.
const BLOCK: usize = 1024;

/// Fills the rows of `matrix` starting at row `first`, block by block.
fn interleave_into(cols: &[Column<'_>], first: usize, rows: usize, matrix: &mut [i32]) {
    let width = cols.len().max(1);
    for (b, block) in matrix.chunks_mut(BLOCK * width).enumerate() {
        let from = first + b * BLOCK;
        let to = (from + BLOCK).min(first + rows);
        for (j, col) in cols.iter().enumerate() {
            fill(col, (from, to), block, (width, j));
        }
    }
}

/// The columns as one row-major matrix; large matrices are filled by
/// several threads, each its own range of rows.
fn interleave(cols: &[Column<'_>], rows: usize, threads: usize) -> Zeroizing<Vec<i32>> {
    let width = cols.len().max(1);
    let mut matrix = Zeroizing::new(vec![MISSING; rows * cols.len()]);
    let available = std::thread::available_parallelism().map_or(1, usize::from);
    let threads = if threads == 0 { available } else { threads }.clamp(1, 16);
    if threads == 1 || rows < 16 * BLOCK {
        interleave_into(cols, 0, rows, &mut matrix);
        return matrix;
    }
    let per = rows.div_ceil(threads).div_ceil(BLOCK) * BLOCK;
    std::thread::scope(|s| {
        for (t, part) in matrix.chunks_mut(per * width).enumerate() {
            let first = t * per;
            let n = part.len() / width;
            s.spawn(move || interleave_into(cols, first, n, part));
        }
    });
    matrix
}

/// Band ids per result, from the public definition model.
///
/// Every result's band (or outcome) ids in index order, from the engine.
fn band_ids(e: &Evaluator) -> Vec<(String, Vec<String>)> {
    e.result_outcomes()
}

/// One person answering over time (private; see `aspekt.Session`).
#[pyclass(module = "aspekt._aspekt", name = "Session")]
struct PySession {
    inner: aspekt::Session,
}

#[pymethods]
impl PySession {
    #[new]
    fn new(evaluator: &PyEvaluator) -> Self {
        PySession {
            inner: aspekt::Session::new(evaluator.inner.clone()),
        }
    }

    fn consent(&mut self, py: Python<'_>, notice: &str) -> PyResult<()> {
        self.inner
            .consent(notice)
            .map_err(|e| request_error(py, &e))
    }

    fn answer(&mut self, py: Python<'_>, item: &str, code: i64) -> PyResult<()> {
        self.inner
            .answer(item, code)
            .map_err(|e| request_error(py, &e))
    }

    fn clear(&mut self, py: Python<'_>, item: &str) -> PyResult<()> {
        self.inner.clear(item).map_err(|e| request_error(py, &e))
    }

    fn decline(&mut self, py: Python<'_>, topic: &str) -> PyResult<()> {
        self.inner.decline(topic).map_err(|e| request_error(py, &e))
    }

    fn reopen(&mut self, py: Python<'_>, topic: &str) -> PyResult<()> {
        self.inner.reopen(topic).map_err(|e| request_error(py, &e))
    }

    fn set_locale(&mut self, py: Python<'_>, locale: &str) -> PyResult<()> {
        self.inner
            .set_locale(locale)
            .map_err(|e| request_error(py, &e))
    }

    fn set_audience(&mut self, py: Python<'_>, audience: &str) -> PyResult<()> {
        self.inner
            .set_audience(audience)
            .map_err(|e| request_error(py, &e))
    }

    /// (answered, total, open, declined_topics, topics).
    fn progress(&self, py: Python<'_>) -> PyResult<(usize, usize, usize, usize, usize)> {
        self.inner
            .progress()
            .map(|p| (p.answered, p.total, p.open, p.declined_topics, p.topics))
            .map_err(|e| request_error(py, &e))
    }

    /// The report JSON (`Report::to_json`).
    fn finish(&self, py: Python<'_>) -> PyResult<String> {
        self.inner
            .finish()
            .map(|r| r.to_json())
            .map_err(|e| request_error(py, &e))
    }

    fn withdraw(&mut self) {
        self.inner.withdraw();
    }

    fn __repr__(&self) -> String {
        format!("{:?}", self.inner)
    }
}

/// Compiles a definition's text (TOML, or Rhai when `name` ends in `.rhai`)
/// with the rule files it names.
#[pyfunction]
#[pyo3(signature = (text, name, files))]
fn compile(
    py: Python<'_>,
    text: String,
    name: String,
    files: BTreeMap<String, String>,
) -> PyResult<PyEvaluator> {
    let source = Source::new(name, text);
    let options = Options {
        files: files.into_iter().collect(),
        ..Options::default()
    };
    py.detach(|| aspekt::compile_with(&source, &options))
        .map(|inner| PyEvaluator { inner })
        .map_err(|e| definition_error(py, &e))
}

/// Compiles the library instrument with this id.
#[pyfunction]
fn load(py: Python<'_>, id: &str) -> PyResult<PyEvaluator> {
    py.detach(|| aspekt::library::load(id))
        .map(|inner| PyEvaluator { inner })
        .map_err(|e| load_error(py, &e))
}

/// The library listing as JSON (`aspekt::api::library_json`).
#[pyfunction]
fn library_json(py: Python<'_>) -> String {
    py.detach(aspekt::api::library_json)
}

/// A report's JSON re-rendered with indentation, as `aspekt evaluate`
/// prints it (`Report::to_json_pretty`).
#[pyfunction]
fn report_pretty(report: &str) -> PyResult<String> {
    Ok(report_of(report)?.to_json_pretty())
}

/// A JSON Schema of the JSON surface: `definition`, `request`, `report`,
/// `error`, `form`, `transparency`, `disclosure`.
#[pyfunction]
fn json_schema(kind: &str) -> PyResult<String> {
    aspekt::SchemaKind::from_name(kind)
        .map(aspekt::json_schema)
        .ok_or_else(|| {
            let names: Vec<&str> = aspekt::SchemaKind::ALL
                .into_iter()
                .map(aspekt::SchemaKind::name)
                .collect();
            PyValueError::new_err(format!(
                "no schema `{kind}`; use one of {}",
                names.join(", ")
            ))
        })
}

#[pymodule]
#[pyo3(name = "_aspekt")]
fn aspekt_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("AspektError", py.get_type::<AspektError>())?;
    m.add("DefinitionError", py.get_type::<DefinitionError>())?;
    m.add("RequestError", py.get_type::<RequestError>())?;
    m.add("ConsentError", py.get_type::<ConsentError>())?;
    m.add_class::<PyDiagnostic>()?;
    m.add_class::<PyEvaluator>()?;
    m.add_class::<PySession>()?;
    m.add_function(wrap_pyfunction!(compile, m)?)?;
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_function(wrap_pyfunction!(library_json, m)?)?;
    m.add_function(wrap_pyfunction!(report_pretty, m)?)?;
    m.add_function(wrap_pyfunction!(json_schema, m)?)?;
    m.add("MISSING", MISSING)?;
    m.add("ENGINE_VERSION", aspekt::ENGINE_VERSION)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
