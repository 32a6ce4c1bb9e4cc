"""The 0-100 index of higher-order constructs (issue 14): a higher-order construct's score
is Σ_c v_c ξ_c with ξ_c = Σ_i w_ci z_i, so its item weights are the products v_c w_ci and
its index is the ordinary index with them. Checked three ways, none from our index output:
the product weights rebuild the fitted higher-order scores from the raw items (exact up
to rounding, 1e-12); a component's index is the ordinary first-order index of the stage
that measures it; with repeated indicators the index is that of the same model fitted as
an ordinary first-order model on copied item columns (the engine's and the index
module's own path; 1e-10 as both solve the same equations to convergence 1e-7 in the
same order, so only rounding differs), and so are its impacts and IPMA."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import satmodel as sm
from satmodel.errors import IndexWarning, NotAvailableError, OptionError
from satmodel.index import staged_index
from satmodel.spec import higher_order

DF = sm.datasets.load("ecsi_satisfaction")
SPEC = sm.ModelSpec.from_lavaan("""
    QUAL =~ QUAL1 + QUAL2 + QUAL3; VAL =~ VAL1 + VAL2; SAT =~ SAT1 + SAT2 + SAT3
    IMAG =~ IMAG1 + IMAG2 + IMAG3; LOY =~ LOY1 + LOY2 + LOY3
    PERF =~ QUAL + VAL
    SAT ~ PERF + IMAG; LOY ~ SAT + IMAG + SAT:IMAG""")
SCALE = (0, 10)  # the answer scale of ecsi_satisfaction (PROVENANCE.md)


def _fit(spec=SPEC, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sm.fit_pls(spec, DF, **kw)


@pytest.mark.parametrize("hoc", ["two_stage", "repeated_indicators", "embedded_two_stage"])
def test_product_weights_rebuild_the_fitted_hoc_scores(hoc):
    res = _fit(hoc=hoc, interaction="two_stage")
    w = staged_index.item_weights(res)
    for con in ("PERF", "QUAL", "SAT"):
        part = w[w.construct == con]
        X = DF[part.indicator].to_numpy(dtype=float)
        z = (X - X.mean(0)) / X.std(0, ddof=1)
        rebuilt = z @ part.weight.to_numpy()
        if con in res.scores:
            assert np.abs(rebuilt - res.scores[con].to_numpy()).max() < 1e-12, con
        assert abs(rebuilt.std(ddof=1) - 1.0) < 1e-12  # a PLS score has unit variance
    assert "SAT:IMAG" not in set(w.construct)  # a product has no item weights
    idx = res.index(scale=SCALE)
    assert idx.index.tolist() == ["QUAL", "VAL", "SAT", "IMAG", "LOY", "PERF", "SAT:IMAG"]
    assert idx.isna().tolist() == [False] * 6 + [True]
    if hoc != "repeated_indicators":  # components: the first stage's ordinary index
        first = res.stages[0].index(scale=SCALE)
        for comp in ("QUAL", "VAL"):
            assert abs(float(idx[comp]) - float(first[comp])) < 1e-10


def test_repeated_indicators_equal_an_ordinary_fit_of_the_copies():
    spec = sm.ModelSpec.from_lavaan("""
        QUAL =~ QUAL1 + QUAL2 + QUAL3; VAL =~ VAL1 + VAL2; SAT =~ SAT1 + SAT2 + SAT3
        PERF =~ QUAL + VAL
        SAT ~ PERF""")
    res = _fit(spec, hoc="repeated_indicators")
    first, cols = higher_order.repeated(spec)
    copies = DF.assign(**{c.name: DF[c.of[0]] for c in cols if c.name not in DF})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = sm.fit_pls(first, copies)
    ref = plain.index(scale=SCALE)
    got = res.index(scale=SCALE)
    for con in ("PERF", "QUAL", "VAL", "SAT"):
        assert abs(float(got[con]) - float(ref[con])) < 1e-10, con


def test_impacts_and_ipma_equal_an_ordinary_fit_of_the_copies():
    spec = sm.ModelSpec.from_lavaan("""
        QUAL =~ QUAL1 + QUAL2 + QUAL3; VAL =~ VAL1 + VAL2; SAT =~ SAT1 + SAT2 + SAT3
        IMAG =~ IMAG1 + IMAG2 + IMAG3; LOY =~ LOY1 + LOY2 + LOY3
        PERF =~ QUAL + VAL
        SAT ~ PERF + IMAG; LOY ~ SAT + IMAG""")
    res = _fit(spec, hoc="repeated_indicators")
    first, cols = higher_order.repeated(spec)
    copies = DF.assign(**{c.name: DF[c.of[0]] for c in cols if c.name not in DF})
    plain = sm.fit_pls(first, copies)
    a, b = res.impacts(scale=SCALE, per_points=5), plain.impacts(scale=SCALE, per_points=5)
    assert a[["source", "target"]].equals(b[["source", "target"]])
    assert np.abs(a.impact.to_numpy(float) - b.impact.to_numpy(float)).max() < 1e-10
    m, ref = res.ipma("LOY", scale=SCALE), plain.ipma("LOY", scale=SCALE)
    assert m.constructs.construct.tolist() == ref.constructs.construct.tolist()
    for col in ("importance", "performance"):
        assert np.abs(m.constructs[col].to_numpy() - ref.constructs[col].to_numpy()).max() < 1e-10
    survey = {c.name: c.of[0] for c in cols}  # PERF.QUAL1 -> QUAL1
    got = m.indicators.set_index(["construct", "indicator"]).importance
    want = ref.indicators.assign(indicator=ref.indicators.indicator.map(survey)) \
        .set_index(["construct", "indicator"]).importance
    assert np.abs(got.sort_index() - want.sort_index()).max() < 1e-10


def test_ipma_of_a_two_stage_model_with_an_interaction():
    res = _fit(hoc="two_stage", interaction="two_stage")
    m = res.ipma("LOY", scale=SCALE)
    assert set(m.constructs.construct) == {"SAT", "IMAG", "PERF"}  # no SAT:IMAG on the map
    perf_items = m.indicators[m.indicators.construct == "PERF"]
    assert sorted(perf_items.indicator) == ["QUAL1", "QUAL2", "QUAL3", "VAL1", "VAL2"]
    importance = float(m.constructs.set_index("construct").importance["PERF"])
    assert abs(perf_items.importance.sum() - importance) < 1e-12  # rescaled weights sum to 1
    imp = res.impacts("LOY", scale=SCALE)
    assert imp.set_index("source").impact.isna()["SAT:IMAG"]
    from matplotlib.figure import Figure
    from satmodel.index import plotting

    ax = m.plot(ax=Figure())  # the map draws with the user's names
    assert "PERF" in [t.get_text() for t in ax.texts] and plotting.overlapping_texts(ax) == []


def test_index_travels_in_the_json_record():
    res = _fit(hoc="two_stage", interaction="two_stage")
    back = sm.StagedPLSResult.from_json(res.to_json())  # no rows: the index needs none
    assert back.index(scale=SCALE).equals(res.index(scale=SCALE))


def test_index_refusals_and_missing_scales():
    res = _fit(hoc="two_stage", interaction="two_stage")
    with pytest.warns(IndexWarning, match="no declared scale"):
        assert res.index().isna().all()  # ecsi_satisfaction declares no scales
    with pytest.raises(NotAvailableError, match="per_respondent"):
        res.index(per_respondent=True)
    with pytest.raises(NotAvailableError, match="by="):
        res.index(by=DF["gender"], scale=SCALE)
    with pytest.raises(NotAvailableError, match="fit_metric"):
        res.index(fit_metric="raw", scale=SCALE)
    assert res.index(fit_metric="standardized", scale=SCALE).equals(res.index(scale=SCALE))
    with pytest.raises(OptionError, match="unknown index option"):
        res.index(scael=SCALE)
    with pytest.raises(OptionError, match="scale"):
        res.index(scale=(10, 0))
    with pytest.raises(OptionError, match="construct"):
        res.index("PREF", scale=SCALE)
    assert res.index(["PERF"], scale={"QUAL1": (0, 10), "QUAL2": (0, 10), "QUAL3": (0, 10),
                                       "VAL1": (0, 10), "VAL2": (0, 10)}).notna().all()
    with pytest.raises(NotAvailableError):
        res.index_weights()
    with pytest.raises(NotAvailableError, match="fit_metric"):
        res.ipma("LOY", scale=SCALE, fit_metric="raw")
    with pytest.raises(OptionError, match="unknown ipma option"):
        res.ipma("LOY", scael=SCALE)
    with pytest.raises(OptionError, match="construct"):
        res.impacts("LYO", scale=SCALE)
