"""Higher-order constructs as spec rewrites (Becker, Klein & Wetzels 2012; Sarstedt et
al. 2019): each function returns a first-order spec (and the columns its indicators
come from) that the engine fits as it fits any model.

- :func:`disjoint`: the first stage of the disjoint two-stage approach: the components
  take the higher-order construct's place in the structural model (every antecedent
  points to each component, each component to every outcome), as seminr does.
- :func:`repeated`: repeated indicators: the higher-order construct gets a copy of every
  item of its components and a path to (mode A) or from (modes B, unit) each component.
- :func:`second_stage`: the higher-order construct measured (formed) by its components'
  scores (named after the components); components leave the model, the other
  constructs keep their items.

>>> import satmodel as sm
>>> spec = sm.ModelSpec.from_lavaan('''
...     QUAL =~ QUAL1 + QUAL2; VAL =~ VAL1 + VAL2; SAT =~ SAT1 + SAT2
...     PERF =~ QUAL + VAL
...     SAT ~ PERF''')
>>> [(p.source, p.target) for p in disjoint(spec).paths]
[('QUAL', 'SAT'), ('VAL', 'SAT')]
>>> ri, cols = repeated(spec)
>>> ri.blocks["PERF"], [(p.source, p.target) for p in ri.paths]
(('PERF.QUAL1', 'PERF.QUAL2', 'PERF.VAL1', 'PERF.VAL2'), [('PERF', 'QUAL'), ('PERF', 'VAL'), ('PERF', 'SAT')])
"""

from __future__ import annotations

from .layout import structural_order
from .model import ModelSpec
from .parts import Construct
from .stage_parts import Column, items_of, rebuild, unique_name

__all__ = ["disjoint", "saturated", "repeated", "second_stage"]


def _linear_paths(spec: ModelSpec) -> list[tuple[str, str]]:
    return [(p.source, p.target) for p in spec.paths if ":" not in p.source]


def disjoint(spec: ModelSpec) -> ModelSpec:
    """The first-order constructs, each higher-order construct replaced by its components
    in every path; interaction terms dropped (seminr's first stage)."""
    parts = {h.name: h.components for h in spec.higher_order}
    paths = [(s, t) for src, tgt in _linear_paths(spec)
             for s in parts.get(src, (src,)) for t in parts.get(tgt, (tgt,))]
    return rebuild(spec, list(spec.constructs), paths, "")


def saturated(spec: ModelSpec) -> ModelSpec:
    """cSEM's first stage: the first-order constructs, each regressed on all constructs
    before it in cSEM's structural order of the whole model (higher-order constructs
    dropped from that order); interaction terms dropped."""
    hocs = [h.name for h in spec.higher_order]
    order = [c for c in structural_order([*spec.construct_names, *hocs], _linear_paths(spec))
             if c not in hocs]
    paths = [(order[k], order[i]) for i in range(1, len(order)) for k in range(i)]
    return rebuild(spec, list(spec.constructs), paths, "")


def repeated(spec: ModelSpec) -> tuple[ModelSpec, tuple[Column, ...]]:
    """Repeated indicators: each higher-order construct measured by copies of its
    components' items (named ``HOC.item``); interaction terms dropped."""
    taken = set(spec.indicator_names) | set(spec.construct_names) | {h.name for h in spec.higher_order}
    constructs = list(spec.constructs)
    copies: list[Column] = []
    links: list[tuple[str, str]] = []
    blocks = spec.blocks
    for hoc in spec.higher_order:
        names = []
        for comp in hoc.components:
            for item in blocks[comp]:
                names.append(unique_name(f"{hoc.name}.{item}", taken))
                copies.append(Column(names[-1], "item", (item,)))
            links.append((hoc.name, comp) if hoc.mode == "A" else (comp, hoc.name))
        constructs.append(Construct(name=hoc.name, label=hoc.label, indicators=names,
                                    mode=hoc.mode, common_factor=False))
    out = rebuild(spec, constructs, links + _linear_paths(spec), "")
    return out, items_of(rebuild(spec, list(spec.constructs), _linear_paths(disjoint(spec)), "")) \
        + tuple(copies)


def second_stage(spec: ModelSpec, others: str = "items") -> tuple[ModelSpec, tuple[Column, ...]]:
    """The second stage of both two-stage approaches: each higher-order construct formed
    or measured by its components' first-stage scores; interaction terms dropped. The
    other constructs keep their items (``others="items"``, seminr) or are measured by
    their first-stage score (``"scores"``, cSEM)."""
    components = {c for h in spec.higher_order for c in h.components}
    kept = [c for c in spec.constructs if c.name not in components]
    if others == "scores":
        kept = [Construct(name=c.name, label=c.label, indicators=[c.name], mode="A",
                          common_factor=False) for c in kept]
        cols = [Column(c.name, "score", (c.name,)) for c in kept]
    else:
        cols = [Column(i, "item", (i,)) for c in kept for i in c.indicator_names]
    constructs = list(kept)
    for hoc in spec.higher_order:
        constructs.append(Construct(name=hoc.name, label=hoc.label, indicators=list(hoc.components),
                                    mode=hoc.mode, common_factor=False))
        cols += [Column(comp, "score", (comp,)) for comp in hoc.components]
    return rebuild(spec, constructs, _linear_paths(spec), ""), tuple(cols)
