"""Item pairs k < l of correlation matrices and their sums over blocks, shared by the
tables that average correlations within and between blocks (HTMT, HTMT2, Cronbach's
alpha): the batch's pairs are taken once a context (:func:`shared_item_pairs`), each
symmetric pair read once, and summed over blocks by one GEMM.

>>> import numpy as np
>>> from satmodel.spec.layout import Layout
>>> lay = Layout(np.array([0, 0, 1]), ("A", "A"), np.zeros((2, 2), bool), np.ones(2, bool))
>>> S = np.array([[1.0, 0.5, 0.2], [0.5, 1.0, 0.4], [0.2, 0.4, 1.0]])
>>> item_pairs(S, lay).tolist(), block_sums(item_pairs(S, lay), lay).tolist()
([0.5, 0.2, 0.4], [[0.5, 0.6000000000000001], [0.6000000000000001, 0.0]])
"""

from __future__ import annotations

import numpy as np

from ..spec.layout import Layout
from .base import Context

__all__ = ["block_sums", "item_pairs", "pair_counts", "shared_item_pairs"]


def _pairs(lay: Layout) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Items k < l (two index arrays, row-major) and the 0/1 map (pairs, J * J) of each
    pair to its block pair, both (i, j) and (j, i)."""
    k, l = np.triu_indices(lay.block_of.size, 1)
    J = lay.n_constructs
    bi, bj = lay.block_of[k], lay.block_of[l]
    to = np.zeros((k.size, J * J))
    to[np.arange(k.size), bi * J + bj] = 1.0
    to[np.arange(k.size), bj * J + bi] = 1.0
    return k, l, to


def pair_counts(lay: Layout) -> np.ndarray:
    """Item pairs per block pair (J, J): k_i k_j between blocks, k_i (k_i - 1) / 2 within."""
    J = lay.n_constructs
    return _pairs(lay)[2].sum(axis=0).reshape(J, J)


def item_pairs(S: np.ndarray, lay: Layout) -> np.ndarray:
    """S[..., k, l] for items k < l (row-major), shape (..., p (p - 1) / 2); ``S`` is read
    as symmetric (its upper triangle)."""
    k, l, _ = _pairs(lay)
    S = np.asarray(S, dtype=float)
    p = S.shape[-1]
    flat = np.ascontiguousarray(S).reshape(S.shape[:-2] + (p * p,))
    return np.take(flat, k * p + l, axis=-1)  # a take: faster than S[..., k, l]


def block_sums(pairs: np.ndarray, lay: Layout) -> np.ndarray:
    """Sums of the item-pair values ``pairs`` (..., pairs of :func:`item_pairs`) over
    every pair of blocks: (..., J, J), symmetric; within a block over its pairs k < l."""
    _, _, to = _pairs(lay)
    J = lay.n_constructs
    flat = np.ascontiguousarray(pairs).reshape(-1, pairs.shape[-1])
    return (flat @ to).reshape(pairs.shape[:-1] + (J, J))


def shared_item_pairs(ctx: Context) -> np.ndarray:
    """:func:`item_pairs` of the context's correlations, taken once for every table."""
    return ctx.shared("item_pairs", lambda: item_pairs(ctx.S, ctx.layout))
