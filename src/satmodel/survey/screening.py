"""Respondent screening: straight-lining and other careless-response flags (docs/methods.md §6.7).

Survey firms drop or review respondents who give the same answer to a whole battery.
:func:`response_quality` computes, per respondent, over the given items (in the order
given, which is the questionnaire order for the run length):

- ``answered``: number of non-missing answers;
- ``identical_share``: share of answers equal to the respondent's most frequent answer;
- ``row_sd``: standard deviation of the answers (divisor k − 1; <NA> below 2 answers);
- ``longest_run``: longest run of identical consecutive answers (missing answers break runs);
- ``straightliner``: every answer identical, with at least ``min_items`` answers.

Example
-------
>>> import pandas as pd
>>> df = pd.DataFrame({"q1": [5, 1, 7], "q2": [5, 2, 7], "q3": [5, 2, None]})
>>> response_quality(df, ["q1", "q2", "q3"], min_items=2)[["identical_share", "longest_run", "straightliner"]]
   identical_share  longest_run  straightliner
0              1.0            3           True
1         0.666667            2          False
2              1.0            2           True
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import DataError, OptionError, suggest


def _longest_run(values: np.ndarray) -> np.ndarray:
    """Longest run of equal consecutive non-missing values per row, vectorized over rows."""
    n, k = values.shape
    run = np.zeros(n, dtype=int)
    best = np.zeros(n, dtype=int)
    prev = np.full(n, np.nan)
    for j in range(k):  # a loop over the items of a battery, not over respondents
        cur = values[:, j]
        ok = ~np.isnan(cur)
        same = ok & (cur == prev)
        run = np.where(same, run + 1, np.where(ok, 1, 0))
        best = np.maximum(best, run)
        prev = np.where(ok, cur, np.nan)
    return best


def response_quality(data: pd.DataFrame, items: Sequence[str], *,
                     min_items: int = 3) -> pd.DataFrame:
    """Careless-response indicators per respondent (see the module docstring).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent; never modified.
    items : sequence of str
        The battery's columns, in questionnaire order (e.g. ``spec.indicator_names``).
    min_items : int
        Answers needed before identical answers count as straight-lining.

    Returns
    -------
    DataFrame with the input's row index.
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    items = list(items)
    if len(items) < 2:
        raise OptionError("items: give at least two columns of a battery")
    missing = [c for c in items if c not in data.columns]
    if missing:
        raise DataError(f"column {missing[0]!r} is not in the data."
                        f"{suggest(missing[0], [str(c) for c in data.columns])}")
    if min_items < 2:
        raise OptionError(f"min_items={min_items}: must be at least 2")
    try:
        values = data[items].apply(pd.to_numeric, errors="raise").to_numpy(dtype=float)
    except (TypeError, ValueError):
        bad = next(c for c in items if not pd.api.types.is_numeric_dtype(data[c]))
        raise DataError(f"item {bad!r} is not numeric; recode it to scale values") from None
    answered = (~np.isnan(values)).sum(axis=1)
    frame = pd.DataFrame(values, index=data.index)
    mode_count = frame.apply(lambda row: row.value_counts().max() if row.notna().any() else 0,
                             axis=1).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(answered > 0, mode_count / answered, np.nan)
    out = pd.DataFrame({
        "answered": answered,
        "identical_share": pd.array(np.where(answered > 0, share, np.nan), dtype="Float64"),
        "row_sd": frame.std(axis=1, ddof=1).astype("Float64"),
        "longest_run": _longest_run(values),
        "straightliner": (answered >= min_items) & (mode_count == answered),
    }, index=data.index)
    out["identical_share"] = out["identical_share"].mask(out["answered"] == 0, pd.NA)
    return out
