"""Mediation: every specific indirect effect (each chain through one or more mediators),
the total indirect effect, the direct effect, with bootstrap inference and the Zhao,
Lynch & Chen (2010) classification.

A specific indirect effect is the product of the path coefficients along its chain, so
its bootstrap draws are the products of the stored path draws (the same resamples, no
refit); the total indirect effect of a pair is the sum over its chains.

Classification of each indirect effect against the pair's direct effect (significant:
the interval excludes 0): both significant and of the same sign "complementary",
opposite signs "competitive"; only the indirect one "indirect-only"; only the direct one
"direct-only"; neither "no-effect".

>>> mediation_type(np.array([0.2, 0.2, 0.2, 0.0, 0.0]), np.array([0.1, 0.1, 0.1, -0.1, -0.1]),
...                np.array([0.3, 0.3, 0.3, 0.1, 0.1]), np.array([0.3, -0.3, 0.0, 0.3, 0.0]),
...                np.array([0.2, -0.4, -0.1, 0.2, -0.1]), np.array([0.4, -0.2, 0.1, 0.4, 0.1])).tolist()
['complementary', 'competitive', 'indirect-only', 'direct-only', 'no-effect']
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import NotAvailableError
from ..inference import intervals

__all__ = ["chains", "indirect_effects", "mediation_type", "TOTAL"]

#: the ``through`` label of a pair's total indirect effect
TOTAL = "(total)"


def chains(paths: list[tuple[str, str]]) -> list[tuple[str, tuple[str, ...], str]]:
    """Every directed chain with at least one mediator: ``(source, mediators, target)``,
    ordered by source, then target, in order of first appearance.

    >>> chains([("X", "M"), ("M", "Y"), ("X", "Y"), ("M", "W"), ("W", "Y")])
    [('X', ('M',), 'Y'), ('X', ('M', 'W'), 'Y'), ('X', ('M',), 'W'), ('M', ('W',), 'Y')]
    """
    nodes = list(dict.fromkeys(n for p in paths for n in p))
    succ: dict[str, list[str]] = {n: [] for n in nodes}
    for s, t in paths:
        succ[s].append(t)
    found: list[tuple[str, tuple[str, ...], str]] = []

    def walk(route: list[str]) -> None:
        for nxt in succ[route[-1]]:
            if len(route) >= 2:
                found.append((route[0], tuple(route[1:]), nxt))
            walk(route + [nxt])

    for n in nodes:
        walk([n])
    rank = {n: k for k, n in enumerate(nodes)}
    return sorted(found, key=lambda c: (rank[c[0]], rank[c[2]]))


def mediation_type(indirect: np.ndarray, ind_lo: np.ndarray, ind_hi: np.ndarray,
                   direct: np.ndarray, dir_lo: np.ndarray, dir_hi: np.ndarray) -> np.ndarray:
    """Zhao, Lynch & Chen (2010) type of each indirect effect given the interval of it and
    of the direct effect (a missing direct path: estimate and bounds 0)."""
    ind_sig = (ind_lo > 0) | (ind_hi < 0)
    dir_sig = (dir_lo > 0) | (dir_hi < 0)
    same = np.sign(indirect) * np.sign(direct) > 0
    out = np.where(ind_sig & dir_sig, np.where(same, "complementary", "competitive"),
                   np.where(ind_sig, "indirect-only", np.where(dir_sig, "direct-only", "no-effect")))
    return out.astype(object)


def _matrix(paths: pd.DataFrame, found) -> tuple[np.ndarray, list[tuple[str, str, str]]]:
    """(rows, paths) 0/1 matrix per chain: which paths' logs sum to the chain (products),
    with the pairs' total rows after their chains."""
    pos = {(s, t): k for k, (s, t) in enumerate(zip(paths.source, paths.target))}
    rows, keys = [], []
    for src, through, tgt in found:
        ends = [src, *through, tgt]
        rows.append([pos[(a, b)] for a, b in zip(ends, ends[1:])])
        keys.append((src, " -> ".join(through), tgt))
    return rows, keys


def _products(values: np.ndarray, rows: list[list[int]]) -> np.ndarray:
    """Chain products of path values (..., n_paths) -> (..., n_chains)."""
    return np.stack([np.prod(values[..., r], axis=-1) for r in rows], axis=-1)


def indirect_effects(res: Any) -> pd.DataFrame:
    """Specific and total indirect effects of a fitted PLS result (see module docstring).

    Columns: source, through (``"M1 -> M2"``, or ``"(total)"``), target, estimate, and the
    direct effect (``direct``, 0 without a direct path) and ``total`` effect of the pair.
    After a bootstrap also se, t, p, ci_lower, ci_upper of the indirect effect,
    direct_ci_lower, direct_ci_upper, and ``type`` (Zhao et al. 2010), with the result's
    interval method and level.
    """
    paths = res.paths
    found = chains(list(zip(paths.source, paths.target)))
    cols = ["source", "through", "target", "estimate", "direct", "total"]
    if not found:
        return pd.DataFrame(columns=cols)
    rows, keys = _matrix(paths, found)
    pairs = list(dict.fromkeys((s, t) for s, _, t in keys))
    est = paths.estimate.to_numpy(dtype=float)
    pos = {(s, t): k for k, (s, t) in enumerate(zip(paths.source, paths.target))}

    def expand(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Indirect values (..., rows) with total rows, and the direct effects (..., rows)."""
        spec = _products(values, rows)
        ind, dirs = [], []
        for s, t in pairs:
            mine = [k for k, key in enumerate(keys) if (key[0], key[2]) == (s, t)]
            d = values[..., pos[(s, t)]] if (s, t) in pos else np.zeros(values.shape[:-1])
            parts = [spec[..., k] for k in mine] + [spec[..., mine].sum(axis=-1)]
            ind += parts
            dirs += [d] * len(parts)
        return np.stack(ind, axis=-1), np.stack(dirs, axis=-1)

    ind, direct = expand(est)
    table = [(s, th, t) for s, t in pairs for (s2, th, t2) in keys + [(s, TOTAL, t)]
             if (s2, t2) == (s, t)]
    out = pd.DataFrame(table, columns=["source", "through", "target"])
    out["estimate"], out["direct"] = ind, direct
    totals = {(s, t): ind[k] for k, (s, th, t) in enumerate(table) if th == TOTAL}
    out["total"] = [totals[(s, t)] + d for s, t, d in zip(out.source, out.target, direct)]
    inf = getattr(res, "inference", None)
    if inf is None:
        return out
    if inf.method in intervals.STUDENTIZED:
        raise NotAvailableError(f"indirect effects with {inf.method!r} intervals are not "
                                "available; use res.conf_int(method='percentile') or 'bca'")
    draws = inf.require_draws("indirect_effects")["paths"]["estimate"]
    jack = None
    if inf.jackknife is not None and inf.method == "bca":
        jack = expand(inf.jackknife["paths"]["estimate"])[0]
    ind_d, dir_d = expand(draws)
    stats = intervals.summarize(ind, ind_d, level=inf.level, method=inf.method,
                                jackknife=jack)
    for name in ("se", "t", "p", "ci_lower", "ci_upper"):
        out.insert(len(out.columns) - 2, name, stats[name])
    jack_d = None if jack is None else expand(inf.jackknife["paths"]["estimate"])[1]
    has_direct = np.array([(s, t) in pos for s, t in zip(out.source, out.target)])
    with np.errstate(invalid="ignore"):
        d_stats = intervals.summarize(direct, dir_d + 0.0, level=inf.level, method=inf.method,
                                      jackknife=jack_d)
    lo = np.where(has_direct, d_stats["ci_lower"], 0.0)
    hi = np.where(has_direct, d_stats["ci_upper"], 0.0)
    out["direct_ci_lower"], out["direct_ci_upper"] = lo, hi
    out["type"] = mediation_type(ind, stats["ci_lower"], stats["ci_upper"], direct, lo, hi)
    return out
