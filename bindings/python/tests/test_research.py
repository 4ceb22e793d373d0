"""aspekt.research.reliability, verified against pingouin's cronbach_alpha
on the same data (tolerance 1e-9)."""

from __future__ import annotations

import numpy as np
import pytest

import aspekt
from aspekt import research

from conftest import CONSENT

pd = pytest.importorskip("pandas")
pg = pytest.importorskip("pingouin")
scipy_stats = pytest.importorskip("scipy.stats")

TOL = 1e-9


def synthetic(ev: aspekt.Evaluator, n: int, missing: float, seed: int) -> "pd.DataFrame":
    """Codes driven by one latent trait per topic; reverse-keyed items run
    against it. About `missing` of the cells are blank."""
    rng = np.random.default_rng(seed)
    d = ev.definition()
    scales = {s["id"]: sorted(o["code"] for o in s["options"]) for s in d["scale"]}
    latent = {}
    data = {}
    for it in d["item"]:
        topic = it.get("topic") or d["questionnaire"]["id"]
        z = latent.setdefault(topic, rng.normal(0, 1, n))
        codes = scales[it["scale"]]
        lo, hi = codes[0], codes[-1]
        x = (-z if it.get("reverse") else z) + rng.normal(0, 0.9, n)
        v = np.clip(np.round((lo + hi) / 2 + x * (hi - lo) / 4), lo, hi)
        v[rng.random(n) < missing] = np.nan
        data[it["id"]] = v
    return pd.DataFrame(data)


def keyed(ev: aspekt.Evaluator, df: "pd.DataFrame", score: str) -> "pd.DataFrame":
    """The score's items keyed and weighted, written out independently."""
    d = ev.definition()
    s = next(x for x in d["score"] if x["id"] == score)
    items = {it["id"]: it for it in d["item"]}
    scales = {sc["id"]: [o["code"] for o in sc["options"]] for sc in d["scale"]}
    out = {}
    for i in s["items"]:
        codes = scales[items[i]["scale"]]
        col = df[i]
        if items[i].get("reverse"):
            col = min(codes) + max(codes) - col
        out[i] = col * (items[i].get("weight") or 1.0)
    return pd.DataFrame(out)


def assert_matches_pingouin(rel: research.ScoreReliability, data: "pd.DataFrame", **kw):
    alpha, ci = pg.cronbach_alpha(data=data, **kw)
    assert abs(rel.alpha - alpha) <= TOL
    # pingouin rounds its interval to 3 decimals.
    assert np.allclose(np.round(rel.ci, 3), ci, rtol=0, atol=TOL)
    lo, hi = research.feldt_ci(alpha, rel.n, rel.k)
    assert abs(rel.ci[0] - lo) <= TOL and abs(rel.ci[1] - hi) <= TOL
    for item in rel.items:
        without, _ = pg.cronbach_alpha(data=data.drop(columns=[item]), **kw)
        assert abs(rel.alpha_if_deleted[item] - without) <= TOL


def test_complete_data_matches_pingouin(study):
    df = synthetic(study, 400, 0.0, seed=1)
    rel = research.reliability(study, df, consent=CONSENT)
    assert list(rel) == ["team", "focus"]
    assert rel.skipped == {"extra": "computed by a rule: no declared composite of items"}
    for score, r in rel.items():
        data = keyed(study, df, score)
        assert r.n == 400 and r.k == data.shape[1]
        assert_matches_pingouin(r, data)
        for item in r.items:
            rest = data.drop(columns=[item]).sum(axis=1)
            assert abs(r.item_rest[item] - np.corrcoef(data[item], rest)[0, 1]) <= TOL
    assert 0.5 < rel["team"].alpha < 1
    table = rel.to_frame()
    assert list(table.index) == ["team", "focus"]
    assert tuple(rel["focus"].table().index) == rel["focus"].items


def test_library_instrument_with_reverse_keying(brs):
    df = synthetic(brs, 300, 0.0, seed=2)
    rel = research.reliability(brs, df, consent=CONSENT)
    (score,) = rel
    assert_matches_pingouin(rel[score], keyed(brs, df, score))
    # Unkeyed, alpha would be poor: the keying matters.
    raw_alpha, _ = pg.cronbach_alpha(data=df[list(rel[score].items)])
    assert rel[score].alpha > raw_alpha + 0.3


def test_listwise(study):
    df = synthetic(study, 500, 0.06, seed=3)
    rel = research.reliability(study, df, consent=CONSENT, missing="listwise")
    for score, r in rel.items():
        data = keyed(study, df, score)
        complete = data.dropna()
        assert r.n == len(complete) < 500
        assert_matches_pingouin(r, complete)
        alpha, _ = pg.cronbach_alpha(data=data, nan_policy="listwise")
        assert abs(r.alpha - alpha) <= TOL


def test_pairwise(study):
    df = synthetic(study, 500, 0.08, seed=4)
    rel = research.reliability(study, df, consent=CONSENT, missing="pairwise")
    for score, r in rel.items():
        data = keyed(study, df, score)
        assert r.n == 500
        assert_matches_pingouin(r, data, nan_policy="pairwise")


def test_rule_filters_rows_like_the_engine_and_fills_in_person_means(study):
    df = synthetic(study, 600, 0.15, seed=5)
    rel = research.reliability(study, df, consent=CONSENT, missing="rule")
    out = study.evaluate_frame(df, consent=CONSENT)
    rules = {"team": 4, "focus": 3}  # team: max_missing 2 of 6; focus: min_answered 3
    d = study.definition()
    weights = {it["id"]: (it.get("weight") or 1.0) for it in d["item"]}
    for score, r in rel.items():
        data = keyed(study, df, score)
        # The rows used are exactly the rows the engine scores.
        scored = (out[f"{score}_status"] == "ok").to_numpy()
        answered = data.notna().sum(axis=1).to_numpy()
        assert np.array_equal(scored, answered >= rules[score])
        assert r.n == int(scored.sum())
        # Fill in each gap with the person's weighted mean of keyed answers.
        w = np.array([weights[i] for i in data.columns])
        rows = data[scored]
        unweighted = rows / w
        mean = (rows.sum(axis=1) / (rows.notna() * w).sum(axis=1)).to_numpy()
        filled = unweighted.apply(lambda col: col.fillna(pd.Series(mean, index=rows.index))) * w
        assert_matches_pingouin(r, filled)


def test_declined_rows_are_left_out(study):
    df = synthetic(study, 200, 0.0, seed=6)
    flags = np.zeros(200, dtype=bool)
    flags[:50] = True
    focus_items = [f"f{i}" for i in range(1, 6)]
    df.loc[flags, focus_items] = np.nan
    rel = research.reliability(study, df, consent=CONSENT, declined={"focus": flags})
    assert rel["focus"].n == 150
    assert_matches_pingouin(rel["focus"], keyed(study, df, "focus")[~flags])
    assert rel["team"].n == 200


def test_scores_without_their_items_are_skipped(study):
    df = synthetic(study, 100, 0.0, seed=7).drop(columns=["t1"])
    rel = research.reliability(study, df, consent=CONSENT)
    assert "team" not in rel and "t1" in rel.skipped["team"]


def test_other_frame_kinds(study):
    pl = pytest.importorskip("polars")
    pa = pytest.importorskip("pyarrow")
    df = synthetic(study, 150, 0.05, seed=8)
    want = research.reliability(study, df, consent=CONSENT)
    for other in (pl.from_pandas(df), pa.Table.from_pandas(df), df.to_numpy()):
        got = research.reliability(study, other, consent=CONSENT)
        for s in want:
            assert abs(got[s].alpha - want[s].alpha) <= TOL
            assert got[s].n == want[s].n


def test_errors(study):
    df = synthetic(study, 50, 0.0, seed=9)
    with pytest.raises(aspekt.ConsentError):
        research.reliability(study, df)
    with pytest.raises(ValueError):
        research.reliability(study, df, consent=CONSENT, missing="mean")
    df.loc[3, "t1"] = 7
    with pytest.raises(aspekt.RequestError) as info:
        research.reliability(study, df, consent=CONSENT)
    assert [r.row for r in info.value.rows] == [3]


def test_cronbach_alpha_formula():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 4)) + rng.normal(size=(50, 1))
    alpha, _ = pg.cronbach_alpha(data=pd.DataFrame(x))
    assert abs(research.cronbach_alpha(np.cov(x, rowvar=False)) - alpha) <= TOL
