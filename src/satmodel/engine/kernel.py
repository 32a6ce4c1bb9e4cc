"""The PLS estimate compiled by numba (optional extra ``satmodel[fast]``).

:func:`iterate` runs Lohmöller's iteration of :mod:`satmodel.engine.pls` in compiled
code, :data:`LANES` batch elements side by side (the element index is the innermost,
SIMD axis; each element still stops on its own): Mode A, Mode B and unit weights, the
path, centroid and factorial schemes, the stop rules ``max_abs``, ``sum_abs`` and
``sum_sq``, standardized or unstandardized items. Its weights and iteration counts are
the numpy path's to rounding (tests/test_engine_kernel.py: 1e-12). :func:`finish`
computes the rest of the estimate (cross-loadings, orientation, rho_A and PLSc, paths,
R², total effects) one element at a time (tests/test_engine_finish.py). An element that
either step cannot finish cleanly (a singular system, a zero inner variance, non-finite
numbers) is marked, and :func:`satmodel.engine.pls.estimate` redoes it on the
numpy path, which reports breakdowns its own way.

It is used when numba imports and the batch has at least :data:`MIN_BATCH` elements (a
single fit keeps the numpy path: no numba import or compile for it); the environment
variable ``SATMODEL_NUMBA=0`` turns it off, and so does numba itself failing to load or
build the code at a call (a broken disk cache): the numpy path then does the work. The
compiled code is cached on disk (``cache=True``), so only the first call on a machine
compiles (~5 s); every new process pays once for importing numba and loading that cache
(~0.3-0.4 s on the first batched call). In return the engine (iteration and finish) runs
7-9x faster than the numpy path at B = 1,000 (1,000 ECSI bootstrap estimates on one core:
4.6-6.4 vs ~42 ms; benchmarks/README.md, "What the compiled code buys").

>>> import numpy as np
>>> from satmodel.engine import Layout
>>> lay = Layout(block_of=np.array([0, 0, 1, 1]), modes=("A", "A"),
...              adjacency=np.array([[False, True], [False, False]]),
...              common_factor=np.array([True, True]))
>>> S = np.array([[1.0, 0.6, 0.3, 0.3], [0.6, 1.0, 0.3, 0.3],
...               [0.3, 0.3, 1.0, 0.5], [0.3, 0.3, 0.5, 1.0]])
>>> out = iterate(np.stack([S] * MIN_BATCH), lay, "path", 1e-7, 300, "max_abs", None, None)
>>> out is None or bool(out[2].all())  # None without numba
True
"""

from __future__ import annotations

import numpy as np

from .._compiled import MIN_BATCH, Compiled
from ..spec.layout import Layout

__all__ = ["FINISH", "ITERATION", "MIN_BATCH", "available", "finish", "iterate"]

#: batch elements iterated together (the innermost, SIMD axis of the kernel's loops);
#: the compiled module's vector helpers are built for this count (``_kernel_jit.LANES``)
LANES = 16

_SCHEMES = {"path": 0, "centroid": 1, "factorial": 2}
_STOPS = {"max_abs": 0, "sum_abs": 1, "sum_sq": 2}
_MODES = {"A": 0, "B": 1, "unit": 2}
_REDO, _NOT_CONVERGED, _CONVERGED = 2, 1, 0

#: the jitted iteration (``ITERATION.fn``: None before loading, False when unusable)
ITERATION = Compiled("satmodel.engine._kernel_jit", "run", "PLS iteration")
#: the jitted steps after the iteration (loadings, orientation, rho_A, paths, ...)
FINISH = Compiled("satmodel.engine._finish_jit", "finish", "PLS estimate")


def available() -> bool:
    """Whether the compiled iteration can run (numba imports and is not switched off)."""
    return ITERATION.get() is not None


def iterate(S: np.ndarray, lay: Layout, scheme: str, tol: float, max_iter: int, stop: str,
            item_scale: np.ndarray | None, plspm_k: np.ndarray | None):
    """Weights (B, p), iteration counts (B,), converged (B,) and the elements to redo on
    the numpy path (B,) bool for ``S`` (B, p, p); None when the kernel is unavailable or
    the batch is small. ``item_scale`` (1 or B, p) or None; ``plspm_k`` (B, 1) or None."""
    B, p = S.shape[0], S.shape[-1]
    starts = lay.starts()  # None: blocks not in spec order
    if B < MIN_BATCH or starts is None or p != lay.block_of.size or not available():
        return None  # (a size mismatch: the numpy path raises its error)
    unit = item_scale is None
    scale = np.ones((1, p)) if unit else np.ascontiguousarray(item_scale, dtype=float)
    k = np.ones(B) if plspm_k is None else \
        np.ascontiguousarray(np.broadcast_to(plspm_k, (B, 1))[:, 0], dtype=float)
    w = np.empty((B, p))
    n_iter = np.zeros(B, dtype=np.int64)
    status = np.empty(B, dtype=np.int8)
    nptr, nidx, pptr, pidx = _neighbours(lay, scheme)
    ran, _ = ITERATION.call(
        np.ascontiguousarray(S, dtype=float), lay.block_of.astype(np.int64), starts,
        np.array([_MODES[m] for m in lay.modes], dtype=np.int64), nptr, nidx, pptr, pidx,
        *_rows_read(starts, nptr, nidx, pptr, pidx), np.diff(nptr) == 0, _SCHEMES[scheme],
        float(tol), int(max_iter), _STOPS[stop], unit, scale, k, w, n_iter, status, LANES)
    if not ran:  # numba could not load or build the code: the numpy path does the work
        return None
    return w, n_iter, status == _CONVERGED, status == _REDO


def _neighbours(lay: Layout, scheme: str) -> tuple[np.ndarray, ...]:
    """Each construct's neighbours (either direction of a path) and, for the path scheme,
    its predecessors, ascending, as offsets and entries."""
    A = lay.adjacency
    nptr, nidx = lay.incoming(A | A.T)
    pptr, pidx = lay.incoming(A if scheme == "path" else np.zeros_like(A))
    return nptr, nidx, pptr, pidx


def _rows_read(starts, nptr, nidx, pptr, pidx) -> tuple[np.ndarray, ...]:
    """The rows of (S W)' the iteration reads, as item ranges: column j of S W enters the
    proxy covariances and updates of j's neighbours' blocks, j's own block (its proxy
    variance) and, for the path scheme, the blocks of every construct that shares a
    successor with j (the predecessors' covariances C[a, j]); the kernel computes only
    these (e.g. 15 x 80 case: 7 of 15 blocks a column). Offsets ``rptr`` and ranges
    ``rlo:rhi`` (adjacent blocks merged), ascending, own block included."""
    J = starts.size - 1
    read = [{j, *nidx[nptr[j]:nptr[j + 1]]} for j in range(J)]
    for c in range(J):
        preds = pidx[pptr[c]:pptr[c + 1]]
        for j in preds:
            read[j].update(preds)
    ptr, lo, hi = [0], [], []
    for j in range(J):
        for b in sorted(read[j]):
            if hi and ptr[-1] < len(lo) and hi[-1] == starts[b]:
                hi[-1] = starts[b + 1]
            else:
                lo.append(starts[b])
                hi.append(starts[b + 1])
        ptr.append(len(lo))
    return tuple(np.array(x, dtype=np.int64) for x in (ptr, lo, hi))


def finish(S: np.ndarray, w: np.ndarray, lay: Layout, sign_reference: np.ndarray | None,
           consistent: bool):
    """The estimate's arrays after the iteration for ``S`` (B, p, p) and weights ``w``
    (B, p), in the order of :func:`satmodel.engine.pls._finish_numpy`, and the elements
    to redo on the numpy path (B,) bool; None when compiled code is unavailable or the
    batch is small."""
    B, p = w.shape
    starts = lay.starts()
    sizes_agree = S.shape[-1] == p == lay.block_of.size and (
        sign_reference is None or np.size(sign_reference) == p)
    if B < MIN_BATCH or starts is None or not sizes_agree or FINISH.get() is None:
        return None  # (a size mismatch: the numpy path raises its error)
    J = lay.n_constructs
    pptr, pidx = lay.incoming()
    ref = np.zeros(p) if sign_reference is None else \
        np.ascontiguousarray(sign_reference, dtype=float).reshape(p)
    parts = (np.empty((B, p)), np.empty((B, p)), np.empty((B, p, J)), np.empty((B, J, J)),
             np.empty((B, J, J)), np.empty((B, J)), np.empty((B, J, J)), np.empty((B, J)),
             np.empty((B, J, J)), np.zeros((B, J), dtype=bool))
    status = np.empty(B, dtype=np.int8)
    ran, _ = FINISH.call(
        np.ascontiguousarray(S, dtype=float), np.ascontiguousarray(w, dtype=float),
        lay.block_of.astype(np.int64), starts,
        np.array([_MODES[m] for m in lay.modes], dtype=np.int64),
        np.ascontiguousarray(lay.common_factor, dtype=np.bool_), pptr, pidx,
        not np.tril(lay.adjacency).any(), ref, sign_reference is not None, bool(consistent),
        *parts[:-1], status)
    if not ran:
        return None
    return parts, status != 0
