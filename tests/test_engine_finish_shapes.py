"""The compiled finish (satmodel.engine.kernel.finish) on layouts and inputs that take
its less common branches, against the numpy steps (satmodel.engine.pls._finish_numpy).

The kernel sums rows of S W four at a time and columns of W' S W four at a time, with
a plain loop for the rest; these layouts leave remainders of 0 and 3 rows (p = 24, 27) and
of 2 and 0 columns (J = 6, 8), have single-item blocks (rho_A 1, loadings without correction) and
a construct with one predecessor (the 1 x 1 system). Tolerance and why: as in
tests/test_engine_finish.py (``assert_same``): 1e-15 times each element's condition
number of its structural systems, at least 1e-12, relative to magnitudes floored at 1 —
the two paths add the same terms in another order and solve by Gaussian elimination
here, by LAPACK there, so they differ by rounding times the condition number.
Non-finite inputs are marked for the numpy path exactly where they are.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from satmodel.engine import kernel, pls
from satmodel.spec.layout import Layout
from tests.test_engine_finish import assert_same, both, condition
from tests.test_engine_finish import pytestmark as needs_numba
from tests.test_engine_kernel import LAY, resampled

pytestmark = needs_numba


def with_single_items() -> tuple[Layout, np.ndarray]:
    """ECSI with item 4 (first block) and the last item each as a construct of its own
    (J = 8, p = 27), paths 0 -> 6 -> 7 and 4 -> 7; and the item order that sorts blocks."""
    J = LAY.n_constructs
    block_of = LAY.block_of.copy()
    block_of[4], block_of[26] = J, J + 1
    order = np.argsort(block_of, kind="stable")
    A = np.zeros((J + 2, J + 2), dtype=bool)
    A[:J, :J] = LAY.adjacency
    A[0, J] = A[J, J + 1] = A[4, J + 1] = True
    lay = Layout(block_of=block_of[order], modes=LAY.modes + ("A", "A"), adjacency=A,
                 common_factor=np.ones(J + 2, dtype=bool))
    return lay, order


def first_items(p: int) -> Layout:
    """ECSI's first ``p`` items (p = 24: the last block keeps a single item)."""
    return Layout(block_of=LAY.block_of[:p], modes=LAY.modes, adjacency=LAY.adjacency,
                  common_factor=LAY.common_factor)


@pytest.mark.parametrize("consistent", [False, True])
@pytest.mark.parametrize("reference", [False, True])
@pytest.mark.parametrize("case", ["single_items", "p24"])
def test_remainders_and_single_item_blocks(case, reference, consistent, monkeypatch):
    S, _, _ = resampled(21, n=150)
    if case == "single_items":
        lay, order = with_single_items()
        S = S[:, order][:, :, order]
    else:
        lay = first_items(24)
        S = np.ascontiguousarray(S[:, :24, :24])
    ref = None
    if reference:  # another fit's loadings, every other block reversed
        ref = pls.estimate(S[0], lay).loadings * np.where(lay.block_of % 2 == 0, 1.0, -1.0)
    w = pls.estimate(S, lay).weights
    assert kernel.finish(S, w, lay, ref, consistent) is not None
    fast, plain = both(S, lay, monkeypatch, consistent=consistent, sign_reference=ref)
    assert np.all(fast.rho_a[:, np.bincount(lay.block_of) == 1] == 1.0)
    assert_same(fast, plain, lay)


@pytest.mark.parametrize("consistent", [False, True])
def test_non_finite_inputs_are_marked_where_they_are(consistent):
    """A NaN or infinite entry of S (across blocks, within a block: rho_A) or of the
    weights makes that element's estimate non-finite: the kernel marks exactly those
    elements (the numpy path redoes them); the others match the numpy path."""
    S, _, _ = resampled(22, n=40)
    w = pls.estimate(S, LAY).weights
    S[3, 0, 1] = np.nan
    S[7, 5, 6] = np.inf
    w[9, 2] = np.inf
    w[11, 0] = np.nan
    parts, redo = kernel.finish(S, w, LAY, None, consistent)
    assert np.flatnonzero(redo).tolist() == [3, 7, 9, 11]
    keep = ~redo
    expected = pls._finish_numpy(S[keep], w[keep], LAY, LAY.membership.astype(float), None,
                                 consistent)
    tol = np.maximum(1e-12, 1e-15 * condition(SimpleNamespace(construct_corr=expected[4]), LAY))
    for got, want in zip(parts[:-1], expected[:-1]):  # as in assert_same (see the module)
        error = np.abs(got[keep] - want) / np.maximum(1.0, np.abs(want))
        np.testing.assert_array_less(error.reshape(len(want), -1).max(axis=1), tol)
    assert not expected[-1].any()
