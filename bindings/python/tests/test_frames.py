"""evaluate_frame on every frame kind, with missing values: the same
results as evaluating each row on its own, in the same kind of frame."""

from __future__ import annotations

import math

import numpy as np
import pytest

import aspekt

from conftest import CONSENT

pd = pytest.importorskip("pandas")
pl = pytest.importorskip("polars")
pa = pytest.importorskip("pyarrow")

# Rows of the study fixture: complete, one missing (prorated), too many
# missing, the rule score insufficient, an empty row.
ROWS = [
    {"t1": 5, "t2": 1, "t3": 5, "t4": 4, "t5": 2, "t6": 5, "f1": 4, "f2": 4, "f3": 5, "f4": 2, "f5": 4, "e1": 5, "e2": 2},
    {"t1": 2, "t2": None, "t3": 1, "t4": 2, "t5": 4, "t6": 1, "f1": 3, "f2": None, "f3": 3, "f4": None, "f5": 3, "e1": 3, "e2": 3},
    {"t1": 3, "t2": None, "t3": None, "t4": None, "t5": 3, "t6": 3, "f1": None, "f2": None, "f3": 2, "f4": 5, "f5": None, "e1": 1, "e2": None},
    {t: None for t in ["t1", "t2", "t3", "t4", "t5", "t6", "f1", "f2", "f3", "f4", "f5", "e1", "e2"]},
]
ITEMS = list(ROWS[0])


def expected(ev, rows, audience="participant", declined=None):
    """Per row and result: (status, band id, band index) from evaluate()."""
    out = []
    for i, row in enumerate(rows):
        topics = [t for t, flags in (declined or {}).items() if flags[i]]
        answers = {k: v for k, v in row.items() if v is not None}
        r = ev.evaluate(answers, declined=topics, consent=CONSENT, audience=audience)
        out.append({e.id: (e.status, e.band.id if e.band else None, e.band.index if e.band else None) for e in r.results})
    return out


def as_tuples_pandas(out, results):
    rows = []
    for i in range(len(out)):
        row = {}
        for r in results:
            s = out[f"{r}_status"].iloc[i]
            b = out[f"{r}_band"].iloc[i]
            x = out[f"{r}_band_index"].iloc[i]
            row[r] = (s, None if pd.isna(b) else b, None if pd.isna(x) else int(x))
        rows.append(row)
    return rows


def as_tuples_records(records, results):
    return [
        {r: (rec[f"{r}_status"], rec[f"{r}_band"], rec[f"{r}_band_index"]) for r in results}
        for rec in records
    ]


def float_frame():
    return pd.DataFrame(ROWS, dtype="float64")


def test_pandas_float_with_nan(study):
    df = float_frame()
    df.index = ["a", "b", "c", "d"]
    df["participant"] = [10, 11, 12, 13]  # not an item: ignored
    out = study.evaluate_frame(df, consent=CONSENT)
    assert list(out.index) == ["a", "b", "c", "d"]
    assert list(out.columns) == [
        f"{r}_{c}" for r in study.results for c in ("status", "band", "band_index")
    ]
    assert str(out["team_status"].dtype) == "category"
    assert list(out["team_status"].cat.categories) == list(aspekt.STATUSES)
    assert list(out["focus_band"].cat.categories) == ["low", "middle", "high"]
    assert str(out["team_band_index"].dtype) == "Int16"
    assert as_tuples_pandas(out, study.results) == expected(study, ROWS)


def test_pandas_nullable_and_object_columns(study):
    want = expected(study, ROWS)
    nullable = pd.DataFrame(ROWS).astype("Int64")
    assert as_tuples_pandas(study.evaluate_frame(nullable, consent=CONSENT), study.results) == want
    obj = pd.DataFrame(ROWS, dtype=object)
    assert as_tuples_pandas(study.evaluate_frame(obj, consent=CONSENT), study.results) == want
    small = pd.DataFrame(ROWS).astype("Int8")
    assert as_tuples_pandas(study.evaluate_frame(small, consent=CONSENT), study.results) == want
    arrow_backed = pd.DataFrame(ROWS).astype("int64[pyarrow]")
    assert as_tuples_pandas(study.evaluate_frame(arrow_backed, consent=CONSENT), study.results) == want


def test_pandas_integer_columns(who5):
    df = pd.DataFrame({f"q{i}": [5, 0, 3] for i in range(1, 6)})
    out = who5.evaluate_frame(df, consent=CONSENT)
    assert list(out["wellbeing_band"]) == ["good", "low", "good"]
    assert list(out["wellbeing_band_index"]) == [2, 0, 2]


def test_polars_with_nulls(study):
    df = pl.DataFrame(ROWS, schema={k: pl.Int64 for k in ITEMS})
    out = study.evaluate_frame(df, consent=CONSENT)
    assert isinstance(out, pl.DataFrame)
    assert out.schema["team_status"] == pl.Enum(list(aspekt.STATUSES))
    assert out.schema["focus_band"] == pl.Enum(["low", "middle", "high"])
    assert out.schema["team_band_index"] == pl.Int16
    assert as_tuples_records(out.to_dicts(), study.results) == expected(study, ROWS)
    # Floats with NaN and nulls, and small integer types.
    floats = pl.DataFrame(ROWS, schema={k: pl.Float64 for k in ITEMS}).with_columns(
        pl.col("t2").fill_null(float("nan"))
    )
    assert as_tuples_records(study.evaluate_frame(floats, consent=CONSENT).to_dicts(), study.results) == expected(study, ROWS)
    small = pl.DataFrame(ROWS, schema={k: pl.UInt8 for k in ITEMS})
    assert as_tuples_records(study.evaluate_frame(small, consent=CONSENT).to_dicts(), study.results) == expected(study, ROWS)


def test_polars_lazy_frame_is_refused(study):
    with pytest.raises(TypeError, match="collect"):
        study.evaluate_frame(pl.DataFrame(ROWS).lazy(), consent=CONSENT)


def test_arrow_table_and_batch_with_nulls(study):
    table = pa.Table.from_pylist(ROWS)
    assert table.column("t2").null_count == 3
    out = study.evaluate_frame(table, consent=CONSENT)
    assert isinstance(out, pa.Table)
    assert out.schema.field("team_status").type == pa.dictionary(pa.int8(), pa.string())
    assert out.schema.field("team_band_index").type == pa.int16()
    assert as_tuples_records(out.to_pylist(), study.results) == expected(study, ROWS)
    batch = table.to_batches()[0]
    out_b = study.evaluate_frame(batch, consent=CONSENT)
    assert isinstance(out_b, pa.RecordBatch)
    assert out_b.to_pylist() == out.to_pylist()


def test_arrow_chunked_and_typed(study):
    t1 = pa.Table.from_pylist(ROWS[:2])
    t2 = pa.Table.from_pylist(ROWS[2:], schema=t1.schema)
    chunked = pa.concat_tables([t1, t2])
    assert chunked.column("t1").num_chunks == 2
    want = expected(study, ROWS)
    assert as_tuples_records(study.evaluate_frame(chunked, consent=CONSENT).to_pylist(), study.results) == want
    for t in (pa.int8(), pa.uint16(), pa.uint64(), pa.float32(), pa.float64()):
        typed = chunked.cast(pa.schema([(n, t) for n in chunked.schema.names]))
        assert as_tuples_records(study.evaluate_frame(typed, consent=CONSENT).to_pylist(), study.results) == want


def test_numpy_float_and_int_arrays(study):
    x = np.array([[math.nan if r[k] is None else r[k] for k in ITEMS] for r in ROWS])
    want = expected(study, ROWS)
    out = study.evaluate_frame(x, consent=CONSENT)
    assert out.dtype.names[:3] == ("team_status", "team_band", "team_band_index")
    got = [
        {r: (str(rec[f"{r}_status"]), str(rec[f"{r}_band"]) or None, None if rec[f"{r}_band_index"] < 0 else int(rec[f"{r}_band_index"])) for r in study.results}
        for rec in out
    ]
    assert got == want
    codes = np.where(np.isnan(x), aspekt.MISSING, x).astype(np.int32)
    assert np.array_equal(study.evaluate_frame(codes, consent=CONSENT), out)
    assert np.array_equal(study.evaluate_frame(codes.astype(np.int64), consent=CONSENT), out)
    assert np.array_equal(study.evaluate_frame(np.asfortranarray(x), consent=CONSENT), out)


def test_numpy_columns_name_the_array_columns(study):
    x = np.array([[5, 2], [1, 1]], dtype=np.int16)
    out = study.evaluate_frame(x, columns=["e1", "e2"], consent=CONSENT)
    assert list(out["extra_band"]) == ["mornings", "even"]
    assert list(out["team_status"]) == ["insufficient", "insufficient"]


def test_column_mapping(who5):
    df = pd.DataFrame({f"WHO_{i}": [3.0, 1.0] for i in range(1, 6)})
    mapping = {f"WHO_{i}": f"q{i}" for i in range(1, 6)}
    out = who5.evaluate_frame(df, columns=mapping, consent=CONSENT)
    assert list(out["wellbeing_band"]) == ["good", "low"]


def test_declined_flags(study):
    df = float_frame()
    flags = [False, True, False, True]
    df["skipped_focus"] = flags
    # A declined topic must carry no answers: blank them where declined.
    df.loc[df["skipped_focus"], ["f1", "f2", "f3", "f4", "f5"]] = np.nan
    rows = df[ITEMS].astype(object).where(df[ITEMS].notna(), None).to_dict("records")
    want = expected(study, rows, declined={"focus": flags})
    out = study.evaluate_frame(df, consent=CONSENT, declined={"focus": "skipped_focus"})
    assert as_tuples_pandas(out, study.results) == want
    assert list(out["focus_status"])[1] == "declined"
    out2 = study.evaluate_frame(df, consent=CONSENT, declined={"focus": np.array(flags)})
    assert out2.equals(out)
    pout = study.evaluate_frame(pl.from_pandas(df), consent=CONSENT, declined={"focus": "skipped_focus"})
    assert as_tuples_records(pout.to_dicts(), study.results) == want
    aout = study.evaluate_frame(pa.Table.from_pandas(df, preserve_index=False), consent=CONSENT, declined={"focus": "skipped_focus"})
    assert as_tuples_records(aout.to_pylist(), study.results) == want


def test_audience_picks_results(study):
    out = study.evaluate_frame(float_frame(), consent=CONSENT, audience="agency")
    assert list(out.columns) == ["team_status", "team_band", "team_band_index"]
    assert as_tuples_pandas(out, ["team"]) == expected(study, ROWS, audience="agency")


def test_values_that_are_not_codes_are_row_errors(who5):
    for bad in (3.5, 1e12, -1e12, float("inf"), 2**31, -(2**31) + 0.5):
        df = pd.DataFrame({f"q{i}": [3.0, 3.0] for i in range(1, 6)})
        df.loc[1, "q3"] = bad
        with pytest.raises(aspekt.RequestError) as info:
            who5.evaluate_frame(df, consent=CONSENT)
        assert [(r.row, r.code, r.path) for r in info.value.rows] == [(1, "invalid_code", "answers.q3")], bad
    big = pd.DataFrame({f"q{i}": np.array([3, 2**40], dtype=np.int64) for i in range(1, 6)})
    with pytest.raises(aspekt.RequestError):
        who5.evaluate_frame(big, consent=CONSENT)
    ubig = pa.table({f"q{i}": pa.array([3, 2**63], type=pa.uint64()) for i in range(1, 6)})
    with pytest.raises(aspekt.RequestError):
        who5.evaluate_frame(ubig, consent=CONSENT)


def test_empty_frames_keep_their_types(who5):
    df = pd.DataFrame({f"q{i}": pd.Series([], dtype="float64") for i in range(1, 6)})
    out = who5.evaluate_frame(df, consent=CONSENT)
    assert len(out) == 0 and str(out["wellbeing_status"].dtype) == "category"
    assert len(who5.evaluate_frame(pl.from_pandas(df), consent=CONSENT)) == 0
    assert who5.evaluate_frame(pa.Table.from_pandas(df), consent=CONSENT).num_rows == 0
    assert len(who5.evaluate_frame(np.zeros((0, 5)), consent=CONSENT)) == 0


def test_threads_and_large_frames_agree(who5):
    rng = np.random.default_rng(1)
    x = rng.integers(0, 6, size=(20_000, 5)).astype(float)
    x[rng.random(x.shape) < 0.05] = np.nan
    df = pd.DataFrame(x, columns=who5.items)
    one = who5.evaluate_frame(df, consent=CONSENT, threads=1)
    many = who5.evaluate_frame(df, consent=CONSENT, threads=4)
    assert one.equals(many)
    b = who5.evaluate_codes(np.where(np.isnan(x), aspekt.MISSING, x).astype(np.int32), who5.items, consent=CONSENT)
    assert b.rows == 20_000 and b.results == ["wellbeing"]
    assert np.array_equal(b.band[:, 0], one["wellbeing_band_index"].fillna(-1).to_numpy())
    assert np.array_equal(b.status[:, 0], one["wellbeing_status"].cat.codes.to_numpy())


def test_selection_results_in_frames():
    competences = aspekt.load("competences")
    items = competences.items
    df = pd.DataFrame([{i: 3 for i in items}, {i: 0 for i in items}], dtype=float)
    out = competences.evaluate_frame(df, consent=CONSENT)
    for r in competences.results:
        rows = [{k: (None if math.isnan(v) else int(v)) for k, v in row.items()} for row in df.to_dict("records")]
        want = [e[r] for e in expected(competences, rows)]
        assert as_tuples_pandas(out, [r]) == [{r: w} for w in want]


def test_plain_string_columns(study):
    want = expected(study, ROWS)
    out = study.evaluate_frame(float_frame(), consent=CONSENT, categorical=False)
    assert out["team_status"].dtype == object or str(out["team_status"].dtype).startswith("str")
    assert as_tuples_pandas(out, study.results) == want
    pout = study.evaluate_frame(pl.DataFrame(ROWS), consent=CONSENT, categorical=False)
    assert pout.schema["team_status"] == pl.String and pout.schema["team_band"] == pl.String
    assert as_tuples_records(pout.to_dicts(), study.results) == want
    batch = pa.Table.from_pylist(ROWS).to_batches()[0]
    aout = study.evaluate_frame(batch, consent=CONSENT, categorical=False)
    # What Spark's mapInArrow expects for a "string, string, smallint" schema.
    assert aout.schema.field("team_status").type == pa.string()
    assert aout.schema.field("team_band").type == pa.string()
    assert aout.schema.field("team_band_index").type == pa.int16()
    assert as_tuples_records(aout.to_pylist(), study.results) == want
