"""Line up estimates of several fits of the same spec (PLS, PLSc, CB-SEM) in one tidy table.

Example
-------
>>> import satmodel as sm
>>> spec = sm.ModelSpec.from_lavaan("EXPE =~ EXPE1 + EXPE2 + EXPE3; SAT =~ SAT1 + SAT2 + SAT3; SAT ~ EXPE")
>>> df = sm.datasets.load("ecsi_satisfaction")
>>> table = sm.compare(sm.fit_pls(spec, df), sm.fit_cbsem(spec, df))
>>> list(table.columns)
['kind', 'source', 'target', 'pls', 'cbsem', 'difference']
>>> table["kind"].unique().tolist()
['path', 'loading', 'r2']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from ..errors import SatModelError

__all__ = ["compare"]


def _label(res: Any) -> str:
    from ..results.cbsem import CBSEMResult

    if isinstance(res, CBSEMResult):
        return "cbsem" if res.estimator == "ML" else f"cbsem_{res.estimator.lower()}"
    options = getattr(res, "options", None)
    return "plsc" if getattr(options, "consistent", False) else "pls"


def _long(res: Any) -> pd.DataFrame:
    paths = res.paths[["source", "target", "estimate"]].assign(kind="path")
    outer = res.outer.rename(columns={"construct": "source", "indicator": "target", "loading": "estimate"})
    outer = outer[["source", "target", "estimate"]].assign(kind="loading")
    r2 = res.r2
    r2 = pd.DataFrame({"source": list(r2.index), "target": list(r2.index), "estimate": r2.to_numpy(),
                       "kind": "r2"})
    return pd.concat([paths, outer, r2], ignore_index=True)[["kind", "source", "target", "estimate"]]


def compare(*results: Any, labels: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per standardized path, loading and R², one column per fit.

    Parameters
    ----------
    *results : PLSResult or CBSEMResult
        Fits of the same spec (same constructs, indicators and paths).
    labels : sequence of str, optional
        Column names; default ``pls``/``plsc``/``cbsem`` (numbered if repeated).

    Returns
    -------
    DataFrame
        Columns ``kind`` ("path", "loading", "r2"), ``source``, ``target`` (for loadings
        the construct and the indicator; for R² the construct twice), one estimate column
        per fit and, for exactly two fits, ``difference`` (second minus first).
        Estimates are standardized in every method (PLS paths and loadings; CB-SEM
        completely standardized solution).
    """
    if len(results) < 2:
        raise SatModelError(f"compare needs at least two results, got {len(results)}")
    if labels is None:
        labels, seen = [], {}
        for res in results:
            base = _label(res)
            seen[base] = seen.get(base, 0) + 1
            labels.append(base if seen[base] == 1 else f"{base}_{seen[base]}")
        for base, count in seen.items():
            if count > 1:
                labels[labels.index(base)] = f"{base}_1"
    labels = list(labels)
    if len(labels) != len(results) or len(set(labels)) != len(labels):
        raise SatModelError(f"labels must be {len(results)} distinct names, got {labels!r}")
    keys = None
    table = None
    for res, label in zip(results, labels):
        long = _long(res)
        key = list(zip(long["kind"], long["source"], long["target"]))
        if keys is None:
            keys, table = key, long.rename(columns={"estimate": label})
        elif key != keys:
            raise SatModelError(
                f"result {label!r} does not have the same paths, indicators and constructs as "
                f"{labels[0]!r}; compare fits of the same spec")
        else:
            table[label] = long["estimate"].to_numpy()
    if len(results) == 2:
        table["difference"] = table[labels[1]] - table[labels[0]]
    return table.reset_index(drop=True)
