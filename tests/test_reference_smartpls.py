"""ECSI mobile-phone model against SmartPLS 2.0.M3 (centroid, factorial, path schemes).

Oracle: ``tests/oracles/ecsi_mobi_smartpls2/`` (see its SOURCE.md) — SmartPLS
2.0.M3 output kept by the R package semPLS as regression files.  Data: the
package's ``ecsi_mobi`` (byte-identical to SmartPLS's ``mobi_250.txt``).

All seven blocks are Mode A, no PLSc.  SmartPLS settings: items standardized,
initial weights 1, abort criterion 1e-7, at most 34 iterations; the weights
scale each score to unit variance with divisor n - 1 (the same scale as
satmodel's ``outer.weight``, so no rescaling is needed).

Tolerance 1e-7 absolute (the README's): the files carry 8 decimals and an
independent re-implementation reproduces them to 5e-9 (weights), 8e-9
(paths), 2.1e-8 (cross-loadings).  SmartPLS's exact stop quantity is not
documented; any tight rule reproduces the files (checked: max|dw| < 1e-7,
max|dw| < 1e-10 and sum|dw| < 1e-7 all stay below 2.2e-8), so we mimic its
documented settings with ``stop="max_abs", tol=1e-7, max_iter=34``.
"""

from __future__ import annotations

import pandas as pd
import pytest

import satmodel as sm
from _oracles import (
    assert_matches,
    cross_loadings_series,
    effects_series,
    matrix_to_long,
    outer_series,
    paths_series,
    read_oracle,
)

CASE = "ecsi_mobi_smartpls2"
ATOL = 1e-7  # README tolerance: 8 printed decimals, re-implementation within 2.1e-8

# All blocks Mode A; with consistent=False the common-factor flag of "=~" does not matter.
MOBI_SMARTPLS = """
Image        =~ IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5
Expectation  =~ CUEX1 + CUEX2 + CUEX3
Quality      =~ PERQ1 + PERQ2 + PERQ3 + PERQ4 + PERQ5 + PERQ6 + PERQ7
Value        =~ PERV1 + PERV2
Satisfaction =~ CUSA1 + CUSA2 + CUSA3
Complaints   =~ CUSCO
Loyalty      =~ CUSL1 + CUSL2 + CUSL3
Expectation  ~ Image
Quality      ~ Expectation
Value        ~ Expectation + Quality
Satisfaction ~ Image + Expectation + Quality + Value
Complaints   ~ Satisfaction
Loyalty      ~ Image + Satisfaction + Complaints
"""

SCHEMES = ["centroid", "factorial", "path"]


@pytest.fixture(scope="module", params=SCHEMES)
def fitted(request):
    scheme = request.param
    spec = sm.ModelSpec.from_lavaan(MOBI_SMARTPLS)
    df = sm.datasets.load("ecsi_mobi")
    # SmartPLS 2 settings: abort criterion 1e-7, max 34 iterations.
    res = sm.fit_pls(spec, df, scheme=scheme, consistent=False, tol=1e-7, max_iter=34, stop="max_abs")
    return scheme, res


def test_converged(fitted):
    scheme, res = fitted
    assert res.converged, f"{scheme}: not converged within SmartPLS's 34 iterations"
    assert res.n_obs == 250


@pytest.mark.parametrize(
    ("table", "keys", "column", "series", "label"),
    [
        # outer weights, unit-variance scores with divisor n - 1 (SmartPLS scale)
        ("weights", ["construct", "indicator"], "weight", lambda res: outer_series(res, "weight"), "weights"),
        ("paths", ["from", "to"], "path", paths_series, "paths"),
        # the 21 non-zero total effects (every ordered pair with a directed route)
        ("total_effects", ["from", "to"], "total_effect", lambda res: effects_series(res, "total"), "total effects"),
    ],
    ids=["outer_weights", "paths", "total_effects"],
)
def test_table(fitted, table, keys, column, series, label):
    """Column ``column`` of ``smartpls_<scheme>_<table>.csv`` keyed by ``keys``."""
    scheme, res = fitted
    expected = read_oracle(CASE, f"smartpls_{scheme}_{table}.csv").set_index(keys)[column]
    assert_matches(series(res), expected, atol=ATOL, what=f"SmartPLS {scheme} {label}")


def test_cross_loadings(fitted):
    """24 items x 7 constructs: item-score correlations (own block = loadings)."""
    scheme, res = fitted
    ref = read_oracle(CASE, f"smartpls_{scheme}_cross_loadings.csv").set_index("indicator")
    expected = matrix_to_long(ref, drop_zero=False)
    assert_matches(cross_loadings_series(res), expected, atol=ATOL, what=f"SmartPLS {scheme} cross-loadings")


def test_loadings_equal_own_block_cross_loadings(fitted):
    """``outer.loading`` (no PLSc) = the own-block cross-loadings of SmartPLS."""
    scheme, res = fitted
    ref = read_oracle(CASE, f"smartpls_{scheme}_cross_loadings.csv").set_index("indicator")
    weights = read_oracle(CASE, f"smartpls_{scheme}_weights.csv")
    expected = pd.Series(
        [ref.loc[r.indicator, r.construct] for r in weights.itertuples()],
        index=pd.MultiIndex.from_frame(weights[["construct", "indicator"]]),
    )
    assert_matches(outer_series(res, "loading"), expected, atol=ATOL, what=f"SmartPLS {scheme} loadings")
