"""The 0-100 index of a staged fit (higher-order constructs; issue 14).

A higher-order construct's score is a weighted sum of its components' standardized
scores, ``η = Σ_c v_c ξ_c``, each ``ξ_c = Σ_i w_ci z_i`` a weighted sum of the component's
standardized items, so ``η = Σ_i (v_c w_ci) z_i``: the products ``v_c w_ci`` are the
higher-order construct's weights on the survey items, and its index is the ordinary one
(docs/methods.md §6.1) with them: ``100 Σ u_i (mean_i - min_i) / Σ u_i (max_i - min_i)``,
``u_i = w_i / sd_i``. With repeated indicators the weights on the item copies are already
item weights. Each construct's weights are traced through the stages to survey items
(a score column: the weights of that construct in the stage before, times the weight on
the score); a block with an interaction product has no item weights, so interaction terms
get no index (``<NA>``), as do constructs with items of undeclared scale (pass
``scale=``) or with a negative item weight (unless ``allow_negative=True``).

>>> import satmodel as sm
>>> spec = sm.ModelSpec.from_lavaan('''
...     QUAL =~ QUAL1 + QUAL2 + QUAL3; VAL =~ VAL1 + VAL2; SAT =~ SAT1 + SAT2 + SAT3
...     PERF =~ QUAL + VAL
...     SAT ~ PERF''')
>>> res = sm.fit_pls(spec, sm.datasets.load("ecsi_satisfaction"), hoc="two_stage")
>>> w = item_weights(res)
>>> sorted(w[w.construct == "PERF"].indicator)
['QUAL1', 'QUAL2', 'QUAL3', 'VAL1', 'VAL2']
>>> 0 < float(res.index(scale=(0, 10))["PERF"]) < 100
True
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .. import _validate as valid
from ..diagnostics import report
from ..errors import IndexWarning, NotAvailableError

__all__ = ["item_weights", "index", "blocks", "trace", "check_options"]


def _stage_fits(res: Any) -> list[Any]:
    return [*res.stages, res]


def trace(res: Any) -> tuple[dict[str, dict[str, float] | None], dict[str, tuple[float, float]]]:
    """Construct -> {survey item: standardized weight} (None: no item weights), and
    survey item -> (mean, sd), through every stage."""
    weights: dict[str, dict[str, float] | None] = {}
    moments: dict[str, tuple[float, float]] = {}
    previous: dict[str, dict[str, float] | None] = {}
    for stage, fit in zip(res.plan.stages, _stage_fits(res)):
        cols = stage.columns  # one per indicator, spec indicator order
        w = np.asarray(fit.estimate.weights, dtype=float)
        block_of = fit.layout.block_of
        now: dict[str, dict[str, float] | None] = {}
        for j, con in enumerate(stage.spec.construct_names):
            items: dict[str, float] | None = {}
            for k in np.flatnonzero(block_of == j):
                col = cols[k]
                if col.kind == "item":
                    moments[col.of[0]] = (float(fit.indicator_mean[k]), float(fit.indicator_std[k]))
                    items[col.of[0]] = items.get(col.of[0], 0.0) + w[k]
                elif col.kind == "score" and previous.get(col.of[0]) is not None and items is not None:
                    for item, v in previous[col.of[0]].items():
                        items[item] = items.get(item, 0.0) + w[k] * v
                else:  # an interaction product (or a score without item weights)
                    items = None
            now[con] = items
        weights.update(now)
        previous = now
    display = res.plan.display
    return {display.get(c, c): v for c, v in weights.items()}, moments


def item_weights(res: Any) -> pd.DataFrame:
    """Per construct of the user's model with item weights: construct, indicator (survey
    item), weight (on the standardized item), mean, sd."""
    weights, moments = trace(res)
    rows = [(c, i, v, *moments[i]) for c, items in weights.items() if items for i, v in items.items()]
    return pd.DataFrame(rows, columns=["construct", "indicator", "weight", "mean", "sd"])


def _scale(res: Any, scale: Any) -> dict[str, tuple[float, float]]:
    declared = {i.name: (i.scale_min, i.scale_max) for c in res.plan.survey_spec.constructs
                for i in c.indicators}
    if scale is None:
        return {k: v for k, v in declared.items() if None not in v}
    if isinstance(scale, dict):
        return {**{k: v for k, v in declared.items() if None not in v},
                **{str(k): tuple(v) for k, v in scale.items()}}
    return {k: tuple(scale) for k in declared}


def check_options(verb: str, scale: Any, allow_negative: Any, options: dict[str, Any]) -> None:
    """Refuse the first-order index options not available here; validate the others."""
    asked = [k for k, v in options.items()  # the defaults of the first-order index pass
             if not (v is None or v is False or (isinstance(v, str) and v == "standardized"))]
    if asked:
        raise NotAvailableError(
            f"{verb}({', '.join(f'{k}=...' for k in asked)}) is not available for models with "
            "higher-order constructs or interaction terms yet; res.index(scale=...) gives each "
            "construct's index from the sample means")
    valid.flag(verb, "allow_negative", allow_negative)
    for pair in ([] if scale is None else list(scale.values()) if isinstance(scale, dict) else [scale]):
        ok = isinstance(pair, (tuple, list)) and len(pair) == 2 and all(
            isinstance(x, (int, float)) and not isinstance(x, bool) and np.isfinite(x) for x in pair)
        if not ok or pair[1] <= pair[0]:
            raise valid.bad(verb, "scale", scale, "a pair (min, max) of finite numbers, "
                            "min < max, or a dict item -> (min, max)")


def blocks(res: Any, scale: Any, allow_negative: bool) -> dict[str, pd.DataFrame | None]:
    """Per construct of the user's model (its order): a frame of its survey items
    (indicator, weight, u = weight / sd, mean, scale_min, scale_max), or None where it has
    no index (an IndexWarning says why, except for interaction terms)."""
    weights, moments = trace(res)
    ends = _scale(res, scale)
    out: dict[str, pd.DataFrame | None] = {}
    problems = []
    for con, items in weights.items():
        out[con] = None
        if not items:
            continue
        names = list(items)
        missing = [i for i in names if i not in ends]
        u = np.array([items[i] / moments[i][1] for i in names])
        if missing or ((u < 0).any() and not allow_negative):
            problems.append(f"{con}: " + (f"items {missing} have no declared scale (pass scale=)"
                                          if missing else "a negative item weight"))
            continue
        out[con] = pd.DataFrame({
            "indicator": names, "weight": [items[i] for i in names], "u": u,
            "mean": [moments[i][0] for i in names],
            "scale_min": [float(ends[i][0]) for i in names],
            "scale_max": [float(ends[i][1]) for i in names]})
    if problems:
        report("no_index", "no index for " + "; ".join(problems), IndexWarning,
               names=[p.split(":")[0] for p in problems])
    user = res.plan.spec  # the user's order: constructs, higher-order, interaction terms
    order = [*user.construct_names, *(h.name for h in user.higher_order), *user.interactions]
    return {c: out[c] for c in order if c in out}


def index(res: Any, constructs: Any = None, *, scale: Any = None, allow_negative: bool = False,
          **options: Any) -> pd.Series:
    """0-100 index of every construct of the user's model (see the module docstring)."""
    check_options("index", scale, allow_negative, options)
    values = {}
    for con, b in blocks(res, scale, allow_negative).items():
        values[con] = pd.NA if b is None else float(
            100.0 * (b.u @ (b["mean"] - b.scale_min)) / (b.u @ (b.scale_max - b.scale_min)))
    series = pd.Series(values, name="index", dtype="Float64")
    if constructs is None:
        return series
    wanted = [constructs] if isinstance(constructs, str) else list(constructs)
    for c in wanted:
        valid.member("index", "constructs", c, list(series.index), "construct")
    return series[wanted]
