#!/usr/bin/env python3
"""Writes the instrument library bundle for the WebAssembly module.

    python3 bindings/wasm/library.py OUT.json

The module is built without the engine's `library` feature (the texts would
make it about 240 KB larger), so `bindings/wasm/build.sh` ships the library
beside it as one JSON file that `aspekt.js` loads:

    {
      "format": 1,
      "profile": ["who5", ...],            # definitions/PROFILE.md, in order
      "entries": [{"id": ..., ...}],       # the listing, as `aspekt library --format json`
      "instruments": {
        "who5": {
          "name": "definitions/who5/definition.toml",
          "definition": "<its text>",
          "files": {"rule.rhai": "<its text>"}   # the .rhai rule files beside it
        }
      }
    }

It reads `definitions/` exactly as `engine/build.rs` does (one folder per
instrument, sorted by id). A host compiles an instrument with the compile
request `{"definition": ..., "name": ..., "files": ...}`, which gives the
same evaluator, digest and reports as the native library. The wasmtime tests
(`tests/wasm-runner`) check that the bundle matches the native library.

Needs Python 3.11 or later (tomllib) and nothing else.
"""

import json
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    sys.exit("error: bindings/wasm/library.py needs Python 3.11 or later (tomllib)")

ROOT = Path(__file__).resolve().parent.parent.parent
DEFINITIONS = ROOT / "definitions"


def profile():
    """The first fenced block of PROFILE.md, one id per line."""
    text = (DEFINITIONS / "PROFILE.md").read_text(encoding="utf-8")
    parts = text.split("```")
    if len(parts) < 2:
        return []
    return [line.strip() for line in parts[1].splitlines() if line.strip()]


def entry(instrument_id, definition):
    """The listing entry of a TOML definition (`aspekt::api::LibraryEntry`)."""
    q = definition["questionnaire"]
    locales = q.get("locales", [])
    source = q.get("source", {})
    return {
        "id": q["id"],
        "version": q["version"],
        "title": q.get("title", {}).get(locales[0], "") if locales else "",
        "locales": locales,
        "items": len(definition.get("item", [])),
        "minutes": q.get("minutes"),
        "licence": source.get("licence", ""),
        "commercial_use": source.get("commercial_use"),
        "mode": q.get("mode", "questionnaire"),
    }


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: python3 bindings/wasm/library.py OUT.json")
    out = Path(sys.argv[1])
    entries = []
    instruments = {}
    for folder in sorted(p for p in DEFINITIONS.iterdir() if p.is_dir()):
        path = folder / "definition.toml"
        if not path.is_file():
            if (folder / "definition.rhai").is_file():
                sys.exit(
                    f"error: {folder.relative_to(ROOT)}/definition.rhai: the bundle script "
                    "reads TOML definitions only\n  help: write the instrument as "
                    "definition.toml, or teach bindings/wasm/library.py to list it"
                )
            continue
        text = path.read_text(encoding="utf-8")
        try:
            definition = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            sys.exit(f"error: {path.relative_to(ROOT)}: {e}\n  help: run `aspekt check definitions`")
        files = {
            f.name: f.read_text(encoding="utf-8")
            for f in sorted(folder.iterdir())
            if f.suffix == ".rhai" and f.is_file()
        }
        entries.append(entry(folder.name, definition))
        instruments[folder.name] = {
            "name": f"definitions/{folder.name}/definition.toml",
            "definition": text,
            "files": files,
        }
    bundle = {"format": 1, "profile": profile(), "entries": entries, "instruments": instruments}
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text(json.dumps(bundle, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    tmp.replace(out)


if __name__ == "__main__":
    main()
