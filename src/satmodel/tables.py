"""Result tables as batched functions of the engine's arrays.

Each table is a :class:`TableDef`: a function giving its row keys (names from the
spec) and, per value column, a function of a :class:`Context` returning an array of
shape ``(..., rows)`` for any leading batch axes. A fitted result evaluates them on
its single fit; the bootstrap evaluates the *same* functions on B resamples at once,
so every reported quantity gets its inference from one code path.

Example
-------
>>> import satmodel as sm
>>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
>>> TABLES["paths"].values(res.context, "estimate").shape
(10,)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .pls import Estimate, Layout
from .spec import ModelSpec


@dataclass(frozen=True)
class Context:
    """Everything a table function may use; arrays batched alike (leading axes)."""

    S: np.ndarray  # (..., p, p) indicator correlations
    est: Estimate
    layout: Layout
    spec: ModelSpec
    n_obs: float | np.ndarray
    mean: np.ndarray | None = None  # (..., p) item means (original metric)
    std: np.ndarray | None = None  # (..., p) item SDs, divisor n - 1
    engine: dict | None = None  # keyword options of pls.estimate (for tables that refit)

    @property
    def pos(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.spec.construct_names)}


KeyFn = Callable[[ModelSpec], pd.DataFrame]
ValueFn = Callable[[Context], np.ndarray]


@dataclass(frozen=True)
class TableDef:
    """A tidy table: key columns from the spec, value columns from a Context."""

    keys: KeyFn
    columns: dict[str, ValueFn]
    nullable: tuple[str, ...] = field(default=())  # NaN here means "not defined" -> <NA>

    def values(self, ctx: Context, column: str) -> np.ndarray:
        return np.asarray(self.columns[column](ctx), dtype=float)

    def frame(self, ctx: Context) -> pd.DataFrame:
        df = self.keys(ctx.spec).reset_index(drop=True)
        for col in self.columns:
            df[col] = np.array(self.values(ctx, col))  # a copy: tables never alias the fit
        if self.nullable:
            df = df.astype({c: "Float64" for c in self.nullable})
            for c in self.nullable:
                df[c] = df[c].mask(df[c].isna(), pd.NA)
        return df


# ------------------------------------------------------------------ keys

def path_keys(spec: ModelSpec) -> pd.DataFrame:
    return pd.DataFrame([(p.source, p.target) for p in spec.paths], columns=["source", "target"])


def outer_keys(spec: ModelSpec) -> pd.DataFrame:
    return pd.DataFrame([(c.name, i.name) for c in spec.constructs for i in c.indicators],
                        columns=["construct", "indicator"])


def effect_pairs(spec: ModelSpec) -> list[tuple[str, str]]:
    """Ordered construct pairs joined by a directed route, source-major in spec order."""
    names = spec.construct_names
    reach = {c: set(spec.successors(c)) for c in names}
    changed = True
    while changed:
        changed = False
        for c in names:
            more = set().union(*(reach[s] for s in reach[c])) - reach[c] if reach[c] else set()
            if more:
                reach[c] |= more
                changed = True
    return [(s, t) for s in names for t in names if t in reach[s]]


def effect_keys(spec: ModelSpec) -> pd.DataFrame:
    return pd.DataFrame(effect_pairs(spec), columns=["source", "target"])


def construct_keys(spec: ModelSpec) -> pd.DataFrame:
    return pd.DataFrame({"construct": list(spec.construct_names)})


def endogenous_keys(spec: ModelSpec) -> pd.DataFrame:
    return pd.DataFrame({"construct": list(spec.endogenous)})


# ------------------------------------------------------------------ values

def _pairs(ctx: Context, pairs, matrix: np.ndarray) -> np.ndarray:
    pos = ctx.pos
    i = np.array([pos[s] for s, _ in pairs], dtype=int)
    j = np.array([pos[t] for _, t in pairs], dtype=int)
    return matrix[..., i, j]


def _path_values(ctx: Context) -> np.ndarray:
    return _pairs(ctx, [(p.source, p.target) for p in ctx.spec.paths], ctx.est.paths)


def _effect(kind: str) -> ValueFn:
    def fn(ctx: Context) -> np.ndarray:
        pairs = effect_pairs(ctx.spec)
        direct = _pairs(ctx, pairs, ctx.est.paths)
        total = _pairs(ctx, pairs, ctx.est.total)
        return {"direct": direct, "total": total, "indirect": total - direct}[kind]
    return fn


def _block_sum(ctx: Context, values: np.ndarray) -> np.ndarray:
    """Sum of per-indicator values within each block: (..., p) -> (..., J)."""
    return values @ ctx.layout.membership.astype(float)


def _alpha(ctx: Context) -> np.ndarray:
    M = ctx.layout.membership.astype(float)
    k = M.sum(axis=0)
    total = np.einsum("pj,...pq,qj->...j", M, ctx.S, M)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = k / (k - 1) * (1.0 - k / total)
    return np.where(k > 1, alpha, 1.0)


def _rho_c(ctx: Context) -> np.ndarray:
    lam = ctx.est.loadings
    s = _block_sum(ctx, lam) ** 2
    return s / (s + _block_sum(ctx, 1.0 - lam**2))


def _ave(ctx: Context) -> np.ndarray:
    k = ctx.layout.membership.sum(axis=0)
    return _block_sum(ctx, ctx.est.loadings**2) / k


def _r2_all(ctx: Context) -> np.ndarray:
    """R² per construct; NaN for exogenous constructs (not defined)."""
    endo = ctx.layout.adjacency.any(axis=0)
    return np.where(endo, ctx.est.r2, np.nan)


def _r2_adj_all(ctx: Context) -> np.ndarray:
    k = ctx.layout.adjacency.sum(axis=0)
    n = np.asarray(ctx.n_obs, dtype=float)[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        adj = 1.0 - (1.0 - ctx.est.r2) * (n - 1.0) / (n - k - 1.0)
    return np.where(k > 0, adj, np.nan)


def _r2_endogenous(ctx: Context) -> np.ndarray:
    pos = ctx.pos
    return ctx.est.r2[..., [pos[c] for c in ctx.spec.endogenous]]


TABLES: dict[str, TableDef] = {
    "paths": TableDef(path_keys, {"estimate": _path_values}),
    "outer": TableDef(outer_keys, {"weight": lambda c: c.est.weights,
                                   "loading": lambda c: c.est.loadings}),
    "effects": TableDef(effect_keys, {"direct": _effect("direct"), "indirect": _effect("indirect"),
                                      "total": _effect("total")}),
    "r2": TableDef(endogenous_keys, {"r2": _r2_endogenous}),
    "quality": TableDef(construct_keys, {"alpha": _alpha, "rho_a": lambda c: c.est.rho_a,
                                         "rho_c": _rho_c, "ave": _ave, "r2": _r2_all,
                                         "r2_adj": _r2_adj_all},
                        nullable=("r2", "r2_adj")),
}
