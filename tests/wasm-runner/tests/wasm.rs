//! The WebAssembly module under wasmtime: zero imports, the conformance
//! corpus byte for byte, no memory growth over 100,000 evaluations, and
//! clean traps (fuel, memory) after which the host instantiates again.
//!
//! Needs the module built (`bash bindings/wasm/build.sh`). When it is
//! missing the tests fail with that help, unless `ASPEKT_WASM_OPTIONAL=1`
//! (set by `cargo test --workspace` runs that do not build the module; the
//! `wasmtime` step of scripts/test.sh builds it and leaves this unset).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use aspekt_wasm_runner::{Aspekt, Bounds, Host};

fn host() -> Option<&'static Host> {
    static HOST: OnceLock<Option<Host>> = OnceLock::new();
    HOST.get_or_init(|| match Host::load() {
        Ok(h) => Some(h),
        Err(e) if std::env::var_os("ASPEKT_WASM_OPTIONAL").is_some() => {
            eprintln!("skipping: {e}");
            None
        }
        Err(e) => panic!("{e:#}"),
    })
    .as_ref()
}

fn instance() -> Option<Aspekt> {
    host().map(|h| h.instantiate(Bounds::default()).unwrap())
}

#[test]
fn the_module_has_zero_imports_and_abi_version_1() {
    let Some(h) = host() else { return };
    assert_eq!(h.imports(), Vec::<String>::new());
    assert_eq!(
        h.instantiate(Bounds::default())
            .unwrap()
            .abi_version()
            .unwrap(),
        1
    );
}

/// The compile request for a library instrument: its text, path and rule
/// files (the module embeds no library; hosts send what `library.json`
/// holds, which is this).
fn library_request(id: &str) -> String {
    let entry = aspekt::library::get(id).unwrap();
    let files: serde_json::Map<String, serde_json::Value> = entry
        .files
        .iter()
        .map(|(name, text)| (name.to_string(), (*text).into()))
        .collect();
    serde_json::json!({ "definition": entry.text, "name": entry.path, "files": files }).to_string()
}

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../conformance")
}

/// The conformance contract (tests/conformance/README.md), through the module.
fn evaluate_case(aspekt: &mut Aspekt, dir: &Path) -> String {
    let case: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("case.json")).unwrap()).unwrap();
    let compile_request = match case.get("library").and_then(|l| l.as_str()) {
        Some(id) => library_request(id),
        None => serde_json::json!({
            "definition": std::fs::read_to_string(dir.join("definition.toml")).unwrap(),
            "name": "definition.toml",
        })
        .to_string(),
    };
    let request = std::fs::read_to_string(dir.join("request.json")).unwrap();
    match aspekt.compile(&compile_request).unwrap() {
        Err(envelope) => envelope,
        Ok((handle, _)) => {
            let out = aspekt.evaluate(handle, &request).unwrap();
            aspekt.drop_handle(handle).unwrap();
            out
        }
    }
}

#[test]
fn the_conformance_corpus_is_byte_identical_through_the_module() {
    let Some(mut aspekt) = instance() else { return };
    let mut cases: Vec<PathBuf> = std::fs::read_dir(corpus())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("case.json").is_file())
        .collect();
    cases.sort();
    assert!(cases.len() >= 15, "the corpus is missing");
    let mut failures = Vec::new();
    for dir in &cases {
        let expected = std::fs::read_to_string(dir.join("expected.json")).unwrap();
        let got = evaluate_case(&mut aspekt, dir) + "\n";
        if got != expected {
            failures.push(format!(
                "{}:\n  expected {expected}  got      {got}",
                dir.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_library_instrument_gives_the_native_report() {
    let Some(mut aspekt) = instance() else { return };
    for entry in aspekt::library::entries() {
        let native = entry.compile().unwrap();
        let (handle, _) = aspekt.compile(&library_request(entry.id)).unwrap().unwrap();
        // Every item answered with its scale's first code, then its last.
        let d = native.definition();
        for pick_last in [false, true] {
            let mut answers = serde_json::Map::new();
            for it in &d.items {
                let scale = d
                    .scales
                    .iter()
                    .find(|s| s.id.value() == it.scale.value())
                    .unwrap();
                let codes: Vec<i64> = scale.options.iter().map(|o| *o.code.value()).collect();
                let code = if pick_last {
                    codes.last()
                } else {
                    codes.first()
                };
                answers.insert(it.id.value().clone(), (*code.unwrap()).into());
            }
            let request = serde_json::json!({
                "answers": answers,
                "consent": native.privacy_notice().map(|n| serde_json::json!({"notice": n})),
                "audience": "counsellor",
            })
            .to_string();
            let wasm = aspekt.evaluate(handle, &request).unwrap();
            let rust = native.evaluate_json(&request).unwrap();
            assert_eq!(wasm, rust, "{}", entry.id);
        }
        aspekt.drop_handle(handle).unwrap();
    }
}

#[test]
fn one_hundred_thousand_evaluations_do_not_grow_memory() {
    let Some(mut aspekt) = instance() else { return };
    let (handle, _) = aspekt.compile(&library_request("who5")).unwrap().unwrap();
    let requests: Vec<String> = (0..16)
        .map(|i| {
            format!(
                r#"{{"answers": {{"q1": {}, "q2": {}, "q3": 3, "q4": {}, "q5": 2}}, "consent": {{"notice": "2026-11"}}, "locale": "{}"}}"#,
                i % 6,
                (i / 2) % 6,
                (i / 3) % 6,
                if i % 2 == 0 { "de" } else { "en" }
            )
        })
        .collect();
    for r in requests.iter().cycle().take(1_000) {
        assert!(
            aspekt
                .evaluate(handle, r)
                .unwrap()
                .starts_with("{\"definition\"")
        );
    }
    let warm = aspekt.memory_size();
    for r in requests.iter().cycle().take(100_000) {
        let out = aspekt.evaluate(handle, r).unwrap();
        assert!(out.starts_with("{\"definition\""));
    }
    assert_eq!(aspekt.memory_size(), warm, "memory grew across evaluations");
    // Compiling and dropping reuses handles and memory too.
    for _ in 0..50 {
        let (h, _) = aspekt.compile(&library_request("gse")).unwrap().unwrap();
        aspekt.drop_handle(h).unwrap();
    }
    let (h, _) = aspekt.compile(&library_request("gse")).unwrap().unwrap();
    assert_eq!(h & 0xffff, 2, "a dropped handle's slot is reused");
    // A stale handle to a reused slot is refused, never silently redirected.
    let stale = (h & 0xffff) | (((h >> 16).wrapping_sub(1) & 0xffff) << 16);
    let out = aspekt.evaluate(stale, r#"{"answers": {}}"#).unwrap();
    assert!(out.contains("is not a compiled definition"), "{out}");
}

#[test]
fn exhausting_fuel_traps_cleanly_and_the_host_instantiates_again() {
    let Some(h) = host() else { return };
    // Compiling IPIP-50 (with its disclosure analysis) within a tiny fuel
    // budget: the module traps, the host is unharmed.
    let mut starved = h
        .instantiate(Bounds {
            fuel: 200_000,
            ..Bounds::default()
        })
        .unwrap();
    let err = starved.compile(&library_request("ipip-50")).unwrap_err();
    assert!(format!("{err:?}").contains("fuel"), "{err:?}");
    let mut fresh = h.instantiate(Bounds::default()).unwrap();
    assert!(fresh.compile(&library_request("ipip-50")).unwrap().is_ok());
}

#[test]
fn exhausting_memory_traps_cleanly_and_the_host_instantiates_again() {
    let Some(h) = host() else { return };
    let mut capped = h
        .instantiate(Bounds {
            memory: 24 << 20,
            ..Bounds::default()
        })
        .unwrap();
    // A hostile definition of ~30 MB: it cannot even be copied in.
    let huge = format!("# {}\n", "x".repeat(30 << 20));
    let request = serde_json::json!({ "definition": huge }).to_string();
    assert!(
        capped.compile(&request).is_err(),
        "the memory cap must stop it"
    );
    let mut fresh = h.instantiate(Bounds::default()).unwrap();
    let (handle, _) = fresh.compile(&library_request("who5")).unwrap().unwrap();
    let out = fresh
        .evaluate(
            handle,
            r#"{"answers": {}, "consent": {"notice": "2026-11"}}"#,
        )
        .unwrap();
    assert!(out.contains("insufficient"));
}

#[test]
fn bad_handles_and_bad_input_are_error_envelopes() {
    let Some(mut aspekt) = instance() else { return };
    let out = aspekt.evaluate(99, "{}").unwrap();
    assert!(
        out.starts_with("{\"error\":{\"code\":\"invalid_request\""),
        "{out}"
    );
    let out = aspekt.compile("not json").unwrap().unwrap_err();
    assert!(out.contains("malformed_json"), "{out}");
}

#[test]
fn transparency_and_form_match_the_native_engine() {
    let Some(mut aspekt) = instance() else { return };
    let (handle, _) = aspekt.compile(&library_request("who5")).unwrap().unwrap();
    let native = aspekt::library::load("who5").unwrap();
    for (input, locale) in [("", None), (r#"{"locale": "en"}"#, Some("en"))] {
        let t = aspekt.transparency(handle, input).unwrap();
        assert_eq!(
            t,
            serde_json::to_string(&native.transparency(locale).unwrap()).unwrap()
        );
        let f = aspekt.form(handle, input).unwrap();
        assert_eq!(
            f,
            serde_json::to_string(&native.form(locale).unwrap()).unwrap()
        );
    }
    let bad = aspekt.form(handle, r#"{"locale": "fr"}"#).unwrap();
    assert!(bad.contains("unknown_locale"), "{bad}");
}

#[test]
fn the_module_embeds_no_library_and_its_errors_say_where_it_is() {
    let Some(mut aspekt) = instance() else { return };
    let out = aspekt
        .compile(r#"{"library": "who5"}"#)
        .unwrap()
        .unwrap_err();
    let e: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(e["error"]["code"], "unknown_definition", "{out}");
    assert_eq!(e["error"]["path"], "library", "{out}");
    let message = e["error"]["message"].as_str().unwrap();
    assert!(message.contains("cannot compile `who5` by id"), "{out}");
    let help = e["error"]["help"].as_str().unwrap();
    assert!(help.contains("definitions/who5/definition.toml"), "{out}");
    assert!(help.contains("library.json"), "{out}");
    let listing = aspekt.library().unwrap();
    assert!(
        listing.starts_with("{\"error\":{\"code\":\"invalid_request\""),
        "{listing}"
    );
    assert!(listing.contains("library.json"), "{listing}");
}

/// `library.json` beside the module (`aspekt list --bundle`) is the native
/// library: the same listing, profile, texts, names and rule files.
#[test]
fn the_library_bundle_matches_the_native_library() {
    if host().is_none() {
        return;
    }
    let path = aspekt_wasm_runner::module_path().with_file_name("library.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if std::env::var_os("ASPEKT_WASM_OPTIONAL").is_some() => {
            eprintln!("skipping: {}: {e}", path.display());
            return;
        }
        Err(e) => panic!(
            "cannot read {}: {e}; build it with `bash bindings/wasm/build.sh`",
            path.display()
        ),
    };
    let bundle: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(bundle["format"], 1);
    assert_eq!(
        bundle["entries"],
        serde_json::to_value(aspekt::api::library()).unwrap()
    );
    assert_eq!(
        bundle["profile"],
        serde_json::to_value(aspekt::library::profile()).unwrap()
    );
    let instruments = bundle["instruments"].as_object().unwrap();
    let ids: Vec<&str> = aspekt::library::entries().map(|e| e.id).collect();
    assert_eq!(
        instruments.keys().map(String::as_str).collect::<Vec<_>>(),
        ids
    );
    for entry in aspekt::library::entries() {
        let expected: serde_json::Value = serde_json::from_str(&library_request(entry.id)).unwrap();
        let got = &instruments[entry.id];
        assert_eq!(got["name"], expected["name"], "{}", entry.id);
        assert_eq!(got["definition"], expected["definition"], "{}", entry.id);
        assert_eq!(got["files"], expected["files"], "{}", entry.id);
    }
}
