"""The Excel workbook of a result: a ``settings`` sheet (model, estimator, data options,
bootstrap, versions, diagnostics), then one formatted sheet per table with the table's
values (16 significant digits; formats only change how they look): bold header, frozen
header and key columns, widths to fit, number formats (p-values as <0.001), values
outside their rule of thumb highlighted, p-values below the significance level bold; counts (df, n) as integers and a
value within rounding of its threshold with the digits that show its side
(:mod:`satmodel.results.display`).

Needs openpyxl (``pip install 'satmodel[report]'``). Text that Excel would read as a
formula (``=...``) is stored as text.

>>> import satmodel as sm, pandas as pd, tempfile, os
>>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
>>> path = os.path.join(tempfile.mkdtemp(), "ecsi.xlsx")
>>> _ = to_excel(res, path)
>>> back = pd.read_excel(path, sheet_name="paths")
>>> bool(((back["estimate"] - res.paths["estimate"]).abs() < 1e-15).all())
True
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import OptionError, SatModelError
from ..diagnostics import collecting, quiet
from ..results import display
import satmodel.report.checks as checks
import satmodel.report.content as content
import satmodel.report.marks as marks
from .blocks import KEYS

__all__ = ["to_excel", "sheets"]

_WARN = "FDE8C8"
_HEAD = "E6ECF3"
_MATRICES = ("htmt", "fornell_larcker", "construct_correlations", "cross_loadings")


def sheets(res: Any) -> dict[str, pd.DataFrame]:
    """Sheet name -> table: every table of ``res.TABLE_NAMES`` that it can compute, the
    square matrices (HTMT, Fornell-Larcker, construct correlations, cross-loadings) and
    the rule-of-thumb checks (``assess``)."""
    out: dict[str, pd.DataFrame] = {}
    with collecting(), quiet():
        for name in res.TABLE_NAMES:
            try:
                out[name] = res.table(name)
            except SatModelError:  # e.g. an index without declared scales
                continue
        for name in _MATRICES:
            frame = getattr(res, name, None) if not hasattr(res, "by") else None
            if isinstance(frame, pd.DataFrame):
                out[name] = frame if name == "cross_loadings" else \
                    frame.rename_axis("construct").reset_index()
        if not hasattr(res, "by"):
            out["assess"] = checks.checks(res)
    return {name[:31]: frame for name, frame in out.items()}


def _cell(value: Any) -> Any:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (np.floating, float)):
        v = float(value)
        return None if math.isnan(v) else v if math.isfinite(v) else str(v)
    return value if isinstance(value, (int, str)) else str(value)


def _format(column: str, values: pd.Series) -> str | None:
    if column == "p" or column.endswith("_p") or column == "p_value":
        return '[<0.001]"<0.001";0.000'
    if pd.api.types.is_integer_dtype(values):
        return "0"
    if pd.api.types.is_numeric_dtype(values):
        return "0.000"  # per cell: "#,##0.0" from 1000 (see _cell_format)
    return None


def _cell_format(fmt: str | None, value: Any, cuts: tuple, count: bool) -> str | None:
    """The column's format, or for this cell: a count as an integer, and more decimals
    where "0.000" would round the value onto or across a cut point
    (:mod:`satmodel.results.display`)."""
    if fmt is None or fmt.startswith("[<") or not isinstance(value, (int, float)):
        return fmt
    if count and float(value).is_integer():
        return "0"
    if fmt == "0.000" and isinstance(value, float) and abs(value) >= 1000:
        return "#,##0.0"
    if fmt == "0.000" and isinstance(value, float):
        d = display.decimals(value, 3, cuts)
        return "0." + "0" * d if d > 3 else fmt
    return fmt


def _write(ws: Any, frame: pd.DataFrame, flags: pd.DataFrame | None, alpha: float | None,
           matrix: float | None = None) -> None:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    frame = frame.reset_index(drop=True)
    cuts, counts = display.cut_points(frame, matrix), display.count_cells(frame)
    head_fill, warn_fill = PatternFill("solid", fgColor=_HEAD), PatternFill("solid", fgColor=_WARN)
    line = Border(bottom=Side(style="thin", color="8EA0B5"))
    for j, col in enumerate(frame.columns, start=1):
        c = ws.cell(row=1, column=j, value=str(col))
        c.font, c.fill, c.border = Font(bold=True), head_fill, line
        c.alignment = Alignment(horizontal="center")
    for j, col in enumerate(frame.columns, start=1):
        fmt = _format(str(col), frame[col])
        is_p = fmt is not None and fmt.startswith("[<")
        for i, value in enumerate(frame[col].tolist(), start=2):
            c = ws.cell(row=i, column=j, value=_cell(value))
            if isinstance(c.value, str) and c.value.startswith("="):
                c.data_type = "s"  # text, never a formula
            if fmt and isinstance(c.value, (int, float)):
                c.number_format = _cell_format(fmt, c.value, cuts[str(col)][i - 2],
                                               counts[str(col)][i - 2])
                if is_p and alpha is not None and c.value < alpha:
                    c.font = Font(bold=True)
            if flags is not None and bool(flags.iloc[i - 2, j - 1]):
                c.fill = warn_fill
        shown = [len(str(col))] + [len(f"{v:.3f}") if isinstance(v, float) else len(str(v))
                                   for v in frame[col].tolist()[:500]]
        ws.column_dimensions[get_column_letter(j)].width = min(max(shown) + 2, 60)
    keys = 0
    for col in frame.columns:
        if col in KEYS and col != "sig":
            keys += 1
        else:
            break
    ws.freeze_panes = ws.cell(row=2, column=min(keys, 3) + 1)
    if len(frame.columns):
        ws.auto_filter.ref = f"A1:{get_column_letter(len(frame.columns))}{len(frame) + 1}"


def _settings(ws: Any, res: Any, alpha: float | None, data: Any = None) -> None:
    from openpyxl.styles import Font

    rows: list[tuple] = [("satmodel result", res.spec.label or res.spec.name), ("", "")]
    rows += content.facts(res, alpha, data) + [("", ""), ("versions", "")]
    rows += list(content.versions().items()) + [("", ""), ("diagnostics", "")]
    for r, (k, v) in enumerate(rows, start=1):
        a, b = ws.cell(row=r, column=1, value=k), ws.cell(row=r, column=2, value=_cell(v))
        a.font = Font(bold=True)
        for c in (a, b):
            if isinstance(c.value, str) and c.value.startswith("="):
                c.data_type = "s"
    r = len(rows) + 1
    diags = list(res.diagnostics)
    if not diags:
        ws.cell(row=r, column=1, value="none recorded")
    for j, head in enumerate(("severity", "code", "message", "names"), start=1):
        if diags:
            ws.cell(row=r, column=j, value=head).font = Font(bold=True)
    for i, d in enumerate(diags, start=r + 1):
        for j, v in enumerate((d.severity, d.code, d.message, ", ".join(d.names)), start=1):
            c = ws.cell(row=i, column=j, value=v)
            if isinstance(v, str) and v.startswith("="):
                c.data_type = "s"
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 90


def to_excel(res: Any, path: str | Path, *, level: float | None = None,
             data: Any = None) -> Path:
    """Write the workbook of a result (PLS, CB-SEM or grouped); returns the path.

    Parameters
    ----------
    res : PLSResult, CBSEMResult or GroupedPLSResult
    path : str or Path
        The ``.xlsx`` file to write.
    level : float, optional
        Significance level for bold p-values (default: the bootstrap's level, 0.95).
    data : DataFrame, optional
        The data read from an SPSS file (:func:`satmodel.survey.readers.read_table`):
        sheets ``value_labels`` and ``declared_missing`` list what it declares for the
        model's items.

    Every sheet after ``settings`` reads back with ``pd.read_excel(path, sheet_name=name)``
    as the table ``res.table(name)`` (``<NA>`` as empty cells).
    """
    try:
        from openpyxl import Workbook
    except ImportError:  # pragma: no cover - depends on the environment
        raise OptionError("to_excel needs openpyxl: pip install 'satmodel[report]'") from None
    content.check_reportable(res)
    alpha = marks.alpha_of(res, level)
    wb = Workbook()
    ws = wb.active
    ws.title = "settings"
    _settings(ws, res, alpha, data)
    for name, frame in (content.file_tables(res, data) | sheets(res)).items():
        rule = "htmt" if name == "htmt" else name
        flags = marks.flags(rule, frame.reset_index(drop=True))
        _write(wb.create_sheet(name), frame, flags if flags.to_numpy().any() else None, alpha,
               marks.matrix_cut(rule))
    path = Path(path)
    wb.save(path)
    return path
