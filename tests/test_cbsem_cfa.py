"""Measurement-only models (CFA): accepted by the spec, fitted by CB-SEM as lavaan's cfa()
(construct covariances free; numbers pinned in test_cbsem_lavaan_hs.py), refused by PLS
with a message saying what to do (issue 17, item 1)."""

from __future__ import annotations

import pandas as pd
import pytest

import satmodel as sm
from tests._oracles import oracle_path, read_oracle

CASE = "lavaan_hs_cfa"
CFA = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return read_oracle(CASE, "holzinger_swineford.csv")


@pytest.fixture(scope="module")
def cfa(data) -> sm.CBSEMResult:
    return sm.fit_cbsem(sm.ModelSpec.from_lavaan(CFA), data)


def test_the_issue_example_is_a_valid_spec():
    spec = sm.ModelSpec.from_lavaan("visual =~ x1+x2+x3\ntextual =~ x4+x5+x6")
    assert spec.paths == () and spec.endogenous == () and spec.exogenous == ("visual", "textual")
    assert sm.ModelSpec.from_lavaan(spec.to_lavaan()) == spec
    assert sm.ModelSpec.model_validate_json(spec.model_dump_json()) == spec


def test_a_construct_left_out_of_a_structural_model_is_still_refused():
    with pytest.raises(sm.SpecError, match=r"line 3.*'C' has no regression.*'~~'.*measurement model"):
        sm.ModelSpec.from_lavaan("A =~ a1 + a2\nB =~ b1 + b2\nC =~ c1 + c2\nB ~ A")
    with pytest.raises(sm.SpecError, match=r"'C' has no path in or out.*covariance"):
        sm.ModelSpec(constructs=[{"name": n, "indicators": [n.lower() + "1"]} for n in "ABC"],
                     paths=[("A", "B")])


def test_a_covariance_links_a_construct_for_cbsem(data):
    """Numbers of this model against lavaan: tests/test_cbsem_lavaan_constrained.py (linked_ML)."""
    spec = sm.ModelSpec.from_file(oracle_path("lavaan_hs_constrained", "model_linked.lav"))
    assert spec.paths and spec.covariances[0].lhs == "speed"
    cb = sm.fit_cbsem(spec, data)
    par = cb.parameters.set_index(["lhs", "op", "rhs"])
    assert bool(par.loc[("visual", "~~", "speed"), "free"])  # named in variable order
    with pytest.raises(sm.SpecError, match="cannot honour"):
        sm.fit_pls(spec, data)


def test_pls_refuses_a_measurement_only_model_saying_what_to_do(data):
    spec = sm.ModelSpec.from_lavaan(CFA)
    with pytest.raises(sm.SpecError, match=r"no structural paths.*cSEM.*centroid or factorial"
                                           r".*sm.fit_cbsem"):
        sm.fit_pls(spec, data)
    one = sm.ModelSpec.from_lavaan("visual =~ x1 + x2 + x3")  # one construct: PLS's PC
    assert sm.fit_pls(one, data).outer["weight"].notna().all()


def test_assessment_tables_of_a_cfa(cfa):
    assert cfa.paths.empty and cfa.effects.empty and cfa.r2.empty
    q = cfa.quality.set_index("construct")
    assert q[["alpha", "rho_c", "ave"]].notna().all().all() and q["r2"].isna().all()
    corr = cfa.construct_correlations
    assert corr.shape == (3, 3) and 0 < corr.loc["visual", "textual"] < 1
    assert cfa.htmt.shape == (3, 3)
    titles = [t for t, _ in cfa._summary_sections()]
    assert titles == ["Outer model", "Quality", "Construct correlations",
                      "Discriminant validity (HTMT)"]
    assert "measurement-only" in cfa.summary() and "sm.fit_pls" not in cfa.summary()
    back = sm.CBSEMResult.from_json(cfa.to_json())
    assert back.parameters.equals(cfa.parameters) and back.fit_indices.equals(cfa.fit_indices)


def test_cfa_construct_covariances_are_free_as_in_lavaan_cfa(cfa):
    par = cfa.parameters
    cov = par[(par["op"] == "~~") & (par["lhs"] != par["rhs"])]
    assert sorted(zip(cov["lhs"], cov["rhs"])) == [("textual", "speed"), ("visual", "speed"),
                                                   ("visual", "textual")]
    assert cov["free"].all()


def test_the_oracle_model_file_is_the_cfa():
    assert sm.ModelSpec.from_file(oracle_path(CASE, "model.lav")).blocks == \
        sm.ModelSpec.from_lavaan(CFA).blocks
