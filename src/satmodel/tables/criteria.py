"""Effect sizes f², information criteria per endogenous construct, and Tenenhaus' GoF.

Batched functions of the engine's arrays, and the tables ``f2`` (source, target, f2),
``f2_reestimated``, ``information_criteria`` (construct, aic, aicc, aicu, bic, fpe, hq,
hqc) and ``gof`` (measure, value) listed in :data:`satmodel.tables.TABLES`.

**f²** (Cohen 1988) = (R²_incl - R²_excl) / (1 - R²_incl). By default (cSEM, ADANCO)
R²_excl is the R² of the target regressed on its other predictors using the *same*
construct correlations (PLSc-corrected when ``consistent=True``): no re-estimation.
seminr (and SmartPLS, per the literature) instead **re-estimate the whole PLS model
without the path** — the weights change, so f² differs slightly (mobi: 0.30355
re-estimated vs 0.30240 from the same correlations); :func:`f2_reestimated` does that.
A target whose only predictor is dropped has R²_excl = 0.

**Information criteria** per endogenous construct, as cSEM computes them (Sharma et
al. 2019, Table B1): SSE = (1 - R²)(n - 1) (unit-variance scores), k = number of
predictors + 1,
AIC = n ln(SSE/n) + 2k; AICc = n (ln(SSE/n) + (n + k)/(n - k - 2));
AICu = n ln(SSE/(n - k)) + 2k; BIC = n ln(SSE/n) + k ln n; FPE = SSE/(n - k) (1 + k/n);
HQ = n ln(SSE/n) + 2k ln ln n; HQc = n ln(SSE/n) + 2k n ln ln n / (n - k - 2);
GM = SSE/MSE + k ln n; Mallows' Cp = SSE/MSE - (n - 2k), with MSE = 1 - R² of the
construct in the *saturated* structural model (every construct regressed on all
constructs before it in a topological order), which cSEM and this module obtain by
re-estimating the model. AIC and BIC equal seminr's (its k counts predictors, its
penalty k + 1).

**GoF** (Tenenhaus, Amato & Esposito Vinzi 2004) = √(mean squared loading × mean R²),
loadings of the indicators of multi-item constructs (cSEM since 0.5, R plspm; PLSc
loadings for common factors; ``single_items=True``: of all indicators, as cSEM up to
0.4), R² of the endogenous constructs. Henseler & Sarstedt (2013) show it does not
measure fit.

Example
-------
>>> import numpy as np
>>> from satmodel.engine import Layout
>>> R = np.array([[1.0, 0.5, 0.3], [0.5, 1.0, 0.4], [0.3, 0.4, 1.0]])
>>> A = np.zeros((3, 3), bool); A[0, 2] = A[1, 2] = True
>>> lay = Layout(np.array([0, 1, 2]), ("unit",) * 3, A, np.zeros(3, bool))
>>> r2 = np.array([0.0, 0.0, (0.3**2 + 0.4**2 - 2 * 0.5 * 0.3 * 0.4) / (1 - 0.25)])
>>> round(float(f2_matrix(R, r2, lay)[0, 2]), 6)  # (R² - 0.4²) / (1 - R²)
0.016129
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._compiled import MIN_BATCH, Compiled
from .._linalg import solve
from ..engine.pls import Estimate
from ..engine.refit import Refit
from ..spec.layout import Layout, structural_order
from ..spec.model import ModelSpec
from ._held import per_layout
from .base import Context, TableDef, endogenous_keys, model_index, path_index, path_keys
from .validity import predecessors

__all__ = ["f2_matrix", "f2_reestimated", "information_criteria_values", "gof_value",
           "CRITERIA", "saturated_r2"]

CRITERIA = ("aic", "aicc", "aicu", "bic", "fpe", "gm", "hq", "hqc", "mallows_cp")
_BATCHED = ("aic", "aicc", "aicu", "bic", "fpe", "hq", "hqc")  # no re-estimation needed


#: compiled f² of every path for batches of at least MIN_BATCH
_F2_PATHS = Compiled("satmodel.tables._structural_jit", "f2_paths", "f² step")


def _r2_on(R: np.ndarray, pred: np.ndarray, j: int) -> np.ndarray:
    """R² of construct j regressed on ``pred`` using correlations R (batched)."""
    if pred.size == 0:
        return np.zeros(R.shape[:-2])
    Rpp = R[..., pred[:, None], pred[None, :]]
    r = R[..., pred, j]
    beta = solve(Rpp, r)
    return np.sum(beta * r, axis=-1)


def f2_matrix(construct_corr: np.ndarray, r2: np.ndarray, layout: Layout) -> np.ndarray:
    """f² of every path from the same construct correlations, shape (..., J, J).

    ``out[..., i, j]`` is f² of the path i -> j (0 where there is no path; NaN where
    R² = 1, not defined).
    """
    R = np.asarray(construct_corr, dtype=float)
    r2 = np.asarray(r2, dtype=float)
    out = np.zeros(R.shape)
    J = layout.n_constructs
    if R.ndim == 3 and len(R) >= MIN_BATCH and R.shape[1:] == (J, J) \
            and r2.shape == R.shape[:2] and R.dtype.isnative and r2.dtype.isnative:
        # (numba checks no bounds: the shapes are checked here)
        ran, _ = _F2_PATHS.call(np.ascontiguousarray(R), np.ascontiguousarray(r2),
                                *per_layout(layout, "predecessors", predecessors), out)
        if ran:  # every path in one compiled pass (Cholesky, LU where not definite)
            return out
    for j in range(layout.n_constructs):
        preds = np.flatnonzero(layout.adjacency[:, j])
        for i in preds:
            excl = _r2_on(R, preds[preds != i], j)
            with np.errstate(all="ignore"):
                out[..., i, j] = (r2[..., j] - excl) / (1.0 - r2[..., j])
    return np.where(np.isfinite(out), out, np.nan)


def _sub_layout(layout: Layout, keep: np.ndarray, adjacency: np.ndarray) -> tuple[Layout, np.ndarray]:
    """Layout of the constructs ``keep`` (bool, J) with a new adjacency; item indices."""
    cidx = np.flatnonzero(keep)
    items = np.flatnonzero(keep[layout.block_of])
    remap = -np.ones(layout.n_constructs, dtype=int)
    remap[cidx] = np.arange(cidx.size)
    lay = Layout(block_of=remap[layout.block_of[items]],
                 modes=tuple(layout.modes[c] for c in cidx),
                 adjacency=adjacency[np.ix_(cidx, cidx)],
                 common_factor=np.asarray(layout.common_factor)[cidx])
    return lay, items


def f2_reestimated(S: np.ndarray, est: Estimate, refit: Refit, n, std) -> np.ndarray:
    """f² of every path with R²_excl from the model re-estimated without the path (seminr).

    A construct left without any path by the removal leaves the model (seminr). Shape
    (..., J, J) like :func:`f2_matrix`; the sub-models are estimated by ``refit`` (the
    fit's options) on the moments ``S``, ``n``, ``std``.
    """
    layout = refit.layout
    S = np.asarray(S, dtype=float)
    r2 = np.asarray(est.r2, dtype=float)
    out = np.zeros(S.shape[:-2] + (layout.n_constructs,) * 2)
    for i, j in zip(*np.nonzero(layout.adjacency)):
        A = layout.adjacency.copy()
        A[i, j] = False
        if not A[:, j].any():
            excl = np.zeros(S.shape[:-2])
        else:
            keep = A.any(axis=0) | A.any(axis=1)
            lay, items = _sub_layout(layout, keep, A)
            sub = refit.estimate(S[..., items[:, None], items[None, :]], n, std,
                                 layout=lay, items=items)
            excl = sub.r2[..., int(np.flatnonzero(np.flatnonzero(keep) == j)[0])]
        with np.errstate(all="ignore"):
            out[..., i, j] = (r2[..., j] - excl) / (1.0 - r2[..., j])
    return np.where(np.isfinite(out), out, np.nan)


def saturated_order(layout: Layout) -> list[int]:
    """Construct indices in cSEM's structural order (``layout.order``; without it, from
    the adjacency with the paths taken target by target)."""
    if layout.order is not None:
        return list(layout.order)
    J = layout.n_constructs
    paths = [(int(i), int(j)) for j in range(J) for i in np.flatnonzero(layout.adjacency[:, j])]
    return structural_order(list(range(J)), paths)


def saturated_r2(S: np.ndarray, refit: Refit, n, std) -> np.ndarray:
    """R² of each construct in the re-estimated saturated structural model, (..., J).

    Every construct is regressed on all constructs before it in cSEM's structural order
    (:func:`satmodel.spec.layout.structural_order`: exogenous constructs first, then by
    structural level, ties by first appearance in the structural statements): cSEM's
    ``MSE`` for GM and Mallows' Cp. It does not depend on the order of the measurement
    statements; like cSEM's, it may depend on the order of the structural statements
    when two constructs share a level.
    """
    layout = refit.layout
    order = saturated_order(layout)
    A = np.zeros_like(layout.adjacency)
    for a, i in enumerate(order):
        A[i, order[a + 1:]] = True
    lay = Layout(block_of=layout.block_of, modes=layout.modes, adjacency=A,
                 common_factor=layout.common_factor,
                 declared_common_factor=layout.declared_common_factor, order=tuple(order))
    return refit.estimate(S, n, std, layout=lay).r2


def information_criteria_values(r2: np.ndarray, layout: Layout, n_obs,
                                mse: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """cSEM's criteria per construct, each of shape (..., J) (NaN for exogenous ones).

    ``mse`` (1 - R² of the saturated model, (..., J)) is needed for GM and Mallows' Cp;
    without it they are NaN.
    """
    k = layout.adjacency.sum(axis=0) + 1.0
    endo = layout.adjacency.any(axis=0)
    out = _criteria(np.asarray(r2, dtype=float), k, n_obs, mse)
    return {c: np.where(endo & np.isfinite(out[c]), out[c], np.nan) for c in CRITERIA}


def _criteria(r2: np.ndarray, k: np.ndarray, n_obs,
              mse: np.ndarray | None) -> dict[str, np.ndarray]:
    """The criteria of :func:`information_criteria_values` for the columns of ``r2``
    (``k``: their predictors + 1), elementwise, not yet masked."""
    n = np.asarray(n_obs, dtype=float)[..., None]
    sse = (1.0 - r2) * (n - 1.0)
    with np.errstate(all="ignore"):
        lsse = np.log(sse / n)
        lln = np.log(np.log(n))
        # the formulas' common parts made once (the same operations, so the same numbers)
        n_lsse, two_k, n_k = n * lsse, 2 * k, n - k
        n_k_2, sse_nk = n_k - 2, sse / n_k
        out = {
            "aic": n_lsse + two_k,
            "aicc": n * (lsse + (n + k) / n_k_2),
            "aicu": n * np.log(sse_nk) + two_k,
            "bic": n_lsse + k * np.log(n),
            "fpe": sse_nk * (1 + k / n),
            "hq": n_lsse + two_k * lln,
            "hqc": n_lsse + two_k * n * lln / n_k_2,
        }
        if mse is not None:
            out["gm"] = sse / mse + k * np.log(n)
            out["mallows_cp"] = sse / mse - (n - 2 * k)
        else:
            out["gm"] = out["mallows_cp"] = np.full(sse.shape, np.nan)
    return out


def gof_value(est: Estimate, layout: Layout, *, single_items: bool = False) -> np.ndarray:
    """Tenenhaus' GoF from the loadings and the endogenous R², shape (...).

    ``single_items=False`` (default) leaves out the loadings of single-item constructs
    (always 1), as cSEM does since 0.5 (2023) and R plspm's ``gof``; ``True`` takes every
    indicator's loading, as cSEM up to 0.4. NaN without endogenous constructs or
    without a multi-item construct.

    >>> from types import SimpleNamespace
    >>> A = np.zeros((2, 2), bool); A[0, 1] = True
    >>> lay = Layout(np.array([0, 0, 1]), ("A", "unit"), A, np.array([True, False]))
    >>> est = SimpleNamespace(loadings=np.array([0.8, 0.6, 1.0]), r2=np.array([0.0, 0.25]))
    >>> round(float(gof_value(est, lay)), 6)  # √((.64 + .36)/2 · .25)
    0.353553
    >>> round(float(gof_value(est, lay, single_items=True)), 6)  # √((.64 + .36 + 1)/3 · .25)
    0.408248
    """
    endo, multi = per_layout(layout, "gof", _gof_masks)
    lam = np.asarray(est.loadings, dtype=float)
    if not single_items:
        lam = lam[..., multi]
    if not endo.any() or lam.shape[-1] == 0:
        return np.full(np.shape(est.r2)[:-1], np.nan)
    lam2 = np.mean(lam ** 2, axis=-1)
    r2 = np.mean(np.asarray(est.r2, dtype=float)[..., endo], axis=-1)
    with np.errstate(invalid="ignore"):
        return np.sqrt(lam2 * r2)


def _gof_masks(layout: Layout) -> tuple[np.ndarray, np.ndarray]:
    """The endogenous constructs and the items of multi-item blocks (bool masks)."""
    multi = np.bincount(layout.block_of, minlength=layout.n_constructs) > 1
    return layout.adjacency.any(axis=0), multi[layout.block_of]


# ------------------------------------------------------------------ tables

def _f2_values(ctx: Context) -> np.ndarray:
    i, j = path_index(ctx)
    return f2_matrix(ctx.est.construct_corr, ctx.est.r2, ctx.layout)[..., i, j]


def _ic_endogenous(ctx: Context) -> dict[str, np.ndarray]:
    """The batched criteria of the endogenous constructs (spec order): the numbers of
    :func:`information_criteria_values`, computed on those columns only."""
    index = model_index(ctx)
    cols = index["endogenous"]
    k = index["n_preds"][cols] + 1.0
    out = _criteria(np.asarray(ctx.est.r2, dtype=float)[..., cols], k, ctx.n_obs, None)
    values = np.stack([out[c] for c in _BATCHED])  # one finiteness pass for all
    values = np.where(np.isfinite(values), values, np.nan)
    return dict(zip(_BATCHED, values))


def _ic_column(name: str):
    def fn(ctx: Context) -> np.ndarray:
        return ctx.shared("information_criteria", lambda: _ic_endogenous(ctx))[name]
    return fn


def _gof_keys(spec: ModelSpec) -> pd.DataFrame:
    return pd.DataFrame({"measure": ["gof"]})


def _f2_reestimated_values(ctx: Context) -> np.ndarray:
    i, j = path_index(ctx)
    return f2_reestimated(ctx.S, ctx.est, ctx.refit, ctx.n_obs, ctx.std)[..., i, j]


F2 = TableDef(path_keys, {"f2": _f2_values}, nullable=("f2",))
#: seminr's f² (model re-estimated without each path); a refit per path, so the bootstrap
#: includes it only on request (``tables=[..., "f2_reestimated"]``)
F2_REESTIMATED = TableDef(path_keys, {"f2": _f2_reestimated_values}, nullable=("f2",))
INFORMATION_CRITERIA = TableDef(
    endogenous_keys, {c: _ic_column(c) for c in _BATCHED}, nullable=_BATCHED)
GOF = TableDef(_gof_keys, {"value": lambda c: gof_value(c.est, c.layout)[..., None]},
                         nullable=("value",))
