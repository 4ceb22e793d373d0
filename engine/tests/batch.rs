//! The batch path must agree with `evaluate`, row for row, serial or parallel,
//! and report bad rows by number without failing the batch.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use aspekt::batch::{BatchOptions, MISSING, status};
use aspekt::{Answers, ErrorCode, Request, Status};

/// A deterministic pseudo-random source (no dependency, no clock).
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

fn codes_of(e: &aspekt::Evaluator) -> Vec<(String, Vec<i64>)> {
    let d = e.definition();
    d.items
        .iter()
        .map(|it| {
            let scale = d
                .scales
                .iter()
                .find(|s| s.id.value() == it.scale.value())
                .unwrap();
            let codes = scale.options.iter().map(|o| *o.code.value()).collect();
            (it.id.value().clone(), codes)
        })
        .collect()
}

#[test]
fn batch_agrees_with_evaluate_for_every_library_instrument() {
    for entry in aspekt::library::entries() {
        let e = entry.compile().unwrap();
        let items = codes_of(&e);
        let columns: Vec<&str> = items.iter().map(|(id, _)| id.as_str()).collect();
        let mut rng = Lcg(42);
        let rows = 6000; // enough for the parallel path (≥ 4096 rows)
        let mut matrix = Vec::with_capacity(rows * columns.len());
        for _ in 0..rows {
            for (_, codes) in &items {
                let pick = rng.next() as usize % (codes.len() + 2);
                matrix.push(codes.get(pick).map_or(MISSING, |c| *c as i32));
            }
        }
        let notice = e.privacy_notice().map(str::to_string);
        for (audience, threads) in [("participant", 1), ("counsellor", 2)] {
            let options = BatchOptions {
                consent: notice.clone(),
                audience: audience.into(),
                threads,
            };
            let batch = e.evaluate_batch(&columns, &matrix, None, &options).unwrap();
            assert_eq!(batch.rows, rows);
            assert!(batch.errors.is_empty());
            let n = batch.results.len();
            for row in (0..rows).step_by(7) {
                let mut answers = Answers::new();
                for (col, (id, _)) in items.iter().enumerate() {
                    let code = matrix[row * columns.len() + col];
                    if code != MISSING {
                        answers.insert(id.clone(), i64::from(code));
                    }
                }
                let mut request = Request::new(answers).with_audience(audience);
                if let Some(n) = &notice {
                    request = request.with_consent(n.clone());
                }
                let report = e.evaluate(&request).unwrap();
                assert_eq!(report.results.len(), n);
                for (k, r) in report.results.iter().enumerate() {
                    assert_eq!(batch.results[k], r.id);
                    let want = match r.status {
                        Status::Ok => status::OK,
                        Status::Declined => status::DECLINED,
                        Status::Insufficient => status::INSUFFICIENT,
                    };
                    assert_eq!(batch.status[row * n + k], want, "{} row {row}", entry.id);
                    let band = r.band.as_ref().map_or(-1, |b| b.index as i16);
                    assert_eq!(batch.band[row * n + k], band, "{} row {row}", entry.id);
                }
            }
        }
    }
}

#[test]
fn bad_rows_are_reported_by_number_and_the_batch_goes_on() {
    let e = aspekt::library::load("who5").unwrap();
    let columns = ["q1", "q2", "q3", "q4", "q5"];
    // 2s: raw 10 × 4 = 40, `reduced`; 5s: 100, `good`.
    let matrix = [2, 2, 2, 2, 2, /* bad: */ 3, 9, 3, 3, 3, 5, 5, 5, 5, 5];
    let options = BatchOptions {
        consent: Some("2026-11".into()),
        ..BatchOptions::default()
    };
    let batch = e.evaluate_batch(&columns, &matrix, None, &options).unwrap();
    assert_eq!(batch.rows, 3);
    assert_eq!(batch.errors.len(), 1);
    assert_eq!(batch.errors[0].row, 1);
    assert_eq!(batch.errors[0].error.code, ErrorCode::InvalidCode);
    assert!(
        !batch.errors[0].error.message.contains('9'),
        "never echo the code"
    );
    assert_eq!(batch.status, vec![status::OK, status::ERROR, status::OK]);
    assert_eq!(batch.band, vec![1, -1, 2]);
}

#[test]
fn declined_topics_and_call_errors() {
    let e = aspekt::library::load("who5").unwrap();
    let columns = ["q1", "q2", "q3", "q4", "q5"];
    let options = BatchOptions {
        consent: Some("2026-11".into()),
        ..BatchOptions::default()
    };
    let matrix = [MISSING; 5];
    let batch = e
        .evaluate_batch(&columns, &matrix, Some((&["wellbeing"], &[true])), &options)
        .unwrap();
    assert_eq!(batch.status, vec![status::DECLINED]);
    // Without consent nothing is computed.
    let err = e
        .evaluate_batch(&columns, &matrix, None, &BatchOptions::default())
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::ConsentRequired);
    let err = e
        .evaluate_batch(&["q1", "zz"], &[1, 1], None, &options)
        .unwrap_err();
    assert_eq!(
        (err.code, err.path.as_deref()),
        (ErrorCode::UnknownItem, Some("columns[1]"))
    );
    let err = e
        .evaluate_batch(&columns, &[1, 2, 3], None, &options)
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidRequest);
}
