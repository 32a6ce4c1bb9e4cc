"""Two-group comparison by permutation, on the same batched path as the bootstrap.

Group membership is a 0/1 row weight, so a permutation of the group labels is a pair
of weight vectors and B permutations are 2B moment matrices fitted in one batched
call (Chin & Dibbern 2010 permutation MGA; METHODS.md 4.4).

Example
-------
>>> import satmodel as sm
>>> df = sm.datasets.load("ecsi_satisfaction")
>>> out = sm.permutation_test(sm.templates.ecsi(), df, group="gender", n=99, seed=1)
>>> list(out.columns)[:4]
['source', 'target', 'estimate_female', 'estimate_male']
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from .errors import DataError, OptionError, SatModelWarning
from .fit import engine_options, fit_pls, layout_of, survey_moments
from .pls import estimate
from .spec import ModelSpec
from .tables import TABLES, Context


def _labels(data: Any, group: Any, rows: np.ndarray) -> np.ndarray:
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


def _fit_groups(survey, options, lay, spec, masks, table, column):
    """Table values of the groups given by 0/1 row masks (k, n): shape (k, rows)."""
    mom = survey_moments(survey, options, masks)
    engine = engine_options(options, mom.n, mom.std)
    est = estimate(mom.corr, lay, **engine)
    ctx = Context(S=mom.corr, est=est, layout=lay, spec=spec, n_obs=mom.n, mean=mom.mean,
                  std=mom.std, engine=engine)
    ok = est.converged & np.isfinite(est.weights).all(-1)
    return TABLES[table].values(ctx, column), ok


def permutation_test(
    spec: ModelSpec,
    data: Any,
    group: Any,
    *,
    n: int = 1000,
    seed: Any = None,
    table: str = "paths",
    column: str | None = None,
    **fit_options: Any,
) -> pd.DataFrame:
    """Permutation test of the difference of a table's estimates between two groups.

    Parameters
    ----------
    spec, data
        As for :func:`satmodel.fit_pls` (``data`` must hold the group column if
        ``group`` is a name).
    group : str or array
        Column name or one label per row; exactly two distinct labels.
    n : int
        Number of permutations of the group labels (group sizes fixed).
    seed : int, Generator or None
    table, column : str
        Any registered table (``satmodel.tables.TABLES``) and value column; default the
        path coefficients.
    **fit_options
        Any option of :func:`satmodel.fit_pls` (scheme, consistent, missing, weights, ...):
        each group is treated as the pooled fit is (same missing-data treatment and
        sampling weights; rows a casewise deletion drops are left out of both groups).

    Returns
    -------
    DataFrame
        Key columns, ``estimate_<label>`` for both groups, ``diff`` (first − second, labels
        in sorted order) and ``p`` = (1 + #{|diff*| ≥ |diff|}) / (1 + B), the permutation
        p-value with the usual +1 correction (never 0).
    """
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise OptionError(f"n={n!r}: the number of permutations must be a positive integer")
    if table not in TABLES:
        raise OptionError(f"table={table!r} is not a registered table: {', '.join(TABLES)}")
    column = column or next(iter(TABLES[table].columns))
    pooled = fit_pls(spec, data, **fit_options)  # validates; missing data and weights as a fit
    survey, options = pooled._data, pooled.options
    labels = _labels(data, group, survey.rows)
    levels = sorted(pd.unique(labels), key=str)
    if len(levels) != 2:
        raise DataError(f"group must have exactly 2 distinct labels, found {len(levels)}: "
                        f"{levels[:5]}")
    lay = layout_of(spec)
    first = (labels == levels[0]).astype(float)
    observed, ok = _fit_groups(survey, options, lay, spec, np.stack([first, 1 - first]),
                               table, column)
    if not ok.all():
        raise DataError("the model does not converge in one of the groups; check group sizes")
    diff = observed[0] - observed[1]
    rng = np.random.default_rng(seed)
    exceed = np.zeros_like(diff)
    valid = 0
    chunk = 500
    for start in range(0, n, chunk):
        k = min(chunk, n - start)
        perm = rng.permuted(np.tile(first, (k, 1)), axis=1)
        values, ok = _fit_groups(survey, options, lay, spec, np.concatenate([perm, 1 - perm]),
                                 table, column)
        good = ok[:k] & ok[k:]
        d = values[:k][good] - values[k:][good]
        exceed += np.sum(np.abs(d) >= np.abs(diff) - 1e-12, axis=0)
        valid += int(good.sum())
    if valid < n:
        warnings.warn(f"{n - valid} of {n} permutations did not converge and were dropped",
                      SatModelWarning, stacklevel=2)
    out = TABLES[table].keys(spec)
    out[f"estimate_{levels[0]}"] = observed[0]
    out[f"estimate_{levels[1]}"] = observed[1]
    out["diff"] = diff
    out["p"] = (1.0 + exceed) / (1.0 + valid)
    return out
