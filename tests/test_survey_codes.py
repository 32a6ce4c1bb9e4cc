"""Survey codes are never used as data silently (issue 11 part 1).

The corporate-reputation data (Hair et al. 2021) code "missing" as -99. Fitted from a
spec without declared scales and without ``na_values``, the first version ran silently
(loading of cusl_1 -0.0023, R²(CUSA) 0.0155 instead of the book's 0.8328 / 0.2919); now
the fit stops naming the item, the value, its count and both ways out, and either way
out reproduces the book's numbers (tests/oracles/corp_rep_hair2021).
"""

from __future__ import annotations

import numpy as np
import pytest

import satmodel as sm
from _oracles import corp_rep_data  # noqa: F401 (module fixture "data")
from _oracles import CORP_REP_SEMINR as SEMINR, CORP_REP_SIMPLE as SIMPLE, corp_rep_oracle
from _oracles import corp_rep_spec, without_scales
from satmodel.survey.codes import looks_like_codes

ATOL = 5e-4 + 1e-6  # half a unit in the book's printed 3rd decimal (oracle README)


def test_undeclared_codes_stop_the_fit_naming_item_value_count_and_ways_out(data):
    spec = without_scales(corp_rep_spec(SIMPLE))
    with pytest.raises(sm.DataError) as err:
        sm.fit_pls(spec, data, missing="mean")
    text = str(err.value)
    n_codes = int((data["cusl_1"] == -99).sum())
    assert "cusl_1" in text and f"-99 ({n_codes}x)" in text
    assert "na_values=[-99]" in text and "scales=" in text and "scale=MIN..MAX" in text


def test_both_ways_out_work(data):
    spec = without_scales(corp_rep_spec(SIMPLE))
    res = sm.fit_pls(spec, data, missing="mean", na_values=-99, **SEMINR)
    book = corp_rep_oracle("simple_model.json")["paths_and_r2"]["R^2"]
    for construct, value in book.items():
        assert abs(res.r2[construct] - value) <= ATOL
    items = [i for i in spec.indicator_names]
    declared = sm.fit_pls(spec, data, missing="mean", scales=dict.fromkeys(items, (-99, 7)),
                          **SEMINR)  # -99 declared a real answer: fitted as data, as asked
    assert declared.spec.constructs[0].indicators[0].scale_min == -99


def test_lavaan_text_declares_scales_too(data):
    text = "\n".join(f"# satmodel: {i} scale=1..7" for i in corp_rep_spec(SIMPLE).indicator_names)
    spec = sm.ModelSpec.from_lavaan(without_scales(corp_rep_spec(SIMPLE)).to_lavaan() + text)
    with pytest.raises(sm.DataError, match=r"outside its scale 1-7 \(-99"):
        sm.fit_pls(spec, data, missing="mean")


@pytest.mark.parametrize("values, codes", [
    ([1, 5, 7, 3, -99, 4, 2, 6], [-99]),
    ([1, 2, 3, 7, 9, 4, 5, 6], [9]),
    ([1, 2, 3, 4, 5, 999, 3, 4], [999]),
    ([0, 5, 10, 3, -1, 8, 7, 6], [-1]),
    ([1, 2, 3, 4, 5, 98, 99, 2], [98, 99]),
    ([-3, -2, -1, 0, 1, 2, 3], []),         # a bipolar scale
    ([0, 9, 10, 3, 9, 5], []),              # 9 inside a 0-10 scale
    (list(range(101)), []),                 # 0-100 ratings
    ([1.5, 2.5, -99], []),                  # not integer-valued: no claim
    ([1, 2, 7, 8], []),                     # 8 next to 7: maybe a 1-8 scale
    ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], []),  # a 1-10 scale
])
def test_code_heuristic(values, codes):
    rng = np.random.default_rng(0)
    answers = np.array([v for v in values if v not in codes] * 10, dtype=float)
    sample = np.concatenate([answers, np.array(codes, dtype=float)])  # codes are rare
    assert looks_like_codes(rng.permutation(sample)) == codes
    assert looks_like_codes(np.array(values, dtype=float)) == []  # too few answers to judge


def test_shipped_data_have_no_false_alarm():
    for name, spec in (("ecsi_satisfaction", sm.templates.ecsi()),
                       ("ecsi_mobi", sm.templates.ecsi_mobile())):
        sm.fit_pls(without_scales(spec), sm.datasets.load(name))


def test_index_refuses_a_scale_narrower_than_the_data():
    res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
    with pytest.raises(sm.OptionError, match="IMAG1.*outside"):
        res.index(scale={"IMAG1": (1, 5)})


def test_frequent_values_are_not_called_codes():
    values = np.array([-99.0] * 15 + [1, 2, 3, 4, 5] * 5)  # 37 % of answers: a real value
    assert looks_like_codes(values) == []
