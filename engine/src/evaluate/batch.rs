//! Batch evaluation: a respondents × items matrix of codes in, per result a
//! status and band index out. No strings per row, no allocation per row for
//! declarative scoring; rows are split across threads where the host has
//! them.
//!
//! This is the path for researchers scoring study data they collected with
//! consent (Python's `evaluate_frame`, `aspekt batch`). It releases exactly
//! what reports release — statuses and bands of the results an audience may
//! see — and nothing per item.

use crate::evaluate::error::{ErrorCode, RequestError};
use crate::evaluate::evaluator::Evaluator;
use crate::evaluate::report::Status;
use crate::evaluate::validate::{self, Via};

/// The code that marks an unanswered cell.
pub const MISSING: i32 = i32::MIN;

/// How to run a batch.
#[derive(Clone, Debug)]
pub struct BatchOptions {
    /// Consent to the definition's privacy notice, attested for the whole
    /// data set (required when the definition declares one).
    pub consent: Option<String>,
    /// Whose results: only results this audience may see are computed.
    pub audience: String,
    /// Worker threads; 0 = one per available core. Ignored (1) where the
    /// platform has no threads (WebAssembly).
    pub threads: usize,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            consent: None,
            audience: "participant".to_string(),
            threads: 0,
        }
    }
}

/// A row that could not be evaluated.
#[derive(Clone, Debug, PartialEq)]
pub struct RowError {
    /// 0-based row number.
    pub row: usize,
    /// What is wrong (names the item; never the submitted code).
    pub error: RequestError,
}

/// Status code of a cell in [`Batch::status`].
pub mod status {
    /// Scored: the band index is set.
    pub const OK: u8 = 0;
    /// The topic was declined.
    pub const DECLINED: u8 = 1;
    /// The missing-data rule was not met.
    pub const INSUFFICIENT: u8 = 2;
    /// The row could not be evaluated (see [`super::Batch::errors`]).
    pub const ERROR: u8 = 3;
}

/// Results of a batch, row-major: `rows × results.len()` cells.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Batch {
    /// Result ids, in definition order (the audience's results only).
    pub results: Vec<String>,
    /// Number of rows.
    pub rows: usize,
    /// Per cell: a [`status`] code.
    pub status: Vec<u8>,
    /// Per cell: the band (or outcome) index, or -1 when not scored.
    pub band: Vec<i16>,
    /// Rows that could not be evaluated; their cells carry `status::ERROR`.
    pub errors: Vec<RowError>,
}

impl Evaluator {
    /// Evaluates a matrix of codes: `codes` is row-major with one column per
    /// entry of `columns` (item ids), [`MISSING`] for unanswered cells.
    /// `declined` optionally names, per row, topics declined
    /// (row-major `rows × topics.len()` flags against `topics`).
    ///
    /// Fails as a whole only when the call itself is wrong (consent, unknown
    /// column or audience, sizes); a bad row is reported in
    /// [`Batch::errors`] with its row number and the batch goes on.
    pub fn evaluate_batch(
        &self,
        columns: &[&str],
        codes: &[i32],
        declined: Option<(&[&str], &[bool])>,
        options: &BatchOptions,
    ) -> Result<Batch, RequestError> {
        let c = self.compiled();
        if let Some(notice) = &c.privacy_notice
            && options.consent.as_deref() != Some(notice.as_str())
        {
            return Err(RequestError::new(
                ErrorCode::ConsentRequired,
                Some("consent".to_string()),
                format!("`{}` requires consent to privacy notice {notice}", c.id),
                format!(
                    "score only data collected with consent to notice {notice}, and pass consent = \"{notice}\""
                ),
            ));
        }
        validate::check_audience(c, &options.audience)?;
        let mut column_items = Vec::with_capacity(columns.len());
        for (i, col) in columns.iter().enumerate() {
            match c.item_index.get(*col) {
                Some(&idx) => column_items.push(idx),
                None => {
                    return Err(validate::unknown_item(
                        c,
                        col,
                        Some(format!("columns[{i}]")),
                        "name the columns by the definition's item ids (see its form)",
                    ));
                }
            }
        }
        let width = columns.len().max(1);
        if !codes.len().is_multiple_of(width) {
            return Err(RequestError::new(
                ErrorCode::InvalidRequest,
                Some("codes".to_string()),
                format!(
                    "{} codes do not fill rows of {} columns",
                    codes.len(),
                    columns.len()
                ),
                "pass a full row-major matrix: rows × columns codes",
            ));
        }
        let rows = if columns.is_empty() {
            0
        } else {
            codes.len() / width
        };
        let declined_topics: Vec<usize> = match declined {
            None => Vec::new(),
            Some((topics, flags)) => {
                let mut idx = Vec::new();
                for (i, t) in topics.iter().enumerate() {
                    match c.topic_index.get(*t) {
                        Some(&ti) => idx.push(ti),
                        None => {
                            return Err(validate::unknown_topic(
                                c,
                                t,
                                Some(format!("topics[{i}]")),
                            ));
                        }
                    }
                }
                if flags.len() != rows * topics.len() {
                    return Err(RequestError::new(
                        ErrorCode::InvalidRequest,
                        Some("declined".to_string()),
                        format!(
                            "{} decline flags for {rows} rows × {} topics",
                            flags.len(),
                            topics.len()
                        ),
                        "pass one flag per row and topic, row-major",
                    ));
                }
                idx
            }
        };
        let visible: Vec<usize> = c
            .results
            .iter()
            .enumerate()
            .filter(|(_, r)| r.audiences.contains(&options.audience))
            .map(|(i, _)| i)
            .collect();
        let fast = Kernel::new(self, &column_items, &visible);
        let job = Job {
            evaluator: self,
            column_items: &column_items,
            codes,
            width,
            declined_topics: &declined_topics,
            declined_flags: declined.map(|(_, f)| f),
            visible: &visible,
            fast: fast.as_ref(),
        };
        let threads = effective_threads(options.threads, rows);
        let chunk = rows.div_ceil(threads.max(1)).max(1);
        let mut parts: Vec<Part> = Vec::new();
        if threads <= 1 {
            parts.push(job.run(0, rows));
        } else {
            run_parallel(&job, rows, chunk, &mut parts);
        }
        let n = visible.len();
        let mut batch = Batch {
            results: visible
                .iter()
                .filter_map(|&i| c.results.get(i).map(|r| r.id.clone()))
                .collect(),
            rows,
            status: Vec::with_capacity(rows * n),
            band: Vec::with_capacity(rows * n),
            errors: Vec::new(),
        };
        for p in parts {
            batch.status.extend(p.status);
            batch.band.extend(p.band);
            batch.errors.extend(p.errors);
        }
        Ok(batch)
    }
}

struct Job<'a> {
    evaluator: &'a Evaluator,
    column_items: &'a [usize],
    codes: &'a [i32],
    width: usize,
    declined_topics: &'a [usize],
    declined_flags: Option<&'a [bool]>,
    visible: &'a [usize],
    /// The flat kernel, when every visible result is declarative.
    fast: Option<&'a Kernel>,
}

/// One term of a flat score: where its code is in a row, and its
/// contribution per code.
struct FlatTerm {
    /// Column of the item in the row, or `None` when the item has no column
    /// (always unanswered).
    column: Option<usize>,
    weight: i64,
    /// Keyed contribution (thousandths) per code, indexed by `code - lo`.
    contribution: Vec<i64>,
    lo: i64,
}

/// A declarative result flattened for the batch path: the same arithmetic
/// as `ScorePlan::compute` and `ResultPlan::band_of` (its `finish` is
/// called), read straight from the `i32` row — no value vector, no
/// options, no dispatch per cell.
struct FlatResult {
    result: usize,
    score: usize,
    topic: usize,
    terms: Vec<FlatTerm>,
}

/// Per column: the valid codes (`code - lo` → valid) and the item's topic,
/// so validation is a table lookup.
struct FlatColumn {
    lo: i64,
    valid: Vec<bool>,
    topic: usize,
}

/// The flat batch kernel of an evaluator for one column layout.
struct Kernel {
    columns: Vec<FlatColumn>,
    results: Vec<FlatResult>,
}

impl Kernel {
    /// `None` when some visible result needs the general path (rules,
    /// selections) or a scale is too wide for a table.
    fn new(e: &Evaluator, column_items: &[usize], visible: &[usize]) -> Option<Kernel> {
        let c = e.compiled();
        let mut columns = Vec::with_capacity(column_items.len());
        for &item in column_items {
            let scale = c.item_scale.get(item).and_then(|s| c.scales.get(*s))?;
            let span = usize::try_from(scale.max - scale.min).ok()?;
            if span > 1024 {
                return None;
            }
            let mut valid = vec![false; span + 1];
            for code in &scale.codes {
                if let Some(v) = usize::try_from(code - scale.min)
                    .ok()
                    .and_then(|i| valid.get_mut(i))
                {
                    *v = true;
                }
            }
            columns.push(FlatColumn {
                lo: scale.min,
                valid,
                topic: c.item_topic.get(item).copied()?,
            });
        }
        let mut results = Vec::with_capacity(visible.len());
        for &ri in visible {
            let r = c.results.get(ri)?;
            if !matches!(r.choice, crate::plan::Choice::Bands) {
                return None;
            }
            let plan = c.scores.get(r.score)?;
            if plan.rule.is_some() {
                return None;
            }
            let terms = plan
                .terms
                .iter()
                .map(|t| {
                    let lo = t.codes.first().copied().unwrap_or(0);
                    let hi = t.codes.last().copied().unwrap_or(0);
                    FlatTerm {
                        column: column_items.iter().position(|&i| i == t.item),
                        weight: t.weight,
                        contribution: (lo..=hi).map(|code| t.contribution(code)).collect(),
                        lo,
                    }
                })
                .collect();
            results.push(FlatResult {
                result: ri,
                score: r.score,
                topic: plan.topic,
                terms,
            });
        }
        Some(Kernel { columns, results })
    }
}

struct Part {
    status: Vec<u8>,
    band: Vec<i16>,
    errors: Vec<RowError>,
}

impl Job<'_> {
    /// Rows `from..to`, with one value buffer reused for every row.
    fn run(&self, from: usize, to: usize) -> Part {
        let c = self.evaluator.compiled();
        let n = self.visible.len();
        let mut part = Part {
            status: Vec::with_capacity((to - from) * n),
            band: Vec::with_capacity((to - from) * n),
            errors: Vec::new(),
        };
        let mut values: zeroize::Zeroizing<Vec<Option<i64>>> =
            zeroize::Zeroizing::new(vec![None; c.item_ids.len()]);
        let mut declined = vec![false; c.topics.len()];
        // Outcomes of the row so far, by result index (strongest results
        // reuse their sources'); cleared per row.
        let mut outcomes = vec![None; c.results.len()];
        for row in from..to {
            match self.row(row, &mut values, &mut declined, &mut outcomes, &mut part) {
                Ok(()) => {}
                Err(error) => {
                    // Drop whatever the row pushed, then mark it failed.
                    let done = (row - from) * n;
                    part.status.truncate(done);
                    part.band.truncate(done);
                    part.status.extend(std::iter::repeat_n(
                        crate::evaluate::batch::status::ERROR,
                        n,
                    ));
                    part.band.extend(std::iter::repeat_n(-1, n));
                    part.errors.push(RowError { row, error });
                }
            }
        }
        part
    }

    fn row(
        &self,
        row: usize,
        values: &mut [Option<i64>],
        declined: &mut [bool],
        outcomes: &mut [Option<crate::evaluate::evaluator::Outcome>],
        part: &mut Part,
    ) -> Result<(), RequestError> {
        if let Some(kernel) = self.fast {
            return self.row_flat(kernel, row, declined, part);
        }
        let c = self.evaluator.compiled();
        for v in values.iter_mut() {
            *v = None;
        }
        for d in declined.iter_mut() {
            *d = false;
        }
        if let Some(flags) = self.declined_flags {
            let t = self.declined_topics.len();
            for (k, &topic) in self.declined_topics.iter().enumerate() {
                if flags.get(row * t + k).copied().unwrap_or(false)
                    && let Some(d) = declined.get_mut(topic)
                {
                    *d = true;
                }
            }
        }
        let cells = self
            .codes
            .get(row * self.width..(row + 1) * self.width)
            .unwrap_or_default();
        for (&item, &code) in self.column_items.iter().zip(cells) {
            if code == MISSING {
                continue;
            }
            validate::validate_answer(c, item, Some(i64::from(code)), declined, Via::Batch)?;
            if let Some(v) = values.get_mut(item) {
                *v = Some(i64::from(code));
            }
        }
        for o in outcomes.iter_mut() {
            *o = None;
        }
        for &ri in self.visible {
            let Some(r) = c.results.get(ri) else { continue };
            let o = self.evaluator.outcome(r, values, declined, outcomes)?;
            let s = match o.status {
                Status::Ok => crate::evaluate::batch::status::OK,
                Status::Declined => crate::evaluate::batch::status::DECLINED,
                Status::Insufficient => crate::evaluate::batch::status::INSUFFICIENT,
            };
            part.status.push(s);
            part.band
                .push(o.band.and_then(|b| i16::try_from(b).ok()).unwrap_or(-1));
            if let Some(slot) = outcomes.get_mut(ri) {
                *slot = Some(o);
            }
        }
        Ok(())
    }
}

impl Job<'_> {
    /// The flat path: validate the row by table lookups, then score each
    /// result straight from the row. Same results as the general path (the
    /// tests compare both with `evaluate`).
    fn row_flat(
        &self,
        kernel: &Kernel,
        row: usize,
        declined: &mut [bool],
        part: &mut Part,
    ) -> Result<(), RequestError> {
        let c = self.evaluator.compiled();
        for d in declined.iter_mut() {
            *d = false;
        }
        if let Some(flags) = self.declined_flags {
            let t = self.declined_topics.len();
            for (k, &topic) in self.declined_topics.iter().enumerate() {
                if flags.get(row * t + k).copied().unwrap_or(false)
                    && let Some(d) = declined.get_mut(topic)
                {
                    *d = true;
                }
            }
        }
        let cells = self
            .codes
            .get(row * self.width..(row + 1) * self.width)
            .unwrap_or_default();
        for (col, (&code, column)) in cells.iter().zip(&kernel.columns).enumerate() {
            if code == MISSING {
                continue;
            }
            let ok = usize::try_from(i64::from(code) - column.lo)
                .ok()
                .and_then(|i| column.valid.get(i))
                .copied()
                .unwrap_or(false);
            if !ok || declined.get(column.topic).copied().unwrap_or(false) {
                // Rare: the same validation as every other path words the
                // error (a bad code in a declined topic is about the topic).
                // It fails here, since the table holds the scale's codes.
                let item = self.column_items.get(col).copied().unwrap_or(0);
                validate::validate_answer(c, item, Some(i64::from(code)), declined, Via::Batch)?;
            }
        }
        for fr in &kernel.results {
            let (status, band) = if declined.get(fr.topic).copied().unwrap_or(false) {
                (crate::evaluate::batch::status::DECLINED, -1)
            } else {
                let (mut answered, mut weight, mut sum) = (0usize, 0i64, 0i64);
                for t in &fr.terms {
                    let Some(code) = t.column.and_then(|col| cells.get(col)).copied() else {
                        continue;
                    };
                    if code == MISSING {
                        continue;
                    }
                    let Some(contribution) = usize::try_from(i64::from(code) - t.lo)
                        .ok()
                        .and_then(|i| t.contribution.get(i))
                    else {
                        continue;
                    };
                    answered += 1;
                    weight += t.weight;
                    sum += contribution;
                }
                let plan = c.scores.get(fr.score);
                let result = c.results.get(fr.result);
                match (plan, result) {
                    (Some(p), Some(r)) if answered >= p.min_answered && answered > 0 => {
                        let v = p.finish(answered, weight, sum);
                        match r.band_of(v) {
                            Some(b) => (
                                crate::evaluate::batch::status::OK,
                                i16::try_from(b).unwrap_or(-1),
                            ),
                            // The compiler proves every reachable value lies
                            // in a band; report it like the general path.
                            None => {
                                return Err(RequestError::new(
                                    ErrorCode::Internal,
                                    None,
                                    format!(
                                        "internal error: result `{}` has no band for a reachable value",
                                        r.id
                                    ),
                                    "this is a bug in aspekt; please report it with the definition",
                                ));
                            }
                        }
                    }
                    _ => (crate::evaluate::batch::status::INSUFFICIENT, -1),
                }
            };
            part.status.push(status);
            part.band.push(band);
        }
        Ok(())
    }
}

fn effective_threads(requested: usize, rows: usize) -> usize {
    if cfg!(target_family = "wasm") || rows < 4096 {
        return 1;
    }
    let available = std::thread::available_parallelism().map_or(1, usize::from);
    let t = if requested == 0 { available } else { requested };
    t.clamp(1, 64)
}

#[cfg(not(target_family = "wasm"))]
fn run_parallel(job: &Job<'_>, rows: usize, chunk: usize, parts: &mut Vec<Part>) {
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..rows)
            .step_by(chunk)
            .map(|from| {
                let to = (from + chunk).min(rows);
                s.spawn(move || job.run(from, to))
            })
            .collect();
        for (i, h) in handles.into_iter().enumerate() {
            match h.join() {
                Ok(p) => parts.push(p),
                // A worker cannot panic (library code does not), but if it
                // did, score its rows here rather than lose them.
                Err(_) => {
                    let from = i * chunk;
                    parts.push(job.run(from, (from + chunk).min(rows)));
                }
            }
        }
    });
}

#[cfg(target_family = "wasm")]
fn run_parallel(job: &Job<'_>, rows: usize, _chunk: usize, parts: &mut Vec<Part>) {
    parts.push(job.run(0, rows));
}
