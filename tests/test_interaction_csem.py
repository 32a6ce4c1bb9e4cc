"""Interaction terms by cSEM's nonlinear estimator (interaction_scale="csem") against cSEM
0.4.0.9000; oracle, settings and the estimator: tests/oracles/csem_hoc_nonlinear/SOURCE.md."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import satmodel as sm

ORACLE = Path(__file__).parent / "oracles" / "csem_hoc_nonlinear"
TOL = 1e-9  # both sides converged to 1e-12 (max |dw|); observed max |diff| below 1e-12
BLOCKS = {"IMAG": 5, "EXPE": 5, "QUAL": 5, "SAT": 4, "LOY": 4}
MEASUREMENT = "\n".join(f"{c} =~ " + " + ".join(f"{c}{i}" for i in range(1, k + 1))
                        + f"  # satmodel: {c} composite" for c, k in BLOCKS.items())
MODELS = {"one": "SAT ~ EXPE + QUAL\nLOY ~ SAT + IMAG + SAT:IMAG",
          "two": "SAT ~ EXPE + QUAL + EXPE:QUAL\nLOY ~ SAT + IMAG + SAT:IMAG"}


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return sm.datasets.load("ecsi_satisfaction").drop(columns="gender")


def _fit(data, tag, **options):
    spec = sm.ModelSpec.from_lavaan(MEASUREMENT + "\n" + MODELS[tag])
    return sm.fit_pls(spec, data, interaction="two_stage", interaction_scale="csem", **options)


@pytest.mark.parametrize("tag", ["one", "two"])
def test_nonlinear_estimates_match_csem(data, tag):
    res = _fit(data, tag, tol=1e-12, max_iter=1000)
    paths = pd.read_csv(ORACLE / f"{tag}_paths.csv")
    paths["source"] = paths.source.str.replace(".", ":", regex=False)
    p = paths.merge(res.paths, on=["source", "target"], how="outer", suffixes=("_r", ""))
    assert not p.isna().any().any()
    assert np.abs(p.estimate_r - p.estimate).max() < TOL
    r2 = pd.read_csv(ORACLE / f"{tag}_r2.csv")
    assert np.abs(r2.r2.to_numpy() - res.r2[r2.construct].to_numpy()).max() < TOL
    # cSEM's weights are those of the model without interaction terms: our first stage
    o = pd.read_csv(ORACLE / f"{tag}_outer.csv").merge(
        res.stages[0].outer, on=["construct", "indicator"], how="outer", suffixes=("_r", ""))
    assert not o.isna().any().any()
    assert np.abs(o.weight_r - o.weight).max() < TOL
    assert np.abs(o.loading_r - o.loading).max() < TOL


def test_nonlinear_bootstrap_se_match_csem(data):
    # B = 1000 on both sides: relative MC error of an SE about 1/sqrt(2B) = 2.2%, of the
    # difference 3.2%; 15% is over 4.5 of those (see tests/test_hoc_bootstrap_se.py)
    boot = _fit(data, "one", tol=1e-10).bootstrap(n=1000, seed=21, progress=False,
                                                  tables=["paths"])
    oracle = pd.read_csv(ORACLE / "one_bootstrap_se.csv")
    ends = oracle.path.str.split(" ~ ")
    oracle = pd.DataFrame({"source": ends.str[1].str.replace(".", ":", regex=False),
                           "target": ends.str[0], "se": oracle.se})
    m = oracle.merge(boot.paths, on=["source", "target"], suffixes=("_r", ""))
    assert len(m) == len(oracle) == len(boot.paths)
    rel = np.abs(m.se - m.se_r) / m.se_r
    assert rel.max() < 0.15, m.assign(rel=rel)


def test_csem_estimator_is_for_two_way_two_stage_terms(data):
    spec = sm.ModelSpec.from_lavaan(MEASUREMENT + "\n" + MODELS["one"])
    with pytest.raises(sm.SatModelError, match="interaction_scale='csem'"):
        sm.fit_pls(spec, data, interaction="product_indicator", interaction_scale="csem")
