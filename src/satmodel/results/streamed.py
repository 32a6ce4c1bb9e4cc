"""PLS fitted to data read as a stream (a Parquet/CSV file, a pyarrow Dataset) or as a Dask
reduction (a Dask DataFrame): one pass into moment sums, then the ordinary fit on them.

``sm.fit_pls(spec, "survey.parquet")`` routes here (:func:`fit_streamed`). Every batch
(or Dask partition) goes through the survey rules of the in-memory fit -- missing codes,
declared scales, reverse items, weights, casewise deletion -- and its sums merge
(:mod:`satmodel.moments.streaming`); survey-code, constant-item and row-count checks run on
the merged tallies. The result is a :class:`StreamedPLSResult`: every table of a
:class:`~satmodel.results.pls.PLSResult`, no respondent rows (scores, prediction and the
fit test refuse, saying so), and a bootstrap by Poisson resampling of the source, in one
more pass (:mod:`satmodel.moments.poisson`).

>>> import pathlib, tempfile, satmodel as sm
>>> path = pathlib.Path(tempfile.mkdtemp()) / "ecsi.csv"
>>> sm.datasets.load("ecsi_satisfaction").to_csv(path, index=False)
>>> res = sm.fit_pls(sm.templates.ecsi(), str(path))
>>> type(res).__name__, res.n_obs
('StreamedPLSResult', 250)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .. import _validate as valid
from ..diagnostics import collecting
from ..engine import Refit
from ..errors import DataError, NotAvailableError, SatModelError
from ..inference import bootstrap as boot
from ..inference.moment_bootstrap import bootstrap_moments
from ..moments.poisson import poisson_key
from ..moments.stream_pass import stream_sums
from ..moments.streaming import MomentSums
from ..spec.layout import layout_of
from ..survey.adapters import Table, to_float
from ..survey.checks import check_columns
from ..survey.stream import StreamSource, check_types
from ..survey.stream_clean import BatchPlan, Tally, finish, make_plan
import satmodel.results.pls_checks as checks
from .grouped_fit import STANDARDIZE
from .pls import PLSResult

__all__ = ["StreamedPLSResult", "fit_streamed", "source_sums"]

#: interval methods a streamed bootstrap offers (BCa needs a jackknife over the rows,
#: the studentized ones a double bootstrap of them)
STREAMED_CI = ("percentile", "basic", "normal", "bc")


@dataclass(frozen=True, eq=False)
class StreamedPLSResult(PLSResult):
    """A :class:`~satmodel.results.pls.PLSResult` fitted to streamed data: the same tables,
    no respondent rows. ``item_min``/``item_max``: each item's smallest and largest value
    among the rows used; ``missing_report`` as for an in-memory fit; :meth:`bootstrap`
    resamples the source by Poisson counts (same seed, same draws, however the data are
    batched or partitioned)."""

    source: StreamSource | None = field(default=None, repr=False)
    batch_plan: BatchPlan | None = field(default=None, repr=False)
    weights_array: np.ndarray | None = field(default=None, repr=False)
    stream_report: pd.DataFrame | None = field(default=None, repr=False)
    item_min: np.ndarray | None = field(default=None, repr=False)
    item_max: np.ndarray | None = field(default=None, repr=False)

    def survey_rows(self, verb: str) -> Any:
        raise SatModelError(
            f"{verb} needs the respondent rows, but this result was fitted to streamed data "
            f"({self.source.label}): only their moments were kept. Score respondents with "
            "res.score(data) on rows you load, or fit data that fit in memory as a DataFrame "
            "(sm.read_table(path)) to get scores, prediction and the fit test")

    @property
    def scores(self) -> pd.DataFrame:
        """Refused: streamed data leave no rows to score (see :meth:`survey_rows`)."""
        return self.survey_rows("scores")

    @property
    def missing_report(self) -> pd.DataFrame:
        """Missing answers per item, counted over the stream (columns as in memory)."""
        out = self.stream_report.copy()
        out.attrs = dict(self.stream_report.attrs)
        return out

    def bootstrap(self, n: int = 5000, seed: Any = None, *, ci: str = "percentile",
                  level: float = 0.95, signs: str = "none", inadmissible: str = "drop",
                  chunk_size: int | None = None, progress: bool | None = None,
                  tables: Any = None, n_inner: int = boot.N_INNER) -> StreamedPLSResult:
        """Poisson bootstrap: each row gets ``n`` Poisson(1) counts drawn from ``seed`` and
        its position, the source is read once more into ``n`` moment matrices, and the
        batched engine fits them. Options as :meth:`PLSResult.bootstrap`; ``ci``: one of
        "percentile", "basic", "normal", "bc".

        >>> import pathlib, tempfile, satmodel as sm
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "ecsi.csv"
        >>> sm.datasets.load("ecsi_satisfaction").to_csv(path, index=False)
        >>> res = sm.fit_pls(sm.templates.ecsi(), str(path))
        >>> res.bootstrap(n=100, seed=1, progress=False).inference.n_valid
        100
        """
        boot.check_options(n, ci, level, signs, inadmissible, chunk_size, seed=seed,
                           progress=progress, tables=tables, n_inner=n_inner, studentized=True)
        if ci not in STREAMED_CI:
            raise NotAvailableError(
                f"ci={ci!r} is not available for streamed data: "
                + ("BCa needs a jackknife over the rows" if ci == "bca" else
                   "studentized intervals need a double bootstrap of the rows")
                + f", which were not kept; use one of {', '.join(map(repr, STREAMED_CI))}")
        key = poisson_key(seed)
        with collecting() as found:
            sums, tally = source_sums(self.source, self.batch_plan, self.weights_array,
                                      boot=(key, n))
            if tally.rows_kept != self.n_obs:
                raise SatModelError(
                    f"{self.source.label} now gives {tally.rows_kept} rows where the fit used "
                    f"{self.n_obs}: the data changed since the fit; fit them again")
            inf = bootstrap_moments(self.spec, self.refit, self.context, sums.moments(),
                                    seed=seed, level=level, signs=signs,
                                    inadmissible=inadmissible, chunk_size=chunk_size,
                                    progress=progress, tables=tables)
        out = dataclasses.replace(self, inference=inf, diagnostics=self.diagnostics + tuple(found))
        return out.conf_int(level=level, method=ci) if ci != "percentile" else out

    def __repr__(self) -> str:
        return super().__repr__()[:-1] + f", streamed from {self.source.label}>"


def source_sums(source: StreamSource, plan: BatchPlan, weights: np.ndarray | None = None, *,
                boot: tuple[np.ndarray, int] | None = None) -> tuple[MomentSums, Tally]:
    """(moment sums, tally) of a source in one pass: pyarrow batches in this process, a Dask
    DataFrame as a Dask reduction; ``boot`` (key, B) for B Poisson resamples."""
    if source.kind == "dask":
        from ..moments.distributed import dask_sums  # noqa: PLC0415 - the optional extra

        return dask_sums(source, plan, boot=boot)
    return stream_sums(source, plan, weights=weights, boot=boot)


def fit_streamed(spec: Any, source: StreamSource, options: Any, survey_options: Any, *,
                 fit: Callable[..., PLSResult], weights: Any, columns: Any, by: Any,
                 hoc: Any, interaction: Any, correlation: str, min_rows: Any,
                 standardize: str) -> StreamedPLSResult:
    """:func:`satmodel.fit_pls` on a streamed ``source`` (options validated by the caller;
    ``fit``: its fit of moments, the one path of checks and estimates)."""
    refuse(spec, source, by=by, hoc=hoc, interaction=interaction, correlation=correlation,
           columns=columns)
    valid.choice("fit_pls", "standardize", standardize, STANDARDIZE)
    if min_rows is not None:
        valid.integer("fit_pls", "min_rows", min_rows, minimum=3)
    check_columns(spec, Table(list(source.columns), lambda c: None, None, source.label))
    column, array = _weights(weights, source)
    plan = make_plan(spec, survey_options, column, source.columns)
    check_types(source, plan.columns)
    with collecting() as found:
        sums, tally = source_sums(source, plan, array)
        stream_report = finish(spec, plan, tally, min_rows, survey_options.missing_warn,
                               weights is not None)
        n_eff = _effective_n(spec, tally, min_rows) if weights is not None else None
        mom = sums.moments()
        checks.check_moments(spec, mom)
        res = fit(spec, Refit(None, options, layout_of(spec)), mom, survey_options, None, n_eff)
    base = {f.name: getattr(res, f.name) for f in dataclasses.fields(PLSResult) if f.init}
    base["diagnostics"] = tuple(found)
    return StreamedPLSResult(**base, source=source, batch_plan=plan, weights_array=array,
                             stream_report=stream_report, item_min=tally.low.copy(),
                             item_max=tally.high.copy())


def refuse(spec: Any, source: StreamSource, *, by: Any, hoc: Any, interaction: Any,
           correlation: str, columns: Any) -> None:
    """NotAvailableError / DataError for what streamed data do not support (yet)."""
    what = None
    if by is not None:
        what = "by= (grouped fits)"
    elif hoc is not None or interaction is not None or not spec.is_first_order:
        what = "higher-order constructs and interaction terms"
    elif correlation != "pearson":
        what = f"correlation={correlation!r}"
    if what is not None:
        raise NotAvailableError(f"{what} is not available for streamed data ({source.label}) "
                                "yet; read the data into memory (sm.read_table) to fit them")
    if columns is not None:
        raise DataError(f"columns= is only for a plain 2-D numpy array; a {source.label} "
                        "names its columns itself. Drop the columns= argument.")


def _weights(weights: Any, source: StreamSource) -> tuple[str | None, np.ndarray | None]:
    """(weights column, weights array): a column name, or one weight per row in row order."""
    if weights is None or isinstance(weights, str):
        return weights, None
    if source.kind == "dask":
        raise NotAvailableError("weights for a Dask DataFrame must be one of its columns "
                                "(weights='column'); an array cannot follow its partitions")
    values, problem = to_float("weights", np.asarray(weights))
    if problem is not None:
        raise DataError(f"sampling weights: {problem}")
    return None, values


def _effective_n(spec: Any, tally: Tally, min_rows: int | None) -> float:
    """Kish's effective sample size of the kept rows' weights, checked and recorded as
    :func:`satmodel.results.pls_checks.check_weights` does for rows in memory."""
    n_eff = tally.effective_n
    if tally.w_high == tally.w_low:
        return n_eff
    return checks.judge_effective_n(spec, n_eff, tally.rows_kept, tally.w_positive, min_rows)
