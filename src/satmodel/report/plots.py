"""Deck-ready plots beside the path diagram and the IPMA: bootstrap distributions and the
index by group.

>>> import satmodel as sm
>>> from matplotlib.figure import Figure
>>> df = sm.datasets.load("ecsi_satisfaction")
>>> res = sm.fit_pls(sm.templates.ecsi(), df)
>>> ax = plot_index(res.index(by=df["gender"]), "SAT", ax=Figure())
>>> [t.get_text() for t in ax.get_yticklabels()]
['male', 'female']
>>> fig = plot_bootstrap(res.bootstrap(n=100, seed=1, progress=False), fig=Figure())
>>> len(fig.axes)
10
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import OptionError
from ..index.plotting import new_axes
import satmodel.report.marks as marks

__all__ = ["plot_bootstrap", "plot_index"]


def plot_bootstrap(res: Any, table: str = "paths", column: str | None = None, *,
                   level: float | None = None, fig: Any = None, ncols: int = 4) -> Any:
    """Histograms of the bootstrap draws of a table column, one panel per row (e.g. per
    path): the estimate as a line, the interval shaded, the stars of
    :mod:`satmodel.report.marks` in the title. Returns the Figure.

    ``level`` recomputes the intervals from the stored draws (default: the bootstrap's).
    ``fig``: a matplotlib Figure to draw into (default: a new pyplot figure).
    """
    inf = getattr(res, "inference", None)
    if inf is None:
        raise OptionError("plot_bootstrap needs bootstrap draws: res.bootstrap(n, seed) first")
    if level is not None and abs(level - inf.level) > 1e-12:
        res = res.conf_int(level=level, method=inf.method)
    draws = res.draws(table, column)
    frame = res.table(table)
    value = column or next(c for c in frame.columns if c not in
                           ("source", "target", "construct", "indicator"))
    lo_col = "ci_lower" if "ci_lower" in frame.columns else f"{value}_ci_lower"
    hi_col = "ci_upper" if "ci_upper" in frame.columns else f"{value}_ci_upper"
    alpha = marks.alpha_of(res, level)
    p_col = marks.p_column(frame, value)
    n = draws.shape[1]
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    size = (3.1 * ncols, 2.3 * nrows + 0.5)
    if fig is None:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=size)
    else:
        fig.set_size_inches(*size)
    for k, name in enumerate(draws.columns):
        ax = fig.add_subplot(nrows, ncols, k + 1)
        values = draws[name].to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        ax.hist(values, bins=30, color="#90a4ae", edgecolor="white", linewidth=0.4)
        est = float(frame[value].iloc[k])
        lo, hi = float(frame[lo_col].iloc[k]), float(frame[hi_col].iloc[k])
        ax.axvspan(lo, hi, color="#1f4e8c", alpha=0.12, lw=0)
        ax.axvline(est, color="#1f4e8c", lw=1.4)
        ax.axvline(0.0, color="#c62828", lw=0.8, ls=":") if lo < 0 < hi or min(values) < 0 else None
        mark = marks.stars(frame[p_col].iloc[k], alpha) if p_col and alpha is not None else ""
        ax.set_title(f"{name}  {est:.2f}{mark}", fontsize=9)
        ax.tick_params(labelsize=7)
        ax.set_yticks([])
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
    fig.suptitle(f"Bootstrap distributions ({table}: {value}); shaded: {inf.method} interval "
                 f"at {1 - (alpha if alpha is not None else 0.05):g}", fontsize=10)
    fig.tight_layout()
    return fig


def plot_index(data: Any, construct: str | None = None, *, level: float = 0.95,
               ax: Any = None, group: str | None = None) -> Any:
    """Index by group as a dot plot with intervals (index ± z·se), sorted.

    ``data``: a tidy index table (``res.index(by=...)``, ``grouped.index()``: a group
    column, construct, index and optionally se) or a GroupedPLSResult. ``construct``:
    which construct (default: the table's last). Returns the Axes.
    """
    table = data.index() if hasattr(data, "by") else data
    if not isinstance(table, pd.DataFrame) or not {"construct", "index"} <= set(table.columns):
        raise OptionError("plot_index needs a tidy index table (construct, index, a group "
                          "column) such as res.index(by=...) or a grouped result")
    keys = [c for c in table.columns if c not in ("construct", "index", "se", "n", "weight",
                                                   "ci_lower", "ci_upper", "p", "t")]
    group = group or (keys[0] if keys else None)
    if group is None:
        raise OptionError("plot_index: the table has no group column")
    construct = construct or str(table["construct"].iloc[-1])
    part = table[table["construct"] == construct].copy()
    if part.empty:
        raise OptionError(f"plot_index: no rows for construct {construct!r}")
    part["label"] = part[keys].astype(str).agg(" / ".join, axis=1) if len(keys) > 1 \
        else part[group].astype(str)
    part = part.sort_values("index")
    ax = new_axes(ax, (7.0, 1.2 + 0.35 * len(part)))
    y = np.arange(len(part))
    x = part["index"].to_numpy(dtype=float)
    if "se" in part.columns:
        z = stats.norm.ppf(0.5 + level / 2)
        err = z * part["se"].to_numpy(dtype=float)
        ax.errorbar(x, y, xerr=err, fmt="none", ecolor="#90a4ae", elinewidth=2, capsize=0)
    ax.scatter(x, y, color="#1f4e8c", zorder=3)
    ax.axvline(float(np.average(x, weights=part["n"]) if "n" in part.columns else x.mean()),
               color="#9e9e9e", ls="--", lw=0.8)
    ax.set_yticks(y, part["label"].tolist())
    ax.set_xlabel(f"{construct} index (0-100)" + (f", {level:.0%} intervals"
                                                   if "se" in part.columns else ""))
    ax.set_title(f"{construct} by {group}")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return ax
