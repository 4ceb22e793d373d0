//! Evidence for the disclosure guarantee (DESIGN.md): definitions whose
//! released outcomes would pin an item to fewer than `k` codes must not
//! compile, and the diagnostic must say which result, outcome, item and
//! code(s). Plus the knobs: questionnaire and topic `k`, waivers, interview
//! mode, and the analysis of the shipped library.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code: a failed expectation should abort the test loudly"
)]

use aspekt::{Code, Diagnostic, Evaluator, Method, Severity, Source};

// ------------------------------------------------------------------ builder

/// The questionnaire header; `extra` lines go into `[questionnaire]`.
fn head(extra: &str) -> String {
    format!(
        r#"[questionnaire]
id = "mini"
version = "1.0.0"
locales = ["en"]
title = {{ en = "Mini" }}
description = {{ en = "Test" }}
audiences = ["agency"]
{extra}
[questionnaire.source]
citation = "aspekt test fixture"
licence = "CC0-1.0"
"#
    )
}

/// A scale with these codes.
fn scale(id: &str, codes: &[i64]) -> String {
    let options: Vec<String> = codes
        .iter()
        .map(|c| format!("  {{ code = {c}, label = {{ en = \"{c}\" }} }},"))
        .collect();
    format!(
        "\n[[scale]]\nid = \"{id}\"\noptions = [\n{}\n]\n",
        options.join("\n")
    )
}

fn topic(id: &str, extra: &str) -> String {
    format!("\n[[topic]]\nid = \"{id}\"\ntitle = {{ en = \"{id}\" }}\n{extra}\n")
}

fn item(id: &str, scale: &str, topic: Option<&str>) -> String {
    let topic = topic.map_or(String::new(), |t| format!("topic = \"{t}\"\n"));
    format!("\n[[item]]\nid = \"{id}\"\nscale = \"{scale}\"\n{topic}text = {{ en = \"{id}\" }}\n")
}

fn quoted(ids: &[&str]) -> String {
    ids.iter()
        .map(|i| format!("\"{i}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A score over items; `extra` lines (missing rule, rule, …) go into it.
fn score(id: &str, items: &[&str], extra: &str) -> String {
    format!(
        "\n[[score]]\nid = \"{id}\"\nitems = [{}]\n{extra}\n",
        quoted(items)
    )
}

fn sum(id: &str, items: &[&str]) -> String {
    score(id, items, "aggregate = \"sum\"")
}

/// A banded result: bands as (id, min, max).
fn banded(
    id: &str,
    score: &str,
    audiences: &[&str],
    bands: &[(&str, f64, f64)],
    extra: &str,
) -> String {
    let mut s = format!(
        "\n[[result]]\nid = \"{id}\"\ntitle = {{ en = \"{id}\" }}\nscore = \"{score}\"\naudiences = [{}]\n{extra}\n",
        quoted(audiences)
    );
    for (b, min, max) in bands {
        s.push_str(&format!(
            "[[result.band]]\nid = \"{b}\"\nmin = {min:?}\nmax = {max:?}\nlabel = {{ en = \"{b}\" }}\nexplanation = {{ en = \"{b}\" }}\n"
        ));
    }
    s
}

/// A rule result reading `scores`, returning one of `outcomes`.
fn ruled(id: &str, scores: &[&str], rule: &str, outcomes: &[&str], extra: &str) -> String {
    let mut s = format!(
        "\n[[result]]\nid = \"{id}\"\ntitle = {{ en = \"{id}\" }}\nscores = [{}]\naudiences = [\"participant\", \"counsellor\"]\nrule = '''\n{rule}\n'''\n{extra}\n",
        quoted(scores)
    );
    for o in outcomes {
        s.push_str(&format!(
            "[[result.outcome]]\nid = \"{o}\"\nlabel = {{ en = \"{o}\" }}\nexplanation = {{ en = \"{o}\" }}\n"
        ));
    }
    s
}

fn cat(parts: &[String]) -> String {
    parts.concat()
}

const PC: &[&str] = &["participant", "counsellor"];

fn compile(text: &str) -> Result<Evaluator, Vec<Diagnostic>> {
    aspekt::compile(&Source::new("mini.toml", text)).map_err(|e| e.diagnostics().to_vec())
}

fn compiles(text: &str) -> Evaluator {
    compile(text)
        .unwrap_or_else(|d| panic!("does not compile:\n{}\n{text}", aspekt::render_plain(&d)))
}

fn errors(text: &str) -> Vec<Diagnostic> {
    match compile(text) {
        Ok(_) => panic!("compiles, but must not:\n{text}"),
        Err(d) => d
            .into_iter()
            .filter(|d| d.severity == Severity::Error)
            .collect(),
    }
}

/// The `disclosure` errors of a definition that must not compile; every
/// error is a disclosure error.
fn leaks(text: &str) -> Vec<String> {
    let errs = errors(text);
    for d in &errs {
        assert_eq!(
            d.code,
            Code::Disclosure,
            "expected only disclosure errors:\n{}",
            aspekt::render_plain(&errs)
        );
        assert!(
            d.location.is_some(),
            "a disclosure error points into the file: {d:?}"
        );
        assert!(d.help.is_some(), "{d:?}");
    }
    assert!(!errs.is_empty());
    errs.into_iter().map(|d| d.message).collect()
}

/// Asserts one message names this result, outcome, item and exactly these codes.
fn assert_leak(messages: &[String], result: &str, outcome: &str, item: &str, codes: &[i64]) {
    let codes = codes
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(" or ");
    let wanted = [
        format!("outcome `{outcome}` of result `{result}`"),
        format!("item `{item}` was answered {codes} ("),
    ];
    assert!(
        messages
            .iter()
            .any(|m| wanted.iter().all(|w| m.contains(w.as_str()))),
        "no diagnostic says {wanted:?}; got:\n{}",
        messages.join("\n")
    );
}

fn finding<'a>(e: &'a Evaluator, audience: &str, result: &str) -> &'a aspekt::ResultFinding {
    e.disclosure()
        .results
        .iter()
        .find(|f| f.audience == audience && f.result == result)
        .unwrap_or_else(|| panic!("no finding for {audience}/{result}: {:?}", e.disclosure()))
}

fn min_ambiguity(e: &Evaluator, audience: &str, result: &str, outcome: &str) -> Option<u32> {
    finding(e, audience, result)
        .outcomes
        .iter()
        .find(|o| o.outcome == outcome)
        .unwrap_or_else(|| panic!("no outcome {outcome}"))
        .min_ambiguity
}

// ------------------------------------------------------------------ (a)

/// (a) One band per answer of a single-item score: every band names the code.
#[test]
fn one_band_per_answer_of_a_single_item_score_is_rejected() {
    let text = cat(&[
        head(""),
        scale("four", &[1, 2, 3, 4]),
        item("q1", "four", None),
        item("q2", "four", None),
        sum("s1", &["q1"]),
        sum("s2", &["q2"]),
        banded(
            "mood",
            "s1",
            PC,
            &[
                ("one", 1.0, 1.0),
                ("two", 2.0, 2.0),
                ("three", 3.0, 3.0),
                ("four", 4.0, 4.0),
            ],
            "",
        ),
        // A harmless second result keeps q2 in use.
        banded(
            "other",
            "s2",
            PC,
            &[("low", 1.0, 2.0), ("high", 3.0, 4.0)],
            "",
        ),
    ]);
    let m = leaks(&text);
    for (band, code) in [("one", 1), ("two", 2), ("three", 3), ("four", 4)] {
        assert_leak(&m, "mood", band, "q1", &[code]);
    }
    assert!(m.iter().all(|m| m.contains("`mood`")), "{m:?}");
    // Per audience that sees it.
    assert!(m.iter().any(|m| m.contains("to `participant`")));
    assert!(m.iter().any(|m| m.contains("to `counsellor`")));
}

// ------------------------------------------------------------------ (b)

/// (b) A top band reachable only by maximal answers reveals every item.
#[test]
fn a_top_band_reachable_only_by_maximal_answers_is_rejected() {
    let text = cat(&[
        head(""),
        scale("four", &[1, 2, 3, 4]),
        item("q1", "four", None),
        item("q2", "four", None),
        item("q3", "four", None),
        sum("total", &["q1", "q2", "q3"]),
        banded(
            "level",
            "total",
            PC,
            &[("low", 3.0, 8.0), ("mid", 9.0, 11.0), ("top", 12.0, 12.0)],
            "",
        ),
    ]);
    let m = leaks(&text);
    for q in ["q1", "q2", "q3"] {
        assert_leak(&m, "level", "top", q, &[4]);
    }
    // Only `top` leaks: `mid` keeps every item among {1..4}∖… ≥ 2 codes.
    assert!(m.iter().all(|m| m.contains("outcome `top`")), "{m:?}");

    // Merging `top` into `mid` fixes it; the finding shows the ambiguity.
    let fixed = text.replace("max = 11.0", "max = 12.0").replace(
        "[[result.band]]\nid = \"top\"\nmin = 12.0\nmax = 12.0\nlabel = { en = \"top\" }\nexplanation = { en = \"top\" }\n",
        "",
    );
    let e = compiles(&fixed);
    // mid = 9..12: even q1 = 1 is possible (with q2 = q3 = 4).
    assert_eq!(min_ambiguity(&e, "participant", "level", "mid"), Some(4));
    // low = 3..8: q1 = 4 with q2 = q3 = 1 still lands in it.
    assert_eq!(min_ambiguity(&e, "participant", "level", "low"), Some(4));
    assert_eq!(finding(&e, "participant", "level").method, Method::Exact);
}

// ------------------------------------------------------------------ (c)

/// The sub/total pair of (c): scale 0–2, `sub` = q1 + q2 banded 0–2 | 3–4,
/// `total` = q1 + q2 + q3 banded 0–3 | 4–6. Each alone keeps every item among
/// ≥ 2 codes, but together `sub` = low with `total` = high forces q3 = 2, and
/// `sub` = high with `total` = low forces q3 = 0.
fn sub_and_total(
    sub_audiences: &[&str],
    total_audiences: &[&str],
    sub: bool,
    total: bool,
) -> String {
    let mut text = cat(&[
        head(""),
        scale("three", &[0, 1, 2]),
        item("q1", "three", None),
        item("q2", "three", None),
        item("q3", "three", None),
        sum("sub", &["q1", "q2"]),
        sum("total", &["q1", "q2", "q3"]),
    ]);
    if sub {
        text.push_str(&banded(
            "sub",
            "sub",
            sub_audiences,
            &[("low", 0.0, 2.0), ("high", 3.0, 4.0)],
            "",
        ));
    }
    if total {
        text.push_str(&banded(
            "total",
            "total",
            total_audiences,
            &[("low", 0.0, 3.0), ("high", 4.0, 6.0)],
            "",
        ));
    }
    text
}

#[test]
fn a_subscale_band_and_a_total_band_that_together_pin_an_item_are_rejected() {
    // Each alone compiles (an unused score is only a warning).
    let e = compiles(&sub_and_total(PC, PC, true, false));
    for o in &finding(&e, "participant", "sub").outcomes {
        assert!(o.min_ambiguity.is_none_or(|m| m >= 2), "{o:?}");
    }
    let e = compiles(&sub_and_total(PC, PC, false, true));
    for o in &finding(&e, "participant", "total").outcomes {
        assert!(o.min_ambiguity.is_none_or(|m| m >= 2), "{o:?}");
    }

    // Together they pin q3, and the diagnostic says in which context. q3
    // contributes to `total` only, so the leak is reported there.
    let m = leaks(&sub_and_total(PC, PC, true, true));
    assert_leak(&m, "total", "high", "q3", &[2]);
    assert_leak(&m, "total", "low", "q3", &[0]);
    assert!(
        m.iter()
            .any(|m| m.contains("outcome `high` of result `total` together with `sub` = `low`")),
        "{m:?}"
    );
    assert!(
        m.iter()
            .any(|m| m.contains("outcome `low` of result `total` together with `sub` = `high`")),
        "{m:?}"
    );
    assert!(
        m.iter().all(|m| m.contains("`q3`")),
        "only q3 is pinned: {m:?}"
    );
    assert_eq!(m.len(), 4, "2 outcome vectors × 2 audiences: {m:?}");
}

/// Released to different third parties (counsellor sees `sub`, agency sees
/// `total`), no third party sees both. The participant, who must receive
/// every result (`hidden_from_participant`), does, and is analysed as an
/// observer like anyone else: so only the participant's view is rejected.
#[test]
fn a_subscale_and_a_total_for_different_audiences_leak_only_to_the_participant() {
    let text = sub_and_total(
        &["participant", "counsellor"],
        &["participant", "agency"],
        true,
        true,
    );
    let m = leaks(&text);
    assert!(m.iter().all(|m| m.contains("to `participant`")), "{m:?}");
    assert_leak(&m, "total", "high", "q3", &[2]);
    assert_leak(&m, "total", "low", "q3", &[0]);
}

/// Releasing a subscale and a total that pin an item together to different
/// *other* audiences does not make them safe: the participant sees every
/// result (promise 2), and the participant's joint view is analysed too (a
/// report can be seen over a shoulder or passed on). The help says so rather
/// than suggesting a fix that cannot work.
#[test]
fn the_participants_joint_view_is_analysed_and_the_help_says_so() {
    let text = sub_and_total(
        &["participant", "counsellor"],
        &["participant", "agency"],
        true,
        true,
    );
    let errs = errors(&text);
    assert!(
        errs.iter()
            .any(|d| d.code == Code::Disclosure && d.message.contains("`participant`"))
    );
    for d in errs
        .iter()
        .filter(|d| d.code == Code::Disclosure && d.message.contains("together with"))
    {
        let help = d.help.as_deref().unwrap_or_default();
        assert!(!help.contains("different audiences"), "{help}");
        assert!(help.contains("the participant sees every result"), "{help}");
    }
}

// ------------------------------------------------------------------ (d)

/// (d) A result rule over a single-item score that returns the item's code.
#[test]
fn a_rule_returning_an_items_code_is_rejected() {
    let rule = r#"if scores.s == () { insufficient() } else if scores.s == 1.0 { "one" } else if scores.s == 2.0 { "two" } else { "three" }"#;
    let text = cat(&[
        head(""),
        scale("three", &[1, 2, 3]),
        item("q1", "three", None),
        sum("s", &["q1"]),
        ruled("echo", &["s"], rule, &["one", "two", "three"], ""),
    ]);
    let m = leaks(&text);
    assert_leak(&m, "echo", "one", "q1", &[1]);
    assert_leak(&m, "echo", "two", "q1", &[2]);
    assert_leak(&m, "echo", "three", "q1", &[3]);
}

/// (d′) A score rule that passes an item's code through, banded per code.
#[test]
fn a_score_rule_passing_an_items_code_through_is_rejected() {
    let text = cat(&[
        head(""),
        scale("three", &[1, 2, 3]),
        item("q1", "three", None),
        item("q2", "three", None),
        score(
            "s",
            &["q1", "q2"],
            "rule = '''\nif items.q1 == () || items.q2 == () { insufficient() } else { items.q1 }\n'''",
        ),
        banded(
            "echo",
            "s",
            PC,
            &[("one", 1.0, 1.0), ("two", 2.0, 2.0), ("three", 3.0, 3.0)],
            "",
        ),
    ]);
    let m = leaks(&text);
    assert_leak(&m, "echo", "one", "q1", &[1]);
    assert_leak(&m, "echo", "three", "q1", &[3]);
}

/// A rule that coarsens enough compiles, by enumeration.
#[test]
fn a_coarse_rule_compiles_by_enumeration() {
    let rule =
        r#"if scores.s == () { insufficient() } else if scores.s <= 3.0 { "low" } else { "high" }"#;
    let text = cat(&[
        head(""),
        scale("three", &[1, 2, 3]),
        item("q1", "three", None),
        item("q2", "three", None),
        sum("s", &["q1", "q2"]),
        ruled("coarse", &["s"], rule, &["low", "high"], ""),
    ]);
    let e = compiles(&text);
    let f = finding(&e, "participant", "coarse");
    assert_eq!(f.method, Method::Enumerated);
    // low: sum 2..3 → q1 ∈ {1, 2}; high: sum 4..6 → q1 ∈ {1, 2, 3}.
    assert_eq!(min_ambiguity(&e, "participant", "coarse", "low"), Some(2));
    assert_eq!(min_ambiguity(&e, "participant", "coarse", "high"), Some(3));
}

// ------------------------------------------------------------------ k

/// Two items coded 1–4, sum banded 2–6 | 7–8: `high` keeps each item among
/// {3, 4}, exactly 2 codes.
fn two_codes_left(questionnaire: &str, topic_k: &str) -> String {
    cat(&[
        head(questionnaire),
        scale("four", &[1, 2, 3, 4]),
        topic("health", topic_k),
        topic("work", ""),
        item("q1", "four", Some("health")),
        item("q2", "four", Some("health")),
        item("w1", "four", Some("work")),
        item("w2", "four", Some("work")),
        sum("h", &["q1", "q2"]),
        sum("w", &["w1", "w2"]),
        banded(
            "health",
            "h",
            PC,
            &[("low", 2.0, 6.0), ("high", 7.0, 8.0)],
            "",
        ),
        banded(
            "work",
            "w",
            PC,
            &[("low", 2.0, 6.0), ("high", 7.0, 8.0)],
            "",
        ),
    ])
}

#[test]
fn k_2_passes_with_two_codes_left() {
    let e = compiles(&two_codes_left("", ""));
    let f = finding(&e, "participant", "health");
    assert_eq!(f.k, 2);
    assert_eq!(min_ambiguity(&e, "participant", "health", "high"), Some(2));
    assert_eq!(min_ambiguity(&e, "counsellor", "work", "high"), Some(2));
}

#[test]
fn topic_k_3_makes_the_topics_results_stricter() {
    let m = leaks(&two_codes_left("", "k = 3"));
    assert_leak(&m, "health", "high", "q1", &[3, 4]);
    assert_leak(&m, "health", "high", "q2", &[3, 4]);
    assert!(
        m.iter()
            .all(|m| m.contains("needs at least 3 possible codes")),
        "{m:?}"
    );
    // The other topic keeps the default.
    assert!(m.iter().all(|m| !m.contains("`work`")), "{m:?}");
}

#[test]
fn questionnaire_k_3_applies_to_every_result() {
    let m = leaks(&two_codes_left("k = 3", ""));
    assert_leak(&m, "health", "high", "q1", &[3, 4]);
    assert_leak(&m, "work", "high", "w1", &[3, 4]);
    // A topic cannot lower the questionnaire's k.
    let m = leaks(&two_codes_left("k = 3", "k = 2"));
    assert_leak(&m, "health", "high", "q2", &[3, 4]);
    // k = 1 lets a fully revealing band through.
    let text = cat(&[
        head("k = 1"),
        scale("four", &[1, 2, 3, 4]),
        item("q1", "four", None),
        sum("s", &["q1"]),
        banded("echo", "s", PC, &[("a", 1.0, 1.0), ("b", 2.0, 4.0)], ""),
    ]);
    let e = compiles(&text);
    assert_eq!(finding(&e, "participant", "echo").k, 1);
    assert_eq!(min_ambiguity(&e, "participant", "echo", "a"), Some(1));
}

// ------------------------------------------------------------------ waiver

/// A rule over two 30-item scores, too large to analyse.
fn too_large(waive_rule: bool, waive_band: bool) -> String {
    let ids: Vec<String> = (1..=60).map(|i| format!("q{i}")).collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let mut text = cat(&[head(""), scale("five", &[1, 2, 3, 4, 5])]);
    for id in &ids {
        text.push_str(&item(id, "five", None));
    }
    text.push_str(&sum("a", &ids[..30]));
    text.push_str(&sum("b", &ids[30..]));
    let waiver = |on: bool| {
        if on {
            "waiver = \"compares two long scales; the comparison is coarse by construction\""
        } else {
            ""
        }
    };
    text.push_str(&banded(
        "a-level",
        "a",
        PC,
        &[("lower", 30.0, 90.0), ("higher", 91.0, 150.0)],
        waiver(waive_band),
    ));
    text.push_str(&ruled(
        "stronger",
        &["a", "b"],
        r#"if scores.a == () || scores.b == () { insufficient() } else if scores.a >= scores.b { "a" } else { "b" }"#,
        &["a", "b"],
        waiver(waive_rule),
    ));
    text
}

#[test]
fn an_unprovable_result_needs_a_waiver() {
    let errs = errors(&too_large(false, false));
    assert!(
        errs.iter().any(|d| d.code == Code::DisclosureUnproven),
        "{}",
        aspekt::render_plain(&errs)
    );
    assert!(errs.iter().all(|d| d.code == Code::DisclosureUnproven));
    // Analysed jointly: waiving one of the two is not enough.
    let errs = errors(&too_large(true, false));
    assert!(
        errs.iter()
            .all(|d| d.code == Code::DisclosureUnproven && d.message.contains("`a-level`")),
        "{}",
        aspekt::render_plain(&errs)
    );
}

#[test]
fn a_waiver_releases_an_unprovable_result_and_is_shown() {
    let e = compiles(&too_large(true, true));
    for audience in ["participant", "counsellor"] {
        for result in ["stronger", "a-level"] {
            let f = finding(&e, audience, result);
            assert_eq!(f.method, Method::Waived);
            assert!(
                f.waiver
                    .as_deref()
                    .is_some_and(|w| w.contains("coarse by construction"))
            );
        }
    }
}

#[test]
fn a_waiver_does_not_excuse_a_proven_leak() {
    let text = cat(&[
        head(""),
        scale("four", &[1, 2, 3, 4]),
        item("q1", "four", None),
        sum("s", &["q1"]),
        banded(
            "echo",
            "s",
            PC,
            &[("a", 1.0, 1.0), ("b", 2.0, 4.0)],
            "waiver = \"please\"",
        ),
    ]);
    let m = leaks(&text);
    assert_leak(&m, "echo", "a", "q1", &[1]);
}

// ------------------------------------------------------------------ interview

#[test]
fn interview_mode_skips_the_check() {
    let text = cat(&[
        head("mode = \"interview\""),
        scale("four", &[1, 2, 3, 4]),
        item("q1", "four", None),
        sum("s", &["q1"]),
        banded(
            "echo",
            "s",
            PC,
            &[
                ("one", 1.0, 1.0),
                ("two", 2.0, 2.0),
                ("three", 3.0, 3.0),
                ("four", 4.0, 4.0),
            ],
            "",
        ),
    ]);
    let e = compiles(&text);
    for audience in ["participant", "counsellor"] {
        let f = finding(&e, audience, "echo");
        assert_eq!(f.method, Method::Interview);
    }
    // Without the mode, the same definition is rejected.
    leaks(&text.replace("mode = \"interview\"\n", ""));
}

// ------------------------------------------------------------------ library

#[test]
fn every_library_outcome_keeps_at_least_k_codes() {
    let mut seen = 0;
    for entry in aspekt::library::entries() {
        let diagnostics = aspekt::check_with(&entry.source(), &entry.options());
        assert!(
            diagnostics.iter().all(|d| d.severity != Severity::Error),
            "{}: {}",
            entry.id,
            aspekt::render_plain(&diagnostics)
        );
        let e = entry
            .compile()
            .unwrap_or_else(|e| panic!("{}: {e}", entry.id));
        let d = e.disclosure();
        assert!(!d.results.is_empty(), "{}", entry.id);
        if e.mode() == aspekt::model::Mode::Interview {
            // Selections made in the open: the check does not apply, and
            // the analysis says so for every result.
            assert!(
                d.results.iter().all(|f| f.method == Method::Interview),
                "{}: {d:?}",
                entry.id
            );
            continue;
        }
        for f in &d.results {
            assert!(f.k >= 2, "{}: {f:?}", entry.id);
            assert!(
                matches!(
                    f.method,
                    Method::Exact | Method::Enumerated | Method::Derived
                ),
                "{}: library results are proven, not waived or witnessed: {f:?}",
                entry.id
            );
            assert!(f.waiver.is_none(), "{}: {f:?}", entry.id);
            for o in &f.outcomes {
                match o.min_ambiguity {
                    Some(m) => assert!(m >= f.k.max(2), "{}: {f:?}", entry.id),
                    // Only an outcome reached with every item unanswered
                    // reveals no code.
                    None => assert_eq!(o.outcome, "insufficient", "{}: {f:?}", entry.id),
                }
            }
            // Every band is analysed.
            let def = e.definition();
            let r = def
                .results
                .iter()
                .find(|r| r.id.as_str() == f.result)
                .unwrap();
            for b in r.bands.iter() {
                assert!(
                    f.outcomes.iter().any(|o| o.outcome == b.id.as_str()),
                    "{}: band {} missing from {f:?}",
                    entry.id,
                    b.id.as_str()
                );
            }
            seen += 1;
        }
    }
    assert!(seen >= 3, "the library has results");
}

// ------------------------------------------------------------------ engine bugs

/// Three items, 45 answer sets: a single-band result on each of three
/// overlapping scores (one item weighted 2). Nothing is revealed.
fn overlapping_three() -> String {
    let band = [("all", 0.0, 100.0)];
    cat(&[
        head(""),
        scale("yesno", &[0, 1]),
        scale("four", &[0, 1, 2, 3]),
        item("q1", "yesno", None),
        item("q2", "yesno", None),
        item("q3", "four", None).replace("text =", "weight = 2.0\ntext ="),
        sum("a", &["q1", "q3"]),
        sum("b", &["q1", "q2", "q3"]),
        sum("c", &["q1", "q2", "q3"]),
        banded("ra", "a", PC, &band, ""),
        banded("rb", "b", PC, &band, ""),
        banded("rc", "c", PC, &band, ""),
    ])
}

/// Ten items coded 1–5: two five-item subscales and their total, each in two
/// bands — a common instrument layout.
fn subscales_and_total() -> String {
    let ids: Vec<String> = (1..=10).map(|i| format!("q{i}")).collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let mut parts = vec![head(""), scale("five", &[1, 2, 3, 4, 5])];
    parts.extend(ids.iter().map(|id| item(id, "five", None)));
    parts.push(sum("sub1", &ids[..5]));
    parts.push(sum("sub2", &ids[5..]));
    parts.push(sum("total", &ids));
    parts.push(banded(
        "sub1",
        "sub1",
        PC,
        &[("low", 5.0, 15.0), ("high", 16.0, 25.0)],
        "",
    ));
    parts.push(banded(
        "sub2",
        "sub2",
        PC,
        &[("low", 5.0, 15.0), ("high", 16.0, 25.0)],
        "",
    ));
    parts.push(banded(
        "total",
        "total",
        PC,
        &[("low", 10.0, 30.0), ("high", 31.0, 50.0)],
        "",
    ));
    cat(&parts)
}

#[test]
fn overlapping_scores_are_analysed() {
    let e = compiles(&overlapping_three());
    assert_eq!(finding(&e, "participant", "ra").method, Method::Exact);
    let e = compiles(&subscales_and_total());
    for r in ["sub1", "sub2", "total"] {
        let f = finding(&e, "counsellor", r);
        assert_eq!(f.method, Method::Exact);
        assert_eq!(f.jointly_with.len(), 2);
    }
}

/// Four yes/no items (codes 1, 2), a weighted mean (q4 counts three times)
/// on a 5–10 scale, rounded, in two plain bands. Evaluation adds in the
/// listed order, q4 first: q4 = 2 with the others 1 gives 0.8999999999999999
/// / 0.6 × 5 = 7.5 → 8 (`high`), so `low` is reached only with q4 = 1. The
/// analysis adds q4 last: 0.9 / 0.6000000000000001 × 5 = 7.499999999999999 →
/// 7 (`low`), and so believes q4 = 2 can give `low`.
fn order_of_addition() -> String {
    let w = |id: &str, weight: &str| {
        item(id, "yesno", None).replace("text =", &format!("weight = {weight}\ntext ="))
    };
    cat(&[
        head(""),
        scale("yesno", &[1, 2]),
        w("q1", "0.1"),
        w("q2", "0.1"),
        w("q3", "0.1"),
        w("q4", "0.3"),
        score(
            "index",
            &["q4", "q1", "q2", "q3"],
            "aggregate = \"mean\"\nmissing = { min_answered = 1 }\ntransform = { multiply = 5 }\nround = 0",
        ),
        banded(
            "level",
            "index",
            PC,
            &[("low", 5.0, 7.0), ("high", 8.0, 10.0)],
            "",
        ),
    ])
}

/// The premise of the next test, by evaluation: every answer set with
/// outcome `low` that answers q4 has q4 = 1.
#[test]
fn an_outcome_reached_only_by_one_rounding_pins_an_item() {
    let text = order_of_addition();
    // Compiles today (the bug); once it does not, the next test passes.
    let Ok(e) = compile(&text) else { return };
    let mut q4_codes = std::collections::BTreeSet::new();
    let opts = [None, Some(1), Some(2)];
    for a in opts {
        for b in opts {
            for c in opts {
                for d in opts {
                    let mut answers = aspekt::Answers::new();
                    for (id, v) in [("q1", a), ("q2", b), ("q3", c), ("q4", d)] {
                        if let Some(v) = v {
                            answers.insert(id, v);
                        }
                    }
                    let report = e
                        .evaluate(&aspekt::Request::new(answers).with_audience("counsellor"))
                        .unwrap();
                    if let (Some(d), Some(b)) = (d, &report.results[0].band)
                        && b.id == "low"
                    {
                        q4_codes.insert(d);
                    }
                }
            }
        }
    }
    assert_eq!(q4_codes, std::collections::BTreeSet::from([1]));
    // …while the analysis claims two codes for every item.
    assert_eq!(min_ambiguity(&e, "counsellor", "level", "low"), Some(2));
}

#[test]
fn order_of_addition_cannot_hide_a_leak() {
    let m = leaks(&order_of_addition());
    assert_leak(&m, "level", "low", "q4", &[1]);
}

// ------------------------------------------------------------------ attacks (issue 13)
//
// Each test below is one class of the hostile-author attack set, written
// before its fix: it failed (compiled a leak, or ran unbounded) on the
// analysis as it was.

/// Runs `f` on its own thread and fails if it has not ended within the
/// watchdog (a hang guard for debug builds on a loaded machine, not a speed
/// assertion: the compile budget is measured in steps, not seconds).
fn bounded<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .stack_size(16 * 1024 * 1024)
        .spawn(move || {
            let _ = tx.send(f());
        })
        .unwrap();
    rx.recv_timeout(std::time::Duration::from_secs(120))
        .unwrap_or_else(|_| panic!("{what}: the compiler did not stop within the watchdog"))
}

/// Four single-item scores: `q1` coded 1–5, `q2`–`q4` coded 0–60, and a
/// result rule over them with `body` as its last branch. Far too many
/// answer sets to enumerate (5 · 61³, blanks aside).
fn four_wide(body: &str, extra: &str) -> String {
    let wide: Vec<i64> = (0..=60).collect();
    let mut text = cat(&[
        head(""),
        scale("five", &[1, 2, 3, 4, 5]),
        scale("wide", &wide),
        item("q1", "five", None),
        item("q2", "wide", None),
        item("q3", "wide", None),
        item("q4", "wide", None),
    ]);
    for (s, i) in [("a", "q1"), ("b", "q2"), ("c", "q3"), ("d", "q4")] {
        text.push_str(&sum(s, &[i]));
    }
    let rule = format!(
        "let s = scores;\nif s.a == () || s.b == () || s.c == () || s.d == () {{ \"low\" }}\n{body}\nelse if s.a + s.b > 30 {{ \"high\" }} else {{ \"low\" }}"
    );
    text.push_str(&ruled(
        "mix",
        &["a", "b", "c", "d"],
        &rule,
        &["low", "high"],
        extra,
    ));
    text
}

/// Class 1: a rule that returns `insufficient()` for exactly one answer
/// set. Seeing `insufficient` pins all four answers; no witness search can
/// prove that it never happens, so the result is unproven — never
/// "witnessed".
#[test]
fn a_rule_insufficient_for_one_answer_set_is_not_proven() {
    let text = four_wide(
        "else if s.a == 4 && s.b == 17 && s.c == 42 && s.d == 3 { insufficient() }",
        "",
    );
    let errs = bounded("four_wide", move || errors(&text));
    assert!(
        unproven_or_over_budget(&errs),
        "{}",
        aspekt::render_plain(&errs)
    );
}

/// Every error says the analysis could not decide: `disclosure_unproven`,
/// or the compile budget ran out.
fn unproven_or_over_budget(errs: &[Diagnostic]) -> bool {
    !errs.is_empty()
        && errs
            .iter()
            .all(|d| matches!(d.code, Code::DisclosureUnproven | Code::AnalysisBudget))
}

/// Class 1: a rule that fails for one answer set only: the request error is
/// the observation.
#[test]
fn a_rule_failing_for_one_answer_set_is_not_proven() {
    let text = four_wide(
        "else if s.a == 4 && s.b == 17 && s.c == 42 && s.d == 3 { throw \"no\" }",
        "",
    );
    let errs = bounded("four_wide", move || errors(&text));
    assert!(
        unproven_or_over_budget(&errs) || errs.iter().any(|d| d.code == Code::RuleFailed),
        "{}",
        aspekt::render_plain(&errs)
    );
}

/// Class 1: the same rule without the trap is not proven either: nothing
/// is ever "witnessed" any more.
#[test]
fn no_result_is_witnessed() {
    let text = four_wide("", "");
    let errs = bounded("four_wide", move || errors(&text));
    assert!(
        unproven_or_over_budget(&errs),
        "{}",
        aspekt::render_plain(&errs)
    );
    let waived = four_wide("", "waiver = \"a coarse comparison of four answers\"");
    let e = bounded("four_wide", move || compiles(&waived));
    assert!(
        e.disclosure()
            .results
            .iter()
            .all(|f| f.method == Method::Waived)
    );
}

/// Class 2: interview mode shares the selections with the participant and
/// the counsellor only. A band per code of one item still must not reach
/// the agency.
#[test]
fn interview_mode_still_protects_every_other_audience() {
    let text = cat(&[
        head("mode = \"interview\""),
        scale("four", &[1, 2, 3, 4]),
        item("q1", "four", None),
        sum("s", &["q1"]),
        banded(
            "echo",
            "s",
            &["participant", "counsellor", "agency"],
            &[
                ("one", 1.0, 1.0),
                ("two", 2.0, 2.0),
                ("three", 3.0, 3.0),
                ("four", 4.0, 4.0),
            ],
            "",
        ),
    ]);
    let m = leaks(&text);
    assert!(m.iter().all(|m| m.contains("to `agency`")), "{m:?}");
    assert_leak(&m, "echo", "one", "q1", &[1]);
}

/// Class 3: a result that leaks on its own, analysed jointly with a larger
/// waived result, was released as "waived". A leak that any analysis finds
/// is an error no waiver silences.
#[test]
fn a_waiver_cannot_cover_a_leak_found_for_the_result_alone() {
    let mut text = too_large(true, true);
    text.push_str(&sum("first", &["q1"]));
    text.push_str(&banded(
        "echo",
        "first",
        PC,
        &[
            ("one", 1.0, 1.0),
            ("two", 2.0, 2.0),
            ("three", 3.0, 3.0),
            ("four", 4.0, 4.0),
            ("five", 5.0, 5.0),
        ],
        "waiver = \"please\"",
    ));
    let errs = bounded("too_large", move || errors(&text));
    assert!(
        errs.iter().any(|d| d.code == Code::Disclosure
            && d.message.contains("result `echo`")
            && d.message.contains("`q1` was answered 1 (")),
        "{}",
        aspekt::render_plain(&errs)
    );
}

/// Class 4: definitions that kept the analysis busy for tens of seconds.
/// Each must end in a diagnostic or a proof within the compile budget.
fn yes_no_sum(n: usize) -> String {
    halved_sum(&[0, 1], n)
}

fn wide_scale(codes: i64) -> String {
    halved_sum(&(0..codes).collect::<Vec<_>>(), 3)
}

/// A sum over `n` items on one scale of `codes` (starting at 0), banded
/// into its lower and upper half.
fn halved_sum(codes: &[i64], n: usize) -> String {
    let ids: Vec<String> = (1..=n).map(|i| format!("q{i}")).collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let mut text = cat(&[head(""), scale("codes", codes)]);
    for id in &ids {
        text.push_str(&item(id, "codes", None));
    }
    text.push_str(&sum("s", &ids));
    let top = (n as i64 * codes.iter().max().copied().unwrap_or(0)) as f64;
    text.push_str(&banded(
        "level",
        "s",
        PC,
        &[
            ("low", 0.0, (top / 2.0).floor()),
            ("high", (top / 2.0).floor() + 1.0, top),
        ],
        "",
    ));
    text
}

fn rule_copies(copies: usize) -> String {
    let codes: Vec<i64> = (1..=7).collect();
    let mut text = cat(&[head(""), scale("seven", &codes)]);
    for id in ["q1", "q2", "q3", "q4"] {
        text.push_str(&item(id, "seven", None));
    }
    text.push_str(&sum("a", &["q1", "q2"]));
    text.push_str(&sum("b", &["q3", "q4"]));
    for c in 0..copies {
        text.push_str(&ruled(
            &format!("r{c}"),
            &["a", "b"],
            "let n = 0; for i in 0..1500 { n += i; } if scores.a == () || scores.b == () { \"x\" } else if scores.a + scores.b > n - 1124243 { \"y\" } else { \"x\" }",
            &["x", "y"],
            "",
        ));
    }
    text
}

/// Compiles under the watchdog; any errors must be the budget's or the
/// analysis's. Returns them.
fn within_budget(what: &'static str, text: String) -> Vec<Diagnostic> {
    let outcome = bounded(what, move || compile(&text));
    if let Err(errs) = &outcome {
        assert!(
            errs.iter()
                .filter(|d| d.severity == Severity::Error)
                .all(|d| matches!(
                    d.code,
                    Code::AnalysisBudget | Code::DisclosureUnproven | Code::Disclosure
                )),
            "{what}: {}",
            aspekt::render_plain(errs)
        );
        let budget: Vec<&Diagnostic> = errs
            .iter()
            .filter(|d| d.code == Code::AnalysisBudget)
            .collect();
        for d in budget {
            assert!(
                d.message.contains("result `") || d.message.contains("score `"),
                "{d:?}"
            );
            assert!(d.help.is_some(), "{d:?}");
        }
    }
    outcome.err().unwrap_or_default()
}

#[test]
fn a_long_yes_no_sum_stays_within_the_compile_budget() {
    // It is safe: whatever stops it, it is not called a leak.
    let errs = within_budget("630 items", yes_no_sum(630));
    assert!(
        errs.iter().all(|d| d.code != Code::Disclosure),
        "{}",
        aspekt::render_plain(&errs)
    );
}

/// An obvious leak is found without the search: a top band that only the
/// all-yes answer set reaches pins every one of 630 items, and the compiler
/// says so instead of running out of budget.
#[test]
fn an_obvious_leak_in_a_long_sum_is_found_without_the_search() {
    let text = yes_no_sum(630).replace("min = 316.0\nmax = 630.0", "min = 630.0\nmax = 630.0");
    let text = text.replace("max = 315.0", "max = 629.0");
    let m = bounded("630 items", move || leaks(&text));
    assert_leak(&m, "level", "high", "q1", &[1]);
    assert_leak(&m, "level", "high", "q630", &[1]);
}

#[test]
fn a_scale_of_two_thousand_codes_stays_within_the_compile_budget() {
    within_budget("2,001 codes", wide_scale(2_001));
}

#[test]
fn many_copies_of_one_rule_stay_within_the_compile_budget() {
    within_budget("64 copies", rule_copies(64));
}

/// Scores `a` = q1 and `b` = q1 + q2 share an item, so a > b never happens
/// (codes 1–4; both must be answered). A rule that fails only there
/// was rejected for what it does over combinations no answer set gives; the
/// analysis over the answer sets now decides. The same rule failing where
/// answers do reach is rejected, and no waiver releases it.
fn shared_scores_rule(trap: &str, extra: &str) -> String {
    cat(&[
        head(""),
        scale("four", &[1, 2, 3, 4]),
        item("q1", "four", None),
        item("q2", "four", None),
        sum("a", &["q1"]),
        sum("b", &["q1", "q2"]),
        ruled(
            "mix",
            &["a", "b"],
            &format!(
                "if scores.a == () || scores.b == () {{ \"x\" }} else if {trap} {{ throw \"trap\" }} else if scores.b > 5 {{ \"y\" }} else {{ \"x\" }}"
            ),
            &["x", "y"],
            extra,
        ),
    ])
}

#[test]
fn a_rule_failing_only_where_no_answer_set_reaches_compiles() {
    let e = compiles(&shared_scores_rule("scores.a > scores.b", ""));
    assert!(
        e.disclosure()
            .results
            .iter()
            .all(|f| f.method == Method::Enumerated),
        "{:?}",
        e.disclosure()
    );
}

#[test]
fn a_rule_failing_where_answers_reach_is_rejected_even_with_a_waiver() {
    let trap = "scores.a == 2.0 && scores.b == 4.0";
    for extra in ["", "waiver = \"please\""] {
        let errs = errors(&shared_scores_rule(trap, extra));
        assert!(
            errs.iter().any(|d| d.code == Code::RuleFailed),
            "{}",
            aspekt::render_plain(&errs)
        );
    }
}
