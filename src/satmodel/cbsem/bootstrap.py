"""Nonparametric bootstrap of a CB-SEM fit: semopy refits of resampled rows, run by the
one resampling driver (:func:`satmodel.inference.driver.run`).

The row counts of the resamples come from the driver's
:class:`~satmodel.inference.driver.BootstrapCounts` (one seeded generator, so results
depend on ``seed`` only). An ML fit's resamples are refitted on their covariance matrices
with the model built once (:mod:`satmodel.cbsem.mlboot`); other estimators' (and FIML's)
with a fresh semopy model on the rows repeated by their counts, without standard errors
(a resample does not use them). A resample whose fit fails (not identified on the
resample, singular covariance, non-finite estimates: reason ``"failed"``) or does not
converge (``"not_converged"``) is dropped and counted as PLS's are: in
``inference.dropped``, ``inference.n_failed``, ``inference.failures`` (what each one
said) and a ``bootstrap_dropped`` diagnostic. The draws go into a
:class:`~satmodel.inference.bootstrap.BootstrapInference`, so the tables get PLS's
columns (``se``, ``t``, ``p`` with B - 1 df, ``ci_lower``, ``ci_upper``, prefixed by
the column where a table has several, e.g. ``indirect_se``) for the columns of
:data:`~satmodel.cbsem.tables.BOOTSTRAP`, and ``conf_int`` recomputes intervals from
the stored draws ("percentile", "basic", "normal", "bc"; BCa needs a jackknife of
semopy refits, which is not offered).

Example
-------
>>> import satmodel as sm
>>> spec = sm.ModelSpec.from_lavaan("EXPE =~ EXPE1 + EXPE2 + EXPE3; SAT =~ SAT1 + SAT2 + SAT3; SAT ~ EXPE")
>>> cb = sm.fit_cbsem(spec, sm.datasets.load("ecsi_satisfaction")).bootstrap(n=3, seed=1, progress=False)
>>> cb.paths.columns.tolist()
['source', 'target', 'estimate', 'estimate_unstd', 'se', 't', 'p', 'ci_lower', 'ci_upper']
>>> cb.inference.n_valid, cb.inference.n_failed
(3, 0)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .mlboot import Start as MLStart, moments as ml_moments, refit as ml_refit, start as ml_start
from .._threads import one_blas_thread
from .fitting import Conventions, fit_cbsem_rows
from .tables import BOOTSTRAP, REQUIRED, Values, table_values
from .. import _validate as valid
from ..diagnostics import report
from ..errors import NotAvailableError, SatModelError
from ..inference import intervals
from ..inference.bootstrap import BootstrapInference
from ..inference.driver import BootstrapCounts, run
from ..spec.layout import layout_of
from ..spec.model import ModelSpec

__all__ = ["CBBootstrapInference", "bootstrap_cbsem", "check_options", "check_interval"]


@dataclass(frozen=True)
class CBBootstrapInference(BootstrapInference):
    """:class:`~satmodel.inference.bootstrap.BootstrapInference` with what each dropped
    resample's fit said (``failures``; empty when read from JSON)."""

    failures: tuple[str, ...] = field(default=(), repr=False)

    @property
    def n_failed(self) -> int:
        """Resamples dropped (failed or not converged)."""
        return self.n_requested - self.n_valid


def check_interval(method: Any, level: Any, verb: str = "bootstrap") -> None:
    """Validate an interval method and level; BCa is not available for CB-SEM."""
    intervals.check(method, level, verb)
    if method == "bca":
        raise NotAvailableError(
            f"invalid {verb} option ci='bca': BCa intervals need a jackknife (one semopy refit "
            "per respondent), which satmodel does not offer for CB-SEM; use 'bc' (bias-corrected), "
            "'percentile', 'basic' or 'normal'")


def check_options(n: Any, ci: Any, level: Any, progress: Any, seed: Any = None) -> None:
    """Validate the options of ``CBSEMResult.bootstrap`` once (one message format)."""
    valid.integer("bootstrap", "n", n, minimum=2)
    valid.seed("bootstrap", seed)
    check_interval(ci, level)
    if progress is not None and not isinstance(progress, bool):
        raise valid.bad("bootstrap", "progress", progress, "True, False or None")


def bootstrap_cbsem(spec: ModelSpec, X: np.ndarray, original: Values, *, estimator: str,
                    missing: str, n: int, seed: Any = None, level: float = 0.95,
                    progress: bool | None = None,
                    conventions: Conventions | None = None) -> CBBootstrapInference:
    """Refit ``n`` resamples of the rows ``X`` (spec indicator order; NaN only with
    ``missing="fiml"``); ``original`` the fit's own values of the :data:`BOOTSTRAP` columns.

    Call it inside a :func:`~satmodel.diagnostics.collecting` scope: dropped resamples
    are reported there (code ``bootstrap_dropped``). Each resample is refitted with the
    fit's ``conventions`` (covariance divisor, standard errors, ...).
    """
    layout = layout_of(spec)
    failures: list[str] = []
    done = 0
    fast = ml_start(spec, X, missing=missing, conventions=conventions) if estimator == "ML" else None

    def evaluate(counts: np.ndarray) -> tuple[Values, dict[str, np.ndarray]]:
        nonlocal done
        size = counts.shape[0]
        out = {t: {c: np.full((size, np.size(original[t][c])), np.nan) for c in cols}
               for t, cols in BOOTSTRAP.items()}
        reasons = {"failed": np.zeros(size, dtype=bool), "not_converged": np.zeros(size, dtype=bool)}
        with one_blas_thread():  # small matrices: a second BLAS thread only costs
            for b in range(size):
                if fast is not None:
                    why = _refit_moments(spec, layout, fast, X, counts[b], out, b)
                else:
                    why = _refit(spec, layout, np.repeat(X, counts[b].astype(np.intp), axis=0),
                                 estimator, missing, out, b, conventions)
                if why is not None:
                    reasons[why[0]][b] = True
                    failures.append(f"resample {done + b}: {why[1]}")
        done += size
        return out, reasons

    draws = run(BootstrapCounts(int(n), X.shape[0], np.random.default_rng(seed)), evaluate,
                X.nbytes, chunk=1, progress=progress)
    if draws.dropped:
        report("bootstrap_dropped",
               f"CB-SEM bootstrap dropped {n - draws.n_valid} of {n} resamples ({draws.dropped}; "
               f"first: {failures[0]}); inference uses the {draws.n_valid} others "
               "(res.inference.failures lists them)",
               names=tuple(draws.dropped), count=n - draws.n_valid)
    if draws.n_valid < 2:
        raise SatModelError(f"only {draws.n_valid} of {n} bootstrap resamples could be fitted; "
                            "first failures: " + "; ".join(failures[:3]))
    intervals.report_too_few(draws.n_valid, level)  # counted after the failed ones, as PLS
    return CBBootstrapInference(
        draws=draws.values, original={t: {c: np.asarray(original[t][c], dtype=float) for c in cols}
                                      for t, cols in BOOTSTRAP.items()},
        n_requested=int(n), n_valid=draws.n_valid, dropped=draws.dropped, seed=seed,
        signs="none", level=float(level), method="percentile", failures=tuple(failures))


def _refit(spec: ModelSpec, layout: Any, rows: np.ndarray, estimator: str, missing: str,
           out: Values, b: int, conventions: Conventions | None = None) -> tuple[str, str] | None:
    """Fit one resample into row ``b`` of ``out``; (reason, message) when it is unusable."""
    try:
        fit = fit_cbsem_rows(spec, rows, estimator=estimator, diagnose=False, missing=missing,
                             conventions=conventions, se=False)
        values = table_values(spec, layout, fit.estimate, fit.sample_cov)
    except (ValueError, ArithmeticError) as err:  # SatModelError, LinAlgError, scipy's checks
        return "failed", f"{type(err).__name__}: {err}"
    if not fit.estimate.converged:
        return "not_converged", f"did not converge ({fit.estimate.message})"
    return _store(values, out, b)


def _refit_moments(spec: ModelSpec, layout: Any, fast: MLStart, X: np.ndarray,
                   counts: np.ndarray, out: Values, b: int) -> tuple[str, str] | None:
    """:func:`_refit` of an ML fit on the resample's covariance matrix (:mod:`~satmodel.cbsem.mlboot`)."""
    try:
        arrays, why = ml_refit(spec, fast, X, counts)
        if why is not None:
            return why
        values = table_values(spec, layout, arrays, ml_moments(X, counts))
    except (ValueError, ArithmeticError) as err:
        return "failed", f"{type(err).__name__}: {err}"
    return _store(values, out, b)


def _store(values: Values, out: Values, b: int) -> tuple[str, str] | None:
    """Row ``b`` of ``out`` from one refit's ``values``; ("failed", ...) if not finite."""
    if not all(np.isfinite(values[t][c]).all() for t, c in REQUIRED):
        return "failed", "non-finite estimates"
    for t, cols in BOOTSTRAP.items():
        for c in cols:
            out[t][c][b] = values[t][c]
    return None
