"""Read a survey file into a DataFrame, or say exactly why not (a DataError naming the file).

CSV/TSV/TXT with the separator (``,`` ``;`` tab ``|``) and a decimal comma detected,
the encoding detected from a byte-order mark (UTF-8, UTF-16) or given (``encoding=``,
e.g. ``"gbk"``); Parquet (pyarrow), Excel (.xlsx, openpyxl) and SPSS (.sav, pyreadstat)
through the optional extras. Used by the CLI and open to scripts.

SPSS files are read as their codes (1..7, not the value labels' text); the values the
file declares user-missing (a list or a range) become missing (NaN), so a fit treats
them with ``missing=``; the value labels and the user-missing declarations are kept in
``df.attrs`` (:data:`VALUE_LABELS`, :data:`USER_MISSING`) for the report
(``sm.to_html(res, path, data=df)``).

>>> import pathlib, tempfile
>>> path = pathlib.Path(tempfile.mkdtemp()) / "survey.csv"
>>> _ = path.write_text("a;b\\n1,5;2\\n3;4,25\\n", encoding="utf-8")
>>> read_table(path).to_dict("list")
{'a': [1.5, 3.0], 'b': [2.0, 4.25]}
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import DataError

__all__ = ["read_table", "SUFFIXES", "VALUE_LABELS", "USER_MISSING"]

#: ``DataFrame.attrs`` keys of what an SPSS file declares: item -> {code: label}, and
#: item -> (the user-missing codes as text, how many answers they turned into NaN)
VALUE_LABELS, USER_MISSING = "value_labels", "user_missing"

SUFFIXES = (".csv", ".tsv", ".txt", ".parquet", ".xlsx", ".sav")
_SEPARATORS = ",;\t|"
_DECIMAL_COMMA = re.compile(r"^-?\d+,\d+$")
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))


def read_table(path: str | Path, *, encoding: str | None = None, sep: str | None = None,
               decimal: str | None = None, sheet: Any = 0) -> pd.DataFrame:
    """The survey table in ``path`` (see the module docstring for the formats)."""
    file = Path(path)
    if not file.exists():
        raise DataError(f"data file {str(path)!r} does not exist")
    if file.is_dir():
        raise DataError(f"data file {str(path)!r} is a directory; give the survey file itself")
    suffix = file.suffix.lower()
    if suffix not in SUFFIXES:
        raise DataError(f"data file {str(path)!r}: unsupported type {suffix!r} "
                        f"(use {', '.join(SUFFIXES)})")
    try:
        raw = file.read_bytes()
    except OSError as err:
        raise DataError(f"data file {str(path)!r} cannot be read: {err.strerror}") from None
    if not raw.strip():
        raise DataError(f"data file {str(path)!r} is empty")
    if suffix in (".csv", ".tsv", ".txt"):
        return _read_text(file, raw, encoding, sep, decimal)
    return _read_binary(file, suffix, sheet)


def _decode(file: Path, raw: bytes, encoding: str | None) -> str:
    if encoding is None:
        encoding = next((enc for bom, enc in _BOMS if raw.startswith(bom)), "utf-8")
    try:
        text = raw.decode(encoding)
    except LookupError:
        raise DataError(f"encoding {encoding!r} is unknown; use e.g. utf-8, utf-16, gbk, "
                        "latin-1") from None
    except UnicodeDecodeError as err:
        raise DataError(f"data file {file.name!r} is not valid {encoding} text (byte "
                        f"{err.start}); give its encoding (--encoding gbk, utf-16, latin-1 ...) "
                        "or save it as UTF-8 CSV") from None
    if "\x00" in text:
        raise DataError(f"data file {file.name!r} holds binary data, not {encoding} text; "
                        "give its encoding (e.g. utf-16) or export it as CSV")
    return text.lstrip("\ufeff")


def _read_text(file: Path, raw: bytes, encoding: str | None, sep: str | None,
               decimal: str | None) -> pd.DataFrame:
    text = _decode(file, raw, encoding)
    if sep is None:
        sep = "\t" if file.suffix.lower() == ".tsv" else _sniff(text)
    if decimal is None:
        decimal = _decimal(text, sep)
    try:
        return pd.read_csv(io.StringIO(text), sep=sep, decimal=decimal)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as err:
        raise DataError(f"data file {file.name!r} is not a readable table with separator "
                        f"{sep!r}: {str(err).splitlines()[0]}; give the separator "
                        "(--sep ';') or check the file") from None


def _sniff(text: str) -> str:
    head = "\n".join(text.splitlines()[:50])
    try:
        return csv.Sniffer().sniff(head, delimiters=_SEPARATORS).delimiter
    except csv.Error:
        counts = {s: head.splitlines()[0].count(s) for s in _SEPARATORS} if head else {}
        best = max(counts, key=counts.get) if counts else ","
        return best if counts.get(best) else ","


def _decimal(text: str, sep: str) -> str:
    """"," when the separator is not a comma and numbers are written with decimal commas."""
    if sep == ",":
        return "."
    cells = [c.strip().strip('"') for line in text.splitlines()[1:50] for c in line.split(sep)]
    return "," if any(_DECIMAL_COMMA.match(c) for c in cells) else "."


def _read_binary(file: Path, suffix: str, sheet: Any) -> pd.DataFrame:
    extra = {".parquet": ("pyarrow", "parquet"), ".xlsx": ("openpyxl", "excel"),
             ".sav": ("pyreadstat", "spss")}[suffix]
    try:
        if suffix == ".parquet":
            return pd.read_parquet(file)
        if suffix == ".xlsx":
            return pd.read_excel(file, sheet_name=sheet)
        return _read_sav(file)
    except ImportError:
        raise DataError(f"reading {suffix} files needs {extra[0]}: pip install "
                        f"'satmodel[{extra[1]}]'") from None
    except Exception as err:  # noqa: BLE001 - every reader failure becomes one message
        raise DataError(f"data file {file.name!r} is not a readable {suffix} file "
                        f"({type(err).__name__}: {str(err)[:200]})") from None


def _read_sav(file: Path) -> pd.DataFrame:
    """Codes of an SPSS file, its user-missing values as NaN, labels kept in ``attrs``."""
    import pyreadstat

    df, meta = pyreadstat.read_sav(str(file), apply_value_formats=False, user_missing=True)
    declared: dict[str, tuple[str, int]] = {}
    for col, ranges in (meta.missing_ranges or {}).items():
        if col not in df.columns or not ranges:
            continue
        values = df[col]
        hit = pd.Series(False, index=df.index)
        texts = []
        for r in ranges:
            lo, hi = r["lo"], r["hi"]
            if isinstance(lo, str) or lo == hi:
                hit |= values.eq(lo)
                texts.append(f"{lo:g}" if isinstance(lo, float) else str(lo))
            else:
                hit |= values.between(lo, hi)
                texts.append(f"{lo:g} to {hi:g}")
        declared[str(col)] = (", ".join(texts), int(hit.sum()))
        if hit.any():
            df[col] = values.mask(hit)
    labels = {str(col): {code: str(text) for code, text in codes.items()}
              for col, codes in (meta.variable_value_labels or {}).items()}
    df.attrs[VALUE_LABELS] = labels
    df.attrs[USER_MISSING] = declared
    return df
