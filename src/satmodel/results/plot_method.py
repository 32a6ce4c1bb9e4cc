"""``res.plot()``: the path diagram of a fitted model, as :func:`satmodel.plot_paths` draws
it (higher-order constructs with their components, interaction terms such as ``SAT × IMAG``,
under the user's names).

The diagram is drawn by the report layer, which sits above the results. Results never
import it (tests/test_layout.py): the report layer registers its drawing function here when
it is imported (``import satmodel`` does that), and the method passes every option through
unchanged.

>>> import satmodel as sm
>>> from matplotlib.figure import Figure
>>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
>>> ax = res.plot(ax=Figure())
>>> "Satisfaction" in [t.get_text().split("\\n")[0] for t in ax.texts]
True
"""

from __future__ import annotations

from typing import Any, Callable

from ..errors import NotAvailableError

__all__ = ["plot", "register_drawing"]

_DRAWING: list[Callable[..., Any]] = []


def register_drawing(draw: Callable[..., Any]) -> None:
    """Called once by :mod:`satmodel.report.pathplot` with its ``plot_paths``."""
    _DRAWING[:] = [draw]


def plot(self: Any, *, ax: Any = None, level: float | None = None, labels: str = "label",
         items: bool = False, title: str | None = None) -> Any:
    """Draw the path diagram of this result; returns the matplotlib Axes.

    Same options as :func:`satmodel.plot_paths`: ``ax`` (an Axes or Figure to draw in;
    default a new figure sized to the model), ``level`` (significance level of the stars,
    default the bootstrap's), ``labels`` ("label" or "name"), ``items`` (also draw the
    items with their loadings), ``title``.
    """
    if not _DRAWING:
        raise NotAvailableError("res.plot() needs the report layer: import satmodel (not only "
                                "satmodel.results), or call satmodel.plot_paths(res)")
    return _DRAWING[0](self, ax=ax, level=level, labels=labels, items=items, title=title)
