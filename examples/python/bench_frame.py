"""Benchmark: scoring 1,000,000 response sets of a 60-item definition.

Compares, on the same synthetic data (engine/benches/fixtures/bench60.toml:
60 items in 6 topics, 5-point scale, two reverse-keyed items per topic,
three prorated sums with at most 2 missing, three means with at least 8
answered, one transformed to 0-100 and rounded; 6 results with 3 bands):

1. ``Evaluator.evaluate_frame`` on a pandas DataFrame (and on a pyarrow
   Table and a polars DataFrame);
2. a vectorized numpy implementation of the same scoring, missing-data
   rules included — written for this benchmark, and checked to agree with
   aspekt on every row;
3. a pandas row-wise ``apply`` of the same scoring in plain Python, timed on
   a smaller sample and extrapolated.

    python examples/python/bench_frame.py            # 1,000,000 rows
    python examples/python/bench_frame.py --rows 100000 --apply-rows 5000

The data is synthetic and made up: nothing here describes anyone.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

import aspekt

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "engine" / "benches" / "fixtures" / "bench60.toml"
MISSING_RATE = 0.03


def synthetic(ev: aspekt.Evaluator, rows: int, seed: int = 7) -> pd.DataFrame:
    """Codes 1-5 driven by one latent trait per topic, about 3 % missing."""
    rng = np.random.default_rng(seed)
    items = ev.items
    topic_of = {it["id"]: it.get("topic") for it in ev.definition()["item"]}
    topics = sorted({t for t in topic_of.values()})
    latent = {t: rng.normal(0, 1, rows) for t in topics}
    data = {}
    for it in items:
        x = latent[topic_of[it]] + rng.normal(0, 1, rows)
        codes = np.clip(np.round(3 + x), 1, 5)
        codes[rng.random(rows) < MISSING_RATE] = np.nan
        data[it] = codes
    return pd.DataFrame(data)


class NumpyScorer:
    """The definition's declarative scoring, vectorized with numpy."""

    def __init__(self, ev: aspekt.Evaluator) -> None:
        d = ev.definition()
        self.items = [it["id"] for it in d["item"]]
        col = {it: j for j, it in enumerate(self.items)}
        item = {it["id"]: it for it in d["item"]}
        scales = {s["id"]: [o["code"] for o in s["options"]] for s in d["scale"]}
        self.scores = []
        for s in d["score"]:
            ids = s["items"]
            codes = [scales[item[i]["scale"]] for i in ids]
            n = len(ids)
            miss = s.get("missing") or {}
            if "min_answered" in miss:
                min_answered = miss["min_answered"]
            elif "max_missing" in miss:
                min_answered = n - miss["max_missing"]
            else:
                min_answered = n
            t = s.get("transform") or {}
            self.scores.append(
                dict(
                    id=s["id"],
                    cols=[col[i] for i in ids],
                    reverse=np.array([item[i].get("reverse", False) for i in ids]),
                    base=np.array([min(c) + max(c) for c in codes], dtype=float),
                    weight=np.array([item[i].get("weight", 1.0) for i in ids], dtype=float),
                    aggregate=s["aggregate"],
                    min_answered=min_answered,
                    prorate=miss.get("prorate", False),
                    multiply=t.get("multiply", 1.0),
                    add=t.get("add", 0.0),
                    round=s.get("round"),
                )
            )
        self.results = []
        for r in d["result"]:
            bands = r["band"]
            self.results.append(
                dict(
                    id=r["id"],
                    score=[s["id"] for s in d["score"]].index(r["score"]),
                    mins=np.array([b["min"] for b in bands], dtype=float),
                    maxs=np.array([b["max"] for b in bands], dtype=float),
                )
            )

    def score(self, x: np.ndarray):
        """``x``: rows × items float array with NaN for missing. Returns
        per result (status codes, band indices) like the engine's batch."""
        values = []
        for s in self.scores:
            a = x[:, s["cols"]]
            answered = ~np.isnan(a)
            keyed = np.where(s["reverse"], s["base"] - a, a) * s["weight"]
            total = np.where(answered, keyed, 0.0)
            # The engine adds term by term, in item order: so does this.
            acc = np.zeros(len(x))
            for j in range(total.shape[1]):
                acc = acc + total[:, j]
            n = answered.sum(axis=1)
            w = (answered * s["weight"]).sum(axis=1)
            w_total = s["weight"].sum()
            with np.errstate(invalid="ignore", divide="ignore"):
                if s["aggregate"] == "sum":
                    all_in = n == len(s["cols"])
                    base = acc if not s["prorate"] else np.where(all_in, acc, acc / w * w_total)
                else:
                    base = acc / w
            v = base * s["multiply"] + s["add"]
            if s["round"] is not None:
                f = 10.0 ** s["round"]
                v = np.sign(v) * np.floor(np.abs(v * f) + 0.5) / f  # half away from zero
            ok = (n >= s["min_answered"]) & (n > 0)
            values.append((v, ok))
        out = []
        for r in self.results:
            v, ok = values[r["score"]]
            inside = (r["mins"][None, :] <= v[:, None]) & (v[:, None] <= r["maxs"][None, :])
            band = np.where(ok, inside.argmax(axis=1), -1).astype(np.int16)
            status = np.where(ok, 0, 2).astype(np.uint8)
            out.append((status, band))
        return out


def score_row(row: pd.Series, scorer: NumpyScorer) -> tuple:
    """The same scoring for one row, in plain Python (for pandas.apply)."""
    out = []
    vals = row.to_numpy()
    for r in scorer.results:
        s = scorer.scores[r["score"]]
        acc, n, w = 0.0, 0, 0.0
        for k, j in enumerate(s["cols"]):
            c = vals[j]
            if c == c:  # not NaN
                keyed = s["base"][k] - c if s["reverse"][k] else c
                acc += s["weight"][k] * keyed
                n += 1
                w += s["weight"][k]
        if n < s["min_answered"] or n == 0:
            out.append(None)
            continue
        if s["aggregate"] == "sum":
            base = acc if (n == len(s["cols"]) or not s["prorate"]) else acc / w * s["weight"].sum()
        else:
            base = acc / w
        v = base * s["multiply"] + s["add"]
        if s["round"] is not None:
            f = 10.0 ** s["round"]
            v = (1 if v >= 0 else -1) * np.floor(abs(v * f) + 0.5) / f
        band = next(i for i, (lo, hi) in enumerate(zip(r["mins"], r["maxs"])) if lo <= v <= hi)
        out.append(band)
    return tuple(out)


def timed(label: str, f, repeat: int = 1):
    best = float("inf")
    result = None
    for _ in range(repeat):
        t = time.perf_counter()
        result = f()
        best = min(best, time.perf_counter() - t)
    print(f"{label:<58} {best:8.3f} s")
    return result, best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--apply-rows", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0, help="engine threads, 0 = one per core")
    args = ap.parse_args()

    ev = aspekt.compile(FIXTURE)
    consent = ev.privacy_notice
    print(f"definition: {ev.id} ({len(ev.items)} items, {len(ev.results)} results); "
          f"rows: {args.rows:,}; cores: {os.cpu_count()}; aspekt {aspekt.__version__}")
    df = synthetic(ev, args.rows)
    print(f"missing cells: {df.isna().to_numpy().mean():.1%}\n")

    out, t_frame = timed(
        "aspekt evaluate_frame (pandas in, pandas out)",
        lambda: ev.evaluate_frame(df, consent=consent, threads=args.threads),
        args.repeat,
    )
    x = df.to_numpy(dtype=np.float64)
    codes = np.where(np.isnan(x), aspekt.MISSING, x).astype(np.int32)
    batch, t_codes = timed(
        "aspekt evaluate_codes (int32 matrix in, arrays out)",
        lambda: ev.evaluate_codes(codes, ev.items, consent=consent, threads=args.threads),
        args.repeat,
    )
    try:
        import pyarrow as pa

        table = pa.Table.from_pandas(df, preserve_index=False)
        timed("aspekt evaluate_frame (pyarrow Table)",
              lambda: ev.evaluate_frame(table, consent=consent, threads=args.threads), args.repeat)
    except ImportError:
        pass
    try:
        import polars as pl

        pdf = pl.from_pandas(df)
        timed("aspekt evaluate_frame (polars DataFrame)",
              lambda: ev.evaluate_frame(pdf, consent=consent, threads=args.threads), args.repeat)
    except ImportError:
        pass
    if args.threads == 0:
        timed("aspekt evaluate_codes, 1 thread",
              lambda: ev.evaluate_codes(codes, ev.items, consent=consent, threads=1), args.repeat)

    scorer = NumpyScorer(ev)
    vec, t_numpy = timed("numpy, vectorized (same scoring)", lambda: scorer.score(x), args.repeat)
    for j, (status, band) in enumerate(vec):
        assert np.array_equal(status, batch.status[:, j]), f"status differs: {ev.results[j]}"
        assert np.array_equal(band, batch.band[:, j]), f"band differs: {ev.results[j]}"
    print(f"{'':<58} (agrees with aspekt on all {args.rows:,} rows)")

    sample = df.iloc[: args.apply_rows]
    applied, t_apply = timed(
        f"pandas row-wise apply, {args.apply_rows:,} rows",
        lambda: sample.apply(score_row, axis=1, args=(scorer,)),
    )
    for i, bands in enumerate(applied.iloc[:1000]):
        expect = tuple(None if b < 0 else int(b) for b in batch.band[i])
        assert bands == expect, f"apply differs at row {i}"
    t_apply_full = t_apply * args.rows / args.apply_rows
    print(f"{'pandas row-wise apply, extrapolated to ' + format(args.rows, ','):<58} {t_apply_full:8.1f} s")

    n_ok = int((out[f"{ev.results[0]}_status"] == "ok").sum())
    print(f"\n{ev.results[0]}: {n_ok:,} of {args.rows:,} scored; "
          f"evaluate_frame is {t_numpy / t_frame:.2f}× the speed of numpy, "
          f"{t_apply_full / t_frame:.0f}× that of pandas apply")


if __name__ == "__main__":
    main()
