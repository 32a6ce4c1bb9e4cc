"""Consistent PLS (PLSc) for second-order constructs by cSEM's two-stage approach
(``hoc="two_stage", hoc_convention="csem", consistent=True``; cSEM ``calculate2ndStage``).

Stage 1 is an ordinary PLSc fit of the first-order constructs (the engine's); its proxy
scores are stage 2's columns. Stage 2 is estimated by PLS on those scores and then
corrected here, batched over reweightings:

- a construct measured by its own first-stage score gets that construct's stage-1
  reliability (rho_A of a common factor, 1 for a composite) as its reliability;
- a common-factor second-order construct gets its own rho_A from stage 2 (its components'
  scores are its indicators); its loadings ``sqrt(rho_A) w / (w'w)`` are rebased to the
  components' true scores by dividing by the square roots of their stage-1 reliabilities;
- a composite second-order construct of at least one common factor (van Riel, Henseler,
  Kemény & Sasovova 2017, cSEM's "third stage") gets reliability ``w' S* w`` (``S*``: the
  components' score correlations with their reliabilities on the diagonal); its reported
  weights and loadings are those of the composite of the disattenuated components whose
  loadings are the corrected stage-2 loadings (``v = R1^-1 q``, normalized);
- construct correlations are the proxy correlations divided by ``sqrt(rel_i rel_j)``,
  paths and R² are least squares on them.

>>> import satmodel as sm
>>> spec = sm.ModelSpec.from_lavaan('''
...     QUAL =~ QUAL1 + QUAL2 + QUAL3; VAL =~ VAL1 + VAL2; SAT =~ SAT1 + SAT2 + SAT3
...     PERF =~ QUAL + VAL
...     SAT ~ PERF''')
>>> res = sm.fit_pls(spec, sm.datasets.load("ecsi_satisfaction"), hoc="two_stage",
...                  hoc_convention="csem", consistent=True)
>>> res.quality.set_index("construct").rho_a.round(3).tolist()  # SAT: its stage-1 rho_A
[0.904, 0.817]
>>> round(float(res.stages[0].quality.set_index("construct").rho_a["SAT"]), 3)
0.904
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._linalg import inv, solve
from ..errors import EstimationError
from ..spec.layout import Layout

__all__ = ["consistent_second_stage"]


def consistent_second_stage(est: Any, S: np.ndarray, first: Any, first_layout: Layout,
                            layout: Layout, score_of: np.ndarray,
                            higher_order: dict[int, bool],
                            names: Sequence[str] | None = None) -> Any:
    """The stage-2 estimate ``est`` (batched, B leading) corrected as cSEM's PLSc does.

    ``S`` (B, q, q): stage-2 column correlations (the stage-1 score correlations);
    ``first``: the stage-1 (PLSc) estimate on ``first_layout``; ``score_of`` (q,): the
    stage-1 construct whose score each stage-2 column is; ``higher_order``: stage-2
    construct index -> True for a common-factor second-order construct, False for a
    composite one (every other stage-2 construct is measured by its own score).

    Where the correction breaks down (a composite's reliability ``w' S* w`` not positive,
    or non-finite corrected paths) a reweighting's weights and paths are NaN (a bootstrap
    drops it as singular); with ``names`` (the point fit) it raises EstimationError naming
    the construct, unless a stage-1 reliability is invalid (stage 1's check names that)."""
    w = np.array(est.weights, dtype=float)
    B, q = w.shape
    J = layout.n_constructs
    rho1 = np.asarray(first.rho_a, dtype=float).reshape(B, -1)
    rel_col = np.where(first_layout.common_factor[score_of][None, :], rho1[:, score_of], 1.0)
    C = np.asarray(est.proxy_corr, dtype=float).reshape(B, J, J)
    S = np.asarray(S, dtype=float).reshape(B, q, q)
    loadings = np.array(est.loadings, dtype=float).reshape(B, q)
    rho_a = np.array(est.rho_a, dtype=float).reshape(B, J)
    Q = np.ones((B, J))
    third: list[int] = []
    # (B,) the inputs are usable: else stage 1's or the PLS iteration's check names the cause
    valid1 = np.all(np.isfinite(rel_col) & (rel_col > 0), axis=1) & np.isfinite(w).all(1)
    broken = np.zeros(B, dtype=bool)
    for j in range(J):
        idx = layout.block(j)
        wj = w[:, idx]
        if j not in higher_order:  # measured by its own first-stage score
            Q[:, j] = np.sqrt(rel_col[:, idx[0]])
            loadings[:, idx] = 1.0
            rho_a[:, j] = rel_col[:, idx[0]]
        elif higher_order[j]:  # common factor: its own rho_A, loadings rebased
            Q[:, j] = np.sqrt(rho_a[:, j])
            lam = Q[:, j, None] * wj / np.sum(wj * wj, axis=1, keepdims=True)
            loadings[:, idx] = lam / np.sqrt(rel_col[:, idx])
        elif first_layout.common_factor[score_of[idx]].any():  # composite of common factors
            third.append(j)
            Sstar = S[:, idx][:, :, idx].copy()
            k = np.arange(idx.size)
            Sstar[:, k, k] = rel_col[:, idx]
            rel2 = np.einsum("bk,bkl,bl->b", wj, Sstar, wj)
            bad = ~(rel2 > 0)
            culprit = np.flatnonzero(bad & valid1 & np.isfinite(rel2))
            if names is not None and culprit.size:
                raise EstimationError(
                    f"PLSc correction is undefined for the composite {names[j]!r}: its "
                    f"reliability w'S*w = {float(rel2[culprit[0]]):.3g} is not positive "
                    "(its components' scores correlate negatively on balance); check "
                    "reverse-coded items or fit it with consistent=False")
            broken |= bad
            rel2 = np.where(bad, np.nan, rel2)
            Q[:, j] = np.sqrt(rel2)
            rho_a[:, j] = rel2
        # else a composite of composites: nothing to correct (reliabilities 1)
    weights = w.copy()
    R1 = np.asarray(first.construct_corr, dtype=float).reshape(B, *first.construct_corr.shape[-2:])
    for j in third:
        idx = layout.block(j)
        wj = w[:, idx]
        own = np.einsum("bkl,bl->bk", S[:, idx][:, :, idx], wj)  # composite loadings
        lam = own * Q[:, j, None] if layout.modes[j] == "B" else \
            Q[:, j, None] * wj / np.sum(wj * wj, axis=1, keepdims=True)
        target = lam / np.sqrt(rel_col[:, idx])
        comps = score_of[idx]
        Rc = R1[:, comps][:, :, comps]
        v = solve(Rc, target)
        v = v / np.sqrt(np.einsum("bk,bkl,bl->b", v, Rc, v))[:, None]
        weights[:, idx] = v
        loadings[:, idx] = np.einsum("bkl,bl->bk", Rc, v)
    with np.errstate(invalid="ignore", divide="ignore"):
        R = C / (Q[:, :, None] * Q[:, None, :])
        cross = np.asarray(est.cross_loadings, dtype=float).reshape(B, q, J) / (
            np.sqrt(rel_col)[:, :, None] * Q[:, None, :])
    R[:, np.arange(J), np.arange(J)] = 1.0
    cross[:, layout.membership] = loadings
    paths, r2, total = _structural(R, layout)
    bad = ~np.isfinite(paths).all((-1, -2))
    culprit = np.flatnonzero(bad & valid1 & np.isfinite(Q).all(1) & ~broken)
    if names is not None and culprit.size:
        into = [names[j] for j in range(J) if not np.isfinite(paths[culprit[0], :, j]).all()]
        raise EstimationError(
            f"the PLSc-corrected paths into {into} are not finite (the disattenuated "
            "construct correlations are singular); check for collinear constructs or fit "
            "with consistent=False")
    broken |= bad
    weights[broken], paths[broken] = np.nan, np.nan
    shape = est.paths.shape[:-2]

    def back(a: np.ndarray) -> np.ndarray:
        return a.reshape(shape + a.shape[1:])

    return dataclasses.replace(est, weights=back(weights), loadings=back(loadings),
                               cross_loadings=back(cross), construct_corr=back(R),
                               rho_a=back(rho_a), paths=back(paths), r2=back(r2),
                               total=back(total))


def _structural(R: np.ndarray, layout: Layout) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Least-squares paths, R² and total effects on construct correlations ``R`` (B, J, J)."""
    B, J, _ = R.shape
    paths = np.zeros((B, J, J))
    r2 = np.zeros((B, J))
    for j in np.flatnonzero(layout.adjacency.any(axis=0)):
        pred = np.flatnonzero(layout.adjacency[:, j])
        beta = solve(R[:, pred][:, :, pred], R[:, pred, j])
        paths[:, pred, j] = beta
        r2[:, j] = np.einsum("bk,bk->b", beta, R[:, pred, j])
    eye = np.eye(J)
    total = inv(eye - np.nan_to_num(paths)) - eye
    total = np.where(np.isfinite(paths).all((-1, -2))[:, None, None], total, np.nan)
    return paths, r2, total
