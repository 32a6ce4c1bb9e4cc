"""The result of a PLS fit: a frozen value whose tables are tidy DataFrames.

Properties and methods are thin: each delegates to the layer that computes it
(:mod:`satmodel.tables`, :mod:`satmodel.assess`, :mod:`satmodel.index`,
:mod:`satmodel.inference`); names follow DESIGN.md "Tables and options".

Example
-------
>>> import satmodel as sm
>>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
>>> list(res.paths.columns)
['source', 'target', 'estimate']
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from .. import _validate as valid, assess
from ..assess import criteria, mediation
from ..diagnostics import Diagnostic, collecting
from ..engine import Estimate, Layout, PLSOptions, Refit
from ..engine.admissible import admissible
from ..errors import SatModelError
from ..index import results as index_results
from ..index import score as index_score
from ..index.ipma import IPMA
from ..inference import bootstrap as boot, intervals
from ..moments.core import Moments
from ..moments.treatment import proxy_scores
from ..spec.layout import layout_of
from ..spec.model import ModelSpec
from ..survey import SurveyData, SurveyOptions
from ..tables import TABLES, Context, copy_table
import satmodel.results.pls_record as pls_record
import satmodel.results.pls_report as pls_report
import satmodel.results.plot_method as plot_method
from .base import ResultBase

__all__ = ["PLSResult"]


@dataclass(frozen=True, eq=False)
class PLSResult(ResultBase):
    """A fitted PLS path model (PLS-PM or PLSc).

    Attributes
    ----------
    spec : ModelSpec
    options : PLSOptions
        Estimator options; ``survey_options`` (SurveyOptions) say how the rows were read.
    n_obs : int
    indicator_mean, indicator_std : ndarray
        Item means and SDs (divisor n - 1), spec indicator order.
    indicator_corr : ndarray
        Indicator correlation matrix the model was fitted to.
    estimate : Estimate
        The engine's arrays (see :mod:`satmodel.engine.pls`).
    diagnostics : tuple of Diagnostic
        What the fit (and a bootstrap) found suspect: the records behind its warnings.
    inference : BootstrapInference or None
        After :meth:`bootstrap`.
    """

    TABLE_NAMES = tuple(TABLES)

    spec: ModelSpec
    options: PLSOptions
    n_obs: int
    indicator_mean: np.ndarray
    indicator_std: np.ndarray
    indicator_corr: np.ndarray
    estimate: Estimate
    survey_options: SurveyOptions = field(default_factory=SurveyOptions)
    diagnostics: tuple[Diagnostic, ...] = ()
    inference: Any = field(default=None, repr=False)
    survey: SurveyData | None = field(default=None, repr=False)  # validated rows (not in JSON)
    _scores: pd.DataFrame | None = field(default=None, repr=False)

    # ----------------------------------------------------------------- basics
    @property
    def n_iter(self) -> int:
        """Iterations the PLS algorithm ran."""
        return int(self.estimate.n_iter)

    @property
    def admissible(self) -> bool:
        """False when a PLSc value is out of range (rho_A, loading, AVE or R² above 1, a
        construct correlation beyond ±1); the diagnostic ``inadmissible`` names each."""
        return bool(admissible(self.estimate, self.layout))

    @property
    def converged(self) -> bool:
        """True when the stop rule was met before ``max_iter``."""
        return bool(self.estimate.converged)

    @cached_property
    def layout(self) -> Layout:
        """The engine's index layout of the spec."""
        return layout_of(self.spec)

    @property
    def refit(self) -> Refit:
        """The model's refit (rows, estimator options, layout): what every resampling
        verb re-estimates with."""
        return Refit(self.survey, self.options, self.layout)

    @property
    def context(self) -> Context:
        """Arrays the table functions of :mod:`satmodel.tables` are evaluated on."""
        return Context(S=self.indicator_corr, est=self.estimate, layout=self.layout,
                       spec=self.spec, n_obs=float(self.n_obs), mean=self.indicator_mean,
                       std=self.indicator_std, refit=self.refit)

    def _base_table(self, name: str) -> pd.DataFrame:  # built once, copied: callers may edit
        if name not in self._tables:
            self._tables[name] = TABLES[name].frame(self.context)
        return copy_table(self._tables[name])

    _tables = cached_property(lambda self: {})  # table name -> base frame

    # ----------------------------------------------------------------- tables
    @property
    def paths(self) -> pd.DataFrame:
        """Path coefficients: source, target, estimate (spec path order)."""
        return self.table("paths")

    @property
    def outer(self) -> pd.DataFrame:
        """Outer model: construct, indicator, weight, loading (PLSc loadings when
        ``consistent=True``; weights give unit-variance scores, SD divisor n - 1)."""
        return self.table("outer")

    @property
    def effects(self) -> pd.DataFrame:
        """Direct, indirect and total effects of every pair joined by a directed route."""
        return self.table("effects")

    @property
    def indirect_effects(self) -> pd.DataFrame:
        """Specific and total indirect effects; se, CI and mediation type after a bootstrap."""
        return mediation.indirect_effects(self)

    @property
    def r2(self) -> pd.Series:
        """R² of the endogenous constructs (Series indexed by construct)."""
        return pd.Series(TABLES["r2"].values(self.context, "r2"), list(self.spec.endogenous), name="r2")

    @property
    def quality(self) -> pd.DataFrame:
        """Per construct: alpha, rho_a, rho_c, ave, r2, r2_adj (``<NA>`` r2 for exogenous)."""
        return self.table("quality")

    @property
    def cross_loadings(self) -> pd.DataFrame:
        """Correlation of each indicator with each construct: indicator, then constructs."""
        df = pd.DataFrame(np.array(self.estimate.cross_loadings), columns=list(self.constructs))
        df.insert(0, "indicator", list(self.indicators))
        return df

    @property
    def construct_correlations(self) -> pd.DataFrame:
        """Construct correlations (PLSc-corrected when ``consistent=True``)."""
        names = list(self.constructs)
        return pd.DataFrame(np.array(self.estimate.construct_corr), index=names, columns=names)

    @property
    def scores(self) -> pd.DataFrame:
        """Standardized construct scores (respondents x constructs, input row index)."""
        if self._scores is None and self.survey is None:
            raise SatModelError(
                "this result has no scores: results read from JSON or fitted on moments "
                "carry no respondent rows; refit on the data to get scores")
        return (self._scores if self._scores is not None else self._lazy_scores).copy()

    @cached_property
    def _lazy_scores(self) -> pd.DataFrame:  # computed on first access
        mom = Moments(float(self.n_obs), self.indicator_mean, self.indicator_std, self.indicator_corr)
        S = proxy_scores(self.survey, mom, self.estimate.weights[:, None] * self.layout.membership)
        return pd.DataFrame(S, self.survey.index.copy(), list(self.constructs), copy=False)

    @property
    def missing_report(self) -> pd.DataFrame:
        """Missing answers per item (see :func:`satmodel.index.results.missing_report`)."""
        return index_results.missing_report(self)

    # ----------------------------------------------------------------- assessment
    @property
    def htmt(self) -> pd.DataFrame:
        """HTMT (Henseler et al. 2015), construct x construct; bootstrap: ``htmt_pairs``."""
        return criteria.htmt(self)

    @property
    def htmt2(self) -> pd.DataFrame:
        """HTMT2 (Roemer et al. 2021): HTMT with geometric means."""
        return criteria.htmt(self, geometric=True)

    @property
    def fornell_larcker(self) -> pd.DataFrame:
        """AVE on the diagonal, squared construct correlations off it."""
        return criteria.fornell_larcker(self)

    @property
    def vif(self) -> pd.DataFrame:
        """Indicator VIF within each block: construct, indicator, vif."""
        return self.table("vif")

    @property
    def inner_vif(self) -> pd.DataFrame:
        """Structural VIF of each predictor in its target's regression: source, target, vif."""
        return self.table("inner_vif")

    def f2(self, method: str = "correlations") -> pd.DataFrame:
        """Cohen's f²: ``"correlations"`` (cSEM, ADANCO) or ``"reestimate"`` (seminr)."""
        return criteria.f2(self, method)

    @property
    def information_criteria(self) -> pd.DataFrame:
        """cSEM's model-selection criteria per endogenous construct."""
        return criteria.information_criteria(self)

    @property
    def gof(self) -> float:
        """Tenenhaus' GoF (not a fit measure; Henseler & Sarstedt 2013)."""
        return criteria.gof(self)

    def implied_corr(self, model: str = "estimated") -> pd.DataFrame:
        """Model-implied indicator correlations (``"estimated"`` or ``"saturated"``)."""
        return criteria.implied_corr(self, model)

    @property
    def fit(self) -> pd.DataFrame:
        """Model fit: model, measure (srmr, d_uls, d_g (log10), d_ml, chi2, ...), value."""
        return self.table("fit")

    def fit_measures(self, *, log: str = "log10") -> pd.DataFrame:
        """The :attr:`fit` table with d_G in log base 10 or natural logs (``"ln"``)."""
        return criteria.fit_measures(self, log)

    def assess(self, **thresholds: float) -> pd.DataFrame:
        """Each criterion against its rule of thumb (:func:`satmodel.assess.assess`)."""
        return assess.assess(self, **thresholds)

    def predict(self, *, folds: Any = 10, repetitions: int = 10, seed: int | None = None,
                approach: str = "earliest", **options: Any) -> assess.PredictResult:
        """PLSpredict (:func:`satmodel.assess.predict_pls`; ``method``, ``benchmark``, ``q2``)."""
        return assess.predict_pls(self.spec, self.refit_with_rows("predict"), folds=folds,
                                  repetitions=repetitions, seed=seed, approach=approach,
                                  **valid.known("predict", options, assess.predict_pls))

    def fit_test(self, n: int = 1000, seed: Any = None, *, quantiles=(0.95, 0.99),
                 log: str = "log10", inadmissible: str = "drop",
                 chunk_size: int | None = None, progress: bool | None = None) -> pd.DataFrame:
        """Bollen-Stine test of exact fit, HI95/HI99 (:func:`satmodel.assess.fit_test`)."""
        return assess.fit_test(self.refit_with_rows("fit_test"), self.context, n, seed,
                               quantiles=quantiles, log=log, inadmissible=inadmissible,
                               chunk_size=chunk_size, progress=progress)

    def refit_with_rows(self, verb: str) -> Refit:
        """:attr:`refit`, or a SatModelError when the result carries no respondent rows."""
        self.survey_rows(verb)
        return self.refit

    # ----------------------------------------------------------------- index
    def index(self, constructs: Any = None, **options: Any) -> Any:
        """0-100 index scores (:func:`satmodel.index.results.index`)."""
        return index_results.index(self, constructs, **valid.known("index", options, index_results.index))

    def score(self, data: Any, **options: Any) -> pd.DataFrame:
        """Score new respondents with this fit's frozen weights, means and SDs: 0-100 index
        or (``what="scores"``) construct scores (:func:`satmodel.index.score.score`)."""
        return index_score.score(self, data, **valid.known("score", options, index_score.score))

    def index_weights(self, **options: Any) -> pd.DataFrame:
        """Index item weights (:func:`satmodel.index.results.index_weights`)."""
        return index_results.index_weights(
            self, **valid.known("index_weights", options, index_results.index_weights))

    def impacts(self, target: str | None = None, **options: Any) -> pd.DataFrame:
        """ACSI impacts (:func:`satmodel.index.results.impacts`)."""
        return index_results.impacts(self, target,
                                     **valid.known("impacts", options, index_results.impacts))

    def ipma(self, target: str, **options: Any) -> IPMA:
        """Importance-performance map (:func:`satmodel.index.results.ipma`)."""
        return index_results.ipma(self, target, **valid.known("ipma", options, index_results.ipma))

    # ----------------------------------------------------------------- inference
    def bootstrap(self, n: int = 5000, seed: Any = None, *, ci: str = "percentile",
                  level: float = 0.95, signs: str = "none", inadmissible: str = "drop",
                  chunk_size: int | None = None, progress: bool | None = None,
                  tables: Any = None, n_inner: int = boot.N_INNER) -> PLSResult:
        """Nonparametric bootstrap of every table, batched on moment matrices.

        Returns a new result whose tables carry se, t, p (two-sided, t with B - 1 df),
        ci_lower, ci_upper (prefixed ``weight_``, ``total_``, ... for tables with
        several value columns); this result is unchanged. ``seed``: same seed, same
        draws whatever ``chunk_size``. ``ci``: "percentile", "basic", "normal", "bc",
        "bca", or the bootstrap-t "studentized" / "studentized_csem" (a double bootstrap:
        ``n_inner`` resamples of each resample; see :meth:`conf_int`). ``signs`` (docs/methods.md §4.3):
        "none" (each resample oriented by the fit's rule, SmartPLS, cSEM),
        "construct" or "individual". ``inadmissible``: "drop" (default) or "keep" PLSc
        resamples out of range; non-converged, singular and constant-item resamples
        are always dropped and counted in ``inference.dropped`` (and a diagnostic).
        ``tables``: None (all but the model-fit table and seminr's f²), "all" or names.
        ``progress``: tqdm bar (default: only on a terminal).

        >>> import satmodel as sm
        >>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
        >>> res.bootstrap(n=100, seed=1, progress=False).inference.n_valid
        100
        """
        boot.check_options(n, ci, level, signs, inadmissible, chunk_size, seed=seed,
                           progress=progress, tables=tables, n_inner=n_inner, studentized=True)
        refit = self.refit_with_rows("bootstrap")
        with collecting() as found:
            inf = boot.bootstrap(self.spec, refit, self.context, n, seed, level=level,
                                 signs=signs, inadmissible=inadmissible, chunk_size=chunk_size,
                                 progress=progress, tables=tables)
        out = dataclasses.replace(self, inference=inf, diagnostics=self.diagnostics + tuple(found))
        return out.conf_int(level=level, method=ci, n_inner=n_inner, chunk_size=chunk_size,
                            progress=progress) if ci != "percentile" else out

    def conf_int(self, level: float = 0.95, method: str = "percentile", *,
                 n_inner: int = boot.N_INNER, chunk_size: int | None = None,
                 progress: bool | None = None) -> PLSResult:
        """Recompute intervals from the stored draws. BCa computes the jackknife once,
        batched; "studentized" (bootstrap-t, Davison & Hinkley 1997 eq. 5.7) and
        "studentized_csem" (cSEM's default, centred at 2θ̂ − mean θ*) replay the resamples
        with ``n_inner`` inner resamples each (``chunk_size`` refits per batched call),
        once (:func:`satmodel.inference.bootstrap.with_interval`)."""
        with collecting() as found:
            inf = boot.with_interval(self.spec, self.refit_with_rows, self.context,
                                     self._inference("conf_int"), level, method,
                                     n_inner=n_inner, chunk_size=chunk_size, progress=progress)
        return dataclasses.replace(self, inference=inf, diagnostics=self.diagnostics + tuple(found))

    def test(self, table: str, column: str | None = None, *, value: float = 0.0,
             alternative: str = "two-sided") -> pd.DataFrame:
        """Bootstrap t-test of a table column against ``value`` (Student t, B - 1 df);
        ``alternative``: "two-sided", "less" (H1: parameter < value) or "greater"."""
        valid.choice("test", "alternative", alternative, ("two-sided", "less", "greater"))
        valid.number("test", "value", value, -np.inf, np.inf)
        inf = self._inference("test")
        column = inf.pick("test", table, column)
        est = inf.original[table][column]
        out = TABLES[table].keys(self.spec)
        out["estimate"] = est
        out["se"], out["t"], out["p"] = intervals.t_test(
            est, self.draws(table, column).to_numpy(), value, alternative)
        return out

    def draws(self, table: str, column: str | None = None) -> pd.DataFrame:
        """Bootstrap draws of one table column: one row per resample."""
        inf = self._inference("draws")
        column = inf.pick("draws", table, column)
        inf.require_draws("draws")
        return inf.draws_frame(table, column, TABLES[table].keys(self.spec))

    def _inference(self, verb: str) -> Any:
        if self.inference is None:
            raise SatModelError(f"{verb} needs bootstrap draws: call res.bootstrap(...) first")
        return self.inference

    # ----------------------------------------------------------------- output
    plot = plot_method.plot  # res.plot(): the path diagram (sm.plot_paths)

    def __repr__(self) -> str:
        kind = "PLSc" if self.options.consistent else "PLS-PM"
        boot_note = "" if self.inference is None else \
            f", bootstrapped ({self.inference.n_valid} resamples)"
        return (f"<PLSResult {self.spec.name!r}: {kind}, {self.options.scheme} scheme, "
                f"n={self.n_obs}, {len(self.constructs)} constructs, "
                f"{'converged' if self.converged else 'NOT converged'} in {self.n_iter} "
                f"iterations{boot_note}>")

    def _summary_header(self) -> list[str]:
        return pls_report.header(self)

    def _summary_sections(self) -> list[tuple[str, pd.DataFrame]]:
        return pls_report.sections(self)

    def _summary_next(self) -> list[str]:
        return pls_report.next_steps(self)

    def _record(self, *, draws: bool) -> dict[str, Any]:
        return pls_record.to_record(self, draws=draws)

    @classmethod
    def _from_record(cls, record: Any) -> PLSResult:
        return pls_record.from_record(cls, record)


