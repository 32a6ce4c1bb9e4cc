"""Item scales declared in lavaan text (``# satmodel: NAME scale=MIN..MAX``), round-tripped."""

from __future__ import annotations

import pytest

import satmodel as sm

TEXT = """
EXPE =~ EXPE1 + EXPE2 + EXPE3   # satmodel: EXPE scale=1..10
SAT  =~ SAT1 + SAT2             # satmodel: SAT scale=-3..3
# satmodel: SAT2 scale=0.5..7.5
SAT ~ EXPE
"""


def test_construct_and_item_scales_are_read():
    spec = sm.ModelSpec.from_lavaan(TEXT)
    scales = {i.name: (i.scale_min, i.scale_max) for c in spec.constructs for i in c.indicators}
    assert scales == {"EXPE1": (1, 10), "EXPE2": (1, 10), "EXPE3": (1, 10),
                      "SAT1": (-3, 3), "SAT2": (0.5, 7.5)}  # the item directive wins


@pytest.mark.parametrize("name", sm.templates.names())
def test_every_template_round_trips_with_its_scales(name):
    spec = sm.templates.get(name)
    back = sm.ModelSpec.from_lavaan(spec.to_lavaan(), name=spec.name)
    got = [(i.name, i.scale_min, i.scale_max) for c in back.constructs for i in c.indicators]
    want = [(i.name, i.scale_min, i.scale_max) for c in spec.constructs for i in c.indicators]
    assert got == want


def test_index_from_lavaan_text_alone():
    """With scales declared in the text, a lavaan spec gets the template's index."""
    spec = sm.templates.ecsi()
    df = sm.datasets.load("ecsi_satisfaction")
    from_text = sm.fit_pls(sm.ModelSpec.from_lavaan(spec.to_lavaan()), df).index()
    assert from_text.round(10).equals(sm.fit_pls(spec, df).index().round(10))


@pytest.mark.parametrize("directive, match", [
    ("# satmodel: SAT scale=10..1", "MIN below MAX"),
    ("# satmodel: SAT scale=1-10", "scale=MIN..MAX"),
    ("# satmodel: SAT1 mode=B", "only scale"),
    ("# satmodel: NOPE scale=1..5", "no measurement statement"),
])
def test_bad_scale_directives(directive, match):
    with pytest.raises(sm.SpecError, match=match):
        sm.ModelSpec.from_lavaan("EXPE =~ EXPE1 + EXPE2\nSAT =~ SAT1 + SAT2\nSAT ~ EXPE\n" + directive)


def test_large_fixed_values_round_trip():
    """'+' separates lavaan terms, so an exponent is written without it (1e16, not 1e+16)."""
    spec = sm.ModelSpec.from_lavaan("A =~ a1 + 1.0578167614703049e16*a2\nB =~ b1 + b2\nB ~ A\n"
                                    "A ~~ 2.5e-300*B")
    assert sm.ModelSpec.from_lavaan(spec.to_lavaan()) == spec
