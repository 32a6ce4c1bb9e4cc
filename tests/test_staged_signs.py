"""Expected signs survive the spec transforms of interaction and higher-order fits (before,
the rebuilt stage specs dropped them, so a wrong-signed path went unreported)."""

from __future__ import annotations

import pytest

import satmodel as sm

DF = sm.datasets.load("ecsi_satisfaction")


def _spec(signs):
    text = sm.templates.ecsi().to_lavaan().replace("LOY  ~ IMAG + SAT", "LOY ~ IMAG + SAT + SAT:IMAG")
    data = sm.ModelSpec.from_lavaan(text).model_dump()
    for p in data["paths"]:
        p["expected_sign"] = signs.get((p["source"], p["target"]))
    return sm.ModelSpec.model_validate(data)


@pytest.mark.parametrize("how", ["two_stage", "product_indicator", "orthogonal"])
def test_a_wrong_signed_path_is_reported_in_an_interaction_fit(how):
    # SAT -> LOY is clearly positive on these data (about 0.47-0.49 under each approach)
    spec = _spec({("SAT", "LOY"): "-"})
    with pytest.warns(sm.SignWarning, match="SAT -> LOY"):
        res = sm.fit_pls(spec, DF, interaction=how)
    assert [d.names for d in res.diagnostics if d.code == "sign"] == [("SAT -> LOY",)]


def test_a_right_signed_interaction_term_is_not_reported():
    spec = _spec({("SAT", "LOY"): "+", ("SAT:IMAG", "LOY"): "+"})
    res = sm.fit_pls(spec, DF, interaction="two_stage")
    assert res.paths.set_index("source").loc["SAT:IMAG", "estimate"] > 0
    assert "sign" not in [d.code for d in res.diagnostics]


def test_options_are_checked_on_every_route():
    # Before: an interaction fit returned before standardize= was checked.
    with pytest.raises(sm.OptionError, match="standardize"):
        sm.fit_pls(_spec({}), DF, interaction="two_stage", standardize="bogus")
