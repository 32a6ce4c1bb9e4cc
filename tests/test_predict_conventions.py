"""PLSpredict conventions against cSEM (and plain R lm) on identical folds.

Oracle: tests/oracles/csem_predict_cvpat (cSEM 0.4.0.9000 ``predict(.test_data=)`` fold
by fold, cSEM ``fit()`` model-implied correlations for the conditional expectation of
de Rooij et al. 2023, R ``lm`` for the satmodel and seminr LM benchmarks; SOURCE.md).
The folds are fixed in the oracle and passed as labels, so every training set is the
same: the predictions are deterministic functions of the data and agree to rounding.
Tolerance 1e-9 (item metric, values 1-10): both sides converge to 1e-12 in the weights
(cSEM ``.tolerance = 1e-12``, satmodel ``tol=1e-12``); observed max |diff| ~1e-13.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import satmodel as sm
from _oracles import ORACLES

CASE = ORACLES / "csem_predict_cvpat"
ATOL = 1e-9


def _model(name: str) -> sm.ModelSpec:
    text = (CASE / "make_oracle.R").read_text()
    return sm.ModelSpec.from_lavaan(re.search(name + r' <- "\n(.*?)"', text, re.S).group(1))


@pytest.fixture(scope="module")
def oracle():
    folds = pd.read_csv(CASE / "folds.csv").fold.to_numpy()
    return folds, pd.read_csv(CASE / "predictions.csv.gz")


def _fit(name: str, consistent: bool):
    return sm.fit_pls(_model(name), sm.datasets.load("ecsi_satisfaction"),
                      consistent=consistent, tol=1e-12, max_iter=1000)


def _expected(P: pd.DataFrame, key: str) -> tuple[list[str], np.ndarray]:
    cols = [c for c in P.columns if c.startswith(key + ".")]
    return [c.split(".")[-1] for c in cols], P[cols].to_numpy()


@pytest.mark.parametrize("model, consistent, key, options", [
    ("model_a", False, "a_pls.composite", {}),
    ("model_b", False, "b_pls.composite", {}),
    ("model_c", False, "c_pls.composite", {}),
    ("model_c", False, "c_pls.implied_earliest", {"method": "implied"}),
    # PLSc: cSEM applies disattenuated paths/loadings to composite scores (method="composite")
    ("model_c", True, "c_plsc.composite", {"method": "composite"}),
    # the default for PLSc: conditional expectation under the model-implied correlations
    ("model_c", True, "c_plsc.implied_earliest", {}),
    ("model_c", True, "c_plsc.implied_direct", {"approach": "direct"}),
])
def test_predictions_match_oracle(oracle, model, consistent, key, options):
    folds, P = oracle
    pr = _fit(model, consistent).predict(folds=folds, **options)
    items, expected = _expected(P, key)
    np.testing.assert_allclose(pr.predictions[items].to_numpy(), expected, rtol=0, atol=ATOL)


def test_plsc_default_is_implied(oracle):
    folds, _ = oracle
    assert _fit("model_c", True).predict(folds=folds).method == "implied"
    assert _fit("model_c", False).predict(folds=folds).method == "composite"


@pytest.mark.parametrize("benchmark", ["csem", "satmodel", "seminr"])
def test_lm_benchmarks_match_oracle(oracle, benchmark):
    """csem: exogenous items, raw metric, no intercept (cSEM predict); satmodel: exogenous
    items with intercept (R lm); seminr: every item outside the target construct with
    intercept (R lm, as seminr's generate_lm_predictions)."""
    folds, P = oracle
    pr = _fit("model_a", False).predict(folds=folds, benchmark=benchmark)
    items, expected = _expected(P, f"a_pls.lm_{benchmark}")
    np.testing.assert_allclose(pr.lm_predictions[items].to_numpy(), expected, rtol=0, atol=ATOL)


@pytest.mark.parametrize("convention", ["satmodel", "csem"])
def test_q2_conventions(oracle, convention):
    """Q²_predict computed in R from the cSEM predictions: 1 - SSE/SS(y - ȳ_train), and
    cSEM's calculateq2 with centred residuals. Ratios of sums of ~250 squares of values
    matching to 1e-13: tolerance 1e-10."""
    folds, _ = oracle
    q2 = pd.read_csv(CASE / "q2.csv")
    pr = _fit("model_a", False).predict(folds=folds, q2=convention)
    assert list(pr.indicators.indicator) == list(q2.indicator)
    np.testing.assert_allclose(pr.indicators.q2_predict.astype(float), q2[f"q2_{convention}"],
                               rtol=0, atol=1e-10)
    np.testing.assert_allclose(pr.indicators.rmse, q2.rmse, rtol=0, atol=1e-10)
    np.testing.assert_allclose(pr.indicators.mae, q2.mae, rtol=0, atol=1e-10)


def test_repr_is_compact(oracle):
    folds, _ = oracle
    pr = _fit("model_a", False).predict(folds=folds)
    assert repr(pr).startswith("PredictResult(method='composite'") and "\n" not in repr(pr)
    html = pr._repr_html_()
    assert "<table" in html and html.count("<tr>") <= len(pr.indicators) + 2
    assert "EXPE1" in str(pr)


def test_bad_options(oracle):
    folds, _ = oracle
    res = _fit("model_a", False)
    with pytest.raises(sm.OptionError, match="method"):
        res.predict(folds=folds, method="magic")
    with pytest.raises(sm.OptionError, match="benchmark"):
        res.predict(folds=folds, benchmark="smartpls")
    with pytest.raises(sm.OptionError, match="q2"):
        res.predict(folds=folds, q2="seminr")
    with pytest.raises(sm.OptionError, match="folds"):
        res.predict(folds=folds[:10])
    with pytest.raises(sm.OptionError, match="folds"):
        res.predict(folds=np.zeros(250, dtype=int))


def test_implied_single_items_equal_ols():
    """Closed form: with single-item constructs the model-implied correlation of x and y
    is the path (= r_xy), so the conditional expectation is the training OLS prediction
    (as the composite method's, test_predict.py)."""
    rng = np.random.default_rng(9)
    x = rng.normal(3, 1.5, 80)
    y = 1 - 0.4 * x + rng.normal(0, 1, 80)
    df = pd.DataFrame({"x": x, "y": y})
    spec = sm.ModelSpec.from_lavaan("X =~ x\nY =~ y\nY ~ X")
    pr = sm.fit_pls(spec, df).predict(folds=4, repetitions=1, seed=1, method="implied")
    manual = np.empty(80)
    for f in range(4):
        test = pr.folds[0] == f
        coef = np.polyfit(x[~test], y[~test], 1)
        manual[test] = np.polyval(coef, x[test])
    np.testing.assert_allclose(pr.predictions["y"], manual, rtol=0, atol=1e-10)
