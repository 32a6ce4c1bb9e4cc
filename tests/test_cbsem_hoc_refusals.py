"""What fit_cbsem refuses around higher-order constructs, each refusal naming the construct,
and the translation of a reflective second-order factor to semopy (no fitting needed)."""

from __future__ import annotations

import pytest

import satmodel as sm
from satmodel.cbsem.translate import cb_endogenous, latent_names, semopy_description

ITEMS = """
QUAL =~ EXPE1 + EXPE2 + EXPE3
VAL =~ VAL1 + VAL2 + VAL3
SAT =~ SAT1 + SAT2 + SAT3
"""


def _data():
    return sm.datasets.load("ecsi_satisfaction")


def test_formative_hoc_is_refused_naming_it():
    spec = sm.ModelSpec.from_lavaan(ITEMS + "PERF <~ QUAL + VAL\nSAT ~ PERF")
    with pytest.raises(sm.NotAvailableError, match=r"'PERF' \(mode B\)"):
        sm.fit_cbsem(spec, _data())


def test_interaction_term_is_refused_naming_it():
    spec = sm.ModelSpec.from_lavaan(ITEMS + "SAT ~ QUAL + VAL + QUAL:VAL")
    with pytest.raises(sm.NotAvailableError, match="'QUAL:VAL'"):
        sm.fit_cbsem(spec, _data())


def test_hoc_of_two_components_without_relations_is_not_identified():
    """A CFA with a two-component HOC and nothing else: 2 free second-order parameters for 1
    covariance of the components (under-identified); the message names the HOC."""
    spec = sm.ModelSpec.from_lavaan("QUAL =~ EXPE1 + EXPE2 + EXPE3\nVAL =~ VAL1 + VAL2 + VAL3\n"
                                    "PERF =~ QUAL + VAL")
    with pytest.raises(sm.SpecError, match="'PERF'"):
        sm.fit_cbsem(spec, _data())


def test_translation_of_a_second_order_factor():
    spec = sm.ModelSpec.from_lavaan(ITEMS + "PERF =~ QUAL + VAL\nSAT ~ PERF")
    assert latent_names(spec) == ("QUAL", "VAL", "SAT", "PERF")
    assert cb_endogenous(spec) == ("QUAL", "VAL", "SAT")
    text = semopy_description(spec)
    assert "PERF =~ QUAL + VAL\n" in text and "SAT ~ PERF\n" in text


def test_composite_component_is_refused():
    spec = sm.ModelSpec.from_lavaan("QUAL <~ EXPE1 + EXPE2 + EXPE3\nVAL =~ VAL1 + VAL2 + VAL3\n"
                                    "SAT =~ SAT1 + SAT2 + SAT3\nPERF =~ QUAL + VAL\nSAT ~ PERF")
    with pytest.raises(sm.SpecError, match="'QUAL'"):
        sm.fit_cbsem(spec, _data())


def test_outcome_covariances_with_a_hoc_outcome_are_refused_naming_it():
    """lavaan frees PERF ~~ SAT here (both pure outcomes; checked with lavaan 0.6-14's
    lavNames(fit, "lv.y") = SAT, PERF); a spec cannot hold a HOC covariance, so refuse."""
    spec = sm.ModelSpec.from_lavaan("IMAG =~ IMAG1 + IMAG2 + IMAG3\n" + ITEMS
                                    + "PERF =~ QUAL + VAL\nPERF ~ IMAG\nSAT ~ IMAG")
    with pytest.raises(sm.NotAvailableError, match="'PERF'"):
        sm.fit_cbsem(spec, _data(), outcome_covariances=True)
