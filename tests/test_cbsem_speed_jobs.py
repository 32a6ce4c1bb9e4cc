"""The CB-SEM bootstrap over worker processes (issue 16, part 5), and its refits against
plain semopy fits of the same resamples.

- ``n_jobs=1`` (this process) and ``n_jobs=2`` (a process pool) give the same draws: the
  row counts are drawn in the calling process from one seeded generator and each refit
  depends on its counts only, so the draws must agree bit for bit (checked to 1e-12);
- each ML draw equals a plain semopy fit of its resample (a fresh ``semopy.Model`` on the
  rows repeated by their counts, semopy's own MLW objective and gradient, SLSQP with the
  same ``ftol=1e-14``); the tolerance is the optimizer's (argued in each test);
- the ``n_jobs`` option and its default.

Never times: the speed is measured by benchmarks/bench_cbsem.py.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import satmodel as sm
from satmodel.cbsem import bootstrap as cb_boot, mlboot
from satmodel.cbsem.bootwork import forks as bootwork_forks
from satmodel.cbsem.polish import hessian
from satmodel.cbsem.translate import semopy_description, semopy_names
from satmodel.inference.driver import BootstrapCounts
from tests._oracles import quiet

semopy = pytest.importorskip("semopy")

SMALL = ("IMAG =~ IMAG1 + IMAG2 + IMAG3 + IMAG4\nEXPE =~ EXPE1 + EXPE2 + EXPE3\n"
         "SAT =~ SAT1 + SAT2 + SAT3\nSAT ~ IMAG + EXPE")


def _data(spec):
    df = sm.datasets.load("ecsi_satisfaction")
    return df, df[list(spec.indicator_names)].to_numpy(float)


def _boot(cb, **options):
    """``cb.bootstrap`` with few resamples (their 'too few' warning expected)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", sm.SatModelWarning)
        warnings.filterwarnings("ignore", "[0-9]+ bootstrap resamples are too few", sm.SatModelWarning)
        return cb.bootstrap(progress=False, **options).inference


def _same_draws(a, b):
    assert (a.n_requested, a.n_valid, a.dropped, a.failures) == \
        (b.n_requested, b.n_valid, b.dropped, b.failures)
    for t, cols in a.draws.items():
        for c, v in cols.items():
            np.testing.assert_allclose(v, b.draws[t][c], rtol=0, atol=1e-12, equal_nan=True)


def test_ml_draws_do_not_depend_on_the_number_of_workers():
    spec = sm.templates.ecsi()
    df, _ = _data(spec)
    cb = quiet(sm.fit_cbsem, spec, df)
    one = _boot(cb, n=12, seed=3, n_jobs=1)
    two = _boot(cb, n=12, seed=3, n_jobs=2)
    assert one.n_valid == 12
    _same_draws(one, two)


def test_semopy_row_refits_do_not_depend_on_the_number_of_workers():
    # ULS resamples are semopy fits of the repeated rows (not the moment path)
    spec = sm.ModelSpec.from_lavaan("IMAG =~ IMAG1 + IMAG2 + IMAG3\nSAT =~ SAT1 + SAT2 + SAT3\n"
                                    "SAT ~ IMAG")
    df, _ = _data(spec)
    cb = quiet(sm.fit_cbsem, spec, df, estimator="ULS")
    one = _boot(cb, n=4, seed=8, n_jobs=1)
    two = _boot(cb, n=4, seed=8, n_jobs=2)
    _same_draws(one, two)


def _plain_semopy(spec, rows):
    """A plain semopy fit of ``rows``: fresh model, semopy's MLW and its gradient."""
    names = semopy_names(spec)
    model = semopy.Model(semopy_description(spec, names.to_semopy))
    res = model.fit(pd.DataFrame(rows, columns=[names.to_semopy[x] for x in spec.indicator_names]),
                    obj="MLW", solver="SLSQP", options={"ftol": 1e-14, "maxiter": 10000})
    assert res.success
    return model


def test_ml_refits_equal_plain_semopy_fits_of_the_resamples_well_conditioned():
    """A well-conditioned model: every parameter to 1e-6.

    Tolerance: SLSQP stops when the objective changes by less than ftol = 1e-14 between
    iterations; near a minimum F - F* ~ d' H d / 2, so a stopped fit is within about
    sqrt(2 ftol / lambda_min(H)) of the minimizer in the direction of H's smallest
    eigenvalue. Here lambda_min >= 0.04 on every resample (checked), so both fits sit within
    7e-7 of the minimizer: 1e-6 is the optimizer's tolerance (they agree to ~1e-14 in fact,
    having taken the same steps)."""
    spec = sm.ModelSpec.from_lavaan(SMALL)
    _, X = _data(spec)
    st = mlboot.start(spec, X, missing="error", conventions=None)
    counts = BootstrapCounts(5, len(X), np.random.default_rng(7)).draw(5)
    lower = np.array([-np.inf if lo is None else lo for lo, _ in st.state.problem.bounds])
    for w in counts:
        plain = _plain_semopy(spec, np.repeat(X, w.astype(np.intp), axis=0))
        x_plain = np.array(plain.param_vals, dtype=float)
        prob = st.state.problem.with_cov(mlboot.moments(X, w))
        free = x_plain > lower + 1e-8
        lam = np.linalg.eigvalsh(hessian(prob.grad, x_plain)[np.ix_(free, free)])[0]
        assert lam >= 0.04 and free.all()
        fast, why = mlboot.refit(spec, st, X, w)
        assert why is None
        ref = st.state.arrays(prob, x_plain)
        for name in ("loadings", "beta", "psi", "theta"):
            np.testing.assert_allclose(getattr(fast, name), getattr(ref, name), rtol=0, atol=1e-6)
        assert fast.fmin == pytest.approx(plain.obj_mlw(x_plain), rel=0, abs=1e-12)


def test_ml_refits_equal_plain_semopy_fits_of_the_resamples_ecsi():
    """The ECSI model, empirically near under-identified: per resample, the matrices to
    the optimizer's tolerance sqrt(2 ftol / lambda_min) (see above; lambda_min of the
    Hessian over the parameters off their bounds, at least 1e-6 when it is larger), and
    the minimum of the discrepancy to 1e-12 (what SLSQP's ftol controls). On resamples
    where a variance sits at its bound 0 and the Hessian of the others is singular (a
    ridge: the minimizer is not unique) only the minimum is compared."""
    spec = sm.templates.ecsi()
    _, X = _data(spec)
    st = mlboot.start(spec, X, missing="error", conventions=None)
    counts = BootstrapCounts(8, len(X), np.random.default_rng(7)).draw(8)
    lower = np.array([-np.inf if lo is None else lo for lo, _ in st.state.problem.bounds])
    compared = 0
    for w in counts:
        plain = _plain_semopy(spec, np.repeat(X, w.astype(np.intp), axis=0))
        x_plain = np.array(plain.param_vals, dtype=float)
        prob = st.state.problem.with_cov(mlboot.moments(X, w))
        fast, why = mlboot.refit(spec, st, X, w)
        assert why is None
        assert fast.fmin == pytest.approx(plain.obj_mlw(x_plain), rel=0, abs=1e-12)
        free = x_plain > lower + 1e-8
        lam = np.linalg.eigvalsh(hessian(prob.grad, x_plain)[np.ix_(free, free)])[0]
        if lam <= 1e-10:
            continue
        tol = max(1e-6, np.sqrt(2e-14 / lam))
        ref = st.state.arrays(prob, x_plain)
        for name in ("loadings", "beta", "psi", "theta"):
            np.testing.assert_allclose(getattr(fast, name), getattr(ref, name), rtol=0, atol=tol)
        compared += 1
    assert compared >= 4


def test_n_jobs_option_and_default():
    assert cb_boot.jobs(1, 500) == 1 and cb_boot.jobs(4, 3) == 3
    assert cb_boot.jobs(None, 500) == 1                         # workers are opt-in
    assert cb_boot.jobs(-1, 500) >= 1
    spec = sm.ModelSpec.from_lavaan("IMAG =~ IMAG1 + IMAG2 + IMAG3\nSAT =~ SAT1 + SAT2 + SAT3\n"
                                    "SAT ~ IMAG")
    df, _ = _data(spec)
    cb = quiet(sm.fit_cbsem, spec, df)
    for bad in (0, -2, 1.5, "2", True):
        with pytest.raises(sm.OptionError, match="invalid bootstrap option n_jobs="):
            cb.bootstrap(n=3, n_jobs=bad)


def test_own_slsqp_loop_takes_scipys_steps():
    """mlboot.slsqp runs scipy's SLSQP step routine without minimize's wrappers: with the
    same objective and gradient the iterates are the same floating-point numbers, so the
    solutions must be identical (0 difference), on resamples of the ECSI model."""
    from scipy.optimize import minimize

    spec = sm.templates.ecsi()
    _, X = _data(spec)
    st = mlboot.start(spec, X, missing="error", conventions=None)
    for w in BootstrapCounts(4, len(X), np.random.default_rng(9)).draw(4):
        S = mlboot.moments(X, w)
        x0 = mlboot.start_values(st.state.model, S)
        a, b = st.state.problem.with_cov(S), st.state.problem.with_cov(S)
        ref = minimize(a.fun, x0, jac=a.grad, bounds=a.bounds, method="SLSQP",
                       options={"ftol": 1e-14, "maxiter": 10000})
        mode, x = mlboot.slsqp(b, x0, 10000)
        assert mode == ref.status == 0
        np.testing.assert_array_equal(x, ref.x)


def test_spawned_workers_build_their_own_job_and_give_the_same_draws(monkeypatch):
    # macOS and Windows start workers by spawn (a fresh interpreter, the Job rebuilt from
    # the pickled rows and settings); forced here: the draws must not change (1e-12)
    import multiprocessing

    from satmodel.cbsem import bootwork

    spec = sm.ModelSpec.from_lavaan("IMAG =~ IMAG1 + IMAG2 + IMAG3\nSAT =~ SAT1 + SAT2 + SAT3\n"
                                    "SAT ~ IMAG")
    df, _ = _data(spec)
    cb = quiet(sm.fit_cbsem, spec, df)
    one = _boot(cb, n=4, seed=6, n_jobs=1)
    monkeypatch.setattr(bootwork, "_context", lambda: multiprocessing.get_context("spawn"))
    _same_draws(one, _boot(cb, n=4, seed=6, n_jobs=2))


@pytest.mark.skipif(not hasattr(__import__("os"), "register_at_fork"), reason="no fork")
def test_forked_workers_do_not_inherit_a_lock_held_by_another_thread():
    """semopy work runs under one process-wide lock (cbsem/capture.py LOCK). A worker
    forked while another thread holds it would wait for ever on its copy (ULS resamples are
    semopy fits in the workers), so a forked child gets a fresh lock: here a child forked
    while a thread holds the lock must take it within 10 s (it is never released there)."""
    import multiprocessing
    import threading

    from satmodel.cbsem import capture

    held, release = threading.Event(), threading.Event()

    def hold():
        with capture.LOCK:
            held.set()
            release.wait(60)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait()
    try:
        child = multiprocessing.get_context("fork").Process(target=_take_lock)
        child.start()
        child.join(60)
    finally:
        release.set()
        holder.join()
    assert child.exitcode == 0


def _take_lock():
    import os

    from satmodel.cbsem import capture

    os._exit(0 if capture.LOCK.acquire(timeout=10) else 1)


@pytest.mark.skipif(not bootwork_forks(), reason="workers are forked only on Linux")
def test_diagnostics_reported_in_workers_reach_the_result(monkeypatch):
    # a refit's own reports (e.g. EM at its iteration limit in a FIML resample) are merged
    # into one record by the driver; from a worker they must travel back to the caller.
    # The patched refit is inherited by the forked workers.
    from satmodel.diagnostics import report

    real = mlboot.refit

    def noisy(*args, **kw):
        report("refit_note", "a note from inside a refit", sm.SatModelWarning, count=1)
        return real(*args, **kw)

    monkeypatch.setattr(mlboot, "refit", noisy)
    spec = sm.ModelSpec.from_lavaan("IMAG =~ IMAG1 + IMAG2 + IMAG3\nSAT =~ SAT1 + SAT2 + SAT3\n"
                                    "SAT ~ IMAG")
    df, _ = _data(spec)
    cb = quiet(sm.fit_cbsem, spec, df)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for jobs in (1, 2):
            res = cb.bootstrap(n=6, seed=2, progress=False, n_jobs=jobs)
            notes = [d for d in res.diagnostics if d.code == "refit_note"]
            assert len(notes) == 1 and notes[0].count == 6, jobs
