"""PLS path modelling and consistent PLS on correlation matrices, batched.

The engine knows no names and no pandas: it takes an indicator correlation matrix
``S`` of shape ``(..., p, p)`` (any number of leading batch axes: bootstrap
resamples, groups) and a :class:`Layout` of integer indices, and returns arrays.
All batch elements are iterated together; an element that has converged is frozen,
so every element's numbers equal those of a fit on that matrix alone.

Algorithm (docs/methods.md §1.1-1.3 and §2): Lohmöller's simultaneous iteration from unit
weights; inner schemes centroid, factorial and path; Mode A, Mode B and unit
weights; weights scaled to unit proxy variance; after convergence loadings,
cross-loadings, PLSc correction (rho_A, Dijkstra & Henseler 2015) for common
factors, OLS paths on the construct correlations, R² and total effects.

Example
-------
>>> import numpy as np
>>> from satmodel.engine import Layout, estimate
>>> S = np.array([[1.0, 0.6, 0.3, 0.3], [0.6, 1.0, 0.3, 0.3],
...               [0.3, 0.3, 1.0, 0.5], [0.3, 0.3, 0.5, 1.0]])
>>> lay = Layout(block_of=np.array([0, 0, 1, 1]), modes=("A", "A"),
...              adjacency=np.array([[False, True], [False, False]]),
...              common_factor=np.array([True, True]))
>>> round(float(estimate(S, lay).paths[0, 1]), 6)  # 4(0.3) / sqrt((2 + 1.2)(2 + 1.0))
0.387298
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._linalg import inv, solve
from ..spec.layout import Layout
from .kernel import finish as compiled_finish
from .kernel import iterate as compiled_iteration

@dataclass(frozen=True)
class Estimate:
    """Arrays of one (batched) PLS fit; leading axes as those of ``S``.

    ``weights`` and ``loadings`` hold each indicator's value in its own block.
    ``construct_corr`` is PLSc-corrected when ``consistent``; ``proxy_corr`` never is.
    ``paths[..., i, j]`` is the path i -> j (0 where none); ``total`` the total effects.
    """

    weights: np.ndarray  # (..., p)
    loadings: np.ndarray  # (..., p)
    cross_loadings: np.ndarray  # (..., p, J)
    proxy_corr: np.ndarray  # (..., J, J)
    construct_corr: np.ndarray  # (..., J, J)
    rho_a: np.ndarray  # (..., J)
    paths: np.ndarray  # (..., J, J)
    r2: np.ndarray  # (..., J)
    total: np.ndarray  # (..., J, J)
    n_iter: np.ndarray  # (...,) int
    converged: np.ndarray  # (...,) bool
    singular_block: np.ndarray  # (..., J) bool: Mode B block or structural system not invertible


def _inner_weights(C: np.ndarray, lay: Layout, scheme: str) -> np.ndarray:
    """E[b, i, j]: weight of proxy i in the inner proxy of construct j."""
    A = lay.adjacency
    adjacent = A | A.T
    if scheme == "centroid":
        E = np.sign(C) * adjacent
    elif scheme == "factorial":
        E = C * adjacent
    else:
        E = C * A.T  # successors i of j (path j -> i): e_ij = c_ij
        count = A.sum(axis=0)
        j1 = np.flatnonzero(count == 1)  # one predecessor: the 1 x 1 systems are divisions
        if j1.size:
            i1 = np.argmax(A[:, j1], axis=0)
            d = C[:, i1, i1]
            with np.errstate(all="ignore"):  # singular (0): NaN, as solve gives
                E[:, i1, j1] = np.where(d != 0, C[:, i1, j1] / d, np.nan)
        for j in np.flatnonzero(count > 1):
            pred = np.flatnonzero(A[:, j])
            E[:, pred, j] = solve(C[:, pred][:, :, pred], C[:, pred, j])
    # a construct without neighbours (a one-construct model) is its own inner proxy:
    # Mode A then converges to the block's first principal component (Wold)
    alone = np.flatnonzero(~adjacent.any(axis=0))
    E[:, alone, alone] = 1.0
    return E


def _outer_update(S, Y, E, lay: Layout, mode_b_blocks, item_scale) -> np.ndarray:
    """New (unnormalized) weights: Mode A covariances, Mode B regressions, unit ones.

    ``Y = S W`` holds the item-proxy covariances, so ``Y E`` are the item–inner-proxy ones.
    ``item_scale`` (item variances for PLS on unstandardized items, else 1) multiplies the
    Mode A update: Mode A on raw covariances, written in the standardized metric. Mode B
    (OLS) weights are metric-free in the standardized metric, so they ignore it.
    """
    G = np.matmul(Y, E)
    cov = G[:, np.arange(len(lay.block_of)), lay.block_of]
    new = cov if item_scale is None else cov * item_scale
    for j, idx in mode_b_blocks:
        # regression weights do not depend on the items' metric: no item_scale here
        new[:, idx] = solve(S[:, idx][:, :, idx], cov[:, idx])
    for j, mode in enumerate(lay.modes):
        if mode == "unit":
            new[:, lay.block_of == j] = 1.0
    return new


def _stop_value(rule: str, new, old, raw_new, raw_old) -> np.ndarray:
    if rule == "max_abs":
        return np.max(np.abs(new - old), axis=-1)
    if rule == "sum_abs":
        return np.sum(np.abs(new - old), axis=-1)
    # plspm: squared change of absolute un-normalized loop weights
    return np.sum((np.abs(raw_old) - np.abs(raw_new)) ** 2, axis=-1)


def _scaled(raw, S, lay: Layout, M):
    """Normalize raw weights; also return Y = S W of the normalized weights (one matmul)."""
    Yraw = np.matmul(S, raw[:, :, None] * M)
    # w_j'S_jj w_j: each item's own-block entry only (no (B, p, J) product)
    var = (raw * Yraw[:, np.arange(raw.shape[1]), lay.block_of]) @ M
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = 1.0 / np.sqrt(var)
        Yraw *= scale[:, None, :]
        return raw * scale[:, lay.block_of], Yraw


def _iterate(S, lay: Layout, M, scheme, tol, max_iter, stop, item_scale, plspm_k):
    B, p, _ = S.shape
    mode_b_blocks = [(j, lay.block(j)) for j, m in enumerate(lay.modes) if m == "B"]
    unit = item_scale is None  # standardized items: no item scales to apply
    item_scale = np.ones((1, p)) if unit else item_scale
    root = np.sqrt(item_scale)
    w, Y = _scaled(np.ones((B, p)) * root, S, lay, M)  # unit weights in the items' metric
    # plspm's loop weights in its own metric (only its stop rule "sum_sq" reads them)
    loop_factor = np.where(np.array([m == "B" for m in lay.modes])[lay.block_of],
                           1.0 / plspm_k, plspm_k) / root
    raw = w / (plspm_k * root)
    n_iter = np.zeros(B, dtype=int)
    active = np.ones(B, dtype=bool)
    # the working set: the elements still iterating (converged ones are frozen, so each
    # equals its single fit), narrowed only when some converge -- no copy of S per step
    # (only w is written back: Y and the loop weights live in the working set alone)
    idx = np.arange(B)
    going = np.ones(B, dtype=bool)  # of the working set: still iterating
    Sa, wa, Ya, raw_a, scale_a, factor_a = S, w, Y, raw, item_scale, loop_factor
    J = M.shape[1]
    for it in range(1, max_iter + 1):
        # C = W'Y on the items: each block's rows of w*Y summed by the 0/1 membership
        C = ((wa[:, :, None] * Ya).transpose(0, 2, 1).reshape(-1, p) @ M) \
            .reshape(len(idx), J, J).transpose(0, 2, 1)
        E = _inner_weights(C, lay, scheme)
        update = _outer_update(Sa, Ya, E, lay, mode_b_blocks, None if unit else scale_a)
        w_new, Y_new = _scaled(update, Sa, lay, M)
        raw_new = update * factor_a if stop == "sum_sq" else None  # only that rule reads it
        crit = _stop_value(stop, w_new, wa, raw_new, raw_a)
        stopped = ((crit < tol) | ~np.isfinite(crit)) & going
        if going.all():
            w[idx], n_iter[idx] = w_new, it
        else:  # frozen elements of the working set keep their converged values
            w[idx[going]], n_iter[idx[going]] = w_new[going], it
        active[idx[stopped]] = False
        going &= ~stopped
        if not going.any():
            break
        wa, Ya, raw_a = w_new, Y_new, raw_new
        # narrow the working set (a copy of S) when it pays or an element broke down
        if going.sum() * 4 < 3 * len(idx) or not np.isfinite(crit[stopped]).all():
            keep = going
            idx, Sa, wa, Ya = idx[keep], Sa[keep], wa[keep], Ya[keep]
            raw_a = None if raw_a is None else raw_a[keep]
            scale_a = scale_a if scale_a.shape[0] == 1 else scale_a[keep]
            factor_a = factor_a if factor_a.shape[0] == 1 else factor_a[keep]
            going = np.ones(len(idx), dtype=bool)
    converged = ~active & np.all(np.isfinite(w), axis=-1)
    return w, n_iter, converged


def _weights(S, lay: Layout, M, scheme, tol, max_iter, stop, item_scale, plspm_k):
    """The iteration's weights, counts and convergence: compiled (:mod:`.kernel`) when numba
    is there and the batch is large; the elements it marks are redone here on the numpy
    path (each element's iteration is its own, so redoing some leaves the others as
    they are)."""
    out = compiled_iteration(S, lay, scheme, tol, max_iter, stop, item_scale,
                             None if stop != "sum_sq" else plspm_k)
    if out is None:
        return _iterate(S, lay, M, scheme, tol, max_iter, stop, item_scale, plspm_k)
    w, n_iter, converged, redo = out
    if redo.any():
        def part(a):
            return a if a is None or a.shape[0] == 1 else a[redo]
        w[redo], n_iter[redo], converged[redo] = _iterate(
            S[redo], lay, M, scheme, tol, max_iter, stop, part(item_scale), part(plspm_k))
    return w, n_iter, converged


def _sign_rule(lam, M, reference=None) -> np.ndarray:
    """The orientation (B, J) of ±1 of each block (docs/methods.md §1.5 and §4.3), from
    the loadings ``lam`` (B, p) of every item on its own construct.

    Without ``reference``: make the block's sum of loadings non-negative (the documented
    rule of every fit). With reference loadings λ̂ (shape (p,)): construct-level sign
    change of Tenenhaus et al. (2005) — reverse block j when |Σ(λ̂ − λ*)| > |Σ(λ̂ + λ*)|.
    """
    if reference is None:
        flip = (lam @ M) < 0
    else:
        ref = np.asarray(reference, dtype=float)[None, :]
        flip = np.abs((ref - lam) @ M) > np.abs((ref + lam) @ M)
    return np.where(flip, -1.0, 1.0)


def _consistent(S, own, w, lay: Layout):
    """PLSc correction factors rho_A and corrected loadings (Dijkstra & Henseler 2015);
    ``own`` (B, p) holds each item's loading on its own (uncorrected) construct."""
    B, p = w.shape
    J = lay.n_constructs
    rho_a = np.ones((B, J))
    loadings_c = own.copy()
    for j in range(J):
        idx = lay.block(j)
        if lay.modes[j] != "A" or idx.size < 2:
            continue
        wj = w[:, idx]
        Sj = S[:, idx][:, :, idx]
        outer = wj[:, :, None] * wj[:, None, :]
        off = ~np.eye(idx.size, dtype=bool)
        num = np.einsum("bk,bkl,bl->b", wj, Sj * off, wj)
        den = np.sum((outer * outer) * off, axis=(1, 2))
        c2 = num / den
        rho_a[:, j] = (np.sum(wj * wj, axis=1) ** 2) * c2
        if lay.common_factor[j]:
            with np.errstate(invalid="ignore"):
                loadings_c[:, idx] = np.sqrt(c2)[:, None] * wj
    return rho_a, loadings_c


def _structural(R: np.ndarray, lay: Layout):
    B, J, _ = R.shape
    paths = np.zeros((B, J, J))
    r2 = np.zeros((B, J))
    singular = np.zeros((B, J), dtype=bool)
    for j in range(J):
        pred = np.flatnonzero(lay.adjacency[:, j])
        if pred.size:
            beta = solve(R[:, pred][:, :, pred], R[:, pred, j])
            paths[:, pred, j] = beta
            r2[:, j] = np.einsum("bk,bk->b", beta, R[:, pred, j])
            singular[:, j] |= ~np.all(np.isfinite(beta), axis=1)
    eye = np.eye(J)
    total = inv(eye - paths) - eye
    return paths, r2, total, singular


def _finish(S, w, lay: Layout, M, sign_reference, consistent: bool) -> tuple:
    """Everything after the weight iteration: compiled (:func:`.kernel.finish`) when numba
    is there and the batch is large (the elements it marks are redone here), else the
    numpy steps of :func:`_finish_numpy`."""
    out = compiled_finish(S, w, lay, sign_reference, consistent)
    if out is None:
        return _finish_numpy(S, w, lay, M, sign_reference, consistent)
    parts, redo = out
    if redo.any():
        for whole, part in zip(parts, _finish_numpy(S[redo], w[redo], lay, M, sign_reference,
                                                    consistent)):
            whole[redo] = part
    return parts


def _finish_numpy(S, w, lay: Layout, M, sign_reference, consistent: bool) -> tuple:
    """Oriented weights, loadings, cross-loadings, proxy and construct correlations,
    rho_A, paths, R², total effects and singular systems from the iteration's weights."""
    p = S.shape[-1]
    W = w[:, :, None] * M[None]
    cross = np.matmul(S, W)  # item-proxy correlations, before orientation
    own = cross[:, np.arange(p), lay.block_of]  # each item's loading on its own proxy
    sign = _sign_rule(own, M, sign_reference)  # reversing a block flips its column: exact
    w = w * sign[:, lay.block_of]
    W *= sign[:, None, :]
    cross *= sign[:, None, :]
    own = own * sign[:, lay.block_of]
    C = np.matmul(W.transpose(0, 2, 1), cross)
    rho_a, loadings = _consistent(S, own, w, lay)
    if consistent:
        q = np.where(lay.common_factor[None, :], rho_a, 1.0)
        with np.errstate(invalid="ignore"):
            scale = np.sqrt(q)
            R = C / (scale[:, :, None] * scale[:, None, :])
            idx = np.arange(lay.n_constructs)
            R[:, idx, idx] = 1.0
            # item-construct correlations with the corrected constructs
            cross = _consistent_cross_loadings(cross, loadings, scale, lay)
    else:
        R = C
        loadings = own
    paths, r2, total, singular = _structural(R, lay)
    return w, loadings, cross, C, R, rho_a, paths, r2, total, singular


def estimate(
    S: np.ndarray,
    layout: Layout,
    *,
    scheme: str = "path",
    consistent: bool = False,
    tol: float = 1e-7,
    max_iter: int = 300,
    stop: str = "max_abs",
    sign_reference: np.ndarray | None = None,
    item_scale: np.ndarray | None = None,
    plspm_k: float | np.ndarray = 1.0,
) -> Estimate:
    """Fit PLS-PM (or PLSc) to one or many correlation matrices.

    Parameters
    ----------
    S : ndarray, shape (..., p, p)
        Indicator correlation matrices; leading axes are a batch.
    layout : Layout
    scheme : {"path", "centroid", "factorial"}
    consistent : bool
        Apply the PLSc correction to the common-factor constructs.
    tol, max_iter, stop
        Stop when the stop quantity is below ``tol``: ``"max_abs"`` max |Δw| (SmartPLS,
        ADANCO), ``"sum_abs"`` Σ|Δw| (seminr), ``"sum_sq"`` Σ(|w_old| − |w_new|)² of the
        un-normalized loop weights (R plspm); at most ``max_iter`` iterations.
    sign_reference : ndarray, shape (p,), optional
        Loadings of an original fit: orient each block by construct-level sign change
        against them (bootstrap option) instead of the default rule (block loadings sum
        non-negative).
    item_scale : ndarray, shape (..., p), optional
        Item variances to run Mode A on unstandardized (centred) items — plspm's
        ``scaled = FALSE`` — while every output stays in the standardized metric
        (weights on z-scores, loadings as correlations). Default: standardized items.
    plspm_k : float or ndarray (...,)
        Scale of plspm's loop weights, used only by ``stop="sum_sq"``:
        a·sqrt((n − 1)/n) for items scaled by a (plspm standardizes with divisor n,
        a = sqrt(n/(n − 1)), so 1; centred raw items: sqrt((n − 1)/n)).

    Returns
    -------
    Estimate
        ``converged`` is False where ``max_iter`` was reached; nothing is raised here
        (the caller decides how to report it).
    """
    S = np.asarray(S, dtype=float)
    batch_shape = S.shape[:-2]
    p = S.shape[-1]
    Sb = S.reshape((-1, p, p))
    lay = layout
    M = lay.membership.astype(float)
    scale = None if item_scale is None else \
        np.broadcast_to(np.asarray(item_scale, dtype=float), batch_shape + (p,)).reshape(-1, p)
    k = np.broadcast_to(np.asarray(plspm_k, dtype=float), batch_shape).reshape(-1, 1)
    w, n_iter, converged = _weights(Sb, lay, M, scheme, tol, max_iter, stop, scale, k)
    parts = _finish(Sb, w, lay, M, sign_reference, consistent)
    w, loadings, cross, C, R, rho_a, paths, r2, total, singular = parts

    def shape(a, tail):
        return a.reshape(batch_shape + tail)

    J = lay.n_constructs
    return Estimate(
        weights=shape(w, (p,)),
        loadings=shape(loadings, (p,)),
        cross_loadings=shape(cross, (p, J)),
        proxy_corr=shape(C, (J, J)),
        construct_corr=shape(R, (J, J)),
        rho_a=shape(rho_a, (J,)),
        paths=shape(paths, (J, J)),
        r2=shape(r2, (J,)),
        total=shape(total, (J, J)),
        n_iter=n_iter.reshape(batch_shape),
        converged=converged.reshape(batch_shape),
        singular_block=shape(singular, (J,)),
    )


def _consistent_cross_loadings(cross, loadings, scale, lay: Layout):
    """Correlations of items with PLSc constructs (ADANCO's cross-loadings).

    cov(x_k, proxy_j) / sqrt(rho_A,j): the proxy's measurement error is removed; the
    own-block entries are the corrected loadings.
    """
    out = cross / scale[:, None, :]
    out[:, lay.membership] = loadings
    return out
