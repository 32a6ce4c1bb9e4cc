"""The compiled iteration's interleaving of LANES batch elements (LLVM IR; imported by
:mod:`satmodel.engine._kernel_jit`, importing it imports numba): element i's matrix
``S[b0 + i]`` becomes lane i of ``T`` (rows, columns, lanes), a row piece of eight
columns at a time transposed in registers, and the lanes holding a NaN or inf are
flagged (the numpy path redoes those elements). Tested in
tests/test_engine_kernel_speed.py.

>>> from satmodel.engine._lanes_jit import LANES
>>> LANES
16
"""

from __future__ import annotations

from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic

from ._lanes_jit import LANES

_I64 = ir.IntType(64)


def _vec(n=LANES):
    return ir.VectorType(ir.DoubleType(), n)


def _mask(indices):
    """A shufflevector mask."""
    indices = list(indices)
    return ir.Constant(ir.VectorType(ir.IntType(32), len(indices)), indices)


def _transpose8(builder, rows):
    """The 8 columns of 8 rows (<8 x double> each): butterflies of distance 4, 2, 1."""
    rows = list(rows)
    for d in (4, 2, 1):
        new = list(rows)
        for j in range(8):
            if j & d:
                continue
            lo = [x if not x & d else 8 + x - d for x in range(8)]
            hi = [x + d if not x & d else 8 + x for x in range(8)]
            new[j] = builder.shuffle_vector(rows[j], rows[j + d], _mask(lo))
            new[j + d] = builder.shuffle_vector(rows[j], rows[j + d], _mask(hi))
        rows = new
    return rows


@intrinsic
def interleave(typingctx, T, S, b0, nl, bad):
    """T[r, c, i] = S[b0 + i, r, c] for the LANES lanes (lane i >= nl copies lane 0), and
    bad[i] = whether S[b0 + i] holds a NaN or inf. Eight columns at a time: a row piece
    of each lane's matrix, transposed in registers; the last p % 8 columns one by one."""
    def codegen(context, builder, sig, args):
        t_arr = context.make_array(sig.args[0])(context, builder, value=args[0])
        s_arr = context.make_array(sig.args[1])(context, builder, value=args[1])
        b0_, nl_ = args[2], args[3]
        p = builder.extract_value(s_arr.shape, 1)
        bases = []
        for i in range(LANES):
            lane = ir.Constant(_I64, i)
            src = builder.select(builder.icmp_signed(">=", lane, nl_), b0_,
                                 builder.add(b0_, lane))
            bases.append(builder.gep(s_arr.data, [builder.mul(src, builder.mul(p, p))]))
        zero = ir.Constant(_vec(), [0.0] * LANES)
        flag_t = ir.VectorType(ir.IntType(1), LANES)
        flags = cgutils.alloca_once_value(builder, ir.Constant(flag_t, [0] * LANES))
        eight = ir.Constant(_I64, 8)
        whole = builder.mul(builder.sdiv(p, eight), eight)

        def put(rc, v):  # T's LANES at flat (r, c) = rc, and v's non-finite lanes
            out = builder.gep(t_arr.data, [builder.mul(rc, ir.Constant(_I64, LANES))])
            builder.store(v, builder.bitcast(out, _vec().as_pointer()), align=8)
            odd = builder.fcmp_unordered("!=", builder.fmul(v, zero), zero)
            builder.store(builder.or_(builder.load(flags), odd), flags)

        with cgutils.for_range(builder, p) as rows:
            r = rows.index
            with cgutils.for_range(builder, builder.sdiv(p, eight)) as chunks:
                c0 = builder.mul(chunks.index, eight)
                rc0 = builder.add(builder.mul(r, p), c0)
                parts = [builder.load(builder.bitcast(builder.gep(base, [rc0]),
                                                      _vec(8).as_pointer()), align=8)
                         for base in bases]
                low, high = _transpose8(builder, parts[:8]), _transpose8(builder, parts[8:])
                for c in range(8):
                    v = builder.shuffle_vector(low[c], high[c], _mask(range(LANES)))
                    put(builder.add(rc0, ir.Constant(_I64, c)), v)
            with cgutils.for_range(builder, builder.sub(p, whole)) as tail:
                rc = builder.add(builder.mul(r, p), builder.add(whole, tail.index))
                v = ir.Constant(_vec(), ir.Undefined)
                for i in range(LANES):
                    v = builder.insert_element(v, builder.load(builder.gep(bases[i], [rc])),
                                               ir.Constant(ir.IntType(32), i))
                put(rc, v)
        bvec = ir.VectorType(ir.IntType(8), LANES)
        out = context.make_array(sig.args[4])(context, builder, value=args[4]).data
        builder.store(builder.zext(builder.load(flags), bvec),
                      builder.bitcast(out, bvec.as_pointer()), align=1)
        return context.get_dummy_value()
    return types.void(T, S, b0, nl, bad), codegen
