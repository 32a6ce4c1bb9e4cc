"""CB-SEM (sm.fit_cbsem): exact population, ECSI admissibility, refusals, diagnostics, safety.

Numbers are checked against the population values of cSEM's DGP (exact data) and
closed-form cases; the lavaan comparison is in test_cbsem_lavaan.py.
"""

from __future__ import annotations

import logging
import threading
import warnings

import numpy as np
import pandas as pd
import pytest

import satmodel as sm
from satmodel.cbsem.engine import exact_sample
from tests._oracles import oracle_path, quiet, read_oracle, read_r_matrix

DGP = "csem_dgp_population"


@pytest.fixture(scope="module")
def population():
    spec = sm.ModelSpec.from_file(oracle_path(DGP, "DGP_linear_3commonfactors_model.lav"))
    sigma = read_r_matrix(DGP, "DGP_linear_3commonfactors_Sigma.csv").loc[
        list(spec.indicator_names), list(spec.indicator_names)]
    X = exact_sample(sigma.to_numpy(), 500, mean=np.full(9, 5.0))
    data = pd.DataFrame(X, columns=list(spec.indicator_names))
    pop = read_oracle(DGP, "DGP_linear_3commonfactors_population.csv")
    return spec, data, pop


def test_exact_population_recovers_loadings_and_paths(population):
    spec, data, pop = population
    cb = quiet(sm.fit_cbsem, spec, data)
    assert cb.converged
    loads = pop[pop["kind"] == "Loadings"].set_index("parameter")["value"]
    got = cb.outer.set_index("indicator")["loading"]
    np.testing.assert_allclose(got[loads.index].to_numpy(), loads.to_numpy(), rtol=0, atol=1e-6)
    paths = pop[pop["kind"] == "Path_coefficients"]
    table = cb.paths.set_index(["source", "target"])["estimate"]
    for text, value in zip(paths["parameter"], paths["value"]):
        target, source = (s.strip() for s in text.split("~"))
        assert abs(table[(source, target)] - value) <= 1e-6, (text, table[(source, target)], value)
    fi = cb.fit_indices
    assert fi["chi2"] < 1e-6 and fi["srmr"] < 1e-6 and fi["rmsea"] == 0.0 and fi["cfi"] == 1.0


@pytest.fixture(scope="module")
def ecsi():
    spec, df = sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction")
    return spec, df, quiet(sm.fit_cbsem, spec, df)  # no Heywood, convergence or semopy warnings


def test_ecsi_gives_finite_admissible_estimates(ecsi):
    spec, df, cb = ecsi
    assert cb.converged
    for table in (cb.paths, cb.outer, cb.effects, cb.quality):
        numeric = table.select_dtypes("number").astype(float)
        assert np.isfinite(numeric.dropna().to_numpy()).all()
    assert ((cb.outer["loading"] > 0) & (cb.outer["loading"] < 1)).all()
    assert (cb.outer["residual_var_unstd"] > 0).all()
    assert ((cb.r2 > 0) & (cb.r2 < 1)).all()
    assert (np.diag(cb.estimate.psi) > 0).all()
    assert list(cb.quality.columns) == ["construct", "alpha", "rho_c", "ave", "r2"]
    assert cb.htmt.shape == (6, 6) and cb.scores.index.equals(df.index)
    np.testing.assert_allclose(cb.scores.std(ddof=1), 1.0, atol=1e-12)


def test_effects_are_consistent(ecsi):
    spec, df, cb = ecsi
    eff = cb.effects
    np.testing.assert_allclose(eff["total"], eff["direct"] + eff["indirect"], atol=1e-12)
    # IMAG -> QUAL runs only through EXPE: indirect = product of the two standardized paths
    p = cb.paths.set_index(["source", "target"])["estimate"]
    row = eff[(eff.source == "IMAG") & (eff.target == "QUAL")].iloc[0]
    assert row["indirect"] == pytest.approx(p[("IMAG", "EXPE")] * p[("EXPE", "QUAL")], abs=1e-12)


def test_composites_are_refused_pointing_to_pls():
    spec = sm.ModelSpec.from_lavaan("A <~ a1 + a2\nB =~ b1 + b2 + b3\nB ~ A")
    with pytest.raises(sm.SpecError, match=r"'A' \(mode B\).*fit_pls"):
        sm.fit_cbsem(spec, pd.DataFrame(np.eye(5), columns=["a1", "a2", "b1", "b2", "b3"]))


def _one_factor(R, n=200, names=("a", "b", "c")):
    return pd.DataFrame(exact_sample(np.asarray(R, dtype=float), n), columns=list(names))


def test_heywood_case_warns_naming_the_item():
    R = [[1, 0.8, 0.8], [0.8, 1, 0.5], [0.8, 0.5, 1]]  # lambda_a^2 = 0.8 * 0.8 / 0.5 = 1.28 > 1
    with pytest.warns(sm.HeywoodWarning, match=r"item 'a' of construct 'F'"):
        sm.fit_cbsem(sm.ModelSpec.from_lavaan("F =~ a + b + c"), _one_factor(R))


def test_non_identified_models_are_refused_up_front():
    data = _one_factor([[1, .5, .4], [.5, 1, .3], [.4, .3, 1]])
    too_many = sm.ModelSpec.from_lavaan("F =~ a + b + c\na ~~ b\na ~~ c")
    with pytest.raises(sm.SpecError, match=r"not identified: it has 8 free parameters but .* 6 variances"):
        sm.fit_cbsem(too_many, data)
    spec = sm.ModelSpec.from_lavaan("A =~ a1 + a2\nB =~ b1 + b2 + b3\nB ~ 0*A")
    R = np.array([[1, .5, 0, 0, 0], [.5, 1, 0, 0, 0], [0, 0, 1, .4, .4], [0, 0, .4, 1, .4], [0, 0, .4, .4, 1]])
    df = pd.DataFrame(exact_sample(R, 200), columns=["a1", "a2", "b1", "b2", "b3"])
    with pytest.raises(sm.SpecError, match=r"not identified: 1 combination.*A"):
        sm.fit_cbsem(spec, df)


def test_semopy_messages_are_translated_not_printed(capfd, caplog):
    spec = sm.ModelSpec.from_file(oracle_path("lavaan_political_democracy", "model.lav"))
    data = read_oracle("lavaan_political_democracy", "political_democracy.csv")
    with caplog.at_level(logging.DEBUG), pytest.warns(sm.ConvergenceWarning, match="did not converge"):
        cb = sm.fit_cbsem(spec, data, max_iter=3)
    assert not cb.converged
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    assert not [r for r in caplog.records if "semopy" in r.pathname]
    assert any("Solver didn" in m for m in cb.estimate.messages)  # semopy's own text, kept


def test_options_are_validated():
    spec, df = sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction")
    with pytest.raises(sm.OptionError, match="estimator='MLR'.*bootstrap.*'ML', 'GLS'"):
        sm.fit_cbsem(spec, df, estimator="MLR")
    with pytest.raises(sm.OptionError, match="max_iter"):
        sm.fit_cbsem(spec, df, max_iter=0)
    with pytest.raises(sm.EstimationError, match="ModelSpec"):
        sm.fit_cbsem("A =~ a1", df)


def test_gls_estimator_runs_and_leaves_likelihood_quantities_undefined(population):
    spec, data, _ = population
    cb = quiet(sm.fit_cbsem, spec, data, estimator="GLS")
    assert cb.fit_indices[["loglik", "aic", "bic"]].isna().all()  # <NA>, not NaN
    assert not np.isnan(cb.fit_indices.dropna().to_numpy(dtype=float)).any()
    assert cb.fit_indices["chi2"] < 1e-6


def test_fits_are_pure_and_thread_safe():
    spec = sm.ModelSpec.from_file(oracle_path("lavaan_political_democracy", "model.lav"))
    data = read_oracle("lavaan_political_democracy", "political_democracy.csv")
    other = sm.ModelSpec.from_lavaan("ind60 =~ x1 + x2 + x3\ndem60 =~ y1 + y2 + y3 + y4\ndem60 ~ ind60")
    before = data.copy()
    serial = [sm.fit_cbsem(s, data).parameters for s in (spec, other)]
    results: dict[tuple[int, int], pd.DataFrame] = {}

    def work(k):
        for j, s in enumerate((spec, other)):
            results[(k, j)] = sm.fit_cbsem(s, data).parameters

    threads = [threading.Thread(target=work, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for (k, j), params in results.items():
        pd.testing.assert_frame_equal(params, serial[j % 2], check_exact=True)
    pd.testing.assert_frame_equal(data, before)


def test_bootstrap_is_seeded_and_adds_inference_columns(population):
    spec, data, _ = population
    cb = sm.fit_cbsem(spec, data.iloc[:120])
    a, b = cb.bootstrap(n=4, seed=3, progress=False), cb.bootstrap(n=4, seed=3, progress=False)
    assert cb.inference is None and "z" in cb.paths.columns  # the original is unchanged
    assert list(a.paths.columns) == ["source", "target", "estimate", "estimate_unstd", "se", "t", "p",
                                     "ci_lower", "ci_upper"]
    pd.testing.assert_frame_equal(a.paths, b.paths)
    assert (a.paths["se"] > 0).all() and a.inference.n_failed == 0
    assert (a.outer["ci_lower"] <= a.outer["ci_upper"]).all()
    assert {"indirect_se", "indirect_ci_lower"} <= set(a.effects.columns)
    with pytest.raises(sm.OptionError):
        cb.bootstrap(n=1)


def test_compare_lines_up_pls_and_cbsem(ecsi):
    spec, df, cb = ecsi
    pls = sm.fit_pls(spec, df)
    table = sm.compare(pls, cb)
    assert list(table.columns) == ["kind", "source", "target", "pls", "cbsem", "difference"]
    assert len(table) == len(spec.paths) + len(spec.indicator_names) + len(spec.endogenous)
    paths = table[table.kind == "path"]
    np.testing.assert_allclose(paths["pls"], pls.paths["estimate"])
    np.testing.assert_allclose(paths["cbsem"], cb.paths["estimate"])
    np.testing.assert_allclose(table["difference"], table["cbsem"] - table["pls"])
    with pytest.raises(sm.SatModelError, match="at least two"):
        sm.compare(pls)
