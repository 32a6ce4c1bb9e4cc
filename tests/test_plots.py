"""Plots render, put every label inside the figure and let no two texts overlap (rendered
bounding boxes, not pixel snapshots); the path diagram's layout follows the structure.

Figures are drawn on bare matplotlib Figures (Agg), and saved as PNGs in the tmp dir.
"""

from __future__ import annotations

import warnings

import pytest

import satmodel as sm
from satmodel.index import plotting
from satmodel.report import graph, pathplot

from _simulate import BIG, simulate

mpl = pytest.importorskip("matplotlib")
from matplotlib.figure import Figure  # noqa: E402


def _fit(spec, data=None, n=100):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = sm.fit_pls(spec, simulate(spec) if data is None else data)
        return res.bootstrap(n=n, seed=1, progress=False)


@pytest.fixture(scope="module")
def ecsi():
    return _fit(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"), n=200)


@pytest.fixture(scope="module")
def mobi():
    return sm.fit_pls(sm.templates.ecsi_mobile(), sm.datasets.load("ecsi_mobi"))


def _readable(ax, path):
    """No overlapping texts, every text inside the figure; saves the PNG."""
    assert plotting.overlapping_texts(ax) == []
    fig_box = ax.figure.bbox
    for text, box in plotting.text_boxes(ax):
        assert box.x0 >= fig_box.x0 - 1 and box.x1 <= fig_box.x1 + 1, f"{text!r} clipped"
        assert box.y0 >= fig_box.y0 - 1 and box.y1 <= fig_box.y1 + 1, f"{text!r} clipped"
    ax.figure.savefig(path, dpi=80)
    assert path.stat().st_size > 5_000


def _columns_follow_structure(res, ax):
    nodes = pathplot.diagram(res).nodes
    x = {c: next(t.get_position()[0] for t in ax.texts if t.get_text() == text)
         for c, text in nodes.items()}
    for p in res.spec.paths:  # every arrow runs left to right
        assert x[p.source] < x[p.target], (p.source, p.target)


@pytest.mark.parametrize("model", ["ecsi", "acsi", "big15"])
@pytest.mark.parametrize("items", [False, True])
def test_path_diagram_is_readable(model, items, ecsi, tmp_path):
    res = ecsi if model == "ecsi" else _fit(
        sm.templates.acsi() if model == "acsi" else sm.ModelSpec.from_lavaan(BIG))
    if model == "big15":
        assert len(res.constructs) == 15
    ax = sm.plot_paths(res, ax=Figure(), items=items)
    _readable(ax, tmp_path / f"{model}-{items}.png")
    texts = [t.get_text() for t in ax.texts]
    nodes = pathplot.diagram(res).nodes
    assert set(nodes.values()) <= set(texts)
    for con, r2 in res.r2.items():  # R² in every endogenous node
        assert nodes[con].endswith(f"R² = {r2:.2f}")
    if items:
        assert sum(t.split("\n")[0] in res.indicators for t in texts) == len(res.indicators)
    if not items:
        _columns_follow_structure(res, ax)


def test_layout_exogenous_left_outcomes_right():
    spec = sm.ModelSpec.from_lavaan(BIG)
    edges = [(p.source, p.target) for p in spec.paths]
    pos = graph.layout(spec.construct_names, edges)
    exo = [c for c in spec.construct_names if not spec.predecessors(c)]
    assert max(pos[c][0] for c in exo) < min(pos[c][0] for c in spec.endogenous)
    assert all(pos[s][0] < pos[t][0] for s, t in edges)
    assert {pos[c][0] for c in ("WOM", "CHURN")} == {max(x for x, _ in pos.values())}


def test_spec_only_diagram_and_dot(ecsi, tmp_path):
    ax = sm.plot_paths(sm.templates.ecsi(), ax=Figure())
    _readable(ax, tmp_path / "spec.png")
    dot = sm.to_dot(ecsi, items=True)
    assert dot.startswith('digraph "ecsi" {') and dot.rstrip().endswith("}")
    for p in ecsi.spec.paths:
        assert f'"{p.source}" -> "{p.target}"' in dot
    assert "rank=same" in dot and '"IMAG" -> "IMAG::IMAG1"' in dot
    d = sm.templates.ecsi().model_dump()
    d["constructs"][0]["label"] = 'say "hi" \\ now'
    dot = sm.to_dot(sm.ModelSpec.model_validate(d))
    assert 'label="say \\"hi\\" \\\\ now"' in dot


@pytest.mark.parametrize("level", ["construct", "indicator"])
def test_ipma_plot_is_readable(level, mobi, tmp_path):
    m = mobi.ipma("Loyalty")
    ax = m.plot(level=level, ax=Figure(), labels={"Loyalty": "Customer loyalty"})
    _readable(ax, tmp_path / f"ipma-{level}.png")
    table = m.constructs if level == "construct" else m.indicators
    shown = {t.get_text() for t in ax.texts}
    names = table["construct" if level == "construct" else "indicator"]
    labels = {c.name: c.label for c in mobi.spec.constructs if c.label} \
        if level == "construct" else {}
    assert {labels.get(n, n) for n in names} <= shown
    assert "Customer loyalty" in ax.get_xlabel()
    # the quadrant captions sit off the points
    points = ax.transData.transform(table[["importance", "performance"]].to_numpy(float))
    captions = [b for t, b in plotting.text_boxes(ax) if t in ("Keep up", "Improve first",
                                                              "Lower priority", "Maintain")]
    assert len(captions) == 4
    assert not any(b.contains(x, y) for b in captions for x, y in points)


def test_ipma_plot_uses_spec_labels_when_given(ecsi):
    m = ecsi.ipma("LOY")
    ax = m.plot(ax=Figure(), labels={c.name: c.label for c in ecsi.spec.constructs})
    assert {"Image", "Satisfaction"} <= {t.get_text() for t in ax.texts}


def test_ipma_plot_shows_spec_labels_by_default(mobi, tmp_path):
    """res.ipma(...).plot() with no labels= shows the constructs' labels, not their codes."""
    m = mobi.ipma("Loyalty")
    assert m.labels == {c.name: c.label for c in mobi.spec.constructs if c.label}
    ax = m.plot(ax=Figure())
    shown = {t.get_text() for t in ax.texts}
    assert {m.labels[c] for c in m.constructs["construct"]} <= shown
    assert not set(m.constructs["construct"]) & shown
    assert "Customer loyalty" in ax.get_xlabel()
    _readable(ax, tmp_path / "ipma-default-labels.png")


def test_ipma_chinese_captions(mobi, monkeypatch):
    font = plotting.cjk_font()
    if font is not None:
        ax = mobi.ipma("Loyalty").plot(ax=Figure(), chinese=True)
        assert any("优势区" in t.get_text() for t in ax.texts)
    monkeypatch.setattr("satmodel.index.ipma_plot.cjk_font", lambda: None)
    with pytest.warns(sm.SatModelWarning, match="fonts-noto-cjk"):
        ax = mobi.ipma("Loyalty").plot(ax=Figure(), chinese=True)
    assert not any("优势区" in t.get_text() for t in ax.texts)
    assert any(t.get_text() == "Keep up" for t in ax.texts)


def test_diagram_of_a_group_result_says_which_group():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"), by="gender")
    with pytest.raises(sm.OptionError, match="one group"):
        pathplot.diagram(g)
    assert pathplot.diagram(g[g.keys.iloc[0, 0]]).edges


def test_bootstrap_panels_match_the_table(ecsi, tmp_path):
    fig = sm.plot_bootstrap(ecsi, fig=Figure(), level=0.9)
    assert len(fig.axes) == len(ecsi.paths)
    ref = ecsi.conf_int(level=0.9).paths
    for ax, row in zip(fig.axes, ref.itertuples()):
        span = next(p for p in ax.patches if p.get_alpha() == 0.12)  # the interval
        x0, x1 = span.get_x(), span.get_x() + span.get_width()
        assert abs(x0 - row.ci_lower) < 1e-12 and abs(x1 - row.ci_upper) < 1e-12
        assert ax.get_title().startswith(f"{row.source} -> {row.target}")
    fig.savefig(tmp_path / "boot.png", dpi=60)
    with pytest.raises(sm.OptionError, match="bootstrap"):
        sm.plot_bootstrap(sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction")))


def test_index_by_group(tmp_path):
    df = sm.datasets.load("ecsi_satisfaction")
    res = sm.fit_pls(sm.templates.ecsi(), df)
    table = res.index(by=df["gender"])
    ax = sm.plot_index(table, "LOY", ax=Figure())
    shown = [t.get_text() for t in ax.get_yticklabels()]
    part = table[table.construct == "LOY"].sort_values("index")
    assert shown == part["group"].tolist()
    assert len(ax.collections) >= 2  # intervals and points
    ax.figure.savefig(tmp_path / "index.png", dpi=60)
