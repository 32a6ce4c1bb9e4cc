"""CVPAT (Liengaard et al. 2021) against cSEM's testCVPAT computation on identical folds.

Oracle: tests/oracles/csem_predict_cvpat/cvpat.csv — the statistic of cSEM's testCVPAT
(cSEM >= 0.5, followed line by line; the installed cSEM 0.4 has no testCVPAT) on the
per-row losses of cSEM 0.4 ``predict`` fold by fold, checked in the script against R's
``t.test(paired = TRUE)``; the LM benchmark is R ``lm`` on the exogenous items. Folds are
passed as labels, so the losses are deterministic: tolerance 1e-8 on t (losses agree to
~1e-13; t is a ratio of their mean and SD over 250 rows).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import satmodel as sm
from _oracles import ORACLES

CASE = ORACLES / "csem_predict_cvpat"


def _fit(name: str, data=None):
    text = (CASE / "make_oracle.R").read_text()
    spec = sm.ModelSpec.from_lavaan(re.search(name + r' <- "\n(.*?)"', text, re.S).group(1))
    data = sm.datasets.load("ecsi_satisfaction") if data is None else data
    return sm.fit_pls(spec, data, tol=1e-12, max_iter=1000)


@pytest.fixture(scope="module")
def fits():
    return _fit("model_a"), _fit("model_b")


@pytest.fixture(scope="module")
def folds():
    return pd.read_csv(CASE / "folds.csv").fold.to_numpy()


@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less", "one-sided"])
def test_matches_csem_testcvpat(fits, folds, alternative):
    """"one-sided" is the earlier spelling of "greater" (cSEM's one-sided test); the oracle
    has no "less" column: P(T <= t) = 1 - P(T >= t) for the continuous t distribution."""
    ref = pd.read_csv(CASE / "cvpat.csv").set_index("test")
    out = sm.cvpat(*fits, folds=folds, alternative=alternative).set_index("test")
    pairs = {"model_vs_b": "a_vs_b", "vs_indicator_average": "a_vs_indicator_average",
             "vs_linear_model": "a_vs_lm"}
    for ours, theirs in pairs.items():
        row, exp = out.loc[ours], ref.loc[theirs]
        assert float(row.statistic) == pytest.approx(exp.statistic, abs=1e-8)
        assert row.df == exp.df == 249
        assert float(row.mean_diff) == pytest.approx(exp.mean_diff, abs=1e-10)
        sided = alternative if ours == "model_vs_b" else "greater"
        sided = "greater" if sided == "one-sided" else sided
        assert row.alternative == sided
        want = {"two-sided": exp.p_two_sided, "greater": exp.p_one_sided,
                "less": 1.0 - exp.p_one_sided}[sided]
        assert float(row.p) == pytest.approx(want, abs=1e-8)


def test_same_folds_and_repetitions(fits):
    a, b = fits
    one = sm.cvpat(a, b, folds=5, repetitions=2, seed=4)
    two = sm.cvpat(a, b, folds=5, repetitions=2, seed=4)
    pd.testing.assert_frame_equal(one, two)
    assert one.attrs["folds"].shape == (2, 250)
    # explicit labels of the same folds give the same table
    again = sm.cvpat(a, b, folds=one.attrs["folds"])
    pd.testing.assert_frame_equal(one, again)


def test_leave_one_out(fits):
    a, _ = fits
    out = sm.cvpat(a, folds=250)
    assert out.attrs["folds"].shape == (1, 250)
    assert len(set(out.attrs["folds"][0])) == 250


def test_identical_models_give_no_statistic(fits, folds):
    """D is zero on every row: the t statistic is undefined (<NA>), not a silent number."""
    a, _ = fits
    out = sm.cvpat(a, a, folds=folds).set_index("test")
    assert pd.isna(out.loc["model_vs_b", "statistic"]) and pd.isna(out.loc["model_vs_b", "p"])


def test_errors(fits, folds):
    a, b = fits
    with pytest.raises(sm.OptionError,
                       match="alternative='both'.*'two-sided', 'greater', 'less'$"):
        sm.cvpat(a, b, alternative="both")
    with pytest.raises(sm.OptionError, match="folds"):
        sm.cvpat(a, b, folds=1)
    other = _fit("model_b", sm.datasets.load("ecsi_satisfaction").iloc[:200])
    with pytest.raises(sm.DataError, match="same"):
        sm.cvpat(a, other, folds=10)
    changed = sm.datasets.load("ecsi_satisfaction")
    changed.loc[0, "SAT1"] = 1 if changed.loc[0, "SAT1"] != 1 else 2
    with pytest.raises(sm.DataError, match="SAT1"):
        sm.cvpat(a, _fit("model_b", changed), folds=10)


@pytest.mark.parametrize("other", ["model.json", 5])
def test_a_result_that_is_not_a_pls_fit_is_refused_by_name(other):
    # Before: a raw AttributeError ('refit_with_rows').
    import satmodel as sm

    res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
    with pytest.raises(sm.OptionError, match="res_b must be a PLS result"):
        sm.cvpat(res, other)
    with pytest.raises(sm.OptionError, match="res_a must be a PLS result"):
        sm.cvpat(other)
