"""Fitting a model with higher-order constructs or interaction terms: the spec layer
rewrites it into first-order stages (:mod:`satmodel.spec.staging`), the staged refit runs
them (:mod:`satmodel.inference.staged`), and :class:`StagedPLSResult` reports the last
stage under the user's names (``SAT:IMAG``), bootstrapping every stage per resample.

Example
-------
>>> import satmodel as sm
>>> spec = sm.ModelSpec.from_lavaan('''
...     QUAL =~ QUAL1 + QUAL2 + QUAL3; VAL =~ VAL1 + VAL2; SAT =~ SAT1 + SAT2 + SAT3
...     LOY =~ LOY1 + LOY2; PERF =~ QUAL + VAL
...     SAT ~ PERF; LOY ~ SAT + PERF + SAT:PERF''')
>>> res = sm.fit_pls(spec, sm.datasets.load("ecsi_satisfaction"), hoc="repeated_indicators",
...                  interaction="two_stage")
>>> res.paths.source.tolist()[-3:]
['SAT', 'PERF', 'SAT:PERF']
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .. import _validate as valid
from ..assess import mediation, moderation
from ..diagnostics import collecting, quiet
from ..errors import NotAvailableError
from ..index import slopes_plot, staged_index, staged_ipma
from ..inference.staged import StagedRefit
from ..spec.staging import (HOC_CONVENTIONS, HOC_METHODS, INTERACTION_METHODS,
                             INTERACTION_SCALES, Plan, plan_for)
from ..survey import prepare
import satmodel.results.pls_checks as checks
import satmodel.results.staged_record as staged_record
import satmodel.results.staged_tables as staged_tables
from .pls import PLSResult

__all__ = ["StagedPLSResult", "fit_staged", "check_staged_options"]

_NAME_COLUMNS = ("source", "target", "construct", "indicator")
#: the verbs that refit a staged model (every stage per resample)
_STAGED_VERBS = ("bootstrap", "BCa intervals", "studentized intervals")


@dataclass(frozen=True, eq=False)
class StagedPLSResult(PLSResult):
    """A PLS fit of a model with higher-order constructs or interaction terms.

    Its tables describe the last stage (``spec`` is that stage's first-order model; the
    user's model is ``plan.spec``) with interaction constructs under their ``A:B`` names;
    ``stages`` holds the earlier stages' fits (e.g. the components' loadings in a two-stage
    model). :meth:`bootstrap` redoes every stage on every resample. ``to_json`` stores the
    plan and every stage (:mod:`satmodel.results.staged_record`), read back by
    ``sm.StagedPLSResult.from_json``; ``res.plot()`` (``sm.plot_paths(res)``) draws the model
    as written. With ``consistent=True`` (``hoc="two_stage", hoc_convention="csem"``) the
    second stage carries the first stage's reliabilities, as cSEM's two-stage PLSc
    (:mod:`satmodel.inference.staged_plsc`).
    """

    plan: Plan | None = field(default=None, repr=False)
    stages: tuple[PLSResult, ...] = field(default=(), repr=False)

    @property
    def refit(self) -> StagedRefit:  # type: ignore[override]
        """Every stage's refit: what the bootstrap re-estimates with."""
        return StagedRefit(self.survey, self.options, self.plan)

    def table(self, name: str) -> pd.DataFrame:
        """Any table by name, construct names as the user wrote them (``SAT:IMAG``).

        ``"index"`` is the user's model's index (:meth:`index`: higher-order constructs by
        their item weights through the stages), without bootstrap columns; ``"gof"`` raises
        NotAvailableError. ``outer``, ``quality`` and ``vif`` add the components' stage-1
        rows under seminr's two-stage convention, as seminr does
        (:mod:`satmodel.results.staged_tables`); htmt_pairs and the model fit describe the
        last stage, as cSEM and SmartPLS report a two-stage model."""
        if name == "gof":
            raise self._no_gof()
        if name == "index":
            with collecting(), quiet():  # silent as the first-order table: <NA> says it
                idx = self.index()
            return pd.DataFrame({"construct": list(idx.index), "index": idx.array})
        df = staged_tables.with_components(self, name, self._display(super().table(name)))
        if name in ("htmt", "fornell_larcker", "construct_correlations"):
            df = df.rename(index=self.plan.display, columns=self.plan.display)
        return df

    @property
    def gof(self) -> float:
        raise self._no_gof()

    def bootstrap(self, n: int = 5000, seed: Any = None, **options: Any) -> StagedPLSResult:
        """Bootstrap every stage per resample (:meth:`PLSResult.bootstrap`, same options);
        the components' rows of outer/quality/vif from stage 1 on the same resamples."""
        if staged_tables.components(self) and (seed is None or isinstance(
                seed, (np.random.Generator, np.random.BitGenerator))):
            seed = int(np.random.default_rng(seed).integers(2**63 - 1))  # the same draws twice
        out = super().bootstrap(n, seed, **options)
        return staged_tables.bootstrap_first_stage(self, out, n, seed, options)

    def conf_int(self, level: float = 0.95, method: str = "percentile",
                 **options: Any) -> StagedPLSResult:
        """Intervals from the stored draws (:meth:`PLSResult.conf_int`), stage 1's too."""
        out = super().conf_int(level, method, **options)
        first = self.stages[0] if self.stages else None
        if first is None or first.inference is None or not staged_tables.components(self):
            return out
        inf = staged_tables.first_stage(self)
        inf = dataclasses.replace(inf, inference=first.inference).conf_int(level, method, **options)
        return dataclasses.replace(out, stages=(dataclasses.replace(
            first, inference=inf.inference), *out.stages[1:]))

    @staticmethod
    def _no_gof() -> NotAvailableError:
        return NotAvailableError(
            "gof is not available for models with higher-order constructs or interaction "
            "terms: Tenenhaus' GoF averages the communalities of the user's item blocks, and "
            "the last stage has score and product columns instead (res.stages[0].gof is the "
            "first stage's)")

    def draws(self, table: str, column: str | None = None) -> pd.DataFrame:
        """Bootstrap draws of one table column, labelled with the user's names."""
        if table in ("index", "gof"):
            raise NotAvailableError(
                f"bootstrap draws of {table!r} are not available for models with higher-order "
                "constructs or interaction terms (the index of the user's model is not traced "
                "through the stages per resample; GoF is not defined for them)")
        out = super().draws(table, column)
        display = self.plan.display
        out.columns = [" -> ".join(display.get(p, p) for p in str(c).split(" -> "))
                       for c in out.columns]
        return out

    def test(self, *args: Any, **kwargs: Any) -> pd.DataFrame:
        """Bootstrap t-test of a table column (:meth:`PLSResult.test`), user's names."""
        return self._display(super().test(*args, **kwargs))

    def _display(self, df: pd.DataFrame) -> pd.DataFrame:
        for col in _NAME_COLUMNS:
            if col in df.columns:
                df[col] = df[col].replace(self.plan.display)
        return df

    @property
    def construct_correlations(self) -> pd.DataFrame:
        return super().construct_correlations.rename(index=self.plan.display,
                                                     columns=self.plan.display)

    @property
    def htmt(self) -> pd.DataFrame:
        return super().htmt.rename(index=self.plan.display, columns=self.plan.display)

    @property
    def fornell_larcker(self) -> pd.DataFrame:
        return super().fornell_larcker.rename(index=self.plan.display, columns=self.plan.display)

    @property
    def cross_loadings(self) -> pd.DataFrame:
        return self._display(super().cross_loadings.rename(columns=self.plan.display))

    def assess(self, **thresholds: float) -> pd.DataFrame:
        """Each criterion of the last stage against its rule of thumb
        (:func:`satmodel.assess.assess`), elements under the user's names."""
        plain = PLSResult(**{f.name: getattr(self, f.name) for f in dataclasses.fields(PLSResult)})
        out = plain.assess(**thresholds)
        display = self.plan.display
        out["element"] = [re.sub(r"[^\s:~,]+", lambda m: display.get(m.group(0), m.group(0)), e)
                          for e in out["element"]]
        return out

    @property
    def indirect_effects(self) -> pd.DataFrame:
        """Specific and total indirect effects, with bootstrap inference and the mediation
        type after :meth:`bootstrap` (:func:`satmodel.assess.mediation.indirect_effects`)."""
        return mediation.indirect_effects(self)

    def simple_slopes(self, x: str, moderator: str, *, at: Any = (-1.0, 0.0, 1.0),
                      target: str | None = None) -> pd.DataFrame:
        """Effect of ``x`` at moderator values (:func:`satmodel.assess.moderation.simple_slopes`)."""
        return moderation.simple_slopes(self, x, moderator, at=at, target=target)

    def floodlight(self, x: str, moderator: str, *, at: Any = None,
                   target: str | None = None) -> pd.DataFrame:
        """Johnson-Neyman floodlight (:func:`satmodel.assess.moderation.floodlight`)."""
        return moderation.floodlight(self, x, moderator, at=at, target=target)

    def plot_slopes(self, x: str, moderator: str, *, target: str | None = None,
                    at: Any = (-1.0, 0.0, 1.0), fig: Any = None) -> Any:
        """Simple-slopes lines and, after a bootstrap, the floodlight with its band and
        Johnson-Neyman points (:func:`satmodel.index.slopes_plot.plot_slopes`); a Figure."""
        return slopes_plot.plot_slopes(self, x, moderator, target=target, at=at, fig=fig)

    def refit_with_rows(self, verb: str) -> StagedRefit:  # type: ignore[override]
        """The staged refit for the bootstrap and its intervals; other resampling verbs
        (prediction, fit test, CVPAT, ...) are not available for staged models yet."""
        if verb not in _STAGED_VERBS:
            raise self._not_yet(verb)
        self.survey_rows(verb)
        return self.refit

    def _not_yet(self, verb: str) -> NotAvailableError:
        return NotAvailableError(
            f"{verb} is not available for models with higher-order constructs or interaction "
            "terms yet (tables, bootstrap, indirect effects, simple slopes, floodlight, "
            "index, impacts, IPMA and JSON are); "
            "res.stages[0] is the first stage's ordinary fit")

    def predict(self, *args: Any, **kwargs: Any) -> Any:
        raise self._not_yet("predict")

    def fit_test(self, *args: Any, **kwargs: Any) -> Any:
        raise self._not_yet("fit_test")

    def index(self, constructs: Any = None, **options: Any) -> Any:
        """0-100 index of every construct of the user's model, higher-order constructs by
        their item weights through the stages (:func:`satmodel.index.staged_index.index`);
        ``<NA>`` for interaction terms."""
        from ..index import results as index_results

        valid.known("index", options, index_results.index)
        return staged_index.index(self, constructs, **options)

    def index_weights(self, *args: Any, **kwargs: Any) -> Any:
        raise self._not_yet("index_weights")

    def impacts(self, target: str | None = None, **options: Any) -> pd.DataFrame:
        """ACSI impacts with the item weights through the stages
        (:func:`satmodel.index.staged_ipma.impacts`)."""
        from ..index import results as index_results

        valid.known("impacts", options, index_results.impacts)
        return staged_ipma.impacts(self, target, **options)

    def ipma(self, target: str, **options: Any) -> Any:
        """Importance-performance map, higher-order constructs by their components' items
        (:func:`satmodel.index.staged_ipma.ipma`)."""
        from ..index import results as index_results

        valid.known("ipma", options, index_results.ipma)
        return staged_ipma.ipma(self, target, **options)

    def score(self, *args: Any, **kwargs: Any) -> Any:
        raise self._not_yet("score")

    # ------------------------------------------------------------ JSON
    def _record(self, *, draws: bool) -> dict[str, Any]:
        """The staged record: the plan as the user wrote it and every stage's record
        (:mod:`satmodel.results.staged_record`)."""
        return staged_record.to_record(self, draws=draws)

    @classmethod
    def from_json(cls, text: str | bytes) -> StagedPLSResult:
        """Rebuild a staged result from :meth:`to_json` output (user's names, no rows);
        a malformed or hostile record raises a SatModelError naming the field."""
        return staged_record.from_record(cls, staged_record.parse(text))

    def __repr__(self) -> str:
        how = ", ".join(f"{k}={v!r}" for k, v in (("hoc", self.plan.hoc),
                                                 ("interaction", self.plan.interaction)) if v)
        return super().__repr__()[:-1] + f"; {how}>"


def check_staged_options(spec: Any, hoc: Any, interaction: Any, options: Any, by: Any,
                         interaction_scale: Any = "standardized",
                         hoc_convention: Any = "seminr") -> None:
    """Validate ``hoc``/``interaction``/``interaction_scale``/``hoc_convention`` once (the
    choices for every fit, the rest when the model is staged)."""
    valid.choice("fit_pls", "interaction_scale", interaction_scale, INTERACTION_SCALES)
    valid.choice("fit_pls", "hoc_convention", hoc_convention, HOC_CONVENTIONS)
    if hoc is not None:
        valid.choice("fit_pls", "hoc", hoc, HOC_METHODS)
    if interaction is not None:
        valid.choice("fit_pls", "interaction", interaction, INTERACTION_METHODS)
    if hoc is None and interaction is None and spec.is_first_order:
        return
    if by is not None:
        raise NotAvailableError("fit_pls(by=...) is not available for models with higher-order "
                                "constructs or interaction terms yet; fit each group separately")
    if options.consistent:
        _check_consistent(spec, hoc, hoc_convention)


def _check_consistent(spec: Any, hoc: Any, hoc_convention: Any) -> None:
    """PLSc of a staged model: cSEM's two-stage approach only (cSEM's disattenuation)."""
    if spec.interactions:
        raise NotAvailableError(
            f"consistent=True (PLSc) is not available for models with interaction terms "
            f"({', '.join(spec.interactions)}) yet; fit with consistent=False")
    if hoc != "two_stage" or hoc_convention != "csem":
        why = ("seminr's second stage measures the higher-order construct by its components' "
               "proxy scores without their reliabilities, so PLSc would not remove the "
               "components' measurement error" if hoc == "two_stage" else
               "its higher-order block mixes copies of items of several common factors, which "
               "PLSc's one-factor-per-block correction does not fit")
        raise NotAvailableError(
            f"consistent=True (PLSc) with higher-order constructs is available for "
            f"hoc='two_stage', hoc_convention='csem' (cSEM's two-stage PLSc), not for "
            f"hoc={hoc!r}, hoc_convention={hoc_convention!r}: {why}")


def fit_staged(spec: Any, data: Any, options: Any, survey_options: Any, *, hoc: str | None,
               interaction: str | None, columns: Any, weights: Any,
               min_rows: int | None, interaction_scale: str = "standardized",
               hoc_convention: str = "seminr") -> StagedPLSResult:
    """Fit every stage of ``spec`` (see :func:`satmodel.fit_pls`, ``hoc=``, ``interaction=``)."""
    plan = plan_for(spec, hoc, interaction, interaction_scale, hoc_convention)
    with collecting() as found:
        survey = prepare(plan.survey_spec, data, columns=columns,
                         na_values=survey_options.na_values, reverse=survey_options.reverse,
                         missing=survey_options.missing, weights=weights,
                         missing_warn=survey_options.missing_warn, min_rows=min_rows)
        if np.isnan(survey.X).any():
            raise NotAvailableError(
                f"missing={survey.missing!r} with higher-order constructs or interaction terms is "
                "not available yet (later stages need complete rows); use missing='casewise'")
        n_eff = checks.check_weights(plan.survey_spec, survey.weights, min_rows)
        refit = StagedRefit(survey, options, plan)
        fits = refit.fit_stages(None, final_scores=True)
        results = []
        for stage, stage_fit in zip(plan.stages, fits):
            fitted = stage_fit.fitted
            lay = fitted.refit.layout
            checks.check_blocks(stage.spec, lay, fitted.corr)
            checks.check_estimate(stage.spec, lay, fitted.estimate, options)
            mom = fitted.moments
            results.append(PLSResult(
                spec=stage.spec, options=options, survey_options=survey_options,
                n_obs=int(round(float(mom.n))), indicator_mean=np.asarray(mom.mean).copy(),
                indicator_std=np.asarray(mom.std).copy(),
                indicator_corr=np.asarray(fitted.corr).copy(), estimate=fitted.estimate))
        last = results[-1]
        checks.check_signs(last.spec, last.estimate)
        checks.check_sample_size(last.spec, last.layout,
                                 float(last.n_obs) if n_eff is None else n_eff,
                                 weighted=n_eff is not None)
    names = [plan.display.get(c, c) for c in last.spec.construct_names]
    scores = pd.DataFrame(fits[-1].scores, index=survey.index.copy(), columns=names)
    fields = {f.name: getattr(last, f.name) for f in dataclasses.fields(PLSResult)}
    fields.update(survey=survey, _scores=scores, diagnostics=tuple(found))
    return StagedPLSResult(**fields, plan=plan, stages=tuple(results[:-1]))
