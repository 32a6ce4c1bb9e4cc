"""The 15 constructs x 80 items case of the bootstrap benchmark, and the flop-count limit.

``large_model()`` is a synthetic model (issue 16): 15 constructs C1..C15, the first five
with 6 items and the other ten with 5 (80 items); C1-C3 exogenous, every later construct
regressed on the (up to) three constructs before it (36 paths). ``large_data(n, seed)``
draws n respondents from that population (standardized latent variables, structural
coefficients 0.3, loadings 0.7-0.85, normal errors) as a float matrix.

``flop_limit(...)`` is the issue's flop-count limit of a bootstrap: the multiply-adds
it cannot avoid -- B resampled moment matrices (B n p (p + 1) flops for the weighted
cross-products: they are symmetric, so only the p (p + 1) / 2 products j <= k count)
plus the PLS iterations (2 B p² J flops a step for S W, for the mean number of steps)
-- divided by the GEMM rate measured in the same run (one product of the same shape as
the moments' one). It is a lower bound on the time of the work, not
of a real implementation (tables, checks and memory traffic come on top).
"""
from __future__ import annotations

import time

import numpy as np


def large_model() -> tuple[dict[str, list[str]], list[tuple[str, str]]]:
    """Blocks (construct -> items) and paths (source, target) of the 15 x 80 model."""
    sizes = [6] * 5 + [5] * 10
    blocks = {f"C{j + 1}": [f"c{j + 1}_{i + 1}" for i in range(k)] for j, k in enumerate(sizes)}
    names = list(blocks)
    paths = [(names[i], names[j]) for j in range(3, len(names)) for i in range(max(0, j - 3), j)]
    return blocks, paths


def large_data(n: int = 500, seed: int = 1) -> tuple[list[str], np.ndarray]:
    """Item names and an (n, 80) sample of the population described above."""
    blocks, paths = large_model()
    names = list(blocks)
    rng = np.random.default_rng(seed)
    eta = np.zeros((n, len(names)))
    for j, name in enumerate(names):
        preds = [names.index(s) for s, t in paths if t == name]
        signal = eta[:, preds].sum(axis=1) * 0.3 if preds else np.zeros(n)
        noise_sd = np.sqrt(max(1.0 - signal.var(), 0.1))
        eta[:, j] = signal + rng.normal(0.0, noise_sd, n)
        eta[:, j] = (eta[:, j] - eta[:, j].mean()) / eta[:, j].std()
    cols, data = [], []
    for j, (name, items) in enumerate(blocks.items()):
        for i, item in enumerate(items):
            lam = 0.7 + 0.15 * i / max(len(items) - 1, 1)
            data.append(lam * eta[:, j] + rng.normal(0.0, np.sqrt(1 - lam ** 2), n))
            cols.append(item)
    return cols, np.column_stack(data)


def lavaan(blocks: dict[str, list[str]], paths: list[tuple[str, str]]) -> str:
    """lavaan-style syntax (``=~`` blocks, ``~`` regressions) of a model."""
    lines = [f"{lv} =~ " + " + ".join(items) for lv, items in blocks.items()]
    targets: dict[str, list[str]] = {}
    for src, dst in paths:
        targets.setdefault(dst, []).append(src)
    return "\n".join(lines + [f"{dst} ~ " + " + ".join(s) for dst, s in targets.items()]) + "\n"


def gemm_rate(n: int, p: int, B: int, reps: int = 3) -> float:
    """Flops per second of one (B, n) @ (n, p²) product (the moments' GEMM), best of reps."""
    rng = np.random.default_rng(0)
    counts, outer = rng.random((B, n)), rng.random((n, p * p))
    counts @ outer
    best = np.inf
    for _ in range(reps):
        t0 = time.perf_counter()
        counts @ outer
        best = min(best, time.perf_counter() - t0)
    return 2.0 * B * n * p * p / best


def flop_limit(B: int, n: int, p: int, J: int, steps: float, rate: float) -> dict:
    """Seconds of the bootstrap's unavoidable flops at ``rate`` (see the module text)."""
    moments = 1.0 * B * n * p * (p + 1)  # symmetric: p (p + 1) / 2 products, 2 flops each
    iterations = 2.0 * B * p * p * J * steps
    return {"flops_moments": moments, "flops_iterations": iterations, "steps": steps,
            "gemm_rate_gflops": rate / 1e9, "limit_s": (moments + iterations) / rate}
