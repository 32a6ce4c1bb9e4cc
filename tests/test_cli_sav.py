"""SPSS .sav input (issue 13): codes read as numbers (not their value labels' text),
user-missing values declared in the file read as missing, the value labels and the
declarations shown in the HTML report and the workbook. The .sav files are written here
by pyreadstat with known labels and known missing cells, so what must come back is known."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import satmodel as sm
from satmodel.cli import main
from satmodel.survey.readers import USER_MISSING, VALUE_LABELS, read_table

pyreadstat = pytest.importorskip("pyreadstat")

DF = sm.datasets.load("ecsi_satisfaction")
LABELS = {"SAT1": {1.0: "very unsatisfied", 10.0: "very satisfied", 99.0: "no answer"},
          "LOY2": {1.0: "never", 10.0: "certainly"}}


@pytest.fixture()
def sav(tmp_path):
    data = DF.copy()
    data.loc[[3, 17, 40], "SAT1"] = 99.0  # a discrete user-missing code
    data.loc[[5, 6], "LOY2"] = -9.0  # in a user-missing range
    path = tmp_path / "survey.sav"
    pyreadstat.write_sav(data, str(path), variable_value_labels=LABELS,
                         missing_ranges={"SAT1": [99.0], "LOY2": [{"lo": -9.0, "hi": -1.0}]})
    return path


def test_codes_labels_and_user_missing_are_read(sav):
    df = read_table(sav)
    assert pd.api.types.is_float_dtype(df["SAT1"]) and pd.api.types.is_float_dtype(df["LOY2"])
    assert df["SAT1"].isna().sum() == 3 and df["LOY2"].isna().sum() == 2  # honoured
    rest = df["SAT1"].notna()
    assert np.array_equal(df.loc[rest, "SAT1"], DF.loc[rest, "SAT1"])  # codes, not labels
    assert df.attrs[VALUE_LABELS]["SAT1"][10.0] == "very satisfied"
    assert df.attrs[USER_MISSING] == {"SAT1": ("99", 3), "LOY2": ("-9 to -1", 2)}


def test_cli_honours_user_missing_and_reports_labels(sav, tmp_path, capsys):
    base = ["--template", "ecsi", "--data", str(sav)]
    assert main(["fit", *base]) == 2  # the user-missing cells are missing answers
    err = capsys.readouterr().err
    assert "SAT1 has 3 missing" in err and "--missing" in err and "missing=" not in err
    html, xlsx = tmp_path / "r.html", tmp_path / "r.xlsx"
    for out in (html, xlsx):
        assert main(["report", *base, "--missing", "mean", "--out", str(out)]) == 0
    page = html.read_text(encoding="utf-8")
    assert "Value labels (from the data file)" in page and "very satisfied" in page
    assert "Missing-value codes declared in the data file" in page and "-9 to -1" in page
    assert "user-missing codes the data file declares" in page
    labels = pd.read_excel(xlsx, sheet_name="value_labels")
    assert labels.to_dict("list") == {
        "indicator": ["SAT1"] * 3 + ["LOY2"] * 2,
        "code": [1, 10, 99, 1, 10],
        "label": ["very unsatisfied", "very satisfied", "no answer", "never", "certainly"]}
    declared = pd.read_excel(xlsx, sheet_name="declared_missing").astype(str)
    assert declared.to_dict("list") == {"indicator": ["SAT1", "LOY2"],
                                        "codes": ["99", "-9 to -1"], "answers": ["3", "2"]}
    assert re.search(r'row2 col1[^>]*>99</td>', page) and ">99.000<" not in page  # integers
