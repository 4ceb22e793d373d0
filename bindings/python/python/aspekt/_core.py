"""Evaluators, reports and sessions: thin wrappers over the native module."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import (
    TYPE_CHECKING,
    Any,
    Dict,
    Iterable,
    Iterator,
    List,
    Mapping,
    NamedTuple,
    Optional,
    Sequence,
    Tuple,
    Union,
)

from . import _aspekt

if TYPE_CHECKING:  # pragma: no cover
    from ._frame import BatchResult
    from ._types import (
        CompileInfo,
        DefinitionModel,
        DisclosureAnalysis,
        Form,
        LibraryEntry,
        Transparency,
    )

__all__ = [
    "Band",
    "DefinitionRef",
    "Evaluator",
    "Progress",
    "Report",
    "ResultEntry",
    "Session",
    "compile",
    "json_schema",
    "library",
    "load",
]


# ----------------------------------------------------------------- reports


@dataclass(frozen=True)
class Band:
    """A result's band: its id, its position (0 = lowest) and how many
    bands the result has."""

    id: str
    index: int
    of: int


@dataclass(frozen=True)
class ResultEntry:
    """One released result of a report."""

    id: str
    """Result id."""
    topic: str
    """The topic the result belongs to."""
    status: str
    """``"ok"``, ``"declined"`` or ``"insufficient"``."""
    band: Optional[Band]
    """The band when ``status == "ok"``, else ``None``."""
    label: str
    """Short label in the report's locale."""
    explanation: str
    """Explanation in the report's locale."""


@dataclass(frozen=True)
class DefinitionRef:
    """Which definition produced a report."""

    id: str
    version: str
    digest: str


class Report:
    """The evaluated summary for one audience: released results only.

    The attributes mirror the report JSON. :meth:`to_json` returns the
    engine's own JSON string — not a re-serialization — so it is identical,
    byte for byte, to what the Rust engine, the CLI (``--format json``, as
    ``to_json(pretty=True)``) and the WebAssembly module give.
    """

    __slots__ = ("_data", "_evaluator", "_json")

    def __init__(self, report_json: str, evaluator: Optional[Evaluator] = None) -> None:
        self._json = report_json
        self._data: Dict[str, Any] = json.loads(report_json)
        self._evaluator = evaluator

    @property
    def definition(self) -> DefinitionRef:
        """Id, version and digest of the definition."""
        d = self._data["definition"]
        return DefinitionRef(d["id"], d["version"], d["digest"])

    @property
    def engine_version(self) -> str:
        """The engine version that produced the report."""
        return str(self._data["engine"]["version"])

    @property
    def locale(self) -> str:
        """Locale of the texts."""
        return str(self._data["locale"])

    @property
    def audience(self) -> str:
        """The audience the report is for."""
        return str(self._data["audience"])

    @property
    def results(self) -> Tuple[ResultEntry, ...]:
        """The results this audience may see, in definition order."""
        out = []
        for r in self._data["results"]:
            b = r["band"]
            out.append(
                ResultEntry(
                    id=r["id"],
                    topic=r["topic"],
                    status=r["status"],
                    band=None if b is None else Band(b["id"], b["index"], b["of"]),
                    label=r["label"],
                    explanation=r["explanation"],
                )
            )
        return tuple(out)

    def __getitem__(self, result_id: str) -> ResultEntry:
        """The result with this id."""
        for r in self.results:
            if r.id == result_id:
                return r
        raise KeyError(result_id)

    def __iter__(self) -> Iterator[ResultEntry]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self._data["results"])

    def to_json(self, *, pretty: bool = False) -> str:
        """The engine's report JSON: compact (``Report::to_json``) or, with
        ``pretty=True``, indented as ``aspekt evaluate`` prints it
        (``Report::to_json_pretty``)."""
        if pretty:
            return _aspekt.report_pretty(self._json)
        return self._json

    def to_dict(self) -> Dict[str, Any]:
        """The report as plain Python data (the parsed JSON)."""
        return json.loads(self._json)

    def to_text(self) -> str:
        """The report as text for the person reading it (the engine's
        rendering, as ``aspekt evaluate --format text`` prints it)."""
        if self._evaluator is None:
            raise ValueError("this report was built without its evaluator")
        return self._evaluator._native.render_text(self._json)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Report):
            return NotImplemented
        return self._json == other._json

    def __hash__(self) -> int:
        return hash(self._json)

    def __repr__(self) -> str:
        parts = ", ".join(
            f"{r.id}={r.status if r.band is None else r.band.id}" for r in self.results
        )
        return f"Report({self.definition.id}, {self.locale}, {self.audience}: {parts})"


# --------------------------------------------------------------- evaluators

_ABSENT = object()


def _answers_dict(answers: Any) -> Dict[str, Any]:
    """Any mapping (a dict, a pandas Series, …) as a plain dict. pandas'
    missing marker becomes None; everything else reaches the engine, which
    decides what is a valid answer."""
    if isinstance(answers, dict):
        out = answers
    elif hasattr(answers, "items"):
        out = dict(answers.items())
    else:
        raise TypeError(
            "answers must be a mapping from item id to code, "
            f"not {type(answers).__name__}"
        )
    pd = sys.modules.get("pandas")
    na = getattr(pd, "NA", _ABSENT) if pd is not None else _ABSENT
    if na is not _ABSENT and any(v is na for v in out.values()):
        out = {k: (None if v is na else v) for k, v in out.items()}
    return out


class Evaluator:
    """A compiled, immutable questionnaire definition.

    Get one with :func:`aspekt.compile` or :func:`aspekt.load`. It is safe
    to share between threads; evaluation releases the GIL.
    """

    __slots__ = ("_bands", "_native", "_source")

    def __init__(self, native: _aspekt.Evaluator, source: Optional[Tuple[Any, ...]] = None) -> None:
        self._native = native
        self._bands: Optional[Dict[str, List[str]]] = None
        # How to compile it again: ("library", id) or ("text", text, name,
        # files). Pickling sends this, so that Dask, Spark and Ray workers
        # in other processes compile the same definition themselves.
        self._source = source

    def __reduce__(self) -> Tuple[Any, ...]:
        if self._source is None:
            raise TypeError("this evaluator does not know its source and cannot be pickled")
        return (_rebuild, (self._source, self.digest))

    def __dask_tokenize__(self) -> Tuple[str, str]:
        """Dask's deterministic token: the definition's digest."""
        return ("aspekt.Evaluator", self.digest)

    # -- identity

    @property
    def id(self) -> str:
        """Questionnaire id."""
        return self._native.id

    @property
    def version(self) -> str:
        """Definition version."""
        return self._native.version

    @property
    def digest(self) -> str:
        """``sha256:`` digest of the definition's canonical form."""
        return self._native.digest

    @property
    def locales(self) -> List[str]:
        """Declared locales; the first is the default."""
        return self._native.locales

    @property
    def audiences(self) -> List[str]:
        """Audiences results can be released to."""
        return self._native.audiences

    @property
    def privacy_notice(self) -> Optional[str]:
        """The privacy-notice version consent is required for (``None``
        when the definition requires none)."""
        return self._native.privacy_notice

    @property
    def warnings(self) -> List[_aspekt.Diagnostic]:
        """Warnings found while compiling."""
        return self._native.warnings

    def info(self) -> CompileInfo:
        """What the engine reports about the compiled definition (id,
        version, digest, locales, audiences, privacy notice, mode, warnings)."""
        return json.loads(self._native.info_json())

    def definition(self) -> DefinitionModel:
        """The definition as written (the model behind the TOML), as plain
        data: questionnaire, scales, topics, items, scores, results."""
        return json.loads(self._native.definition_json())

    @property
    def items(self) -> List[str]:
        """Item ids in presentation order (the column names frames use)."""
        return [it["id"] for it in self.definition()["item"]]

    @property
    def results(self) -> List[str]:
        """Result ids in definition order."""
        return [r["id"] for r in self.definition()["result"]]

    def bands(self) -> Dict[str, List[str]]:
        """Band (or outcome) ids per result, lowest first: the values a
        frame's ``<result>_band`` column takes."""
        if self._bands is None:
            self._bands = {r: ids for r, ids in self._native.band_ids()}
        return dict(self._bands)

    # -- one person

    def evaluate(
        self,
        answers: Mapping[str, Any],
        *,
        declined: Iterable[str] = (),
        locale: Optional[str] = None,
        audience: str = "participant",
        consent: Optional[str] = None,
    ) -> Report:
        """Evaluates one person's answers into a :class:`Report`.

        ``answers`` maps item ids to integer codes; ``None`` (or NaN) means
        not answered, as does leaving the item out. ``declined`` names the
        topics the person skipped. ``consent`` is the privacy-notice version
        the person agreed to (``"2026-11"`` for the library instruments);
        without it a definition that requires consent raises
        :class:`ConsentError`.

        Raises :class:`RequestError` (``ConsentError`` for consent) with the
        engine's code, message, path and help; nothing is computed then.
        """
        if isinstance(declined, str):
            declined = [declined]
        report = self._native.evaluate(
            _answers_dict(answers), list(declined), locale, audience, consent
        )
        return Report(report, self)

    def evaluate_json(self, request: Union[str, bytes]) -> str:
        """Evaluates a JSON request (the CLI's and WASM's request shape), as
        ``str`` or UTF-8 ``bytes``, and returns the report JSON, exactly as
        the engine's ``evaluate_json``. Raises :class:`RequestError`; its
        ``json`` is the error envelope (``malformed_json`` at path ``.``
        for bytes that are not UTF-8)."""
        return self._native.evaluate_json(request)

    # -- study data

    def evaluate_frame(
        self,
        frame: Any,
        *,
        consent: Optional[str] = None,
        audience: str = "participant",
        columns: Union[None, Sequence[str], Mapping[str, str]] = None,
        declined: Optional[Mapping[str, Any]] = None,
        on_error: str = "raise",
        threads: int = 0,
        categorical: bool = True,
    ) -> Any:
        """Scores a whole data set: one row per respondent, one column per
        item.

        ``frame`` is a pandas or polars DataFrame, a pyarrow Table or
        RecordBatch, or a 2-D numpy array; missing answers are null/NaN
        (and, in integer arrays, :data:`aspekt.MISSING`). The result is the
        same kind of frame (pandas keeps the index) with three columns per
        result the audience may see:

        - ``<result>_status``: ``ok``, ``declined``, ``insufficient`` or
          ``error`` (categorical);
        - ``<result>_band``: the band id, null unless ``ok`` (categorical
          over :meth:`bands`);
        - ``<result>_band_index``: 0 = lowest band, null unless ``ok``
          (int16; -1 in numpy's structured array).

        ``consent`` attests that the data set was collected with consent to
        the definition's privacy notice (``"2026-11"`` for the library).
        ``columns`` picks item columns (default: every frame column named
        after an item; other columns are ignored) or maps frame column names
        to item ids. For a numpy array, ``columns`` names its columns
        (default: the definition's items in order). ``declined`` maps a
        topic id to a boolean column name or array: True where the person
        declined that topic.

        Rows the engine rejects (an invalid code, an answer in a declined
        topic) raise :class:`RequestError` listing the row numbers
        (``on_error="raise"``), or get status ``error`` and a
        :class:`RowErrorWarning` (``on_error="null"``).

        ``categorical=False`` gives plain string columns for status and band
        instead of categoricals (e.g. for Spark's ``mapInArrow`` with a
        ``string`` schema, or for CSV).

        Scoring runs in the engine without the GIL, on ``threads`` threads
        (0 = one per core); the frame is read column by column into one
        int32 matrix without a Python object per row.
        """
        from . import _frame

        return _frame.evaluate_frame(
            self,
            frame,
            consent=consent,
            audience=audience,
            columns=columns,
            declined=declined,
            on_error=on_error,
            threads=threads,
            categorical=categorical,
        )

    def evaluate_codes(
        self,
        codes: Any,
        columns: Sequence[str],
        *,
        consent: Optional[str] = None,
        audience: str = "participant",
        declined: Optional[Mapping[str, Any]] = None,
        on_error: str = "raise",
        threads: int = 0,
    ) -> BatchResult:
        """The engine's batch evaluation of a ``rows × len(columns)`` integer
        matrix of codes (:data:`aspekt.MISSING` = not answered), returned as
        raw arrays: a :class:`BatchResult` with ``status`` (uint8, see
        :data:`aspekt.STATUSES`) and ``band`` (int16, -1 when not scored)."""
        from . import _frame

        return _frame.evaluate_codes(
            self,
            codes,
            list(columns),
            consent=consent,
            audience=audience,
            declined=declined,
            on_error=on_error,
            threads=threads,
        )

    # -- before answering

    def transparency(self, locale: Optional[str] = None) -> Transparency:
        """The transparency statement: who sees the answers (nobody), who
        sees each result and who does not, that every topic is voluntary,
        and that there is no overall recommendation. ``["text"]`` holds the
        whole statement as plain text."""
        return json.loads(self._native.transparency_json(locale))

    def form(self, locale: Optional[str] = None) -> Form:
        """What to present: texts, topics, items and their options in
        presentation order. Nothing about scoring, and no answers."""
        return json.loads(self._native.form_json(locale))

    def disclosure(self) -> DisclosureAnalysis:
        """The disclosure analysis: for each audience and result, how many
        codes every contributing item stays ambiguous among."""
        return json.loads(self._native.disclosure_json())

    def session(self) -> Session:
        """A new :class:`Session` for one person on this evaluator."""
        return Session(self)

    def __repr__(self) -> str:
        return f"Evaluator(id={self.id!r}, version={self.version!r})"


def _rebuild(source: Tuple[Any, ...], digest: str) -> Evaluator:
    """Unpickles an evaluator by compiling its source again."""
    if source[0] == "library":
        ev = load(source[1])
    else:
        _, text, name, files = source
        ev = Evaluator(_aspekt.compile(text, name, dict(files)), source)
    if ev.digest != digest:
        raise ValueError(
            f"`{ev.id}` compiled to another definition here ({ev.digest}, not {digest}): "
            "the library or engine differs between the processes"
        )
    return ev


def _read_definition(path: Path) -> Tuple[str, str, Dict[str, str]]:
    """A definition file and the ``.rhai`` rule files beside it, as the CLI
    reads them (the engine reads no files itself)."""
    if path.is_dir():
        for name in ("definition.toml", "definition.rhai"):
            if (path / name).is_file():
                path = path / name
                break
        else:
            raise FileNotFoundError(f"{path} holds no definition.toml or definition.rhai")
    text = path.read_text(encoding="utf-8")
    files: Dict[str, str] = {}
    for p in sorted(path.parent.glob("*.rhai")):
        if p != path and p.is_file():
            files[p.name] = p.read_text(encoding="utf-8")
    return text, str(path), files


def compile(
    source_or_path: Union[str, "os.PathLike[str]"],
    *,
    name: Optional[str] = None,
    files: Optional[Mapping[str, str]] = None,
) -> Evaluator:
    """Compiles a definition into an :class:`Evaluator`.

    ``source_or_path`` is the definition's text (TOML, or Rhai when ``name``
    ends in ``.rhai``), or a path to a definition file or to a folder
    holding ``definition.toml``. A string with a line break is text; any
    other string is a path. From a path, the ``.rhai`` files beside the
    definition are the rule files it may name; from text, pass them as
    ``files={"rule.rhai": "..."}``. ``name`` is the source name diagnostics
    show (default: the path, or ``definition.toml``).

    Raises :class:`DefinitionError` with every diagnostic.
    """
    extra = dict(files or {})
    found: Dict[str, str] = {}
    if isinstance(source_or_path, str) and "\n" in source_or_path:
        text, src_name = source_or_path, name or "definition.toml"
    else:
        text, src_name, found = _read_definition(Path(source_or_path))
        if name is not None:
            src_name = name
    found.update(extra)
    return Evaluator(_aspekt.compile(text, src_name, found), ("text", text, src_name, found))


def load(library_id: str) -> Evaluator:
    """Compiles the built-in library instrument with this id (see
    :func:`library`). Raises :class:`RequestError` (code
    ``unknown_definition``) for an unknown id."""
    return Evaluator(_aspekt.load(library_id), ("library", library_id))


def library() -> List[LibraryEntry]:
    """The built-in instruments with their metadata: id, version, title,
    locales, number of items, minutes, licence, commercial use, mode."""
    return json.loads(_aspekt.library_json())


def json_schema(kind: str) -> Dict[str, Any]:
    """The JSON Schema of a shape of the JSON surface: ``definition``,
    ``request``, ``report``, ``error``, ``form``, ``transparency``,
    ``disclosure``."""
    return json.loads(_aspekt.json_schema(kind))


# ----------------------------------------------------------------- sessions


class Progress(NamedTuple):
    """How far a session has come: counts only, never which items."""

    answered: int
    """Items that currently carry an answer."""
    total: int
    """Items of the questionnaire, declined topics included."""
    open: int
    """Items in topics that are not declined."""
    declined_topics: int
    """Topics currently declined."""
    topics: int
    """Topics of the questionnaire."""


class Session:
    """One person answering one questionnaire over time.

    Consent first: until :meth:`consent` accepted the definition's privacy
    notice, every other call raises :class:`ConsentError`. Answers are
    checked as they come (errors name the item, never the code).
    :meth:`decline` drops a topic's answers at once; :meth:`withdraw` wipes
    everything and refuses every later call. The only thing that leaves a
    session is the :class:`Report` of :meth:`finish`.

    Each report on its own keeps every answer ambiguous; two reports of the
    same person before and after a changed answer do not. Release only the
    final report to anyone but the person.
    """

    __slots__ = ("_evaluator", "_native")

    def __init__(self, evaluator: Evaluator) -> None:
        self._evaluator = evaluator
        self._native = _aspekt.Session(evaluator._native)

    def consent(self, notice: str) -> None:
        """Records consent to the privacy notice (``"2026-11"`` for the
        library). Another version raises :class:`ConsentError`."""
        self._native.consent(notice)

    def answer(self, item: str, code: int) -> None:
        """Answers an item with a code of its scale (replaces an earlier
        answer)."""
        self._native.answer(item, code)

    def clear(self, item: str) -> None:
        """Takes back the answer to an item."""
        self._native.clear(item)

    def decline(self, topic: str) -> None:
        """Declines a topic: its answers are dropped at once."""
        self._native.decline(topic)

    def reopen(self, topic: str) -> None:
        """Reopens a declined topic."""
        self._native.reopen(topic)

    def set_locale(self, locale: str) -> None:
        """Sets the locale of the report's texts."""
        self._native.set_locale(locale)

    def set_audience(self, audience: str) -> None:
        """Sets who the report is for (default ``participant``)."""
        self._native.set_audience(audience)

    def progress(self) -> Progress:
        """Counts of answered and open items and declined topics."""
        return Progress(*self._native.progress())

    def finish(self) -> Report:
        """The report for the answers held: exactly what
        :meth:`Evaluator.evaluate` returns for them. The session stays
        open."""
        return Report(self._native.finish(), self._evaluator)

    def withdraw(self) -> None:
        """Withdraws consent: everything held is wiped, every later call
        raises :class:`ConsentError`."""
        self._native.withdraw()

    def __repr__(self) -> str:
        return repr(self._native)
