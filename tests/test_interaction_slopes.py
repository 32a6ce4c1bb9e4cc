"""Simple slopes and the floodlight (issue 14 part 2): slopes are b_X + b_XM m of the
fitted paths (closed form), their bootstrap bands are those of the same combination of
the path draws, and the Johnson-Neyman points are where a band crosses 0."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import satmodel as sm
from satmodel.errors import NotAvailableError, OptionError

SPEC = sm.ModelSpec.from_lavaan("""
X =~ x1 + x2; M =~ m1 + m2; Y =~ y1 + y2
Y ~ X + M + X:M""")


@pytest.fixture(scope="module")
def boot():
    rng = np.random.default_rng(4)
    n = 400
    x, m = rng.normal(size=(2, n))
    y = 0.1 * x + 0.3 * m + 0.35 * x * m + rng.normal(scale=0.8, size=n)
    noise = lambda: rng.normal(scale=0.5, size=n)  # noqa: E731
    df = pd.DataFrame({"x1": x + noise(), "x2": x + noise(), "m1": m + noise(),
                       "m2": m + noise(), "y1": y + noise(), "y2": y + noise()})
    res = sm.fit_pls(SPEC, df, interaction="two_stage")
    return res.bootstrap(n=300, seed=2, progress=False, tables=["paths"])


def test_slopes_are_the_path_combination(boot):
    p = dict(zip(boot.paths.source, boot.paths.estimate))
    out = boot.simple_slopes("X", "M", at=[-2, 0, 1.5])
    assert np.allclose(out.slope, p["X"] + p["X:M"] * np.array([-2, 0, 1.5]), atol=1e-14)
    d = boot.draws("paths")
    manual = d["X -> Y"].to_numpy() + d["X:M -> Y"].to_numpy() * 1.5
    assert abs(out.se.iloc[2] - manual.std(ddof=1)) < 1e-14
    assert abs(out.ci_lower.iloc[2] - np.quantile(manual, 0.025)) < 1e-14


def test_floodlight_johnson_neyman_points(boot):
    flood = boot.floodlight("X", "M")
    points = flood.attrs["johnson_neyman"]
    assert points  # the effect of X changes sign within +-3 SD of M here
    for jn in points:  # a band bound is 0 there (linear interpolation on a 0.01 grid)
        row = boot.simple_slopes("X", "M", at=[jn])
        assert min(abs(row.ci_lower.iloc[0]), abs(row.ci_upper.iloc[0])) < 2e-3
    inside = flood[(flood["at"] > -0.005) & (flood["at"] < 0.005)]
    assert np.allclose(inside.slope, boot.simple_slopes("X", "M", at=[0.0]).slope)


def test_refusals(boot):
    with pytest.raises(OptionError, match="no interaction term"):
        boot.simple_slopes("M", "Y")
    res = sm.fit_pls(SPEC, _data(boot), interaction="two_stage")
    with pytest.raises(NotAvailableError, match="bootstrap"):
        res.floodlight("X", "M")


def _data(res) -> pd.DataFrame:
    return pd.DataFrame(res.survey.X, columns=list(res.survey.indicators))
