"""Importance-performance map analysis (IPMA) and the 四分图 quadrant chart (docs/methods.md §6.4).

Importance of a driver j for a target k is the unstandardized total effect on 0-100
scores (index points of k per point of j); performance is j's 0-100 index. Item
level: importance = the item's rescaled-metric normalized weight × its construct's
importance; performance = the item mean rescaled to 0-100. Quadrants split at the
mean importance and mean performance of the drivers (or at given cut points):

============  =================  =================  ========  ==========================
quadrant      importance         performance        四分图     action
============  =================  =================  ========  ==========================
keep          high               high               优势区     keep up the strength
fix_first     high               low                修补区     improve first
later         low                low                机会区     lower priority
maintain      low                high               维持区     maintain, do not over-invest
============  =================  =================  ========  ==========================

Sources disagree on A-D letters for these; the table stores importance, performance
and both names explicitly. ``res.ipma(target)`` builds an :class:`IPMA`.

Example
-------
The worked example of docs/methods.md §6.4:

>>> from satmodel.index import impact
>>> imp = impact([0.60, 0.40, 0.25], 15.0, [18.0, 16.0, 20.0])
>>> t = classify(pd.DataFrame({"construct": ["QUAL", "IMAG", "VAL"], "importance": imp,
...                            "performance": [72.0, 64.0, 61.0]}))
>>> t[["construct", "importance", "quadrant", "quadrant_zh"]]
  construct  importance   quadrant quadrant_zh
0      QUAL      0.5000       keep         优势区
1      IMAG      0.3750  fix_first         修补区
2       VAL      0.1875      later         机会区
"""

from __future__ import annotations

import html

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import OptionError

__all__ = ["IPMA", "classify", "QUADRANTS"]

#: quadrant key -> (Chinese 四分图 name, English action)
QUADRANTS = {
    "keep": ("优势区", "strength: keep up"),
    "fix_first": ("修补区", "improve first"),
    "later": ("机会区", "lower priority"),
    "maintain": ("维持区", "maintain, do not over-invest"),
}


def _cuts(table: pd.DataFrame, cut: Any) -> tuple[float, float]:
    if isinstance(cut, str):
        if cut != "mean":
            raise OptionError(f"cut={cut!r}: use 'mean' or (importance, performance) cut points")
        return float(table["importance"].mean()), float(table["performance"].mean())
    try:
        imp, perf = (float(x) for x in cut)
    except (TypeError, ValueError):
        raise OptionError(f"cut={cut!r}: use 'mean' or a pair (importance, performance)") from None
    return imp, perf


def classify(table: pd.DataFrame, cut: Any = "mean") -> pd.DataFrame:
    """Add quadrant columns to a table with ``importance`` and ``performance`` columns.

    High means at or above the cut point. Returns a new DataFrame with columns
    ``quadrant`` (keep / fix_first / later / maintain), ``quadrant_zh`` and ``action``;
    the cut points are in ``.attrs["cut"]``.
    """
    imp_cut, perf_cut = _cuts(table, cut)
    out = table.copy()
    hi_imp = out["importance"].to_numpy(dtype=float) >= imp_cut
    hi_perf = out["performance"].to_numpy(dtype=float) >= perf_cut
    keys = np.where(hi_imp, np.where(hi_perf, "keep", "fix_first"),
                    np.where(hi_perf, "maintain", "later"))
    out["quadrant"] = keys
    out["quadrant_zh"] = [QUADRANTS[k][0] for k in keys]
    out["action"] = [QUADRANTS[k][1] for k in keys]
    out.attrs["cut"] = (imp_cut, perf_cut)
    return out


@dataclass(frozen=True)
class IPMA:
    """Importance-performance map for one target construct.

    Attributes
    ----------
    target : str
    constructs : DataFrame
        construct, importance, performance, quadrant, quadrant_zh, action.
    indicators : DataFrame
        construct, indicator, weight (rescaled-metric normalized weight), importance,
        performance, quadrant, quadrant_zh, action (cut at the indicator means).
    cut : tuple of float
        Construct-level (importance, performance) cut points.
    labels : dict
        Construct name -> label shown by :meth:`plot` (e.g. the spec's labels).
    """

    target: str
    constructs: pd.DataFrame
    indicators: pd.DataFrame
    cut: tuple[float, float]
    labels: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"<IPMA target={self.target!r}>\n{self.constructs.to_string(index=False)}"

    def _repr_html_(self) -> str:
        return f"<p>IPMA, target <b>{html.escape(str(self.target))}</b></p>" + self.constructs.to_html(index=False)

    def plot(self, level: str = "construct", ax: Any = None, chinese: bool = False,
             labels: Any = None):
        """Scatter of importance (x) vs performance (y) with the quadrant lines.

        Needs matplotlib (``pip install satmodel[plot]``). Returns the Axes. Points are
        labelled with ``labels`` (dict name -> label; default :attr:`labels`, else the
        names), placed so that no two labels overlap; the quadrant captions sit in
        margins kept free of points. ``chinese=True`` captions the quadrants
        优势区/修补区/机会区/维持区 in an installed CJK font
        (:func:`satmodel.index.plotting.cjk_font`); without one it warns and keeps the
        English captions.

        >>> import satmodel as sm
        >>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
        >>> res.ipma("LOY").plot()  # doctest: +SKIP
        """
        from .ipma_plot import draw

        if level not in ("construct", "indicator"):
            raise OptionError(f"level={level!r}: use 'construct' or 'indicator'")
        return draw(self, level, ax, chinese, dict(self.labels) | dict(labels or {}),
                    {k: v[0] for k, v in QUADRANTS.items()})
