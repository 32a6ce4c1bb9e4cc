"""Values derived from long-lived objects (a spec, a layout), made once and held while
those objects live, keyed by the objects' identity (a weak reference checks that the
object is still the one the value was made for). Arrays in a held value are read-only:
no caller can change what the next one reads. The tables' index arrays
(:mod:`satmodel.tables._held`) and :func:`satmodel.spec.layout.layout_of` use it.

>>> import numpy as np
>>> class Spec: pass
>>> spec = Spec()
>>> a = held((spec,), "doc", lambda: np.arange(3))
>>> a.flags.writeable, held((spec,), "doc", None) is a
(False, True)
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from types import MappingProxyType
from typing import Any

import numpy as np

__all__ = ["held"]

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


def held(objects: tuple, kind: str, make: Callable[[], Any]) -> Any:
    """``make()``, made once per ``objects`` (one or two) and ``kind``, arrays read-only."""
    key = (*map(id, objects), kind)
    found = _HELD.get(key)
    if found is not None:
        refs, value = found
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
