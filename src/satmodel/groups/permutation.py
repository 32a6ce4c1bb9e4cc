"""Two-group comparison by permutation, on the same batched path as the bootstrap.

Group membership is a 0/1 row weight, so a permutation of the group labels is a pair
of weight vectors and B permutations are 2B moment matrices fitted in one batched
call (Chin & Dibbern 2010 permutation MGA; docs/methods.md §4.4).

Example
-------
>>> import satmodel as sm
>>> df = sm.datasets.load("ecsi_satisfaction")
>>> out = sm.permutation_test(sm.templates.ecsi(), df, group="gender", n=99, seed=1)
>>> list(out.columns)[:4]
['source', 'target', 'estimate_female', 'estimate_male']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import _validate as valid
from ..diagnostics import report
from ..engine.refit import Refit
from ..errors import DataError
from ..inference.driver import Weights, run
from ..spec.model import ModelSpec
from ..tables import TABLES, Context


def group_labels(data: Any, group: Any, rows: np.ndarray | None) -> np.ndarray:
    """Group label of every row the fit kept (``rows``: positions in the input)."""
    if isinstance(group, str):
        if not isinstance(data, pd.DataFrame) or group not in data.columns:
            raise DataError(f"group column {group!r} is not a column of the data")
        labels = data[group].to_numpy()
    else:
        labels = np.asarray(group)
    n = len(data) if not isinstance(data, dict) else len(next(iter(data.values())))
    if labels.shape != (n,):
        raise DataError(f"group labels have shape {labels.shape}; expected one per row ({n})")
    labels = labels if rows is None else labels[rows]
    if pd.isna(labels).any():
        raise DataError("group labels contain missing values; drop those rows first")
    return labels


def check_options(n: Any, seed: Any, table: Any, column: Any) -> str:
    """Validate the permutation options once; returns the value column (default: the
    table's first)."""
    valid.integer("permutation_test", "n", n)
    valid.seed("permutation_test", seed)
    valid.member("permutation_test", "table", table, list(TABLES), "table")
    columns = list(TABLES[table].columns)
    if column is None:
        return columns[0]
    return valid.member("permutation_test", "column", column, columns, f"value column of {table!r}")


def permutation_test(spec: ModelSpec, refit: Refit, labels: np.ndarray, *, n: int = 1000,
                     seed: Any = None, table: str = "paths", column: str | None = None,
                     progress: bool | None = None) -> pd.DataFrame:
    """Permutation test of ``table``'s ``column`` between two groups of the fitted rows.

    ``refit`` is the pooled fit's (rows, missing-data treatment, sampling weights and
    estimator options); ``labels`` one group label per fitted row. Returns the table of
    :func:`satmodel.permutation_test`.
    """
    column = check_options(n, seed, table, column)
    levels = sorted(pd.unique(labels), key=str)
    if len(levels) != 2:
        raise DataError(f"group must have exactly 2 distinct labels, found {len(levels)}: "
                        f"{levels[:5]}")
    first = (labels == levels[0]).astype(float)
    check_group_sizes(spec, refit, labels, levels)

    def evaluate(masks: np.ndarray):
        fitted = refit.fit(masks)
        est = fitted.estimate
        ok = est.converged & np.isfinite(est.weights).all(-1) & ~fitted.degenerate
        values = TABLES[table].values(Context.of(fitted, spec), column)
        k = masks.shape[0] // 2
        return ({"diff": {"d": values[:k] - values[k:]}, "groups": {"a": values[:k], "b": values[k:]}},
                {"not_converged": ~(ok[:k] & ok[k:])})

    observed, bad = evaluate(np.stack([first, 1 - first]))
    if bad["not_converged"].any():
        raise DataError("the model does not converge in one of the groups; check group sizes")
    diff = observed["diff"]["d"][0]
    shuffles = GroupPermutations(n, first, np.random.default_rng(seed))
    draws = run(shuffles, evaluate, refit.bytes_per_fit,  # chunks sized by the memory budget
                progress=progress)
    d = draws.values["diff"]["d"]
    exceed = np.sum(np.abs(d) >= np.abs(diff) - 1e-12, axis=0)
    if draws.n_valid < n:
        report("permutations_dropped",
               f"{n - draws.n_valid} of {n} permutations did not converge and were dropped",
               count=n - draws.n_valid)
    out = TABLES[table].keys(spec)
    out[f"estimate_{levels[0]}"] = observed["groups"]["a"][0]
    out[f"estimate_{levels[1]}"] = observed["groups"]["b"][0]
    out["diff"] = diff
    out["p"] = (1.0 + exceed) / (1.0 + draws.n_valid)
    return out


@dataclass
class GroupPermutations(Weights):
    """Each draw: a random relabelling of the rows (group sizes fixed) as two 0/1 masks."""

    total: int
    first: np.ndarray
    rng: np.random.Generator
    per_draw: int = 2
    desc: str = "permutation"

    def __post_init__(self) -> None:
        self.n = self.first.size

    def draw(self, size: int) -> np.ndarray:
        # booleans shuffle exactly as floats would (same generator calls), at 1/8 the memory
        perm = self.rng.permuted(np.broadcast_to(self.first > 0, (size, self.n)), axis=1)
        out = np.empty((2 * size, self.n))
        out[:size], out[size:] = perm, ~perm
        return out


def check_group_sizes(spec: ModelSpec, refit: Refit, labels: np.ndarray, levels: list) -> None:
    """Each group is fitted on its own: refuse a group with fewer rows (or, with sampling
    weights, a smaller Kish effective size) than a fit needs — at least 3 and more than
    the largest block's items — naming the group and its size."""
    block, items = max(spec.blocks.items(), key=lambda kv: len(kv[1]))
    need = max(3, len(items) + 1)
    w = None if refit.survey is None else refit.survey.weights
    for level in levels:
        label = level.item() if isinstance(level, np.generic) else level
        rows = labels == level
        size = float(rows.sum())
        what = f"{int(size)} rows"
        if w is not None:
            top = w[rows].max(initial=0.0)
            g = w[rows] / top if top > 0 else np.zeros(0)
            size = float(g.sum() ** 2 / (g**2).sum()) if g.size else 0.0
            what += f" (effective size {size:.1f} under the sampling weights, Kish)"
        if size < need:
            raise DataError(
                f"group {label!r} has {what}; each group is fitted on its own and needs at "
                f"least {need} (3, and more than the {len(items)} items of block {block}), "
                "or its estimates are arbitrary. Merge it with another group or collect more data")
