"""Path diagram of a fitted model (or of a bare spec): matplotlib, and DOT text for Graphviz.

Constructs are laid out by the model's structure (:mod:`satmodel.report.graph`:
exogenous left, outcomes right); arrows carry the standardized coefficient with the
stars of :mod:`satmodel.report.marks` (the same rule as the report's tables, at the
chosen level); endogenous constructs show their R²; items are optional. Arrows not
significant at the level are dashed and grey.

>>> import satmodel as sm
>>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
>>> print(to_dot(res).splitlines()[0])
digraph "ecsi" {
>>> sm.plot_paths(res.bootstrap(n=200, seed=1, progress=False))  # doctest: +SKIP
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import OptionError
from ..index.plotting import clipped_length, new_axes, place_labels
from ..results.plot_method import register_drawing
from ..spec.model import ModelSpec
import satmodel.report.diagram_parts as parts
import satmodel.report.graph as graph
import satmodel.report.marks as marks

__all__ = ["plot_paths", "to_dot", "diagram"]

_UNIT = 0.62  # inches per data unit of the layout
#: box styles: constructs blue, higher-order constructs green, interaction terms amber
_BOXES = {kind: {"boxstyle": "round,pad=0.45", "fc": fc, "ec": ec, "lw": 1.2}
          for kind, fc, ec in (("construct", "#e8f0fb", "#1f4e8c"),
                               ("higher_order", "#e6f2e6", "#2e7d32"),
                               ("interaction", "#fdf1dc", "#a15c00"))}
_DOT_FILL = {"construct": "#e8f0fb", "higher_order": "#e6f2e6", "interaction": "#fdf1dc"}
_ITEM_DY = 1.15  # items row above or below its construct


@dataclass(frozen=True)
class Diagram:
    """What a path diagram shows: nodes (name, text), arrows and items."""

    spec: ModelSpec
    nodes: dict[str, str]  # construct -> text in its box
    edges: list[tuple[str, str, str, bool]]  # source, target, label, significant
    items: dict[str, list[tuple[str, str]]]  # construct -> [(indicator, loading text)]
    alpha: float | None
    note: str
    kinds: dict[str, str] = field(default_factory=dict)  # node -> construct/higher_order/interaction
    columns: dict[str, int] | None = None  # layout columns (None: by the structure)


def _label(con: Any, labels: str) -> str:
    text = con.label if labels == "label" and con.label else con.name
    return "\n".join(textwrap.wrap(text, 16)) or con.name


def diagram(obj: Any, *, level: float | None = None, labels: str = "label",
            items: bool = False) -> Diagram:
    """The content of a path diagram of a result (or a :class:`~satmodel.ModelSpec`)."""
    if labels not in ("label", "name"):
        raise OptionError(f"labels={labels!r}: use 'label' (the spec's labels) or 'name'")
    spec = obj if isinstance(obj, ModelSpec) else getattr(obj, "spec", None)
    if not isinstance(spec, ModelSpec):
        raise OptionError(f"a path diagram needs a fitted result or a ModelSpec, got "
                          f"{type(obj).__name__}")
    res = None if isinstance(obj, ModelSpec) else obj
    if res is not None and (hasattr(res, "by") or not hasattr(res, "paths")):
        raise OptionError(f"{type(obj).__name__} has no single path table; draw one group: "
                          "sm.plot_paths(res[key])")
    spec = parts.user_spec(obj)  # a staged fit: the model as written, not its last stage
    kinds = parts.kinds(spec)
    nodes = {c.name: _label(c, labels) for c in (*spec.constructs, *spec.higher_order)}
    nodes.update({t: parts.term_text(spec, t, labels) for t in spec.interactions})
    alpha, note = None, "structure only"
    edges = [(p.source, p.target, "", True) for p in spec.paths]
    loads: dict[str, dict[str, float]] = {}
    if res is not None:
        alpha = marks.alpha_of(res, level)
        paths = res.paths
        p_col = marks.p_column(paths, "estimate")
        edges = []
        for row in paths.itertuples(index=False):
            p = getattr(row, p_col) if alpha is not None and p_col else None
            mark = marks.stars(p, alpha) if p is not None else ""
            sig = alpha is None or bool(mark)
            edges.append((row.source, row.target, f"{float(row.estimate):.2f}{mark}", sig))
        for con, r2 in res.r2.items():
            if con in nodes and not np.isnan(float(r2)):
                nodes[con] += f"\nR² = {float(r2):.2f}"
        loads = parts.loadings(res)
        note = ("standardized path coefficients; R² in the constructs; " +
                (f"{marks.legend(alpha)}; dashed: not significant at {alpha:g}"
                 if alpha is not None else "no bootstrap: significance not tested"))
        if spec.higher_order and getattr(res, "plan", None) is not None:
            modes = {"loadings" if h.mode == "A" else "weights" for h in spec.higher_order}
            note += ("; higher-order constructs: " + (
                "paths to their components (repeated indicators)"
                if res.plan.hoc == "repeated_indicators" else
                f"{' or '.join(sorted(modes))} on their components"))
    edges += parts.links(spec, res, alpha, {(s, t) for s, t, _, _ in edges})
    item_map = {}
    if items:
        for c in spec.constructs:
            row = loads.get(c.name, {})
            item_map[c.name] = [(i, f"{row[i]:.2f}" if i in row else "")
                                for i in c.indicator_names]
    cols = parts.columns(spec, list(nodes), [(s, t) for s, t, _, _ in edges]) \
        if not spec.is_first_order else None
    return Diagram(spec, nodes, edges, item_map, alpha, note, kinds, cols)


def _size(d: Diagram, pos: dict[str, tuple[float, float]]) -> tuple[float, float]:
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    w = (max(xs) - min(xs) + 3.4) * _UNIT
    h = (max(ys) - min(ys) + (4.0 if d.items else 2.4)) * _UNIT
    return max(w, 6.0), max(h, 3.5)


def plot_paths(obj: Any, *, ax: Any = None, level: float | None = None,
               labels: str = "label", items: bool = False, title: str | None = None) -> Any:
    """Draw the path diagram of a result (or spec); returns the Axes.

    Parameters
    ----------
    obj : PLSResult, CBSEMResult or ModelSpec
    ax : Axes, optional
        Where to draw (default: a new pyplot figure sized to the model).
    level : float, optional
        Significance level for the stars (default: the bootstrap's level, 0.95).
    labels : {"label", "name"}
        Construct text: the spec's labels (names where none) or the names.
    items : bool
        Also draw each construct's items (with loadings) above it.
    title : str, optional
        Default: the spec's label or name.
    """
    d = diagram(obj, level=level, labels=labels, items=items)
    heights = {n: (2.4 if d.items.get(n) else 0.5) + 0.25 * n_lines(d.nodes[n])
               for n in d.nodes}
    widths = {n: 0.45 + 0.11 * max(len(line) for line in d.nodes[n].splitlines())
              for n in d.nodes}
    if items:
        widths = {n: max(widths[n], 2 * abs(_item_x(d.items[n], 0)) + 0.8) if d.items.get(n)
                  else widths[n] for n in d.nodes}
    pos = graph.layout(list(d.nodes), [(s, t) for s, t, _, _ in d.edges], heights, widths,
                       dx=graph.DX + (1.4 if items else 0.0), cols=d.columns)
    sides = _item_sides(d, pos)
    ax = new_axes(ax, _size(d, pos), fill=True)
    ax.set_axis_off()
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    ax.set_xlim(min(xs) - 1.7, max(xs) + 1.7)
    ax.set_ylim(min(ys) - (2.0 if items else 1.1), max(ys) + (2.0 if items else 1.1))
    node = {n: ax.text(x, y, d.nodes[n], ha="center", va="center", fontsize=9, zorder=2,
                       bbox=_BOXES[d.kinds.get(n, "construct")], multialignment="center")
            for n, (x, y) in pos.items()}
    item_texts = _draw_items(ax, d, pos, node, sides) if items else []
    arrows = [(s, t, lab, sig) for s, t, lab, sig in d.edges]
    for s, t, _, sig in arrows:
        ax.annotate("", xy=pos[t], xytext=pos[s], zorder=3, arrowprops={
            "arrowstyle": "-|>", "mutation_scale": 13, "shrinkA": 2, "shrinkB": 2,
            "patchA": node[s].get_bbox_patch(), "patchB": node[t].get_bbox_patch(),
            "color": "#263238" if sig else "#9e9e9e", "lw": 1.3 if sig else 1.0,
            "linestyle": "-" if sig else (0, (4, 3))})
    texts = [ax.text(*pos[s], lab, fontsize=8, ha="center", va="center", zorder=4,
                     color="#263238" if sig else "#757575",
                     bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none"})
             for s, t, lab, sig in arrows if lab]
    place_labels(ax, [], [])
    renderer = ax.figure.canvas.get_renderer()
    obstacles = [t.get_bbox_patch().get_window_extent(renderer) for t in node.values()]
    obstacles += [t.get_window_extent(renderer) for t in item_texts]
    cands, segs = [], []
    labelled = [(s, t) for s, t, lab, _ in arrows if lab]
    for s, t in labelled:
        (x0, y0), (x1, y1) = pos[s], pos[t]
        length = max(float(np.hypot(x1 - x0, y1 - y0)), 1e-9)
        nx, ny = -(y1 - y0) / length * 0.32, (x1 - x0) / length * 0.32  # beside the line
        cands.append([{"position": (x0 + f * (x1 - x0) + k * nx, y0 + f * (y1 - y0) + k * ny)}
                      for k in (0, 1, -1)
                      for f in (0.5, 0.42, 0.58, 0.34, 0.66, 0.27, 0.73, 0.21, 0.79)])
        segs.append(ax.transData.transform([pos[s], pos[t]]))
    others = [[seg for k, seg in enumerate(segs) if k != j] for j in range(len(segs))]
    place_labels(ax, texts, cands, obstacles, pad=1.5, lines=others)
    ax.set_title(title if title is not None else (d.spec.label or d.spec.name), fontsize=11)
    note = textwrap.wrap(d.note, int(ax.figure.get_figwidth() * 15.5))  # long: two lines inside
    ax.text(0.5, 0.0, "\n".join(note), transform=ax.transAxes, ha="center",
            va="top" if len(note) == 1 else "bottom", fontsize=7.5,
            color="#616161")
    return ax


def n_lines(text: str) -> int:
    return text.count("\n") + 1


def _item_x(row: list[tuple[str, str]], j: int) -> float:
    """Approximate offset of item j's box from its construct (for choosing sides)."""
    width = 0.2 + 0.09 * max(len(ind) for ind, _ in row)
    return (j - (len(row) - 1) / 2) * width


def _item_sides(d: Diagram, pos: dict) -> dict[str, float]:
    """Per construct, +1 (items above) or -1 (below): the side fewer arrows cross."""
    from matplotlib.transforms import Bbox

    segs = [(pos[s], pos[t]) for s, t, _, _ in d.edges]
    out = {}
    for con, row in d.items.items():
        x, y = pos[con]
        half = abs(_item_x(row, 0)) + 0.4
        cost = {}
        for side in (1.0, -1.0):
            yc = y + side * _ITEM_DY
            box = Bbox([[x - half, yc - 0.35], [x + half, yc + 0.35]])
            cost[side] = sum(clipped_length(box, a, b) for a, b in segs)
        out[con] = 1.0 if cost[1.0] <= cost[-1.0] else -1.0
    return out


def _draw_items(ax: Any, d: Diagram, pos: dict, node: dict, sides: dict) -> list[Any]:
    """A row of item boxes above (or below) each construct, joined to it by lines; the
    boxes are spaced by their rendered widths."""
    box = {"boxstyle": "square,pad=0.25", "fc": "#fafafa", "ec": "#9e9e9e", "lw": 0.7}
    rows = {con: [ax.text(pos[con][0], pos[con][1] + sides[con] * _ITEM_DY,
                          ind + (f"\n{load}" if load else ""), ha="center", va="center",
                          fontsize=6, bbox=box, zorder=2) for ind, load in row]
            for con, row in d.items.items()}
    place_labels(ax, [], [])  # render once to measure the boxes
    renderer = ax.figure.canvas.get_renderer()
    to_data = ax.transData.inverted()
    out = []
    for con, texts in rows.items():
        x, y = pos[con]
        widths = []
        for t in texts:
            bb = t.get_bbox_patch().get_window_extent(renderer)
            (a, _), (b, _) = to_data.transform([[bb.x0, bb.y0], [bb.x1, bb.y0]])
            widths.append(b - a + 0.06)
        left = x - sum(widths) / 2
        for t, w in zip(texts, widths):
            xi, yi = left + w / 2, t.get_position()[1]
            left += w
            t.set_position((xi, yi))
            ax.annotate("", xy=(xi, yi), xytext=(x, y), zorder=1, arrowprops={
                "arrowstyle": "-", "color": "#bdbdbd", "lw": 0.6, "shrinkA": 0, "shrinkB": 0,
                "patchA": node[con].get_bbox_patch(), "patchB": t.get_bbox_patch()})
        out += texts
    return out


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(obj: Any, *, level: float | None = None, labels: str = "label",
           items: bool = False) -> str:
    """The path diagram as Graphviz DOT text (``dot -Tsvg model.dot > model.svg``).

    Columns as in :func:`plot_paths` (``rank=same`` per column), left to right.
    """
    d = diagram(obj, level=level, labels=labels, items=items)
    cols = d.columns or graph.columns(list(d.nodes), [(s, t) for s, t, _, _ in d.edges])
    lines = [f"digraph {_q(d.spec.name)} {{",
             "  graph [rankdir=LR, nodesep=0.4, ranksep=0.9, fontname=\"Helvetica\", "
             f"fontsize=10, labelloc=b, label={_q(d.note)}];",
             '  node [shape=ellipse, style=filled, fillcolor="#e8f0fb", color="#1f4e8c", '
             'fontname="Helvetica", fontsize=11];',
             '  edge [fontname="Helvetica", fontsize=10];']
    for name, text in d.nodes.items():
        kind = d.kinds.get(name, "construct")
        fill = "" if kind == "construct" else f", fillcolor={_q(_DOT_FILL[kind])}"
        lines.append(f"  {_q(name)} [label={_q(text)}{fill}];")
    for c in sorted(set(cols.values())):
        members = " ".join(_q(n) + ";" for n in d.nodes if cols[n] == c)
        lines.append(f"  {{ rank=same; {members} }}")
    reverse = {(h.name, c) for h in d.spec.higher_order for c in h.components}
    for s, t, lab, sig in d.edges:
        style = "" if sig else ", style=dashed, color=\"#9e9e9e\""
        if (s, t) in reverse:  # components rank left of their higher-order construct
            s, t, style = t, s, style + ", dir=back"
        lines.append(f"  {_q(s)} -> {_q(t)} [label={_q(lab)}{style}];")
    for con, row in d.items.items():
        mode = d.spec.construct(con).mode
        for ind, load in row:
            item = f"{con}::{ind}"
            lines.append(f"  {_q(item)} [shape=box, style=\"\", label={_q(ind)}, fontsize=9];")
            a, b = (_q(con), _q(item)) if mode == "A" else (_q(item), _q(con))
            lines.append(f"  {a} -> {b} [label={_q(load)}, fontsize=8, color=\"#9e9e9e\"];")
    lines.append("}")
    return "\n".join(lines)


register_drawing(plot_paths)  # res.plot() draws with it (results never import report)
