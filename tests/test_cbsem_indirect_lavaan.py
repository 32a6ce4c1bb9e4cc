"""Specific indirect effects of a CB-SEM fit against lavaan 0.6-14's ``:=`` defined
parameters and its bootstrap (tests/oracles/lavaan_mediation: R script, model, SOURCE.md).

Model: IMAG -> QUAL -> SAT -> LOY with the direct paths IMAG -> SAT and IMAG -> LOY on the
shipped ecsi_satisfaction data (ML, divisor n, marker scaling); every chain through one or more
mediators is defined in lavaan with ``:=`` and standardized by ``standardizedSolution``.
Estimates: both optima are Newton-polished, compared to 1e-6 (observed ~1e-14).

Bootstrap: lavaan's ``bootstrapLavaan`` (B = 2000, ordinary) of the std.all products,
ours ``res.bootstrap(n=B_OURS)``; different random streams, so the two SEs differ by Monte
Carlo error. An SE estimated from B draws of a statistic with kurtosis k has relative sd
sqrt((k - 1) / (4 B)) (k = 3 for a normal statistic: 1 / sqrt(2B)); the difference of two
independent estimates has relative sd sqrt((k - 1) / 4 * (1/B_OURS + 1/B_LAVAAN)), with k
from lavaan's draws (bootstrap.csv). The tolerance is 4 of those sds (a false alarm about
once in 16 000 comparisons): e.g. k = 3.5, B_OURS = 500, B_LAVAAN = 2000: 4 * 0.040 = 16 % of the SE.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import satmodel as sm
from satmodel.assess.mediation import mediation_type
from tests._oracles import read_oracle
from tests.test_cbsem_hoc_lavaan import lavaan_text

CASE = "lavaan_mediation"
B_OURS = 500

#: lavaan's defined parameter -> (source, through, target) of our table
CHAINS = {"ind_IMAG_QUAL_SAT": ("IMAG", "QUAL", "SAT"),
          "ind_IMAG_QUAL_SAT_LOY": ("IMAG", "QUAL -> SAT", "LOY"),
          "ind_IMAG_SAT_LOY": ("IMAG", "SAT", "LOY"),
          "tot_IMAG_LOY": ("IMAG", "(total)", "LOY"),
          "ind_QUAL_SAT_LOY": ("QUAL", "SAT", "LOY")}
#: lavaan's labels of the direct paths -> (source, target)
DIRECT = {"a": ("IMAG", "QUAL"), "b": ("QUAL", "SAT"), "c": ("IMAG", "SAT"),
          "d": ("SAT", "LOY"), "e": ("IMAG", "LOY")}


def _data() -> pd.DataFrame:
    return sm.datasets.load("ecsi_satisfaction").drop(columns=["gender"])


@pytest.fixture(scope="module")
def res() -> sm.CBSEMResult:
    spec = sm.ModelSpec.from_lavaan(lavaan_text(CASE))
    with warnings.catch_warnings():
        warnings.simplefilter("error", sm.SatModelWarning)
        return sm.fit_cbsem(spec, _data())


@pytest.fixture(scope="module")
def boot(res) -> sm.CBSEMResult:
    return res.bootstrap(n=B_OURS, seed=20261202, progress=False)


@pytest.fixture(scope="module")
def lav_boot() -> pd.DataFrame:
    return read_oracle(CASE, "bootstrap.csv").set_index("name")


def test_fit_equals_lavaan(res):
    fit = read_oracle(CASE, "fit.csv").set_index("measure")["value"]
    assert float(res.fit_indices["df"]) == fit["df"]
    assert abs(float(res.fit_indices["chi2"]) - fit["chisq"]) < 1e-6 * fit["chisq"]


def test_indirect_estimates_equal_lavaan_defined(res):
    ref = read_oracle(CASE, "parameters.csv", keep_default_na=False, na_values=["NA"])
    lav = ref[ref.op == ":="].set_index("lhs")["std_all"]
    ie = res.indirect_effects.set_index(["source", "through", "target"])
    for name, key in CHAINS.items():
        assert abs(ie.loc[key, "estimate"] - lav[name]) < 1e-6, name
    assert len(ie) == 7  # 4 chains and the totals of the 3 pairs they join
    paths = ref[ref.op == "~"].set_index("label")["std_all"]
    assert abs(ie.loc[("IMAG", "QUAL", "SAT"), "direct"] - paths["c"]) < 1e-6
    assert abs(ie.loc[("IMAG", "SAT", "LOY"), "direct"] - paths["e"]) < 1e-6
    assert ie.loc[("QUAL", "(total)", "LOY"), "direct"] == 0.0  # no direct path
    eff = res.effects.set_index(["source", "target"])
    for (src, _, tgt), row in ie.iterrows():
        assert abs(row["total"] - eff.loc[(src, tgt), "total"]) < 1e-12


def test_bootstrap_se_within_monte_carlo_error(boot, lav_boot):
    ie = boot.indirect_effects.set_index(["source", "through", "target"])
    paths = boot.paths.set_index(["source", "target"])
    ours = {name: float(ie.loc[key, "se"]) for name, key in CHAINS.items()}
    ours.update({name: float(paths.loc[key, "se"]) for name, key in DIRECT.items()})
    n_lav = int(lav_boot["n_valid"].iloc[0])
    bad = []
    for name, se in ours.items():
        row = lav_boot.loc[name]
        rel_sd = np.sqrt((row["kurtosis"] - 1) / 4 * (1 / boot.inference.n_valid + 1 / n_lav))
        if abs(se - row["boot_se"]) > 4 * rel_sd * row["boot_se"]:
            bad.append((name, se, row["boot_se"], 4 * rel_sd))
    assert not bad, bad


def test_mediation_types_as_from_lavaan_intervals(boot, lav_boot):
    """Zhao et al. (2010) types from lavaan's percentile intervals, for the effects whose
    interval bounds are clear of 0 (by more than half an SE on both programs' sides: the
    Monte Carlo error of a 2.5 % quantile with B = 500 is about 0.1 SE)."""
    ie = boot.indirect_effects.set_index(["source", "through", "target"])
    checked = 0
    for name, key in CHAINS.items():
        pair = (key[0], key[2])
        direct = next((k for k, v in DIRECT.items() if v == pair), None)
        ind = lav_boot.loc[name]
        rows = [ind] + ([lav_boot.loc[direct]] if direct else [])
        if not all(min(abs(r["ci_lower"]), abs(r["ci_upper"])) > 0.5 * r["boot_se"] for r in rows):
            continue
        dr = rows[1] if direct else pd.Series({"estimate": 0.0, "ci_lower": 0.0, "ci_upper": 0.0})
        expected = mediation_type(*(np.array([ind[c]]) for c in ("estimate", "ci_lower", "ci_upper")),
                                  *(np.array([dr[c]]) for c in ("estimate", "ci_lower", "ci_upper")))[0]
        assert ie.loc[key, "type"] == expected, name
        checked += 1
    assert checked == len(CHAINS)  # all five are clear here (lavaan's values fix which)
    assert ie.loc[("IMAG", "QUAL", "SAT"), "type"] == "complementary"
    assert ie.loc[("QUAL", "SAT", "LOY"), "type"] == "indirect-only"


def test_columns_are_pls_columns(res, boot):
    """The CB-SEM table has PLS's columns, before and after a bootstrap."""
    pls = sm.fit_pls(res.spec, _data())
    assert list(res.indirect_effects.columns) == list(pls.indirect_effects.columns)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.SatModelWarning)
        pls_boot = pls.bootstrap(n=20, seed=1)
    assert list(boot.indirect_effects.columns) == list(pls_boot.indirect_effects.columns)
    ie = boot.indirect_effects
    assert (ie["ci_lower"] <= ie["estimate"]).all() and (ie["estimate"] <= ie["ci_upper"]).all()
