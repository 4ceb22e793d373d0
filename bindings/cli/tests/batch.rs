//! `aspekt batch`: files in, statuses and bands out; bad rows reported by
//! number, never dropped silently, never a half-written output.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("aspekt-batch-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn batch(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aspekt"))
        .arg("batch")
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .output()
        .unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

const CSV: &str =
    "id,q1,q2,q3,q4,q5\nA,5,5,5,5,5\nB,1,1,1,1,1\nC,3,,3,3,3\nD,3,9,3,3,3\nE,x,1,1,1,1\n";

#[test]
fn csv_rows_are_scored_and_bad_rows_reported_by_number() {
    let d = dir("csv");
    let input = d.join("in.csv");
    std::fs::write(&input, CSV).unwrap();
    let out = d.join("out.csv");
    let o = batch(&[
        "who5",
        "--input",
        s(&input),
        "--output",
        s(&out),
        "--consent",
        "2026-11",
        "--on-error",
        "skip",
    ]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "bad rows make the run fail, even when skipped"
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("row 4") && stderr.contains("invalid_code"),
        "{stderr}"
    );
    assert!(stderr.contains("row 5"), "{stderr}");
    // Row 4 was answered 9: the report names the item, never the code.
    for line in stderr
        .lines()
        .filter(|l| l.starts_with("row ") || l.trim_start().starts_with("help"))
    {
        assert!(!line.contains('9'), "a submitted code is echoed: {line}");
    }
    let csv = std::fs::read_to_string(&out).unwrap();
    assert_eq!(
        csv,
        "id,wellbeing.status,wellbeing.band,wellbeing.index\n\
         A,ok,good,2\nB,ok,low,0\nC,insufficient,,\nD,error,,\nE,error,,\n"
    );
}

#[test]
fn failing_rows_leave_no_output_at_all() {
    let d = dir("fail");
    let input = d.join("in.csv");
    std::fs::write(&input, CSV).unwrap();
    let out = d.join("out.csv");
    let o = batch(&[
        "who5",
        "--input",
        s(&input),
        "--output",
        s(&out),
        "--consent",
        "2026-11",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("nothing was written"));
    assert!(
        std::fs::read_dir(&d)
            .unwrap()
            .all(|e| e.unwrap().file_name() == "in.csv"),
        "no partial file left"
    );
}

#[test]
fn jsonl_with_declined_topics_and_parquet_round_trip() {
    let d = dir("jsonl");
    let input = d.join("in.jsonl");
    std::fs::write(
        &input,
        "{\"id\": \"F\", \"answers\": {}, \"declined\": [\"wellbeing\"]}\n\
         {\"id\": \"G\", \"answers\": {\"q1\": 2, \"q2\": 2, \"q3\": 2, \"q4\": 2, \"q5\": 2}}\n\n",
    )
    .unwrap();
    let out = d.join("out.jsonl");
    let o = batch(&[
        "who5",
        "--input",
        s(&input),
        "--output",
        s(&out),
        "--consent",
        "2026-11",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["results"]["wellbeing"]["status"], "declined");
    assert_eq!(lines[1]["results"]["wellbeing"]["band"], "reduced");
    assert_eq!(lines[1]["id"], "G");

    // Parquet out, then Parquet in: the same results.
    let pq = d.join("out.parquet");
    let csv_in = d.join("in.csv");
    std::fs::write(&csv_in, "q1,q2,q3,q4,q5\n5,5,5,5,5\n0,0,0,0,0\n").unwrap();
    assert!(
        batch(&[
            "who5",
            "--input",
            s(&csv_in),
            "--output",
            s(&pq),
            "--consent",
            "2026-11"
        ])
        .status
        .success()
    );
    assert!(std::fs::metadata(&pq).unwrap().len() > 0);
    let back = d.join("back.csv");
    let o = batch(&[
        "who5",
        "--input",
        s(&pq),
        "--output",
        s(&back),
        "--consent",
        "2026-11",
    ]);
    // The scored Parquet has no item columns: it is rejected with a clear error.
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not an item"));
}

#[test]
fn consent_and_unknown_columns_are_usage_errors() {
    let d = dir("usage");
    let input = d.join("in.csv");
    std::fs::write(&input, CSV).unwrap();
    let o = batch(&[
        "who5",
        "--input",
        s(&input),
        "--output",
        s(&d.join("o.csv")),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("consent_required"));
    std::fs::write(&input, "id,q1,qq\n1,2,3\n").unwrap();
    let o = batch(&[
        "who5",
        "--input",
        s(&input),
        "--output",
        s(&d.join("o.csv")),
        "--consent",
        "2026-11",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("`qq`"));
}

/// Row problems quote what a row sent (escaped, shortened) and do not give
/// the column of a JSON syntax error, which moves with the answers' digits.
#[test]
fn jsonl_row_problems_quote_untrusted_text() {
    let d = dir("quote");
    let input = d.join("in.jsonl");
    let long = "z".repeat(10_000);
    std::fs::write(
        &input,
        format!(
            "{{\"id\":\"a\",\"answers\":{{\"q\\n1\\u202e\":3}}}}\n\
             {{\"id\":\"b\",\"answers\":{{\"q1\":3,\"q2\":x}}}}\n\
             {{\"id\":\"c\",\"answers\":{{\"q1\":3}},\"declined\":[\"{long}\"]}}\n"
        ),
    )
    .unwrap();
    let out = d.join("out.jsonl");
    let o = batch(&[
        "who5",
        "--input",
        s(&input),
        "--output",
        s(&out),
        "--consent",
        "2026-11",
        "--on-error",
        "skip",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains(r"item `q\n1\u{202e}` is not an item"),
        "{stderr}"
    );
    assert!(!stderr.contains('\u{202e}'), "{stderr}");
    assert!(
        stderr.contains("not valid JSON (expected value)"),
        "{stderr}"
    );
    assert!(!stderr.contains("column"), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "declines topic `{}…`",
            "z".repeat(aspekt::QUOTE_LIMIT)
        )),
        "{stderr}"
    );
    assert!(stderr.len() < 2048, "{stderr}");
}
