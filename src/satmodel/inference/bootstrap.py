"""Batched bootstrap on moment matrices (DESIGN.md "the one idea").

A resample is a vector of row counts, so B resamples are B weighted moment matrices
computed together, and one batched PLS call fits them all; every listed table
(:data:`satmodel.tables.TABLES`) is evaluated on the B fits by the same functions that
produce the original estimates. The resampling driver (:mod:`.driver`) chunks them
by memory; the draws do not depend on the chunk size.

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .. import _validate as check
from ..diagnostics import report
from ..engine.refit import Refit
from ..errors import SatModelError
from ..spec.model import ModelSpec
from ..tables import NOT_BY_DEFAULT, TABLES, Context
from .intervals import STUDENTIZED, check as intervals_check, report_too_few, summarize as intervals_summarize
from .studentized import generator_state, t_draws
from .driver import BootstrapCounts, LeaveOut, evaluate_tables, run, table_evaluator
from .studentized import N_INNER

SIGN_OPTIONS = ("none", "construct", "individual")
INADMISSIBLE_OPTIONS = ("drop", "keep")


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
    stored : dict or None
        ``stored[table][column][stat]``: se, t, p, ci_lower, ci_upper as read from JSON
        without draws (``draws`` is then None and intervals cannot be recomputed).
    rng_state : dict or None
        The resample generator's state before the first draw: the double bootstrap of
        studentized intervals replays the resamples from it (not written to JSON).
    inadmissible : str
        The ``inadmissible`` option of the bootstrap ("drop" or "keep").
    jackknife_dropped : int
        Jackknife fits (BCa acceleration) that failed and were left out.
    tstar, n_inner : dict or None, int
        Studentized draws ``tstar[table][column]`` (see
        :func:`satmodel.inference.studentized.t_draws`) and the inner resamples behind them.
    """

    draws: dict[str, dict[str, np.ndarray]] | None
    original: dict[str, dict[str, np.ndarray]]
    n_requested: int
    n_valid: int
    dropped: dict[str, int]
    seed: Any
    signs: str
    level: float = 0.95
    method: str = "percentile"
    jackknife: dict[str, dict[str, np.ndarray]] | None = field(default=None, repr=False)
    stored: dict[str, dict[str, dict[str, np.ndarray]]] | None = field(default=None, repr=False)
    rng_state: dict | None = field(default=None, repr=False)
    inadmissible: str = "drop"
    jackknife_dropped: int = 0
    tstar: dict[str, dict[str, np.ndarray]] | None = field(default=None, repr=False)
    n_inner: int = 0

    @property
    def tables(self) -> list[str]:
        """The tables with inference."""
        return list(self.original)

    def annotate(self, table: str, df: pd.DataFrame) -> pd.DataFrame:
        """Add se, t, p, ci_lower, ci_upper (prefixed ``<column>_`` when the table has
        several value columns) to a table."""
        if table not in self.original:
            return df
        cols = list(self.original[table])
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
        studentized = self.method in STUDENTIZED
        if self.draws is None or (studentized and self.tstar is None and self.stored):
            return self.stored[table][column]
        draws = self.draws[table][column]
        theta = self.original[table][column]
        jack = None if self.jackknife is None else self.jackknife[table][column]
        if studentized and self.tstar is None:
            raise SatModelError(f"{self.method} intervals need the double bootstrap's t draws, "
                                "which this result does not carry; call "
                                f"res.conf_int(method={self.method!r})")
        tstar = self.tstar[table][column] if studentized else None
        return intervals_summarize(theta, draws, level=self.level, method=self.method,
                                    jackknife=jack, tstar=tstar)

    def pick(self, verb: str, table: Any, column: Any) -> str:
        """Validate ``table`` (one with inference) and ``column`` (None: its first value
        column) for ``verb``; returns the column name."""
        check.member(verb, "table", table, self.tables, "table with inference")
        columns = list(self.original[table])
        if column is None:
            return columns[0]
        return check.member(verb, "column", column, columns, f"value column of {table!r}")

    def require_draws(self, verb: str) -> dict[str, dict[str, np.ndarray]]:
        """The draws, or a SatModelError when they were not stored (read from JSON)."""
        if self.draws is None:
            raise SatModelError(f"{verb} needs the bootstrap draws, which this result (read "
                                "from JSON written without them) does not carry; write it "
                                "with res.to_json(draws=True), or bootstrap again")
        return self.draws

    def draws_frame(self, table: str, column: str, keys: pd.DataFrame) -> pd.DataFrame:
        """Draws as a DataFrame: one row per resample, one column per table row."""
        labels = [" -> ".join(map(str, r)) if len(r) > 1 else str(r[0])
                  for r in keys.itertuples(index=False)]
        return pd.DataFrame(self.draws[table][column], columns=labels)


def select_tables(tables: Any) -> list[str]:
    """The tables a bootstrap evaluates: None (all but ``NOT_BY_DEFAULT``), "all" or names."""
    if tables is None:
        return [t for t in TABLES if t not in NOT_BY_DEFAULT]
    if isinstance(tables, str) and tables == "all":
        return list(TABLES)
    names = [tables] if isinstance(tables, str) else \
        list(tables) if isinstance(tables, (list, tuple, set, frozenset)) else None
    if names is None:
        raise check.bad("bootstrap", "tables", tables,
                        f"None, 'all' or table names from: {', '.join(TABLES)}")
    unknown = [t for t in names if not isinstance(t, str) or t not in TABLES]
    if unknown or not names:
        raise check.bad("bootstrap", "tables", tables,
                        f"unknown {unknown}; listed tables: {', '.join(TABLES)}")
    return names


def check_options(n: Any, ci: str, level: float, signs: str, inadmissible: str,
                  chunk_size: Any, *, seed: Any = None, progress: Any = None,
                  tables: Any = None, n_inner: Any = N_INNER, studentized: bool = False) -> None:
    """Validate the bootstrap options once (one message format); ``studentized``: whether
    the caller offers the bootstrap-t intervals (a single PLS fit does)."""
    check.integer("bootstrap", "n", n, minimum=2)
    check.integer("bootstrap", "n_inner", n_inner, minimum=2)
    check.seed("bootstrap", seed)
    check.flag("bootstrap", "progress", progress, none=True)
    select_tables(tables)
    check.choice("bootstrap", "signs", signs, SIGN_OPTIONS)
    check.choice("bootstrap", "inadmissible", inadmissible, INADMISSIBLE_OPTIONS)
    if chunk_size is not None:
        check.integer("bootstrap", "chunk_size", chunk_size)
    intervals_check(ci, level, studentized=studentized)


def sign_reference(refit: Refit, original: Context, signs: str) -> np.ndarray | None:
    """The loadings' reference for ``signs="construct"`` (None otherwise)."""
    if signs != "construct":
        return None
    M = refit.layout.membership
    return (original.S @ (original.est.weights[:, None] * M))[M]


def bootstrap(spec: ModelSpec, refit: Refit, original: Context, n: int = 5000, seed: Any = None,
              *, level: float = 0.95, signs: str = "none", inadmissible: str = "drop",
              chunk_size: int | None = None, progress: bool | None = None,
              tables: Any = None) -> BootstrapInference:
    """Bootstrap the tables of a fitted model; see :meth:`PLSResult.bootstrap`.

    ``refit`` carries the validated rows and the fit's options, ``original`` the fit's
    own context (the estimates the draws are compared with).
    """
    tables = select_tables(tables)
    evaluate = table_evaluator(refit, spec, tables,
                               sign_reference=sign_reference(refit, original, signs),
                               keep_inadmissible=inadmissible == "keep")
    rng = np.random.default_rng(seed)
    state = generator_state(rng)
    counts = BootstrapCounts(n, refit.n_rows, rng)
    fit_values: dict = {}
    draws = run(counts, evaluate, refit.bytes_per_fit, chunk=chunk_size, progress=progress,
                parallel=True,  # the table evaluator shares nothing between chunks
                meanwhile=lambda: fit_values.update(evaluate_tables(original, tables)))
    return inference_of(draws, original, tables, n, signs=signs, level=level, seed=seed,
                        inadmissible=inadmissible, rng_state=state,
                        original_values=fit_values or None)


def inference_of(draws: Any, original: Context, tables: Sequence[str], n: int, *, signs: str,
                 level: float, seed: Any, inadmissible: str, rng_state: Any = None,
                 original_values: dict | None = None) -> BootstrapInference:
    """The :class:`BootstrapInference` of the driver's ``draws`` of ``n`` resamples:
    sign-aligned, dropped and undefined resamples reported, too few for ``level`` flagged.
    ``original_values``: the tables' values on ``original``, when made already."""
    if original_values is None:
        original_values = evaluate_tables(original, tables)
    values = draws.values
    if signs == "individual":
        values = {t: {c: np.abs(v) * np.sign(original_values[t][c]) for c, v in cols.items()}
                  for t, cols in values.items()}
    if draws.dropped:
        report("bootstrap_dropped",
               f"bootstrap dropped {n - draws.n_valid} of {n} resamples (by reason, a resample "
               f"may have several: {draws.dropped}); see boot.inference.dropped",
               names=tuple(draws.dropped), count=n - draws.n_valid)
    if draws.n_valid < 2:
        raise SatModelError(f"only {draws.n_valid} of {n} resamples were usable ({draws.dropped})")
    report_undefined(values, original_values, draws.n_valid)
    report_too_few(draws.n_valid, level)
    return BootstrapInference(draws=values, original=original_values, n_requested=n,
                              n_valid=draws.n_valid, dropped=draws.dropped, seed=seed,
                              signs=signs, level=level, method="percentile",
                              rng_state=rng_state, inadmissible=inadmissible)


def report_undefined(values: dict, original: dict, n_valid: int) -> None:
    """A diagnostic naming the table columns whose value, defined for the fit, is not
    defined (NaN) in some kept resamples; their summaries use the others."""
    lost = {}
    for t, cols in values.items():
        for c, v in cols.items():
            if np.isfinite(v.sum()):  # every value finite (one pass, no temporaries)
                continue
            rows = np.isfinite(original[t][c])
            k = int((~np.isfinite(v[:, rows])).any(axis=1).sum()) if rows.any() else 0
            if k:
                lost[f"{t}.{c}"] = k
    if lost:
        listed = ", ".join(f"{k} in {v} of {n_valid}" for k, v in lost.items())
        report("bootstrap_undefined",
               f"some values defined for the fit are not defined in some kept resamples "
               f"({listed}): e.g. the index of a block whose weight turns negative, or "
               "log(1 - R²) for an R² above 1 in a PLSc resample. Their se, t, p and intervals "
               "use the resamples where they are defined, so they describe those resamples "
               "only: with many undefined, read them with care",
               names=tuple(lost), count=max(lost.values()))


def jackknife(spec: ModelSpec, refit: Refit, tables: list[str],
              groups: int = 2000) -> dict[str, dict[str, np.ndarray]]:
    """Leave-one-out estimates of ``tables`` (grouped delete-d when n > ``groups``), batched;
    used for the BCa acceleration. Every draw keeps its place; a leave-out whose fit fails
    (not converged, singular, a constant item, PLSc inadmissible) is NaN, which the
    acceleration leaves out, and is reported (diagnostic ``jackknife_dropped``)."""
    return jackknife_counted(spec, refit, tables, groups)[0]


def jackknife_counted(spec: ModelSpec, refit: Refit, tables: list[str],
                      groups: int = 2000) -> tuple[dict[str, dict[str, np.ndarray]], int]:
    """:func:`jackknife` and the number of its fits that failed."""
    evaluate = table_evaluator(refit, spec, tables)
    failed = []

    def masked(w: np.ndarray):
        values, reasons = evaluate(w)
        bad = np.zeros(w.shape[0], dtype=bool)
        for mask in reasons.values():
            bad |= mask
        failed.append(int(bad.sum()))
        if bad.any():
            values = {t: {c: np.where(bad.reshape((-1,) + (1,) * (v.ndim - 1)), np.nan, v)
                          for c, v in cols.items()} for t, cols in values.items()}
        return values, {}

    weights = LeaveOut(refit.n_rows, groups)
    values = run(weights, masked, refit.bytes_per_fit).values
    if sum(failed):
        report("jackknife_dropped",
               f"{sum(failed)} of {weights.total} jackknife fits (used for the BCa acceleration) "
               "failed (not converged, singular, a constant item or PLSc inadmissible); the "
               "acceleration uses the others", count=sum(failed))
    return values, sum(failed)


def with_interval(spec: ModelSpec, refit_for: Callable[[str], Refit], original: Context,
                  inf: BootstrapInference, level: float, method: str, *, n_inner: Any = N_INNER,
                  chunk_size: Any = None, progress: Any = None) -> BootstrapInference:
    """``inf`` with intervals of ``method`` at ``level`` (see :meth:`PLSResult.conf_int`):
    computes once what the method needs — BCa the jackknife, the studentized methods the
    double bootstrap (``n_inner`` inner resamples each) — and re-checks, after what was
    dropped, that enough resamples are left for the level. Diagnostics go to the caller's
    :func:`~satmodel.diagnostics.collecting` scope. ``refit_for(why)`` gives the rows' refit."""
    intervals_check(method, level, "conf_int", studentized=True)
    check.integer("conf_int", "n_inner", n_inner, minimum=2)
    if chunk_size is not None:
        check.integer("conf_int", "chunk_size", chunk_size)
    check.flag("conf_int", "progress", progress, none=True)
    inf.require_draws("conf_int")
    changes: dict[str, Any] = {"level": level, "method": method}
    usable = inf.n_valid
    if method == "bca" and inf.jackknife is None:
        jack, failed = jackknife_counted(spec, refit_for("BCa intervals"), inf.tables)
        changes.update(jackknife=jack, jackknife_dropped=failed)
    if method in STUDENTIZED and (inf.tstar is None or inf.n_inner != n_inner):
        if inf.rng_state is None:
            raise SatModelError(f"{method} intervals replay the bootstrap's resamples, whose "
                                "generator state this result does not carry (read from JSON); "
                                f"bootstrap again with ci={method!r}")
        refit = refit_for("studentized intervals")
        td = t_draws(
            spec, refit, inf.original, n_outer=inf.n_requested, n_inner=int(n_inner),
            state=inf.rng_state, signs=inf.signs,
            sign_reference=sign_reference(refit, original, inf.signs),
            keep_inadmissible=inf.inadmissible == "keep", chunk_size=chunk_size,
            progress=progress)
        if td.n_outer_valid != inf.n_valid:  # pragma: no cover - the same refits
            raise SatModelError(f"the double bootstrap kept {td.n_outer_valid} resamples where "
                                f"the bootstrap kept {inf.n_valid}; bootstrap again")
        changes.update(tstar=td.tstar, n_inner=int(n_inner))
        usable = td.n_outer_valid - td.no_se
    out = dataclasses.replace(inf, **changes)
    if level != inf.level or usable < inf.n_valid:
        report_too_few(usable, level)
    report_undefined_bounds(out)
    return out


def report_undefined_bounds(inf: BootstrapInference) -> None:
    """Diagnostic ``interval_undefined`` naming the columns whose interval is NaN where the
    estimate is defined (BCa with fewer than 2 usable jackknife fits, a studentized interval
    with fewer than 2 t draws)."""
    lost = {}
    for t, cols in inf.original.items():
        for c, theta in cols.items():
            bounds = inf.summarize(t, c)
            k = int((np.isfinite(theta) & ~np.isfinite(bounds["ci_lower"])).sum())
            if k:
                lost[f"{t}.{c}"] = k
    if lost:
        listed = ", ".join(f"{k} ({v} rows)" for k, v in lost.items())
        report("interval_undefined",
               f"{inf.method} intervals are not defined for {listed}: too few usable "
               + ("jackknife fits for the acceleration" if inf.method == "bca" else
                  "resamples after dropping the failed ones")
               + "; use 'percentile' or 'bc' for them", names=tuple(lost),
               count=sum(lost.values()))
