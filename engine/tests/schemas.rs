//! The committed JSON Schemas in `schemas/` are the contract of the JSON
//! surface and the editor support for definitions. This test fails when they
//! are stale; `ASPEKT_BLESS=1 cargo test -p aspekt --test schemas` rewrites
//! them (review the diff before committing).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;

use aspekt::SchemaKind;

fn path(kind: SchemaKind) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../schemas")
        .join(format!("{}.schema.json", kind.name()))
}

#[test]
fn committed_schemas_are_current() {
    let bless = std::env::var_os("ASPEKT_BLESS").is_some();
    let mut stale = Vec::new();
    for kind in SchemaKind::ALL {
        let generated = aspekt::json_schema(kind);
        let file = path(kind);
        if bless {
            std::fs::write(&file, &generated).unwrap();
            continue;
        }
        let committed = std::fs::read_to_string(&file).unwrap_or_default();
        if committed != generated {
            stale.push(file.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "stale JSON Schemas: {stale:?}\nrun `ASPEKT_BLESS=1 cargo test -p aspekt --test schemas` and review the diff"
    );
}

#[test]
fn definition_schema_describes_the_format() {
    let schema: serde_json::Value =
        serde_json::from_str(&aspekt::json_schema(SchemaKind::Definition)).unwrap();
    assert_eq!(schema["title"], "aspekt questionnaire definition");
    let props = schema["properties"].as_object().unwrap();
    for key in [
        "questionnaire",
        "scale",
        "topic",
        "item",
        "score",
        "result",
        "example",
    ] {
        assert!(props.contains_key(key), "definition schema lacks `{key}`");
    }
    // Unknown keys are errors in the compiler; editors must flag them too.
    assert_eq!(schema["additionalProperties"], false);
}

#[test]
fn library_definitions_validate_against_the_schema_shape() {
    // Every top-level key of every library definition is one the schema names.
    let schema: serde_json::Value =
        serde_json::from_str(&aspekt::json_schema(SchemaKind::Definition)).unwrap();
    let props = schema["properties"].as_object().unwrap();
    for entry in aspekt::library::entries() {
        let value: toml::Table = toml::from_str(entry.text).unwrap();
        for key in value.keys() {
            assert!(
                props.contains_key(key),
                "{}: `{key}` not in schema",
                entry.path
            );
        }
    }
}
