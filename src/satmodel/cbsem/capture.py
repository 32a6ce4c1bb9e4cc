"""Capture of semopy's log records and warnings while a fit runs (see
:mod:`satmodel.cbsem.engine`): semopy reports through the root ``logging`` logger and
``warnings``; a fit keeps what semopy said as notes and issues every other warning again.

>>> cap = WarningCapture(0)
>>> cap.semopy, cap.others
([], [])
"""

from __future__ import annotations

import functools
import logging
import os
import sys
import threading
import warnings

__all__ = ["SemopyLog", "FILTER", "LOCK", "WarningCapture"]


class SemopyLog(logging.Filter):
    """Root-logger filter that diverts semopy's records while a fit is capturing."""

    records: list[logging.LogRecord] | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        if self.records is not None and "semopy" in (record.pathname or ""):
            self.records.append(record)
            return False
        return True


FILTER = SemopyLog()

#: the one lock around all semopy work (see :mod:`satmodel.cbsem.engine`)
LOCK = threading.RLock()


def _fresh_lock_in_child() -> None:
    """A forked child (a bootstrap worker) runs only the thread that forked: a lock another
    thread held at that moment would stay held for ever, so the child gets a fresh one."""
    global LOCK
    LOCK = threading.RLock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_fresh_lock_in_child)


class WarningCapture:
    """``warnings.showwarning`` while a fit runs: semopy's warnings (issued in ``thread``
    with a semopy frame on the stack) become notes; the rest is issued again after the fit."""

    def __init__(self, thread: int) -> None:
        self.thread = thread
        self.semopy: list[warnings.WarningMessage] = []
        self.others: list[warnings.WarningMessage] = []

    def show(self, message, category, filename, lineno, file=None, line=None) -> None:
        msg = warnings.WarningMessage(message, category, filename, lineno, file, line)
        ours = threading.get_ident() == self.thread and _semopy_on_stack(filename)
        (self.semopy if ours else self.others).append(msg)

    def reissue(self) -> None:
        for w in self.others:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def _semopy_on_stack(filename: str) -> bool:
    """Whether ``filename`` or a frame of the current stack is in the semopy package."""
    root = _semopy_root()
    if str(filename).startswith(root):
        return True
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_filename.startswith(root):
            return True
        frame = frame.f_back
    return False


@functools.lru_cache(maxsize=1)
def _semopy_root() -> str:
    import semopy

    return os.path.dirname(os.path.abspath(semopy.__file__)) + os.sep
