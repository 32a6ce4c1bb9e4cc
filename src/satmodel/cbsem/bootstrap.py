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

Resamples are refitted in this process or in worker processes (``n_jobs``,
:func:`jobs`; :mod:`satmodel.cbsem.bootwork`): the counts are drawn here and each refit
depends on its counts only, so the draws do not depend on ``n_jobs``.

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

from .bootwork import Job, Runner, usable_cores
from .fitting import Conventions
from .tables import BOOTSTRAP, Values
from .. import _validate as valid
from ..diagnostics import report
from ..errors import NotAvailableError, SatModelError
from ..inference import intervals
from ..inference.bootstrap import BootstrapInference
from ..inference.driver import BootstrapCounts, run
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


def check_options(n: Any, ci: Any, level: Any, progress: Any, seed: Any = None,
                  n_jobs: Any = None) -> None:
    """Validate the options of ``CBSEMResult.bootstrap`` once (one message format)."""
    valid.integer("bootstrap", "n", n, minimum=2)
    valid.seed("bootstrap", seed)
    check_interval(ci, level)
    if progress is not None and not isinstance(progress, bool):
        raise valid.bad("bootstrap", "progress", progress, "True, False or None")
    if n_jobs is not None and not (isinstance(n_jobs, (int, np.integer)) and n_jobs == -1):
        valid.integer("bootstrap", "n_jobs", n_jobs, minimum=1)


def jobs(n_jobs: int | None, n: int) -> int:
    """Worker processes for ``n`` resamples: ``n_jobs`` (-1: every usable core), never
    more than ``n``; by default (None) this process alone.

    Workers are opt-in, as in scikit-learn and joblib: forking a process that holds
    threads (a notebook kernel, a web service, BLAS) can deadlock a child, and on a 2-core
    machine two workers were 1.5-1.8x faster only when nothing else ran (no faster under
    load). Spawned workers (macOS, Windows) re-import the caller's script, which then needs
    an ``if __name__ == "__main__":`` guard. The draws are the same for any ``n_jobs``.

    >>> jobs(None, 200), jobs(1, 200), jobs(3, 2)
    (1, 1, 2)
    """
    if n_jobs is None:
        return 1
    if n_jobs == -1:
        n_jobs = usable_cores()
    return max(1, min(int(n_jobs), int(n)))


def bootstrap_cbsem(spec: ModelSpec, X: np.ndarray, original: Values, *, estimator: str,
                    missing: str, n: int, seed: Any = None, level: float = 0.95,
                    progress: bool | None = None,
                    conventions: Conventions | None = None,
                    n_jobs: int | None = None) -> CBBootstrapInference:
    """Refit ``n`` resamples of the rows ``X`` (spec indicator order; NaN only with
    ``missing="fiml"``); ``original`` the fit's own values of the :data:`BOOTSTRAP` columns.

    Call it inside a :func:`~satmodel.diagnostics.collecting` scope: dropped resamples
    are reported there (code ``bootstrap_dropped``). Each resample is refitted with the
    fit's ``conventions`` (covariance divisor, standard errors, ...). ``n_jobs``: worker
    processes (:func:`jobs`; the draws do not depend on it).
    """
    workers = jobs(n_jobs, n)
    job = Job.build(spec, X, estimator=estimator, missing=missing, conventions=conventions)
    failures: list[str] = []
    done = 0

    def evaluate(counts: np.ndarray) -> tuple[Values, dict[str, np.ndarray]]:
        nonlocal done
        size = counts.shape[0]
        out = {t: {c: np.full((size, np.size(original[t][c])), np.nan) for c in cols}
               for t, cols in BOOTSTRAP.items()}
        reasons = {"failed": np.zeros(size, dtype=bool), "not_converged": np.zeros(size, dtype=bool)}
        for b, (values, why) in enumerate(runner.map(counts)):
            if why is not None:
                reasons[why[0]][b] = True
                failures.append(f"resample {done + b}: {why[1]}")
                continue
            for t, cols in BOOTSTRAP.items():
                for c in cols:
                    out[t][c][b] = values[t][c]
        done += size
        return out, reasons

    # blocks of resamples: one at a time in this process (a smooth progress bar), a few
    # per worker in a pool (a block ends when its slowest refit does)
    with Runner(job, workers) as runner:
        draws = run(BootstrapCounts(int(n), X.shape[0], np.random.default_rng(seed)), evaluate,
                    X.nbytes, chunk=1 if workers == 1 else 32 * workers, progress=progress)
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

