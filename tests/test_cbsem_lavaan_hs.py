"""CB-SEM against lavaan 0.6-14: the Holzinger-Swineford three-factor CFA by every estimator.

Oracle: tests/oracles/lavaan_hs_cfa (R script, data and SOURCE.md). Both optima are
polished by Newton steps (lavaan's to |gradient| < 1e-12, satmodel's after SLSQP), so
estimates, standard errors and std.all agree to ~2e-12 and are compared to 1e-8 relative
(room for other BLAS builds); every fit index lavaan reports that satmodel has is compared
to 1e-6 (relative above 1, absolute below): lavaan's p values (1 - pchisq) and RMSEA
interval roots carry their own ~1e-8 rounding.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import satmodel as sm
from tests._oracles import oracle_path, read_oracle

CASE = "lavaan_hs_cfa"
pytestmark = pytest.mark.filterwarnings("error::satmodel.SatModelWarning")

#: lavaan fitMeasures name -> satmodel fit index
MEASURES = {"chisq": "chi2", "df": "df", "pvalue": "p_value", "cfi": "cfi", "tli": "tli",
            "rmsea": "rmsea", "rmsea.ci.lower": "rmsea_ci_lower", "rmsea.ci.upper": "rmsea_ci_upper",
            "srmr": "srmr", "gfi": "gfi", "agfi": "agfi", "nfi": "nfi", "logl": "loglik",
            "aic": "aic", "bic": "bic"}

#: oracle case -> (estimator, the fit_cbsem options matching its lavaan settings)
CASES = {
    "ML": ("ML", {}),
    "GLS": ("GLS", {}),
    "GLS_n1": ("GLS", {"cov_divisor": "n-1"}),
    "WLS": ("WLS", {}),
    "WLS_n1": ("WLS", {"cov_divisor": "n-1"}),
    "ULS_robust": ("ULS", {"unscaled_test": True}),
    "ULS_standard": ("ULS", {"se": "standard", "unscaled_test": True}),
    "ULS_n1": ("ULS", {"se": "standard", "unscaled_test": True, "cov_divisor": "n-1"}),
    "DWLS_robust": ("DWLS", {"unscaled_test": True}),
    "DWLS_standard": ("DWLS", {"se": "standard", "unscaled_test": True}),
}


@pytest.fixture(scope="module")
def spec() -> sm.ModelSpec:
    return sm.ModelSpec.from_file(oracle_path(CASE, "model.lav"))


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return read_oracle(CASE, "holzinger_swineford.csv")


@pytest.fixture(scope="module")
def fits(spec, data) -> dict[str, sm.CBSEMResult]:
    return {case: sm.fit_cbsem(spec, data, estimator=est, **kw) for case, (est, kw) in CASES.items()}


def _close(ours: float, ref: float, tol: float) -> bool:
    return abs(ours - ref) <= tol * max(1.0, abs(ref))


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("column", ["estimate", "se", "std_all"])
def test_parameters_equal_lavaan(fits, case, column):
    ref = read_oracle(CASE, "parameters.csv")
    ref = ref[ref["case"] == case].set_index(["lhs", "op", "rhs"])
    ours = fits[case].parameters.set_index(["lhs", "op", "rhs"])
    assert set(ref.index) == set(ours.index)  # construct covariances named as lavaan names them
    bad = [(key, float(ours.loc[key, column]), value) for key, value in ref[column].dropna().items()
           if not abs(float(ours.loc[key, column]) - value) <= 1e-8 * abs(value)]
    assert not bad, bad


@pytest.mark.parametrize("case", list(CASES))
def test_fit_indices_equal_lavaan(fits, case):
    ref = read_oracle(CASE, "fit.csv")
    ref = ref[ref["case"] == case].set_index("measure")["value"]
    fi = fits[case].fit_indices
    bad, compared = [], 0
    for name, ours_name in MEASURES.items():
        value, ours = ref.get(name, np.nan), fi[ours_name]
        if np.isnan(value):  # lavaan reports none (likelihood of a non-ML fit, ULS p value)
            assert ours is pd.NA, (name, ours)
            continue
        compared += 1
        if ours is pd.NA or not _close(float(ours), value, 1e-6):
            bad.append((name, ours, value))
    assert not bad, bad
    assert compared >= 11
    # the baseline chi2 behind CFI and NFI is the independence model refitted by the same
    # estimator (GLS: 278.0, not ML's 918.9): NFI = 1 - chi2 / chi2_baseline
    baseline = float(fi["chi2"]) / (1.0 - float(fi["nfi"]))
    assert _close(baseline, ref["baseline.chisq"], 1e-6)


def test_gls_baseline_is_refitted_by_gls(fits):
    """Issue 17's numbers: GLS baseline 278.0 (ML's is 918.9), CFI 0.779, GFI 0.943."""
    fi = fits["GLS"].fit_indices
    assert float(fi["chi2"]) / (1 - float(fi["nfi"])) == pytest.approx(277.99, abs=0.01)
    assert float(fi["cfi"]) == pytest.approx(0.779, abs=5e-4)
    assert float(fi["gfi"]) == pytest.approx(0.943, abs=5e-4)


def test_uls_and_dwls_leave_the_unscaled_test_out_by_default(spec, data):
    cb = sm.fit_cbsem(spec, data, estimator="DWLS")
    fi = cb.fit_indices
    assert fi[["chi2", "p_value", "cfi", "tli", "rmsea", "nfi"]].isna().all()
    assert fi[["srmr", "gfi", "agfi"]].notna().all()


def test_convention_options_are_validated(spec, data):
    with pytest.raises(sm.OptionError, match="cov_divisor.*'n-1' is for estimator"):
        sm.fit_cbsem(spec, data, cov_divisor="n-1")  # ML
    with pytest.raises(sm.OptionError, match="se='robust'.*bootstrap"):
        sm.fit_cbsem(spec, data, se="robust")
    with pytest.raises(sm.OptionError, match="se='robust'.*'ULS' and 'DWLS'"):
        sm.fit_cbsem(spec, data, estimator="GLS", se="robust")  # lavaan refuses robust.sem too
    with pytest.raises(sm.OptionError, match="cov_divisor"):
        sm.fit_cbsem(spec, data, estimator="GLS", cov_divisor="n+1")
    with pytest.raises(sm.OptionError, match="unscaled_test"):
        sm.fit_cbsem(spec, data, estimator="ULS", unscaled_test="yes")
    for flag in ("srmr_means", "outcome_covariances", "first_marker"):
        with pytest.raises(sm.OptionError, match=flag):
            sm.fit_cbsem(spec, data, **{flag: 1})


def test_results_remember_their_conventions(fits):
    assert fits["GLS_n1"].conventions.cov_divisor == "n-1"
    assert fits["ULS_standard"].conventions.se_kind("ULS") == "standard"
    n = fits["GLS_n1"].n_obs  # the unbiased covariance is what GLS_n1 was fitted to
    np.testing.assert_allclose(fits["GLS_n1"].sample_cov, fits["GLS"].sample_cov * n / (n - 1),
                               rtol=1e-14)
