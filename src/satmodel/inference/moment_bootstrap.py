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

from ..engine.refit import Refit
from ..moments.core import Moments
from ..spec.model import ModelSpec
from ..tables import Context
from .bootstrap import BootstrapInference, inference_of, select_tables, sign_reference
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
    return inference_of(draws, original, tables, B, signs=signs, level=level, seed=seed,
                        inadmissible=inadmissible)
