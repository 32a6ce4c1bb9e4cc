"""LANES-wide vector helpers in LLVM IR for the compiled PLS iteration
(:mod:`satmodel.engine._kernel_jit`; importing this module imports numba).

Each helper works on :data:`LANES` batch elements at once, stored innermost in flat
C-contiguous arrays (offsets are flat indices): numba's own loops over a run-time lane
count pay aliasing checks at every short loop, and with a constant count they are
unrolled to scalar code (numba does not run LLVM's SLP vectorizer). Every helper does
the scalar loop's operations in its order, without fused multiply-adds, so the results
are the plain loops' bit for bit (tests/test_engine_kernel_lanes.py and
tests/test_engine_kernel_speed.py). The helpers are compiled into the cached functions of
``_kernel_jit``, and numba's disk cache does not see edits here or in
``_interleave_jit``: after editing either, delete ``__pycache__/_kernel_jit*.nb[ic]``,
or the old code keeps running.

>>> LANES
16
"""

from __future__ import annotations

from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic

#: lanes of the vector helpers below (``_kernel_jit.run`` requires ``L == LANES``)
LANES = 16
#: rows of :func:`dot_rows` summed together (their accumulators share the y loads; 2
#: measured faster than 1, 3, 4 or 6 on the ECSI and 15 x 80 bootstrap chunks)
ROWS = 2

_F64 = ir.DoubleType()
_I64 = ir.IntType(64)


def _vec(n=LANES):
    return ir.VectorType(_F64, n)


def _lanes_at(context, builder, arrty, arr, offset, n=LANES):
    """Pointer to the ``n`` doubles of C-contiguous ``arr`` from flat index ``offset`` (no
    bounds check: the callers index their own work arrays)."""
    data = context.make_array(arrty)(context, builder, value=arr).data
    return builder.bitcast(builder.gep(data, [offset]), _vec(n).as_pointer())


def _load(context, builder, arrty, arr, offset):
    return builder.load(_lanes_at(context, builder, arrty, arr, offset), align=8)


def _dot_codegen(scaled=False, gather=False):
    """LLVM IR of :func:`dot` and its variants: a LANES-wide accumulator in a register."""
    def codegen(context, builder, sig, args):
        out, o, x, xo, xs, y, yo, ys, n = args[:9]
        acc = cgutils.alloca_once_value(builder, ir.Constant(_vec(), [0.0] * LANES))
        with cgutils.for_range(builder, n) as loop:
            m = loop.index
            if gather:  # x's m-th offset: idx[at + m] * xs + xo
                idx = context.make_array(sig.args[9])(context, builder, value=args[9]).data
                at = builder.load(builder.gep(idx, [builder.add(args[10], m)]))
                xm = builder.add(xo, builder.mul(at, xs))
            else:
                xm = builder.add(xo, builder.mul(m, xs))
            vx = _load(context, builder, sig.args[2], x, xm)
            vy = _load(context, builder, sig.args[5], y, builder.add(yo, builder.mul(m, ys)))
            builder.store(builder.fadd(builder.load(acc), builder.fmul(vx, vy)), acc)
        total = builder.load(acc)
        if scaled:
            total = builder.fmul(total, _load(context, builder, sig.args[9], args[9], args[10]))
        builder.store(total, _lanes_at(context, builder, sig.args[0], out, o), align=8)
        return context.get_dummy_value()
    return codegen


@intrinsic
def dot(typingctx, out, o, x, xo, xs, y, yo, ys, n):
    """Flat C-contiguous arrays, LANES lanes at once: out[o:] = 0.0 + x[xo:] * y[yo:]
    + x[xo + xs:] * y[yo + ys:] + ... (n terms, in this order: the scalar loop's sums,
    bit for bit; vectors of LANES doubles in registers, no aliasing checks)."""
    return types.void(out, o, x, xo, xs, y, yo, ys, n), _dot_codegen(False)


@intrinsic
def dot_times(typingctx, out, o, x, xo, xs, y, yo, ys, n, f, fo):
    """:func:`dot` times ``f[fo:fo + LANES]`` (one rounding more, as ``(sum) * f``)."""
    return types.void(out, o, x, xo, xs, y, yo, ys, n, f, fo), _dot_codegen(scaled=True)


@intrinsic
def dot_gather(typingctx, out, o, x, xo, xs, y, yo, ys, n, idx, at):
    """:func:`dot` with the m-th term of x at ``idx[at + m] * xs + xo`` (int64 ``idx``)."""
    return types.void(out, o, x, xo, xs, y, yo, ys, n, idx, at), _dot_codegen(gather=True)


def _cases(builder, value, cases, emit):
    """A switch on ``value``: ``emit(k)`` for each constant k in ``cases`` (straight-line
    code), nothing for any other value."""
    fn = builder.function
    merge, default = fn.append_basic_block("cases.end"), fn.append_basic_block("cases.else")
    switch = builder.switch(value, default)
    for k in cases:
        block = fn.append_basic_block(f"cases.{k}")
        switch.add_case(ir.Constant(value.type, k), block)
        builder.position_at_end(block)
        emit(k)
        builder.branch(merge)
    builder.position_at_end(default)
    builder.branch(merge)
    builder.position_at_end(merge)


def _rows_block(context, builder, sig, args, first, count):
    """IR of ``count`` rows of :func:`dot_rows` from row ``first``: one accumulator a row,
    the y vector loaded once a term for all of them."""
    out, o, os_, x, xo, xrs, xs, y, yo, ys, n, f, fo, scaled = args
    zero = ir.Constant(_vec(), [0.0] * LANES)
    accs = [cgutils.alloca_once_value(builder, zero) for _ in range(count)]
    bases = [builder.add(xo, builder.mul(builder.add(first, ir.Constant(_I64, r)), xrs))
             for r in range(count)]
    with cgutils.for_range(builder, n) as loop:  # (unrolled by a switch on n: slower)
        m = loop.index
        vy = _load(context, builder, sig.args[7], y, builder.add(yo, builder.mul(m, ys)))
        mx = builder.mul(m, xs)
        for acc, base in zip(accs, bases):
            vx = _load(context, builder, sig.args[3], x, builder.add(base, mx))
            builder.store(builder.fadd(builder.load(acc), builder.fmul(vx, vy)), acc)
    vf = _load(context, builder, sig.args[12], f, fo)
    for r, acc in enumerate(accs):
        total = builder.load(acc)
        total = builder.select(scaled, builder.fmul(total, vf), total)
        at = builder.add(o, builder.mul(builder.add(first, ir.Constant(_I64, r)), os_))
        builder.store(total, _lanes_at(context, builder, sig.args[0], out, at), align=8)


@intrinsic
def dot_rows(typingctx, out, o, os_, x, xo, xrs, xs, y, yo, ys, n, rows, f, fo, scaled):
    """``rows`` :func:`dot` (times ``f[fo:]`` if ``scaled``) of one y: row r has
    out at ``o + r * os_`` and x from ``xo + r * xrs``; :data:`ROWS` rows at a time
    (independent sums, each in the order of :func:`dot`)."""
    def codegen(context, builder, sig, args):
        rows_ = args[11]
        step = ir.Constant(_I64, ROWS)
        full = builder.sdiv(rows_, step)
        with cgutils.for_range(builder, full) as loop:
            _rows_block(context, builder, sig, args[:11] + args[12:],
                        builder.mul(loop.index, step), ROWS)
        _cases(builder, builder.sub(rows_, builder.mul(full, step)), range(1, ROWS),
               lambda k: _rows_block(context, builder, sig, args[:11] + args[12:],
                                     builder.mul(full, step), k))
        return context.get_dummy_value()
    return types.void(out, o, os_, x, xo, xrs, xs, y, yo, ys, n, rows, f, fo, scaled), codegen


def _elementwise_codegen(kind):
    """LLVM IR of the LANES-wide ``copy``, ``div``, ``mul`` and ``sub_mul`` below."""
    def codegen(context, builder, sig, args):
        out, o, a, ao = args[:4]
        va = _load(context, builder, sig.args[2], a, ao)
        to = _lanes_at(context, builder, sig.args[0], out, o)
        if kind == "copy":
            value = va
        else:
            vb = _load(context, builder, sig.args[4], args[4], args[5])
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
def copy(typingctx, out, o, a, ao):
    """LANES lanes at once (flat C-contiguous arrays): out[o:] = a[ao:]."""
    return types.void(out, o, a, ao), _elementwise_codegen("copy")


@intrinsic
def div(typingctx, out, o, a, ao, b, bo):
    """LANES lanes at once: out[o:] = a[ao:] / b[bo:]."""
    return types.void(out, o, a, ao, b, bo), _elementwise_codegen("div")


@intrinsic
def mul(typingctx, out, o, a, ao, b, bo):
    """LANES lanes at once: out[o:] = a[ao:] * b[bo:]."""
    return types.void(out, o, a, ao, b, bo), _elementwise_codegen("mul")


@intrinsic
def sub_mul(typingctx, out, o, a, ao, b, bo):
    """LANES lanes at once: out[o:] = out[o:] - a[ao:] * b[bo:] (two roundings)."""
    return types.void(out, o, a, ao, b, bo), _elementwise_codegen("sub_mul")


def _positive_codegen(inv_sqrt):
    def codegen(context, builder, sig, args):
        a, ao, bad = args
        at = _lanes_at(context, builder, sig.args[0], a, ao)
        v = builder.load(at, align=8)
        inf = ir.Constant(_vec(), [float("inf")] * LANES)
        ok = builder.and_(builder.fcmp_ordered(">", v, ir.Constant(_vec(), [0.0] * LANES)),
                          builder.fcmp_ordered("<", v, inf))
        v = builder.select(ok, v, ir.Constant(_vec(), [1.0] * LANES))
        if inv_sqrt:
            sqrt = cgutils.get_or_insert_function(
                builder.module, ir.FunctionType(_vec(), [_vec()]), f"llvm.sqrt.v{LANES}f64")
            v = builder.fdiv(ir.Constant(_vec(), [1.0] * LANES), builder.call(sqrt, [v]))
        builder.store(v, at, align=8)
        flags = context.make_array(sig.args[2])(context, builder, value=bad).data
        bvec = ir.VectorType(ir.IntType(8), LANES)
        fptr = builder.bitcast(flags, bvec.as_pointer())
        builder.store(builder.or_(builder.load(fptr, align=1),
                                  builder.zext(builder.not_(ok), bvec)), fptr, align=1)
        return context.get_dummy_value()
    return codegen


@intrinsic
def positive(typingctx, a, ao, bad):
    """LANES lanes at once: a lane of ``a[ao:]`` that is not positive or not finite (NaN,
    inf, <= 0) becomes 1.0 and sets its flag in ``bad`` (bool, LANES)."""
    return types.void(a, ao, bad), _positive_codegen(False)


@intrinsic
def inv_sqrt(typingctx, a, ao, bad):
    """:func:`positive`, then a[ao:] = 1.0 / sqrt(a[ao:]) (each correctly rounded, as
    ``1.0 / math.sqrt(v)``)."""
    return types.void(a, ao, bad), _positive_codegen(True)


def _stop_codegen(rule):
    def codegen(context, builder, sig, args):
        crit, a, b, c, p = args
        acc = cgutils.alloca_once_value(builder, ir.Constant(_vec(), [0.0] * LANES))
        fabs = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(_vec(), [_vec()]), f"llvm.fabs.v{LANES}f64")
        with cgutils.for_range(builder, p) as loop:
            at = builder.mul(loop.index, ir.Constant(_I64, LANES))
            va = _load(context, builder, sig.args[1], a, at)
            vb = _load(context, builder, sig.args[2], b, at)
            old = builder.load(acc)
            if rule == "sum_sq":  # |a| - |b c|, squared
                vc = _load(context, builder, sig.args[3], c, at)
                d = builder.fsub(builder.call(fabs, [va]),
                                 builder.call(fabs, [builder.fmul(vb, vc)]))
                new = builder.fadd(old, builder.fmul(d, d))
            else:
                d = builder.call(fabs, [builder.fsub(va, vb)])
                new = builder.fadd(old, d) if rule == "sum_abs" else \
                    builder.select(builder.fcmp_ordered(">", d, old), d, old)  # max()
            builder.store(new, acc)
        builder.store(builder.load(acc), _lanes_at(context, builder, sig.args[0], crit,
                                                   ir.Constant(_I64, 0)), align=8)
        return context.get_dummy_value()
    return codegen


@intrinsic
def max_abs(typingctx, crit, a, b, c, p):
    """LANES lanes at once, over rows q < p of (p, LANES) arrays: crit = max(crit,
    |a[q] - b[q]|) from 0.0, as Python's ``max`` (the larger unless it is NaN); ``c``
    unused."""
    return types.void(crit, a, b, c, p), _stop_codegen("max_abs")


@intrinsic
def sum_abs(typingctx, crit, a, b, c, p):
    """As :func:`max_abs`: crit = 0.0 + |a[0] - b[0]| + |a[1] - b[1]| + ..."""
    return types.void(crit, a, b, c, p), _stop_codegen("sum_abs")


@intrinsic
def sum_sq(typingctx, crit, a, b, c, p):
    """As :func:`max_abs`: crit = 0.0 + d[0]² + d[1]² + ..., d = |a| - |b c|."""
    return types.void(crit, a, b, c, p), _stop_codegen("sum_sq")


def _sign_codegen(context, builder, sig, args):
    out, o, a, ao = args
    v = _load(context, builder, sig.args[2], a, ao)
    zero = ir.Constant(_vec(), [0.0] * LANES)
    neg = builder.select(builder.fcmp_ordered("<", v, zero),
                         ir.Constant(_vec(), [-1.0] * LANES), zero)
    value = builder.select(builder.fcmp_ordered(">", v, zero),
                           ir.Constant(_vec(), [1.0] * LANES), neg)
    builder.store(value, _lanes_at(context, builder, sig.args[0], out, o), align=8)
    return context.get_dummy_value()


@intrinsic
def sign(typingctx, out, o, a, ao):
    """LANES lanes at once: out[o:] = 1.0, -1.0 or 0.0 as a[ao:] > 0, < 0 or neither
    (NaN: 0.0)."""
    return types.void(out, o, a, ao), _sign_codegen


#: the largest system :func:`solve_small` solves (in registers, unrolled)
SMALL = 6


def _solve_unrolled(context, builder, sig, args, m):
    """IR of :func:`solve_small` for an m x m system: the operations of
    ``_kernel_jit._solve_lanes`` in its order, on values in registers."""
    A, b, x, _, bad = args
    P = builder.extract_value(context.make_array(sig.args[0])(context, builder, value=A).shape, 1)
    L = ir.Constant(_I64, LANES)

    def at(r, q):
        return builder.mul(builder.add(builder.mul(ir.Constant(_I64, r), P),
                                       ir.Constant(_I64, q)), L)
    a = [[_load(context, builder, sig.args[0], A, at(r, q)) if q >= 0 else None
          for q in range(m)] for r in range(m)]
    bv = [_load(context, builder, sig.args[1], b, ir.Constant(_I64, r * LANES))
          for r in range(m)]
    zero, one = ir.Constant(_vec(), [0.0] * LANES), ir.Constant(_vec(), [1.0] * LANES)
    inf = ir.Constant(_vec(), [float("inf")] * LANES)
    notok = None
    for c in range(m):
        d = a[c][c]
        ok = builder.and_(builder.fcmp_ordered(">", d, zero), builder.fcmp_ordered("<", d, inf))
        a[c][c] = builder.select(ok, d, one)
        notok = builder.not_(ok) if notok is None else builder.or_(notok, builder.not_(ok))
        for r in range(c + 1, m):
            f = builder.fdiv(a[r][c], a[c][c])
            for q in range(c, m):
                a[r][q] = builder.fsub(a[r][q], builder.fmul(f, a[c][q]))
            bv[r] = builder.fsub(bv[r], builder.fmul(f, bv[c]))
    xs = [None] * m
    for c in range(m - 1, -1, -1):
        f = bv[c]
        for q in range(c + 1, m):
            f = builder.fsub(f, builder.fmul(a[c][q], xs[q]))
        xs[c] = builder.fdiv(f, a[c][c])
    for c in range(m):
        builder.store(xs[c], _lanes_at(context, builder, sig.args[2], x,
                                       ir.Constant(_I64, c * LANES)), align=8)
    flags = context.make_array(sig.args[4])(context, builder, value=bad).data
    bvec = ir.VectorType(ir.IntType(8), LANES)
    fptr = builder.bitcast(flags, bvec.as_pointer())
    builder.store(builder.or_(builder.load(fptr, align=1), builder.zext(notok, bvec)), fptr,
                  align=1)


@intrinsic
def solve_small(typingctx, A, b, x, m, bad):
    """``_kernel_jit._solve_lanes`` for m <= :data:`SMALL` (returns True), unrolled, the
    matrix in registers (no round trips through memory between the steps); returns
    False, doing nothing, for a larger m. The same operations in the same order: the
    same bits."""
    def codegen(context, builder, sig, args):
        m_ = args[3]
        done = cgutils.alloca_once_value(builder, ir.Constant(ir.IntType(1), 0))
        for size in range(1, SMALL + 1):
            with builder.if_then(builder.icmp_signed("==", m_, ir.Constant(m_.type, size))):
                _solve_unrolled(context, builder, sig, args, size)
                builder.store(ir.Constant(ir.IntType(1), 1), done)
        return builder.load(done)
    return types.boolean(A, b, x, m, bad), codegen
