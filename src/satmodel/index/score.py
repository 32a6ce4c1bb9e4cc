"""Fixed-weight scoring of new respondents (``res.score(df)``) and the sample size a
unit needs for a target margin of its index (``sm.sample_size``).

Scoring keeps everything of the fit frozen: the new answers are read as the fit read
its rows (``na_values`` codes, declared scales, reverse items; missing cells filled
with the *fit's* means — or, under ``missing="em"``, their conditional expectation
under the fit's moments — or the respondent dropped under ``"casewise"``), then

- ``what="scores"``: z = (x − x̄_fit) / s_fit, construct score = Σ w_i z_i (the fit's
  standardized weights), the same numbers ``res.scores`` gives for the fit's own rows;
- ``what="index"``: the 0-100 respondent index 100 Σ u_i (x_i − min_i) / Σ u_i (max_i −
  min_i), u = w / s_fit (docs/methods.md §6.1), as ``res.index(per_respondent=True)``.

Sample size (normal approximation, weights taken as fixed): a unit's index is the mean
of its respondents' 0-100 scores, so its 95 % margin is z σ / √n and
n = ⌈deff · (z_{1−α/2} σ / margin)²⌉, σ the SD of the 0-100 respondent score. From a
pilot fit σ = 100 / Σ_i u_i (max_i − min_i) exactly (a proxy has unit variance); from
item SDs σ on 0-100 is 100 s / (max − min), an upper bound for a composite of
positively weighted items. ``deff`` is a design effect (Kish's n Σw² / (Σw)² for
sampling weights). EPSI's rule: σ ≈ 16 points and ±2 points need about 250 interviews.

>>> int(sample_size(2.0, sd=16.0))
246
>>> int(sample_size(2.0, sd=1.8, scale=(1, 10)))
385
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .. import _validate as valid
from ..diagnostics import report
from ..errors import DataError, IndexWarning, OptionError
from ..moments.core import Moments
from ..moments.treatment import complete_rows
from ..survey import SurveyData, codes, coding
from ..survey.adapters import as_table, to_float
from ..tables import index as _index
from . import results as index_results

__all__ = ["read_rows", "sample_size", "score"]

WHAT = ("index", "scores")


def read_rows(res, data: Any, columns: Any = None) -> SurveyData:
    """New answers read as the fit read its rows (codes, scales, reverse items, missing)."""
    spec, so = res.spec, res.survey_options
    table = as_table(data, columns)
    absent = [i for i in spec.indicator_names if i not in table.labels]
    if absent:
        raise DataError(f"the data to score lack the model's items {absent[:8]}"
                        f"{' ...' if len(absent) > 8 else ''}; name the columns as in the spec")
    converted, problems = {}, []
    for name in spec.indicator_names:
        values, problem = to_float(name, table.column(name))
        if problem is not None:
            problems.append(problem)
        else:
            converted[name] = np.array(values, dtype=float)
    n = len(next(iter(converted.values()))) if converted else 0
    index = table.index if table.index is not None else pd.RangeIndex(n)
    if not problems:
        coding.apply_codes(converted, coding.codes_per_item(spec, so.na_values))
        problems = coding.scale_problems(spec, converted, index) \
            + codes.code_problems(spec, converted)
    if problems:
        raise DataError("the data to score have problems:\n  - " + "\n  - ".join(problems[:12]))
    coding.reverse_items(spec, converted, so.reverse)
    X = np.column_stack([converted[i] for i in spec.indicator_names]) if n else \
        np.empty((0, len(spec.indicator_names)))
    if np.isinf(X).any():
        raise DataError("the data to score hold infinite values; replace or drop them")
    rows = np.arange(n)
    gaps = np.isnan(X).any(axis=1)
    if gaps.any() and so.missing == "error":
        k = int(np.argmax(np.isnan(X).any(axis=0)))
        raise DataError(f"item {spec.indicator_names[k]} has missing values in the data to score "
                        f"(rows {index[np.isnan(X[:, k])].tolist()[:5]}); the fit used "
                        "missing='error': drop or impute them first")
    if gaps.any() and so.missing == "casewise":
        rows = np.flatnonzero(~gaps)
        X, index = X[rows], index[rows]
    return SurveyData(values=X, index=index, indicators=tuple(spec.indicator_names),
                      missing=so.missing, rows=rows)


def score(res, data: Any, *, what: str = "index", fit_metric: str = "standardized",
          scale: Any = None, allow_negative: bool = False, columns: Any = None) -> pd.DataFrame:
    """Score new respondents with the fit's frozen weights, means and SDs.

    Parameters
    ----------
    res : PLSResult
    data : table
        One row per respondent with the model's items (other columns ignored).
    what : {"index", "scores"}
        0-100 respondent index per construct, or standardized construct scores.
    fit_metric, scale, allow_negative
        As for ``res.index`` (:mod:`satmodel.index.results`).

    Returns
    -------
    DataFrame
        Respondents (the input's row index) x constructs.

    >>> import satmodel as sm
    >>> df = sm.datasets.load("ecsi_satisfaction")
    >>> res = sm.fit_pls(sm.templates.ecsi(), df)
    >>> new = res.score(df.head(3))
    >>> bool(abs(new - res.index(per_respondent=True).head(3)).max().max() < 1e-12)
    True
    """
    valid.choice("score", "what", what, WHAT)
    survey = read_rows(res, data, columns)
    mom = Moments(n=float(res.n_obs), mean=res.indicator_mean, std=res.indicator_std,
                  corr=res.indicator_corr)
    X = complete_rows(survey, mom)
    names = list(res.spec.construct_names)
    M = res.layout.membership
    if what == "scores":
        W = res.estimate.weights[:, None] * M
        values = X @ (W / mom.std[:, None]) - (mom.mean / mom.std) @ W
        return pd.DataFrame(values, index=survey.index.copy(), columns=names)
    w = index_results.index_weights(res, fit_metric=fit_metric, scale=scale)
    u, lo, hi = (w[c].to_numpy(dtype=float) for c in ("unstd_weight", "scale_min", "scale_max"))
    with np.errstate(invalid="ignore"):
        outside = ((X < lo - 1e-9) | (X > hi + 1e-9)).any(axis=0)
    if outside.any():
        k = int(np.argmax(outside))
        raise DataError(f"item {res.spec.indicator_names[k]} of the data to score leaves its "
                        f"scale {lo[k]:g}-{hi[k]:g}; give the item's real answer scale")
    bad = [c for j, c in enumerate(names) if np.isnan(lo[M[:, j]]).any()
           or (not allow_negative and (u[M[:, j]] < 0).any())]
    if bad:
        report("no_index", f"no index for {bad}: an item without a declared scale (pass "
               "scale=) or a negative weight (allow_negative=True)", IndexWarning, names=bad)
    with np.errstate(invalid="ignore"):
        values = _index.respondent_index(X, u, np.nan_to_num(lo), np.nan_to_num(hi), M)
    frame = pd.DataFrame(values, index=survey.index.copy(), columns=names).astype("Float64")
    for c in bad:
        frame[c] = pd.NA
    return frame


def _z(level: float) -> float:
    return float(stats.norm.ppf(0.5 + valid.number("sample_size", "level", level, 0.0, 1.0) / 2))


def pilot_sd(res) -> pd.Series:
    """SD of each construct's 0-100 respondent score in a pilot fit (declared scales)."""
    w = index_results.index_weights(res)
    u, lo, hi = (w[c].to_numpy(dtype=float) for c in ("unstd_weight", "scale_min", "scale_max"))
    sd = _index.score_sd(u, hi, lo, res.layout.membership)
    return pd.Series(sd, index=list(res.spec.construct_names), name="sd")


def sample_size(target_margin: float, pilot: Any = None, *, sd: Any = None, scale: Any = None,
                level: float = 0.95, deff: float = 1.0, constructs: Any = None) -> Any:
    """Respondents per unit for an index margin of ± ``target_margin`` points.

    Parameters
    ----------
    target_margin : float
        Half-width of the interval on the 0-100 index.
    pilot : PLSResult or GroupedPLSResult, optional
        A pilot fit; σ from its weights (per construct; per group for a grouped fit).
    sd : float or array_like, optional
        Instead of a pilot: the SD of the respondent score on 0-100, or item SDs on
        their own scale with ``scale=(min, max)`` (the largest is taken: conservative).
    level : float
        Confidence level (0.95: z = 1.96).
    deff : float
        Design effect (1 for simple random samples).
    constructs : str or list, optional
        Constructs reported from a pilot (default all).

    Returns
    -------
    int (from ``sd``), Series construct -> n (pilot), or DataFrame keys, construct, sd, n
    (grouped pilot).
    """
    margin = valid.number("sample_size", "target_margin", target_margin, 0.0, 100.0)
    deff = valid.number("sample_size", "deff", deff, 0.0, math.inf)
    z = _z(level)

    def needed(sigma):
        return np.ceil(deff * (z * np.asarray(sigma, dtype=float) / margin) ** 2)
    if (pilot is None) == (sd is None):
        raise OptionError("sample_size needs either pilot= (a fit) or sd= (score or item SDs)")
    if sd is not None:
        s = np.max(np.asarray(sd, dtype=float))
        if scale is not None:
            lo, hi = (float(v) for v in scale)
            s = 100.0 * s / (hi - lo)
        if not np.isfinite(s) or s <= 0:
            raise valid.bad("sample_size", "sd", sd, "positive standard deviations")
        return int(needed(s))
    wanted = None if constructs is None else ([constructs] if isinstance(constructs, str)
                                              else list(constructs))
    if getattr(pilot, "by", None) is not None:  # a grouped pilot: one row per group
        parts = []
        for key, res in pilot.items():
            s = pilot_sd(res)
            s = s if wanted is None else s[wanted]
            part = pd.DataFrame({"construct": s.index, "sd": s.to_numpy(), "n": needed(s)})
            for b, v in zip(pilot.by, key):
                part.insert(list(pilot.by).index(b), b, v)
            parts.append(part)
        out = pd.concat(parts, ignore_index=True)
        out["n"] = out["n"].astype("Int64")
        return out
    s = pilot_sd(pilot)
    s = s if wanted is None else s[wanted]
    return pd.Series(needed(s), index=s.index, name="n").astype("Int64")
