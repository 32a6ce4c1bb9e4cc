"""Item pairs k < l of correlation matrices and their sums over blocks, shared by the
tables that average correlations within and between blocks (HTMT, HTMT2, Cronbach's
alpha): the batch's pairs are taken once a context (:func:`shared_item_pairs`), each
symmetric pair read once (the upper triangle), and summed over blocks in one pass
(``np.add.reduceat``: each block pair's values are adjacent).

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

from ..spec.layout import Layout
from .base import Context

__all__ = ["block_sums", "item_pairs", "pair_counts", "shared_item_pairs"]


def _pairs(lay: Layout) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Items k < l (two index arrays), grouped by block pair (i <= j: the blocks of k and
    l); where each group starts; its blocks i and j."""
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


def shared_item_pairs(ctx: Context) -> np.ndarray:
    """:func:`item_pairs` of the context's correlations, taken once for every table."""
    return ctx.shared("item_pairs", lambda: item_pairs(ctx.S, ctx.layout))
