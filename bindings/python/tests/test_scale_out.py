"""Scale-out: evaluate_frame as a partition function on a local Dask
cluster, and on Arrow record batches as Spark's mapInArrow and Ray's
map_batches hand them over."""

from __future__ import annotations

import numpy as np
import pytest

import aspekt

from conftest import CONSENT

pd = pytest.importorskip("pandas")
pa = pytest.importorskip("pyarrow")


def sample(n: int, seed: int = 0) -> "pd.DataFrame":
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 6, size=(n, 5)).astype(float)
    x[rng.random(x.shape) < 0.03] = np.nan
    df = pd.DataFrame(x, columns=["q1", "q2", "q3", "q4", "q5"])
    df.insert(0, "participant", np.arange(n))
    return df


def test_dask_local_cluster_map_partitions(who5):
    dd = pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("distributed")
    df = sample(40_000)
    expected = who5.evaluate_frame(df, consent=CONSENT)
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster, distributed.Client(cluster):
        ddf = dd.from_pandas(df, npartitions=8)
        # The meta: evaluating the empty partition gives the output's types.
        meta = who5.evaluate_frame(ddf._meta, consent=CONSENT)
        scored = ddf.map_partitions(who5.evaluate_frame, consent=CONSENT, meta=meta)
        got = scored.compute()
        counts = scored["wellbeing_band"].value_counts().compute()
    pd.testing.assert_frame_equal(got.sort_index(), expected)
    assert counts.sum() == int((expected["wellbeing_status"] == "ok").sum())


def test_arrow_record_batches_stream(who5):
    """mapInArrow / map_batches shape: an iterator of record batches in,
    record batches out, each scored on its own."""
    df = sample(10_000, seed=1)
    table = pa.Table.from_pandas(df, preserve_index=False)

    def score(batches):
        for batch in batches:
            yield who5.evaluate_frame(batch, consent=CONSENT)

    out = pa.Table.from_batches(list(score(table.to_batches(max_chunksize=1024))))
    assert out.num_rows == 10_000
    whole = who5.evaluate_frame(table, consent=CONSENT)
    assert out.to_pylist() == whole.to_pylist()


def test_evaluators_pickle_by_source(who5, study):
    import pickle

    for ev in (who5, study):
        again = pickle.loads(pickle.dumps(ev))
        assert again.digest == ev.digest and again is not ev
        answers = {"q1": 3, "q2": 3, "q3": 3, "q4": 3, "q5": 3} if ev.id == "who5" else {"t1": 5}
        assert again.evaluate(answers, consent=CONSENT) == ev.evaluate(answers, consent=CONSENT)


def test_dask_tokenizes_by_digest(who5):
    tokenize = pytest.importorskip("dask.base").tokenize
    assert tokenize(who5) == tokenize(aspekt.load("who5"))
    assert tokenize(who5) != tokenize(aspekt.load("gse"))


def test_dask_across_processes(who5):
    """Workers in other processes get the evaluator by pickle (its source)."""
    dd = pytest.importorskip("dask.dataframe")
    df = sample(4_000, seed=2)
    ddf = dd.from_pandas(df, npartitions=4)
    meta = who5.evaluate_frame(ddf._meta, consent=CONSENT)
    got = ddf.map_partitions(who5.evaluate_frame, consent=CONSENT, meta=meta).compute(
        scheduler="processes", num_workers=2
    )
    pd.testing.assert_frame_equal(got.sort_index(), who5.evaluate_frame(df, consent=CONSENT))
