"""Research helpers on the researcher's own study data.

These work on data a researcher holds anyway (collected with consent) and
never on anything an evaluator releases: the engine releases no item-level
information. They read the scoring structure — which items make up a
score, their reverse keying, weights and missing-data rule — from the
definition, so the statistics describe exactly the composites the engine
scores.

Requires ``numpy``, ``pandas`` and ``scipy`` (``pip install aspekt[research]``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from . import _frame
from ._core import Evaluator

__all__ = ["Reliability", "ScoreReliability", "cronbach_alpha", "feldt_ci", "reliability"]

MISSING_POLICIES = ("rule", "listwise", "pairwise")


@dataclass(frozen=True)
class ScoreReliability:
    """Internal consistency of one score on the researcher's data."""

    score: str
    """Score id."""
    items: Tuple[str, ...]
    """The score's items, in definition order."""
    aggregate: str
    """``sum`` or ``mean``."""
    missing: str
    """How missing answers were handled: ``rule``, ``listwise`` or ``pairwise``."""
    n: int
    """Respondents (rows) the statistics rest on."""
    alpha: float
    """Cronbach's alpha of the keyed, weighted items."""
    ci: Tuple[float, float]
    """Confidence interval of alpha (Feldt), at the level asked for."""
    item_rest: Dict[str, float] = field(default_factory=dict)
    """Per item: correlation of the item with the sum of the other items."""
    alpha_if_deleted: Dict[str, float] = field(default_factory=dict)
    """Per item: alpha of the score without that item."""

    @property
    def k(self) -> int:
        """Number of items."""
        return len(self.items)

    def table(self) -> Any:
        """Item statistics as a pandas DataFrame indexed by item."""
        import pandas as pd

        return pd.DataFrame(
            {
                "item_rest": [self.item_rest[i] for i in self.items],
                "alpha_if_deleted": [self.alpha_if_deleted[i] for i in self.items],
            },
            index=pd.Index(list(self.items), name="item"),
        )


class Reliability(Dict[str, ScoreReliability]):
    """Per score id, its :class:`ScoreReliability`, in definition order.
    ``skipped`` names the scores that could not be analysed and why."""

    skipped: Dict[str, str]

    def __init__(self) -> None:
        super().__init__()
        self.skipped = {}

    def to_frame(self) -> Any:
        """One row per score: n, k, alpha, ci_low, ci_high."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "score": r.score,
                    "aggregate": r.aggregate,
                    "missing": r.missing,
                    "n": r.n,
                    "k": r.k,
                    "alpha": r.alpha,
                    "ci_low": r.ci[0],
                    "ci_high": r.ci[1],
                }
                for r in self.values()
            ]
        ).set_index("score")


def cronbach_alpha(cov: np.ndarray) -> float:
    """Cronbach's alpha from an items' covariance matrix:
    ``k / (k - 1) * (1 - trace(C) / sum(C))``."""
    c = np.asarray(cov, dtype=np.float64)
    k = c.shape[0]
    if k < 2:
        return float("nan")
    return float(k / (k - 1) * (1.0 - np.trace(c) / c.sum()))


def feldt_ci(alpha: float, n: int, k: int, level: float = 0.95) -> Tuple[float, float]:
    """Feldt's confidence interval of alpha, as pingouin computes it: with
    ``df1 = n - 1`` and ``df2 = (n - 1)(k - 1)``, the bounds are
    ``1 - (1 - alpha) * F.isf(a/2, df1, df2)`` and
    ``1 - (1 - alpha) * F.isf(1 - a/2, df1, df2)``, ``a = 1 - level``.
    (pingouin rounds the bounds to 3 decimals; these are not rounded.)"""
    from scipy.stats import f

    if n < 2 or k < 2 or not np.isfinite(alpha):
        return (float("nan"), float("nan"))
    a = 1.0 - level
    df1 = n - 1
    df2 = df1 * (k - 1)
    lower = 1.0 - (1.0 - alpha) * f.isf(a / 2.0, df1, df2)
    upper = 1.0 - (1.0 - alpha) * f.isf(1.0 - a / 2.0, df1, df2)
    return (float(lower), float(upper))


def _item_stats(cov: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Item-rest correlations and alpha-if-deleted from the covariance
    matrix (for complete data: the Pearson correlation of each item with
    the sum of the others, and the alpha of the other items)."""
    k = cov.shape[0]
    total = cov.sum()
    row = cov.sum(axis=1)
    diag = np.diag(cov)
    rest_var = total - 2.0 * row + diag
    with np.errstate(invalid="ignore", divide="ignore"):
        item_rest = (row - diag) / np.sqrt(diag * rest_var)
    deleted = np.empty(k)
    for i in range(k):
        keep = np.arange(k) != i
        deleted[i] = cronbach_alpha(cov[np.ix_(keep, keep)])
    return item_rest, deleted


def reliability(
    evaluator: Evaluator,
    frame: Any,
    *,
    consent: Optional[str] = None,
    columns: Union[None, Sequence[str], Mapping[str, str]] = None,
    declined: Optional[Mapping[str, Any]] = None,
    missing: str = "rule",
    ci: float = 0.95,
) -> Reliability:
    """Cronbach's alpha with a Feldt confidence interval, item-rest
    correlations and alpha-if-item-deleted, per score of the definition,
    on the researcher's own data.

    ``frame`` is anything :meth:`Evaluator.evaluate_frame` takes, with the
    same ``consent`` (the data set was collected with consent to the
    definition's privacy notice), ``columns`` and ``declined``. The engine
    first validates the data exactly as ``evaluate_frame`` does: invalid
    codes or answers in declined topics raise :class:`aspekt.RequestError`
    with the row numbers.

    Items enter keyed and weighted as the score uses them: a reverse-keyed
    item's code ``c`` counts as ``min + max - c`` of its scale, and each
    item is multiplied by its weight. Linear transforms and rounding of the
    score do not change alpha and are ignored. Rows in which the score's
    topic is declined are left out.

    ``missing`` says how missing answers are handled:

    - ``"rule"`` (default) — as the score's missing-data rule implies: only
      rows in which the score is computed (at least ``min_answered``, or
      all but ``max_missing``, items answered; all items when the score
      declares no rule), and in those rows each missing item takes the
      person's weighted mean of their answered keyed items. That is exactly
      what a ``mean`` score and a prorated ``sum`` compute: the score of
      the filled-in row equals the engine's score of the original row.
    - ``"listwise"`` — only rows with every item answered.
    - ``"pairwise"`` — every row (that did not decline the topic);
      covariances from all rows in which both items are answered, and
      ``n`` = the number of rows (pingouin's default ``nan_policy``).

    Scores computed by a Rhai rule (no declared composite of items), scores
    whose items are not all in the frame, and scores with fewer than 2 items
    or fewer than 2 usable rows are listed in ``result.skipped``.
    """
    import pandas as pd

    if missing not in MISSING_POLICIES:
        raise ValueError(f"missing must be one of {', '.join(MISSING_POLICIES)}, not {missing!r}")
    # The engine validates consent, columns and every row.
    evaluator.evaluate_frame(
        frame, consent=consent, columns=columns, declined=declined, on_error="raise"
    )
    kind = _frame._kind(frame)
    cols, items = _frame._resolve_columns(evaluator, frame, kind, columns)
    rows = _frame._rows(frame, kind)
    x = _frame.float_matrix(frame, kind, cols)
    col_of = {item: j for j, item in enumerate(items)}
    flags = _frame._declined(frame, kind, rows, declined)
    declined_rows: Dict[str, np.ndarray] = {}
    if flags is not None:
        for t, f in zip(flags[0], flags[1].T):
            declined_rows[t] = f.astype(bool)

    d = evaluator.definition()
    q_id = d["questionnaire"]["id"]
    item_def = {it["id"]: it for it in d["item"]}
    scales = {s["id"]: [o["code"] for o in s["options"]] for s in d["scale"]}
    out = Reliability()
    for s in d["score"]:
        sid = s["id"]
        if s.get("rule") is not None or s.get("rule_file") is not None:
            out.skipped[sid] = "computed by a rule: no declared composite of items"
            continue
        ids: List[str] = list(s["items"])
        absent = [i for i in ids if i not in col_of]
        if absent:
            out.skipped[sid] = f"items not in the frame: {', '.join(absent)}"
            continue
        k = len(ids)
        a = x[:, [col_of[i] for i in ids]]
        reverse = np.array([item_def[i].get("reverse", False) for i in ids])
        base = np.array([min(scales[item_def[i]["scale"]]) + max(scales[item_def[i]["scale"]]) for i in ids], dtype=float)
        weight = np.array([item_def[i].get("weight") or 1.0 for i in ids], dtype=float)
        keyed = np.where(reverse, base - a, a)
        topic = item_def[ids[0]].get("topic") or q_id
        keep = ~declined_rows.get(topic, np.zeros(rows, dtype=bool))
        answered = ~np.isnan(keyed)
        n_answered = answered.sum(axis=1)
        rule = s.get("missing") or {}
        if missing == "rule":
            if rule.get("min_answered") is not None:
                need = int(rule["min_answered"])
            elif rule.get("max_missing") is not None:
                need = k - int(rule["max_missing"])
            else:
                need = k
            keep &= (n_answered >= max(need, 1))
            kv = keyed[keep]
            ans = answered[keep]
            w_ans = (ans * weight).sum(axis=1)
            person_mean = np.where(ans, kv * weight, 0.0).sum(axis=1) / w_ans
            filled = np.where(ans, kv, person_mean[:, None])
            values = filled * weight
            cov = np.cov(values, rowvar=False, ddof=1) if len(values) >= 2 else None
            n = int(keep.sum())
        elif missing == "listwise":
            keep &= n_answered == k
            values = keyed[keep] * weight
            cov = np.cov(values, rowvar=False, ddof=1) if len(values) >= 2 else None
            n = int(keep.sum())
        else:
            values = keyed[keep] * weight
            cov = pd.DataFrame(values).cov().to_numpy()
            n = int(keep.sum())
        if k < 2:
            out.skipped[sid] = "fewer than 2 items"
            continue
        if cov is None or n < 2 or not np.all(np.isfinite(cov)):
            out.skipped[sid] = f"too few usable rows ({n})"
            continue
        cov = np.atleast_2d(cov)
        alpha = cronbach_alpha(cov)
        item_rest, deleted = _item_stats(cov)
        out[sid] = ScoreReliability(
            score=sid,
            items=tuple(ids),
            aggregate=str(s.get("aggregate")),
            missing=missing,
            n=n,
            alpha=alpha,
            ci=feldt_ci(alpha, n, k, ci),
            item_rest={i: float(r) for i, r in zip(ids, item_rest)},
            alpha_if_deleted={i: float(v) for i, v in zip(ids, deleted)},
        )
    return out
