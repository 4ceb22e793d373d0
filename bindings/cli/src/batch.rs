//! `aspekt batch`: score a file of response sets (CSV, JSON Lines or
//! Parquet) into a file of statuses and bands, through the engine's batch
//! path. This module only reads and writes files; scoring is the engine's.
//!
//! Input: one row per respondent. Columns named by item id hold codes (empty
//! or null = unanswered); an optional `id` column is passed through; an
//! optional `declined` column lists declined topics separated by `;`. JSON
//! Lines rows are request-shaped: `{"id": …, "answers": {…}, "declined": […]}`.
//!
//! Output: per row the `id` (when given) or the 1-based `row`, then per
//! result `<result>.status`, `<result>.band` and `<result>.index`. A bad row
//! is never dropped silently: it is reported on stderr with its row number
//! and either written with status `error` (`--on-error skip`) or stops the
//! run before anything is written (`--on-error fail`). Output goes to a
//! temporary file renamed into place at the end, so a failed run leaves no
//! half-written file.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, Int64Type};
use arrow_array::{Array, ArrayRef, Int16Array, RecordBatch, StringArray, UInt64Array};
use arrow_schema::{DataType, Field, Schema};
use aspekt::Evaluator;
use aspekt::batch::{BatchOptions, MISSING, status};
use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressStyle};

/// What to do with a row that cannot be evaluated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OnError {
    /// Stop before writing anything; exit 1.
    Fail,
    /// Write the row with status `error`, report it, go on.
    Skip,
}

/// The arguments of `aspekt batch`.
pub struct Args {
    pub input: PathBuf,
    pub output: PathBuf,
    pub consent: Option<String>,
    pub audience: String,
    pub on_error: OnError,
    pub threads: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    Jsonl,
    Parquet,
}

fn format_of(path: &Path) -> Result<Format, String> {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("csv") => Ok(Format::Csv),
        Some("jsonl" | "ndjson") => Ok(Format::Jsonl),
        Some("parquet") => Ok(Format::Parquet),
        _ => Err(format!(
            "error: cannot tell the format of {} from its extension\n  help: use .csv, .jsonl or .parquet",
            path.display()
        )),
    }
}

/// One chunk of input rows, as the engine's batch path wants them.
struct Chunk {
    ids: Vec<Option<String>>,
    codes: Vec<i32>,
    /// Row-major flags against the definition's topics (after `finish`).
    declined: Vec<bool>,
    /// Rows whose cells could not be read (row within the chunk, message).
    unreadable: Vec<(usize, String)>,
    /// Declined topic names per row, until `finish` turns them into flags.
    pending_declined: Vec<Vec<String>>,
}

/// Rows per chunk: bounds memory, feeds the progress bar.
const CHUNK: usize = 65_536;

/// Runs the batch. Returns whether every row was evaluated.
pub fn run(evaluator: &Evaluator, args: &Args) -> Result<bool, String> {
    let in_format = format_of(&args.input)?;
    let out_format = format_of(&args.output)?;
    let items: Vec<String> = evaluator
        .definition()
        .items
        .iter()
        .map(|i| i.id.value().clone())
        .collect();
    let topics: Vec<String> = evaluator
        .form(None)
        .map_err(|e| e.to_string())?
        .topics
        .into_iter()
        .map(|t| t.id)
        .collect();
    let columns: Vec<&str> = items.iter().map(String::as_str).collect();
    let topic_refs: Vec<&str> = topics.iter().map(String::as_str).collect();
    let options = BatchOptions {
        consent: args.consent.clone(),
        audience: args.audience.clone(),
        threads: args.threads,
    };
    let outcomes = evaluator.result_outcomes();

    let progress = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {human_pos} rows scored ({per_sec}) {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar
    } else {
        ProgressBar::hidden()
    };

    let mut reader = Reader::open(in_format, &args.input, &items)?;
    let tmp = args.output.with_extension(format!(
        "{}.partial",
        args.output
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("out")
    ));
    let mut writer = Writer::create(
        out_format,
        &tmp,
        &outcomes,
        evaluator,
        &args.audience,
        reader.has_ids(),
    )?;
    let mut first_row = 0usize;
    let mut all_ok = true;
    // Err(Ok(message)): a row failed under --on-error fail (exit 1);
    // Err(Err(message)): the run itself failed (exit 2).
    let result = (|| -> Result<(), Result<String, String>> {
        while let Some(chunk) = reader.next_chunk().map_err(Err)? {
            let chunk = chunk.finish(&topics);
            let rows = chunk.ids.len();
            let batch = evaluator
                .evaluate_batch(
                    &columns,
                    &chunk.codes,
                    Some((&topic_refs, &chunk.declined)),
                    &options,
                )
                .map_err(|e| Err(e.to_string()))?;
            let mut bad: Vec<(usize, String)> = chunk.unreadable.clone();
            bad.extend(batch.errors.iter().map(|e| (e.row, e.error.to_string())));
            bad.sort_by_key(|(r, _)| *r);
            for (row, message) in &bad {
                all_ok = false;
                eprintln!("row {}: {message}", first_row + row + 1);
                if args.on_error == OnError::Fail {
                    return Err(Ok(format!(
                        "error: row {} cannot be evaluated; nothing was written\n  help: fix the row, or pass --on-error skip to write it with status `error`",
                        first_row + row + 1
                    )));
                }
            }
            let unreadable: Vec<usize> = chunk.unreadable.iter().map(|(r, _)| *r).collect();
            writer
                .write(&chunk.ids, first_row, &batch, &unreadable)
                .map_err(Err)?;
            first_row += rows;
            progress.set_position(first_row as u64);
        }
        writer.finish().map_err(Err)
    })();
    progress.finish_and_clear();
    match result {
        Ok(()) => {
            std::fs::rename(&tmp, &args.output).map_err(|e| {
                format!(
                    "error: cannot move the output into place at {}: {e}",
                    args.output.display()
                )
            })?;
            eprintln!("{first_row} rows scored into {}", args.output.display());
            Ok(all_ok)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            match e {
                Ok(row_failed) => {
                    eprintln!("{row_failed}");
                    Ok(false)
                }
                Err(run_failed) => Err(run_failed),
            }
        }
    }
}

enum Reader {
    Csv {
        rows: csv::StringRecordsIntoIter<File>,
        map: Vec<Column>,
        /// The definition's item count (the width of a row).
        n: usize,
        has_ids: bool,
        row: usize,
    },
    Jsonl {
        lines: std::io::Lines<BufReader<File>>,
        items: Vec<String>,
        row: usize,
    },
    Parquet {
        batches: parquet::arrow::arrow_reader::ParquetRecordBatchReader,
        items: Vec<String>,
        has_ids: bool,
    },
}

/// What a CSV column holds.
#[derive(Clone, Copy)]
enum Column {
    Item(usize),
    Id,
    Declined,
}

fn unknown_column(name: &str, items: &[String]) -> String {
    format!(
        "error: the input has a column {}, which is not an item of this definition\n  help: name columns by item id ({}…), `id` or `declined`",
        aspekt::quote(name),
        items.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
    )
}

impl Reader {
    fn open(format: Format, path: &Path, items: &[String]) -> Result<Self, String> {
        let open =
            || File::open(path).map_err(|e| format!("error: cannot read {}: {e}", path.display()));
        match format {
            Format::Csv => {
                let mut rdr = csv::ReaderBuilder::new()
                    .flexible(false)
                    .from_reader(open()?);
                let headers = rdr
                    .headers()
                    .map_err(|e| format!("error: {}: {e}", path.display()))?
                    .clone();
                let mut map = Vec::new();
                let mut has_ids = false;
                for h in headers.iter() {
                    let h = h.trim();
                    map.push(match h {
                        "id" => {
                            has_ids = true;
                            Column::Id
                        }
                        "declined" => Column::Declined,
                        _ => match items.iter().position(|i| i == h) {
                            Some(i) => Column::Item(i),
                            None => return Err(unknown_column(h, items)),
                        },
                    });
                }
                Ok(Reader::Csv {
                    rows: rdr.into_records(),
                    map,
                    n: items.len(),
                    has_ids,
                    row: 0,
                })
            }
            Format::Jsonl => Ok(Reader::Jsonl {
                lines: BufReader::new(open()?).lines(),
                items: items.to_vec(),
                row: 0,
            }),
            Format::Parquet => {
                let builder =
                    parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(open()?)
                        .map_err(|e| {
                            format!(
                                "error: {} is not a readable Parquet file: {e}",
                                path.display()
                            )
                        })?;
                let schema = builder.schema().clone();
                let mut has_ids = false;
                for f in schema.fields() {
                    match f.name().as_str() {
                        "id" => has_ids = true,
                        "declined" => {}
                        n if items.iter().any(|i| i == n) => {}
                        n => return Err(unknown_column(n, items)),
                    }
                }
                let batches = builder
                    .with_batch_size(CHUNK)
                    .build()
                    .map_err(|e| format!("error: {}: {e}", path.display()))?;
                Ok(Reader::Parquet {
                    batches,
                    items: items.to_vec(),
                    has_ids,
                })
            }
        }
    }

    fn has_ids(&self) -> bool {
        match self {
            Reader::Csv { has_ids, .. } | Reader::Parquet { has_ids, .. } => *has_ids,
            // JSON Lines rows may carry "id"; the column is written when the
            // first chunk has any.
            Reader::Jsonl { .. } => true,
        }
    }

    fn next_chunk(&mut self) -> Result<Option<Chunk>, String> {
        match self {
            Reader::Csv {
                rows, map, row, n, ..
            } => {
                let n_items = *n;
                let _ = map.len();
                let mut chunk = Chunk::new();
                for record in rows.by_ref().take(CHUNK) {
                    let local = chunk.ids.len();
                    *row += 1;
                    let record = record.map_err(|e| format!("error: row {row}: {e}"))?;
                    let mut codes = vec![MISSING; n_items];
                    let mut id = None;
                    let mut declined = Vec::new();
                    let mut problem = None;
                    for (col, cell) in map.iter().zip(record.iter()) {
                        let cell = cell.trim();
                        match col {
                            Column::Id => id = Some(cell.to_string()),
                            Column::Declined => {
                                declined = cell
                                    .split(';')
                                    .map(str::trim)
                                    .filter(|s| !s.is_empty())
                                    .map(str::to_string)
                                    .collect()
                            }
                            Column::Item(i) if !cell.is_empty() => match cell.parse::<i32>() {
                                Ok(c) if c != MISSING => {
                                    if let Some(slot) = codes.get_mut(*i) {
                                        *slot = c;
                                    }
                                }
                                _ => {
                                    problem = Some(
                                        "error[invalid_request]: a cell is not an integer code"
                                            .to_string(),
                                    )
                                }
                            },
                            Column::Item(_) => {}
                        }
                    }
                    chunk.push(id, &codes, &declined, problem, local);
                }
                Ok((!chunk.ids.is_empty()).then_some(chunk))
            }
            Reader::Jsonl {
                lines, items, row, ..
            } => {
                let mut chunk = Chunk::new();
                for line in lines.by_ref() {
                    let line = line.map_err(|e| format!("error: reading row {}: {e}", *row + 1))?;
                    if line.trim().is_empty() {
                        continue;
                    }
                    *row += 1;
                    let local = chunk.ids.len();
                    let mut codes = vec![MISSING; items.len()];
                    let (id, declined, problem) =
                        match serde_json::from_str::<serde_json::Value>(&line) {
                            Err(e) => (
                                None,
                                Vec::new(),
                                // Not the column: it moves with the digits
                                // of the answers before it.
                                Some(format!("not valid JSON ({})", strip_position(&e))),
                            ),
                            Ok(v) => parse_json_row(&v, items, &mut codes),
                        };
                    chunk.push(id, &codes, &declined, problem, local);
                    if chunk.ids.len() == CHUNK {
                        break;
                    }
                }
                Ok((!chunk.ids.is_empty()).then_some(chunk))
            }
            Reader::Parquet { batches, items, .. } => {
                let Some(batch) = batches.next() else {
                    return Ok(None);
                };
                let batch = batch.map_err(|e| format!("error: reading Parquet: {e}"))?;
                parquet_chunk(&batch, items).map(Some)
            }
        }
    }
}

/// serde_json's message without its position.
fn strip_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text.get(..i).unwrap_or(&text).to_string(),
        None => text,
    }
}

/// Reads a request-shaped JSON row; never echoes an answer in a message.
fn parse_json_row(
    v: &serde_json::Value,
    items: &[String],
    codes: &mut [i32],
) -> (Option<String>, Vec<String>, Option<String>) {
    let id = v
        .get("id")
        .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string));
    let declined: Vec<String> = v
        .get("declined")
        .and_then(|d| d.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|t| t.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let mut problem = None;
    if let Some(answers) = v.get("answers").and_then(|a| a.as_object()) {
        for (item, code) in answers {
            match (items.iter().position(|i| i == item), code) {
                (_, serde_json::Value::Null) => {}
                (Some(i), c) => match c.as_i64().and_then(|c| i32::try_from(c).ok()) {
                    Some(c) if c != MISSING => {
                        if let Some(slot) = codes.get_mut(i) {
                            *slot = c;
                        }
                    }
                    _ => {
                        problem = Some(format!(
                            "the answer to item {} is not an integer code",
                            aspekt::quote(item)
                        ))
                    }
                },
                (None, _) => {
                    problem = Some(format!(
                        "item {} is not an item of this definition",
                        aspekt::quote(item)
                    ))
                }
            }
        }
    } else if v.get("answers").is_some() {
        problem = Some("`answers` is not an object".to_string());
    }
    (id, declined, problem)
}

fn parquet_chunk(batch: &RecordBatch, items: &[String]) -> Result<Chunk, String> {
    let rows = batch.num_rows();
    let mut chunk = Chunk {
        ids: vec![None; rows],
        codes: vec![MISSING; rows * items.len()],
        declined: Vec::new(),
        unreadable: Vec::new(),
        pending_declined: vec![Vec::new(); rows],
    };
    let schema = batch.schema();
    for (field, column) in schema.fields().iter().zip(batch.columns()) {
        let name = field.name().as_str();
        if name == "id" {
            for (r, slot) in chunk.ids.iter_mut().enumerate() {
                *slot = cell_string(column, r);
            }
            continue;
        }
        if name == "declined" {
            for (r, slot) in chunk.pending_declined.iter_mut().enumerate() {
                if let Some(s) = cell_string(column, r) {
                    *slot = s
                        .split(';')
                        .map(str::trim)
                        .filter(|t| !t.is_empty())
                        .map(str::to_string)
                        .collect();
                }
            }
            continue;
        }
        let Some(i) = items.iter().position(|it| it == name) else {
            continue;
        };
        let width = items.len();
        let mut put = |r: usize, v: Option<i64>| {
            if let Some(v) = v {
                match i32::try_from(v) {
                    Ok(c) if c != MISSING => {
                        if let Some(slot) = chunk.codes.get_mut(r * width + i) {
                            *slot = c;
                        }
                    }
                    _ => chunk.unreadable.push((
                        r,
                        format!("the answer to item `{name}` is not an integer code"),
                    )),
                }
            }
        };
        match column.data_type() {
            DataType::Int64 => {
                let a = column.as_primitive::<Int64Type>();
                for r in 0..rows {
                    put(r, a.is_valid(r).then(|| a.value(r)));
                }
            }
            DataType::Int32 => {
                let a = column.as_primitive::<Int32Type>();
                for r in 0..rows {
                    put(r, a.is_valid(r).then(|| i64::from(a.value(r))));
                }
            }
            DataType::Float64 => {
                // pandas writes integer columns with missing values as float.
                let a = column.as_primitive::<Float64Type>();
                for r in 0..rows {
                    let v = a.is_valid(r).then(|| a.value(r)).filter(|x| !x.is_nan());
                    match v {
                        Some(x) if x.fract() == 0.0 && x.abs() < 1e9 => put(r, Some(x as i64)),
                        // Out of range for i64 too: `put` reports it.
                        Some(_) => put(r, Some(i64::MAX)),
                        None => {}
                    }
                }
            }
            other => {
                return Err(format!(
                    "error: column `{name}` has type {other}, not integers\n  help: store codes as integer (or float with NaN for missing) columns"
                ));
            }
        }
    }
    Ok(chunk)
}

fn cell_string(column: &ArrayRef, r: usize) -> Option<String> {
    if !column.is_valid(r) {
        return None;
    }
    match column.data_type() {
        DataType::Utf8 => Some(column.as_string::<i32>().value(r).to_string()),
        DataType::LargeUtf8 => Some(column.as_string::<i64>().value(r).to_string()),
        DataType::Int64 => Some(column.as_primitive::<Int64Type>().value(r).to_string()),
        DataType::Int32 => Some(column.as_primitive::<Int32Type>().value(r).to_string()),
        _ => None,
    }
}

impl Chunk {
    fn new() -> Self {
        Chunk {
            ids: Vec::new(),
            codes: Vec::new(),
            declined: Vec::new(),
            unreadable: Vec::new(),
            pending_declined: Vec::new(),
        }
    }

    fn push(
        &mut self,
        id: Option<String>,
        codes: &[i32],
        declined: &[String],
        problem: Option<String>,
        local: usize,
    ) {
        self.ids.push(id);
        match problem {
            // An unreadable row is scored as empty and then marked failed,
            // so the engine never sees half a row.
            Some(p) => {
                self.codes.extend(std::iter::repeat_n(MISSING, codes.len()));
                self.unreadable.push((local, p));
                self.pending_declined.push(Vec::new());
            }
            None => {
                self.codes.extend_from_slice(codes);
                self.pending_declined.push(declined.to_vec());
            }
        }
    }

    /// Turns the per-row declined topic names into flags; an unknown topic
    /// makes its row unreadable.
    fn finish(mut self, topics: &[String]) -> Chunk {
        let rows = self.ids.len();
        self.declined = vec![false; rows * topics.len()];
        for (r, names) in std::mem::take(&mut self.pending_declined)
            .into_iter()
            .enumerate()
        {
            for name in names {
                match topics.iter().position(|t| *t == name) {
                    Some(t) => {
                        if let Some(flag) = self.declined.get_mut(r * topics.len() + t) {
                            *flag = true;
                        }
                    }
                    None => self.unreadable.push((
                        r,
                        format!(
                            "declines topic {}, which this definition does not have",
                            aspekt::quote(&name)
                        ),
                    )),
                }
            }
        }
        // A row made unreadable is scored as empty (and then marked failed).
        for &(r, _) in &self.unreadable {
            let width = self.codes.len() / rows.max(1);
            for c in self.codes.iter_mut().skip(r * width).take(width) {
                *c = MISSING;
            }
            for f in self
                .declined
                .iter_mut()
                .skip(r * topics.len())
                .take(topics.len())
            {
                *f = false;
            }
        }
        self.unreadable.sort_by_key(|(r, _)| *r);
        self.unreadable.dedup_by_key(|(r, _)| *r);
        self
    }
}

fn status_name(s: u8) -> &'static str {
    match s {
        status::OK => "ok",
        status::DECLINED => "declined",
        status::INSUFFICIENT => "insufficient",
        _ => "error",
    }
}

/// One output cell.
struct Cell<'a> {
    status: &'static str,
    band: Option<&'a str>,
    index: Option<i16>,
}

enum Sink {
    Csv(csv::Writer<BufWriter<File>>),
    Jsonl(BufWriter<File>),
    Parquet(Option<parquet::arrow::ArrowWriter<File>>, File),
}

struct Writer<'a> {
    sink: Sink,
    outcomes: &'a [(String, Vec<String>)],
    has_ids: bool,
    header_written: bool,
}

impl<'a> Writer<'a> {
    fn create(
        format: Format,
        path: &Path,
        outcomes: &'a [(String, Vec<String>)],
        _evaluator: &Evaluator,
        _audience: &str,
        has_ids: bool,
    ) -> Result<Self, String> {
        let file = File::create(path)
            .map_err(|e| format!("error: cannot create {}: {e}", path.display()))?;
        let sink = match format {
            Format::Csv => Sink::Csv(csv::Writer::from_writer(BufWriter::new(file))),
            Format::Jsonl => Sink::Jsonl(BufWriter::new(file)),
            Format::Parquet => Sink::Parquet(None, file),
        };
        Ok(Writer {
            sink,
            outcomes,
            has_ids,
            header_written: false,
        })
    }

    fn cells<'b>(
        &'b self,
        batch: &aspekt::batch::Batch,
        row: usize,
        failed: bool,
    ) -> Vec<Cell<'b>> {
        let n = batch.results.len();
        batch
            .results
            .iter()
            .enumerate()
            .map(|(k, rid)| {
                let st = if failed {
                    status::ERROR
                } else {
                    batch
                        .status
                        .get(row * n + k)
                        .copied()
                        .unwrap_or(status::ERROR)
                };
                let idx = batch
                    .band
                    .get(row * n + k)
                    .copied()
                    .filter(|b| *b >= 0 && st == status::OK);
                let band = idx.and_then(|i| {
                    self.outcomes
                        .iter()
                        .find(|(id, _)| id == rid)
                        .and_then(|(_, ids)| ids.get(usize::try_from(i).ok()?))
                        .map(String::as_str)
                });
                Cell {
                    status: status_name(st),
                    band,
                    index: idx,
                }
            })
            .collect()
    }

    fn write(
        &mut self,
        ids: &[Option<String>],
        first_row: usize,
        batch: &aspekt::batch::Batch,
        unreadable: &[usize],
    ) -> Result<(), String> {
        let io = |e: std::io::Error| format!("error: writing the output: {e}");
        let key = if self.has_ids { "id" } else { "row" };
        let label = |r: usize| -> String {
            match ids.get(r).cloned().flatten() {
                Some(id) if self.has_ids => id,
                _ => (first_row + r + 1).to_string(),
            }
        };
        match &mut self.sink {
            Sink::Csv(_) | Sink::Jsonl(_) => {
                let mut lines: Vec<Vec<String>> = Vec::with_capacity(ids.len());
                let mut json: Vec<String> = Vec::new();
                for r in 0..ids.len() {
                    let cells = self.cells(batch, r, unreadable.contains(&r));
                    let mut line = vec![label(r)];
                    let mut obj = serde_json::Map::new();
                    for (cell, rid) in cells.iter().zip(&batch.results) {
                        line.push(cell.status.to_string());
                        line.push(cell.band.unwrap_or("").to_string());
                        line.push(cell.index.map(|i| i.to_string()).unwrap_or_default());
                        obj.insert(
                            rid.clone(),
                            serde_json::json!({"status": cell.status, "band": cell.band, "index": cell.index}),
                        );
                    }
                    lines.push(line);
                    let id_value = if self.has_ids {
                        ids.get(r)
                            .cloned()
                            .flatten()
                            .map_or(serde_json::Value::Null, serde_json::Value::String)
                    } else {
                        serde_json::Value::from(first_row + r + 1)
                    };
                    json.push(serde_json::json!({ key: id_value, "results": obj }).to_string());
                }
                match &mut self.sink {
                    Sink::Csv(w) => {
                        if !self.header_written {
                            let mut header = vec![key.to_string()];
                            for rid in &batch.results {
                                header.extend([
                                    format!("{rid}.status"),
                                    format!("{rid}.band"),
                                    format!("{rid}.index"),
                                ]);
                            }
                            w.write_record(&header)
                                .map_err(|e| format!("error: writing the output: {e}"))?;
                        }
                        for line in lines {
                            w.write_record(&line)
                                .map_err(|e| format!("error: writing the output: {e}"))?;
                        }
                    }
                    Sink::Jsonl(w) => {
                        for line in json {
                            writeln!(w, "{line}").map_err(io)?;
                        }
                    }
                    Sink::Parquet(..) => {}
                }
                self.header_written = true;
                Ok(())
            }
            Sink::Parquet(..) => {
                let mut fields = vec![if self.has_ids {
                    Field::new("id", DataType::Utf8, true)
                } else {
                    Field::new("row", DataType::UInt64, false)
                }];
                let mut columns: Vec<ArrayRef> = vec![if self.has_ids {
                    Arc::new(StringArray::from(ids.to_vec()))
                } else {
                    Arc::new(UInt64Array::from_iter_values(
                        (0..ids.len()).map(|r| (first_row + r + 1) as u64),
                    ))
                }];
                let all: Vec<Vec<Cell<'_>>> = (0..ids.len())
                    .map(|r| self.cells(batch, r, unreadable.contains(&r)))
                    .collect();
                for (k, rid) in batch.results.iter().enumerate() {
                    fields.push(Field::new(format!("{rid}.status"), DataType::Utf8, false));
                    fields.push(Field::new(format!("{rid}.band"), DataType::Utf8, true));
                    fields.push(Field::new(format!("{rid}.index"), DataType::Int16, true));
                    let col = |f: &dyn Fn(&Cell<'_>) -> Option<String>| -> ArrayRef {
                        Arc::new(StringArray::from(
                            all.iter().map(|c| c.get(k).and_then(f)).collect::<Vec<_>>(),
                        ))
                    };
                    columns.push(col(&|c| Some(c.status.to_string())));
                    columns.push(col(&|c| c.band.map(str::to_string)));
                    columns.push(Arc::new(Int16Array::from(
                        all.iter()
                            .map(|c| c.get(k).and_then(|c| c.index))
                            .collect::<Vec<_>>(),
                    )));
                }
                let schema = Arc::new(Schema::new(fields));
                let record = RecordBatch::try_new(schema.clone(), columns)
                    .map_err(|e| format!("error: building the output: {e}"))?;
                let Sink::Parquet(writer, file) = &mut self.sink else {
                    return Ok(());
                };
                if writer.is_none() {
                    let f = file.try_clone().map_err(io)?;
                    *writer = Some(
                        parquet::arrow::ArrowWriter::try_new(f, schema, None)
                            .map_err(|e| format!("error: writing Parquet: {e}"))?,
                    );
                }
                if let Some(w) = writer {
                    w.write(&record)
                        .map_err(|e| format!("error: writing Parquet: {e}"))?;
                }
                Ok(())
            }
        }
    }

    fn finish(&mut self) -> Result<(), String> {
        match &mut self.sink {
            Sink::Csv(w) => w
                .flush()
                .map_err(|e| format!("error: writing the output: {e}")),
            Sink::Jsonl(w) => w
                .flush()
                .map_err(|e| format!("error: writing the output: {e}")),
            Sink::Parquet(writer, _) => match writer.take() {
                Some(w) => w
                    .close()
                    .map(|_| ())
                    .map_err(|e| format!("error: writing Parquet: {e}")),
                None => Ok(()),
            },
        }
    }
}
