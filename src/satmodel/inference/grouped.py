"""Bootstrap inference of many groups at once: one :class:`BootstrapInference` per group,
summarized for tables that stack the groups (group-major, the same rows in each group).

Groups with the same number of kept resamples are summarized together, so G groups'
standard errors and intervals are a few column-wise calls, not G.

>>> import numpy as np
>>> from satmodel.inference.bootstrap import BootstrapInference
>>> rng = np.random.default_rng(0)
>>> per = [BootstrapInference(draws={"t": {"v": rng.normal(m, 1.0, (400, 1))}},
...                           original={"t": {"v": np.array([m])}}, n_requested=400,
...                           n_valid=400, dropped={}, seed=None, signs="none") for m in (0.0, 5.0)]
>>> out = GroupedInference(tuple(per)).summarize("t", "v", rows=1)
>>> np.round(out["se"], 1).tolist()
[1.0, 1.0]
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import intervals
from .bootstrap import BootstrapInference

__all__ = ["GroupedInference"]

STATS = ("se", "t", "p", "ci_lower", "ci_upper")


@dataclass(frozen=True)
class GroupedInference:
    """Per fitted group its :class:`BootstrapInference` (None where too few resamples
    were usable); ``level`` and ``method`` of the intervals shown in the tables."""

    groups: tuple[BootstrapInference | None, ...]
    level: float = 0.95
    method: str = "percentile"
    entropy: int | None = None  # the root seed's entropy (groups' seeds derive from it)

    @property
    def tables(self) -> list[str]:
        first = next((g for g in self.groups if g is not None), None)
        return [] if first is None else first.tables

    @property
    def n_requested(self) -> int:
        return next((g.n_requested for g in self.groups if g is not None), 0)

    @property
    def n_valid(self) -> np.ndarray:
        """Kept resamples per group (0 for a group without inference)."""
        return np.array([0 if g is None else g.n_valid for g in self.groups])

    def group(self, g: int) -> BootstrapInference | None:
        """Group g's inference with this result's interval level and method."""
        inf = self.groups[g]
        return None if inf is None else dataclasses.replace(inf, level=self.level,
                                                             method=self.method)

    def summarize(self, table: str, column: str, rows: int) -> dict[str, np.ndarray]:
        """se, t, p, ci_lower, ci_upper of one column for every group, (G * rows,) each,
        NaN for groups without inference."""
        G = len(self.groups)
        out = {s: np.full(G * rows, np.nan) for s in STATS}
        by_size: dict[tuple[int, int], list[int]] = {}
        for g, inf in enumerate(self.groups):
            if inf is not None and inf.draws is not None:
                # BCa: the jackknife has one row per group row, so equal sizes go together
                jack = len(inf.jackknife[table][column]) \
                    if self.method == "bca" and inf.jackknife is not None else 0
                by_size.setdefault((inf.n_valid, jack), []).append(g)
            elif inf is not None:  # read from JSON without draws: the stored summaries
                stored = inf.summarize(table, column)
                for s in STATS:
                    out[s][g * rows:(g + 1) * rows] = stored[s]
        for members in by_size.values():
            infs = [self.groups[g] for g in members]
            theta = np.concatenate([i.original[table][column] for i in infs])
            draws = np.concatenate([i.draws[table][column] for i in infs], axis=1)
            jack = None
            if self.method == "bca":
                jack = np.concatenate([i.jackknife[table][column] for i in infs], axis=1)
            stats = intervals.summarize(theta, draws, level=self.level, method=self.method,
                                        jackknife=jack)
            where = (np.asarray(members)[:, None] * rows + np.arange(rows)).ravel()
            for s in STATS:
                out[s][where] = stats[s]
        return out

    def annotate(self, table: str, df: pd.DataFrame) -> pd.DataFrame:
        """Add the inference columns to a stacked table (G blocks of equal rows), named
        as :meth:`BootstrapInference.annotate` names them."""
        if table not in self.tables:
            return df
        first = next(g for g in self.groups if g is not None)
        cols = list(first.original[table])
        rows = len(df) // max(len(self.groups), 1)
        df = df.copy()
        for col in cols:
            prefix = "" if len(cols) == 1 else f"{col}_"
            for name, values in self.summarize(table, col, rows).items():
                df[prefix + name] = pd.array(np.where(np.isnan(values), None, values),
                                             "Float64") if np.isnan(values).any() else values
        return df
