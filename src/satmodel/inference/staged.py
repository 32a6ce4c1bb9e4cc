"""The refit of a staged model (higher-order constructs, interaction terms): every stage
redone on every reweighting, batched.

A :class:`StagedRefit` has the interface of :class:`~satmodel.engine.Refit` (``fit``,
``on_moments``-free): ``fit(row_weights)`` computes, for all reweightings at once, the
first stage's moments and estimate, its construct scores (standardized under each
reweighting), the next stage's columns (items, scores, products of standardized items or
scores, residualized products), their weighted moments, and the last stage's estimate.
So the bootstrap, the jackknife (BCa) and every table work on a staged model unchanged:
two batched engine passes per chunk of resamples, no loop over resamples.

>>> import numpy as np, satmodel as sm
>>> spec = sm.ModelSpec.from_lavaan('''
...     QUAL =~ QUAL1 + QUAL2 + QUAL3; VAL =~ VAL1 + VAL2; SAT =~ SAT1 + SAT2 + SAT3
...     PERF =~ QUAL + VAL
...     SAT ~ PERF''')
>>> res = sm.fit_pls(spec, sm.datasets.load("ecsi_satisfaction"), hoc="two_stage")
>>> res.refit.fit(np.ones((3, 250))).estimate.paths.shape
(3, 2, 2)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from ..engine.options import PLSOptions
from ..engine.refit import Refit, Refitted
from ..errors import NotAvailableError
from ..moments.core import Moments
from ..moments.treatment import combined_weights, survey_moments
from ..spec.layout import Layout, layout_of
from ..spec.staging import Plan
from .staged_csem import csem_paths
from .staged_plsc import consistent_second_stage

if TYPE_CHECKING:  # pragma: no cover
    from ..survey.prepare import SurveyData

__all__ = ["StagedRefit", "StageFit"]


@dataclass(frozen=True)
class _Stage:
    """A stage in index form: its layout and, per column, how it is computed."""

    layout: Layout
    kinds: tuple[str, ...]
    refs: tuple[tuple[tuple[str, int], ...], ...]  # per column: ("item"|"score", index) factors
    regressors: tuple[tuple[int, ...], ...]

    @property
    def items_only(self) -> bool:
        return all(k == "item" for k in self.kinds)


@dataclass(frozen=True)
class StageFit:
    """One stage's batched fit: the refit result and its (standardized) construct scores."""

    fitted: Refitted
    scores: np.ndarray | None


def _compile(plan: Plan) -> tuple[_Stage, ...]:
    items = {name: k for k, name in enumerate(plan.survey_spec.indicator_names)}
    out: list[_Stage] = []
    previous: dict[str, int] = {}
    for stage in plan.stages:
        def ref(text: str) -> tuple[str, int]:
            kind, _, name = text.partition(":")
            return (kind, items[name] if kind == "item" else previous[name])
        kinds, refs, regs = [], [], []
        for col in stage.columns:
            kinds.append(col.kind)
            if col.kind in ("item", "score"):
                refs.append((ref(f"{col.kind}:{col.of[0]}"),))
            else:
                refs.append(tuple(ref(x) for x in col.of))
            regs.append(tuple(items[r] for r in col.regressors))
        out.append(_Stage(layout_of(stage.spec), tuple(kinds), tuple(refs), tuple(regs)))
        previous = {c: j for j, c in enumerate(stage.spec.construct_names)}
    return tuple(out)


def _weighted_moments(V: np.ndarray, c: np.ndarray) -> Moments:
    """Moments of per-reweighting columns ``V`` (B, n, q) under weights ``c`` (B, n)."""
    n = c.sum(axis=-1)
    mean = np.einsum("bn,bnq->bq", c, V) / n[:, None]
    Vc = V - mean[:, None, :]
    cov = np.einsum("bn,bnp,bnq->bpq", c, Vc, Vc, optimize=True) / (n - 1.0)[:, None, None]
    std = np.sqrt(np.clip(np.diagonal(cov, axis1=-2, axis2=-1), 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = cov / (std[:, :, None] * std[:, None, :])
    idx = np.arange(V.shape[-1])
    corr[:, idx, idx] = 1.0
    return Moments(n=n, mean=mean, std=std, corr=corr)


@dataclass(frozen=True)
class StagedRefit:
    """Every stage of ``plan`` on ``survey`` (rows of ``plan.survey_spec``'s items)."""

    survey: SurveyData | None
    options: PLSOptions
    plan: Plan

    @cached_property
    def stages(self) -> tuple[_Stage, ...]:
        return _compile(self.plan)

    @cached_property
    def layout(self) -> Layout:
        """The last stage's layout (what the tables describe)."""
        return layout_of(self.plan.final)

    def _last(self) -> Refit:
        return Refit(None, self.options, self.layout)

    # ------------------------------------------------------------ as Refit
    def engine_kwargs(self, n: Any, std: Any, items: np.ndarray | None = None) -> dict[str, Any]:
        return self._last().engine_kwargs(n, std, items)

    def estimate(self, S: np.ndarray, n: Any = None, std: Any = None, **kwargs: Any):
        """The last stage's estimate on correlations ``S`` (sub-models: f², saturated)."""
        return self._last().estimate(S, n, std, **kwargs)

    def with_options(self, **changes: Any) -> StagedRefit:
        return dataclasses.replace(self, options=self.options.model_copy(update=changes))

    @property
    def n_rows(self) -> int:
        return 0 if self.survey is None else self.survey.n

    @property
    def bytes_per_fit(self) -> int:
        n, p = (0, 0) if self.survey is None else self.survey.values.shape
        total = 8 * n * 2
        for st in self.stages:
            q, J = len(st.kinds), st.layout.n_constructs
            total += 8 * (3 * n * (q + J + p) + 8 * q * q + 6 * q * J + 8 * J * J)
        return total

    # ------------------------------------------------------------ the stages
    def fit(self, row_weights: np.ndarray | None = None, *,
            sign_reference: np.ndarray | None = None) -> Refitted:
        """The last stage's refit for every reweighting in ``row_weights`` (B, n) (None:
        the rows as they are); a reweighting degenerate in any stage is flagged."""
        return self.fit_stages(row_weights, sign_reference=sign_reference)[-1].fitted

    def fit_stages(self, row_weights: np.ndarray | None = None, *,
                   sign_reference: np.ndarray | None = None,
                   final_scores: bool = False) -> list[StageFit]:
        """Every stage's batched fit (scores of every stage but the last, unless asked).
        A reweighting with a constant item gives NaN columns, flagged ``degenerate``."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self._fit_stages(row_weights, sign_reference, final_scores)

    def _fit_stages(self, row_weights: np.ndarray | None, sign_reference: np.ndarray | None,
                    final_scores: bool) -> list[StageFit]:
        if self.survey is None:
            raise NotAvailableError("a staged model fitted without rows cannot be refitted")
        single = row_weights is None
        c = combined_weights(self.survey, row_weights)
        c = np.ones(self.n_rows) if c is None else np.asarray(c, dtype=float)
        c = c[None, :] if c.ndim == 1 else c.reshape(-1, self.n_rows)
        X = self.survey.X
        item_mom = survey_moments(self.survey, c)
        with np.errstate(divide="ignore", invalid="ignore"):
            Z = (X[None, :, :] - item_mom.mean[:, None, :]) / item_mom.std[:, None, :]
        out: list[StageFit] = []
        scores = None
        stages = self.stages
        degenerate = np.zeros(c.shape[0], dtype=bool)
        for k, st in enumerate(stages):
            last = k == len(stages) - 1
            if st.items_only:
                idx = np.array([r[0][1] for r in st.refs])
                mom = Moments(n=item_mom.n, mean=item_mom.mean[:, idx], std=item_mom.std[:, idx],
                              corr=item_mom.corr[:, idx[:, None], idx[None, :]])
                V = None
            else:
                V = self._columns(st, X, Z, scores, c)
                mom = _weighted_moments(V, c)
            refit = Refit(None, self.options, st.layout)
            fitted = refit.on_moments(mom, sign_reference=sign_reference if last else None)
            if last and self.plan.interaction_scale == "seminr" and self.plan.display:
                fitted = dataclasses.replace(fitted, estimate=self._seminr_scale(
                    fitted.estimate, mom.std, st))
            if last and self.plan.interaction_scale == "csem" and self.plan.display:
                fitted = dataclasses.replace(fitted, estimate=csem_paths(
                    fitted.estimate, V, c, st.layout, st.kinds))
            weights = fitted.estimate.weights  # the scores' weights (before PLSc's 3rd stage)
            if last and k and self.options.consistent and self.plan.hoc_convention == "csem":
                fitted = dataclasses.replace(fitted, estimate=self._consistent(
                    fitted.estimate, fitted.corr, out[-1].fitted.estimate, stages[k - 1], st,
                    point=single))
            degenerate = degenerate | fitted.degenerate
            fitted = dataclasses.replace(fitted, degenerate=degenerate)
            scores = None
            if not last or final_scores:
                W = weights[..., None] * st.layout.membership  # (B, q, J)
                with np.errstate(divide="ignore", invalid="ignore"):
                    Zs = Z[:, :, idx] if V is None else \
                        (V - mom.mean[:, None, :]) / mom.std[:, None, :]
                scores = np.einsum("bnq,bqj->bnj", Zs, W)
            out.append(StageFit(fitted=fitted, scores=scores))
        if single:
            out = [StageFit(dataclasses.replace(
                f.fitted, moments=_squeeze(f.fitted.moments), corr=f.fitted.corr[0],
                estimate=_squeeze_est(f.fitted.estimate), degenerate=f.fitted.degenerate[0]),
                None if f.scores is None else f.scores[0]) for f in out]
        return out

    def _consistent(self, est: Any, S: np.ndarray, first: Any, previous: _Stage,
                    st: _Stage, point: bool = False) -> Any:
        """PLSc of cSEM's second stage (:mod:`satmodel.inference.staged_plsc`); ``point``:
        the point fit, where a breakdown raises (a resample's gives NaN: dropped)."""
        names = self.plan.final.construct_names
        hoc = {names.index(h.name): h.common_factor and h.mode == "A"
               for h in self.plan.spec.higher_order}
        score_of = np.array([r[0][1] for r in st.refs])
        return consistent_second_stage(est, S, first, previous.layout, st.layout, score_of, hoc,
                                       names=names if point else None)

    def _seminr_scale(self, est: Any, std: np.ndarray, st: _Stage) -> Any:
        """seminr's scale of the interaction constructs: score times a = sum sd|l| / sum |l|
        over its items, so its paths (and total effects) / a, its loadings * a."""
        names = self.plan.final.construct_names
        paths, total = est.paths.copy(), est.total.copy()
        loadings, cross = est.loadings.copy(), est.cross_loadings.copy()
        for name in self.plan.display:
            j = names.index(name)
            items = st.layout.block(j)
            lam = np.abs(est.loadings[..., items])
            a = (std[..., items] * lam).sum(-1) / lam.sum(-1)
            paths[..., j, :] /= a[..., None]
            total[..., j, :] /= a[..., None]
            loadings[..., items] *= a[..., None]
            cross[..., :, j] *= a[..., None]
        return dataclasses.replace(est, paths=paths, total=total, loadings=loadings,
                                   cross_loadings=cross)

    def _columns(self, st: _Stage, X: np.ndarray, Z: np.ndarray, scores: np.ndarray | None,
                 c: np.ndarray) -> np.ndarray:
        """A stage's columns (B, n, q) under each reweighting."""
        B, n = c.shape
        V = np.empty((B, n, len(st.kinds)))
        for q, (kind, refs, regs) in enumerate(zip(st.kinds, st.refs, st.regressors)):
            if kind == "item":
                V[:, :, q] = X[None, :, refs[0][1]]
            elif kind == "score":
                V[:, :, q] = scores[:, :, refs[0][1]]
            else:
                factors = [Z[:, :, j] if what == "item" else scores[:, :, j] for what, j in refs]
                V[:, :, q] = factors[0] * factors[1]
                if kind == "residual":
                    V[:, :, q] = _residual(V[:, :, q], X[:, list(regs)], c)
        return V


def _residual(y: np.ndarray, R: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Residuals of ``y`` (B, n) on ``R`` (n, k) with an intercept, weighted by ``c`` (B, n)."""
    n_b = c.sum(axis=-1)
    Rm = (c @ R) / n_b[:, None]
    Rc = R[None, :, :] - Rm[:, None, :]
    ym = (c * y).sum(-1) / n_b
    yc = y - ym[:, None]
    A = np.einsum("bn,bnk,bnl->bkl", c, Rc, Rc, optimize=True)
    rhs = np.einsum("bn,bnk,bn->bk", c, Rc, yc, optimize=True)
    # a resample with a constant item has NaN here: left NaN, so its moments flag it
    ok = np.isfinite(A).all((-1, -2)) & np.isfinite(rhs).all(-1)
    A = np.where(ok[:, None, None], A, np.eye(A.shape[-1]))
    beta = (np.linalg.pinv(A) @ np.where(ok[:, None], rhs, 0.0)[..., None])[..., 0]
    return yc - np.einsum("bnk,bk->bn", Rc, beta)


def _squeeze(mom: Moments) -> Moments:
    return Moments(n=float(np.asarray(mom.n).reshape(-1)[0]), mean=mom.mean[0], std=mom.std[0],
                   corr=mom.corr[0])


def _squeeze_est(est: Any) -> Any:
    fields = {}
    for f in dataclasses.fields(est):
        v = getattr(est, f.name)
        fields[f.name] = v[0] if isinstance(v, np.ndarray) and v.ndim >= 1 else v
    return dataclasses.replace(est, **fields)
