"""The numba-compiled structural-model step of the tables (f² of every path) for batches
(imported through :class:`satmodel._compiled.Compiled` only; importing this module
imports numba)."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ._validity_jit import WIDE, cholesky_wide, lu_in_place


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _r2_on(R, n, pred, skip, j, LU, perm, b, x):
    """R² of construct j regressed on ``pred`` without ``pred[skip]`` from the correlations
    ``R[n]``: the normal equations solved by LU with partial pivoting (LAPACK's gesv),
    then sum(beta * r) as numpy sums a short last axis. NaN where the system is singular
    or not finite."""
    m = 0
    for a in range(pred.shape[0]):
        if a == skip:
            continue
        c = 0
        for q in range(pred.shape[0]):
            if q == skip:
                continue
            LU[m, c] = R[n, pred[a], pred[q]]
            c += 1
        b[m] = R[n, pred[a], j]
        m += 1
    if m == 0:
        return 0.0
    if not lu_in_place(LU, perm, m):
        return math.nan
    for r in range(m):  # L y = P b
        s = b[perm[r]]
        for q in range(r):
            s -= LU[r, q] * x[q]
        x[r] = s
    for r in range(m - 1, -1, -1):  # U beta = y
        s = x[r]
        for q in range(r + 1, m):
            s -= LU[r, q] * x[q]
        x[r] = s / LU[r, r]
    rest = -0.0  # numpy's sum over the last axis: the first term plus the others' sum
    for r in range(1, m):
        rest += x[r] * b[r]
    return x[0] * b[0] + rest


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _r2_wide(R, n0, m, qidx, mq, j, L, d, y, ok, excl):
    """``excl[q]`` = R² of construct j on the constructs ``qidx[:mq]`` in the correlations
    ``R[n0 + q]`` for the m <= WIDE matrices q side by side (innermost, vectorized):
    Cholesky R_QQ = L L', y = L^-1 r, R² = y'y (= r' R_QQ^-1 r). ``ok[q]`` False where
    R_QQ is not numerically positive definite or a number is not finite (the caller
    solves that one by LU)."""
    for q in range(m):
        ok[q] = True
        excl[q] = 0.0
    for r in range(mq):
        yr = y[r]
        for q in range(m):
            yr[q] = R[n0 + q, qidx[r], j]
        for c in range(r + 1):
            lrc = L[r, c]
            for q in range(m):
                lrc[q] = R[n0 + q, qidx[r], qidx[c]]
    cholesky_wide(L, d, ok, mq, m)  # the order of _validity_jit._spd_wide
    for r in range(mq):
        yr, dr = y[r], d[r]
        for c in range(r):  # forward: y_r = (r_r - sum L_rc y_c) / L_rr
            x, yc = L[r, c], y[c]
            for q in range(m):
                yr[q] -= x[q] * yc[q]
        for q in range(m):
            yr[q] = yr[q] * dr[q]
            excl[q] += yr[q] * yr[q]
    for q in range(m):
        ok[q] = ok[q] & math.isfinite(excl[q])


@njit(cache=True, nogil=True, error_model="numpy")
def f2_paths(R, r2, preds, starts, out):
    """``out[n, i, j]`` = f² of every path i -> j of every batch element n: (R²_j minus
    the R² of j on its other predictors) / (1 - R²_j), NaN where not finite. Target j's
    predictors are ``preds[starts[j]:starts[j + 1]]``; other entries are left as they are.

    The R² without a predictor comes from Cholesky (:func:`_r2_wide`, WIDE batch elements
    at once) where the predictors' correlations are positive definite, else from LU with
    partial pivoting (:func:`_r2_on`, as numpy's solve). The numpy path solves by LAPACK:
    the numbers agree to rounding, |difference| <~ 1e-16 x condition / (1 - R²)."""
    N, J = R.shape[0], starts.shape[0] - 1
    big = 1
    for j in range(J):
        big = max(big, starts[j + 1] - starts[j])
    LU, perm, b = np.empty((big, big)), np.empty(big, np.int64), np.empty(big)
    x, qidx = np.empty(big), np.empty(big, np.int64)
    L, d, y = np.zeros((big, big, WIDE)), np.ones((big, WIDE)), np.zeros((big, WIDE))
    ok, excl = np.zeros(WIDE, np.bool_), np.zeros(WIDE)
    for j in range(J):  # batch elements innermost: one system size at a time
        pred = preds[starts[j]:starts[j + 1]]
        for a in range(pred.shape[0]):
            mq = 0
            for t in range(pred.shape[0]):
                if t != a:
                    qidx[mq] = pred[t]
                    mq += 1
            for n0 in range(0, N, WIDE):
                m = min(WIDE, N - n0)
                _r2_wide(R, n0, m, qidx, mq, j, L, d, y, ok, excl)
                for q in range(m):
                    n = n0 + q
                    e = excl[q] if ok[q] else _r2_on(R, n, pred, a, j, LU, perm, b, x)
                    v = (r2[n, j] - e) / (1.0 - r2[n, j])
                    out[n, pred[a], j] = v if math.isfinite(v) else math.nan
