"""Moments of survey data with missing cells (NaN): mean replacement, pairwise, EM.

Every function takes the data ``X`` (n, p) with NaN for missing answers and optional
row weights of shape ``(..., n)`` (sampling weights times bootstrap counts), and
returns :class:`~satmodel.moments.Moments` with the leading batch axes of the weights,
like :func:`~satmodel.moments.compute_moments`. So a bootstrap resample is treated
exactly as the original fit: the replacement means, the pairwise moments and the EM
estimates are recomputed on each resample. numpy only (no pandas).

Conventions (docs/methods.md §6.7): n = sum of the weights over all rows; SDs and
covariances use divisor n - 1 (pairwise: the pair's weight sum minus 1); on complete
data all three equal :func:`~satmodel.moments.compute_moments` exactly.

Example
-------
>>> import numpy as np
>>> X = np.array([[1.0, 2.0], [2.0, np.nan], [3.0, 4.0], [4.0, 3.0]])
>>> m = mean_imputed_moments(X)
>>> m.mean.tolist()
[2.5, 3.0]
>>> round(float(m.corr[0, 1]), 6)  # the cell is replaced by 3.0, the observed mean
0.632456
"""

from __future__ import annotations

import numpy as np

from .._linalg import inv
from ..diagnostics import report
from ..errors import ConvergenceWarning
from .core import Moments

__all__ = ["mean_imputed_moments", "pairwise_moments", "em_moments", "em_bytes",
           "impute_conditional", "impute_means"]

EM_TOL = 1e-10  # max |change| of means and covariances (on the items' own scale)
EM_MAX_ITER = 5000
#: bytes of the E step's per-pattern working arrays (one block at a time, any batch size)
EM_WORK_BYTES = 32 * 2**20


def em_bytes(n: int, p: int, batch: int = 1) -> int:
    """Bytes :func:`em_moments` allocates at most for ``batch`` reweightings of n x p data:
    fixed 4 n p floats (observed masks, centred rows, rows by pattern) and the E step's
    :data:`EM_WORK_BYTES`, plus per reweighting n p + 2 n + 4 p² floats (the
    mean-replacement start, the weights by pattern, the moments), whatever the number of
    missingness patterns.

    >>> em_bytes(2000, 27, 2) - em_bytes(2000, 27, 1)  # one more reweighting
    487328
    """
    return EM_WORK_BYTES + 8 * (4 * n * p + batch * (n * p + 2 * n + 4 * p * p))


def _batch(X: np.ndarray, rw: np.ndarray | None):
    X = np.asarray(X, dtype=float)
    n = X.shape[0]
    c = np.ones(n) if rw is None else np.asarray(rw, dtype=float)
    shape = c.shape[:-1]
    return X, c.reshape(-1, n), shape


def _finish(shape, N, mean, cov) -> Moments:
    p = mean.shape[-1]
    var = np.diagonal(cov, axis1=-2, axis2=-1)
    std = np.sqrt(np.clip(var, 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = cov / (std[..., :, None] * std[..., None, :])
    idx = np.arange(p)
    corr[..., idx, idx] = 1.0
    n = N.reshape(shape) if shape else float(N[0])
    return Moments(n=n, mean=mean.reshape(shape + (p,)), std=std.reshape(shape + (p,)),
                   corr=corr.reshape(shape + (p, p)))


def _observed(X: np.ndarray):
    O = ~np.isnan(X)
    shift = np.array([X[O[:, k], k].mean() if O[:, k].any() else 0.0 for k in range(X.shape[1])])
    D = np.where(O, X - shift, 0.0)  # centred observed values, 0 where missing
    return O.astype(float), D, shift


def mean_imputed_moments(X: np.ndarray, row_weights: np.ndarray | None = None) -> Moments:
    """Moments after replacing each missing cell by the weighted mean of the observed values.

    Computed without building the imputed matrix: a replaced cell sits exactly at the
    item mean, so it adds nothing to the cross-products and the item mean is unchanged.
    """
    X, c, shape = _batch(X, row_weights)
    O, D, shift = _observed(X)
    N = c.sum(-1)
    m = (c @ D) / (c @ O)  # weighted observed means (centred), (B, p)
    A1 = np.einsum("br,rp,rq->bpq", c, D, D, optimize=True)
    A2 = np.einsum("br,rp,rq->bpq", c, D, O, optimize=True)  # sum c O_k O_l x_k
    A3 = np.einsum("br,rp,rq->bpq", c, O, O, optimize=True)
    cross = (A1 - m[:, None, :] * A2 - m[:, :, None] * np.swapaxes(A2, 1, 2)
             + m[:, :, None] * m[:, None, :] * A3)
    cov = cross / (N - 1.0)[:, None, None]
    return _finish(shape, N, m + shift, cov)


def pairwise_moments(X: np.ndarray, row_weights: np.ndarray | None = None) -> Moments:
    """Pairwise-deletion moments: each correlation over the rows that answered both items.

    The correlation of items k and l is Pearson's r over their jointly observed rows
    (pair-specific means and SDs, as R's ``cor(use = "pairwise.complete.obs")``); item
    means and SDs use every observed value of the item. A pair with fewer than two
    jointly observed rows gives NaN (the data layer refuses such data).
    """
    X, c, shape = _batch(X, row_weights)
    O, D, shift = _observed(X)
    N = c.sum(-1)
    Nkl = np.einsum("br,rp,rq->bpq", c, O, O, optimize=True)
    Skl = np.einsum("br,rp,rq->bpq", c, D, O, optimize=True)  # sum of x_k over pair (k, l)
    Qkl = np.einsum("br,rp,rq->bpq", c, D * D, O, optimize=True)
    Pkl = np.einsum("br,rp,rq->bpq", c, D, D, optimize=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        mk = Skl / Nkl
        ml = np.swapaxes(mk, 1, 2)
        cov = Pkl - Nkl * mk * ml
        vk = Qkl - Nkl * mk * mk
        vl = np.swapaxes(vk, 1, 2)
        corr = cov / np.sqrt(vk * vl)
        diagN = np.diagonal(Nkl, axis1=1, axis2=2)
        mean = np.diagonal(Skl, axis1=1, axis2=2) / diagN
        var = (np.diagonal(Qkl, axis1=1, axis2=2) - diagN * mean**2) / (diagN - 1.0)
    std = np.sqrt(np.clip(var, 0.0, None))
    p = X.shape[1]
    idx = np.arange(p)
    corr[:, idx, idx] = 1.0
    n = N.reshape(shape) if shape else float(N[0])
    return Moments(n=n, mean=(mean + shift).reshape(shape + (p,)), std=std.reshape(shape + (p,)),
                   corr=corr.reshape(shape + (p, p)))


def _patterns(O: np.ndarray) -> list[np.ndarray]:
    """Row indices grouped by missingness pattern (deterministic order; O(n log n))."""
    order, counts = _pattern_order(O)
    return np.split(order, np.cumsum(counts)[:-1])


def _pattern_order(O: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows sorted by missingness pattern (stable) and the number of rows per pattern."""
    _, inverse = np.unique(np.asarray(O, dtype=np.uint8), axis=0, return_inverse=True)
    inverse = np.asarray(inverse).ravel()
    return np.argsort(inverse, kind="stable"), np.bincount(inverse)


def _floats_per_row(m: int, p: int) -> int:
    """Floats the E step holds per row and reweighting (bound: one pattern per row)."""
    return 3 * m * p + 6 * m * m + 4 * p + 8


def _blocks(O: np.ndarray, batch: int) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The E step's work units: rows of patterns with the same number m of missing items,
    in blocks whose arrays (batch x rows x :func:`_floats_per_row`) fit
    :data:`EM_WORK_BYTES` (a pattern with more rows is split). Per block: the observed mask of each piece of a
    pattern (U, p), the rows (R,) and each row's piece (R,)."""
    n, p = O.shape
    order, counts = _pattern_order(O)
    first = np.cumsum(counts) - counts
    obs_pat = O[order[first]] > 0
    pat = np.repeat(np.arange(counts.size), counts)  # pattern of each sorted row
    pos = np.arange(n) - first[pat]  # position within the pattern
    m_pat = p - obs_pat.sum(axis=1)
    out = []
    for m in np.unique(m_pat):
        cap = max(1, EM_WORK_BYTES // (16 * batch * _floats_per_row(int(m), p)))
        pats = np.flatnonzero(m_pat == m)
        n_pieces = -(-counts[pats] // cap)
        piece_first = np.full(counts.size, -1)
        piece_first[pats] = np.cumsum(n_pieces) - n_pieces
        rows = np.flatnonzero(m_pat[pat] == m)  # sorted positions of this group's rows
        piece = piece_first[pat[rows]] + pos[rows] // cap
        size = np.bincount(piece)
        block_of = (np.cumsum(size) - size) // cap  # whole pieces, <= 2 cap rows a block
        blk = block_of[piece]
        cuts = np.flatnonzero(np.diff(blk)) + 1
        piece_pat = np.repeat(pats, n_pieces)
        for r, pc in zip(np.split(rows, cuts), np.split(piece, cuts)):
            u = np.unique(pc)
            out.append((obs_pat[piece_pat[u]], order[r], np.searchsorted(u, pc)))
    return out


def em_moments(X: np.ndarray, row_weights: np.ndarray | None = None, *,
               tol: float = EM_TOL, max_iter: int | None = None) -> Moments:
    """EM estimates (multivariate normal) of the means and covariances, batched.

    Starts from the mean-replacement moments; iterates the E step (per missingness
    pattern, the regression of the missing items on the observed ones, from the
    precision matrix: B_mo = -Θ_mm⁻¹ Θ_mo, Cov_m|o = Θ_mm⁻¹) and the weighted M step
    until means and covariances change by less than ``tol``, at most ``max_iter``
    iterations (default :data:`EM_MAX_ITER`; stopping there is recorded as diagnostic
    ``em_not_converged``). The ML covariance is rescaled by n/(n - 1), so on complete
    data the result equals :func:`~satmodel.moments.compute_moments` exactly. A pair of
    items never answered together (by rows of positive weight) has no estimate: its
    correlation is NaN (the data layer refuses such data).

    Memory (:func:`em_bytes`): the mean-replacement start, the weights and data rows,
    and the E step's blocks of at most :data:`EM_WORK_BYTES`, whatever the number of
    missingness patterns.

    >>> X = np.array([[1.0, 2.0], [2.0, np.nan], [3.0, 4.0], [4.0, 3.0], [np.nan, 1.0]])
    >>> m = em_moments(X)
    >>> bool(np.isfinite(m.corr).all()), m.corr.shape
    (True, (2, 2))
    """
    max_iter = EM_MAX_ITER if max_iter is None else int(max_iter)
    X, c, shape = _batch(X, row_weights)
    O, D, shift = _observed(X)
    B, p = c.shape[0], X.shape[1]
    N = c.sum(-1)
    start = mean_imputed_moments(X, c)
    mu = start.mean.reshape(B, p) - shift
    sigma = (start.corr * start.std[..., :, None] * start.std[..., None, :]).reshape(B, p, p)
    sigma = sigma * ((N - 1.0) / N)[:, None, None]
    blocks, joint = [], np.zeros((B, p, p))
    for obs, rows, loc in _blocks(O, B):
        cr = c[:, rows]
        Cg = np.add.reduceat(cr, np.flatnonzero(np.diff(loc, prepend=-1)), axis=1)  # (B, U)
        of = obs.astype(float)
        joint += np.einsum("bu,up,uq->bpq", Cg, of, of, optimize=True)
        miss = np.nonzero(~obs)[1].reshape(obs.shape[0], -1)
        at = ((miss[:, :, None] * p + miss[:, None, :])[None]  # flat (b, k, l) of each Θ_mm⁻¹ cell
              + p * p * np.arange(B)[:, None, None, None]).ravel()
        blocks.append((obs[loc], miss, D[rows], cr, Cg, loc, at))
    change = np.full(B, np.inf)
    for _ in range(max_iter):
        T1, T2 = _e_step(mu, sigma, blocks)
        delta = T1 / N[:, None]
        sigma_new = T2 / N[:, None, None] - delta[:, :, None] * delta[:, None, :]
        sigma_new = (sigma_new + np.swapaxes(sigma_new, 1, 2)) / 2
        change = np.maximum(np.max(np.abs(delta), axis=-1),
                            np.max(np.abs(sigma_new - sigma), axis=(-2, -1)))
        mu, sigma = mu + delta, sigma_new
        if np.all(~np.isfinite(change) | (change < tol)):
            break
    stuck = np.isfinite(change) & (change >= tol)
    if stuck.any():
        report("em_not_converged",
               f"EM stopped at its iteration limit ({max_iter}) before converging in "
               f"{int(stuck.sum())} of {B} moment estimate(s) (largest change "
               f"{float(change[stuck].max()):.3g}, tolerance {tol:g}); the last iterate is "
               "used. Slow EM means little information on some item pairs: check items "
               "answered together by few respondents, or use missing='mean'",
               ConvergenceWarning, count=int(stuck.sum()))
    cov = sigma * (N / (N - 1.0))[:, None, None]
    mom = _finish(shape, N, mu + shift, cov)
    if (joint <= 0).any():  # a pair never observed together: not estimable
        corr = np.where((joint <= 0).reshape(shape + (p, p)), np.nan, mom.corr)
        mom = Moments(n=mom.n, mean=mom.mean, std=mom.std, corr=corr)
    return mom


def _e_step(mu: np.ndarray, sigma: np.ndarray, blocks: list) -> tuple[np.ndarray, np.ndarray]:
    """T1 = Σ c (E[x] − μ) (B, p) and T2 = Σ c E[(x − μ)(x − μ)'] (B, p, p) over every
    row, block by block. With Θ = Σ⁻¹, a row's missing items m given its observed ones:
    E[x_m] − μ_m = −Θ_mm⁻¹ Θ_mo (x_o − μ_o), Cov = Θ_mm⁻¹."""
    B, p = mu.shape
    T1, T2 = np.zeros((B, p)), np.zeros((B, p, p))
    theta = inv(sigma)
    for obs_r, miss, Dr, cr, Cg, loc, at in blocks:
        v = Dr[None] - mu[:, None, :] * obs_r  # (B, R, p): x_o − μ_o, 0 where missing
        m = miss.shape[1]
        if m:
            Tmm = theta[:, miss[:, :, None], miss[:, None, :]]  # (B, U, m, m)
            C = inv(Tmm)
            R = C @ theta[:, miss, :]  # (B, U, m, p); zero-padded v makes -R v = B_mo v_o
            e = -(R[:, loc] @ v[..., None])[..., 0]  # (B, R, m)
            np.put_along_axis(v, np.broadcast_to(miss[loc], e.shape), e, axis=-1)
            T2 += np.bincount(at, (Cg[..., None, None] * C).ravel(),  # Σ_u Cg_u Θ_mm⁻¹ in place
                              minlength=B * p * p).reshape(B, p, p)
        cv = cr[..., None] * v
        T1 += cv.sum(1)
        T2 += np.swapaxes(cv, 1, 2) @ v
    return T1, T2


def impute_means(X: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """A copy of ``X`` with each NaN replaced by its column's ``mean``.

    >>> impute_means(np.array([[1.0, np.nan], [3.0, 4.0]]), np.array([2.0, 4.0])).tolist()
    [[1.0, 4.0], [3.0, 4.0]]
    """
    return np.where(np.isnan(X), mean, X)


def impute_conditional(X: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """A copy of ``X`` with NaN cells replaced by E[missing | observed] under N(mean, cov).

    >>> X = np.array([[1.0, np.nan], [2.0, 2.0]])
    >>> impute_conditional(X, np.array([0.0, 0.0]), np.array([[1.0, 0.5], [0.5, 1.0]])).tolist()
    [[1.0, 0.5], [2.0, 2.0]]
    """
    X = np.asarray(X, dtype=float)
    out = X.copy()
    O = ~np.isnan(X)
    for rows in _patterns(O):
        obs = O[rows[0]]
        if obs.all():
            continue
        o, m = np.flatnonzero(obs), np.flatnonzero(~obs)
        dev = X[np.ix_(rows, o)] - mean[o]
        if o.size:
            K = np.linalg.solve(cov[np.ix_(o, o)], cov[np.ix_(o, m)]).T
            out[np.ix_(rows, m)] = mean[m] + dev @ K.T
        else:
            out[np.ix_(rows, m)] = mean[m]
    return out
