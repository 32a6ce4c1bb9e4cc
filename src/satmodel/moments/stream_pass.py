"""One pass over a pyarrow source (a Parquet/CSV file, a pyarrow Dataset) into moment sums.

Record batches are read and decoded by a background thread (:func:`prefetched`) while this
one cleans and sums the previous batch: by the fast path (:mod:`satmodel.moments.fast_batch`)
when the batch is clean enough for it, else by the plain rules
(:func:`satmodel.survey.stream_clean.clean_batch`, :func:`satmodel.moments.streaming.batch_sums`).
The cross products run with one BLAS thread: on the 2-core benchmark machine, under load,
two threads made this (p x p from thousands of rows) product 3-20x slower
(benchmarks/bench_stream.py).

>>> import pathlib, tempfile, numpy as np, pandas as pd, satmodel as sm
>>> from satmodel.survey.stream import stream_source
>>> from satmodel.survey.stream_clean import make_plan
>>> spec = sm.ModelSpec.from_lavaan("A =~ a1 + a2\\nB =~ b1 + b2\\nB ~ A")
>>> path = pathlib.Path(tempfile.mkdtemp()) / "survey.csv"
>>> rng = np.random.default_rng(0)
>>> pd.DataFrame(rng.integers(1, 8, (50, 4)), columns=["a1", "a2", "b1", "b2"]).to_csv(path)
>>> plan = make_plan(spec, sm.SurveyOptions(), None, None)
>>> sums, tally = stream_sums(stream_source(str(path)), plan)
>>> float(sums.n), tally.rows_input
(50.0, 50)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .._threads import one_blas_thread
from ..errors import DataError
from ..survey.stream import StreamSource, arrow_batches, prefetched
from ..survey.stream_clean import BatchPlan, Tally, clean_batch, empty_tally
from .fast_batch import fast_batch
from .streaming import MomentSums, batch_sums

__all__ = ["stream_sums", "sums_of_batch"]


def sums_of_batch(plan: BatchPlan, cols: Mapping[Any, np.ndarray], rows: int, *,
                  start: int | None, index: Any = None,
                  weights: np.ndarray | None = None, where: str = "",
                  boot: tuple[np.ndarray, int] | None = None, fast: bool = True,
                  ) -> tuple[MomentSums, Tally]:
    """(sums, tally) of one batch (arguments as :func:`clean_batch`; ``boot`` as
    :func:`batch_sums`): the fast path when it takes the batch, else the plain one;
    ``fast=False``: the plain path always (the tests compare the two); ``index``: the
    batch's row labels (a pandas Index) for messages, or None."""
    if fast and boot is None:
        out = fast_batch(plan, cols, rows, weights)
        if out is not None:
            return out
    cleaned = clean_batch(plan, cols, rows, start=start, index=index, weights=weights,
                          where=where)
    return batch_sums(cleaned, start, boot), cleaned.tally


def stream_sums(source: StreamSource, plan: BatchPlan, *, weights: np.ndarray | None = None,
                boot: tuple[np.ndarray, int] | None = None, fast: bool = True,
                ) -> tuple[MomentSums, Tally]:
    """One pass over a pyarrow source: every batch cleaned by ``plan`` and summed;
    ``weights``: a sampling-weights array (one per row of the source)."""
    sums = MomentSums.empty(len(plan.items), () if boot is None else (boot[1],))
    tally = empty_tally(plan)
    with one_blas_thread():
        for start, cols, rows in prefetched(arrow_batches(source, plan.columns)):
            w = None
            if weights is not None:
                if start + rows > len(weights):
                    raise _weights_length(len(weights), start + rows)
                w = weights[start:start + rows]
            part, counted = sums_of_batch(plan, cols, rows, start=start, weights=w, boot=boot,
                                          fast=fast)
            sums, tally = sums.merge(part), tally.merge(counted)
    if weights is not None and tally.rows_input != len(weights):
        raise _weights_length(len(weights), tally.rows_input)
    return sums, tally


def _weights_length(given: int, rows: int) -> DataError:
    more = "at least " if given < rows else ""
    return DataError(f"weights has {given} values but the data have {more}{rows} rows; give "
                     "one weight per respondent.")
