"""The HTML report: one self-contained file (inline CSS, figures as base64 PNG, no script,
no network), rendered by Jinja2 with autoescaping; tables by pandas Styler on text
formatted here, so every name and label is escaped.

Needs ``pip install 'satmodel[report]'`` (jinja2, matplotlib).

>>> import satmodel as sm
>>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
>>> page = to_html(res, figures=False)
>>> page.startswith("<!DOCTYPE html>"), 'id="structural"' in page
(True, True)
"""

from __future__ import annotations

import base64
import io
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import OptionError
from ..results import display
import satmodel.report.content as report_content
import satmodel.report.marks as marks
from .blocks import KEYS, Figure, Table

__all__ = ["to_html", "render", "fmt_value", "text_frame"]

DPI = 150  # figures are drawn at 1.5x and shown at their 100-dpi size (sharp on HiDPI)


def _need(module: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:  # pragma: no cover - depends on the environment
        raise OptionError(f"the HTML report needs {module}: pip install 'satmodel[report]'") \
            from None


def fmt_value(value: Any, column: str = "", cuts: tuple = (), count: bool = False) -> str:
    """A cell as text: p-values as <0.001, counts (``count``) and integers plainly, else 3
    decimals (2 from 10, 1 from 1000), more where rounding would put the value onto or
    across one of its ``cuts`` (:mod:`satmodel.results.display`); missing as an en dash.

    >>> fmt_value(0.0001, "p"), fmt_value(0.04321, "p"), fmt_value(71.97274), fmt_value(pd.NA)
    ('<0.001', '0.043', '71.97', '–')
    >>> fmt_value(0.70797, "loading", (0.708,)), fmt_value(309.0, "estimated", count=True)
    ('0.70797', '309')
    """
    plain = display.plain_cell(value, "–", ("∞", "-∞"))
    if plain is not None:
        return plain
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if column == "p" or column.endswith("_p"):
            return "<0.001" if v < 0.001 else f"{v:.3f}"
        if count and v.is_integer():
            return f"{int(v)}"
        a = abs(v)
        v = 0.0 if a < 5e-4 and not cuts else v  # no "-0.000"
        if a >= 1000:
            return f"{v:,.1f}"
        return f"{v:.{display.decimals(v, 2 if a >= 10 else 3, cuts)}f}"
    return str(value)


def text_frame(df: pd.DataFrame, matrix: float | None = None) -> pd.DataFrame:
    """Every cell of ``df`` formatted by :func:`fmt_value` (strings, same shape); ``matrix``
    is the cut point of every cell of a square matrix (HTMT)."""
    cuts, counts = display.cut_points(df, matrix), display.count_cells(df)
    out = pd.DataFrame({c: [fmt_value(v, str(c), k, n) for v, k, n in zip(
        df[c].tolist(), cuts[str(c)], counts[str(c)])] for c in df.columns}, index=df.index)
    out.columns = [str(c) for c in df.columns]
    return out


def _table_html(block: Table, k: int) -> str:
    df = block.frame.reset_index(drop=True)
    text = text_frame(df, marks.matrix_cut(block.rule))
    classes = pd.DataFrame("", index=text.index, columns=text.columns)
    numeric = []
    for c, orig in zip(text.columns, df.columns):
        if pd.api.types.is_numeric_dtype(df[orig]) and orig not in KEYS:
            numeric.append(c)
        else:
            classes[c] = "txt"
    if block.flags is not None:
        flags = block.flags.reset_index(drop=True).to_numpy()
        classes = classes.where(~flags, classes + " warn")
    from pandas.io.formats.style import Styler

    sty = Styler(text, uuid=f"t{k}", cell_ids=False)  # escape every cell and header
    sty = sty.format(escape="html").format_index(escape="html", axis=1)
    sty = sty.hide(axis="index").set_td_classes(classes).set_table_styles(
        {c: [{"selector": "th", "props": "text-align: right;"}] for c in numeric})
    return sty.set_table_attributes('class="data"').to_html()


def _png(block: Figure) -> dict[str, Any]:
    _need("matplotlib")
    from matplotlib.figure import Figure as MplFigure

    fig = MplFigure()
    block.draw(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight", facecolor="white")
    data = buf.getvalue()
    w = int.from_bytes(data[16:20], "big")  # PNG IHDR: width, height
    h = int.from_bytes(data[20:24], "big")
    return {"kind": "figure", "caption": block.caption, "alt": block.alt,
            "png": base64.b64encode(data).decode("ascii"),
            "width": round(w * 100 / DPI), "height": round(h * 100 / DPI)}


def render(content: Any, *, created: str | None = None) -> str:
    """HTML text of a :class:`~satmodel.report.blocks.Content`."""
    jinja2 = _need("jinja2")
    folder = resources.files("satmodel.report") / "templates"
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    template = env.from_string((folder / "report.html.j2").read_text(encoding="utf-8"))
    css = (folder / "report.css").read_text(encoding="utf-8")
    sections = []
    k = 0
    for section in content.sections:
        blocks = []
        for block in section.blocks:
            if isinstance(block, Figure):
                blocks.append(_png(block))
            else:
                k += 1
                blocks.append({"kind": "table", "caption": block.caption, "note": block.note,
                               "html": jinja2.utils.markupsafe.Markup(_table_html(block, k))})
        sections.append({"id": section.id, "title": section.title, "text": section.text,
                         "blocks": blocks})
    created = created or datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    view = {"title": content.title, "subtitle": content.subtitle, "facts": content.facts,
            "sections": sections}
    return template.render(content=view, css=jinja2.utils.markupsafe.Markup(css),
                           versions=content.versions, created=created)


def to_html(res: Any, path: str | Path | None = None, *, level: float | None = None,
            ipma: Any = None, items: bool = False, figures: bool = True,
            data: Any = None) -> str:
    """Write the HTML report of a result (PLS, CB-SEM or grouped) and return its text.

    Parameters
    ----------
    res : PLSResult, CBSEMResult or GroupedPLSResult
    path : str or Path, optional
        File to write (UTF-8); nothing is written when None.
    level, ipma, items, figures, data
        See :func:`satmodel.report.content.build`: significance level (default: the
        bootstrap's), IPMA targets (default: the outcomes), items in the path diagram,
        whether to draw figures (needs matplotlib), the data read from an SPSS file
        (its value labels and user-missing codes are shown).

    Examples
    --------
    >>> import satmodel as sm
    >>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
    >>> sm.to_html(res.bootstrap(n=500, seed=1), "ecsi.html")  # doctest: +SKIP
    """
    page = render(report_content.build(res, level=level, ipma=ipma, items=items,
                                       figures=figures, data=data))
    if path is not None:
        Path(path).write_text(page, encoding="utf-8")
    return page
