"""Poisson(1) bootstrap counts that depend only on a seed and a row's position.

The Poisson bootstrap (Hanley & MacGibbon 2006; Chamandy et al. 2012) gives each row an
independent Poisson(1) count per resample instead of multinomial counts, so a resample
needs no knowledge of n or of the other rows: data read as a stream or spread over
machines are resampled where they lie. Here row ``r``'s counts come from a counter-based
generator (numpy's Philox) keyed by the seed, whose counter is the block of rows ``r``
falls in (``BLOCK`` rows a block): the same seed gives every row the same counts however
the rows are batched or partitioned, and batches read blocks on their own.

>>> key = poisson_key(7)
>>> whole = poisson_counts(key, 0, 3000, 4)
>>> parts = np.concatenate([poisson_counts(key, 0, 1234, 4), poisson_counts(key, 1234, 3000, 4)],
...                        axis=1)
>>> whole.shape, bool((whole == parts).all())
((4, 3000), True)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["poisson_key", "poisson_counts", "BLOCK"]

#: rows sharing one counter of the generator
BLOCK = 1024
#: P(X <= k) of Poisson(1), k = 0, 1, ... while below 1 in float64
_CDF = np.cumsum([math.exp(-1.0) / math.factorial(k) for k in range(30)])
_CDF = _CDF[_CDF < 1.0]


def poisson_key(seed: Any) -> np.ndarray:
    """The generator key (2 uint64) of a seed (an int, None, a SeedSequence or Generator, as
    ``numpy.random.default_rng`` takes them; None draws a fresh one)."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, np.iinfo(np.uint64).max, size=2, dtype=np.uint64, endpoint=True)


def poisson_counts(key: np.ndarray, start: int, stop: int, n_draws: int) -> np.ndarray:
    """Poisson(1) counts (``n_draws``, ``stop - start``) of the rows ``start`` to ``stop - 1``
    (positions in the whole data), as float64 row weights."""
    out = np.empty((n_draws, stop - start))
    if stop <= start:
        return out
    for block in range(start // BLOCK, (stop - 1) // BLOCK + 1):
        first = block * BLOCK
        gen = np.random.Generator(np.random.Philox(key=key, counter=block << 192))
        draws = _inverse_cdf(gen.random((n_draws, BLOCK)))
        lo, hi = max(start, first), min(stop, first + BLOCK)
        out[:, lo - start:hi - start] = draws[:, lo - first:hi - first]
    return out


def _inverse_cdf(u: np.ndarray) -> np.ndarray:
    """Poisson(1) counts of uniforms: the number of CDF values at or below each."""
    out = np.zeros(u.shape)
    for threshold in _CDF[: int(np.searchsorted(_CDF, u.max(), side="right"))]:
        out += u >= threshold
    return out
