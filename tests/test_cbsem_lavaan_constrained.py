"""CB-SEM against lavaan 0.6-14 on models with fixed loadings, a fixed construct covariance,
a fixed residual variance, residual covariances written against variable order, and a
construct linked to the structural model only by a covariance (issue 17).

Oracle: tests/oracles/lavaan_hs_constrained (R script and SOURCE.md; data of
tests/oracles/lavaan_hs_cfa). Tolerances as tests/test_cbsem_lavaan_hs.py: both optima are
Newton-polished, so estimates, standard errors and std.all are compared to 1e-8 relative
(observed ~1e-12), fit indices to 1e-6.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import satmodel as sm
from tests._oracles import oracle_path, read_oracle
from tests.test_cbsem_lavaan_hs import MEASURES

CASE = "lavaan_hs_constrained"
CASES = {"fixed_ML": ("model_fixed.lav", "ML", {}), "fixed_GLS": ("model_fixed.lav", "GLS", {}),
         "linked_ML": ("model_linked.lav", "ML", {}),
         # lavaan sem()'s default frees textual ~~ speed (orthogonal.y = FALSE); satmodel's
         # default is lavaan's orthogonal.y = TRUE
         "outcomes_ML": ("model_outcomes.lav", "ML", {"outcome_covariances": True}),
         "outcomes_ML_orthogonal": ("model_outcomes.lav", "ML", {}),
         # lavaan fixes x1 to 1 beside the spec's 0.6*x2: first_marker=True
         "marker_ML": ("model_marker.lav", "ML", {"first_marker": True})}
pytestmark = pytest.mark.filterwarnings("error::satmodel.SatModelWarning")


@pytest.fixture(scope="module")
def fits() -> dict[str, sm.CBSEMResult]:
    data = read_oracle("lavaan_hs_cfa", "holzinger_swineford.csv")
    return {case: sm.fit_cbsem(sm.ModelSpec.from_file(oracle_path(CASE, model)), data,
                               estimator=est, **kw) for case, (model, est, kw) in CASES.items()}


@pytest.mark.parametrize("case", list(CASES))
def test_parameters_equal_lavaan(fits, case):
    ref = read_oracle(CASE, "parameters.csv")
    ref = ref[ref["case"] == case].set_index(["lhs", "op", "rhs"])
    ours = fits[case].parameters.set_index(["lhs", "op", "rhs"])
    if case.endswith("orthogonal"):  # lavaan lists the orthogonal outcomes' covariance as 0
        assert ref.loc[("textual", "~~", "speed"), "estimate"] == 0
        ref = ref.drop(("textual", "~~", "speed"))
    assert set(ref.index) == set(ours.index)  # covariances named in variable order, as lavaan
    bad = []
    for column in ("estimate", "se", "std_all"):
        for key, value in ref[column].items():
            got = float(ours.loc[key, column])
            if np.isnan(value):  # fixed: lavaan has no se, satmodel <NA>
                assert np.isnan(got) and not ours.loc[key, "free"], key
            elif not abs(got - value) <= 1e-8 * max(abs(value), 1e-3):
                bad.append((column, key, got, value))
    assert not bad, bad


@pytest.mark.parametrize("case", list(CASES))
def test_fit_indices_equal_lavaan(fits, case):
    ref = read_oracle(CASE, "fit.csv")
    ref = ref[ref["case"] == case].set_index("measure")["value"]
    fi = fits[case].fit_indices
    bad = [(name, fi[ours], ref[name]) for name, ours in MEASURES.items()
           if name in ref.index and not (np.isnan(ref[name]) and fi[ours] is pd.NA)
           and (fi[ours] is pd.NA or abs(float(fi[ours]) - ref[name]) > 1e-6 * max(1, abs(ref[name])))]
    assert not bad, bad


def test_without_first_marker_the_fixed_loading_sets_the_scale():
    """satmodel's default frees x1 when 0.6*x2 fixes the scale: the same model as lavaan's
    cfa() of the plain CFA (an equivalent parameterization), so its chi2 and df."""
    data = read_oracle("lavaan_hs_cfa", "holzinger_swineford.csv")
    res = sm.fit_cbsem(sm.ModelSpec.from_file(oracle_path(CASE, "model_marker.lav")), data)
    ref = read_oracle("lavaan_hs_cfa", "fit.csv").query("case == 'ML'").set_index("measure")["value"]
    assert float(res.fit_indices["chi2"]) == pytest.approx(ref["chisq"], rel=1e-8)
    assert float(res.fit_indices["df"]) == ref["df"]
    assert bool(res.parameters.set_index(["lhs", "op", "rhs"]).loc[("visual", "=~", "x1"), "free"])
