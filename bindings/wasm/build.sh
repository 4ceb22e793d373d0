#!/usr/bin/env bash
# Builds the aspekt WebAssembly module, optimized for size:
#
#   bash bindings/wasm/build.sh
#
# 1. `cargo build -p aspekt-wasm --target wasm32-unknown-unknown --profile wasm`
#    (opt-level "z", fat LTO, one codegen unit, stripped, abort on panic);
# 2. `wasm-opt -O1 --merge-similar-functions` when it is installed
#    (Debian/Ubuntu: `apt-get install binaryen`; optional — without it the
#    cargo output is used as is). Not `-Oz`: on this module `-Oz` gives the
#    smallest raw size but a gzip about 55 KB larger than `-O1` (measured
#    with binaryen 108; the book's performance chapter has the table);
#    merging similar functions takes off another 65 KB raw;
# 3. copies the result to bindings/wasm/js/aspekt.wasm, next to the ES module
#    that loads it by default, and prints its raw and gzip sizes;
# 4. writes the instrument library bundle `library.json` beside it
#    (`aspekt list --bundle`, from the engine's own library): the module embeds no library
#    (that would add about 240 KB), and aspekt.js loads the bundle for
#    `library()` and `compileLibrary(id)`.
#
# Environment: WASM_OPT=0 skips wasm-opt even when it is installed;
# OUT=path writes the module somewhere else instead (the bundle goes beside
# it); LIBRARY_OUT=path writes the bundle somewhere else.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="wasm32-unknown-unknown"
out="${OUT:-$here/js/aspekt.wasm}"
library_out="${LIBRARY_OUT:-$(dirname "$out")/library.json}"

export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

if command -v rustup >/dev/null 2>&1 &&
    ! rustup target list --installed | grep -qx "$target"; then
    echo "installing Rust target $target"
    rustup target add "$target" >/dev/null
fi

cd "$root"
cargo build --quiet -p aspekt-wasm --target "$target" --profile wasm
target_dir="${CARGO_TARGET_DIR:-$root/target}"
built="$target_dir/$target/wasm/aspekt_wasm.wasm"

mkdir -p "$(dirname "$out")"
tmp="$(mktemp "${TMPDIR:-/tmp}/aspekt-wasm.XXXXXX")"
trap 'rm -f "$tmp"' EXIT

if [[ "${WASM_OPT:-1}" != "0" ]] && command -v wasm-opt >/dev/null 2>&1; then
    # The features rustc's wasm32 target emits (TOOLCHAIN.md); wasm-opt
    # rejects the module without them.
    wasm-opt -O1 --merge-similar-functions \
        --enable-bulk-memory --enable-sign-ext --enable-mutable-globals \
        --enable-nontrapping-float-to-int --enable-reference-types \
        --enable-multivalue \
        "$built" -o "$tmp"
    how="cargo --profile wasm + wasm-opt -O1 --merge-similar-functions"
else
    cp "$built" "$tmp"
    how="cargo --profile wasm (wasm-opt not found: install binaryen to shrink it further)"
fi
mv -f "$tmp" "$out"
trap - EXIT

raw=$(wc -c <"$out")
gz=$(gzip -9c "$out" | wc -c)
kib() { awk -v b="$1" 'BEGIN { printf "%.0f KiB", b / 1024 }'; }
echo "built ${out#"$root"/}  ($how)"
echo "  raw:  $raw bytes ($(kib "$raw"))"
echo "  gzip: $gz bytes ($(kib "$gz"))"

# The engine writes its own library (native build, with the `library`
# feature): listing and texts cannot drift from what the engine embeds.
cargo run --quiet -p aspekt-cli -- list --bundle >"$library_out.tmp"
mv -f "$library_out.tmp" "$library_out"
lraw=$(wc -c <"$library_out")
lgz=$(gzip -9c "$library_out" | wc -c)
echo "built ${library_out#"$root"/}  (the instrument library: $(kib "$lraw"), gzip $(kib "$lgz"))"
