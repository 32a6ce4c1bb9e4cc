"""Run semopy on validated data and return the estimates as arrays in spec order.

semopy keeps state that is not safe to share: its parser dispatch tables
(``ModelBase.dict_operations`` / ``dict_effects``) are *class* attributes that
every ``Model(...)`` rebinds to the new instance, and it reports problems through
the root ``logging`` logger and ``warnings``. So every fit builds a fresh
``semopy.Model`` and all semopy work runs under one process-wide lock, with
semopy's log records and Python warnings captured there and returned as text
(:attr:`CBEstimate.messages`) for translation; nothing is printed raw. The lock
makes concurrent fits from threads give exactly the serial answers.

The optimizer is semopy's SLSQP with a tight tolerance (``ftol=1e-14``): semopy's
default stops about 2e-4 short of the minimum of the ML discrepancy on the
Political Democracy example, which moves printed lavaan digits.

Example
-------
>>> import numpy as np, satmodel as sm
>>> spec = sm.ModelSpec.from_lavaan("F =~ a + b + c")
>>> S = np.array([[1, .48, .42], [.48, 1, .56], [.42, .56, 1]])
>>> X = exact_sample(S, 200)
>>> est = run_semopy(spec, X)
>>> np.round(est.loadings[:, 0] * np.sqrt(est.psi[0, 0]), 6).tolist()
[0.6, 0.8, 0.7]
"""

from __future__ import annotations

import logging
import threading
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .cbsem_translate import check_identified, semopy_description
from .spec import ModelSpec

__all__ = ["CBEstimate", "run_semopy", "exact_sample", "OBJECTIVES"]

#: satmodel estimator name -> semopy objective
OBJECTIVES = {"ML": "MLW", "GLS": "GLS"}

_LOCK = threading.RLock()


class _SemopyLog(logging.Filter):
    """Root-logger filter that diverts semopy's records while a fit is capturing."""

    records: list[logging.LogRecord] | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        if self.records is not None and "semopy" in (record.pathname or ""):
            self.records.append(record)
            return False
        return True


_FILTER = _SemopyLog()


@dataclass(frozen=True, eq=False)
class CBEstimate:
    """A fitted CB-SEM model as arrays in spec order (unstandardized).

    ``loadings`` (p x J, Lambda), ``beta`` (J x J, ``beta[t, s]`` = effect of construct
    s on construct t), ``psi`` (J x J, construct (disturbance) covariances),
    ``theta`` (p x p, residual covariances), ``sigma`` (p x p, implied covariance);
    ``params`` the free and fixed parameters (lhs, op, rhs, estimate, se, free) in
    lavaan's reading; ``n_free`` free parameters; ``fmin`` the minimum of the
    objective; ``messages`` semopy's captured log records and warnings.
    """

    loadings: np.ndarray
    beta: np.ndarray
    psi: np.ndarray
    theta: np.ndarray
    sigma: np.ndarray
    params: pd.DataFrame
    n_free: int
    fmin: float
    converged: bool
    n_iter: int
    message: str
    messages: tuple[str, ...]
    fim_singular: bool


def run_semopy(spec: ModelSpec, X: np.ndarray, *, estimator: str = "ML",
               max_iter: int = 10000) -> CBEstimate:
    """Fit ``spec`` (already checked by :func:`~satmodel.cbsem_translate.check_cbsem_spec`)
    to the rows ``X`` (n x p, spec indicator order) with a fresh semopy model.

    Raises SpecError (from :func:`~satmodel.cbsem_translate.check_identified`) before
    optimizing if the model is not identified.
    """
    import semopy

    desc = semopy_description(spec)
    data = pd.DataFrame(np.asarray(X, dtype=float), columns=list(spec.indicator_names))
    root = logging.getLogger()
    with _LOCK, warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
        warnings.simplefilter("always")
        if _FILTER not in root.filters:
            root.addFilter(_FILTER)
        _FILTER.records = records = []
        try:
            model = semopy.Model(desc)
            model.load(data)
            active = [k for k, p in model.parameters.items() if p.active]
            names = _param_names(model, active)
            sigma0, (m0, c0) = model.calc_sigma()
            grads = model.calc_sigma_grad(m0, c0)
            rows, cols = np.tril_indices(len(spec.indicator_names))
            jac = np.array([g[rows, cols] for g in grads]).T if grads else np.zeros((len(rows), 0))
            check_identified(spec, len(active), jac, names)
            res = model.fit(obj=OBJECTIVES[estimator], solver="SLSQP",
                            options={"ftol": 1e-14, "maxiter": int(max_iter)})
            fim_singular = False
            try:
                _, fim_inv = model.calc_fim(inverse=True)
                fim_singular = bool(getattr(model, "_fim_warn", False))
                se = np.sqrt(np.clip(np.diag(fim_inv), 0.0, None))
            except (np.linalg.LinAlgError, ValueError):
                se, fim_singular = np.full(len(active), np.nan), True
            est = _arrays(spec, model, active, se, res, fim_singular)
        finally:
            _FILTER.records = None
    notes = tuple(f"{r.levelname}: {r.getMessage()}" for r in records)
    notes += tuple(f"{w.category.__name__}: {w.message}" for w in caught)
    object.__setattr__(est, "messages", notes)
    return est


def _param_names(model, active: list[str]) -> list[str]:
    out = []
    for k in active:
        loc = model.parameters[k].locations[0]
        out.append(_describe(model, loc.matrix, loc.indices))
    return out


def _describe(model, matrix, idx) -> str:
    i, j = idx
    if matrix is model.mx_lambda:
        return f"{model.names_lambda[1][j]} =~ {model.names_lambda[0][i]}"
    if matrix is model.mx_beta:
        return f"{model.names_beta[0][i]} ~ {model.names_beta[1][j]}"
    names = model.names_psi if matrix is model.mx_psi else model.names_theta
    return f"{names[0][i]} ~~ {names[1][j]}"


def _arrays(spec: ModelSpec, model, active, se, res, fim_singular) -> CBEstimate:
    items, cons = list(spec.indicator_names), list(spec.construct_names)
    obs = [model.names_lambda[0].index(x) for x in items]
    lat = [model.names_lambda[1].index(c) for c in cons]
    lam = model.mx_lambda[np.ix_(obs, lat)].copy()
    beta = model.mx_beta[np.ix_(lat, lat)].copy()
    psi = model.mx_psi[np.ix_(lat, lat)].copy()
    theta = model.mx_theta[np.ix_(obs, obs)].copy()
    inv = np.linalg.inv(np.eye(len(cons)) - beta)
    sigma = lam @ inv @ psi @ inv.T @ lam.T + theta
    se_of = dict(zip(active, se))
    rows = []
    for key, par in model.parameters.items():
        for loc in par.locations:
            text = _describe(model, loc.matrix, loc.indices)
            lhs, op, rhs = text.split(" ")
            rows.append((lhs, op, rhs, float(loc.matrix[loc.indices]), se_of.get(key, np.nan), par.active))
    params = pd.DataFrame(rows, columns=["lhs", "op", "rhs", "estimate", "se", "free"])
    return CBEstimate(loadings=lam, beta=beta, psi=psi, theta=theta, sigma=sigma, params=params,
                      n_free=len(active), fmin=float(res.fun), converged=bool(res.success),
                      n_iter=int(res.n_it), message=str(res.message), messages=(),
                      fim_singular=fim_singular)


def exact_sample(cov: np.ndarray, n: int, mean: np.ndarray | None = None) -> np.ndarray:
    """``n`` rows whose sample covariance (divisor n) is exactly ``cov`` (and means ``mean``).

    Deterministic; for exact-population checks of estimators.

    >>> X = exact_sample(np.array([[2.0, 0.5], [0.5, 1.0]]), 50)
    >>> np.allclose(np.cov(X, rowvar=False, bias=True), [[2.0, 0.5], [0.5, 1.0]])
    True
    """
    cov = np.asarray(cov, dtype=float)
    p = cov.shape[0]
    rng = np.random.default_rng(0)
    Z = rng.standard_normal((n, p))
    Z -= Z.mean(axis=0)
    W = np.linalg.cholesky(Z.T @ Z / n)
    Z = Z @ np.linalg.inv(W).T
    X = Z @ np.linalg.cholesky(cov).T
    return X + (0.0 if mean is None else np.asarray(mean, dtype=float))
