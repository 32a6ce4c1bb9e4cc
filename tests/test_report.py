"""The HTML report opened in headless Chromium, escaping, and the Excel workbook read back.

The browser is the system's Chromium (Debian package ``chromium``; ``.ci/run`` installs
it), driven over the DevTools pipe by ``tests/_browser.py``; without it the browser
tests skip and say why. Screenshots are written to the test's tmp dir.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import satmodel as sm
from satmodel.report import content, marks, pathplot

from _browser import Browser, chromium

pytest.importorskip("jinja2")
pytest.importorskip("matplotlib")

SECTIONS = ["model", "measurement", "discriminant", "structural", "effects", "fit", "index",
            "diagnostics"]


@pytest.fixture(scope="module")
def data():
    return sm.datasets.load("ecsi_satisfaction")


@pytest.fixture(scope="module")
def boot(data):
    return sm.fit_pls(sm.templates.ecsi(), data).bootstrap(n=200, seed=1, progress=False)


@pytest.fixture(scope="module")
def cbsem(data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sm.fit_cbsem(sm.templates.ecsi(), data)


def _hostile_spec():
    d = sm.templates.ecsi().model_dump()
    d["label"] = "<img src=x onerror=alert(2)>"
    d["constructs"][0]["label"] = "<script>alert(1)</script>"
    d["constructs"][0]["name"] = "I&M"
    for p in d["paths"]:
        for k in ("source", "target"):
            p[k] = "I&M" if p[k] == "IMAG" else p[k]
    d["constructs"][0]["indicators"][0]["wording"] = '=HYPERLINK("http://x") & <b>bold</b>'
    return sm.ModelSpec.model_validate(d)


def _open(tmp_path, page_path, shot):
    if chromium() is None:
        pytest.skip("no Chromium at /usr/bin/chromium: apt-get install chromium (.ci/run does)")
    with Browser(tmp_path) as b:
        page = b.open(page_path)
        page["sections"] = b.evaluate("[...document.querySelectorAll('section')].map(s => s.id)")
        page["images"] = b.evaluate(
            "[...document.images].map(i => [i.alt, i.complete, i.naturalWidth, i.naturalHeight])")
        page["tables"] = b.evaluate(
            "[...document.querySelectorAll('table')].map(t => t.rows.length)")
        page["scripts"] = b.evaluate("document.scripts.length")
        page["heading"] = b.evaluate("document.querySelector('h1').textContent")
        b.screenshot(tmp_path / f"{shot}-top.png")
        b.screenshot(tmp_path / f"{shot}-full.png", full_page=True)
    assert (tmp_path / f"{shot}-top.png").stat().st_size > 10_000
    return page


def _clean(page):
    assert page["exceptions"] == []
    assert [c for c in page["console"] if c[0] in ("error", "warning", "assert")] == []
    assert [entry for entry in page["log"] if entry[0] in ("error", "warning")] == []
    assert all(u.startswith(("file:", "data:")) for u in page["requests"]), "network request"
    assert page["scripts"] == 0
    assert all(rows > 1 for rows in page["tables"])
    for alt, complete, w, h in page["images"]:
        assert complete and w > 100 and h > 100, f"image not loaded: {alt}"


def test_pls_report_renders_in_chromium(tmp_path, boot):
    path = tmp_path / "ecsi.html"
    text = sm.to_html(boot, path)
    assert path.read_text(encoding="utf-8") == text
    page = _open(tmp_path, path, "pls")
    _clean(page)
    assert page["sections"] == SECTIONS
    alts = [a for a, *_ in page["images"]]
    assert len(alts) == 4 and alts[0].startswith("path diagram")  # + draws, IPMA x2
    assert alts[1].startswith("histograms of the bootstrap")
    assert "ECSI model" in page["heading"]


def test_cbsem_report_renders_in_chromium(tmp_path, cbsem):
    path = tmp_path / "cbsem.html"
    sm.to_html(cbsem, path)
    page = _open(tmp_path, path, "cbsem")
    _clean(page)
    assert page["sections"] == SECTIONS
    assert len(page["images"]) == 1  # the path diagram; no index for CB-SEM
    text = path.read_text(encoding="utf-8")
    assert "Hu &amp; Bentler (1999)" in text and "cfi" in text


def test_hostile_names_are_escaped_everywhere(tmp_path, data):
    res = sm.fit_pls(_hostile_spec(), data).bootstrap(n=50, seed=2, progress=False)
    path = tmp_path / "hostile.html"
    text = sm.to_html(res, path)
    assert "<script" not in text and "<img src=x" not in text and "<b>bold" not in text
    assert "&lt;script&gt;" in text and "I&amp;M" in text
    page = _open(tmp_path, path, "hostile")
    _clean(page)
    assert page["heading"] == "<img src=x onerror=alert(2)>"  # shown as text
    book = tmp_path / "hostile.xlsx"
    sm.to_excel(res, book)
    from openpyxl import load_workbook

    cells = [c for row in load_workbook(book)["settings"].iter_rows() for c in row]
    assert not any(c.data_type == "f" for c in cells)


def test_grouped_report_has_its_sections(data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = sm.fit_pls(sm.templates.ecsi(), data, by="gender")
    ids = [s.id for s in content.build(g, figures=False).sections]
    assert ids == ["model", "groups", "diagnostics"]
    assert "gender" in sm.to_html(g, figures=False)
    assert sm.to_html(g).count("data:image/png;base64,") == 1  # the index by group


def test_report_level_changes_intervals_and_stars_alike(boot):
    for level in (0.90, 0.99):
        c = content.build(boot, level=level, figures=False)
        structural = next(s for s in c.sections if s.id == "structural")
        table = next(b for b in structural.blocks if b.caption.startswith("Path coef"))
        ref = boot.conf_int(level=level).paths
        assert np.allclose(table.frame["ci_lower"], ref["ci_lower"])
        alpha = round(1 - level, 10)
        assert table.frame["sig"].tolist() == [marks.stars(p, alpha) for p in ref["p"]]
        drawn = pathplot.diagram(boot, level=level)
        assert [lab.lstrip("-0123456789.") for _, _, lab, _ in drawn.edges] == \
            table.frame["sig"].tolist()
        assert [sig for *_, sig in drawn.edges] == [s != "" for s in table.frame["sig"]]


def test_no_bootstrap_no_stars(data):
    res = sm.fit_pls(sm.templates.ecsi(), data)
    assert marks.alpha_of(res) is None
    assert all("*" not in lab for _, _, lab, _ in pathplot.diagram(res).edges)
    c = content.build(res, figures=False)
    assert any("no bootstrap" in v for _, v in c.facts)


# ---------------------------------------------------------------------------- Excel
def _as_read(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.reset_index(drop=True).copy()
    for c in out.columns:
        if pd.api.types.is_numeric_dtype(out[c]):
            out[c] = out[c].astype(float)
    return out


@pytest.mark.parametrize("which", ["pls", "cbsem"])
def test_excel_reads_back_as_the_tables(tmp_path, which, boot, cbsem):
    res = boot if which == "pls" else cbsem
    path = sm.to_excel(res, tmp_path / f"{which}.xlsx")
    book = pd.read_excel(path, sheet_name=None)
    assert list(book)[0] == "settings"
    settings = pd.read_excel(path, sheet_name="settings", header=None)
    assert "satmodel" in settings[0].tolist() and "numpy" in settings[0].tolist()
    for name in res.TABLE_NAMES:
        if name == "index" and which == "cbsem":
            continue
        # openpyxl writes 16 significant digits (Excel itself keeps 15)
        pd.testing.assert_frame_equal(book[name], _as_read(res.table(name)), check_dtype=False,
                                      rtol=1e-15, atol=0)
    pd.testing.assert_frame_equal(book["htmt"].set_index("construct").rename_axis(None),
                                  res.htmt.astype(float), check_dtype=False, check_names=False)


def test_excel_formats(tmp_path, boot):
    from openpyxl import load_workbook

    wb = load_workbook(sm.to_excel(boot, tmp_path / "f.xlsx"))
    ws = wb["paths"]
    assert ws.freeze_panes == "C2" and ws["A1"].font.bold
    assert ws["C2"].number_format == "0.000"
    p_col = [c.value for c in ws[1]].index("p") + 1
    assert ws.cell(row=2, column=p_col).number_format.startswith("[<0.001]")
    assert ws.cell(row=2, column=p_col).font.bold  # IMAG -> EXPE, p < 0.05
    outer = wb["outer"]
    load = [c.value for c in outer[1]].index("loading") + 1
    low = {r: outer.cell(row=r, column=load).fill.fgColor.rgb for r in range(2, outer.max_row + 1)
           if outer.cell(row=r, column=load).value < 0.708}
    assert low and all(rgb.endswith("FDE8C8") for rgb in low.values())
    assert ws.column_dimensions["A"].width >= 6


def test_report_without_matplotlib_says_so(boot, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "matplotlib" else real(name, *a))
    page = sm.to_html(boot)
    assert "data:image/png" not in page and "matplotlib is not installed" in page


# ------------------------------------------- numbers as shown (issue 11 part 11, issue 13)
def _row_cells(page, caption, key):
    """Cells (class, text) of the row whose first cell is ``key`` in the table after
    ``caption``."""
    import re

    table = page.split(f"<h3>{caption}</h3>")[1].split("</table>")[0]
    for row in table.split("<tr>")[1:]:
        cells = re.findall(r'<td class="([^"]*)" >([^<]*)</td>', row)
        if cells and key in [t for _, t in cells[:2]]:
            return cells
    raise AssertionError(f"{key} not in {caption}")


def test_threshold_flag_and_shown_number_agree(data, tmp_path):
    """LOY4's loading 0.7079669 is below 0.708 (flagged): shown as 0.70797, never 0.708,
    in the HTML report and the workbook; LOY1 keeps 3 decimals."""
    from openpyxl import load_workbook

    res = sm.fit_pls(sm.templates.ecsi(), data)
    page = sm.to_html(res, figures=False)
    cells = _row_cells(page, "Outer model: weights and loadings", "LOY4")
    loading = cells[-1]
    assert loading[1] == "0.70797" and "warn" in loading[0]
    loy1 = float(res.outer.set_index("indicator").loc["LOY1", "loading"])
    assert _row_cells(page, "Outer model: weights and loadings", "LOY1")[-1][1] == f"{loy1:.3f}"
    flagged = _row_cells(page, "Values outside their usual thresholds (look at them, not a "
                               "verdict on the model)", "LOY: LOY4")
    assert "0.70797" in [t for _, t in flagged]
    wb = load_workbook(sm.to_excel(res, tmp_path / "t.xlsx"))
    outer = wb["outer"]
    head = [c.value for c in outer[1]]
    row = next(r for r in range(2, outer.max_row + 1)
               if outer.cell(row=r, column=head.index("indicator") + 1).value == "LOY4")
    cell = outer.cell(row=row, column=head.index("loading") + 1)
    assert cell.number_format == "0.00000" and cell.fill.fgColor.rgb.endswith("FDE8C8")
    other = outer.cell(row=row - 1, column=head.index("loading") + 1)  # LOY3, 0.882
    assert other.number_format == "0.000"


def test_counts_show_as_integers(data, cbsem, tmp_path):
    """Model-fit df (and other counts) print as 309, not 309.00, in HTML and Excel."""
    from openpyxl import load_workbook

    res = sm.fit_pls(sm.templates.ecsi(), data)
    page = sm.to_html(res, figures=False)
    assert [t for _, t in _row_cells(page, "Model fit (d_G in log10)", "df")] == \
        ["df", "309", "314"]
    assert [t for _, t in _row_cells(sm.to_html(cbsem, figures=False), "Global fit", "df")][:2] \
        == ["df", "314"]
    fit = load_workbook(sm.to_excel(res, tmp_path / "c.xlsx"))["fit"]
    formats = {(r[0].value, r[1].value): (r[2].value, r[2].number_format)
               for r in fit.iter_rows(min_row=2)}
    assert formats[("saturated", "df")] == (309, "0")
    assert formats[("saturated", "srmr")][1] == "0.000"
    assert formats[("saturated", "chi2")][1] == "#,##0.0"  # large values: one decimal
