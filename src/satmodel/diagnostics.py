"""Diagnostics as data: what is legal but suspect, recorded on the result.

A public verb opens a :func:`collecting` scope; code below it calls :func:`report`,
which appends a :class:`Diagnostic` to that scope's list and also issues a
:class:`~satmodel.errors.SatModelWarning` for interactive users. The scope lives in a
:mod:`contextvars` variable, so two fits in two threads (or two asyncio tasks) never
see each other's records; services read ``res.diagnostics``, not the warnings module.

>>> from satmodel.errors import SignWarning
>>> with collecting() as found:
...     _ = report("sign", "a path has the opposite sign", SignWarning, names=("A -> B",), warn=False)
>>> found[0].code, found[0].names
('sign', ('A -> B',))
"""

from __future__ import annotations

import contextlib
import contextvars
import sys
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field

from .errors import SatModelWarning

__all__ = ["Diagnostic", "collecting", "quiet", "report", "SEVERITIES"]

SEVERITIES = ("info", "warning")

_SCOPE: contextvars.ContextVar[list | None] = contextvars.ContextVar("satmodel_diagnostics",
                                                                     default=None)
_QUIET: contextvars.ContextVar[bool] = contextvars.ContextVar("satmodel_quiet", default=False)


@dataclass(frozen=True)
class Diagnostic:
    """One suspect finding: ``code`` (stable, machine-readable), ``severity``, ``message``,
    the warning ``category`` it was issued as, the construct/item/path ``names`` it
    concerns and an optional ``count`` (rows, resamples, ...)."""

    code: str
    message: str
    severity: str = "warning"
    category: str = "SatModelWarning"
    names: tuple[str, ...] = field(default=())
    count: int | None = None

    def to_dict(self) -> dict:
        out = asdict(self)
        out["names"] = list(self.names)
        return out


@contextlib.contextmanager
def collecting() -> Iterator[list[Diagnostic]]:
    """Collect the diagnostics reported inside the block (nested scopes see their own)."""
    found: list[Diagnostic] = []
    token = _SCOPE.set(found)
    try:
        yield found
    finally:
        _SCOPE.reset(token)


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Record what is reported inside the block without issuing warnings (for a caller
    that warns once for many records, e.g. a grouped fit naming each group)."""
    token = _QUIET.set(True)
    try:
        yield
    finally:
        _QUIET.reset(token)


def report(code: str, message: str, category: type[Warning] = SatModelWarning, *,
           names: Sequence[str] = (), count: int | None = None, severity: str = "warning",
           warn: bool = True) -> Diagnostic:
    """Record a diagnostic in the current scope and (``warn=True``) issue it as a warning
    attributed to the user's line (the first frame outside satmodel)."""
    diag = Diagnostic(code=code, message=message, severity=severity,
                      category=category.__name__, names=tuple(str(n) for n in names),
                      count=None if count is None else int(count))
    scope = _SCOPE.get()
    if scope is not None:
        scope.append(diag)
    if warn and not _QUIET.get():
        warnings.warn(message, category, stacklevel=_user_level())
    return diag


def _user_level() -> int:
    """``stacklevel`` for a ``warnings.warn`` in :func:`report` that names the first frame
    outside satmodel (the user's call), however deep in the package the finding arose."""
    frame, level = sys._getframe(2), 2  # 0: here, 1: report, 2: report's caller
    while frame is not None and frame.f_globals.get("__name__", "").startswith("satmodel."):
        frame, level = frame.f_back, level + 1
    return level
