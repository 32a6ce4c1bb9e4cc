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
from .. import _linalg
from .translate import cb_endogenous, hoc_loadings, latent_names
from ..spec.layout import Layout, layout_of
from ..spec.model import ModelSpec
from ..tables import TABLES, nullable
from ..tables.base import outer_keys, path_keys
from ..tables.core import cronbach_alpha
from ..tables.validity import construct_pairs, htmt_matrix

__all__ = ["KEYS", "BOOTSTRAP", "REQUIRED", "correlations", "table_values", "frame",
           "with_analytic", "parameters_table", "fit_indices_table", "cb_layout", "effect_pairs"]

Values = dict[str, dict[str, np.ndarray]]


def effect_pairs(spec: ModelSpec) -> list[tuple[str, str]]:
    """Latent pairs joined by a directed route of structural paths (second-order loadings
    are measurement, not effects), source-major in :func:`latent_names` order (PLS's
    :func:`satmodel.tables.base.effect_pairs` for a first-order spec).

    >>> import satmodel as sm
    >>> effect_pairs(sm.ModelSpec.from_lavaan("A =~ a1; B =~ b1; C =~ c1; D =~ d1; H =~ A + B; "
    ...                                       "C ~ H; D ~ C"))
    [('C', 'D'), ('H', 'C'), ('H', 'D')]
    """
    names = latent_names(spec)
    reach: dict[str, set[str]] = {c: set() for c in names}
    for p in spec.paths:
        reach[p.source].add(p.target)
    changed = True
    while changed:
        changed = False
        for c in names:
            more = set().union(*(reach[t] for t in reach[c])) - reach[c]
            if more:
                reach[c] |= more
                changed = True
    return [(s, t) for s in names for t in names if t in reach[s]]


def cb_layout(spec: ModelSpec) -> Layout:
    """The index layout of the first-order constructs (blocks of items; higher-order
    factors have no items of their own)."""
    if not spec.higher_order:
        return layout_of(spec)
    return layout_of(spec.model_copy(update={"higher_order": (), "paths": (), "covariances": ()}))


def _outer_keys(spec: ModelSpec) -> pd.DataFrame:
    """PLS's ``outer`` keys, then (higher-order factor, component) rows."""
    return pd.concat([outer_keys(spec), pd.DataFrame(list(hoc_loadings(spec)),
                                                     columns=["construct", "indicator"])],
                     ignore_index=True)


#: key columns of each table of :func:`table_values` (PLS's for a first-order spec)
KEYS = {"paths": path_keys, "outer": _outer_keys,
        "effects": lambda spec: pd.DataFrame(effect_pairs(spec), columns=["source", "target"]),
        "r2": lambda spec: pd.DataFrame({"construct": list(cb_endogenous(spec))}),
        "quality": lambda spec: pd.DataFrame({"construct": list(latent_names(spec))}),
        "htmt_pairs": TABLES["htmt_pairs"].keys}

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
    estimate, ``S`` the item covariance matrix it was fitted to, ``layout`` the first-order
    constructs' (:func:`cb_layout`).

    A higher-order factor's rows: ``outer`` (factor, component) with the second-order
    loading and the component's disturbance variance as residual; ``quality`` AVE (mean
    squared standardized second-order loading) and rho_c, semTools' omega_L2 formula on the
    completely standardized solution, (Σγ)² / ((Σγ)² + Σ of the components' standardized
    disturbance (co)variances); alpha not defined."""
    sol = standardize(est)
    pos = {c: j for j, c in enumerate(latent_names(spec))}
    src = np.array([pos[p.source] for p in spec.paths], dtype=int)
    tgt = np.array([pos[p.target] for p in spec.paths], dtype=int)
    rows, cols = np.arange(len(layout.block_of)), layout.block_of
    hoc = np.array([(pos[h], pos[c]) for h, c in hoc_loadings(spec)], dtype=int).reshape(-1, 2)
    beta = np.zeros_like(sol.beta)  # the structural part (standardized) of beta
    beta[tgt, src] = sol.beta[tgt, src]
    total = _linalg.inv(np.eye(len(pos)) - beta) - np.eye(len(pos))
    pairs = effect_pairs(spec)
    es = np.array([pos[s] for s, _ in pairs], dtype=int)
    et = np.array([pos[t] for _, t in pairs], dtype=int)
    direct, total = beta[et, es], total[et, es]
    endo = np.array([pos[c] for c in cb_endogenous(spec)], dtype=int)
    n_hoc = len(spec.higher_order)
    M = np.zeros((len(rows) + len(hoc), len(pos)))  # membership of outer rows, HOC rows last
    M[rows, cols] = 1.0
    M[len(rows) + np.arange(len(hoc)), hoc[:, 0]] = 1.0
    lam = np.concatenate([sol.loadings[rows, cols], sol.beta[hoc[:, 1], hoc[:, 0]]])
    s = (lam @ M) ** 2
    R = correlations(S)
    hi = np.array([pos[a] for a, _ in construct_pairs(spec)], dtype=int)
    hj = np.array([pos[b] for _, b in construct_pairs(spec)], dtype=int)
    alpha = np.concatenate([cronbach_alpha(R, layout.membership), np.full(n_hoc, np.nan)])
    rho_c = s / (s + (1 - lam**2) @ M)
    with np.errstate(divide="ignore", invalid="ignore"):  # HOC: + the disturbance covariances
        psi = est.psi / np.sqrt(np.outer(sol.construct_var, sol.construct_var))
    for h in spec.higher_order:
        comps = [pos[c] for c in h.components]
        rho_c[pos[h.name]] = s[pos[h.name]] / (s[pos[h.name]] + psi[np.ix_(comps, comps)].sum())
    return {
        "paths": {"estimate": sol.beta[tgt, src], "estimate_unstd": est.beta[tgt, src]},
        "outer": {"loading": lam,
                  "loading_unstd": np.concatenate([est.loadings[rows, cols],
                                                   est.beta[hoc[:, 1], hoc[:, 0]]]),
                  "residual_var": np.concatenate([sol.residual_var, 1.0 - sol.r2[hoc[:, 1]]]),
                  "residual_var_unstd": np.concatenate([np.diag(est.theta),
                                                        np.diag(est.psi)[hoc[:, 1]]])},
        "effects": {"direct": direct, "indirect": total - direct, "total": total},
        "r2": {"r2": sol.r2[endo]},
        "quality": {"alpha": alpha, "rho_c": rho_c,
                    "ave": (lam**2 @ M) / M.sum(axis=0), "r2": sol.r2.copy()},
        "htmt_pairs": {"htmt": htmt_matrix(R, layout)[hi, hj],
                       "htmt2": htmt_matrix(R, layout, geometric=True)[hi, hj]},
    }


def frame(name: str, spec: ModelSpec, values: Values) -> pd.DataFrame:
    """Table ``name``: its key columns, then its value columns (copies)."""
    df = KEYS[name](spec).reset_index(drop=True)
    for col, v in values[name].items():
        df[col] = np.array(v, dtype=float)
    extra = ("alpha",) if name == "quality" and spec.higher_order else ()
    return nullable(df, *_NULLABLE.get(name, ()), *extra)


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
    pos = {c: j for j, c in enumerate(latent_names(spec))}
    item = {x: k for k, x in enumerate(spec.indicator_names)}
    std = []
    for lhs, op, rhs, value in zip(par["lhs"], par["op"], par["rhs"], par["estimate"]):
        if op == "=~" and rhs in pos:  # a second-order loading (lavaan's reading)
            std.append(sol.beta[pos[rhs], pos[lhs]])
        elif op == "=~":
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
