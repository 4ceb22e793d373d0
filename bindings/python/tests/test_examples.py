"""The examples in examples/python run end to end."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import ROOT

EXAMPLES = ROOT / "examples" / "python"


def run(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=300, cwd=ROOT
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_walkthrough(tmp_path):
    pytest.importorskip("matplotlib")
    pytest.importorskip("scipy")
    out = run(str(EXAMPLES / "walkthrough.py"), "--rows", "800", "--out", str(tmp_path))
    assert "5. Reliability" in out and "trial definition compiles" in out
    assert (tmp_path / "bands.png").stat().st_size > 1000
    assert (tmp_path / "bands-trial.png").is_file()


def test_benchmark_agrees_with_numpy():
    """The benchmark's numpy implementation agrees with aspekt (it asserts
    so on every row), here on a small sample."""
    if not (ROOT / "engine" / "benches" / "fixtures" / "bench60.toml").is_file():
        pytest.skip("the benchmark fixture is not there")
    out = run(str(EXAMPLES / "bench_frame.py"), "--rows", "3000", "--apply-rows", "300", "--repeat", "1")
    assert "agrees with aspekt on all 3,000 rows" in out


def test_dask_example():
    pytest.importorskip("dask.dataframe")
    pytest.importorskip("distributed")
    out = run(str(EXAMPLES / "scale_out_dask.py"), "--rows", "20000", "--partitions", "4")
    assert "scored 20,000 rows in 4 partitions" in out
