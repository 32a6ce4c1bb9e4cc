"""PLSc with second-order constructs by cSEM's two-stage approach (``hoc="two_stage",
hoc_convention="csem", consistent=True``) against cSEM 0.4.0.9000; oracle, data and
settings: tests/oracles/csem_hoc_plsc/SOURCE.md. A common-factor second-order construct
(its own rho_A, loadings rebased by the components' reliabilities) and a composite one of
common factors (cSEM's third stage), each under the path and factorial schemes; the first
stage is checked too, and the bootstrap (every stage per resample) against cSEM's SEs."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import satmodel as sm
from _oracles import check_csem_stage, csem_stage_frame

ORACLE = Path(__file__).parent / "oracles" / "csem_hoc_plsc"
TOL = 1e-9  # both sides converged to 1e-12 (max |dw|); observed max |diff| 1.2e-15
BLOCKS = {"IMAG": 4, "EXPE": 3, "QUAL": 4, "VAL": 3, "SAT": 3, "LOY": 3}


def _measurement(composites=()) -> str:
    return "\n".join(f"{c} =~ " + " + ".join(f"{c}{i}" for i in range(1, k + 1))
                     + (f"  # satmodel: {c} composite" if c in composites else "")
                     for c, k in BLOCKS.items())


MODELS = {
    "reflective": _measurement() + """
        PERF =~ EXPE + QUAL + VAL
        PERF ~ IMAG
        SAT ~ PERF + IMAG
        LOY ~ SAT + IMAG""",
    "composite": _measurement(("IMAG",)) + """
        PERF <~ QUAL + VAL
        PERF ~ EXPE
        SAT ~ PERF + IMAG
        LOY ~ SAT + IMAG + EXPE""",
    # csem_hoc_plsc_mixed.R: components mixing a composite (reliability 1) and common
    # factors under a common-factor PERF; a composite PERF of composites (no third stage)
    "mixed": _measurement(("QUAL",)) + """
        PERF =~ EXPE + QUAL + VAL
        PERF ~ IMAG
        SAT ~ PERF + IMAG
        LOY ~ SAT + IMAG""",
    "composites": _measurement(("QUAL", "VAL")) + """
        PERF <~ QUAL + VAL
        PERF ~ EXPE
        SAT ~ PERF + IMAG
        LOY ~ SAT + IMAG + EXPE""",
}


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return pd.read_csv(ORACLE / "data.csv")


def _fit(data, model, **options):
    return sm.fit_pls(sm.ModelSpec.from_lavaan(MODELS[model]), data, hoc="two_stage",
                      hoc_convention="csem", consistent=True, **options)


def _read(tag: str, kind: str, **kwargs) -> pd.DataFrame:
    return csem_stage_frame("csem_hoc_plsc", tag, kind, **kwargs)


def _check(res, tag: str, stage1: bool = False) -> None:
    check_csem_stage(res, "csem_hoc_plsc", tag, TOL)
    cc = _read(tag, "construct_corr", index_col=0)
    ours = res.construct_correlations.loc[cc.index, cc.columns]
    assert np.abs(ours.to_numpy() - cc.to_numpy()).max() < TOL
    rel = _read(tag, "reliabilities").set_index("construct").reliability
    rho_a = res.quality.set_index("construct").rho_a
    if stage1:  # cSEM reports 1 for a composite, satmodel its rho_A: common factors only
        factors = {c.name for c in res.spec.constructs if c.common_factor}
        rel = rel[[c for c in rel.index if c in factors]]
    assert np.abs(rho_a[rel.index].to_numpy(dtype=float) - rel.to_numpy()).max() < TOL


@pytest.mark.parametrize("model, scheme", [
    ("reflective", "path"), ("reflective", "factorial"), ("composite", "path"),
    ("composite", "factorial"), ("mixed", "path"), ("composites", "path")])
def test_plsc_second_order_matches_csem(data, model, scheme):
    res = _fit(data, model, scheme=scheme, tol=1e-12, max_iter=1000)
    _check(res, f"{model}_{scheme}")
    _check(res.stages[0], f"{model}_{scheme}_stage1", stage1=True)
    assert res.options.consistent and res.stages[0].options.consistent
    back = sm.StagedPLSResult.from_json(res.to_json())  # the JSON record keeps PLSc
    assert np.abs(back.outer.loading - res.outer.loading).max() < 1e-12


# Monte-Carlo tolerance: B = 1000 resamples on each side; an SE estimate has a relative
# standard deviation of about 1/sqrt(2B) = 2.2% (near-normal draws), the difference of two
# independent ones about 3.2%; 15% is over 4.5 of those and leaves room for heavier tails
# (disattenuated correlations). A wrong procedure (stage 1 held fixed, reliabilities not
# recomputed per resample, no PLSc in the resamples) moves these SEs by far more.
REL = 0.15


@pytest.mark.parametrize("model", ["reflective", "composite"])
def test_plsc_second_order_bootstrap_redoes_every_stage(data, model):
    res = _fit(data, model, tol=1e-10, max_iter=1000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.SatModelWarning)  # a few inadmissible resamples
        boot = res.bootstrap(n=1000, seed=7, progress=False, tables=["paths"])
    se = pd.read_csv(ORACLE / f"{model}_path_bootstrap_se.csv")
    se[["target", "source"]] = se.path.str.split(" ~ ", expand=True)
    m = se.merge(boot.paths, on=["source", "target"], suffixes=("_r", ""))
    assert len(m) == len(se) == len(res.paths)
    rel = np.abs(m.se - m.se_r) / m.se_r
    assert rel.max() < REL, m.assign(rel=rel)


@pytest.mark.parametrize("options, match", [
    (dict(hoc="two_stage"), "seminr's second stage"),
    (dict(hoc="repeated_indicators"), "copies of items"),
    (dict(hoc="embedded_two_stage"), "copies of items"),
])
def test_plsc_refused_where_not_defined(data, options, match):
    with pytest.raises(sm.NotAvailableError, match=match):
        sm.fit_pls(sm.ModelSpec.from_lavaan(MODELS["reflective"]), data, consistent=True,
                   **options)


def test_plsc_refused_with_interaction_terms(data):
    spec = sm.ModelSpec.from_lavaan(MODELS["reflective"] + "\nLOY ~ SAT:IMAG")
    with pytest.raises(sm.NotAvailableError, match="interaction terms"):
        sm.fit_pls(spec, data, hoc="two_stage", hoc_convention="csem",
                   interaction="two_stage", consistent=True)
