"""Process-wide knobs for hot paths: one BLAS thread around small-matrix work (semopy
fits, batched bootstrap steps), the cyclic garbage collector paused while many small
objects are made (:func:`collector_paused`), and one persistent helper thread for work
split in two (:func:`on_helper`).

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
import contextvars
import functools
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait
from collections.abc import Iterator
from typing import Any

__all__ = ["collector_paused", "in_two", "on_helper", "one_blas_thread", "usable_cores"]


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


_GC_LOCK = threading.Lock()
_gc_depth = [0]
_gc_was_enabled = [False]


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the duration of a ``with`` block.

    A grouped fit makes thousands of small objects (a diagnostic and its label for each
    flagged company); each few hundred allocations trigger a collection that walks every
    object of the process (pandas, numpy, ...): ~13 ms of a 60 ms fit of 1,000 companies.
    Reference counting still frees everything at once; cycles wait for the next
    collection after the block. Overlapping blocks (threads) are counted: the state found
    before the first is the one restored after the last.

    >>> import gc
    >>> with collector_paused():
    ...     gc.isenabled()
    False
    """
    import gc

    with _GC_LOCK:
        if _gc_depth[0] == 0:
            _gc_was_enabled[0] = gc.isenabled()
            gc.disable()
        _gc_depth[0] += 1
    try:
        yield
    finally:
        with _GC_LOCK:
            _gc_depth[0] -= 1
            if _gc_depth[0] == 0 and _gc_was_enabled[0]:
                gc.enable()


_HELPER_NAME = "satmodel-helper"
_helper: list[ThreadPoolExecutor] = []  # the one helper thread, made on first use
_HELPER_LOCK = [threading.Lock()]  # in a list: a forked child gets a fresh one
_helper_busy = [0]  # tasks handed to the helper and not finished


def on_helper(fn: Any, *args: Any) -> Future:
    """``fn(*args)`` on the process's one persistent helper thread, as a future, with the
    caller's context (diagnostic scopes, numpy's ``errstate``).

    Work split in two (a grouped fit's halves, its key coding beside the validation)
    runs one part here and the other in the calling thread. Starting a thread pool per
    call cost ~0.3 ms and a wait for the new thread; this thread is made once (and again
    in a forked child, where it does not exist). ``fn`` runs at once in the caller
    instead when the helper is busy (several threads calling satmodel at once do not
    queue behind each other) or when called from the helper itself. Rule: work given to
    the helper never waits on another thread.

    >>> on_helper(sum, [1, 2, 3]).result()
    6
    """
    with _HELPER_LOCK[0]:
        inline = _helper_busy[0] > 0 or threading.current_thread().name.startswith(
            _HELPER_NAME)
        if not inline:
            if not _helper:
                _helper.append(ThreadPoolExecutor(1, thread_name_prefix=_HELPER_NAME))
            _helper_busy[0] += 1
            return _helper[0].submit(contextvars.copy_context().run, _counted, fn, *args)
    done: Future = Future()
    try:
        done.set_result(fn(*args))
    except BaseException as err:  # noqa: BLE001 - handed to the caller by result()
        done.set_exception(err)
    return done


def _counted(fn: Any, *args: Any) -> Any:
    """``fn(*args)`` on the helper, marking it free when done."""
    try:
        return fn(*args)
    finally:
        with _HELPER_LOCK[0]:
            _helper_busy[0] -= 1


def _after_fork_in_child() -> None:
    """A forked child has no helper thread, and a lock held at the fork stays held."""
    _helper.clear()
    _HELPER_LOCK[0] = threading.Lock()
    _helper_busy[0] = 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def in_two(fn: Any, n: int, split: bool = True) -> list:
    """``fn(lo, hi)`` on ``range(n)``: with ``split``, the first half on the helper thread
    and the second in the caller, results in order; else ``[fn(0, n)]``. For work whose
    parts do not depend on each other (numpy and BLAS release the GIL).

    >>> in_two(lambda lo, hi: (lo, hi), 10)
    [(0, 5), (5, 10)]
    """
    if not split or n < 2:
        return [fn(0, n)]
    cut = n // 2
    first = on_helper(fn, 0, cut)
    try:
        second = fn(cut, n)
    finally:  # the helper's half is finished before anything returns or raises
        wait([first])
    return [first.result(), second]


def usable_cores() -> int:
    """CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1
