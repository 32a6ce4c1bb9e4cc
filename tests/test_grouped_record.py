"""The JSON record of a grouped result: round trip and hostile records.

Round trips compare a result read back with the result written (exact equality of the
tables: the record stores the moments and estimates as JSON doubles, which round-trip
exactly, and every table is recomputed from them by the same functions). Hostile
records must raise a SatModelError naming the field (and the group), never another
exception.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import satmodel as sm
from satmodel.errors import SatModelError

DF = sm.datasets.load("ecsi_satisfaction")
SPEC = sm.templates.ecsi()


@pytest.fixture(scope="module")
def fitted():
    df = DF.assign(wave=np.where(np.arange(len(DF)) % 2 == 0, 2025, 2026))
    df.loc[(df.gender == "male") & (df.wave == 2026), "SAT1"] = 5  # a constant item
    with pytest.warns(sm.SatModelWarning):
        return sm.fit_pls(SPEC, df, by=["gender", "wave"])


@pytest.fixture(scope="module")
def booted(fitted):
    with pytest.warns(sm.SatModelWarning):
        return fitted.bootstrap(n=60, seed=4, tables=["paths", "index"])


def test_round_trip_keeps_groups_tables_skips_and_diagnostics(fitted):
    text = fitted.to_json()
    assert "IMAG1" in text and len(json.loads(text)["groups"]) == fitted.n_groups == 3
    back = sm.GroupedPLSResult.from_json(text)
    for name in ("paths", "outer", "quality", "effects", "r2"):
        pd.testing.assert_frame_equal(back.table(name), fitted.table(name))
    pd.testing.assert_frame_equal(back.keys, fitted.keys)
    pd.testing.assert_frame_equal(back.skipped, fitted.skipped)
    assert back.skipped.code.tolist() == ["constant_item"]
    assert [d.code for d in back.diagnostics] == [d.code for d in fitted.diagnostics]
    one = back["female", 2026]
    assert isinstance(one, sm.PLSResult) and one.n_obs == fitted["female", 2026].n_obs
    pd.testing.assert_frame_equal(one.paths, fitted["female", 2026].paths)
    with pytest.raises(SatModelError, match="not fitted"):
        back["male", 2026]
    assert json.loads(text)["tables"]["paths"][0]["gender"] == "female"
    new = DF.assign(wave=2025).head(30)  # frozen weights need no rows of the fit
    pd.testing.assert_frame_equal(back.score(new), fitted.score(new))
    with pytest.raises(SatModelError, match="respondent rows"):
        back.predict()


def test_round_trip_of_a_bootstrap(booted):
    back = sm.GroupedPLSResult.from_json(booted.to_json())
    pd.testing.assert_frame_equal(back.paths, booted.paths)
    pd.testing.assert_frame_equal(back.index(), booted.index())
    pd.testing.assert_frame_equal(back.index_change("wave", 2025, 2026),
                                  booted.index_change("wave", 2025, 2026))
    with pytest.raises(SatModelError, match="respondent rows"):
        back.bootstrap(n=10, seed=1)
    with pytest.raises(SatModelError, match="draws"):
        back.conf_int(level=0.9)
    full = sm.GroupedPLSResult.from_json(booted.to_json(draws=True))
    pd.testing.assert_frame_equal(full.conf_int(level=0.9).paths, booted.conf_int(level=0.9).paths)
    assert full.group_seed(("female", 2025)).spawn_key == \
        booted.group_seed(("female", 2025)).spawn_key


def test_keys_that_json_cannot_hold_are_refused_naming_the_column():
    df = DF.assign(when=pd.to_datetime(np.where(DF.gender == "male", "2025-01-01", "2026-01-01")))
    with pytest.warns(sm.SatModelWarning):
        res = sm.fit_pls(SPEC, df, by="when")
    with pytest.raises(SatModelError, match="'when'"):
        res.to_json()


def _record(res) -> dict:
    return json.loads(res.to_json())


HOSTILE = {
    "wrong format": lambda r: r.update(format="satmodel.PLSResult"),
    "old version": lambda r: r.update(version=1),
    "no groups": lambda r: r.update(groups=[]),
    "key too short": lambda r: r["groups"][0].update(key=[]),
    "duplicate key": lambda r: r["groups"][1].update(key=r["groups"][0]["key"]),
    "key a list": lambda r: r["groups"][0].update(key=[["x"], 1]),
    "by twice": lambda r: r.update(by=["gender", "gender"]),
    "negative n_input": lambda r: r["groups"][0].update(n_input=-5),
    "n_input below rows": lambda r: r["groups"][0].update(n_input=3),
    "r2 out of line": lambda r: r["groups"][1]["record"]["estimate"]["r2"].update(SAT=7.5),
    "sd zero": lambda r: r["groups"][0]["record"]["indicator_std"].update(IMAG1=0.0),
    "n_obs negative": lambda r: r["groups"][0]["record"].update(n_obs=-5),
    "spec inside a group": lambda r: r["groups"][0]["record"].update(spec={}),
    "record missing": lambda r: r["groups"][0].pop("record"),
    "inference without settings": lambda r: r["groups"][0]["record"].update(
        inference={"n_requested": 2, "n_valid": 2, "level": 0.95, "original": {},
                   "summaries": {}}),
    "entropy text": lambda r: r.update(inference={"level": 0.95, "entropy": "abc"}),
    "extra field": lambda r: r.update(surprise=1),
    "skipped key wrong": lambda r: r.update(skipped=[{"key": [1], "n": 3, "code": "x",
                                                      "reason": "y"}]),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_records_raise_satmodel_errors(fitted, case):
    record = _record(fitted)
    HOSTILE[case](record)
    with pytest.raises(SatModelError) as err:
        sm.GroupedPLSResult.from_json(json.dumps(record))
    assert "Traceback" not in str(err.value)


def test_hostile_group_record_names_the_group(fitted):
    record = _record(fitted)
    record["groups"][1]["record"]["estimate"]["r2"]["SAT"] = 7.5
    with pytest.raises(SatModelError, match=r"groups\[1\] \(gender='female', wave=2026\)"):
        sm.GroupedPLSResult.from_json(json.dumps(record))


@pytest.mark.parametrize("text", ["", "[]", "{" * 5000, b"\xff\xfe", "null", 42])
def test_garbage_is_refused(text):
    with pytest.raises(SatModelError):
        sm.GroupedPLSResult.from_json(text)


# ------------------------------------------------ random hostile grouped records (hypothesis)

from functools import lru_cache  # noqa: E402

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from test_adversarial import _HOSTILE_VALUES, _mutate, _paths, budget, outcome  # noqa: E402


@lru_cache(maxsize=None)
def _grouped_record() -> str:
    spec = sm.ModelSpec.from_lavaan("A =~ a1 + a2 + a3\nB <~ b1 + b2\nC =~ c1 + c2\nB ~ A\nC ~ A + B")
    rng = np.random.default_rng(3)
    f = rng.normal(size=(120, 1))
    X = np.clip(np.round(4 + f + rng.normal(size=(120, 7)) * 0.7), 1, 7)
    data = pd.DataFrame(X, columns=list(spec.indicator_names)).assign(g=np.arange(120) % 3)
    with pytest.warns(sm.SatModelWarning):
        res = sm.fit_pls(spec, data, by="g").bootstrap(n=20, seed=1, tables=["paths"])
    return res.to_json()


@st.composite
def hostile_grouped_records(draw):
    tree = json.loads(_grouped_record())
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(list(_paths(tree)) or [()]))
        op = draw(st.sampled_from(["set", "set", "delete", "rename", "scale", "wrap",
                                   "duplicate", "nudge", "shuffle"]))
        tree = _mutate(tree, path, op, draw(_HOSTILE_VALUES))
    return json.dumps(tree, allow_nan=True)


def _use_grouped(res) -> None:
    for name in ("paths", "outer", "quality", "r2", "effects"):
        res.table(name)
    res.index()
    res.summary()
    for _, one in res.items():
        one.paths
    again = sm.GroupedPLSResult.from_json(res.to_json())
    assert again.to_json() == res.to_json()


@budget(80)
@given(hostile_grouped_records())
def test_random_hostile_grouped_records(text):
    """A mutated grouped record gives a usable result or a SatModelError, never another
    exception (the single-record suite's outcome rules, tests/test_adversarial.py)."""
    value = outcome(sm.GroupedPLSResult.from_json, text)
    if not isinstance(value, sm.SatModelError):
        outcome(_use_grouped, value)


def test_unmodified_grouped_record_reads_back():
    text = _grouped_record()
    assert sm.GroupedPLSResult.from_json(text).to_json() == text


def test_bootstrap_rows_that_do_not_fit_the_tables_are_refused(booted):
    record = _record(booted)
    inf = record["groups"][0]["record"]["inference"]
    inf["original"]["paths"]["estimate"] = inf["original"]["paths"]["estimate"][:3]
    for stat in inf["summaries"]["paths"]["estimate"]:
        inf["summaries"]["paths"]["estimate"][stat] = inf["summaries"]["paths"]["estimate"][stat][:3]
    with pytest.raises(SatModelError, match="with 10 values"):
        sm.GroupedPLSResult.from_json(json.dumps(record))
