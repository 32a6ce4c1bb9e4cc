"""The FIML engine (satmodel.cbsem.fiml): its analytic gradient, its agreement with ML on
complete data, and the diagnostic of an empirically under-identified fit (issue 17 part 5).
Numbers against lavaan: tests/test_cbsem_lavaan_ecsi.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import satmodel as sm
from satmodel.cbsem.engine import exact_sample
from satmodel.cbsem.fiml import objective, patterns
from tests._oracles import oracle_path, read_oracle

SMALL = "A =~ SAT1 + SAT2 + SAT3\nB =~ LOY1 + LOY2 + LOY3\nB ~ A"


def test_the_gradient_is_the_derivative_of_the_objective():
    """Central differences of F agree with the analytic gradient (exact calculus, so 1e-6)."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(40, 4)) @ np.array([[1, .5, .2, 0], [0, 1, .3, .1], [0, 0, 1, .4], [0, 0, 0, 1]])
    X[rng.random(X.shape) < 0.2] = np.nan
    pats = patterns(X)
    sigma, nu = np.cov(np.nan_to_num(X), rowvar=False) + np.eye(4), np.zeros(4)
    F, G, g_nu = objective(sigma, nu, pats, grad=True)
    h = 1e-6
    for i, j in [(0, 0), (1, 0), (3, 2)]:
        E = np.zeros((4, 4))
        E[i, j] = E[j, i] = h
        numeric = (objective(sigma + E, nu, pats) - objective(sigma - E, nu, pats)) / (2 * h)
        assert numeric == pytest.approx(G[i, j] * (1 if i == j else 2), rel=1e-6)
    for k in range(4):
        e = np.zeros(4)
        e[k] = h
        numeric = (objective(sigma, nu + e, pats) - objective(sigma, nu - e, pats)) / (2 * h)
        assert numeric == pytest.approx(g_nu[k], rel=1e-6)
    assert objective(-np.eye(4), nu, pats) is None  # not positive definite: no value


def test_fiml_on_complete_data_is_ml():
    """With no missing answer FIML is ML with free intercepts: same estimates and loglik
    (both optima Newton-polished: 1e-8), AIC larger by 2p (the intercepts)."""
    spec = sm.ModelSpec.from_lavaan(SMALL)
    data = sm.datasets.load("ecsi_satisfaction")[list(spec.indicator_names)]
    ml, fi = sm.fit_cbsem(spec, data), sm.fit_cbsem(spec, data, missing="fiml")
    a = ml.parameters.set_index(["lhs", "op", "rhs"])["estimate"]
    b = fi.parameters.set_index(["lhs", "op", "rhs"])["estimate"]
    np.testing.assert_allclose(b.loc[a.index], a, rtol=1e-8)
    np.testing.assert_allclose(fi.estimate.mean, data.mean().to_numpy(), rtol=1e-8)
    assert float(fi.fit_indices["loglik"]) == pytest.approx(float(ml.fit_indices["loglik"]), rel=1e-10)
    assert float(fi.fit_indices["aic"]) - float(ml.fit_indices["aic"]) == pytest.approx(2 * 6)


def test_an_empirically_under_identified_fiml_fit_names_the_parameters():
    """A two-item construct A whose items covary with B's by only 0.003 (exact sample): its
    second loading, variance, residual variances and path are nearly undetermined (the
    model is identified only through those tiny covariances; standard errors ~100)."""
    C = np.full((5, 5), 0.6)
    C[:2, :2], C[:2, 2:], C[2:, :2] = 0.5, 0.003, 0.003
    np.fill_diagonal(C, 1.0)
    X = exact_sample(C, 250)
    X[::10, 0] = np.nan  # every tenth a1 missing
    data = pd.DataFrame(X, columns=["a1", "a2", "b1", "b2", "b3"])
    spec = sm.ModelSpec.from_lavaan("A =~ a1 + a2\nB =~ b1 + b2 + b3\nB ~ A")
    with pytest.warns(sm.AdmissibilityWarning, match="empirically under-identified.*A =~ a2"), \
            pytest.warns(sm.HeywoodWarning, match="'a2'"):  # a2's residual variance ends at 0
        res = sm.fit_cbsem(spec, data, missing="fiml")
    diag = [d for d in res.diagnostics if d.code == "weak_identification"]
    assert len(diag) == 1 and diag[0].names[0] == "A =~ a2"
    assert set(diag[0].names) <= {"A =~ a2", "B ~ A", "A ~~ A", "a1 ~~ a1", "a2 ~~ a2"}
    se = res.parameters.set_index(["lhs", "op", "rhs"])["se"]
    assert float(se[("A", "=~", "a2")]) > 10 and float(se[("B", "=~", "b2")]) < 1


def test_a_well_determined_fit_has_no_such_diagnostic():
    spec = sm.ModelSpec.from_file(oracle_path("lavaan_ecsi", "model.lav"))
    res = sm.fit_cbsem(spec, read_oracle("lavaan_ecsi", "ecsi_missing.csv"), missing="fiml")
    assert "weak_identification" not in [d.code for d in res.diagnostics]
