"""Mediation (issue 14 part 3): specific and total indirect effects against closed forms,
and the Zhao, Lynch & Chen (2010) type of each in a population built to be of that type."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import satmodel as sm
from satmodel.assess.mediation import TOTAL, chains, indirect_effects, mediation_type

SPEC = sm.ModelSpec.from_lavaan("X =~ x; M =~ m; Y =~ y; M ~ X; Y ~ X + M")


def _exact_rows(R: np.ndarray, n: int, seed: int) -> pd.DataFrame:
    """n rows whose sample correlation matrix is exactly R (whitened, then coloured)."""
    Z = np.random.default_rng(seed).normal(size=(n, R.shape[0]))
    Z -= Z.mean(axis=0)
    Z = Z @ np.linalg.inv(np.linalg.cholesky(np.cov(Z, rowvar=False)).T)
    return pd.DataFrame(Z @ np.linalg.cholesky(R).T, columns=["x", "m", "y"])


def _population(a: float, b: float, c: float) -> np.ndarray:
    """Correlations of standardized X, M = aX + e, Y = cX + bM + e."""
    r_xy = c + a * b
    r_my = b + a * c
    return np.array([[1, a, r_xy], [a, 1, r_my], [r_xy, r_my, 1.0]])


def test_indirect_effect_is_the_product_of_the_paths_closed_form():
    a, b, c = 0.5, 0.4, 0.2
    res = sm.fit_pls_moments(SPEC, _population(a, b, c), n_obs=500)
    out = indirect_effects(res)
    row = out[out.through == "M"].iloc[0]
    # single items: the paths are the population regression coefficients, exactly
    assert abs(row.estimate - a * b) < 1e-12 and abs(row.direct - c) < 1e-12
    assert abs(row.total - (c + a * b)) < 1e-12


def test_total_indirect_equals_the_engines_effects_table():
    res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
    out = indirect_effects(res)
    totals = out[out.through == TOTAL].merge(res.effects, on=["source", "target"])
    # (I - B)^-1 - I - B in the engine vs sums of chain products here: rounding only
    assert len(totals) == (res.effects.indirect.abs() > 0).sum()
    assert np.abs(totals.estimate - totals.indirect).max() < 1e-12


def test_chains_enumerate_every_route():
    found = chains([("X", "M1"), ("M1", "M2"), ("M2", "Y"), ("X", "M2"), ("X", "Y")])
    assert ("X", ("M1", "M2"), "Y") in found and ("X", ("M2",), "Y") in found
    assert ("X", ("M1",), "M2") in found and ("M1", ("M2",), "Y") in found and len(found) == 4


@pytest.mark.parametrize("a, b, c, expected", [
    (0.5, 0.5, 0.3, "complementary"),
    (0.5, 0.5, -0.4, "competitive"),
    (0.5, 0.5, 0.0, "indirect-only"),
    (0.0, 0.5, 0.5, "direct-only"),
    (0.0, 0.0, 0.0, "no-effect"),
])
def test_each_mediation_type(a, b, c, expected):
    # rows with exactly the population correlations: zero effects are exactly 0, nonzero
    # ones far from 0 (n = 400: se about 0.05), so every interval decides the same way
    df = _exact_rows(_population(a, b, c), 400, seed=11)
    boot = sm.fit_pls(SPEC, df).bootstrap(n=400, seed=5, progress=False, tables=["paths"])
    row = indirect_effects(boot).query("through == 'M'").iloc[0]
    assert row["type"] == expected
    assert abs(row.estimate - a * b) < 1e-10


def test_type_rules_closed_form():
    t = mediation_type(np.array([0.1, -0.1]), np.array([0.05, -0.2]), np.array([0.2, -0.05]),
                       np.array([0.0, 0.2]), np.array([0.0, 0.1]), np.array([0.0, 0.3]))
    assert t.tolist() == ["indirect-only", "competitive"]
