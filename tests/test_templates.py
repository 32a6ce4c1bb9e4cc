"""Template models: structure as published, items present in the shipped data, JSON round trip."""

from __future__ import annotations

import pytest

from satmodel import datasets, templates
from satmodel.errors import SatModelError, SpecError
from satmodel.spec import ModelSpec

# Inner model of plspm's `satisfaction` example (path matrix of ?plspm).
ECSI_PATHS = {
    ("IMAG", "EXPE"), ("EXPE", "QUAL"), ("EXPE", "VAL"), ("QUAL", "VAL"),
    ("IMAG", "SAT"), ("EXPE", "SAT"), ("QUAL", "SAT"), ("VAL", "SAT"),
    ("IMAG", "LOY"), ("SAT", "LOY"),
}
ECSI_BLOCKS = {
    "IMAG": [f"IMAG{i}" for i in range(1, 6)],
    "EXPE": [f"EXPE{i}" for i in range(1, 6)],
    "QUAL": [f"QUAL{i}" for i in range(1, 6)],
    "VAL": [f"VAL{i}" for i in range(1, 5)],
    "SAT": [f"SAT{i}" for i in range(1, 5)],
    "LOY": [f"LOY{i}" for i in range(1, 5)],
}
# Model of reference_outputs/ecsi_mobi_smartpls2/spec.json (SmartPLS 2 / semPLS),
# Tenenhaus et al. (2005).
MOBILE_PATHS = {
    ("Image", "Expectation"), ("Image", "Satisfaction"), ("Image", "Loyalty"),
    ("Expectation", "Quality"), ("Expectation", "Value"), ("Expectation", "Satisfaction"),
    ("Quality", "Value"), ("Quality", "Satisfaction"), ("Value", "Satisfaction"),
    ("Satisfaction", "Complaints"), ("Satisfaction", "Loyalty"), ("Complaints", "Loyalty"),
}
MOBILE_BLOCKS = {
    "Image": ["IMAG1", "IMAG2", "IMAG3", "IMAG4", "IMAG5"],
    "Expectation": ["CUEX1", "CUEX2", "CUEX3"],
    "Quality": ["PERQ1", "PERQ2", "PERQ3", "PERQ4", "PERQ5", "PERQ6", "PERQ7"],
    "Value": ["PERV1", "PERV2"],
    "Satisfaction": ["CUSA1", "CUSA2", "CUSA3"],
    "Complaints": ["CUSCO"],
    "Loyalty": ["CUSL1", "CUSL2", "CUSL3"],
}
CASES = {
    # template: (data set, blocks, paths, scale)
    "ecsi": ("ecsi_satisfaction", ECSI_BLOCKS, ECSI_PATHS, (0, 10)),
    "ecsi_mobile": ("ecsi_mobi", MOBILE_BLOCKS, MOBILE_PATHS, (1, 10)),
}


def _indicators(spec):
    return [ind for c in spec.constructs for ind in c.indicators]


# templates without a shipped data set (issue 6); checked in tests/test_csi_templates.py
LITERATURE = ("acsi", "acsi_product_service", "acsi_government", "epsi", "ccsi", "scsb", "ncsb")


def test_names():
    assert templates.names() == ("ecsi", "ecsi_mobile") + LITERATURE
    assert set(CASES) | set(LITERATURE) == set(templates.names())


@pytest.mark.parametrize("name", templates.names())
def test_get_returns_new_equal_spec(name):
    a = templates.get(name)
    b = getattr(templates, name)()
    assert isinstance(a, ModelSpec)
    assert a == b
    assert a.name == name


def test_get_unknown_suggests():
    with pytest.raises(SpecError) as info:
        templates.get("ecsi_mobil")
    msg = str(info.value)
    assert "'ecsi_mobil'" in msg and "Did you mean 'ecsi_mobile'?" in msg
    assert "Available templates: ecsi, ecsi_mobile" in msg
    assert isinstance(info.value, SatModelError)
    with pytest.raises(SpecError, match="Available templates"):
        templates.get(None)


@pytest.mark.parametrize("name", list(CASES))
def test_structure(name):
    _, blocks, paths, _ = CASES[name]
    spec = templates.get(name)
    assert list(spec.construct_names) == list(blocks)
    assert {k: list(v) for k, v in spec.blocks.items()} == blocks
    assert list(spec.indicator_names) == [i for items in blocks.values() for i in items]
    assert {(p.source, p.target) for p in spec.paths} == paths
    assert len(spec.paths) == len(paths)
    assert all(p.expected_sign == "+" for p in spec.paths)
    assert all(c.mode == "A" for c in spec.constructs)
    assert all(c.label for c in spec.constructs)
    assert spec.source and spec.label


@pytest.mark.parametrize("name", list(CASES))
def test_indicators_exist_in_dataset_and_fit_the_scale(name):
    dataset, _, _, (low, high) = CASES[name]
    spec = templates.get(name)
    df = datasets.load(dataset)
    missing = set(spec.indicator_names) - set(df.columns)
    assert not missing
    for ind in _indicators(spec):
        assert (ind.scale_min, ind.scale_max) == (low, high), ind.name
        assert low <= df[ind.name].min() and df[ind.name].max() <= high, ind.name


@pytest.mark.parametrize("name", templates.names())
def test_json_round_trip(name):
    spec = templates.get(name)
    text = spec.model_dump_json()
    back = ModelSpec.model_validate_json(text)
    assert back == spec
    assert back.model_dump_json() == text


def test_ecsi_wording():
    spec = templates.ecsi()
    wording = {i.name: i.wording for i in _indicators(spec)}
    assert wording["IMAG1"] == "reputation"
    assert wording["IMAG5"] == "caring about customer's needs"
    assert wording["VAL3"] == "quality relative to price"
    assert wording["SAT4"] == "performance relative to customer's ideal bank"
    assert wording["LOY3"] == "intention to recommend the bank to friends"
    # the source lists four topics for five EXPE / QUAL items: no per-item wording
    assert all(wording[f"EXPE{i}"] is None for i in range(1, 6))
    assert all(wording[f"QUAL{i}"] is None for i in range(1, 6))
    labels = {c.name: c.label for c in spec.constructs}
    assert labels["SAT"] == "Satisfaction" and labels["IMAG"] == "Image"


def test_ecsi_mobile_wording_and_source():
    spec = templates.ecsi_mobile()
    wording = {i.name: i.wording for i in _indicators(spec)}
    assert all(wording.values()), "every mobi item has documented wording"
    assert wording["CUSA1"] == "overall satisfaction"
    assert wording["PERQ2"] == "technical quality of the network"
    assert wording["PERV1"].startswith("given the quality")
    assert "complaint was handled" in wording["CUSCO"]
    assert "Tenenhaus" in spec.source and "48:159-205" in spec.source


def test_predecessors_follow_paths():
    spec = templates.ecsi_mobile()
    assert set(spec.predecessors("Loyalty")) == {"Image", "Satisfaction", "Complaints"}
    assert set(spec.predecessors("Image")) == set()
    assert set(spec.endogenous) == {
        "Expectation", "Quality", "Value", "Satisfaction", "Complaints", "Loyalty"
    }
