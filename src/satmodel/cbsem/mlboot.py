"""ML bootstrap refits on moment matrices (no new semopy model, no repeated rows).

The ML discrepancy needs only the covariance matrix (divisor n) of a resample, and a
resample is a reweighting of the rows by its counts w: mean = w'X / n, S = (X - mean)'
diag(w) (X - mean) / n is the covariance of the rows repeated by their counts. So a
bootstrap of an ML fit builds semopy's model once (:func:`start`: a full-sample fit,
whose :class:`~satmodel.cbsem.mlfast.MLState` holds the objective as arrays), and each
resample (:func:`refit`) does what the engine's refit of the repeated rows does, on S:
semopy's starting values (:func:`~satmodel.cbsem.mlfast.start_values`), then semopy's
optimizer call (SLSQP, ``ftol=1e-14``, the model's bounds; :func:`slsqp` runs scipy's
SLSQP loop without its wrappers) on semopy's ML objective with the gradient as matrix
products (:mod:`satmodel.cbsem.mlfast`), no polish and no standard errors (a resample uses
neither). The draws equal a plain semopy fit of the resample to the optimizer's tolerance
(tests/test_cbsem_speed_jobs.py). They are not started from the full-sample estimate
(warm starts): on the ECSI model about half of the resamples have a variance at its bound 0
or a flat ridge, and the point SLSQP stops at then depends on the start (measured: up to
1e-2 in the discrepancy, 17 in a parameter), so warm-started draws would not be the plain
fits' draws.

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

from .._threads import one_blas_thread
from ..errors import EstimationError
from ..spec.model import ModelSpec
from .fitting import Conventions, check_moments, fit_cbsem_rows
from .mlfast import Arrays, MLProblem, MLState, start_values

try:  # scipy's SLSQP step routine (private; the C implementation of scipy >= 1.16)
    from scipy.optimize._slsqplib import slsqp as _step
except ImportError:  # pragma: no cover - other scipy versions: through minimize
    _step = None

#: scipy's messages of SLSQP's exit modes
EXIT = {0: "Optimization terminated successfully",
        2: "More equality constraints than independent variables",
        3: "More than 3*n iterations in LSQ subproblem", 4: "Inequality constraints incompatible",
        5: "Singular matrix E in LSQ subproblem", 6: "Singular matrix C in LSQ subproblem",
        7: "Rank-deficient equality constraint subproblem HFTI",
        8: "Positive directional derivative for linesearch", 9: "Iteration limit reached"}

__all__ = ["Start", "start", "refit", "moments", "slsqp", "EXIT"]


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
        mode, x = slsqp(prob, x0, st.max_iter)
        if mode != 0:
            return None, ("not_converged", f"did not converge ({EXIT.get(mode, mode)})")
        arrays = st.state.arrays(prob, x)
    if not np.all(np.isfinite(arrays.sigma)):
        return None, ("failed", "EstimationError: non-finite implied covariance matrix")
    return arrays, None


def slsqp(prob: MLProblem, x0: np.ndarray, max_iter: int) -> tuple[int, np.ndarray]:
    """``scipy.optimize.minimize(prob.fun, x0, jac=prob.grad, bounds=prob.bounds,
    method="SLSQP", options={"ftol": 1e-14, "maxiter": max_iter})`` as (exit mode, x):
    scipy's loop around its SLSQP step routine (``_minimize_slsqp`` without constraints),
    without the wrappers around the objective, which cost about a fifth of a refit (the
    same steps: tests compare the two). Through ``minimize`` where that private routine is
    missing or fails :func:`own_loop_works`'s probe (another scipy)."""
    if not own_loop_works():
        return _minimize(prob, x0, max_iter)
    return _own_loop(prob, x0, max_iter)


#: whether :func:`_own_loop` runs and agrees with ``minimize`` (None: not probed yet)
_OWN_LOOP: bool | None = None


def own_loop_works() -> bool:
    """Whether scipy's private SLSQP step routine is there, takes the arguments
    :func:`_own_loop` gives it, and gives ``minimize``'s answer on a tiny bounded problem
    (probed once, on first use; any exception means no)."""
    global _OWN_LOOP
    if _OWN_LOOP is None:
        _OWN_LOOP = _step is not None and _probe()
    return _OWN_LOOP


def _probe() -> bool:
    from types import SimpleNamespace

    tiny = SimpleNamespace(  # (a + 1)^2 + (b + 2)^2 + a b / 2, a >= 0, b <= 5: a = 0, b = -2
        fun=lambda x: (x[0] + 1.0) ** 2 + (x[1] + 2.0) ** 2 + 0.5 * x[0] * x[1],
        grad=lambda x: np.array([2.0 * (x[0] + 1.0) + 0.5 * x[1], 2.0 * (x[1] + 2.0) + 0.5 * x[0]]),
        bounds=[(0.0, None), (None, 5.0)])
    x0 = np.array([0.5, 0.5])
    try:
        mode, x = _own_loop(tiny, x0, 100)
        ref_mode, ref_x = _minimize(tiny, x0, 100)
        return bool(mode == ref_mode == 0 and np.allclose(x, ref_x, rtol=0, atol=1e-10))
    except Exception:  # noqa: BLE001 - a changed private routine may fail in any way
        return False


def _minimize(prob: Any, x0: np.ndarray, max_iter: int) -> tuple[int, np.ndarray]:
    from scipy.optimize import minimize

    res = minimize(prob.fun, x0, jac=prob.grad, bounds=prob.bounds, method="SLSQP",
                   options={"ftol": 1e-14, "maxiter": int(max_iter)})
    return int(res.status), res.x


def _own_loop(prob: Any, x0: np.ndarray, max_iter: int) -> tuple[int, np.ndarray]:
    lo = np.array([-np.inf if b[0] is None else b[0] for b in prob.bounds], dtype=float)
    hi = np.array([np.inf if b[1] is None else b[1] for b in prob.bounds], dtype=float)
    n = len(x0)
    x = np.clip(np.array(x0, dtype=float).ravel(), lo, hi)
    xl, xu = np.where(np.isfinite(lo), lo, np.nan), np.where(np.isfinite(hi), hi, np.nan)
    acc = 1e-14
    state = {"acc": acc, "alpha": 0.0, "f0": 0.0, "gs": 0.0, "h1": 0.0, "h2": 0.0, "h3": 0.0,
             "h4": 0.0, "t": 0.0, "t0": 0.0, "tol": 10.0 * acc, "exact": 0, "inconsistent": 0,
             "reset": 0, "iter": 0, "itermax": int(max_iter), "line": 0, "m": 0, "meq": 0,
             "mode": 0, "n": n}
    size = n * (n + 1) // 2 + 8 * n * n + 35 * n + 28 + 2 * n * (n + 1)  # scipy's, m = 0
    buffer, indices = np.zeros(size), np.zeros(2 * n + 2, dtype=np.int32)
    mult, C, d = np.zeros(2 * n + 2), np.zeros((1, n), order="F"), np.zeros(1)
    fx, g = float(prob.fun(x)), np.asarray(prob.grad(x), dtype=float)  # neither keeps x
    while True:
        _step(state, fx, g, C, d, x, mult, xl, xu, buffer, indices)
        if state["mode"] == 1:
            fx = float(prob.fun(x))
        elif state["mode"] == -1:
            g = np.asarray(prob.grad(x), dtype=float)
        else:
            return int(state["mode"]), x
