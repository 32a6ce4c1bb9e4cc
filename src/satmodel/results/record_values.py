"""Values into and out of a result's JSON record: labelled vectors and matrices, tidy
tables as row objects, and the bootstrap's record (summaries, optionally the draws).

>>> vector([1.0, 2.0], ("a", "b"))
{'a': 1.0, 'b': 2.0}
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["vector", "matrix", "table_record", "inference_record", "inference_from_record"]


def vector(values: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {n: v.item() if hasattr(v, "item") else v for n, v in zip(names, np.asarray(values).tolist())}


def matrix(values: Any, rows: tuple[str, ...], columns: tuple[str, ...]) -> dict[str, Any]:
    return {"rows": list(rows), "columns": list(columns),
            "values": np.asarray(values, dtype=float).tolist()}


def table_record(df: pd.DataFrame) -> list[dict[str, Any]]:
    """A tidy frame as a list of row objects; <NA>/NaN become None."""
    columns = [str(c) for c in df.columns]
    return [{c: None if (v is pd.NA or (isinstance(v, float) and math.isnan(v))) else
             (v.item() if hasattr(v, "item") else v) for c, v in zip(columns, row)}
            for row in df.astype(object).itertuples(index=False)]


def _nan_list(values: Any) -> list:
    return [None if not math.isfinite(v) else v for v in np.asarray(values, dtype=float).ravel()]


def inference_record(inf: Any, draws: bool) -> dict[str, Any]:
    """The record of a :class:`~satmodel.inference.BootstrapInference`."""
    summaries = {t: {c: {k: _nan_list(v) for k, v in inf.summarize(t, c).items()}
                     for c in cols} for t, cols in inf.original.items()}
    seed = inf.seed if isinstance(inf.seed, (int, type(None))) and not isinstance(inf.seed, bool) \
        else str(inf.seed)
    out = {"n_requested": inf.n_requested, "n_valid": inf.n_valid, "dropped": dict(inf.dropped),
           "seed": seed, "signs": inf.signs, "level": inf.level, "method": inf.method,
           "original": {t: {c: _nan_list(v) for c, v in cols.items()} for t, cols in inf.original.items()},
           "summaries": summaries, "draws": None}
    if draws and inf.draws is not None:
        out["draws"] = {t: {c: [_nan_list(r) for r in np.asarray(v)] for c, v in cols.items()}
                        for t, cols in inf.draws.items()}
    return out


def inference_from_record(rec: Any) -> Any:
    from ..inference.bootstrap import BootstrapInference

    if rec is None:
        return None
    arr = lambda v: np.array([np.nan if x is None else x for x in v], dtype=float)  # noqa: E731
    original = {t: {c: arr(v) for c, v in cols.items()} for t, cols in rec.original.items()}
    draws = None
    if rec.draws is not None:
        draws = {t: {c: np.array([[np.nan if x is None else x for x in r] for r in v], dtype=float)
                     .reshape(rec.n_valid, -1) for c, v in cols.items()}
                 for t, cols in rec.draws.items()}
    stored = {t: {c: {k: arr(v) for k, v in stats.items()} for c, stats in cols.items()}
              for t, cols in rec.summaries.items()}
    return BootstrapInference(draws=draws, original=original, n_requested=rec.n_requested,
                              n_valid=rec.n_valid, dropped=dict(rec.dropped), seed=rec.seed,
                              signs=rec.signs, level=rec.level, method=rec.method,
                              # studentized: the t draws are not stored, the summaries are
                              stored=None if draws is not None and not
                              rec.method.startswith("studentized") else stored)
