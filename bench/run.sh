#!/usr/bin/env bash
# One command, every ratio: aspekt against the alternatives people would
# otherwise use, measured in one run on this machine (see the book's
# performance chapter).
#
#   bash bench/run.sh
#
# 1. builds the WebAssembly module (for the wasmtime comparison) and the
#    release benchmark binary, and runs it: batch vs a hand-written loop,
#    reports per second, a Rhai-ruled result, WASM vs native, compile plus
#    disclosure check per instrument, batch peak memory;
# 2. runs the Python comparison (evaluate_frame on 1,000,000 rows vs a
#    vectorized numpy implementation and a pandas row-wise apply), in the
#    venv `scripts/test.sh python` makes (made here first when missing).
#
# Run it on a quiet machine: other work on the same cores skews every number.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "machine: $(nproc) core(s), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo
bash bindings/wasm/build.sh | sed 's/^/  /'
echo
cargo build -q --release -p aspekt-bench
./target/release/aspekt-bench

echo
if ! { [[ -x .venv-python/bin/python ]] && .venv-python/bin/python -c "import aspekt, numpy, pandas" 2>/dev/null; }; then
    # A fresh clone: make the venv and install the wheel the way the tests do.
    echo "setting up the Python venv with the aspekt wheel (scripts/test.sh python, once)"
    bash scripts/test.sh python >/dev/null
fi
echo "Python: evaluate_frame vs numpy vs pandas apply (1,000,000 rows)"
.venv-python/bin/python examples/python/bench_frame.py
