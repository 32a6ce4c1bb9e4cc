"""Survey codes that would otherwise be read as answers (-99, 9 on a 1-7 scale, 999, ...).

Items with a declared scale are checked against it (``coding.scale_problems``). For items
without one, a value is taken for a missing-data code (don't know, refusal, not asked)
when the item is integer-valued and

- it is negative while the other answers are not, and it is rare (under a quarter of
  the answers) and either a usual code (-1, -7, -8, -9, -97 ... -999) or separated
  from the other answers by a gap; or
- it is a usual high code far above the other answers and rare: 8 or 9 above a
  scale topping at 7 or less with an unused value between (under a tenth of the
  answers), or 77, 88, 97, 98, 99, 777, ..., 999 above twice the top answer.

Items with fewer than 20 answers are not judged (gaps there are common by chance).

Such a value stops the fit with a DataError naming the item, the value, how often it
occurs, and the two ways out: ``na_values=`` (it is a code) or a declared scale (it is
an answer: ``scales=`` or ``# satmodel: ITEM scale=MIN..MAX``).

>>> import numpy as np
>>> looks_like_codes(np.array([1.0, 5, 7, 3, -99, 4] * 5))
[-99.0]
>>> looks_like_codes(np.array([-3.0, -2, -1, 0, 1, 2, 3] * 5))
[]
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["looks_like_codes", "codes_in_counts", "code_problems", "LOW_CODES", "HIGH_CODES"]

LOW_CODES = frozenset({-1.0, -7.0, -8.0, -9.0, -77.0, -88.0, -97.0, -98.0, -99.0, -777.0,
                       -888.0, -997.0, -998.0, -999.0, -9999.0})
HIGH_CODES = frozenset({8.0, 9.0, 66.0, 77.0, 88.0, 96.0, 97.0, 98.0, 99.0, 666.0, 777.0,
                        888.0, 996.0, 997.0, 998.0, 999.0, 9999.0})
_RARE = 0.25
_MIN_ANSWERS = 20


def looks_like_codes(col: np.ndarray) -> list[float]:
    """The values of one item (NaN ignored) that look like missing-data codes."""
    x = col[~np.isnan(col)] if np.isnan(col).any() else col
    if x.size < _MIN_ANSWERS or (x.min() >= 0 and x.max() < 8) or not np.all(x == np.round(x)):
        return []
    return codes_in_counts(*np.unique(x, return_counts=True))


def codes_in_counts(values: np.ndarray, counts: np.ndarray) -> list[float]:
    """:func:`looks_like_codes` of an integer-valued item given as its distinct values
    (sorted) and their counts (a streamed item: ``satmodel.survey.stream_clean``)."""
    size = int(np.sum(counts))
    if size < _MIN_ANSWERS or (values[0] >= 0 and values[-1] < 8):
        return []
    share = dict(zip(np.asarray(values).tolist(), (np.asarray(counts) / size).tolist()))
    found = []
    low = [v for v in share if v < 0]
    rest = [v for v in share if v >= 0]
    if low and rest and sum(share[v] for v in low) < _RARE:
        if max(low) < min(rest) - 1 or set(low) <= LOW_CODES:  # a gap, or only usual codes
            found += low
    high = [v for v in share if v in HIGH_CODES]
    others = [v for v in share if v not in HIGH_CODES and v not in found]
    if high and others:
        top = max(others)
        found += [v for v in high if share[v] < _RARE and (
            v > max(top + 1, 2 * top) if v >= 10 else (top <= 7 and v > top + 1 and share[v] < 0.1))]
    return sorted(found)


def code_problems(spec: Any, converted: dict[str, np.ndarray]) -> list[str]:
    """One message per item (without a declared scale) holding values that look like codes."""
    problems = []
    for con in spec.constructs:
        for ind in con.indicators:
            col = converted.get(ind.name)
            if col is None or ind.scale_min is not None:
                continue
            codes = looks_like_codes(col)
            if not codes:
                continue
            hits = np.isin(col, codes)
            counts = ", ".join(f"{v:g} ({int((col == v).sum())}x)" for v in codes)
            rows = (np.flatnonzero(hits)[:5] + 1).tolist()
            listed = "[" + ", ".join(f"{v:g}" for v in codes) + "]"
            problems.append(
                f"item {ind.name} (construct {con.name}) has value(s) that look like survey codes "
                f"(don't know, refusal), not answers: {counts}; e.g. at row positions {rows} "
                f"(counting from 1). If they are codes, pass na_values={listed} (with a missing= treatment); "
                f"if they are real answers, declare the item's scale: scales={{'{ind.name}': "
                f"(MIN, MAX)}} or '# satmodel: {ind.name} scale=MIN..MAX' in the lavaan text.")
    return problems
