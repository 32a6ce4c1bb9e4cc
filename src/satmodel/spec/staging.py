"""A staged estimation plan: the first-order models a higher-order or interaction model
is estimated through, and how each stage's columns come from the survey items and the
previous stage's construct scores.

The spec layer only rewrites models (names); :mod:`satmodel.inference.staged` turns a
:class:`Plan` into arrays and runs the stages, batched over resamples.

>>> import satmodel as sm
>>> from satmodel.spec.staging import plan_for
>>> spec = sm.ModelSpec.from_lavaan('''
...     QUAL =~ QUAL1 + QUAL2; VAL =~ VAL1 + VAL2; SAT =~ SAT1 + SAT2
...     PERF =~ QUAL + VAL
...     SAT ~ PERF''')
>>> plan = plan_for(spec, hoc="two_stage")
>>> [s.spec.construct_names for s in plan.stages]
[('QUAL', 'VAL', 'SAT'), ('SAT', 'PERF')]
>>> plan.stages[1].columns[2]
Column(name='QUAL', kind='score', of=('QUAL',), regressors=())
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import NotAvailableError, SpecError
from .model import ModelSpec
from . import higher_order, interaction as inter
from .stage_parts import Column, Stage, items_of

__all__ = ["Column", "Stage", "Plan", "plan_for", "HOC_METHODS", "INTERACTION_METHODS",
           "INTERACTION_SCALES", "HOC_CONVENTIONS"]

HOC_METHODS = ("repeated_indicators", "two_stage", "embedded_two_stage")
INTERACTION_METHODS = ("product_indicator", "orthogonal", "two_stage")
#: "standardized": the interaction construct is standardized like every construct (SmartPLS);
#: "seminr": its score rescaled after estimation by a = sum_k sd(x_k)|l_k| / sum_k |l_k| over
#: its (unstandardized) product items x_k, so its paths are divided and loadings multiplied
#: by a (seminr's adjust_interaction; close to the product-of-standardized-scores scale)
#: "csem": cSEM's nonlinear estimator (interaction="two_stage" only): every construct keeps
#: the weights of the model without interaction terms, the product of standardized scores
#: stays unstandardized, and paths come from cSEM's moment equations (covariances as means
#: of products, divisor n, against unit variances of the scores; inference/staged.py)
INTERACTION_SCALES = ("standardized", "seminr", "csem")
#: two-stage higher-order conventions: "seminr" (first stage: the components take the
#: higher-order construct's paths; second stage: the other constructs keep their items)
#: or "csem" (first stage: all first-order constructs in a saturated structural model;
#: second stage: the other constructs measured by their first-stage scores)
HOC_CONVENTIONS = ("seminr", "csem")


@dataclass(frozen=True)
class Plan:
    """How ``spec`` is estimated: ``stages`` (the last one is reported), the survey spec
    (the first-order constructs with their items: what the data must hold), and
    ``display`` (final construct name -> the user's name, e.g. ``SAT.IMAG -> SAT:IMAG``)."""

    spec: ModelSpec
    hoc: str | None
    interaction: str | None
    survey_spec: ModelSpec
    stages: tuple[Stage, ...]
    display: dict[str, str] = field(default_factory=dict)
    interaction_scale: str = "standardized"
    hoc_convention: str = "seminr"

    @property
    def final(self) -> ModelSpec:
        return self.stages[-1].spec


def plan_for(spec: ModelSpec, hoc: str | None = None, interaction: str | None = None,
             interaction_scale: str = "standardized", hoc_convention: str = "seminr") -> Plan:
    """The stages that estimate ``spec`` with the ``hoc`` and ``interaction`` approaches
    (see ``fit_pls``); a first-order spec without either is one stage of its items.
    ``interaction_scale``: "standardized" or "seminr" (see :data:`INTERACTION_SCALES`)."""
    if spec.higher_order and hoc is None:
        raise SpecError(f"model {spec.name!r} has higher-order construct(s) "
                        f"{', '.join(h.name for h in spec.higher_order)}; choose how to estimate "
                        f"them: fit_pls(..., hoc=...) with one of {', '.join(HOC_METHODS)}")
    if spec.interactions and interaction is None:
        raise SpecError(f"model {spec.name!r} has interaction term(s) {', '.join(spec.interactions)}; "
                        "choose how to estimate them: fit_pls(..., interaction=...) with one of "
                        f"{', '.join(INTERACTION_METHODS)}")
    hoc = hoc if spec.higher_order else None
    csem = hoc_convention == "csem" and hoc is not None
    if csem and (hoc != "two_stage" or spec.interactions):
        raise NotAvailableError("hoc_convention='csem' is available for hoc='two_stage' "
                                "without interaction terms (as cSEM's '2stage' approach)")
    interaction = interaction if spec.interactions else None
    base = higher_order.disjoint(spec)  # first-order constructs, HOCs replaced by components
    if hoc in ("two_stage", "embedded_two_stage"):
        for term in spec.interactions:
            hit = [c for c in term.split(":") if c in {h.name for h in spec.higher_order}]
            if hit and (hoc == "two_stage" or interaction != "two_stage"):
                raise NotAvailableError(
                    f"interaction {term!r} with higher-order construct {hit[0]!r} under "
                    f"hoc={hoc!r}, interaction={interaction!r} is not available: it needs a third "
                    "stage; use hoc='repeated_indicators', or hoc='embedded_two_stage' with "
                    "interaction='two_stage'")
    # the model without interactions, its higher-order constructs as the first stage sees them
    if hoc in (None, "repeated_indicators", "embedded_two_stage"):
        main, main_cols = higher_order.repeated(spec) if spec.higher_order else (
            inter.without_interactions(spec), items_of(inter.without_interactions(spec)))
    else:
        main = higher_order.saturated(spec) if csem else base
        main_cols = items_of(main)
    stages: list[Stage] = []
    score_source = None
    if hoc in ("two_stage", "embedded_two_stage") or interaction == "two_stage":
        stages.append(Stage(main, main_cols))
        score_source = main
    if hoc in ("two_stage", "embedded_two_stage"):
        second, cols = higher_order.second_stage(spec, "scores" if csem else "items")
    else:
        second, cols = main, main_cols
    if interaction_scale == "csem" and interaction is not None:
        if hoc is not None or interaction != "two_stage" or \
                any(len(set(t.split(":"))) < 2 for t in spec.interactions):
            raise NotAvailableError(
                "interaction_scale='csem' (cSEM's nonlinear estimator) is available for "
                "interaction='two_stage' with two-way terms (no quadratic ones) and no "
                "higher-order constructs")
        second, cols = inter.scores_only(main)
    second, cols, display = inter.add_interactions(spec, second, cols, interaction, score_source)
    stages.append(Stage(second, cols))
    return Plan(spec=spec, hoc=hoc, interaction=interaction, survey_spec=base,
                stages=tuple(stages), display=display, interaction_scale=interaction_scale,
                hoc_convention=hoc_convention if hoc else "seminr")
