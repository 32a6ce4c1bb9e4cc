"""The numba-compiled PLS weight iteration (imported by :mod:`satmodel.engine.kernel` only
when numba is installed; importing this module imports numba).

The steps of :func:`satmodel.engine.pls._iterate` written as loops: inner proxy
covariances C = W'SW, inner weights of the scheme, the outer update (Mode A covariances,
Mode B regressions, unit weights), scaling to unit proxy variance, the stop rule. The
batch runs ``lanes`` elements at a time, the element index innermost (every loop over
an element's small matrices runs over the lanes together, in SIMD registers); each
element is iterated on its own and frozen when it stops, as in the numpy path. Status
per element: 0 converged, 1 ``max_iter`` reached, 2 redo on the numpy path (a zero
pivot, a non-positive proxy variance or non-finite numbers: the numpy path reports
those; also every element with a non-finite correlation). Systems are solved without
pivoting where every pivot is positive (a symmetric positive definite system: stable,
as proxy and item correlation matrices are); any other system sends the element to the
numpy path, which pivots.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True, nogil=True, error_model="numpy")
def _scaled(St, raw, starts, w, Y, bad, L, f):
    """Per lane: w = raw scaled to unit proxy variance and Y = (S W)' (J, p), from
    St = S' (p, p, lanes); a lane whose variance is not positive or not finite is marked
    in ``bad``. ``f``: scratch (lanes,)."""
    p, J = raw.shape[0], starts.shape[0] - 1
    for j in range(J):
        for k in range(p):
            for i in range(L):
                Y[j, k, i] = 0.0
        for l in range(starts[j], starts[j + 1]):
            for k in range(p):
                for i in range(L):
                    Y[j, k, i] += St[l, k, i] * raw[l, i]
        for i in range(L):
            f[i] = 0.0
        for k in range(starts[j], starts[j + 1]):
            for i in range(L):
                f[i] += raw[k, i] * Y[j, k, i]
        for i in range(L):
            var = f[i]
            if not (var > 0.0) or not math.isfinite(var):
                bad[i] = True
                var = 1.0
            f[i] = 1.0 / math.sqrt(var)
        for k in range(p):
            for i in range(L):
                Y[j, k, i] *= f[i]
        for k in range(starts[j], starts[j + 1]):
            for i in range(L):
                w[k, i] = raw[k, i] * f[i]


@njit(cache=True, nogil=True, error_model="numpy")
def _proxy_cov(w, Y, starts, i, j, C, L):
    """Per lane: C[i, j] = w_i' (S W)_j over the items of block i."""
    for lane in range(L):
        C[i, j, lane] = 0.0
    for q in range(starts[i], starts[i + 1]):
        for lane in range(L):
            C[i, j, lane] += w[q, lane] * Y[j, q, lane]


@njit(cache=True, nogil=True, error_model="numpy")
def _solve_lanes(A, b, x, m, bad, L, f):
    """x = A^-1 b for each lane, Gaussian elimination without pivoting, stable for a
    symmetric positive definite A: that is, every pivot positive (Sylvester). A pivot
    that is not positive or not finite marks the lane bad (the numpy path, with
    pivoting, redoes it: an indefinite or singular system)."""
    for c in range(m):
        for i in range(L):
            d = A[c, c, i]
            if not (d > 0.0) or not math.isfinite(d):
                bad[i] = True
                A[c, c, i] = 1.0
        for r in range(c + 1, m):
            for i in range(L):
                f[i] = A[r, c, i] / A[c, c, i]
            for q in range(c, m):
                for i in range(L):
                    A[r, q, i] -= f[i] * A[c, q, i]
            for i in range(L):
                b[r, i] -= f[i] * b[c, i]
    for c in range(m - 1, -1, -1):
        for i in range(L):
            f[i] = b[c, i]
        for q in range(c + 1, m):
            for i in range(L):
                f[i] -= A[c, q, i] * x[q, i]
        for i in range(L):
            x[c, i] = f[i] / A[c, c, i]


@njit(cache=True, nogil=True, error_model="numpy")
def run(S, block_of, starts, modes, nptr, nidx, pptr, pidx, alone, scheme, tol,
              max_iter, stop, unit, scale, k, w_out, n_out, status, L):
    """Iterate every element of ``S`` (B, p, p), ``L`` at a time; blocks are consecutive
    items (``starts``), construct c's neighbours are ``nidx[nptr[c]:nptr[c + 1]]`` and
    its predecessors (path scheme) ``pidx[pptr[c]:pptr[c + 1]]``, both ascending;
    results into ``w_out``, ``n_out``, ``status``."""
    B, p, J = S.shape[0], S.shape[1], modes.shape[0]
    St = np.empty((p, p, L))
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
    for b0 in range(0, B, L):
        nl = min(L, B - b0)
        for r in range(p):
            for c in range(p):
                for i in range(L):
                    St[c, r, i] = S[b0 + (i if i < nl else 0), r, c]
        for i in range(L):
            src = b0 + (i if i < nl else 0)
            sb = 0 if scale.shape[0] == 1 else src
            for q in range(p):
                sc[q, i] = scale[sb, q]
                root = math.sqrt(scale[sb, q])
                upd[q, i] = root
                factor[q, i] = (1.0 / k[src] if modes[block_of[q]] == 1 else k[src]) / root
            live[i] = i < nl
            bad[i] = False
            tmp[i] = 0.0
        for r in range(p):  # a NaN or inf anywhere (the numpy path spreads it): redo
            for c in range(p):
                for i in range(L):
                    tmp[i] += St[r, c, i] * 0.0  # 0 for finite entries, else NaN
        for i in range(L):
            if not (tmp[i] == 0.0):
                bad[i] = True
        for i in range(nl):
            n_out[b0 + i] = 0
        _scaled(St, upd, starts, w, Y, bad, L, tmp)
        for i in range(L):
            for q in range(p):
                loop_old[q, i] = w[q, i] / (k[b0 + (i if i < nl else 0)] * math.sqrt(sc[q, i]))
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
            for c in range(J):  # the proxy covariances the inner weights read
                for t in range(nptr[c], nptr[c + 1]):
                    _proxy_cov(w, Y, starts, nidx[t], c, C, L)
                if scheme == 0:
                    for t in range(pptr[c], pptr[c + 1]):
                        for t2 in range(pptr[c], pptr[c + 1]):
                            _proxy_cov(w, Y, starts, pidx[t], pidx[t2], C, L)
            for c in range(J):
                for t in range(nptr[c], nptr[c + 1]):
                    ii = nidx[t]
                    for i in range(L):
                        v = C[ii, c, i]
                        if scheme == 1:
                            ew[t, i] = 1.0 if v > 0 else (-1.0 if v < 0 else 0.0)
                        else:
                            ew[t, i] = v
                if scheme == 0:
                    m = pptr[c + 1] - pptr[c]
                    if m == 0:
                        continue
                    for r in range(m):
                        ii = pidx[pptr[c] + r]
                        for q in range(m):
                            for i in range(L):
                                A[r, q, i] = C[ii, pidx[pptr[c] + q], i]
                        for i in range(L):
                            bv[r, i] = C[ii, c, i]
                    _solve_lanes(A, bv, x, m, bad, L, tmp)
                    r = 0
                    for t in range(nptr[c], nptr[c + 1]):
                        if r < m and nidx[t] == pidx[pptr[c] + r]:
                            for i in range(L):
                                ew[t, i] = x[r, i]
                            r += 1
            for c in range(J):
                a, e = starts[c], starts[c + 1]
                if alone[c]:
                    for q in range(a, e):
                        for i in range(L):
                            upd[q, i] = Y[c, q, i]
                else:
                    for q in range(a, e):
                        for i in range(L):
                            upd[q, i] = 0.0
                    for t in range(nptr[c], nptr[c + 1]):
                        j = nidx[t]
                        for q in range(a, e):
                            for i in range(L):
                                upd[q, i] += Y[j, q, i] * ew[t, i]
                if modes[c] == 1:
                    m = e - a
                    for r in range(m):
                        for q in range(m):
                            for i in range(L):
                                A[r, q, i] = St[a + q, a + r, i]
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
            _scaled(St, upd, starts, wn, Yn, bad, L, tmp)
            for i in range(L):
                crit[i] = 0.0
            for q in range(p):
                if stop == 2:
                    for i in range(L):
                        d = abs(loop_old[q, i]) - abs(upd[q, i] * factor[q, i])
                        crit[i] += d * d
                elif stop == 1:
                    for i in range(L):
                        crit[i] += abs(wn[q, i] - w[q, i])
                else:
                    for i in range(L):
                        crit[i] = max(crit[i], abs(wn[q, i] - w[q, i]))
            for q in range(p):
                for i in range(L):
                    w[q, i] = wn[q, i]
                    loop_old[q, i] = upd[q, i] * factor[q, i]
            Y, Yn = Yn, Y
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
