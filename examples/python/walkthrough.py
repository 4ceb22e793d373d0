"""A researcher's walkthrough of aspekt in Python.

Load a library instrument, score a synthetic sample, look at the band
distribution, compare bands with an external criterion, check reliability,
and try a rule change before it reaches counselling.

    pip install ./bindings/python pandas scipy matplotlib
    python examples/python/walkthrough.py            # writes examples/python/out/

The sample is synthetic — made-up numbers from a simple latent-trait model.
Nothing here describes anyone, and none of the numbers says anything about
the instrument.

Consent: the library instruments require consent to privacy notice
"2026-11". Real study data may be scored only when it was collected with
that consent; ``consent="2026-11"`` attests it for the whole data set.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display needed

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import aspekt  # noqa: E402
from aspekt import research  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CONSENT = "2026-11"


def heading(text: str) -> None:
    print(f"\n{text}\n{'-' * len(text)}")


def synthetic_sample(ev: aspekt.Evaluator, n: int, seed: int) -> pd.DataFrame:
    """One latent trait per score; each item answers it (reverse-keyed items
    against it) with noise, on the item's scale; 2 % of answers missing.
    A made-up external criterion follows the conscientiousness trait."""
    rng = np.random.default_rng(seed)
    d = ev.definition()
    items = {it["id"]: it for it in d["item"]}
    scales = {s["id"]: sorted(o["code"] for o in s["options"]) for s in d["scale"]}
    data: dict = {"participant": [f"P{i:05d}" for i in range(n)]}
    traits = {}
    for s in d["score"]:
        z = traits[s["id"]] = rng.normal(0, 1, n)
        for i in s["items"]:
            lo, hi = scales[items[i]["scale"]][0], scales[items[i]["scale"]][-1]
            x = (-z if items[i].get("reverse") else z) + rng.normal(0, 1.0, n)
            codes = np.clip(np.round((lo + hi) / 2 + 1.1 * x), lo, hi)
            codes[rng.random(n) < 0.02] = np.nan
            data[i] = codes
    df = pd.DataFrame(data)
    # Columns in the definition's item order, then the criterion.
    df = df[["participant"] + ev.items]
    df["criterion"] = 0.5 * traits["conscientiousness"] + rng.normal(0, 1, n)
    return df


def band_distribution(ev: aspekt.Evaluator, out: pd.DataFrame) -> pd.DataFrame:
    """Rows: results; columns: band ids (lowest first) and insufficient."""
    rows = {}
    for r in ev.results:
        counts = out[f"{r}_band"].value_counts().reindex(ev.bands()[r], fill_value=0)
        counts["insufficient"] = int((out[f"{r}_status"] == "insufficient").sum())
        rows[r] = counts
    return pd.DataFrame(rows).T


def plot(dist: pd.DataFrame, path: Path, title: str) -> None:
    shares = dist.div(dist.sum(axis=1), axis=0)
    ax = shares.plot.barh(stacked=True, figsize=(8, 3.6), colormap="viridis", width=0.7)
    ax.set_xlabel("share of respondents")
    ax.set_ylabel("")
    ax.set_title(title)
    ax.invert_yaxis()
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=4, frameon=False)
    plt.tight_layout()
    plt.savefig(path, dpi=120)
    plt.close()


def with_boundary(text: str, result: str, low_max: int) -> str:
    """The definition's text with the `low` band of `result` ending at
    `low_max` and its `middle` band starting right after — a rule change to
    try out. Only the text changes; the engine checks the new bands."""
    start = text.index(f'[[result]]\nid = "{result}"')
    end = text.find("[[result]]\n", start + 1)
    end = len(text) if end < 0 else end
    block = text[start:end]
    block = re.sub(r'(id = "low"\nmin = \d+\nmax = )\d+', rf"\g<1>{low_max}", block, count=1)
    block = re.sub(r'(id = "middle"\nmin = )\d+', rf"\g<1>{low_max + 1}", block, count=1)
    return text[:start] + block + text[end:]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--out", type=Path, default=HERE / "out")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    heading("1. The library")
    for e in aspekt.library():
        print(f"  {e['id']:<22} {e['items']:>3} items  {e['title']}")
    ipip = aspekt.load("ipip-50")
    print(f"\nloaded {ipip.id} {ipip.version} ({ipip.digest[:19]}…), consent to notice {ipip.privacy_notice}")
    statement = ipip.transparency("en")
    for r in statement["results"]:
        print(f"  {r['id']:<20} seen by {', '.join(r['seen_by'])}; not by {', '.join(r['not_seen_by'])}")

    heading(f"2. Score a synthetic sample of {args.rows:,}")
    df = synthetic_sample(ipip, args.rows, args.seed)
    out = ipip.evaluate_frame(df, consent=CONSENT)
    scored = df[["participant", "criterion"]].join(out)
    print(scored.iloc[:3, :8].to_string(index=False))

    heading("3. Band distribution")
    dist = band_distribution(ipip, out)
    print(dist.to_string())
    png = args.out / "bands.png"
    plot(dist, png, f"{ipip.id}: bands in a synthetic sample (n = {args.rows:,})")
    print(f"\nplot: {png}")

    heading("4. Bands against an external criterion")
    by_band = scored.groupby("conscientiousness_band", observed=True)["criterion"].agg(["count", "mean"])
    print(by_band.round(3).to_string())

    heading("5. Reliability (Cronbach's alpha, 95 % CI per Feldt)")
    rel = research.reliability(ipip, df, consent=CONSENT)
    print(rel.to_frame().round(3).to_string())
    print("\nconscientiousness, per item:")
    print(rel["conscientiousness"].table().round(3).to_string())

    heading("6. Try a rule change before it reaches counselling")
    text = (ROOT / "definitions" / "ipip-50" / "definition.toml").read_text(encoding="utf-8")
    try:
        trial = aspekt.compile(with_boundary(text, "conscientiousness", 26), name="ipip-50 (trial).toml")
    except aspekt.DefinitionError as e:
        print(e.rendered)
        raise
    print(f"trial definition compiles: digest {trial.digest[:19]}… (was {ipip.digest[:19]}…)")
    new = trial.evaluate_frame(df, consent=CONSENT)
    moved = pd.crosstab(out["conscientiousness_band"], new["conscientiousness_band"])
    print("bands before (rows) and after (columns) moving the low/middle boundary to 26/27:")
    print(moved.to_string())
    plot(band_distribution(trial, new), args.out / "bands-trial.png", f"{ipip.id} with the trial boundary")

    heading("7. The same with polars and pyarrow")
    try:
        import polars as pl
        import pyarrow as pa

        same_pl = ipip.evaluate_frame(pl.from_pandas(df), consent=CONSENT)
        same_pa = ipip.evaluate_frame(pa.Table.from_pandas(df, preserve_index=False), consent=CONSENT)
        agree = (
            list(same_pl["intellect_band"].cast(pl.String)) == list(out["intellect_band"].astype(object).where(out["intellect_band"].notna(), None))
            and same_pa.column("intellect_band").to_pylist() == same_pl["intellect_band"].cast(pl.String).to_list()
        )
        print(f"polars and pyarrow results agree with pandas: {agree}")
    except ImportError:
        print("(polars or pyarrow not installed)")

    heading("8. One person, one report")
    answers = {item: int(v) for item, v in df.iloc[0][ipip.items].items() if v == v}
    report = ipip.evaluate(answers, consent=CONSENT, locale="en")
    print(report.to_text())


if __name__ == "__main__":
    main()
