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

from .._held import held
from .model import ModelSpec

__all__ = ["Layout", "layout_of", "structural_order"]


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
    declared_common_factor : ndarray of bool, shape (J,), optional
        The spec's own flags (a single-item ``=~`` construct is one although PLSc has
        nothing to correct): cSEM's construct type, which its degrees of freedom count.
        None: as ``common_factor``.
    order : tuple of int, optional
        The constructs in cSEM's structural order (:func:`structural_order`), which
        the saturated structural model follows. None: derived from ``adjacency``.
    """

    block_of: np.ndarray
    modes: tuple[str, ...]
    adjacency: np.ndarray
    common_factor: np.ndarray
    declared_common_factor: np.ndarray | None = None
    order: tuple[int, ...] | None = None

    @property
    def n_constructs(self) -> int:
        return len(self.modes)

    @property
    def membership(self) -> np.ndarray:
        """Boolean (p, J) matrix: indicator k belongs to construct j."""
        return self.block_of[:, None] == np.arange(self.n_constructs)[None, :]

    def block(self, j: int) -> np.ndarray:
        return np.flatnonzero(self.block_of == j)

    def incoming(self, adjacency: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Offsets (int64, J + 1) and entries (int64) of every construct's sources in
        ``adjacency`` (default: the paths, i.e. its predecessors), ascending: construct
        j's are ``entries[offsets[j]:offsets[j + 1]]``.

        >>> A = np.zeros((3, 3), bool); A[0, 2] = A[1, 2] = True
        >>> lay = Layout(np.arange(3), ("unit",) * 3, A, np.zeros(3, bool))
        >>> [a.tolist() for a in lay.incoming()]
        [[0, 0, 0, 2], [0, 1]]
        """
        A = self.adjacency if adjacency is None else adjacency
        target, source = np.nonzero(np.asarray(A).T)
        offsets = np.zeros(self.n_constructs + 1, dtype=np.int64)
        np.cumsum(np.bincount(target, minlength=self.n_constructs), out=offsets[1:])
        return offsets, source.astype(np.int64)

    def starts(self) -> np.ndarray | None:
        """First item of each block and p (int64, J + 1), or None when the blocks are not
        consecutive items (compiled code reads a block as ``starts[j]:starts[j + 1]``)."""
        if not bool((np.diff(self.block_of) >= 0).all()):
            return None
        counts = np.bincount(self.block_of, minlength=self.n_constructs)
        return np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)


def structural_order(names: list[str] | tuple[str, ...], paths: list[tuple[str, str]]) -> list[str]:
    """The constructs in the order cSEM's ``parseModel`` gives them (its saturated model
    regresses each construct on all constructs before it).

    ``paths`` are ``(source, target)`` in statement order. cSEM lists the constructs by
    first appearance in the structural statements, targets before sources, then the rest
    (``names`` order); puts the exogenous ones first, then the endogenous constructs with
    exogenous predictors only, then sweeps the others in that listing, taking each whose
    predictors are all placed. So the order never depends on the measurement statements
    (nor on ``names``), only, for constructs on the same level, on the structural ones.

    >>> structural_order(["IMAG", "EXPE", "QUAL", "VAL"],
    ...                  [("EXPE", "VAL"), ("IMAG", "VAL"), ("EXPE", "QUAL")])
    ['EXPE', 'IMAG', 'VAL', 'QUAL']
    """
    listed = list(dict.fromkeys([t for _, t in paths] + [s for s, _ in paths] + list(names)))
    preds: dict[str, set[str]] = {c: set() for c in listed}
    for src, tgt in paths:
        preds[tgt].add(src)
    endo = [c for c in listed if preds[c]]
    endo_set = set(endo)
    by_endo = [c for c in endo if preds[c] & endo_set]
    ordered = [c for c in endo if not preds[c] & endo_set]
    placed = {c for c in listed if not preds[c]} | set(ordered)
    todo = by_endo
    while todo:
        for c in todo:  # one sweep; a construct placed in it counts for the next ones
            if preds[c] <= placed:
                ordered.append(c)
                placed.add(c)
        left = [c for c in todo if c not in placed]
        if len(left) == len(todo):  # a cycle: the spec refuses those before we get here
            ordered += left
            break
        todo = left
    done = set(ordered)
    return [c for c in listed if c not in done] + ordered


def layout_of(spec: ModelSpec) -> Layout:
    """Translate a spec into the engine's index layout (spec order throughout); made once
    per spec object (a spec is frozen) and held while it lives, its arrays read-only, so
    every fit of one spec shares one layout and what is derived from it."""
    return held((spec,), "layout", lambda: _read_only(_layout_of(spec)))


def _read_only(lay: Layout) -> Layout:
    for a in (lay.block_of, lay.adjacency, lay.common_factor, lay.declared_common_factor):
        a.flags.writeable = False
    return lay


def _layout_of(spec: ModelSpec) -> Layout:
    names = spec.construct_names
    pos = {c: i for i, c in enumerate(names)}
    block_of = np.array([pos[c.name] for c in spec.constructs for _ in c.indicators])
    adjacency = np.zeros((len(names), len(names)), dtype=bool)
    for p in spec.paths:
        adjacency[pos[p.source], pos[p.target]] = True
    modes = tuple("unit" if len(c.indicators) == 1 else c.mode for c in spec.constructs)
    common = np.array([c.common_factor and c.mode == "A" and len(c.indicators) > 1
                       for c in spec.constructs])
    declared = np.array([bool(c.common_factor) for c in spec.constructs])
    order = structural_order(names, [(p.source, p.target) for p in spec.paths])
    return Layout(block_of=block_of, modes=modes, adjacency=adjacency, common_factor=common,
                  declared_common_factor=declared, order=tuple(pos[c] for c in order))
