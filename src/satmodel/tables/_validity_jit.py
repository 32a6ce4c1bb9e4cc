"""The numba-compiled steps of :mod:`satmodel.tables.validity` for batches (imported
through :class:`satmodel._compiled.Compiled` only; importing this module imports numba)."""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True, nogil=True, error_model="numpy")
def _diag_of_inverse(LU, perm, x, out, at):
    """``out[at + i] = (A^-1)[i, i]`` for the (k, k) matrix A in ``LU``, by an LU
    factorization with partial pivoting (LAPACK's getrf) in place; NaN where a pivot is
    zero or a number is not finite (where numpy's inv raises or gives NaN)."""
    k = LU.shape[0]
    ok = True
    for r in range(k):
        perm[r] = r
        for c in range(k):
            ok = ok and math.isfinite(LU[r, c])
    for c in range(k):
        if not ok:
            break
        piv, best = c, abs(LU[c, c])
        for r in range(c + 1, k):
            if abs(LU[r, c]) > best:
                piv, best = r, abs(LU[r, c])
        if not (best > 0.0):
            ok = False
            break
        if piv != c:
            for q in range(k):
                LU[c, q], LU[piv, q] = LU[piv, q], LU[c, q]
            perm[c], perm[piv] = perm[piv], perm[c]
        for r in range(c + 1, k):
            LU[r, c] /= LU[c, c]
            f = LU[r, c]
            for q in range(c + 1, k):
                LU[r, q] -= f * LU[c, q]
    for i in range(k):
        if not ok:
            out[at + i] = math.nan
            continue
        for r in range(k):  # column i of the inverse: forward L y = P e_i ...
            s = 1.0 if perm[r] == i else 0.0
            for q in range(r):
                s -= LU[r, q] * x[q]
            x[r] = s
        for r in range(k - 1, i - 1, -1):  # ... backward U x = y (rows i.. suffice)
            s = x[r]
            for q in range(r + 1, k):
                s -= LU[r, q] * x[q]
            x[r] = s / LU[r, r]
        out[at + i] = x[i]


@njit(cache=True, nogil=True, error_model="numpy")
def inverse_diagonal(A, out):
    """``out[n] = diag(A[n]^-1)`` for every (k, k) matrix ``A[n]`` (see _diag_of_inverse)."""
    N, k = A.shape[0], A.shape[1]
    LU, perm, x = np.empty((k, k)), np.empty(k, np.int64), np.empty(k)
    for n in range(N):
        for r in range(k):
            for c in range(k):
                LU[r, c] = A[n, r, c]
        _diag_of_inverse(LU, perm, x, out[n], 0)


@njit(cache=True, nogil=True, error_model="numpy")
def block_inverse_diagonals(S, starts, out):
    """For every matrix ``S[n]`` (p, p) and every block ``starts[j]:starts[j + 1]`` of two
    or more items: the diagonal of the inverse of its diagonal block into ``out[n]`` at
    the block's items (other entries are left as they are)."""
    N, J = S.shape[0], starts.shape[0] - 1
    big = 1
    for j in range(J):
        big = max(big, starts[j + 1] - starts[j])
    scratch, perm, x = np.empty((big, big)), np.empty(big, np.int64), np.empty(big)
    for n in range(N):
        for j in range(J):
            a, k = starts[j], starts[j + 1] - starts[j]
            if k < 2:
                continue
            LU = scratch[:k, :k]
            for r in range(k):
                for c in range(k):
                    LU[r, c] = S[n, a + r, a + c]
            _diag_of_inverse(LU, perm[:k], x[:k], out[n], a)
