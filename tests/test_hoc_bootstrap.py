"""Inference for staged models (issue 14 part d): a bootstrap resample redoes every stage.

A resample is a vector of row counts; the staged refit of those counts must equal a fresh
``fit_pls`` on the replicated rows (every stage re-estimated, the products and scores
recomputed on the resample) — an invariance, not a snapshot. Tolerance 1e-8: both sides
converge to 1e-12, and the counts are integer weights, so only rounding differs.
"""

from __future__ import annotations

import numpy as np
import pytest

import satmodel as sm

TIGHT = dict(tol=1e-12, stop="sum_abs", max_iter=1000)
TEXT = """
QUAL =~ QUAL1 + QUAL2 + QUAL3 + QUAL4
VAL  =~ VAL1 + VAL2 + VAL3
SAT  =~ SAT1 + SAT2 + SAT3
IMAG =~ IMAG1 + IMAG2 + IMAG3
LOY  =~ LOY1 + LOY2 + LOY3
PERF =~ QUAL + VAL
SAT  ~ PERF + IMAG
LOY  ~ SAT + IMAG + SAT:IMAG
"""
CASES = [("repeated_indicators", "product_indicator"), ("repeated_indicators", "orthogonal"),
         ("two_stage", "two_stage"), ("embedded_two_stage", "two_stage"),
         ("two_stage", "product_indicator")]


@pytest.fixture(scope="module")
def data():
    return sm.datasets.load("ecsi_satisfaction")


@pytest.mark.parametrize("hoc, interaction", CASES)
def test_resample_equals_fit_on_replicated_rows(data, hoc, interaction):
    spec = sm.ModelSpec.from_lavaan(TEXT)
    res = sm.fit_pls(spec, data, hoc=hoc, interaction=interaction, **TIGHT)
    rng = np.random.default_rng(7)
    counts = rng.multinomial(len(data), np.full(len(data), 1 / len(data)), size=3).astype(float)
    batched = res.refit.fit(counts).estimate.paths
    for b in range(3):
        rows = data.iloc[np.repeat(np.arange(len(data)), counts[b].astype(int))]
        again = sm.fit_pls(spec, rows.reset_index(drop=True), hoc=hoc, interaction=interaction, **TIGHT)
        assert np.abs(batched[b] - again.estimate.paths).max() < 1e-8
    ones = res.refit.fit(np.ones((1, len(data)))).estimate.paths[0]
    assert np.abs(ones - res.estimate.paths).max() < 1e-10


def test_bootstrap_tables_carry_inference_under_user_names(data):
    spec = sm.ModelSpec.from_lavaan(TEXT)
    res = sm.fit_pls(spec, data, hoc="two_stage", interaction="two_stage")
    boot = res.bootstrap(n=100, seed=3, progress=False, tables=["paths", "outer"])
    paths = boot.paths
    assert "SAT:IMAG" in set(paths.source)
    assert paths.se.gt(0).all() and boot.inference.n_valid == 100
    assert res.inference is None  # the fit is unchanged
    again = res.bootstrap(n=100, seed=3, progress=False, tables=["paths", "outer"], chunk_size=7)
    assert np.allclose(again.paths.se, paths.se, rtol=0, atol=1e-12)  # chunking changes nothing
    assert list(res.scores.columns) == ["SAT", "IMAG", "LOY", "PERF", "SAT:IMAG"]


def test_csem_convention_resample_equals_fit_on_replicated_rows(data):
    spec = sm.ModelSpec.from_lavaan(TEXT.replace(" + SAT:IMAG", ""))
    opts = dict(hoc="two_stage", hoc_convention="csem", **TIGHT)
    res = sm.fit_pls(spec, data, **opts)
    counts = np.random.default_rng(3).multinomial(len(data), np.full(len(data), 1 / len(data)),
                                                  size=2).astype(float)
    batched = res.refit.fit(counts).estimate
    for b in range(2):
        rows = data.iloc[np.repeat(np.arange(len(data)), counts[b].astype(int))]
        again = sm.fit_pls(spec, rows.reset_index(drop=True), **opts).estimate
        assert np.abs(batched.paths[b] - again.paths).max() < 1e-8
        assert np.abs(batched.weights[b] - again.weights).max() < 1e-8


@pytest.mark.parametrize("interaction", ["orthogonal", "two_stage"])
def test_degenerate_resamples_are_dropped_and_counted(data, interaction):
    rare = data.copy()
    rare["IMAG3"] = 0.0
    rare.loc[rare.index[7], "IMAG3"] = 1.0  # constant in every resample without row 8
    res = sm.fit_pls(sm.ModelSpec.from_lavaan(TEXT), rare, hoc="repeated_indicators",
                     interaction=interaction)
    with pytest.warns(sm.SatModelWarning):
        boot = res.bootstrap(n=40, seed=1, progress=False, tables=["paths"])
    dropped = boot.inference.dropped.get("constant_item", 0)
    assert dropped > 0 and boot.inference.n_valid == 40 - dropped  # (1 - 1/n)^n: about 37%
    assert np.isfinite(boot.paths.se).all()
    assert any(d.code == "bootstrap_dropped" for d in boot.diagnostics)
