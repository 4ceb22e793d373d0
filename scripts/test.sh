#!/usr/bin/env bash
# The one command that runs every test of aspekt.
#
#   bash scripts/test.sh            run every step, in order
#   bash scripts/test.sh clippy wasm  run only the named steps, in order
#   bash scripts/test.sh --list     list the steps
#
# Works on a fresh machine that has rustup/cargo, Python 3 and Node: whatever
# else a step needs it installs itself, once and quietly. Stops at the first
# failing step and exits non-zero.
#
# To add a step: write a function `step_NAME` and append NAME to STEPS.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

MDBOOK_VERSION="0.5.4"
WASM_TARGET="wasm32-unknown-unknown"
# The Python binding's virtual environment (gitignored), made by the step.
PYTHON_VENV=".venv-python"
PYTHON_TEST_DEPS=(maturin pytest hypothesis numpy pandas polars pyarrow pingouin matplotlib
    "dask[dataframe]" distributed)

export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

# ---------------------------------------------------------------- helpers

# Runs a command silently; shows its output only when it fails.
quiet() {
    local log
    log="$(mktemp)"
    if ! "$@" >"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        echo "error: '$*' failed" >&2
        return 1
    fi
    rm -f "$log"
}

ensure_wasm_target() {
    if ! rustup target list --installed | grep -qx "$WASM_TARGET"; then
        echo "    installing Rust target $WASM_TARGET"
        quiet rustup target add "$WASM_TARGET"
    fi
}

ensure_mdbook() {
    if ! command -v mdbook >/dev/null 2>&1; then
        echo "    installing mdbook $MDBOOK_VERSION (takes about two minutes, once)"
        quiet cargo install mdbook --version "$MDBOOK_VERSION" --locked
    fi
}

# binaryen's wasm-opt, which build.sh runs when it is installed: without it
# the module is about 10% larger and misses its size budget.
ensure_wasm_opt() {
    if command -v wasm-opt >/dev/null 2>&1; then
        return
    fi
    if [[ "$(id -u)" != "0" ]] || ! command -v apt-get >/dev/null 2>&1; then
        echo "error: wasm-opt is missing; install binaryen (Debian: apt-get install binaryen)" >&2
        return 1
    fi
    echo "    installing binaryen for wasm-opt (apt-get, once)"
    quiet apt-get update
    quiet env DEBIAN_FRONTEND=noninteractive apt-get install -y binaryen
}

# The WebAssembly module for the JavaScript tests: bindings/wasm/js/aspekt.wasm.
ensure_wasm_module() {
    ensure_wasm_target
    ensure_wasm_opt
    bash bindings/wasm/build.sh
}

# The module's size budget (issue 7): at most 1.0 MB raw and 350 KB gzip.
WASM_BUDGET_RAW=1000000
WASM_BUDGET_GZIP=350000

# bindings/wasm/js/node_modules from package-lock.json; `npm ci` runs again
# only when the lock file changed.
ensure_node_modules() {
    local dir="bindings/wasm/js"
    if ! cmp -s "$dir/package-lock.json" "$dir/node_modules/.aspekt-lock" 2>/dev/null; then
        echo "    installing the JavaScript dev dependencies (npm ci)"
        (cd "$dir" && quiet npm ci --no-audit --no-fund)
        cp "$dir/package-lock.json" "$dir/node_modules/.aspekt-lock"
    fi
}

# Debian's chromium for the end-to-end test, installed when missing and root.
ensure_chromium() {
    local chromium="${CHROMIUM:-/usr/bin/chromium}"
    if [[ -x "$chromium" ]]; then
        return
    fi
    if [[ "$(id -u)" != "0" ]] || ! command -v apt-get >/dev/null 2>&1; then
        echo "error: $chromium is missing; install Chromium (Debian: apt-get install chromium)" >&2
        echo "       or point CHROMIUM at a Chromium binary" >&2
        return 1
    fi
    echo "    installing chromium (apt-get, about half a minute, once)"
    quiet apt-get update
    quiet env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
}

ensure_python_venv() {
    local py="$PYTHON_VENV/bin/python"
    if [[ ! -x "$py" ]]; then
        echo "    creating $PYTHON_VENV"
        quiet python3 -m venv "$PYTHON_VENV"
    fi
    if ! "$py" -c "import maturin, pytest, hypothesis, numpy, pandas, polars, pyarrow, pingouin, matplotlib, dask.dataframe, distributed" \
        >/dev/null 2>&1; then
        echo "    installing the Python test dependencies into $PYTHON_VENV (once)"
        quiet "$py" -m pip install --upgrade pip
        quiet "$py" -m pip install "${PYTHON_TEST_DEPS[@]}"
    fi
}

# ---------------------------------------------------------------- steps

step_fmt() {
    cargo fmt --all -- --check
}

step_clippy() {
    cargo clippy --workspace --all-targets -- -D warnings
}

step_test() {
    cargo test --workspace
}

# The engine builds for wasm32 on its own (no default features), and the
# module is built by the documented command, which prints its size. The
# `test` step after this one runs the module under wasmtime.
step_wasm() {
    ensure_wasm_target
    cargo build -p aspekt --target "$WASM_TARGET" --no-default-features \
        --features library --release
    ensure_wasm_module
    local module="bindings/wasm/js/aspekt.wasm" raw gz
    raw=$(wc -c <"$module")
    gz=$(gzip -9c "$module" | wc -c)
    if ((raw > WASM_BUDGET_RAW || gz > WASM_BUDGET_GZIP)); then
        echo "error: $module is $raw bytes raw, $gz gzip; the budget is" \
            "$WASM_BUDGET_RAW raw and $WASM_BUDGET_GZIP gzip" >&2
        echo "       see what takes the bytes: python3 bindings/wasm/size.py" \
            "(book: WebAssembly ABI, Size)" >&2
        return 1
    fi
    echo "    within budget: $((WASM_BUDGET_RAW - raw)) bytes raw and" \
        "$((WASM_BUDGET_GZIP - gz)) gzip to spare"
}

step_check() {
    cargo run -q -p aspekt-cli -- check definitions
}

step_examples() {
    cargo run -q -p aspekt-cli -- test definitions
}

step_book() {
    ensure_mdbook
    mdbook build book
}

# The ES module in Node: conformance corpus, errors, memory, types.
step_node() {
    ensure_wasm_module
    ensure_node_modules
    (cd bindings/wasm/js && node --test --test-reporter=spec test/*.test.mjs)
}

# The web component in the portal demo, in headless Chromium.
step_browser() {
    ensure_wasm_module
    ensure_node_modules
    ensure_chromium
    ASPEKT_E2E_REQUIRED=1 node --test --test-reporter=spec examples/portal/e2e.test.mjs
}

# Fuzzes for 30 seconds in all, 15 per target, each seeded with a corpus
# in the repository: `rule` (arbitrary rule source under the sandbox, see
# fuzz/fuzz_targets/rule.rs) with the hostile corpus, and `definition`
# (arbitrary text as a whole definition, see fuzz/fuzz_targets/definition.rs)
# with the library, the test fixtures and the conformance corpus. Needs a
# nightly toolchain (cargo fuzz uses sanitizers); without one the step says
# so and passes. The first run builds the targets with AddressSanitizer,
# which takes a few minutes; later runs reuse fuzz/target and take about 40
# seconds.
FUZZ_SECONDS_PER_TARGET=15

# fuzz_one TARGET DICT SEED_DIR...: runs one target, seeded, for its budget.
fuzz_one() {
    local target="$1" dict="$2" log
    shift 2
    mkdir -p "fuzz/corpus/$target"
    log="$(mktemp)"
    if ! (cd fuzz && cargo +nightly fuzz run "$target" "corpus/$target" "$@" -- \
        -dict="$dict" -max_total_time="$FUZZ_SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1) >"$log" 2>&1; then
        tail -n 60 "$log" >&2
        rm -f "$log"
        echo "error: the fuzzer found a crash in $target (input saved under fuzz/artifacts/$target/)" >&2
        return 1
    fi
    grep -E "^Done|^stat::(number_of_executed_units|peak_rss_mb)" "$log" | sed "s/^/    $target: /"
    rm -f "$log"
}

step_fuzz() {
    if ! rustup toolchain list | grep -q nightly; then
        echo "    skipped: cargo fuzz needs a nightly toolchain (rustup toolchain install nightly)"
        return 0
    fi
    if ! command -v cargo-fuzz >/dev/null 2>&1; then
        echo "    installing cargo-fuzz (about half a minute, once)"
        quiet cargo install cargo-fuzz --locked
    fi
    fuzz_one rule rule.dict ../engine/tests/hostile
    fuzz_one definition definition.dict ../definitions ../engine/tests/fixtures ../tests/conformance
}

# The Python package, built and installed as a user does it
# (`pip install ./bindings/python`: PEP 517, maturin, a release wheel), then
# its tests: the conformance corpus, every frame kind, the research helpers
# against pingouin, and a local Dask cluster. The first run creates
# .venv-python and installs the test dependencies (a few minutes, once).
step_python() {
    ensure_python_venv
    local py="$PYTHON_VENV/bin/python"
    echo "    building and installing the wheel (pip install ./bindings/python)"
    quiet "$py" -m pip install --force-reinstall --no-deps ./bindings/python
    local rc=0
    (cd bindings/python && "../../$py" -m pytest -q -p no:cacheprovider tests) || rc=$?
    if [[ $rc -eq 5 ]]; then
        echo "error: pytest collected no tests in bindings/python/tests" >&2
        return 1
    fi
    return "$rc"
}

STEPS=(fmt clippy wasm test check examples book node browser python fuzz)

# ---------------------------------------------------------------- main

if [[ "${1:-}" == "--list" ]]; then
    printf '%s\n' "${STEPS[@]}"
    exit 0
fi

selected=("$@")
if [[ ${#selected[@]} -eq 0 ]]; then
    selected=("${STEPS[@]}")
fi

for name in "${selected[@]}"; do
    if ! declare -F "step_$name" >/dev/null; then
        echo "error: unknown step '$name' (steps: ${STEPS[*]})" >&2
        exit 2
    fi
done

for name in "${selected[@]}"; do
    echo "==> $name"
    "step_$name"
done

echo "==> passed: ${selected[*]}"
