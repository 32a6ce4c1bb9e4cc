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

from collections.abc import Callable
from typing import Any

import numpy as np

from .._held import held

__all__ = ["per_layout", "per_model", "starts_of"]


def per_layout(lay, kind: str, make: Callable[[Any], Any]) -> Any:
    """``make(lay)``, made once per layout and ``kind`` (arrays read-only)."""
    return held((lay,), kind, lambda: make(lay))


def per_model(spec, lay, kind: str, make: Callable[[Any, Any], Any]) -> Any:
    """``make(spec, lay)``, made once per (spec, layout) and ``kind`` (arrays read-only)."""
    return held((spec, lay), kind, lambda: make(spec, lay))


def starts_of(lay) -> np.ndarray | None:
    """``lay.starts()`` (first item of each block, read-only; None when the blocks are
    not consecutive items), made once per layout."""
    return per_layout(lay, "starts", lambda lay: (lay.starts(),))[0]
