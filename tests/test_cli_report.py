"""The command line's report, bootstrap and CB-SEM options, and the book's corp_rep model
fitted from its CSV with ``--na-values -99`` (paths checked against Hair et al. 2021)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import warnings

import numpy as np
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


# --------------------------------------------------- CB-SEM estimators, scales, messages
@pytest.mark.parametrize("name", ["ULS", "GLS", "dwls"])
def test_cbsem_estimator_choice(name, capsys):
    assert main(["fit", "--template", "ecsi", "--dataset", "ecsi_satisfaction", "--estimator",
                 "cbsem", "--cb-estimator", name, "--json"]) == 0
    res = sm.CBSEMResult.from_json(capsys.readouterr().out)
    assert res.estimator == name.upper()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lib = sm.fit_cbsem(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"),
                           estimator=name.upper())
    assert np.allclose(res.paths["estimate"], lib.paths["estimate"], rtol=0, atol=1e-12)


def test_scale_ci_and_pls_options(capsys, tmp_path):
    spec = tmp_path / "corp_rep.json"
    spec.write_text(corp_rep_spec(CORP_REP_SIMPLE).model_dump_json())
    data = oracle_path(CORP_REP_CASE, "corp_rep_data.csv")
    assert main(["fit", "--spec", str(spec), "--data", str(data), "--na-values", "-99",
                 "--missing", "mean", "--scale", "cusa=1..7", "comp_1=1..7", "--scheme",
                 "factorial", "--bootstrap", "60", "--seed", "3", "--ci", "bca", "--json"]) == 0
    res = sm.PLSResult.from_json(capsys.readouterr().out)
    scales = {i.name: (i.scale_min, i.scale_max) for c in res.spec.constructs
              for i in c.indicators}
    assert scales["cusa"] == (1, 7) and scales["comp_1"] == (1, 7)
    assert res.options.scheme == "factorial" and res.inference.method == "bca"


_PYTHON_HINT = re.compile(r"\b(na_values|missing|scales|weights|reverse|estimator|max_iter|tol|"
                          r"scheme|stop|missing_warn|consistent)=|res\.\w+\(|sm\.\w+\(")


@pytest.mark.parametrize("extra", [
    [],  # -99 codes in the data: --na-values / --scale
    ["--na-values", "-99"],  # missing answers: --missing
    ["--na-values", "-99", "--estimator", "cbsem"],  # composites: --estimator pls
    ["--na-values", "-99", "--missing", "mean", "--scale", "cusa"],  # bad --scale
])
def test_messages_suggest_only_cli_options(extra, capsys, tmp_path):
    spec = tmp_path / "corp_rep.json"
    spec.write_text(corp_rep_spec(CORP_REP_SIMPLE).model_dump_json())
    data = oracle_path(CORP_REP_CASE, "corp_rep_data.csv")
    assert main(["fit", "--spec", str(spec), "--data", str(data), *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith("satmodel: error:") and "--" in err
    assert not _PYTHON_HINT.search(err), err


def test_estimator_messages_and_summary_hints_use_flags(capsys):
    base = ["fit", "--template", "ecsi", "--dataset", "ecsi_satisfaction"]
    assert main(base + ["--estimator", "cbsem", "--cb-estimator", "MLR"]) == 2
    err = capsys.readouterr().err
    assert "--cb-estimator ML" in err and "--bootstrap N --seed S" in err
    assert not _PYTHON_HINT.search(err), err
    assert main(base + ["--cb-estimator", "ULS"]) == 2
    assert "add --estimator cbsem" in capsys.readouterr().err
    assert main(base) == 0
    out = capsys.readouterr().out
    hints = out.split("What to look at next")[1]
    assert "--bootstrap 5000 --seed 1" in hints and "satmodel report" in hints
    assert not _PYTHON_HINT.search(hints), hints
