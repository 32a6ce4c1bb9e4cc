"""numba-compiled helpers (optional extra ``satmodel[fast]``), loaded on first use.

A :class:`Compiled` names a jitted function in a module that imports numba; it is
imported on the first :meth:`Compiled.get`, never at package import. It is None (the
caller's numpy path does the work, with the same numbers) when numba is not installed,
when the environment variable ``SATMODEL_NUMBA=0`` switches compiled code off (or
numba's own ``NUMBA_DISABLE_JIT`` does), or after
numba failed to load or build the code at a call (a broken disk cache):
:meth:`Compiled.call` then switches it off for the process and says so once.

>>> square = Compiled("math", "pow", "a test function")  # any importable callable
>>> square.call(3.0, 2.0) in ((True, 9.0), (False, None))  # (False, None): switched off
True
"""

from __future__ import annotations

import importlib
import os
import pickle
import sys
import threading
from typing import Any

from .diagnostics import report

__all__ = ["Compiled", "MIN_BATCH", "enabled"]

#: fewest batch elements (groups, resamples, matrices) for compiled code; below it the
#: numpy path runs (a single fit never imports numba)
MIN_BATCH = 16

#: what numba raises when it cannot load or compile cached code at the first call (a stale
#: or foreign cache, an unwritable cache directory); never a numerical error
UNUSABLE = (ImportError, OSError, EOFError, pickle.UnpicklingError)


def unusable(err: BaseException) -> bool:
    """Whether ``err`` says the compiled code cannot run here (:data:`UNUSABLE`, or an
    error of numba itself: it failed to type or build the code for this numba version),
    never a numerical error (the kernels run with numpy's error model)."""
    return isinstance(err, UNUSABLE) or type(err).__module__.startswith("numba")


def _jit_disabled() -> bool:
    """``NUMBA_DISABLE_JIT`` is set: numba runs the kernels as plain Python, which the
    LLVM intrinsics in them cannot do (and the numpy path does faster)."""
    config = sys.modules.get("numba.core.config")
    return bool(getattr(config, "DISABLE_JIT", False))


def enabled() -> bool:
    """Whether compiled code may run (``SATMODEL_NUMBA=0`` says no)."""
    return os.environ.get("SATMODEL_NUMBA", "1") != "0"


class Compiled:
    """The function ``name`` of ``module`` (a module that imports numba), once loaded.

    ``fn`` is None before the first :meth:`get`, False when unusable, else the function.
    """

    def __init__(self, module: str, name: str, what: str) -> None:
        self.module, self.name, self.what = module, name, what
        self.fn: Any = None
        self._lock = threading.Lock()  # two threads must not see a half-loaded module

    def get(self) -> Any:
        """The compiled function, or None (no numba, switched off, or unusable).
        ``SATMODEL_NUMBA=0`` is read at every call, so it takes effect at once."""
        if not enabled():
            return None
        if self.fn is None:
            with self._lock:
                if self.fn is None:
                    found: Any = False
                    try:
                        found = getattr(importlib.import_module(self.module), self.name)
                    except (ImportError, OSError, RuntimeError):  # no numba / cache dir
                        pass
                    if _jit_disabled():  # numba's pure-Python mode: the numpy path
                        found = False
                    self.fn = found
        return self.fn or None

    def call(self, *args: Any, numba_loaded: bool = False) -> tuple[bool, Any]:
        """``(True, fn(*args))``, or ``(False, None)`` when there is no compiled code or
        numba could not load it (then it is switched off for the process).
        ``numba_loaded=True``: only if numba is imported already (a batched fit imported
        it): a pass that saves milliseconds must not cost a single fit numba's import."""
        if numba_loaded and self.fn is None and "numba" not in sys.modules:
            return False, None
        fn = self.get()
        if fn is None:
            return False, None
        try:
            return True, fn(*args)
        except Exception as err:
            if not unusable(err):
                raise
            self.switch_off(err)
            return False, None

    def switch_off(self, err: BaseException) -> None:
        """Turn this code off for the process and say so once (a diagnostic and a warning)."""
        with self._lock:
            was_on, self.fn = bool(self.fn), False
        if was_on:
            report("compiled_kernel_off",
                   f"the compiled {self.what} (numba) could not load its code "
                   f"({type(err).__name__}: {err}); the numpy path does the work from now "
                   "on, with the same numbers, more slowly. Deleting numba's cache files "
                   "(*.nbi, *.nbc in satmodel's __pycache__ folders, or in NUMBA_CACHE_DIR) "
                   "usually mends it", severity="info")
