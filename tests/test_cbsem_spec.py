"""The spec extension for CB-SEM: covariances (~~) and fixed values, and PLS's refusal of them."""

from __future__ import annotations

import json
import re

import pytest

import satmodel as sm
from satmodel.spec import Covariance

PD = """
ind60 =~ x1 + x2 + x3
dem60 =~ y1 + y2 + y3 + y4
dem65 =~ y5 + 1*y6 + y7 + y8
dem60 ~ ind60
dem65 ~ 0.25*ind60 + dem60
y1 ~~ y5
y2 ~~ y4 + y6
y6 ~~ 0*y8
dem60 ~~ 1e-05*dem65
ind60 ~~ 1*ind60
"""


@pytest.fixture(scope="module")
def spec() -> sm.ModelSpec:
    return sm.ModelSpec.from_lavaan(PD, name="pd")


def test_lavaan_reads_covariances_and_fixed_values(spec):
    assert [(c.lhs, c.rhs, c.fixed) for c in spec.covariances] == [
        ("y1", "y5", None), ("y2", "y4", None), ("y2", "y6", None), ("y6", "y8", 0.0),
        ("dem60", "dem65", 1e-05), ("ind60", "ind60", 1.0)]
    assert spec.construct("dem65").indicators[1].fixed_loading == 1.0
    assert [p.fixed for p in spec.paths] == [None, 0.25, None]


def test_round_trips_are_exact(spec):
    assert sm.ModelSpec.from_lavaan(spec.to_lavaan(), name="pd") == spec
    text = spec.model_dump_json()
    assert sm.ModelSpec.model_validate_json(text) == spec
    assert sm.ModelSpec.model_validate(json.loads(text)) == spec
    # a spec without CB-SEM parts reads JSON written before the fields existed
    old = {"name": "m", "constructs": [{"name": "A", "indicators": ["a1"]}, {"name": "B", "indicators": ["b1"]}],
           "paths": [["A", "B"]]}
    assert sm.ModelSpec.model_validate(old).covariances == ()


def test_pls_incompatibilities_and_require_pls(spec):
    found = spec.pls_incompatibilities()
    assert "covariance y1 ~~ y5" in found and "variance ind60 ~~ ind60" in found
    assert "fixed loading dem65 =~ 1*y6" in found and "fixed path dem65 ~ 0.25*ind60" in found
    with pytest.raises(sm.SpecError, match=r"PLS path modelling cannot honour 8 CB-SEM.*fit_cbsem"):
        spec.require_pls()
    assert sm.templates.ecsi().pls_incompatibilities() == ()
    sm.templates.ecsi().require_pls()


@pytest.mark.parametrize("covs, match", [
    ([("a1", "B")], "indicator and a construct"),
    ([("a1", "zz")], "neither an indicator nor a construct"),
    ([("a1", "a2"), ("a2", "a1")], "listed twice"),
    ([("a1", "a1")], "free already"),
    ([("A", "A", -1.0)], "negative"),
])
def test_invalid_covariances_raise_spec_error(covs, match):
    with pytest.raises(sm.SpecError, match=match):
        sm.ModelSpec(constructs=[{"name": "A", "indicators": ["a1", "a2"]}, {"name": "B", "indicators": ["b1"]}],
                     paths=[("A", "B")], covariances=covs)


def test_fixed_loadings_need_mode_a():
    with pytest.raises(sm.SpecError, match="fixed loadings"):
        sm.Construct(name="A", indicators=[{"name": "a1", "fixed_loading": 1.0}], mode="B")
    assert Covariance(lhs="x", rhs="y", fixed=0.5).fixed == 0.5


def test_cbsem_honours_fixed_values():
    data = sm.datasets.load("ecsi_satisfaction")
    spec = sm.ModelSpec.from_lavaan("EXPE =~ EXPE1 + EXPE2 + EXPE3\nSAT =~ SAT1 + 0.9*SAT2 + SAT3\n"
                                    "SAT ~ 0.5*EXPE\nEXPE1 ~~ 0*SAT1")
    cb = sm.fit_cbsem(spec, data)
    par = cb.parameters.set_index(["lhs", "op", "rhs"])
    assert par.loc[("SAT", "~", "EXPE"), "estimate"] == 0.5 and not par.loc[("SAT", "~", "EXPE"), "free"]
    assert par.loc[("SAT", "=~", "SAT2"), "estimate"] == 0.9
    assert par.loc[("EXPE1", "~~", "SAT1"), "estimate"] == 0.0


@pytest.mark.parametrize("extra, culprit", [
    ("PERF <~ QUAL + VAL\nLOY ~ PERF + SAT", "higher-order construct(s) 'PERF' (mode B)"),
    ("LOY ~ SAT + IMAG + SAT:IMAG", "interaction term(s) 'SAT:IMAG'"),
])
def test_higher_order_and_interactions_are_refused_by_name(extra, culprit):
    # fit_pls fits these through spec transforms; CB-SEM fits reflective higher-order factors
    # (tests/test_cbsem_hoc_lavaan.py) but refuses formative ones and interaction terms.
    text = ("IMAG =~ IMAG1 + IMAG2 + IMAG3\nQUAL =~ QUAL1 + QUAL2 + QUAL3\nVAL =~ VAL1 + VAL2\n"
            "SAT =~ SAT1 + SAT2 + SAT3\nLOY =~ LOY1 + LOY2 + LOY3\n"
            + ("SAT ~ IMAG\n" if "PERF" in extra else "SAT ~ IMAG + QUAL + VAL\n") + extra)
    spec = sm.ModelSpec.from_lavaan(text)
    with pytest.raises(sm.NotAvailableError, match=re.escape(culprit)):
        sm.fit_cbsem(spec, sm.datasets.load("ecsi_satisfaction"))
