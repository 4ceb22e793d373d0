"""The Python API around one evaluation: compiling, loading, the library,
reports, statements, forms, sessions."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

import aspekt

from conftest import CONSENT, ROOT, STUDY

ALL_FIVE = {"q1": 4, "q2": 3, "q3": 3, "q4": 2, "q5": 3}


def test_version_and_constants():
    assert aspekt.__version__ == aspekt.ENGINE_VERSION
    assert aspekt.MISSING == -(2**31)
    assert aspekt.STATUSES == ("ok", "declined", "insufficient", "error")


def test_library_lists_instruments_with_metadata():
    lib = aspekt.library()
    ids = [e["id"] for e in lib]
    assert ids == sorted(ids)
    assert {"who5", "gse", "brs", "work-attitudes", "competences"} <= set(ids)
    who5 = next(e for e in lib if e["id"] == "who5")
    assert who5["items"] == 5
    assert who5["locales"] == ["de", "en"]
    assert who5["mode"] == "questionnaire"
    assert set(who5) == {
        "id", "version", "title", "locales", "items", "minutes", "licence", "commercial_use", "mode",
    }
    for e in lib:
        ev = aspekt.load(e["id"])
        assert ev.version == e["version"]
        assert len(ev.items) == e["items"]


def test_load_gives_an_evaluator(who5):
    assert who5.id == "who5"
    assert who5.privacy_notice == CONSENT
    assert who5.locales == ["de", "en"]
    assert who5.audiences == ["participant", "counsellor"]
    assert who5.digest.startswith("sha256:")
    assert who5.items == ["q1", "q2", "q3", "q4", "q5"]
    assert who5.results == ["wellbeing"]
    assert who5.bands() == {"wellbeing": ["low", "reduced", "good"]}
    assert who5.warnings == []
    info = who5.info()
    assert info["id"] == "who5" and info["mode"] == "questionnaire"
    assert repr(who5) == "Evaluator(id='who5', version='1.0.0')"


def test_compile_from_text_path_and_folder(tmp_path: Path):
    path = ROOT / "definitions" / "who5" / "definition.toml"
    from_path = aspekt.compile(path)
    from_str_path = aspekt.compile(str(path))
    from_folder = aspekt.compile(path.parent)
    from_text = aspekt.compile(path.read_text(encoding="utf-8"))
    assert from_path.digest == from_str_path.digest == from_folder.digest == from_text.digest
    assert from_path.digest == aspekt.load("who5").digest


def test_compile_reads_rule_files_beside_the_definition(study, tmp_path: Path):
    assert study.id == "study"
    assert study.bands()["extra"] == ["evenings", "even", "mornings"]
    # From text, the rule file must be passed.
    text = (STUDY / "definition.toml").read_text(encoding="utf-8")
    with pytest.raises(aspekt.DefinitionError) as e:
        aspekt.compile(text)
    assert any(d.code == "invalid_rule" for d in e.value.diagnostics)
    rule = (STUDY / "extra.rhai").read_text(encoding="utf-8")
    assert aspekt.compile(text, files={"extra.rhai": rule}).digest == study.digest
    # A copy elsewhere finds its rule file too.
    shutil.copytree(STUDY, tmp_path / "copy")
    assert aspekt.compile(tmp_path / "copy" / "definition.toml").digest == study.digest


def test_compile_names_the_source_in_diagnostics():
    with pytest.raises(aspekt.DefinitionError) as e:
        aspekt.compile("[questionnaire]\nid = 3\n", name="mine.toml")
    assert e.value.diagnostics[0].file == "mine.toml"


def test_compile_missing_file():
    with pytest.raises(FileNotFoundError):
        aspekt.compile("no/such/definition.toml")


def test_evaluate_returns_a_report(who5):
    r = who5.evaluate(ALL_FIVE, consent=CONSENT, locale="en")
    assert r.definition == aspekt.DefinitionRef("who5", "1.0.0", who5.digest)
    assert r.engine_version == aspekt.ENGINE_VERSION
    assert r.locale == "en" and r.audience == "participant"
    assert len(r) == 1
    (entry,) = r.results
    assert entry.id == "wellbeing" and entry.topic == "wellbeing"
    assert entry.status == "ok"
    assert entry.band == aspekt.Band("good", 2, 3)
    assert entry.label and entry.explanation
    assert r["wellbeing"] == entry
    assert list(r) == [entry]
    with pytest.raises(KeyError):
        r["nothing"]
    d = r.to_dict()
    assert d["results"][0]["band"] == {"id": "good", "index": 2, "of": 3}
    assert json.loads(r.to_json()) == d
    assert "good" in repr(r)


def test_report_equality_and_text(who5):
    a = who5.evaluate(ALL_FIVE, consent=CONSENT, locale="en")
    b = who5.evaluate(dict(reversed(list(ALL_FIVE.items()))), consent=CONSENT, locale="en")
    assert a == b and hash(a) == hash(b)
    assert a != who5.evaluate(ALL_FIVE, consent=CONSENT, locale="de")
    text = a.to_text()
    assert text.startswith("WHO-5 Well-Being Index\n")
    assert "level 3 / 3" in text


def test_evaluate_same_as_evaluate_json(who5):
    request = json.dumps({"answers": ALL_FIVE, "consent": {"notice": CONSENT}, "locale": "en"})
    assert who5.evaluate_json(request) == who5.evaluate(ALL_FIVE, consent=CONSENT, locale="en").to_json()


def test_missing_spellings(who5):
    """None, NaN and leaving an item out all mean "not answered"."""
    base = {"q1": 4, "q2": 3, "q3": 3, "q4": 2}
    out = who5.evaluate(base, consent=CONSENT).to_json()
    assert who5.evaluate({**base, "q5": None}, consent=CONSENT).to_json() == out
    assert who5.evaluate({**base, "q5": float("nan")}, consent=CONSENT).to_json() == out
    assert who5.evaluate({**base, "q5": np.nan}, consent=CONSENT).to_json() == out


def test_numeric_spellings(who5):
    """numpy integers and integral floats (a pandas row with gaps) are codes."""
    out = who5.evaluate(ALL_FIVE, consent=CONSENT).to_json()
    as_np = {k: np.int64(v) for k, v in ALL_FIVE.items()}
    as_float = {k: float(v) for k, v in ALL_FIVE.items()}
    as_i8 = {k: np.int8(v) for k, v in ALL_FIVE.items()}
    as_f32 = {k: np.float32(v) for k, v in ALL_FIVE.items()}
    for answers in (as_np, as_float, as_i8, as_f32):
        assert who5.evaluate(answers, consent=CONSENT).to_json() == out


def test_pandas_row_as_answers(who5):
    pd = pytest.importorskip("pandas")
    row = pd.Series({**ALL_FIVE, "q5": math.nan})
    nullable = pd.Series({**ALL_FIVE, "q5": pd.NA}, dtype="Int64")
    expect = who5.evaluate({**ALL_FIVE, "q5": None}, consent=CONSENT)
    assert who5.evaluate(row, consent=CONSENT) == expect
    assert who5.evaluate(nullable, consent=CONSENT) == expect


def test_declined_and_audiences(study):
    r = study.evaluate({"t1": 5}, declined=["focus", "extra"], consent=CONSENT, audience="agency")
    assert [e.id for e in r.results] == ["team"]
    assert r["team"].status == "insufficient"
    r = study.evaluate({}, declined="team", consent=CONSENT, audience="counsellor")
    assert [e.status for e in r.results] == ["declined", "insufficient", "insufficient"]


def test_transparency(who5):
    t = who5.transparency("en")
    assert t["locale"] == "en"
    assert t["results"][0]["seen_by"] == ["you", "your counsellor"]
    assert "the employment agency" in t["text"]
    assert who5.transparency()["locale"] == "de"


def test_form_has_items_and_options_only(who5):
    f = who5.form("en")
    assert f["id"] == "who5" and f["locale"] == "en"
    (topic,) = f["topics"]
    assert [i["id"] for i in topic["items"]] == who5.items
    assert topic["items"][0]["options"][0] == {"code": 5, "label": "All of the time"}
    assert "score" not in json.dumps(f)


def test_disclosure(who5):
    d = who5.disclosure()
    assert {(f["audience"], f["result"]) for f in d["results"]} == {
        ("participant", "wellbeing"),
        ("counsellor", "wellbeing"),
    }
    assert all(f["k"] >= 2 for f in d["results"])


def test_definition_model(study):
    d = study.definition()
    assert [s["id"] for s in d["score"]] == ["team", "focus", "extra"]
    assert next(i for i in d["item"] if i["id"] == "t2")["reverse"] is True
    assert "example" not in d


def test_json_schemas():
    for kind in ("definition", "request", "report", "error", "form", "transparency", "disclosure"):
        schema = aspekt.json_schema(kind)
        assert isinstance(schema, dict) and schema
    with pytest.raises(ValueError):
        aspekt.json_schema("nothing")


def test_selection_results_have_their_band_ids():
    competences = aspekt.load("competences")
    assert all(ids == ["none", "listed"] for ids in competences.bands().values())


def test_session_flow(who5):
    s = who5.session()
    assert isinstance(s, aspekt.Session)
    s.consent(CONSENT)
    for item, code in ALL_FIVE.items():
        s.answer(item, code)
    assert s.progress() == aspekt.Progress(answered=5, total=5, open=5, declined_topics=0, topics=1)
    s.set_locale("en")
    s.set_audience("counsellor")
    r = s.finish()
    assert r == who5.evaluate(ALL_FIVE, consent=CONSENT, locale="en", audience="counsellor")
    s.clear("q5")
    assert s.finish()["wellbeing"].status == "insufficient"
    s.decline("wellbeing")
    assert s.progress().declined_topics == 1
    assert s.finish()["wellbeing"].status == "declined"
    s.reopen("wellbeing")
    assert s.progress().answered == 0
    assert "redacted" in repr(s) or "who5" in repr(s)
    s.withdraw()
    with pytest.raises(aspekt.ConsentError):
        s.finish()
    with pytest.raises(aspekt.ConsentError):
        s.answer("q1", 3)


def test_session_is_the_public_class(who5):
    s = aspekt.Session(who5)
    with pytest.raises(aspekt.ConsentError):
        s.answer("q1", 3)
