"""Row weights for G groups at once: group masks, within-group bootstraps, relabellings.

A group is a 0/1 row weight, so G groups x B resamples are G·B weight vectors and one
batched refit per chunk of the driver (:func:`satmodel.inference.driver.run`). Each
generator returns a draw as ``per_draw = G`` vectors stacked group-major: the rows
``[g * size:(g + 1) * size]`` of a chunk of ``size`` draws belong to group ``g``.

>>> import numpy as np
>>> codes = np.array([0, 0, 1, 1, 1])
>>> GroupShuffles(2, codes, 2, np.random.default_rng(0)).draw(2).sum(1).tolist()
[2.0, 2.0, 3.0, 3.0]
>>> GroupBootstrap(1, codes, 2, np.random.default_rng(0)).draw(1).sum(1).tolist()
[2.0, 3.0]
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..engine.refit import Refit, Refitted
from ..errors import DataError
from ..inference.driver import Weights

__all__ = [
    "GroupBootstrap",
    "GroupShuffles",
    "chunked",
    "group_codes",
    "group_masks",
    "regroup",
    "standardized_within",
    "streams",
]


def group_codes(labels: Any, verb: str, minimum: int = 2) -> tuple[list[Any], np.ndarray]:
    """Sorted distinct labels (cSEM's order: R ``split`` sorts factor levels) and the
    integer code of every row."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.size == 0:
        raise DataError(f"{verb}: labels must be one group label per fitted row")
    if pd.isna(labels).any():
        raise DataError(f"{verb}: group labels contain missing values; drop those rows first")
    levels = sorted((v.item() if isinstance(v, np.generic) else v for v in pd.unique(labels)),
                    key=str)
    if len(levels) < minimum:
        raise DataError(f"{verb} needs at least {minimum} groups; the labels hold "
                        f"{len(levels)}: {levels[:5]}")
    codes = np.empty(labels.size, dtype=int)
    for g, level in enumerate(levels):
        codes[labels == level] = g
    return levels, codes


def group_masks(codes: np.ndarray, n_groups: int) -> np.ndarray:
    """(G, n) 0/1 row weights of the groups."""
    return (codes[None, :] == np.arange(n_groups)[:, None]).astype(float)


def streams(seed: Any, k: int) -> list[np.random.Generator]:
    """``k`` independent generators from one seed (int, None or Generator), so that a
    test's draws do not depend on which other tests ran."""
    if isinstance(seed, np.random.BitGenerator):
        seed = np.random.Generator(seed)
    if isinstance(seed, np.random.Generator):
        seq = np.random.SeedSequence(seed.integers(0, 2**63, size=4))
    elif isinstance(seed, np.random.SeedSequence):
        seq = seed
    else:
        seq = np.random.SeedSequence(seed)
    return [np.random.default_rng(s) for s in seq.spawn(k)]


@dataclass
class GroupBootstrap(Weights):
    """Each draw: one resample with replacement *within* every group (sizes kept). Each
    group draws from a stream of its own (spawned from ``rng``), so the draws do not
    depend on how the driver chunks them (the :class:`Weights` contract)."""

    total: int
    codes: np.ndarray
    n_groups: int
    rng: np.random.Generator
    desc: str = "group bootstrap"

    def __post_init__(self) -> None:
        self.n = self.codes.size
        self.per_draw = self.n_groups
        self._rows = [np.flatnonzero(self.codes == g) for g in range(self.n_groups)]
        root = np.random.SeedSequence(self.rng.integers(0, 2**63, size=4))
        self._rngs = [np.random.default_rng(s) for s in root.spawn(self.n_groups)]

    def draw(self, size: int) -> np.ndarray:
        out = np.zeros((self.n_groups, size, self.n))
        for g, rows in enumerate(self._rows):
            pick = rows[self._rngs[g].integers(0, rows.size, size=(size, rows.size))]
            flat = (pick + self.n * np.arange(size)[:, None]).ravel()
            out[g] = np.bincount(flat, minlength=size * self.n).reshape(size, self.n)
        return out.reshape(self.n_groups * size, self.n)


@dataclass
class GroupShuffles(Weights):
    """Each draw: a random relabelling of the rows (group sizes fixed) as G masks."""

    total: int
    codes: np.ndarray
    n_groups: int
    rng: np.random.Generator
    desc: str = "permutation"

    def __post_init__(self) -> None:
        self.n = self.codes.size
        self.per_draw = self.n_groups

    def draw(self, size: int) -> np.ndarray:
        perm = self.rng.permuted(np.tile(self.codes, (size, 1)), axis=1)
        return np.concatenate([(perm == g).astype(float) for g in range(self.n_groups)])


def regroup(values: np.ndarray, n_groups: int) -> np.ndarray:
    """Values of a group-major chunk (G·size, ...) as (size, G, ...)."""
    v = np.asarray(values)
    return np.swapaxes(v.reshape((n_groups, -1) + v.shape[1:]), 0, 1)


def standardized_within(refit: Refit, fitted: Refitted, codes: np.ndarray) -> Refit:
    """The refit on rows standardized within their observed group (cSEM ``testMGD``:
    the permuted data are the groups' standardized data stacked), from the groups'
    (weighted) means and SDs as the observed group fits saw them."""
    survey = refit.survey
    mean = np.asarray(fitted.moments.mean, dtype=float)[codes]
    std = np.asarray(fitted.moments.std, dtype=float)[codes]
    X = (survey.X - mean) / std
    return refit.with_survey(dataclasses.replace(survey, values=X))


def chunked(total: int, size: int):
    """Sizes of consecutive chunks of ``total`` items."""
    done = 0
    while done < total:
        c = min(size, total - done)
        yield c
        done += c
