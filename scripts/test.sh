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

step_wasm() {
    ensure_wasm_target
    cargo build -p aspekt --target "$WASM_TARGET" --no-default-features \
        --features library --release
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

STEPS=(fmt clippy test wasm check examples book)

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
