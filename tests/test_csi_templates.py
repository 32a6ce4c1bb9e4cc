"""Index-body templates (issue 6): structure, lavaan round trip, column mapping; the
templates matching shipped data fit them and print an index."""

from __future__ import annotations

import warnings

import pytest

import satmodel as sm
from satmodel import templates

LITERATURE = {  # name: (constructs, indicators, paths) as listed in the source files
    "acsi": (6, 14, 9),
    "acsi_product_service": (7, 17, 12),
    "acsi_government": (8, 20, 8),
    "epsi": (8, 24, 15),
    "ccsi": (6, 15, 12),
    "scsb": (5, 11, 6),
    "ncsb": (12, 36, 15),
}


@pytest.mark.parametrize("name", list(LITERATURE))
def test_structure_and_lavaan_round_trip(name):
    spec = templates.get(name)
    n_con, n_ind, n_paths = LITERATURE[name]
    assert (len(spec.constructs), len(spec.indicator_names), len(spec.paths)) == (n_con, n_ind, n_paths)
    assert spec.source and spec.label and all(c.label for c in spec.constructs)
    assert all(c.mode == "A" for c in spec.constructs)
    back = sm.ModelSpec.from_lavaan(spec.to_lavaan())
    assert back.blocks == spec.blocks
    assert [(p.source, p.target) for p in back.paths] == [(p.source, p.target) for p in spec.paths]
    assert sm.ModelSpec.model_validate_json(spec.model_dump_json()) == spec


def test_acsi_signs_and_scales():
    spec = templates.acsi()
    signs = {(p.source, p.target): p.expected_sign for p in spec.paths}
    assert signs[("SAT", "COMP")] == "-" and signs[("COMP", "LOY")] is None
    assert signs[("EXP", "QUAL")] == "+"
    items = {i.name: i for c in spec.constructs for i in c.indicators}
    assert (items["SAT1"].scale_min, items["SAT1"].scale_max) == (1, 10)
    assert (items["COMP1"].scale_min, items["COMP1"].scale_max) == (0, 1)
    assert items["LOY2"].scale_min is None  # price tolerance: a percentage


def test_ccsi_chinese_wording_and_configurable_path():
    spec = templates.ccsi()
    labels = {c.name: c.label for c in spec.constructs}
    assert labels["IMAGE"].startswith("品牌形象") and labels["LOY"].startswith("顾客忠诚")
    assert spec.construct("SAT").indicators[0].wording.startswith("总体满意度")
    assert len(templates.ccsi(omit=("IMAGE", "PQ")).paths) == 11
    with pytest.raises(sm.SpecError, match="candidate paths"):
        templates.ccsi(omit=("SAT", "IMAGE"))


def test_epsi_without_complaints():
    spec = templates.epsi(complaints=False)
    assert "COMP" not in spec.construct_names and len(spec.paths) == 13


def test_rename_items_maps_user_columns():
    spec = templates.rename_items(templates.acsi(), {"SAT1": "q_overall", "SAT3": "q_ideal"})
    assert spec.blocks["SAT"] == ("q_overall", "SAT2", "q_ideal")
    assert spec.construct("SAT").indicators[0].wording == "overall satisfaction"
    assert spec.construct("SAT").indicators[0].scale_max == 10
    with pytest.raises(sm.SpecError, match="SAT9"):
        templates.rename_items(templates.acsi(), {"SAT9": "x"})


@pytest.mark.parametrize("name, dataset", [("ecsi", "ecsi_satisfaction"), ("ecsi_mobile", "ecsi_mobi")])
def test_templates_fit_their_data_and_print_an_index(name, dataset):
    spec = templates.get(name)
    with warnings.catch_warnings():
        warnings.simplefilter("error", sm.SatModelWarning)  # all signs as expected, no NA index
        res = sm.fit_pls(spec, sm.datasets.load(dataset))
        index = res.index()
    assert list(index.index) == list(spec.construct_names)
    assert ((index > 0) & (index < 100)).all()
    text = index.round(1).to_string()
    assert "Satisfaction" in text or "SAT" in text


def test_bootstrap_with_missing_data_and_weights_runs():
    df = sm.datasets.load("ecsi_mobi").copy()
    df.loc[[1, 5, 9], "CUSA2"] = -99
    res = sm.fit_pls(templates.ecsi_mobile(), df, na_values=-99, missing="mean",
                     weights=[1.0, 2.0] * 125)
    boot = res.bootstrap(n=20, seed=1, progress=False)
    assert boot.paths["se"].notna().all()
