"""The numba-compiled PLS weight iteration (imported by :mod:`satmodel.engine.kernel` only
when numba is installed; importing this module imports numba).

One batch element at a time, the steps of :func:`satmodel.engine.pls._iterate` written
as loops over the element's small matrices: inner proxy covariances C = W'SW, inner
weights E of the scheme, the outer update (Mode A covariances, Mode B regressions,
unit weights), scaling to unit proxy variance, the stop rule. Status per element:
0 converged, 1 ``max_iter`` reached, 2 redo on the numpy path (a singular system, a
non-positive proxy variance or non-finite numbers: the numpy path reports those).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True, nogil=True, error_model="numpy")
def solve_small(A, b, x):
    """x = A^-1 b by Gaussian elimination with partial pivoting (A, b are overwritten);
    False when a pivot is zero or not finite."""
    m = b.shape[0]
    for c in range(m):
        piv, best = c, abs(A[c, c])
        for r in range(c + 1, m):
            if abs(A[r, c]) > best:
                piv, best = r, abs(A[r, c])
        if not (best > 0.0) or not math.isfinite(best):
            return False
        if piv != c:
            for q in range(m):
                A[c, q], A[piv, q] = A[piv, q], A[c, q]
            b[c], b[piv] = b[piv], b[c]
        for r in range(c + 1, m):
            f = A[r, c] / A[c, c]
            if f != 0.0:
                for q in range(c, m):
                    A[r, q] -= f * A[c, q]
                b[r] -= f * b[c]
    for c in range(m - 1, -1, -1):
        s = b[c]
        for q in range(c + 1, m):
            s -= A[c, q] * x[q]
        x[c] = s / A[c, c]
    return True


@njit(cache=True, nogil=True, error_model="numpy")
def _scaled(St, raw, starts, w, Y):
    """w = raw scaled to unit proxy variance and Y = (S W)' (J, p), from St = S' (so the
    inner loops run along memory); False if a variance is not positive or not finite."""
    p, J = raw.shape[0], starts.shape[0] - 1
    for j in range(J):
        for k in range(p):
            Y[j, k] = 0.0
        for l in range(starts[j], starts[j + 1]):
            r = raw[l]
            for k in range(p):
                Y[j, k] += St[l, k] * r
        var = 0.0
        for k in range(starts[j], starts[j + 1]):
            var += raw[k] * Y[j, k]
        if not (var > 0.0) or not math.isfinite(var):
            return False
        f = 1.0 / math.sqrt(var)
        for k in range(p):
            Y[j, k] *= f
        for k in range(starts[j], starts[j + 1]):
            w[k] = raw[k] * f
    return True


@njit(cache=True, nogil=True, error_model="numpy")
def _inner(C, adj, scheme, E, A2, b2, x2):
    """Inner weights E[i, j] of proxy i in the inner proxy of construct j; False when a
    path-scheme system is singular."""
    J = C.shape[0]
    for i in range(J):
        for j in range(J):
            near = adj[i, j] or adj[j, i]
            if scheme == 1:  # centroid
                E[i, j] = (1.0 if C[i, j] > 0 else (-1.0 if C[i, j] < 0 else 0.0)) if near else 0.0
            elif scheme == 2:  # factorial
                E[i, j] = C[i, j] if near else 0.0
            else:  # path: successors i of j (j -> i) get c_ij
                E[i, j] = C[i, j] if adj[j, i] else 0.0
    if scheme == 0:  # predecessors of j: regression of j's proxy on theirs
        for j in range(J):
            m = 0
            for i in range(J):
                if adj[i, j]:
                    m += 1
            if m == 0:
                continue
            r = 0
            for i in range(J):
                if adj[i, j]:
                    c = 0
                    for q in range(J):
                        if adj[q, j]:
                            A2[r, c] = C[i, q]
                            c += 1
                    b2[r] = C[i, j]
                    r += 1
            if not solve_small(A2[:m, :m], b2[:m], x2[:m]):
                return False
            r = 0
            for i in range(J):
                if adj[i, j]:
                    E[i, j] = x2[r]
                    r += 1
    for j in range(J):  # a construct without neighbours is its own inner proxy
        alone = True
        for i in range(J):
            if adj[i, j] or adj[j, i]:
                alone = False
        if alone:
            E[j, j] = 1.0
    return True


@njit(cache=True, nogil=True, error_model="numpy")
def run(S, block_of, starts, modes, adj, scheme, tol, max_iter, stop, unit, scale, k,
        w_out, n_out, status):
    """Iterate every element of ``S`` (B, p, p), whose blocks are consecutive items
    (``starts``); results into ``w_out``, ``n_out``, ``status``."""
    B, p, J = S.shape[0], S.shape[1], modes.shape[0]
    w, w_new, upd = np.empty(p), np.empty(p), np.empty(p)
    loop_old, factor, root = np.empty(p), np.empty(p), np.empty(p)
    Y, Y_new = np.empty((J, p)), np.empty((J, p))
    C, E = np.empty((J, J)), np.empty((J, J))
    A2, b2, x2 = np.empty((J, J)), np.empty(J), np.empty(J)
    Ab, bb, xb = np.empty((p, p)), np.empty(p), np.empty(p)
    St = np.empty((p, p))
    for b in range(B):
        for r in range(p):
            for c in range(p):
                St[c, r] = S[b, r, c]
        sb = 0 if scale.shape[0] == 1 else b
        for q in range(p):
            root[q] = math.sqrt(scale[sb, q])
            upd[q] = root[q]
            factor[q] = (1.0 / k[b] if modes[block_of[q]] == 1 else k[b]) / root[q]
        n_out[b] = 0
        if not _scaled(St, upd, starts, w, Y):
            status[b] = 2
            continue
        for q in range(p):
            loop_old[q] = w[q] / (k[b] * root[q])
        status[b] = 1
        for it in range(1, max_iter + 1):
            for i in range(J):  # C = W'SW on the items of each block
                for j in range(J):
                    s = 0.0
                    for q in range(starts[i], starts[i + 1]):
                        s += w[q] * Y[j, q]
                    C[i, j] = s
            if not _inner(C, adj, scheme, E, A2, b2, x2):
                status[b] = 2
                break
            for q in range(p):  # covariances of the items with their inner proxies
                upd[q] = 0.0
            for j in range(J):
                for q in range(p):
                    upd[q] += Y[j, q] * E[j, block_of[q]]
            singular = False
            for j in range(J):
                a, e = starts[j], starts[j + 1]
                if modes[j] == 1:  # Mode B: regression of the inner proxy on the block
                    m = e - a
                    for r in range(m):
                        for c in range(m):
                            Ab[r, c] = S[b, a + r, a + c]
                        bb[r] = upd[a + r]
                    if not solve_small(Ab[:m, :m], bb[:m], xb[:m]):
                        singular = True
                        break
                    for r in range(m):
                        upd[a + r] = xb[r]
                elif modes[j] == 2:
                    for q in range(a, e):
                        upd[q] = 1.0
                elif not unit:  # Mode A on unstandardized items
                    for q in range(a, e):
                        upd[q] *= scale[sb, q]
            if singular or not _scaled(St, upd, starts, w_new, Y_new):
                status[b] = 2
                break
            crit = 0.0
            for q in range(p):
                if stop == 2:  # plspm: change of the absolute un-normalized loop weights
                    d = abs(loop_old[q]) - abs(upd[q] * factor[q])
                    crit += d * d
                elif stop == 1:
                    crit += abs(w_new[q] - w[q])
                else:
                    crit = max(crit, abs(w_new[q] - w[q]))
            for q in range(p):
                w[q] = w_new[q]
                loop_old[q] = upd[q] * factor[q]
            Y, Y_new = Y_new, Y
            n_out[b] = it
            if not math.isfinite(crit):
                status[b] = 2
                break
            if crit < tol:
                status[b] = 0
                break
        for q in range(p):
            w_out[b, q] = w[q]
