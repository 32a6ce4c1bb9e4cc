"""PLSpredict: folds, reproducibility, no leakage, and a closed-form OLS case.

No seminr or SmartPLS prediction output is shipped in the reference outputs, so the
numbers are pinned by a closed-form case: with one single-item predictor X and a
single-item target Y, the PLS prediction of a held-out row is the training OLS
prediction ȳ + b (x - x̄) with b = cov(x, y)/var(x) — equal to the linear-model
benchmark and to numpy's least squares on the training rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import satmodel as sm


@pytest.fixture(scope="module")
def res():
    return sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))


def test_folds_are_a_partition(res):
    pr = res.predict(folds=7, repetitions=3, seed=11)
    assert pr.folds.shape == (3, 250)
    for rep in pr.folds:
        sizes = np.bincount(rep, minlength=7)
        assert sizes.sum() == 250 and set(rep) == set(range(7))
        assert sizes.max() - sizes.min() <= 1
    assert not np.array_equal(pr.folds[0], pr.folds[1])  # fresh shuffles per repetition


def test_seed_reproducible(res):
    a = res.predict(folds=5, repetitions=2, seed=3)
    b = res.predict(folds=5, repetitions=2, seed=3)
    c = res.predict(folds=5, repetitions=2, seed=4)
    pd.testing.assert_frame_equal(a.indicators, b.indicators)
    np.testing.assert_array_equal(a.folds, b.folds)
    assert not np.array_equal(a.folds, c.folds)


def test_tables(res):
    pr = res.predict(folds=10, repetitions=2, seed=1)
    endo_items = [i for c in res.spec.constructs if c.name in res.spec.endogenous
                  for i in c.indicator_names]
    assert list(pr.indicators.indicator) == endo_items
    assert list(pr.constructs.construct) == list(res.spec.endogenous)
    assert list(pr.predictions.columns) == endo_items
    # metrics recomputed from the returned predictions
    y = res.survey.to_frame()[endo_items]
    err = y - pr.predictions
    np.testing.assert_allclose(pr.indicators.rmse, np.sqrt((err**2).mean()), rtol=1e-12)
    np.testing.assert_allclose(pr.indicators.mae, err.abs().mean(), rtol=1e-12)
    assert (pr.indicators.q2_predict.astype(float) < 1).all()
    assert np.isfinite(pr.indicators.drop(columns=["construct", "indicator"]).astype(float)).all().all()


@pytest.mark.parametrize("approach", ["earliest", "direct"])
def test_no_leakage(res, approach):
    """Changing the target items of one fold's rows leaves those rows' predictions unchanged
    (earliest: targets are never predictors; direct: perturb only LOY, which predicts
    nothing) and changes other rows' predictions (they are trained on the changed rows)."""
    df = sm.datasets.load("ecsi_satisfaction")
    spec = res.spec
    base = res.predict(folds=5, repetitions=1, seed=8, approach=approach)
    rows = np.flatnonzero(base.folds[0] == 2)
    if approach == "earliest":
        cols = [i for c in spec.constructs if c.name in spec.endogenous for i in c.indicator_names]
    else:
        cols = list(spec.construct("LOY").indicator_names)
    df2 = df.copy()
    rng = np.random.default_rng(0)
    df2.loc[df2.index[rows], cols] = rng.integers(1, 11, size=(rows.size, len(cols)))
    pert = sm.fit_pls(spec, df2).predict(folds=5, repetitions=1, seed=8, approach=approach)
    np.testing.assert_array_equal(pert.folds, base.folds)
    np.testing.assert_allclose(pert.predictions.iloc[rows], base.predictions.iloc[rows],
                               rtol=0, atol=1e-9)
    others = np.flatnonzero(base.folds[0] != 2)
    assert np.abs(pert.predictions.iloc[others].to_numpy()
                  - base.predictions.iloc[others].to_numpy()).max() > 1e-6


def test_closed_form_single_item_predictor_equals_ols():
    rng = np.random.default_rng(5)
    n = 90
    x = rng.normal(5, 2, n)
    y = 3 + 0.7 * x + rng.normal(0, 1.5, n)
    df = pd.DataFrame({"x": x, "y": y, "z": rng.normal(size=n)})
    spec = sm.ModelSpec.from_lavaan("X =~ x\nY =~ y\nY ~ X")
    pr = sm.fit_pls(spec, df).predict(folds=6, repetitions=1, seed=2)
    manual = np.empty(n)
    for f in range(6):
        test = pr.folds[0] == f
        A = np.column_stack([np.ones((~test).sum()), x[~test]])
        coef = np.linalg.lstsq(A, y[~test], rcond=None)[0]
        manual[test] = coef[0] + coef[1] * x[test]
    np.testing.assert_allclose(pr.predictions["y"], manual, rtol=0, atol=1e-10)
    np.testing.assert_allclose(pr.lm_predictions["y"], manual, rtol=0, atol=1e-10)
    rmse = np.sqrt(np.mean((y - manual) ** 2))
    assert float(pr.indicators.rmse.iloc[0]) == pytest.approx(rmse, rel=1e-12)
    assert float(pr.indicators.lm_rmse.iloc[0]) == pytest.approx(rmse, rel=1e-12)


def test_errors(res):
    with pytest.raises(sm.OptionError, match="folds"):
        res.predict(folds=1)
    with pytest.raises(sm.OptionError, match="repetitions"):
        res.predict(repetitions=0)
    with pytest.raises(sm.OptionError, match="approach"):
        res.predict(approach="middle")
    loaded = sm.PLSResult.from_json(res.to_json())
    with pytest.raises(sm.SatModelError, match="respondent rows"):
        loaded.predict()
