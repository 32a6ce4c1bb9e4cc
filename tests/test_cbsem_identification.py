"""CB-SEM identification (issue 11, part 2): identified models with two-item constructs fit.

The check runs at a generic point, not at semopy's start values (paths and construct
covariances 0, where a two-item construct looks unidentified). Numbers are pinned by an
exact population of the ACSI template (closed form: the population parameters) and by
lavaan's output for a model with two two-item constructs (tests/oracles/lavaan_two_item);
truly unidentified models are still refused, naming the culprit.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import satmodel as sm
from satmodel.cbsem.engine import exact_sample
from satmodel.cbsem.identify import check_identified, unlinked_two_item, unscaled
from tests._oracles import oracle_path, quiet, read_oracle

CASE = "lavaan_two_item"

# ACSI population in standardized form: constructs EXP, QUAL, VAL, SAT, COMP, LOY
CONS = ["EXP", "QUAL", "VAL", "SAT", "COMP", "LOY"]
PATHS = {("EXP", "QUAL"): 0.6, ("EXP", "VAL"): 0.3, ("QUAL", "VAL"): 0.5, ("EXP", "SAT"): 0.2,
         ("QUAL", "SAT"): 0.4, ("VAL", "SAT"): 0.3, ("SAT", "COMP"): -0.4, ("SAT", "LOY"): 0.5,
         ("COMP", "LOY"): -0.2}
LOADINGS = {"EXP": [0.8, 0.75, 0.7], "QUAL": [0.85, 0.8, 0.75], "VAL": [0.85, 0.8],
            "SAT": [0.9, 0.85, 0.8], "COMP": [1.0], "LOY": [0.85, 0.8]}


def _population(item_sd: np.ndarray):
    """Implied covariance of the standardized ACSI population (every construct variance 1)
    with items rescaled by ``item_sd``; and the standardized paths, R² and loadings."""
    J = len(CONS)
    B = np.zeros((J, J))
    for (s, t), v in PATHS.items():
        B[CONS.index(t), CONS.index(s)] = v
    inv = np.linalg.inv(np.eye(J) - B)
    psi = np.diag([1.0] * J)
    for t in range(J):  # disturbance variances that make every construct variance 1
        if B[t].any():
            cov = inv @ psi @ inv.T
            psi[t, t] = 1.0 - B[t] @ cov @ B[t]
    cov_eta = inv @ psi @ inv.T
    np.testing.assert_allclose(np.diag(cov_eta), 1.0, atol=1e-14)
    lam = np.zeros((sum(map(len, LOADINGS.values())), J))
    k = 0
    for j, c in enumerate(CONS):
        for v in LOADINGS[c]:
            lam[k, j] = v
            k += 1
    R = lam @ cov_eta @ lam.T + np.diag(1.0 - (lam**2).sum(axis=1))
    r2 = {c: 1.0 - psi[j, j] for j, c in enumerate(CONS) if B[j].any()}
    return R * np.outer(item_sd, item_sd), r2, lam, psi


@pytest.fixture(scope="module")
def acsi():
    spec = sm.templates.acsi()
    items = list(spec.indicator_names)
    sd = np.where(np.array(items) == "COMP1", 0.12, 1.2)  # inside the declared scales
    mean = np.where(np.array(items) == "COMP1", 0.5, 5.5)
    sigma, r2, lam, psi = _population(sd)
    data = pd.DataFrame(exact_sample(sigma, 500, mean=mean), columns=items)
    return spec, quiet(sm.fit_cbsem, spec, data), (sd, r2, lam, psi)


def test_acsi_template_fits_and_recovers_the_population(acsi):
    spec, cb, (_, r2, lam, _) = acsi
    assert cb.converged and cb.fit_indices["chi2"] < 1e-6 and int(cb.fit_indices["df"]) == 105 - 36
    paths = cb.paths.set_index(["source", "target"])["estimate"]
    for key, value in PATHS.items():
        assert paths[key] == pytest.approx(value, abs=1e-5), key
    loading = cb.outer.set_index("indicator")["loading"]
    np.testing.assert_allclose(loading[list(spec.indicator_names)], lam.sum(axis=1), atol=1e-5)
    for c, v in r2.items():
        assert cb.r2[c] == pytest.approx(v, abs=1e-5), c


def test_acsi_unstandardized_parameters_are_the_population_ones(acsi):
    """Marker scaling: a construct's variance is (λ_marker sd_marker)², the other loadings
    λ_k sd_k / (λ_marker sd_marker), paths and disturbances rescaled alike."""
    spec, cb, (sd, _, lam, psi) = acsi
    par = cb.parameters.set_index(["lhs", "op", "rhs"])["estimate"]
    items = list(spec.indicator_names)
    scale = {}
    for j, con in enumerate(spec.constructs):
        first = items.index(con.indicators[0].name)
        scale[con.name] = lam[first, j] * sd[first]
        for ind in con.indicators:
            k = items.index(ind.name)
            assert par[(con.name, "=~", ind.name)] == pytest.approx(lam[k, j] * sd[k] / scale[con.name], abs=1e-5)
            if len(con.indicators) > 1:
                theta = (1 - lam[k, j] ** 2) * sd[k] ** 2
                assert par[(ind.name, "~~", ind.name)] == pytest.approx(theta, abs=1e-5)
    for (s, t), v in PATHS.items():
        assert par[(t, "~", s)] == pytest.approx(v * scale[t] / scale[s], abs=1e-5)
    for j, c in enumerate(CONS):
        assert par[(c, "~~", c)] == pytest.approx(psi[j, j] * scale[c] ** 2, abs=1e-5)


def test_exogenous_two_item_constructs_linked_by_their_covariance():
    """Two exogenous two-item constructs whose only link besides the path is their
    covariance (0 at semopy's start): identified, fitted, population recovered."""
    spec = sm.ModelSpec.from_lavaan("A =~ a1 + a2\nB =~ b1 + b2\nC =~ c1 + c2\nC ~ A + B")
    phi = np.array([[1, .4, .5], [.4, 1, .45], [.5, .45, 1]])  # A, B, C (C ~ .3 A + .33 B)
    lam = np.kron(np.eye(3), np.array([[.8], [.7]]))
    R = lam @ phi @ lam.T + np.diag(1 - (lam**2).sum(axis=1))
    cb = quiet(sm.fit_cbsem, spec, pd.DataFrame(exact_sample(R, 300), columns=list(spec.indicator_names)))
    np.testing.assert_allclose(cb.outer["loading"], [.8, .7] * 3, atol=1e-6)
    beta = np.linalg.solve(phi[:2, :2], phi[:2, 2])
    np.testing.assert_allclose(cb.paths["estimate"], beta, atol=1e-6)


def test_two_item_model_equals_lavaan():
    """Estimates, standard errors, std.all and fit measures of lavaan 0.6-14 (SOURCE.md)."""
    spec = sm.ModelSpec.from_file(oracle_path(CASE, "model.lav"))
    cb = quiet(sm.fit_cbsem, spec, sm.datasets.load("ecsi_satisfaction"))
    ref = read_oracle(CASE, "parameters.csv")
    got = cb.parameters.set_index(["lhs", "op", "rhs"])
    assert len(got) == len(ref)
    for row in ref.itertuples():
        key = (row.lhs, row.op, row.rhs)
        if key not in got.index:  # lavaan lists a covariance the other way round
            key = (row.rhs, row.op, row.lhs)
        mine = got.loc[key]
        assert mine["estimate"] == pytest.approx(row.estimate, abs=1e-5), key
        assert mine["std_all"] == pytest.approx(row.std_all, abs=1e-5), key
        if np.isnan(row.se):
            assert not mine["free"] and pd.isna(mine["se"]), key
        else:
            assert mine["se"] == pytest.approx(row.se, rel=2e-5), key
    fit = read_oracle(CASE, "fit.csv").set_index("measure")["value"]
    ours = {"chisq": "chi2", "pvalue": "p_value", "rmsea.ci.lower": "rmsea_ci_lower",
            "rmsea.ci.upper": "rmsea_ci_upper", "logl": "loglik"}
    for measure, value in fit.items():
        assert float(cb.fit_indices[ours.get(measure, measure)]) == pytest.approx(value, rel=1e-6, abs=1e-6), measure


def test_unidentified_two_item_construct_is_refused_naming_it():
    spec = sm.ModelSpec.from_lavaan("A =~ a1 + a2\nB =~ b1 + b2 + b3\nB ~ 0*A")
    R = np.array([[1, .5, 0, 0, 0], [.5, 1, 0, 0, 0], [0, 0, 1, .4, .4], [0, 0, .4, 1, .4],
                  [0, 0, .4, .4, 1]])
    df = pd.DataFrame(exact_sample(R, 200), columns=["a1", "a2", "b1", "b2", "b3"])
    with pytest.raises(sm.SpecError, match=r"not identified: 1 combination.*involved: .*A =~ a2.*"
                                           r"Cause: construct\(s\) 'A' have two items"):
        sm.fit_cbsem(spec, df)
    assert unlinked_two_item(spec) == ["A"]
    # a fixed non-zero path links it: identified and fitted
    linked = sm.ModelSpec.from_lavaan("A =~ a1 + a2\nB =~ b1 + b2 + b3\nB ~ 0.5*A")
    assert unlinked_two_item(linked) == []
    with warnings.catch_warnings():  # misfitting (Heywood) on these data, but identified
        warnings.simplefilter("ignore", sm.SatModelWarning)
        assert sm.fit_cbsem(linked, df).converged


def test_construct_without_scale_is_refused():
    spec = sm.ModelSpec.from_lavaan("F =~ 0*a + b + c + d\nG =~ g1 + g2 + g3\nG ~ F")
    assert unscaled(spec) == ["F"]
    df = pd.DataFrame(exact_sample(np.eye(7) + 0.3, 200), columns=list(spec.indicator_names))
    with pytest.raises(sm.SpecError, match=r"not identified: construct\(s\) 'F' have no scale.*1\*item1"):
        sm.fit_cbsem(spec, df)
    fixed_var = sm.ModelSpec.from_lavaan("F =~ 0*a + b + c + d\nG =~ g1 + g2 + g3\nG ~ F\nF ~~ 1*F")
    assert unscaled(fixed_var) == []


def test_rank_check_names_the_null_space():
    spec = sm.ModelSpec.from_lavaan("A =~ a1 + a2 + a3")
    J = np.array([[1.0, 0.0, 2.0], [0.0, 1.0, 0.0], [1.0, 0.0, 2.0]])
    with pytest.raises(sm.SpecError, match=r"1 combination\(s\) of its 3 free.*involved: p1, p3\. Typical"):
        check_identified(spec, 3, J, ["p1", "p2", "p3"])
    check_identified(spec, 2, np.eye(3)[:, :2], ["p1", "p2"])  # full rank: no error
