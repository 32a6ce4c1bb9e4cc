"""Table adapters: every supported input type becomes (labels, get_column, index).

pandas and polars DataFrames, numpy arrays (structured, or 2-D with ``columns=``),
dicts of columns and pyarrow tables; used by :func:`satmodel.survey.prepare`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as pdt

from .._compiled import Compiled
from ..errors import DataError


@dataclass(frozen=True)
class Table:
    labels: list[Any]  # column labels, in input order, duplicates kept
    column: Callable[[Any], Any]  # label -> pandas Series or 1-D array-like
    index: pd.Index | None  # None: RangeIndex over the row count
    kind: str  # for messages: "DataFrame", "dict", ...
    # labels -> (X (n, k), owner, integral) when every column is a plain real numeric
    # one, else None; integral: every column is of an integer dtype, and then X may keep
    # an integer dtype (SurveyData.values; float64 otherwise); the caller checks
    # exactness (|x| < 2^53) on X's column extremes
    block: Callable[[Sequence[Any]], tuple[np.ndarray, Any, bool] | None] | None = None


def _top_module(obj: Any) -> str:
    return type(obj).__module__.split(".", 1)[0]


def as_table(data: Any, columns: Sequence[str] | None) -> Table:
    if columns is not None and not (
        isinstance(data, np.ndarray) and data.dtype.names is None
    ):
        raise DataError(
            f"columns= is only for a plain 2-D numpy array; a {type(data).__name__} "
            "names its columns itself. Drop the columns= argument."
        )
    if isinstance(data, pd.DataFrame):
        def column(label: Any, df: pd.DataFrame = data) -> pd.Series:
            return df[label]
        labels = list(data.columns)
        return Table(labels, column, data.index.copy(), "DataFrame",
                     lambda names, df=data: _pandas_block(df, names, labels))
    if isinstance(data, pd.Series):
        raise DataError(
            "got a pandas Series, which is one column; pass a DataFrame with one "
            "column per indicator (e.g. series.to_frame())."
        )
    if isinstance(data, np.ndarray):
        return numpy_table(data, columns)
    if isinstance(data, Mapping):
        return Table(list(data.keys()), data.__getitem__, None, "dict")
    module, cls = _top_module(data), type(data).__name__
    if module == "polars":
        if cls == "LazyFrame":
            raise DataError("got a polars LazyFrame; call .collect() on it first.")
        if cls == "DataFrame":
            return Table(
                list(data.columns), lambda c: data.get_column(c).to_numpy(), None,
                "polars DataFrame",
            )
    if module == "pyarrow" and cls in ("Table", "RecordBatch"):
        return Table(
            list(data.column_names), lambda c: data.column(c).to_numpy(), None,
            f"pyarrow {cls}",
        )
    raise DataError(
        f"survey data must be a table, got {type(data).__name__}. Pass a pandas "
        "DataFrame, a dict of columns, a polars DataFrame, a pyarrow Table, a "
        "numpy structured array, or a 2-D numpy array with columns=[...names...]."
    )


def numpy_table(arr: np.ndarray, columns: Sequence[str] | None) -> Table:
    if arr.dtype.names is not None:  # structured or record array
        if arr.ndim != 1:
            raise DataError(
                f"a structured numpy array must be 1-D (one record per respondent), "
                f"got shape {arr.shape}."
            )
        return Table(list(arr.dtype.names), lambda c: arr[c], None, "structured array")
    if columns is None:
        raise DataError(
            f"a plain numpy array (shape {arr.shape}) has no column names; pass "
            "columns=[...] with one name per column, or use a DataFrame."
        )
    if isinstance(columns, str):
        raise DataError("columns= must be a sequence of names, not one string.")
    labels = list(columns)
    if arr.ndim != 2:
        raise DataError(
            f"a numpy array of survey data must be 2-D (respondents x items), got "
            f"{arr.ndim}-D with shape {arr.shape}."
        )
    if len(labels) != arr.shape[1]:
        raise DataError(
            f"columns= has {len(labels)} names but the array has {arr.shape[1]} "
            "columns; give exactly one name per column."
        )
    position: dict[Any, int] = {}
    for j, label in enumerate(labels):
        position.setdefault(label, j)

    def block(names: Sequence[Any]) -> tuple[np.ndarray, Any, bool] | None:
        if arr.dtype.kind not in "fiu":
            return None
        pos = [position[c] for c in names]
        if arr.dtype.kind in "iu":  # codes stay integers (our own, narrowed copy)
            X = narrow_codes([arr[:, j] for j in pos])
            return (np.asarray(arr[:, pos], order="F") if X is None else X), None, True
        return np.asarray(arr[:, pos], dtype=np.float64, order="F"), None, False

    return Table(labels, lambda c: arr[:, position[c]], None, "array", block)


def copy_on_write() -> bool:
    """pandas protects data shared between frames from writes (pandas >= 3, or the option)."""
    if int(pd.__version__.split(".", 1)[0]) >= 3:
        return True
    try:
        return pd.options.mode.copy_on_write is True
    except (AttributeError, KeyError, pd.errors.OptionError):  # pragma: no cover - old pandas
        return False


def _pandas_block(df: pd.DataFrame, names: Sequence[Any], labels: list[Any]
                  ) -> tuple[np.ndarray, Any, bool] | None:
    """The columns ``names`` of ``df`` (column ``labels``) as one matrix, its owner and
    whether every column is of an integer dtype; or None when a column is not of a plain
    numpy real dtype (then the caller converts column by column, with its exact messages).
    The matrix is float64, except that integer columns under copy-on-write become one
    copy in the narrowest integer dtype that holds them (:func:`narrow_codes`).

    Integers at or beyond 2^53 may be rounded here: the caller sends any block with such
    extremes to the column-by-column path (:func:`satmodel.survey.prepare`), which says so.
    A frame whose items sit in one float64 block gives a read-only view, not a copy: the
    view is of a shallow copy of the frame (``owner``, kept alive by the caller), which
    pandas' copy-on-write shields from any later write to ``df``. Otherwise one copy.
    """
    where = {label: j for j, label in enumerate(labels)}
    if len(where) != len(labels) or any(name not in where for name in names):
        return None  # duplicated column labels: the column-by-column path says which
    pos = np.array([where[name] for name in names], dtype=np.intp)
    every = list(df.dtypes)
    dtypes = [every[i] for i in pos]
    if not all(isinstance(dt, np.dtype) and dt.kind in "fiu" for dt in dtypes):
        return None
    run = len(pos) > 0 and bool((np.diff(pos) == 1).all())  # adjacent, in spec order
    if run and len(pos) == df.shape[1]:
        owner = df.copy(deep=False)
    else:  # a slice of adjacent columns is cheaper than a take
        owner = df.iloc[:, int(pos[0]):int(pos[-1]) + 1] if run else df.iloc[:, pos]
    integral = all(dt.kind in "iu" for dt in dtypes)
    X = None
    if integral and copy_on_write():
        X = narrow_codes([column.to_numpy() for _, column in owner.items()])
    if X is not None:
        return X, None, True
    X = owner.to_numpy(dtype=np.float64)
    if X.flags.writeable:  # converted: a fresh array of our own
        owner = None
    elif not copy_on_write():
        X = np.array(X, order="F")  # no copy-on-write: a view could change under us
        owner = None
    return X, owner, integral


_NARROW = (np.int8, np.int16, np.int32)  # integer dtypes tried for survey codes


def narrow_codes(cols: Sequence[np.ndarray]) -> np.ndarray | None:
    """Integer columns as one column-major block of the narrowest integer dtype holding
    every value (answer codes such as 0-10: int8, an eighth of int64's memory), or None
    when they need 64 bits. Cheaper than pandas' own gathering of columns stored apart
    (pandas >= 3 keeps each column of a CSV in a block of its own) and lighter for every
    later pass. Once numba is loaded (a batched fit loads it; extra ``fast``) each column
    is read once: copied into int8 while its minimum and maximum are found (a wider
    dtype is tried only when int8 does not hold them); else read for its extremes, then
    copied.

    >>> narrow_codes([np.array([1, 5]), np.array([-3, 10])]).dtype
    dtype('int8')
    >>> narrow_codes([np.array([1, 300])]).dtype
    dtype('int16')
    """
    if not cols or not len(cols[0]):
        return None
    X, lo, hi = _int8_in_one_pass(cols)
    if X is not None and np.iinfo(np.int8).min <= lo and hi <= np.iinfo(np.int8).max:
        return X
    if X is None:
        lo, hi = min(int(c.min()) for c in cols), max(int(c.max()) for c in cols)
    for dtype in _NARROW:
        if np.iinfo(dtype).min <= lo and hi <= np.iinfo(dtype).max:
            X = np.empty((len(cols[0]), len(cols)), dtype=dtype, order="F")
            for j, c in enumerate(cols):
                X[:, j] = c  # in range: an exact cast
            return X
    return None


_COPY_WITH_RANGE = Compiled("satmodel.survey._codes_jit", "copy_with_range",
                            "survey-code narrowing")


def _int8_in_one_pass(cols: Sequence[np.ndarray]) -> tuple[np.ndarray | None, int, int]:
    """The columns copied into int8 (wrapped where out of range) with the extremes of
    all of them, in one compiled pass a column; (None, 0, 0) without compiled code (or
    before numba is loaded)."""
    X = np.empty((len(cols[0]), len(cols)), dtype=np.int8, order="F")
    lo = hi = 0
    if not all(c.dtype.isnative for c in cols):  # numba reads native byte order only
        return None, 0, 0
    for j, c in enumerate(cols):
        ran, extremes = _COPY_WITH_RANGE.call(c, X[:, j], numba_loaded=True)
        if not ran:
            return None, 0, 0
        a, b = int(extremes[0]), int(extremes[1])
        lo, hi = (a, b) if j == 0 else (min(lo, a), max(hi, b))
    return X, lo, hi


_SHOW_ROWS = 5  # rows quoted per problem


def row_text(index: pd.Index, hits: Any, positions: Any = None) -> str:
    """The rows ``hits`` (a boolean mask) picks, as every survey message names rows.

    The rule: rows are counted from 1 in the data as given (row 1 is the first row);
    a table with its own row labels (a DataFrame whose index is not 0, 1, ..., n - 1)
    gets those labels too. ``positions`` maps the mask's rows to positions in the input
    (after casewise deletion); default: 0, 1, ....

    >>> import numpy as np, pandas as pd
    >>> row_text(pd.RangeIndex(4), np.array([False, True, False, True]))
    'rows 2, 4 (counting from 1)'
    >>> row_text(pd.Index(["r1", "r2"]), np.array([True, False]))
    "row 1 (counting from 1; row label 'r1')"
    """
    hits = np.asarray(hits, dtype=bool)
    where = np.flatnonzero(hits)
    pos = where if positions is None else np.asarray(positions)[where]
    more = ", ..." if len(pos) > _SHOW_ROWS else ""
    word = "row" if len(pos) == 1 else "rows"
    text = f"{word} {', '.join(str(int(k) + 1) for k in pos[:_SHOW_ROWS])}{more} (counting from 1"
    if not (isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1
            and positions is None):
        labels = index[where[:_SHOW_ROWS]].tolist()
        if labels != [int(k) for k in pos[:_SHOW_ROWS]]:
            shown = ", ".join(repr(x) if isinstance(x, str) else str(x) for x in labels)
            text += f"; row label{'s' if len(pos) > 1 else ''} {shown}{more}"
    return text + ")"


def _first_bad(values: Any) -> Any:
    """First value that is not a real number (ignoring missing ones)."""
    for v in values:
        if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
            continue
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.number)):
            return v
        if isinstance(v, (complex, np.complexfloating)):
            return v
    return None


EXACT_INTEGERS = 2**53  # integers beyond this lose digits as float64


def _too_big(name: str, col: Any, dtype: Any) -> str | None:
    """An integer column with values a float cannot hold exactly (|x| > 2^53), or None."""
    if not pdt.is_integer_dtype(dtype):
        return None
    values = pd.Series(col) if not isinstance(col, pd.Series) else col
    lo, hi = values.min(), values.max()  # NA skipped; numpy ints, compared exactly
    if values.notna().any() and (int(hi) > EXACT_INTEGERS or int(lo) < -EXACT_INTEGERS):
        worst = int(hi) if int(hi) > EXACT_INTEGERS else int(lo)
        return (f"item {name} holds integers too large for a scale answer (e.g. {worst}, "
                f"beyond ±2^53, where float64 loses digits: {dtype} values would be "
                "rounded, and nearby values made equal); check the column (an ID or a "
                "code?), or rescale it before fitting.")
    return None


def to_float(name: str, col: Any) -> tuple[np.ndarray | None, str | None]:
    """Convert one column to float64, or say why it cannot be."""
    if isinstance(col, (pd.Series, pd.Index)):
        dtype = col.dtype
        if pdt.is_bool_dtype(dtype):
            ok = False
        else:
            ok = pdt.is_numeric_dtype(dtype) and not pdt.is_complex_dtype(dtype)
        if ok:
            problem = _too_big(name, pd.Series(col), dtype)
            if problem is not None:
                return None, problem
            return col.to_numpy(dtype=np.float64, na_value=np.nan), None
        values = col.to_numpy()
    else:
        values = np.asarray(col)
        if values.ndim != 1:
            return None, (
                f"column {name!r} is not one value per respondent (shape "
                f"{values.shape}); pass a 1-D column."
            )
        dtype = values.dtype
        if values.dtype.kind in "iuf":
            problem = _too_big(name, values, dtype) if values.size else None
            if problem is not None:
                return None, problem
            return values.astype(np.float64), None
    if pdt.is_bool_dtype(dtype):
        return None, (
            f"item {name} is boolean (dtype {dtype}); satmodel needs numeric scale "
            f"values: convert it to numbers first, e.g. data[{name!r}].astype(int)."
        )
    example = _first_bad(values)
    shown = f", e.g. {example!r}" if example is not None else ""
    return None, (
        f"item {name} is not numeric (dtype {dtype}{shown}); satmodel needs numeric "
        f"scale values: recode the column to numbers (e.g. pandas.to_numeric) or "
        "remove the indicator from the spec."
    )
