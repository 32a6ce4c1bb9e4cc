"""Batched bootstrap on moment matrices (DESIGN.md "the one idea").

A resample is a vector of row counts, so B resamples are B weighted moment matrices
computed together, and one batched PLS call fits them all; every registered table
(:mod:`satmodel.tables`) is evaluated on the B fits by the same functions that
produce the original estimates. Resamples are processed in chunks (bounded memory);
the draws do not depend on the chunk size.

Example
-------
>>> import satmodel as sm
>>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
>>> boot = res.bootstrap(n=200, seed=1, progress=False)
>>> list(boot.paths.columns)
['source', 'target', 'estimate', 'se', 't', 'p', 'ci_lower', 'ci_upper']
"""

from __future__ import annotations

import dataclasses
import sys
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import ci as ci_methods
from .errors import OptionError, SatModelError, SatModelWarning
from .fit import engine_options, survey_moments
from .pls import estimate
from .tables import TABLES, Context

if TYPE_CHECKING:  # pragma: no cover
    from .results import PLSResult

SIGN_OPTIONS = ("none", "construct", "individual")
INADMISSIBLE_OPTIONS = ("drop", "keep")
_MEMORY_BUDGET = 256 * 2**20  # bytes per chunk for the dominant arrays


@dataclass(frozen=True)
class BootstrapInference:
    """Stored draws and settings of a bootstrap; tables read their inference from it.

    Attributes
    ----------
    draws : dict
        ``draws[table][column]``: array (n_valid, rows) of resample estimates.
    original : dict
        ``original[table][column]``: the original estimates (rows,).
    jackknife : dict or None
        Leave-one-out (or grouped) estimates for BCa, same layout as ``draws``.
    n_requested, n_valid : int
    dropped : dict
        Reason -> number of resamples dropped (non-convergence, singular, ...).
    """

    draws: dict[str, dict[str, np.ndarray]]
    original: dict[str, dict[str, np.ndarray]]
    n_requested: int
    n_valid: int
    dropped: dict[str, int]
    seed: Any
    signs: str
    level: float = 0.95
    method: str = "percentile"
    jackknife: dict[str, dict[str, np.ndarray]] | None = field(default=None, repr=False)

    def annotate(self, table: str, df: pd.DataFrame) -> pd.DataFrame:
        """Add se, t, p, ci_lower, ci_upper (prefixed ``<column>_`` when the table has
        several value columns) to a table."""
        if table not in self.draws:
            return df
        cols = list(self.draws[table])
        df = df.copy()
        for col in cols:
            stats = self.summarize(table, col)
            prefix = "" if len(cols) == 1 else f"{col}_"
            for name, values in stats.items():
                values = np.asarray(values, dtype=float)
                # t and p are not defined where the draws do not vary: <NA>, not NaN
                df[prefix + name] = pd.array(np.where(np.isnan(values), None, values), "Float64") \
                    if np.isnan(values).any() else values
        return df

    def summarize(self, table: str, column: str) -> dict[str, np.ndarray]:
        """se, t, p (two-sided, t with B - 1 df), ci_lower, ci_upper of one column."""
        draws = self.draws[table][column]
        theta = self.original[table][column]
        jack = None if self.jackknife is None else self.jackknife[table][column]
        return ci_methods.summarize(theta, draws, level=self.level, method=self.method,
                                    jackknife=jack)

    def draws_frame(self, table: str, column: str, keys: pd.DataFrame) -> pd.DataFrame:
        """Draws as a DataFrame: one row per resample, one column per table row."""
        labels = [" -> ".join(map(str, r)) if len(r) > 1 else str(r[0])
                  for r in keys.itertuples(index=False)]
        return pd.DataFrame(self.draws[table][column], columns=labels)


def _chunk_size(n_rows: int, p: int, requested: int | None) -> int:
    if requested is not None:
        if requested < 1:
            raise OptionError(f"chunk_size={requested}: must be a positive integer")
        return int(requested)
    per_resample = 8 * (2 * n_rows + 6 * p * p)
    return max(1, min(2000, _MEMORY_BUDGET // per_resample))


def _draw_counts(rng: np.random.Generator, size: int, n: int) -> np.ndarray:
    """Row counts of ``size`` resamples of n rows drawn with replacement."""
    idx = rng.integers(0, n, size=(size, n))
    flat = (idx + n * np.arange(size)[:, None]).ravel()
    return np.bincount(flat, minlength=size * n).reshape(size, n).astype(float)


def _valid_mask(est, consistent: bool, lay) -> dict[str, np.ndarray]:
    """Reasons a resample is unusable, each a boolean (B,) mask."""
    J = lay.n_constructs
    finite = np.isfinite(est.weights).all(-1) & np.isfinite(est.paths).all((-1, -2))
    reasons = {
        "not_converged": ~est.converged & finite,
        "singular": ~finite,
    }
    if consistent:
        offdiag = np.abs(est.construct_corr - np.eye(J)) > 1
        reasons["inadmissible"] = finite & (
            (est.rho_a > 1).any(-1) | (np.abs(est.loadings) > 1).any(-1) | offdiag.any((-1, -2)))
    return reasons


def _evaluate(res: PLSResult, counts: np.ndarray, sign_ref, tables) -> tuple[dict, dict]:
    """Fit the resamples given by ``counts`` (c, n); return table values and reasons."""
    mom = survey_moments(res._data, res.options, counts)
    S = mom.corr
    degenerate = ~np.isfinite(S).all((-1, -2))  # a constant item in the resample
    S = np.where(degenerate[:, None, None], np.eye(S.shape[-1]), S)
    o = res.options
    engine = engine_options(o, mom.n, mom.std)
    est = estimate(S, res.layout, **engine, sign_reference=sign_ref)
    ctx = Context(S=S, est=est, layout=res.layout, spec=res.spec, n_obs=mom.n, mean=mom.mean,
                  std=mom.std, engine=engine)
    values = {t: {c: TABLES[t].values(ctx, c) for c in TABLES[t].columns} for t in tables}
    reasons = _valid_mask(est, o.consistent, res.layout)
    reasons["constant_item"] = degenerate
    for key in ("not_converged", "singular", "inadmissible"):
        if key in reasons:
            reasons[key] = reasons[key] & ~degenerate
    return values, reasons


#: Tables left out of the default bootstrap, costly per resample: model fit (eigenvalues,
#: log determinants; usually judged by the Bollen-Stine test, ``res.fit_test``) and
#: seminr's f² (one refit per path).
NOT_BY_DEFAULT = ("fit", "f2_reestimated")


def _select_tables(tables: Any) -> list[str]:
    if tables is None:
        return [t for t in TABLES if t not in NOT_BY_DEFAULT]
    if tables == "all":
        return list(TABLES)
    names = [tables] if isinstance(tables, str) else list(tables)
    unknown = [t for t in names if t not in TABLES]
    if unknown or not names:
        raise OptionError(f"tables={tables!r}: unknown {unknown}; registered tables: "
                          f"{', '.join(TABLES)}")
    return names


def _progress(total: int, enabled: bool | None):
    if enabled is False or (enabled is None and not sys.stderr.isatty()):
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm is a dependency
        return None
    return tqdm(total=total, desc="bootstrap", unit="resample")


def bootstrap(
    res: PLSResult,
    n: int = 5000,
    seed: Any = None,
    *,
    ci: str = "percentile",
    level: float = 0.95,
    signs: str = "none",
    inadmissible: str = "drop",
    chunk_size: int | None = None,
    progress: bool | None = None,
    tables: Any = None,
) -> PLSResult:
    """Bootstrap the tables of a PLS result; see :meth:`PLSResult.bootstrap`."""
    if res._data is None:
        raise SatModelError("bootstrap needs the respondent rows: this result was read from "
                            "JSON or fitted on moments; refit it with sm.fit_pls(spec, data)")
    if not isinstance(n, (int, np.integer)) or n < 2:
        raise OptionError(f"n={n!r}: the number of resamples must be an integer >= 2")
    if signs not in SIGN_OPTIONS:
        raise OptionError(f"signs={signs!r}: choose one of {SIGN_OPTIONS}")
    if inadmissible not in INADMISSIBLE_OPTIONS:
        raise OptionError(f"inadmissible={inadmissible!r}: choose one of {INADMISSIBLE_OPTIONS}")
    ci_methods.check(ci, level)
    rng = np.random.default_rng(seed)
    rows, p = res._data.X.shape
    size = _chunk_size(rows, p, chunk_size)
    tables = _select_tables(tables)
    sign_ref = None
    if signs == "construct":
        sign_ref = (res.indicator_corr @ (res.estimate.weights[:, None] * res.layout.membership))[
            res.layout.membership]
    collected: dict[str, dict[str, list]] = {t: {c: [] for c in TABLES[t].columns} for t in tables}
    dropped: dict[str, int] = {}
    bar = _progress(n, progress)
    done = n_bad = 0
    while done < n:
        c = min(size, n - done)
        values, reasons = _evaluate(res, _draw_counts(rng, c, rows), sign_ref, tables)
        bad = np.zeros(c, dtype=bool)
        for reason, mask in reasons.items():
            if reason == "inadmissible" and inadmissible == "keep":
                continue
            dropped[reason] = dropped.get(reason, 0) + int(mask.sum())
            bad |= mask
        for t in tables:
            for col, v in values[t].items():
                collected[t][col].append(v[~bad])
        n_bad += int(bad.sum())
        done += c
        if bar is not None:
            bar.update(c)
    if bar is not None:
        bar.close()
    ctx = res.context
    original = {t: {c: TABLES[t].values(ctx, c) for c in TABLES[t].columns} for t in tables}
    draws = {t: {c: np.concatenate(v, axis=0) for c, v in cols.items()}
             for t, cols in collected.items()}
    n_valid = n - n_bad
    if signs == "individual":
        draws = {t: {c: np.abs(v) * np.sign(original[t][c]) for c, v in cols.items()}
                 for t, cols in draws.items()}
    dropped = {k: v for k, v in dropped.items() if v}
    if dropped:
        warnings.warn(f"bootstrap dropped {n - n_valid} of {n} resamples (by reason, a "
                      f"resample may have several: {dropped}); see boot.inference.dropped",
                      SatModelWarning, stacklevel=3)
    if n_valid < 2:
        raise SatModelError(f"only {n_valid} of {n} resamples were usable ({dropped})")
    inf = BootstrapInference(draws=draws, original=original, n_requested=n, n_valid=n_valid,
                             dropped=dropped, seed=seed, signs=signs, level=level, method="percentile")
    out = dataclasses.replace(res, inference=inf)
    return out.conf_int(level=level, method=ci) if ci != "percentile" else out


def jackknife(res: PLSResult, groups: int = 2000) -> dict[str, dict[str, np.ndarray]]:
    """Leave-one-out estimates of every table (grouped delete-d when n > ``groups``).

    Used for the BCa acceleration; batched like the bootstrap.
    """
    rows = res._data.X.shape[0]
    g = min(rows, groups)
    label = np.arange(rows) % g
    tables = list(res.inference.draws)
    size = _chunk_size(rows, res._data.X.shape[1], None)
    out: dict[str, dict[str, list]] = {t: {c: [] for c in TABLES[t].columns} for t in tables}
    for start in range(0, g, size):
        ids = np.arange(start, min(g, start + size))
        counts = (label[None, :] != ids[:, None]).astype(float)
        values, _ = _evaluate(res, counts, None, tables)
        for t in tables:
            for col, v in values[t].items():
                out[t][col].append(v)
    return {t: {c: np.concatenate(v, axis=0) for c, v in cols.items()} for t, cols in out.items()}
