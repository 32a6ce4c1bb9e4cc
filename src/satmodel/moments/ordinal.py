"""Correlations for ordinal items: polychoric, polyserial and Spearman, weighted and batched.

``fit_pls(..., correlation="polychoric")`` gives the engine (OrdPLS, OrdPLSc: Schuberth,
Henseler & Dijkstra 2018) the correlations of the normal variables assumed to underlie
the items instead of Pearson correlations of the codes:

- an item is **ordinal** when all its values are integers and it has at most
  :data:`MAX_LEVELS` distinct values; other items are continuous;
- thresholds of an ordinal item: τ_a = Φ⁻¹(cumulative proportion of levels ≤ a) over the
  item's levels in the fitted data (the last is +∞);
- two ordinal items: the **two-step polychoric** correlation (Olsson 1979; R
  ``polycor::polychor(ML = FALSE)``, which cSEM's ``hetcor`` call uses): thresholds
  fixed at their marginal values, ρ maximizing the multinomial likelihood of the
  contingency table, solved by Fisher scoring (kept inside a bracket of the maximum) to
  |Δρ| < 1e-12 (polycor's ``optimise`` stops at ~1e-4), |ρ| ≤ 0.9999 as polycor's
  ``maxcor``; a pair that ends on ±0.9999 (no interior maximum: empty cells) or stops at
  the iteration limit gets a diagnostic naming it (``polychoric_at_bound``,
  ``polychoric_not_converged``);
- ordinal and continuous: the **two-step polyserial** correlation (Olsson, Drasgow &
  Dorans 1982; ``polycor::polyserial(ML = FALSE)``): r · σ_y / Σ_a φ(τ_a), r the Pearson
  correlation of x with the level index y = 1..K and σ_y its SD with divisor n;
- two continuous items: Pearson;
- ``"spearman"``: Pearson correlations of the mid-ranks (R ``cor(method = "spearman")``,
  cSEM ``.approach_cor_robust = "spearman"``).

Row weights (bootstrap counts, sampling weights, training masks) enter as frequency
weights of the tables, ranks and moments, so a resample is one more weight vector.
Means and SDs stay those of the codes (for scores and the 0-100 index).

>>> import numpy as np
>>> X = np.array([[1, 1], [1, 2], [2, 2], [2, 3], [3, 3], [3, 3], [1, 1], [2, 1]], float)
>>> m = correlation_moments(X, "polychoric")
>>> round(float(m.corr[0, 1]), 4)
0.8671
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.special import ndtri

from ..diagnostics import report
from ..errors import ConvergenceWarning, SatModelWarning
from .bivariate import bvn_cdf, bvn_pdf
from .core import Moments, compute_moments

__all__ = ["correlation_moments", "ordinal_columns", "thresholds", "threshold_rows", "MAX_LEVELS",
           "CORRELATIONS", "polychoric", "polychoric_status"]

MAX_LEVELS = 15
CORRELATIONS = ("pearson", "spearman", "polychoric")
MAXCOR = 0.9999
_BIG = 10.0  # stands for ±∞ in thresholds: Φ(-10) ≈ 8e-24


def ordinal_columns(X: np.ndarray) -> np.ndarray:
    """Boolean (p,): integer-valued columns with at most ``MAX_LEVELS`` levels."""
    X = np.asarray(X, dtype=float)
    out = np.zeros(X.shape[1], dtype=bool)
    for j in range(X.shape[1]):
        col = X[:, j]
        out[j] = bool(np.all(col == np.round(col))) and np.unique(col).size <= MAX_LEVELS
    return out


def _level_index(col: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    levels, idx = np.unique(col, return_inverse=True)
    return levels, idx


def thresholds(X: np.ndarray, row_weights: np.ndarray | None = None) -> list[np.ndarray]:
    """Thresholds τ (..., K - 1) of every column (its levels in ``X``), per weighting."""
    out = []
    for j in range(X.shape[1]):
        levels, idx = _level_index(X[:, j])
        onehot = idx[:, None] == np.arange(levels.size)[None, :]
        out.append(_cuts(_margin(onehot, row_weights)))
    return out


def _margin(onehot: np.ndarray, w: np.ndarray | None) -> np.ndarray:
    return onehot.sum(axis=0).astype(float) if w is None else w @ onehot


def _cuts(counts: np.ndarray) -> np.ndarray:
    """Thresholds from level counts (..., K): Φ⁻¹ of the cumulative proportions (K - 1)."""
    cum = np.cumsum(counts, axis=-1)
    prop = cum[..., :-1] / cum[..., -1:]
    return np.clip(ndtri(np.clip(prop, 0.0, 1.0)), -_BIG, _BIG)


def _padded(cuts: np.ndarray) -> np.ndarray:
    lead = cuts.shape[:-1]
    return np.concatenate([np.full(lead + (1,), -_BIG), cuts, np.full(lead + (1,), _BIG)], -1)


def polychoric(table: np.ndarray, start: np.ndarray | None = None,
               tol: float = 1e-12, max_iter: int = 200) -> np.ndarray:
    """Two-step polychoric ρ of contingency tables (..., Ka, Kb) (weighted counts).

    Solved by Fisher scoring from ``start`` (default 0), tables in chunks that bound
    the quadrature temporaries (~64 MB); :func:`polychoric_status` also says which
    tables converged.
    """
    return polychoric_status(table, start, tol, max_iter)[0]


def polychoric_status(table: np.ndarray, start: np.ndarray | None = None,
                      tol: float = 1e-12, max_iter: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """ρ and ``converged`` (bool, same shape): False where |Δρ| ≥ ``tol`` after
    ``max_iter`` steps (the last iterate is returned).

    >>> rho, ok = polychoric_status(np.array([[5.0, 0.0], [0.0, 5.0]]))  # no interior maximum
    >>> float(rho), bool(ok)
    (0.9999, True)
    """
    T = np.asarray(table, dtype=float)
    lead = T.shape[:-2]
    flat = T.reshape((-1,) + T.shape[-2:])
    r0 = np.zeros(flat.shape[0]) if start is None else \
        np.broadcast_to(np.asarray(start, dtype=float), lead).reshape(-1)
    per = max(1, (64 * 2**20) // (8 * 24 * (T.shape[-2] + 1) * (T.shape[-1] + 1)))
    out = np.empty(flat.shape[0])
    ok = np.empty(flat.shape[0], dtype=bool)
    for s0 in range(0, flat.shape[0], per):
        out[s0:s0 + per], ok[s0:s0 + per] = _scoring(flat[s0:s0 + per], r0[s0:s0 + per],
                                                     tol, max_iter)
    return out.reshape(lead), ok.reshape(lead)


def _scoring(T: np.ndarray, rho: np.ndarray, tol: float,
             max_iter: int) -> tuple[np.ndarray, np.ndarray]:
    """Newton steps on the log-likelihood's ρ (Fisher scoring where it is not concave),
    safeguarded by a bracket: the score's sign says on which side the maximum lies, and
    a step that leaves the bracket is replaced by its midpoint (as ``rtsafe``), so the
    iteration cannot cycle (unguarded, [[60, 9], [17, 68]] jumped between the bounds).
    A table whose likelihood still rises at ±``MAXCOR`` stops there.

    d/dρ of a cell probability is the signed sum of φ₂ at its corners; d²/dρ² that of
    φ₂ [ρ/(1 - ρ²) + (hk(1 + ρ²) - ρ(h² + k²))/(1 - ρ²)²].
    """
    a = _padded(_cuts(T.sum(axis=-1)))[..., :, None]  # (m, Ka + 1, 1)
    b = _padded(_cuts(T.sum(axis=-2)))[..., None, :]  # (m, 1, Kb + 1)
    N = T.sum(axis=(-1, -2))
    rho = np.clip(np.array(rho, dtype=float), -MAXCOR, MAXCOR)
    active = np.isfinite(rho)  # NaN start: an item without variance, left NaN
    lo, hi = np.full(rho.shape, -1.0), np.full(rho.shape, 1.0)  # the maximum is inside
    for _ in range(max_iter):
        i = np.flatnonzero(active)
        r = rho[i, None, None]
        ai, bi, Ti = a[i], b[i], T[i]
        D = bvn_pdf(ai, bi, r)
        one = 1.0 - r * r
        D2 = D * (r / one + (ai * bi * (1.0 + r * r) - r * (ai * ai + bi * bi)) / one**2)
        D2 = np.where(np.isfinite(D2), D2, 0.0)
        pi = np.diff(np.diff(bvn_cdf(ai, bi, r), axis=-2), axis=-1)
        dpi = np.diff(np.diff(D, axis=-2), axis=-1)
        d2pi = np.diff(np.diff(D2, axis=-2), axis=-1)
        pos = pi > 0
        safe = np.where(pos, pi, 1.0)
        used = pos & (Ti > 0)
        g = np.where(used, dpi / safe, 0.0)
        score = np.sum(Ti * g, axis=(-1, -2))
        hess = np.sum(np.where(used, Ti * (d2pi / safe - g * g), 0.0), axis=(-1, -2))
        info = N[i] * np.sum(np.where(pos, dpi * dpi / safe, 0.0), axis=(-1, -2))
        curv = np.where(hess < 0, -hess, info)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(curv > 0, score / curv, 0.0)
        lo[i] = np.where(score > 0, rho[i], lo[i])
        hi[i] = np.where(score < 0, rho[i], hi[i])
        new = np.clip(rho[i] + step, -MAXCOR, MAXCOR)
        inside = ((lo[i] < new) & (new < hi[i])) | (new == rho[i])
        middle = (np.maximum(lo[i], -MAXCOR) + np.minimum(hi[i], MAXCOR)) / 2.0
        new = np.where(inside, new, middle)
        active[i] = np.abs(new - rho[i]) >= tol
        rho[i] = new
        if not active.any():
            break
    return rho, ~active


def _spearman_ranks(X: np.ndarray, w: np.ndarray | None) -> np.ndarray:
    """Mid-ranks of every column under the weights: (..., n, p)."""
    n, p = X.shape
    lead = () if w is None else w.shape[:-1]
    c = np.ones(n) if w is None else np.asarray(w, dtype=float)
    out = np.empty(lead + (n, p))
    for j in range(p):
        levels, idx = _level_index(X[:, j])
        onehot = idx[:, None] == np.arange(levels.size)[None, :]
        cnt = c @ onehot  # (..., K)
        below = np.cumsum(cnt, axis=-1) - cnt
        mid = below + (cnt + 1.0) / 2.0
        out[..., j] = mid[..., idx]
    return out


def _weighted_corr(R: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Correlations of each batch element's own matrix ``R`` (..., n, p) under its weights
    ``w`` (..., n), all at once: what :func:`compute_moments` gives one element at a time
    (the same centring on the unweighted column means, then Σ w (x - m)(x - m)').
    ``R`` is centred in place: one more (..., n, p) temporary, as the memory budget
    of :func:`~satmodel.moments.treatment.bytes_per_reweighting` counts."""
    Rs = R
    Rs -= R.mean(axis=-2, keepdims=True)
    N = w.sum(axis=-1)
    mean = np.einsum("...n,...np->...p", w, Rs) / N[..., None]
    cov = np.swapaxes(Rs * w[..., None], -1, -2) @ Rs
    cov -= N[..., None, None] * mean[..., :, None] * mean[..., None, :]
    std = np.sqrt(np.clip(np.diagonal(cov, axis1=-2, axis2=-1), 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = cov / (std[..., :, None] * std[..., None, :])
    idx = np.arange(R.shape[-1])
    corr[..., idx, idx] = 1.0
    return corr


def correlation_moments(X: np.ndarray, kind: str, row_weights: np.ndarray | None = None,
                        names: Sequence[str] | None = None) -> Moments:
    """Moments of ``X`` whose correlations are of ``kind`` (see the module docstring).

    ``names``: the columns' item names, for the diagnostics of polychoric pairs that did
    not converge (``polychoric_not_converged``) or ended on ±``MAXCOR``
    (``polychoric_at_bound``); default "column 0", "column 1", ...
    """
    X = np.asarray(X, dtype=float)
    base = compute_moments(X, row_weights)
    if kind == "pearson":
        return base
    if kind == "spearman":
        R = _spearman_ranks(X, row_weights)
        if row_weights is None:
            corr = compute_moments(R).corr
        else:  # one weight vector per batch element, each with its own ranks
            corr = _weighted_corr(R, np.asarray(row_weights, dtype=float))
        return Moments(n=base.n, mean=base.mean, std=base.std, corr=corr)
    return Moments(n=base.n, mean=base.mean, std=base.std,
                   corr=_mixed_corr(X, base, row_weights, names))


def _mixed_corr(X: np.ndarray, base: Moments, w: np.ndarray | None,
                names: Sequence[str] | None = None) -> np.ndarray:
    ordinal = ordinal_columns(X)
    ords = np.flatnonzero(ordinal)
    idx_cols = X.copy()
    onehot = np.zeros((X.shape[0], ords.size, 0))
    if ords.size:
        levels = [_level_index(X[:, j]) for j in ords]
        K = max(lv.size for lv, _ in levels)  # padded levels have zero counts
        onehot = np.zeros((X.shape[0], ords.size, K))
        for i, (j, (_, idx)) in enumerate(zip(ords, levels)):
            onehot[np.arange(X.shape[0]), i, idx] = 1.0
            idx_cols[:, j] = idx + 1.0
    corr = np.array(base.corr, dtype=float, copy=True)
    idx_mom = compute_moments(idx_cols, w)  # Pearson r of x with the level index
    c = np.ones(X.shape[0]) if w is None else np.asarray(w, dtype=float)
    # two ordinal items: polychoric, all pairs of all weightings in one call
    a, b = np.triu_indices(ords.size, k=1)
    if a.size:
        m, K = ords.size, onehot.shape[-1]
        flat = onehot.reshape(X.shape[0], m * K)
        full = np.swapaxes(c[..., :, None] * flat, -1, -2) @ flat  # (..., mK, mK) by BLAS
        full = full.reshape(c.shape[:-1] + (m, K, m, K))
        tables = np.moveaxis(full, -3, -2)[..., a, b, :, :]
        start = idx_mom.corr[..., ords[a], ords[b]]
        rho, ok = polychoric_status(tables, start=start)
        labels = [f"column {j}" for j in range(X.shape[1])] if names is None else list(names)
        _report_polychoric(rho, ok, [f"{labels[ords[i]]} ~ {labels[ords[j]]}"
                                     for i, j in zip(a, b)])
        corr[..., ords[a], ords[b]] = rho
        corr[..., ords[b], ords[a]] = rho
    # ordinal with continuous: polyserial (closed form)
    cont = np.flatnonzero(~ordinal)
    if ords.size and cont.size:
        corr = _polyserial(corr, X, onehot, ords, cont, c)
    return corr


def _report_polychoric(rho: np.ndarray, ok: np.ndarray, pairs: list[str]) -> None:
    """Diagnostics naming the item pairs whose polychoric ρ (..., pairs) did not converge
    or sits on the bound; ``count``: pairs x weightings (e.g. resamples) affected."""
    finite = np.isfinite(rho)
    stuck = (~ok & finite).reshape(-1, len(pairs))
    bound = (ok & finite & (np.abs(rho) >= MAXCOR)).reshape(-1, len(pairs))
    if stuck.any():
        where = [pairs[k] for k in np.flatnonzero(stuck.any(axis=0))]
        report("polychoric_not_converged",
               f"the polychoric correlation of {', '.join(where)} did not converge (Fisher "
               "scoring stopped at its iteration limit); the last iterate is used. Look at "
               "the pair's contingency table (pd.crosstab) for sparse levels, merge them, or "
               "use correlation='spearman'", ConvergenceWarning, names=where,
               count=int(stuck.sum()))
    if bound.any():
        where = [pairs[k] for k in np.flatnonzero(bound.any(axis=0))]
        report("polychoric_at_bound",
               f"the polychoric correlation of {', '.join(where)} is at the bound "
               f"±{MAXCOR} (polycor's maxcor): the likelihood still rises towards ±1, so it "
               "is not estimable from these answers — typically a contingency table with "
               "empty cells (items that never disagree, or levels chosen by very few "
               "respondents). Look at the pair's table (pd.crosstab), merge sparse levels, "
               "or use correlation='spearman'", SatModelWarning, names=where,
               count=int(bound.sum()))


def _polyserial(corr, X, onehot, ords, cont, c):
    """r(x, y) σ_y / Σ φ(τ): y the index 1..K of the levels present under each weighting
    (as polycor recodes a sample), σ_y with divisor N; r Pearson with weights."""
    N = c.sum(axis=-1)[..., None]  # (..., 1)
    xc = X[:, cont]
    mx = (c @ xc) / N  # (..., q)
    vx = (c @ xc**2 - N * mx**2) / (N - 1.0)
    for i, o in enumerate(ords):
        M = c @ onehot[:, i, :]  # (..., K) level counts
        v = np.cumsum(M > 0, axis=-1).astype(float)  # index of the levels present
        my = (M * v).sum(axis=-1, keepdims=True) / N
        vy = ((M * v * v).sum(axis=-1, keepdims=True) - N * my**2) / (N - 1.0)
        Sxa = np.einsum("...n,nq,na->...aq", c, xc, onehot[:, i, :])  # Σ w x 1(level a)
        cov = (np.einsum("...a,...aq->...q", v, Sxa) - N * mx * my) / (N - 1.0)
        r = cov / np.sqrt(vx * vy)
        # one threshold after each present level (absent levels repeat the one before)
        dens = np.where(M[..., :-1] > 0, np.exp(-0.5 * _cuts(M) ** 2), 0.0)
        dens = dens.sum(axis=-1)[..., None] / np.sqrt(2.0 * np.pi)
        value = r * np.sqrt(vy * (N - 1.0) / N) / dens
        corr[..., o, cont] = value
        corr[..., cont, o] = value
    return corr


def threshold_rows(survey: Any) -> list[dict[str, Any]]:
    """Thresholds of the ordinal items of a fitted survey (``res.survey``), one dict per
    threshold: indicator, level (the code below the threshold), threshold — as R
    ``polycor`` reports them (the table: :func:`satmodel.assess.threshold_table`)."""
    X = np.asarray(survey.X, dtype=float)
    rows = []
    weights = None if survey.weights is None else np.asarray(survey.weights, dtype=float)
    for j in np.flatnonzero(ordinal_columns(X)):
        levels, idx = _level_index(X[:, j])
        onehot = idx[:, None] == np.arange(levels.size)[None, :]
        cuts = _cuts(_margin(onehot, weights))
        rows += [{"indicator": survey.indicators[j], "level": float(lv), "threshold": float(t)}
                 for lv, t in zip(levels[:-1], cuts)]
    return rows
