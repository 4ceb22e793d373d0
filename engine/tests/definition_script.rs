//! Definitions written in Rhai: the map a script returns becomes TOML (an
//! explicit conversion, no serde), which compiles like a TOML definition.

use aspekt::{Code, Options, Source, compile_with};

const TOML: &str = r#"
[questionnaire]
id = "generated"
version = "1.0.0"
locales = ["en"]
title = { en = "Generated" }
description = { en = "Written in Rhai" }
source = { citation = "aspekt test fixture", licence = "CC0-1.0", commercial_use = true }

[[scale]]
id = "yn"
options = [
  { code = 0, label = { en = "no" } },
  { code = 1, label = { en = "yes" } },
]

[[item]]
id = "q1"
scale = "yn"
text = { en = "One?" }
weight = 1.5

[[item]]
id = "q2"
scale = "yn"
text = { en = "Two?" }

[[score]]
id = "total"
items = ["q1", "q2"]
aggregate = "sum"

[[result]]
id = "level"
title = { en = "Level" }
score = "total"
audiences = ["participant", "counsellor"]
band = [
  { id = "all", min = 0.0, max = 2.5, label = { en = "All" }, explanation = { en = "All." } },
]
"#;

const SCRIPT: &str = r#"
#{
    questionnaire: #{
        id: "generated", version: "1.0.0", locales: ["en"],
        title: #{ en: "Generated" }, description: #{ en: "Written in Rhai" },
        source: #{ citation: "aspekt test fixture", licence: "CC0-1.0", commercial_use: true },
    },
    scale: [#{ id: "yn", options: [
        #{ code: 0, label: #{ en: "no" } },
        #{ code: 1, label: #{ en: "yes" } },
    ] }],
    item: [
        #{ id: "q1", scale: "yn", text: #{ en: "One?" }, weight: 1.5 },
        #{ id: "q2", scale: "yn", text: #{ en: "Two?" } },
    ],
    score: [#{ id: "total", items: ["q1", "q2"], aggregate: "sum" }],
    result: [#{
        id: "level", title: #{ en: "Level" }, score: "total",
        audiences: ["participant", "counsellor"],
        band: [
            #{ id: "all", min: 0.0, max: 2.5, label: #{ en: "All" }, explanation: #{ en: "All." } },
        ],
    }],
}
"#;

#[test]
fn a_script_compiles_to_the_same_definition_as_its_toml() {
    let script = SCRIPT;
    let from_toml = compile_with(&Source::new("generated.toml", TOML), &Options::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let from_script = compile_with(&Source::new("generated.rhai", script), &Options::default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(from_script.digest(), from_toml.digest());
}

#[test]
fn a_value_without_a_toml_form_is_refused_with_its_path() {
    let script = SCRIPT.replace("weight: 1.5", "weight: ()");
    let err = compile_with(
        &Source::new("generated.rhai", script.as_str()),
        &Options::default(),
    )
    .map(|_| ())
    .expect_err("a unit value has no TOML form");
    let d = err.diagnostics().first().expect("one diagnostic");
    assert_eq!(d.code, Code::DefinitionScript);
    assert!(
        d.message.contains("`item[0].weight` is ()")
            && d.message.contains("leave an optional key out"),
        "{}",
        d.message
    );
}
