"""Survey data read as a stream: a Parquet or CSV file (or a folder of Parquet files), a
pyarrow Dataset, or a Dask DataFrame, in row order, one batch of rows at a time.

:func:`stream_source` says whether ``fit_pls`` data are such a source; :func:`check_types`
refuses non-numeric item columns before anything is read; :func:`arrow_batches` yields
the item columns of each record batch as float64 arrays (pyarrow). A Dask DataFrame is
reduced partition by partition on its workers (:mod:`satmodel.moments.distributed`). A
pyarrow Table is fitted in memory (with scores); ``pyarrow.dataset.dataset(table)``
streams it instead. What each batch goes through: :mod:`satmodel.survey.stream_clean`.

>>> import pathlib, tempfile, pandas as pd
>>> path = pathlib.Path(tempfile.mkdtemp()) / "survey.csv"
>>> pd.DataFrame({"a": [1, 2, 3], "b": [2.5, 1.0, 4.0]}).to_csv(path, index=False)
>>> source = stream_source(str(path))
>>> source.kind, source.columns
('csv', ('a', 'b'))
>>> [(start, cols["b"].tolist()) for start, cols, rows in arrow_batches(source, ["b"])]
[(0, [2.5, 1.0, 4.0])]
"""

from __future__ import annotations

import os
import queue
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pandas.api import types as pdt

from ..errors import DataError
from . import readers

__all__ = ["StreamSource", "stream_source", "check_types", "arrow_batches", "prefetched",
           "BATCH_ROWS"]

#: rows per record batch (about 14 MiB of float64 for 27 items; with the read-ahead of two
#: batches well inside the 500 MiB budget). The pyarrow read of the 10M-row benchmark file
#: was fastest at 65,536-131,072 rows a batch (8,192: 1.4-2.1x slower, per-batch overhead;
#: 262,144: 1.3-1.9x, out of cache); the fit works on cache-sized blocks of each batch
BATCH_ROWS = 1 << 16
_SNIFF_BYTES = 1 << 16
_CSV_COLUMN = re.compile(r"CSV column #(\d+)")


@dataclass(frozen=True)
class StreamSource:
    """A data source read in batches: ``kind`` ("parquet", "csv", "dataset", "dask"),
    ``label`` (how messages name it), ``obj`` (the path, pyarrow Dataset or Dask
    DataFrame), ``columns`` (its column names) and ``types`` (column -> Arrow type or
    pandas dtype, for the numeric check)."""

    kind: str
    label: str
    obj: Any
    columns: tuple[Any, ...]
    types: dict[Any, Any]
    csv: dict[str, Any] | None = None  # separator, decimal point, encoding of a CSV file


def _top_module(obj: Any) -> str:
    return type(obj).__module__.split(".", 1)[0]


def stream_source(data: Any) -> StreamSource | None:
    """The source ``data`` is when it is read in batches, else None (an in-memory table)."""
    if isinstance(data, (str, os.PathLike)):
        return _path_source(Path(data))
    if _top_module(data) == "pyarrow" and hasattr(data, "get_fragments") \
            and hasattr(data, "schema"):
        schema = data.schema
        return StreamSource("dataset", f"pyarrow {type(data).__name__}", data,
                            tuple(schema.names), dict(zip(schema.names, schema.types)))
    if _top_module(data) == "dask" and hasattr(data, "to_delayed") and hasattr(data, "dtypes"):
        if not hasattr(data, "columns"):
            raise DataError("got a Dask Series, which is one column; pass a Dask DataFrame "
                            "with one column per indicator")
        return StreamSource("dask", "Dask DataFrame", data, tuple(data.columns),
                            dict(zip(data.columns, data.dtypes)))
    return None


def _path_source(file: Path) -> StreamSource:
    shown = repr(str(file))
    if not file.exists():
        raise DataError(f"data file {shown} does not exist")
    import pyarrow.dataset as ds  # noqa: PLC0415 - the optional extra, only for files

    if file.is_dir():
        try:
            dataset = ds.dataset(file, format="parquet")
        except Exception as err:  # noqa: BLE001 - every reader failure becomes one message
            raise DataError(f"data folder {shown} is not a folder of Parquet files "
                            f"({type(err).__name__}: {str(err)[:200]})") from None
        schema = dataset.schema
        return StreamSource("dataset", f"Parquet folder {shown}", dataset, tuple(schema.names),
                            dict(zip(schema.names, schema.types)))
    suffix = file.suffix.lower()
    if suffix == ".parquet":
        import pyarrow.parquet as pq  # noqa: PLC0415

        try:
            schema = pq.read_schema(file)
        except Exception as err:  # noqa: BLE001
            raise DataError(f"data file {shown} is not a readable .parquet file "
                            f"({type(err).__name__}: {str(err)[:200]})") from None
        return StreamSource("parquet", f"Parquet file {shown}", file, tuple(schema.names),
                            dict(zip(schema.names, schema.types)))
    if suffix in (".csv", ".tsv", ".txt"):
        return _csv_source(file, shown)
    raise DataError(f"data file {shown}: {suffix!r} files are not read in batches; give a "
                    ".parquet or .csv file (or read it with sm.read_table and pass the frame)")


def _csv_source(file: Path, shown: str) -> StreamSource:
    """Separator, decimal point and encoding detected from the head of the file, as
    :func:`satmodel.survey.readers.read_table` detects them for the whole file."""
    import pyarrow.csv as pcsv  # noqa: PLC0415

    with open(file, "rb") as handle:
        raw = handle.read(_SNIFF_BYTES)
    if not raw.strip():
        raise DataError(f"data file {shown} is empty")
    encoding = next((enc for bom, enc in readers._BOMS if raw.startswith(bom)), "utf-8")
    text = raw.decode(encoding, errors="ignore")
    if len(raw) == _SNIFF_BYTES:  # the last line may be cut
        text = text[: text.rfind("\n") + 1] or text
    sep = "\t" if file.suffix.lower() == ".tsv" else readers._sniff(text)
    decimal = readers._decimal(text, sep)
    csv = {"sep": sep, "decimal": decimal, "encoding": encoding}
    try:
        reader = pcsv.open_csv(file, read_options=pcsv.ReadOptions(encoding=encoding),
                               parse_options=pcsv.ParseOptions(delimiter=sep))
        names = tuple(reader.schema.names)
        reader.close()
    except Exception as err:  # noqa: BLE001
        raise DataError(f"data file {shown} is not a readable table with separator {sep!r} "
                        f"({str(err).splitlines()[0][:200]}); check the file") from None
    return StreamSource("csv", f"CSV file {shown}", file, names, dict.fromkeys(names), csv)


def check_types(source: StreamSource, names: Sequence[Any]) -> None:
    """A DataError naming every listed column that is not plainly numeric."""
    bad = []
    for name in names:
        kind = source.types.get(name)
        if kind is None or _numeric(kind):  # CSV: columns are read as float64
            continue
        bad.append(f"column {name!r} is not numeric ({kind}); satmodel needs numeric scale "
                   "values: recode it to numbers before streaming")
    if bad:
        raise DataError(f"{source.label}: " + "; ".join(bad))


def _numeric(kind: Any) -> bool:
    if _top_module(kind) == "pyarrow":
        import pyarrow as pa  # noqa: PLC0415

        return pa.types.is_integer(kind) or pa.types.is_floating(kind)
    return pdt.is_numeric_dtype(kind) and not pdt.is_bool_dtype(kind) \
        and not pdt.is_complex_dtype(kind)


def arrow_batches(source: StreamSource, names: Sequence[Any], batch_rows: int = BATCH_ROWS
                  ) -> Iterator[tuple[int, dict[Any, np.ndarray], int]]:
    """(first row's position, column -> float64 array, number of rows) of each record batch
    of a pyarrow source, in row order; only the columns ``names`` are read. A float64 column
    without nulls is a view of the batch's buffer (no copy); nulls become NaN, other
    numeric types are converted."""
    start = 0
    for batch in _record_batches(source, list(names), batch_rows):
        rows = batch.num_rows
        if rows == 0:
            continue
        cols = {}
        for name in names:
            values = batch.column(name).to_numpy(zero_copy_only=False)
            cols[name] = values if values.dtype == np.float64 else values.astype(np.float64)
        yield start, cols, rows
        start += rows


def _record_batches(source: StreamSource, names: list[Any], batch_rows: int) -> Iterator[Any]:
    if source.kind == "parquet":
        import pyarrow.parquet as pq  # noqa: PLC0415

        with pq.ParquetFile(source.obj) as file:
            yield from file.iter_batches(batch_size=batch_rows, columns=names)
    elif source.kind == "dataset":  # fragment by fragment: row order is the dataset's order
        for fragment in source.obj.get_fragments():
            yield from fragment.to_batches(schema=source.obj.schema, columns=names,
                                           batch_size=batch_rows)
    else:
        yield from _csv_batches(source, names)


def _csv_batches(source: StreamSource, names: list[Any]) -> Iterator[Any]:
    import pyarrow as pa  # noqa: PLC0415
    import pyarrow.csv as pcsv  # noqa: PLC0415

    csv = source.csv
    convert = pcsv.ConvertOptions(column_types=dict.fromkeys(names, pa.float64()),
                                  include_columns=names, decimal_point=csv["decimal"])
    try:  # the first block is read (and converted) on opening
        reader = pcsv.open_csv(source.obj, convert_options=convert,
                               read_options=pcsv.ReadOptions(encoding=csv["encoding"],
                                                             block_size=1 << 23),
                               parse_options=pcsv.ParseOptions(delimiter=csv["sep"]))
    except pa.ArrowInvalid as err:
        raise DataError(_csv_problem(source, str(err))) from None
    try:
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                return
            except pa.ArrowInvalid as err:
                raise DataError(_csv_problem(source, str(err))) from None
            yield batch
    finally:
        reader.close()


def _csv_problem(source: StreamSource, message: str) -> str:
    hit = _CSV_COLUMN.search(message)
    column = ""
    if hit and int(hit.group(1)) < len(source.columns):
        column = f"column {source.columns[int(hit.group(1))]!r} "
    return (f"{source.label}: {column}holds a value that is not a number "
            f"({message.splitlines()[0][:200]}); satmodel needs numeric scale values: recode "
            "it to numbers, or mark missing answers as empty cells or NA")


def prefetched(items: Iterator[Any], depth: int = 2) -> Iterator[Any]:
    """``items``, produced by a background thread up to ``depth`` ahead: reading and decoding
    the next batch (pyarrow, without the GIL) overlaps the work on this one. An error in
    the producer is raised here; leaving early stops the producer.

    >>> list(prefetched(iter(range(5))))
    [0, 1, 2, 3, 4]
    """
    box: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(message: tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                box.put(message, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(("item", item)):
                    break
            else:
                put(("done", None))
        except BaseException as err:  # noqa: BLE001 - handed to the consumer
            put(("error", err))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=produce, name="satmodel-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            kind, value = box.get()
            if kind == "done":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        worker.join()
