"""CB-SEM with a reflective second-order factor against lavaan 0.6-14 (and semTools 0.5-6).

Oracle: tests/oracles/lavaan_hoc (R script, model, SOURCE.md): ``PERF =~ CUEX + PERQ + PERV``
on the shipped ecsi_mobi data, PERF both outcome (``PERF ~ IMAG``) and predictor
(``CUSA ~ PERF``), ML with divisor n and expected information, marker scaling (the first
second-order loading fixed to 1, as lavaan). Both optima are Newton-polished (lavaan's to
|gradient| < 1e-12), so estimates, std.all and standard errors are compared to 1e-6 (the
task's tolerance; observed about 2e-14), chi2 and the fit indices to 1e-6 relative. Case
"cov" adds a covariance of two components' disturbances (CUEX ~~ PERV).
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest

import satmodel as sm
from tests._oracles import oracle_path, read_oracle
from tests.test_cbsem_lavaan_hs import MEASURES

CASE = "lavaan_hoc"
COMPONENTS = ("CUEX", "PERQ", "PERV")


def lavaan_text(case: str) -> str:
    """The oracle's model without its labels and ``:=`` lines (defined parameters)."""
    lines = oracle_path(case, "model.lav").read_text().splitlines()
    return "\n".join(re.sub(r"\b[a-z]\*", "", line) for line in lines if ":=" not in line)


@pytest.fixture(scope="module")
def res() -> sm.CBSEMResult:
    spec = sm.ModelSpec.from_lavaan(lavaan_text(CASE))
    with warnings.catch_warnings():
        warnings.simplefilter("error", sm.SatModelWarning)  # a clean, admissible fit
        return sm.fit_cbsem(spec, sm.datasets.load("ecsi_mobi"))


@pytest.fixture(scope="module")
def ref() -> pd.DataFrame:
    return read_oracle(CASE, "parameters.csv", keep_default_na=False, na_values=["NA"])


@pytest.mark.parametrize("column", ["estimate", "std_all", "se"])
def test_parameters_equal_lavaan(res, ref, column):
    lav = ref[ref.op != ":="].set_index(["lhs", "op", "rhs"])[column].dropna()
    ours = res.parameters.set_index(["lhs", "op", "rhs"])
    assert set(ref[ref.op != ":="].set_index(["lhs", "op", "rhs"]).index) == set(ours.index)
    assert ("PERF", "=~", "PERQ") in lav.index  # second-order loadings as lavaan lists them
    diff = np.abs(ours.loc[lav.index, column].to_numpy(float) - lav.to_numpy())
    assert diff.max() < 1e-6, lav.index[np.argmax(diff)]


def test_fit_indices_equal_lavaan(res):
    fit = read_oracle(CASE, "fit.csv").set_index("measure")["value"]
    assert float(res.fit_indices["df"]) == fit["df"] == 203
    for name, ours in MEASURES.items():
        value = float(res.fit_indices[ours])
        assert abs(value - fit[name]) <= 1e-6 * max(1.0, abs(fit[name])), name


def test_outer_has_second_order_loadings(res, ref):
    lav = ref[(ref.lhs == "PERF") & (ref.op == "=~")].set_index("rhs")
    rows = res.outer[res.outer.construct == "PERF"].set_index("indicator")
    assert list(rows.index) == list(COMPONENTS)
    np.testing.assert_allclose(rows["loading"], lav.loc[list(COMPONENTS), "std_all"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(rows["loading_unstd"], lav.loc[list(COMPONENTS), "estimate"],
                               rtol=0, atol=1e-6)
    dist = ref[(ref.op == "~~") & ref.lhs.isin(COMPONENTS) & (ref.lhs == ref.rhs)].set_index("lhs")
    np.testing.assert_allclose(rows["residual_var"], dist.loc[list(COMPONENTS), "std_all"],
                               rtol=0, atol=1e-6)
    assert rows["se"].isna().tolist() == [True, False, False]  # the marker is fixed
    np.testing.assert_allclose(rows["se"].iloc[1:].astype(float),
                               lav.loc[["PERQ", "PERV"], "se"], rtol=0, atol=1e-6)


def test_paths_from_and_to_the_hoc(res, ref):
    lav = ref[ref.op == "~"].set_index(["rhs", "lhs"])
    paths = res.paths.set_index(["source", "target"])
    assert list(paths.index) == [("IMAG", "PERF"), ("PERF", "CUSA"), ("CUSA", "CUSL")]
    np.testing.assert_allclose(paths["estimate"], lav.loc[paths.index, "std_all"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(paths["estimate_unstd"], lav.loc[paths.index, "estimate"],
                               rtol=0, atol=1e-6)


def test_r2_includes_components_and_hoc(res):
    lav = read_oracle(CASE, "r2.csv").set_index("variable")["r2"]
    names = ["CUEX", "PERQ", "PERV", "CUSA", "CUSL", "PERF"]
    assert list(res.r2.index) == names
    np.testing.assert_allclose(res.r2, lav.loc[names], rtol=0, atol=1e-6)


def test_hoc_quality_is_standardized_omega_l2(res):
    """rho_c of PERF is semTools' omega_L2 formula on lavaan's std.all matrices; AVE the mean
    squared standardized second-order loading (both evaluated in R on lavaan's solution)."""
    rel = read_oracle(CASE, "reliability_l2.csv").set_index("measure")["value"]
    q = res.quality.set_index("construct")
    assert abs(float(q.loc["PERF", "rho_c"]) - rel["omegaL2_std"]) < 1e-6
    assert abs(float(q.loc["PERF", "ave"]) - rel["ave_std"]) < 1e-6
    assert q.loc["PERF", "alpha"] is pd.NA
    # the marker-metric omega_L2 semTools prints differs: the standardized one is reported
    assert abs(rel["omegaL2"] - rel["omegaL2_std"]) > 0.01


def test_indirect_effects_equal_lavaan_defined(res, ref):
    lav = ref[ref.op == ":="].set_index("lhs")["std_all"]
    ie = res.indirect_effects.set_index(["source", "through", "target"])["estimate"]
    for name, key in [("ind_IMAG_PERF_CUSA", ("IMAG", "PERF", "CUSA")),
                      ("ind_PERF_CUSA_CUSL", ("PERF", "CUSA", "CUSL")),
                      ("ind_IMAG_PERF_CUSA_CUSL", ("IMAG", "PERF -> CUSA", "CUSL"))]:
        assert abs(ie.loc[key] - lav[name]) < 1e-6, name
    eff = res.effects.set_index(["source", "target"])
    assert ("PERF", "PERQ") not in eff.index  # second-order loadings are not effects
    assert abs(eff.loc[("IMAG", "CUSL"), "indirect"] - lav["ind_IMAG_PERF_CUSA_CUSL"]) < 1e-6


def test_json_round_trip(res):
    back = sm.CBSEMResult.from_json(res.to_json())
    for name in res.TABLE_NAMES:
        pd.testing.assert_frame_equal(back.table(name), res.table(name))
    pd.testing.assert_frame_equal(back.indirect_effects, res.indirect_effects)
    pd.testing.assert_series_equal(back.r2, res.r2)


def test_bootstrap_covers_hoc_rows(res):
    """A short bootstrap (n=30: only that it runs and fills the HOC rows; the accuracy of
    bootstrap SEs is tests/test_cbsem_indirect_lavaan.py's)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.SatModelWarning)  # 30 resamples are few for CIs
        boot = res.bootstrap(n=30, seed=3, progress=False)
    rows = boot.outer[boot.outer.construct == "PERF"]
    assert rows["se"].astype(float).gt(0).all() and rows["ci_lower"].notna().all()
    q = boot.quality.set_index("construct")
    assert float(q.loc["PERF", "rho_c_se"]) > 0 and q.loc["PERF", "alpha_se"] is pd.NA
    ie = boot.indirect_effects
    assert ie["se"].gt(0).all() and set(ie["type"]) <= {"indirect-only", "no-effect"}
    back = sm.CBSEMResult.from_json(boot.to_json(draws=True))
    pd.testing.assert_frame_equal(back.indirect_effects, ie)
    assert back.draws("outer", "loading").shape == (boot.inference.n_valid, len(boot.outer))


def test_scores_and_correlations_include_hoc(res):
    assert res.constructs[-1] == "PERF"
    assert list(res.scores.columns) == list(res.constructs)
    corr = res.construct_correlations
    assert abs(corr.loc["IMAG", "PERF"] - 0.9477967930333339) < 1e-6  # = the std path (its only cause)


@pytest.fixture(scope="module")
def res_cov() -> sm.CBSEMResult:
    """Case "cov": the same model with a covariance of two components' disturbances."""
    spec = sm.ModelSpec.from_file(oracle_path(CASE, "model_cov.lav"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", sm.SatModelWarning)
        return sm.fit_cbsem(spec, sm.datasets.load("ecsi_mobi"))


def test_component_disturbance_covariance_equals_lavaan(res_cov):
    ref = read_oracle(CASE, "parameters_cov.csv", keep_default_na=False, na_values=["NA"])
    ref = ref.set_index(["lhs", "op", "rhs"])
    ours = res_cov.parameters.set_index(["lhs", "op", "rhs"])
    assert set(ref.index) == set(ours.index) and ("CUEX", "~~", "PERV") in ref.index
    for column in ("estimate", "std_all", "se"):
        lav = ref[column].dropna()
        diff = np.abs(ours.loc[lav.index, column].to_numpy(float) - lav.to_numpy())
        assert diff.max() < 1e-6, (column, lav.index[np.argmax(diff)])
    fit = read_oracle(CASE, "fit_cov.csv").set_index("measure")["value"]
    assert float(res_cov.fit_indices["df"]) == fit["df"] == 202
    assert abs(float(res_cov.fit_indices["chi2"]) - fit["chisq"]) < 1e-6 * fit["chisq"]


def test_hoc_rho_c_counts_disturbance_covariances(res_cov):
    """omega_L2 of the standardized solution with a disturbance covariance: the share of the
    variance of the summed standardized components that PERF explains (computed in R from
    lavaan's std.all loadings and implied latent correlations)."""
    rel = read_oracle(CASE, "reliability_l2_cov.csv").set_index("measure")["value"]
    q = res_cov.quality.set_index("construct")
    assert abs(float(q.loc["PERF", "rho_c"]) - rel["omegaL2_std"]) < 1e-6
    assert abs(float(q.loc["PERF", "ave"]) - rel["ave_std"]) < 1e-6


def test_reports_show_the_hoc(res, tmp_path):
    """The HTML report and the criteria table take a CB-SEM higher-order factor (no PLS
    staging plan behind it)."""
    from satmodel.report import checks

    sm.to_html(res, tmp_path / "hoc.html")
    assert "PERF" in (tmp_path / "hoc.html").read_text(encoding="utf-8")
    crit = checks.checks(res)
    assert "PERF: PERQ" in set(crit["element"])  # the second-order loadings are checked
    assert not ((crit["criterion"] == "alpha") & (crit["element"] == "PERF")).any()
