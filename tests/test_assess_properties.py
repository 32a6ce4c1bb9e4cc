"""Invariance properties, exact-population cases, batching and errors of the assessment layer.

- HTMT / HTMT2 are symmetric and invariant to rescaling, shifting and reflecting items
  (they use absolute correlations only).
- For a population (exact) common-factor model fitted by PLSc the saturated model
  reproduces Σ exactly: SRMR = d_ULS = d_G = 0; with the true (saturated recursive)
  structural model so does the estimated model (cSEM's DGP_linear_3commonfactors).
- Every registered assessment table evaluated on a batch of correlation matrices
  equals the table of each fit alone (the bootstrap relies on it).
- "Not defined" is <NA>, never NaN; bad options raise SatModelError subclasses.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import satmodel as sm
from satmodel.engine import estimate
from satmodel.tables import TABLES, Context

try:
    from _oracles import oracle_path, read_r_matrix
except ImportError:  # tests/ became a package
    from tests._oracles import oracle_path, read_r_matrix  # type: ignore[no-redef]

SPEC = sm.ModelSpec.from_lavaan("""
A =~ a1 + a2 + a3
B =~ b1 + b2
C <~ c1 + c2 + c3
B ~ A
C ~ A + B
""")
ASSESS_TABLES = ("htmt_pairs", "vif", "inner_vif", "f2", "information_criteria", "gof", "fit")


def _data(seed: int, n: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    f = rng.standard_normal((n, 1))
    cols = {}
    for name, w in [("a1", .8), ("a2", .7), ("a3", .6), ("b1", .7), ("b2", .6),
                    ("c1", .5), ("c2", .6), ("c3", .4)]:
        cols[name] = w * f[:, 0] + rng.standard_normal(n)
    return pd.DataFrame(cols)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000),
       scale=st.lists(st.floats(0.1, 50.0), min_size=8, max_size=8),
       shift=st.lists(st.floats(-100, 100), min_size=8, max_size=8),
       flip=st.lists(st.booleans(), min_size=8, max_size=8))
def test_htmt_symmetric_and_invariant_to_item_rescaling(seed, scale, shift, flip):
    df = _data(seed)
    sign = np.where(flip, -1.0, 1.0)
    df2 = df * (np.asarray(scale) * sign) + np.asarray(shift)
    S1 = np.corrcoef(df.to_numpy().T)
    S2 = np.corrcoef(df2.to_numpy().T)
    lay = sm.fit_pls_moments(SPEC, S1, n_obs=120).layout
    from satmodel.tables.validity import htmt_matrix
    for geometric in (False, True):
        h1 = htmt_matrix(S1, lay, geometric=geometric)
        h2 = htmt_matrix(S2, lay, geometric=geometric)
        np.testing.assert_allclose(h1, h1.T, atol=1e-14)
        np.testing.assert_allclose(h1, h2, atol=1e-10)
        assert np.all(np.diag(h1) == 1.0)


def test_htmt_property_invariant_to_rescaling():
    df = _data(3)
    r1 = sm.fit_pls(SPEC, df)
    r2 = sm.fit_pls(SPEC, df * 7.0 - 3.0)
    pd.testing.assert_frame_equal(r1.htmt, r2.htmt, atol=1e-12, check_exact=False)


def _population(loadings, phi):
    """Σ of three common factors with 3, 2, 3 items and construct correlations phi."""
    blocks = [0, 0, 0, 1, 1, 2, 2, 2]
    L = np.zeros((8, 3))
    L[np.arange(8), blocks] = loadings
    R = np.array([[1, phi[0], phi[1]], [phi[0], 1, phi[2]], [phi[1], phi[2], 1]])
    S = L @ R @ L.T
    np.fill_diagonal(S, 1.0)
    return S


@settings(max_examples=30, deadline=None)
@given(loadings=st.lists(st.floats(0.5, 0.9), min_size=8, max_size=8),
       phi=st.lists(st.floats(0.1, 0.5), min_size=3, max_size=3),
       scheme=st.sampled_from(["path", "centroid", "factorial"]))
def test_srmr_zero_for_exact_population_model(loadings, phi, scheme):
    spec = sm.ModelSpec.from_lavaan("A =~ a1 + a2 + a3\nB =~ b1 + b2\nC =~ c1 + c2 + c3\n"
                                    "B ~ A\nC ~ A + B")
    S = _population(loadings, phi)
    if np.linalg.eigvalsh(S)[0] <= 1e-6:
        return
    res = sm.fit_pls_moments(spec, S, n_obs=500, scheme=scheme, consistent=True, tol=1e-12,
                             max_iter=1000)
    fit = res.fit.set_index(["model", "measure"])["value"].astype(float)
    for model in ("saturated", "estimated"):  # the structural model is saturated here
        for m in ("srmr", "d_uls", "d_g", "d_ml", "chi2"):
            assert abs(fit[(model, m)]) < 1e-9, (model, m, fit[(model, m)])
        np.testing.assert_allclose(res.implied_corr(model).to_numpy(), S, atol=1e-10)


def test_population_dgp_csem_exact_fit():
    sigma = read_r_matrix("csem_dgp_population", "DGP_linear_3commonfactors_Sigma.csv")
    text = oracle_path("csem_dgp_population", "DGP_linear_3commonfactors_model.lav").read_text()
    res = sm.fit_pls_moments(sm.ModelSpec.from_lavaan(text), sigma.to_numpy(), n_obs=1000,
                             consistent=True, tol=1e-12, max_iter=1000)
    fit = res.fit.set_index(["model", "measure"])["value"].astype(float)
    assert fit[("saturated", "srmr")] < 1e-10
    assert fit[("estimated", "srmr")] < 1e-10
    assert fit[("estimated", "rmsea")] == 0.0
    assert fit[("estimated", "df")] == 24.0  # 36 - 3 paths - 9 loadings


@pytest.mark.filterwarnings("ignore::satmodel.AdmissibilityWarning")
def test_tables_batched_equal_single_fits():
    """Each assessment table on a batch of 3 matrices = the tables of 3 separate fits."""
    mats, fits = [], []
    for seed in (1, 2, 3):
        res = sm.fit_pls(SPEC, _data(seed), consistent=True)
        mats.append(res.indicator_corr)
        fits.append(res)
    S = np.stack(mats)
    lay = fits[0].layout
    est = estimate(S, lay, consistent=True)
    ctx = Context(S=S, est=est, layout=lay, spec=SPEC, n_obs=np.full(3, 120.0))
    for name in ASSESS_TABLES:
        tab = TABLES[name]
        for col in tab.columns:
            batched = tab.values(ctx, col)
            for b, res in enumerate(fits):
                single = tab.values(res.context, col)
                np.testing.assert_allclose(batched[b], single, rtol=1e-9, atol=1e-12,
                                           err_msg=f"{name}.{col}[{b}]")


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_not_defined_is_na_not_nan():
    """Items of one block uncorrelated with each other: that block's HTMT is not defined."""
    S = np.eye(4)
    S[0, 2] = S[2, 0] = S[0, 3] = S[3, 0] = 0.3
    S[2, 3] = S[3, 2] = 0.5
    spec = sm.ModelSpec.from_lavaan("X =~ x1 + x2\nY =~ y1 + y2\nY ~ X")
    res = sm.fit_pls_moments(spec, S, n_obs=100)
    h = res.htmt
    assert str(h.dtypes.iloc[0]) == "Float64"
    assert h.loc["X", "Y"] is pd.NA
    pairs = res.table("htmt_pairs")
    assert pairs["htmt"].isna().all() and str(pairs["htmt"].dtype) == "Float64"
    verdicts = res.assess().query("criterion == 'htmt'")
    assert list(verdicts.verdict) == ["warn"] and "not defined" in verdicts.threshold.iloc[0]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_gof_without_endogenous_constructs_is_nan():
    from satmodel.tables.criteria import gof_value
    from satmodel.engine import Layout
    lay = Layout(np.array([0, 0, 1, 1]), ("A", "A"), np.zeros((2, 2), bool), np.array([True, True]))
    S = np.full((4, 4), 0.3) + np.diag([0.7] * 4)
    assert np.isnan(gof_value(estimate(S, lay), lay))


def test_errors():
    res = sm.fit_pls(SPEC, _data(1))
    with pytest.raises(sm.OptionError, match="method"):
        res.f2(method="x")
    with pytest.raises(sm.OptionError, match="saturated"):
        res.implied_corr(model="full")
    with pytest.raises(sm.OptionError, match="log"):
        res.fit_measures(log="log2")
    with pytest.raises(sm.OptionError, match="unknown threshold"):
        res.assess(htmt_max=0.85)


def test_assess_thresholds_and_summary():
    res = sm.fit_pls(SPEC, _data(1))
    a = res.assess()
    assert set(a.verdict) <= {"pass", "warn"}
    assert set(a.criterion) >= {"loading", "alpha", "rho_a", "rho_c", "ave", "htmt",
                                "fornell_larcker", "vif", "inner_vif", "srmr"}
    assert not a.query("criterion == 'loading'").element.str.startswith("C:").any()  # Mode B
    strict = res.assess(htmt=0.0)
    assert (strict.query("criterion == 'htmt'").verdict == "warn").all()
    assert "Assessment" in res.summary()
