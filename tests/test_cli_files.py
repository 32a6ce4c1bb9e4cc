"""Survey and model files from the command line: every bad file is exit 2 with the file
named and what to do (issue 11 part 6); European/Chinese exports are read."""

from __future__ import annotations

import pytest

import satmodel as sm
from satmodel.cli import main
from satmodel.survey.readers import read_table

DF = sm.datasets.load("ecsi_satisfaction")
EXPECTED = sm.fit_pls(sm.templates.ecsi(), DF).paths.estimate.to_numpy()


def _fit(capsys, *args):
    code = main(["fit", "--template", "ecsi", *args, "--json"])
    return code, capsys.readouterr()


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
@pytest.mark.parametrize("decimal_comma", [False, True])
def test_separators_and_decimal_commas_are_detected(tmp_path, sep, decimal_comma):
    if decimal_comma and sep == ",":
        pytest.skip("a comma cannot be both separator and decimal mark")
    data = DF.assign(IMAG1=DF["IMAG1"] + 0.25)  # a fractional column
    path = tmp_path / "survey.csv"
    data.to_csv(path, sep=sep, decimal="," if decimal_comma else ".", index=False)
    back = read_table(path)
    assert back["IMAG1"].tolist() == data["IMAG1"].tolist()
    assert list(back.columns) == list(data.columns)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "gbk"])
def test_encodings(tmp_path, capsys, encoding):
    path = tmp_path / "survey.csv"
    DF.assign(city="北京").to_csv(path, index=False, encoding=encoding)
    extra = ["--encoding", "gbk"] if encoding == "gbk" else []
    code, out = _fit(capsys, "--data", str(path), *extra)
    assert code == 0, out.err
    if encoding == "gbk":  # without the option: a message that names the option
        code, out = _fit(capsys, "--data", str(path))
        assert code == 2 and "--encoding" in out.err and "survey.csv" in out.err


@pytest.mark.parametrize("make, expect", [
    (lambda p: p.mkdir(), "directory"),
    (lambda p: p.write_bytes(b""), "empty"),
    (lambda p: p.write_bytes(bytes(range(256)) * 20), "not valid utf-8"),
    (lambda p: None, "does not exist"),
])
def test_bad_survey_files_exit_2_naming_the_file(tmp_path, capsys, make, expect):
    path = tmp_path / "survey.csv"
    make(path)
    code, out = _fit(capsys, "--data", str(path))
    assert code == 2 and expect in out.err.lower() and "survey.csv" in out.err


def test_corrupt_parquet_and_xlsx(tmp_path, capsys):
    for name in ("survey.parquet", "survey.xlsx"):
        path = tmp_path / name
        path.write_bytes(b"not really " * 100)
        code, out = _fit(capsys, "--data", str(path))
        assert code == 2 and name in out.err


def test_excel_file_is_read(tmp_path, capsys):
    path = tmp_path / "survey.xlsx"
    DF.to_excel(path, index=False)
    code, out = _fit(capsys, "--data", str(path))
    assert code == 0, out.err


@pytest.mark.parametrize("content, expect", [
    (b"\x00\x01\x02binary", "binary"),
    (b"\xff\xfe" + "EXPE =~ EXPE1 + EXPE2\nSAT =~ SAT1\nSAT ~ EXPE\n".encode("utf-16-le"), None),
    (b"\xef\xbb\xbfEXPE =~ EXPE1 + EXPE2\nSAT =~ SAT1 + SAT2\nSAT ~ EXPE\n", None),
])
def test_model_files(tmp_path, capsys, content, expect):
    spec = tmp_path / "model.lav"
    spec.write_bytes(content)
    code = main(["fit", "--spec", str(spec), "--dataset", "ecsi_satisfaction"])
    err = capsys.readouterr().err
    if expect is None:
        assert code == 0, err
    else:
        assert code == 2 and expect in err


def test_deeply_nested_json_spec(tmp_path, capsys):
    spec = tmp_path / "model.json"
    spec.write_text("[" * 100_000)
    assert main(["fit", "--spec", str(spec), "--dataset", "ecsi_satisfaction"]) == 2
    assert "model.json" in capsys.readouterr().err


def test_survey_options_on_the_command_line(tmp_path, capsys):
    path = tmp_path / "survey.csv"
    coded = DF.copy()
    coded.loc[:4, "SAT2"] = -99
    coded.to_csv(path, index=False)
    code, out = _fit(capsys, "--data", str(path), "--na-values", "-99", "--missing", "mean")
    assert code == 0, out.err
    rec = sm.PLSResult.from_json(out.out)
    assert rec.survey_options.missing == "mean" and rec.survey_options.na_values == (-99.0,)
