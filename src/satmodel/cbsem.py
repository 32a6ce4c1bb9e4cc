"""Fit a ModelSpec by covariance-based SEM (maximum likelihood through semopy).

:func:`fit_cbsem` validates spec, data and options at the boundary, refuses what
a common-factor model cannot fit (composites; non-identified models, with the
reason), runs a fresh semopy model (see :mod:`satmodel.cbsem_engine`), translates
semopy's diagnostics into satmodel errors and warnings, and returns a frozen
:class:`~satmodel.cbsem_results.CBSEMResult` whose tables have the names of
:class:`~satmodel.PLSResult`'s.

Example
-------
>>> import satmodel as sm
>>> spec = sm.ModelSpec.from_lavaan("EXPE =~ EXPE1 + EXPE2 + EXPE3; SAT =~ SAT1 + SAT2 + SAT3; SAT ~ EXPE")
>>> cb = sm.fit_cbsem(spec, sm.datasets.load("ecsi_satisfaction"))
>>> cb.converged, int(cb.fit_indices["df"])
(True, 8)
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .cbsem_engine import OBJECTIVES, CBEstimate, adf_gamma, run_semopy
from .cbsem_results import CBSEMResult
from .cbsem_solution import factor_scores, standardize
from .cbsem_stats import fiml_indices, fit_indices
from .cbsem_translate import check_cbsem_spec, count_moments
from .data import prepare
from .errors import (AdmissibilityWarning, ConvergenceWarning, DataError, EstimationError,
                     HeywoodWarning, MissingDataWarning, OptionError, SatModelWarning)
from .missing import em_moments
from .options import PLSOptions
from .spec import ModelSpec

__all__ = ["fit_cbsem", "MISSING"]

#: a free variance below this share of its implied (item) or total (construct) variance is "at 0"
HEYWOOD_TOL = 1e-6

#: missing-data treatments of fit_cbsem ("casewise" is accepted as fit_pls's name of "listwise")
MISSING = ("error", "listwise", "fiml")

_NOT_SEMOPY = {  # estimators users ask for that semopy 2.3 does not have, with the alternative
    "MLR": "robust (Huber-White) standard errors and a scaled test are not in semopy; use "
           "estimator='ML' with res.bootstrap(n, seed) for robust standard errors",
    "MLM": "the Satorra-Bentler scaled test is not in semopy; use estimator='ML' with "
           "res.bootstrap(n, seed), or estimator='WLS' (ADF, distribution-free chi2)",
    "WLSMV": "polychoric (ordinal) estimation is not wrapped; use estimator='DWLS' (on the "
             "Pearson covariances) or 'WLS'",
    "FIML": "FIML is a missing-data treatment here: use estimator='ML', missing='fiml'",
    "MLW": "semopy's 'MLW' is satmodel's estimator='ML'",
}


def fit_cbsem(
    spec: ModelSpec,
    data: Any,
    *,
    estimator: str = "ML",
    missing: str = "error",
    na_values: Any = (),
    max_iter: int = 10000,
    columns: Sequence[str] | None = None,
) -> CBSEMResult:
    """Fit ``spec`` to survey ``data`` as a covariance-based SEM (common factors).

    Parameters
    ----------
    spec : ModelSpec
        Reflective constructs only (``=~``); residual covariances (``~~``) and fixed
        values are honoured. Identification follows lavaan's ``sem()``: first loading
        of each construct fixed to 1, single items measured without error,
        exogenous constructs correlated.
    data : table
        As for :func:`satmodel.fit_pls` (one row per respondent).
    estimator : {"ML", "GLS", "ULS", "WLS", "DWLS"}
        semopy's objectives: maximum likelihood (semopy ``MLW``), generalized least
        squares, unweighted least squares, weighted least squares with Browne's ADF
        weight matrix (distribution-free; needs many more rows than p(p + 1)/2), and
        diagonally weighted least squares. Standard errors and which fit indices are
        defined for each (the others are ``<NA>``): :mod:`satmodel.cbsem_engine`,
        :mod:`satmodel.cbsem_stats`. Robust ML (MLR/MLM) is not in semopy: use
        ``res.bootstrap``.
    missing : {"error", "listwise", "fiml"}
        Missing answers (NaN cells and ``na_values`` codes) in the model's items.
        ``"error"`` (default) refuses them, naming the items and rows; ``"listwise"``
        (alias ``"casewise"``) drops every respondent with a missing item, then fits as
        if those rows had never been there; ``"fiml"`` fits by full-information maximum
        likelihood (semopy ``ModelMeans``: every answer used, item intercepts estimated,
        observed-information standard errors, chi2 against the EM-estimated saturated
        model; see :mod:`satmodel.cbsem_stats`), valid under MAR; only with
        ``estimator="ML"``. Respondents who answered none of the items are dropped
        (with a ``MissingDataWarning``). ``res.missing_report`` says what was done.
    na_values : float, tuple of float, or dict item -> tuple of float
        Codes read as missing before anything else (e.g. ``-99``); see
        :class:`satmodel.options.PLSOptions` (``na_values``).
    max_iter : int
        Iteration limit of the optimizer (SLSQP, ``ftol=1e-14``).
    columns : sequence of str, optional
        Column names of a plain 2-D numpy array.

    Returns
    -------
    CBSEMResult

    Raises
    ------
    SpecError
        Composite constructs (use :func:`satmodel.fit_pls`), or a model that is not
        identified (the message says which parameters cannot be told apart).
    DataError, OptionError, EstimationError
        Bad data or options (an option semopy cannot honour names the alternative);
        missing answers with ``missing="error"``; a singular item covariance matrix.

    Warns
    -----
    HeywoodWarning
        A free (residual) variance at 0 or a standardized loading of 1 or more,
        naming the item or construct.
    ConvergenceWarning
        The optimizer stopped without meeting its tolerance (``res.converged`` False).

    Examples
    --------
    >>> import satmodel as sm
    >>> spec = sm.ModelSpec.from_lavaan('''
    ...     EXPE =~ EXPE1 + EXPE2 + EXPE3
    ...     SAT  =~ SAT1 + SAT2 + SAT3
    ...     SAT  ~  EXPE
    ... ''')
    >>> cb = sm.fit_cbsem(spec, sm.datasets.load("ecsi_satisfaction"))
    >>> cb.paths[["source", "target"]].values.tolist()
    [['EXPE', 'SAT']]

    Missing answers coded -99, fitted by full-information ML:

    >>> df = sm.datasets.load("ecsi_satisfaction").copy()
    >>> df.loc[:9, "SAT2"] = -99
    >>> cb = sm.fit_cbsem(spec, df, missing="fiml", na_values=-99)
    >>> int(cb.missing_report.set_index("indicator").loc["SAT2", "coded"]), cb.n_obs
    (10, 250)
    """
    if not isinstance(spec, ModelSpec):
        raise EstimationError(
            f"spec must be a satmodel.ModelSpec, got {type(spec).__name__}; build one with "
            "sm.ModelSpec.from_lavaan(text) or take a template such as sm.templates.ecsi()")
    missing = _check_options(estimator, missing, max_iter)
    try:
        codes = PLSOptions.build(na_values=na_values).na_values
    except OptionError as err:
        raise OptionError(str(err).replace("fit_pls option", "fit_cbsem option")) from None
    check_cbsem_spec(spec)
    survey = prepare(spec, data, columns=columns, na_values=codes,
                     missing="casewise" if missing == "listwise" else "em")
    X, index, report = survey.X, survey.index, survey.report
    nan = np.isnan(X)
    if missing == "error" and nan.any():
        _refuse_missing(spec, nan, index)
    if missing == "fiml":
        empty = nan.all(axis=1)
        if empty.any():
            warnings.warn(f"{int(empty.sum())} respondent(s) answered none of the model's items "
                          f"(rows {index[empty].tolist()[:5]}); FIML drops them (they carry no "
                          "information)", MissingDataWarning, stacklevel=2)
            X, index = X[~empty], index[~empty]
            report.attrs["rows_dropped"] = int(empty.sum())
        report["action"] = report["action"].replace({"EM-estimated moments": "full-information ML"})
    report.attrs["method"] = missing
    res = fit_cbsem_rows(spec, X, estimator=estimator, max_iter=int(max_iter), missing=missing)
    scores = factor_scores(X, res.indicator_mean, res.estimate)
    frame = pd.DataFrame(scores, index=index.copy(), columns=list(spec.construct_names))
    object.__setattr__(res, "_scores", frame)
    object.__setattr__(res, "missing_report", report)
    return res


def _check_options(estimator: str, missing: str, max_iter: Any) -> str:
    if estimator not in OBJECTIVES:
        hint = _NOT_SEMOPY.get(str(estimator).upper(), "")
        raise OptionError(f"estimator={estimator!r} is not available for fit_cbsem"
                          + (f": {hint}" if hint else "") + "; choose one of "
                          + ", ".join(map(repr, OBJECTIVES)))
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        raise OptionError(f"max_iter must be a positive integer, got {max_iter!r}")
    missing = "listwise" if missing == "casewise" else missing
    if missing in ("mean", "pairwise", "em"):
        raise OptionError(f"missing={missing!r} is a fit_pls treatment (it works on moments); "
                          "fit_cbsem offers missing='fiml' (full-information ML, every answer "
                          "used) or 'listwise'")
    if missing not in MISSING:
        raise OptionError(f"missing={missing!r}: choose one of {', '.join(map(repr, MISSING))}")
    if missing == "fiml" and estimator != "ML":
        raise OptionError(f"missing='fiml' needs estimator='ML', not {estimator!r}: semopy's "
                          "full-information likelihood is normal-theory ML only. Use "
                          f"missing='listwise' with estimator={estimator!r}, or estimator='ML'")
    return missing


def _refuse_missing(spec: ModelSpec, nan: np.ndarray, index: pd.Index) -> None:
    items = [f"{name} ({int(k)} missing, rows {index[nan[:, j]].tolist()[:5]})"
             for j, (name, k) in enumerate(zip(spec.indicator_names, nan.sum(axis=0))) if k]
    raise DataError(
        f"{len(items)} item(s) of model {spec.name!r} have missing answers (NaN or na_values "
        f"codes): {'; '.join(items[:8])}{' ...' if len(items) > 8 else ''}. With missing='error' "
        "(the default) fit_cbsem does not handle them: pass missing='fiml' (full-information "
        "ML, uses every answer; valid under MAR) or missing='listwise' (drops those respondents)")


def fit_cbsem_rows(spec: ModelSpec, X: np.ndarray, *, estimator: str = "ML", max_iter: int = 10000,
                   diagnose: bool = True, missing: str = "error") -> CBSEMResult:
    """Fit validated rows ``X`` (n x p, spec indicator order; NaN only with ``missing="fiml"``);
    the bootstrap calls this too.

    With ``diagnose=False`` no warnings are issued (the caller inspects the result) and
    FIML standard errors are skipped.
    """
    X = np.asarray(X, dtype=float)
    n = X.shape[0]
    fiml = missing == "fiml"
    if fiml:
        em = em_moments(X)
        mean = np.asarray(em.mean, dtype=float)
        S = np.asarray(em.corr * np.outer(em.std, em.std), dtype=float) * (n - 1) / n
    else:
        mean, S = X.mean(axis=0), np.cov(X, rowvar=False, bias=True)
    _check_moments(spec, S)
    gamma = _check_gamma(spec, X, estimator) if estimator in ("WLS", "DWLS") else None
    est = run_semopy(spec, X, estimator=estimator, max_iter=max_iter, fiml=fiml, se=diagnose or not fiml)
    if not np.all(np.isfinite(est.sigma)):
        raise EstimationError(f"semopy returned a non-finite implied covariance matrix for model "
                              f"{spec.name!r}: {est.message}")
    if diagnose:
        _diagnose(spec, est, estimator)
    if fiml:
        fit = fiml_indices(X, est.mean, est.sigma, n_free=est.n_free, sat_mean=mean, sat_cov=S)
        mean = est.mean
    else:
        fit = fit_indices(S, est.sigma, n=n, n_free=est.n_free, estimator=estimator, gamma=gamma)
    return CBSEMResult(spec=spec, estimator=estimator, n_obs=n, indicator_mean=mean,
                       sample_cov=S, estimate=est, fit_indices=fit, _X=X, missing=missing)


def _check_gamma(spec: ModelSpec, X: np.ndarray, estimator: str) -> np.ndarray:
    m = count_moments(X.shape[1])
    gamma = adf_gamma(X)
    w = np.diag(gamma) if estimator == "DWLS" else np.linalg.eigvalsh(gamma)
    if (estimator == "WLS" and X.shape[0] <= m) or w.min() <= 1e-12 * w.max():
        raise EstimationError(
            f"the ADF weight matrix of model {spec.name!r} ({m} x {m}, from {X.shape[0]} rows) "
            "is singular: WLS/DWLS need clearly more respondents than the p(p + 1)/2 = "
            f"{m} distinct moments (and no item that is a function of others). Use "
            "estimator='ML' (with res.bootstrap for non-normal data) or 'ULS'")
    return gamma


def _check_moments(spec: ModelSpec, S: np.ndarray) -> None:
    d = np.sqrt(np.diag(S))
    R = S / np.outer(d, d)
    w, v = np.linalg.eigh(R)
    if w[0] <= 1e-10 * max(w[-1], 1.0):
        items = [spec.indicator_names[k] for k in np.argsort(-np.abs(v[:, 0])) if abs(v[k, 0]) > 1e-3]
        raise EstimationError(
            "the item covariance matrix is singular, so the ML discrepancy is undefined: items "
            f"{items[:8]} are (nearly) linearly dependent. Drop a redundant item (e.g. a sum or a "
            "duplicate) or fit by PLS")


def _diagnose(spec: ModelSpec, est: CBEstimate, estimator: str) -> None:
    if not est.converged:
        warnings.warn(
            f"CB-SEM ({estimator}) for model {spec.name!r} did not converge after {est.n_iter} "
            f"iterations (semopy/SLSQP: {est.message}); the estimates are the last iterate and "
            "res.converged is False. Check the model for identification problems, or raise max_iter",
            ConvergenceWarning, stacklevel=4)
    for note in est.messages:
        if "Fisher Information Matrix is not PD" in note or "Solver didn" in note:
            continue
        warnings.warn(f"semopy reported while fitting {spec.name!r}: {note}", SatModelWarning, stacklevel=4)
    if est.fim_singular:
        warnings.warn(
            f"the information matrix of model {spec.name!r} is singular at the estimates, so the "
            "standard errors are unreliable: the model is empirically under-identified here (a path "
            "or loading near 0 can do this). Use the bootstrap, or simplify the model",
            AdmissibilityWarning, stacklevel=4)
    _heywood(spec, est)


def _heywood(spec: ModelSpec, est: CBEstimate) -> None:
    sol = standardize(est)
    par = est.params
    free_var = {(a) for a, op, b, f in zip(par["lhs"], par["op"], par["rhs"], par["free"])
                if op == "~~" and a == b and f}
    owner = {i: c.name for c in spec.constructs for i in c.indicator_names}
    problems = []
    for k, item in enumerate(spec.indicator_names):
        lam = float(np.abs(sol.loadings[k]).max())
        if item in free_var and est.theta[k, k] <= HEYWOOD_TOL * est.sigma[k, k]:
            problems.append(f"item {item!r} of construct {owner[item]!r} has residual variance "
                            f"{est.theta[k, k]:.3g} (at its bound 0; standardized loading {lam:.3f})")
        elif lam >= 1.0 + 1e-9:
            problems.append(f"item {item!r} of construct {owner[item]!r} has standardized loading {lam:.3f} > 1")
    for j, name in enumerate(spec.construct_names):
        if name in free_var and est.psi[j, j] <= HEYWOOD_TOL * max(sol.construct_var[j], 1e-300):
            what = "disturbance variance" if name in spec.endogenous else "variance"
            problems.append(f"construct {name!r} has {what} {est.psi[j, j]:.3g} (at its bound 0)")
    if problems:
        warnings.warn(
            f"Heywood case in model {spec.name!r}: " + "; ".join(problems) + ". The solution is "
            "improper: too few items or too small a sample for the construct, a misspecified model, "
            "or an item that duplicates another. Inspect those items, or constrain the model",
            HeywoodWarning, stacklevel=5)
