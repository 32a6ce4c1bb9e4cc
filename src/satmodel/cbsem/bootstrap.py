"""Nonparametric bootstrap of a CB-SEM fit: a loop of semopy fits on resampled rows.

One seeded ``numpy.random.Generator`` draws all resample indices up front (B x n),
so results depend on ``seed`` only. Each resample is refitted with a fresh semopy
model; a resample whose fit fails (not identified on the resample, singular
covariance, non-convergence, non-finite estimates) is dropped and counted, never
silently: ``inference.n_failed`` and a warning report it. Inference columns are
those of the PLS bootstrap: ``se`` (SD of the B estimates, divisor B - 1),
``t = estimate / se``, ``p = 2 P(t_{B-1} > |t|)``, and percentile interval bounds
``ci_lower``, ``ci_upper`` at ``level`` — for the standardized ``estimate`` of
``paths``, ``loading`` of ``outer`` and ``total`` of ``effects`` (with
``indirect_se``, ``indirect_ci_lower``, ``indirect_ci_upper`` for indirect effects).

Example
-------
>>> import satmodel as sm  # doctest: +SKIP
>>> cb = sm.fit_cbsem(spec, df).bootstrap(n=200, seed=1)  # doctest: +SKIP
>>> cb.paths.columns.tolist()  # doctest: +SKIP
['source', 'target', 'estimate', 'estimate_unstd', 'se', 't', 'p', 'ci_lower', 'ci_upper']
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import stats

from .solution import standardize, table_values
from ..errors import OptionError, SatModelError, SatModelWarning

__all__ = ["CBInference", "bootstrap_cbsem"]

#: (table, value column, prefix of the inference columns)
TARGETS = (("paths", "estimate", ""), ("outer", "loading", ""), ("effects", "total", ""),
           ("effects", "indirect", "indirect_"))


@dataclass(frozen=True, eq=False)
class CBInference:
    """Bootstrap draws per (table, column) (``B_ok x rows``) and settings."""

    draws: dict[tuple[str, str], np.ndarray]
    n_resamples: int
    n_failed: int
    seed: int | None
    level: float
    failures: tuple[str, ...]

    def annotate(self, name: str, df: pd.DataFrame) -> pd.DataFrame:
        """Replace analytic se/z/p of table ``name`` by the bootstrap columns."""
        df = df.drop(columns=[c for c in ("se", "z", "p") if c in df.columns])
        for table, column, prefix in TARGETS:
            if table != name:
                continue
            draws = self.draws[(table, column)]
            est = df[column].to_numpy(dtype=float)
            b = draws.shape[0]
            se = draws.std(axis=0, ddof=1) if b > 1 else np.full(est.shape, np.nan)
            with np.errstate(divide="ignore", invalid="ignore"):
                t = np.where(se > 0, est / se, np.nan)
            alpha = 1 - self.level
            lo, hi = (np.quantile(draws, [alpha / 2, 1 - alpha / 2], axis=0) if b
                      else (np.full(est.shape, np.nan),) * 2)
            cols = {"se": se, "ci_lower": lo, "ci_upper": hi}
            if not prefix:
                cols = {"se": se, "t": t, "p": 2 * stats.t.sf(np.abs(t), max(b - 1, 1)),
                        "ci_lower": lo, "ci_upper": hi}
            for key, values in cols.items():
                df[prefix + key] = pd.array(values, dtype="Float64")
                df[prefix + key] = df[prefix + key].mask(df[prefix + key].isna(), pd.NA)
        return df


def _progress(iterable, total: int, show: bool | None):
    if show is False:
        return iterable
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return iterable
    if show is None and not (hasattr(sys.stderr, "isatty") and sys.stderr.isatty()):
        return iterable
    return tqdm(iterable, total=total, desc="CB-SEM bootstrap", leave=False)


def bootstrap_cbsem(res, *, n: int = 500, seed: int | None = None, level: float = 0.95,
                    progress: bool | None = None):
    """Bootstrap ``res`` (a :class:`~satmodel.CBSEMResult`); returns a new result.

    Parameters
    ----------
    n : int
        Number of resamples (each one a full semopy fit, about 0.2-1 s).
    seed : int, optional
        Seed of the one ``numpy.random.Generator`` that draws every resample up front.
    level : float
        Confidence level of the percentile intervals.
    progress : bool, optional
        Show a tqdm bar; default only when tqdm is installed and stderr is a terminal.
    """
    from .fitting import fit_cbsem_rows

    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise OptionError(f"n must be an integer >= 2 (number of resamples), got {n!r}")
    if not (isinstance(level, float) and 0 < level < 1):
        raise OptionError(f"level must be a float in (0, 1), got {level!r}")
    if res._X is None:
        raise SatModelError("this result carries no respondent rows to resample; refit on the data")
    X = res._X
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, X.shape[0], size=(int(n), X.shape[0]))
    keys = [(t, c) for t, c, _ in TARGETS]
    draws: dict[tuple[str, str], list[np.ndarray]] = {k: [] for k in keys}
    failures: list[str] = []
    for b in _progress(range(int(n)), int(n), progress):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fit = fit_cbsem_rows(res.spec, X[idx[b]], estimator=res.estimator, diagnose=False,
                                     missing=res.missing)
            if not fit.estimate.converged:
                raise SatModelError(f"did not converge ({fit.estimate.message})")
            values = table_values(res.spec, fit.estimate, standardize(fit.estimate))
            row = {k: np.asarray(values[k[0]][k[1]], dtype=float) for k in keys}
            if not all(np.all(np.isfinite(v)) for v in row.values()):
                raise SatModelError("non-finite estimates")
        except (SatModelError, np.linalg.LinAlgError) as err:  # SpecError/EstimationError included
            failures.append(f"resample {b}: {err}")
            continue
        for k in keys:
            draws[k].append(row[k])
    ok = int(n) - len(failures)
    if ok < 2:
        raise SatModelError(f"only {ok} of {n} bootstrap resamples could be fitted; first failures: "
                            + "; ".join(failures[:3]))
    if failures:
        warnings.warn(f"{len(failures)} of {n} CB-SEM bootstrap resamples failed and were dropped "
                      f"(first: {failures[0]}); inference uses the {ok} others "
                      "(res.inference.failures lists them)", SatModelWarning, stacklevel=3)
    inference = CBInference(draws={k: np.vstack(v) for k, v in draws.items()}, n_resamples=int(n),
                            n_failed=len(failures), seed=seed, level=float(level),
                            failures=tuple(failures))
    return replace(res, inference=inference)
