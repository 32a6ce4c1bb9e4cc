"""A pure-numpy floor for PLS-PM: how fast can the work be done at all?

An honest minimal implementation, written for the benchmark and sharing no code
with satmodel: Mode A outer weights, path weighting scheme, standardized
indicators, stop when the largest absolute weight change is below ``tol``.

* ``bootstrap_floor`` draws B resamples as multinomial row counts, forms the B
  resampled correlation matrices with two matrix products (counts @ rows and
  counts @ row-wise outer products), then runs the PLS iteration on all B matrices
  at once (batched matmul / solve over a leading axis; a Python loop only over the
  6 constructs, never over resamples), and ends with the bootstrap standard errors
  and 95 % percentile intervals of the path coefficients.
* ``fit_floor`` computes one correlation matrix from the rows (one pass over row
  chunks of centred X'X) and runs the same iteration with B = 1.

What it does NOT do (satmodel does, so satmodel is expected to be somewhat slower):
input validation, sign handling, outer loadings/effects/HTMT/quality/fit tables for
every resample, BCa, degenerate-resample checks, chunking for bounded memory.

Usage: ``python benchmarks/floor.py`` prints the floor's path estimates on the ECSI
data (a sanity check against the other tools) and one timing of B = 1000.
"""
from __future__ import annotations

import numpy as np


class Model:
    """Index form of a PLS path model: block mask (p x K) and inner adjacency (K x K)."""

    def __init__(self, blocks: dict[str, list[str]], paths: list[tuple[str, str]],
                 columns: list[str]):
        self.constructs = list(blocks)
        self.items = [i for lv in self.constructs for i in blocks[lv]]
        self.col_index = np.array([columns.index(i) for i in self.items])
        k = len(self.constructs)
        self.mask = np.zeros((len(self.items), k))
        pos = 0
        for j, lv in enumerate(self.constructs):
            self.mask[pos:pos + len(blocks[lv]), j] = 1.0
            pos += len(blocks[lv])
        self.adj = np.zeros((k, k))  # adj[i, j] = 1 when i -> j
        for src, dst in paths:
            self.adj[self.constructs.index(src), self.constructs.index(dst)] = 1.0
        self.preds = [np.flatnonzero(self.adj[:, j]) for j in range(k)]
        self.paths = [(self.constructs.index(s), self.constructs.index(d)) for s, d in paths]


def _normalize(W: np.ndarray, R: np.ndarray) -> np.ndarray:
    """Scale each construct's weights to unit latent variance: w'Rw = 1."""
    var = np.einsum("bpk,bpk->bk", W, R @ W)
    return W / np.sqrt(var)[:, None, :]


def _regress(C: np.ndarray, model: Model, j: int) -> np.ndarray:
    """OLS coefficients of construct j on its predecessors, from latent correlations C."""
    P = model.preds[j]
    return np.linalg.solve(C[:, P[:, None], P[None, :]], C[:, P, j][..., None])[..., 0]


def pls_batch(R: np.ndarray, model: Model, tol: float = 1e-7, max_iter: int = 300):
    """Mode A, path scheme PLS on a batch of correlation matrices R (B x p x p).

    Returns weights (B x p x K), path coefficients (B x n_paths), iterations.
    """
    B = R.shape[0]
    k = model.mask.shape[1]
    W = _normalize(np.broadcast_to(model.mask, (B,) + model.mask.shape).copy(), R)
    succ = model.adj.T[None]  # E[:, i, j] = cor(Y_i, Y_j) when j -> i
    it = 0
    for it in range(1, max_iter + 1):
        RW = R @ W
        C = np.swapaxes(W, 1, 2) @ RW  # latent correlations, B x K x K
        E = C * succ
        for j in range(k):
            if model.preds[j].size:
                E[:, model.preds[j], j] = _regress(C, model, j)
        W_new = _normalize((RW @ E) * model.mask, R)  # Mode A: w_j = cov(x, inner proxy_j)
        delta = np.max(np.abs(W_new - W))
        W = W_new
        if delta < tol:
            break
    C = np.swapaxes(W, 1, 2) @ R @ W
    coef = np.zeros((B, k, k))
    for j in range(k):
        if model.preds[j].size:
            coef[:, model.preds[j], j] = _regress(C, model, j)
    paths = np.stack([coef[:, s, d] for s, d in model.paths], axis=1)
    return W, paths, it


def resampled_correlations(X: np.ndarray, B: int, rng: np.random.Generator) -> np.ndarray:
    """B correlation matrices of bootstrap resamples of the rows of X (n x p).

    A resample is a vector of multinomial(n, 1/n) row counts; its moments are
    counts-weighted sums, so all B come from two GEMMs.
    """
    n, p = X.shape
    Xc = X - X.mean(axis=0)
    counts = rng.multinomial(n, np.full(n, 1.0 / n), size=B).astype(np.float64)
    outer = (Xc[:, :, None] * Xc[:, None, :]).reshape(n, p * p)
    m1 = counts @ Xc / n
    cov = (counts @ outer).reshape(B, p, p) / n - m1[:, :, None] * m1[:, None, :]
    sd = np.sqrt(np.diagonal(cov, axis1=1, axis2=2))
    return cov / sd[:, :, None] / sd[:, None, :]


def bootstrap_floor(X: np.ndarray, model: Model, B: int, seed: int = 1) -> dict:
    """The whole bootstrap of the path coefficients: resample, fit all B, summarize."""
    rng = np.random.default_rng(seed)
    R = resampled_correlations(X[:, model.col_index], B, rng)
    _, paths, it = pls_batch(R, model)
    lo, hi = np.percentile(paths, [2.5, 97.5], axis=0)
    return {"se": paths.std(axis=0, ddof=1), "ci_lower": lo, "ci_upper": hi, "iterations": it}


def fit_floor(X: np.ndarray, model: Model, chunk: int = 8192) -> dict:
    """One fit from the rows: centred cross-products in chunks of rows, then the iteration.

    Chunks keep the temporaries small (no centred copy of a 1e6-row matrix).
    """
    cols = model.col_index
    if np.array_equal(cols, np.arange(X.shape[1])):
        cols = slice(None)
    mean = X[:, cols].mean(axis=0) if not isinstance(cols, slice) else X.mean(axis=0)
    S = np.zeros((mean.size, mean.size))
    for start in range(0, X.shape[0], chunk):
        C = X[start:start + chunk, cols] - mean
        S += C.T @ C
    sd = np.sqrt(np.diag(S))
    R = S / np.outer(sd, sd)
    W, paths, it = pls_batch(R[None], model)
    return {"paths": paths[0], "weights": W[0], "iterations": it}


if __name__ == "__main__":
    import sys
    import time
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent / "peers"))
    import _common

    import satmodel as sm  # only to load the shipped data set

    df = sm.datasets.load("ecsi_satisfaction")
    cols = list(df.columns)
    X = df[[c for c in cols if c != "gender"]].to_numpy(float)
    cols = [c for c in cols if c != "gender"]
    model = Model(_common.ECSI_BLOCKS, _common.ECSI_PATHS, cols)
    out = fit_floor(X, model)
    for (s, d), v in zip(_common.ECSI_PATHS, out["paths"]):
        print(f"{s:>4} -> {d:<4} {v: .6f}")
    print("iterations", out["iterations"])
    bootstrap_floor(X, model, 50)
    t0 = time.perf_counter()
    b = bootstrap_floor(X, model, 1000)
    print(f"bootstrap B=1000: {time.perf_counter() - t0:.3f} s; se {np.round(b['se'], 4)}")
