"""Companion metrics printed next to the index: NPS, top-box shares, Kano (docs/methods.md §6.8).

All take plain arrays (or pandas Series) of answers, ignore missing answers (NaN /
None) and accept sampling weights.

Examples
--------
>>> nps([10, 9, 9, 8, 7, 6, 3, 10, 5, 9])
20.0
>>> round(top_box([10, 9, 9, 8, 7, 6, 3, 10, 5, 9], scale_max=10, k=2), 2)
0.5
>>> k = kano_summary({"A": 30, "O": 25, "M": 20, "I": 20, "R": 3, "Q": 2})
>>> k["category"], round(k["better"], 7), round(k["worse"], 7)
('A', 0.5789474, -0.4736842)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError

__all__ = ["nps", "top_box", "kano_category", "kano_summary", "kano", "KANO_TABLE"]

_ANSWERS = ("like", "must-be", "neutral", "live-with", "dislike")
#: Kano evaluation table: rows functional answer, columns dysfunctional answer.
KANO_TABLE = (
    ("Q", "A", "A", "A", "O"),
    ("R", "I", "I", "I", "M"),
    ("R", "I", "I", "I", "M"),
    ("R", "I", "I", "I", "M"),
    ("R", "R", "R", "R", "Q"),
)
_CATEGORIES = ("A", "O", "M", "I", "R", "Q")
_ALIASES = {"must be": "must-be", "mustbe": "must-be", "expect": "must-be",
            "live with": "live-with", "livewith": "live-with", "tolerate": "live-with"}


def _values(x: Any, weights: Any) -> tuple[np.ndarray, np.ndarray]:
    v = pd.to_numeric(pd.Series(np.asarray(x, dtype=object).ravel()), errors="coerce").to_numpy(float)
    w = np.ones_like(v) if weights is None else np.asarray(weights, dtype=float).ravel()
    if w.shape != v.shape:
        raise DataError(f"weights has {w.size} values for {v.size} answers")
    if not np.all(np.isfinite(w)) or (w < 0).any():
        raise DataError("weights must be finite and >= 0")
    keep = ~np.isnan(v)
    if not keep.any() or w[keep].sum() <= 0:
        raise DataError("no answered question (every answer is missing or has weight 0)")
    return v[keep], w[keep]


def nps(recommend: Any, weights: Any = None) -> float:
    """Net Promoter Score: 100 · (share of promoters 9-10 − share of detractors 0-6).

    ``recommend`` holds 0-10 answers (Reichheld 2003); with ``weights`` the shares are
    weighted. Values outside 0-10 raise DataError.

    >>> nps([10, 9, 0, 7], weights=[1, 1, 2, 1])
    0.0
    """
    v, w = _values(recommend, weights)
    bad = (v < 0) | (v > 10)
    if bad.any():
        raise DataError(f"NPS needs answers on 0-10; got {sorted(set(v[bad].tolist()))[:5]}")
    total = w.sum()
    return float(100.0 * (w[v >= 9].sum() - w[v <= 6].sum()) / total)


def top_box(answers: Any, scale_max: float, k: int = 2, weights: Any = None) -> float:
    """Share (0-1) of answers in the top ``k`` categories of an integer scale.

    Top-2-box on 1-10 is the share answering 9 or 10 (``answers >= scale_max - k + 1``).

    >>> top_box([5, 4, 3, 5, 1], scale_max=5, k=2)
    0.6
    """
    v, w = _values(answers, weights)
    if v.max() > scale_max:
        raise DataError(f"an answer ({v.max():g}) exceeds scale_max={scale_max:g}")
    return float(w[v >= scale_max - k + 1].sum() / w.sum())


def _answer(a: Any) -> int:
    if isinstance(a, str):
        key = a.strip().lower().replace("_", "-")
        key = _ALIASES.get(key, key)
        if key in _ANSWERS:
            return _ANSWERS.index(key)
    elif isinstance(a, (int, np.integer, float)) and float(a) in (1, 2, 3, 4, 5):
        return int(a) - 1
    raise DataError(f"Kano answer {a!r} is not one of {_ANSWERS} (or 1-5 in that order)")


def kano_category(functional: Any, dysfunctional: Any) -> str:
    """Kano category (A, O, M, I, R, Q) of one functional/dysfunctional answer pair.

    Answers are "like", "must-be", "neutral", "live-with", "dislike" or 1-5 in that order.

    >>> kano_category("like", "dislike"), kano_category("neutral", "dislike"), kano_category(1, 3)
    ('O', 'M', 'A')
    """
    return KANO_TABLE[_answer(functional)][_answer(dysfunctional)]


def kano_summary(counts: Mapping[str, float]) -> dict[str, Any]:
    """Category (mode), Better and Worse coefficients from category counts.

    Better = (A + O)/(A + O + M + I), Worse = −(O + M)/(A + O + M + I) (Berger et al.
    1993). Returns a dict with ``counts``, ``category`` (the mode; ties joined by "/"),
    ``tie``, ``better``, ``worse`` and ``q_share`` (questionable answers).
    """
    c = {k: float(counts.get(k, 0.0)) for k in _CATEGORIES}
    unknown = set(counts) - set(_CATEGORIES)
    if unknown:
        raise DataError(f"unknown Kano categories {sorted(unknown)}; use {_CATEGORIES}")
    total = sum(c.values())
    if total <= 0:
        raise DataError("no Kano answers to summarize")
    top = max(c.values())
    modes = [k for k in _CATEGORIES if c[k] == top]
    base = c["A"] + c["O"] + c["M"] + c["I"]
    better = (c["A"] + c["O"]) / base if base else float("nan")
    worse = -(c["O"] + c["M"]) / base if base else float("nan")
    return {"counts": c, "category": "/".join(modes), "tie": len(modes) > 1,
            "better": better, "worse": worse, "q_share": c["Q"] / total}


def kano(functional: Any, dysfunctional: Any, weights: Any = None) -> dict[str, Any]:
    """Classify every respondent's answer pair and summarize (:func:`kano_summary`).

    Missing pairs (None/NaN in either answer) are skipped; ``weights`` weight the counts.

    >>> kano(["like", "like", "neutral"], ["dislike", "neutral", "dislike"])["category"]
    'A/O/M'
    """
    f, d = list(functional), list(dysfunctional)
    if len(f) != len(d):
        raise DataError(f"{len(f)} functional but {len(d)} dysfunctional answers")
    w = [1.0] * len(f) if weights is None else [float(x) for x in weights]
    counts = dict.fromkeys(_CATEGORIES, 0.0)
    for a, b, wt in zip(f, d, w):
        if a is None or b is None or (isinstance(a, float) and np.isnan(a)) or \
                (isinstance(b, float) and np.isnan(b)):
            continue
        counts[kano_category(a, b)] += wt
    return kano_summary(counts)
