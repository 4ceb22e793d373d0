//! `aspekt-bench`: measures aspekt against the alternatives in one run and
//! prints every ratio (see the book's performance chapter). Timings are
//! medians of repeated runs on this machine; nothing here asserts a speed.
//!
//! Run it with `bash bench/run.sh` (release build, then the Python part).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::hint::black_box;
use std::time::Instant;

use aspekt::batch::{BatchOptions, MISSING};
use aspekt::model::Aggregate;
use aspekt::{Answers, Evaluator, Request, Source};

/// A `/proc/self/status` field in bytes (Linux), e.g. `VmRSS`, `VmHWM`.
fn proc_status(field: &str) -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Run as a child (`aspekt-bench memory`): build the matrix, note the
/// resident size, run the batch, and report the peak resident size reached
/// above it, against the input matrix's size.
fn memory_child() {
    let e = bench60();
    let columns_owned: Vec<String> = e
        .definition()
        .items
        .iter()
        .map(|i| i.id.value().clone())
        .collect();
    let columns: Vec<&str> = columns_owned.iter().map(String::as_str).collect();
    let codes = matrix(1_000_000, columns.len());
    let input = codes.len() * std::mem::size_of::<i32>();
    let before = proc_status("VmRSS").unwrap_or(0);
    let batch = e
        .evaluate_batch(&columns, &codes, None, &BatchOptions::default())
        .unwrap();
    let peak = proc_status("VmHWM").unwrap_or(0);
    black_box(&batch);
    println!("{} {}", peak.saturating_sub(before), input);
}

/// Median seconds per call of `f` over `rounds` rounds of `n` calls.
fn time(rounds: usize, n: usize, mut f: impl FnMut()) -> f64 {
    let mut samples: Vec<f64> = (0..rounds)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..n {
                f();
            }
            t.elapsed().as_secs_f64() / n as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

fn bench60() -> Evaluator {
    let text = include_str!("../../engine/benches/fixtures/bench60.toml");
    aspekt::compile(&Source::new("bench60.toml", text)).unwrap()
}

/// A random matrix of codes 1..=5, about 3 % missing.
fn matrix(rows: usize, cols: usize) -> Vec<i32> {
    let mut rng = Lcg(7);
    (0..rows * cols)
        .map(|_| {
            let r = rng.next() % 100;
            if r < 3 { MISSING } else { (r % 5) as i32 + 1 }
        })
        .collect()
}

/// The same scoring as bench60, hand-written: flat arrays, one tight loop.
struct HandScore {
    items: Vec<usize>,
    reverse: Vec<bool>,
    sum: bool,
    min_answered: usize,
    multiply: f64,
    add: f64,
    round: Option<u32>,
    bands: Vec<(f64, f64)>,
}

fn hand_plan(e: &Evaluator) -> Vec<HandScore> {
    let d = e.definition();
    let index = |id: &str| d.items.iter().position(|i| i.id.as_str() == id).unwrap();
    d.results
        .iter()
        .map(|r| {
            let s = d
                .scores
                .iter()
                .find(|s| Some(s.id.as_str()) == r.score.as_deref().map(String::as_str))
                .unwrap();
            let items: Vec<usize> = s.items.iter().map(|i| index(i)).collect();
            let n = items.len();
            let min_answered = match s.missing.as_ref() {
                None => n,
                Some(m) => m
                    .min_answered
                    .map(|k| k as usize)
                    .or(m.max_missing.map(|k| n - k as usize))
                    .unwrap(),
            };
            let t = s.transform.as_ref();
            HandScore {
                reverse: items.iter().map(|&i| d.items[i].reverse).collect(),
                items,
                sum: *s.aggregate.as_ref().unwrap().value() == Aggregate::Sum,
                min_answered,
                multiply: t.and_then(|t| t.multiply).unwrap_or(1.0),
                add: t.and_then(|t| t.add).unwrap_or(0.0),
                round: s.round.as_ref().map(|r| *r.value()),
                bands: r
                    .bands
                    .iter()
                    .map(|b| (*b.min.value(), *b.max.value()))
                    .collect(),
            }
        })
        .collect()
}

fn hand_loop(plan: &[HandScore], codes: &[i32], cols: usize, out: &mut Vec<i16>) {
    out.clear();
    for row in codes.chunks_exact(cols) {
        for s in plan {
            let (mut answered, mut sum) = (0usize, 0.0f64);
            for (k, &i) in s.items.iter().enumerate() {
                let c = row[i];
                if c != MISSING {
                    answered += 1;
                    sum += if s.reverse[k] {
                        (6 - c) as f64
                    } else {
                        c as f64
                    };
                }
            }
            if answered < s.min_answered {
                out.push(-1);
                continue;
            }
            let n = s.items.len();
            let base = if s.sum {
                if answered == n {
                    sum
                } else {
                    sum / answered as f64 * n as f64
                }
            } else {
                sum / answered as f64
            };
            let mut v = base * s.multiply + s.add;
            if let Some(d) = s.round {
                let f = 10f64.powi(d as i32);
                v = (v * f).round() / f;
            }
            out.push(
                s.bands
                    .iter()
                    .position(|&(lo, hi)| lo <= v && v <= hi)
                    .map_or(-1, |b| b as i16),
            );
        }
    }
}

fn row(line: &str, value: String, target: &str) {
    println!("| {line:<58} | {value:>22} | {target:<26} |");
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("memory") {
        memory_child();
        return;
    }
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    println!("aspekt-bench on {cores} core(s); medians of repeated runs, release build\n");
    println!(
        "| {:<58} | {:>22} | {:<26} |",
        "measure", "result", "target"
    );
    println!("|{}|{}|{}|", "-".repeat(60), "-".repeat(24), "-".repeat(28));

    // 1. Batch vs a hand-written loop, 60 items, 6 scores, one thread.
    let e = bench60();
    let columns_owned: Vec<String> = e
        .definition()
        .items
        .iter()
        .map(|i| i.id.value().clone())
        .collect();
    let columns: Vec<&str> = columns_owned.iter().map(String::as_str).collect();
    let rows = 200_000;
    let codes = matrix(rows, columns.len());
    let plan = hand_plan(&e);
    let single = BatchOptions {
        threads: 1,
        ..BatchOptions::default()
    };
    let mut out = Vec::new();
    let t_hand = time(5, 1, || hand_loop(&plan, &codes, columns.len(), &mut out));
    let t_batch = time(5, 1, || {
        black_box(e.evaluate_batch(&columns, &codes, None, &single).unwrap());
    });
    // Same answers, same bands: the loop is a fair reference.
    let check = e.evaluate_batch(&columns, &codes, None, &single).unwrap();
    hand_loop(&plan, &codes, columns.len(), &mut out);
    if let Some(i) = check.band.iter().zip(&out).position(|(a, b)| a != b) {
        panic!(
            "the hand-written loop must score exactly like the engine: row {}, result {}: engine {}, loop {}",
            i / plan.len(),
            i % plan.len(),
            check.band[i],
            out[i]
        );
    }
    row(
        "batch vs hand-written loop (60 items, 6 scores, 1 thread)",
        format!(
            "{:.2}× ({:.0} ns/row)",
            t_batch / t_hand,
            t_batch * 1e9 / rows as f64
        ),
        "≤ 1.5×",
    );
    let all = BatchOptions::default();
    let t_par = time(5, 1, || {
        black_box(e.evaluate_batch(&columns, &codes, None, &all).unwrap());
    });
    row(
        "batch, all cores: rows per second",
        format!("{:.2} M", rows as f64 / t_par / 1e6),
        "—",
    );

    // 2. Single evaluation with the rendered JSON report.
    let requests: Vec<Request> = (0..256)
        .map(|k| {
            let mut a = Answers::new();
            for (i, id) in columns_owned.iter().enumerate() {
                let c = codes[k * columns.len() + i];
                if c != MISSING {
                    a.insert(id.clone(), i64::from(c));
                }
            }
            Request::new(a)
        })
        .collect();
    let mut k = 0;
    let t_report = time(7, 20_000, || {
        k = (k + 1) % requests.len();
        black_box(e.evaluate(&requests[k]).unwrap().to_json());
    });
    row(
        "report JSON, 60-item definition: per second per core",
        format!("{:.0}", 1.0 / t_report),
        "≥ 100,000",
    );

    // 3. A Rhai-ruled result (work-attitudes: a rule over two scores).
    let wa = aspekt::library::load("work-attitudes").unwrap();
    let mut rng = Lcg(3);
    let wa_requests: Vec<Request> = (0..256)
        .map(|_| {
            let mut a = Answers::new();
            for id in ["q1", "q8", "q15", "q2", "q9", "q16"] {
                a.insert(id, (rng.next() % 5 + 1) as i64);
            }
            Request::new(a).with_consent("2026-11")
        })
        .collect();
    let mut k = 0;
    let t_rule = time(7, 20_000, || {
        k = (k + 1) % wa_requests.len();
        black_box(wa.evaluate(&wa_requests[k]).unwrap());
    });
    row(
        "Rhai-ruled result (work-attitudes, 21 items): per second",
        format!("{:.0}", 1.0 / t_rule),
        "≥ 300,000",
    );
    let who5 = aspekt::library::load("who5").unwrap();
    let who5_req = Request::new({
        let mut a = Answers::new();
        for id in ["q1", "q2", "q3", "q4", "q5"] {
            a.insert(id, 3);
        }
        a
    })
    .with_consent("2026-11");
    let t_who5 = time(7, 50_000, || {
        black_box(who5.evaluate(&who5_req).unwrap());
    });
    row(
        "declarative WHO-5 for comparison: per second",
        format!("{:.0}", 1.0 / t_who5),
        "—",
    );

    // 4. The WebAssembly module under wasmtime vs native, per evaluation.
    match aspekt_wasm_runner::Host::load() {
        Ok(host) => {
            let mut inst = host
                .instantiate(aspekt_wasm_runner::Bounds::default())
                .unwrap();
            let (h, _) = inst
                .compile(&serde_json::json!({"definition": include_str!("../../engine/benches/fixtures/bench60.toml"), "name": "bench60.toml"}).to_string())
                .unwrap()
                .unwrap();
            let json: Vec<String> = (0..64)
                .map(|k| {
                    let answers: serde_json::Map<String, serde_json::Value> = columns_owned
                        .iter()
                        .enumerate()
                        .map(|(i, id)| {
                            let c = codes[k * columns.len() + i];
                            (
                                id.clone(),
                                if c == MISSING {
                                    serde_json::Value::Null
                                } else {
                                    c.into()
                                },
                            )
                        })
                        .collect();
                    serde_json::json!({ "answers": answers }).to_string()
                })
                .collect();
            let mut k = 0;
            let t_wasm = time(5, 5_000, || {
                k = (k + 1) % json.len();
                black_box(inst.evaluate(h, &json[k]).unwrap());
            });
            let t_native = time(5, 5_000, || {
                k = (k + 1) % json.len();
                black_box(e.evaluate_json(&json[k]).unwrap());
            });
            row(
                "WASM (wasmtime) vs native, JSON in → report out",
                format!(
                    "{:.2}× ({:.1} µs vs {:.1} µs)",
                    t_wasm / t_native,
                    t_wasm * 1e6,
                    t_native * 1e6
                ),
                "≤ 2×",
            );
        }
        Err(err) => row(
            "WASM (wasmtime) vs native",
            format!("skipped: {err}"),
            "≤ 2×",
        ),
    }

    // 5. Compile plus disclosure check, per library instrument.
    let mut worst = (0.0f64, "");
    for entry in aspekt::library::entries() {
        let t = time(3, 1, || {
            black_box(entry.compile().unwrap());
        });
        if t > worst.0 {
            worst = (t, entry.id);
        }
        row(
            &format!("compile + disclosure check: {}", entry.id),
            format!("{:.1} ms", t * 1e3),
            "≤ 1 s",
        );
    }
    let _ = worst;

    // 6. Peak memory of the batch path against its input matrix, measured
    // in a child process (peak resident size above the baseline).
    let exe = std::env::current_exe().unwrap();
    match std::process::Command::new(exe).arg("memory").output() {
        Ok(o) if o.status.success() => {
            let text = String::from_utf8_lossy(&o.stdout);
            let mut it = text
                .split_whitespace()
                .filter_map(|x| x.parse::<f64>().ok());
            let (extra, input) = (it.next().unwrap_or(0.0), it.next().unwrap_or(1.0));
            row(
                "batch peak memory above input / input (1,000,000 × 60)",
                format!(
                    "{:.2}× ({:.0} MB / {:.0} MB)",
                    extra / input,
                    extra / 1e6,
                    input / 1e6
                ),
                "≤ 2×",
            );
        }
        _ => row(
            "batch peak memory",
            "not measurable here".to_string(),
            "≤ 2×",
        ),
    }
}
