"""Shared fixtures of the Python binding tests."""

from __future__ import annotations

from pathlib import Path

import pytest

import aspekt

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
CONFORMANCE = ROOT / "tests" / "conformance"
STUDY = HERE / "fixtures" / "study"
CONSENT = "2026-11"


@pytest.fixture(scope="session")
def who5() -> aspekt.Evaluator:
    return aspekt.load("who5")


@pytest.fixture(scope="session")
def study() -> aspekt.Evaluator:
    return aspekt.compile(STUDY)


@pytest.fixture(scope="session")
def brs() -> aspekt.Evaluator:
    return aspekt.load("brs")
