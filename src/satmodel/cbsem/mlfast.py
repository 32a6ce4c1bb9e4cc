"""semopy's ML (Wishart, ``MLW``) objective and its gradient as a few matrix products.

semopy computes the gradient of the ML discrepancy one parameter at a time (a p x p
matrix per parameter, then a trace): about 1 ms a call on the ECSI model, and an ML fit
calls it a few hundred times (SLSQP, then the Newton polish's central differences). With
Omega = Sigma^-1 - Sigma^-1 S Sigma^-1, M = Lambda C, C = (I - B)^-1, P = C Psi the
gradient is the derivative matrices of the parameters (semopy's ``mx_diffs``, fixed by
the model) against four matrices:

    dF/dB = 2 M' Omega M P',  dF/dLambda = 2 Omega M P',  dF/dPsi = M' Omega M,  dF/dTheta = Omega

so one call is a handful of p x p products and one (q x entries) product. The objective
is semopy's formula (Cholesky inverse and log-determinant) and the gradient equals
semopy's to rounding; the value and gradient at one point share Sigma and its inverse.
:class:`MLProblem` holds the model's structure as arrays, so a bootstrap refits covariance
matrices without building semopy models (:mod:`satmodel.cbsem.mlboot`).

Example
-------
>>> import numpy as np, pandas as pd, semopy
>>> S = np.array([[1, .48, .42], [.48, 1, .56], [.42, .56, 1]])
>>> m = semopy.Model("F =~ a + b + c")
>>> _ = m.load(cov=pd.DataFrame(S, index=list("abc"), columns=list("abc")), n_samples=100)
>>> prob = MLProblem.of(m)
>>> x = np.array(m.param_vals, dtype=float)
>>> bool(np.allclose(prob.grad(x), m.grad_mlw(x), rtol=1e-10, atol=1e-12))
True
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.linalg import lapack

__all__ = ["MLProblem", "MLState", "Arrays", "supported", "start_values"]


def supported(model) -> bool:
    """Whether :class:`MLProblem` reproduces ``model``'s ML objective: a plain semopy
    ``Model`` (no constraints beyond bounds, covariance structure only)."""
    import semopy

    return (type(model) is semopy.Model and not model.constraints
            and len(model.mx_diffs) == len(model.param_vals)
            and all(len(d) == 4 for d in model.mx_diffs))


@dataclass(frozen=True, eq=False)
class MLProblem:
    """The ML discrepancy of a semopy model with its covariance matrix ``S``.

    ``mats`` copies of (B, Lambda, Psi, Theta) with the fixed values, ``ranges`` where each
    parameter goes (semopy's ``param_ranges`` as flat indices), ``jac`` d vec(mats) / d x
    (q x entries), ``bounds`` semopy's, ``S`` and its log-determinant. Not thread-safe: it
    works in ``mats`` in place, so give each thread its own (:meth:`with_cov` copies).
    """

    mats: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    ranges: tuple
    jac: np.ndarray
    bounds: tuple
    S: np.ndarray
    logdet_s: float
    _last: list = field(default_factory=list, repr=False)
    #: ``jac`` as (rows, cols, values) of its nonzeros (most parameters sit in one entry)
    sparse: tuple = field(default=(), repr=False)

    def __post_init__(self) -> None:
        if not all(m.flags.c_contiguous for m in self.mats):  # update() writes through ravel()
            object.__setattr__(self, "mats", tuple(np.ascontiguousarray(m) for m in self.mats))
        if not self.sparse:
            rows, cols = np.nonzero(self.jac)
            object.__setattr__(self, "sparse", (rows, cols, self.jac[rows, cols], len(self.jac)))

    @classmethod
    def of(cls, model) -> MLProblem:
        """The problem of a loaded semopy model (its ``mx_cov``)."""
        mats = tuple(np.array(m, dtype=float) for m in model.matrices[:4])
        cols = []
        for dm in model.mx_diffs:
            cols.append(np.concatenate([np.zeros(m.size) if d is None else np.ravel(d)
                                        for d, m in zip(dm[:4], mats)]))
        jac = np.array(cols, dtype=float).reshape(len(cols), sum(m.size for m in mats))
        ranges = tuple((np.ravel_multi_index(r1, m.shape) if r1 else None, np.asarray(r2, dtype=int))
                       for (r1, r2), m in zip(model.param_ranges[:4], mats))
        return cls(mats=mats, ranges=ranges, jac=jac, bounds=tuple(model.get_bounds()),
                   S=np.asarray(model.mx_cov, dtype=float), logdet_s=float(model.cov_logdet))

    def with_cov(self, S: np.ndarray) -> MLProblem:
        """The same model with another covariance matrix (own working matrices)."""
        S = np.asarray(S, dtype=float)
        return MLProblem(mats=tuple(m.copy() for m in self.mats), ranges=self.ranges, jac=self.jac,
                         bounds=self.bounds, S=S, logdet_s=_chol_inv(S)[1], sparse=self.sparse)

    def update(self, x: np.ndarray) -> None:
        """Put the parameters ``x`` into the working matrices (semopy's ``update_matrices``)."""
        for mx, (flat, r2) in zip(self.mats, self.ranges):
            if flat is not None:
                mx.ravel()[flat] = x[r2]  # a view: the matrices are contiguous

    def sigma(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Implied covariance and semopy's auxiliaries M = Lambda C and C."""
        self.update(x)
        beta, lamb, psi, theta = self.mats
        c = _inv(_identity(beta.shape[0]) - beta)
        m = lamb @ c
        return m @ psi @ m.T + theta, m, c

    def _at(self, x: np.ndarray) -> tuple | None:
        """(M, C P, Sigma^-1, log|Sigma|) at ``x``, None if Sigma is not positive definite;
        the last point is kept (SLSQP asks for the value and then the gradient at one x)."""
        last = self._last
        key = np.asarray(x, dtype=float).tobytes()
        if last and last[0] == key:
            return last[1]
        try:
            sigma, m, c = self.sigma(x)
            inv, logdet = _chol_inv(sigma)
            out = (m, c @ self.mats[2], inv, logdet)
        except np.linalg.LinAlgError:
            out = None
        last[:] = [key, out]
        return out

    def fun(self, x: np.ndarray) -> float:
        """semopy's ``obj_mlw``: tr(S Sigma^-1) - p + log|Sigma| - log|S| (inf if Sigma is
        not positive definite or the value is negative)."""
        at = self._at(x)
        if at is None:
            return np.inf
        inv, logdet = at[2], at[3]
        loss = float(np.vdot(self.S, inv)) - inv.shape[0] + (logdet - self.logdet_s)
        return np.inf if loss < 0 else loss

    def grad(self, x: np.ndarray) -> np.ndarray:
        """The gradient of :meth:`fun` (module notes; inf where Sigma is not positive definite)."""
        at = self._at(x)
        if at is None:
            return np.full(len(x), np.inf)
        m, p, inv, _ = at
        omega = inv - inv @ self.S @ inv
        om = omega @ m                # Omega M
        mom = m.T @ om                # M' Omega M
        g = np.concatenate([(2.0 * mom @ p.T).ravel(), (2.0 * om @ p.T).ravel(), mom.ravel(),
                            omega.ravel()])
        rows, cols, vals, q = self.sparse  # jac @ g over jac's nonzeros
        return np.bincount(rows, weights=vals * g[cols], minlength=q)


@functools.lru_cache(maxsize=8)
def _identity(n: int) -> np.ndarray:
    """A shared read-only identity matrix (building one took a tenth of an evaluation)."""
    eye = np.identity(n)
    eye.flags.writeable = False
    return eye


@functools.lru_cache(maxsize=8)
def _diagonal(n: int) -> np.ndarray:
    return np.arange(n)


def _inv(A: np.ndarray) -> np.ndarray:
    """Inverse of a small square ``A`` by LAPACK gesv (numpy's ``inv`` without its checks)."""
    _, _, inv, info = lapack.dgesv(A, _identity(A.shape[0]))
    if info:
        raise np.linalg.LinAlgError("singular matrix")
    return inv


def _chol_inv(A: np.ndarray) -> tuple[np.ndarray, float]:
    """Inverse and log-determinant of a positive definite ``A`` by Cholesky (LAPACK potrf,
    potri; as semopy's ``chol_inv2``); LinAlgError if it is not positive definite."""
    c, info = lapack.dpotrf(A)
    if info:
        raise np.linalg.LinAlgError("not positive definite")
    logdet = 2 * float(np.log(c.diagonal()).sum())
    inv, info = lapack.dpotri(c, overwrite_c=1)  # upper triangle; potrf zeroed the lower one
    if info:
        raise np.linalg.LinAlgError("singular")
    full = inv + inv.T
    d = _diagonal(full.shape[0])
    full[d, d] = inv[d, d]  # the diagonal once
    return full, logdet


@dataclass(frozen=True, eq=False)
class Arrays:
    """The estimate's matrices in spec order (what the tables need of a
    :class:`~satmodel.cbsem.engine.CBEstimate`) and the objective's value there."""

    loadings: np.ndarray
    beta: np.ndarray
    psi: np.ndarray
    theta: np.ndarray
    sigma: np.ndarray
    fmin: float = np.nan


@dataclass(frozen=True, eq=False)
class MLState:
    """An ML fit as arrays: its problem, the solution ``x``, the rows of the spec's
    items (``obs``) and constructs (``lat``) in semopy's matrices, and the semopy
    ``model`` (for its starting-value rules; :func:`start_values`)."""

    problem: MLProblem
    x: np.ndarray
    obs: np.ndarray
    lat: np.ndarray
    model: Any = None

    def arrays(self, problem: MLProblem, x: np.ndarray) -> Arrays:
        """The matrices of ``problem`` at ``x`` in spec order (as the engine's ``_arrays``)."""
        problem.update(x)
        beta, lamb, psi, theta = problem.mats
        obs, lat = self.obs, self.lat
        lam = lamb[np.ix_(obs, lat)].copy()
        b = beta[np.ix_(lat, lat)].copy()
        ps = psi[np.ix_(lat, lat)].copy()
        th = theta[np.ix_(obs, obs)].copy()
        inv = np.linalg.inv(np.eye(len(lat)) - b)
        return Arrays(loadings=lam, beta=b, psi=ps, theta=th,
                      sigma=lam @ inv @ ps @ inv.T @ lam.T + th, fmin=float(problem.fun(x)))


def start_values(model, S: np.ndarray) -> np.ndarray:
    """semopy's starting values of ``model``'s free parameters for the covariance matrix
    ``S`` (what ``model.load(rows)`` sets): its own rules, with the loadings' rule (the
    slope of the item on its construct's marker item, which semopy regresses on the rows)
    as the same slope from ``S``, S[marker, item] / S[marker, marker]. Works in ``model``:
    the caller owns it."""
    from semopy import startingvalues

    rules = model.start_rules
    model.start_rules = [_lambda_from_cov if r is startingvalues.start_lambda else r for r in rules]
    try:
        model.mx_cov = S
        for name in getattr(model, "params_to_start", ()):
            model.parameters[name].start = None
        model.load_starting_values()
    finally:
        model.start_rules = rules
    return np.array([p.start for p in model.parameters.values() if p.active], dtype=float)


def _lambda_from_cov(model, lval: str, rval: str) -> float:
    """semopy's ``start_lambda`` on the covariance matrix (same marker search)."""
    if rval not in model.vars["latent"]:
        return 0.0
    obs = model.vars["observed"]
    first = rval
    while first not in obs:
        try:
            first = model.first_manifs[first]
            if first == rval:
                return 0.0
        except KeyError:
            return 0.0
    if first is None:
        return 0.0
    i, j = obs.index(first), obs.index(lval)
    return float(model.mx_cov[i, j] / model.mx_cov[i, i])
