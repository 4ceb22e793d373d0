"""Every exception path: the class, the engine's code, message, path and
help, and the error envelope byte for byte."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

import aspekt

from conftest import CONSENT

ALL_FIVE = {"q1": 4, "q2": 3, "q3": 3, "q4": 2, "q5": 3}


def envelope(e: aspekt.AspektError) -> dict:
    return json.loads(e.json)["error"]


def check(e: aspekt.AspektError, code: str, path=None):
    assert e.code == code
    body = envelope(e)
    assert body["code"] == code
    assert body["message"] == e.message
    assert body["path"] == e.path == path
    assert body["help"] == e.help
    assert e.help
    assert str(e).startswith(f"error[{code}]") or code == "invalid_definition"


def test_hierarchy():
    assert issubclass(aspekt.DefinitionError, aspekt.AspektError)
    assert issubclass(aspekt.RequestError, aspekt.AspektError)
    assert issubclass(aspekt.ConsentError, aspekt.RequestError)
    assert issubclass(aspekt.AspektError, Exception)
    assert aspekt.AspektError.__module__ == "aspekt"


def test_definition_error_has_diagnostics():
    text = "[questionnaire]\nid = 3\n"
    with pytest.raises(aspekt.DefinitionError) as info:
        aspekt.compile(text)
    e = info.value
    assert e.code == "invalid_definition"
    assert e.path is None
    # Every shape error comes in one run: the wrong type and the missing keys.
    assert {x.code for x in e.diagnostics} == {"invalid_type", "missing_key"}
    d = next(x for x in e.diagnostics if x.code == "invalid_type")
    assert isinstance(d, aspekt.Diagnostic)
    assert (d.code, d.severity, d.line, d.column) == ("invalid_type", "error", 2, 6)
    assert d.message and d.help and d.file == "definition.toml"
    assert json.loads(d.json)["code"] == "invalid_type"
    assert str(d).startswith("definition.toml:2:6")
    assert "Diagnostic(code=" in repr(d)
    body = envelope(e)
    assert [x["code"] for x in body["diagnostics"]] == [x.code for x in e.diagnostics]
    assert "definition.toml" in str(e)
    assert "id = 3" in e.rendered


def test_definition_error_many_diagnostics(tmp_path):
    bad = (tmp_path / "bad.toml")
    bad.write_text(
        """[questionnaire]
id = "bad"
version = "1.0.0"
locales = ["en"]
title = { en = "Bad" }
description = { en = "Bad" }
[questionnaire.source]
citation = "x"
licence = "x"
[[scale]]
id = "s"
options = [{ code = 1, label = { en = "a" } }, { code = 2, label = { en = "b" } }]
[[item]]
id = "q1"
scale = "nope"
text = { en = "Q" }
[[score]]
id = "s1"
items = ["q1", "q9"]
aggregate = "sum"
[[result]]
id = "r"
title = { en = "R" }
score = "s1"
audiences = ["participant"]
[[result.band]]
id = "b"
min = 1
max = 1
label = { en = "b" }
explanation = { en = "b" }
""",
        encoding="utf-8",
    )
    with pytest.raises(aspekt.DefinitionError) as info:
        aspekt.compile(bad)
    codes = {d.code for d in info.value.diagnostics}
    assert {"unknown_scale", "unknown_item"} <= codes
    assert all(d.line is not None for d in info.value.diagnostics if d.code == "unknown_scale")
    assert all(d.file.endswith("bad.toml") for d in info.value.diagnostics)


def test_unknown_library_instrument():
    with pytest.raises(aspekt.RequestError) as info:
        aspekt.load("nothing")
    check(info.value, "unknown_definition")
    assert "who5" in info.value.help


def test_consent_missing_and_wrong(who5):
    with pytest.raises(aspekt.ConsentError) as info:
        who5.evaluate(ALL_FIVE)
    check(info.value, "consent_required", "consent.notice")
    with pytest.raises(aspekt.ConsentError) as info:
        who5.evaluate(ALL_FIVE, consent="2020-01")
    check(info.value, "consent_required", "consent.notice")


@pytest.mark.parametrize(
    "kwargs, code, path",
    [
        (dict(answers={"q9": 1}), "unknown_item", "answers.q9"),
        (dict(answers={"q1": 9}), "invalid_code", "answers.q1"),
        (dict(answers={"q1": 3.5}), "invalid_request", "answers.q1"),
        (dict(answers={"q1": True}), "invalid_request", "answers.q1"),
        (dict(answers={"q1": "3"}), "invalid_request", "answers.q1"),
        (dict(answers={"q1": float("inf")}), "invalid_request", "answers.q1"),
        (dict(answers={"q1": 10**30}), "invalid_request", "answers.q1"),
        (dict(answers={}, declined=["nothing"]), "unknown_topic", "declined[0]"),
        (dict(answers={"q1": 3}, declined=["wellbeing"]), "answer_in_declined_topic", "answers.q1"),
        (dict(answers={}, locale="fr"), "unknown_locale", "locale"),
        (dict(answers={}, audience="agency"), "unknown_audience", "audience"),
    ],
)
def test_request_errors(who5, kwargs, code, path):
    with pytest.raises(aspekt.RequestError) as info:
        who5.evaluate(consent=CONSENT, **kwargs)
    assert not isinstance(info.value, aspekt.ConsentError)
    check(info.value, code, path)
    # Never the answer in a message.
    for v in kwargs.get("answers", {}).values():
        if isinstance(v, int) and not isinstance(v, bool) and v > 5:
            assert str(v) not in info.value.message


def test_malformed_json(who5):
    with pytest.raises(aspekt.RequestError) as info:
        who5.evaluate_json('{"answers": ')
    check(info.value, "malformed_json", "answers")
    with pytest.raises(aspekt.RequestError) as info:
        who5.evaluate_json('{"answers": {}, "nope": 1}')
    check(info.value, "invalid_request", "nope")


def test_request_bytes_and_invalid_encoding(who5):
    # UTF-8 bytes are a request like a str.
    request = '{"consent": {"notice": "%s"}, "answers": {"q1": 3}}' % CONSENT
    assert who5.evaluate_json(request.encode()) == who5.evaluate_json(request)
    # Bytes that are not UTF-8, and a str that cannot be UTF-8 (a lone
    # surrogate), are the engine's malformed_json at the root path.
    for bad in [b'{"answers": {"q\xff": 1}}', '{"answers": {"q\udcff": 1}}']:
        with pytest.raises(aspekt.RequestError) as info:
            who5.evaluate_json(bad)
        check(info.value, "malformed_json", ".")
        assert "not UTF-8" in info.value.message
    with pytest.raises(TypeError):
        who5.evaluate_json(42)


def test_untrusted_text_is_quoted_and_bounded(who5):
    huge = "x" * (50 << 20)
    with pytest.raises(aspekt.RequestError) as info:
        who5.evaluate({huge: 1}, consent=CONSENT)
    assert len(info.value.json) < 1024
    check(info.value, "unknown_item", 'answers["%s…"]' % ("x" * 40))
    with pytest.raises(aspekt.RequestError) as info:
        who5.evaluate({"q\n1\u202e": 1}, consent=CONSENT)
    check(info.value, "unknown_item", r'answers["q\n1\u{202e}"]')
    assert r"`q\n1\u{202e}`" in info.value.message
    # An id that is not UTF-8 is an unknown item too, not a Python error.
    with pytest.raises(aspekt.RequestError) as info:
        who5.evaluate({"q\udcff": 1}, consent=CONSENT)
    assert info.value.code == "unknown_item"
    # A string answer gives the same error whatever it says.
    errors = set()
    for secret in ["very secret", "3", "\udcff"]:
        with pytest.raises(aspekt.RequestError) as info:
            who5.evaluate({"q1": secret}, consent=CONSENT)
        errors.add(info.value.json)
    assert len(errors) == 1


def test_python_type_errors(who5):
    with pytest.raises(TypeError):
        who5.evaluate({1: 3}, consent=CONSENT)
    with pytest.raises(TypeError):
        who5.evaluate({"q1": object()}, consent=CONSENT)
    with pytest.raises(TypeError):
        who5.evaluate([("q1", 3)], consent=CONSENT)


def test_transparency_and_form_locale_errors(who5):
    with pytest.raises(aspekt.RequestError) as info:
        who5.transparency("fr")
    check(info.value, "unknown_locale", "locale")
    with pytest.raises(aspekt.RequestError) as info:
        who5.form("fr")
    check(info.value, "unknown_locale", "locale")


def test_session_errors(who5):
    s = who5.session()
    with pytest.raises(aspekt.ConsentError):
        s.answer("q1", 3)
    with pytest.raises(aspekt.ConsentError):
        s.progress()
    with pytest.raises(aspekt.ConsentError) as info:
        s.consent("2020-01")
    check(info.value, "consent_required", "consent.notice")
    s.consent(CONSENT)
    with pytest.raises(aspekt.RequestError) as info:
        s.answer("q1", 9)
    check(info.value, "invalid_code", "answers.q1")
    with pytest.raises(aspekt.RequestError) as info:
        s.answer("q9", 1)
    check(info.value, "unknown_item", "answers.q9")
    with pytest.raises(aspekt.RequestError) as info:
        s.decline("nothing")
    check(info.value, "unknown_topic", "declined")
    with pytest.raises(aspekt.RequestError) as info:
        s.set_locale("fr")
    check(info.value, "unknown_locale", "locale")
    with pytest.raises(aspekt.RequestError) as info:
        s.set_audience("agency")
    check(info.value, "unknown_audience", "audience")
    s.decline("wellbeing")
    with pytest.raises(aspekt.RequestError) as info:
        s.answer("q1", 3)
    check(info.value, "answer_in_declined_topic", "answers.q1")
    s.withdraw()
    with pytest.raises(aspekt.ConsentError) as info:
        s.consent(CONSENT)
    check(info.value, "consent_withdrawn")


# ------------------------------------------------------------- batches


def frame(**cols):
    pd = pytest.importorskip("pandas")
    return pd.DataFrame(cols)


def test_batch_requires_consent(who5):
    df = frame(q1=[1.0], q2=[1.0], q3=[1.0], q4=[1.0], q5=[1.0])
    with pytest.raises(aspekt.ConsentError) as info:
        who5.evaluate_frame(df)
    check(info.value, "consent_required", "consent")
    with pytest.raises(aspekt.ConsentError):
        who5.evaluate_frame(df, consent="2020-01")


def test_batch_call_errors(who5):
    df = frame(q1=[1.0], q2=[1.0], q3=[1.0], q4=[1.0], q5=[1.0], zz=[1.0])
    with pytest.raises(aspekt.RequestError) as info:
        who5.evaluate_frame(df, consent=CONSENT, columns=["q1", "zz"])
    check(info.value, "unknown_item", "columns[1]")
    with pytest.raises(aspekt.RequestError) as info:
        who5.evaluate_frame(df, consent=CONSENT, audience="agency")
    check(info.value, "unknown_audience", "audience")
    with pytest.raises(aspekt.RequestError) as info:
        who5.evaluate_frame(df, consent=CONSENT, declined={"nothing": [False]})
    check(info.value, "unknown_topic", "topics[0]")
    with pytest.raises(ValueError):
        who5.evaluate_frame(df, consent=CONSENT, on_error="ignore")
    with pytest.raises(ValueError):
        who5.evaluate_frame(frame(a=[1]), consent=CONSENT)
    with pytest.raises(ValueError):
        who5.evaluate_frame(df, consent=CONSENT, declined={"wellbeing": [False, True]})
    with pytest.raises(TypeError):
        who5.evaluate_frame({"q1": [1]}, consent=CONSENT)
    with pytest.raises(ValueError):
        who5.evaluate_frame(np.zeros((2, 3)), consent=CONSENT)
    with pytest.raises(ValueError):
        who5.evaluate_frame(np.zeros(5), consent=CONSENT)


def test_batch_column_type_errors(who5):
    with pytest.raises(TypeError):
        who5.evaluate_frame(frame(q1=[True]), consent=CONSENT)
    with pytest.raises(TypeError):
        who5.evaluate_frame(frame(q1=["a"]), consent=CONSENT)


def test_row_errors_raise_with_row_numbers(who5):
    df = frame(q1=[1, 9, 1, 1], q2=[1, 1, 1.5, 1], q3=[1, 1, 1, 1], q4=[1, 1, 1, 1], q5=[1, 1, 1, 1])
    with pytest.raises(aspekt.RequestError) as info:
        who5.evaluate_frame(df, consent=CONSENT)
    e = info.value
    assert e.code == "invalid_code"
    assert [r.row for r in e.rows] == [1, 2]
    assert [r.path for r in e.rows] == ["answers.q1", "answers.q2"]
    assert "rows 1, 2" in str(e)
    assert json.loads(e.rows[0].json)["error"]["code"] == "invalid_code"
    assert e.json == e.rows[0].json
    assert "9" not in e.message


def test_row_errors_null(who5):
    df = frame(q1=[1, 9, 1], q2=[1, 1, 1], q3=[1, 1, 1], q4=[1, 1, 1], q5=[1, 1, 1])
    with pytest.warns(aspekt.RowErrorWarning, match="row 1"):
        out = who5.evaluate_frame(df, consent=CONSENT, on_error="null")
    assert list(out["wellbeing_status"]) == ["ok", "error", "ok"]
    assert out["wellbeing_band"].isna().tolist() == [False, True, False]


def test_answer_in_declined_topic_is_a_row_error(who5):
    df = frame(q1=[1, 1], q2=[1, 1], q3=[1, 1], q4=[1, 1], q5=[1, 1])
    with pytest.raises(aspekt.RequestError) as info:
        who5.evaluate_frame(df, consent=CONSENT, declined={"wellbeing": [False, True]})
    assert [(r.row, r.code) for r in info.value.rows] == [(1, "answer_in_declined_topic")]


def test_codes_matrix_errors(who5):
    with pytest.raises(ValueError):
        who5.evaluate_codes(np.zeros((2, 5), dtype=np.int32), ["q1"], consent=CONSENT)
    with pytest.raises(ValueError):
        who5.evaluate_codes(np.zeros(5, dtype=np.int32), ["q1"], consent=CONSENT)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        b = who5.evaluate_codes(np.full((2, 5), 3, dtype=np.int32), who5.items, consent=CONSENT)
    assert b.errors == []
