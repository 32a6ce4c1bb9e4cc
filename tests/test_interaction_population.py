"""Exact-population case of a moderated model (issue 14 acceptance): y = bx x + bm m +
bxm x m + s z on a full factorial of x, m, z, so x, m, xm and z are exactly uncorrelated
and every standardized coefficient has a closed form. Single-item constructs: the scores
are the standardized items, so the three interaction approaches agree exactly.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

import satmodel as sm

BX, BM, BXM, S = 0.4, 0.3, 0.25, 0.8
LEVELS = (-1.5, -0.5, 0.5, 1.5)
SPEC = sm.ModelSpec.from_lavaan("X =~ x; M =~ m; Y =~ y; Y ~ X + M + X:M")


@pytest.fixture(scope="module")
def population() -> pd.DataFrame:
    rows = np.array(list(itertools.product(LEVELS, LEVELS, (-1.0, 1.0))))
    x, m, z = rows.T
    return pd.DataFrame({"x": x, "m": m, "y": BX * x + BM * m + BXM * x * m + S * z})


def _closed_form(n: int) -> dict[str, float]:
    vx = vm = np.mean(np.square(LEVELS))  # population moments (divisor n)
    vxm = vx * vm
    vy = BX**2 * vx + BM**2 * vm + BXM**2 * vxm + S**2
    sd = lambda v: np.sqrt(v * n / (n - 1))  # sample SDs, divisor n - 1  # noqa: E731
    return {"X": BX * np.sqrt(vx / vy), "M": BM * np.sqrt(vm / vy),
            "X:M": BXM * np.sqrt(vxm / vy),  # the standardized interaction term
            "X:M seminr": BXM * sd(vx) * sd(vm) / sd(vy)}  # product of standardized scores


@pytest.mark.parametrize("method", ["product_indicator", "orthogonal", "two_stage"])
def test_standardized_paths_are_exact(population, method):
    res = sm.fit_pls(SPEC, population, interaction=method)
    want = _closed_form(len(population))
    got = dict(zip(res.paths.source, res.paths.estimate))
    for name in ("X", "M", "X:M"):
        assert abs(got[name] - want[name]) < 1e-12  # exact population: rounding only
    assert abs(res.r2["Y"] - (want["X"] ** 2 + want["M"] ** 2 + want["X:M"] ** 2)) < 1e-12


@pytest.mark.parametrize("method", ["product_indicator", "two_stage"])
def test_seminr_scale_is_the_product_of_standardized_scores(population, method):
    res = sm.fit_pls(SPEC, population, interaction=method, interaction_scale="seminr")
    want = _closed_form(len(population))
    got = dict(zip(res.paths.source, res.paths.estimate))
    assert abs(got["X:M"] - want["X:M seminr"]) < 1e-12
    assert abs(got["X"] - want["X"]) < 1e-12
    # the simple slope on this scale is the true effect of 1 SD of x at m = +1 SD
    n = len(population)
    sd_m = np.sqrt(np.mean(np.square(LEVELS)) * n / (n - 1))
    slopes = res.simple_slopes("X", "M", at=[1.0])
    true = (BX + BXM * sd_m) * want["X"] / BX  # (bx + bxm sd_m) sd_x / sd_y
    assert abs(slopes.slope.iloc[0] - true) < 1e-12


@pytest.mark.parametrize("method", ["product_indicator", "two_stage"])
def test_quadratic_term_exact(method):
    # y = bx x + q x^2 + s z, x on symmetric levels: x and x^2 uncorrelated, z independent
    rows = np.tile(np.array(list(itertools.product(LEVELS, (-1.0, 1.0)))), (5, 1))  # 40 rows
    x, z = rows.T
    q = 0.3
    df = pd.DataFrame({"x": x, "y": BX * x + q * x * x + S * z})
    spec = sm.ModelSpec.from_lavaan("X =~ x; Y =~ y; Y ~ X + X:X")
    res = sm.fit_pls(spec, df, interaction=method)
    vx = np.mean(x * x)
    vq = np.mean(x**4) - vx**2
    vy = BX**2 * vx + q**2 * vq + S**2
    got = dict(zip(res.paths.source, res.paths.estimate))
    assert abs(got["X"] - BX * np.sqrt(vx / vy)) < 1e-12
    assert abs(got["X:X"] - q * np.sqrt(vq / vy)) < 1e-12
