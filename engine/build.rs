//! Embeds the instrument library (`../definitions/<id>/definition.toml`) into
//! the crate, so every host can load an instrument by id without files.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../definitions");
    println!("cargo::rerun-if-changed={}", root.display());
    let mut entries: Vec<(String, String)> = Vec::new();
    if let Ok(dirs) = std::fs::read_dir(&root) {
        for dir in dirs.flatten() {
            let path = dir.path().join("definition.toml");
            // Track each file too: a directory's mtime does not change when a
            // file inside it is edited in place.
            println!("cargo::rerun-if-changed={}", path.display());
            if path.is_file() {
                let id = dir.file_name().to_string_lossy().into_owned();
                entries.push((id, path.display().to_string()));
            }
        }
    }
    entries.sort();
    let mut out = String::from(
        "/// The embedded library: (id, path relative to the repository, text).\npub(crate) static ENTRIES: &[(&str, &str, &str)] = &[\n",
    );
    for (id, path) in &entries {
        let _ = writeln!(
            out,
            "    ({id:?}, \"definitions/{id}/definition.toml\", include_str!({path:?})),"
        );
    }
    out.push_str("];\n");
    let dest =
        Path::new(&std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into())).join("library.rs");
    if let Err(e) = std::fs::write(&dest, out) {
        println!("cargo::error=cannot write {}: {e}", dest.display());
    }
}
