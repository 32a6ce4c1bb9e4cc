"""The numba-compiled cross products of byte-sized integers (imported through
:class:`satmodel._compiled.Compiled` only; importing this module imports numba).

``out += A @ Z`` for small non-negative integer weights ``A`` (bytes, 0-255: bootstrap
counts, masks) and small integer products ``Z`` (signed bytes, -128..127: the products
of survey codes up to 11 in magnitude), summed in 32-bit integers: exact, so the same
numbers as the float32 product of :mod:`satmodel.moments.exact` whenever both are exact.
The multiply-adds are AVX-512 VNNI's ``vpdpbusd`` (64 byte products a
instruction: on a CPU that has it, several times a float32 GEMM's rate); a
:data:`ROWS` x :data:`COLS` tile of the output stays in registers while the products
stream through. ``Z`` is packed four rows at a time (:func:`pack_products`), as the
instruction reads it.
"""

from __future__ import annotations

import llvmlite.binding as llvm
import numpy as np
from llvmlite import ir
from numba import njit
from numba.core import cgutils, config, types
from numba.extending import intrinsic

from ._core_jit import integer_weights

#: output rows (weight vectors) and columns (products) of one register tile
ROWS, COLS = 12, 32
_VEC = COLS // 2  # two vectors of 16 int32 a tile row


def _vector_at(builder, data, offset, vec):
    return builder.bitcast(builder.gep(data, [offset]), vec.as_pointer())


@intrinsic
def _tile(typingctx, out, A, Zp, r0, c0, last, ksteps, width, kpad, k0):
    """``out[r0 + r, c0:c0 + COLS] += sum over k < 4 ksteps of A[r0 + r, k0 + k] Z[k, :]``
    for r < ROWS (rows past ``last`` read row ``last`` and are not stored): ``out``
    (int32, row length ``width``), ``A`` (uint8, row length ``kpad``), ``Zp`` (int8,
    packed: ``Zp[(k // 4 * width + c) * 4 + k % 4]`` = Z[k, c])."""
    def codegen(context, builder, sig, args):
        out_, A_, Z_, r0_, c0_, last_, ks_, w_, kpad_, k0_ = args
        o = context.make_array(sig.args[0])(context, builder, value=out_).data
        a = context.make_array(sig.args[1])(context, builder, value=A_).data
        z = context.make_array(sig.args[2])(context, builder, value=Z_).data
        i32, i64 = ir.IntType(32), ir.IntType(64)
        v16 = ir.VectorType(i32, 16)
        dp = cgutils.get_or_insert_function(builder.module, ir.FunctionType(v16, [v16] * 3),
                                            "llvm.x86.avx512.vpdpbusd.512")
        rows = [builder.select(builder.icmp_signed(">", builder.add(r0_, ir.Constant(i64, r)),
                                                   last_), last_,
                               builder.add(r0_, ir.Constant(i64, r))) for r in range(ROWS)]
        outs = [[_vector_at(builder, o, builder.add(builder.mul(rows[r], w_),
                                                    builder.add(c0_, ir.Constant(i64, 16 * t))),
                            v16) for t in range(2)] for r in range(ROWS)]
        acc = [[cgutils.alloca_once_value(builder, builder.load(outs[r][t], align=4))
                for t in range(2)] for r in range(ROWS)]
        arow = [builder.add(builder.mul(rows[r], kpad_), k0_) for r in range(ROWS)]
        zero = ir.Constant(v16, [0] * 16)
        with cgutils.for_range(builder, ks_) as loop:
            k = loop.index
            zb = builder.mul(builder.add(builder.mul(k, w_), c0_), ir.Constant(i64, 4))
            zv = [builder.load(builder.bitcast(builder.gep(z, [builder.add(
                zb, ir.Constant(i64, 64 * t))]), v16.as_pointer()), align=1) for t in range(2)]
            for r in range(ROWS):
                ap = builder.bitcast(builder.gep(a, [builder.add(arow[r], builder.mul(
                    k, ir.Constant(i64, 4)))]), i32.as_pointer())
                word = builder.insert_element(zero, builder.load(ap, align=1),
                                              ir.Constant(i32, 0))
                word = builder.shuffle_vector(word, zero, ir.Constant(v16, [0] * 16))
                for t in range(2):
                    builder.store(builder.call(dp, [builder.load(acc[r][t]), word, zv[t]]),
                                  acc[r][t])
        for r in range(ROWS):
            keep = builder.icmp_signed("<=", builder.add(r0_, ir.Constant(i64, r)), last_)
            with builder.if_then(keep):
                for t in range(2):
                    builder.store(builder.load(acc[r][t]), outs[r][t], align=4)
        return context.get_dummy_value()
    sig = types.void(out, A, Zp, r0, c0, last, ksteps, width, kpad, k0)
    return sig, codegen


@njit(cache=True, nogil=True)
def add_products(out, A, k0, Zp):
    """``out`` (M, width) int32 += ``A[:, k0:k0 + k]`` (uint8) @ the packed ``Zp`` of k
    rows (see :func:`pack_products`; k0 and k multiples of 4, ``width`` of
    :data:`COLS`)."""
    M, width = out.shape
    ksteps = Zp.shape[0] // (4 * width)
    for c0 in range(0, width, COLS):
        for r0 in range(0, M, ROWS):
            _tile(out, A, Zp, r0, c0, M - 1, ksteps, width, A.shape[1], k0)


@njit(cache=True, nogil=True)
def pack_products(Z, width, Zp):
    """``Z`` (k, n) integer products (float) into ``Zp`` int8 (kpad * width): four rows
    side by side a column (``Zp[(k // 4 * width + c) * 4 + k % 4]``), zeros past ``Z``;
    False when a product is not an integer in [-128, 127] (``Zp`` is then unusable)."""
    K, N = Z.shape
    Zp[:] = 0
    for k in range(K):
        base = k // 4 * width * 4 + k % 4
        for c in range(N):
            v = Z[k, c]
            if not (v >= -128.0 and v <= 127.0) or v != np.floor(v):
                return False
            Zp[base + 4 * c] = np.int8(v)
    return True


def supported() -> bool:
    """Whether the code numba builds may use AVX-512 VNNI: the host has it (else the
    instruction would stop the process), numba compiles (``NUMBA_DISABLE_JIT`` unset)
    with AVX (``NUMBA_ENABLE_AVX``, which numba turns off on some virtual CPUs), and a
    target named by ``NUMBA_CPU_NAME``/``NUMBA_CPU_FEATURES`` (portable caches) lists it."""
    host = llvm.get_host_cpu_features()
    if config.DISABLE_JIT or not (host.get("avx512vnni") and host.get("avx512bw")):
        return False
    if config.CPU_NAME or config.CPU_FEATURES:
        named = config.CPU_FEATURES or ""
        return "+avx512vnni" in named and "+avx512bw" in named
    return bool(config.ENABLE_AVX)


#: the target's answer, found once
_SUPPORTED: list[bool] = []
#: bytes of the float64 products of one block of rows (the rows packed at a time)
BLOCK_BYTES = 16 * 2**20


def byte_sums(c: np.ndarray, X: np.ndarray, j: np.ndarray, k: np.ndarray,
              big: float, limit: float) -> np.ndarray | None:
    """The exact sums ``c @ (X1[:, j] * X1[:, k])`` as int32 (M, width >= j.size), with
    X1 = ``X`` and a column of ones, or None: no VNNI, a weight not an integer in
    [0, 255], a product not an integer in [-128, 127] (``big`` >= max |X| above 11), or
    a weight vector's sum times ``big``² reaching ``limit`` (the caller's exactness
    bound) or 2^31."""
    if not _SUPPORTED:
        _SUPPORTED.append(supported())
    if not _SUPPORTED[0] or big > 11.0:  # |x| > 11: its square is no signed byte
        return None
    M, (rows, p) = c.shape[0], X.shape
    A = np.empty((M, -(-rows // 4) * 4), np.uint8)
    most = integer_weights(c, A, 256.0)
    if most < 0.0 or most * big * big >= min(limit, 2.0**31):  # int32 holds every sum
        return None
    width = -(-j.size // COLS) * COLS
    out = np.zeros((M, width), np.int32)
    step = max(4, BLOCK_BYTES // (8 * j.size) // 4 * 4)  # rows a block: a multiple of 4
    for start in range(0, max(rows, 1), step):
        X1 = np.ones((min(step, rows - start), p + 1))
        X1[:, :p] = X[start:start + step]
        Zp = np.empty(-(-len(X1) // 4) * 4 * width, np.int8)
        if not pack_products(X1[:, j] * X1[:, k], width, Zp):
            return None
        add_products(out, A, start, Zp)
    return out
