"""Progress bars: shown in a notebook by default (as text when ipywidgets is missing, with
no 'IProgress not found' warning), silent in scripts and services unless asked."""

from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

CODE = """
import satmodel as sm
res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
boot = res.bootstrap(n=3000, seed=1, chunk_size=100)
boot.inference.n_valid
"""


def test_silent_in_a_script():
    run = subprocess.run([sys.executable, "-c", CODE + "\nprint('done')"], capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stderr == "" and run.stdout.strip() == "done"


@pytest.mark.xfail(strict=True, reason=(
    "needs the change to satmodel/inference/driver.py progress_bar (owned by another change): "
    "default on in a Jupyter kernel, tqdm.std text bar when ipywidgets is missing"))
def test_shown_in_a_notebook_without_widgets(tmp_path):
    nb = new_notebook(cells=[new_code_cell(CODE)],
                      metadata={"kernelspec": {"name": "python3", "language": "python",
                                               "display_name": "Python 3"}})
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = nb.cells[0].outputs
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    widgets = [o for o in outputs if "application/vnd.jupyter.widget-view+json"
               in o.get("data", {})]
    assert "IProgress" not in text
    assert "3000/3000" in text or widgets, "no progress bar in the notebook"
