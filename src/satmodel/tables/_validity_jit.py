"""The numba-compiled steps of :mod:`satmodel.tables.validity` for batches (imported
through :class:`satmodel._compiled.Compiled` only; importing this module imports numba)."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..engine._finish_jit import lu_in_place


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _diag_of_inverse(LU, perm, X, out, at):
    """``out[at + i] = (A^-1)[i, i]`` for the (k, k) matrix A in ``LU``, by an LU
    factorization with partial pivoting (LAPACK's getrf) in place; NaN where a pivot is
    zero or a number is not finite (where numpy's inv raises or gives NaN).

    Column i of the inverse solves L y = P e_i, then U x = y (rows i.. suffice). The k
    columns are solved side by side (row-major in ``X``, (k, k) scratch), each with the
    operations, in the order, of solving it alone. Since the Cholesky passes, only blocks
    that are not positive definite come here."""
    k = LU.shape[0]
    ok = True
    for r in range(k):
        for c in range(k):
            ok = ok and math.isfinite(LU[r, c])
    if not ok or not lu_in_place(LU, perm, k):
        for i in range(k):
            out[at + i] = math.nan
        return
    for r in range(k):  # forward L y = P e_i, every column i at once
        for i in range(k):
            X[r, i] = 1.0 if perm[r] == i else 0.0
        for q in range(r):
            f = LU[r, q]
            for i in range(k):
                X[r, i] -= f * X[q, i]
    for r in range(k - 1, -1, -1):  # backward U x = y; column i needs rows r >= i
        d = LU[r, r]
        for q in range(r + 1, k):
            f = LU[r, q]
            for i in range(r + 1):
                X[r, i] -= f * X[q, i]
        for i in range(r + 1):
            X[r, i] = X[r, i] / d
    for i in range(k):
        out[at + i] = X[i, i]


@njit(cache=True, nogil=True, error_model="numpy")
def inverse_diagonal(A, out):
    """``out[n] = diag(A[n]^-1)`` for every (k, k) matrix ``A[n]``: Cholesky, WIDE
    matrices at a time, where positive definite, else LU (see block_inverse_diagonals)."""
    N, k = A.shape[0], A.shape[1]
    if k >= 2:
        block_inverse_diagonals(A, np.array([0, k], np.int64), out)
        return
    LU, perm, X = np.empty((k, k)), np.empty(k, np.int64), np.empty((k, k))
    for n in range(N):
        for r in range(k):
            for c in range(k):
                LU[r, c] = A[n, r, c]
        _diag_of_inverse(LU, perm, X, out[n], 0)


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _diag_of_inverse_spd(S, n, a, k, L, d, out):
    """``out[n, a + i] = (A^-1)[i, i]`` for the diagonal block A = S[n, a:a+k, a:a+k], by
    Cholesky (A = L L', L^-1 in place, diag(A^-1)_i = sum over r >= i of (L^-1)_ri²):
    a third of the LU route's work and k divisions instead of k (k + 1) / 2 + k (k - 1) / 2.
    False (nothing written) when A is not numerically positive definite or not finite:
    the caller takes the LU route then, as for any matrix before."""
    for r in range(k):
        for c in range(r + 1):
            s = S[n, a + r, a + c]
            for q in range(c):
                s -= L[r, q] * L[c, q]
            if c < r:
                L[r, c] = s * d[c]
            elif s > 0.0 and math.isfinite(s):
                L[r, r] = math.sqrt(s)
                d[r] = 1.0 / L[r, r]
            else:
                return False
    for c in range(k):
        L[c, c] = d[c]
        for r in range(c + 1, k):
            s = 0.0
            for q in range(c, r):
                s -= L[r, q] * L[q, c]
            L[r, c] = s * d[r]
    for i in range(k):
        s = 0.0
        for r in range(i, k):
            s += L[r, i] * L[r, i]
        if not math.isfinite(s):
            return False
        out[n, a + i] = s
    return True


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def cholesky_wide(L, d, ok, k, m):
    """The Cholesky factor of the k x k lower triangles ``L[r, c]`` (each a row of the m
    matrices side by side) in place, row by row; ``d[r]`` the reciprocal pivots;
    ``ok[q]`` cleared where matrix q is not positive definite (its pivot then 1)."""
    for r in range(k):
        for c in range(r + 1):
            lrc = L[r, c]
            for qq in range(c):
                x, y = L[r, qq], L[c, qq]
                for q in range(m):
                    lrc[q] -= x[q] * y[q]
            if c < r:
                dc = d[c]
                for q in range(m):
                    lrc[q] = lrc[q] * dc[q]
            else:
                dr = d[r]
                for q in range(m):
                    s = lrc[q]
                    ok[q] = ok[q] & (s > 0.0) & math.isfinite(s)
                    lrc[q] = math.sqrt(s) if s > 0.0 else 1.0
                    dr[q] = 1.0 / lrc[q]


#: batch elements :func:`_spd_wide` takes side by side (the innermost, vectorized loop)
WIDE = 32


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _spd_wide(S, n0, m, a, k, L, d, ok, out):
    """:func:`_diag_of_inverse_spd` of the block at ``a`` (k items) of the m matrices
    ``S[n0:n0 + m]`` side by side: per matrix the same operations in the same order, so
    the same numbers; the matrices innermost, over a runtime count (loops over
    contiguous rows the compiler vectorizes, which it did not for eight fixed lanes).
    ``L`` (k, k, lanes) and ``d`` (k + 1, lanes) are scratch (lanes >= m, usually
    WIDE); ``ok[q]`` is False where that matrix's block is not positive definite
    (nothing written there: the caller takes the LU route). ``L[r, c]`` becomes the
    Cholesky factor, then its inverse, in place."""
    for q in range(m):
        ok[q] = True
    for r in range(k):
        for c in range(r + 1):
            lrc = L[r, c]
            for q in range(m):
                lrc[q] = S[n0 + q, a + r, a + c]
    cholesky_wide(L, d, ok, k, m)
    acc = d[k]
    for c in range(k):  # L^-1 in place
        lcc, dc = L[c, c], d[c]
        for q in range(m):
            lcc[q] = dc[q]
        for r in range(c + 1, k):
            for q in range(m):
                acc[q] = 0.0
            for qq in range(c, r):
                x, y = L[r, qq], L[qq, c]
                for q in range(m):
                    acc[q] -= x[q] * y[q]
            lrc, dr = L[r, c], d[r]
            for q in range(m):
                lrc[q] = acc[q] * dr[q]
    for i in range(k):  # diag(A^-1)_i = sum over r >= i of (L^-1)_ri^2
        for q in range(m):
            acc[q] = 0.0
        for r in range(i, k):
            x = L[r, i]
            for q in range(m):
                acc[q] += x[q] * x[q]
        for q in range(m):
            ok[q] = ok[q] & math.isfinite(acc[q])
            if ok[q]:
                out[n0 + q, a + i] = acc[q]


@njit(cache=True, nogil=True, error_model="numpy")
def block_inverse_diagonals(S, starts, out):
    """For every matrix ``S[n]`` (p, p) and every block ``starts[j]:starts[j + 1]`` of two
    or more items: the diagonal of the inverse of its diagonal block into ``out[n]`` at
    the block's items (other entries are left as they are). Cholesky where the block is
    positive definite (a correlation matrix's blocks are), else LU with partial pivoting;
    the two agree to rounding (relative differences of a few units of 1e-16 times the
    block's condition number)."""
    N = S.shape[0]
    scratch = block_scratch(starts, WIDE)
    for n0 in range(0, N, WIDE):  # WIDE matrices at a time, block by block (each read once)
        blocks_wide(S, starts, n0, min(WIDE, N - n0), scratch, out)


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def block_scratch(starts, width):
    """The scratch of :func:`blocks_wide` for the blocks ``starts``, ``width`` lanes."""
    big = 1
    for j in range(starts.shape[0] - 1):
        big = max(big, starts[j + 1] - starts[j])
    return (np.empty((big, big)), np.empty(big, np.int64), np.empty((big, big)),
            np.zeros((big, big, width)), np.ones((big + 1, width)), np.zeros(width, np.bool_))


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def blocks_wide(S, starts, n0, m, scratch, out):
    """:func:`block_inverse_diagonals` of the m matrices ``S[n0:n0 + m]`` (m at most the
    scratch's lanes), every block of two or more items: Cholesky side by side, LU for
    a matrix whose block is not positive definite."""
    lu, perm, work, lanes, d, ok = scratch
    for j in range(starts.shape[0] - 1):  # batch elements innermost
        a, k = starts[j], starts[j + 1] - starts[j]
        if k < 2:
            continue
        _spd_wide(S, n0, m, a, k, lanes, d, ok, out)
        for q in range(m):
            if ok[q]:
                continue
            n, LU = n0 + q, lu[:k, :k]
            for r in range(k):
                for c in range(k):
                    LU[r, c] = S[n, a + r, a + c]
            _diag_of_inverse(LU, perm[:k], work[:k, :k], out[n], a)
