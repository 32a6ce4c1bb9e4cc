"""The compiled iteration's faster pieces (satmodel.engine._lanes_jit, _interleave_jit,
_kernel_jit): each must give the plain loops' numbers bit for bit.

Expected values are the definitions written as Python float loops (IEEE double
arithmetic in the stated order, as in tests/test_engine_kernel_lanes.py), numpy's own
transpose for the interleaving, and the ECSI model's proxy covariances worked out by
hand. Sums use terms from 1e-8 to 1e16, so a reordered or fused sum fails. End to end,
the two cases the new code paths serve that the other kernel tests do not reach (one
item scale for all elements; a Mode B block too large for the unrolled solves) are
compared with the numpy path at 1e-12 (the tolerance of tests/test_engine_kernel.py: the
same terms summed in another order).
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from satmodel.engine import kernel
from satmodel.spec.layout import Layout
from tests.test_engine_kernel import LAY, assert_iterate_matches_numpy, assert_same, both, \
    needs_numba, resampled

L = 16


def wild(rng, *shape):
    """Numbers whose sums depend on the order (magnitudes 1e-8 to 1e16)."""
    return rng.standard_normal(shape) * 10.0 ** rng.integers(-8, 17, shape)


def python_dot(xs, ys, times=None):
    acc = 0.0
    for a, b in zip(xs, ys):
        acc = acc + float(a) * float(b)
    return acc if times is None else acc * float(times)


@pytest.fixture(scope="module")
def jit():
    pytest.importorskip("numba")
    from satmodel.engine import _kernel_jit, _lanes_jit
    return _kernel_jit, _lanes_jit


@needs_numba
@pytest.mark.parametrize("rows", [1, 3, 4, 5, 9])
@pytest.mark.parametrize("n", [0, 1, 6])
@pytest.mark.parametrize("scaled", [False, True])
def test_dot_rows_sums_each_row_in_order(jit, rows, n, scaled):
    """Row r: out[o + r os] = (0.0 + x[r, 0] y[0] + x[r, 1] y[1] + ...) [* f]; blocks of
    ``ROWS`` rows and the remainder (rows 1, 3, 5, 9) each in the order of the plain
    loop."""
    from numba import njit

    lanes = jit[1]

    @njit
    def call(out, x, y, f, rows, n, scaled):
        # out rows 2 apart from offset L; x rows 3 lanes-rows apart, terms 1 apart
        lanes.dot_rows(out, L, 2 * L, x, L, 3 * 7 * L, L, y, 2 * L, L, n, rows, f, 0,
                        scaled)

    rng = np.random.default_rng(rows * 10 + n)
    x = wild(rng, (3 * rows + 1) * 7 * L + 8 * L)
    y = wild(rng, 10 * L)
    f = rng.standard_normal(L)
    out = np.full((2 * rows + 2) * L, -5.0)
    call(out, x, y, f, rows, n, scaled)
    for r in range(rows):
        for i in range(L):
            xs = [x[L + r * 21 * L + m * L + i] for m in range(n)]
            ys = [y[2 * L + m * L + i] for m in range(n)]
            want = python_dot(xs, ys, f[i] if scaled else None)
            assert out[L + r * 2 * L + i] == want or (math.isnan(want) and
                                                      math.isnan(out[L + r * 2 * L + i]))
    untouched = np.ones(out.size, bool)
    for r in range(rows):
        untouched[L + 2 * r * L:L + (2 * r + 1) * L] = False
    assert (out[untouched] == -5.0).all()


@needs_numba
def test_positive_inv_sqrt_and_sign(jit):
    from numba import njit

    lanes = jit[1]

    @njit
    def call(a, b, bad_a, bad_b, s):
        lanes.positive(a, 0, bad_a)
        lanes.inv_sqrt(b, 0, bad_b)
        lanes.sign(s, 0, s, L)

    v = np.array([2.0, 0.0, -0.0, -1.0, np.nan, np.inf, -np.inf, 1e-300, 5e-324, 3.0,
                  0.25, 1e300, 7.0, -2.5, 1.0, 0.5])
    ok = (v > 0) & (v < np.inf)
    a, b = v.copy(), v.copy()
    bad_a = np.zeros(L, bool)
    bad_b = np.zeros(L, bool)
    bad_b[[0, 3]] = True  # flags already set stay set
    s = np.concatenate([np.zeros(L), v])
    call(a, b, bad_a, bad_b, s)
    np.testing.assert_array_equal(a, np.where(ok, v, 1.0))
    np.testing.assert_array_equal(bad_a, ~ok)
    np.testing.assert_array_equal(b, [1.0 / math.sqrt(x if k else 1.0) for x, k in zip(v, ok)])
    np.testing.assert_array_equal(bad_b, ~ok | np.isin(np.arange(L), [0, 3]))
    np.testing.assert_array_equal(s[:L], [1.0 if x > 0 else (-1.0 if x < 0 else 0.0)
                                          for x in v])


@needs_numba
def test_stop_rules_in_the_loops_order(jit):
    """crit over rows q < p from 0.0: max(crit, |a - b|) as Python's max, 0.0 + |a - b| +
    ..., and 0.0 + (|a| - |b c|)² + ...; a NaN difference as Python's max leaves it."""
    from numba import njit

    lanes = jit[1]

    @njit
    def call(out, a, b, c, p):
        lanes.max_abs(out[0], a, b, c, p)
        lanes.sum_abs(out[1], a, b, c, p)
        lanes.sum_sq(out[2], a, b, c, p)

    rng = np.random.default_rng(4)
    p = 7
    a, b, c = wild(rng, p, L), wild(rng, p, L), wild(rng, p, L)
    a[3, 5] = np.nan
    out = np.empty((3, L))
    call(out, a, b, c, p)
    for i in range(L):
        m, s, q = 0.0, 0.0, 0.0
        for r in range(p):
            d = abs(float(a[r, i]) - float(b[r, i]))
            m = d if d > m else m
            s = s + d
            e = abs(float(a[r, i])) - abs(float(b[r, i]) * float(c[r, i]))
            q = q + e * e
        np.testing.assert_array_equal(out[:, i], [m, s, q])
    assert out[0, 5] == out[0, 5] and np.isnan(out[1, 5])


def python_solve(A, b):
    """Gaussian elimination without pivoting as ``_kernel_jit._solve_lanes`` (a pivot that
    is not positive and finite becomes 1.0 and flags the system), Python floats."""
    m = len(b)
    A = [[float(v) for v in row] for row in A]
    b = [float(v) for v in b]
    bad = False
    for c in range(m):
        d = A[c][c]
        if not (d > 0.0 and d < math.inf):
            bad, A[c][c] = True, 1.0
        for r in range(c + 1, m):
            f = A[r][c] / A[c][c]
            for q in range(c, m):
                A[r][q] = A[r][q] - f * A[c][q]
            b[r] = b[r] - f * b[c]
    x = [0.0] * m
    for c in range(m - 1, -1, -1):
        f = b[c]
        for q in range(c + 1, m):
            f = f - A[c][q] * x[q]
        x[c] = f / A[c][c]
    return x, bad


@needs_numba
@pytest.mark.parametrize("m", [1, 2, 4, 6, 7, 9])
def test_small_solves_in_registers_and_the_loop_agree(jit, m):
    """m <= 6 runs unrolled (``_solve_small`` says so), larger ones the loop: both are the
    plain elimination's numbers bit for bit, flags included (lanes 3 and 9 get a zero
    and a NaN pivot); scaled systems and right-hand sides of mixed magnitudes, so the
    order of the operations shows."""
    from numba import njit

    kern, lanes = jit

    @njit
    def call(A, b, x, m, bad, f):
        kern._solve_lanes(A, b, x, m, bad, L, f)

    @njit
    def small(A, b, x, m, bad):
        return lanes.solve_small(A, b, x, m, bad)

    rng = np.random.default_rng(m)
    P = 11
    A = np.zeros((P, P, L))
    b = np.zeros((P, L))
    for i in range(L):
        G = rng.standard_normal((m, m))
        D = np.diag(10.0 ** rng.uniform(-4, 4, m))  # D (G G' + I / 10) D: positive definite
        A[:m, :m, i] = D @ (G @ G.T + 0.1 * np.eye(m)) @ D
        b[:m, i] = wild(rng, m)
    A[0, 0, 3] = 0.0
    A[m - 1, m - 1, 9] = np.nan
    A0, b0 = A.copy(), b.copy()
    x, bad = np.full((P, L), -9.0), np.zeros(L, bool)
    call(A, b, x, m, bad, np.empty(L))
    for i in range(L):
        want, flagged = python_solve(A0[:m, :m, i], b0[:m, i])
        got = x[:m, i]
        assert all(g == w or (math.isnan(g) and math.isnan(w)) for g, w in zip(got, want))
        assert bad[i] == flagged
    assert bad[3] and bad[9]
    assert (x[m:] == -9.0).all()
    assert small(A0.copy(), b0.copy(), np.empty((P, L)), m, np.zeros(L, bool)) == (m <= 6)


@needs_numba
@pytest.mark.parametrize("p", [1, 3, 8, 11, 27])
@pytest.mark.parametrize("nl", [16, 5])
def test_interleave_transposes_and_flags_non_finite_lanes(jit, p, nl):
    """T[r, c, i] = S[b0 + i, r, c] (eight columns at a time, the rest one by one; lanes
    past nl copy lane 0) and bad[i] = a NaN or inf in S[b0 + i] (in a full eight-column
    piece, in the last columns, in the first row)."""
    from numba import njit

    from satmodel.engine import _interleave_jit

    @njit
    def call(T, S, b0, nl, bad):
        _interleave_jit.interleave(T, S, b0, nl, bad)

    rng = np.random.default_rng(p)
    S = rng.standard_normal((3 + 16, p, p))
    b0 = 3
    S[b0 + 1, p - 1, p - 1] = np.nan  # last column (the tail when p % 8)
    S[b0 + 2, 0, 0] = np.inf
    S[b0 + 4, p // 2, 0] = -np.inf
    S[b0 + 7, 0, p - 1] = np.nan  # lane 7: a spare lane when nl = 5
    S[0, 0, 0] = np.nan  # before b0: must not be read
    T = np.empty((p, p, L))
    bad = np.ones(L, bool)
    call(T, S, b0, nl, bad)
    src = [b0 + (i if i < nl else 0) for i in range(L)]
    np.testing.assert_array_equal(T, S[src].transpose(1, 2, 0))
    np.testing.assert_array_equal(bad, ~np.isfinite(S[src]).all(axis=(1, 2)))
    assert bad[1] and bad[2] and bad[4] and bad[7] == (nl > 7)


@needs_numba
def test_proxy_covariances_read_once_ecsi_by_hand(jit):
    """ECSI (IMAG 0, EXPE 1, QUAL 2, VAL 3, SAT 4, LOY 5), path scheme: every neighbour
    pair C[i, j] of the 10 paths in both directions (20), the predecessors' variances
    C[i, i] of IMAG, EXPE, QUAL, VAL (SAT's and VAL's predecessors), SAT (LOY's), and the
    pairs among SAT's predecessors that are not paths: IMAG-QUAL, IMAG-VAL (4) -- 29
    entries, 46 before (duplicates computed once now)."""
    kern = jit[0]
    paths = [(0, 1), (0, 4), (0, 5), (1, 2), (1, 3), (1, 4), (2, 3), (2, 4), (3, 4), (4, 5)]
    want = {(i, j) for i, j in paths} | {(j, i) for i, j in paths}
    want |= {(i, i) for i in range(5)} | {(0, 2), (2, 0), (0, 3), (3, 0)}
    ci, cj, n = kern._covs_read(*kernel._neighbours(LAY, "path"), 0, 6)
    assert n == 29 and set(zip(ci[:n], cj[:n])) == want
    ci, cj, n = kern._covs_read(*kernel._neighbours(LAY, "centroid"), 1, 6)
    assert set(zip(ci[:n], cj[:n])) == {(i, j) for i, j in paths} | {(j, i) for i, j in paths}


@needs_numba
@pytest.mark.parametrize("stop", ["max_abs", "sum_sq"])
def test_one_item_scale_for_all_elements_matches_numpy(stop):
    """item_scale of shape (1, p) (the same item variances for every element): the roots
    are taken once for the batch."""
    S, var, n = resampled(7, n=37)
    k = np.sqrt((n - 1) / n)[:, None]
    assert_same(*both(S, LAY, "path", stop, scale=var[:1] * 2.5, k=k))


@needs_numba
@pytest.mark.parametrize("scheme", ["path", "factorial"])
def test_large_mode_b_block_uses_the_loop_solve(scheme):
    """A Mode B block of 9 items (larger than the unrolled solves) next to Mode A ones."""
    rng = np.random.default_rng(2)
    block_of = np.repeat(np.arange(3), [9, 3, 4])
    lay = Layout(block_of=block_of, modes=("B", "A", "A"),
                 adjacency=np.array([[0, 1, 1], [0, 0, 1], [0, 0, 0]], bool),
                 common_factor=np.array([False, True, True]))
    n = 80
    eta = rng.standard_normal((n, 3)) @ np.linalg.cholesky(np.full((3, 3), 0.5) +
                                                           0.5 * np.eye(3)).T
    X = eta[:, block_of] * 0.7 + 0.7 * rng.standard_normal((n, block_of.size))
    S = np.stack([np.corrcoef(X[r], rowvar=False) for r in rng.integers(0, n, (35, n))])
    assert_iterate_matches_numpy(S, lay, scheme)
