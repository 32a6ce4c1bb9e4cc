"""Plot of a moderation: simple slopes and the floodlight (``res.plot_slopes("SAT", "IMAG")``,
``sm.plot_slopes(res, "SAT", "IMAG")``).

Left: the predicted outcome (standardized) against ``x`` (-2 to 2 SD) at moderator values
``at`` (default -1, 0, +1 SD): ``y = (b_X + b_XM m) x + b_M m`` from the fitted paths, the
legend giving each slope with its stars (after a bootstrap). Right, after a bootstrap: the
floodlight (:func:`satmodel.assess.moderation.floodlight`): the slope of ``x`` against the
moderator with its bootstrap band, 0 marked, and the Johnson-Neyman points (where a band
bound crosses 0) as labelled vertical lines.

>>> import satmodel as sm
>>> from matplotlib.figure import Figure
>>> spec = sm.ModelSpec.from_lavaan('''
...     SAT =~ SAT1 + SAT2 + SAT3; IMAG =~ IMAG1 + IMAG2 + IMAG3; LOY =~ LOY1 + LOY2 + LOY3
...     LOY ~ SAT + IMAG + SAT:IMAG''')
>>> res = sm.fit_pls(spec, sm.datasets.load("ecsi_satisfaction"), interaction="two_stage")
>>> len(plot_slopes(res, "SAT", "IMAG", fig=Figure()).axes)  # no bootstrap: slopes only
1
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .plotting import place_labels

__all__ = ["plot_slopes"]

_COLORS = ("#c62828", "#616161", "#1565c0", "#2e7d32", "#6a1b9a")


def _stars(row: Any, level: float) -> str:
    if "p" not in row or not np.isfinite(row["p"]):
        return ""
    alpha = 1 - level  # thresholds as satmodel.report.marks: alpha, then 0.01, 0.001 below it
    return "".join("*" for cut in [alpha] + [t for t in (0.01, 0.001) if t < alpha]
                   if row["p"] < cut)


def _sd(m: float) -> str:
    return "mean" if m == 0 else f"{m:+g} SD"


def plot_slopes(res: Any, x: str, moderator: str, *, target: str | None = None,
                at: Any = (-1.0, 0.0, 1.0), fig: Any = None) -> Any:
    """Simple-slopes lines and (after a bootstrap) the floodlight of ``x`` moderated by
    ``moderator``; returns the matplotlib Figure (``fig``: one to draw into)."""
    slopes = res.simple_slopes(x, moderator, at=at, target=target)
    target = str(slopes.target.iloc[0])
    inf = getattr(res, "inference", None)
    flood = None if inf is None else res.floodlight(x, moderator, target=target)
    paths = res.paths
    main = paths[(paths.source == moderator) & (paths.target == target)]
    b_m = float(main.estimate.iloc[0]) if len(main) else 0.0
    n = 1 if flood is None else 2
    if fig is None:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=(5.2 * n, 4.6))
    else:
        fig.set_size_inches(5.2 * n, 4.6)
    ax = fig.add_subplot(1, n, 1)
    xs = np.linspace(-2.0, 2.0, 2)
    level = inf.level if inf is not None else 0.95
    for k, row in slopes.reset_index(drop=True).iterrows():
        m = float(row["at"])
        ax.plot(xs, row["slope"] * xs + b_m * m, color=_COLORS[k % len(_COLORS)], lw=1.8,
                label=f"{moderator} {_sd(m)}: slope {row['slope']:.2f}{_stars(row, level)}")
    ax.axhline(0.0, color="#bdbdbd", lw=0.6, zorder=0)
    ax.set_xlabel(f"{x} (SD)")
    ax.set_ylabel(f"{target}, predicted (SD)")
    ax.set_title(f"Simple slopes of {x} -> {target}\nby {moderator}", fontsize=10)
    ax.legend(fontsize=8, frameon=False, loc="best")
    if flood is not None:
        _floodlight(fig.add_subplot(1, 2, 2), flood, x, moderator, target, inf)
    for a in fig.axes:
        for side in ("top", "right"):
            a.spines[side].set_visible(False)
        a.tick_params(labelsize=8)
    fig.tight_layout()
    return fig


def _floodlight(ax: Any, flood: Any, x: str, moderator: str, target: str, inf: Any) -> None:
    m = flood["at"].to_numpy(dtype=float)
    lo, hi = flood.ci_lower.to_numpy(dtype=float), flood.ci_upper.to_numpy(dtype=float)
    ax.fill_between(m, lo, hi, color="#1f4e8c", alpha=0.15, lw=0,
                    label=f"{inf.level:.0%} {inf.method} band")
    ax.plot(m, flood.slope.to_numpy(dtype=float), color="#1f4e8c", lw=1.8,
            label=f"slope of {x}")
    ax.axhline(0.0, color="#c62828", lw=0.8, ls=":")
    points = flood.attrs.get("johnson_neyman", [])
    if points:
        ax.plot([], [], color="#424242", lw=0.9, ls="--", label="Johnson-Neyman point")
    ax.set_xlabel(f"{moderator} (SD)")
    ax.set_ylabel(f"effect of {x} on {target}")
    ax.set_title(f"Floodlight: {x} -> {target} by {moderator}\n"
                 f"{len(points)} Johnson-Neyman point(s)", fontsize=10)
    ax.legend(fontsize=8, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.16),
              ncol=3)  # below the axes: clear of the band and the Johnson-Neyman lines
    texts = []
    bottom, top = ax.get_ylim()
    for p in points:
        ax.axvline(p, color="#424242", lw=0.9, ls="--")
        texts.append(ax.text(p, top, f"{p:.2f}", fontsize=8, ha="left", va="top",
                             color="#424242",
                             bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none"}))
    ax.set_ylim(bottom, top)
    span = top - bottom
    cands = [[{"position": (p, top - f * span), "ha": ha}
              for f in (0.0, 0.08, 0.16, 0.24, 0.5, 0.7, 0.9) for ha in ("left", "right")]
             for p in points]
    place_labels(ax, texts, cands)
