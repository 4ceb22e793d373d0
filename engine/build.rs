//! Embeds the instrument library (`../definitions/<id>/definition.toml` or
//! `definition.rhai`, with the `.rhai` rule files beside it) into the crate,
//! so every host can load an instrument by id without reading files.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../definitions");
    println!("cargo::rerun-if-changed={}", root.display());
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    let mut out = String::from(
        "/// The embedded library: (id, definition path, text, rule files (name, text)).\n\
         pub(crate) static ENTRIES: &[RawEntry] = &[\n",
    );
    for dir in dirs {
        // Track the folder and each file: editing a file in place does not
        // change its folder's modification time.
        println!("cargo::rerun-if-changed={}", dir.display());
        let id = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort();
        let definition = ["definition.toml", "definition.rhai"]
            .iter()
            .map(|n| dir.join(n))
            .find(|p| p.is_file());
        let Some(definition) = definition else {
            continue;
        };
        let def_name = definition
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let _ = write!(
            out,
            "    ({id:?}, \"definitions/{id}/{def_name}\", include_str!({:?}), &[",
            definition.display().to_string()
        );
        for f in &files {
            println!("cargo::rerun-if-changed={}", f.display());
            let name = f
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if f.extension().is_some_and(|e| e == "rhai") && *f != definition {
                let _ = write!(
                    out,
                    "({name:?}, include_str!({:?})), ",
                    f.display().to_string()
                );
            }
        }
        out.push_str("]),\n");
    }
    out.push_str("];\n");
    // The counselling profile: the first fenced block of PROFILE.md, one id
    // per line.
    let profile_md = root.join("PROFILE.md");
    println!("cargo::rerun-if-changed={}", profile_md.display());
    let text = std::fs::read_to_string(&profile_md).unwrap_or_default();
    let ids: Vec<&str> = text
        .split("```")
        .nth(1)
        .map(|block| {
            block
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect()
        })
        .unwrap_or_default();
    out.push_str("/// The counselling profile (definitions/PROFILE.md).\npub(crate) static PROFILE: &[&str] = &[");
    for id in ids {
        let _ = write!(out, "{id:?}, ");
    }
    out.push_str("];\n");
    let dest =
        Path::new(&std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into())).join("library.rs");
    if let Err(e) = std::fs::write(&dest, out) {
        println!("cargo::error=cannot write {}: {e}", dest.display());
    }
}
