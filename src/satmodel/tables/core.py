"""The core tables: paths, outer model, effects, R² and reliability, batched.

>>> import satmodel as sm
>>> from satmodel.tables import TABLES
>>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
>>> TABLES["quality"].values(res.context, "alpha").shape
(6,)
"""

from __future__ import annotations

import numpy as np

from .base import Context, TableDef, ValueFn, construct_keys, effect_keys, endogenous_keys, \
    model_index, outer_keys, path_index, path_keys
from .pairs import groups, shared_group_sums


def _path_values(ctx: Context) -> np.ndarray:
    i, j = path_index(ctx)
    return ctx.est.paths[..., i, j]


def _effect(kind: str) -> ValueFn:
    def fn(ctx: Context) -> np.ndarray:
        return ctx.shared("effects", lambda: _effects(ctx))[kind]
    return fn


def _effects(ctx: Context) -> dict[str, np.ndarray]:
    """Direct, indirect and total effects of every route, made once per context."""
    i, j = model_index(ctx)["effects"]
    direct = ctx.est.paths[..., i, j]
    total = ctx.est.total[..., i, j]
    return {"direct": direct, "total": total, "indirect": total - direct}


def _block_sum(ctx: Context, values: np.ndarray) -> np.ndarray:
    """Sum of per-indicator values within each block: (..., p) -> (..., J)."""
    return values @ model_index(ctx)["membership"]


def cronbach_alpha(S: np.ndarray, membership: np.ndarray) -> np.ndarray:
    """Standardized Cronbach's alpha of each block, k/(k - 1) (1 - k / sum of the block's
    correlations), batched: ``S`` (..., p, p) item correlations, ``membership`` (p, J)
    booleans; 1 for single-item blocks. PLS and CB-SEM results both report this one.

    >>> cronbach_alpha(np.array([[1.0, 0.5], [0.5, 1.0]]), np.array([[True], [True]])).round(6).tolist()
    [0.666667]
    """
    M = np.asarray(membership, dtype=float)
    k = M.sum(axis=0)
    S = np.asarray(S, dtype=float)
    p = S.shape[-1]
    # M' S M's diagonal as one GEMM over all rows of the batch (a batched einsum is ~6x slower)
    total = ((S.reshape(-1, p) @ M).reshape(S.shape[:-1] + M.shape[1:]) * M).sum(axis=-2)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = k / (k - 1) * (1.0 - k / total)
    return np.where(k > 1, alpha, 1.0)


def _alpha(ctx: Context) -> np.ndarray:
    """Cronbach's alpha from the context's shared item pairs (see :func:`cronbach_alpha`):
    the sum of a block's correlations is k + 2 Σ_{k<l} r_kl."""
    lay = ctx.layout
    k = model_index(ctx)["sizes"]
    group = groups(lay)[0]
    within = np.zeros(np.shape(ctx.S)[:-2] + (k.size,))
    if (group >= 0).any():  # the sum of a block's pairs k < l (0 for a single item)
        signed = shared_group_sums(ctx, "signed")
        within = np.where(group >= 0, signed[..., np.maximum(group, 0)], 0.0)
    total = k + 2.0 * within
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = k / (k - 1) * (1.0 - k / total)
    return np.where(k > 1, alpha, 1.0)


def _rho_c(ctx: Context) -> np.ndarray:
    lam = ctx.est.loadings
    s = _block_sum(ctx, lam) ** 2
    return s / (s + _block_sum(ctx, 1.0 - lam**2))


def _ave(ctx: Context) -> np.ndarray:
    k = model_index(ctx)["sizes"]
    return _block_sum(ctx, ctx.est.loadings**2) / k


def _r2_all(ctx: Context) -> np.ndarray:
    """R² per construct; NaN for exogenous constructs (not defined)."""
    return np.where(model_index(ctx)["endo"], ctx.est.r2, np.nan)


def _r2_adj_all(ctx: Context) -> np.ndarray:
    k = model_index(ctx)["n_preds"]
    n = np.asarray(ctx.n_obs, dtype=float)[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        adj = 1.0 - (1.0 - ctx.est.r2) * (n - 1.0) / (n - k - 1.0)
    return np.where(k > 0, adj, np.nan)


def _r2_endogenous(ctx: Context) -> np.ndarray:
    return ctx.est.r2[..., model_index(ctx)["endogenous"]]


PATHS = TableDef(path_keys, {"estimate": _path_values})
OUTER = TableDef(outer_keys, {"weight": lambda c: c.est.weights, "loading": lambda c: c.est.loadings})
EFFECTS = TableDef(effect_keys, {"direct": _effect("direct"), "indirect": _effect("indirect"),
                                 "total": _effect("total")})
R2 = TableDef(endogenous_keys, {"r2": _r2_endogenous})
QUALITY = TableDef(construct_keys, {"alpha": _alpha, "rho_a": lambda c: c.est.rho_a,
                                    "rho_c": _rho_c, "ave": _ave, "r2": _r2_all,
                                    "r2_adj": _r2_adj_all},
                   nullable=("r2", "r2_adj"))
