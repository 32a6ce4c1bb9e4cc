"""Ordinal indicators: fit_pls(correlation="polychoric" | "spearman") against R/cSEM.

Oracle: tests/oracles/csem_ordinal (SOURCE.md). Data: ECSI IMAG, SAT, LOY items as they
are (ordinal, up to 10 levels) and the VAL items jittered to be continuous (polyserial).

- ``polychoric_tight``: two-step polychoric (polycor's thresholds and likelihood, the
  score equation solved by ``uniroot`` to 1e-14), ``polycor::polyserial(ML = FALSE)``
  and Pearson: satmodel solves the same estimator to 1e-12 — tolerance 1e-10.
- ``polycor_hetcor``: what cSEM 0.4 itself uses (``hetcor(std.err = FALSE)``), whose
  polychoric ρ comes from ``optimise`` with its default tolerance (~1.2e-4 on ρ):
  tolerance 1e-4 on the correlations and on cSEM's own OrdPLS/OrdPLSc estimates.
- cSEM's estimator fed the tight matrix (its correlation step replaced in the script):
  paths, loadings, weights to 1e-9 (both converge to 1e-12 in the weights).
- Spearman (cSEM ``.approach_cor_robust = "spearman"``, R ``cor(method = "spearman")``):
  rank correlations are exact, estimates to 1e-9.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import satmodel as sm
from satmodel.assess import threshold_table
from satmodel.moments.ordinal import correlation_moments, ordinal_columns
from _oracles import ORACLES

CASE = ORACLES / "csem_ordinal"


@pytest.fixture(scope="module")
def case():
    spec = sm.ModelSpec.from_lavaan(
        re.search(r'model <- "\n(.*?)"', (CASE / "make_oracle.R").read_text(), re.S).group(1))
    return spec, pd.read_csv(CASE / "data.csv")


def _matrix(kind: str, items: list[str]) -> np.ndarray:
    C = pd.read_csv(CASE / "correlations.csv")
    return C[C.kind == kind].pivot(index="row", columns="col", values="value").loc[items, items].to_numpy()


@pytest.mark.parametrize("kind, ours, atol", [
    ("polychoric_tight", "polychoric", 1e-10),
    ("polycor_hetcor", "polychoric", 1e-4),
    ("spearman", "spearman", 1e-12),
])
def test_correlations(case, kind, ours, atol):
    spec, d = case
    items = list(spec.indicator_names)
    X = d[items].to_numpy(float)
    assert ordinal_columns(X).tolist() == [not i.startswith("VAL") for i in items]
    got = correlation_moments(X, ours).corr
    np.testing.assert_allclose(got, _matrix(kind, items), rtol=0, atol=atol)


@pytest.mark.parametrize("oracle_case, correlation, consistent, atol", [
    ("tight_pls", "polychoric", False, 1e-9),
    ("tight_plsc", "polychoric", True, 1e-9),
    ("hetcor_pls", "polychoric", False, 1e-4),
    ("hetcor_plsc", "polychoric", True, 1e-4),
    ("spearman_pls", "spearman", False, 1e-9),
    ("spearman_plsc", "spearman", True, 1e-9),
])
def test_estimates_match_csem(case, oracle_case, correlation, consistent, atol):
    spec, d = case
    res = sm.fit_pls(spec, d, correlation=correlation, consistent=consistent, tol=1e-12,
                     max_iter=1000)
    E = pd.read_csv(CASE / "estimates.csv")
    E = E[E.case == oracle_case]
    paths = E[E.kind == "path"].set_index(["source", "target"]).value
    ours = res.paths.set_index(["source", "target"]).estimate.loc[paths.index]
    np.testing.assert_allclose(ours, paths, rtol=0, atol=atol)
    outer = res.outer.set_index("indicator")
    for kind, col in (("loading", "loading"), ("weight", "weight")):
        ref = E[E.kind == kind].set_index("target").value
        np.testing.assert_allclose(outer[col].loc[ref.index], ref, rtol=0, atol=atol)


def test_thresholds(case):
    spec, d = case
    res = sm.fit_pls(spec, d, correlation="polychoric")
    ref = pd.read_csv(CASE / "thresholds.csv")
    got = threshold_table(res.survey)
    assert got.indicator.tolist() == ref.indicator.tolist()
    np.testing.assert_array_equal(got.level, ref.level)
    np.testing.assert_allclose(got.threshold, ref.threshold, rtol=0, atol=1e-12)


def test_weights_replicate_rows(case):
    """Integer row weights equal the replicated rows (the bootstrap's device)."""
    spec, d = case
    X = d[list(spec.indicator_names)].to_numpy(float)[:60]
    w = np.random.default_rng(3).integers(0, 3, size=60).astype(float)
    w[0] = w[1] = 1.0
    rep = np.repeat(X, w.astype(int), axis=0)
    for kind in ("polychoric", "spearman"):
        np.testing.assert_allclose(correlation_moments(X, kind, w[None, :]).corr[0],
                                   correlation_moments(rep, kind).corr, rtol=0, atol=1e-9)


def test_bootstrap_runs(case):
    spec, d = case
    res = sm.fit_pls(spec, d, correlation="polychoric")
    boot = res.bootstrap(n=4, seed=1)
    assert boot.paths.se.notna().all()


def test_not_available_with_missing_treatment(case):
    spec, d = case
    with pytest.raises(sm.NotAvailableError, match="correlation"):
        sm.fit_pls(spec, d, correlation="polychoric", missing="mean")
    with pytest.raises(sm.OptionError, match="correlation"):
        sm.fit_pls(spec, d, correlation="kendall")


def test_the_correlation_choice_is_recorded_and_survives_json():
    # Before: only on res.survey (not in the options, the summary or the JSON record).
    import satmodel as sm

    res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"),
                     correlation="spearman")
    assert res.survey_options.correlation == "spearman"
    assert "fitted to spearman item correlations" in res.summary()
    back = sm.PLSResult.from_json(res.to_json())
    assert back.survey_options.correlation == "spearman"
    assert "fitted to spearman" in back.summary()
    plain = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
    assert plain.survey_options.correlation == "pearson" and "item correlations" not in plain.summary()
