"""Item pairs k < l of correlation matrices and their sums over blocks, shared by the
tables that average correlations within and between blocks (HTMT, HTMT2, Cronbach's
alpha): each symmetric pair read once (the upper triangle) and summed over blocks in one
pass (``np.add.reduceat``: each block pair's values are adjacent); a context keeps the
sums its tables asked for (:func:`shared_group_sums`). For a batch, a compiled pass
(:mod:`._pairs_jit`) gathers the pairs and sums them in reduceat's order, many matrices
side by side: the same bits, faster than ``take`` + ``reduceat`` (the signed, absolute
and log sums of 1,250 ECSI matrices: 0.75-0.85 ms against 1.2-1.3 ms, of which numpy's
log takes ~0.3 ms; 15 x 80 items: 12-14 ms against 18-21 ms, reading the matrices).
The same pass computes the indicator VIFs while the matrices are in the cache
(:func:`shared_vif`), and flags the |r| of at most 1e-12 that integer data give.

>>> import numpy as np
>>> from satmodel.spec.layout import Layout
>>> lay = Layout(np.array([0, 0, 1]), ("A", "A"), np.zeros((2, 2), bool), np.ones(2, bool))
>>> S = np.array([[1.0, 0.5, 0.2], [0.5, 1.0, 0.4], [0.2, 0.4, 1.0]])
>>> item_pairs(S, lay).tolist(), block_sums(item_pairs(S, lay), lay).tolist()
([0.5, 0.2, 0.4], [[0.5, 0.6000000000000001], [0.6000000000000001, 0.0]])
>>> pair_counts(lay).tolist()
[[1.0, 2.0], [2.0, 0.0]]
"""

from __future__ import annotations

import numpy as np

from .._compiled import MIN_BATCH, Compiled
from ..spec.layout import Layout
from ._held import per_layout as _per_layout, starts_of
from .base import Context

__all__ = ["block_sums", "group_sums", "groups", "item_pairs", "pair_counts", "shared_group_sums",
           "shared_vif"]


def _pairs(lay: Layout) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Items k < l (two index arrays), grouped by block pair (i <= j: the blocks of k and
    l); where each group starts; its blocks i and j. Made once per layout."""
    return _per_layout(lay, "pairs", _make_pairs)


def groups(lay: Layout) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The groups of :func:`group_sums` by block: ``within[j]`` the group of block j's own
    pairs (-1 for a single item), ``between[i, j]`` that of blocks i and j (symmetric,
    -1 on the diagonal), ``counts[g]`` the pairs of group g (float)."""
    return _per_layout(lay, "groups", _make_groups)


def _make_groups(lay: Layout) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    _, l, first, i, j = _pairs(lay)
    J = lay.n_constructs
    within, between = np.full(J, -1), np.full((J, J), -1)
    g = np.arange(first.size)
    within[i[i == j]] = g[i == j]
    between[i[i != j], j[i != j]] = between[j[i != j], i[i != j]] = g[i != j]
    return within, between, np.diff(np.r_[first, l.size]).astype(float)


def _make_pairs(lay: Layout) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    k, l = np.triu_indices(lay.block_of.size, 1)
    bi, bj = lay.block_of[k], lay.block_of[l]
    lo, hi = np.minimum(bi, bj), np.maximum(bi, bj)
    order = np.lexsort((hi, lo))  # stable: row-major within a block pair
    k, l, lo, hi = k[order], l[order], lo[order], hi[order]
    first = np.flatnonzero(np.r_[True, (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])])
    return k, l, first, lo[first], hi[first]


def pair_counts(lay: Layout) -> np.ndarray:
    """Item pairs per block pair (J, J): k_i k_j between blocks, k_i (k_i - 1) / 2 within."""
    _, l, first, i, j = _pairs(lay)
    out = np.zeros((lay.n_constructs, lay.n_constructs))
    out[i, j] = out[j, i] = np.diff(np.r_[first, l.size])
    return out


def item_pairs(S: np.ndarray, lay: Layout) -> np.ndarray:
    """S[..., k, l] for items k < l grouped by block pair, shape (..., p (p - 1) / 2);
    ``S`` is read as symmetric (its upper triangle)."""
    k, l, _, _, _ = _pairs(lay)
    S = np.asarray(S, dtype=float)
    p = S.shape[-1]
    flat = np.ascontiguousarray(S).reshape(S.shape[:-2] + (p * p,))
    return np.take(flat, k * p + l, axis=-1)  # a take: faster than S[..., k, l]


def block_sums(pairs: np.ndarray, lay: Layout) -> np.ndarray:
    """Sums of the item-pair values ``pairs`` (..., pairs of :func:`item_pairs`) over
    every pair of blocks: (..., J, J), symmetric; within a block over its pairs k < l
    (one pass: each block pair's values are adjacent)."""
    _, _, first, i, j = _pairs(lay)
    J = lay.n_constructs
    out = np.zeros(pairs.shape[:-1] + (J, J))
    if first.size:
        sums = np.add.reduceat(pairs, first, axis=-1)
        out[..., i, j] = sums
        out[..., j, i] = sums
    return out


def group_sums(S: np.ndarray, lay: Layout) -> dict[str, np.ndarray]:
    """Per block pair (the groups of :func:`item_pairs`, shape (..., G)): the sums of the
    item correlations (``"signed"``), of their absolute values (``"abs"``) and of their
    logs (``"log"``, 0 for an |r| of at most 1e-12), and where a group has such a zero
    (``"zero"``, bool, or None when no group has one): what HTMT, HTMT2 and Cronbach's
    alpha average. Each value is ``np.add.reduceat``'s over the item pairs.

    >>> import numpy as np
    >>> lay = Layout(np.array([0, 0, 1]), ("A", "A"), np.zeros((2, 2), bool), np.ones(2, bool))
    >>> S = np.array([[1.0, 0.5, -0.2], [0.5, 1.0, 0.4], [-0.2, 0.4, 1.0]])
    >>> [group_sums(S, lay)[c].round(12).tolist() for c in ("signed", "abs")]
    [[0.5, 0.2], [0.5, 0.6]]
    """
    memo: dict = {}
    return {key: _sums(S, lay, key, lambda k, make: memo[k] if k in memo else
                       memo.setdefault(k, make())) for key in ("signed", "abs", "log", "zero")}


def shared_group_sums(ctx: Context, key: str) -> np.ndarray | None:
    """The entry ``key`` of :func:`group_sums` of the context's correlations, each part
    made once for every table and only when a table asks (alpha needs no logs)."""
    return _sums(ctx.S, ctx.layout, key, ctx.shared)


def _sums(S: np.ndarray, lay: Layout, key: str, shared) -> np.ndarray | None:
    """One entry of :func:`group_sums`; ``shared(name, make)`` keeps the parts."""
    first = _pairs(lay)[2]
    if not first.size:
        return None if key == "zero" else np.zeros(np.shape(S)[:-2] + (0,))
    S = np.asarray(S)
    if _batched(S, lay):
        parts = shared("pair_sums_compiled", lambda: _compiled_sums(S, lay))
        if parts is not None:  # the compiled pass ran: signed and absolute sums at once
            if key in ("signed", "abs"):
                return parts[key]
            return shared("pair_sums_log", lambda: _compiled_log_sums(parts, first))[key]
    # one (..., pairs) array for every part, in place: r, summed; then |r|, summed; then
    # log |r|, summed (each part made before the next overwrites the array)
    work = shared("pair_sums_work", lambda: item_pairs(S, lay))
    signed = shared("pair_sums_signed", lambda: np.add.reduceat(work, first, axis=-1))
    if key == "signed":
        return signed
    abs_sums = shared("pair_sums_abs", lambda: np.add.reduceat(
        np.abs(work, out=work), first, axis=-1))
    if key == "abs":
        return abs_sums
    return shared("pair_sums_log", lambda: _log_sums(work, first))[key]


#: compiled block-pair sums (the numbers of reduceat) for batches of at least MIN_BATCH
_SIGNED_AND_ABS = Compiled("satmodel.tables._pairs_jit", "signed_and_abs_sums",
                           "block-pair sums")
_GROUP_SUMS = Compiled("satmodel.tables._pairs_jit", "group_sums", "block-pair sums")
_WIDTH = 32  # the matrices a compiled pass sums side by side (the kernels read it off work)


def _flat_pairs(lay: Layout) -> tuple[np.ndarray, np.ndarray]:
    """The item pairs of :func:`_pairs` as positions in a flattened (p * p) matrix, and
    where each group starts (int64, for compiled code)."""
    def make(lay: Layout) -> tuple[np.ndarray, np.ndarray]:
        k, l, first, _, _ = _pairs(lay)
        return (k * lay.block_of.size + l).astype(np.int64), first.astype(np.int64)
    return _per_layout(lay, "flat", make)


def _compiled_sums(S: np.ndarray, lay: Layout) -> dict | None:
    """The ``"signed"`` and ``"abs"`` sums of :func:`group_sums` (each (N, G)) by one
    compiled pass; the |r| it keeps for the logs (1.0 where at most 1e-12: log 0, as
    in :func:`_log_sums`) and the groups with such an |r| (``"small"``, or None); when
    the blocks are consecutive items, the same pass's diagonals of the blocks' inverses
    (``"vif"``, (N, p): the numbers of :func:`.validity.indicator_vif`'s compiled pass,
    1 for a single item, not yet checked; else None). None when the compiled code is
    off or unusable (the numpy path then does the work)."""
    at, first = _flat_pairs(lay)
    starts = starts_of(lay)
    N = len(S)
    work = np.empty((-(-N // _WIDTH), at.size, _WIDTH))
    signed, absolute = np.empty((N, first.size)), np.empty((N, first.size))
    S = np.ascontiguousarray(S)
    vif, small = np.ones(S.shape[:-1]), np.zeros((N, first.size), bool)
    ran, zeros = _SIGNED_AND_ABS.call(S.reshape(N, -1), at, first, work, signed, absolute,
                                      S, _NO_BLOCKS if starts is None else starts, vif, small)
    if not ran:
        return None
    return {"signed": signed, "abs": absolute, "work": work, "small": small if zeros else None,
            "n": N, "vif": None if starts is None else vif}


_NO_BLOCKS = np.zeros(1, np.int64)  # no blocks: the compiled pass computes no VIF
_NO_BLOCKS.flags.writeable = False


def shared_vif(ctx: Context) -> np.ndarray | None:
    """The indicator VIFs (N, p, unchecked: see :func:`.validity.indicator_vif`) that the
    context's compiled pair-sum pass computes on the way (the pass runs if no table has
    asked for it yet), or None where that pass does not apply (no batch, no compiled
    code, blocks not consecutive items): the caller computes them itself then."""
    if not _batched(ctx.S, ctx.layout) or not _pairs(ctx.layout)[2].size:
        return None
    parts = ctx.shared("pair_sums_compiled", lambda: _compiled_sums(ctx.S, ctx.layout))
    return None if parts is None else parts["vif"]


def _batched(S, lay: Layout) -> bool:
    """Whether the compiled pass of :func:`_compiled_sums` may take ``S``."""
    return isinstance(S, np.ndarray) and S.ndim == 3 and len(S) >= MIN_BATCH \
        and S.shape[1:] == (lay.block_of.size,) * 2 and S.dtype == np.float64 \
        and S.dtype.isnative  # (numba checks no bounds)


def _compiled_log_sums(parts: dict, first: np.ndarray) -> dict[str, np.ndarray | None]:
    """:func:`_log_sums` from the |r| of :func:`_compiled_sums` (overwritten by their
    logs): numpy's log of the same values (log 1.0 = 0 where |r| is at most 1e-12, the
    0 of :func:`_log_sums`), summed in reduceat's order; ``"zero"``: the pass's flags."""
    work, N = parts["work"], parts["n"]
    out = np.empty((N, first.size))
    first64 = first.astype(np.int64, copy=False)
    step = len(work) if work.nbytes <= 8 * _LOG_CHUNK else \
        max(1, _LOG_CHUNK // work[0].nbytes)  # widths of matrices at a time: a large
    for b0 in range(0, len(work), step):  # work's logs summed while in the cache
        chunk = work[b0:b0 + step]
        np.log(chunk, out=chunk)
        ran, _ = _GROUP_SUMS.call(chunk, first64, out[b0 * _WIDTH:(b0 + step) * _WIDTH])
        if not ran:  # switched off between the calls: numpy's sums of the same logs
            np.log(work[b0 + step:], out=work[b0 + step:])
            return {"log": np.add.reduceat(_pair_major(work, N), first, axis=-1),
                    "zero": parts["small"]}
    return {"log": out, "zero": parts["small"]}


#: bytes of |r| logged and summed at a time when ``work`` exceeds 8 of them (15 x 80
#: items, 1,250 matrices: 3.6 against 5.1 ms; ECSI's 3.6 MB in one go, as fast)
_LOG_CHUNK = 1 << 19


def _pair_major(work: np.ndarray, N: int) -> np.ndarray:
    """The first ``N`` matrices' values of :func:`_compiled_sums`' ``work``, a row each."""
    return np.ascontiguousarray(work.transpose(0, 2, 1).reshape(-1, work.shape[1])[:N])


def _log_sums(A: np.ndarray, first: np.ndarray) -> dict[str, np.ndarray]:
    """The ``"log"`` and ``"zero"`` entries of :func:`group_sums` from the |r| ``A`` of
    the pairs (overwritten by their logs)."""
    zero = A <= 1e-12  # a batched product leaves an exact 0 at rounding level (+-1e-17)
    if not zero.any():  # the usual case: one pass
        zero = None
        logs = np.log(A, out=A)
    else:
        logs = np.log(A, out=np.zeros_like(A), where=~zero)  # 0 where zero (see HTMT2)
        zero = np.add.reduceat(zero.astype(float), first, axis=-1) > 0
    return {"log": np.add.reduceat(logs, first, axis=-1), "zero": zero}
