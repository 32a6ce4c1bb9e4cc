"""Drawing of the importance-performance map (:meth:`satmodel.index.ipma.IPMA.plot`).

Deck-ready: labels placed on rendered boxes so that none overlaps another, a point, a
quadrant caption or the axes edge (:func:`satmodel.index.plotting.place_labels`); the
captions sit in bands above and below the points; colours by quadrant.

>>> import satmodel as sm
>>> from matplotlib.figure import Figure
>>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
>>> ax = draw(res.ipma("LOY"), "construct", Figure(), False, {"SAT": "Satisfaction"})
>>> "Satisfaction" in [t.get_text() for t in ax.texts]
True
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..errors import SatModelWarning
from .plotting import cjk_font, new_axes, place_labels, point_candidates

__all__ = ["draw", "COLORS", "CAPTIONS"]

#: quadrant -> marker colour (fix_first stands out)
COLORS = {"keep": "#2e7d32", "fix_first": "#c62828", "later": "#757575", "maintain": "#1565c0"}
#: quadrant -> caption
CAPTIONS = {"keep": "Keep up", "fix_first": "Improve first", "later": "Lower priority",
          "maintain": "Maintain"}
_CORNERS = {"maintain": (0.01, 0.985, "left", "top"), "keep": (0.99, 0.985, "right", "top"),
            "later": (0.01, 0.015, "left", "bottom"), "fix_first": (0.99, 0.015, "right", "bottom")}


def _font(chinese: bool) -> str | None:
    if not chinese:
        return None
    font = cjk_font()
    if font is None:
        warnings.warn(
            "IPMA.plot(chinese=True): no installed font has Chinese glyphs, so the quadrant "
            "captions stay in English. Install one (Debian/Ubuntu: apt-get install "
            "fonts-noto-cjk; macOS and Windows ship PingFang SC / Microsoft YaHei) and "
            "restart Python", SatModelWarning, stacklevel=3)
    return font


def _limits(values: np.ndarray, cut: float, pad: float) -> tuple[float, float]:
    lo, hi = min(values.min(), cut), max(values.max(), cut)
    span = hi - lo if hi > lo else max(abs(hi), 1.0)
    return lo - pad * span, hi + pad * span


def draw(ipma: Any, level: str, ax: Any, chinese: bool, labels: dict,
         zh: dict[str, str] | None = None) -> Any:
    """Draw ``ipma`` at ``level`` ("construct" or "indicator") on ``ax`` (new Axes when
    None; a Figure to draw into); ``labels`` maps names to the text shown; ``zh`` the
    quadrants' Chinese names (for ``chinese=True``). Returns the Axes."""
    table = ipma.constructs if level == "construct" else ipma.indicators
    name = "construct" if level == "construct" else "indicator"
    many = len(table) > 12
    ax = new_axes(ax, (9.0, 6.5) if many else (7.5, 5.5))
    font = _font(chinese)
    x = table["importance"].to_numpy(dtype=float)
    y = table["performance"].to_numpy(dtype=float)
    imp_cut, perf_cut = table.attrs.get("cut", ipma.cut)
    ax.set_xlim(*_limits(x, imp_cut, 0.12))
    ax.set_ylim(*_limits(y, perf_cut, 0.30))  # bands for the captions above and below
    ax.axvline(imp_cut, color="#9e9e9e", lw=0.8, ls="--", zorder=1)
    ax.axhline(perf_cut, color="#9e9e9e", lw=0.8, ls="--", zorder=1)
    colors = [COLORS[q] for q in table["quadrant"]]
    ax.scatter(x, y, c=colors, s=28 if many else 44, zorder=3, edgecolors="white", linewidths=0.6)

    captions = []
    for key, (cx, cy, ha, va) in _CORNERS.items():
        text = f"{(zh or {}).get(key, '')}  {CAPTIONS[key]}".strip() if font else CAPTIONS[key]
        captions.append(ax.text(cx, cy, text, transform=ax.transAxes, ha=ha, va=va,
                                fontsize=9, color=COLORS[key], fontweight="normal" if font else "bold",
                                fontfamily=[font, "DejaVu Sans"] if font else None))
    size = 7.5 if many else 9.0
    texts = [ax.annotate(str(labels.get(n, n)), (xi, yi), textcoords="offset points",
                         xytext=(5, 0), fontsize=size, zorder=4,
                         arrowprops={"arrowstyle": "-", "color": "#bdbdbd", "lw": 0.6,
                                     "shrinkA": 0, "shrinkB": 3})
             for n, xi, yi in zip(table[name], x, y)]
    place_labels(ax, [], [])  # settles the limits and gives the figure a renderer
    renderer = ax.figure.canvas.get_renderer()
    points = ax.transData.transform(np.column_stack([x, y]))
    r = (2.6 if many else 3.3) * ax.figure.dpi / 72 + 1  # marker radius in pixels
    from matplotlib.transforms import Bbox

    obstacles = [Bbox([[px - r, py - r], [px + r, py + r]]) for px, py in points]
    obstacles += [c.get_window_extent(renderer).padded(2) for c in captions]
    order = np.argsort(-y)  # top first: the crowded middle gets the remaining room
    place_labels(ax, [texts[i] for i in order], [point_candidates()] * len(texts), obstacles)
    for t in texts:  # a leader line only where the label had to move away
        dx, dy = t.get_position()
        t.arrow_patch.set_visible(bool(np.hypot(dx, dy) > 12))
    target = labels.get(ipma.target, ipma.target)
    ax.set_xlabel(f"Importance (index points of {target} per point of the driver)")
    ax.set_ylabel("Performance (0-100 index)")
    ax.set_title(f"IPMA: {target}" + ("" if level == "construct" else " (items of the drivers)"))
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return ax
