"""The one resampling driver: a weight generator x a batched refit x an evaluation.

Every verb that re-estimates a model many times — bootstrap, jackknife, permutation,
the Bollen-Stine fit test (and next: MGA, MICOM, cross-validation, many-model
batches) — is a :class:`Weights` generator plus an evaluation run by :func:`run`.
The driver owns what they share: chunks sized by a memory budget that counts what the
refit really allocates, seeded draws independent of the chunk size, a progress bar,
the record of dropped draws and why (never silent), and the diagnostics reported inside
the refits (EM stopped at its limit, ...), merged over the chunks into one record a code.

Memory: a chunk's per-draw arrays (``bytes_per_draw`` each: the reweighting's moments
and the engine's arrays) fit :data:`MEMORY_BUDGET` (256 MiB); fixed working sets come
on top, once (the data, EM's E-step blocks of ``EM_WORK_BYTES``, the kept draws).

>>> import numpy as np, satmodel as sm
>>> from satmodel.inference.driver import BootstrapCounts, run, table_evaluator
>>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
>>> draws = run(BootstrapCounts(50, 250, np.random.default_rng(1)),
...             table_evaluator(res.refit, res.spec, ["paths"]), res.refit.bytes_per_fit)
>>> draws.values["paths"]["estimate"].shape, draws.n_valid
((50, 10), 50)
"""

from __future__ import annotations

import contextlib
import contextvars
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import errors
from .._compiled import Compiled
from .._threads import one_blas_thread, usable_cores
from ..diagnostics import Diagnostic, collecting, quiet, report
from ..engine.admissible import admissible
from ..engine.refit import Refit, Refitted
from ..spec.model import ModelSpec
from ..tables import TABLES, Context

__all__ = ["Weights", "BootstrapCounts", "LeaveOut", "Draws", "run", "table_evaluator",
           "drop_reasons", "merge_diagnostics", "usable_cores", "MEMORY_BUDGET"]

#: bytes per chunk for the arrays a chunk of refits allocates
MEMORY_BUDGET = 256 * 2**20
MAX_CHUNK = 2000
#: rows from which the moments' (draws x rows) GEMM keeps BLAS's own threads
MANY_ROWS = 20_000
#: chunks in flight at once with ``parallel=True`` (each gets its share of the budget);
#: fixed, not the machine's cores, so the chunks -- and the numbers -- are the same anywhere
PARALLEL_CHUNKS = 2

Values = dict[str, dict[str, np.ndarray]]
#: an evaluation: row weights (size * per_draw, n) -> values with leading axis ``size``
#: and drop reasons, each a (size,) boolean mask
Evaluate = Callable[[np.ndarray], tuple[Values, dict[str, np.ndarray]]]


class Weights:
    """A weight generator: ``total`` draws, each ``per_draw`` row-weight vectors of length
    ``n``; :meth:`draw` returns the next ``size`` draws as a ``(size * per_draw, n)`` array.
    Draws must not depend on how they are chunked."""

    total: int
    n: int
    per_draw: int = 1
    desc: str = "resample"

    def draw(self, size: int) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError


@dataclass
class BootstrapCounts(Weights):
    """Row counts of resamples of ``n`` rows drawn with replacement."""

    total: int
    n: int
    rng: np.random.Generator
    desc: str = "bootstrap"

    def draw(self, size: int) -> np.ndarray:
        # int32 indices when they fit: numpy draws a range below 2^32 with the same 32-bit
        # steps for int32 and int64, so the same rows (and half the bytes to write)
        small = self.n <= np.iinfo(np.int32).max
        idx = self.rng.integers(0, self.n, size=(size, self.n),
                                dtype=np.int32 if small else np.int64)
        ran, counts = _ROW_COUNTS.call(idx, self.n, numba_loaded=True)
        if ran:  # one pass, no flat index and integer copy (the same counts)
            return counts
        flat = (idx + self.n * np.arange(size, dtype=np.int64)[:, None]).ravel()
        return np.bincount(flat, minlength=size * self.n).reshape(size, self.n).astype(float)


#: the counting step of :meth:`BootstrapCounts.draw`, compiled (once numba is loaded)
_ROW_COUNTS = Compiled("satmodel.inference._draws_jit", "row_counts", "bootstrap draws")


@dataclass
class LeaveOut(Weights):
    """Delete-one (or, with ``groups`` < n, grouped delete-d) jackknife weights."""

    n: int
    groups: int = 2000
    desc: str = "jackknife"
    _next: int = field(default=0, repr=False)

    def __post_init__(self) -> None:
        self.total = min(self.n, self.groups)
        self._label = np.arange(self.n) % self.total

    def draw(self, size: int) -> np.ndarray:
        ids = np.arange(self._next, self._next + size)
        self._next += size
        return (self._label[None, :] != ids[:, None]).astype(float)


@dataclass(frozen=True)
class Draws:
    """What a run produced: ``values[name][column]`` (n_valid, rows) of the kept draws,
    the number requested and kept, and ``dropped`` (reason -> count; a draw may have
    several reasons)."""

    values: Values
    n_requested: int
    n_valid: int
    dropped: dict[str, int]


def drop_reasons(fitted: Refitted, consistent: bool) -> dict[str, np.ndarray]:
    """Why each refit of a batch is unusable, each reason a boolean mask of the batch."""
    est = fitted.estimate
    finite = np.isfinite(est.weights).all(-1) & np.isfinite(est.paths).all((-1, -2))
    ok = ~fitted.degenerate
    reasons = {"not_converged": ~est.converged & finite & ok, "singular": ~finite & ok,
               "constant_item": fitted.degenerate}
    if consistent:  # rho_A, |loading|, AVE or R² above 1, or a construct correlation beyond ±1
        reasons["inadmissible"] = finite & ok & ~admissible(est, fitted.refit.layout)
    return reasons


def evaluate_tables(ctx: Context, tables: Sequence[str]) -> Values:
    """Every value column of ``tables`` on a (batched) context."""
    return {t: {c: TABLES[t].values(ctx, c) for c in TABLES[t].columns} for t in tables}


def table_evaluator(refit: Refit, spec: ModelSpec, tables: Sequence[str], *,
                    sign_reference: np.ndarray | None = None,
                    keep_inadmissible: bool = False) -> Evaluate:
    """The evaluation of the bootstrap and jackknife: refit, then every listed table."""
    def evaluate(weights: np.ndarray) -> tuple[Values, dict[str, np.ndarray]]:
        fitted = refit.fit(weights, sign_reference=sign_reference)
        reasons = drop_reasons(fitted, refit.options.consistent)
        if keep_inadmissible:
            reasons.pop("inadmissible", None)
        return evaluate_tables(Context.of(fitted, spec), tables), reasons
    return evaluate


def chunk_size(bytes_per_draw: int, requested: int | None = None, *, share: int = 1) -> int:
    """Draws per batched call: ``requested``, or as many as fit ``1/share`` of the memory
    budget (``share`` chunks in flight at once)."""
    if requested is not None:
        return int(requested)
    return max(1, min(MAX_CHUNK, MEMORY_BUDGET // share // max(int(bytes_per_draw), 1)))


class _Sink:
    """The draws' values, one array per table column for every draw of the run: each
    chunk's evaluation writes its rows at its offset (in the worker that made them), so
    no chunk is copied again when the run ends."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.arrays: Values | None = None
        self._lock = threading.Lock()

    def put(self, start: int, size: int, values: Values) -> None:
        """Write a chunk's ``size`` draws at ``start``; every chunk must give the same
        tables, columns and dtypes, one row a draw (else an error: an evaluator's bug)."""
        if self.arrays is None:
            with self._lock:
                if self.arrays is None:
                    self.arrays = {t: {c: np.empty((self.total,) + v.shape[1:], dtype=v.dtype)
                                       for c, v in cols.items()} for t, cols in values.items()}
        same = values.keys() == self.arrays.keys() and all(
            cols.keys() == self.arrays[t].keys() for t, cols in values.items())
        for t, cols in values.items() if same else ():
            for c, v in cols.items():
                into = self.arrays[t][c]
                if v.shape != (size,) + into.shape[1:] or v.dtype != into.dtype:
                    same = False
                    break
                into[start:start + size] = v
        if not same:
            raise errors.EstimationError(
                "internal error: a chunk's evaluation gave other tables, shapes or dtypes "
                f"than the first chunk (draws {start}-{start + size - 1}); please report it")

    def kept(self, keep: np.ndarray) -> Values:
        """The rows of the draws kept (the arrays themselves when every draw is kept)."""
        every = bool(keep.all())
        return {t: {c: v if every else v[keep] for c, v in cols.items()}
                for t, cols in (self.arrays or {}).items()}


def _evaluate_quietly(evaluate: Evaluate, weights: np.ndarray, sink: _Sink,
                      start: int, size: int) -> tuple[Any, list]:
    """One chunk's evaluation (``size`` draws), its values written to ``sink`` at
    ``start``; its drop reasons and what it reported (in the calling thread's own scope)."""
    with collecting() as inside, quiet():
        values, reasons = evaluate(weights)
    sink.put(start, size, values)
    return reasons, list(inside)


def _in_notebook() -> bool:
    """True inside a Jupyter kernel (IPython's ZMQInteractiveShell); never imports IPython."""
    ipython = sys.modules.get("IPython")
    shell = getattr(ipython, "get_ipython", lambda: None)() if ipython is not None else None
    return type(shell).__name__ == "ZMQInteractiveShell"


def progress_bar(total: int, enabled: bool | None, desc: str) -> Any:
    """A tqdm bar, or None. By default (``enabled=None``) shown in a Jupyter notebook and
    when stderr is a terminal; silent in scripts and services (stderr not a terminal)
    unless ``enabled=True``. In a notebook: a widget when ipywidgets is installed, else
    tqdm's text bar on stderr (never tqdm.auto's 'IProgress not found' warning)."""
    notebook = _in_notebook()
    if enabled is False or (enabled is None and not notebook and not sys.stderr.isatty()):
        return None
    if notebook:
        from tqdm import notebook as tqdm_notebook

        if tqdm_notebook.IProgress is not None:  # ipywidgets importable
            return tqdm_notebook.tqdm(total=total, desc=desc, unit="draw")
    from tqdm.std import tqdm

    return tqdm(total=total, desc=desc, unit="draw", file=sys.stderr)


class _Feed:
    """The draws of a run handed out chunk by chunk, in order, to the threads that
    evaluate them: each thread draws its next chunk itself (under a lock, so the
    generator's order, and so the numbers, do not depend on the threads) and keeps its
    chunk's drop reasons and diagnostics by the chunk's first draw."""

    def __init__(self, weights: Weights, size: int) -> None:
        self.weights, self.size = weights, size
        self.drawn = self.done = self.shown = 0
        self.stopped = False  # set when an evaluation failed: no more chunks are handed out
        self.results: dict[int, tuple[int, Any, list]] = {}
        self._lock = threading.Lock()

    def _next(self) -> tuple[int, int, np.ndarray] | None:
        with self._lock:
            if self.stopped or self.drawn >= self.weights.total:
                return None
            start, size = self.drawn, min(self.size, self.weights.total - self.drawn)
            self.drawn += size
            return start, size, self.weights.draw(size)

    def work(self, evaluate: Evaluate, sink: _Sink, bar: Any = None) -> None:
        """Draw and evaluate chunks until none is left (or another thread failed); ``bar``
        (the calling thread's only) shows every thread's finished draws."""
        try:
            while (chunk := self._next()) is not None:
                start, size, weights = chunk
                reasons, inside = _evaluate_quietly(evaluate, weights, sink, start, size)
                with self._lock:
                    self.results[start] = (size, reasons, inside)
                    self.done += size
                self.show(bar)
        except BaseException:
            self.stopped = True
            raise

    def show(self, bar: Any) -> None:
        """Bring ``bar`` (or None) to the draws evaluated so far (the calling thread only)."""
        if bar is not None:
            bar.update(self.done - self.shown)
            self.shown = self.done


def run(weights: Weights, evaluate: Evaluate, bytes_per_draw: int, *,
        chunk: int | None = None, progress: bool | None = False,
        parallel: bool = False, meanwhile: Callable[[], Any] | None = None) -> Draws:
    """Draw, refit and evaluate chunk by chunk; drop unusable draws, counting each reason.

    BLAS runs one thread throughout for surveys below :data:`MANY_ROWS` rows (the batched
    small products are slower with more, see :mod:`satmodel._threads`; the moments' GEMM
    of a larger survey keeps the library's threads). ``parallel=True`` (for an ``evaluate``
    that shares no mutable state between calls) sizes chunks for :data:`PARALLEL_CHUNKS`
    in flight and evaluates that many at once when the process may use several cores:
    the calling thread and helper threads each draw their next chunk when they are free
    (the draws are made in order, under a lock, and the chunks kept in order, so the
    numbers do not depend on the cores; no idle thread draws ahead for the others, and no
    third thread competes for the cores). ``meanwhile`` (optional) is called once by the
    calling thread before it takes its first chunk (the helpers start at once).
    """
    reuse_freed_memory()
    share = PARALLEL_CHUNKS if parallel and chunk is None else 1
    size = chunk_size(bytes_per_draw * weights.per_draw, chunk, share=share)
    if share > 1:  # equal chunks, a multiple of ``share`` of them: no straggler at the end
        chunks = -(-weights.total // size)
        size = -(-weights.total // (-(-chunks // share) * share))
    workers = min(share, usable_cores(), -(-weights.total // size))
    sink, feed = _Sink(weights.total), _Feed(weights, size)
    bar = progress_bar(weights.total, progress, weights.desc)
    pool = ThreadPoolExecutor(workers - 1) if workers > 1 else None
    try:
        with one_blas_thread() if weights.n < MANY_ROWS else contextlib.nullcontext():
            helpers = [pool.submit(contextvars.copy_context().run, feed.work, evaluate, sink)
                       for _ in range(workers - 1)] if pool is not None else []
            try:
                if meanwhile is not None:
                    meanwhile()
                feed.work(evaluate, sink, bar)
            except BaseException:  # the helpers finish the chunk in hand; this error wins
                feed.stopped = True
                wait(helpers)
                raise
            for helper in helpers:
                helper.result()  # a helper's error
            feed.show(bar)
    finally:
        feed.stopped = True  # (after a normal run: nothing left) a helper takes no more
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        if bar is not None:
            bar.close()
    keep, dropped, n_bad, found = np.ones(weights.total, dtype=bool), {}, 0, []
    for start in sorted(feed.results):
        size, reasons, inside = feed.results[start]
        found += inside
        n_bad += _drop(keep[start:start + size], dropped, reasons)
    merge_diagnostics(found, weights.desc)
    return Draws(values=sink.kept(keep), n_requested=weights.total,
                 n_valid=weights.total - n_bad, dropped={k: v for k, v in dropped.items() if v})


_REUSE_FREED = [False]


def reuse_freed_memory() -> None:
    """Once per process: allocate (untouched) and free 30 MiB. glibc's malloc then serves
    blocks up to that size from its heap and keeps up to twice it of freed memory for
    reuse (its dynamic mmap and trim thresholds follow the largest freed block), instead
    of returning each chunk's arrays to the system and faulting them back in, page by
    page, in the next chunk: on a 2-core VM that was ~7,000 page faults and a third of
    the CPU time of two threads in an ECSI bootstrap. Other allocators ignore it."""
    if not _REUSE_FREED[0]:
        _REUSE_FREED[0] = True
        np.empty(30 * 2**20, dtype=np.uint8)  # freed at once


def _drop(keep: np.ndarray, dropped: dict, reasons: dict) -> int:
    """Clear ``keep`` (a chunk's part) where a draw is unusable and count each reason in
    ``dropped``; the number of draws dropped."""
    for reason, mask in reasons.items():
        dropped[reason] = dropped.get(reason, 0) + int(mask.sum())
        keep &= ~mask
    return int((~keep).sum())


def merge_diagnostics(found: list[Diagnostic], desc: str) -> None:
    """Report the diagnostics recorded inside the refits once per code (counts summed),
    so a run of many chunks gives one record, not one a chunk."""
    for code in dict.fromkeys(d.code for d in found):
        same = [d for d in found if d.code == code]
        first = same[0]
        counts = [d.count for d in same if d.count is not None]
        total = sum(counts) if counts else None
        names = tuple(dict.fromkeys(n for d in same for n in d.names))
        where = f" (in the {desc} refits" + (f": {total} in all" if total is not None else "") + ")"
        report(code, first.message.rstrip(".") + where,
               getattr(errors, first.category, errors.SatModelWarning),
               names=names, count=total, severity=first.severity,
               warn=first.severity != "info")
