"""The fast CB-SEM paths (issue 16, part 5) against the plain paths they replace.

- the ML objective and gradient as matrix products (cbsem/mlfast.py) against semopy's
  ``obj_mlw`` / ``grad_mlw``;
- the bootstrap's resample covariance from the counts against the covariance of the rows
  repeated by their counts, and semopy's starting values from that covariance against
  semopy's from the repeated rows;
- the ML bootstrap on moment matrices against the previous path (a fresh semopy model on
  the repeated rows, as the last commit did), draw by draw on a fixed seed;
- one BLAS thread inside, the caller's limits restored afterwards.

Never times: the speed is measured by benchmarks/bench_cbsem.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import satmodel as sm
from satmodel.cbsem import mlboot
from satmodel.cbsem.fitting import fit_cbsem_rows
from satmodel.cbsem.mlfast import MLProblem, start_values, supported
from satmodel.cbsem.tables import BOOTSTRAP, table_values
from satmodel.cbsem.translate import semopy_description, semopy_names
from satmodel.inference.driver import BootstrapCounts
from satmodel.spec.layout import layout_of

semopy = pytest.importorskip("semopy")


@pytest.fixture(scope="module")
def ecsi():
    spec = sm.templates.ecsi()
    X = sm.datasets.load("ecsi_satisfaction")[list(spec.indicator_names)].to_numpy(float)
    return spec, X


def _semopy_model(spec, X):
    names = semopy_names(spec)
    model = semopy.Model(semopy_description(spec, names.to_semopy))
    model.load(pd.DataFrame(X, columns=[names.to_semopy[x] for x in spec.indicator_names]))
    return model


def test_objective_and_gradient_equal_semopys(ecsi):
    # same formulas evaluated in another order: rounding only (values ~1-10, 64 parameters)
    spec, X = ecsi
    model = _semopy_model(spec, X)
    assert supported(model)
    prob = MLProblem.of(model)
    x0 = np.array(model.param_vals, dtype=float)
    rng = np.random.default_rng(5)
    for _ in range(5):
        x = x0 + 0.02 * rng.standard_normal(len(x0))
        assert prob.fun(x) == pytest.approx(model.obj_mlw(x), rel=1e-12)
        g_ref = model.grad_mlw(x)
        np.testing.assert_allclose(prob.grad(x), g_ref, rtol=0, atol=1e-12 * np.abs(g_ref).max())
        prob.fun(x + 1.0)  # the kept point changes; the gradient at x must not
        np.testing.assert_allclose(prob.grad(x), g_ref, rtol=0, atol=1e-12 * np.abs(g_ref).max())


def test_resample_moments_and_start_values_equal_the_repeated_rows(ecsi):
    # the same sums in another order (1e-12), and a regression slope = cov / var (1e-12)
    spec, X = ecsi
    w = BootstrapCounts(1, len(X), np.random.default_rng(2)).draw(1)[0]
    rows = np.repeat(X, w.astype(np.intp), axis=0)
    S = mlboot.moments(X, w)
    np.testing.assert_allclose(S, np.cov(rows, rowvar=False, bias=True), rtol=0, atol=1e-12)
    plain = _semopy_model(spec, rows)
    reused = _semopy_model(spec, X)  # a model loaded with other rows, reused as the bootstrap does
    np.testing.assert_allclose(start_values(reused, S), np.array(plain.param_vals, dtype=float),
                               rtol=0, atol=1e-12)


def test_ml_bootstrap_draws_equal_the_refit_of_repeated_rows(ecsi):
    """Draw by draw against the previous path: a fresh semopy fit of the repeated rows.

    Tolerance: SLSQP (ftol=1e-14) stops short of the minimum on this model, and where it
    stops moves with rounding: the previous path itself, run on the same resamples (this
    seed) with their rows in another order (rounding only), moved draws by up to 4.6e-6
    (median 6e-8); the fast path differs from it by as much (max 5.0e-6, median 6e-8). So
    draws must agree to 1e-5, and the discrepancy's minimum (what both optimizers aim at)
    to 1e-10 relative.
    """
    spec, X = ecsi
    layout = layout_of(spec)
    cb = sm.fit_cbsem(spec, sm.datasets.load("ecsi_satisfaction"))
    n = 10
    boot = cb.bootstrap(n=n, seed=11, progress=False)
    assert boot.inference.n_valid == n
    counts = BootstrapCounts(n, len(X), np.random.default_rng(11)).draw(n)
    st = mlboot.start(spec, X, missing="error", conventions=None)
    worst = []
    for b in range(n):
        fit = fit_cbsem_rows(spec, np.repeat(X, counts[b].astype(np.intp), axis=0), diagnose=False)
        assert fit.estimate.converged
        fast, why = mlboot.refit(spec, st, X, counts[b])
        assert why is None and fast.fmin == pytest.approx(fit.estimate.fmin, rel=1e-10)
        ref = table_values(spec, layout, fit.estimate, fit.sample_cov)
        diff = 0.0
        for t, cols in BOOTSTRAP.items():
            for c in cols:
                a, r = boot.inference.draws[t][c][b], np.asarray(ref[t][c], dtype=float)
                assert np.array_equal(np.isnan(a), np.isnan(r))
                if np.isfinite(r).any():
                    diff = max(diff, float(np.nanmax(np.abs(a - r))))
        worst.append(diff)
    assert max(worst) <= 1e-5, worst


def test_moment_path_applies_to_ml_only(ecsi):
    spec, X = ecsi
    st = mlboot.start(spec, X, missing="error", conventions=None)
    assert st is not None and st.state.model is not None
    assert sm.fit_cbsem(spec, sm.datasets.load("ecsi_satisfaction")).estimate.ml is None  # not kept
    assert mlboot.start(spec, X, missing="fiml", conventions=None) is None
    uls = fit_cbsem_rows(spec, X, estimator="ULS", diagnose=False, se=False, keep_ml=True)
    assert uls.estimate.ml is None  # ULS, GLS, WLS, DWLS resamples keep semopy refits of the rows


def test_one_blas_thread_restores_the_callers_limits():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    from satmodel._threads import one_blas_thread

    blas = lambda: [i["num_threads"] for i in threadpoolctl.threadpool_info()  # noqa: E731
                    if i["user_api"] == "blas"]
    before = blas()
    with one_blas_thread():
        assert set(blas()) == {1}
    assert blas() == before


def test_other_estimators_resample_rows_without_standard_errors(ecsi):
    # ULS keeps semopy refits of the repeated rows; skipping their unused standard errors
    # leaves the estimates as they were (same optimizer run: 1e-12)
    spec = sm.ModelSpec.from_lavaan(
        "IMAG =~ IMAG1 + IMAG2 + IMAG3\nSAT =~ SAT1 + SAT2 + SAT3\nSAT ~ IMAG")
    X = sm.datasets.load("ecsi_satisfaction")[list(spec.indicator_names)].to_numpy(float)
    cb = sm.fit_cbsem(spec, sm.datasets.load("ecsi_satisfaction"), estimator="ULS")
    with pytest.warns(sm.SatModelWarning, match="too few"):
        boot = cb.bootstrap(n=3, seed=4, progress=False)
    counts = BootstrapCounts(3, len(X), np.random.default_rng(4)).draw(3)
    for b in range(3):
        rows = np.repeat(X, counts[b].astype(np.intp), axis=0)
        fit = fit_cbsem_rows(spec, rows, estimator="ULS", diagnose=False, se=True,
                             conventions=cb.conventions)
        ref = table_values(spec, layout_of(spec), fit.estimate, fit.sample_cov)
        np.testing.assert_allclose(boot.inference.draws["paths"]["estimate"][b],
                                   ref["paths"]["estimate"], rtol=0, atol=1e-12)
