"""aspekt — a scoring engine for counselling questionnaires that releases
only results, never answers.

This package is the Rust engine for Python, byte for byte: the same
definitions, the same reports, the same errors as the CLI and the
WebAssembly module. All scoring, validation and rendering happens in the
engine; this package translates Python values to it and back.

Quick start::

    import aspekt

    who5 = aspekt.load("who5")
    report = who5.evaluate({"q1": 4, "q2": 3, "q3": 3, "q4": 2, "q5": 3},
                           consent="2026-11", locale="en")
    report.results[0].band.id          # 'good'
    report.to_json()                   # the engine's JSON, byte for byte

    # Study data collected with consent: a whole frame at once.
    out = who5.evaluate_frame(df, consent="2026-11")

Consent: every library instrument requires consent to privacy notice
"2026-11". Pass ``consent="2026-11"`` to :meth:`Evaluator.evaluate` for a
person who agreed to it, and to :meth:`Evaluator.evaluate_frame` to attest
that the whole data set was collected with that consent.
"""

from __future__ import annotations

from . import _aspekt
from ._aspekt import (
    ENGINE_VERSION,
    MISSING,
    AspektError,
    ConsentError,
    DefinitionError,
    Diagnostic,
    RequestError,
)
from ._core import (
    Band,
    DefinitionRef,
    Evaluator,
    Progress,
    Report,
    ResultEntry,
    Session,
    compile,
    json_schema,
    library,
    load,
)
from ._frame import STATUSES, BatchResult, RowError, RowErrorWarning

__version__: str = _aspekt.__version__

__all__ = [
    "ENGINE_VERSION",
    "MISSING",
    "STATUSES",
    "AspektError",
    "Band",
    "BatchResult",
    "ConsentError",
    "DefinitionError",
    "DefinitionRef",
    "Diagnostic",
    "Evaluator",
    "Progress",
    "Report",
    "RequestError",
    "ResultEntry",
    "RowError",
    "RowErrorWarning",
    "Session",
    "__version__",
    "compile",
    "json_schema",
    "library",
    "load",
]
