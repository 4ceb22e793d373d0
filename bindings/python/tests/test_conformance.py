"""The shared conformance corpus (tests/conformance, see its README): the
same definition and request give the same bytes in Python as in the Rust
engine — reports and error envelopes alike."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, Optional

import pytest

import aspekt

from conftest import CONFORMANCE

CASES = sorted(p for p in CONFORMANCE.iterdir() if (p / "case.json").is_file())
REQUEST_KEYS = {"answers", "declined", "consent", "locale", "audience"}


def evaluator_or_error(case: Path):
    """Step 1 of the contract: the evaluator, or the error envelope."""
    meta = json.loads((case / "case.json").read_text(encoding="utf-8"))
    try:
        if "library" in meta:
            return aspekt.load(meta["library"]), None
        text = (case / "definition.toml").read_text(encoding="utf-8")
        return aspekt.compile(text, name="definition.toml"), None
    except aspekt.AspektError as e:
        return None, e.json


def evaluate_case(case: Path) -> str:
    """The conformance contract, mirrored from engine/tests/conformance.rs."""
    evaluator, error = evaluator_or_error(case)
    if evaluator is None:
        return error
    request = (case / "request.json").read_bytes().decode("utf-8")
    try:
        return evaluator.evaluate_json(request)
    except aspekt.RequestError as e:
        return e.json


def test_the_corpus_is_there():
    assert len(CASES) >= 20


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_gives_identical_bytes(case: Path):
    expected = (case / "expected.json").read_bytes().decode("utf-8")
    assert evaluate_case(case) + "\n" == expected


def as_kwargs(request: str) -> Optional[Dict[str, Any]]:
    """The request as keyword arguments of Evaluator.evaluate, when it has
    the request's shape (so that the keyword path can be compared too)."""
    def no_duplicates(pairs):
        keys = [k for k, _ in pairs]
        if len(set(keys)) != len(keys):
            raise ValueError("a key twice: a dict cannot say that")
        return dict(pairs)

    try:
        r = json.loads(request, object_pairs_hook=no_duplicates)
    except ValueError:
        return None
    if not isinstance(r, dict) or not set(r) <= REQUEST_KEYS:
        return None
    if not isinstance(r.get("answers", {}), dict) or not isinstance(r.get("declined", []), list):
        return None
    consent = r.get("consent")
    if consent is not None and not (isinstance(consent, dict) and set(consent) == {"notice"}):
        return None
    return dict(
        answers=r.get("answers", {}),
        declined=r.get("declined", []),
        locale=r.get("locale"),
        audience=r.get("audience", "participant"),
        consent=None if consent is None else consent["notice"],
    )


KEYWORD_CASES = [
    c
    for c in CASES
    if as_kwargs((c / "request.json").read_text(encoding="utf-8")) is not None
    and evaluator_or_error(c)[0] is not None
]
REPORT_CASES = [
    c for c in CASES if not (c / "expected.json").read_text(encoding="utf-8").startswith('{"error"')
]


def test_most_cases_run_through_keywords_too():
    assert len(KEYWORD_CASES) >= len(CASES) - 6
    assert len(REPORT_CASES) >= 12


@pytest.mark.parametrize("case", KEYWORD_CASES, ids=[c.name for c in KEYWORD_CASES])
def test_keyword_evaluate_gives_identical_bytes(case: Path):
    """Evaluator.evaluate(answers, ...) gives the same bytes as the JSON
    request, for every case whose request has the request's shape (a JSON
    request that is malformed, has unknown keys or names an item twice
    cannot be spelled as keyword arguments)."""
    evaluator, _ = evaluator_or_error(case)
    kwargs = as_kwargs((case / "request.json").read_text(encoding="utf-8"))
    assert evaluator is not None and kwargs is not None
    expected = (case / "expected.json").read_text(encoding="utf-8")
    try:
        out = evaluator.evaluate(**kwargs).to_json()
    except aspekt.RequestError as e:
        out = e.json
    assert out + "\n" == expected


@pytest.mark.parametrize("case", REPORT_CASES, ids=[c.name for c in REPORT_CASES])
def test_pretty_json_is_the_cli_layout(case: Path):
    """to_json(pretty=True) is serde_json's pretty layout (what `aspekt
    evaluate` prints): two-space indent, `": "`, non-ASCII unescaped — the
    same text json.dumps(indent=2) gives for these values."""
    expected = (case / "expected.json").read_text(encoding="utf-8")
    evaluator, _ = evaluator_or_error(case)
    report = aspekt.Report(expected.rstrip("\n"), evaluator)
    pretty = report.to_json(pretty=True)
    assert pretty == json.dumps(json.loads(expected), indent=2, ensure_ascii=False)
    assert json.loads(pretty) == report.to_dict()
