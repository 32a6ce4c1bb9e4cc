"""The command line: main job, file inputs, JSON output, user errors."""

import json
import subprocess
import sys

import satmodel as sm
from satmodel.cli import main


def test_fit_template_dataset_prints_summary(capsys):
    assert main(["fit", "--template", "ecsi", "--dataset", "ecsi_satisfaction"]) == 0
    out = capsys.readouterr().out
    assert "Path coefficients" in out and "converged" in out


def test_fit_files_and_json(tmp_path, capsys):
    csv = tmp_path / "survey.csv"
    sm.datasets.load("ecsi_satisfaction").to_csv(csv, index=False)
    lav = tmp_path / "model.lav"
    lav.write_text(sm.templates.ecsi().to_lavaan())
    assert main(["fit", "--spec", str(lav), "--data", str(csv), "--scheme", "centroid",
                 "--consistent", "--json"]) == 0
    rec = json.loads(capsys.readouterr().out)
    expected = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"),
                          scheme="centroid", consistent=True)
    got = [r["estimate"] for r in rec["tables"]["paths"]]
    assert got == expected.paths.estimate.tolist()


def test_parquet_and_json_spec(tmp_path, capsys):
    pq = tmp_path / "survey.parquet"
    sm.datasets.load("ecsi_mobi").to_parquet(pq)
    spec = tmp_path / "spec.json"
    spec.write_text(sm.templates.ecsi_mobile().model_dump_json())
    assert main(["fit", "--spec", str(spec), "--data", str(pq)]) == 0
    assert "Satisfaction" in capsys.readouterr().out


def test_user_error_exit_code_and_message(tmp_path, capsys):
    assert main(["fit", "--template", "ecsi", "--data", str(tmp_path / "none.csv")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["fit", "--template", "ecsi", "--dataset", "ecsi_mobi"]) == 2
    assert "EXPE1" in capsys.readouterr().err  # the message names a missing item


def test_python_dash_m():
    out = subprocess.run([sys.executable, "-m", "satmodel", "templates"], capture_output=True,
                         text=True, check=True).stdout
    assert "ecsi" in out
