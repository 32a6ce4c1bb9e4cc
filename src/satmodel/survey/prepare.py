"""Survey data in: validate once, against the model, at the boundary.

:func:`prepare` takes the survey data in whatever table type the user has
(pandas, numpy, a dict of columns, polars, pyarrow), checks them against a
:class:`~satmodel.spec.ModelSpec` and returns a :class:`SurveyData` holding a
fresh float64 matrix in the spec's indicator order. Engines downstream take
that matrix and never check again. The caller's object is never modified.

Every problem raises :class:`~satmodel.errors.DataError` naming the column,
item or row at fault and saying what to do. Rows are counted from 1 in the data as
given, with the DataFrame's own row labels when it has some (see
:func:`satmodel.survey.adapters.row_text`).

Examples
--------
>>> import satmodel as sm
>>> from satmodel.survey import prepare
>>> survey = prepare(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
>>> survey.X.shape
(250, 27)
>>> survey.indicators[:3]
('IMAG1', 'IMAG2', 'IMAG3')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .codes import code_problems
from .coding import ACTIONS, apply_codes, check_pairs, check_weights, codes_per_item, missing_report, read_weights, reverse_items, scale_problems, warn_shares
from .adapters import EXACT_INTEGERS, Table, as_table, to_float
from .checks import check_columns, check_rows, raise_all, value_problem
from ..errors import DataError, OptionError

if TYPE_CHECKING:
    from ..spec.model import ModelSpec

__all__ = ["SurveyData", "prepare"]

@dataclass(frozen=True, eq=False)
class SurveyData:
    """Validated survey data, ready for an estimator.

    Attributes
    ----------
    X : numpy.ndarray
        float64, shape ``(n, p)``: one row per respondent, one column per
        indicator, in ``indicators`` order, often column-major. Either a fresh copy
        owned by this object or (a float64 pandas frame under copy-on-write) a
        read-only view that no later write to the caller's frame can change.
        Every value is finite and no column is constant (unless ``missing`` keeps NaN).
        Made from ``values`` on first read.
    values : numpy.ndarray
        The validated item block as given to the constructor: ``X`` itself, or the
        survey codes in an integer dtype (from an integer-typed pandas frame under
        copy-on-write: a copy in the narrowest integer dtype, int8 for 0-10 answers;
        from an integer numpy array: its own copy), which ``X`` converts once, when
        first read. Batched work that reads each value once (a grouped fit's moments)
        takes the codes as they are: no float64 copy of the whole block.
    index : pandas.Index
        The input's row labels (a RangeIndex for numpy, dict, polars and
        pyarrow input); attach it to respondent-level results such as scores.
    indicators : tuple of str
        The spec's indicator names, block by block (``spec.indicator_names``).
    weights : numpy.ndarray or None
        Sampling weights of the rows, rescaled to sum to ``n``; None when unweighted.
    missing : str
        The missing-data treatment (``SurveyOptions.missing``). With ``"mean"``,
        ``"pairwise"`` and ``"em"`` the missing cells of ``X`` stay NaN and
        :func:`satmodel.results.fitting.survey_moments` applies the treatment.
    rows : numpy.ndarray
        Positions of the kept rows in the input (casewise deletion drops some).
    report : pandas.DataFrame or None
        The missing-data report (see ``PLSResult.missing_report``).
    owner, extremes
        Internal: what a zero-copy ``values`` is a view of (kept alive), and the column
        minima and maxima validation found with whether every column came from an
        integer dtype (they spare the moments a pass over ``values``).
    """

    values: np.ndarray
    index: pd.Index
    indicators: tuple[str, ...]
    weights: np.ndarray | None = None
    missing: str = "error"
    rows: np.ndarray | None = None
    report: pd.DataFrame | None = None
    owner: Any = field(default=None, repr=False)  # keeps a zero-copy values' source alive
    # (column minima, maxima, the values they describe, every column of an integer
    # dtype): replaced values leave them unused
    extremes: tuple[np.ndarray, np.ndarray, np.ndarray, bool] | None = field(default=None,
                                                                             repr=False)
    correlation: str = "pearson"  # moments.ordinal.CORRELATIONS; set by fit_pls(correlation=)

    def __getstate__(self) -> dict:
        """Pickled without a converted ``X`` (made again from ``values`` when read)."""
        state = dict(self.__dict__)
        if "X" in state and state["X"] is not state["values"]:
            del state["X"]
        return state

    @cached_property
    def X(self) -> np.ndarray:
        """The items as float64 (``values`` converted on first read; see the class)."""
        v = self.values
        return v if v.dtype == np.float64 else np.asarray(v, dtype=np.float64, order="F")

    @property
    def n(self) -> int:
        """Number of respondents (rows)."""
        return int(self.values.shape[0])

    def to_frame(self) -> pd.DataFrame:
        """The matrix as a new DataFrame with ``index`` and ``indicators``."""
        return pd.DataFrame(self.X.copy(), index=self.index, columns=list(self.indicators))


def prepare(
    spec: ModelSpec,
    data: Any,
    *,
    columns: Sequence[str] | None = None,
    min_rows: int | None = None,
    na_values: Any = (),
    reverse: Sequence[str] = (),
    missing: str = "error",
    weights: Any = None,
    missing_warn: float = 1.0,
) -> SurveyData:
    """Validate survey data against a model and return them as a float matrix.

    Parameters
    ----------
    spec : ModelSpec
        The model; every ``spec.indicator_names`` entry must be a column.
    data : table
        A pandas DataFrame (its row index is kept), a dict of equal-length
        1-D columns (taken by position), a polars DataFrame, a pyarrow Table
        or RecordBatch, a numpy structured/record array, or a 2-D numpy array
        together with ``columns``. Columns the spec does not use (e.g. a
        ``gender`` column) are ignored. ``data`` is never modified.
    columns : sequence of str, optional
        Column names of a plain 2-D numpy array, one per column; only for
        that input type.
    min_rows : int, optional
        Require at least this many rows, on top of the standing rule (at
        least 3 rows and more rows than items in the largest block).
    na_values, reverse, missing, weights, missing_warn
        Missing codes, reverse-coded items, missing-data treatment, sampling
        weights (a column name or one value per row) and the warning share;
        see :class:`satmodel.survey.SurveyOptions`. In this order: codes become
        missing, observed values are checked against each item's declared
        scale (``Indicator.scale_min``/``scale_max``), reverse items are
        recoded, then the treatment is applied (casewise drops rows; the
        others keep NaN cells for the moments).

    Returns
    -------
    SurveyData
        ``X`` (float64, ``n x p``, columns in ``spec.indicator_names`` order,
        a fresh copy), ``index`` and ``indicators``.

    Raises
    ------
    DataError
        If ``data`` is not a table; an indicator is not a column (with a
        close-match suggestion) or appears twice; an indicator column is not
        numeric (bool, text, categorical, ...); there are too few rows; or an
        item has missing (NaN) or infinite values or is constant. All items
        with value problems are reported in one message.

    Examples
    --------
    >>> import numpy as np
    >>> import satmodel as sm
    >>> from satmodel.survey import prepare
    >>> spec = sm.ModelSpec.from_lavaan("A =~ a1 + a2\\nB =~ b1 + b2\\nB ~ A")
    >>> X = np.array([[1, 2, 3, 4], [2, 2, 4, 5], [3, 1, 5, 5], [4, 3, 6, 7]])
    >>> survey = prepare(spec, X, columns=["a1", "a2", "b1", "b2"])
    >>> survey.X.dtype, survey.X.shape, list(survey.index)
    (dtype('float64'), (4, 4), [0, 1, 2, 3])
    """
    if min_rows is not None and (
        isinstance(min_rows, bool) or not isinstance(min_rows, (int, np.integer))
    ):
        raise OptionError(f"min_rows must be an integer or None, got {min_rows!r}.")
    table = as_table(data, columns)
    check_columns(spec, table)
    names = tuple(spec.indicator_names)
    fast = _prepare_block(spec, table, names, min_rows, na_values, reverse, missing, weights,
                          missing_warn)
    if fast is not None:
        return fast

    problems: dict[str, str] = {}  # item -> what is wrong with it
    converted: dict[str, np.ndarray] = {}
    for name in names:
        values, problem = to_float(name, table.column(name))
        if problem is not None:
            problems[name] = problem
        else:
            converted[name] = values
    if not converted:
        raise_all(list(problems.values()))

    lengths = {name: len(v) for name, v in converted.items()}
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{k} {v}" for k, v in lengths.items())
        raise DataError(
            f"the columns have different lengths ({listed}); every column needs "
            "one value per respondent."
        )
    n = next(iter(lengths.values()))
    index = table.index if table.index is not None else pd.RangeIndex(n)
    check_rows(spec, n, min_rows)

    if missing not in ACTIONS:
        raise OptionError(f"missing={missing!r}: choose one of {', '.join(ACTIONS)}")
    coded = apply_codes(converted, codes_per_item(spec, na_values))
    w = None
    if weights is not None:
        w, _ = read_weights(weights, table, n, names)
        check_weights(w, index)
    for name, values in converted.items():
        problem = value_problem(name, values, index, missing)
        if problem is not None:
            problems[name] = problem
    # one message for every item at fault, in spec order
    raise_all([problems[name] for name in names if name in problems])
    raise_all(scale_problems(spec, converted, index))
    raise_all(code_problems(spec, converted))
    reverse_items(spec, converted, tuple(reverse))

    X = np.empty((n, len(names)), dtype=np.float64)
    for j, name in enumerate(names):
        X[:, j] = converted[name]
    report = missing_report(spec, X, coded, missing, 0, n)
    rows = np.arange(n)
    if missing == "casewise":
        keep = ~np.isnan(X).any(axis=1)
        if w is not None:
            keep &= w > 0
        rows = np.flatnonzero(keep)
        X, index = X[keep], index[keep]
        report.attrs["rows_dropped"] = int(n - keep.sum())
        check_rows(spec, len(rows), min_rows, n_input=n)
        raise_all([p for name, col in zip(names, X.T)
                    if (p := value_problem(name, col, index, missing, rows)) is not None])
        if w is not None:
            w = w[keep]
    elif missing in ("pairwise", "em", "mean"):
        check_pairs(spec, X, missing)
    warn_shares(report, missing_warn)
    if w is not None:  # divided by the largest first: weights of 1e305 do not overflow
        w = w / w.max()
        w = w * (len(w) / w.sum())
    return SurveyData(values=X, index=index, indicators=names, weights=w, missing=missing,
                      rows=rows, report=report)



def _prepare_block(spec: ModelSpec, table: Table, names: tuple[str, ...], min_rows: int | None,
                   na_values: Any, reverse: Sequence[str], missing: str, weights: Any,
                   missing_warn: float) -> SurveyData | None:
    """The fast path of :func:`prepare`: the item block converted at once and checked in one
    pass (column minima and maxima), for complete numeric data without missing codes.
    None whenever anything needs a closer look: :func:`prepare` then goes column by
    column and raises its exact messages (so both paths fail alike)."""
    if table.block is None or _has_codes(na_values):
        return None
    got = table.block(names)
    if got is None:
        return None
    X, owner, integral = got
    n = X.shape[0]
    index = table.index if table.index is not None else pd.RangeIndex(n)
    check_rows(spec, n, min_rows)
    if missing not in ACTIONS:
        raise OptionError(f"missing={missing!r}: choose one of {', '.join(ACTIONS)}")
    w = None
    if weights is not None:
        w, _ = read_weights(weights, table, n, names)
        check_weights(w, index)
        if missing == "casewise" and not (w > 0).all():
            return None  # casewise drops the zero-weight rows: the full path does it
    # the one pass over the block: NaN and inf show in both extremes; |x| >= 2^53 may be
    # an integer float64 rounded (the column path checks it exactly); tiny magnitudes
    lo, hi = X.min(axis=0).astype(np.float64), X.max(axis=0).astype(np.float64)
    top = np.maximum(-lo, hi)
    if not (np.isfinite(lo).all() and np.isfinite(hi).all() and (lo < hi).all()) or \
            ((top > 0) & (top < np.finfo(np.float64).tiny)).any() or \
            (top >= EXACT_INTEGERS).any():
        return None
    unscaled = {}
    for j, smin, smax in _scales(spec):
        if smin is None:
            unscaled[names[j]] = X[:, j]
        elif lo[j] < smin or hi[j] > smax:
            return None
    if unscaled and code_problems(spec, unscaled):
        return None
    if reverse:
        X = np.array(X, dtype=np.float64, order="F")
        columns = {name: X[:, j] for j, name in enumerate(names)}
        reverse_items(spec, columns, tuple(reverse))
        for name in reverse:
            X[:, names.index(name)] = columns[name]
        owner = None
    report = missing_report(spec, X[:0], {}, missing, 0, n)
    if missing == "casewise":
        report.attrs["rows_dropped"] = 0
    if not missing_warn >= 0:  # pragma: no cover - the options forbid it
        warn_shares(report, missing_warn)
    if w is not None:  # divided by the largest first: weights of 1e305 do not overflow
        w = w / w.max()
        w = w * (len(w) / w.sum())
    return SurveyData(values=X, index=index, indicators=names, weights=w, missing=missing,
                      rows=np.arange(n), report=report, owner=owner,
                      extremes=None if reverse else (lo, hi, X, integral))


def _has_codes(na_values: Any) -> bool:
    if isinstance(na_values, Mapping):
        return any(len(v) for v in na_values.values())
    try:
        return len(na_values) > 0
    except TypeError:
        return True


def _scales(spec: ModelSpec) -> list[tuple[int, float | None, float | None]]:
    """(position, scale_min, scale_max) of every indicator in spec order."""
    items = [i for c in spec.constructs for i in c.indicators]
    return [(j, i.scale_min, i.scale_max) for j, i in enumerate(items)]
