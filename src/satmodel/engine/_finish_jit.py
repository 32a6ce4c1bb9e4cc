"""The numba-compiled steps of :func:`satmodel.engine.pls.estimate` after the weight
iteration (loaded through :mod:`satmodel.engine.kernel`; importing this module imports
numba).

One batch element at a time, in cache: item-proxy correlations (cross-loadings), the
orientation of each block, proxy correlations, rho_A and PLSc loadings, the corrected
construct correlations, OLS paths and R² by predecessor, total effects. Status per
element: 0 done, 1 redo on the numpy path (a non-finite number anywhere, or a zero
pivot: the numpy path reports those its own way).

Every sum runs in the order of the plain loops (``0.0 + a0 b0 + a1 b1 + ...``), without
fused multiply-adds. The speed comes from the loop shapes, not from reassociation:
four rows of S W (four columns of C) are summed side by side (independent sums the CPU
overlaps, instead of one short dependent chain at a time), the next element's S is
prefetched while this one is used (the batch's matrices do not fit in cache), the small
structural systems are solved inline on fixed work arrays, and finiteness is one
accumulated check (the sum of value * 0.0 is 0.0 unless a value is NaN or infinite).
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import njit
from numba.core import types
from numba.extending import intrinsic


@intrinsic
def _prefetch(typingctx, arr, offset):
    """A hint to load ``arr``'s data from flat index ``offset`` into cache (LLVM's
    prefetch: no effect on results, never faults, also past the end)."""
    def codegen(context, builder, sig, args):
        data = context.make_array(sig.args[0])(context, builder, value=args[0]).data
        i8p, i32 = ir.IntType(8).as_pointer(), ir.IntType(32)
        ptr = builder.bitcast(builder.gep(data, [args[1]]), i8p)
        fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
        fn = builder.module.declare_intrinsic("llvm.prefetch", [i8p], fnty)  # name mangled
        # as this llvmlite's pointers need (typed: .p0i8, opaque: .p0)
        builder.call(fn, [ptr, ir.Constant(i32, 0), ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()
    return types.void(arr, offset), codegen


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def lu_in_place(LU, perm, m):
    """The LU factorization with partial pivoting (LAPACK's getrf) of ``LU[:m, :m]`` in
    place, the row order into ``perm[:m]``; False where a pivot is zero or not finite."""
    for r in range(m):
        perm[r] = r
    for c in range(m):
        piv, best = c, abs(LU[c, c])
        for r in range(c + 1, m):
            if abs(LU[r, c]) > best:
                piv, best = r, abs(LU[r, c])
        if not (best > 0.0) or not math.isfinite(best):
            return False
        if piv != c:
            for q in range(m):
                LU[c, q], LU[piv, q] = LU[piv, q], LU[c, q]
            perm[c], perm[piv] = perm[piv], perm[c]
        for r in range(c + 1, m):
            LU[r, c] /= LU[c, c]
            f = LU[r, c]
            for q in range(c + 1, m):
                LU[r, q] -= f * LU[c, q]
    return True


@njit(cache=True, nogil=True, error_model="numpy")
def _solve(A, b, x, perm):
    """x = A^-1 b by :func:`lu_in_place` (A is overwritten), then L y = P b and U x = y;
    False when a pivot is zero or not finite."""
    m = b.shape[0]
    if not lu_in_place(A, perm, m):
        return False
    for r in range(m):
        s = b[perm[r]]
        for q in range(r):
            s -= A[r, q] * x[q]
        x[r] = s
    for r in range(m - 1, -1, -1):
        s = x[r]
        for q in range(r + 1, m):
            s -= A[r, q] * x[q]
        x[r] = s / A[r, r]
    return True


@njit(cache=True, nogil=True, error_model="numpy")
def _cross(S, b, w, starts, cross):
    """cross = S[b] W, four rows at a time (four independent sums, each in the plain
    order), while the same rows of S[b + 1] are prefetched."""
    p, J = w.shape[0], starts.shape[0] - 1
    Sb = S[b]
    nxt = (b + 1 if b + 1 < S.shape[0] else b) * p * p
    q = 0
    while q + 4 <= p:
        for o in range(q * p, (q + 4) * p, 8):  # 8 doubles: one cache line
            _prefetch(S, nxt + o)
        for j in range(J):
            s0, s1, s2, s3 = 0.0, 0.0, 0.0, 0.0
            for l in range(starts[j], starts[j + 1]):
                wl = w[l]
                s0 += Sb[q, l] * wl
                s1 += Sb[q + 1, l] * wl
                s2 += Sb[q + 2, l] * wl
                s3 += Sb[q + 3, l] * wl
            cross[q, j], cross[q + 1, j], cross[q + 2, j], cross[q + 3, j] = s0, s1, s2, s3
        q += 4
    for o in range(q * p, p * p, 8):
        _prefetch(S, nxt + o)
    for r in range(q, p):
        for j in range(J):
            s = 0.0
            for l in range(starts[j], starts[j + 1]):
                s += Sb[r, l] * w[l]
            cross[r, j] = s


@njit(cache=True, nogil=True, error_model="numpy")
def _orient(S, b, w, block_of, starts, ref, use_ref, cross, own):
    """cross = S[b] W and own loadings, then each block turned as ``pls._sign_rule``
    says (w, cross and own in place)."""
    p, J = w.shape[0], starts.shape[0] - 1
    _cross(S, b, w, starts, cross)
    for q in range(p):
        own[q] = cross[q, block_of[q]]
    for j in range(J):
        a, e = starts[j], starts[j + 1]
        if use_ref:
            lo, hi = 0.0, 0.0
            for q in range(a, e):
                lo += ref[q] - own[q]
                hi += ref[q] + own[q]
            flip = abs(lo) > abs(hi)
        else:
            s = 0.0
            for q in range(a, e):
                s += own[q]
            flip = s < 0.0
        if flip:
            for q in range(a, e):
                w[q] = -w[q]
                own[q] = -own[q]
            for q in range(p):
                cross[q, j] = -cross[q, j]


@njit(cache=True, nogil=True, error_model="numpy")
def _rho_a(S, w, starts, modes, common, own, rho, load):
    """rho_A of each Mode A block of two or more items (else 1) and the PLSc loadings of
    the common factors (the other entries: ``own``)."""
    J = starts.shape[0] - 1
    for q in range(own.shape[0]):
        load[q] = own[q]
    for j in range(J):
        a, e = starts[j], starts[j + 1]
        rho[j] = 1.0
        if modes[j] != 0 or e - a < 2:
            continue
        num, den, ss = 0.0, 0.0, 0.0
        for k in range(a, e):
            ss += w[k] * w[k]
            for l in range(a, e):
                if k != l:
                    num += w[k] * S[k, l] * w[l]
                    o = w[k] * w[l]
                    den += o * o
        c2 = num / den
        rho[j] = ss * ss * c2
        if common[j]:
            r = math.sqrt(c2) if c2 >= 0.0 else math.nan
            for q in range(a, e):
                load[q] = r * w[q]


@njit(cache=True, nogil=True, error_model="numpy")
def _structural(R, pptr, pidx, paths, r2, A2, b2, x2, perm):
    """OLS paths of each construct on its predecessors and R²; False on a zero pivot.
    The steps of :func:`_solve`, on the top left m x m of the (J, J) work array."""
    J = R.shape[0]
    for i in range(J):
        r2[i] = 0.0
        for j in range(J):
            paths[i, j] = 0.0
    for j in range(J):
        o, m = pptr[j], pptr[j + 1] - pptr[j]
        if m == 0:
            continue
        for r in range(m):
            i = pidx[o + r]
            for c in range(m):
                A2[r, c] = R[i, pidx[o + c]]
            b2[r] = R[i, j]
        if not lu_in_place(A2, perm, m):
            return False
        for r in range(m):
            s = b2[perm[r]]
            for q in range(r):
                s -= A2[r, q] * x2[q]
            x2[r] = s
        for r in range(m - 1, -1, -1):
            s = x2[r]
            for q in range(r + 1, m):
                s -= A2[r, q] * x2[q]
            x2[r] = s / A2[r, r]
        s = 0.0
        for r in range(m):
            i = pidx[o + r]
            paths[i, j] = x2[r]
            s += x2[r] * R[i, j]
        r2[j] = s
    return True


@njit(cache=True, nogil=True, error_model="numpy")
def _total_upper(paths, T):
    """Total effects (I - P)^-1 - I when every path runs from a lower to a higher index
    (I - P unit upper triangular): T[r, c] = P[r, c] + sum_{r<q<c} P[r, q] T[q, c],
    a row at a time from the last up (the effects through each later construct); the
    terms of each sum are added q ascending, the inner loop runs over the columns."""
    J = paths.shape[0]
    for r in range(J - 1, -1, -1):
        for c in range(r + 1):
            T[r, c] = 0.0
        for c in range(r + 1, J):
            T[r, c] = paths[r, c]
        for q in range(r + 1, J):
            f = paths[r, q]
            for c in range(q + 1, J):
                T[r, c] += f * T[q, c]


@njit(cache=True, nogil=True, error_model="numpy")
def _total(paths, T, A2, b2, x2, perm):
    """Total effects (I - P)^-1 - I, a column at a time; False on a zero pivot."""
    J = paths.shape[0]
    for c in range(J):
        for r in range(J):
            for q in range(J):
                A2[r, q] = (1.0 if r == q else 0.0) - paths[r, q]
            b2[r] = 1.0 if r == c else 0.0
        if not _solve(A2, b2, x2, perm):
            return False
        for r in range(J):
            T[r, c] = x2[r] - (1.0 if r == c else 0.0)
    return True


@njit(cache=True, nogil=True, error_model="numpy")
def _proxy_corr(w, cross, starts, C):
    """C = W' cross (proxy correlations), four columns at a time (independent sums, each
    in the plain order)."""
    J = C.shape[0]
    for i in range(J):
        a, e = starts[i], starts[i + 1]
        j = 0
        while j < J:
            if j + 4 > J:
                s = 0.0
                for q in range(a, e):
                    s += w[q] * cross[q, j]
                C[i, j] = s
                j += 1
                continue
            s0, s1, s2, s3 = 0.0, 0.0, 0.0, 0.0
            for q in range(a, e):
                wq = w[q]
                s0 += wq * cross[q, j]
                s1 += wq * cross[q, j + 1]
                s2 += wq * cross[q, j + 2]
                s3 += wq * cross[q, j + 3]
            C[i, j], C[i, j + 1], C[i, j + 2], C[i, j + 3] = s0, s1, s2, s3
            j += 4


@njit(cache=True, nogil=True, error_model="numpy")
def finish(S, w_in, block_of, starts, modes, common, pptr, pidx, upper, ref, use_ref,
           consistent, w_out, load_out, cross_out, C_out, R_out, rho_out, paths_out, r2_out,
           total_out, status):
    """Every element's estimate from its converged weights ``w_in`` (see the module);
    ``upper``: every path i -> j has i < j (total effects by substitution)."""
    B, p, J = S.shape[0], S.shape[1], starts.shape[0] - 1
    own, load = np.empty(p), np.empty(p)
    A2, b2, x2 = np.empty((J, J)), np.empty(J), np.empty(J)
    perm = np.empty(J, np.int64)
    scale = np.empty(J)
    for b in range(B):
        Sb, w, cross = S[b], w_out[b], cross_out[b]
        for q in range(p):
            w[q] = w_in[b, q]
        _orient(S, b, w, block_of, starts, ref, use_ref, cross, own)
        C, R = C_out[b], R_out[b]
        _proxy_corr(w, cross, starts, C)
        _rho_a(Sb, w, starts, modes, common, own, rho_out[b], load)
        if consistent:
            for j in range(J):
                scale[j] = math.sqrt(rho_out[b, j]) if common[j] else 1.0
            for i in range(J):
                for j in range(J):
                    R[i, j] = 1.0 if i == j else C[i, j] / (scale[i] * scale[j])
        else:  # C / (1.0 * 1.0) is C, bit for bit
            for i in range(J):
                for j in range(J):
                    R[i, j] = C[i, j]
        for q in range(p):
            load_out[b, q] = load[q] if consistent else own[q]
        if consistent:  # corrected cross-loadings; the own block's: the PLSc loadings
            for q in range(p):
                for j in range(J):
                    cross[q, j] /= scale[j]
                cross[q, block_of[q]] = load[q]
        ok = _structural(R, pptr, pidx, paths_out[b], r2_out[b], A2, b2, x2, perm)
        if ok and upper:
            _total_upper(paths_out[b], total_out[b])
        else:
            ok = ok and _total(paths_out[b], total_out[b], A2, b2, x2, perm)
        zero = 0.0  # stays 0.0 unless a value is NaN or infinite (then NaN)
        if ok:
            for q in range(p):
                zero += load_out[b, q] * 0.0 + w[q] * 0.0
            for j in range(J):
                zero += rho_out[b, j] * 0.0 + r2_out[b, j] * 0.0
                for i in range(J):
                    zero += R[i, j] * 0.0 + total_out[b, i, j] * 0.0
        status[b] = 0 if ok and zero == 0.0 else 1
