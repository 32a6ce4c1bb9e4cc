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
Political Democracy example, which moves printed lavaan digits. ML uses semopy's objective
with the gradient as matrix products (:mod:`satmodel.cbsem.mlfast`: semopy's loops took 3/4
of a fit). semopy runs with one BLAS thread (two took 8x longer on a loaded 2-core machine).

Objectives (:data:`OBJECTIVES`) and standard errors:

- ``"ML"`` (semopy ``MLW``): expected information (normal theory), semopy's ``calc_fim``,
  as lavaan's default.
- ``"GLS"``, ``"WLS"`` (Browne's ADF, Gamma the fourth-order moment matrix of the rows,
  divisor n), ``"ULS"``, ``"DWLS"``: lavaan's formulas of :mod:`satmodel.cbsem.lsq` with
  D = d vech(Sigma) / d theta at the estimates and the estimator's weight V (GLS: at the
  sample covariance S, as lavaan): ``se_kind="standard"`` (D'VD)^-1 / (n - 1), ``"robust"``
  the sandwich with Gamma (lavaan ``se="robust.sem"``; WLS: the same numbers).
  ULS is minimized as lavaan defines it (each distinct moment once: semopy's DWLS
  machinery with unit weights), not semopy's tr((S - Sigma)^2).
- FIML (``fiml=True``; :mod:`satmodel.cbsem.fiml` on semopy's covariance structure, free
  item intercepts, latent means 0): minus twice the casewise log-likelihood summed over
  the missingness patterns, with its analytic gradient; standard errors from the
  **observed** information (central differences of that gradient), lavaan's default for
  ``missing="ml"``. (semopy's own ``ModelMeans`` FIML took over an hour on ECSI with 10 %
  missing answers.)

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
import logging
import threading
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .lsq import acov as lsq_acov, weight as lsq_weight
from .mlfast import MLState, supported as ml_supported
from .fiml import fit_fiml
from .mlfast import MLProblem
from .optimize import fit_uls, solve
from .polish import newton, unbounded
import satmodel.cbsem.capture as _capture  # its LOCK: fresh in a forked child
from .capture import FILTER, WarningCapture
from .._threads import one_blas_thread
from .identify import check_identified, generic_jacobian, sigma_jacobian, weak_parameters
from .translate import SemopyNames, latent_names, semopy_description, semopy_names
from ..errors import EstimationError, SatModelError, SpecError
from ..spec.model import ModelSpec

__all__ = ["CBEstimate", "run_semopy", "exact_sample", "adf_gamma", "OBJECTIVES"]

#: satmodel estimator name -> semopy objective
OBJECTIVES = {"ML": "MLW", "GLS": "GLS", "ULS": "ULS", "WLS": "WLS", "DWLS": "DWLS"}


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
    weak: tuple[str, ...] = ()
    unbounded: tuple[tuple[str, float], ...] = ()
    #: ML fits: the objective as arrays and the solution (:class:`~satmodel.cbsem.MLState`)
    ml: Any = field(default=None, repr=False)


def run_semopy(spec: ModelSpec, X: np.ndarray, *, estimator: str = "ML",
               max_iter: int = 10000, fiml: bool = False, se: bool = True,
               se_kind: str = "standard", gamma: np.ndarray | None = None,
               n_obs: int | None = None,
               em: tuple[np.ndarray, np.ndarray] | None = None,
               polish: bool = True, keep_ml: bool = False) -> CBEstimate:
    """Fit ``spec`` (already checked by :func:`~satmodel.cbsem.translate.check_cbsem_spec`)
    to the rows ``X`` (n x p, spec indicator order) with a fresh semopy model.

    ``fiml=True`` fits by full-information ML (``X`` may hold NaN; ``estimator`` must be
    "ML"; :mod:`satmodel.cbsem.fiml`), started from the ML fit to ``em`` (the EM means and
    covariance, divisor n; computed when None). ``se=False`` skips the standard errors (NaN);
    ``se_kind`` "standard" or "robust" (least-squares estimators, module notes), which use
    ``gamma`` (default: :func:`adf_gamma` of ``X``) and ``n_obs`` (default: rows of ``X``).
    ``polish=False`` skips the final Newton steps (:mod:`satmodel.cbsem.polish`; a bootstrap
    resample does not need the last 1e-6). ``keep_ml=True`` keeps an ML fit's objective and
    semopy model on the estimate (``ml``; for :mod:`satmodel.cbsem.mlboot`). Raises SpecError (from
    :func:`~satmodel.cbsem.identify.check_identified`) before optimizing if the model is
    not identified.
    """
    import semopy  # outside the capture: import-time warnings are the user's to see

    names = semopy_names(spec)
    data = pd.DataFrame(np.asarray(X, dtype=float),
                        columns=[names.to_semopy[x] for x in spec.indicator_names])
    root = logging.getLogger()
    capture = WarningCapture(threading.get_ident())
    try:
        with _capture.LOCK, one_blas_thread(), warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("always")
            warnings.showwarning = capture.show
            if FILTER not in root.filters:
                root.addFilter(FILTER)
            FILTER.records = records = []
            try:
                ls = _LSOptions(se_kind, gamma, X.shape[0] if n_obs is None else int(n_obs))
                if fiml:
                    est = _fit_fiml(semopy, spec, names, X, max_iter, se, em)
                else:
                    est = _fit(semopy, spec, names, data, estimator, max_iter, polish, se, ls, keep_ml)
            except SatModelError:
                raise
            except Exception as err:  # semopy's (or numpy's) own: never a raw traceback
                raise _failure(spec, names, err) from err
            finally:
                FILTER.records = None
    finally:  # after the filters are restored; also when the fit raised
        capture.reissue()
    notes = tuple(names.restore(f"{r.levelname}: {r.getMessage()}") for r in records)
    notes += tuple(names.restore(f"{w.category.__name__}: {w.message}") for w in capture.semopy)
    return dataclasses.replace(est, messages=notes)


@dataclass(frozen=True)
class _LSOptions:
    """Standard-error settings of the least-squares estimators."""

    kind: str
    gamma: np.ndarray | None
    n: int


def _fit(semopy, spec: ModelSpec, names: SemopyNames, data: pd.DataFrame, estimator: str,
         max_iter: int, polish: bool, se: bool, ls: _LSOptions, keep_ml: bool = False) -> CBEstimate:
    """The semopy work of :func:`run_semopy` (under its lock and capture)."""
    desc = semopy_description(spec, names.to_semopy)
    model = semopy.Model(desc)
    model.load(data)
    active = [k for k, p in model.parameters.items() if p.active]
    cov_part = [k for k, g in zip(active, sigma_jacobian(model)) if g is not None]
    check_identified(spec, len(cov_part), generic_jacobian(model),
                     [" ".join(_describe(model, names, loc.matrix, loc.indices)) for loc in
                      (model.parameters[k].locations[0] for k in cov_part)])
    options = {"ftol": 1e-14, "maxiter": int(max_iter)}
    objective = OBJECTIVES[estimator]
    fast = MLProblem.of(model) if estimator == "ML" and ml_supported(model) else None
    if estimator == "ULS":
        res = fit_uls(model, options)
    elif fast is not None:  # semopy's MLW with the gradient as matrix products (mlfast)
        res = solve(model, fast.fun, fast.grad, options, "MLW")
    else:
        res = model.fit(obj=objective, solver="SLSQP", options=options)
    if polish and res.success:  # Newton steps: SLSQP stops ~1e-6 short on ill-conditioned models
        fun, grad = ((fast.fun, fast.grad) if fast is not None else
                     model.get_objective("DWLS" if estimator == "ULS" else objective))
        lower = np.array([-np.inf if lo is None else lo for lo, _ in model.get_bounds()], dtype=float)
        fg = lambda z: (fun(z), grad(z))  # noqa: E731
        x, res.fun = newton(fg, np.array(model.param_vals, dtype=float), lower)
        free = unbounded(fg, x, lower)  # a Heywood case: the value lavaan would report
        model.param_vals = x
        model.update_matrices(x)
    sd, fim_singular, info = _standard_errors(model, estimator, len(active), se, ls)
    out = _arrays(spec, names, model, active, sd, res, fim_singular)
    labels = _labels(model, names, active)
    if polish and res.success and free:
        out = dataclasses.replace(out, unbounded=tuple((labels[k], v) for k, v in free.items()))
    if keep_ml and fast is not None and res.success:
        del model.mx_data  # the rows: not needed for the starting values from S (mlfast)
        obs, lat = _spec_rows(spec, names, model)
        out = dataclasses.replace(out, ml=MLState(fast, np.array(model.param_vals, dtype=float),
                                                         obs, lat, model))
    if info is None or info.shape != (len(active), len(active)):
        return out
    return dataclasses.replace(out, weak=weak_parameters(info, labels))


def _fit_fiml(semopy, spec: ModelSpec, names: SemopyNames, X: np.ndarray, max_iter: int,
              se: bool, em) -> CBEstimate:
    """FIML (:mod:`satmodel.cbsem.fiml`) on semopy's covariance structure: start at the ML
    fit to the EM covariance, then the casewise likelihood with free item intercepts."""
    if em is None:
        from ..moments.missing import em_moments

        m = em_moments(X)
        em = (np.asarray(m.mean, dtype=float),
              np.asarray(m.corr * np.outer(m.std, m.std), dtype=float) * (len(X) - 1) / len(X))
    cols = [names.to_semopy[x] for x in spec.indicator_names]
    model = semopy.Model(semopy_description(spec, names.to_semopy))
    model.load(cov=pd.DataFrame(em[1], index=cols, columns=cols), n_samples=len(X))
    active = [k for k, p in model.parameters.items() if p.active]
    check_identified(spec, len(active), generic_jacobian(model), _labels(model, names, active))
    model.fit(obj="MLW", solver="SLSQP", options={"ftol": 1e-14, "maxiter": int(max_iter)})
    order = [cols.index(v) for v in model.names_lambda[0] if v in cols]
    res = fit_fiml(model, np.asarray(X, dtype=float)[:, order], em[0][order],
                        max_iter=max_iter, hessian=se)
    sd, singular, weak = np.full(len(active) + len(order), np.nan), False, ()
    if se:
        sd, singular = _inverse_sd(res.hessian / 2.0)  # observed information of the loglik
        weak = weak_parameters(res.hessian, _labels(model, names, active)
                               + [f"{spec.indicator_names[cols.index(v)]} ~1" for v in
                                  [cols[k] for k in order]])
    nu = np.empty(len(cols))
    nu[order] = res.nu
    se_nu = np.empty(len(cols))
    se_nu[order] = sd[len(active):]
    out = _arrays(spec, names, model, active, sd[:len(active)], res, singular)
    intercepts = pd.DataFrame({"lhs": list(spec.indicator_names), "op": "~1", "rhs": "",
                               "estimate": nu, "se": se_nu, "free": True})
    return dataclasses.replace(out, params=pd.concat([out.params, intercepts], ignore_index=True),
                               n_free=len(active) + len(cols), mean=nu, n_mean=len(cols), weak=weak)


def _labels(model, names: SemopyNames, active: list) -> list[str]:
    """``lhs op rhs`` of the active parameters, with the spec's names."""
    return [" ".join(_describe(model, names, loc.matrix, loc.indices)).strip()
            for loc in (model.parameters[k].locations[0] for k in active)]


def _inverse_sd(info: np.ndarray) -> tuple[np.ndarray, bool]:
    """Square roots of the diagonal of ``info``'s inverse, and whether ``info`` is singular
    (then the pseudo-inverse's)."""
    try:
        w, v = np.linalg.eigh((info + info.T) / 2)
    except (np.linalg.LinAlgError, ValueError):
        return np.full(len(info), np.nan), True
    if w[0] <= 1e-10 * max(w[-1], 1e-300):
        return np.sqrt(np.clip(np.diag(np.linalg.pinv(info)), 0.0, None)), True
    return np.sqrt(np.diag((v / w) @ v.T)), False


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


def adf_gamma(X: np.ndarray) -> np.ndarray:
    """Browne's ADF matrix: covariance (divisor n) of the products of centred items over
    the p(p + 1)/2 lower-triangle pairs (``numpy.tril_indices`` order)."""
    D = X - X.mean(axis=0)
    rows, cols = np.tril_indices(X.shape[1])
    return np.cov(D[:, rows] * D[:, cols], rowvar=False, bias=True).reshape(len(rows), len(rows))


def _standard_errors(model, estimator: str, q: int, wanted: bool, ls: _LSOptions):
    """Standard errors of the active parameters (module notes), and a singularity flag."""
    if not wanted or q == 0:
        return np.full(q, np.nan), False, None
    try:
        if estimator == "ML":
            fim, acov = model.calc_fim(inverse=True)
            sd = np.sqrt(np.clip(np.diag(acov), 0.0, None))
            return sd, bool(getattr(model, "_fim_warn", False)), np.asarray(fim, dtype=float)
        return (*_ls_errors(model, estimator, ls), None)
    except (np.linalg.LinAlgError, ValueError):
        return np.full(q, np.nan), True, None


def _ls_errors(model, estimator: str, ls: _LSOptions):
    """lavaan's standard errors of a least-squares estimator (:mod:`satmodel.cbsem.lsq`)."""
    D = sigma_jacobian(model, stack=True)
    S = np.asarray(model.mx_cov, dtype=float)
    gamma = adf_gamma(model.mx_data) if ls.gamma is None else ls.gamma
    V = lsq_weight(estimator, S, gamma)
    cov = lsq_acov(D, V, ls.n, gamma if ls.kind == "robust" else None)
    return np.sqrt(np.clip(np.diag(cov), 0.0, None)), False


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


def _spec_rows(spec: ModelSpec, names: SemopyNames, model) -> tuple[np.ndarray, np.ndarray]:
    """Rows of the spec's items and constructs in semopy's Lambda (its matrix order)."""
    obs = [model.names_lambda[0].index(names.to_semopy[x]) for x in spec.indicator_names]
    lat = [model.names_lambda[1].index(names.to_semopy[c]) for c in latent_names(spec)]
    return np.array(obs, dtype=int), np.array(lat, dtype=int)


def _arrays(spec: ModelSpec, names: SemopyNames, model, active, se, res,
            fim_singular) -> CBEstimate:
    obs, lat = _spec_rows(spec, names, model)
    cons = latent_names(spec)
    lam = model.mx_lambda[np.ix_(obs, lat)].copy()
    beta = model.mx_beta[np.ix_(lat, lat)].copy()
    psi = model.mx_psi[np.ix_(lat, lat)].copy()
    theta = model.mx_theta[np.ix_(obs, obs)].copy()
    inv = np.linalg.inv(np.eye(len(cons)) - beta)
    sigma = lam @ inv @ psi @ inv.T @ lam.T + theta
    se_of = dict(zip(active, se))
    order = {x: k for k, x in enumerate(latent_names(spec) + spec.indicator_names)}
    rows = []
    for key, par in model.parameters.items():
        for loc in par.locations:
            lhs, op, rhs = _describe(model, names, loc.matrix, loc.indices)
            if op == "~~" and order[rhs] < order[lhs]:
                lhs, rhs = rhs, lhs  # lavaan names a covariance in variable order, as written or not
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
