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
rho_A and the total effects of a recursive model run for four elements side by side
(:mod:`satmodel.engine._finish_four_jit`: their short dependent sums overlap), and the
batch's arrays are indexed with the element instead of taking per-element views (each
view costs numba reference-count updates); together ~10% less time a chunk. Numba's
disk cache does not see edits to ``_finish_four_jit``: after editing it, delete
``__pycache__/_finish_*.nb[ic]``.
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import njit
from numba.core import types
from numba.extending import intrinsic

from ._finish_four_jit import rho_a as _rho_a
from ._finish_four_jit import rho_a4 as _rho_a4
from ._finish_four_jit import total_upper4 as _total_upper4


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
    """cross[b] = S[b] W[b], four rows at a time (four independent sums, each in the plain
    order), while the same rows of S[b + 1] are prefetched."""
    p, J = w.shape[1], starts.shape[0] - 1
    nxt = (b + 1 if b + 1 < S.shape[0] else b) * p * p
    q = 0
    while q + 4 <= p:
        for o in range(q * p, (q + 4) * p, 8):  # 8 doubles: one cache line
            _prefetch(S, nxt + o)
        for j in range(J):
            s0, s1, s2, s3 = 0.0, 0.0, 0.0, 0.0
            for l in range(starts[j], starts[j + 1]):
                wl = w[b, l]
                s0 += S[b, q, l] * wl
                s1 += S[b, q + 1, l] * wl
                s2 += S[b, q + 2, l] * wl
                s3 += S[b, q + 3, l] * wl
            cross[b, q, j], cross[b, q + 1, j] = s0, s1
            cross[b, q + 2, j], cross[b, q + 3, j] = s2, s3
        q += 4
    for o in range(q * p, p * p, 8):
        _prefetch(S, nxt + o)
    for r in range(q, p):
        for j in range(J):
            s = 0.0
            for l in range(starts[j], starts[j + 1]):
                s += S[b, r, l] * w[b, l]
            cross[b, r, j] = s


@njit(cache=True, nogil=True, error_model="numpy")
def _orient(S, b, w, block_of, starts, ref, use_ref, cross, own, g):
    """cross[b] = S[b] W[b] and own loadings (into own[g]), then each block turned as
    ``pls._sign_rule`` says (w[b], cross[b] and own[g] in place)."""
    p, J = w.shape[1], starts.shape[0] - 1
    _cross(S, b, w, starts, cross)
    for q in range(p):
        own[g, q] = cross[b, q, block_of[q]]
    for j in range(J):
        a, e = starts[j], starts[j + 1]
        if use_ref:
            lo, hi = 0.0, 0.0
            for q in range(a, e):
                lo += ref[q] - own[g, q]
                hi += ref[q] + own[g, q]
            flip = abs(lo) > abs(hi)
        else:
            s = 0.0
            for q in range(a, e):
                s += own[g, q]
            flip = s < 0.0
        if flip:
            for q in range(a, e):
                w[b, q] = -w[b, q]
                own[g, q] = -own[g, q]
            for q in range(p):
                cross[b, q, j] = -cross[b, q, j]


@njit(cache=True, nogil=True, error_model="numpy")
def _structural(R, b, pptr, pidx, paths, r2, A2, b2, x2, perm):
    """OLS paths of each construct on its predecessors and R² of element b; False on a
    zero pivot. The steps of :func:`_solve`, on the top left m x m of the (J, J) work
    array."""
    J = R.shape[1]
    for i in range(J):
        r2[b, i] = 0.0
        for j in range(J):
            paths[b, i, j] = 0.0
    for j in range(J):
        o, m = pptr[j], pptr[j + 1] - pptr[j]
        if m == 0:
            continue
        for r in range(m):
            i = pidx[o + r]
            for c in range(m):
                A2[r, c] = R[b, i, pidx[o + c]]
            b2[r] = R[b, i, j]
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
            paths[b, i, j] = x2[r]
            s += x2[r] * R[b, i, j]
        r2[b, j] = s
    return True


@njit(cache=True, nogil=True, error_model="numpy")
def _total_upper(paths, T, b):
    """Total effects (I - P)^-1 - I of element b when every path runs from a lower to a
    higher index (I - P unit upper triangular): T[r, c] = P[r, c] + sum_{r<q<c} P[r, q]
    T[q, c], a row at a time from the last up (the effects through each later
    construct); the terms of each sum are added q ascending, the inner loop runs over
    the columns."""
    J = paths.shape[1]
    for r in range(J - 1, -1, -1):
        for c in range(r + 1):
            T[b, r, c] = 0.0
        for c in range(r + 1, J):
            T[b, r, c] = paths[b, r, c]
        for q in range(r + 1, J):
            f = paths[b, r, q]
            for c in range(q + 1, J):
                T[b, r, c] += f * T[b, q, c]


@njit(cache=True, nogil=True, error_model="numpy")
def _total(paths, T, b, A2, b2, x2, perm):
    """Total effects (I - P)^-1 - I of element b, a column at a time; False on a zero
    pivot."""
    J = paths.shape[1]
    for c in range(J):
        for r in range(J):
            for q in range(J):
                A2[r, q] = (1.0 if r == q else 0.0) - paths[b, r, q]
            b2[r] = 1.0 if r == c else 0.0
        if not _solve(A2, b2, x2, perm):
            return False
        for r in range(J):
            T[b, r, c] = x2[r] - (1.0 if r == c else 0.0)
    return True


@njit(cache=True, nogil=True, error_model="numpy")
def _proxy_corr(w, cross, starts, C, b):
    """C[b] = W[b]' cross[b] (proxy correlations), four columns at a time (independent
    sums, each in the plain order)."""
    J = C.shape[1]
    for i in range(J):
        a, e = starts[i], starts[i + 1]
        j = 0
        while j < J:
            if j + 4 > J:
                s = 0.0
                for q in range(a, e):
                    s += w[b, q] * cross[b, q, j]
                C[b, i, j] = s
                j += 1
                continue
            s0, s1, s2, s3 = 0.0, 0.0, 0.0, 0.0
            for q in range(a, e):
                wq = w[b, q]
                s0 += wq * cross[b, q, j]
                s1 += wq * cross[b, q, j + 1]
                s2 += wq * cross[b, q, j + 2]
                s3 += wq * cross[b, q, j + 3]
            C[b, i, j], C[b, i, j + 1], C[b, i, j + 2], C[b, i, j + 3] = s0, s1, s2, s3
            j += 4


@njit(cache=True, nogil=True, error_model="numpy")
def finish(S, w_in, block_of, starts, modes, common, pptr, pidx, upper, ref, use_ref,
           consistent, w_out, load_out, cross_out, C_out, R_out, rho_out, paths_out, r2_out,
           total_out, status):
    """Every element's estimate from its converged weights ``w_in`` (see the module);
    ``upper``: every path i -> j has i < j (total effects by substitution). The batch's
    arrays are indexed with the element (no per-element views: each view costs numba
    reference-count updates)."""
    B, p, J = S.shape[0], S.shape[1], starts.shape[0] - 1
    own, load, ok = np.empty((4, p)), np.empty((4, p)), np.empty(4, np.bool_)
    A2, b2, x2 = np.empty((J, J)), np.empty(J), np.empty(J)
    perm = np.empty(J, np.int64)
    scale = np.empty(J)
    for b0 in range(0, B, 4):  # four elements at a time: their rho_A and totals overlap
        n4 = min(4, B - b0)
        for g in range(n4):
            b = b0 + g
            for q in range(p):
                w_out[b, q] = w_in[b, q]
            _orient(S, b, w_out, block_of, starts, ref, use_ref, cross_out, own, g)
            _proxy_corr(w_out, cross_out, starts, C_out, b)
        if n4 == 4:
            _rho_a4(S, b0, w_out, starts, modes, common, own, rho_out, load)
        else:
            for g in range(n4):
                _rho_a(S, b0 + g, w_out, starts, modes, common, own, g, rho_out, load)
        for g in range(n4):
            b = b0 + g
            if consistent:
                for j in range(J):
                    scale[j] = math.sqrt(rho_out[b, j]) if common[j] else 1.0
                for i in range(J):
                    for j in range(J):
                        R_out[b, i, j] = 1.0 if i == j else \
                            C_out[b, i, j] / (scale[i] * scale[j])
            else:  # C / (1.0 * 1.0) is C, bit for bit
                for i in range(J):
                    for j in range(J):
                        R_out[b, i, j] = C_out[b, i, j]
            for q in range(p):
                load_out[b, q] = load[g, q] if consistent else own[g, q]
            if consistent:  # corrected cross-loadings; the own block's: the PLSc loadings
                for q in range(p):
                    for j in range(J):
                        cross_out[b, q, j] /= scale[j]
                    cross_out[b, q, block_of[q]] = load[g, q]
            ok[g] = _structural(R_out, b, pptr, pidx, paths_out, r2_out, A2, b2, x2, perm)
        if upper and n4 == 4 and ok[0] and ok[1] and ok[2] and ok[3]:
            _total_upper4(paths_out, total_out, b0)
        else:
            for g in range(n4):
                if ok[g] and upper:
                    _total_upper(paths_out, total_out, b0 + g)
                elif ok[g]:
                    ok[g] = _total(paths_out, total_out, b0 + g, A2, b2, x2, perm)
        for g in range(n4):
            b = b0 + g
            zero = 0.0  # stays 0.0 unless a value is NaN or infinite (then NaN)
            if ok[g]:
                for q in range(p):
                    zero += load_out[b, q] * 0.0 + w_out[b, q] * 0.0
                for j in range(J):
                    zero += rho_out[b, j] * 0.0 + r2_out[b, j] * 0.0
                    for i in range(J):
                        zero += R_out[b, i, j] * 0.0 + total_out[b, i, j] * 0.0
            status[b] = 0 if ok[g] and zero == 0.0 else 1
