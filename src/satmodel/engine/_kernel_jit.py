"""The numba-compiled PLS weight iteration (imported by :mod:`satmodel.engine.kernel` only
when numba is installed; importing this module imports numba).

The steps of :func:`satmodel.engine.pls._iterate` written as loops: inner proxy
covariances C = W'SW, inner weights of the scheme, the outer update (Mode A covariances,
Mode B regressions, unit weights), scaling to unit proxy variance, the stop rule. The
batch runs :data:`LANES` elements at a time, the element index innermost (every loop
over an element's small matrices runs over the lanes together, in SIMD registers); each
element is iterated on its own and frozen when it stops, as in the numpy path. The hot
loops (the rows of S W a step reads, proxy covariances, the updates, the small solves)
use vector helpers written in LLVM IR (``_dot``, ``_sub_mul``, ...): numba's own loops
over a run-time lane count pay aliasing checks at every short loop, and with a constant
count they are unrolled to scalar code (numba does not run LLVM's SLP vectorizer). Each
helper does the scalar loop's operations in its order, without fused multiply-adds, so
the results are the plain loops' bit for bit. Status
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
from llvmlite import ir
from numba import njit
from numba.core import cgutils, types
from numba.extending import intrinsic

#: lanes of the vector helpers below (``run`` requires ``L == LANES``)
LANES = 16


def _lanes_at(context, builder, arrty, arr, offset):
    """Pointer to the LANES doubles of C-contiguous ``arr`` from flat index ``offset`` (no
    bounds check: the callers below index their own work arrays)."""
    data = context.make_array(arrty)(context, builder, value=arr).data
    vec = ir.VectorType(ir.DoubleType(), LANES)
    return builder.bitcast(builder.gep(data, [offset]), vec.as_pointer())


def _dot_codegen(scaled=False, gather=False):
    """LLVM IR of :func:`_dot` and its variants: a LANES-wide accumulator in a register."""
    def codegen(context, builder, sig, args):
        out, o, x, xo, xs, y, yo, ys, n = args[:9]
        vec = ir.VectorType(ir.DoubleType(), LANES)
        acc = cgutils.alloca_once_value(builder, ir.Constant(vec, [0.0] * LANES))
        with cgutils.for_range(builder, n) as loop:
            m = loop.index
            if gather:  # x's m-th offset: idx[at + m] * xs + xo
                idx = context.make_array(sig.args[9])(context, builder, value=args[9]).data
                at = builder.load(builder.gep(idx, [builder.add(args[10], m)]))
                xm = builder.add(xo, builder.mul(at, xs))
            else:
                xm = builder.add(xo, builder.mul(m, xs))
            vx = builder.load(_lanes_at(context, builder, sig.args[2], x, xm), align=8)
            vy = builder.load(_lanes_at(context, builder, sig.args[5], y,
                                        builder.add(yo, builder.mul(m, ys))), align=8)
            builder.store(builder.fadd(builder.load(acc), builder.fmul(vx, vy)), acc)
        total = builder.load(acc)
        if scaled:
            f = builder.load(_lanes_at(context, builder, sig.args[9], args[9], args[10]),
                             align=8)
            total = builder.fmul(total, f)
        builder.store(total, _lanes_at(context, builder, sig.args[0], out, o), align=8)
        return context.get_dummy_value()
    return codegen


@intrinsic
def _dot(typingctx, out, o, x, xo, xs, y, yo, ys, n):
    """Flat C-contiguous arrays, LANES lanes at once: out[o:] = 0.0 + x[xo:] * y[yo:]
    + x[xo + xs:] * y[yo + ys:] + ... (n terms, in this order: the scalar loop's sums,
    bit for bit; vectors of LANES doubles in registers, no aliasing checks)."""
    return types.void(out, o, x, xo, xs, y, yo, ys, n), _dot_codegen(False)


@intrinsic
def _dot_times(typingctx, out, o, x, xo, xs, y, yo, ys, n, f, fo):
    """:func:`_dot` times ``f[fo:fo + LANES]`` (one rounding more, as ``(sum) * f``)."""
    return types.void(out, o, x, xo, xs, y, yo, ys, n, f, fo), _dot_codegen(scaled=True)


@intrinsic
def _dot_gather(typingctx, out, o, x, xo, xs, y, yo, ys, n, idx, at):
    """:func:`_dot` with the m-th term of x at ``idx[at + m] * xs + xo`` (int64 ``idx``)."""
    return types.void(out, o, x, xo, xs, y, yo, ys, n, idx, at), _dot_codegen(gather=True)


def _elementwise_codegen(kind):
    """LLVM IR of the LANES-wide ``copy``, ``div``, ``mul`` and ``sub_mul`` below."""
    def codegen(context, builder, sig, args):
        out, o, a, ao = args[:4]
        va = builder.load(_lanes_at(context, builder, sig.args[2], a, ao), align=8)
        to = _lanes_at(context, builder, sig.args[0], out, o)
        if kind == "copy":
            value = va
        else:
            vb = builder.load(_lanes_at(context, builder, sig.args[4], args[4], args[5]),
                              align=8)
            if kind == "div":
                value = builder.fdiv(va, vb)
            elif kind == "mul":
                value = builder.fmul(va, vb)
            else:
                value = builder.fsub(builder.load(to, align=8), builder.fmul(va, vb))
        builder.store(value, to, align=8)
        return context.get_dummy_value()
    return codegen


@intrinsic
def _copy(typingctx, out, o, a, ao):
    """LANES lanes at once (flat C-contiguous arrays): out[o:] = a[ao:]."""
    return types.void(out, o, a, ao), _elementwise_codegen("copy")


@intrinsic
def _div(typingctx, out, o, a, ao, b, bo):
    """LANES lanes at once: out[o:] = a[ao:] / b[bo:]."""
    return types.void(out, o, a, ao, b, bo), _elementwise_codegen("div")


@intrinsic
def _mul(typingctx, out, o, a, ao, b, bo):
    """LANES lanes at once: out[o:] = a[ao:] * b[bo:]."""
    return types.void(out, o, a, ao, b, bo), _elementwise_codegen("mul")


@intrinsic
def _sub_mul(typingctx, out, o, a, ao, b, bo):
    """LANES lanes at once: out[o:] = out[o:] - a[ao:] * b[bo:] (two roundings)."""
    return types.void(out, o, a, ao, b, bo), _elementwise_codegen("sub_mul")


@intrinsic
def _interleave(typingctx, T, S, b0, nl):
    """T[r, c, i] = S[b0 + i, r, c] for the LANES lanes (lane i >= nl copies lane 0):
    per (r, c) LANES scalar loads from the elements' matrices, one vector store."""
    def codegen(context, builder, sig, args):
        t_arr = context.make_array(sig.args[0])(context, builder, value=args[0])
        s_arr = context.make_array(sig.args[1])(context, builder, value=args[1])
        b0_, nl_ = args[2], args[3]
        p = builder.extract_value(s_arr.shape, 1)
        pp = builder.mul(p, p)
        i64 = ir.IntType(64)
        bases = []
        for i in range(LANES):
            lane = ir.Constant(i64, i)
            spare = builder.icmp_signed(">=", lane, nl_)
            src = builder.select(spare, b0_, builder.add(b0_, lane))
            bases.append(builder.gep(s_arr.data, [builder.mul(src, pp)]))
        vec = ir.VectorType(ir.DoubleType(), LANES)
        with cgutils.for_range(builder, pp) as loop:
            rc = loop.index
            v = ir.Constant(vec, ir.Undefined)
            for i in range(LANES):
                v = builder.insert_element(v, builder.load(builder.gep(bases[i], [rc])),
                                           ir.Constant(ir.IntType(32), i))
            out = builder.gep(t_arr.data, [builder.mul(rc, ir.Constant(i64, LANES))])
            builder.store(v, builder.bitcast(out, vec.as_pointer()), align=8)
        return context.get_dummy_value()
    return types.void(T, S, b0, nl), codegen


@njit(cache=True, nogil=True, error_model="numpy")
def _scaled(T, raw, starts, rptr, rlo, rhi, w, Y, bad, L, f):
    """Per lane: w = raw scaled to unit proxy variance and the rows of Y = (S W)' (J, p)
    the step reads (construct j: items ``rlo[t]:rhi[t]`` for t in ``rptr[j]:rptr[j + 1]``,
    its own block among them), from T = S (p, p, lanes); a lane whose variance is not
    positive or not finite is marked in ``bad``. ``f``: scratch (lanes,). Each entry is
    (sum over the block's items in order) times the scale, as in the numpy path."""
    p, J = raw.shape[0], starts.shape[0] - 1
    for j in range(J):
        a, e = starts[j], starts[j + 1]
        for k in range(a, e):  # own block first: its variance gives the scale
            _dot(Y, (j * p + k) * L, T, (k * p + a) * L, L, raw, a * L, L, e - a)
        _dot(f, 0, raw, a * L, L, Y, (j * p + a) * L, L, e - a)
        for i in range(L):  # branch-free, to vectorize: NaN, inf, <= 0 are bad
            var = f[i]
            ok = (var > 0.0) & (var < math.inf)
            bad[i] = bad[i] | (not ok)
            f[i] = 1.0 / math.sqrt(var if ok else 1.0)
        for k in range(a, e):
            _mul(Y, (j * p + k) * L, Y, (j * p + k) * L, f, 0)
            _mul(w, k * L, raw, k * L, f, 0)
        for t in range(rptr[j], rptr[j + 1]):
            for k in range(rlo[t], rhi[t]):
                if k < a or k >= e:
                    _dot_times(Y, (j * p + k) * L, T, (k * p + a) * L, L, raw, a * L, L,
                               e - a, f, 0)


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
    pivoting, redoes it: an indefinite or singular system)."""
    P = A.shape[1]
    for c in range(m):
        for i in range(L):  # branch-free, to vectorize: NaN, inf, <= 0 are bad
            d = A[c, c, i]
            ok = (d > 0.0) & (d < math.inf)
            bad[i] = bad[i] | (not ok)
            A[c, c, i] = d if ok else 1.0
        cc = (c * P + c) * L
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
    for b0 in range(0, B, L):
        nl = min(L, B - b0)
        _interleave(T, S, b0, nl)  # T[r, c, i] = S[b0 + i, r, c]
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
                    tmp[i] += T[r, c, i] * 0.0  # 0 for finite entries, else NaN
        for i in range(L):
            if not (tmp[i] == 0.0):
                bad[i] = True
        for i in range(nl):
            n_out[b0 + i] = 0
        _scaled(T, upd, starts, rptr, rlo, rhi, w, Y, bad, L, tmp)
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
                    if scheme == 1:
                        for i in range(L):
                            v = C[ii, c, i]
                            ew[t, i] = 1.0 if v > 0 else (-1.0 if v < 0 else 0.0)
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
