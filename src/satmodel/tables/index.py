"""Index formulas (docs/methods.md §6.1, §6.3): 0-100 index, item weights, score SDs,
impacts — batched array functions — and the ``index`` table.

For construct j with items i, standardized outer weights w_i, item SDs s_i, item means
x̄_i and theoretical scale end points [min_i, max_i]::

    u_i   = w_i / s_i                                   (unstandardized weight)
    index = 100 · Σ u_i (x̄_i − min_i) / Σ u_i (max_i − min_i)

The same number is the weighted mean of the items rescaled to 0-100,
100 (x̄_i − min_i)/(max_i − min_i), with the *rescaled-metric* weights
u_i (max_i − min_i) / Σ u_k (max_k − min_k); on mixed scales these differ from the
*raw-metric* normalized weights u_i / Σ u_k (:func:`index_weights` gives both).
Per respondent the score is the same formula on the respondent's answers; with
complete data the index is the (weighted) mean of the respondent scores.

Examples
--------
The worked example of docs/methods.md §6.1 (1-10 scale):

>>> M = np.ones((3, 1))
>>> u = np.array([0.40, 0.35, 0.45]) / np.array([1.5, 2.0, 1.8])
>>> round(float(block_index(u, np.array([8.0, 7.2, 7.5]), 1.0, 10.0, M)[0]), 10)
73.5207496653
>>> [round(float(v), 10) for v in index_weights([0.40, 0.35, 0.45], [1.5, 2.0, 1.8], 1, 10)]
[0.3855421687, 0.2530120482, 0.3614457831]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import OptionError
from ._held import per_model
from .base import TableDef, construct_keys

__all__ = ["index_weights", "block_index", "respondent_index", "score_sd", "impact",
           "declared_scales", "INDEX"]


def _arrays(*values: Any) -> list[np.ndarray]:
    return [np.asarray(v, dtype=float) for v in values]


def index_weights(weights: Any, std: Any, scale_min: Any, scale_max: Any,
                  route: str = "raw") -> np.ndarray:
    """Normalized unstandardized weights of one block (they sum to 1).

    Parameters
    ----------
    weights, std : array_like
        Standardized outer weights and item SDs.
    scale_min, scale_max : float or array_like
        Theoretical scale end points per item.
    route : {"raw", "rescaled"}
        ``"raw"``: u_i / Σu (weights of the items in their own metric, ACSI's
        "unstandardized weights"); ``"rescaled"``: u_i (max_i − min_i) / Σ u (max − min),
        the weights of the items rescaled to 0-100 (SmartPLS IPMA).

    Examples
    --------
    Mixed scales of docs/methods.md §6.1:

    >>> w = index_weights([0.40, 0.35, 0.45], [1.5, 0.9, 2.1], [1, 1, 0], [10, 5, 10], "rescaled")
    >>> [round(float(v), 7) for v in w]
    [0.393545, 0.2550755, 0.3513795]
    """
    w, s, lo, hi = _arrays(weights, std, scale_min, scale_max)
    u = w / s
    if route == "rescaled":
        u = u * (hi - lo)
    elif route != "raw":
        raise OptionError(f"route={route!r}: choose 'raw' or 'rescaled'")
    return u / u.sum(axis=-1, keepdims=True)


def block_index(u: np.ndarray, mean: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                membership: np.ndarray) -> np.ndarray:
    """Index of every block at once, batched: u, mean (..., p); lo, hi (p,) -> (..., J).

    ``u`` are unstandardized weights (w / sd), ``membership`` the (p, J) block matrix.
    """
    M = np.asarray(membership, dtype=float)
    return 100.0 * ((u * (mean - lo)) @ M) / ((u * (hi - lo)) @ M)


def score_sd(u: np.ndarray, hi: np.ndarray, lo: np.ndarray, membership: np.ndarray) -> np.ndarray:
    """SD of each block's 0-100 respondent score, (..., J).

    A proxy Σ w_i z_i has unit variance, so Σ u_i x_i has SD 1 and the 0-100 score
    100 Σ u_i (x_i − min_i) / Σ u_i (max_i − min_i) has SD 100 / Σ u_i (max_i − min_i).
    """
    M = np.asarray(membership, dtype=float)
    return 100.0 / ((u * (hi - lo)) @ M)


def respondent_index(X: np.ndarray, u: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                     membership: np.ndarray) -> np.ndarray:
    """0-100 score of every respondent (rows of ``X``, no NaN) on every block, (n, J).

    >>> M = np.ones((2, 1), dtype=bool)
    >>> respondent_index(np.array([[10.0, 10.0], [1.0, 1.0]]), np.array([1.0, 2.0]),
    ...                  np.array([1.0, 1.0]), np.array([10.0, 10.0]), M).ravel().tolist()
    [100.0, 0.0]
    """
    M = np.asarray(membership, dtype=float)
    return 100.0 * ((np.asarray(X) - lo) * u) @ M / ((u * (hi - lo)) @ M)


def impact(total: Any, sd_target: Any, sd_driver: Any, per_points: float = 1.0) -> np.ndarray:
    """ACSI impact: index points of the target per ``per_points`` points of the driver.

    impact = standardized total effect · sd(target score) / sd(driver score), both on
    0-100 (the unstandardized total effect, IPMA's importance), times ``per_points``.

    >>> impact([0.60, 0.40, 0.25], 15.0, [18.0, 16.0, 20.0]).tolist()
    [0.5, 0.375, 0.1875]
    >>> float(impact(0.60, 15.0, 18.0, per_points=5))
    2.5
    """
    t, st, sd = _arrays(total, sd_target, sd_driver)
    return t * st / sd * float(per_points)


def declared_scales(spec) -> tuple[np.ndarray, np.ndarray]:
    """Scale end points per indicator from the spec (NaN where none is declared)."""
    lo = [np.nan if i.scale_min is None else i.scale_min for c in spec.constructs for i in c.indicators]
    hi = [np.nan if i.scale_max is None else i.scale_max for c in spec.constructs for i in c.indicators]
    return np.array(lo, dtype=float), np.array(hi, dtype=float)


def _index_values(ctx) -> np.ndarray:
    """Index of every construct, batched; NaN (not defined) where an item has no declared
    scale or the block has a negative weight (docs/methods.md §6.2)."""
    lo, hi, M, undeclared = per_model(ctx.spec, ctx.layout, "index", _index_arrays)
    u = ctx.est.weights / ctx.std
    with np.errstate(invalid="ignore", divide="ignore"):
        values = block_index(u, ctx.mean, lo, hi, M)
    negative = ((u < 0) @ M) > 0
    return np.where(negative | undeclared, np.nan, values)


def _index_arrays(spec, layout) -> tuple[np.ndarray, ...]:
    """For :func:`_index_values`: the declared scale end points (0 where none), the
    membership as floats and the blocks with an undeclared scale."""
    lo, hi = declared_scales(spec)
    M = layout.membership.astype(float)
    return np.nan_to_num(lo), np.nan_to_num(hi), M, (np.isnan(lo) @ M) > 0


INDEX = TableDef(construct_keys, {"index": _index_values}, nullable=("index",))
