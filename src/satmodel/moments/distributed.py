"""The moment sums of a Dask DataFrame as a Dask reduction (data beyond one machine).

Each partition is cleaned and summed where it lies by :func:`partition_sums` -- the
rules of a streamed batch (:mod:`satmodel.survey.stream_clean`) and its mergeable sums
(:class:`~satmodel.moments.streaming.MomentSums`) -- and the partial sums merge pairwise
in a tree, so only (p x p) sums travel between workers. The Poisson bootstrap needs each
row's position: the partition lengths are computed first, then every partition draws its
rows' counts from the seed and their positions, so any partitioning gives the same
resamples. Runs on the active Dask scheduler (a ``dask.distributed`` Client when one is
open). Needs the optional extra ``satmodel[dask]``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..survey.stream import StreamSource
from ..survey.stream_clean import BatchPlan, Tally
from .stream_pass import sums_of_batch
from .streaming import MomentSums

__all__ = ["dask_sums", "partition_sums"]


def dask_sums(source: StreamSource, plan: BatchPlan, *,
              boot: tuple[np.ndarray, int] | None = None) -> tuple[MomentSums, Tally]:
    """(sums, tally) of a Dask DataFrame source under ``plan``; ``boot`` (key, B): the
    sums of B Poisson bootstrap reweightings instead of the rows as they are."""
    import dask  # noqa: PLC0415 - the optional extra

    parts = source.obj[plan.columns].to_delayed()
    starts: list[int | None] = [None] * len(parts)
    if boot is not None:  # each row's position in the whole frame
        lengths = dask.compute(*[dask.delayed(len)(part) for part in parts])
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(int).tolist()
    partial = dask.delayed(partition_sums, pure=True)
    nodes = [partial(part, plan, k, starts[k], boot) for k, part in enumerate(parts)]
    merge = dask.delayed(merge_pair, pure=True)
    while len(nodes) > 1:  # a tree: log2(partitions) rounds of pairwise merges
        nodes = [merge(nodes[i], nodes[i + 1]) if i + 1 < len(nodes) else nodes[i]
                 for i in range(0, len(nodes), 2)]
    (out,) = dask.compute(nodes[0])
    return out


def partition_sums(part: Any, plan: BatchPlan, k: int, start: int | None,
                   boot: tuple[np.ndarray, int] | None) -> tuple[MomentSums, Tally]:
    """Clean and sum one partition (a pandas DataFrame); ``start``: its first row's position
    (rows are then named by position), else by the partition's own row labels."""
    cols = {name: part[name].to_numpy(dtype=np.float64, na_value=np.nan)
            for name in plan.columns}
    where = "" if start is not None else f" in partition {k + 1} of the Dask DataFrame"
    return sums_of_batch(plan, cols, len(part), start=start,
                         index=None if start is not None else part.index, where=where, boot=boot)


def merge_pair(a: tuple[MomentSums, Tally], b: tuple[MomentSums, Tally]
               ) -> tuple[MomentSums, Tally]:
    """Merge two partial (sums, tally) pairs."""
    return a[0].merge(b[0]), a[1].merge(b[1])
