"""The result of a PLS fit: a frozen value whose tables are tidy DataFrames.

Names are attached here (the engine works on indices). Column names follow
DESIGN.md "Tables and options".

Example
-------
>>> import satmodel as sm
>>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
>>> list(res.paths.columns)
['source', 'target', 'estimate']
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from ._assess_mixin import AssessmentMixin
from ._index_mixin import IndexMixin
from .data import SurveyData
from .errors import OptionError, SatModelError, suggest
from .options import PLSOptions
from .pls import Estimate, Layout
from .spec import ModelSpec
from .tables import TABLES, Context

JSON_FORMAT = "satmodel.PLSResult"
JSON_VERSION = 1
_ARRAYS = ("weights", "loadings", "cross_loadings", "proxy_corr", "construct_corr",
           "rho_a", "paths", "r2", "total", "n_iter", "converged", "singular_block")


@dataclass(frozen=True, eq=False)
class PLSResult(AssessmentMixin, IndexMixin):
    """A fitted PLS path model (PLS-PM or PLSc).

    Attributes
    ----------
    spec : ModelSpec
    options : PLSOptions
    n_obs : int
    indicator_mean, indicator_std : ndarray
        Item means and SDs (divisor n - 1), spec indicator order.
    indicator_corr : ndarray
        Indicator correlation matrix the model was fitted to.
    estimate : Estimate
        The engine's arrays (see :mod:`satmodel.pls`).
    """

    spec: ModelSpec
    options: PLSOptions
    n_obs: int
    indicator_mean: np.ndarray
    indicator_std: np.ndarray
    indicator_corr: np.ndarray
    estimate: Estimate
    _scores: pd.DataFrame | None = field(default=None, repr=False)
    _data: SurveyData | None = field(default=None, repr=False)  # the validated rows (not in JSON)
    inference: Any = field(default=None, repr=False)  # BootstrapInference after bootstrap()

    # ----------------------------------------------------------------- basics
    @property
    def constructs(self) -> tuple[str, ...]:
        return self.spec.construct_names

    @property
    def indicators(self) -> tuple[str, ...]:
        return self.spec.indicator_names

    @property
    def n_iter(self) -> int:
        """Iterations the PLS algorithm ran."""
        return int(self.estimate.n_iter)

    @property
    def converged(self) -> bool:
        """True when the stop rule was met before ``max_iter``."""
        return bool(self.estimate.converged)

    # ----------------------------------------------------------------- tables
    @cached_property
    def layout(self) -> Layout:
        """The engine's index layout of the spec."""
        from .fit import layout_of

        return layout_of(self.spec)

    @property
    def context(self) -> Context:
        """Arrays the table functions of :mod:`satmodel.tables` are evaluated on."""
        from .fit import engine_options

        return Context(S=self.indicator_corr, est=self.estimate, layout=self.layout,
                       spec=self.spec, n_obs=float(self.n_obs), mean=self.indicator_mean,
                       std=self.indicator_std,
                       engine=engine_options(self.options, self.n_obs, self.indicator_std))

    def table(self, name: str) -> pd.DataFrame:
        """Any registered table by name (``sm.tables.TABLES``), with inference columns
        after :meth:`bootstrap`."""
        if name not in TABLES:
            raise SatModelError(f"unknown table {name!r}.{suggest(name, TABLES)} "
                                f"Tables: {', '.join(TABLES)}")
        df = TABLES[name].frame(self.context)
        if self.inference is not None:
            df = self.inference.annotate(name, df)
        return df

    @property
    def paths(self) -> pd.DataFrame:
        """Path coefficients: columns source, target, estimate (spec path order)."""
        return self.table("paths")

    @property
    def outer(self) -> pd.DataFrame:
        """Outer model: construct, indicator, weight, loading.

        Weights give unit-variance construct scores (SD divisor n - 1); loadings are
        PLSc-corrected for common factors when ``consistent=True``.
        """
        return self.table("outer")

    @property
    def effects(self) -> pd.DataFrame:
        """Direct, indirect and total effects for every pair joined by a directed route
        (direct is 0 where there is no path, indirect 0 where there is no longer route)."""
        return self.table("effects")

    @property
    def r2(self) -> pd.Series:
        """R² of the endogenous constructs (Series indexed by construct)."""
        df = TABLES["r2"].frame(self.context)
        return pd.Series(df["r2"].to_numpy(), index=list(df["construct"]), name="r2", dtype=float)

    @property
    def quality(self) -> pd.DataFrame:
        """Per construct: alpha, rho_a, rho_c, ave, r2, r2_adj.

        alpha is the standardized Cronbach's alpha; rho_c and ave use the ``outer``
        loadings; rho_a is Dijkstra-Henseler's (1 for Mode B, unit and single-item
        blocks; computed for Mode A composites too, as seminr does). r2 and r2_adj are
        ``<NA>`` (not defined) for exogenous constructs.
        """
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
        """Standardized construct scores (respondents x constructs, input row index).

        Scores are the PLS proxies: standardized items (SD divisor n - 1) times weights.
        """
        if self._scores is None:
            raise SatModelError(
                "this result has no scores: results read from JSON or fitted on moments "
                "carry no respondent rows; refit on the data to get scores")
        return self._scores.copy()

    # ----------------------------------------------------------------- inference
    def bootstrap(self, n: int = 5000, seed: Any = None, *, ci: str = "percentile",
                  level: float = 0.95, signs: str = "none", inadmissible: str = "drop",
                  chunk_size: int | None = None, progress: bool | None = None,
                  tables: Any = None) -> PLSResult:
        """Nonparametric bootstrap of every table, batched on moment matrices.

        Returns a new result whose tables carry se, t, p (two-sided, t with B - 1 df),
        ci_lower, ci_upper (prefixed ``weight_``, ``total_``, ... for tables with several
        value columns); this result is unchanged.

        Parameters
        ----------
        n : int
            Number of resamples.
        seed : int, numpy Generator or None
            Same seed, same draws, whatever ``chunk_size``.
        ci : {"percentile", "basic", "normal", "bc", "bca"}
            Interval method; change it later with :meth:`conf_int` without resampling.
        level : float
            Confidence level.
        signs : {"none", "construct", "individual"}
            Sign-change option (METHODS.md 4.3). "none" (default, as SmartPLS and cSEM):
            every resample is oriented by the fit's own rule (each block's loadings sum
            non-negative); "construct": construct-level changes against the original
            loadings; "individual": each draw takes the sign of the original estimate.
        inadmissible : {"drop", "keep"}
            PLSc resamples with rho_A > 1, |loading| > 1 or |construct correlation| > 1
            are dropped (default) or kept. Non-converged, singular and constant-item
            resamples are always dropped; every drop is counted in
            ``inference.dropped`` and announced by a warning.
        chunk_size : int, optional
            Resamples fitted per batched call (default: bounded by memory).
        progress : bool, optional
            tqdm progress bar; default on only when stderr is a terminal.
        tables : None, "all", or list of str
            Registered tables (``satmodel.tables.TABLES``) to bootstrap. None: all except
            the model-fit table (its ML-type figures need eigenvalues and determinants per
            resample; test exact fit with :meth:`fit_test`). Fewer tables, faster runs.

        Examples
        --------
        >>> import satmodel as sm
        >>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
        >>> boot = res.bootstrap(n=100, seed=1, progress=False)
        >>> boot.inference.n_valid
        100
        """
        from .inference import bootstrap

        return bootstrap(self, n, seed, ci=ci, level=level, signs=signs,
                         inadmissible=inadmissible, chunk_size=chunk_size, progress=progress,
                         tables=tables)

    def conf_int(self, level: float = 0.95, method: str = "percentile") -> PLSResult:
        """Recompute intervals from the stored draws (no new resampling).

        ``method`` is one of "percentile", "basic", "normal", "bc", "bca" (BCa computes
        the jackknife once, batched).
        """
        from . import ci as ci_methods
        from .inference import jackknife

        if self.inference is None:
            raise SatModelError("no bootstrap draws: call res.bootstrap(...) first")
        ci_methods.check(method, level)
        inf = self.inference
        jack = inf.jackknife
        if method == "bca" and jack is None:
            jack = jackknife(self)
        inf = dataclasses.replace(inf, level=level, method=method, jackknife=jack)
        return dataclasses.replace(self, inference=inf)

    def test(self, table: str, column: str | None = None, *, value: float = 0.0,
             alternative: str = "two-sided") -> pd.DataFrame:
        """Bootstrap t-test of a table column against ``value``.

        t = (estimate − value) / se with Student t (B − 1 df); ``alternative`` is
        "two-sided", "less" (H1: parameter < value) or "greater". E.g. HTMT against 1:
        ``boot.test("htmt_pairs", value=1.0, alternative="less")``.
        """
        from scipy import stats

        if self.inference is None:
            raise SatModelError("no bootstrap draws: call res.bootstrap(...) first")
        if alternative not in ("two-sided", "less", "greater"):
            raise OptionError(f"alternative={alternative!r}: 'two-sided', 'less' or 'greater'")
        d = self.draws(table, column).to_numpy()
        column = column or next(iter(self.inference.draws[table]))
        est = self.inference.original[table][column]
        se = d.std(axis=0, ddof=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = (est - value) / se
        dist = stats.t(df=d.shape[0] - 1)
        p = {"two-sided": 2 * dist.sf(np.abs(t)), "less": dist.cdf(t),
             "greater": dist.sf(t)}[alternative]
        out = TABLES[table].keys(self.spec)
        out["estimate"], out["se"], out["t"], out["p"] = est, se, t, p
        return out

    def fit_test(self, n: int = 1000, seed: Any = None, *, quantiles=(0.95, 0.99),
                 log: str = "log10", inadmissible: str = "drop",
                 chunk_size: int | None = None, progress: bool | None = None) -> pd.DataFrame:
        """Bootstrap test of exact fit (Bollen-Stine): HI95/HI99 of SRMR, d_ULS, d_G.

        See :func:`satmodel.fittest.fit_test`.

        >>> import satmodel as sm
        >>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
        >>> res.fit_test(n=50, seed=1, progress=False).shape
        (6, 6)
        """
        from .fittest import fit_test

        return fit_test(self, n, seed, quantiles=quantiles, log=log, inadmissible=inadmissible,
                        chunk_size=chunk_size, progress=progress)

    def draws(self, table: str, column: str | None = None) -> pd.DataFrame:
        """Bootstrap draws of one table column: one row per resample."""
        if self.inference is None:
            raise SatModelError("no bootstrap draws: call res.bootstrap(...) first")
        if table not in self.inference.draws:
            raise SatModelError(f"no draws for table {table!r}.{suggest(table, self.inference.draws)}")
        cols = list(self.inference.draws[table])
        column = column or cols[0]
        if column not in cols:
            raise SatModelError(f"table {table!r} has no column {column!r}; columns: {cols}")
        return self.inference.draws_frame(table, column, TABLES[table].keys(self.spec))

    # ----------------------------------------------------------------- output
    def summary(self) -> str:
        """A plain-text report: settings, paths, R², outer model, reliability."""
        from .report import summary_text

        return summary_text(self)

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        kind = "PLSc" if self.options.consistent else "PLS-PM"
        return (f"<PLSResult {self.spec.name!r}: {kind}, {self.options.scheme} scheme, "
                f"n={self.n_obs}, {len(self.constructs)} constructs, "
                f"{'converged' if self.converged else 'NOT converged'} in {self.n_iter} iterations>")

    def _repr_html_(self) -> str:
        from .report import summary_html

        return summary_html(self)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready record: spec, options, moments and estimates; no survey rows."""
        est = {k: np.asarray(getattr(self.estimate, k)).tolist() for k in _ARRAYS}
        return {
            "format": JSON_FORMAT,
            "version": JSON_VERSION,
            "spec": self.spec.model_dump(mode="json"),
            "options": self.options.model_dump(mode="json"),
            "n_obs": self.n_obs,
            "indicator_mean": self.indicator_mean.tolist(),
            "indicator_std": self.indicator_std.tolist(),
            "indicator_corr": self.indicator_corr.tolist(),
            "estimate": est,
        }

    def to_json(self, **kwargs) -> str:
        """Serialize to JSON (versioned); read back with :meth:`from_json`.

        >>> import satmodel as sm
        >>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
        >>> sm.PLSResult.from_json(res.to_json()).paths.equals(res.paths)
        True
        """
        return json.dumps(self.to_dict(), **kwargs)

    @classmethod
    def from_json(cls, text: str) -> PLSResult:
        """Rebuild a result from :meth:`to_json` output (without respondent scores)."""
        try:
            rec = json.loads(text)
        except json.JSONDecodeError as err:
            raise SatModelError(f"not a satmodel result JSON: {err}") from None
        if not isinstance(rec, dict) or rec.get("format") != JSON_FORMAT:
            raise SatModelError(f"not a satmodel result JSON (expected format {JSON_FORMAT!r})")
        if rec.get("version") != JSON_VERSION:
            raise SatModelError(
                f"result JSON version {rec.get('version')!r} is not supported "
                f"(this satmodel reads version {JSON_VERSION})")
        raw = rec["estimate"]
        est = Estimate(**{k: np.asarray(raw[k], dtype=bool if k in ("converged", "singular_block")
                                        else int if k == "n_iter" else float) for k in _ARRAYS})
        return cls(
            spec=ModelSpec.model_validate(rec["spec"]),
            options=PLSOptions.model_validate(rec["options"]),
            n_obs=int(rec["n_obs"]),
            indicator_mean=np.asarray(rec["indicator_mean"], dtype=float),
            indicator_std=np.asarray(rec["indicator_std"], dtype=float),
            indicator_corr=np.asarray(rec["indicator_corr"], dtype=float),
            estimate=est,
        )
