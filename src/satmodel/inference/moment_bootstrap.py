"""The bootstrap of a model whose resamples arrive as moment matrices.

Data read as a stream or spread over Dask workers are resampled where they lie (Poisson
counts, :mod:`satmodel.moments.poisson`) and reduced to B moment matrices in one pass;
here the resampling driver fits them in chunks with the batched engine and evaluates
every table, exactly as :func:`satmodel.inference.bootstrap.bootstrap` does for
multinomial counts of rows held in memory. The "weights" the driver draws are the
resamples' numbers.

>>> import numpy as np, satmodel as sm
>>> from satmodel.inference.moment_bootstrap import bootstrap_moments
>>> from satmodel.moments import compute_moments
>>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
>>> counts = np.random.default_rng(1).poisson(1.0, size=(100, 250)).astype(float)
>>> mom = compute_moments(res.survey.X, counts)
>>> inf = bootstrap_moments(res.spec, res.refit, res.context, mom, seed=1, tables=["paths"])
>>> inf.draws["paths"]["estimate"].shape
(100, 10)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..diagnostics import report
from ..engine.refit import Refit
from ..errors import SatModelError
from ..moments.core import Moments
from ..spec.model import ModelSpec
from ..tables import TABLES, Context
from . import intervals
from .bootstrap import BootstrapInference, report_undefined, select_tables, sign_reference
from .driver import Weights, drop_reasons, evaluate_tables, run

__all__ = ["bootstrap_moments", "ResampleNumbers"]


@dataclass
class ResampleNumbers(Weights):
    """The driver's weights for given resamples: draw ``k`` is the row ``[k]``."""

    total: int
    n: int = 1
    desc: str = "bootstrap"
    _next: int = field(default=0, repr=False)

    def draw(self, size: int) -> np.ndarray:
        ids = np.arange(self._next, self._next + size, dtype=float)[:, None]
        self._next += size
        return ids


def bootstrap_moments(spec: ModelSpec, refit: Refit, original: Context, moments: Moments, *,
                      seed: Any, level: float = 0.95, signs: str = "none",
                      inadmissible: str = "drop", chunk_size: int | None = None,
                      progress: bool | None = None, tables: Any = None) -> BootstrapInference:
    """Bootstrap inference from B resamples' ``moments`` (leading axis B); options as
    :meth:`satmodel.PLSResult.bootstrap` (validated by the caller)."""
    tables = select_tables(tables)
    reference = sign_reference(refit, original, signs)
    keep_inadmissible = inadmissible == "keep"
    B = int(np.shape(moments.n)[0])

    def evaluate(ids: np.ndarray) -> tuple[dict, dict]:
        k = ids[:, 0].astype(np.intp)
        mom = Moments(n=np.asarray(moments.n)[k], mean=moments.mean[k], std=moments.std[k],
                      corr=moments.corr[k])
        fitted = refit.on_moments(mom, sign_reference=reference)
        reasons = drop_reasons(fitted, refit.options.consistent)
        if keep_inadmissible:
            reasons.pop("inadmissible", None)
        return evaluate_tables(Context.of(fitted, spec), tables), reasons

    draws = run(ResampleNumbers(B), evaluate, refit.bytes_per_fit, chunk=chunk_size,
                progress=progress)
    original_values = {t: {c: TABLES[t].values(original, c) for c in TABLES[t].columns}
                       for t in tables}
    values = draws.values
    if signs == "individual":
        values = {t: {c: np.abs(v) * np.sign(original_values[t][c]) for c, v in cols.items()}
                  for t, cols in values.items()}
    if draws.dropped:
        report("bootstrap_dropped",
               f"bootstrap dropped {B - draws.n_valid} of {B} resamples (by reason, a resample "
               f"may have several: {draws.dropped}); see boot.inference.dropped",
               names=tuple(draws.dropped), count=B - draws.n_valid)
    if draws.n_valid < 2:
        raise SatModelError(f"only {draws.n_valid} of {B} resamples were usable ({draws.dropped})")
    report_undefined(values, original_values, draws.n_valid)
    intervals.report_too_few(draws.n_valid, level)
    return BootstrapInference(draws=values, original=original_values, n_requested=B,
                              n_valid=draws.n_valid, dropped=draws.dropped, seed=seed,
                              signs=signs, level=level, method="percentile", rng_state=None,
                              inadmissible=inadmissible)
