"""Plots of models with higher-order constructs and interaction terms (issue 14): the path
diagram shows the model as the user wrote it (higher-order constructs with their
components, ``SAT × IMAG``), never the internal names of the last stage (``SAT.IMAG``,
``PERF.QUAL1``); the simple-slopes / floodlight plot draws the slopes of the fitted paths
and the Johnson-Neyman points of the floodlight. Checks are on rendered text boxes (no two
overlap, all inside the figure) and on the numbers the artists carry, compared with the
result's tables (the plot must say what the table says; the tables are checked against
seminr/cSEM elsewhere)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import satmodel as sm
from satmodel.index import plotting
from satmodel.report import pathplot

mpl = pytest.importorskip("matplotlib")
from matplotlib.figure import Figure  # noqa: E402

DF = sm.datasets.load("ecsi_satisfaction")
SPEC = sm.ModelSpec.from_lavaan("""
    QUAL =~ QUAL1 + QUAL2 + QUAL3; VAL =~ VAL1 + VAL2; SAT =~ SAT1 + SAT2 + SAT3
    IMAG =~ IMAG1 + IMAG2 + IMAG3; LOY =~ LOY1 + LOY2 + LOY3
    PERF =~ QUAL + VAL
    SAT ~ PERF + IMAG; LOY ~ SAT + IMAG + SAT:IMAG""")
FORMATIVE = sm.ModelSpec.from_lavaan("""
    QUAL =~ QUAL1 + QUAL2 + QUAL3; VAL =~ VAL1 + VAL2; SAT =~ SAT1 + SAT2 + SAT3
    LOY =~ LOY1 + LOY2 + LOY3
    PERF <~ QUAL + VAL
    SAT ~ PERF; LOY ~ SAT + SAT:SAT""")


def _fit(spec, boot=True, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sm.fit_pls(spec, DF, **kw)
        return res.bootstrap(n=100, seed=1, progress=False) if boot else res


def _readable(ax, path):
    assert plotting.overlapping_texts(ax) == []
    fig_box = ax.figure.bbox
    for text, box in plotting.text_boxes(ax):
        assert fig_box.x0 - 1 <= box.x0 and box.x1 <= fig_box.x1 + 1, f"{text!r} clipped"
        assert fig_box.y0 - 1 <= box.y0 and box.y1 <= fig_box.y1 + 1, f"{text!r} clipped"
    ax.figure.savefig(path, dpi=80)


def _x(ax, name):
    """x of the box whose first line is ``name``."""
    return next(t.get_position()[0] for t in ax.texts if t.get_text().split("\n")[0] == name)


@pytest.mark.parametrize("hoc", ["two_stage", "repeated_indicators", "embedded_two_stage"])
@pytest.mark.parametrize("items", [False, True])
def test_diagram_shows_the_model_as_written(hoc, items, tmp_path):
    res = _fit(SPEC, hoc=hoc, interaction="two_stage")
    ax = sm.plot_paths(res, ax=Figure(), items=items)
    _readable(ax, tmp_path / f"{hoc}-{items}.png")
    texts = [t.get_text() for t in ax.texts]
    assert not [t for t in texts if "SAT.IMAG" in t or "PERF." in t]  # no internal names
    first = [t.split("\n")[0] for t in texts]
    for name in ("QUAL", "VAL", "SAT", "IMAG", "LOY", "PERF", "SAT × IMAG"):
        assert name in first
    d = pathplot.diagram(res)
    assert d.kinds["PERF"] == "higher_order" and d.kinds["SAT:IMAG"] == "interaction"
    labels = {(s, t): lab for s, t, lab, _ in d.edges}
    paths = res.paths
    for row in paths.itertuples():  # every path of the table, under the user's names
        assert labels[(row.source, row.target)].startswith(f"{row.estimate:.2f}")
    outer = res.outer.set_index(["construct", "indicator"])
    for comp in ("QUAL", "VAL"):  # the higher-order construct's arrows to its components
        value = float(paths[(paths.source == "PERF") & (paths.target == comp)].estimate.iloc[0]
                      if hoc == "repeated_indicators" else outer.loading[("PERF", comp)])
        assert labels[("PERF", comp)].startswith(f"{value:.2f}")
    if not items:  # components left of PERF, the interaction term left of its target
        assert _x(ax, "QUAL") < _x(ax, "PERF") < _x(ax, "SAT")
        assert _x(ax, "SAT × IMAG") < _x(ax, "LOY")
    else:  # the components' items with their (first-stage) loadings
        loads = {t.split("\n")[0]: t.split("\n")[1] for t in texts
                 if t.split("\n")[0] in ("QUAL1", "VAL2")}
        fit = res if hoc == "repeated_indicators" else res.stages[0]
        o = fit.outer.set_index("indicator").loading
        assert loads == {"QUAL1": f"{o['QUAL1']:.2f}", "VAL2": f"{o['VAL2']:.2f}"}


def test_formative_hoc_and_quadratic_term(tmp_path):
    res = _fit(FORMATIVE, hoc="two_stage", interaction="product_indicator")
    ax = sm.plot_paths(res, ax=Figure(), labels="label")
    _readable(ax, tmp_path / "formative.png")
    d = pathplot.diagram(res)
    weights = res.outer.set_index(["construct", "indicator"]).weight
    edges = {(s, t): lab for s, t, lab, _ in d.edges}
    assert ("QUAL", "PERF") in edges and ("PERF", "QUAL") not in edges  # Mode B: formed by
    assert edges[("QUAL", "PERF")].startswith(f"{weights[('PERF', 'QUAL')]:.2f}")
    assert d.nodes["SAT:SAT"] == "SAT²"
    assert pathplot.diagram(res, labels="name").nodes["SAT:SAT"] == "SAT:SAT"


def test_dot_uses_the_users_names():
    res = _fit(SPEC, boot=False, hoc="two_stage", interaction="orthogonal")
    dot = sm.to_dot(res, items=True)
    assert "SAT.IMAG" not in dot and '"SAT:IMAG" -> "LOY"' in dot
    assert '"SAT:IMAG" [label="SAT × IMAG", fillcolor=' in dot
    # Mode A: the arrow points to the component, written reversed so QUAL ranks left of PERF
    assert '"QUAL" -> "PERF" [label="' in dot and "dir=back" in dot
    assert '"QUAL" -> "QUAL::QUAL1"' in dot  # the component's items


def test_bare_spec_with_extensions(tmp_path):
    ax = sm.plot_paths(SPEC, ax=Figure())
    _readable(ax, tmp_path / "spec.png")
    assert {"PERF", "SAT × IMAG"} <= {t.get_text() for t in ax.texts}
    assert '"PERF" -> "SAT"' in sm.to_dot(SPEC)


# ------------------------------------------------------------------ simple slopes plot
MOD = sm.ModelSpec.from_lavaan("X =~ x1 + x2; M =~ m1 + m2; Y =~ y1 + y2\nY ~ X + M + X:M")


@pytest.fixture(scope="module")
def moderated():
    rng = np.random.default_rng(4)
    n = 400
    x, m = rng.normal(size=(2, n))
    y = 0.1 * x + 0.3 * m + 0.35 * x * m + rng.normal(scale=0.8, size=n)
    cols = {}
    for name, v in (("x", x), ("m", m), ("y", y)):
        for k in (1, 2):
            cols[f"{name}{k}"] = v + rng.normal(scale=0.5, size=n)
    res = sm.fit_pls(MOD, pd.DataFrame(cols), interaction="two_stage")
    return res, res.bootstrap(n=200, seed=2, progress=False, tables=["paths"])


def test_slopes_plot_draws_the_fitted_slopes(moderated, tmp_path):
    res, boot = moderated
    fig = boot.plot_slopes("X", "M", fig=Figure())
    assert len(fig.axes) == 2
    p = dict(zip(boot.paths.source, boot.paths.estimate))
    lines = fig.axes[0].get_lines()
    for m, line in zip((-1.0, 0.0, 1.0), lines):  # y = (b_X + b_XM m) x + b_M m
        xs, ys = line.get_data()
        slope = (ys[-1] - ys[0]) / (xs[-1] - xs[0])
        assert abs(slope - (p["X"] + p["X:M"] * m)) < 1e-12
        assert abs(ys[0] - (slope * xs[0] + p["M"] * m)) < 1e-12
    points = boot.floodlight("X", "M").attrs["johnson_neyman"]
    assert points  # the effect of X changes sign within +-3 SD of M in these data
    vlines = [ln.get_xdata()[0] for ln in fig.axes[1].get_lines() if ln.get_linestyle() == "--"
              and len(ln.get_xdata())]
    assert np.allclose(sorted(vlines), points)
    labels = [t.get_text() for t in fig.axes[1].texts]
    assert labels == [f"{v:.2f}" for v in points]
    for ax in fig.axes:
        assert plotting.overlapping_texts(ax) == []
    fig.savefig(tmp_path / "slopes.png", dpi=80)
    # without a bootstrap: the slopes panel only; sm.plot_slopes is the same function
    assert len(sm.plot_slopes(res, "X", "M", fig=Figure()).axes) == 1


def test_slopes_plot_refuses_a_missing_term(moderated):
    with pytest.raises(sm.OptionError, match="no interaction term"):
        moderated[1].plot_slopes("M", "Y", fig=Figure())


def test_reports_use_the_users_names(tmp_path):
    """The HTML report (with its path diagram), the summary and the assessment of a staged
    fit name constructs as the user wrote them; no internal name of the last stage."""
    res = _fit(SPEC, hoc="repeated_indicators", interaction="product_indicator")
    sm.to_html(res, tmp_path / "r.html")
    html = (tmp_path / "r.html").read_text()
    assert "SAT.IMAG" not in html and "SAT:IMAG" in html and "hoc=repeated_indicators" in html
    assert "SAT.IMAG" not in res.summary()
    elements = res.assess().element.tolist()
    assert "SAT:IMAG: SAT1.IMAG1" in elements and not [e for e in elements if "SAT.IMAG" in e]
    assert "SAT:IMAG" in res.cross_loadings.columns
