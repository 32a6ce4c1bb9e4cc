"""Higher-order constructs and interaction terms in the spec: lavaan text and JSON round
trips, and refusals that name the culprit (issue 14 part a)."""

from __future__ import annotations

import pytest

import satmodel as sm
from satmodel.errors import NotAvailableError, OptionError, SpecError
from satmodel.spec.staging import plan_for

TEXT = """
QUAL =~ QUAL1 + QUAL2 + QUAL3
VAL  =~ VAL1 + VAL2
SAT  =~ SAT1 + SAT2
IMAG =~ IMAG1 + IMAG2
LOY  =~ LOY1 + LOY2
PERF <~ QUAL + VAL
SAT  ~ PERF + IMAG
LOY  ~ SAT + IMAG + SAT:IMAG + IMAG:IMAG
"""


def test_lavaan_reads_higher_order_and_interactions():
    spec = sm.ModelSpec.from_lavaan(TEXT)
    assert spec.construct_names == ("QUAL", "VAL", "SAT", "IMAG", "LOY")
    (hoc,) = spec.higher_order
    assert (hoc.name, hoc.components, hoc.mode, hoc.common_factor) == ("PERF", ("QUAL", "VAL"), "B", False)
    assert spec.interactions == ("SAT:IMAG", "IMAG:IMAG")
    assert not spec.is_first_order
    reflective = sm.ModelSpec.from_lavaan(TEXT.replace("PERF <~", "PERF =~"))
    assert reflective.higher_order[0].mode == "A"


def test_round_trips():
    spec = sm.ModelSpec.from_lavaan(TEXT)
    assert sm.ModelSpec.from_lavaan(spec.to_lavaan()) == spec
    assert sm.ModelSpec.model_validate_json(spec.model_dump_json()) == spec
    unit = sm.ModelSpec.from_lavaan(TEXT + "# satmodel: PERF mode=unit\n")
    assert unit.higher_order[0].mode == "unit"
    assert sm.ModelSpec.from_lavaan(unit.to_lavaan()) == unit


@pytest.mark.parametrize("text, words", [
    ("A =~ a1 + a2; B =~ b1 + B2x; H =~ A + b9; B ~ H", "mixes constructs"),
    ("A =~ a1; B =~ b1; C =~ c1; H =~ A + B; C ~ H + A", "component of the higher-order"),
    ("A =~ a1; B =~ b1; C =~ c1; C ~ A + A:D", "'D' has no measurement statement"),
    ("A =~ a1; B =~ b1; B ~ A; A:B =~ a2", "left of"),
    ("A =~ a1; B =~ b1; C =~ c1; H =~ A + B; G =~ H + C; C ~ G", "higher-order"),
])
def test_refusals_name_the_culprit(text, words):
    with pytest.raises(SpecError, match=words):
        sm.ModelSpec.from_lavaan(text)


def test_fit_needs_a_method_and_refuses_what_it_cannot_do():
    spec = sm.ModelSpec.from_lavaan(TEXT)
    df = sm.datasets.load("ecsi_satisfaction")
    with pytest.raises(SpecError, match="hoc="):
        sm.fit_pls(spec, df, interaction="two_stage")
    with pytest.raises(OptionError, match="hoc"):
        sm.fit_pls(spec, df, hoc="three_stage", interaction="two_stage")
    with pytest.raises(NotAvailableError, match="PLSc"):
        sm.fit_pls(spec, df, hoc="two_stage", interaction="two_stage", consistent=True)
    with pytest.raises(NotAvailableError, match="third"):
        plan_for(sm.ModelSpec.from_lavaan(TEXT.replace("SAT:IMAG", "PERF:IMAG")), "two_stage",
                 "product_indicator")
    with pytest.raises(SpecError, match="'B' has no regression"):  # main effects are needed
        sm.ModelSpec.from_lavaan("A =~ a1; B =~ b1; C =~ c1; C ~ A + A:B")


def test_other_verbs_refuse_staged_models_by_name():
    import numpy as np

    spec = sm.ModelSpec.from_lavaan("A =~ IMAG1 + IMAG2; B =~ SAT1 + SAT2; C =~ LOY1 + LOY2\n"
                                    "C ~ A + B + A:B")
    df = sm.datasets.load("ecsi_satisfaction")
    with pytest.raises(NotAvailableError, match="fit_pls_moments"):
        sm.fit_pls_moments(spec, np.eye(6), n_obs=100)
    with pytest.raises(NotAvailableError, match="permutation_test"):
        sm.permutation_test(spec, df, "gender", n=10, interaction="two_stage")
    res = sm.fit_pls(spec, df, interaction="two_stage")
    for verb in ("predict", "fit_test", "index_weights", "score"):
        with pytest.raises(NotAvailableError, match=verb):
            getattr(res, verb)()
    with pytest.raises(NotAvailableError, match="by="):
        sm.fit_pls(spec, df, interaction="two_stage", by="gender")
