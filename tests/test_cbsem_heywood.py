"""Heywood cases (issue 17 part 6): satmodel keeps variances at or above 0, lavaan does not;
the diagnostic says which value lavaan would report, with its sign.

Exact population, closed form: one factor, three items with correlations .8, .8, .5 (an exact
sample, divisor n, so S is that matrix) is just identified with lambda_a^2 = .8 * .8 / .5 =
1.28 in the metric of unit variances, so the unbounded residual variance of a is
1 - 1.28 = -0.28. Tolerance 1e-6: damped Newton steps on a central-difference Hessian.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import satmodel as sm
from satmodel.cbsem.engine import exact_sample


def test_the_diagnostic_gives_lavaans_negative_variance():
    data = pd.DataFrame(exact_sample(np.array([[1, .8, .8], [.8, 1, .5], [.8, .5, 1]]), 200),
                        columns=list("abc"))
    with pytest.warns(sm.HeywoodWarning, match=r"'a'.*at its bound 0.*lavaan reports it: -0\.28 "
                                               r"\(negative\).*keeps variances at or above 0"):
        res = sm.fit_cbsem(sm.ModelSpec.from_lavaan("F =~ a + b + c"), data)
    value = dict(res.estimate.unbounded)["a ~~ a"]
    assert value == pytest.approx(-0.28, abs=1e-6)
    theta = res.parameters.set_index(["lhs", "op", "rhs"]).loc[("a", "~~", "a"), "estimate"]
    assert 0 <= theta < 1e-8  # satmodel's own estimate stays at the bound


def test_a_proper_solution_has_nothing_unbounded():
    data = pd.DataFrame(exact_sample(np.array([[1, .5, .4], [.5, 1, .3], [.4, .3, 1]]), 200),
                        columns=list("abc"))
    res = sm.fit_cbsem(sm.ModelSpec.from_lavaan("F =~ a + b + c"), data)
    assert res.estimate.unbounded == () and not res.diagnostics
