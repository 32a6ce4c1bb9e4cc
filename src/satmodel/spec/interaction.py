"""Interaction (and quadratic) terms as spec rewrites (Henseler & Chin 2010): the term
``A:B`` becomes a construct ``A.B`` whose indicators are

- ``"product_indicator"``: the products of every standardized item of A with every
  standardized item of B;
- ``"orthogonal"``: those products, each residualized on all items of A and B;
- ``"two_stage"``: one item, the product of A's and B's first-stage scores (the model
  without interaction terms).

The engine standardizes every indicator, so the interaction construct is standardized
too (seminr, SmartPLS). Its mode is A (correlation weights), as in seminr.

>>> import satmodel as sm
>>> spec = sm.ModelSpec.from_lavaan('''
...     SAT =~ SAT1 + SAT2; IMAG =~ IMAG1 + IMAG2; LOY =~ LOY1 + LOY2
...     LOY ~ SAT + IMAG + SAT:IMAG''')
>>> [(p.source, p.target) for p in without_interactions(spec).paths]
[('SAT', 'LOY'), ('IMAG', 'LOY')]
"""

from __future__ import annotations

from ..errors import SpecError
from .model import ModelSpec
from .parts import Construct, interaction_terms
from .stage_parts import Column, rebuild, unique_name

__all__ = ["without_interactions", "add_interactions", "scores_only"]


def without_interactions(spec: ModelSpec) -> ModelSpec:
    """``spec`` without its interaction paths (a construct linked only through an
    interaction term is refused: add its main effect)."""
    paths = [(p.source, p.target) for p in spec.paths if ":" not in p.source]
    try:
        return rebuild(spec, list(spec.constructs), paths, "")
    except SpecError as err:
        raise SpecError(f"{err} (without its interaction terms; an interaction term needs the "
                        "main effects of its constructs as paths too)") from None


def add_interactions(spec: ModelSpec, stage: ModelSpec, cols: tuple[Column, ...],
                     method: str | None, scores: ModelSpec | None,
                     ) -> tuple[ModelSpec, tuple[Column, ...], dict[str, str]]:
    """``stage`` (with its columns ``cols``) plus a construct for every interaction term of
    ``spec`` and its paths; returns the spec, the columns and internal -> user names."""
    if not spec.interactions:
        return stage, cols, {}
    taken = set(stage.indicator_names) | set(stage.construct_names)
    source = {c.name: c.of[0] for c in cols if c.kind == "item"}  # stage item -> survey item
    blocks = stage.blocks
    constructs = list(stage.constructs)
    cols = list(cols)
    names: dict[str, str] = {}
    for term in spec.interactions:
        a, b = interaction_terms(term)
        name = names[term] = unique_name(f"{a}.{b}", taken)
        if method == "two_stage":
            assert scores is not None and {a, b} <= set(scores.construct_names)
            items = [name]
            cols.append(Column(name, "product", (f"score:{a}", f"score:{b}")))
        else:
            xa = [source[i] for i in blocks[a]]
            xb = [source[i] for i in blocks[b]]
            pairs = [(x, y) for i, x in enumerate(xa) for j, y in enumerate(xb) if a != b or j >= i]
            items = [unique_name(f"{x}.{y}", taken) for x, y in pairs]
            regressors = tuple(dict.fromkeys(xa + xb)) if method == "orthogonal" else ()
            kind = "residual" if method == "orthogonal" else "product"
            cols += [Column(n, kind, (f"item:{x}", f"item:{y}"), regressors)
                     for n, (x, y) in zip(items, pairs)]
        constructs.append(Construct(name=name, indicators=items, mode="A", common_factor=False))
    paths = [(p.source, p.target) for p in stage.paths]
    paths += [(names[p.source], p.target) for p in spec.paths if ":" in p.source]
    out = rebuild(stage, constructs, paths, "")
    return out, tuple(cols), {v: k for k, v in names.items()}


def scores_only(stage: ModelSpec) -> tuple[ModelSpec, tuple[Column, ...]]:
    """``stage`` with every construct measured by its own first-stage score (cSEM)."""
    constructs = [Construct(name=c.name, label=c.label, indicators=[c.name], mode="A",
                            common_factor=False) for c in stage.constructs]
    paths = [(p.source, p.target) for p in stage.paths]
    return rebuild(stage, constructs, paths, ""), tuple(Column(c.name, "score", (c.name,))
                                                       for c in stage.constructs)
