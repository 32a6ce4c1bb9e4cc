"""Run semopy on validated data and return the estimates as arrays in spec order.

semopy keeps state that is not safe to share: its parser dispatch tables
(``ModelBase.dict_operations`` / ``dict_effects``) are *class* attributes that
every ``Model(...)`` rebinds to the new instance, and it reports problems through
the root ``logging`` logger and ``warnings``. So every fit builds a fresh
``semopy.Model`` and all semopy work runs under one process-wide lock, with
semopy's log records and Python warnings captured there and returned as text
(:attr:`CBEstimate.messages`) for translation; nothing is printed raw. The lock
makes concurrent fits from threads give exactly the serial answers. The warnings
module is process-wide too: while a fit captures, a warning is kept as a semopy note
only when it is issued in the fitting thread with semopy on the stack (semopy's own
or a numpy/scipy warning from a call semopy made); every other warning caught in
that window (another thread's, or satmodel's own code) is issued again afterwards
with its original category, file and line, so nothing is swallowed or blamed on
CB-SEM.

semopy sees safe identifiers, never the spec's names (:func:`~satmodel.cbsem.translate.semopy_names`);
parameters and messages are mapped back. Identification is checked before optimizing
at a generic point (:mod:`satmodel.cbsem.identify`). Any other exception raised inside
semopy (a parser SyntaxError, KeyError, numpy's LinAlgError or ValueError, ...) becomes a
SpecError / EstimationError naming the model, what semopy said and what to do.

The optimizer is semopy's SLSQP with a tight tolerance (``ftol=1e-14``): semopy's
default stops about 2e-4 short of the minimum of the ML discrepancy on the
Political Democracy example, which moves printed lavaan digits.

Objectives (:data:`OBJECTIVES`) and standard errors:

- ``"ML"`` (semopy ``MLW``) and ``"GLS"``: expected information (normal theory),
  semopy's ``calc_fim``, as lavaan's default.
- ``"WLS"`` (semopy ``WLS``, Browne's ADF): F = (s - sigma)' Gamma^-1 (s - sigma) over the
  p(p + 1)/2 distinct moments, Gamma the fourth-order moment matrix of the rows
  (divisor n); acov = (D' Gamma^-1 D)^-1 / n with D = d vech(Sigma) / d theta.
- ``"ULS"`` (semopy: F = tr((S - Sigma)^2)) and ``"DWLS"`` (F = sum (s - sigma)^2 /
  diag(Gamma)): robust sandwich (D'VD)^-1 D'V Gamma V D (D'VD)^-1 / n with V their weights.
- FIML (``fiml=True``; semopy ``ModelMeans``, objective "ML" = full-information
  likelihood with free item intercepts, latent means 0): minus twice the casewise
  log-likelihood over the missingness patterns; standard errors from the **observed**
  information (central differences of semopy's analytic gradient), lavaan's default
  for ``missing="ml"``.

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

import dataclasses
import functools
import logging
import os
import sys
import threading
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .identify import check_identified, generic_jacobian, sigma_jacobian
from .translate import SemopyNames, semopy_description, semopy_names
from ..errors import EstimationError, SatModelError, SpecError
from ..spec.model import ModelSpec

__all__ = ["CBEstimate", "run_semopy", "exact_sample", "adf_gamma", "OBJECTIVES"]

#: satmodel estimator name -> semopy objective
OBJECTIVES = {"ML": "MLW", "GLS": "GLS", "ULS": "ULS", "WLS": "WLS", "DWLS": "DWLS"}

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
    lavaan's reading (item intercepts as ``item ~1``); ``n_free`` free parameters
    (intercepts included); ``fmin`` the minimum of the objective; ``messages``
    semopy's captured log records and warnings; ``mean`` the model-implied item means
    (FIML only, else None) and ``n_mean`` the number of free mean parameters.
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
    mean: np.ndarray | None = None
    n_mean: int = 0


def run_semopy(spec: ModelSpec, X: np.ndarray, *, estimator: str = "ML",
               max_iter: int = 10000, fiml: bool = False, se: bool = True) -> CBEstimate:
    """Fit ``spec`` (already checked by :func:`~satmodel.cbsem.translate.check_cbsem_spec`)
    to the rows ``X`` (n x p, spec indicator order) with a fresh semopy model.

    ``fiml=True`` fits semopy's mean-structure model by full-information ML (``X`` may
    hold NaN; ``estimator`` must be "ML"). ``se=False`` skips the standard errors (NaN).
    Raises SpecError (from :func:`~satmodel.cbsem.identify.check_identified`) before
    optimizing if the model is not identified.
    """
    import semopy  # outside the capture: import-time warnings are the user's to see

    names = semopy_names(spec)
    data = pd.DataFrame(np.asarray(X, dtype=float),
                        columns=[names.to_semopy[x] for x in spec.indicator_names])
    root = logging.getLogger()
    capture = _WarningCapture(threading.get_ident())
    try:
        with _LOCK, warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("always")
            warnings.showwarning = capture.show
            if _FILTER not in root.filters:
                root.addFilter(_FILTER)
            _FILTER.records = records = []
            try:
                est = _fit(semopy, spec, names, data, estimator, max_iter, fiml, se)
            except SatModelError:
                raise
            except Exception as err:  # semopy's (or numpy's) own: never a raw traceback
                raise _failure(spec, names, err) from err
            finally:
                _FILTER.records = None
    finally:  # after the filters are restored; also when the fit raised
        capture.reissue()
    notes = tuple(names.restore(f"{r.levelname}: {r.getMessage()}") for r in records)
    notes += tuple(names.restore(f"{w.category.__name__}: {w.message}") for w in capture.semopy)
    return dataclasses.replace(est, messages=notes)


def _fit(semopy, spec: ModelSpec, names: SemopyNames, data: pd.DataFrame, estimator: str,
         max_iter: int, fiml: bool, se: bool) -> CBEstimate:
    """The semopy work of :func:`run_semopy` (under its lock and capture)."""
    desc = semopy_description(spec, names.to_semopy)
    model = semopy.ModelMeans(desc) if fiml else semopy.Model(desc)
    model.load(data)
    active = [k for k, p in model.parameters.items() if p.active]
    cov_part = [k for k, g in zip(active, sigma_jacobian(model)) if g is not None]
    check_identified(spec, len(cov_part), generic_jacobian(model),
                     [" ".join(_describe(model, names, loc.matrix, loc.indices)) for loc in
                      (model.parameters[k].locations[0] for k in cov_part)])
    options = {"ftol": 1e-14, "maxiter": int(max_iter)}
    objective = "ML" if fiml else OBJECTIVES[estimator]
    res = model.fit(obj=objective, solver="SLSQP", options=options)
    sd, fim_singular = _standard_errors(model, estimator, fiml, len(active), se)
    return _arrays(spec, names, model, active, sd, res, fim_singular, fiml)


def _failure(spec: ModelSpec, names: SemopyNames, err: Exception) -> SatModelError:
    """A SatModelError for an exception raised inside semopy, naming the model, what
    semopy said (with the spec's names) and what to do."""
    said = names.restore(f"{type(err).__name__}: {err}")
    if isinstance(err, SyntaxError):
        return SpecError(
            f"semopy could not read the description of model {spec.name!r} ({said}). Check the "
            "fixed values of the spec (finite numbers), or fit the model by PLS (sm.fit_pls)")
    return EstimationError(
        f"semopy failed while fitting model {spec.name!r} ({said}). Check that the model is "
        "identified and every item varies, try another estimator (e.g. 'ML' or 'ULS') or "
        "simplify the model; sm.fit_pls(spec, data) fits it without semopy")


class _WarningCapture:
    """``warnings.showwarning`` while a fit runs: semopy's warnings (issued in ``thread``
    with a semopy frame on the stack) become notes; the rest is issued again after the fit."""

    def __init__(self, thread: int) -> None:
        self.thread = thread
        self.semopy: list[warnings.WarningMessage] = []
        self.others: list[warnings.WarningMessage] = []

    def show(self, message, category, filename, lineno, file=None, line=None) -> None:
        msg = warnings.WarningMessage(message, category, filename, lineno, file, line)
        ours = threading.get_ident() == self.thread and _semopy_on_stack(filename)
        (self.semopy if ours else self.others).append(msg)

    def reissue(self) -> None:
        for w in self.others:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def _semopy_on_stack(filename: str) -> bool:
    """Whether ``filename`` or a frame of the current stack is in the semopy package."""
    root = _semopy_root()
    if str(filename).startswith(root):
        return True
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_filename.startswith(root):
            return True
        frame = frame.f_back
    return False


@functools.lru_cache(maxsize=1)
def _semopy_root() -> str:
    import semopy

    return os.path.dirname(os.path.abspath(semopy.__file__)) + os.sep


def adf_gamma(X: np.ndarray) -> np.ndarray:
    """Browne's ADF matrix: covariance (divisor n) of the products of centred items over
    the p(p + 1)/2 lower-triangle pairs (``numpy.tril_indices`` order)."""
    D = X - X.mean(axis=0)
    rows, cols = np.tril_indices(X.shape[1])
    return np.cov(D[:, rows] * D[:, cols], rowvar=False, bias=True).reshape(len(rows), len(rows))


def _standard_errors(model, estimator: str, fiml: bool, q: int, wanted: bool):
    """Standard errors of the active parameters (module notes), and a singularity flag."""
    if not wanted or q == 0:
        return np.full(q, np.nan), False
    try:
        if fiml:
            info = _fiml_hessian(model) / 2.0
        elif estimator in ("ML", "GLS"):
            _, acov = model.calc_fim(inverse=True)
            return np.sqrt(np.clip(np.diag(acov), 0.0, None)), bool(getattr(model, "_fim_warn", False))
        else:
            return _wls_errors(model, estimator)
        w, v = np.linalg.eigh((info + info.T) / 2)
        if w[0] <= 1e-10 * max(w[-1], 1e-300):
            return np.sqrt(np.clip(np.diag(np.linalg.pinv(info)), 0.0, None)), True
        return np.sqrt(np.diag((v / w) @ v.T)), False
    except (np.linalg.LinAlgError, ValueError):
        return np.full(q, np.nan), True


def _fiml_hessian(model) -> np.ndarray:
    """Hessian of semopy's FIML objective (-2 loglik + const) by central differences of
    its analytic gradient (step 1e-6 * max(1, |x|))."""
    x = np.array(model.param_vals, dtype=float)
    H = np.empty((len(x), len(x)))
    for k in range(len(x)):
        h = 1e-6 * max(1.0, abs(x[k]))
        up, down = x.copy(), x.copy()
        up[k] += h
        down[k] -= h
        H[k] = (model.grad_fiml(up) - model.grad_fiml(down)) / (2 * h)
    model.update_matrices(x)
    return (H + H.T) / 2


def _wls_errors(model, estimator: str):
    D = sigma_jacobian(model, stack=True)
    n = model.mx_data.shape[0]
    G = adf_gamma(model.mx_data)
    if estimator == "WLS":
        acov = np.linalg.inv(D.T @ np.linalg.solve(G, D)) / n
    else:
        p = model.mx_data.shape[1]
        rows, cols = np.tril_indices(p)
        v = np.where(rows == cols, 1.0, 2.0) if estimator == "ULS" else 1.0 / np.diag(G)
        bread = np.linalg.inv(D.T @ (v[:, None] * D))
        meat = (D * v[:, None]).T @ G @ (v[:, None] * D)
        acov = bread @ meat @ bread / n
    return np.sqrt(np.clip(np.diag(acov), 0.0, None)), False


def _describe(model, names: SemopyNames, matrix, idx) -> tuple[str, str, str]:
    """(lhs, op, rhs) of the parameter at ``matrix[idx]``, with the spec's names."""
    i, j = idx
    if matrix is model.mx_lambda:
        lhs, op, rhs = model.names_lambda[1][j], "=~", model.names_lambda[0][i]
    elif matrix is model.mx_beta:
        lhs, op, rhs = model.names_beta[0][i], "~", model.names_beta[1][j]
    elif matrix is getattr(model, "mx_gamma2", None) or matrix is getattr(model, "mx_gamma1", None):
        mean = model.names_gamma2 if matrix is getattr(model, "mx_gamma2", None) else model.names_gamma1
        lhs, op, rhs = mean[0][i], "~1", ""
    else:
        cov = model.names_psi if matrix is model.mx_psi else model.names_theta
        lhs, op, rhs = cov[0][i], "~~", cov[1][j]
    return names.spec_name(lhs), op, names.spec_name(rhs)


def _arrays(spec: ModelSpec, names: SemopyNames, model, active, se, res, fim_singular,
            fiml=False) -> CBEstimate:
    items = [names.to_semopy[x] for x in spec.indicator_names]
    cons = [names.to_semopy[c] for c in spec.construct_names]
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
            lhs, op, rhs = _describe(model, names, loc.matrix, loc.indices)
            rows.append((lhs, op, rhs, float(loc.matrix[loc.indices]), se_of.get(key, np.nan), par.active))
    params = pd.DataFrame(rows, columns=["lhs", "op", "rhs", "estimate", "se", "free"])
    mean, n_mean = None, 0
    if fiml:
        _, (m, _) = model.calc_sigma()
        mean = np.asarray(model.calc_mean(m), dtype=float)[:, 0]
        mean = mean[[model.names_gamma2[0].index(x) for x in items]]
        n_mean = int(sum(1 for op, f in zip(params["op"], params["free"]) if op == "~1" and f))
    return CBEstimate(loadings=lam, beta=beta, psi=psi, theta=theta, sigma=sigma, params=params,
                      n_free=len(active), fmin=float(res.fun), converged=bool(res.success),
                      n_iter=int(res.n_it), message=str(res.message), messages=(),
                      fim_singular=fim_singular, mean=mean, n_mean=n_mean)


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
