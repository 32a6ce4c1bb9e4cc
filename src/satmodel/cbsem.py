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

from .cbsem_engine import OBJECTIVES, CBEstimate, run_semopy
from .cbsem_results import CBSEMResult
from .cbsem_solution import factor_scores, standardize
from .cbsem_stats import fit_indices
from .cbsem_translate import check_cbsem_spec
from .data import prepare
from .errors import (AdmissibilityWarning, ConvergenceWarning, EstimationError, HeywoodWarning,
                     OptionError, SatModelWarning)
from .spec import ModelSpec

__all__ = ["fit_cbsem"]

#: a free variance below this share of its implied (item) or total (construct) variance is "at 0"
HEYWOOD_TOL = 1e-6


def fit_cbsem(
    spec: ModelSpec,
    data: Any,
    *,
    estimator: str = "ML",
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
        As for :func:`satmodel.fit_pls` (one row per respondent, complete data).
    estimator : {"ML", "GLS"}
        Maximum likelihood (semopy ``MLW``) or generalized least squares.
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
        Bad data or options; a singular item covariance matrix.

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
    """
    if not isinstance(spec, ModelSpec):
        raise EstimationError(
            f"spec must be a satmodel.ModelSpec, got {type(spec).__name__}; build one with "
            "sm.ModelSpec.from_lavaan(text) or take a template such as sm.templates.ecsi()")
    if estimator not in OBJECTIVES:
        raise OptionError(f"estimator={estimator!r} is not available for fit_cbsem; "
                          f"choose one of {', '.join(map(repr, OBJECTIVES))}")
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        raise OptionError(f"max_iter must be a positive integer, got {max_iter!r}")
    check_cbsem_spec(spec)
    survey = prepare(spec, data, columns=columns)
    res = fit_cbsem_rows(spec, survey.X, estimator=estimator, max_iter=int(max_iter))
    scores = factor_scores(survey.X, res.indicator_mean, res.estimate)
    frame = pd.DataFrame(scores, index=survey.index.copy(), columns=list(spec.construct_names))
    object.__setattr__(res, "_scores", frame)
    return res


def fit_cbsem_rows(spec: ModelSpec, X: np.ndarray, *, estimator: str = "ML", max_iter: int = 10000,
                   diagnose: bool = True) -> CBSEMResult:
    """Fit validated rows ``X`` (n x p, spec indicator order); the bootstrap calls this too.

    With ``diagnose=False`` no warnings are issued (the caller inspects the result).
    """
    X = np.asarray(X, dtype=float)
    n = X.shape[0]
    S = np.cov(X, rowvar=False, bias=True)
    _check_moments(spec, S)
    est = run_semopy(spec, X, estimator=estimator, max_iter=max_iter)
    if not np.all(np.isfinite(est.sigma)):
        raise EstimationError(f"semopy returned a non-finite implied covariance matrix for model "
                              f"{spec.name!r}: {est.message}")
    if diagnose:
        _diagnose(spec, est, estimator)
    fit = fit_indices(S, est.sigma, n=n, n_free=est.n_free, estimator=estimator)
    return CBSEMResult(spec=spec, estimator=estimator, n_obs=n, indicator_mean=X.mean(axis=0),
                       sample_cov=S, estimate=est, fit_indices=fit, _X=X)


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
