"""The tables of a CB-SEM fit, keyed like PLS's tables (:data:`satmodel.tables.TABLES`).

:func:`table_values` gives every value column of ``paths``, ``outer``, ``effects``,
``r2``, ``quality`` and ``htmt_pairs`` as arrays of one fit; the result and each
bootstrap resample use it alike. The key columns come from the spec through the key
functions PLS uses, and alpha and HTMT are PLS's formulas
(:func:`satmodel.tables.core.cronbach_alpha`, :func:`satmodel.tables.validity.htmt_matrix`)
on the item correlations the model was fitted to; rho_c and AVE use the completely
standardized loadings: (Σλ)²/((Σλ)² + Σ(1 - λ²)) and mean λ².

Example
-------
>>> import satmodel as sm
>>> from satmodel.spec.layout import layout_of
>>> spec = sm.ModelSpec.from_lavaan("EXPE =~ EXPE1 + EXPE2 + EXPE3; SAT =~ SAT1 + SAT2 + SAT3; SAT ~ EXPE")
>>> cb = sm.fit_cbsem(spec, sm.datasets.load("ecsi_satisfaction"))
>>> values = table_values(spec, layout_of(spec), cb.estimate, cb.sample_cov)
>>> frame("htmt_pairs", spec, values).columns.tolist()
['source', 'target', 'htmt', 'htmt2']
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .engine import CBEstimate
from .solution import Solution, standardize
from ..spec.layout import Layout
from ..spec.model import ModelSpec
from ..tables import TABLES, nullable
from ..tables.base import construct_keys, effect_keys, effect_pairs, endogenous_keys, outer_keys, \
    path_keys
from ..tables.core import cronbach_alpha
from ..tables.validity import construct_pairs, htmt_matrix

__all__ = ["KEYS", "BOOTSTRAP", "REQUIRED", "correlations", "table_values", "frame",
           "with_analytic", "parameters_table", "fit_indices_table"]

Values = dict[str, dict[str, np.ndarray]]

#: key columns of each table of :func:`table_values`, from the spec (PLS's key functions)
KEYS = {"paths": path_keys, "outer": outer_keys, "effects": effect_keys, "r2": endogenous_keys,
        "quality": construct_keys, "htmt_pairs": TABLES["htmt_pairs"].keys}

#: the columns a bootstrap resamples, per table (standardized estimates)
BOOTSTRAP = {"paths": ("estimate",), "outer": ("loading",),
             "effects": ("direct", "indirect", "total"), "r2": ("r2",),
             "quality": ("alpha", "rho_c", "ave", "r2"), "htmt_pairs": ("htmt", "htmt2")}

#: a resample is unusable when one of these is not finite
REQUIRED = (("paths", "estimate"), ("outer", "loading"), ("effects", "total"))

#: NaN means "not defined" here and shows as <NA>
_NULLABLE = {"quality": ("r2",), "htmt_pairs": ("htmt", "htmt2")}

#: tables with normal-theory se, z, p of an unstandardized column: (lhs, op, rhs, column)
_ANALYTIC = {"paths": ("target", "~", "source", "estimate_unstd"),
             "outer": ("construct", "=~", "indicator", "loading_unstd")}


def correlations(S: np.ndarray) -> np.ndarray:
    """The correlation matrix of a covariance matrix.

    >>> correlations(np.array([[4.0, 1.0], [1.0, 1.0]])).tolist()
    [[1.0, 0.5], [0.5, 1.0]]
    """
    d = np.sqrt(np.diag(S))
    return S / np.outer(d, d)


def table_values(spec: ModelSpec, layout: Layout, est: CBEstimate, S: np.ndarray) -> Values:
    """Value columns of every table of :data:`KEYS` for one fit: ``est`` the engine's
    estimate, ``S`` the item covariance matrix it was fitted to."""
    sol = standardize(est)
    pos = {c: j for j, c in enumerate(spec.construct_names)}
    src = np.array([pos[p.source] for p in spec.paths], dtype=int)
    tgt = np.array([pos[p.target] for p in spec.paths], dtype=int)
    rows, cols = np.arange(len(layout.block_of)), layout.block_of
    pairs = effect_pairs(spec)
    es = np.array([pos[s] for s, _ in pairs], dtype=int)
    et = np.array([pos[t] for _, t in pairs], dtype=int)
    direct, total = sol.beta[et, es], sol.total[et, es]
    endo = np.array([pos[c] for c in spec.endogenous], dtype=int)
    M = layout.membership.astype(float)
    lam = sol.loadings[rows, cols]
    s = (lam @ M) ** 2
    R = correlations(S)
    hi = np.array([pos[a] for a, _ in construct_pairs(spec)], dtype=int)
    hj = np.array([pos[b] for _, b in construct_pairs(spec)], dtype=int)
    return {
        "paths": {"estimate": sol.beta[tgt, src], "estimate_unstd": est.beta[tgt, src]},
        "outer": {"loading": lam, "loading_unstd": est.loadings[rows, cols],
                  "residual_var": sol.residual_var, "residual_var_unstd": np.diag(est.theta).copy()},
        "effects": {"direct": direct, "indirect": total - direct, "total": total},
        "r2": {"r2": sol.r2[endo]},
        "quality": {"alpha": cronbach_alpha(R, layout.membership),
                    "rho_c": s / (s + (1 - lam**2) @ M), "ave": (lam**2 @ M) / M.sum(axis=0),
                    "r2": sol.r2.copy()},
        "htmt_pairs": {"htmt": htmt_matrix(R, layout)[hi, hj],
                       "htmt2": htmt_matrix(R, layout, geometric=True)[hi, hj]},
    }


def frame(name: str, spec: ModelSpec, values: Values) -> pd.DataFrame:
    """Table ``name``: its key columns, then its value columns (copies)."""
    df = KEYS[name](spec).reset_index(drop=True)
    for col, v in values[name].items():
        df[col] = np.array(v, dtype=float)
    return nullable(df, *_NULLABLE.get(name, ()))


def with_analytic(name: str, df: pd.DataFrame, params: pd.DataFrame) -> pd.DataFrame:
    """Add the engine's standard errors of the unstandardized estimates of ``paths`` or
    ``outer``, with z and two-sided normal p (``<NA>`` for fixed parameters)."""
    if name not in _ANALYTIC:
        return df
    lhs, op, rhs, column = _ANALYTIC[name]
    par = params[params["op"] == op].set_index(["lhs", "rhs"])["se"]
    se = np.array([par.get((a, b), np.nan) for a, b in zip(df[lhs], df[rhs])], dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = df[column].to_numpy(dtype=float) / se
    df["se"], df["z"], df["p"] = se, z, 2 * stats.norm.sf(np.abs(z))
    return nullable(df, "se", "z", "p")


def parameters_table(spec: ModelSpec, est: CBEstimate) -> pd.DataFrame:
    """Every parameter as lavaan lists it: lhs, op, rhs, estimate, se, z, p, std_all, free
    (see :attr:`satmodel.CBSEMResult.parameters`)."""
    par = est.params.copy()
    sol = standardize(est)
    pos = {c: j for j, c in enumerate(spec.construct_names)}
    item = {x: k for k, x in enumerate(spec.indicator_names)}
    std = []
    for lhs, op, rhs, value in zip(par["lhs"], par["op"], par["rhs"], par["estimate"]):
        if op == "=~":
            std.append(sol.loadings[item[rhs], pos[lhs]])
        elif op == "~1":
            std.append(value / np.sqrt(est.sigma[item[lhs], item[lhs]]))
        elif op == "~":
            std.append(sol.beta[pos[lhs], pos[rhs]])
        else:
            std.append(_std_cov(est, sol, lhs, rhs, value, pos, item))
    par["std_all"] = np.array(std, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        par["z"] = par["estimate"] / par["se"]
    par["p"] = 2 * stats.norm.sf(np.abs(par["z"]))
    return par[["lhs", "op", "rhs", "estimate", "se", "z", "p", "std_all", "free"]]


def _std_cov(est: CBEstimate, sol: Solution, lhs: str, rhs: str, value: float,
             pos: dict[str, int], item: dict[str, int]) -> float:
    """A (residual) variance or covariance, standardized: variances by the implied variance,
    covariances as (residual) correlations (lavaan's ``std.all``)."""
    if lhs in pos:
        a, b = pos[lhs], pos[rhs]
        if a == b:
            return float(value / sol.construct_var[a])
        return float(value / np.sqrt(est.psi[a, a] * est.psi[b, b]))
    a, b = item[lhs], item[rhs]
    if a == b:
        return float(value / est.sigma[a, a])
    return float(value / np.sqrt(est.theta[a, a] * est.theta[b, b]))


def fit_indices_table(fit: pd.Series) -> pd.DataFrame:
    """The fit indices as a tidy table: measure, value (``<NA>`` where not defined)."""
    return pd.DataFrame({"measure": list(fit.index), "value": fit.to_numpy()}).astype(
        {"value": "Float64"})
