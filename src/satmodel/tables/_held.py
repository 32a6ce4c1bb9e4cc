"""Index arrays the tables derive from a layout or a (spec, layout) pair, made once and
held while those objects live (a bootstrap's chunks share one spec and one layout), so
a chunk's tables do not rebuild them. Held arrays are read-only: no caller can change
what the next one reads.

>>> import numpy as np
>>> from satmodel.spec.layout import Layout
>>> lay = Layout(np.array([0, 0, 1]), ("A", "unit"), np.zeros((2, 2), bool), np.ones(2, bool))
>>> sizes = per_layout(lay, "doc-sizes", lambda lay: np.bincount(lay.block_of))
>>> sizes.tolist(), sizes.flags.writeable, per_layout(lay, "doc-sizes", None) is sizes
([2, 1], False, True)
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from types import MappingProxyType
from typing import Any

import numpy as np

__all__ = ["per_layout", "per_model", "starts_of"]

#: (ids, kind) -> (weak references to the objects, value); cleared when this many are held
_HELD: dict[tuple, tuple[tuple[weakref.ref, ...], Any]] = {}
_MAX_HELD = 1024


def _frozen(value: Any) -> Any:
    """``value`` with every array in it (also in tuples and dicts) made read-only; a dict
    becomes a read-only mapping."""
    if isinstance(value, np.ndarray):
        value.flags.writeable = False
    elif isinstance(value, tuple):
        for v in value:
            _frozen(v)
    elif isinstance(value, dict):
        return MappingProxyType({k: _frozen(v) for k, v in value.items()})
    return value


def _held(objects: tuple, kind: str, make: Callable[[], Any]) -> Any:
    key = (*map(id, objects), kind)
    held = _HELD.get(key)
    if held is not None:
        refs, value = held
        if refs[0]() is objects[0] and (len(objects) == 1 or refs[1]() is objects[1]):
            return value
    value = _frozen(make())
    try:
        refs = tuple(weakref.ref(o) for o in objects)
    except TypeError:  # pragma: no cover - an object without weak references: not held
        return value
    if len(_HELD) >= _MAX_HELD:
        _HELD.clear()
    _HELD[key] = (refs, value)
    return value


def per_layout(lay, kind: str, make: Callable[[Any], Any]) -> Any:
    """``make(lay)``, made once per layout and ``kind`` (arrays read-only)."""
    return _held((lay,), kind, lambda: make(lay))


def per_model(spec, lay, kind: str, make: Callable[[Any, Any], Any]) -> Any:
    """``make(spec, lay)``, made once per (spec, layout) and ``kind`` (arrays read-only)."""
    return _held((spec, lay), kind, lambda: make(spec, lay))


def starts_of(lay) -> np.ndarray | None:
    """``lay.starts()`` (first item of each block, read-only; None when the blocks are
    not consecutive items), made once per layout."""
    return per_layout(lay, "starts", lambda lay: (lay.starts(),))[0]
