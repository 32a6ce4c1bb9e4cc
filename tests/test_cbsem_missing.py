"""CB-SEM with missing answers (listwise, FIML) and semopy's other objectives.

Numbers are checked against closed forms and invariances, not against our own output:
FIML on complete data is ML (lavaan's published Political Democracy fit, pinned in
test_cbsem_lavaan.py); a just-identified FIML model reproduces the saturated (EM)
moments; listwise equals a fit of the rows kept; every consistent estimator recovers an
exact population. No published lavaan ``missing="ml"`` printout for a data set we ship
was found, so FIML under missingness is checked by these properties only.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import satmodel as sm
from satmodel.cbsem.engine import exact_sample
from satmodel.moments.missing import em_moments
from tests._oracles import oracle_path, quiet, read_oracle, read_r_matrix

CASE = "lavaan_political_democracy"
DGP = "csem_dgp_population"


@pytest.fixture(scope="module")
def pd_case():
    spec = sm.ModelSpec.from_file(oracle_path(CASE, "model.lav"))
    return spec, read_oracle(CASE, "political_democracy.csv")


@pytest.fixture(scope="module")
def pd_ml(pd_case):
    return quiet(sm.fit_cbsem, *pd_case)


@pytest.fixture(scope="module")
def mcar(pd_case):
    """8% of the item cells replaced by the code -99, completely at random."""
    spec, df = pd_case
    items = list(spec.indicator_names)
    values = df[items].to_numpy(dtype=float).copy()
    values[np.random.default_rng(7).random(values.shape) < 0.08] = -99
    out = df.copy()
    out[items] = values
    return out


@pytest.fixture(scope="module")
def pd_fiml_mcar(pd_case, mcar):
    return quiet(sm.fit_cbsem, pd_case[0], mcar, missing="fiml", na_values=-99)


def _free(cb):
    par = cb.parameters
    return par[par["op"] != "~1"].set_index(["lhs", "op", "rhs"])["estimate"]


def test_fiml_on_complete_data_is_ml(pd_case, pd_ml):
    spec, df = pd_case
    fiml = quiet(sm.fit_cbsem, spec, df, missing="fiml")
    ml, fi = _free(pd_ml), _free(fiml)
    np.testing.assert_allclose(fi.loc[ml.index].to_numpy(), ml.to_numpy(), rtol=0, atol=1e-6)
    a, b = pd_ml.fit_indices, fiml.fit_indices
    assert b["loglik"] == pytest.approx(a["loglik"], rel=1e-10)  # -1547.791, lavaan's value
    assert b["chi2"] == pytest.approx(a["chi2"], rel=1e-6) and b["df"] == a["df"] == 35
    # FIML estimates the 11 intercepts (= the item means on complete data): AIC/BIC count them
    p, n = 11, 75
    assert b["aic"] == pytest.approx(a["aic"] + 2 * p, rel=1e-10)
    assert b["bic"] == pytest.approx(a["bic"] + p * np.log(n), rel=1e-10)
    icpt = fiml.parameters[fiml.parameters["op"] == "~1"].set_index("lhs")["estimate"]
    np.testing.assert_allclose(icpt.loc[list(spec.indicator_names)], df[list(spec.indicator_names)].mean(),
                               atol=1e-6)
    for k in ("cfi", "tli", "rmsea", "srmr", "gfi", "nfi"):
        assert b[k] == pytest.approx(a[k], abs=1e-6), k


def test_fiml_with_mcar_missingness_stays_close_to_complete_data(pd_ml, pd_fiml_mcar):
    cb, fi = pd_ml, pd_fiml_mcar
    assert fi.missing == "fiml" and fi.n_obs == 75 and fi.converged
    rep = fi.missing_report
    assert rep["coded"].sum() == rep["missing"].sum() == rep.attrs["cells_missing"] > 40
    assert set(rep.loc[rep["missing"] > 0, "action"]) == {"full-information ML"}
    np.testing.assert_allclose(fi.paths["estimate"], cb.paths["estimate"], atol=0.05)
    np.testing.assert_allclose(fi.outer["loading"], cb.outer["loading"], atol=0.05)
    assert fi.fit_indices["df"] == 35 and 0 <= fi.fit_indices["chi2"] < 60
    assert not fi.fit_indices.isna().any()
    assert fi.scores.shape == (75, 3) and np.isfinite(fi.scores.to_numpy()).all()
    assert fi.outer["se"].dropna().gt(0).all()  # observed-information standard errors


def test_fiml_loglik_chi2_and_baseline_follow_their_definitions(pd_case, mcar, pd_fiml_mcar):
    spec, _ = pd_case
    fi = pd_fiml_mcar
    X = mcar[list(spec.indicator_names)].to_numpy(dtype=float)
    X = np.where(X == -99, np.nan, X)
    mu = fi.parameters[fi.parameters["op"] == "~1"].set_index("lhs")["estimate"]
    mu = mu.loc[list(spec.indicator_names)].to_numpy()

    def ll(mean, cov):
        total = 0.0
        for row in X:
            o = ~np.isnan(row)
            total += stats.multivariate_normal(mean[o], cov[np.ix_(o, o)]).logpdf(row[o])
        return total

    sigma = fi.implied_cov.to_numpy()
    assert fi.fit_indices["loglik"] == pytest.approx(ll(mu, sigma), rel=1e-10)
    em = em_moments(X)
    S = em.corr * np.outer(em.std, em.std) * 74 / 75
    assert fi.fit_indices["chi2"] == pytest.approx(2 * (ll(em.mean, S) - ll(mu, sigma)), rel=1e-8)
    q = 42  # 31 covariance-structure parameters + 11 intercepts
    assert fi.estimate.n_free == q
    assert fi.fit_indices["aic"] == pytest.approx(-2 * fi.fit_indices["loglik"] + 2 * q, rel=1e-12)


def test_just_identified_fiml_reproduces_the_em_moments():
    rng = np.random.default_rng(3)
    S = np.array([[1, .48, .42], [.48, 1, .56], [.42, .56, 1]])
    X = rng.multivariate_normal([1.0, 2.0, 3.0], S, size=300)
    X[rng.random(X.shape) < 0.1] = np.nan
    X[np.isnan(X).all(axis=1), 0] = 0.5
    spec = sm.ModelSpec.from_lavaan("F =~ a + b + c")
    fi = quiet(sm.fit_cbsem, spec, X, columns=["a", "b", "c"], missing="fiml")
    em = em_moments(X)
    np.testing.assert_allclose(fi.estimate.sigma, em.corr * np.outer(em.std, em.std) * 299 / 300, atol=1e-5)
    np.testing.assert_allclose(fi.indicator_mean, em.mean, atol=1e-5)
    assert fi.fit_indices["df"] == 0 and fi.fit_indices["chi2"] == pytest.approx(0, abs=1e-6)
    assert fi.fit_indices[["p_value", "tli", "rmsea"]].isna().all()  # undefined at df 0: <NA>


def test_listwise_equals_fitting_the_kept_rows(pd_case, mcar):
    spec, _ = pd_case
    with warnings.catch_warnings():  # few complete rows remain: a Heywood case, in both fits
        warnings.simplefilter("ignore", sm.HeywoodWarning)
        lw = sm.fit_cbsem(spec, mcar, missing="listwise", na_values=[-99])
        kept = mcar[~(mcar[list(spec.indicator_names)] == -99).any(axis=1)]
        ref = sm.fit_cbsem(spec, kept)
        alias = sm.fit_cbsem(spec, mcar, missing="casewise", na_values=-99)
    assert lw.n_obs == len(kept) == 75 - lw.missing_report.attrs["rows_dropped"]
    np.testing.assert_allclose(_free(lw), _free(ref), rtol=0, atol=1e-12)
    pd.testing.assert_series_equal(lw.fit_indices, ref.fit_indices)
    assert list(lw.scores.index) == list(kept.index)
    assert alias.n_obs == lw.n_obs and alias.missing == "listwise"


def test_codes_and_nan_are_the_same_missing(pd_case, mcar, pd_fiml_mcar):
    spec, _ = pd_case
    nan = mcar.replace(-99, np.nan)
    a = _free(pd_fiml_mcar)
    b = _free(quiet(sm.fit_cbsem, spec, nan, missing="fiml"))
    np.testing.assert_allclose(a, b, atol=1e-9)


def test_errors_name_the_culprit_and_the_alternative(pd_case, mcar):
    spec, df = pd_case
    with pytest.raises(sm.DataError, match=r"x1 \(\d+ missing, rows .*missing='fiml'.*'listwise'"):
        sm.fit_cbsem(spec, mcar, na_values=-99)
    with pytest.raises(sm.OptionError, match="missing='fiml' needs estimator='ML'.*'listwise'"):
        sm.fit_cbsem(spec, df, estimator="GLS", missing="fiml")
    with pytest.raises(sm.OptionError, match="'pairwise' is a fit_pls treatment.*'fiml'"):
        sm.fit_cbsem(spec, df, missing="pairwise")
    with pytest.raises(sm.OptionError, match="missing='drop'"):
        sm.fit_cbsem(spec, df, missing="drop")
    with pytest.raises(sm.OptionError, match="estimator='FIML'.*missing='fiml'"):
        sm.fit_cbsem(spec, df, estimator="FIML")
    with pytest.raises(sm.OptionError, match="fit_cbsem option na_values"):
        sm.fit_cbsem(spec, df, na_values=[float("nan")])
    with pytest.raises(sm.OptionError, match="na_values names 'z9'"):
        sm.fit_cbsem(spec, df, na_values={"z9": -99})
    with pytest.raises(sm.EstimationError, match="ADF weight matrix.*'ULS'"):
        sm.fit_cbsem(spec, df.iloc[:60], estimator="WLS")  # 60 rows for 66 moments


def test_fiml_drops_respondents_without_any_answer():
    rng = np.random.default_rng(5)
    X = rng.multivariate_normal(np.zeros(4), np.eye(4) * .5 + .5, size=120)
    X[[3, 8]] = np.nan
    X[10, 1] = np.nan
    spec = sm.ModelSpec.from_lavaan("F =~ a + b + c + d")
    with pytest.warns(sm.MissingDataWarning, match=r"2 respondent\(s\) answered none.*\[3, 8\]"):
        fi = sm.fit_cbsem(spec, X, columns=list("abcd"), missing="fiml")
    assert fi.n_obs == 118 and 3 not in fi.scores.index and np.isfinite(fi.scores.to_numpy()).all()
    with pytest.warns(sm.SatModelWarning, match="3 bootstrap resamples are too few"):
        boot = fi.bootstrap(n=3, seed=1, progress=False)  # no other warning (no failures)
    assert boot.inference.n_failed == 0 and "ci_lower" in boot.outer.columns
    assert [d.code for d in boot.diagnostics[len(fi.diagnostics):]] == ["too_few_resamples"]


@pytest.mark.parametrize("estimator", ["ML", "GLS", "ULS", "WLS", "DWLS"])
def test_every_estimator_recovers_an_exact_population(estimator):
    spec = sm.ModelSpec.from_file(oracle_path(DGP, "DGP_linear_3commonfactors_model.lav"))
    sigma = read_r_matrix(DGP, "DGP_linear_3commonfactors_Sigma.csv").loc[
        list(spec.indicator_names), list(spec.indicator_names)]
    data = pd.DataFrame(exact_sample(sigma.to_numpy(), 500), columns=list(spec.indicator_names))
    cb = quiet(sm.fit_cbsem, spec, data, estimator=estimator)
    np.testing.assert_allclose(cb.estimate.sigma, sigma.to_numpy(), atol=1e-5)
    fi = cb.fit_indices
    assert fi.dtype == "Float64" and not np.isnan(fi.dropna().to_numpy(dtype=float)).any()
    likelihood = ["loglik", "aic", "bic"]
    assert fi[likelihood].notna().all() if estimator == "ML" else fi[likelihood].isna().all()
    test = ["chi2", "p_value", "cfi", "tli", "rmsea", "nfi"]
    if estimator in ("ULS", "DWLS"):  # no chi-square statistic without a scaling correction
        assert fi[test].isna().all()
    else:
        assert fi["chi2"] == pytest.approx(0, abs=1e-5) and fi["cfi"] == pytest.approx(1)
    assert fi["srmr"] == pytest.approx(0, abs=1e-5) and fi["gfi"] == pytest.approx(1, abs=1e-8)
    assert cb.outer["se"].dropna().gt(0).all()
    assert estimator in repr(cb) and "NA" not in cb.summary().split("\n")[3] or estimator != "ML"
