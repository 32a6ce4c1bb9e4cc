"""Sarstedt et al.'s (2011) confidence-interval approaches to MGA against cSEM's testMGD
(``.approach_mgd = "CI_para"`` / ``"CI_overlap"``, ``.type_ci = "CI_percentile"``).

References: ``tests/oracles/csem_mga_ci/`` (R script and SOURCE.md there).

- Formula runs (two and three groups): cSEM's own 199 bootstrap draws per group are
  exported, so satmodel's bounds (R type 7 quantiles) must equal cSEM's to floating-point
  order (1e-12) and every decision must be cSEM's exactly.
- End-to-end run (two groups, every parameter, cSEM 1000 draws a group, satmodel 2000):
  a percentile bound is a sample quantile, whose Monte-Carlo SD is about
  σ·sqrt(p(1 − p)/B)/φ(z_p) for a bootstrap distribution close to normal with SD σ
  (p = 0.025: 2.67 σ/sqrt(B)); the two programs' bounds may differ by Z = 4.5 SDs of the
  difference of two independent quantiles. Decisions are compared where every bound
  behind them is further than that tolerance from what it is compared with.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _oracles import ECSI_SATISFACTION, read_oracle
from scipy import stats

import satmodel as sm
from satmodel.groups.mga_stats import ci_no_difference, percentile_bounds

CASE = "csem_mga_ci"
SPEC = sm.ModelSpec.from_lavaan(ECSI_SATISFACTION)
Z = 4.5
B_R, B = 1000, 2000


def labels(kind: str) -> np.ndarray:
    gender = sm.datasets.load("ecsi_satisfaction").gender.to_numpy()
    if kind == "gender":
        return gender
    k = np.cumsum(gender == "female")  # as the R script: women alternately a / b
    return np.where(gender == "male", "male", np.where(k % 2 == 1, "female_a", "female_b"))


@pytest.mark.parametrize("kind", ["gender", "three"])
def test_bounds_and_decisions_equal_csem_on_its_own_draws(kind):
    draws = read_oracle(CASE, f"formula_draws_{kind}.csv")
    est = read_oracle(CASE, f"path_estimates_{kind}.csv").set_index(["group", "name"]).estimate
    ref = read_oracle(CASE, f"formula_ci_{kind}.csv")
    params = [c for c in draws.columns if c not in ("group", "draw")]
    bounds = {g: percentile_bounds(part[params].to_numpy(), 0.95)
              for g, part in draws.groupby("group")}
    for approach in ("CI_para", "CI_overlap"):
        rows = ref[(ref.approach == approach) & (ref.comparison != "overall")]
        decisions = []
        for (a, b), part in rows.groupby(["group_1", "group_2"], sort=False):
            part = part.set_index("name").loc[params]
            (lo_a, hi_a), (lo_b, hi_b) = bounds[a], bounds[b]
            np.testing.assert_allclose(np.c_[lo_a, hi_a, lo_b, hi_b],
                                       part[["lb_1", "ub_1", "lb_2", "ub_2"]], rtol=0, atol=1e-12)
            same = ci_no_difference(approach.lower(), est.loc[a].loc[params].to_numpy(),
                                    est.loc[b].loc[params].to_numpy(), lo_a, hi_a, lo_b, hi_b)
            assert same.tolist() == part.no_difference.tolist(), (approach, a, b)
            decisions.extend(same)
        overall = ref[(ref.approach == approach) & (ref.comparison == "overall")].no_difference
        assert bool(np.all(decisions)) == bool(overall.iloc[0])


def test_both_decisions_occur_in_the_reference():
    """The formula references hold both decisions, so the test above can fail either way."""
    ref = pd.concat([read_oracle(CASE, f"formula_ci_{k}.csv") for k in ("gender", "three")])
    ref = ref[ref.comparison != "overall"]
    for approach in ("CI_para", "CI_overlap"):
        assert set(ref[ref.approach == approach].no_difference) == {True, False}


@pytest.fixture(scope="module")
def end_to_end():
    df = sm.datasets.load("ecsi_satisfaction")
    out = sm.compare_groups(SPEC, df.drop(columns="gender"), group=labels("gender"),
                            method=["ci_para", "ci_overlap"], n_boot=B, seed=3,
                            tol=1e-12, max_iter=1000)
    ref = read_oracle(CASE, "main_ci_gender.csv")
    ref = ref[ref.comparison != "overall"].assign(method=lambda r: r.approach.str.lower())
    merged = out.merge(ref, on=["method", "name"], how="inner", suffixes=("", "_r"))
    assert len(merged) == len(out) == len(ref) == 2 * 37
    return merged


def _tolerance(lower: pd.Series, upper: pd.Series) -> np.ndarray:
    sigma = (upper - lower).to_numpy() / (2 * stats.norm.ppf(0.975))
    p = 0.025
    sd = sigma * np.sqrt(p * (1 - p)) / stats.norm.pdf(stats.norm.ppf(p))
    return Z * sd * np.sqrt(1 / B_R + 1 / B)


def test_end_to_end_bounds_within_monte_carlo_error(end_to_end):
    m = end_to_end
    for g in ("1", "2"):
        tol = _tolerance(m[f"ci_lower_{g}"], m[f"ci_upper_{g}"])
        for side, r in (("lower", "lb"), ("upper", "ub")):
            gap = np.abs(m[f"ci_{side}_{g}"] - m[f"{r}_{g}"]).to_numpy()
            assert (gap <= tol).all(), (g, side, (gap / tol).max())
    assert (m.group_1 == "female").all() and (m.group_2 == "male").all()
    assert m.statistic.isna().all() and m.p.isna().all()


def test_end_to_end_decisions_equal_csem_where_clear(end_to_end):
    m = end_to_end
    t1 = _tolerance(m.ci_lower_1, m.ci_upper_1)
    t2 = _tolerance(m.ci_lower_2, m.ci_upper_2)
    e1, e2 = m.estimate_female, m.estimate_male
    para = (np.abs(e1 - m.ci_lower_2) > t2) & (np.abs(e1 - m.ci_upper_2) > t2) & \
        (np.abs(e2 - m.ci_lower_1) > t1) & (np.abs(e2 - m.ci_upper_1) > t1)
    overlap = (np.abs(m.ci_lower_1 - m.ci_upper_2) > t1 + t2) & \
        (np.abs(m.ci_lower_2 - m.ci_upper_1) > t1 + t2)
    clear = np.where(m.method == "ci_para", para, overlap)
    assert clear.mean() > 0.6  # most rows are compared (72 % here)
    assert (m.reject[clear] == ~m.no_difference[clear].astype(bool)).all()
    assert set(m.reject[clear]) == {True, False}


def test_ci_approaches_ignore_the_correction_and_follow_alpha():
    """cSEM ignores .approach_p_adjust for the CI approaches; the interval level is 1 - alpha."""
    df = sm.datasets.load("ecsi_satisfaction")
    kw = dict(method="ci_overlap", n_boot=200, seed=5, parameters="paths")
    a = sm.compare_groups(SPEC, df, group="gender", correction="holm", **kw)
    b = sm.compare_groups(SPEC, df, group="gender", **kw)
    pd.testing.assert_frame_equal(a, b)
    wide = sm.compare_groups(SPEC, df, group="gender", alpha=0.01, **kw)
    assert ((wide.ci_upper_1 - wide.ci_lower_1) > (b.ci_upper_1 - b.ci_lower_1)).all()
    assert wide.reject.sum() <= b.reject.sum()
