"""The compiled steps after the PLS iteration (satmodel.engine.kernel.finish, numba)
against the numpy steps (satmodel.engine.pls._finish_numpy), the reference every oracle
test checks.

Compared on ECSI bootstrap resamples for plain PLS and PLSc, the default orientation and
a sign reference, Mode B and unit blocks. Tolerance relative to each value's magnitude
(floored at 1): 1e-15 times each element's largest condition number of its structural
systems, and at least 1e-12. The two paths form the same sums in another order and solve
the structural systems by Gaussian elimination here and by LAPACK there; both are
backward stable, so they differ by rounding (2.2e-16) times the condition number — on
ECSI resamples ~30 (1e-12 holds), on an inadmissible PLSc resample with paths in the
hundreds 2e5. Elements with non-finite numbers are redone on the numpy path, so they
match exactly (NaN where NaN).
"""
from __future__ import annotations

import importlib.util
import os

import numpy as np
import pytest

from satmodel.engine import kernel, pls
from tests.test_engine_kernel import LAY, mixed_layout, resampled

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("numba") is None or os.environ.get("SATMODEL_NUMBA") == "0",
    reason="numba is not installed (extra 'fast') or switched off")

NAMES = ("weights", "loadings", "cross_loadings", "proxy_corr", "construct_corr", "rho_a",
         "paths", "r2", "total")


def both(S, lay, monkeypatch, **options):
    fast = pls.estimate(S, lay, **options)
    with monkeypatch.context() as mp:
        mp.setattr(kernel.FINISH, "fn", False)
        plain = pls.estimate(S, lay, **options)
    return fast, plain


def condition(est, lay) -> np.ndarray:
    """Each element's largest condition number of its structural systems (B,)."""
    R = np.nan_to_num(est.construct_corr)
    worst = np.ones(len(R))
    for j in range(lay.n_constructs):
        pred = np.flatnonzero(lay.adjacency[:, j])
        if pred.size:
            worst = np.maximum(worst, np.linalg.cond(R[:, pred][:, :, pred]))
    return worst


def assert_same(fast, plain, lay):
    tol = np.maximum(1e-12, 1e-15 * condition(plain, lay))
    for name in NAMES:
        a, b = getattr(fast, name), getattr(plain, name)
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg=name)
        scale = np.maximum(1.0, np.abs(np.nan_to_num(b)))
        error = (np.abs(np.nan_to_num(a - b)) / scale).reshape(len(a), -1).max(axis=1)
        np.testing.assert_array_less(error, tol, err_msg=name)
    np.testing.assert_array_equal(fast.singular_block, plain.singular_block)


@pytest.mark.parametrize("consistent", [False, True])
@pytest.mark.parametrize("reference", [False, True])
@pytest.mark.parametrize("layout", ["ecsi", "mixed"])
def test_compiled_finish_matches_numpy(consistent, reference, layout, monkeypatch):
    S, _, _ = resampled(11, n=200)
    lay = LAY if layout == "ecsi" else mixed_layout()
    ref = None
    if reference:  # loadings of another fit, some blocks reversed: orientation by reference
        ref = pls.estimate(S[0], lay).loadings * np.where(lay.block_of % 2 == 0, 1.0, -1.0)
    assert kernel.finish(S, np.ones(S.shape[:2]), lay, ref, consistent) is not None
    assert_same(*both(S, lay, monkeypatch, consistent=consistent, sign_reference=ref), lay)


def test_non_finite_elements_are_redone_on_the_numpy_path(monkeypatch):
    """A block whose items correlate negatively has a negative rho_A: PLSc then takes a
    square root of it (NaN). The kernel marks that element and the numpy path gives it
    its NaNs; the other elements keep the kernel's numbers."""
    S, _, _ = resampled(12, n=40)
    items = LAY.block(1)  # two or more items of one block
    bad = S[5].copy()
    bad[np.ix_(items, items)] = -0.3
    bad[items, items] = 1.0
    S[5] = bad
    w = pls.estimate(S, LAY).weights
    parts, redo = kernel.finish(S, w, LAY, None, True)
    assert redo[5] and redo.sum() == 1
    fast, plain = both(S, LAY, monkeypatch, consistent=True)
    assert np.isnan(plain.loadings[5]).any()
    assert_same(fast, plain, LAY)


def test_total_effects_of_constructs_not_in_path_order(monkeypatch):
    """Total effects by substitution need every path to run from a lower to a higher
    construct index; a layout in another order (here ECSI's constructs reversed, blocks
    still consecutive items) takes the LU solves instead: both against numpy."""
    from satmodel.spec.layout import Layout

    J = LAY.n_constructs
    new_of_old = J - 1 - np.arange(J)  # construct j becomes J - 1 - j
    order = np.argsort(new_of_old[LAY.block_of], kind="stable")  # items by new block
    A = np.zeros_like(LAY.adjacency)
    A[np.ix_(new_of_old, new_of_old)] = LAY.adjacency
    lay = Layout(block_of=new_of_old[LAY.block_of][order], modes=LAY.modes[::-1],
                 adjacency=A, common_factor=LAY.common_factor[::-1])
    assert np.tril(A).any() and lay.starts() is not None
    S, _, _ = resampled(13, n=64)
    S = S[:, order][:, :, order]
    fast, plain = both(S, lay, monkeypatch)
    assert np.abs(plain.total).max() > 0.1
    assert_same(fast, plain, lay)
    np.testing.assert_allclose(fast.paths[:, new_of_old][:, :, new_of_old],
                               pls.estimate(resampled(13, n=64)[0], LAY).paths, atol=1e-12)
