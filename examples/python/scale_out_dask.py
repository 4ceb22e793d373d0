"""Scoring a large study on a Dask cluster with evaluate_frame.

evaluate_frame is a partition function: Dask hands it pandas partitions,
Spark's mapInArrow and Ray's map_batches hand it Arrow record batches, and
it returns the same kind of frame. Evaluators pickle by their source, so
workers in other processes compile the same definition (checked by digest).

    pip install ./bindings/python "dask[dataframe]" distributed
    python examples/python/scale_out_dask.py --rows 200000

The data is synthetic. Real study data may be scored only when it was
collected with consent to the definition's privacy notice; consent="2026-11"
attests that for the whole data set.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

import aspekt

CONSENT = "2026-11"


def synthetic(ev: aspekt.Evaluator, n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    codes = {o["code"] for t in ev.form()["topics"] for i in t["items"] for o in i["options"]}
    x = rng.choice(sorted(codes), size=(n, len(ev.items))).astype(float)
    x[rng.random(x.shape) < 0.03] = np.nan
    df = pd.DataFrame(x, columns=ev.items)
    df.insert(0, "participant", np.arange(n))
    return df


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--partitions", type=int, default=8)
    args = ap.parse_args()

    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    who5 = aspekt.load("who5")
    df = synthetic(who5, args.rows)

    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster, Client(cluster):
        ddf = dd.from_pandas(df, npartitions=args.partitions)
        # The output's types: evaluate the (empty) meta partition.
        meta = who5.evaluate_frame(ddf._meta, consent=CONSENT)
        scored = ddf.map_partitions(who5.evaluate_frame, consent=CONSENT, meta=meta)
        t = time.perf_counter()
        counts = scored["wellbeing_band"].value_counts().compute()
        status = scored["wellbeing_status"].value_counts().compute()
        took = time.perf_counter() - t

    print(f"scored {args.rows:,} rows in {args.partitions} partitions on a local Dask cluster in {took:.2f} s")
    print(counts.reindex(who5.bands()["wellbeing"]).to_string())
    print(status.to_string())

    # The same function on Arrow record batches, as Spark's mapInArrow and
    # Ray's map_batches(batch_format="pyarrow") call it:
    #
    #   def score(batches):
    #       for batch in batches:
    #           yield who5.evaluate_frame(batch, consent=CONSENT, categorical=False)
    #   spark_df.mapInArrow(score, "wellbeing_status string, wellbeing_band string, "
    #                              "wellbeing_band_index smallint")
    #
    #   ray_ds.map_batches(lambda t: who5.evaluate_frame(t, consent=CONSENT),
    #                      batch_format="pyarrow")


if __name__ == "__main__":
    main()
