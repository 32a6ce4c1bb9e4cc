"""The JSON record of a staged result (higher-order constructs, interaction terms; issue
14): it round-trips to a StagedPLSResult with the user's names (the reference is the
result that wrote it: equality is exact, as nothing is recomputed but the tables from the
same stored arrays), and a malformed or hostile record is refused with a SatModelError
naming the field, never read as a wrong result."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

import satmodel as sm
from satmodel.errors import SatModelError

DF = sm.datasets.load("ecsi_satisfaction")
SPEC = sm.ModelSpec.from_lavaan("""
    QUAL =~ QUAL1 + QUAL2 + QUAL3; VAL =~ VAL1 + VAL2; SAT =~ SAT1 + SAT2 + SAT3
    IMAG =~ IMAG1 + IMAG2 + IMAG3; LOY =~ LOY1 + LOY2 + LOY3
    PERF =~ QUAL + VAL
    SAT ~ PERF + IMAG; LOY ~ SAT + IMAG + SAT:IMAG""")


@pytest.fixture(scope="module")
def boot():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sm.fit_pls(SPEC, DF, hoc="two_stage", interaction="two_stage")
        return res.bootstrap(n=100, seed=1, progress=False)


@pytest.fixture(scope="module")
def record(boot):
    return json.loads(boot.to_json())


def _read(record):
    return sm.StagedPLSResult.from_json(json.dumps(record))


@pytest.mark.parametrize("hoc,interaction,scale", [
    ("two_stage", "two_stage", "standardized"), ("repeated_indicators", "product_indicator",
                                                 "seminr"),
    ("embedded_two_stage", "orthogonal", "standardized"), (None, "two_stage", "csem")])
def test_round_trip_keeps_the_users_names(hoc, interaction, scale):
    spec = SPEC if hoc else sm.ModelSpec.from_lavaan(
        "SAT =~ SAT1 + SAT2; IMAG =~ IMAG1 + IMAG2; LOY =~ LOY1 + LOY2\n"
        "LOY ~ SAT + IMAG + SAT:IMAG")
    if hoc == "embedded_two_stage":
        interaction = "two_stage"  # embedded with an interaction needs its two-stage term
    res = sm.fit_pls(spec, DF, hoc=hoc, interaction=interaction, interaction_scale=scale)
    back = sm.StagedPLSResult.from_json(res.to_json())
    assert type(back) is sm.StagedPLSResult and back.plan == res.plan
    for name in ("paths", "outer", "effects", "quality", "r2", "htmt", "cross_loadings"):
        assert getattr(back, name).equals(getattr(res, name)), name
    assert "SAT:IMAG" in back.paths.source.tolist()
    assert len(back.stages) == len(res.stages)
    for a, b in zip(back.stages, res.stages):
        assert a.outer.equals(b.outer)
    assert back.simple_slopes("SAT", "IMAG").equals(res.simple_slopes("SAT", "IMAG"))
    assert "hoc=" in repr(back) or hoc is None


def test_bootstrap_travels_with_its_draws(boot):
    back = sm.StagedPLSResult.from_json(boot.to_json(draws=True))
    assert back.paths.equals(boot.paths)
    assert back.indirect_effects.equals(boot.indirect_effects)
    assert back.floodlight("SAT", "IMAG").equals(boot.floodlight("SAT", "IMAG"))
    assert back.conf_int(0.9).paths.equals(boot.conf_int(0.9).paths)
    summaries = sm.StagedPLSResult.from_json(boot.to_json())  # without draws: summaries
    assert summaries.paths.equals(boot.paths)
    with pytest.raises(SatModelError, match="draws=True"):
        summaries.indirect_effects
    with pytest.raises(SatModelError, match="respondent rows"):
        back.bootstrap(n=10)


def test_record_is_what_consumers_read(record):
    assert record["format"] == "satmodel.StagedPLSResult"
    assert record["hoc"] == "two_stage" and record["interaction"] == "two_stage"
    assert sm.ModelSpec.model_validate(record["model"]) == SPEC
    sources = [r["source"] for r in record["result"]["tables"]["paths"]]
    assert "SAT:IMAG" in sources and "SAT.IMAG" not in sources
    assert record["stages"][0]["tables"] == {}


def test_readers_point_to_each_other(boot):
    with pytest.raises(SatModelError, match="StagedPLSResult.from_json"):
        sm.PLSResult.from_json(boot.to_json())
    plain = sm.fit_pls(sm.templates.ecsi(), DF)
    with pytest.raises(SatModelError, match="PLSResult.from_json"):
        sm.StagedPLSResult.from_json(plain.to_json())


def _tamper(record, change):
    bad = json.loads(json.dumps(record))
    change(bad)
    return bad


def _set(path, value):
    def change(r):
        node = r
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return change


HOSTILE = {
    "other estimation": (_set(["hoc"], "repeated_indicators"), "earlier stage|plan"),
    "unknown option": (_set(["interaction"], "cubic"), "interaction"),
    "first-order model": (_set(["model"], sm.templates.ecsi().model_dump(mode="json")),
                          "no higher-order constructs"),
    "model that is no model": (_set(["model", "paths"], [{"source": "SAT", "target": "LOY"}]),
                               "model"),
    "missing stage": (_set(["stages"], []), "1 earlier stage"),
    "stage of another model": (
        lambda r: r["stages"][0]["spec"]["constructs"].reverse(), "stages.0.spec|not the stage"),
    "foreign last stage": (
        lambda r: r["result"]["spec"]["paths"].pop(), "result"),
    "NaN estimate": (_set(["result", "estimate", "r2", "SAT"], float("nan")), "result"),
    "huge moment": (_set(["stages", 0, "indicator_mean", "QUAL1"], 1e300), "indicator_mean"),
    "stage with other options": (_set(["stages", 0, "options", "scheme"], "centroid"),
                                 r"stages\[0\]: options"),
    "stage with other n": (_set(["stages", 0, "n_obs"], 99), r"stages\[0\]: options.*n_obs"),
    "bootstrap on an earlier stage": (
        lambda r: r["stages"][0].update(inference=r["result"]["inference"]), "earlier stage"),
    "unexpected field": (_set(["plan"], {}), "plan"),
    "too many stages": (lambda r: r["stages"].extend([r["stages"][0]] * 20), "stages"),
    "short bootstrap column": (
        lambda r: [r["result"]["inference"]["original"]["paths"]["estimate"].pop(),
                   [v.pop() for v in r["result"]["inference"]["summaries"]["paths"]
                    ["estimate"].values()]], "paths"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_records_are_refused(record, case):
    change, match = HOSTILE[case]
    bad = _tamper(record, change)
    with pytest.raises(SatModelError, match=match or None) as err:
        res = _read(bad)
        res.paths  # nothing may fail later either
    assert "StagedPLSResult" in str(err.value) or "staged" in str(err.value).lower()


@pytest.mark.parametrize("text", ["", "[]", "{", '{"format": "satmodel.StagedPLSResult"}',
                                  '{"format": "satmodel.StagedPLSResult", "version": 1}', 42,
                                  "[" * 100_000 + "]" * 100_000])
def test_not_records(text):
    with pytest.raises(SatModelError):
        sm.StagedPLSResult.from_json(text)


def test_record_never_carries_rows(boot):
    text = boot.to_json(draws=True)
    first_row = DF[list(boot.plan.survey_spec.indicator_names)].iloc[0].to_numpy(dtype=float)
    assert "respondent" not in text and '"scores"' not in text
    record = json.loads(text)
    assert set(record["result"]) >= {"indicator_mean", "indicator_corr"}
    assert not np.isnan(first_row).any()  # the data are complete, so a row would show
    assert json.dumps([float(v) for v in first_row])[1:-1] not in text
