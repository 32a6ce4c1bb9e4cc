"""Fit a ModelSpec by PLS path modelling or consistent PLS.

:func:`fit_pls` validates data and options at the boundary, computes the moments,
runs the batched engine on them and attaches names. :func:`fit_pls_moments` fits a
correlation matrix directly (no respondent scores).

Example
-------
>>> import satmodel as sm
>>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
>>> res.converged
True
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .data import SurveyData, prepare
from . import missing as _missing
from .errors import (
    AdmissibilityWarning,
    ConvergenceWarning,
    DataError,
    EstimationError,
    SatModelWarning,
    SignWarning,
)
from .moments import Moments, compute_moments
from .options import PLSOptions
from .pls import Layout, estimate
from .results import PLSResult
from .spec import ModelSpec


def layout_of(spec: ModelSpec) -> Layout:
    """Translate a spec into the engine's index layout (spec order throughout)."""
    names = spec.construct_names
    pos = {c: i for i, c in enumerate(names)}
    block_of = np.array([pos[c.name] for c in spec.constructs for _ in c.indicators])
    adjacency = np.zeros((len(names), len(names)), dtype=bool)
    for p in spec.paths:
        adjacency[pos[p.source], pos[p.target]] = True
    modes = tuple("unit" if len(c.indicators) == 1 else c.mode for c in spec.constructs)
    common = np.array([c.common_factor and c.mode == "A" and len(c.indicators) > 1
                       for c in spec.constructs])
    return Layout(block_of=block_of, modes=modes, adjacency=adjacency, common_factor=common)


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
    columns: Sequence[str] | None = None,
) -> PLSResult:
    """Fit ``spec`` to survey ``data`` by PLS-PM (or PLSc with ``consistent=True``).

    Parameters
    ----------
    spec : ModelSpec
    data : pandas.DataFrame, polars.DataFrame, dict of columns, or numpy array
        One row per respondent; every spec indicator must be a numeric column
        (a 2-D numpy array needs ``columns=``). The caller's object is never modified.
    scheme, consistent, tol, max_iter, stop, missing, na_values, reverse, weights,
    missing_warn, scaled
        See :class:`satmodel.options.PLSOptions` (documented once there);
        ``weights`` is a column name of ``data`` or an array with one weight per row.

    Returns
    -------
    PLSResult

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
    _check_spec(spec)
    label = weights if isinstance(weights, str) or weights is None else "<array>"
    options = PLSOptions.build(scheme=scheme, consistent=consistent, tol=tol,
                               max_iter=max_iter, stop=stop, missing=missing,
                               na_values=na_values, reverse=reverse, weights=label,
                               missing_warn=missing_warn, scaled=scaled)
    survey = prepare(spec, data, columns=columns, na_values=options.na_values,
                     reverse=options.reverse, missing=options.missing, weights=weights,
                     missing_warn=options.missing_warn)
    mom = survey_moments(survey, options)
    _check_moments(spec, mom)
    res = _fit(spec, options, mom.corr, mom.n, mom.mean, mom.std)
    W = res.estimate.weights[:, None] * layout_of(spec).membership
    # standardized items times weights, without an n x p standardized copy
    scores = complete_rows(survey, mom) @ (W / mom.std[:, None]) - (mom.mean / mom.std) @ W
    frame = pd.DataFrame(scores, index=survey.index.copy(), columns=list(spec.construct_names))
    object.__setattr__(res, "_scores", frame)
    object.__setattr__(res, "_data", survey)
    return res


def survey_moments(survey: SurveyData, options: PLSOptions,
                   counts: np.ndarray | None = None) -> Moments:
    """Moments of validated survey rows under the fit's options.

    ``counts`` of shape ``(..., n)`` reweights the rows (a bootstrap resample is a vector
    of multinomial counts), giving batched moments. The bootstrap calls this same
    function, so resamples get exactly the treatment of the original fit: the row
    weights are ``counts`` times the sampling weights (rescaled, as in ``prepare``, to
    sum to the number of resampled rows), and mean replacement, pairwise
    moments or EM are recomputed on each resample (see ``PLSOptions.missing``).

    >>> import numpy as np, satmodel as sm
    >>> from satmodel.data import prepare
    >>> spec = sm.templates.ecsi()
    >>> survey = prepare(spec, sm.datasets.load("ecsi_satisfaction"))
    >>> counts = np.random.default_rng(1).multinomial(250, np.full(250, 1 / 250), size=3)
    >>> survey_moments(survey, sm.PLSOptions(), counts).corr.shape
    (3, 27, 27)
    """
    rw = survey.weights
    if counts is not None:
        c = np.asarray(counts, dtype=float)
        if rw is None:
            rw = c
        else:
            # as ``prepare`` does for any data: sampling weights rescaled to sum to the
            # number of (resampled) rows, so a resample equals a fit on its rows
            rw = c * rw
            total = rw.sum(axis=-1, keepdims=True)
            with np.errstate(invalid="ignore", divide="ignore"):
                rw = rw * np.where(total > 0, c.sum(axis=-1, keepdims=True) / total, 1.0)
    X = survey.X
    if survey.missing in ("mean", "pairwise", "em") and np.isnan(X).any():
        fn = {"mean": _missing.mean_imputed_moments, "pairwise": _missing.pairwise_moments,
              "em": _missing.em_moments}[survey.missing]
        return fn(X, rw)
    return compute_moments(X, rw)


def complete_rows(survey: SurveyData, mom: Moments) -> np.ndarray:
    """The survey matrix with missing cells filled as the treatment says (for scores).

    ``"mean"`` and ``"pairwise"``: the item mean; ``"em"``: the conditional expectation
    given the respondent's answers under the EM means and covariances.
    """
    X = survey.X
    if not np.isnan(X).any():
        return X
    if survey.missing == "em":
        cov = mom.corr * np.outer(mom.std, mom.std)
        return _missing.impute_conditional(X, mom.mean, cov)
    return _missing.impute_means(X, mom.mean)


def _check_moments(spec: ModelSpec, mom: Moments) -> None:
    if not np.all(np.isfinite(mom.corr)):
        raise DataError("the indicator correlations are not all finite (an item without "
                        "variance among the respondents used?); check the data")
    if np.linalg.eigvalsh(mom.corr)[0] < -1e-10:
        warnings.warn("the pairwise indicator correlation matrix is not positive semi-definite; "
                      "PLS still runs on it, but consider missing='em'", SatModelWarning,
                      stacklevel=3)


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
    _check_spec(spec)
    options = PLSOptions.build(scheme=scheme, consistent=consistent, tol=tol,
                               max_iter=max_iter, stop=stop)
    S = np.array(corr, dtype=float)
    p = len(spec.indicator_names)
    if S.shape != (p, p):
        raise DataError(f"corr has shape {S.shape}; the spec has {p} indicators, so it "
                        f"must be {p} x {p} in spec indicator order")
    if not np.all(np.isfinite(S)) or not np.allclose(S, S.T, atol=1e-12) or \
            not np.allclose(np.diag(S), 1.0, atol=1e-12):
        raise DataError("corr must be a finite symmetric correlation matrix with unit diagonal")
    low = np.linalg.eigvalsh(S)[0]
    if low < -1e-10:
        raise DataError(f"corr is not positive semi-definite (smallest eigenvalue {low:.3g}); "
                        "it cannot be a correlation matrix of data")
    if n_obs < 3:
        raise DataError(f"n_obs = {n_obs}: at least 3 observations are needed")
    mean = np.zeros(p) if means is None else np.asarray(means, dtype=float)
    std = np.ones(p) if stds is None else np.asarray(stds, dtype=float)
    return _fit(spec, options, S, float(n_obs), mean, std)


def engine_options(options: PLSOptions, n: Any, std: Any) -> dict[str, Any]:
    """Keyword arguments of :func:`satmodel.pls.estimate` for a fit's options and moments
    (``n`` and ``std`` batched alike); every caller of the engine goes through here."""
    kwargs: dict[str, Any] = dict(scheme=options.scheme, consistent=options.consistent,
                                  tol=options.tol, max_iter=options.max_iter, stop=options.stop)
    if not options.scaled:
        n = np.asarray(n, dtype=float)
        kwargs.update(item_scale=np.asarray(std, dtype=float) ** 2,
                      plspm_k=np.sqrt((n - 1.0) / n))
    return kwargs


def _check_spec(spec: Any) -> None:
    if not isinstance(spec, ModelSpec):
        raise EstimationError(
            f"spec must be a satmodel.ModelSpec, got {type(spec).__name__}; build one with "
            "sm.ModelSpec.from_lavaan(text) or take a template such as sm.templates.ecsi()")
    spec.require_pls()  # residual covariances and fixed parameters are CB-SEM only


def _fit(spec, options: PLSOptions, S, n, mean, std) -> PLSResult:
    lay = layout_of(spec)
    _check_blocks(spec, lay, S)
    est = estimate(S, lay, **engine_options(options, n, std))
    _check_estimate(spec, lay, est, options)
    _check_signs(spec, est)
    return PLSResult(spec=spec, options=options, n_obs=int(round(float(n))),
                     indicator_mean=np.asarray(mean, dtype=float).copy(),
                     indicator_std=np.asarray(std, dtype=float).copy(),
                     indicator_corr=S.copy(), estimate=est)


def _check_blocks(spec: ModelSpec, lay: Layout, S: np.ndarray) -> None:
    """Mode B blocks must have an invertible correlation matrix."""
    for j, c in enumerate(spec.constructs):
        if lay.modes[j] != "B":
            continue
        idx = lay.block(j)
        eig = np.linalg.eigvalsh(S[np.ix_(idx, idx)])
        if eig[0] <= 1e-10 * max(eig[-1], 1.0):
            raise EstimationError(
                f"construct {c.name!r} (Mode B) has a singular indicator correlation matrix: "
                f"its items {list(c.indicator_names)} are linearly dependent; drop a redundant "
                "item or use mode 'A'")


def _check_estimate(spec: ModelSpec, lay: Layout, est, options: PLSOptions) -> None:
    names = spec.construct_names
    if options.consistent:
        bad = [names[j] for j in range(len(names))
               if lay.common_factor[j] and not (np.isfinite(est.rho_a[j]) and est.rho_a[j] > 0)]
        if bad:
            raise EstimationError(
                f"PLSc correction is undefined for {bad}: rho_A is not positive (its items "
                "correlate negatively on balance); check reverse-coded items or declare the "
                "construct a composite ('<~')")
    for j in np.flatnonzero(est.singular_block):
        preds = spec.predecessors(names[j])
        raise EstimationError(
            f"the structural regression of {names[j]!r} on {list(preds)} is singular "
            "(perfectly collinear predictor constructs)")
    if not np.all(np.isfinite(est.weights)):
        raise EstimationError("the PLS iteration produced non-finite weights; "
                              "check the data for collinear or degenerate items")
    if not est.converged:
        warnings.warn(
            f"PLS did not converge in max_iter={options.max_iter} iterations "
            f"(stop rule {options.stop}, tol={options.tol:g}); results are the last iterate "
            "and res.converged is False. Raise max_iter or loosen tol.",
            ConvergenceWarning, stacklevel=3)
    if options.consistent:
        over = [names[j] for j in range(len(names))
                if lay.common_factor[j] and est.rho_a[j] > 1]
        big = [spec.indicator_names[k] for k in np.flatnonzero(np.abs(est.loadings) > 1)]
        offdiag = est.construct_corr - np.eye(len(names))
        corr_big = np.abs(offdiag) > 1
        if over or big or corr_big.any():
            warnings.warn(
                "inadmissible PLSc solution: "
                + (f"rho_A > 1 for {over}; " if over else "")
                + (f"|loading| > 1 for {big}; " if big else "")
                + ("a construct correlation exceeds 1 in absolute value" if corr_big.any() else ""),
                AdmissibilityWarning, stacklevel=3)


def _check_signs(spec: ModelSpec, est) -> None:
    """Warn when a path estimate contradicts the spec's expected sign."""
    pos = {c: i for i, c in enumerate(spec.construct_names)}
    wrong = []
    for p in spec.paths:
        if p.expected_sign is None:
            continue
        value = float(est.paths[pos[p.source], pos[p.target]])
        if (value < 0 and p.expected_sign == "+") or (value > 0 and p.expected_sign == "-"):
            wrong.append(f"{p.source} -> {p.target} = {value:.3f} (expected {p.expected_sign})")
    if wrong:
        warnings.warn("path estimates with the opposite of the expected sign: "
                      + "; ".join(wrong), SignWarning, stacklevel=4)
