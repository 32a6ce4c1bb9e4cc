"""Progress bars: shown in a notebook by default (as text when ipywidgets is missing, with
no 'IProgress not found' warning), silent in scripts and services unless asked."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import types
import warnings

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

from satmodel.inference.driver import progress_bar

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


CBSEM = """
spec = sm.ModelSpec.from_lavaan("A =~ EXPE1 + EXPE2 + EXPE3; B =~ SAT1 + SAT2 + SAT3; B ~ A")
cb = sm.fit_cbsem(spec, sm.datasets.load("ecsi_satisfaction")).bootstrap(n=12, seed=1)
cb.inference.n_valid
"""


@pytest.mark.skipif(importlib.util.find_spec("ipywidgets") is not None,
                    reason="ipywidgets installed: the bar is a widget (checked below)")
def test_shown_in_a_notebook_without_widgets(tmp_path):
    nb = new_notebook(cells=[new_code_cell(CODE), new_code_cell(CBSEM)],
                      metadata={"kernelspec": {"name": "python3", "language": "python",
                                               "display_name": "Python 3"}})
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    for cell, done in zip(nb.cells, ("bootstrap: 100%", "bootstrap: 100%")):
        text = "".join(o.get("text", "") for o in cell.outputs
                       if o.get("output_type") == "stream")
        assert "IProgress" not in text and "TqdmWarning" not in text, text
        assert done in text, f"no progress bar in the notebook: {text!r}"
    assert "3000/3000" in "".join(o.get("text", "") for o in nb.cells[0].outputs)
    assert "12/12" in "".join(o.get("text", "") for o in nb.cells[1].outputs)


class _Shell:  # what IPython's get_ipython() returns in a Jupyter kernel, by class name
    pass


_Shell.__name__ = "ZMQInteractiveShell"


def test_notebook_bar_without_widgets_is_text_on_stderr(monkeypatch, capsys):
    """Inside a kernel without ipywidgets: tqdm's text bar on stderr, no TqdmWarning."""
    fake = types.ModuleType("IPython")
    fake.get_ipython = lambda: _Shell()
    monkeypatch.setitem(sys.modules, "IPython", fake)
    import tqdm.notebook

    monkeypatch.setattr(tqdm.notebook, "IProgress", None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bar = progress_bar(10, None, "bootstrap")
        bar.update(10)
        bar.close()
    assert "bootstrap: 100%" in capsys.readouterr().err
    assert type(bar).__module__ == "tqdm.std"
    assert progress_bar(10, False, "bootstrap") is None


def test_silent_by_default_outside_a_notebook_unless_asked(monkeypatch, capsys):
    monkeypatch.delitem(sys.modules, "IPython", raising=False)
    assert progress_bar(10, None, "bootstrap") is None  # pytest's stderr is no terminal
    bar = progress_bar(5, True, "permutation")
    bar.update(5)
    bar.close()
    assert "permutation: 100%" in capsys.readouterr().err


def test_permutation_test_shows_a_bar_when_asked(capsys):
    import satmodel as sm

    df = sm.datasets.load("ecsi_satisfaction")
    sm.permutation_test(sm.templates.ecsi(), df, group="gender", n=20, seed=1, progress=True)
    assert "20/20" in capsys.readouterr().err
    sm.permutation_test(sm.templates.ecsi(), df, group="gender", n=20, seed=1, progress=False)
    assert capsys.readouterr().err == ""


def test_compare_groups_and_micom_can_be_silenced_and_chunked(capsys):
    # Before, neither verb took progress= (a raw TypeError from fit_pls), although their
    # bars are on by default in a terminal or notebook.
    import satmodel as sm

    df = sm.datasets.load("ecsi_satisfaction")
    a = sm.compare_groups(sm.templates.ecsi(), df, "gender", method="chin", n=20, seed=1,
                          progress=False, chunk_size=7)
    b = sm.compare_groups(sm.templates.ecsi(), df, "gender", method="chin", n=20, seed=1,
                          progress=False)
    assert a["p"].tolist() == b["p"].tolist()  # same draws whatever the chunk size
    sm.micom(sm.templates.ecsi(), df, "gender", n=20, seed=1, progress=True)
    assert "20/20" in capsys.readouterr().err
    with pytest.raises(sm.OptionError, match="progress"):
        sm.micom(sm.templates.ecsi(), df, "gender", n=20, seed=1, progress="yes")
