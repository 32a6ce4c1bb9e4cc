"""Coverage of bootstrap intervals in a small simulation (issue 15: studentized intervals).

Data sets of n rows are drawn from a known population (three common factors, three items
each, IMAG -> SAT -> LOY and IMAG -> LOY); the target of each interval is the value the
PLS estimator takes on the population correlation matrix (``fit_pls_moments`` on Σ),
so "covered" means the interval contains what PLS estimates without sampling error. Each
replication bootstraps B resamples with ``n_inner`` inner resamples and reads four
intervals from the same draws: percentile, BCa, studentized (bootstrap-t) and cSEM's
bias-centred studentized. Prints coverage per method and path with its Monte-Carlo SE
(sqrt(p(1-p)/R): 1.5 points at R = 200) and writes JSON to benchmarks/results/.

Run from the repository root:

    .venv/bin/python benchmarks/bench_studentized_coverage.py            # R=200: ~10 min
    .venv/bin/python benchmarks/bench_studentized_coverage.py --quick    # R=40:  ~2 min

Defaults: n = 100, B = 300, n_inner = 40 (2.5M refits at R = 200).
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np

import satmodel as sm

MODEL = """
IMAG =~ i1 + i2 + i3
SAT  =~ s1 + s2 + s3
LOY  =~ l1 + l2 + l3
SAT ~ IMAG
LOY ~ IMAG + SAT
"""
METHODS = ("percentile", "bca", "studentized", "studentized_csem")
ITEMS = ["i1", "i2", "i3", "s1", "s2", "s3", "l1", "l2", "l3"]


def population() -> np.ndarray:
    """Σ of the items: loadings 0.8/0.7/0.6, SAT = 0.5 IMAG, LOY = 0.3 IMAG + 0.4 SAT."""
    phi = np.eye(3)
    phi[0, 1] = phi[1, 0] = 0.5
    phi[0, 2] = phi[2, 0] = 0.3 + 0.4 * 0.5
    phi[1, 2] = phi[2, 1] = 0.3 * 0.5 + 0.4
    lam = np.zeros((9, 3))
    for j in range(3):
        lam[3 * j:3 * j + 3, j] = (0.8, 0.7, 0.6)
    sigma = lam @ phi @ lam.T
    np.fill_diagonal(sigma, 1.0)
    return sigma


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="R = 40 replications")
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--n", type=int, default=100, help="rows per data set")
    ap.add_argument("--boot", type=int, default=300, help="outer resamples B")
    ap.add_argument("--inner", type=int, default=40, help="inner resamples per resample")
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()
    reps = 40 if args.quick else args.reps
    spec = sm.ModelSpec.from_lavaan(MODEL)
    sigma = population()
    target = sm.fit_pls_moments(spec, sigma, n_obs=10**6).paths.estimate.to_numpy()
    rng = np.random.default_rng(args.seed)
    chol = np.linalg.cholesky(sigma)
    hits = {m: np.zeros(3) for m in METHODS}
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.SatModelWarning)
        for r in range(reps):
            X = rng.standard_normal((args.n, 9)) @ chol.T
            res = sm.fit_pls(spec, X, columns=ITEMS)
            boot = res.bootstrap(n=args.boot, seed=int(rng.integers(2**31)), progress=False,
                                 tables=["paths"])
            for m in METHODS:  # chained: the jackknife and the t draws are computed once
                boot = boot.conf_int(method=m, n_inner=args.inner)
                p = boot.paths
                hits[m] += (p.ci_lower.to_numpy() <= target) & (target <= p.ci_upper.to_numpy())
    seconds = time.perf_counter() - start
    paths = [f"{s} -> {t}" for s, t in zip(res.paths.source, res.paths.target)]
    print(f"R = {reps} data sets of n = {args.n}, B = {args.boot}, n_inner = {args.inner}, "
          f"nominal 95 %, {seconds:.0f} s; Monte-Carlo SE of a coverage "
          f"~ {100 * np.sqrt(0.95 * 0.05 / reps):.1f} points")
    print(f"{'method':18s}" + "".join(f"{p:>16s}" for p in paths))
    out = {}
    for m in METHODS:
        cov = hits[m] / reps
        out[m] = dict(zip(paths, cov.tolist()))
        print(f"{m:18s}" + "".join(f"{100 * c:15.1f}%" for c in cov))
    path = Path(__file__).parent / "results" / "studentized_coverage.json"
    path.write_text(json.dumps({"reps": reps, "n": args.n, "B": args.boot, "n_inner": args.inner,
                                "seed": args.seed, "seconds": seconds, "target": target.tolist(),
                                "coverage": out}, indent=1))


if __name__ == "__main__":
    main()
