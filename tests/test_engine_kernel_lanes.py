"""The compiled iteration's vector helpers and the rows of S W it computes
(satmodel.engine._kernel_jit, satmodel.engine.kernel._rows_read).

The kernel must give the plain loops' numbers bit for bit: its vector helpers (LLVM IR,
16 lanes) are checked against the same sums written as Python float loops (IEEE double
arithmetic in the stated order: the definition, not our output), on numbers whose sum
depends on the order (terms from 1e-8 to 1e16), so a reordered or fused sum fails.
The rows of (S W)' a step reads are checked against the ECSI model worked out by hand.
A sparse model (a chain of constructs, where most rows are skipped) is compared with the
numpy path (tolerance 1e-12 as in tests/test_engine_kernel.py: the same terms summed in
another order); and the batch elements must not see each other (a permuted batch gives
the permuted results bit for bit, also in a partly filled lane group).
"""
from __future__ import annotations

import numpy as np
import pytest

from satmodel.engine import kernel
from satmodel.spec.layout import Layout
from tests.test_engine_kernel import LAY, assert_iterate_matches_numpy, mixed_layout, \
    needs_numba, resampled

L = 16


def test_rows_read_ecsi_by_hand():
    """ECSI: IMAG -> EXPE, SAT, LOY; EXPE -> QUAL, VAL, SAT; QUAL -> VAL, SAT; VAL -> SAT;
    SAT -> LOY; blocks 0-5, 5-10, 10-15, 15-19, 19-23, 23-27. Column j of S W is read on
    its own block, its neighbours' blocks and (path scheme) the blocks of the constructs
    that share a successor with it (SAT's predecessors IMAG, EXPE, QUAL, VAL)."""
    starts = LAY.starts()
    ptr, lo, hi = kernel._rows_read(starts, *kernel._neighbours(LAY, "path"))
    ranges = [list(zip(lo[ptr[j]:ptr[j + 1]], hi[ptr[j]:ptr[j + 1]])) for j in range(6)]
    assert ranges == [[(0, 27)], [(0, 23)], [(0, 23)], [(0, 23)], [(0, 27)],
                      [(0, 5), (19, 27)]]
    ptr, lo, hi = kernel._rows_read(starts, *kernel._neighbours(LAY, "centroid"))
    ranges = [list(zip(lo[ptr[j]:ptr[j + 1]], hi[ptr[j]:ptr[j + 1]])) for j in range(6)]
    assert ranges == [[(0, 10), (19, 27)], [(0, 23)], [(5, 23)], [(5, 23)], [(0, 27)],
                      [(0, 5), (19, 27)]]


def _python_dot(x, xs, y, ys, n, times=None):
    """0.0 + x[0] y[0] + x[xs] y[ys] + ... per lane, Python floats in this order."""
    out = []
    for i in range(L):
        acc = 0.0
        for m in range(n):
            acc = acc + float(x[m * xs + i]) * float(y[m * ys + i])
        out.append(acc if times is None else acc * float(times[i]))
    return np.array(out)


@needs_numba
def test_vector_helpers_sum_in_the_loops_order():
    from numba import njit

    from satmodel.engine import _kernel_jit as jit

    @njit
    def helpers(x, y, idx, f, out):
        jit._dot(out, 0, x, 3 * L, 2 * L, y, L, L, 5)
        jit._dot_times(out, L, x, 3 * L, 2 * L, y, L, L, 5, f, 0)
        jit._dot_gather(out, 2 * L, x, L, L, y, L, L, 4, idx, 1)
        jit._copy(out, 3 * L, x, 5 * L)
        jit._sub_mul(out, 3 * L, y, 2 * L, f, 0)
        jit._div(out, 4 * L, x, 7 * L, y, 0)

    rng = np.random.default_rng(3)
    x = rng.standard_normal(16 * L) * 10.0 ** rng.integers(-8, 17, 16 * L)
    y = rng.standard_normal(8 * L) * 10.0 ** rng.integers(-8, 17, 8 * L)
    f = rng.standard_normal(L)
    idx = np.array([9, 4, 0, 7, 2], dtype=np.int64)
    out = np.zeros(5 * L)
    helpers(x, y, idx, f, out)
    xr, yr = x.reshape(-1, L), y.reshape(-1, L)
    np.testing.assert_array_equal(out[:L], _python_dot(x[3 * L:], 2 * L, y[L:], L, 5))
    np.testing.assert_array_equal(out[L:2 * L],
                                  _python_dot(x[3 * L:], 2 * L, y[L:], L, 5, times=f))
    gathered = np.concatenate([xr[1 + j] for j in idx[1:]])  # x rows idx[1 + m] + 1
    np.testing.assert_array_equal(out[2 * L:3 * L], _python_dot(gathered, L, y[L:], L, 4))
    np.testing.assert_array_equal(out[3 * L:4 * L],
                                  [a - b * c for a, b, c in zip(xr[5], yr[2], f)])
    np.testing.assert_array_equal(out[4 * L:], [a / b for a, b in zip(xr[7], yr[0])])
    # the order matters for these numbers: the sum in reverse order differs somewhere
    rev = [sum(float(x[3 * L + m * 2 * L + i]) * float(y[L + m * L + i])
               for m in reversed(range(5))) for i in range(L)]
    assert not np.array_equal(out[:L], rev)


def chain_layout(J: int = 8, modes=None) -> Layout:
    """J constructs of 3 items in a chain C1 -> C2 -> ... (each block read by 3 columns
    of S W out of J)."""
    adjacency = np.zeros((J, J), dtype=bool)
    adjacency[np.arange(J - 1), np.arange(1, J)] = True
    modes = modes or ("A",) * J
    return Layout(block_of=np.repeat(np.arange(J), 3), modes=modes, adjacency=adjacency,
                  common_factor=np.array([m == "A" for m in modes]))


def chain_resamples(J: int = 8, n: int = 200, B: int = 37, seed: int = 5) -> np.ndarray:
    """Correlation matrices of B bootstrap resamples of n draws from the chain population
    (latent AR(1) chain with coefficient 0.6, loadings 0.8)."""
    rng = np.random.default_rng(seed)
    eta = np.zeros((n, J))
    eta[:, 0] = rng.standard_normal(n)
    for j in range(1, J):
        eta[:, j] = 0.6 * eta[:, j - 1] + 0.8 * rng.standard_normal(n)
    X = np.repeat(eta, 3, axis=1) * 0.8 + 0.6 * rng.standard_normal((n, 3 * J))
    rows = rng.integers(0, n, size=(B, n))
    return np.stack([np.corrcoef(X[r], rowvar=False) for r in rows])


@needs_numba
@pytest.mark.parametrize("scheme", ["path", "centroid", "factorial"])
@pytest.mark.parametrize("modes", [None, ("A", "B", "A", "unit", "A", "B", "A", "A")])
def test_sparse_chain_matches_numpy(scheme, modes):
    lay = chain_layout(modes=modes)
    S = chain_resamples()
    ptr, lo, hi = kernel._rows_read(lay.starts(), *kernel._neighbours(lay, scheme))
    assert (hi - lo).sum() < 0.5 * lay.n_constructs * S.shape[-1]  # most rows skipped
    assert_iterate_matches_numpy(S, lay, scheme)


@needs_numba
@pytest.mark.parametrize("layout", ["ecsi", "mixed"])
def test_batch_elements_do_not_see_each_other(layout):
    """37 elements (two full lane groups and a partial one), then the same batch reversed:
    each element's weights, counts and flags follow it bit for bit."""
    lay = LAY if layout == "ecsi" else mixed_layout()
    S, var, n = resampled(11, n=37)
    k = np.sqrt((n - 1) / n)[:, None]
    out = kernel.iterate(S, lay, "path", 1e-7, 300, "sum_sq", var, k)
    back = kernel.iterate(S[::-1], lay, "path", 1e-7, 300, "sum_sq", var[::-1], k[::-1])
    for a, b in zip(out, back):
        np.testing.assert_array_equal(a, b[::-1])


@needs_numba
def test_run_needs_sixteen_lanes():
    from satmodel.engine import _kernel_jit as jit

    assert jit.LANES == kernel.LANES == L
    S = np.stack([np.eye(3)] * 8)
    z = np.zeros(1, dtype=np.int64)
    with pytest.raises(ValueError, match="LANES"):
        jit.run(S, np.zeros(3, np.int64), np.array([0, 3]), z, np.array([0, 0]), z[:0],
                np.array([0, 0]), z[:0], np.array([0, 1]), np.array([0]), np.array([3]),
                np.array([True]), 0, 1e-7, 10, 0, True, np.ones((1, 3)), np.ones(8),
                np.empty((8, 3)), np.zeros(8, np.int64), np.empty(8, np.int8), 8)
