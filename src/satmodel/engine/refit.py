"""The one refit: survey rows x row weights -> moments -> batched PLS estimate.

Every verb that re-estimates the model — the fit itself, bootstrap, jackknife,
permutation, the Bollen-Stine fit test, PLSpredict, f² re-estimation, groups — builds
(or derives) a :class:`Refit` and calls it; nothing else calls
:func:`satmodel.engine.pls.estimate`. A reweighting is a ``(..., n)`` array of row
weights (bootstrap counts, group or permutation masks, training masks), so many
refits are one batched call.

>>> import numpy as np, satmodel as sm
>>> from satmodel.engine import PLSOptions, Refit
>>> from satmodel.spec.layout import layout_of
>>> from satmodel.survey import prepare
>>> spec = sm.templates.ecsi()
>>> refit = Refit(prepare(spec, sm.datasets.load("ecsi_satisfaction")), PLSOptions(),
...               layout_of(spec))
>>> refit.fit(np.ones((4, 250))).estimate.paths.shape
(4, 6, 6)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..moments.core import Moments
from ..moments.treatment import bytes_per_reweighting, survey_moments
from ..spec.layout import Layout
from .options import PLSOptions
from .pls import Estimate, estimate

if TYPE_CHECKING:  # pragma: no cover
    from ..survey.prepare import SurveyData

__all__ = ["Refit", "Refitted"]


@dataclass(frozen=True)
class Refitted:
    """One (batched) refit: the moments, the correlations the engine saw (a reweighting
    with a constant item gets the identity and ``degenerate`` True), the estimate."""

    moments: Moments
    corr: np.ndarray
    estimate: Estimate
    degenerate: np.ndarray
    refit: Refit


@dataclass(frozen=True)
class Refit:
    """The chain moments -> engine options -> estimate, built once per fitted model.

    ``survey`` is None for a model fitted on moments alone (then only
    :meth:`on_moments` and :meth:`estimate` work).
    """

    survey: SurveyData | None
    options: PLSOptions
    layout: Layout

    # ---------------------------------------------------------------- the engine call
    def engine_kwargs(self, n: Any, std: Any, items: np.ndarray | None = None) -> dict[str, Any]:
        """Keyword options of :func:`~satmodel.engine.pls.estimate` for moments ``n``, ``std``
        (batched alike); ``items`` restricts per-item arrays to a sub-model's items."""
        o = self.options
        kwargs: dict[str, Any] = dict(scheme=o.scheme, consistent=o.consistent, tol=o.tol,
                                      max_iter=o.max_iter, stop=o.stop)
        if not o.scaled:
            n = np.asarray(n, dtype=float)
            scale = np.asarray(std, dtype=float) ** 2
            kwargs.update(item_scale=scale if items is None else scale[..., items],
                          plspm_k=np.sqrt((n - 1.0) / n))
        return kwargs

    def estimate(self, S: np.ndarray, n: Any = None, std: Any = None, *,
                 layout: Layout | None = None, items: np.ndarray | None = None,
                 sign_reference: np.ndarray | None = None) -> Estimate:
        """Estimate on correlation matrices ``S`` (..., p, p); ``layout``/``items`` for a
        sub-model (f² re-estimation, the saturated model of the information criteria)."""
        return estimate(S, layout if layout is not None else self.layout,
                        sign_reference=sign_reference, **self.engine_kwargs(n, std, items))

    # ---------------------------------------------------------------- reweightings
    def moments(self, row_weights: np.ndarray | None = None) -> Moments:
        """Moments of the survey rows reweighted by ``row_weights`` (..., n) (None: as is)."""
        if self.survey is None:
            raise RuntimeError("Refit without survey rows cannot reweight")  # pragma: no cover
        return survey_moments(self.survey, row_weights)

    def on_moments(self, mom: Moments, *, sign_reference: np.ndarray | None = None) -> Refitted:
        """Estimate on given (batched) moments; a non-finite correlation matrix (a constant
        item in a resample) is replaced by the identity and flagged ``degenerate``."""
        S = np.asarray(mom.corr, dtype=float)
        degenerate = ~np.isfinite(S).all((-1, -2))
        if degenerate.any():
            S = np.where(degenerate[..., None, None], np.eye(S.shape[-1]), S)
        est = self.estimate(S, mom.n, mom.std, sign_reference=sign_reference)
        return Refitted(moments=mom, corr=S, estimate=est, degenerate=degenerate, refit=self)

    def fit(self, row_weights: np.ndarray | None = None, *,
            sign_reference: np.ndarray | None = None) -> Refitted:
        """Moments and estimate of every reweighting in ``row_weights`` (..., n)."""
        return self.on_moments(self.moments(row_weights), sign_reference=sign_reference)

    # ---------------------------------------------------------------- derived refits
    def with_survey(self, survey: SurveyData) -> Refit:
        """The same model and options on other rows (the fit test's rotated data)."""
        return dataclasses.replace(self, survey=survey)

    def with_options(self, **changes: Any) -> Refit:
        """The same rows with estimator options changed (e.g. the index's raw metric)."""
        return dataclasses.replace(self, options=self.options.model_copy(update=changes))

    @property
    def n_rows(self) -> int:
        return 0 if self.survey is None else self.survey.n

    @property
    def bytes_per_fit(self) -> int:
        """Memory one reweighting allocates (moments under the treatment + engine arrays)."""
        p = self.layout.block_of.size
        J = self.layout.n_constructs
        rows = 0 if self.survey is None else bytes_per_reweighting(self.survey)
        return rows + 8 * (8 * p * p + 6 * p * J + 8 * J * J)
