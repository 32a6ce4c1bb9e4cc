"""The result of a CB-SEM fit: a frozen value on the one result base, with the table
names of :class:`~satmodel.PLSResult` (plus ``parameters`` and ``fit_indices``).

Example
-------
>>> import satmodel as sm
>>> spec = sm.ModelSpec.from_lavaan("EXPE =~ EXPE1 + EXPE2 + EXPE3; SAT =~ SAT1 + SAT2 + SAT3; SAT ~ EXPE")
>>> cb = sm.fit_cbsem(spec, sm.datasets.load("ecsi_satisfaction"))
>>> list(cb.paths.columns)
['source', 'target', 'estimate', 'estimate_unstd', 'se', 'z', 'p']
>>> cb.fit_indices.index[:3].tolist()
['chi2', 'df', 'p_value']
>>> sm.CBSEMResult.from_json(cb.to_json()).paths.equals(cb.paths)
True
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from ..cbsem import bootstrap as boot
from ..cbsem import tables as cbt
from ..cbsem.engine import CBEstimate
from ..cbsem.fitting import CBFit, Conventions
from ..cbsem.solution import Solution, factor_scores, standardize
from ..cbsem.translate import cb_endogenous, latent_names
from ..assess import mediation
from ..diagnostics import Diagnostic, collecting
from ..errors import SatModelError, suggest
from ..spec.layout import Layout
from ..spec.model import ModelSpec
from ..survey import SurveyData, SurveyOptions
from ..tables import square
from ..tables.validity import htmt_matrix
import satmodel.results.cbsem_record as cbsem_record
import satmodel.results.cbsem_report as cbsem_report
import satmodel.results.plot_method as plot_method
from .base import ResultBase

__all__ = ["CBSEMResult"]


@dataclass(frozen=True, eq=False)
class CBSEMResult(ResultBase):
    """A fitted covariance-based SEM (semopy engine, satmodel tables).

    Attributes
    ----------
    spec : ModelSpec
    estimator : str
        ``"ML"``, ``"GLS"``, ``"ULS"``, ``"WLS"`` or ``"DWLS"``.
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
    missing : str
        ``"error"`` (complete data), ``"listwise"`` or ``"fiml"``.
    missing_report : DataFrame or None
        Per item: missing cells, share, ``na_values`` codes among them, the action taken
        (as ``PLSResult.missing_report``); ``attrs`` hold method and rows dropped.
    survey_options : SurveyOptions
    diagnostics : tuple of Diagnostic
        What the fit (and a bootstrap) found suspect: the records behind its warnings.
    inference : CBBootstrapInference or None
        After :meth:`bootstrap`.
    survey : SurveyData or None
        The validated rows (not in JSON): for :attr:`scores` and :meth:`bootstrap`.
    conventions : Conventions
        ``cov_divisor``, ``se``, ``unscaled_test`` of :func:`~satmodel.fit_cbsem` (not in
        JSON: a result read back holds the defaults; its numbers are the stored ones).
    """

    TABLE_NAMES = ("paths", "outer", "effects", "r2", "quality", "htmt_pairs", "parameters",
                   "fit_indices")

    spec: ModelSpec
    estimator: str
    n_obs: int
    indicator_mean: np.ndarray
    sample_cov: np.ndarray
    estimate: CBEstimate
    fit_indices: pd.Series
    missing: str = "error"
    missing_report: pd.DataFrame | None = field(default=None, repr=False)
    survey_options: SurveyOptions = field(default_factory=SurveyOptions)
    diagnostics: tuple[Diagnostic, ...] = ()
    inference: Any = field(default=None, repr=False)
    survey: SurveyData | None = field(default=None, repr=False)
    conventions: Conventions = field(default_factory=Conventions, repr=False)

    @classmethod
    def of(cls, fit: CBFit, **fields: Any) -> CBSEMResult:
        """The result of a :class:`~satmodel.cbsem.fitting.CBFit` (and extra fields)."""
        return cls(spec=fit.spec, estimator=fit.estimator, n_obs=fit.n_obs,
                   indicator_mean=fit.indicator_mean, sample_cov=fit.sample_cov,
                   estimate=fit.estimate, fit_indices=fit.fit_indices, missing=fit.missing,
                   conventions=fit.conventions, **fields)

    # ----------------------------------------------------------------- basics
    @property
    def converged(self) -> bool:
        """True when semopy's optimizer reported success."""
        return self.estimate.converged

    @property
    def constructs(self) -> tuple[str, ...]:
        """Latent variables: the constructs in spec order, then higher-order factors."""
        return latent_names(self.spec)

    @cached_property
    def layout(self) -> Layout:
        """The index layout of the first-order constructs (every one a Mode A block)."""
        return cbt.cb_layout(self.spec)

    @cached_property
    def solution(self) -> Solution:
        """The completely standardized (lavaan ``std.all``) solution as arrays."""
        return standardize(self.estimate)

    @cached_property
    def _values(self) -> dict[str, dict[str, np.ndarray]]:
        return cbt.table_values(self.spec, self.layout, self.estimate, self.sample_cov)

    def _base_table(self, name: str) -> pd.DataFrame:
        if name == "parameters":
            return cbt.parameters_table(self.spec, self.estimate)
        if name == "fit_indices":
            return cbt.fit_indices_table(self.fit_indices)
        df = cbt.frame(name, self.spec, self._values)
        return df if self.inference is not None else cbt.with_analytic(name, df, self.estimate.params)

    # ----------------------------------------------------------------- tables
    @property
    def paths(self) -> pd.DataFrame:
        """Paths: source, target, estimate (completely standardized), estimate_unstd, se, z, p.

        se, z and p are the engine's standard errors of ``estimate_unstd`` (ML: expected
        information) and their normal-theory tests, as lavaan prints them; after
        :meth:`bootstrap` they are replaced by the bootstrap columns se, t, p, ci_lower,
        ci_upper of ``estimate``.
        """
        return self.table("paths")

    @property
    def outer(self) -> pd.DataFrame:
        """Measurement model: construct, indicator, loading (standardized), loading_unstd,
        residual_var (standardized, 1 - item R²), residual_var_unstd, then se, z, p of
        ``loading_unstd`` (``<NA>`` for the fixed marker loadings). A higher-order factor
        adds a row per component (indicator = the component): the second-order loading, and
        the component's disturbance variance (standardized: 1 - its R²) as residual."""
        return self.table("outer")

    @property
    def effects(self) -> pd.DataFrame:
        """Standardized direct, indirect and total effects for every pair joined by a route."""
        return self.table("effects")

    @property
    def r2(self) -> pd.Series:
        """R² of the endogenous constructs (1 - disturbance variance / implied variance),
        the components of higher-order factors included."""
        return pd.Series(self._values["r2"]["r2"], index=list(cb_endogenous(self.spec)),
                         name="r2", dtype=float)

    @property
    def quality(self) -> pd.DataFrame:
        """Per construct: alpha (standardized, from the item correlations; PLS's formula),
        rho_c and ave (from the standardized loadings), r2 (``<NA>`` for exogenous ones).
        A higher-order factor: rho_c and ave of its standardized second-order loadings
        (rho_c is semTools' omega_L2 formula on the completely standardized solution), alpha
        ``<NA>``."""
        return self.table("quality")

    @property
    def indirect_effects(self) -> pd.DataFrame:
        """Specific and total indirect effects of the standardized paths (as ``effects``):
        source, through (``"M1 -> M2"`` or ``"(total)"``), target, estimate, direct, total;
        after :meth:`bootstrap` also se, t, p, ci_lower, ci_upper of the indirect effect,
        the direct effect's interval and the Zhao, Lynch & Chen (2010) ``type``
        (:func:`satmodel.assess.mediation.indirect_effects`, as ``PLSResult``)."""
        return mediation.indirect_effects(self)

    @property
    def parameters(self) -> pd.DataFrame:
        """Every parameter as lavaan lists it: lhs, op, rhs, estimate (unstandardized), se, z,
        p, std_all (completely standardized; residual covariances as residual correlations;
        FIML item intercepts ``item ~1`` divided by the item's implied SD), free."""
        return self.table("parameters")

    @cached_property
    def sample_corr(self) -> np.ndarray:
        """Item correlation matrix of the data."""
        return cbt.correlations(self.sample_cov)

    @property
    def htmt(self) -> pd.DataFrame:
        """HTMT of the sample correlations (construct x construct; bootstrap: ``htmt_pairs``)."""
        return square(htmt_matrix(self.sample_corr, self.layout), list(self.spec.construct_names))

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
        survey = self.survey_rows("scores")
        F = factor_scores(survey.X, self.indicator_mean, self.estimate)
        return pd.DataFrame(F, index=survey.index.copy(), columns=list(self.constructs))

    # ----------------------------------------------------------------- inference
    def bootstrap(self, n: int = 500, seed: Any = None, *, ci: str = "percentile",
                  level: float = 0.95, progress: bool | None = None,
                  n_jobs: int | None = None) -> CBSEMResult:
        """Nonparametric bootstrap: refit on ``n`` resamples of the rows (a new result).

        The tables get se, t, p, ci_lower, ci_upper of their standardized estimates (see
        :mod:`satmodel.cbsem.bootstrap`); ``ci``: "percentile", "basic", "normal" or "bc"
        (change later with :meth:`conf_int`); dropped resamples are counted in
        ``inference.dropped`` and a diagnostic. ``progress``: tqdm bar (default: only on a
        terminal). With ML each resample is refitted on its covariance matrix (about 10 ms on
        the ECSI model; :mod:`satmodel.cbsem.mlboot`), otherwise by a semopy fit of its rows
        (about 0.1-0.3 s); one BLAS thread either way. ``n_jobs``: worker processes (-1:
        every core; default None: this process, see :func:`satmodel.cbsem.bootstrap.jobs`);
        the draws do not depend on it.

        >>> import satmodel as sm
        >>> spec = sm.ModelSpec.from_lavaan("A =~ EXPE1 + EXPE2 + EXPE3; B =~ SAT1 + SAT2 + SAT3; B ~ A")
        >>> cb = sm.fit_cbsem(spec, sm.datasets.load("ecsi_satisfaction"))
        >>> cb.bootstrap(n=3, seed=1, progress=False).inference.n_valid
        3
        """
        boot.check_options(n, ci, level, progress, seed, n_jobs)
        survey = self.survey_rows("bootstrap")
        original = {t: {c: self._values[t][c] for c in cols} for t, cols in cbt.BOOTSTRAP.items()}
        with collecting() as found:
            inf = boot.bootstrap_cbsem(self.spec, survey.X, original, estimator=self.estimator,
                                       missing=self.missing, n=n, seed=seed, level=level,
                                       progress=progress, conventions=self.conventions,
                                       n_jobs=n_jobs)
        out = dataclasses.replace(self, inference=inf, diagnostics=self.diagnostics + tuple(found))
        return out.conf_int(level=level, method=ci) if ci != "percentile" else out

    def conf_int(self, level: float = 0.95, method: str = "percentile") -> CBSEMResult:
        """Recompute the intervals from the stored draws (no new resampling): "percentile",
        "basic", "normal" or "bc" at ``level``."""
        inf = self._inference("conf_int")
        boot.check_interval(method, level, "conf_int")
        inf.require_draws("conf_int")
        inf = dataclasses.replace(inf, level=float(level), method=method)
        return dataclasses.replace(self, inference=inf)

    def draws(self, table: str, column: str | None = None) -> pd.DataFrame:
        """Bootstrap draws of one table column: one row per kept resample."""
        draws = self._inference("draws").require_draws("draws")
        if table not in draws:
            raise SatModelError(f"no draws for table {table!r}.{suggest(table, draws)}")
        cols = list(draws[table])
        column = column or cols[0]
        if column not in cols:
            raise SatModelError(f"table {table!r} has no column {column!r}; columns: {cols}")
        return self.inference.draws_frame(table, column, cbt.KEYS[table](self.spec))

    def _inference(self, verb: str) -> Any:
        if self.inference is None:
            raise SatModelError(f"{verb} needs bootstrap draws: call res.bootstrap(...) first")
        return self.inference

    # ----------------------------------------------------------------- output
    def _summary_header(self) -> list[str]:
        fi = {k: ("NA" if v is pd.NA else f"{v:.3f}") for k, v in self.fit_indices.items()}
        test = ("2 (loglik_sat - loglik)" if self.missing == "fiml"
                else "n * F" if self.estimator == "ML" else "(n - 1) * F")
        lines = [repr(self), "",
                 f"chi2 = {fi['chi2']} ({test}), df = {float(self.fit_indices['df']):.0f}, "
                 f"p = {fi['p_value']}",
                 f"CFI = {fi['cfi']}  TLI = {fi['tli']}  RMSEA = {fi['rmsea']} "
                 f"[{fi['rmsea_ci_lower']}, {fi['rmsea_ci_upper']}]  SRMR = {fi['srmr']}",
                 f"loglik = {fi['loglik']}  AIC = {fi['aic']}  BIC = {fi['bic']}"]
        changed = {k: v for k, v in dataclasses.asdict(self.conventions).items()
                   if v != getattr(Conventions(), k)}
        if changed:
            lines.append("conventions: " + ", ".join(f"{k}={v!r}" for k, v in changed.items()))
        if self.inference is not None:
            inf = self.inference
            lines.append(f"bootstrap: {inf.n_valid} of {inf.n_requested} resamples, {inf.method} "
                         f"intervals at level {inf.level:g}")
        return lines

    def _summary_sections(self) -> list[tuple[str, pd.DataFrame]]:
        return cbsem_report.sections(self)

    def _summary_next(self) -> list[str]:
        return cbsem_report.next_steps(self)

    def __repr__(self) -> str:
        chi2 = self.fit_indices["chi2"]
        chi2 = "NA" if chi2 is pd.NA else f"{chi2:.3f}"
        how = "" if self.missing == "error" else f" ({self.missing})"
        return (f"<CBSEMResult {self.spec.name!r}: {self.estimator}{how}, n={self.n_obs}, "
                f"{len(self.constructs)} constructs, chi2={chi2} on "
                f"df={self.fit_indices['df']:.0f}, {'converged' if self.converged else 'NOT converged'}>")

    def _record(self, *, draws: bool) -> dict[str, Any]:
        return cbsem_record.to_record(self, draws=draws)

    @classmethod
    def _from_record(cls, record: Any) -> CBSEMResult:
        return cbsem_record.from_record(cls, record)

    plot = plot_method.plot  # res.plot(): the path diagram (sm.plot_paths)
