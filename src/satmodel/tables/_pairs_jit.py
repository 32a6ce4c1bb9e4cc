"""The numba-compiled block-pair sums of :mod:`satmodel.tables.pairs` for batches
(imported through :class:`satmodel._compiled.Compiled` only; importing this module
imports numba).

Every sum is ``np.add.reduceat``'s, operation for operation: a group's first value,
plus numpy's pairwise sum of the others (:func:`_pairwise`), so the numbers are the
numpy path's bit for bit. What is saved: numpy's gather (``take``), separate passes
and reduceat's call per group and matrix. :data:`WIDTH` matrices are summed side by
side (pair-major scratch, the matrices innermost: loops the compiler vectorizes).

The indicator VIFs of the same matrices are computed in the same pass with
:mod:`satmodel.tables._validity_jit`'s steps, inlined: numba's disk cache does not see
edits there, so after editing ``_validity_jit.py`` delete
``__pycache__/_pairs_jit*.nb[ic]`` (an installed upgrade replaces every file: no issue).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._validity_jit import block_scratch, blocks_wide

#: numpy's pairwise summation: runs of at most this many values are summed by eight
#: interleaved accumulators, longer ones split in two (numpy's PW_BLOCKSIZE)
BLOCK = 128
#: matrices summed side by side (the innermost, vectorized loop)
WIDTH = 32


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _leaf(a, lo, n, out, r, m):
    """numpy's pairwise sum of at most :data:`BLOCK` values ``a[lo:lo + n, q]`` into
    ``out[q]`` for the columns q < m (each column alone, the columns side by side):
    fewer than 8 values one after another from -0.0; else eight accumulators (value i
    into accumulator i % 8, ``r``: (8, WIDTH) scratch) combined as
    ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7)), then the rest one after another."""
    if n < 8:
        for q in range(m):
            out[q] = -0.0
        for i in range(lo, lo + n):
            row = a[i]
            for q in range(m):
                out[q] += row[q]
        return
    for j in range(8):
        row, rj = a[lo + j], r[j]
        for q in range(m):
            rj[q] = row[q]
    end = lo + n - n % 8
    for i in range(lo + 8, end, 8):
        for j in range(8):
            row, rj = a[i + j], r[j]
            for q in range(m):
                rj[q] += row[q]
    for q in range(m):
        out[q] = ((r[0, q] + r[1, q]) + (r[2, q] + r[3, q])) + \
                 ((r[4, q] + r[5, q]) + (r[6, q] + r[7, q]))
    for i in range(end, lo + n):
        row = a[i]
        for q in range(m):
            out[q] += row[q]


@njit(cache=True, nogil=True, error_model="numpy")
def _pairwise(a, lo, n, out, r, m):
    """:func:`_leaf` for any n: longer runs than :data:`BLOCK` split at half rounded
    down to a multiple of 8, the halves' sums added (numpy's recursion)."""
    if n <= BLOCK:
        _leaf(a, lo, n, out, r, m)
        return
    n2 = n // 2
    n2 -= n2 % 8
    right = np.empty(m)
    _pairwise(a, lo, n2, out, r, m)
    _pairwise(a, lo + n2, n - n2, right, r, m)
    for q in range(m):
        out[q] = out[q] + right[q]


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _group_sums(a, first, out, n0, m, rest, r):
    """``out[n0 + q, g]`` = ``np.add.reduceat(a[:, q], first)[g]`` for the columns
    q < m of ``a`` (P, WIDTH): each group's first value plus the pairwise sum of the
    others (``rest`` (WIDTH,), ``r``: scratch)."""
    G, P = first.shape[0], a.shape[0]
    for g in range(G):
        lo = first[g]
        n = (first[g + 1] if g + 1 < G else P) - lo - 1
        head = a[lo]
        if n == 0:
            for q in range(m):
                out[n0 + q, g] = head[q]
            continue
        if n > BLOCK:  # a group of 130+ pairs (a block of 17+ items): numpy splits it
            _pairwise(a, lo + 1, n, rest, r, m)
        else:
            _leaf(a, lo + 1, n, rest, r, m)
        for q in range(m):
            out[n0 + q, g] = head[q] + rest[q]


@njit(cache=True, nogil=True, error_model="numpy")
def signed_and_abs_sums(S, at, first, work, signed, absolute, blocks, starts, vif, small):
    """For the matrices ``S`` (N, p * p, rows flattened), their item pairs ``S[n, at[t]]``
    (t in group order, groups starting at ``first``): per group, the sums of the values
    into ``signed[n]`` and of their absolute values into ``absolute[n]`` (N, G),
    as ``np.add.reduceat`` over the pairs gives them; the absolute values kept in
    ``work`` (ceil(N / width), P, width): ``work[b, t, q]`` that of matrix b width + q,
    1.0 past N (any width; the caller's is :data:`WIDTH`). Returns how many |r| are at
    most 1e-12 (NaN is not); after their sums, such an |r| becomes 1.0 in ``work``
    (log 0, as the numpy path takes it) and its group is flagged in ``small`` (N, G,
    False on entry).

    Also, for the blocks ``starts`` (none: ``[0]``), the indicator VIFs of
    :func:`._validity_jit.block_inverse_diagonals` of ``blocks`` (the same matrices,
    (N, p, p)) into ``vif``, the same numbers: each width of matrices right after
    their pairs are read, while their blocks are in the cache (from memory, reading S
    a second time cost as much as the VIFs' arithmetic)."""
    N, P, width = S.shape[0], at.shape[0], work.shape[2]
    rest, r = np.empty(width), np.empty((8, width))
    scratch = block_scratch(starts, width)
    zero = 0
    for b in range(work.shape[0]):
        n0 = b * width
        m = min(width, N - n0)
        w = work[b]
        for t in range(P):  # the pairs, matrices innermost
            at_t, wt = at[t], w[t]
            for q in range(m):
                wt[q] = S[n0 + q, at_t]
        blocks_wide(blocks, starts, n0, m, scratch, vif)
        _group_sums(w, first, signed, n0, m, rest, r)
        before = zero
        for t in range(P):
            wt = w[t]
            for q in range(m):
                v = abs(wt[q])
                zero += 1 if v <= 1e-12 else 0
                wt[q] = v
            for q in range(m, width):
                wt[q] = 1.0
        _group_sums(w, first, absolute, n0, m, rest, r)
        if zero > before:  # rare (integer data: an exact zero)
            _flag_small(w, first, n0, m, small)
    return zero


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _flag_small(w, first, n0, m, small):
    """Each |r| at most 1e-12 of the pair-major ``w`` (m matrices): its group flagged
    in ``small[n0 + q]``, 1.0 in its place."""
    G, P = first.shape[0], w.shape[0]
    for g in range(G):
        for t in range(first[g], first[g + 1] if g + 1 < G else P):
            wt = w[t]
            for q in range(m):
                if wt[q] <= 1e-12:
                    small[n0 + q, g] = True
                    wt[q] = 1.0


@njit(cache=True, nogil=True, error_model="numpy")
def group_sums(work, first, out):
    """``out[n]`` = ``np.add.reduceat`` over ``first`` of matrix n's values in the
    pair-major ``work`` of :func:`signed_and_abs_sums` (``out`` (N, G))."""
    N, width = out.shape[0], work.shape[2]
    rest, r = np.empty(width), np.empty((8, width))
    for b in range(work.shape[0]):
        _group_sums(work[b], first, out, b * width, min(width, N - b * width), rest, r)

