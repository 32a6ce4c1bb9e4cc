"""Gaussian-copula endogeneity check (Park & Gupta 2012; Hult et al. 2018).

1. Against plain R (tests/oracles/r_copula_endogeneity, SOURCE.md): copula term
   qnorm(ecdf(x)(x) n/(n+1)) on cSEM's PLS construct scores of the ECSI model, ``lm`` with
   its OLS SEs and p-values, ``shapiro.test``, and a row bootstrap (B = 2000) that
   recomputes the copula terms in each resample. Scores agree with cSEM's to ~1e-10, so
   OLS numbers to 1e-8; the bootstrap SE is Monte Carlo (different RNG streams): each
   side's SE has relative error ≈ 1/√(2B) ≈ 1.6 % at B = 2000, so 12 % is > 5 sigma of
   the difference.
2. Simulated data from the copula model itself with a known truth (n = 4000, fixed seed):
   a non-normal regressor whose latent normal is correlated 0.5 with the error (the
   test must reject, and the corrected slope recovers the true 0.5 that OLS misses), and
   the same regressor with an independent error (the copula coefficient is ~0: |t| < 3).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import satmodel as sm
from _oracles import ORACLES, ECSI_SATISFACTION

CASE = ORACLES / "r_copula_endogeneity"


@pytest.fixture(scope="module")
def res():
    return sm.fit_pls(sm.ModelSpec.from_lavaan(ECSI_SATISFACTION),
                      sm.datasets.load("ecsi_satisfaction"), tol=1e-12, max_iter=1000)


@pytest.fixture(scope="module")
def oracle():
    return pd.read_csv(CASE / "copula_regressions.csv")


def _ours(res, target, regressors, p_method, **kw):
    out = sm.endogeneity(res, target=target, regressors=regressors, p_method=p_method, **kw)
    return out.set_index(["copulas", "term"])


@pytest.mark.parametrize("target, regressors", [
    ("LOY", None), ("SAT", None), ("SAT", ["VAL"])])
def test_ols_matches_r(res, oracle, target, regressors):
    ours = _ours(res, target, regressors, "ols")
    ref = oracle[oracle.target == target].set_index(["copulas", "term"])
    ref = ref.loc[ours.index.intersection(ref.index)]
    assert len(ref) == len(ours)
    for col in ("estimate", "se", "t", "p"):
        np.testing.assert_allclose(ours.loc[ref.index, col].astype(float), ref[col],
                                   rtol=0, atol=1e-8, err_msg=col)
    cop = ref.index.get_level_values("term").str.startswith("copula")
    np.testing.assert_allclose(ours.loc[ref.index[cop], "shapiro_p"].astype(float),
                               ref.shapiro_p[cop], rtol=1e-6, atol=1e-12)


def test_bootstrap_se_matches_r(res, oracle):
    ours = _ours(res, "SAT", None, "bootstrap", n=2000, seed=3)
    ref = oracle[(oracle.target == "SAT") & (oracle.copulas == "IMAG+EXPE+QUAL+VAL")]
    ref = ref.set_index(["copulas", "term"])
    np.testing.assert_allclose(ours.loc[ref.index, "se"].astype(float), ref.boot_se, rtol=0.12)
    t = ours.estimate / ours.se.astype(float)
    np.testing.assert_allclose(ours.p.astype(float), 2 * stats.norm.sf(np.abs(t)), rtol=1e-12)


def _simulated(rho: float, n: int = 4000, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    xi, e = rng.multivariate_normal([0, 0], [[1, rho], [rho, 1]], size=n).T
    x = stats.expon.ppf(stats.norm.cdf(xi))  # skewed regressor with a Gaussian copula
    y = 0.5 * (x - 1.0) + e                 # true slope 0.5 in the raw metric
    return pd.DataFrame({"x": x, "y": y})


SIM = sm.ModelSpec.from_lavaan("X =~ x\nY =~ y\nY ~ X")


def test_known_endogenous_regressor_rejected():
    df = _simulated(0.5)
    out = sm.endogeneity(sm.fit_pls(SIM, df), p_method="ols").set_index("term")
    assert float(out.loc["copula(X)", "p"]) < 1e-6
    # standardized truth: slope 0.5 * sd(x) / sd(y); the corrected estimate recovers it,
    # the uncorrected OLS path (= the PLS path) does not
    truth = 0.5 * df.x.std() / df.y.std()
    corrected = float(out.loc["X", "estimate"])
    assert abs(corrected - truth) < 3 * float(out.loc["X", "se"])
    ols = float(sm.fit_pls(SIM, df).paths.estimate.iloc[0])
    assert abs(ols - truth) > 10 * float(out.loc["X", "se"])


def test_exogenous_regressor_not_rejected():
    out = sm.endogeneity(sm.fit_pls(SIM, _simulated(0.0)), n=500, seed=2).set_index("term")
    assert abs(float(out.loc["copula(X)", "t"])) < 3
    assert float(out.loc["copula(X)", "shapiro_p"]) < 1e-10  # identified: x is skewed


def test_normal_regressor_gets_a_diagnostic():
    rng = np.random.default_rng(1)
    x = rng.normal(size=300)
    df = pd.DataFrame({"x": x, "y": 0.4 * x + rng.normal(size=300)})
    with pytest.warns(sm.SatModelWarning, match="normality"):
        out = sm.endogeneity(sm.fit_pls(SIM, df), p_method="ols")
    assert [d.code for d in out.attrs["diagnostics"]] == ["copula_normal_regressor"]


def test_copula_term_convention():
    x = np.array([2.0, 1.0, 2.0, 5.0])  # ties share their highest rank
    np.testing.assert_allclose(sm.assess.endogeneity.copula_term(x),
                               stats.norm.ppf(np.array([3, 1, 3, 4]) / 5.0))


def test_errors(res):
    with pytest.raises(sm.OptionError, match="p_method"):
        sm.endogeneity(res, p_method="exact")
    with pytest.raises(sm.OptionError, match="target"):
        sm.endogeneity(res, target="IMAG")
    with pytest.raises(sm.OptionError, match="copulas"):
        sm.endogeneity(res, copulas="some")
    loaded = sm.PLSResult.from_json(res.to_json())
    with pytest.raises(sm.SatModelError, match="respondent rows"):
        sm.endogeneity(loaded)


def test_each_equals_single_regressor_runs(res):
    """copulas="each": one regression per regressor, each as with regressors=[that one]."""
    each = sm.endogeneity(res, target="SAT", copulas="each", p_method="ols")
    for reg in ("IMAG", "VAL"):
        one = sm.endogeneity(res, target="SAT", regressors=[reg], p_method="ols")
        part = each[each.copulas == reg].reset_index(drop=True)
        pd.testing.assert_frame_equal(part, one.reset_index(drop=True))


def test_interaction_models_are_refused_not_a_key_error():
    # res.spec of an interaction fit is its last stage (internal names): before, a raw
    # KeyError "['SAT.IMAG'] not in index".
    import satmodel as sm

    text = sm.templates.ecsi().to_lavaan().replace("LOY  ~ IMAG + SAT", "LOY ~ IMAG + SAT + SAT:IMAG")
    res = sm.fit_pls(sm.ModelSpec.from_lavaan(text), sm.datasets.load("ecsi_satisfaction"),
                     interaction="two_stage")
    with pytest.raises(sm.NotAvailableError, match="endogeneity is not available"):
        sm.endogeneity(res, p_method="ols")
