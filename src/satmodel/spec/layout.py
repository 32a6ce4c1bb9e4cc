"""The engine's index layout of a spec: integer blocks, modes and adjacency.

The engine works on indices only; :func:`layout_of` is the one place where a
:class:`~satmodel.spec.ModelSpec` (names) becomes a :class:`Layout` (spec order).

>>> import satmodel as sm
>>> lay = layout_of(sm.templates.ecsi())
>>> lay.n_constructs, lay.membership.shape
(6, (27, 6))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .model import ModelSpec

__all__ = ["Layout", "layout_of"]


@dataclass(frozen=True)
class Layout:
    """Index description of a model, in spec order.

    Attributes
    ----------
    block_of : ndarray of int, shape (p,)
        Construct index of each indicator (every indicator is in exactly one block).
    modes : tuple of {"A", "B", "unit"}, length J
    adjacency : ndarray of bool, shape (J, J)
        ``adjacency[i, j]`` is True for a structural path i -> j (acyclic).
    common_factor : ndarray of bool, shape (J,)
        Constructs that PLSc treats as common factors (Mode A, >= 2 items).
    """

    block_of: np.ndarray
    modes: tuple[str, ...]
    adjacency: np.ndarray
    common_factor: np.ndarray

    @property
    def n_constructs(self) -> int:
        return len(self.modes)

    @property
    def membership(self) -> np.ndarray:
        """Boolean (p, J) matrix: indicator k belongs to construct j."""
        return self.block_of[:, None] == np.arange(self.n_constructs)[None, :]

    def block(self, j: int) -> np.ndarray:
        return np.flatnonzero(self.block_of == j)


def layout_of(spec: ModelSpec) -> Layout:
    """Translate a spec into the engine's index layout (spec order throughout)."""
    names = spec.construct_names
    pos = {c: i for i, c in enumerate(names)}
    block_of = np.array([pos[c.name] for c in spec.constructs for _ in c.indicators])
    adjacency = np.zeros((len(names), len(names)), dtype=bool)
    for p in spec.paths:
        adjacency[pos[p.source], pos[p.target]] = True
    modes = tuple("unit" if len(c.indicators) == 1 else c.mode for c in spec.constructs)
    common = np.array([c.common_factor and c.mode == "A" and len(c.indicators) > 1
                       for c in spec.constructs])
    return Layout(block_of=block_of, modes=modes, adjacency=adjacency, common_factor=common)
