"""The pieces of a staged plan: a stage's columns and model, and the small helpers the
higher-order and interaction rewrites share.

>>> Column("PERF.QUAL1", "item", ("QUAL1",)).kind
'item'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .model import ModelSpec
from .parts import Construct, Path

__all__ = ["Column", "Stage", "items_of", "rebuild", "unique_name"]


@dataclass(frozen=True)
class Column:
    """One indicator of a stage: a survey item (``kind="item"``, ``of=(item,)``), a
    previous-stage construct score (``"score"``, ``of=(construct,)``), the product of two
    standardized factors (``"product"``, ``of`` = two ``"item:NAME"``/``"score:NAME"``
    references), or such a product residualized on survey items (``"residual"``,
    Henseler & Chin's orthogonalizing, with ``regressors``)."""

    name: str
    kind: Literal["item", "score", "product", "residual"]
    of: tuple[str, ...]
    regressors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Stage:
    """A first-order model and its columns (one per indicator, spec indicator order)."""

    spec: ModelSpec
    columns: tuple[Column, ...]


def items_of(spec: ModelSpec) -> tuple[Column, ...]:
    """Every indicator of a first-order spec as an item column."""
    return tuple(Column(i, "item", (i,)) for i in spec.indicator_names)


def rebuild(spec: ModelSpec, constructs: list[Construct], paths: list[tuple[str, str]],
            name_suffix: str) -> ModelSpec:
    """A first-order spec with these constructs and (deduplicated) paths; a path the user
    wrote keeps its expected sign (interaction terms under their stage name ``A.B``)."""
    unique = list(dict.fromkeys(paths))
    signs = {}
    for p in spec.paths:
        signs[(p.source, p.target)] = signs[(p.source.replace(":", "."), p.target)] = \
            p.expected_sign
    return ModelSpec(name=f"{spec.name}{name_suffix}", label=spec.label, source=spec.source,
                     constructs=tuple(constructs),
                     paths=tuple(Path(source=s, target=t, expected_sign=signs.get((s, t)))
                                 for s, t in unique))


def unique_name(name: str, taken: set[str]) -> str:
    """``name``, or ``name`` with '_' appended until it is not in ``taken`` (which grows)."""
    while name in taken:
        name += "_"
    taken.add(name)
    return name
