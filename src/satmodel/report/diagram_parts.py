"""What a path diagram draws for models beyond first-order constructs: higher-order
constructs with their components, and interaction terms, under the names the user wrote
(``PERF``, ``SAT:IMAG``), whether the model is a bare spec or a staged fit (whose tables
describe the last stage, see :mod:`satmodel.results.staged`).

- Nodes: every construct with items, every higher-order construct, every interaction
  term (text ``SAT × IMAG``, ``SAT²`` for a quadratic term; ``labels="name"``: as written).
- Links: the arrows between a higher-order construct and its components (to the
  components for Mode A, from them for Mode B), labelled with the higher-order
  construct's loading (Mode A) or weight (Mode B) on the component in a two-stage fit,
  or the path coefficient with repeated indicators (there the link is a structural path).
- Columns: components one column left of their higher-order construct, an interaction
  term one column left of its target, the rest by the structure.

>>> import satmodel as sm
>>> spec = sm.ModelSpec.from_lavaan('''
...     QUAL =~ QUAL1 + QUAL2; VAL =~ VAL1 + VAL2; SAT =~ SAT1 + SAT2; LOY =~ LOY1 + LOY2
...     PERF =~ QUAL + VAL
...     SAT ~ PERF; LOY ~ SAT + PERF + SAT:PERF''')
>>> kinds(spec)["PERF"], kinds(spec)["SAT:PERF"]
('higher_order', 'interaction')
>>> term_text(spec, "SAT:PERF", "label")
'SAT × PERF'
>>> cols = columns(spec, list(kinds(spec)), [(p.source, p.target) for p in spec.paths])
>>> cols["QUAL"] < cols["PERF"] < cols["SAT"] < cols["LOY"], cols["SAT:PERF"] == cols["SAT"]
(True, True)
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..spec.model import ModelSpec
from ..spec.parts import interaction_terms
import satmodel.report.graph as graph
import satmodel.report.marks as marks

__all__ = ["user_spec", "kinds", "term_text", "links", "columns", "loadings"]


def user_spec(obj: Any) -> ModelSpec:
    """The model as the user wrote it: a staged result's ``plan.spec``, else its spec."""
    plan = getattr(obj, "plan", None)
    return plan.spec if plan is not None else (obj if isinstance(obj, ModelSpec) else obj.spec)


def kinds(spec: ModelSpec) -> dict[str, str]:
    """Node name -> "construct", "higher_order" or "interaction", in spec order."""
    out = {c.name: "construct" for c in spec.constructs}
    out.update({h.name: "higher_order" for h in spec.higher_order})
    out.update({t: "interaction" for t in spec.interactions})
    return out


def _text(spec: ModelSpec, name: str, labels: str) -> str:
    part = next((p for p in (*spec.constructs, *spec.higher_order) if p.name == name), None)
    return part.label if labels == "label" and part is not None and part.label else name


def term_text(spec: ModelSpec, term: str, labels: str) -> str:
    """An interaction term's box text: ``A × B`` (``A²``), labels where given;
    ``labels="name"``: the term as written (``A:B``)."""
    if labels == "name":
        return term
    a, b = interaction_terms(term)
    text = f"{_text(spec, a, labels)}²" if a == b else \
        f"{_text(spec, a, labels)} × {_text(spec, b, labels)}"
    return "\n".join(textwrap.wrap(text, 16)) or term


def links(spec: ModelSpec, res: Any, alpha: float | None,
          drawn: set[tuple[str, str]]) -> list[tuple[str, str, str, bool]]:
    """The higher-order construct -> component arrows (component -> construct for Mode
    B) not already among the ``drawn`` paths, labelled from the result's outer table
    (loading for Mode A, weight for Mode B) when it holds the component as an indicator."""
    outer = None if res is None else res.outer
    out = []
    for h in spec.higher_order:
        value = "weight" if h.mode == "B" else "loading"
        p_col = None if outer is None else marks.p_column(outer, value)
        for comp in h.components:
            s, t = (comp, h.name) if h.mode == "B" else (h.name, comp)
            if (s, t) in drawn or (t, s) in drawn:
                continue
            label, sig = "", True
            if outer is not None:
                row = outer[(outer.construct == h.name) & (outer.indicator == comp)]
                if len(row):
                    p = row[p_col].iloc[0] if alpha is not None and p_col else None
                    mark = marks.stars(p, alpha) if p is not None else ""
                    label = f"{float(row[value].iloc[0]):.2f}{mark}"
                    sig = alpha is None or p is None or bool(mark)
            out.append((s, t, label, sig))
    return out


def columns(spec: ModelSpec, nodes: Sequence[str],
            edges: Sequence[tuple[str, str]]) -> dict[str, int]:
    """Column of each node (:func:`satmodel.report.graph.columns`), components just left
    of their higher-order construct, interaction terms just left of their first target."""
    parts = {(h.name, c) for h in spec.higher_order for c in h.components}
    layout_edges = [(t, s) if (s, t) in parts else (s, t) for s, t in edges]
    col = graph.columns(list(nodes), layout_edges)
    for h in spec.higher_order:
        for comp in h.components:
            col[comp] = col[h.name] - 1
    for term in spec.interactions:
        targets = [t for s, t in edges if s == term]
        if targets:
            col[term] = min(col[t] for t in targets) - 1
    low = min(col.values(), default=0)
    return {n: c - low for n, c in col.items()}


def loadings(res: Any) -> dict[str, dict[str, float]]:
    """Construct -> indicator -> loading, from a staged result's earlier stages (the
    components' items in a two-stage fit) and then its last stage."""
    out: dict[str, dict[str, float]] = {}
    for fit in (*getattr(res, "stages", ()), res):
        for row in fit.outer.itertuples(index=False):
            if np.isfinite(float(row.loading)):
                out.setdefault(row.construct, {})[row.indicator] = float(row.loading)
    return out
