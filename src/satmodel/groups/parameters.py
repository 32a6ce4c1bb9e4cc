"""Which estimates a group comparison compares: rows of listed tables, named as cSEM does.

``None`` is cSEM ``testMGD``'s default (``.parameters_to_compare = NULL``): every path,
the loadings of common factors (``=~``) and the weights of composites (``<~``). Names
follow cSEM: ``"SAT ~ EXPE"`` (path EXPE -> SAT), ``"EXPE =~ EXPE1"`` (loading),
``"EXPE <~ EXPE1"`` (weight); any other listed table is ``"<table>.<column>"`` with its
keys as source (and target).

>>> import satmodel as sm
>>> p = select_parameters(sm.templates.ecsi(), None, "compare_groups")
>>> p.keys.name.tolist()[:2], len(p.keys)
(['EXPE ~ IMAG', 'QUAL ~ EXPE'], 37)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import _validate as valid
from ..spec.model import ModelSpec
from ..tables import TABLES, Context

__all__ = ["SHORT", "Parameters", "select_parameters"]

#: short parameter names -> (table, column, cSEM operator)
SHORT = {"paths": ("paths", "estimate", "~"), "loadings": ("outer", "loading", "=~"),
         "weights": ("outer", "weight", "<~")}


@dataclass(frozen=True)
class Parameters:
    """The compared estimates: ``keys`` (parameter, name, source, target) and, per part,
    the table, value column and table rows it takes."""

    keys: pd.DataFrame
    parts: tuple[tuple[str, str, np.ndarray], ...]

    def values(self, ctx: Context) -> np.ndarray:
        """(..., k) values of every compared estimate on a (batched) context."""
        return np.concatenate([TABLES[t].values(ctx, c)[..., rows] for t, c, rows in self.parts],
                              axis=-1)


def _part(spec: ModelSpec, kind: str, keep: Any = None) -> tuple[pd.DataFrame, tuple]:
    if kind in SHORT:
        table, column, op = SHORT[kind]
        keys = TABLES[table].keys(spec).reset_index(drop=True)
        a, b = keys.columns[0], keys.columns[1]
        rows = np.arange(len(keys)) if keep is None else np.flatnonzero(keep(keys))
        sub = keys.iloc[rows]
        if kind == "paths":
            names = [f"{t} ~ {s}" for s, t in zip(sub[a], sub[b])]
        else:
            names = [f"{c} {op} {i}" for c, i in zip(sub[a], sub[b])]
        frame = pd.DataFrame({"parameter": kind, "name": names, "source": sub[a].to_numpy(),
                              "target": sub[b].to_numpy()})
        return frame, (table, column, rows)
    table, _, column = kind.partition(".")
    keys = TABLES[table].keys(spec).reset_index(drop=True)
    cols = list(keys.columns)
    source = keys[cols[0]].astype(str).to_numpy()
    target = keys[cols[1]].astype(str).to_numpy() if len(cols) > 1 else np.full(len(keys), None)
    names = [f"{kind} " + " ".join(map(str, row)) for row in keys.itertuples(index=False)]
    frame = pd.DataFrame({"parameter": kind, "name": names, "source": source, "target": target})
    return frame, (table, column, np.arange(len(keys)))


def select_parameters(spec: ModelSpec, parameters: Sequence[str] | str | None,
                      verb: str) -> Parameters:
    """The estimates to compare: ``None`` (cSEM's default), or names among ``"paths"``,
    ``"loadings"``, ``"weights"`` and ``"<table>.<column>"`` of a listed table."""
    if parameters is None:
        factor = {c.name for c in spec.constructs if c.common_factor}
        chosen = [("paths", None),
                  ("loadings", lambda k: k.construct.isin(factor)),
                  ("weights", lambda k: ~k.construct.isin(factor))]
    else:
        allowed = (f"'paths', 'loadings', 'weights' or '<table>.<column>' of a listed table "
                   f"({', '.join(TABLES)})")
        names = [parameters] if isinstance(parameters, str) else \
            list(parameters) if isinstance(parameters, (list, tuple)) else []
        if not names or not all(isinstance(n, str) for n in names):
            raise valid.bad(verb, "parameters", parameters, allowed)
        for name in names:
            table, _, column = str(name).partition(".")
            if name not in SHORT and (table not in TABLES or column not in TABLES[table].columns):
                raise valid.bad(verb, "parameters", name, allowed)
        chosen = [(name, None) for name in dict.fromkeys(names)]
    frames, parts = [], []
    for kind, keep in chosen:
        frame, part = _part(spec, kind, keep)
        if len(frame):
            frames.append(frame)
            parts.append(part)
    keys = pd.concat(frames, ignore_index=True)
    return Parameters(keys=keys, parts=tuple(parts))
