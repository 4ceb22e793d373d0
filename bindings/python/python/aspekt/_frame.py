"""Frames in, frames out: the translation around the engine's batch
evaluation (``aspekt::Evaluator::evaluate_batch``).

Everything here is vectorized data movement. Each item column of a frame
is copied once into a ``bytes`` buffer (numpy's ``tobytes``; Arrow columns
through ``fill_null``/``to_numpy``) — no Python object per row. The native
module interleaves the buffers into one int32 code matrix (NaN and nulls
as :data:`MISSING`) and the engine scores it, both without the GIL; the
status and band matrices come back as bytes and become the output columns
through vectorized constructors. The engine decides everything: which
codes are valid, which rows fail, which band a row falls in.
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple

import numpy as np

from . import _aspekt

if TYPE_CHECKING:  # pragma: no cover
    from ._core import Evaluator

__all__ = ["STATUSES", "BatchResult", "RowError", "RowErrorWarning"]

STATUSES: Tuple[str, str, str, str] = ("ok", "declined", "insufficient", "error")
"""Status names, indexed by the engine's status codes (0 = ok … 3 = error)."""

MISSING: int = _aspekt.MISSING


class RowError(NamedTuple):
    """A row the engine could not evaluate."""

    row: int
    """0-based position of the row in the frame."""
    code: str
    """Stable error code, e.g. ``invalid_code``."""
    message: str
    """What is wrong (names the item, never the answer)."""
    path: Optional[str]
    """E.g. ``answers.q3``."""
    help: Optional[str]
    """How to fix it."""
    json: str
    """The engine's error envelope."""


class RowErrorWarning(UserWarning):
    """Some rows could not be evaluated (``on_error="null"``); their status
    is ``error``."""


@dataclass
class BatchResult:
    """The engine's batch output as arrays."""

    results: List[str]
    """Result ids (the audience's results), in definition order."""
    status: np.ndarray
    """``rows × len(results)`` uint8 status codes, see :data:`STATUSES`."""
    band: np.ndarray
    """``rows × len(results)`` int16 band indices, -1 when not scored."""
    bands: Dict[str, List[str]] = field(default_factory=dict)
    """Band ids per result: ``bands[result][index]``."""
    errors: List[RowError] = field(default_factory=list)
    """Rows that could not be evaluated (their status is ``error``)."""

    @property
    def rows(self) -> int:
        """Number of rows."""
        return int(self.status.shape[0])


# ------------------------------------------------------------------ kinds


def _kind(frame: Any) -> str:
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(frame, pd.DataFrame):
        return "pandas"
    pl = sys.modules.get("polars")
    if pl is not None:
        if isinstance(frame, pl.DataFrame):
            return "polars"
        if isinstance(frame, pl.LazyFrame):
            raise TypeError("evaluate_frame takes a polars DataFrame: call .collect() first")
    pa = sys.modules.get("pyarrow")
    if pa is not None:
        if isinstance(frame, pa.Table):
            return "arrow-table"
        if isinstance(frame, pa.RecordBatch):
            return "arrow-batch"
    if isinstance(frame, np.ndarray):
        if frame.ndim != 2:
            raise ValueError(f"a numpy array of answers must be 2-D (rows × items), not {frame.ndim}-D")
        return "numpy"
    raise TypeError(
        "evaluate_frame takes a pandas or polars DataFrame, a pyarrow Table or "
        f"RecordBatch, or a 2-D numpy array; not {type(frame).__module__}.{type(frame).__name__}"
    )


def _names(frame: Any, kind: str) -> List[Any]:
    if kind == "pandas":
        return list(frame.columns)
    if kind == "polars":
        return list(frame.columns)
    if kind.startswith("arrow"):
        return list(frame.schema.names)
    return list(range(frame.shape[1]))


def _rows(frame: Any, kind: str) -> int:
    if kind == "pandas":
        return len(frame.index)
    if kind == "polars":
        return int(frame.height)
    if kind.startswith("arrow"):
        return int(frame.num_rows)
    return int(frame.shape[0])


def _resolve_columns(
    ev: Evaluator, frame: Any, kind: str, columns: Any
) -> Tuple[List[Any], List[str]]:
    """(frame columns to read, the item id of each)."""
    names = _names(frame, kind)
    if kind == "numpy":
        width = len(names)
        items = list(columns) if columns is not None else ev.items
        if isinstance(columns, Mapping):
            raise TypeError("for a numpy array, columns= lists the item id of each array column")
        if len(items) != width:
            raise ValueError(
                f"the array has {width} columns but {len(items)} item ids are given"
                + ("" if columns is not None else f" (`{ev.id}` has {len(items)} items; pass columns=)")
            )
        return names, [str(i) for i in items]
    if columns is None:
        known = set(ev.items)
        picked = [c for c in names if c in known]
        if not picked:
            raise ValueError(
                f"no column is named after an item of `{ev.id}` "
                f"(items: {', '.join(ev.items)}); pass columns= to map them"
            )
        return picked, [str(c) for c in picked]
    if isinstance(columns, Mapping):
        return list(columns.keys()), [str(v) for v in columns.values()]
    cols = list(columns)
    return cols, [str(c) for c in cols]


# ------------------------------------------------------------- conversion


def _buffer(a: np.ndarray, name: Any) -> Tuple[str, bytes]:
    """One column of answers as (kind, native-endian bytes) for the engine:
    integers and floats as they are; NaN is read as missing there."""
    kind = a.dtype.kind
    if kind == "b":
        raise TypeError(f"column {name!r} is boolean; answers are integer codes")
    if kind == "O":
        try:
            a = np.asarray(a, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"column {name!r} holds values that are not numbers") from None
    elif kind not in "iuf":
        raise TypeError(f"column {name!r} has dtype {a.dtype}; answers are integer codes")
    if a.dtype.kind == "f" and a.dtype.itemsize not in (4, 8):
        a = a.astype(np.float64)
    a = np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("="))
    return f"{a.dtype.kind}{a.dtype.itemsize}", a.tobytes()


def _numpy_column(frame: Any, kind: str, col: Any) -> np.ndarray:
    """A frame column as a numpy array (NaN for nulls), without Python
    objects per row for numeric columns."""
    if kind == "pandas":
        s = frame[col]
        if getattr(s, "ndim", 1) != 1:
            raise ValueError(f"the frame has more than one column named {col!r}")
        dtype = s.dtype
        if isinstance(dtype, np.dtype):
            return s.to_numpy()
        if getattr(dtype, "kind", "") == "b":
            raise TypeError(f"column {col!r} is boolean; answers are integer codes")
        try:
            return s.to_numpy(dtype="float64", na_value=np.nan)
        except (TypeError, ValueError):
            raise TypeError(f"column {col!r} has dtype {dtype}; answers are integer codes") from None
    if kind == "polars":
        import polars as pl

        s = frame.get_column(col)
        if s.dtype == pl.Boolean or not s.dtype.is_numeric():
            raise TypeError(f"column {col!r} has dtype {s.dtype}; answers are integer codes")
        return s.to_numpy()
    if kind.startswith("arrow"):
        import pyarrow as pa
        import pyarrow.compute as pc

        c = frame.column(col)
        t = c.type
        if pa.types.is_integer(t):
            if c.null_count == 0:
                return _arrow_numpy(c)
            if not pa.types.is_uint64(t):
                return _arrow_numpy(pc.fill_null(pc.cast(c, pa.int64()), MISSING))
            return _arrow_numpy(pc.cast(c, pa.float64()))
        if pa.types.is_floating(t):
            # Nulls become NaN; NaN is missing as well.
            return _arrow_numpy(c)
        raise TypeError(f"column {col!r} has type {t}; answers are integer codes")
    return np.asarray(frame[:, col])


def _arrow_numpy(c: Any) -> np.ndarray:
    import pyarrow as pa

    if isinstance(c, pa.ChunkedArray):
        if c.num_chunks == 1:
            c = c.chunk(0)
        else:
            return c.to_numpy()
    return c.to_numpy(zero_copy_only=False)


def column_buffers(frame: Any, kind: str, cols: Sequence[Any]) -> List[Tuple[str, bytes]]:
    """The frame's item columns as buffers, one copy each, no Python object
    per row."""
    return [_buffer(_numpy_column(frame, kind, c), c) for c in cols]


def float_matrix(frame: Any, kind: str, cols: Sequence[Any]) -> np.ndarray:
    """The item columns as a ``rows × len(cols)`` float64 matrix with NaN
    for missing answers (for the research helpers)."""
    out = np.empty((_rows(frame, kind), len(cols)), dtype=np.float64)
    for j, c in enumerate(cols):
        a = _numpy_column(frame, kind, c)
        if a.dtype.kind in "iu":
            a = np.where(a == MISSING, np.nan, a.astype(np.float64))
        elif a.dtype.kind == "O":
            a = np.asarray(a, dtype=np.float64)
        out[:, j] = a
    return out


def _bool_column(frame: Any, kind: str, spec: Any, rows: int, topic: str) -> np.ndarray:
    """A decline flag per row: a frame column's name or an array-like;
    null counts as not declined."""
    if isinstance(spec, str) and kind != "numpy":
        if kind == "pandas":
            s = frame[spec]
            values = s.to_numpy(dtype="float64", na_value=0.0) if not isinstance(s.dtype, np.dtype) else s.to_numpy()
        elif kind == "polars":
            values = frame.get_column(spec).fill_null(False).to_numpy()
        else:
            import pyarrow.compute as pc

            values = _arrow_numpy(pc.fill_null(frame.column(spec), False))
    else:
        values = np.asarray(spec)
    values = np.asarray(values)
    if values.shape != (rows,):
        raise ValueError(f"declined[{topic!r}] must have one flag per row ({rows})")
    if values.dtype.kind == "f":
        values = np.nan_to_num(values, nan=0.0)
    elif values.dtype.kind == "O":
        values = np.array([bool(v) if v is not None else False for v in values])
    return values.astype(bool)


# ------------------------------------------------------------ evaluation


def _run(
    ev: Evaluator,
    data: Any,
    items: List[str],
    rows: int,
    declined_flags: Optional[Tuple[List[str], np.ndarray]],
    consent: Optional[str],
    audience: str,
    threads: int,
) -> BatchResult:
    """Runs the engine's batch on an int32 matrix or on column buffers.
    Bytes are copied once from numpy; the engine reads them in place, with
    the GIL released."""
    if not items:
        raise ValueError("no item columns to evaluate")
    topics: List[str] = []
    flags_bytes: Optional[bytes] = None
    if declined_flags is not None:
        topics, flags = declined_flags
        flags_bytes = np.ascontiguousarray(flags, dtype=np.uint8).tobytes()
    if isinstance(data, np.ndarray):
        matrix = np.ascontiguousarray(data, dtype=np.dtype(np.int32).newbyteorder("="))
        if matrix.shape != (rows, len(items)):
            raise ValueError(f"codes must be a {rows} × {len(items)} matrix")
        out = ev._native.evaluate_matrix(
            items, matrix.tobytes(), topics, flags_bytes, consent, audience, int(threads)
        )
    else:
        out = ev._native.evaluate_columns(
            items, data, rows, topics, flags_bytes, consent, audience, int(threads)
        )
    results, status, band, errors = out
    n = len(results)
    status_a = np.frombuffer(status, dtype=np.uint8).reshape(rows, n)
    band_a = np.frombuffer(band, dtype=np.int16).reshape(rows, n)
    all_bands = ev.bands()
    return BatchResult(
        results=list(results),
        status=status_a,
        band=band_a,
        bands={r: all_bands.get(r, []) for r in results},
        errors=[RowError(*e) for e in errors],
    )


def _handle_errors(batch: BatchResult, on_error: str) -> None:
    if not batch.errors:
        return
    first = batch.errors[0]
    shown = ", ".join(str(e.row) for e in batch.errors[:10])
    more = "" if len(batch.errors) <= 10 else f" and {len(batch.errors) - 10} more"
    which = "row" if len(batch.errors) == 1 else "rows"
    summary = (
        f"{len(batch.errors)} of {batch.rows} rows could not be evaluated "
        f"({which} {shown}{more}); first, row {first.row}: error[{first.code}]: {first.message}"
    )
    if on_error == "raise":
        err = _aspekt.RequestError(summary + (f"\n  help: {first.help}" if first.help else ""))
        err.code = first.code
        err.message = summary
        err.path = first.path
        err.help = first.help
        err.diagnostics = []
        err.json = first.json
        err.rows = list(batch.errors)
        raise err
    warnings.warn(summary, RowErrorWarning, stacklevel=4)


def _check_on_error(on_error: str) -> None:
    if on_error not in ("raise", "null"):
        raise ValueError(f'on_error must be "raise" or "null", not {on_error!r}')


def _declined(
    frame: Any, kind: str, rows: int, declined: Optional[Mapping[str, Any]]
) -> Optional[Tuple[List[str], np.ndarray]]:
    if not declined:
        return None
    topics = list(declined.keys())
    flags = np.empty((rows, len(topics)), dtype=np.uint8)
    for j, t in enumerate(topics):
        flags[:, j] = _bool_column(frame, kind, declined[t], rows, t)
    return topics, flags


def evaluate_codes(
    ev: Evaluator,
    codes: Any,
    columns: List[str],
    *,
    consent: Optional[str],
    audience: str,
    declined: Optional[Mapping[str, Any]],
    on_error: str,
    threads: int,
) -> BatchResult:
    _check_on_error(on_error)
    a = np.asarray(codes)
    if a.ndim != 2:
        raise ValueError("codes must be a 2-D matrix (rows × columns)")
    if a.shape[1] != len(columns):
        raise ValueError(f"the matrix has {a.shape[1]} columns but {len(columns)} item ids are given")
    rows = a.shape[0]
    data: Any = a if a.dtype == np.int32 else column_buffers(a, "numpy", range(a.shape[1]))
    batch = _run(ev, data, columns, rows, _declined(a, "numpy", rows, declined), consent, audience, threads)
    _handle_errors(batch, on_error)
    return batch


def evaluate_frame(
    ev: Evaluator,
    frame: Any,
    *,
    consent: Optional[str],
    audience: str,
    columns: Any,
    declined: Optional[Mapping[str, Any]],
    on_error: str,
    threads: int,
    categorical: bool = True,
) -> Any:
    _check_on_error(on_error)
    kind = _kind(frame)
    cols, items = _resolve_columns(ev, frame, kind, columns)
    rows = _rows(frame, kind)
    data: Any
    if kind == "numpy" and frame.dtype == np.int32:
        data = frame
    else:
        data = column_buffers(frame, kind, cols)
    batch = _run(ev, data, items, rows, _declined(frame, kind, rows, declined), consent, audience, threads)
    _handle_errors(batch, on_error)
    return build_output(batch, frame, kind, categorical)


# ---------------------------------------------------------------- output


def _column_names(result: str) -> Tuple[str, str, str]:
    return f"{result}_status", f"{result}_band", f"{result}_band_index"


def build_output(batch: BatchResult, frame: Any, kind: str, categorical: bool = True) -> Any:
    """Per result: status (categorical), band id (categorical, null unless
    ok) and band index (int16, null unless ok), in the frame's kind. With
    ``categorical=False`` status and band are plain string columns."""
    if kind == "pandas":
        return _pandas_output(batch, frame, categorical)
    if kind == "polars":
        return _polars_output(batch, categorical)
    if kind.startswith("arrow"):
        return _arrow_output(batch, kind, categorical)
    return _numpy_output(batch)


def _pandas_output(batch: BatchResult, frame: Any, categorical: bool) -> Any:
    import pandas as pd

    data: Dict[str, Any] = {}
    for j, r in enumerate(batch.results):
        s, b, i = _column_names(r)
        st = batch.status[:, j]
        bi = batch.band[:, j]
        data[s] = pd.Categorical.from_codes(st.astype(np.int8), categories=list(STATUSES))
        data[b] = pd.Categorical.from_codes(bi, categories=batch.bands[r])
        if not categorical:
            data[s] = np.asarray(data[s].astype(object))
            data[b] = np.asarray(data[b].astype(object))
            data[b][bi < 0] = None
        data[i] = pd.arrays.IntegerArray(bi.copy(), bi < 0)
    return pd.DataFrame(data, index=frame.index)


def _polars_output(batch: BatchResult, categorical: bool) -> Any:
    import polars as pl

    status_enum = pl.Enum(list(STATUSES))
    out = []
    for j, r in enumerate(batch.results):
        s, b, i = _column_names(r)
        st = batch.status[:, j]
        bi = pl.Series(i, batch.band[:, j])
        bi = pl.select(pl.when(pl.lit(bi) >= 0).then(pl.lit(bi))).to_series().alias(i)
        bands = batch.bands[r]
        out.append(pl.Series(s, list(STATUSES), dtype=status_enum).gather(st).alias(s))
        if bands:
            out.append(
                pl.Series(b, bands, dtype=pl.Enum(bands)).gather(bi.cast(pl.UInt32)).alias(b)
            )
        else:
            out.append(pl.Series(b, [None] * len(st), dtype=pl.String))
        out.append(bi)
    if not categorical:
        out = [c.cast(pl.String) if c.dtype != pl.Int16 else c for c in out]
    return pl.DataFrame(out)


def _arrow_output(batch: BatchResult, kind: str, categorical: bool) -> Any:
    import pyarrow as pa

    statuses = pa.array(list(STATUSES), type=pa.string())
    arrays = []
    names = []
    for j, r in enumerate(batch.results):
        s, b, i = _column_names(r)
        st = batch.status[:, j].astype(np.int8)
        bi = batch.band[:, j]
        none = bi < 0
        idx = pa.array(bi, type=pa.int16(), mask=none)
        arrays.append(pa.DictionaryArray.from_arrays(pa.array(st, type=pa.int8()), statuses))
        arrays.append(pa.DictionaryArray.from_arrays(idx, pa.array(batch.bands[r], type=pa.string())))
        if not categorical:
            arrays[-2:] = [a.dictionary_decode() for a in arrays[-2:]]
        arrays.append(idx)
        names += [s, b, i]
    if kind == "arrow-batch":
        return pa.RecordBatch.from_arrays(arrays, names=names)
    return pa.Table.from_arrays(arrays, names=names)


def _numpy_output(batch: BatchResult) -> np.ndarray:
    fields = []
    for r in batch.results:
        s, b, i = _column_names(r)
        width = max([len(x) for x in batch.bands[r]] + [1])
        fields += [(s, "U12"), (b, f"U{width}"), (i, "i2")]
    out = np.empty(batch.rows, dtype=fields)
    status_names = np.array(STATUSES)
    for j, r in enumerate(batch.results):
        s, b, i = _column_names(r)
        bi = batch.band[:, j]
        out[s] = status_names[batch.status[:, j]]
        bands = np.array(list(batch.bands[r]) + [""])
        out[b] = bands[np.where(bi < 0, len(bands) - 1, bi)]
        out[i] = bi
    return out
