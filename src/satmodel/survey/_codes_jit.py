"""The numba-compiled pass of :func:`satmodel.survey.adapters.narrow_codes` (imported
through :class:`satmodel._compiled.Compiled` only; importing this module imports numba).
"""

from __future__ import annotations

from numba import njit


@njit(cache=True, nogil=True)
def copy_with_range(column, out):
    """Copy the integer ``column`` into ``out`` (a narrower integer column: values out of
    its range wrap, and the caller discards ``out`` then) and return the column's minimum
    and maximum, in one pass over the column."""
    lo = hi = column[0]
    for i in range(column.shape[0]):
        v = column[i]
        if v < lo:
            lo = v
        if v > hi:
            hi = v
        out[i] = v
    return lo, hi
