"""Fit a ModelSpec by PLS path modelling or consistent PLS (the public verbs).

:func:`fit_pls` validates spec, options and data once at the boundary, builds the
model's :class:`~satmodel.engine.Refit` and fits it; :func:`fit_pls_moments` fits a
correlation matrix directly (no respondent scores); :func:`permutation_test` fits the
pooled model and permutes group labels on the same refit.

Example
-------
>>> import satmodel as sm
>>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
>>> res.converged
True
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .. import _validate as valid
from ..diagnostics import collecting
from ..engine import PLSOptions, Refit
from ..errors import DataError, EstimationError, NotAvailableError
from ..groups import permutation as permutation_groups
from ..moments.core import Moments
from ..moments.ordinal import CORRELATIONS
from ..spec.layout import layout_of
from ..spec.model import ModelSpec
from ..survey import SurveyOptions, prepare
from ..survey.coding import check_pairs
from ..survey.stream import stream_source
import satmodel.results.pls_checks as checks
import satmodel.results.staged as staged
import satmodel.results.streamed as streamed
from .grouped_fit import check_standardize, fit_groups
from .pls import PLSResult

__all__ = ["fit_pls", "fit_pls_moments", "permutation_test", "PLS_MISSING"]

#: the missing-data treatments of fit_pls (moment-based; FIML is CB-SEM's)
PLS_MISSING = ("error", "casewise", "listwise", "mean", "pairwise", "em")


def fit_pls(
    spec: ModelSpec,
    data: Any,
    *,
    scheme: str = "path",
    consistent: bool = False,
    tol: float = 1e-7,
    max_iter: int = 300,
    stop: str = "max_abs",
    missing: str = "error",
    na_values: Any = (),
    reverse: Sequence[str] = (),
    weights: Any = None,
    missing_warn: float = 0.05,
    scaled: bool = True,
    scales: Any = None,
    columns: Sequence[str] | None = None,
    by: Any = None,
    standardize: str = "group",
    min_rows: int | None = None,
    hoc: str | None = None,
    interaction: str | None = None,
    correlation: str = "pearson",
    interaction_scale: str = "standardized",
    hoc_convention: str = "seminr",
) -> Any:
    """Fit ``spec`` to survey ``data`` by PLS-PM (or PLSc with ``consistent=True``).

    Parameters
    ----------
    spec : ModelSpec
    data : pandas.DataFrame, polars.DataFrame, dict of columns, or numpy array
        One row per respondent; every spec indicator must be a numeric column
        (a 2-D numpy array needs ``columns=``). The caller's object is never modified.
        A path to a .parquet/.csv file (or a folder of Parquet files), a pyarrow Dataset
        or a Dask DataFrame is read in batches (partitions) into moment sums without
        holding the rows: :mod:`satmodel.results.streamed`.
    scheme, consistent, tol, max_iter, stop, scaled
        Estimator options, documented once on :class:`satmodel.PLSOptions`.
    missing, na_values, reverse, weights, missing_warn, scales
        Survey options, documented once on :class:`satmodel.SurveyOptions`;
        ``weights`` is a column name of ``data`` or an array with one weight per row.
    by : str or list of str, optional
        Group columns (company, wave): every group fitted in one batched call, returning
        a :class:`~satmodel.results.grouped.GroupedPLSResult`; groups that cannot be
        fitted (fewer than ``min_rows`` rows, a constant item, no convergence) are left
        out and reported. ``standardize="group"``: items standardized within each group.

    hoc : {"repeated_indicators", "two_stage", "embedded_two_stage"}, optional
        How higher-order constructs (``PERF =~ QUAL + VAL``) are estimated
        (:mod:`satmodel.spec.higher_order`); required when the spec has any.
    interaction : {"product_indicator", "orthogonal", "two_stage"}, optional
        How interaction terms (``LOY ~ SAT + IMAG + SAT:IMAG``) are estimated
        (:mod:`satmodel.spec.interaction`); required when the spec has any.
    interaction_scale : {"standardized", "seminr", "csem"}
        Interaction constructs standardized like every construct (default, as SmartPLS),
        seminr's rescaling, or cSEM's nonlinear estimator
        (``satmodel.spec.staging.INTERACTION_SCALES``).
    hoc_convention : {"seminr", "csem"}
        Stages of ``hoc="two_stage"``: seminr's (default) or cSEM's
        (``satmodel.spec.staging.HOC_CONVENTIONS``).

    correlation : {"pearson", "spearman", "polychoric"}
        Indicator correlations the engine works on: ``"polychoric"`` takes items with
        at most 15 integer levels as ordinal (polychoric/polyserial, OrdPLS/OrdPLSc),
        ``"spearman"`` rank correlations (:mod:`satmodel.moments.ordinal`). Complete
        rows only (``missing="error"`` or ``"casewise"``); not with ``by``/``hoc``.

    Returns
    -------
    PLSResult (GroupedPLSResult with ``by=``; StagedPLSResult with ``hoc``/``interaction``)

    Raises
    ------
    DataError, OptionError, EstimationError
        With a message naming the column, option or construct at fault.

    Examples
    --------
    >>> import satmodel as sm
    >>> df = sm.datasets.load("ecsi_satisfaction")
    >>> res = sm.fit_pls(sm.templates.ecsi(), df, scheme="centroid", consistent=True)
    >>> res.r2.index.tolist()
    ['EXPE', 'QUAL', 'VAL', 'SAT', 'LOY']
    """
    check_spec(spec, "fit_pls")
    options = valid.build(PLSOptions, "fit_pls", scheme=scheme, consistent=consistent, tol=tol,
                          max_iter=max_iter, stop=stop, scaled=scaled)
    survey_options = survey_options_for("fit_pls", missing=missing, na_values=na_values,
                                        reverse=reverse, weights=weights,
                                        missing_warn=missing_warn, scales=scales or {})
    spec = survey_options.apply_scales(spec)
    survey_options = survey_options.model_copy(update={
        "correlation": valid.choice("fit_pls", "correlation", correlation, CORRELATIONS)})
    if correlation != "pearson" and (
            by is not None or hoc is not None or interaction is not None
            or survey_options.missing not in ("error", "casewise")):
        raise NotAvailableError(f"correlation={correlation!r} is available for complete rows "
                                "(missing='error' or 'casewise') without by=, hoc= or "
                                "interaction=; use correlation='pearson' there")
    staged.check_staged_options(spec, hoc, interaction, options, by, interaction_scale,
                                hoc_convention)
    check_standardize(standardize)  # on every route
    if min_rows is not None:
        valid.integer("fit_pls", "min_rows", min_rows, minimum=3)
    source = stream_source(data)  # a file path, pyarrow Dataset or Dask DataFrame: streamed
    if source is not None:
        return streamed.fit_streamed(spec, source, options, survey_options, fit=_fit,
                                     weights=weights, columns=columns, by=by, hoc=hoc,
                                     interaction=interaction, correlation=correlation,
                                     min_rows=min_rows, standardize=standardize)
    if hoc is not None or interaction is not None or not spec.is_first_order:  # spec rewrites
        return staged.fit_staged(spec, data, options, survey_options, hoc=hoc,
                                 interaction=interaction, columns=columns, weights=weights,
                                 min_rows=min_rows, interaction_scale=interaction_scale,
                                 hoc_convention=hoc_convention)
    if by is not None:
        return fit_groups(spec, data, by, options, survey_options, weights=weights,
                          columns=columns, standardize=standardize, min_rows=min_rows)
    with collecting() as found:
        survey = prepare(spec, data, columns=columns, na_values=survey_options.na_values,
                         reverse=survey_options.reverse, missing=survey_options.missing,
                         weights=weights, missing_warn=survey_options.missing_warn,
                         min_rows=min_rows)
        survey = dataclasses.replace(survey, correlation=correlation)
        n_eff = checks.check_weights(spec, survey.weights, min_rows)
        check_pairs(spec, survey.X, survey.missing, survey.weights, em=True)
        refit = Refit(survey, options, layout_of(spec))
        mom = refit.moments()
        checks.check_moments(spec, mom, correlation)
        res = _fit(spec, refit, mom, survey_options, survey, n_eff)
    # scores: on first access of res.scores (moments.treatment.proxy_scores)
    return dataclasses.replace(res, diagnostics=tuple(found))


def survey_options_for(verb: str, *, missing: Any, weights: Any, **options: Any) -> SurveyOptions:
    """Validate survey options for ``verb`` (``weights``: a column name or an array)."""
    label = weights if isinstance(weights, str) or weights is None else "<array>"
    so = valid.build(SurveyOptions, verb, missing=missing, weights=label, **options)
    if verb == "fit_pls" and so.missing not in PLS_MISSING:
        raise valid.bad(verb, "missing", missing,
                        "choose one of " + ", ".join(map(repr, PLS_MISSING))
                        + " ('fiml' is full-information ML: use sm.fit_cbsem)")
    if so.missing == "listwise":
        so = so.model_copy(update={"missing": "casewise"})
    return so


def fit_pls_moments(
    spec: ModelSpec,
    corr: Any,
    *,
    n_obs: int,
    means: Any = None,
    stds: Any = None,
    scheme: str = "path",
    consistent: bool = False,
    tol: float = 1e-7,
    max_iter: int = 300,
    stop: str = "max_abs",
) -> PLSResult:
    """Fit ``spec`` to an indicator correlation matrix (spec indicator order).

    Useful for published correlation matrices, population models and data summarized
    elsewhere. The result has no respondent scores.

    >>> import numpy as np, satmodel as sm
    >>> spec = sm.ModelSpec.from_lavaan("X =~ x1 + x2\\nY =~ y1 + y2\\nY ~ X")
    >>> S = np.full((4, 4), 0.3) + np.diag([0.7] * 4); S[0, 1] = S[1, 0] = S[2, 3] = S[3, 2] = 0.6
    >>> round(float(sm.fit_pls_moments(spec, S, n_obs=100).paths.estimate[0]), 6)
    0.375
    """
    check_spec(spec, "fit_pls_moments")
    options = valid.build(PLSOptions, "fit_pls_moments", scheme=scheme, consistent=consistent,
                          tol=tol, max_iter=max_iter, stop=stop)
    p = len(spec.indicator_names)
    try:
        S = np.array(corr, dtype=float)
    except (TypeError, ValueError):
        raise valid.bad("fit_pls_moments", "corr", type(corr).__name__,
                        f"a {p} x {p} numeric correlation matrix") from None
    if S.shape != (p, p):
        raise DataError(f"corr has shape {S.shape}; the spec has {p} indicators, so it "
                        f"must be {p} x {p} in spec indicator order")
    if not np.all(np.isfinite(S)) or not np.allclose(S, S.T, rtol=0, atol=1e-12) or \
            not np.allclose(np.diag(S), 1.0, rtol=0, atol=1e-12):
        raise DataError("corr must be a finite symmetric correlation matrix with unit diagonal")
    low = np.linalg.eigvalsh(S)[0]
    if low < -1e-10:
        raise DataError(f"corr is not positive semi-definite (smallest eigenvalue {low:.3g}); "
                        "it cannot be a correlation matrix of data")
    n = valid.integer("fit_pls_moments", "n_obs", n_obs, minimum=3)
    mean = _moment_vector("means", means, p, 0.0)
    std = _moment_vector("stds", stds, p, 1.0)
    if np.any(std <= 0):
        raise valid.bad("fit_pls_moments", "stds", stds, "positive standard deviations")
    mom = Moments(n=float(n), mean=mean, std=std, corr=S)
    with collecting() as found:
        res = _fit(spec, Refit(None, options, layout_of(spec)), mom, SurveyOptions(), None)
    return dataclasses.replace(res, diagnostics=tuple(found))


def _moment_vector(name: str, values: Any, p: int, default: float) -> np.ndarray:
    if values is None:
        return np.full(p, default)
    try:
        out = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError):
        out = np.empty(0)
    if out.shape != (p,) or not np.all(np.isfinite(out)):
        raise valid.bad("fit_pls_moments", name, values, f"{p} finite numbers in spec indicator order")
    return out.copy()


def check_spec(spec: Any, verb: str) -> None:
    """A ModelSpec that PLS can estimate (residual covariances, fixed values: CB-SEM)."""
    if not isinstance(spec, ModelSpec):
        raise EstimationError(
            f"spec must be a satmodel.ModelSpec, got {type(spec).__name__}; build one with "
            "sm.ModelSpec.from_lavaan(text) or take a template such as sm.templates.ecsi()")
    spec.require_pls()
    if verb != "fit_pls" and not spec.is_first_order:  # staged models: fit_pls(hoc=, interaction=)
        raise NotAvailableError(f"{verb} is not available for models with higher-order "
                                "constructs or interaction terms yet; use sm.fit_pls(spec, data, "
                                "hoc=..., interaction=...)")


def _fit(spec: ModelSpec, refit: Refit, mom: Moments, survey_options: SurveyOptions,
         survey: Any, n_eff: float | None = None) -> PLSResult:
    S = np.asarray(mom.corr, dtype=float)
    checks.check_blocks(spec, refit.layout, S)
    est = refit.on_moments(mom).estimate
    checks.check_estimate(spec, refit.layout, est, refit.options)
    checks.check_signs(spec, est)
    checks.check_sample_size(spec, refit.layout, float(mom.n) if n_eff is None else n_eff,
                             weighted=n_eff is not None)
    return PLSResult(spec=spec, options=refit.options, survey_options=survey_options,
                     n_obs=int(round(float(mom.n))),
                     indicator_mean=np.asarray(mom.mean, dtype=float).copy(),
                     indicator_std=np.asarray(mom.std, dtype=float).copy(),
                     indicator_corr=S.copy(), estimate=est, survey=survey)


def permutation_test(spec: ModelSpec, data: Any, group: Any, *, n: int = 1000, seed: Any = None,
                     table: str = "paths", column: str | None = None,
                     progress: bool | None = None, **fit_options: Any) -> pd.DataFrame:
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
        Any listed table (``satmodel.tables.TABLES``) and value column; default the
        path coefficients.
    progress : bool or None
        tqdm bar over the permutations (default: in a notebook or on a terminal).
    **fit_options
        Any option of :func:`satmodel.fit_pls` (scheme, consistent, missing, weights, ...):
        each group is treated as the pooled fit is (same missing-data treatment and
        sampling weights; rows a casewise deletion drops are left out of both groups).

    Returns
    -------
    DataFrame
        Key columns, ``estimate_<label>`` for both groups, ``diff`` (first − second, labels
        in sorted order) and ``p`` = (1 + #{|diff*| ≥ |diff|}) / (1 + B), the permutation
        p-value with the usual +1 correction (never 0). ``attrs["diagnostics"]`` holds
        the pooled fit's and the permutations' diagnostics.

    Examples
    --------
    >>> import satmodel as sm
    >>> df = sm.datasets.load("ecsi_satisfaction")
    >>> out = sm.permutation_test(sm.templates.ecsi(), df, group="gender", n=99, seed=1)
    >>> list(out.columns)[:4]
    ['source', 'target', 'estimate_female', 'estimate_male']
    """
    permutation_groups.check_options(n, seed, table, column)
    valid.flag("permutation_test", "progress", progress, none=True)
    check_spec(spec, "permutation_test")
    pooled = fit_pls(spec, data, **fit_options)  # validates; missing data and weights as a fit
    survey = pooled.survey_rows("permutation_test")  # streamed data keep no rows
    labels = permutation_groups.group_labels(data, group, survey.rows)
    with collecting() as found:
        out = permutation_groups.permutation_test(spec, pooled.refit, labels, n=n, seed=seed,
                                                  table=table, column=column, progress=progress)
    out.attrs["diagnostics"] = list(pooled.diagnostics) + list(found)
    return out
