"""Checks of the model's extensions beyond first-order constructs: higher-order
constructs (constructs measured by constructs) and interaction terms (``SAT:IMAG``)
as path sources. :class:`~satmodel.spec.ModelSpec` calls :func:`check_extensions`.

>>> from satmodel.spec.parts import Construct, HigherOrder, Path
>>> cons = [Construct(name=n, indicators=[n + "1", n + "2"]) for n in ("Q", "V", "S")]
>>> nodes, parts = check_extensions(cons, [HigherOrder(name="P", components=["Q", "V"])],
...                                 [Path(source="P", target="S")])
>>> sorted(nodes), sorted(parts)
(['P'], ['Q', 'V'])
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import SpecError, suggest
from .parts import Construct, HigherOrder, Path, interaction_terms

__all__ = ["check_extensions"]


def check_extensions(constructs: Sequence[Construct], higher_order: Sequence[HigherOrder],
                     paths: Sequence[Path]) -> tuple[set[str], set[str]]:
    """Validate higher-order constructs and interaction terms; return the extra structural
    node names (higher-order constructs, interaction terms) and the components (which
    count as linked although they have no path of their own)."""
    first = [c.name for c in constructs]
    first_set = set(first)
    items = {i for c in constructs for i in c.indicator_names}
    hocs: dict[str, HigherOrder] = {}
    owner: dict[str, str] = {}
    for hoc in higher_order:
        if hoc.name in first_set or hoc.name in hocs:
            raise SpecError(f"higher-order construct {hoc.name!r} is defined twice (or also as "
                            "a construct with items); give it a unique name")
        if hoc.name in items:
            raise SpecError(f"higher-order construct {hoc.name!r} has the name of an indicator; "
                            "rename one of them")
        for comp in hoc.components:
            if comp not in first_set:
                what = ("a higher-order construct itself: third-order constructs are not "
                        "supported" if any(comp == h.name for h in higher_order)
                        else f"not a construct with items.{suggest(comp, first)}")
                raise SpecError(f"component {comp!r} of higher-order construct {hoc.name!r} is {what}")
            if comp in owner:
                raise SpecError(f"construct {comp!r} is a component of two higher-order "
                                f"constructs, {owner[comp]!r} and {hoc.name!r}; a construct "
                                "may belong to one only")
            owner[comp] = hoc.name
        hocs[hoc.name] = hoc
    known = first_set | set(hocs)
    nodes = set(hocs)
    for path in paths:
        for end in (path.source, path.target):
            if end in owner:
                raise SpecError(
                    f"path {path.source} -> {path.target}: {end!r} is a component of the "
                    f"higher-order construct {owner[end]!r}; relate {owner[end]!r} instead (a "
                    "component's relations go through its higher-order construct)")
        if ":" in path.source:
            for term in interaction_terms(path.source):
                if term in owner:
                    raise SpecError(f"path {path.source} -> {path.target}: {term!r} is a component "
                                    f"of {owner[term]!r}; use {owner[term]!r} in the interaction")
                if term not in known:
                    raise SpecError(f"path {path.source} -> {path.target}: {term!r} in the "
                                    f"interaction term is not a construct.{suggest(term, sorted(known))}")
                if term == path.target:
                    raise SpecError(f"path {path.source} -> {path.target}: an interaction term "
                                    "cannot predict one of its own constructs")
            nodes.add(path.source)
    return nodes, set(owner)
