"""Bootstrap standard errors of staged models against seminr's and cSEM's, which redo every
stage per resample too (oracles: tests/oracles/seminr_hoc_interaction/seminr_bootstrap.R,
tests/oracles/csem_hoc_two_stage/csem_hoc_two_stage.R).

Tolerance from the Monte-Carlo error: with B = 1000 resamples on each side an SE estimate
has a relative standard deviation of about 1/sqrt(2B) = 2.2% (near-normal draws), the
difference of two independent ones about 3.2%; 15% is more than 4.5 of those, and leaves
room for heavier-tailed draws (products of paths). A wrong procedure (e.g. stage 1 held
fixed, scores not recomputed per resample) moves these SEs by far more.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import satmodel as sm

HERE = Path(__file__).parent / "oracles"
REL = 0.15
B = 1000
BLOCKS = {"IMAG": 5, "EXPE": 5, "QUAL": 5, "VAL": 4, "SAT": 4, "LOY": 4}


def _measurement(names) -> str:
    return "\n".join(f"{c} =~ " + " + ".join(f"{c}{i}" for i in range(1, BLOCKS[c] + 1))
                     + f"  # satmodel: {c} composite" for c in names)


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return sm.datasets.load("ecsi_satisfaction").drop(columns="gender")


def _compare(ours: pd.DataFrame, oracle: pd.DataFrame) -> None:
    m = oracle.merge(ours, on=["source", "through", "target"], suffixes=("_r", ""))
    assert len(m) == len(oracle)
    assert np.abs(m.estimate_r - m.estimate).max() < 1e-5  # seminr's default stop rule
    rel = np.abs(m.se - m.se_r) / m.se_r
    assert rel.max() < REL, m.assign(rel=rel)


def _tidy(boot) -> pd.DataFrame:
    paths = boot.paths.assign(through="")[["source", "through", "target", "estimate", "se"]]
    ind = boot.indirect_effects
    ind = ind[ind.through != "(total)"][["source", "through", "target", "estimate", "se"]]
    return pd.concat([paths, ind], ignore_index=True)


def test_hoc_bootstrap_se_match_seminr(data):
    spec = sm.ModelSpec.from_lavaan(_measurement(BLOCKS) + """
        PERF =~ QUAL + VAL
        PERF ~ EXPE
        SAT ~ PERF + IMAG
        LOY ~ SAT + IMAG""")
    res = sm.fit_pls(spec, data, hoc="two_stage", stop="sum_abs")  # seminr: 1e-7, sum |dw|
    boot = res.bootstrap(n=B, seed=11, progress=False, tables=["paths"])
    _compare(_tidy(boot), pd.read_csv(HERE / "seminr_hoc_interaction" / "hoc_modeA_bootstrap_se.csv",
                                      keep_default_na=False))


def test_two_stage_interaction_bootstrap_se_match_seminr(data):
    spec = sm.ModelSpec.from_lavaan(_measurement(["IMAG", "EXPE", "QUAL", "SAT", "LOY"]) + """
        SAT ~ EXPE + QUAL
        LOY ~ SAT + IMAG + SAT:IMAG""")
    res = sm.fit_pls(spec, data, interaction="two_stage", interaction_scale="seminr",
                     stop="sum_abs")
    boot = res.bootstrap(n=B, seed=12, progress=False, tables=["paths"])
    oracle = pd.read_csv(HERE / "seminr_hoc_interaction" / "int_two_stage_bootstrap_se.csv",
                         keep_default_na=False)
    oracle["source"] = oracle.source.str.replace("*", ":", regex=False)
    _compare(_tidy(boot), oracle)


def test_csem_two_stage_bootstrap_se(data):
    spec = sm.ModelSpec.from_lavaan(_measurement(BLOCKS) + """
        PERF <~ QUAL + VAL
        PERF ~ EXPE
        SAT ~ PERF + IMAG
        LOY ~ SAT + IMAG""")
    res = sm.fit_pls(spec, data, hoc="two_stage", hoc_convention="csem", tol=1e-10)
    boot = res.bootstrap(n=B, seed=13, progress=False, tables=["paths"])
    oracle = pd.read_csv(HERE / "csem_hoc_two_stage" / "modeB_path_bootstrap_se.csv")
    ends = oracle.path.str.replace("_temp", "", regex=False).str.split(" ~ ")
    oracle = pd.DataFrame({"source": ends.str[1], "target": ends.str[0], "se": oracle.se})
    m = oracle.merge(boot.paths, on=["source", "target"], suffixes=("_r", ""))
    assert len(m) == len(oracle) == len(boot.paths)
    rel = np.abs(m.se - m.se_r) / m.se_r
    assert rel.max() < REL, m.assign(rel=rel)
