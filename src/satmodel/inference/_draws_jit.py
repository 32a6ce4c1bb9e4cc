"""The numba-compiled counting step of bootstrap draws (imported through
:class:`satmodel._compiled.Compiled` only; importing this module imports numba)."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def row_counts(idx, n):
    """How often each of ``n`` rows was drawn in each resample: ``idx`` (B, m) row
    indices in [0, n) -> counts (B, n) as floats."""
    B, m = idx.shape
    out = np.zeros((B, n))
    for b in range(B):
        for r in range(m):
            out[b, idx[b, r]] += 1.0
    return out
