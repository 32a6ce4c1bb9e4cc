"""Spec text never reaches a terminal or a page raw (issue 11 part 5): control codes are
refused at the spec, HTML is escaped in the notebook view."""

from __future__ import annotations

import pytest

import satmodel as sm

SPEC = sm.templates.ecsi()
DF = sm.datasets.load("ecsi_satisfaction")


@pytest.mark.parametrize("field, value", [
    ("name", "bank\x1b[31m red"), ("label", "bell\x07"), ("source", "rtl \u202e txt"),
    ("label", "nul\x00"), ("name", "c1\x9b"),
])
def test_control_characters_are_refused(field, value):
    with pytest.raises(sm.SpecError, match=f"ModelSpec.{field}.*control"):
        sm.ModelSpec.model_validate(SPEC.model_copy(update={field: value}).model_dump())


def test_item_wording_with_control_codes_is_refused():
    data = SPEC.model_dump()
    data["constructs"][0]["indicators"][0]["wording"] = "rate us\x1b[2J"
    with pytest.raises(sm.SpecError, match="control"):
        sm.ModelSpec.model_validate(data)


def test_html_in_names_and_labels_is_escaped():
    spec = sm.ModelSpec.model_validate(SPEC.model_copy(update={
        "name": "<script>alert(1)</script>", "label": "<img src=x onerror=alert(1)>"}).model_dump())
    page = sm.fit_pls(spec, DF)._repr_html_()
    assert "<script>" not in page and "<img" not in page
    assert "&lt;script&gt;" in page


def test_ipma_target_name_is_escaped_in_the_notebook_view():
    # '<' and '>' are refused in names; '&' is allowed and must reach the page escaped.
    spec = sm.ModelSpec.model_validate_json(SPEC.model_dump_json().replace('"LOY"', '"L&Y"'))
    page = sm.fit_pls(spec, DF).ipma("L&Y")._repr_html_()
    assert "<b>L&Y</b>" not in page and "<b>L&amp;Y</b>" in page
