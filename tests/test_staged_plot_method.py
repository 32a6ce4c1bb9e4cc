"""``res.plot()`` (issue 14): the path diagram as a result method, on plain PLS, staged
(higher-order, interaction) and CB-SEM results. It is :func:`sm.plot_paths` with the same
options, so the checks are: it exists, returns a matplotlib Axes, draws the higher-order
construct and the interaction term under the user's names (text labels), the numbers on
the arrows are the result's table entries, and it draws exactly what ``sm.plot_paths``
draws (the diagram's layout and overlap checks are in tests/test_staged_plot.py and
tests/test_plots.py)."""

from __future__ import annotations

import warnings

import pytest

import satmodel as sm
from satmodel.index import plotting

mpl = pytest.importorskip("matplotlib")
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

DF = sm.datasets.load("ecsi_satisfaction")
SPEC = sm.ModelSpec.from_lavaan("""
    QUAL =~ QUAL1 + QUAL2 + QUAL3; VAL =~ VAL1 + VAL2; SAT =~ SAT1 + SAT2 + SAT3
    IMAG =~ IMAG1 + IMAG2 + IMAG3; LOY =~ LOY1 + LOY2 + LOY3
    PERF =~ QUAL + VAL
    SAT ~ PERF + IMAG; LOY ~ SAT + IMAG + SAT:IMAG""")


def _first_lines(ax) -> list[str]:
    return [t.get_text().split("\n")[0] for t in ax.texts]


@pytest.fixture(scope="module")
def staged():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sm.fit_pls(SPEC, DF, hoc="two_stage", interaction="two_stage")


def test_staged_plot_shows_hoc_and_interaction(staged):
    ax = staged.plot(ax=Figure())
    assert isinstance(ax, Axes)
    first = _first_lines(ax)
    for name in ("QUAL", "VAL", "PERF", "SAT", "IMAG", "LOY", "SAT × IMAG"):
        assert name in first
    assert not [t for t in first if "SAT.IMAG" in t or "PERF." in t]  # no internal names
    assert plotting.overlapping_texts(ax) == []
    labels = {t.get_text() for t in ax.texts}
    p = staged.paths.set_index(["source", "target"]).estimate
    assert f"{p[('SAT:IMAG', 'LOY')]:.2f}" in labels  # the interaction term's path
    assert f"{p[('PERF', 'SAT')]:.2f}" in labels
    loading = staged.outer.set_index(["construct", "indicator"]).loading[("PERF", "QUAL")]
    assert f"{loading:.2f}" in labels  # PERF -> QUAL, the higher-order loading


def test_plot_is_plot_paths_with_the_same_options(staged):
    for options in ({}, {"items": True}, {"labels": "name", "title": "HOC"}):
        ours = [t.get_text() for t in staged.plot(ax=Figure(), **options).texts]
        theirs = [t.get_text() for t in sm.plot_paths(staged, ax=Figure(), **options).texts]
        assert ours == theirs
    assert "QUAL1" in _first_lines(staged.plot(ax=Figure(), items=True))
    assert staged.plot(ax=Figure(), title="HOC").get_title() == "HOC"
    with pytest.raises(TypeError):
        staged.plot(ax=Figure(), colour="red")  # unknown option: Python's own TypeError


@pytest.mark.parametrize("fit", [sm.fit_pls, sm.fit_cbsem])
def test_plain_results_plot(fit):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = fit(sm.templates.ecsi(), DF)
    ax = res.plot(ax=Figure())
    assert isinstance(ax, Axes)
    first = _first_lines(ax)
    for con in res.spec.constructs:
        assert (con.label or con.name) in first
    assert plotting.overlapping_texts(ax) == []


def test_default_axes_is_a_new_figure(staged):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    ax = staged.plot()
    assert isinstance(ax, Axes) and ax.figure is not None
    plt.close(ax.figure)
