"""The numba-compiled PLS weight iteration (imported by :mod:`satmodel.engine.kernel` only
when numba is installed; importing this module imports numba).

The steps of :func:`satmodel.engine.pls._iterate` written as loops: inner proxy
covariances C = W'SW, inner weights of the scheme, the outer update (Mode A covariances,
Mode B regressions, unit weights), scaling to unit proxy variance, the stop rule. The
batch runs :data:`LANES` elements at a time, the element index innermost (every loop
over an element's small matrices runs over the lanes together, in SIMD registers); each
element is iterated on its own and frozen when it stops, as in the numpy path. The hot
loops use the vector helpers of :mod:`satmodel.engine._lanes_jit` and
:mod:`satmodel.engine._interleave_jit` (LLVM IR: the plain loops' operations in their
order, without fused multiply-adds, so the results are the plain loops' bit for bit):
S W a few rows at a time, small systems solved in registers, the stop rules, the
lanes' matrices transposed in registers and checked for NaN/inf in the same pass. Each
proxy covariance the inner weights read is computed once a step, and plspm's loop
weights only for its stop rule. Status per element: 0 converged, 1 ``max_iter`` reached, 2
redo on the numpy path (a zero pivot, a non-positive proxy variance or non-finite
numbers: the numpy path reports those; also every element with a non-finite
correlation). Systems are solved without pivoting where every pivot is positive (a
symmetric positive definite system: stable, as proxy and item correlation matrices
are); any other system sends the element to the numpy path, which pivots.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ._interleave_jit import interleave as _interleave
from ._lanes_jit import LANES
from ._lanes_jit import copy as _copy
from ._lanes_jit import div as _div
from ._lanes_jit import dot as _dot
from ._lanes_jit import dot_gather as _dot_gather
from ._lanes_jit import dot_rows as _dot_rows
from ._lanes_jit import dot_times as _dot_times  # noqa: F401 (tests use it from here)
from ._lanes_jit import inv_sqrt as _inv_sqrt
from ._lanes_jit import max_abs as _max_abs
from ._lanes_jit import mul as _mul
from ._lanes_jit import positive as _positive
from ._lanes_jit import sign as _sign
from ._lanes_jit import solve_small as _solve_small
from ._lanes_jit import sub_mul as _sub_mul
from ._lanes_jit import sum_abs as _sum_abs
from ._lanes_jit import sum_sq as _sum_sq


@njit(cache=True, nogil=True, error_model="numpy")
def _scaled(T, raw, starts, rptr, rlo, rhi, w, Y, bad, L, f):
    """Per lane: w = raw scaled to unit proxy variance and the rows of Y = (S W)' (J, p)
    the step reads (construct j: items ``rlo[t]:rhi[t]`` for t in ``rptr[j]:rptr[j + 1]``,
    its own block among them), from T = S (p, p, lanes); a lane whose variance is not
    positive or not finite is marked in ``bad``. ``f``: scratch (lanes,). Each entry is
    (sum over the block's items in order) times the scale, as in the numpy path; the
    rows of a range are summed ``_lanes_jit.ROWS`` at a time (``_lanes_jit.dot_rows``)."""
    p, J = raw.shape[0], starts.shape[0] - 1
    for j in range(J):
        a, e = starts[j], starts[j + 1]
        n, y = e - a, j * p * L
        # own block first: its variance gives the scale
        _dot_rows(Y, y + a * L, L, T, (a * p + a) * L, p * L, L, raw, a * L, L, n, n, f, 0,
                  False)
        _dot(f, 0, raw, a * L, L, Y, y + a * L, L, n)
        _inv_sqrt(f, 0, bad)  # NaN, inf, <= 0 are bad (scale 1 then)
        for k in range(a, e):
            _mul(Y, y + k * L, Y, y + k * L, f, 0)
            _mul(w, k * L, raw, k * L, f, 0)
        for t in range(rptr[j], rptr[j + 1]):  # the other rows read: (sum) * scale
            lo, hi = rlo[t], rhi[t]
            top, bottom = min(hi, a), max(lo, e)
            if top > lo:
                _dot_rows(Y, y + lo * L, L, T, (lo * p + a) * L, p * L, L, raw, a * L, L, n,
                          top - lo, f, 0, True)
            if hi > bottom:
                _dot_rows(Y, y + bottom * L, L, T, (bottom * p + a) * L, p * L, L, raw,
                          a * L, L, n, hi - bottom, f, 0, True)


@njit(cache=True, nogil=True, error_model="numpy")
def _covs_read(nptr, nidx, pptr, pidx, scheme, J):
    """The entries C[ci[t], cj[t]], t < n, the inner weights read, each once: each
    construct's neighbours' and (path scheme) its predecessors' among themselves."""
    need = np.zeros((J, J), np.bool_)
    for c in range(J):
        for t in range(nptr[c], nptr[c + 1]):
            need[nidx[t], c] = True
        if scheme == 0:
            for t in range(pptr[c], pptr[c + 1]):
                for t2 in range(pptr[c], pptr[c + 1]):
                    need[pidx[t], pidx[t2]] = True
    ci, cj, n = np.empty(J * J, np.int64), np.empty(J * J, np.int64), 0
    for i in range(J):
        for j in range(J):
            if need[i, j]:
                ci[n], cj[n], n = i, j, n + 1
    return ci, cj, n


@njit(cache=True, nogil=True, error_model="numpy")
def _proxy_cov(w, Y, starts, i, j, C, L):
    """Per lane: C[i, j] = w_i' (S W)_j over the items of block i."""
    J, p, a = C.shape[0], w.shape[0], starts[i]
    _dot(C, (i * J + j) * L, w, a * L, L, Y, (j * p + a) * L, L, starts[i + 1] - a)


@njit(cache=True, nogil=True, error_model="numpy")
def _solve_lanes(A, b, x, m, bad, L, f):
    """x = A^-1 b for each lane, Gaussian elimination without pivoting, stable for a
    symmetric positive definite A: that is, every pivot positive (Sylvester). A pivot
    that is not positive or not finite marks the lane bad (the numpy path, with
    pivoting, redoes it: an indefinite or singular system). Small systems (the inner
    weights' usually) in registers: ``_lanes_jit.solve_small``, the same operations."""
    if _solve_small(A, b, x, m, bad):
        return
    P = A.shape[1]
    for c in range(m):
        cc = (c * P + c) * L
        _positive(A, cc, bad)  # NaN, inf, <= 0 are bad (pivot 1 then)
        for r in range(c + 1, m):
            _div(f, 0, A, (r * P + c) * L, A, cc)
            for q in range(c, m):
                _sub_mul(A, (r * P + q) * L, f, 0, A, (c * P + q) * L)
            _sub_mul(b, r * L, f, 0, b, c * L)
    for c in range(m - 1, -1, -1):
        _copy(f, 0, b, c * L)
        for q in range(c + 1, m):
            _sub_mul(f, 0, A, (c * P + q) * L, x, q * L)
        _div(x, c * L, f, 0, A, (c * P + c) * L)


@njit(cache=True, nogil=True, error_model="numpy")
def run(S, block_of, starts, modes, nptr, nidx, pptr, pidx, rptr, rlo, rhi, alone, scheme,
        tol, max_iter, stop, unit, scale, k, w_out, n_out, status, L):
    """Iterate every element of ``S`` (B, p, p), ``L`` at a time; blocks are consecutive
    items (``starts``), construct c's neighbours are ``nidx[nptr[c]:nptr[c + 1]]`` and
    its predecessors (path scheme) ``pidx[pptr[c]:pptr[c + 1]]``, both ascending; the
    rows of (S W)' a step reads are item ranges ``rlo[t]:rhi[t]``, t in
    ``rptr[c]:rptr[c + 1]`` (:func:`satmodel.engine.kernel._rows_read`); results into
    ``w_out``, ``n_out``, ``status``."""
    if L != LANES:
        raise ValueError("the compiled iteration runs LANES elements at a time")
    B, p, J = S.shape[0], S.shape[1], modes.shape[0]
    T = np.empty((p, p, L))
    w, wn, upd = np.empty((p, L)), np.empty((p, L)), np.empty((p, L))
    loop_old, factor, sc = np.empty((p, L)), np.empty((p, L)), np.empty((p, L))
    Y, Yn = np.empty((J, p, L)), np.empty((J, p, L))
    C = np.zeros((J, J, L))
    ew = np.zeros((max(nidx.shape[0], 1), L))
    A, bv, x = np.empty((p, p, L)), np.empty((p, L)), np.empty((p, L))
    crit = np.empty(L)
    tmp = np.empty(L)
    live = np.empty(L, np.bool_)
    bad = np.empty(L, np.bool_)
    ci, cj, ncov = _covs_read(nptr, nidx, pptr, pidx, scheme, J)
    shared = scale.shape[0] == 1  # one item scale for all: its roots once
    root = np.empty(p)
    for q in range(p if shared else 0):
        root[q] = math.sqrt(scale[0, q])
    for b0 in range(0, B, L):
        nl = min(L, B - b0)
        # T[r, c, i] = S[b0 + i, r, c]; bad: a NaN or inf anywhere (the numpy path
        # spreads it): redo
        _interleave(T, S, b0, nl, bad)
        for i in range(L):
            live[i] = i < nl
            if not shared:
                for q in range(p):
                    sc[q, i] = scale[b0 + (i if i < nl else 0), q]
                    upd[q, i] = math.sqrt(sc[q, i])
        if shared:
            for q in range(p):
                for i in range(L):
                    sc[q, i] = scale[0, q]
                    upd[q, i] = root[q]
        if stop == 2:  # plspm's loop weights: only its stop rule reads them
            for i in range(L):
                kk = k[b0 + (i if i < nl else 0)]
                for q in range(p):
                    factor[q, i] = (1.0 / kk if modes[block_of[q]] == 1 else kk) / upd[q, i]
        for i in range(nl):
            n_out[b0 + i] = 0
        _scaled(T, upd, starts, rptr, rlo, rhi, w, Y, bad, L, tmp)
        for i in range(L):
            if stop == 2:
                kk = k[b0 + (i if i < nl else 0)]
                for q in range(p):
                    loop_old[q, i] = w[q, i] / (kk * upd[q, i])
            if bad[i] and live[i]:
                status[b0 + i] = 2
                live[i] = False
                for q in range(p):
                    w_out[b0 + i, q] = w[q, i]
        it = 0
        while it < max_iter:
            anylive = False
            for i in range(nl):
                anylive = anylive or live[i]
            if not anylive:
                break
            it += 1
            for t in range(ncov):  # the proxy covariances the inner weights read
                _proxy_cov(w, Y, starts, ci[t], cj[t], C, L)
            for c in range(J):
                for t in range(nptr[c], nptr[c + 1]):
                    ii = nidx[t]
                    if scheme == 1:
                        _sign(ew, t * L, C, (ii * J + c) * L)
                    else:
                        _copy(ew, t * L, C, (ii * J + c) * L)
                if scheme == 0:
                    m = pptr[c + 1] - pptr[c]
                    if m == 0:
                        continue
                    for r in range(m):
                        ii = pidx[pptr[c] + r]
                        for q in range(m):
                            _copy(A, (r * p + q) * L, C, (ii * J + pidx[pptr[c] + q]) * L)
                        _copy(bv, r * L, C, (ii * J + c) * L)
                    _solve_lanes(A, bv, x, m, bad, L, tmp)
                    r = 0
                    for t in range(nptr[c], nptr[c + 1]):
                        if r < m and nidx[t] == pidx[pptr[c] + r]:
                            _copy(ew, t * L, x, r * L)
                            r += 1
            for c in range(J):
                a, e = starts[c], starts[c + 1]
                if alone[c]:
                    for q in range(a, e):
                        for i in range(L):
                            upd[q, i] = Y[c, q, i]
                else:  # upd[q] = sum over neighbours t of Y[nidx[t], q] * ew[t]
                    for q in range(a, e):
                        _dot_gather(upd, q * L, Y, q * L, p * L, ew, nptr[c] * L, L,
                                    nptr[c + 1] - nptr[c], nidx, nptr[c])
                if modes[c] == 1:
                    m = e - a
                    for r in range(m):
                        for q in range(m):
                            for i in range(L):
                                A[r, q, i] = T[a + r, a + q, i]
                        for i in range(L):
                            bv[r, i] = upd[a + r, i]
                    _solve_lanes(A, bv, x, m, bad, L, tmp)
                    for r in range(m):
                        for i in range(L):
                            upd[a + r, i] = x[r, i]
                elif modes[c] == 2:
                    for q in range(a, e):
                        for i in range(L):
                            upd[q, i] = 1.0
                elif not unit:
                    for q in range(a, e):
                        for i in range(L):
                            upd[q, i] *= sc[q, i]
            _scaled(T, upd, starts, rptr, rlo, rhi, wn, Yn, bad, L, tmp)
            if stop == 2:  # crit: the stop rule's value
                _sum_sq(crit, loop_old, upd, factor, p)
            elif stop == 1:
                _sum_abs(crit, wn, w, w, p)
            else:
                _max_abs(crit, wn, w, w, p)
            if stop == 2:
                for q in range(p):
                    _mul(loop_old, q * L, upd, q * L, factor, q * L)
            w, wn, Y, Yn = wn, w, Yn, Y
            for i in range(nl):
                if not live[i]:
                    continue
                n_out[b0 + i] = it
                done = True
                if bad[i] or not math.isfinite(crit[i]):
                    status[b0 + i] = 2
                elif crit[i] < tol:
                    status[b0 + i] = 0
                else:
                    done = False
                if done:
                    live[i] = False
                    for q in range(p):
                        w_out[b0 + i, q] = w[q, i]
        for i in range(nl):
            if live[i]:
                status[b0 + i] = 1
                for q in range(p):
                    w_out[b0 + i, q] = w[q, i]
