"""Text and HTML summaries of any result (header, tables, diagnostics, next steps).

A result supplies ``_summary_header()`` (lines) and ``_summary_sections()`` (titled
tables) and may supply ``_summary_next()`` (hints: what to look at next); both
renderings list the result's diagnostics. Text tables wrap at 100 columns; missing
values show as ``-`` (nullable ``<NA>`` included).

>>> import satmodel as sm
>>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
>>> text = res.summary()
>>> "Path coefficients" in text and "<NA>" not in text
True
>>> max(len(line) for line in text.splitlines()) <= WIDTH
True
"""

from __future__ import annotations

import html
import textwrap
from typing import Any

import pandas as pd

__all__ = ["summary_text", "summary_html", "plain", "WIDTH"]

WIDTH = 100  #: characters a text summary's lines keep within


def plain(df: pd.DataFrame) -> pd.DataFrame:
    """Nullable numeric columns as float (so ``<NA>`` renders as the na_rep)."""
    out = df.copy()
    for c in out.columns:
        if isinstance(out[c].dtype, pd.api.extensions.ExtensionDtype) and \
                pd.api.types.is_numeric_dtype(out[c]):
            out[c] = out[c].astype("float64")
    return out


def _sections(res: Any) -> list[tuple[str, pd.DataFrame]]:
    sections = list(res._summary_sections())
    if res.diagnostics:
        sections.append(("Diagnostics", pd.DataFrame(
            [(d.severity, d.code, d.message) for d in res.diagnostics],
            columns=["severity", "code", "message"])))
    return sections


def _next(res: Any) -> list[str]:
    hook = getattr(res, "_summary_next", None)
    return list(hook()) if hook is not None else []


def _fmt(v: float) -> str:
    return f"{v:.4f}" if abs(v) < 1e5 else f"{v:.4g}"


def _text_table(df: pd.DataFrame) -> str:
    df = plain(df)
    text = df.to_string(index=False, float_format=_fmt, na_rep="-", line_width=WIDTH)
    lines = []
    for line in text.splitlines():  # a long message column: wrap it
        lines += textwrap.wrap(line, WIDTH, subsequent_indent="    ",
                               drop_whitespace=False) if len(line) > WIDTH else [line]
    return "\n".join(lines)


def summary_text(res: Any) -> str:
    """Plain-text report: the header lines, every section as a table, then next steps."""
    lines = [wrapped for line in res._summary_header()
             for wrapped in (textwrap.wrap(line, WIDTH) or [""])]
    for title, df in _sections(res):
        lines += ["", title, "-" * len(title), _text_table(df)]
    hints = _next(res)
    if hints:
        lines += ["", "What to look at next", "--------------------"]
        lines += [w for h in hints for w in textwrap.wrap(f"- {h}", WIDTH, subsequent_indent="  ")]
    return "\n".join(lines)


def summary_html(res: Any) -> str:
    """HTML version of :func:`summary_text` for Jupyter (all text escaped)."""
    header = "<br>".join(html.escape(line) for line in res._summary_header())
    parts = ["<div class='satmodel-summary'>", f"<p>{header}</p>"]
    for title, df in _sections(res):
        parts.append(f"<h4>{html.escape(title)}</h4>")
        parts.append(plain(df).to_html(index=False, float_format=_fmt, na_rep="-"))
    hints = _next(res)
    if hints:
        parts.append("<h4>What to look at next</h4><ul>")
        parts += [f"<li>{html.escape(h)}</li>" for h in hints]
        parts.append("</ul>")
    parts.append("</div>")
    return "\n".join(parts)
