"""Text and HTML summaries of any result (header, tables, diagnostics, next steps).

A result supplies ``_summary_header()`` (lines) and ``_summary_sections()`` (titled
tables) and may supply ``_summary_next()`` (hints: what to look at next); both
renderings list the result's diagnostics. Text tables wrap at 100 columns; numbers follow
:mod:`satmodel.results.display` (counts as integers, no value rounded onto its threshold,
missing values as ``-``, never ``<NA>``). The HTML rendering (``_repr_html_``) is compact:
the first table open, the others folded.

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

from ..assess.rules import DEFAULTS
from .display import summary_frame

__all__ = ["summary_text", "summary_html", "WIDTH"]

WIDTH = 100  #: characters a text summary's lines keep within


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


def _matrix(title: str) -> float | None:
    """The cut point of a square matrix section (HTMT), for :mod:`.display`."""
    return DEFAULTS["htmt"] if "HTMT" in title else None


def _text_table(df: pd.DataFrame, title: str = "") -> str:
    text = summary_frame(df, _matrix(title)).to_string(index=False, line_width=WIDTH)
    lines = []
    for line in text.splitlines():  # a long message column: wrap it
        lines += textwrap.wrap(line, WIDTH, subsequent_indent="    ",
                               drop_whitespace=False) if len(line) > WIDTH else [line]
    return "\n".join(lines)


def summary_text(res: Any, hints: list[str] | None = None) -> str:
    """Plain-text report: the header lines, every section as a table, then next steps
    (``hints``: instead of the result's own, e.g. the command line's)."""
    lines = [wrapped for line in res._summary_header()
             for wrapped in (textwrap.wrap(line, WIDTH) or [""])]
    for title, df in _sections(res):
        lines += ["", title, "-" * len(title)]
        if title == "Diagnostics":  # a list: messages are sentences, not table cells
            lines += [w for r in df.itertuples(index=False) for w in textwrap.wrap(
                f"- {r.severity} ({r.code}): {r.message}", WIDTH, subsequent_indent="  ")]
        else:
            lines.append(_text_table(df, title))
    hints = _next(res) if hints is None else hints
    if hints:
        lines += ["", "What to look at next", "--------------------"]
        lines += [w for h in hints for w in textwrap.wrap(f"- {h}", WIDTH, subsequent_indent="  ")]
    return "\n".join(lines)


def _html_table(df: pd.DataFrame, title: str) -> str:
    return summary_frame(df, _matrix(title)).to_html(index=False, border=0,
                                                     classes="satmodel-table")


def summary_html(res: Any) -> str:
    """Compact HTML for Jupyter (``_repr_html_``; all text escaped): the header, the first
    table, every other table folded (``<details>``, no script), the diagnostics (folded,
    their count shown) and what to look at next."""
    header = "<br>".join(html.escape(line) for line in res._summary_header())
    parts = ["<div class='satmodel-summary'>", f"<p>{header}</p>"]
    sections = _sections(res)
    for k, (title, df) in enumerate(sections):
        label = html.escape(title)
        if title == "Diagnostics":
            label += f" ({len(df)})"
        table = _html_table(df, title)
        if k == 0:
            parts += [f"<h4>{label}</h4>", table]
        else:
            parts.append(f"<details><summary><b>{label}</b></summary>{table}</details>")
    hints = _next(res)
    if hints:
        parts.append("<details><summary><b>What to look at next</b></summary><ul>")
        parts += [f"<li>{html.escape(h)}</li>" for h in hints]
        parts.append("</ul></details>")
    parts.append("</div>")
    return "\n".join(parts)
