"""ML bootstrap refits on moment matrices (no new semopy model, no repeated rows).

The ML discrepancy needs only the covariance matrix (divisor n) of a resample, and a
resample is a reweighting of the rows by its counts w: mean = w'X / n, S = (X - mean)'
diag(w) (X - mean) / n is the covariance of the rows repeated by their counts. So a
bootstrap of an ML fit builds semopy's model once (:func:`start`: a full-sample fit,
whose :class:`~satmodel.cbsem.mlfast.MLState` holds the objective as arrays), and each
resample (:func:`refit`) does what the engine's refit of the repeated rows does, on S:
semopy's starting values (:func:`~satmodel.cbsem.mlfast.start_values`), then semopy's
optimizer call (SLSQP, ``ftol=1e-14``, the model's bounds) on semopy's ML objective with
the gradient as matrix products (:mod:`satmodel.cbsem.mlfast`), no polish and no standard
errors (a resample uses neither). The draws equal that refit's to the optimizer's
tolerance (tests: 1e-8); they are not started from the full-sample estimate, because on a
resample near empirical under-identification the minimum is a flat ridge and the point
found depends on the start.

Example
-------
>>> import numpy as np, satmodel as sm
>>> spec = sm.ModelSpec.from_lavaan("EXPE =~ EXPE1 + EXPE2 + EXPE3; SAT =~ SAT1 + SAT2 + SAT3; SAT ~ EXPE")
>>> X = sm.datasets.load("ecsi_satisfaction")[list(spec.indicator_names)].to_numpy(float)
>>> st = start(spec, X, missing="error", conventions=None)
>>> arrays, why = refit(spec, st, X, np.ones(len(X)))
>>> why is None, bool(np.allclose(arrays.beta, st.state.arrays(st.state.problem, st.state.x).beta))
(True, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import minimize

from .._threads import one_blas_thread
from ..errors import EstimationError
from ..spec.model import ModelSpec
from .fitting import Conventions, check_moments, fit_cbsem_rows
from .mlfast import Arrays, MLState, start_values

__all__ = ["Start", "start", "refit", "moments"]


@dataclass(frozen=True, eq=False)
class Start:
    """What every resample refit shares: the full-sample ML state and the optimizer's
    iteration limit. Not thread-safe (the state's semopy model computes starting values)."""

    state: MLState
    max_iter: int


def start(spec: ModelSpec, X: np.ndarray, *, missing: str, conventions: Conventions | None,
          max_iter: int = 10000) -> Start | None:
    """The shared part of an ML bootstrap of the rows ``X``, or None when the moment path
    does not apply (FIML, a model semopy fits with constraints, a failed full-sample fit)."""
    if missing == "fiml":
        return None
    try:
        fit = fit_cbsem_rows(spec, X, estimator="ML", diagnose=False, missing=missing,
                             conventions=conventions, se=False, polish=False, max_iter=max_iter,
                             keep_ml=True)
    except (ValueError, ArithmeticError):
        return None
    state = fit.estimate.ml
    return None if state is None else Start(state=state, max_iter=int(max_iter))


def moments(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Covariance (divisor n) of the rows of ``X`` repeated ``w`` times.

    >>> X = np.array([[1.0, 2.0], [3.0, 1.0], [0.0, 0.0]])
    >>> w = np.array([2.0, 0.0, 1.0])
    >>> bool(np.allclose(moments(X, w), np.cov(np.repeat(X, [2, 0, 1], axis=0), rowvar=False, bias=True)))
    True
    """
    n = w.sum()
    mean = w @ X / n
    D = X - mean
    return (D.T * w) @ D / n


def refit(spec: ModelSpec, st: Start, X: np.ndarray, w: np.ndarray) -> tuple[Arrays | None, Any]:
    """The ML estimate of the resample with counts ``w``: (arrays in spec order, None), or
    (None, (reason, message)) when it is unusable ("failed", "not_converged")."""
    S = moments(X, w)
    with one_blas_thread(), np.errstate(all="ignore"):
        try:
            check_moments(spec, S)
            prob = st.state.problem.with_cov(S)
            x0 = start_values(st.state.model, S)
        except (EstimationError, np.linalg.LinAlgError, ValueError) as err:
            return None, ("failed", f"{type(err).__name__}: {err}")
        res = minimize(prob.fun, x0, jac=prob.grad, bounds=prob.bounds, constraints=[],
                       options={"ftol": 1e-14, "maxiter": st.max_iter}, method="SLSQP")
        if not res.success:
            return None, ("not_converged", f"did not converge ({res.message})")
        arrays = st.state.arrays(prob, res.x)
    if not np.all(np.isfinite(arrays.sigma)):
        return None, ("failed", "EstimationError: non-finite implied covariance matrix")
    return arrays, None
