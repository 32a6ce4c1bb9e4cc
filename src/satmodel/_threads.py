"""One BLAS thread around small-matrix work (semopy fits, batched bootstrap steps).

The CB-SEM fits and the bootstrap's batched steps multiply small matrices; with two
OpenBLAS threads on a loaded 2-core machine they ran 1.5x (batched PLS) to 8x (semopy)
slower than with one. :func:`one_blas_thread` limits the BLAS libraries numpy and scipy
loaded (OpenBLAS, MKL, BLIS: threadpoolctl finds them) for the duration of a ``with``
block and restores the previous limits when the last overlapping block ends. The limit is
process-wide (as BLAS threads are): another thread calling BLAS meanwhile runs
single-threaded too. Blocks entered from several threads at once are counted, so the
limits found before the first are the ones restored after the last (threadpoolctl alone
would let a later block restore the "1" an earlier one set, for the rest of the process).
threadpoolctl >= 3.8 lets only one "controlling" Python thread change OpenBLAS; the first
and the last block here may run in different threads, so control is released around the
change (and the next thread to set a limit, ours or the caller's, takes it).

>>> import numpy as np
>>> with one_blas_thread():
...     float(np.ones((3, 3)) @ np.ones(3) @ np.ones(3))
9.0
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Iterator
from typing import Any

__all__ = ["one_blas_thread"]


@functools.lru_cache(maxsize=1)
def _controller() -> Any:
    """threadpoolctl's view of the loaded libraries (found once: about 7 ms)."""
    import scipy.linalg  # noqa: F401  (load scipy's BLAS too, so it is found)
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _release_control() -> None:
    """Let the next thread that sets an OpenBLAS limit take control (threadpoolctl >= 3.8)."""
    from threadpoolctl import OpenBLASController

    clear = getattr(OpenBLASController, "clear_controlling_thread", None)
    if clear is not None:
        clear(force=True)


_LOCK = threading.Lock()
_active: list[Any] = []  # the open threadpoolctl limit while any block runs
_depth = [0]


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """A context manager limiting the BLAS libraries to one thread (about 20 us)."""
    with _LOCK:
        if _depth[0] == 0:
            _release_control()
            _active.append(_controller().limit(limits=1, user_api="blas"))
        _depth[0] += 1
    try:
        yield
    finally:
        with _LOCK:
            _depth[0] -= 1
            if _depth[0] == 0:
                _release_control()
                _active.pop().restore_original_limits()
                _release_control()
