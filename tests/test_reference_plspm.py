"""ECSI satisfaction model against R plspm (``scaled = FALSE``; centroid, path, factorial).

Oracle: ``tests/oracles/satisfaction_plspm_R/`` (see SOURCE.md) — R plspm
0.4.x output kept by GoogleCloudPlatform/plspm-python @ addf584 as regression
files.  Data: the package's ``ecsi_satisfaction`` (plspm's ``satisfaction``,
item names upper-cased; ``gender`` unused).

What is comparable.  These files were produced with ``scaled = FALSE``: plspm
runs its iteration on *centred, unstandardized* items, so its Mode A weights
follow item-proxy covariances.  That is a different estimator from PLS on
standardized items (its composites correlate 0.991-0.9999 with the
standardized ones; weights differ by up to 0.13), so a standardized fit must
NOT be compared with the weights, loadings, paths, R² or effects here (README).
Comparable with a standardized fit:

- standardized Cronbach's α (``plspm_unidim.csv``): a closed-form function of
  the block correlation matrix, independent of the PLS fit -> tolerance
  **1e-10** (plspm's α is exact double arithmetic, written with 15 significant
  digits; it agrees with ADANCO's α to the ~4e-9 noise of ADANCO).

The rest (loadings, paths, R², effects) is compared only if ``fit_pls``
offers plspm's ``scaled=False`` variant (keyword ``scaled``); it is skipped
otherwise.  Then plspm's loop is mimicked with ``stop="sum_sq", tol=1e-6,
max_iter=100`` and the README's tolerance for a plspm-compatible loop,
**1e-10** (an exact re-implementation of plspm's loop reproduces the files to
1e-15, 4 iterations per scheme; a fully converged fit would differ by up to
6.6e-7).  Weights are not compared: plspm's are in the raw item metric with a
divisor-n score variance, and they are determined (up to scale) by the
loadings anyway.  ``plspm_boot_paths.csv`` (random bootstrap) is not used.
"""

from __future__ import annotations

import inspect

import pandas as pd
import pytest

import satmodel as sm
from _oracles import (
    ECSI_SATISFACTION,
    assert_matches,
    ecsi_satisfaction_data,
    effects_series,
    outer_series,
    paths_series,
    quality_series,
    read_oracle,
)

CASE = "satisfaction_plspm_R"
ATOL = 1e-10

# plspm: all six blocks Mode A, no PLSc; "=~" with consistent=False.
OUTER_FILES = {
    "centroid": "plspm_outer_model.csv",
    "path": "plspm_outer_model_path.csv",
    "factorial": "plspm_outer_model_factorial.csv",
}


@pytest.fixture(scope="module")
def data():
    return ecsi_satisfaction_data()


@pytest.fixture(scope="module")
def spec():
    return sm.ModelSpec.from_lavaan(ECSI_SATISFACTION)


def test_cronbach_alpha(spec, data):
    """Standardized α per block = plspm's ``cronbach_alpha`` (fit-independent)."""
    res = sm.fit_pls(spec, data, scheme="centroid", consistent=False)  # alpha does not depend on the fit
    ref = read_oracle(CASE, "plspm_unidim.csv", index_col=0)
    assert_matches(quality_series(res, "alpha"), ref["cronbach_alpha"], atol=ATOL, what="plspm Cronbach's alpha")


# --------------------------------------------------------------------------
# plspm scaled = FALSE: only if satmodel offers that variant
# --------------------------------------------------------------------------

HAS_SCALED = "scaled" in inspect.signature(sm.fit_pls).parameters
needs_scaled = pytest.mark.skipif(
    not HAS_SCALED,
    reason="these plspm files are scaled=FALSE (PLS on centred raw items); fit_pls has no `scaled` option",
)


def _fit_unscaled(spec, data, scheme):
    # plspm defaults: tol 1e-6, maxiter 100, its own stop rule (sum of squared
    # differences of absolute, un-normalized loop weights)
    return sm.fit_pls(spec, data, scheme=scheme, consistent=False, scaled=False, tol=1e-6, max_iter=100,
                      stop="sum_sq")


@needs_scaled
@pytest.mark.parametrize("scheme", ["centroid", "path", "factorial"])
def test_unscaled_loadings(spec, data, scheme):
    ref = read_oracle(CASE, OUTER_FILES[scheme])
    expected = pd.Series(
        ref["loading"].to_numpy(dtype=float),
        index=pd.MultiIndex.from_arrays([ref["block"], ref["name"].str.upper()]),
    )
    res = _fit_unscaled(spec, data, scheme)
    assert_matches(outer_series(res, "loading"), expected, atol=ATOL, what=f"plspm {scheme} loadings")


@needs_scaled
def test_unscaled_centroid_structural(spec, data):
    """Centroid scheme: paths, R², direct / indirect / total effects."""
    res = _fit_unscaled(spec, data, "centroid")
    eff = read_oracle(CASE, "plspm_effects.csv", index_col=0).set_index(["from", "to"])
    direct = eff.loc[eff["direct"] != 0, "direct"]
    assert_matches(paths_series(res), direct, atol=ATOL, what="plspm paths")
    for column in ["direct", "indirect", "total"]:
        assert_matches(effects_series(res, column), eff[column], atol=ATOL, what=f"plspm {column} effects")
    summary = read_oracle(CASE, "plspm_inner_summary.csv", index_col=0)
    endo = summary.loc[summary["type"] == "Endogenous", "r_squared"]
    assert_matches(res.r2.astype(float), endo, atol=ATOL, what="plspm R²")
    assert_matches(quality_series(res, "ave"), summary["ave"], atol=ATOL, what="plspm AVE (block communality)")
