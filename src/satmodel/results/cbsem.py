"""The result of a CB-SEM fit: a frozen value with the table names of :class:`~satmodel.PLSResult`.

Example
-------
>>> import satmodel as sm
>>> spec = sm.ModelSpec.from_lavaan("EXPE =~ EXPE1 + EXPE2 + EXPE3; SAT =~ SAT1 + SAT2 + SAT3; SAT ~ EXPE")
>>> cb = sm.fit_cbsem(spec, sm.datasets.load("ecsi_satisfaction"))
>>> list(cb.paths.columns)
['source', 'target', 'estimate', 'estimate_unstd', 'se', 'z', 'p']
>>> cb.fit_indices.index[:3].tolist()
['chi2', 'df', 'p_value']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..cbsem.engine import CBEstimate
from ..cbsem.fitting import CBFit
from ..diagnostics import Diagnostic
from ..survey import SurveyOptions
from ..cbsem.solution import TABLE_KEYS, Solution, alpha, htmt, standardize, table_values
from ..errors import SatModelError

__all__ = ["CBSEMResult"]

_SE_KEYS = {"paths": ("target", "~", "source"), "outer": ("construct", "=~", "indicator")}


@dataclass(frozen=True, eq=False)
class CBSEMResult:
    """A fitted covariance-based SEM (semopy engine, satmodel tables).

    Attributes
    ----------
    spec : ModelSpec
    estimator : str
        ``"ML"``, ``"GLS"``, ``"ULS"``, ``"WLS"`` or ``"DWLS"``.
    missing : str
        ``"error"`` (complete data), ``"listwise"`` or ``"fiml"``.
    n_obs : int
    indicator_mean : ndarray
        Item means (spec indicator order; with FIML the estimated intercepts).
    sample_cov : ndarray
        Item covariance matrix with divisor n (the ML moment the model is fitted to;
        with FIML the EM estimate of the saturated model).
    estimate : CBEstimate
        The engine's unstandardized arrays and parameter table.
    fit_indices : Series
        See :mod:`satmodel.cbsem.stats` for every convention (chi2 = n * F_ML, as lavaan);
        nullable ``Float64``, ``<NA>`` where an index is not defined for the estimator.
    missing_report : DataFrame or None
        Per item: missing cells, share, ``na_values`` codes among them, the action taken
        (as ``PLSResult.missing_report``); ``attrs`` hold method and rows dropped.
    """

    spec: Any
    estimator: str
    n_obs: int
    indicator_mean: np.ndarray
    sample_cov: np.ndarray
    estimate: CBEstimate
    fit_indices: pd.Series
    _scores: pd.DataFrame | None = field(default=None, repr=False)
    _X: np.ndarray | None = field(default=None, repr=False)  # validated rows (for bootstrap)
    inference: Any = field(default=None, repr=False)  # CBInference after bootstrap()
    missing: str = "error"
    missing_report: pd.DataFrame | None = field(default=None, repr=False)
    survey_options: SurveyOptions = field(default_factory=SurveyOptions)
    diagnostics: tuple[Diagnostic, ...] = ()

    @classmethod
    def of(cls, fit: CBFit, **fields: Any) -> CBSEMResult:
        """The result of a :class:`~satmodel.cbsem.fitting.CBFit` (and extra fields)."""
        return cls(spec=fit.spec, estimator=fit.estimator, n_obs=fit.n_obs,
                   indicator_mean=fit.indicator_mean, sample_cov=fit.sample_cov,
                   estimate=fit.estimate, fit_indices=fit.fit_indices, missing=fit.missing,
                   _X=fit.X, **{("_scores" if k == "scores" else k): v for k, v in fields.items()})

    # ----------------------------------------------------------------- basics
    @property
    def constructs(self) -> tuple[str, ...]:
        return self.spec.construct_names

    @property
    def indicators(self) -> tuple[str, ...]:
        return self.spec.indicator_names

    @property
    def converged(self) -> bool:
        """True when semopy's optimizer reported success."""
        return self.estimate.converged

    @cached_property
    def solution(self) -> Solution:
        """The completely standardized (lavaan ``std.all``) solution as arrays."""
        return standardize(self.estimate)

    @cached_property
    def _values(self) -> dict[str, dict[str, np.ndarray]]:
        return table_values(self.spec, self.estimate, self.solution)

    def _table(self, name: str) -> pd.DataFrame:
        df = TABLE_KEYS[name](self.spec).reset_index(drop=True)
        for col, values in self._values[name].items():
            df[col] = np.asarray(values, dtype=float)
        if name in _SE_KEYS and self.inference is None:
            df = self._analytic(name, df)
        if self.inference is not None:
            df = self.inference.annotate(name, df)
        return df

    def _analytic(self, name: str, df: pd.DataFrame) -> pd.DataFrame:
        """Add ML standard errors (expected information), z and p of the unstandardized estimates."""
        lhs, op, rhs = _SE_KEYS[name]
        par = self.estimate.params
        par = par[par["op"] == op].set_index(["lhs", "rhs"])
        se = np.array([par["se"].get((a, b), np.nan) for a, b in zip(df[lhs], df[rhs])], dtype=float)
        raw = df["estimate_unstd" if name == "paths" else "loading_unstd"].to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            z = raw / se
        df["se"], df["z"], df["p"] = se, z, 2 * stats.norm.sf(np.abs(z))
        for col in ("se", "z", "p"):  # fixed parameters (marker loadings) have none
            df[col] = df[col].astype("Float64").mask(df[col].isna(), pd.NA)
        return df

    @property
    def paths(self) -> pd.DataFrame:
        """Paths: source, target, estimate (completely standardized), estimate_unstd, se, z, p.

        se, z and p are ML standard errors (expected information) of ``estimate_unstd``
        and their normal-theory tests, as lavaan prints them; after :meth:`bootstrap` they
        are replaced by the bootstrap columns se, t, p, ci_lower, ci_upper of ``estimate``.
        """
        return self._table("paths")

    @property
    def outer(self) -> pd.DataFrame:
        """Measurement model: construct, indicator, loading (standardized), loading_unstd,
        residual_var (standardized, 1 - item R²), residual_var_unstd, then se, z, p of
        ``loading_unstd`` (``<NA>`` for the fixed marker loadings)."""
        return self._table("outer")

    @property
    def effects(self) -> pd.DataFrame:
        """Standardized direct, indirect and total effects for every pair joined by a route."""
        return self._table("effects")

    @property
    def r2(self) -> pd.Series:
        """R² of the endogenous constructs (1 - disturbance variance / implied variance)."""
        return pd.Series(self._values["r2"]["r2"], index=list(self.spec.endogenous), name="r2", dtype=float)

    @property
    def parameters(self) -> pd.DataFrame:
        """Every parameter as lavaan lists it: lhs, op, rhs, estimate (unstandardized), se, z,
        p, std_all (completely standardized; residual covariances as residual correlations;
        FIML item intercepts ``item ~1`` divided by the item's implied SD), free."""
        par = self.estimate.params.copy()
        sol, spec = self.solution, self.spec
        pos = {c: j for j, c in enumerate(spec.construct_names)}
        item = {x: k for k, x in enumerate(spec.indicator_names)}
        std = []
        for lhs, op, rhs, est in zip(par["lhs"], par["op"], par["rhs"], par["estimate"]):
            if op == "=~":
                std.append(sol.loadings[item[rhs], pos[lhs]])
            elif op == "~1":
                std.append(est / np.sqrt(self.estimate.sigma[item[lhs], item[lhs]]))
            elif op == "~":
                std.append(sol.beta[pos[lhs], pos[rhs]])
            else:
                std.append(self._std_cov(lhs, rhs, est, pos, item))
        par.insert(4, "std_all", std)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = par["estimate"] / par["se"]
        par.insert(5, "z", z)
        par.insert(6, "p", 2 * stats.norm.sf(np.abs(z)))
        return par[["lhs", "op", "rhs", "estimate", "se", "z", "p", "std_all", "free"]]

    def _std_cov(self, lhs, rhs, est, pos, item) -> float:
        if lhs in pos:
            psi = self.estimate.psi
            a, b = pos[lhs], pos[rhs]
            if a == b:
                return float(est / self.solution.construct_var[a])
            return float(est / np.sqrt(psi[a, a] * psi[b, b]))
        theta, sigma = self.estimate.theta, self.estimate.sigma
        a, b = item[lhs], item[rhs]
        if a == b:
            return float(est / sigma[a, a])
        return float(est / np.sqrt(theta[a, a] * theta[b, b]))

    @property
    def quality(self) -> pd.DataFrame:
        """Per construct: alpha (standardized, from the sample correlations), rho_c and ave
        (from the standardized loadings: (Σλ)²/((Σλ)² + Σ(1 - λ²)), mean λ²), r2 (``<NA>`` for
        exogenous constructs)."""
        lam = self.solution.loadings.sum(axis=1)
        blocks = [np.array([self.indicators.index(x) for x in c.indicator_names]) for c in self.spec.constructs]
        s = np.array([lam[b].sum() for b in blocks]) ** 2
        err = np.array([(1 - lam[b] ** 2).sum() for b in blocks])
        ave = np.array([(lam[b] ** 2).mean() for b in blocks])
        df = pd.DataFrame({"construct": list(self.constructs), "alpha": alpha(self.spec, self.sample_corr),
                           "rho_c": s / (s + err), "ave": ave})
        df["r2"] = pd.array(self.solution.r2, dtype="Float64")
        df["r2"] = df["r2"].mask(df["r2"].isna(), pd.NA)
        return df

    @cached_property
    def sample_corr(self) -> np.ndarray:
        """Item correlation matrix of the data."""
        d = np.sqrt(np.diag(self.sample_cov))
        return self.sample_cov / np.outer(d, d)

    @property
    def htmt(self) -> pd.DataFrame:
        """Heterotrait-monotrait ratios of the sample correlations (construct x construct)."""
        return htmt(self.spec, self.sample_corr)

    @property
    def construct_correlations(self) -> pd.DataFrame:
        """Model-implied construct correlations."""
        names = list(self.constructs)
        return pd.DataFrame(self.solution.construct_corr, index=names, columns=names)

    @property
    def implied_cov(self) -> pd.DataFrame:
        """Model-implied item covariance matrix."""
        names = list(self.indicators)
        return pd.DataFrame(self.estimate.sigma, index=names, columns=names)

    @property
    def scores(self) -> pd.DataFrame:
        """Factor scores by the regression (Thurstone) method, standardized (SD divisor
        n - 1): respondents x constructs, input row index."""
        if self._scores is None:
            raise SatModelError("this result has no scores: it carries no respondent rows; "
                                "refit on the data to get scores")
        return self._scores.copy()

    # ----------------------------------------------------------------- inference
    def bootstrap(self, n: int = 500, seed: int | None = None, *, level: float = 0.95,
                  progress: bool | None = None) -> CBSEMResult:
        """Nonparametric bootstrap: refit on ``n`` resamples of the rows (a new result).

        See :func:`satmodel.cbsem.bootstrap.bootstrap_cbsem` for the details.

        >>> import satmodel as sm  # doctest: +SKIP
        >>> sm.fit_cbsem(spec, df).bootstrap(n=200, seed=1).paths  # doctest: +SKIP
        """
        from ..cbsem.bootstrap import bootstrap_cbsem

        return bootstrap_cbsem(self, n=n, seed=seed, level=level, progress=progress)

    # ----------------------------------------------------------------- output
    def summary(self) -> str:
        """A plain-text report: fit indices, paths, loadings, reliability."""
        fi = {k: ("NA" if v is pd.NA else f"{v:.3f}") for k, v in self.fit_indices.items()}
        test = "2 (loglik_sat - loglik)" if self.missing == "fiml" else "n * F"
        lines = [repr(self), "",
                 f"chi2 = {fi['chi2']} ({test}), df = {float(self.fit_indices['df']):.0f}, p = {fi['p_value']}",
                 f"CFI = {fi['cfi']}  TLI = {fi['tli']}  RMSEA = {fi['rmsea']} "
                 f"[{fi['rmsea_ci_lower']}, {fi['rmsea_ci_upper']}]  SRMR = {fi['srmr']}",
                 f"loglik = {fi['loglik']}  AIC = {fi['aic']}  BIC = {fi['bic']}", "",
                 "Paths", self.paths.to_string(index=False), "",
                 "Outer model", self.outer.to_string(index=False), "",
                 "Quality", self.quality.to_string(index=False)]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        chi2 = self.fit_indices["chi2"]
        chi2 = "NA" if chi2 is pd.NA else f"{chi2:.3f}"
        how = "" if self.missing == "error" else f" ({self.missing})"
        return (f"<CBSEMResult {self.spec.name!r}: {self.estimator}{how}, n={self.n_obs}, "
                f"{len(self.constructs)} constructs, chi2={chi2} on "
                f"df={self.fit_indices['df']:.0f}, {'converged' if self.converged else 'NOT converged'}>")
