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

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import codes, coding
from .adapters import Table, as_table, row_text, to_float
from ..errors import DataError, OptionError, suggest

if TYPE_CHECKING:
    from ..spec.model import ModelSpec

__all__ = ["SurveyData", "prepare"]

_SHOW_PROBLEMS = 12  # problems listed per error message


@dataclass(frozen=True, eq=False)
class SurveyData:
    """Validated survey data, ready for an estimator.

    Attributes
    ----------
    X : numpy.ndarray
        float64, shape ``(n, p)``: one row per respondent, one column per
        indicator, in ``indicators`` order. A fresh copy owned by this object.
        Every value is finite and no column is constant.
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
    """

    X: np.ndarray
    index: pd.Index
    indicators: tuple[str, ...]
    weights: np.ndarray | None = None
    missing: str = "error"
    rows: np.ndarray | None = None
    report: pd.DataFrame | None = None

    @property
    def n(self) -> int:
        """Number of respondents (rows)."""
        return int(self.X.shape[0])

    def to_frame(self) -> pd.DataFrame:
        """The matrix as a new DataFrame with ``index`` and ``indicators``."""
        return pd.DataFrame(self.X.copy(), index=self.index, columns=list(self.indicators))


# ---------------------------------------------------------------------------
# checks
# ---------------------------------------------------------------------------

def _fmt_label(label: Any) -> str:
    """A column label as the user wrote it: 'SAT1' quoted, 0 or 1.5 bare."""
    return repr(label) if isinstance(label, str) else str(label)


def _raise_all(problems: list[str]) -> None:
    if not problems:
        return
    if len(problems) == 1:
        raise DataError(problems[0])
    lines = problems[:_SHOW_PROBLEMS]
    more = len(problems) - len(lines)
    text = "\n".join(f"  - {p}" for p in lines)
    if more:
        text += f"\n  ... and {more} more"
    raise DataError(f"the survey data have {len(problems)} problems:\n{text}")


def _check_columns(spec: ModelSpec, table: Table) -> None:
    counts: dict[Any, int] = {}
    for label in table.labels:
        counts[label] = counts.get(label, 0) + 1
    block_of = {
        item: construct for construct, items in spec.blocks.items() for item in items
    }
    problems = [
        f"column {name!r} (indicator of {block_of.get(name, '?')}) appears "
        f"{counts[name]} times in the data; rename or drop the duplicates."
        for name in spec.indicator_names
        if counts.get(name, 0) > 1
    ]
    _raise_all(problems)
    available = [_fmt_label(label) for label in counts]
    missing = [name for name in spec.indicator_names if name not in counts]
    if not missing:
        return
    # suggest only columns the spec does not already use, shown as given (a label 0 is
    # the integer 0, never the text '0'): an exact match up to case first (imag1 ->
    # IMAG1), then the closest spelling among the text labels
    unused = [label for label in counts if label not in block_of]
    texts = [label for label in unused if isinstance(label, str)]
    by_lower = {label.lower(): label for label in texts}
    others = {str(label): label for label in unused if not isinstance(label, str)}

    def hint(name: str) -> str:
        if name in others:
            label = others[name]
            return (f" Column {_fmt_label(label)} is the {type(label).__name__} {label!r}, "
                    f"not the text {name!r}: rename it (e.g. df.columns = df.columns.map(str)).")
        if name.lower() in by_lower:
            return f" Did you mean {by_lower[name.lower()]!r}?"
        return suggest(name, texts)

    listed = "\n".join(
        f"  - {name} (block {block_of.get(name, '?')}).{hint(name)}"
        for name in missing[:_SHOW_PROBLEMS]
    )
    if len(missing) > _SHOW_PROBLEMS:
        listed += f"\n  ... and {len(missing) - _SHOW_PROBLEMS} more"
    shown = ", ".join(available[:15]) + (", ..." if len(available) > 15 else "")
    unnamed = ""
    if not any(isinstance(label, str) for label in counts):
        kinds = sorted({type(label).__name__ for label in unused})
        unnamed = (f"The data's columns are labelled by {' and '.join(kinds)} values, not by "
                   "name: give them the indicator names (e.g. pd.DataFrame(X, columns=[...])). ")
    raise DataError(
        f"{len(missing)} indicator(s) of model {spec.name!r} are not columns of the "
        f"data ({table.kind} with columns: {shown or 'none'}):\n{listed}\n{unnamed}"
        "Rename the columns to the spec's indicator names (names are "
        "case-sensitive), or change the spec."
    )


def _check_rows(spec: ModelSpec, n: int, min_rows: int | None, n_input: int | None = None) -> None:
    """Enough rows; ``n_input``: the rows before casewise deletion (the message says so)."""
    what = "the survey data have"
    if n_input is not None:
        what = (f"casewise deletion (missing='casewise') dropped {n_input - n} of {n_input} "
                "rows (each with a missing answer or a zero weight), leaving")
    fix = (" Use missing='em', 'pairwise' or 'mean', which keep the rows." if n_input is not None
           else "")
    if n < 3:
        raise DataError(
            f"{what} {n} row(s); at least 3 respondents are needed "
            f"(and more respondents than items in the largest block).{fix}"
        )
    block, size = max(spec.blocks.items(), key=lambda kv: len(kv[1]))
    size = len(size)
    if n <= size:
        raise DataError(
            f"{what} {n} rows but block {block} has {size} indicators; "
            f"PLS needs more respondents than items in every block (at least "
            f"{size + 1} rows). Collect more data or use a smaller block.{fix}"
        )
    if min_rows is not None and n < min_rows:
        raise DataError(f"{what} {n} rows but min_rows={min_rows} were required.{fix}")


def _value_problem(name: str, col: np.ndarray, index: pd.Index,
                   missing: str = "error", positions: Any = None) -> str | None:
    """Missing, infinite, constant or subnormal values in one numeric column, or None."""
    if np.isfinite(col).all():  # the common case, in two passes over the column
        lo, hi = (col.min(), col.max()) if col.size else (0.0, 0.0)
        if col.size and lo == hi:
            return _constant(name, col[0])
        return _subnormal(name, max(-lo, hi))
    nan = np.isnan(col)
    if nan.any() and missing == "error":
        return (
            f"item {name} has {int(nan.sum())} missing value(s), in {row_text(index, nan, positions)}; "
            "with missing='error' (the default) satmodel does not handle missing data: "
            "drop or impute them first, or pass missing='casewise', 'mean', 'pairwise' "
            "or 'em' (and na_values= for codes such as -99)."
        )
    if nan.all():
        return f"item {name} has no observed value (every answer is missing); remove it from the spec."
    if (~nan).sum() < 2:
        return f"item {name} has only one observed value; remove it from the spec."
    inf = np.isinf(col)
    if inf.any():
        return (
            f"item {name} has {int(inf.sum())} infinite value(s), in {row_text(index, inf, positions)}; "
            "replace them with valid scale values or drop those rows."
        )
    obs = col[~nan]
    if obs.size and (obs == obs[0]).all():
        return _constant(name, obs[0])
    return _subnormal(name, float(np.max(np.abs(obs))))


def _subnormal(name: str, top: float) -> str | None:
    """Every value below float64's normal range (|x| < 2.2e-308) has lost digits already."""
    if 0.0 < top < np.finfo(np.float64).tiny:
        return (f"item {name} has only values below 2.2e-308 in magnitude (largest {top:.3g}), "
                "where float64 keeps fewer digits; rescale the item (e.g. multiply it by "
                "1e300) before fitting.")
    return None


def _constant(name: str, value: float) -> str:
    return (f"item {name} is constant (every value is {float(value)!r}); a "
            "constant item carries no information: remove it from the spec.")


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
    _check_columns(spec, table)
    names = tuple(spec.indicator_names)

    problems: dict[str, str] = {}  # item -> what is wrong with it
    converted: dict[str, np.ndarray] = {}
    for name in names:
        values, problem = to_float(name, table.column(name))
        if problem is not None:
            problems[name] = problem
        else:
            converted[name] = values
    if not converted:
        _raise_all(list(problems.values()))

    lengths = {name: len(v) for name, v in converted.items()}
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{k} {v}" for k, v in lengths.items())
        raise DataError(
            f"the columns have different lengths ({listed}); every column needs "
            "one value per respondent."
        )
    n = next(iter(lengths.values()))
    index = table.index if table.index is not None else pd.RangeIndex(n)
    _check_rows(spec, n, min_rows)

    if missing not in coding.ACTIONS:
        raise OptionError(f"missing={missing!r}: choose one of {', '.join(coding.ACTIONS)}")
    coded = coding.apply_codes(converted, coding.codes_per_item(spec, na_values))
    w = None
    if weights is not None:
        w, _ = coding.read_weights(weights, table, n, names)
        coding.check_weights(w, index)
    for name, values in converted.items():
        problem = _value_problem(name, values, index, missing)
        if problem is not None:
            problems[name] = problem
    # one message for every item at fault, in spec order
    _raise_all([problems[name] for name in names if name in problems])
    _raise_all(coding.scale_problems(spec, converted, index))
    _raise_all(codes.code_problems(spec, converted))
    coding.reverse_items(spec, converted, tuple(reverse))

    X = np.empty((n, len(names)), dtype=np.float64)
    for j, name in enumerate(names):
        X[:, j] = converted[name]
    report = coding.missing_report(spec, X, coded, missing, 0, n)
    rows = np.arange(n)
    if missing == "casewise":
        keep = ~np.isnan(X).any(axis=1)
        if w is not None:
            keep &= w > 0
        rows = np.flatnonzero(keep)
        X, index = X[keep], index[keep]
        report.attrs["rows_dropped"] = int(n - keep.sum())
        _check_rows(spec, len(rows), min_rows, n_input=n)
        _raise_all([p for name, col in zip(names, X.T)
                    if (p := _value_problem(name, col, index, missing, rows)) is not None])
        if w is not None:
            w = w[keep]
    elif missing in ("pairwise", "em", "mean"):
        coding.check_pairs(spec, X, missing)
    coding.warn_shares(report, missing_warn)
    if w is not None:  # divided by the largest first: weights of 1e305 do not overflow
        w = w / w.max()
        w = w * (len(w) / w.sum())
    return SurveyData(X=X, index=index, indicators=names, weights=w, missing=missing,
                      rows=rows, report=report)

