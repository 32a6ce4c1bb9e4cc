"""The command line's report, bootstrap and CB-SEM options, and the book's corp_rep model
fitted from its CSV with ``--na-values -99`` (paths checked against Hair et al. 2021)."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

import satmodel as sm
from satmodel.cli import main

from _oracles import CORP_REP_CASE, CORP_REP_SIMPLE, corp_rep_spec, oracle_path

pytest.importorskip("jinja2")
pytest.importorskip("matplotlib")


def test_report_html_and_xlsx_from_a_fresh_process(tmp_path):
    for out in ("r.html", "r.xlsx"):
        run = subprocess.run(
            [sys.executable, "-m", "satmodel", "report", "--template", "ecsi", "--dataset",
             "ecsi_satisfaction", "--bootstrap", "500", "--seed", "1", "--out", out],
            cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr
        assert f"wrote {out}" in run.stdout
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "500 of 500 resamples, seed 1" in page and 'id="index"' in page
    paths = pd.read_excel(tmp_path / "r.xlsx", sheet_name="paths")
    expected = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction")) \
        .bootstrap(n=500, seed=1, progress=False).paths
    pd.testing.assert_frame_equal(paths, expected, check_dtype=False, rtol=1e-12)


def test_report_options(tmp_path, capsys):
    out = tmp_path / "m.html"
    assert main(["report", "--template", "ecsi_mobile", "--dataset", "ecsi_mobi", "--out",
                 str(out), "--ipma", "Satisfaction", "--items", "--level", "0.9"]) == 0
    page = out.read_text(encoding="utf-8")
    assert "IPMA of Customer satisfaction" in page and "no bootstrap" in page
    assert "IPMA of Customer loyalty" not in page  # only the target asked for


def test_fit_bootstrap_and_cbsem(capsys):
    assert main(["fit", "--template", "ecsi", "--dataset", "ecsi_satisfaction", "--bootstrap",
                 "100", "--seed", "2", "--json"]) == 0
    rec = json.loads(capsys.readouterr().out)
    res = sm.PLSResult.from_json(json.dumps(rec))
    assert "ci_lower" in res.paths.columns
    assert main(["fit", "--template", "ecsi", "--dataset", "ecsi_satisfaction",
                 "--estimator", "cbsem"]) == 0
    assert "CBSEMResult" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["report", "--out", "r.pdf"], "write a .html or .xlsx"),
    (["report", "--out", "no/such/folder/r.html"], "does not exist"),
    (["fit", "--estimator", "cbsem", "--weights", "w"], "--weights: not available"),
    (["fit", "--bootstrap", "10", "--level", "1.5"], "level"),
])
def test_user_errors_exit_2(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    base = ["--template", "ecsi", "--dataset", "ecsi_satisfaction"]
    assert main(argv[:1] + base + argv[1:]) == 2
    assert message in capsys.readouterr().err


def test_corp_rep_csv_with_missing_codes(tmp_path, capsys):
    spec = tmp_path / "corp_rep.json"
    spec.write_text(corp_rep_spec(CORP_REP_SIMPLE).model_dump_json())
    data = oracle_path(CORP_REP_CASE, "corp_rep_data.csv")
    assert main(["fit", "--spec", str(spec), "--data", str(data), "--na-values", "-99",
                 "--missing", "mean", "--stop", "sum_abs", "--json"]) == 0
    res = sm.PLSResult.from_json(capsys.readouterr().out)
    book = json.loads(oracle_path(CORP_REP_CASE, "simple_model.json").read_text())
    table = book["paths_and_r2"]
    for row in res.paths.itertuples():
        assert abs(row.estimate - table[row.source][row.target]) < 0.0015, (row.source, row.target)
