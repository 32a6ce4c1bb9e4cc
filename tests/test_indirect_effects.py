"""res.indirect_effects on an ordinary first-order fit (issue 14: more than total indirect
effects): the specific chains must add up to the engine's indirect effects, which come
from (I - B)^-1 - I - B, an independent computation."""

from __future__ import annotations

import numpy as np
import pytest

import satmodel as sm

RES = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))


def test_specific_chains_add_up_to_the_effects_table():
    ind = RES.indirect_effects
    total = ind[ind.through == "(total)"].set_index(["source", "target"])
    eff = RES.effects.set_index(["source", "target"])
    eff = eff[eff.indirect.abs() > 0]
    assert set(total.index) == set(eff.index)
    np.testing.assert_allclose(total.loc[eff.index, "estimate"], eff.indirect, atol=1e-12)
    np.testing.assert_allclose(total.loc[eff.index, "total"], eff.total, atol=1e-12)
    # one chain by hand: IMAG -> EXPE -> QUAL (product of its two paths)
    p = RES.paths.set_index(["source", "target"]).estimate
    row = ind[(ind.source == "IMAG") & (ind.through == "EXPE") & (ind.target == "QUAL")]
    assert row.estimate.item() == pytest.approx(p["IMAG", "EXPE"] * p["EXPE", "QUAL"], abs=1e-15)


def test_after_a_bootstrap_each_chain_has_an_interval_and_a_type():
    with pytest.warns(sm.SatModelWarning, match="too few"):
        boot = RES.bootstrap(n=50, seed=1, progress=False)
    ind = boot.indirect_effects
    assert {"se", "ci_lower", "ci_upper", "type"} <= set(ind.columns)
    assert (ind.ci_lower <= ind.estimate).all() and (ind.estimate <= ind.ci_upper).all()
    assert ind.se.gt(0).all()
