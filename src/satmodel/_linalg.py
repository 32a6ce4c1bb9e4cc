"""Batched linear algebra that never raises: singular batch elements give NaN.

numpy raises ``LinAlgError`` for a whole batch when one element is singular; a
bootstrap or group batch must keep the good elements and mark the bad one. Every
batched solve, inverse and log-determinant of the package goes through here.

>>> import numpy as np
>>> A = np.stack([np.eye(2) * 2, np.zeros((2, 2))])
>>> solve(A, np.ones((2, 2))).tolist()
[[0.5, 0.5], [nan, nan]]
"""

from __future__ import annotations

import numpy as np

__all__ = ["solve", "inv", "logdet"]


def solve(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """x with A x = b for A (..., k, k) and b (..., k); NaN rows where A is singular."""
    A, b = np.asarray(A, dtype=float), np.asarray(b, dtype=float)
    with np.errstate(all="ignore"):
        try:
            return np.linalg.solve(A, b[..., None])[..., 0]
        except np.linalg.LinAlgError:
            flat_a = A.reshape((-1,) + A.shape[-2:])
            flat_b = b.reshape((-1, b.shape[-1]))
            out = np.full(flat_b.shape, np.nan)
            for i in range(flat_a.shape[0]):  # rare: find the singular elements
                try:
                    out[i] = np.linalg.solve(flat_a[i], flat_b[i])
                except np.linalg.LinAlgError:
                    pass
            return out.reshape(b.shape)


def inv(A: np.ndarray) -> np.ndarray:
    """Inverse of each (..., k, k) element; NaN (also for non-finite input) where singular."""
    A = np.asarray(A, dtype=float)
    flat = A.reshape((-1,) + A.shape[-2:])
    out = np.full(flat.shape, np.nan)
    ok = np.isfinite(flat).all(axis=(1, 2))
    with np.errstate(all="ignore"):
        try:
            out[ok] = np.linalg.inv(flat[ok])
        except np.linalg.LinAlgError:
            for i in np.flatnonzero(ok):
                try:
                    out[i] = np.linalg.inv(flat[i])
                except np.linalg.LinAlgError:
                    pass
    return out.reshape(A.shape)


def logdet(A: np.ndarray) -> np.ndarray:
    """log det of each element; NaN where the determinant is not positive."""
    sign, value = np.linalg.slogdet(np.asarray(A, dtype=float))
    return np.where(sign > 0, value, np.nan)
