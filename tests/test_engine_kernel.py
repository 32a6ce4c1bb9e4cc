"""The compiled PLS iteration (satmodel.engine.kernel, numba) against the numpy path.

The numpy iteration (satmodel.engine.pls._iterate) is the reference: it is the path every
oracle test (cSEM, seminr, plspm, ADANCO, SmartPLS) checks, and the kernel must be a
faster copy of it, so every batch element's weights, iteration count and convergence
flag are compared with it, for every scheme, stop rule and mode the kernel handles,
standardized and unstandardized items. Tolerance 1e-12 on weights of order 1: the two
paths sum the same few hundred terms in another order (rounding ~1e-15 a step, over at
most a few dozen iterations of a contraction); iteration counts and flags must be equal.

Breakdowns (a singular Mode B block) are redone on the numpy path, and a test forces the
numpy fallback (numba switched off) to check the engine then never imports the kernel's
compiled module. Timings are in benchmarks/, never here.
"""
from __future__ import annotations

import importlib.util
import os
import sys

import numpy as np
import pytest

import satmodel as sm
from satmodel.engine import kernel, pls
from satmodel.spec.layout import Layout, layout_of

#: the comparisons need the compiled kernel; the fallback test runs without numba too
needs_numba = pytest.mark.skipif(
    importlib.util.find_spec("numba") is None or os.environ.get("SATMODEL_NUMBA") == "0",
    reason="numba is not installed (extra 'fast') or switched off")

SPEC = sm.templates.ecsi()
ITEMS = sm.datasets.load("ecsi_satisfaction")[list(SPEC.indicator_names)].to_numpy(float)
LAY = layout_of(SPEC)
B = 40  # >= kernel.MIN_BATCH


def resampled(seed: int = 1, n: int = B):
    """Correlation matrices, variances and sizes of ``n`` bootstrap resamples of ECSI."""
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, len(ITEMS), size=(n, len(ITEMS)))
    X = ITEMS[rows]
    var = X.var(axis=1, ddof=1)
    S = np.stack([np.corrcoef(x, rowvar=False) for x in X])
    return S, var, np.full(n, float(len(ITEMS)))


def mixed_layout() -> Layout:
    """ECSI's structure with Mode B and unit blocks among the Mode A ones."""
    modes = ("A", "B", "A", "unit", "B", "A")
    return Layout(block_of=LAY.block_of, modes=modes, adjacency=LAY.adjacency,
                  common_factor=np.array([m == "A" for m in modes]))


def both(S, lay, scheme, stop, scale=None, k=None, tol=1e-7, max_iter=300):
    M = lay.membership.astype(float)
    kk = np.ones((len(S), 1)) if k is None else k
    ref = pls._iterate(S, lay, M, scheme, tol, max_iter, stop, scale, kk)
    out = kernel.iterate(S, lay, scheme, tol, max_iter, stop, scale,
                         None if stop != "sum_sq" else kk)
    assert out is not None
    return ref, out


def assert_iterate_matches_numpy(S, lay, scheme):
    """The compiled iteration (no element redone) against the numpy path: weights to
    1e-12 (the same terms summed in another order), iterations and convergence equal."""
    M = lay.membership.astype(float)
    ref = pls._iterate(S, lay, M, scheme, 1e-7, 300, "max_abs", None, np.ones((len(S), 1)))
    w, n_iter, converged, redo = kernel.iterate(S, lay, scheme, 1e-7, 300, "max_abs",
                                                None, None)
    assert not redo.any()
    np.testing.assert_allclose(w, ref[0], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(n_iter, ref[1])
    np.testing.assert_array_equal(converged, ref[2])


def assert_same(ref, out):
    w, n_iter, converged, redo = out
    assert not redo.any()
    np.testing.assert_allclose(w, ref[0], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(n_iter, ref[1])
    np.testing.assert_array_equal(converged, ref[2])


@needs_numba
@pytest.mark.parametrize("scheme", ["path", "centroid", "factorial"])
@pytest.mark.parametrize("stop", ["max_abs", "sum_abs", "sum_sq"])
@pytest.mark.parametrize("layout", ["ecsi", "mixed"])
def test_kernel_matches_numpy_standardized(scheme, stop, layout):
    S, _, _ = resampled(1)
    lay = LAY if layout == "ecsi" else mixed_layout()
    assert_same(*both(S, lay, scheme, stop))


@needs_numba
@pytest.mark.parametrize("scheme", ["path", "centroid", "factorial"])
@pytest.mark.parametrize("stop", ["max_abs", "sum_sq"])
def test_kernel_matches_numpy_unstandardized(scheme, stop):
    """plspm's scaled=FALSE: Mode A on item variances (one row per element), loop weights
    scaled by sqrt((n - 1)/n)."""
    S, var, n = resampled(2)
    k = np.sqrt((n - 1.0) / n)[:, None]
    assert_same(*both(S, mixed_layout(), scheme, stop, scale=var, k=k))


@needs_numba
def test_kernel_max_iter_and_tight_tolerance():
    """Elements that reach max_iter are not converged and keep their last weights."""
    S, _, _ = resampled(3)
    ref, out = both(S, LAY, "path", "max_abs", tol=1e-14, max_iter=4)
    assert not ref[2].any()
    assert_same(ref, out)


@needs_numba
def test_engine_estimate_with_and_without_kernel(monkeypatch):
    """Whole estimates (paths, loadings, n_iter) agree with the kernel on and off."""
    S, _, _ = resampled(4)
    on = pls.estimate(S, LAY)
    monkeypatch.setattr(kernel.ITERATION, "fn", False)
    monkeypatch.setattr(kernel.FINISH, "fn", False)
    off = pls.estimate(S, LAY)
    for field in ("weights", "loadings", "paths", "r2"):
        np.testing.assert_allclose(getattr(on, field), getattr(off, field), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(on.n_iter, off.n_iter)


@needs_numba
def test_singular_element_is_redone_on_numpy_path():
    """A Mode B block with two identical items cannot be solved: the kernel marks that
    element, the engine redoes it on the numpy path (NaN weights, not converged) and
    the other elements keep the kernel's numbers."""
    S, _, _ = resampled(5)
    lay = mixed_layout()
    b_items = lay.block(1)[:2]
    bad = S[7].copy()
    bad[b_items[1], :] = bad[b_items[0], :]
    bad[:, b_items[1]] = bad[:, b_items[0]]
    S[7] = bad
    _, out = both(S, lay, "path", "max_abs")
    assert out[3][7] and out[3].sum() == 1
    M = lay.membership.astype(float)
    ref = pls._iterate(S, lay, M, "path", 1e-7, 300, "max_abs", None, np.ones((B, 1)))
    est = pls.estimate(S, lay)
    assert not est.converged[7] and not ref[2][7]
    keep = np.arange(B) != 7
    np.testing.assert_allclose(est.n_iter[keep], ref[1][keep], rtol=0, atol=0)
    np.testing.assert_array_equal(est.n_iter[7], ref[1][7])


def test_small_batches_and_unordered_blocks_use_numpy():
    """A single fit (B < MIN_BATCH) and a layout whose blocks are not consecutive items
    keep the numpy path (iterate returns None)."""
    S, _, _ = resampled(6)
    assert kernel.iterate(S[:1], LAY, "path", 1e-7, 300, "max_abs", None, None) is None
    order = np.r_[1:LAY.block_of.size, 0]  # the first item moved to the end
    lay = Layout(block_of=LAY.block_of[order], modes=LAY.modes, adjacency=LAY.adjacency,
                 common_factor=LAY.common_factor)
    assert kernel.iterate(S, lay, "path", 1e-7, 300, "max_abs", None, None) is None


def test_forced_numpy_fallback(monkeypatch):
    """SATMODEL_NUMBA=0 (or numba missing) turns the kernel off; the engine then runs the
    numpy path and gives the same estimate."""
    S, _, _ = resampled(7)
    with_kernel = pls.estimate(S, LAY)
    monkeypatch.setenv("SATMODEL_NUMBA", "0")  # read at every call: no reset needed
    assert not kernel.available() and kernel.FINISH.get() is None
    assert kernel.finish(S, with_kernel.weights, LAY, None, False) is None
    assert kernel.iterate(S, LAY, "path", 1e-7, 300, "max_abs", None, None) is None
    without = pls.estimate(S, LAY)
    np.testing.assert_allclose(with_kernel.paths, without.paths, rtol=0, atol=1e-12)
    monkeypatch.setattr(kernel.ITERATION, "fn", None)
    monkeypatch.delenv("SATMODEL_NUMBA")
    monkeypatch.setitem(sys.modules, "satmodel.engine._kernel_jit", None)  # import fails
    assert not kernel.available()


def test_a_kernel_that_cannot_load_leaves_the_work_to_the_numpy_path(monkeypatch):
    """numba raising while it loads its cached code (here: the ModuleNotFoundError of a
    cache written by another module) never breaks a fit: the kernel switches itself off
    and the numpy path gives its numbers (before, the error reached the user)."""
    S, _, _ = resampled()
    monkeypatch.setattr(kernel.ITERATION, "fn", False)
    reference = pls.estimate(S, LAY)  # the numpy path

    def broken(*args):
        raise ModuleNotFoundError("No module named '<dynamic>'")
    monkeypatch.setattr(kernel.ITERATION, "fn", broken)
    with pytest.warns(sm.errors.SatModelWarning, match="could not load") as caught:
        est = pls.estimate(S, LAY)  # raised before
    assert len(caught) == 1 and kernel.ITERATION.fn is False and not kernel.available()
    np.testing.assert_array_equal(est.weights, reference.weights)
    np.testing.assert_array_equal(est.paths, reference.paths)


@needs_numba
@pytest.mark.parametrize("stop", ["max_abs", "sum_sq"])
def test_a_zero_item_variance_on_raw_items_is_the_numpy_paths_result(stop, monkeypatch):
    """Unstandardized items (item_scale) with an item of zero variance: the kernel once
    raised ZeroDivisionError (Python's error model); now it gives what the numpy path
    gives, element for element (inf and NaN where it does)."""
    S, var, n = resampled()
    var = var.copy()
    var[3, 7] = 0.0
    k = np.sqrt((n - 1.0) / n)[:, None]
    fast = kernel.iterate(S, LAY, "path", 1e-7, 300, stop, var, k)
    assert fast is not None
    monkeypatch.setattr(kernel.ITERATION, "fn", False)
    with np.errstate(all="ignore"):
        plain = pls.estimate(S, LAY, item_scale=var, stop=stop, plspm_k=k[:, 0])
    w, n_iter, converged, redo = fast
    ok = ~redo
    np.testing.assert_allclose(w[ok], plain.weights[ok], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(n_iter[ok], plain.n_iter[ok])


@needs_numba
def test_indefinite_mode_b_block_and_non_finite_correlations_go_to_numpy(monkeypatch):
    """The kernel solves without pivoting only where every pivot is positive (symmetric
    positive definite: stable). A well-conditioned but indefinite Mode B block (pairwise
    correlations need not be positive definite) and a correlation that is NaN between two
    blocks that are not neighbours (EM/pairwise moments of items never answered
    together) are sent to the numpy path, so the estimate is the numpy path's: before,
    the first differed by 1e-5 with 202 more iterations, the second converged to finite
    weights where numpy gives NaN."""
    lay = mixed_layout()
    S, _, _ = resampled(2, n=32)
    a = lay.block(1)[0]
    S[:, a, a + 1] = S[:, a + 1, a] = 1 - 1e-12
    S[:, a, a + 2] = S[:, a + 2, a] = 0.5
    S[:, a + 1, a + 2] = S[:, a + 2, a + 1] = -0.5
    x, y = lay.block(1)[0], lay.block(5)[0]
    assert not (lay.adjacency | lay.adjacency.T)[1, 5]
    S[3, x, y] = S[3, y, x] = np.nan
    out = kernel.iterate(S, lay, "path", 1e-7, 300, "max_abs", None, None)
    assert out is not None and out[3].all()  # every element redone
    fast = pls.estimate(S, lay)
    monkeypatch.setattr(kernel.ITERATION, "fn", False)
    monkeypatch.setattr(kernel.FINISH, "fn", False)
    with np.errstate(all="ignore"):
        plain = pls.estimate(S, lay)
    np.testing.assert_array_equal(fast.n_iter, plain.n_iter)
    np.testing.assert_array_equal(fast.converged, plain.converged)
    np.testing.assert_array_equal(fast.weights, plain.weights)  # the same code ran


@needs_numba
def test_size_mismatch_is_left_to_the_numpy_path():
    """numba does not check bounds: a layout of fewer items than S (or a sign reference
    of another length) must not reach compiled code (the numpy path raises)."""
    S, _, _ = resampled(8)
    small = Layout(block_of=np.array([0, 0, 1, 1, 1]), modes=("A", "A"),
                   adjacency=np.array([[False, True], [False, False]]),
                   common_factor=np.array([True, True]))
    assert kernel.iterate(S, small, "path", 1e-7, 300, "max_abs", None, None) is None
    w = np.ones(S.shape[:2])
    assert kernel.finish(S, w[:, :5], small, None, False) is None
    assert kernel.finish(S, w, LAY, np.ones(5), False) is None
    with pytest.raises(ValueError):
        pls.estimate(S, small)
