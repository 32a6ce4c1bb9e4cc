"""Text and HTML summaries of any result (header, tables, diagnostics).

A result supplies ``_summary_header()`` (lines) and ``_summary_sections()`` (titled
tables); both renderings list the result's diagnostics.

>>> import satmodel as sm
>>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
>>> "Path coefficients" in res.summary()
True
"""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

__all__ = ["summary_text", "summary_html"]


def _sections(res: Any) -> list[tuple[str, pd.DataFrame]]:
    sections = list(res._summary_sections())
    if res.diagnostics:
        sections.append(("Diagnostics", pd.DataFrame(
            [(d.severity, d.code, d.message) for d in res.diagnostics],
            columns=["severity", "code", "message"])))
    return sections


def summary_text(res: Any) -> str:
    """Plain-text report: the header lines, then every section as a table."""
    lines = list(res._summary_header())
    for title, df in _sections(res):
        lines += ["", title, "-" * len(title),
                  df.to_string(index=False, float_format=lambda v: f"{v:.4f}", na_rep="-")]
    return "\n".join(lines)


def summary_html(res: Any) -> str:
    """HTML version of :func:`summary_text` for Jupyter (all text escaped)."""
    header = "<br>".join(html.escape(line) for line in res._summary_header())
    parts = ["<div class='satmodel-summary'>", f"<p>{header}</p>"]
    for title, df in _sections(res):
        parts.append(f"<h4>{html.escape(title)}</h4>")
        parts.append(df.to_html(index=False, float_format=lambda v: f"{v:.4f}", na_rep="-"))
    parts.append("</div>")
    return "\n".join(parts)
