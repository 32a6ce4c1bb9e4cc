"""Multigroup analysis: the tests of cSEM's ``testMGD`` for two or more groups.

All groups are fitted in one batched refit (a group is a 0/1 row weight); within-group
bootstraps and relabellings are G weight vectors a draw, run through the one driver, so
each chunk of G x draws is one batched estimation. Conventions (read from cSEM 0.4.0.9000,
``R/postestimate_test_MGD.R`` and ``R/helper_test_MGD.R``; methods.md §4.4):

- groups are the sorted distinct labels; a comparison ``a vs b`` takes every pair in that
  order (R ``combn``) and the difference is ``estimate_a - estimate_b``;
- ``"chin"`` (Chin & Dibbern 2010): the labels are shuffled (sizes kept) and every group
  re-estimated; with ``permute="standardized"`` (cSEM) the shuffled rows are each group's
  rows standardized within the group (cSEM stacks the groups' standardized data), with
  ``"raw"`` the pooled rows as fitted. p = share(d* >= |d|) + share(d* <= -|d|), no +1;
- ``"klesel"`` (Klesel et al. 2019): d_G (log10) and d_L = ½ Σ (Σ̂_a - Σ̂_b)² between the
  groups' model-implied indicator correlations of the *estimated* model (cSEM ``fit()``,
  ``.type_vcv = "indicator"``); more than two groups: the mean of 2·d over all pairs.
  Same permutations as Chin's; p = share(d* >= d); never adjusted;
- the bootstrap approaches resample rows within each group (sizes kept) ``n_boot`` times;
  SE = SD of a group's draws (divisor B - 1), bias = mean of the draws - estimate;
- ``"henseler"`` (PLS-MGA, Henseler et al. 2009): draws centred by their bias; the
  statistic is P(θ_a ≤ θ_b) over all B x B pairs (ties ½), cSEM's "p-value"; here
  p = 2 min(P, 1 - P), so ``reject`` (p ≤ alpha) is cSEM's P ≤ alpha/2 or P ≥ 1 - alpha/2.
  Never adjusted (cSEM ignores the correction);
- ``"keil"`` (Keil et al. 2000): t = d / [sqrt((n_a-1)²/(n_a+n_b-2) se_a² + (n_b-1)²/
  (n_a+n_b-2) se_b²) sqrt(1/n_a + 1/n_b)], df = n_a + n_b - 2, p = 2 P(T > |t|);
- ``"nitzl"`` (Nitzl 2010): t = d / sqrt((n_a-1)/n_a se_a² + (n_b-1)/n_b se_b²), df the
  Welch-Satterthwaite value as cSEM writes it, rounded (see :func:`.mga_stats.nitzl_t`);
- ``"sarstedt"`` (OTG, Sarstedt et al. 2011), one test over all groups per parameter: the
  ANOVA F of the pooled bootstrap draws by group (within df N - G), against ``n`` shuffles
  of the draws' group labels; p = share(F* >= F);
- ``"ci_para"`` and ``"ci_overlap"`` (Sarstedt et al. 2011's confidence-interval
  approaches; cSEM ``CI_para``/``CI_overlap`` with its default ``.type_ci =
  "CI_percentile"``): each group's percentile interval at level 1 - alpha (R type 7
  quantiles of its bootstrap draws), in columns ``ci_lower_1, ci_upper_1`` (group_1)
  and ``ci_lower_2, ci_upper_2``. CI_para: no difference when either group's estimate
  lies inside the other group's interval; CI_overlap: no difference when the intervals
  overlap (bounds inclusive, as cSEM). ``reject`` is cSEM's Decision negated; no
  statistic or p-value; never adjusted (cSEM ignores the correction);
- corrections (R ``p.adjust`` names): Chin, Keil, Nitzl over all comparisons x
  parameters of the method; Sarstedt over parameters; ``reject`` = p_adjusted ≤ alpha;
- unusable refits (non-convergence, singular, constant item, PLSc inadmissible) are
  dropped, counted in ``attrs["dropped"]`` and reported; cSEM instead draws replacements.

Example
-------
>>> import satmodel as sm
>>> from satmodel.groups.mga import compare_groups
>>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
>>> labels = sm.datasets.load("ecsi_satisfaction").gender.to_numpy()
>>> out = compare_groups(res.spec, res.refit, labels, method="chin", n=49, seed=1)
>>> out.columns.tolist()[:6]
['method', 'comparison', 'group_1', 'group_2', 'parameter', 'name']
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from .. import _validate as valid
from ..diagnostics import report
from ..engine.refit import Refit, Refitted
from ..errors import DataError
from ..inference.driver import drop_reasons, run
from ..spec.model import ModelSpec
from ..tables import Context
from ..tables.model_fit import d_g, d_uls, implied_corr
from .mga_stats import CORRECTIONS, ci_no_difference, henseler_probability, keil_t, nitzl_t, p_adjust, percentile_bounds, sarstedt_f, t_p_value, two_sided_share
from .draws import (
    GroupBootstrap,
    GroupShuffles,
    chunked,
    group_codes,
    group_masks,
    regroup,
    standardized_within,
    streams,
)
from .parameters import Parameters, select_parameters

__all__ = ["METHODS", "compare_groups"]

VERB = "compare_groups"
#: the approaches, cSEM's ``.approach_mgd`` lower-cased
METHODS = ("klesel", "chin", "sarstedt", "keil", "nitzl", "henseler", "ci_para", "ci_overlap")
_BOOT = {"sarstedt", "keil", "nitzl", "henseler", "ci_para", "ci_overlap"}


def compare_groups(spec: ModelSpec, refit: Refit, labels: Any, *,
                   method: str | Sequence[str] = "all", n: int = 499, n_boot: int | None = None,
                   seed: Any = None, parameters: Sequence[str] | str | None = None,
                   correction: str = "none", alpha: float = 0.05,
                   permute: str = "standardized", chunk: int | None = None,
                   progress: bool | None = None) -> pd.DataFrame:
    """Compare the groups of a pooled fit's rows with cSEM ``testMGD``'s approaches.

    ``refit`` is the pooled fit's (its rows, missing-data treatment, sampling weights
    and estimator options apply to every group); ``labels`` one label per fitted row.
    ``n`` permutations, ``n_boot`` bootstrap draws per group (default ``n``).

    Returns one row per method x comparison x parameter: ``method, comparison, group_1,
    group_2, parameter, name, source, target, estimate_<label>`` (every group),
    ``diff, statistic, df, p, p_adjusted, reject``; with a confidence-interval approach
    also ``ci_lower_1, ci_upper_1, ci_lower_2, ci_upper_2``. Omnibus rows (Sarstedt,
    Klesel) have comparison ``"all"``.
    """
    methods = _methods(method)
    n = valid.integer(VERB, "n", n)
    valid.seed(VERB, seed)
    n_boot = n if n_boot is None else valid.integer(VERB, "n_boot", n_boot, minimum=2)
    correction = valid.choice(VERB, "correction", correction, CORRECTIONS)
    alpha = valid.number(VERB, "alpha", alpha, 0.0, 1.0)
    permute = valid.choice(VERB, "permute", permute, ("standardized", "raw"))
    params = select_parameters(spec, parameters, VERB)
    levels, codes = group_codes(labels, VERB)
    if codes.size != refit.n_rows:
        raise DataError(f"{VERB}: {codes.size} labels for {refit.n_rows} fitted rows; give one "
                        "label per row the pooled fit kept")
    G = len(levels)
    fitted = refit.fit(group_masks(codes, G))
    _check_groups(fitted, refit, levels)
    est = params.values(Context.of(fitted, spec))  # (G, k)
    pairs = list(combinations(range(G), 2))
    boot_rng, perm_rng, f_rng = streams(seed, 3)
    info: dict[str, Any] = {"groups": {str(lv): int(s) for lv, s in zip(levels, np.bincount(codes))},
                            "dropped": {}}
    blocks: list[pd.DataFrame] = []

    ctx = _Ctx(params, levels, est, pairs, alpha, correction)
    if methods & {"chin", "klesel"}:
        shuffled = standardized_within(refit, fitted, codes) if permute == "standardized" else refit
        draws = run(GroupShuffles(n, codes, G, perm_rng), _permutation_evaluator(
            spec, shuffled, params, pairs, G, "klesel" in methods), refit.bytes_per_fit,
            chunk=chunk, progress=progress, parallel=True)  # evaluators share no state
        _note(draws, "permutation", "n_permutations", info)
        if "klesel" in methods:
            blocks.append(_klesel(ctx, _distances(fitted, G)[0], draws.values["klesel"]["d"]))
        if "chin" in methods:
            blocks.append(_chin(ctx, draws.values["chin"]["d"]))
    if methods & _BOOT:
        boot = run(GroupBootstrap(n_boot, codes, G, boot_rng),
                   _bootstrap_evaluator(spec, refit, params, G), refit.bytes_per_fit,
                   chunk=chunk, progress=progress, parallel=True)
        _note(boot, "bootstrap", "n_bootstrap", info)
        draws_b = boot.values["boot"]["v"]  # (B, G, k)
        sizes = np.bincount(codes)
        if "sarstedt" in methods:
            blocks.append(_sarstedt(ctx, draws_b, n, f_rng))
        for name in ("keil", "nitzl"):
            if name in methods:
                blocks.append(_parametric(ctx, name, draws_b, sizes))
        if "henseler" in methods:
            blocks.append(_henseler(ctx, draws_b))
        for name in ("ci_para", "ci_overlap"):
            if name in methods:
                blocks.append(_ci_approach(ctx, name, draws_b))
    order = {m: i for i, m in enumerate(METHODS)}
    out = pd.concat(sorted(blocks, key=lambda b: order[b.method.iloc[0]]), ignore_index=True)
    out.attrs.update(info)
    return out


def _methods(method: str | Sequence[str]) -> set[str]:
    names = [method] if isinstance(method, str) else \
        list(method) if isinstance(method, (list, tuple)) else []
    allowed = "'all' or one or more of " + ", ".join(map(repr, METHODS))
    if not names:
        raise valid.bad(VERB, "method", method, allowed)
    chosen: set[str] = set()
    for name in names:
        key = str(name).lower()
        if key == "all":
            chosen |= set(METHODS)
        elif key in METHODS:
            chosen.add(key)
        else:
            raise valid.bad(VERB, "method", name, allowed)
    return chosen


def _check_groups(fitted: Refitted, refit: Refit, levels: list[Any]) -> None:
    """An unusable group fit is an error; an inadmissible PLSc one a warning (as cSEM)."""
    reasons = drop_reasons(fitted, refit.options.consistent)
    inadmissible = reasons.pop("inadmissible", np.zeros(len(levels), dtype=bool))
    for g, level in enumerate(levels):
        why = [r.replace("_", " ") for r, mask in reasons.items() if mask[g]]
        if why:
            raise DataError(f"{VERB}: the model fitted to group {level!r} alone is unusable "
                            f"({', '.join(why)}); check the group's size and its items' variance")
    if inadmissible.any():
        bad = [str(lv) for lv, flag in zip(levels, inadmissible) if flag]
        report("mga_group_inadmissible", f"the PLSc fit of group(s) {', '.join(bad)} is "
               "inadmissible (a loading, reliability or construct correlation beyond 1); "
               "the comparison may not be meaningful", names=bad)


def _note(draws: Any, what: str, key: str, info: dict[str, Any]) -> None:
    info[key] = draws.n_valid
    for reason, count in draws.dropped.items():
        info["dropped"][f"{what}: {reason}"] = count
    lost = draws.n_requested - draws.n_valid
    if lost:
        report("mga_draws_dropped", f"{lost} of {draws.n_requested} {what} draws were unusable "
               f"and dropped ({', '.join(f'{k}: {v}' for k, v in draws.dropped.items())})",
               count=lost)
    if draws.n_valid == 0:
        raise DataError(f"{VERB}: every one of the {what} draws was unusable; the groups are "
                        "too small for this model")


def _group_reasons(fitted: Refitted, refit: Refit, G: int) -> dict[str, np.ndarray]:
    return {k: regroup(v, G).any(axis=1)
            for k, v in drop_reasons(fitted, refit.options.consistent).items()}


def _distances(fitted: Refitted, G: int) -> np.ndarray:
    """(size, 2): Klesel's d_G and d_L between the groups' implied indicator correlations."""
    sigma = regroup(implied_corr(fitted.corr, fitted.estimate, fitted.refit.layout,
                                 "estimated"), G)  # (size, G, p, p)
    pairs = list(combinations(range(G), 2))
    dg = np.stack([d_g(sigma[:, a], sigma[:, b]) for a, b in pairs], axis=-1)
    dl = np.stack([d_uls(sigma[:, a], sigma[:, b]) for a, b in pairs], axis=-1)
    if G > 2:
        return np.stack([np.mean(2 * dg, -1), np.mean(2 * dl, -1)], axis=-1)
    return np.stack([dg[:, 0], dl[:, 0]], axis=-1)


def _permutation_evaluator(spec: ModelSpec, refit: Refit, params: Parameters,
                           pairs: list[tuple[int, int]], G: int, klesel: bool):
    def evaluate(weights: np.ndarray):
        fitted = refit.fit(weights)
        v = regroup(params.values(Context.of(fitted, spec)), G)  # (size, G, k)
        out = {"chin": {"d": np.stack([v[:, a] - v[:, b] for a, b in pairs], axis=1)}}
        if klesel:
            out["klesel"] = {"d": _distances(fitted, G)}
        return out, _group_reasons(fitted, refit, G)
    return evaluate


def _bootstrap_evaluator(spec: ModelSpec, refit: Refit, params: Parameters, G: int):
    def evaluate(weights: np.ndarray):
        fitted = refit.fit(weights)
        v = regroup(params.values(Context.of(fitted, spec)), G)
        return {"boot": {"v": v}}, _group_reasons(fitted, refit, G)
    return evaluate


class _Ctx:
    """What every method's table needs: keys, group estimates, pairs, alpha, correction."""

    def __init__(self, params, levels, est, pairs, alpha, correction):
        self.keys, self.levels, self.est = params.keys, levels, est
        self.pairs, self.alpha, self.correction = pairs, alpha, correction

    def frame(self, method: str, pair: tuple[int, int] | None, *, statistic: Any,
              p: Any, df: Any = np.nan, keys: pd.DataFrame | None = None,
              est: np.ndarray | None = None) -> pd.DataFrame:
        keys = self.keys if keys is None else keys
        est = self.est if est is None else est
        k = len(keys)
        a, b = (None, None) if pair is None else (self.levels[pair[0]], self.levels[pair[1]])
        out = pd.DataFrame({"method": method,
                            "comparison": "all" if pair is None else f"{a} vs {b}",
                            "group_1": a, "group_2": b}, index=range(k))
        out = pd.concat([out, keys.reset_index(drop=True)], axis=1)
        for g, level in enumerate(self.levels):
            out[f"estimate_{level}"] = est[g] if est.size else np.nan
        out["diff"] = est[pair[0]] - est[pair[1]] if pair is not None and est.size else np.nan
        out["statistic"] = np.broadcast_to(np.asarray(statistic, dtype=float), (k,))
        out["df"] = np.broadcast_to(np.asarray(df, dtype=float), (k,))
        out["p"] = np.broadcast_to(np.asarray(p, dtype=float), (k,))
        return out

    def finish(self, frame: pd.DataFrame, adjust: bool = True) -> pd.DataFrame:
        frame["p_adjusted"] = p_adjust(frame.p.to_numpy(), self.correction) if adjust \
            else frame.p.to_numpy()
        frame["reject"] = frame.p_adjusted <= self.alpha
        return frame


def _klesel(ctx: _Ctx, observed: np.ndarray, reference: np.ndarray) -> pd.DataFrame:
    keys = pd.DataFrame({"parameter": "distance", "name": ["dG", "dL"], "source": None,
                         "target": None})
    p = np.mean(reference >= observed, axis=0)
    empty = np.full((len(ctx.levels), 2), np.nan)
    frame = ctx.frame("klesel", None, statistic=observed, p=p, keys=keys, est=empty)
    return ctx.finish(frame, adjust=False)


def _chin(ctx: _Ctx, reference: np.ndarray) -> pd.DataFrame:
    frames = []
    for i, (a, b) in enumerate(ctx.pairs):
        d = ctx.est[a] - ctx.est[b]
        frames.append(ctx.frame("chin", (a, b), statistic=d,
                                p=two_sided_share(reference[:, i], d)))
    return ctx.finish(pd.concat(frames, ignore_index=True))


def _sarstedt(ctx: _Ctx, boot: np.ndarray, n: int, rng: np.random.Generator) -> pd.DataFrame:
    B, G, _ = boot.shape
    x = np.concatenate([boot[:, g] for g in range(G)])  # group-major, as cSEM stacks them
    ids = np.repeat(np.arange(G), B)
    observed = sarstedt_f(x, ids, G)
    exceed = np.zeros_like(observed)
    for c in chunked(n, max(1, 2**22 // (G * B * G))):
        shuffled = rng.permuted(np.tile(ids, (c, 1)), axis=1)
        exceed += np.sum(sarstedt_f(x, shuffled, G) >= observed, axis=0)
    return ctx.finish(ctx.frame("sarstedt", None, statistic=observed, p=exceed / n))


def _parametric(ctx: _Ctx, method: str, boot: np.ndarray, sizes: np.ndarray) -> pd.DataFrame:
    se = boot.std(axis=0, ddof=1)  # (G, k)
    frames = []
    for a, b in ctx.pairs:
        d = ctx.est[a] - ctx.est[b]
        fn = keil_t if method == "keil" else nitzl_t
        t, df = fn(d, se[a], se[b], int(sizes[a]), int(sizes[b]))
        frames.append(ctx.frame(method, (a, b), statistic=t, df=df, p=t_p_value(t, df)))
    return ctx.finish(pd.concat(frames, ignore_index=True))


def _henseler(ctx: _Ctx, boot: np.ndarray) -> pd.DataFrame:
    centred = boot - (boot.mean(axis=0) - ctx.est)  # θ* - bias
    frames = []
    for a, b in ctx.pairs:
        prob = henseler_probability(centred[:, a], centred[:, b])
        frames.append(ctx.frame("henseler", (a, b), statistic=prob,
                                p=2 * np.minimum(prob, 1 - prob)))
    return ctx.finish(pd.concat(frames, ignore_index=True), adjust=False)


def _ci_approach(ctx: _Ctx, method: str, boot: np.ndarray) -> pd.DataFrame:
    """Sarstedt et al.'s CI_para / CI_overlap on the groups' percentile intervals."""
    level = 1.0 - ctx.alpha
    lower, upper = percentile_bounds(boot, level)  # (G, k) each
    frames = []
    for a, b in ctx.pairs:
        same = ci_no_difference(method, ctx.est[a], ctx.est[b], lower[a], upper[a],
                                   lower[b], upper[b])
        frame = ctx.frame(method, (a, b), statistic=np.nan, p=np.nan)
        frame["ci_lower_1"], frame["ci_upper_1"] = lower[a], upper[a]
        frame["ci_lower_2"], frame["ci_upper_2"] = lower[b], upper[b]
        frame["p_adjusted"] = np.nan
        frame["reject"] = ~same
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
