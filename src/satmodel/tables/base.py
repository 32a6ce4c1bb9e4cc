"""Table definitions: a :class:`TableDef` is key columns from the spec plus value columns
as batched functions of a :class:`Context` (the arrays of one or many refits).

Each table is a :class:`TableDef`: a function giving its row keys (names from the
spec) and, per value column, a function of a :class:`Context` returning an array of
shape ``(..., rows)`` for any leading batch axes. A fitted result evaluates them on
its single fit; the bootstrap evaluates the *same* functions on B resamples at once,
so every reported quantity gets its inference from one code path.

Example
-------
>>> import satmodel as sm
>>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
>>> from satmodel.tables import TABLES
>>> TABLES["paths"].values(res.context, "estimate").shape
(10,)
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..engine.pls import Estimate
from ..engine.refit import Refit, Refitted
from ..spec.layout import Layout
from ..spec.model import ModelSpec
from ..survey.adapters import copy_on_write
from ._held import per_model


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
    refit: Refit | None = None  # for tables that re-estimate sub-models (f², saturated model)
    #: values several columns share (all information criteria at once), made on first use
    memo: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def shared(self, key: str, make: Callable[[], Any]) -> Any:
        """``make()``, computed once per context for every column that asks by ``key``."""
        if key not in self.memo:
            self.memo[key] = make()
        return self.memo[key]

    @property
    def pos(self) -> Mapping[str, int]:
        """Construct name -> position (spec order); read-only, made once per model."""
        return model_index(self)["pos"]

    @classmethod
    def of(cls, fitted: Refitted, spec: ModelSpec) -> Context:
        """The context of a (batched) refit."""
        mom = fitted.moments
        return cls(S=fitted.corr, est=fitted.estimate, layout=fitted.refit.layout, spec=spec,
                   n_obs=mom.n, mean=mom.mean, std=mom.std, refit=fitted.refit)


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
        data = dict(key_columns(self.keys, ctx.spec))
        for col in self.columns:
            values = np.array(self.values(ctx, col))  # a copy: tables never alias the fit
            data[col] = na_floats(values) if col in self.nullable else values
        return pd.DataFrame(data, copy=True)


# key columns per (key function, spec): a spec is frozen, so its keys never change; held
# while the spec lives (a service refitting one spec builds them once)
_KEYS: dict[tuple[int, int], tuple[weakref.ref, dict[str, Any]]] = {}
_KEYS_HELD = 1024


def key_columns(keys: KeyFn, spec: ModelSpec) -> dict[str, Any]:
    """The key columns of a table (``keys(spec)``) as a dict of arrays, built once per spec.

    >>> import satmodel as sm
    >>> list(key_columns(path_keys, sm.templates.ecsi()))
    ['source', 'target']
    """
    tag = (id(keys), id(spec))
    held = _KEYS.get(tag)
    if held is not None and held[0]() is spec:
        return held[1]
    df = keys(spec)
    cols = {c: df[c].array for c in df.columns}
    try:
        ref = weakref.ref(spec)
    except TypeError:  # pragma: no cover - a spec type without weak references
        return cols
    if len(_KEYS) >= _KEYS_HELD:
        _KEYS.clear()
    _KEYS[tag] = (ref, cols)
    return cols


def copy_table(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of a kept table that its caller may edit: shallow under pandas' copy-on-write
    (an edit copies then), deep otherwise."""
    return df.copy(deep=not copy_on_write())


def na_floats(values: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """A Float64 column where NaN (not defined) is ``<NA>``."""
    values = np.asarray(values, dtype=float)
    return pd.arrays.FloatingArray(values.copy(), np.isnan(values))


def nullable(df: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """Columns as Float64 where NaN means "not defined" and shows as ``<NA>``."""
    if not columns:
        return df
    df = df.copy()
    for c in columns:
        col = df[c]
        if isinstance(col.dtype, np.dtype) and col.dtype.kind in "fiu":
            df[c] = na_floats(col.to_numpy(dtype=float))
        else:
            df[c] = col.astype("Float64").mask(col.isna(), pd.NA)
    return df


def square(values: np.ndarray, names: list[str]) -> pd.DataFrame:
    """A construct x construct Float64 frame; NaN (not defined) becomes ``<NA>``."""
    values = np.asarray(values, dtype=float)
    return pd.DataFrame({name: na_floats(values[:, j]) for j, name in enumerate(names)},
                        index=list(names))


# ------------------------------------------------------------------ keys

def path_index(ctx: Context) -> tuple[np.ndarray, np.ndarray]:
    """Source and target construct positions of the spec's paths (spec path order;
    read-only, made once per spec and layout)."""
    return model_index(ctx)["paths"]


def model_index(ctx: Context) -> Mapping[str, Any]:
    """Index arrays of the context's spec and layout, made once per pair and read-only:
    ``pos`` (name -> position); source and target positions (two int arrays) of the
    ``paths`` and the ``effects`` (:func:`effect_pairs`); ``endogenous`` (positions);
    the layout's ``membership`` as floats, the block ``sizes`` (int), the ``endo`` mask
    and ``n_preds`` (int, per construct).

    >>> import satmodel as sm
    >>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
    >>> model_index(res.context)["sizes"].tolist()
    [5, 5, 5, 4, 4, 4]
    """
    return per_model(ctx.spec, ctx.layout, "model_index", _make_model_index)


def pair_positions(pos: Mapping[str, int], pairs) -> tuple[np.ndarray, np.ndarray]:
    """Positions (two int arrays) of the (source, target) construct ``pairs``.

    >>> [a.tolist() for a in pair_positions({"A": 0, "B": 1}, [("A", "B"), ("B", "A")])]
    [[0, 1], [1, 0]]
    """
    return (np.array([pos[s] for s, _ in pairs], dtype=int),
            np.array([pos[t] for _, t in pairs], dtype=int))


def _make_model_index(spec: ModelSpec, lay: Layout) -> dict[str, Any]:
    pos = {c: i for i, c in enumerate(spec.construct_names)}

    def index(pairs) -> tuple[np.ndarray, np.ndarray]:
        return pair_positions(pos, pairs)

    membership = lay.membership
    return {
        "pos": pos,
        "paths": index([(p.source, p.target) for p in spec.paths]),
        "effects": index(effect_pairs(spec)),
        "endogenous": np.array([pos[c] for c in spec.endogenous], dtype=int),
        "membership": membership.astype(float),
        "sizes": membership.sum(axis=0),
        "endo": lay.adjacency.any(axis=0),
        "n_preds": lay.adjacency.sum(axis=0),
    }


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


