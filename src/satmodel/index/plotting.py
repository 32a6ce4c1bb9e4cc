"""Matplotlib helpers shared by the index plots and :mod:`satmodel.report`: label
placement without overlaps, a CJK font finder, text-overlap checks.

Labels are placed greedily on *rendered* bounding boxes: each label tries its
candidate positions in order and keeps the first that overlaps no label placed
before it, no obstacle (points, nodes, captions) and stays inside the axes; when
every candidate collides it keeps the least-overlapping one.

>>> from matplotlib.figure import Figure
>>> ax = Figure(figsize=(3, 2)).add_subplot()
>>> a, b = ax.text(0.5, 0.5, "first"), ax.text(0.5, 0.5, "second")
>>> place_labels(ax, [a, b], [[{"position": (0.5, 0.5)}],
...                          [{"position": (0.5, 0.5)}, {"position": (0.5, 0.2)}]])
>>> b.get_position()
(0.5, 0.2)
>>> overlapping_texts(ax)
[]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

__all__ = ["clipped_length", "place_labels", "overlapping_texts", "cjk_font", "point_candidates", "new_axes",
           "text_boxes", "CJK_FAMILIES"]

#: font families with Chinese glyphs, most common first (Linux, macOS, Windows)
CJK_FAMILIES = (
    "Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK TC", "Noto Sans SC", "Noto Serif CJK SC",
    "Source Han Sans SC", "Source Han Sans CN", "Source Han Sans", "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei", "Droid Sans Fallback", "AR PL UMing CN", "AR PL UKai CN", "SimHei",
    "Microsoft YaHei", "SimSun", "PingFang SC", "Hiragino Sans GB", "Heiti SC", "STHeiti",
    "Songti SC", "Arial Unicode MS",
)


def cjk_font() -> str | None:
    """The first installed font family with Chinese glyphs (see :data:`CJK_FAMILIES`),
    or None (then install one, e.g. Debian/Ubuntu ``apt-get install fonts-noto-cjk``).

    Fonts installed after matplotlib built its font cache are found through fontconfig
    (``fc-list :lang=zh``) or by file name, and registered with matplotlib.
    """
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    found = next((name for name in CJK_FAMILIES if name in installed), None)
    if found is not None:
        return found
    for path in _cjk_files():
        try:
            font_manager.fontManager.addfont(path)
            return font_manager.FontProperties(fname=path).get_name()
        except (OSError, RuntimeError, ValueError):  # an unreadable or odd font file
            continue
    return None


def _cjk_files() -> list[str]:
    """Font files with Chinese glyphs: fontconfig's answer, else names that say so."""
    import shutil
    import subprocess

    if shutil.which("fc-list"):
        try:
            out = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True,
                                 text=True, timeout=10, check=False).stdout
        except (OSError, subprocess.SubprocessError):
            out = ""
        files = sorted({line.split(":")[0].strip() for line in out.splitlines() if line.strip()})
        files = [f for f in files if f.lower().endswith((".ttf", ".otf", ".ttc"))]
        if files:
            return files
    from matplotlib import font_manager

    hints = ("cjk", "droidsansfallback", "wqy", "wenquanyi", "sourcehan", "simhei", "msyh",
             "pingfang", "uming", "ukai")
    return sorted(f for f in font_manager.findSystemFonts()
                  if any(h in f.lower().replace("-", "").replace("_", "") for h in hints))


def new_axes(ax: Any, figsize: tuple[float, float], *, fill: bool = False) -> Any:
    """Where to draw: ``ax`` itself when it is an Axes; new Axes on ``ax`` when it is a
    matplotlib Figure (resized to ``figsize``; no pyplot, as reports use); else a new
    pyplot figure (so it shows in Jupyter). ``fill=True``: the Axes fill the figure."""
    from matplotlib.figure import Figure

    if ax is not None and not isinstance(ax, Figure):
        return ax
    if isinstance(ax, Figure):
        fig = ax
        fig.set_size_inches(*figsize)
        ax = fig.add_subplot()
    else:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=figsize)
    if fill:
        ax.set_position([0.01, 0.05, 0.98, 0.87])
    return ax


def _renderer(ax: Any) -> Any:
    fig = ax.figure
    if not hasattr(fig.canvas, "get_renderer"):  # a bare Figure: give it an Agg canvas
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(fig)
    return fig.canvas.get_renderer()


def _area(a: Any, b: Any) -> float:
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return w * h if w > 0 and h > 0 else 0.0


def _outside(bb: Any, frame: Any) -> float:
    inside = _area(bb, frame)
    return max(bb.width * bb.height - inside, 0.0)


def _text_extent(text: Any, renderer: Any) -> Any:
    """The box of the text as drawn: with its frame (``bbox=``) if it has one, without
    an Annotation's arrow."""
    from matplotlib.text import Text
    from matplotlib.transforms import Bbox

    if hasattr(text, "update_positions"):
        text.update_positions(renderer)
    box = Text.get_window_extent(text, renderer)
    patch = text.get_bbox_patch()
    if patch is not None:
        text.update_bbox_position_size(renderer)
        box = Bbox.union([box, patch.get_window_extent(renderer)])
    return box


def clipped_length(bb: Any, p0: Sequence[float], p1: Sequence[float]) -> float:
    """Length of the segment p0-p1 inside the box (Liang-Barsky clipping)."""
    (x0, y0), (x1, y1) = p0, p1
    dx, dy = x1 - x0, y1 - y0
    lo, hi = 0.0, 1.0
    for p, q in ((-dx, x0 - bb.x0), (dx, bb.x1 - x0), (-dy, y0 - bb.y0), (dy, bb.y1 - y0)):
        if p == 0:
            if q < 0:
                return 0.0
            continue
        r = q / p
        if p < 0:
            lo = max(lo, r)
        else:
            hi = min(hi, r)
        if lo > hi:
            return 0.0
    return (hi - lo) * float(np.hypot(dx, dy))


def place_labels(ax: Any, texts: Sequence[Any], candidates: Sequence[Sequence[dict]],
                 obstacles: Iterable[Any] = (), *, pad: float = 2.0,
                 inside: bool = True, lines: Sequence[Sequence[Any]] | None = None) -> None:
    """Move each text to its first collision-free candidate (``Text.set(**candidate)``).

    Parameters
    ----------
    ax : Axes
    texts : Text or Annotation artists already on ``ax``
    candidates : per text, a list of property dicts (``position``, ``ha``, ``va``, ...)
        tried in order.
    obstacles : display-space Bboxes that labels must avoid (markers, nodes, captions).
    pad : extra pixels kept around every label.
    inside : keep labels inside the axes.
    lines : per text, display-space segments ((x0, y0), (x1, y1)) it should not sit on
        (other arrows, cut lines); the length covered counts as overlap.
    """
    renderer = _renderer(ax)
    ax.figure.canvas.draw()  # settle limits and transforms before measuring
    frame = ax.get_window_extent(renderer)
    taken = [b for b in obstacles]
    for n, (text, options) in enumerate(zip(texts, candidates)):
        avoid = lines[n] if lines is not None else ()
        best, best_cost = None, float("inf")
        for k, props in enumerate(options):
            text.set(**props)
            bb = _text_extent(text, renderer).padded(pad)
            cost = sum(_area(bb, other) for other in taken)
            cost += sum(8.0 * clipped_length(bb, a, b) for a, b in avoid)
            if inside:
                cost += 4.0 * _outside(bb, frame)
            if cost == 0.0:
                best = (props, bb)
                break
            if cost < best_cost:
                best, best_cost = (props, bb), cost + 1e-6 * k
        text.set(**best[0])
        taken.append(best[1])


def point_candidates(radii: Sequence[float] = (7, 14, 24, 38, 56)) -> list[dict]:
    """Offsets (points) around a data point, nearest first, for an Annotation with
    ``textcoords="offset points"``: right, left, above, below, then the diagonals."""
    out = []
    for r in radii:
        d = r * 0.75
        for dx, dy, ha, va in ((r, 0, "left", "center"), (-r, 0, "right", "center"),
                               (0, r, "center", "bottom"), (0, -r, "center", "top"),
                               (d, d, "left", "bottom"), (-d, d, "right", "bottom"),
                               (d, -d, "left", "top"), (-d, -d, "right", "top")):
            out.append({"position": (dx, dy), "ha": ha, "va": va})
    return out


def text_boxes(ax: Any) -> list[tuple[str, Any]]:
    """(text, display Bbox) of every visible non-empty text on ``ax`` (labels, annotations,
    captions; not the tick labels or titles)."""
    renderer = _renderer(ax)
    ax.figure.canvas.draw()
    return [(t.get_text(), _text_extent(t, renderer)) for t in ax.texts
            if t.get_visible() and t.get_text().strip()]


def overlapping_texts(ax: Any, *, tolerance: float = 0.5) -> list[tuple[str, str]]:
    """Pairs of texts on ``ax`` whose rendered boxes overlap by more than ``tolerance``
    square pixels (an empty list for a readable plot)."""
    boxes = text_boxes(ax)
    return [(a, b) for i, (a, ba) in enumerate(boxes) for b, bb in boxes[i + 1:]
            if _area(ba, bb) > tolerance]
