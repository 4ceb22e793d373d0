"""Property tests: evaluate_frame gives, row for row, what evaluate gives —
for any answers, missing values, declined topics and invalid codes, on
every frame kind."""

from __future__ import annotations

import math
import warnings
from functools import lru_cache
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import aspekt

from conftest import CONSENT, STUDY

pd = pytest.importorskip("pandas")
pl = pytest.importorskip("polars")
pa = pytest.importorskip("pyarrow")

INSTRUMENTS = ["study", "who5", "brs", "gse", "mini-ipip", "work-attitudes", "competences"]
KINDS = ["pandas", "polars", "arrow", "numpy"]


@lru_cache(maxsize=None)
def evaluator(name: str) -> aspekt.Evaluator:
    return aspekt.compile(STUDY) if name == "study" else aspekt.load(name)


@lru_cache(maxsize=None)
def shape(name: str) -> Tuple[List[str], Dict[str, List[int]], Dict[str, List[str]]]:
    """(items, codes per item, items per topic) from the form."""
    form = evaluator(name).form()
    items, codes, topics = [], {}, {}
    for t in form["topics"]:
        topics[t["id"]] = [i["id"] for i in t["items"]]
        for i in t["items"]:
            items.append(i["id"])
            codes[i["id"]] = [o["code"] for o in i["options"]]
    return items, codes, topics


@st.composite
def data_set(draw) -> Tuple[str, List[Dict[str, Optional[int]]], List[List[str]], str, str]:
    name = draw(st.sampled_from(INSTRUMENTS))
    items, codes, topics = shape(name)
    n = draw(st.integers(min_value=1, max_value=12))
    rows, declines = [], []
    missing_rate = draw(st.sampled_from([0.0, 0.1, 0.4, 0.9]))
    for _ in range(n):
        declined = [t for t in topics if len(topics) > 1 and draw(st.booleans()) and draw(st.booleans())]
        row: Dict[str, Optional[int]] = {}
        for item in items:
            in_declined = any(item in topics[t] for t in declined)
            if draw(st.floats(0, 1)) < missing_rate or in_declined:
                row[item] = None
            else:
                row[item] = draw(st.sampled_from(codes[item]))
        # Now and then a row the engine must reject.
        fault = draw(st.sampled_from([None] * 8 + ["code", "declined"]))
        if fault == "code":
            row[draw(st.sampled_from(items))] = 99
        elif fault == "declined" and declined:
            row[topics[declined[0]][0]] = codes[topics[declined[0]][0]][0]
        rows.append(row)
        declines.append(declined)
    audience = draw(st.sampled_from(evaluator(name).audiences))
    kind = draw(st.sampled_from(KINDS))
    return name, rows, declines, audience, kind


def one_by_one(ev, rows, declines, audience):
    """Per row: ("error", code) or {result: (status, band id, band index)}."""
    out = []
    for row, declined in zip(rows, declines):
        try:
            r = ev.evaluate(row, declined=declined, consent=CONSENT, audience=audience)
        except aspekt.RequestError as e:
            out.append(("error", e.code))
            continue
        out.append({e.id: (e.status, e.band.id if e.band else None, e.band.index if e.band else None) for e in r.results})
    return out


def make_frame(kind: str, items: List[str], rows) -> Any:
    x = np.array([[math.nan if r[i] is None else r[i] for i in items] for r in rows], dtype=float)
    if kind == "pandas":
        return pd.DataFrame(x, columns=items)
    if kind == "polars":
        return pl.DataFrame({i: [r[i] for r in rows] for i in items}, schema={i: pl.Int64 for i in items})
    if kind == "arrow":
        return pa.table({i: pa.array([r[i] for r in rows], type=pa.int32()) for i in items})
    return x


def records(kind: str, out: Any, results: List[str]) -> List[Dict[str, tuple]]:
    if kind == "pandas":
        recs = out.astype(object).where(out.notna(), None).to_dict("records")
    elif kind == "polars":
        recs = out.to_dicts()
    elif kind == "arrow":
        recs = out.to_pylist()
    else:
        recs = [
            {k: (rec[k].item() if not isinstance(rec[k], str) else rec[k]) for k in out.dtype.names}
            for rec in out
        ]
        for rec in recs:
            for r in results:
                if rec[f"{r}_band_index"] < 0:
                    rec[f"{r}_band_index"] = None
                    rec[f"{r}_band"] = None
    return [
        {r: (rec[f"{r}_status"], rec[f"{r}_band"], None if rec[f"{r}_band_index"] is None else int(rec[f"{r}_band_index"])) for r in results}
        for rec in recs
    ]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data_set())
def test_evaluate_frame_agrees_with_evaluate(ds):
    name, rows, declines, audience, kind = ds
    ev = evaluator(name)
    items, _, topics = shape(name)
    want = one_by_one(ev, rows, declines, audience)
    frame = make_frame(kind, items, rows)
    declined = {t: np.array([t in d for d in declines]) for t in topics} if any(declines) else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", aspekt.RowErrorWarning)
        out = ev.evaluate_frame(frame, consent=CONSENT, audience=audience, declined=declined, on_error="null")
    results = [r for r in ev.results if f"{r}_status" in (out.dtype.names if kind == "numpy" else out.columns if kind != "arrow" else out.schema.names)]
    got = records(kind, out, results)
    failed = {i for i, w in enumerate(want) if isinstance(w, tuple)}
    for i, (g, w) in enumerate(zip(got, want)):
        if i in failed:
            assert all(v == ("error", None, None) for v in g.values()), (i, g, w)
        else:
            assert g == w, (i, g, w)
    # The row errors carry the codes evaluate raises.
    if failed:
        with pytest.raises(aspekt.RequestError) as info:
            ev.evaluate_frame(frame, consent=CONSENT, audience=audience, declined=declined)
        assert [(r.row, r.code) for r in info.value.rows] == [(i, want[i][1]) for i in sorted(failed)]


@settings(max_examples=60, deadline=None)
@given(data_set())
def test_evaluate_is_deterministic_and_json_stable(ds):
    name, rows, declines, audience, _ = ds
    ev = evaluator(name)
    for row, declined in zip(rows, declines):
        try:
            a = ev.evaluate(row, declined=declined, consent=CONSENT, audience=audience)
        except aspekt.RequestError as e:
            with pytest.raises(aspekt.RequestError) as again:
                ev.evaluate(dict(reversed(list(row.items()))), declined=declined, consent=CONSENT, audience=audience)
            assert again.value.code == e.code
            continue
        b = ev.evaluate(dict(reversed(list(row.items()))), declined=declined, consent=CONSENT, audience=audience)
        assert a.to_json() == b.to_json()
        import json

        request = json.dumps({"answers": row, "declined": declined, "consent": {"notice": CONSENT}, "audience": audience})
        assert ev.evaluate_json(request) == a.to_json()
