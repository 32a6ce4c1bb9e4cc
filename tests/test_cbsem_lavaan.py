"""CB-SEM against lavaan's published Political Democracy example (Bollen 1989).

Numbers and their sources: tests/oracles/lavaan_political_democracy/SOURCE.md.
Tolerance: half a unit of the last printed digit (the value rounds to lavaan's print).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import satmodel as sm
from tests._oracles import oracle_path, read_oracle

CASE = "lavaan_political_democracy"
pytestmark = pytest.mark.filterwarnings("error::satmodel.SatModelWarning")


@pytest.fixture(scope="module")
def cb() -> sm.CBSEMResult:
    spec = sm.ModelSpec.from_file(oracle_path(CASE, "model.lav"))
    return sm.fit_cbsem(spec, read_oracle(CASE, "political_democracy.csv"))


def _printed(value: float, printed: float, decimals: int) -> bool:
    return abs(value - printed) <= 0.5 * 10.0**-decimals + 1e-9


def test_fit_statistics_as_printed(cb):
    fit = read_oracle(CASE, "fit.csv")
    bad = [(m, cb.fit_indices[m], v) for m, v, d in zip(fit["measure"], fit["value"], fit["decimals"])
           if not _printed(float(cb.fit_indices[m]), float(v), int(d))]
    assert not bad, bad


@pytest.mark.parametrize("column", ["estimate", "se", "std_all"])
def test_parameters_as_printed(cb, column):
    ref = read_oracle(CASE, "parameters.csv").set_index(["lhs", "op", "rhs"])
    ours = cb.parameters.set_index(["lhs", "op", "rhs"])
    assert set(ref.index) == set(ours.index)
    bad = []
    for key, printed in ref[column].dropna().items():
        value = float(ours.loc[key, column])
        if not _printed(value, float(printed), 3):
            bad.append((key, value, printed))
    assert not bad, bad


def test_tables_carry_the_same_numbers(cb):
    ref = read_oracle(CASE, "parameters.csv")
    paths = ref[ref["op"] == "~"]
    got = cb.paths.set_index(["source", "target"])
    for lhs, rhs, est, se, std in zip(paths["lhs"], paths["rhs"], paths["estimate"], paths["se"], paths["std_all"]):
        row = got.loc[(rhs, lhs)]
        assert _printed(row["estimate"], std, 3) and _printed(row["estimate_unstd"], est, 3)
        assert _printed(float(row["se"]), se, 3)
    loads = ref[ref["op"] == "=~"]
    outer = cb.outer.set_index(["construct", "indicator"])
    for lhs, rhs, std in zip(loads["lhs"], loads["rhs"], loads["std_all"]):
        assert _printed(outer.loc[(lhs, rhs), "loading"], std, 3)
    # R² = 1 - standardized disturbance variance (lavaan prints 0.800 and 0.039 for those)
    assert _printed(cb.r2["dem60"], 1 - 0.800, 3) and _printed(cb.r2["dem65"], 1 - 0.039, 3)


def test_chi2_convention_and_information_criteria(cb):
    fi = cb.fit_indices
    S, sigma, n, q = cb.sample_cov, cb.estimate.sigma, cb.n_obs, cb.estimate.n_free
    assert q == 31 and fi["df"] == 66 - 31
    F = np.linalg.slogdet(sigma)[1] + np.trace(np.linalg.solve(sigma, S)) - np.linalg.slogdet(S)[1] - 11
    assert fi["chi2"] == pytest.approx(n * F, rel=1e-12)  # n * F, not (n - 1) * F
    assert fi["aic"] == pytest.approx(-2 * fi["loglik"] + 2 * q, rel=1e-12)
    assert fi["bic"] == pytest.approx(-2 * fi["loglik"] + q * np.log(n), rel=1e-12)
    # the saturated model's log-likelihood minus the model's is chi2 / 2
    sat = -n / 2 * (11 * np.log(2 * np.pi) + np.linalg.slogdet(S)[1] + 11)
    assert sat - fi["loglik"] == pytest.approx(fi["chi2"] / 2, rel=1e-10)


def test_fit_indices_follow_lavaans_formulas(cb):
    """CFI/TLI/RMSEA from chi2 and the independence model (not pinned to a print: see SOURCE.md)."""
    fi, S, n = cb.fit_indices, cb.sample_cov, cb.n_obs
    chi2_b = n * (np.sum(np.log(np.diag(S))) - np.linalg.slogdet(S)[1])
    assert fi["cfi"] == pytest.approx(1 - (fi["chi2"] - 35) / (chi2_b - 55), rel=1e-12)
    assert fi["tli"] == pytest.approx((chi2_b / 55 - fi["chi2"] / 35) / (chi2_b / 55 - 1), rel=1e-12)
    assert fi["rmsea"] == pytest.approx(np.sqrt((fi["chi2"] - 35) / (35 * n)), rel=1e-12)
    assert fi["rmsea_ci_lower"] == 0.0 < fi["rmsea"] < fi["rmsea_ci_upper"]
    assert list(fi.index) == ["chi2", "df", "p_value", "cfi", "tli", "rmsea", "rmsea_ci_lower",
                              "rmsea_ci_upper", "srmr", "gfi", "agfi", "nfi", "loglik", "aic", "bic"]


def test_pls_refuses_the_residual_covariances(cb):
    with pytest.raises(sm.SpecError, match=r"y1 ~~ y5.*fit_cbsem"):
        cb.spec.require_pls()
    assert len(cb.spec.pls_incompatibilities()) == 6
    assert isinstance(pd.DataFrame(cb.scores), pd.DataFrame) and cb.scores.shape == (75, 3)


def test_fit_measures_as_lavaan_prints_them_for_model_m2():
    """CFI, TLI, RMSEA with its CI and SRMR as printed by lavaan (SOURCE.md, model m2)."""
    spec = sm.ModelSpec.from_file(oracle_path(CASE, "model_m2.lav"))
    res = sm.fit_cbsem(spec, read_oracle(CASE, "political_democracy.csv"))
    fit = read_oracle(CASE, "fit_m2.csv")
    bad = [(m, res.fit_indices[m], v) for m, v, d in zip(fit["measure"], fit["value"], fit["decimals"])
           if not _printed(float(res.fit_indices[m]), float(v), int(d))]
    assert not bad, bad


def test_fit_measures_as_lavaan_prints_them_for_the_cfa_m1():
    """m1 itself, a measurement-only model (issue 17): the same printed table as m2."""
    spec = sm.ModelSpec.from_file(oracle_path(CASE, "model_m1.lav"))
    assert spec.paths == ()
    res = sm.fit_cbsem(spec, read_oracle(CASE, "political_democracy.csv"))
    fit = read_oracle(CASE, "fit_m2.csv")
    bad = [(m, res.fit_indices[m], v) for m, v, d in zip(fit["measure"], fit["value"], fit["decimals"])
           if not _printed(float(res.fit_indices[m]), float(v), int(d))]
    assert not bad, bad
