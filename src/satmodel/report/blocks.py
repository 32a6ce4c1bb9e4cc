"""The building blocks of a report (tables with their flags, figures, sections) and the
column choices that keep wide inference tables readable.

A :class:`Table` keeps the full-precision frame; renderers format it. Flags mark the
cells that break a rule of thumb (:func:`satmodel.report.marks.flags`).

>>> import pandas as pd
>>> t = table("Outer model", pd.DataFrame({"indicator": ["a"], "loading": [0.5]}), rule="outer")
>>> bool(t.flags["loading"].iloc[0])
True
>>> shown(pd.DataFrame(columns=["source", "target", "estimate", "se", "t", "p", "ci_lower",
...                             "ci_upper"]), ["estimate"])
['source', 'target', 'estimate', 'se', 'p', 'ci_lower', 'ci_upper']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

import satmodel.report.marks as marks

__all__ = ["Table", "Figure", "Section", "Content", "table", "shown", "KEYS"]

#: columns that name a row rather than hold a value
KEYS = ("group", "construct", "indicator", "source", "target", "model", "measure", "criterion",
        "element", "setting", "label", "mode", "items", "scale", "quadrant", "action",
        "severity", "code", "message", "names", "verdict", "threshold", "source_ref", "sig",
        "size")


@dataclass(frozen=True)
class Table:
    """A titled table; ``flags`` (same shape, bool) marks values outside their rule."""

    caption: str
    frame: pd.DataFrame
    flags: pd.DataFrame | None = None
    note: str = ""
    index: bool = False  # show the row labels (square matrices)
    rule: str = ""  # the rule of thumb behind the flags (:func:`satmodel.report.marks.flags`)


@dataclass(frozen=True)
class Figure:
    """A figure drawn on demand into a matplotlib Figure (no pyplot, no global state)."""

    caption: str
    draw: Callable[[Any], Any]
    alt: str


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    text: list[str] = field(default_factory=list)
    blocks: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class Content:
    """Everything a report shows, independent of the output format."""

    title: str
    subtitle: str
    facts: list[tuple[str, str]]
    sections: list[Section]
    alpha: float | None
    versions: dict[str, str]


def table(caption: str, frame: pd.DataFrame, *, rule: str = "", note: str = "",
          index: bool = False) -> Table:
    """A :class:`Table` whose flags follow the rule named ``rule`` (none when empty)."""
    flags = marks.flags(rule, frame) if rule else None
    if flags is not None and not flags.to_numpy().any():
        flags = None
    return Table(caption, frame, flags, note, index, rule)


def shown(df: pd.DataFrame, values: Sequence[str],
          parts: Sequence[str] = ("se", "p", "sig", "ci_lower", "ci_upper")) -> list[str]:
    """Key columns, then per value column: the value and its ``parts`` (inference columns
    as present: se, p, sig, the interval; never t)."""
    cols = [c for c in df.columns if c in KEYS and c != "sig"]
    for v in values:
        if v not in df.columns:
            continue
        cols.append(v)
        pre = "" if f"{v}_se" not in df.columns and "se" in df.columns and len(values) == 1 \
            else f"{v}_"
        for suffix in parts:
            name = f"{pre}{suffix}"
            if name in df.columns and name not in cols:
                cols.append(name)
    return cols
