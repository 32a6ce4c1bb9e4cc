"""Discriminant validity and collinearity: HTMT, HTMT2, Fornell-Larcker, VIF.

Every function takes batched arrays (leading axes: bootstrap resamples, groups) and
returns batched arrays, so the bootstrap evaluates the same code on B resamples at
once. The long tables ``htmt_pairs``, ``vif`` and ``inner_vif`` are defined here and
listed in :data:`satmodel.tables.TABLES`.

Definitions (docs/methods.md §3):

- **HTMT** (Henseler, Ringle & Sarstedt 2015, JAMS 43(1)): the mean absolute
  correlation of the items of construct i with those of construct j, divided by the
  geometric mean of the mean absolute within-block correlations of i and of j
  (off-diagonal elements). A single-item block's within-block mean is taken as 1
  (seminr's convention; cSEM leaves such constructs out). The diagonal is 1.
- **HTMT2** (Roemer, Schuberth & Henseler 2021, IMDS 121(12)): the same with
  geometric instead of arithmetic means (cSEM, ADANCO).
- **Fornell-Larcker** (Fornell & Larcker 1981): AVE on the diagonal, squared
  construct correlations off it (ADANCO and cSEM layout). seminr prints the square
  root of the diagonal and the signed correlations instead.
- **Indicator VIF**: diag of the inverse block correlation matrix (the VIF of each
  item regressed on the other items of its block); 1 for single-item blocks.
- **Inner VIF**: diag of the inverse correlation matrix of each endogenous
  construct's predictors (PLSc-corrected correlations when ``consistent=True``).

Example
-------
>>> import numpy as np
>>> from satmodel.engine import Layout
>>> S = np.array([[1.0, 0.6, 0.3, 0.3], [0.6, 1.0, 0.3, 0.3],
...               [0.3, 0.3, 1.0, 0.5], [0.3, 0.3, 0.5, 1.0]])
>>> lay = Layout(block_of=np.array([0, 0, 1, 1]), modes=("A", "A"),
...              adjacency=np.array([[False, True], [False, False]]),
...              common_factor=np.array([True, True]))
>>> round(float(htmt_matrix(S, lay)[0, 1]), 6)  # 0.3 / sqrt(0.6 * 0.5)
0.547723
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._compiled import MIN_BATCH, Compiled
from .._linalg import inv
from ..spec.layout import Layout
from ..spec.model import ModelSpec
from ._held import per_layout, per_model, starts_of
from .base import Context, TableDef, outer_keys, pair_positions, path_index, path_keys
from .pairs import block_sums, groups, item_pairs, pair_counts, shared_group_sums, shared_vif

__all__ = ["abs_item_pairs", "htmt_matrix", "fornell_larcker_matrix", "indicator_vif", "inner_vif",
           "construct_pairs", "predecessors"]


def _block_means(pairs: np.ndarray, lay: Layout) -> np.ndarray:
    """Mean of the item-pair values ``pairs`` (..., pairs k < l) over every pair of blocks:
    (..., J, J), symmetric (NaN within a single-item block)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return block_sums(pairs, lay) / pair_counts(lay)


def abs_item_pairs(S: np.ndarray, layout: Layout) -> np.ndarray:
    """|S[k, l]| for items k < l (grouped by block pair, as :func:`.pairs.item_pairs`),
    shape (..., p (p - 1) / 2): what HTMT and HTMT2 average."""
    return np.abs(item_pairs(S, layout))


def htmt_matrix(S: np.ndarray, layout: Layout, *, geometric: bool = False,
                pairs: np.ndarray | None = None) -> np.ndarray:
    """HTMT (or HTMT2 with ``geometric=True``) for every pair of constructs.

    Parameters
    ----------
    S : ndarray, shape (..., p, p)
        Indicator correlation matrices.
    layout : Layout
    geometric : bool
        Geometric means of the absolute correlations (HTMT2) instead of arithmetic ones.
    pairs : ndarray, optional
        :func:`abs_item_pairs` of ``S`` when already at hand. ``S`` is read as symmetric:
        each item pair once, from its upper triangle.

    Returns
    -------
    ndarray, shape (..., J, J)
        Symmetric, unit diagonal; NaN where not defined (a block whose items are
        uncorrelated, or a zero correlation in HTMT2's geometric means).

    Examples
    --------
    >>> import numpy as np
    >>> from satmodel.engine import Layout
    >>> S = np.eye(3); S[0, 1] = S[1, 0] = 0.64; S[0, 2] = S[2, 0] = S[1, 2] = S[2, 1] = 0.4
    >>> lay = Layout(np.array([0, 0, 1]), ("A", "unit"), np.zeros((2, 2), bool), np.array([True, False]))
    >>> round(float(htmt_matrix(S, lay)[1, 0]), 6)  # single item: within mean 1
    0.5
    """
    A = abs_item_pairs(S, layout) if pairs is None else pairs
    if geometric:  # a zero correlation makes that block pair's geometric mean 0; a batched
        zero = A <= 1e-12  # product leaves an exact 0 at rounding level (+-1e-17): zero too
        if not zero.any():  # the usual case: one pass, the same numbers
            return _htmt_of(np.exp(_block_means(np.log(A), layout)), layout)
        logs = np.log(A, out=np.zeros_like(A), where=~zero)  # 0 where zero (set below)
        avg = np.exp(_block_means(logs, layout))
        avg = np.where(_block_means(zero.astype(float), layout) > 0, 0.0, avg)
    else:
        avg = _block_means(A, layout)
    return _htmt_of(avg, layout)


def _htmt_of(avg: np.ndarray, layout: Layout) -> np.ndarray:
    """HTMT from the (..., J, J) block means of the absolute correlations (or their
    geometric means): between-block mean over the root of the within-block means."""
    J = layout.n_constructs
    single = layout.membership.sum(axis=0) == 1
    idx = np.arange(J)
    within = np.where(single, 1.0, avg[..., idx, idx])
    with np.errstate(divide="ignore", invalid="ignore"):
        out = avg / np.sqrt(within[..., :, None] * within[..., None, :])
    out = np.where(np.isfinite(out), out, np.nan)
    out[..., idx, idx] = 1.0
    return out


def fornell_larcker_matrix(construct_corr: np.ndarray, ave: np.ndarray) -> np.ndarray:
    """AVE on the diagonal, squared construct correlations off it: shape (..., J, J).

    >>> import numpy as np
    >>> fornell_larcker_matrix(np.array([[1.0, 0.5], [0.5, 1.0]]), np.array([0.6, 0.7])).tolist()
    [[0.6, 0.25], [0.25, 0.7]]
    """
    out = np.asarray(construct_corr, dtype=float) ** 2
    J = out.shape[-1]
    idx = np.arange(J)
    out[..., idx, idx] = ave
    return out


def indicator_vif(S: np.ndarray, layout: Layout) -> np.ndarray:
    """VIF of each indicator within its block, shape (..., p); 1 for single items.

    NaN (not defined) where a block's correlation matrix is singular.

    >>> import numpy as np
    >>> from satmodel.engine import Layout
    >>> S = np.array([[1.0, 0.6], [0.6, 1.0]])
    >>> lay = Layout(np.array([0, 0]), ("B",), np.zeros((1, 1), bool), np.array([False]))
    >>> indicator_vif(S, lay).round(6).tolist()  # 1 / (1 - 0.36)
    [1.5625, 1.5625]
    """
    S = np.asarray(S, dtype=float)
    out = np.ones(S.shape[:-1])
    starts = starts_of(layout)
    if S.ndim == 3 and len(S) >= MIN_BATCH and starts is not None \
            and S.shape[1:] == (starts[-1], starts[-1]):  # (numba checks no bounds)
        ran, _ = _BLOCK_INVERSE_DIAGONALS.call(np.ascontiguousarray(S), starts, out)
        if ran:  # every block in one compiled pass
            return np.where(np.isfinite(out) & (out >= 1.0 - 1e-12), out, np.nan)
    for j in range(layout.n_constructs):
        idx = layout.block(j)
        if idx.size > 1:
            out[..., idx] = _inverse_diagonal(S[..., idx[:, None], idx[None, :]])
    return out


#: compiled diag(A^-1) for batches of at least MIN_BATCH matrices
_INVERSE_DIAGONAL = Compiled("satmodel.tables._validity_jit", "inverse_diagonal",
                             "VIF step")
_BLOCK_INVERSE_DIAGONALS = Compiled("satmodel.tables._validity_jit",
                                    "block_inverse_diagonals", "VIF step")


def predecessors(layout: Layout) -> tuple[np.ndarray, np.ndarray]:
    """Every target's predictors (ascending) one after another, and where each target's
    start (int64, J + 1): target j's are ``preds[starts[j]:starts[j + 1]]``.

    >>> A = np.zeros((3, 3), bool); A[0, 2] = A[1, 2] = True
    >>> lay = Layout(np.arange(3), ("unit",) * 3, A, np.zeros(3, bool))
    >>> [a.tolist() for a in predecessors(lay)]
    [[0, 1], [0, 0, 0, 2]]
    """
    starts, preds = layout.incoming()
    return preds, starts


def _inverse_diagonal(A: np.ndarray) -> np.ndarray:
    """diag(A^-1) batched; NaN for singular or non-positive-definite elements."""
    out = None
    k = A.shape[-1]
    flat = np.ascontiguousarray(A, dtype=float).reshape(-1, k, k)
    if len(flat) >= MIN_BATCH:
        diag = np.empty(flat.shape[:2])
        ran, _ = _INVERSE_DIAGONAL.call(flat, diag)
        out = diag.reshape(A.shape[:-1]) if ran else None
    if out is None:
        out = np.diagonal(inv(A), axis1=-2, axis2=-1)
    return np.where(np.isfinite(out) & (out >= 1.0 - 1e-12), out, np.nan)


def inner_vif(construct_corr: np.ndarray, layout: Layout) -> np.ndarray:
    """VIF of each structural predictor in its target's regression, shape (..., J, J).

    ``out[..., i, j]`` is the VIF of predictor i in the regression of construct j
    (1 when j has a single predictor, 0 where there is no path i -> j).

    >>> import numpy as np
    >>> from satmodel.engine import Layout
    >>> R = np.array([[1.0, 0.5, 0.3], [0.5, 1.0, 0.4], [0.3, 0.4, 1.0]])
    >>> A = np.zeros((3, 3), bool); A[0, 2] = A[1, 2] = True
    >>> lay = Layout(np.array([0, 1, 2]), ("unit",) * 3, A, np.zeros(3, bool))
    >>> round(float(inner_vif(R, lay)[0, 2]), 6)  # 1 / (1 - 0.5**2)
    1.333333
    """
    R = np.asarray(construct_corr, dtype=float)
    out = np.zeros(R.shape)
    for j, pred in enumerate(per_layout(layout, "predictor_lists", _predictor_lists)):
        if pred.size == 1:
            out[..., pred[0], j] = 1.0
        elif pred.size > 1:
            out[..., pred, j] = _inverse_diagonal(R[..., pred[:, None], pred[None, :]])
    return out


def _predictor_lists(layout: Layout) -> tuple[np.ndarray, ...]:
    """Each construct's predictors (ascending positions)."""
    return tuple(np.flatnonzero(layout.adjacency[:, j]) for j in range(layout.n_constructs))


# ------------------------------------------------------------------ tables

def construct_pairs(spec: ModelSpec) -> list[tuple[str, str]]:
    """Unordered construct pairs (i before j in spec order), row-major."""
    names = spec.construct_names
    return [(a, b) for k, a in enumerate(names) for b in names[k + 1:]]


def _pair_keys(spec: ModelSpec) -> pd.DataFrame:
    return pd.DataFrame(construct_pairs(spec), columns=["source", "target"])


def _htmt_pairs(ctx: Context, geometric: bool) -> np.ndarray:
    """HTMT (HTMT2) of the table's construct pairs from the context's shared block-pair
    sums: the operations of :func:`htmt_matrix` on those pairs only, so the same numbers
    (its (..., J, J) matrices are never made)."""
    lay = ctx.layout
    counts = groups(lay)[2]
    i, j, single, within, between = per_model(ctx.spec, lay, "htmt_pairs", _htmt_index)
    if not counts.size:  # one single-item construct: no pairs
        return np.zeros(np.shape(ctx.S)[:-2] + (i.size,))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        avg = shared_group_sums(ctx, "log" if geometric else "abs") / counts
        if geometric:
            avg = np.exp(avg)
            zero = shared_group_sums(ctx, "zero")
            if zero is not None:
                avg = np.where(zero, 0.0, avg)
        w = np.where(single, 1.0, avg[..., within])
        out = avg[..., between] / np.sqrt(w[..., i] * w[..., j])
    return np.where(np.isfinite(out), out, np.nan)


def _htmt_index(spec: ModelSpec, lay: Layout) -> tuple[np.ndarray, ...]:
    """For :func:`_htmt_pairs`: the construct pairs (i, j) of the table, single-item
    blocks, each block's own group (0 for a single item) and each pair's group."""
    within, between, _ = groups(lay)
    pos = {c: n for n, c in enumerate(spec.construct_names)}
    i, j = pair_positions(pos, construct_pairs(spec))
    single = lay.membership.sum(axis=0) == 1
    return i, j, single, np.maximum(within, 0), between[i, j]


def _inner_vif_values(ctx: Context) -> np.ndarray:
    i, j = path_index(ctx)
    return inner_vif(ctx.est.construct_corr, ctx.layout)[..., i, j]


def _vif_values(ctx: Context) -> np.ndarray:
    """:func:`indicator_vif` of the context's correlations; for a batch, those the shared
    compiled pair-sum pass computes on the way (the same kernel's numbers, checked here
    as there)."""
    out = shared_vif(ctx)
    if out is None:
        return indicator_vif(ctx.S, ctx.layout)
    return np.where(np.isfinite(out) & (out >= 1.0 - 1e-12), out, np.nan)


HTMT_PAIRS = TableDef(
    _pair_keys,
    {"htmt": lambda c: _htmt_pairs(c, geometric=False),
     "htmt2": lambda c: _htmt_pairs(c, geometric=True)},
    nullable=("htmt", "htmt2"),
)
VIF = TableDef(outer_keys, {"vif": _vif_values}, nullable=("vif",))
INNER_VIF = TableDef(path_keys, {"vif": _inner_vif_values}, nullable=("vif",))
