"""Layout of a path model for drawing: exogenous constructs left, outcomes right.

Columns are the longest route from an exogenous construct (a layered, Sugiyama-style
drawing). Rows are then chosen per construct, by a few sweeps of coordinate descent
over a grid, to keep every arrow clear of the constructs it does not join, avoid
crossings and keep arrows short. Deterministic; pure numpy.

>>> pos = layout(["A", "B", "C"], [("A", "B"), ("B", "C"), ("A", "C")])
>>> [pos[n][0] / DX for n in "ABC"]
[0.0, 1.0, 2.0]
>>> pos["B"][1] != pos["A"][1]  # A -> C does not run through B
True
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["columns", "layout", "DX"]

DX = 3.4  #: horizontal distance between columns (data units)
STEP = 0.5  #: row grid
CLEAR = 0.3  #: an arrow keeps this distance from the boxes of constructs it does not join


def columns(nodes: Sequence[str], edges: Sequence[tuple[str, str]]) -> dict[str, int]:
    """Column of each node: the longest route to it from a node without predecessors
    (a cycle, which a recursive model has not, is cut where it closes)."""
    preds: dict[str, list[str]] = {n: [] for n in nodes}
    for s, t in edges:
        preds[t].append(s)
    col: dict[str, int] = {}

    def visit(n: str, stack: tuple[str, ...]) -> int:
        if n not in col:
            col[n] = 1 + max((visit(p, stack + (n,)) for p in preds[n] if p not in stack),
                             default=-1)
        return col[n]

    for n in nodes:
        visit(n, ())
    return col


def _box_dist(boxes: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Signed distance of segment a-b to boxes (k, 4: x, y, half-width, half-height),
    negative when it runs through a box."""
    t = np.linspace(0.0, 1.0, 25)[:, None]
    pts = a + t * (b - a)  # (25, 2)
    dx = np.abs(pts[None, :, 0] - boxes[:, None, 0]) - boxes[:, None, 2]
    dy = np.abs(pts[None, :, 1] - boxes[:, None, 1]) - boxes[:, None, 3]
    outside = np.hypot(np.clip(dx, 0, None), np.clip(dy, 0, None))
    inside = np.minimum(np.maximum(dx, dy), 0.0)
    return (outside + inside).min(axis=1)


def _cross(a, b, c, d) -> bool:
    def orient(p, q, r):
        return np.sign((q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0]))

    return orient(a, b, c) * orient(a, b, d) < 0 and orient(c, d, a) * orient(c, d, b) < 0


def _cost(node: int, y: np.ndarray, x: np.ndarray, E: list[tuple[int, int]],
          heights: np.ndarray, col: np.ndarray, obs: np.ndarray) -> float:
    """The part of the layout cost that depends on ``node``'s row. ``obs`` rows are
    boxes (owner, dx, dy, half-width, half-height, is_node) that arrows keep clear of."""
    P = np.column_stack([x, y])
    cost = 0.08 * y[node] ** 2
    same = np.flatnonzero((col == col[node]) & (np.arange(len(y)) != node))
    gap = np.abs(y[same] - y[node]) - (heights[same] + heights[node]) / 2 - 0.35
    cost += 1e4 * float(np.clip(-gap, 0, None).sum())
    owner = obs[:, 0].astype(int)
    boxes = np.column_stack([P[owner] + obs[:, 1:3], obs[:, 3:5]])
    for s, t in E:
        touched = node in (s, t)
        keep = (owner == node) if not touched else np.ones(len(obs), dtype=bool)
        keep &= ~((obs[:, 5] == 1) & ((owner == s) | (owner == t)))  # its own end boxes
        if keep.any():
            d = _box_dist(boxes[keep], P[s], P[t])
            cost += 60.0 * float(np.clip(CLEAR - d, 0, None).sum())
        if touched:
            cost += 0.4 * (y[s] - y[t]) ** 2 / max(abs(x[t] - x[s]) / DX, 1.0)
            for s2, t2 in E:
                if len({s, t, s2, t2}) == 4 and _cross(P[s], P[t], P[s2], P[t2]):
                    cost += 3.0
    return cost


def layout(nodes: Sequence[str], edges: Sequence[tuple[str, str]],
           heights: dict[str, float] | None = None, widths: dict[str, float] | None = None,
           dx: float = DX, cols: dict[str, int] | None = None) -> dict[str, tuple[float, float]]:
    """Node -> (x, y) in data units (columns ``dx`` apart, y up).

    ``heights`` (default 0.8) and ``widths`` (default 1.6) are the drawn sizes of the
    nodes: kept apart within a column, and clear of the arrows that do not end there.
    ``cols``: the column of each node (default :func:`columns`; a higher-order model
    places components and interaction terms itself).
    """
    nodes = list(nodes)
    index = {n: k for k, n in enumerate(nodes)}
    E = [(index[s], index[t]) for s, t in edges]
    col_of = columns(nodes, edges) if cols is None else cols
    col = np.array([col_of[n] for n in nodes])
    h = np.array([(heights or {}).get(n, 0.8) for n in nodes], dtype=float)
    w = np.array([(widths or {}).get(n, 1.6) for n in nodes], dtype=float)
    obs = np.array([(k, 0.0, 0.0, w[k] / 2, h[k] / 2, 1.0) for k in range(len(nodes))])
    x = col * dx
    y = np.zeros(len(nodes))
    for c in np.unique(col):  # start: each column centred, spec order top to bottom
        members = np.flatnonzero(col == c)
        span = np.cumsum(h[members] + 0.6) - (h[members] + 0.6) / 2
        y[members] = span[::-1] - span.mean()
    height = max(float(h[col == c].sum() + 0.6 * (col == c).sum()) for c in np.unique(col))
    reach = max(height, 3.0) / 2 + 1.5
    grid = np.arange(-reach, reach + 1e-9, STEP)
    for _ in range(12):
        moved = False
        for node in range(len(nodes)):
            now = _cost(node, y, x, E, h, col, obs)
            best, best_cost = y[node], now
            for cand in grid:
                y[node] = cand
                c = _cost(node, y, x, E, h, col, obs)
                if c < best_cost - 1e-9:
                    best, best_cost = cand, c
            y[node] = best
            moved |= best_cost < now - 1e-9
        if not moved:
            break
    y -= (y.max() + y.min()) / 2
    return {n: (float(x[k]), float(y[k])) for k, n in enumerate(nodes)}
