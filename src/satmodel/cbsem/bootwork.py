"""The refits of a CB-SEM bootstrap, in this process or in a pool of worker processes.

A :class:`Job` holds what every resample's refit shares (the spec, the rows, the
estimator's settings and, for ML, the model built once: :mod:`satmodel.cbsem.mlboot`);
:meth:`Job.refit` fits one resample given its row counts. :class:`Runner` maps a block of
counts over the refits: with ``n_jobs=1`` in this process, otherwise in a
``concurrent.futures.ProcessPoolExecutor`` whose workers get the Job once (under
``fork`` they inherit the calling process's; under ``spawn`` the rows travel once per
worker and it builds its own), then only each resample's counts and values travel. A refit depends on its counts only (not on earlier resamples, nor on the worker that runs
it: each starts from semopy's starting values for its own covariance matrix, with one
BLAS thread), and the counts are drawn in the calling process from one seeded generator,
so the draws are the same for any ``n_jobs``.

Workers are started with ``fork`` where it is safe and cheap (Linux: no re-import, the
parent's memory shared copy-on-write), else ``spawn``.

Example
-------
>>> import numpy as np, satmodel as sm
>>> spec = sm.ModelSpec.from_lavaan("EXPE =~ EXPE1 + EXPE2 + EXPE3; SAT =~ SAT1 + SAT2 + SAT3; SAT ~ EXPE")
>>> X = sm.datasets.load("ecsi_satisfaction")[list(spec.indicator_names)].to_numpy(float)
>>> job = Job.build(spec, X, estimator="ML", missing="error", conventions=None)
>>> with Runner(job, n_jobs=1) as run:
...     (values, why), = run.map(np.ones((1, len(X))))
>>> why is None, sorted(values) == sorted(BOOTSTRAP)
(True, True)
"""

from __future__ import annotations

import multiprocessing
import sys
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import mlboot
from .. import errors
from ..diagnostics import Diagnostic, collecting, quiet, report
from ..inference.driver import usable_cores
from .fitting import Conventions, fit_cbsem_rows
from .tables import BOOTSTRAP, REQUIRED, Values, cb_layout, table_values
from ..spec.model import ModelSpec

__all__ = ["Job", "Runner", "forks", "usable_cores"]

#: resamples a worker takes at a time: one balances the load best (a refit takes 70 to
#: 190 SLSQP iterations on the ECSI model); the round trip costs far less than a refit
TASK = 1

#: one refit's outcome: (values of the BOOTSTRAP columns, None) or (None, (reason, message))
Outcome = tuple[Values | None, tuple[str, str] | None]


@dataclass(frozen=True, eq=False)
class Job:
    """What the refits of one bootstrap share; ``fast`` the ML moment path's start (None:
    semopy refits of the repeated rows)."""

    spec: ModelSpec
    X: np.ndarray
    estimator: str
    missing: str
    conventions: Conventions | None
    fast: mlboot.Start | None
    layout: Any

    @classmethod
    def build(cls, spec: ModelSpec, X: np.ndarray, *, estimator: str, missing: str,
              conventions: Conventions | None) -> Job:
        fast = (mlboot.start(spec, X, missing=missing, conventions=conventions)
                if estimator == "ML" else None)
        return cls(spec=spec, X=X, estimator=estimator, missing=missing, conventions=conventions,
                   fast=fast, layout=cb_layout(spec))  # first-order blocks

    def args(self) -> tuple:
        """What a worker needs to build the same Job (picklable)."""
        return (self.spec, self.X, self.estimator, self.missing, self.conventions)

    def refit(self, counts: np.ndarray) -> Outcome:
        """Fit the resample with row ``counts``: its values, or why it is unusable
        ("failed": the fit raised or gave non-finite estimates; "not_converged")."""
        try:
            if self.fast is not None:  # ML: on the resample's covariance matrix
                arrays, why = mlboot.refit(self.spec, self.fast, self.X, counts)
                if why is not None:
                    return None, why
                values = table_values(self.spec, self.layout, arrays, mlboot.moments(self.X, counts))
            else:
                rows = np.repeat(self.X, counts.astype(np.intp), axis=0)
                fit = fit_cbsem_rows(self.spec, rows, estimator=self.estimator, diagnose=False,
                                     missing=self.missing, conventions=self.conventions, se=False)
                values = table_values(self.spec, self.layout, fit.estimate, fit.sample_cov)
                if not fit.estimate.converged:
                    return None, ("not_converged", f"did not converge ({fit.estimate.message})")
        except (ValueError, ArithmeticError) as err:  # SatModelError, LinAlgError, scipy's checks
            return None, ("failed", f"{type(err).__name__}: {err}")
        if not all(np.isfinite(values[t][c]).all() for t, c in REQUIRED):
            return None, ("failed", "non-finite estimates")
        return {t: {c: np.asarray(values[t][c], dtype=float) for c in cols}
                for t, cols in BOOTSTRAP.items()}, None


class Runner:
    """Refits of a :class:`Job` for blocks of counts (``with Runner(job, n_jobs) as run``):
    ``run.map(counts)`` -> one :data:`Outcome` a row, in order."""

    def __init__(self, job: Job, n_jobs: int) -> None:
        self.job, self.n_jobs, self.pool = job, int(n_jobs), None

    def __enter__(self) -> Runner:
        if self.n_jobs > 1:
            context = _context()
            if context.get_start_method() == "fork":  # the worker inherits this Job as it is
                start, args = _adopt, (self.job,)
            else:  # spawn pickles: the worker builds its own (semopy models do not pickle)
                start, args = _start_worker, self.job.args()
            self.pool = ProcessPoolExecutor(max_workers=self.n_jobs, mp_context=context,
                                            initializer=start, initargs=args)
        return self

    def __exit__(self, *exc) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def map(self, counts: np.ndarray) -> list[Outcome]:
        if self.pool is None:
            return [self.job.refit(c) for c in counts]
        out = []
        try:
            for outcome, found in self.pool.map(_refit_in_worker, counts, chunksize=TASK):
                for d in found:  # what the worker's refit reported (EM at its limit, ...), here
                    report(d.code, d.message, getattr(errors, d.category, errors.SatModelWarning),
                           names=d.names, count=d.count, severity=d.severity)
                out.append(outcome)
        except BrokenProcessPool as err:  # a worker killed (out of memory, a crash)
            raise errors.EstimationError(
                "a bootstrap worker process died (out of memory?); run with n_jobs=None "
                "(this process) or fewer workers") from err
        return out


def forks() -> bool:
    """Whether workers are started by ``fork``: on Linux (cheap, nothing re-imported);
    elsewhere ``spawn`` (macOS: fork is unsafe with its system libraries; Windows has none)."""
    return sys.platform.startswith("linux")


def _context():
    return multiprocessing.get_context("fork" if forks() else "spawn")


_WORKER: Job | None = None


def _start_worker(spec, X, estimator, missing, conventions) -> None:
    """Pool initializer: build this worker's Job once."""
    global _WORKER
    _WORKER = Job.build(spec, X, estimator=estimator, missing=missing, conventions=conventions)


def _adopt(job: Job) -> None:
    """Pool initializer under fork: the parent's Job (its memory is the worker's)."""
    global _WORKER
    _WORKER = job


def _refit_in_worker(counts: np.ndarray) -> tuple[Outcome, tuple[Diagnostic, ...]]:
    """One refit in a worker, with the diagnostics it reported (sent to the caller)."""
    assert _WORKER is not None, "worker not initialized"
    with collecting() as found, quiet():
        outcome = _WORKER.refit(counts)
    return outcome, tuple(found)
