"""cSEM's ``assess()`` on ``threecommonfactors`` (cSEM's own unit test values).

Oracle: ``tests/oracles/csem_threecommonfactors_assess/`` (see SOURCE.md):
``assess_expected.json`` (numbers cSEM's test suite asserts, 7 significant digits)
and the data ``threecommonfactors.csv`` (500 x 9).

Model: eta1 =~ y11..y13 (PLSc), eta2 <~ y21..y23 (Mode B composite), eta3 =~ y31..y33
(PLSc); eta2 ~ eta1; eta3 ~ eta1 + eta2. cSEM settings: factorial scheme, PLSc,
max|Δw| < 1e-5, at most 100 iterations -> ``scheme="factorial", consistent=True,
stop="max_abs", tol=1e-5, max_iter=100`` (4 iterations, as cSEM).

Tolerance (README): **relative 1e-6** for the 7-digit values (cSEM itself asserts
relative 1e-7, chi² 1e-5); values that are exactly 0, 1 or integers (RMSEA 0, CFI 1,
NNFI 1, Df 22, Mallows' Cp 3 and 5) absolutely at 1e-9. cSEM's reliability variants
RhoC_mm, RhoC_weighted(_mm) and RhoT_weighted are not satmodel quantities and are not
compared.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import satmodel as sm

try:
    from _oracles import oracle_path, read_oracle
except ImportError:  # tests/ became a package
    from tests._oracles import oracle_path, read_oracle  # type: ignore[no-redef]

CASE = "csem_threecommonfactors_assess"
RTOL = 1e-6
MODEL = """
eta2 ~ eta1
eta3 ~ eta1 + eta2
eta1 =~ y11 + y12 + y13
eta2 <~ y21 + y22 + y23
eta3 =~ y31 + y32 + y33
"""


@pytest.fixture(scope="module")
def expected():
    return json.loads(oracle_path(CASE, "assess_expected.json").read_text())


@pytest.fixture(scope="module")
def res():
    data = read_oracle(CASE, "threecommonfactors.csv")
    return sm.fit_pls(sm.ModelSpec.from_lavaan(MODEL), data, scheme="factorial", consistent=True,
                      stop="max_abs", tol=1e-5, max_iter=100)


def _close(got, want, what, exact=False):
    if exact or want in (0, 1):
        assert got == pytest.approx(want, abs=1e-9), what
    else:
        assert got == pytest.approx(want, rel=RTOL), f"{what}: {got!r} vs cSEM {want!r}"


def test_iterations(res):
    assert res.converged and res.n_iter == 4


@pytest.mark.parametrize("key,column", [("AVE", "ave"), ("RhoC", "rho_c"), ("RhoT", "alpha"),
                                        ("R2", "r2"), ("R2_adj", "r2_adj")])
def test_quality(res, expected, key, column):
    q = res.quality.set_index("construct")[column]
    for c, v in expected[key].items():
        _close(float(q[c]), v, f"{key} {c}")


@pytest.mark.parametrize("key,geometric", [("HTMT", False), ("HTMT2", True)])
def test_htmt(res, expected, key, geometric):
    h = res.htmt2 if geometric else res.htmt
    for pair, v in expected[key].items():
        row, col = pair.split(",")
        _close(float(h.loc[row, col]), v, f"{key} {pair}")
        _close(float(h.loc[col, row]), v, f"{key} {pair} (symmetric)")


def test_fornell_larcker(res, expected):
    fl = expected["Fornell_Larcker"]
    want = np.array(fl["matrix_rowmajor"]).reshape(3, 3)
    got = res.fornell_larcker.loc[fl["order"], fl["order"]].to_numpy(dtype=float)
    np.testing.assert_allclose(got, want, rtol=RTOL)


def test_f2(res, expected):
    f2 = res.f2().set_index(["source", "target"])["f2"]
    for pair, v in expected["F2"].items():
        s, t = pair.split("->")
        _close(float(f2[(s, t)]), v, f"f2 {pair}")


def test_vif(res, expected):
    iv = res.inner_vif.set_index(["target", "source"])["vif"]
    for key, v in expected["VIF"].items():
        t, s = (x.strip() for x in key.split(":"))
        _close(float(iv[(t, s)]), v, f"inner VIF {key}")
    vif = res.vif.set_index("indicator")["vif"]
    for item, v in expected["VIF_modeB"].items():
        _close(float(vif[item]), v, f"Mode B VIF {item}")


@pytest.mark.parametrize("key,column", [("AIC", "aic"), ("AICc", "aicc"), ("AICu", "aicu"),
                                        ("BIC", "bic"), ("FPE", "fpe"), ("GM", "gm"), ("HQ", "hq"),
                                        ("HQc", "hqc"), ("Mallows_Cp", "mallows_cp")])
def test_information_criteria(res, expected, key, column):
    ic = res.information_criteria.set_index("construct")[column]
    for c, v in expected[key].items():
        _close(float(ic[c]), v, f"{key} {c}", exact=key == "Mallows_Cp")


def test_information_criteria_table_matches_property(res):
    """The bootstrap table holds the criteria that need no re-estimation, same numbers."""
    tab = res.table("information_criteria").set_index("construct")
    prop = res.information_criteria.set_index("construct")
    for c in tab.columns:
        np.testing.assert_allclose(tab[c].astype(float), prop[c].astype(float), rtol=1e-14)


def test_gof(res, expected):
    _close(res.gof, expected["GoF"], "GoF")
    assert float(res.table("gof")["value"].iloc[0]) == res.gof


@pytest.mark.parametrize("key,measure", [
    ("SRMR", "srmr"), ("DL", "d_uls"), ("DG", "d_g"), ("DML", "d_ml"), ("Chi_square", "chi2"),
    ("Chi_square_df", "chi2_df"), ("CFI", "cfi"), ("GFI", "gfi"), ("IFI", "ifi"), ("NFI", "nfi"),
    ("NNFI", "nnfi"), ("RMSEA", "rmsea"), ("CN", "cn"), ("Df", "df")])
def test_fit_estimated_model(res, expected, key, measure):
    """cSEM reports these for the estimated model (its ``fit()`` default)."""
    fit = res.fit.set_index(["model", "measure"])["value"]
    _close(float(fit[("estimated", measure)]), expected[key], key, exact=key == "Df")


def test_rms_theta(res, expected):
    """cSEM's RMS_theta uses the construct correlations as estimated (saturated)."""
    fit = res.fit.set_index(["model", "measure"])["value"]
    _close(float(fit[("saturated", "rms_theta")]), expected["RMS_theta"], "RMS_theta")


def test_fit_table_has_no_silent_nan(res):
    v = res.fit["value"]
    assert str(v.dtype) == "Float64"
    assert not np.isnan(v.dropna().to_numpy(dtype=float)).any()
    assert not v.isna().any()  # everything is defined for this model


def test_vignette_model_paths():
    """Second model of the README: all three common factors, path scheme, PLSc — the
    vignette's 4-decimal point estimates (tolerance 5e-5) still hold."""
    ref = read_oracle(CASE, "threecommonfactors.csv")
    spec = sm.ModelSpec.from_lavaan(MODEL.replace("eta2 <~", "eta2 =~"))
    r = sm.fit_pls(spec, ref, consistent=True, stop="max_abs", tol=1e-5, max_iter=100)
    paths = r.paths.set_index(["source", "target"])["estimate"]
    assert paths[("eta1", "eta2")] == pytest.approx(0.6713, abs=5e-5)
    assert paths[("eta1", "eta3")] == pytest.approx(0.4585, abs=5e-5)
    assert paths[("eta2", "eta3")] == pytest.approx(0.3052, abs=5e-5)
    assert isinstance(r.htmt, pd.DataFrame)
