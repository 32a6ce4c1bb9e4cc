"""Higher-order constructs (disjoint two-stage, Mode A and Mode B) and interaction terms
(product indicator, orthogonalizing, two-stage) against seminr 2.3.1 on ecsi_satisfaction.

Oracle and settings: tests/oracles/seminr_hoc_interaction/SOURCE.md. Both sides converge
to 1e-12 (sum of absolute weight changes), so estimates agree far below the tolerance 1e-9.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import satmodel as sm

ORACLE = Path(__file__).parent / "oracles" / "seminr_hoc_interaction"
TOL = 1e-9  # both fits converged to 1e-12; observed max |diff| 3e-11
TIGHT = dict(tol=1e-12, stop="sum_abs", max_iter=1000)


def _items(c: str, k: int) -> str:
    return " + ".join(f"{c}{i}" for i in range(1, k + 1))


BLOCKS = {"IMAG": 5, "EXPE": 5, "QUAL": 5, "VAL": 4, "SAT": 4, "LOY": 4}


def _measurement(names) -> str:  # Mode A composites, as seminr's composite(mode_A)
    return "\n".join(f"{c} =~ {_items(c, BLOCKS[c])}  # satmodel: {c} composite" for c in names)


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return sm.datasets.load("ecsi_satisfaction").drop(columns="gender")


def _oracle(tag: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    paths = pd.read_csv(ORACLE / f"{tag}_paths.csv")
    outer = pd.read_csv(ORACLE / f"{tag}_outer.csv")
    paths["source"] = paths.source.str.replace("*", ":", regex=False)
    outer["construct"] = outer.construct.str.replace("*", ":", regex=False)
    outer["indicator"] = (outer.indicator.str.replace("SAT*IMAG_intxn", "SAT:IMAG", regex=False)
                          .str.replace("*", ".", regex=False))
    return paths, outer


def _merged(res, tag: str, outer_rows: str = "outer") -> tuple[pd.DataFrame, pd.DataFrame]:
    paths, outer = _oracle(tag)
    p = paths.merge(res.paths, on=["source", "target"], how="outer", suffixes=("_r", ""))
    o = outer.merge(res.outer, on=["construct", "indicator"], how=outer_rows, suffixes=("_r", ""))
    assert not p.isna().any().any(), p  # the same paths on both sides
    assert not o.isna().any().any(), o  # the same outer rows on both sides
    assert len(o) == len(res.outer)
    return p, o


@pytest.mark.parametrize("mode", ["A", "B"])
def test_two_stage_higher_order_matches_seminr(data, mode):
    op = "=~" if mode == "A" else "<~"
    spec = sm.ModelSpec.from_lavaan(_measurement(BLOCKS) + f"""
        PERF {op} QUAL + VAL
        PERF ~ EXPE
        SAT ~ PERF + IMAG
        LOY ~ SAT + IMAG""")
    res = sm.fit_pls(spec, data, hoc="two_stage", **TIGHT)
    # seminr's final outer table adds the components' rows of its first stage
    p, o = _merged(res, f"hoc_mode{mode}", outer_rows="inner")
    assert np.abs(p.estimate_r - p.estimate).max() < TOL
    assert np.abs(o.weight_r - o.weight).max() < TOL  # incl. PERF's weights on QUAL, VAL scores
    assert np.abs(o.loading_r - o.loading).max() < TOL
    p1, o1 = _merged(res.stages[0], f"hoc_mode{mode}_stage1")  # the disjoint first stage
    assert np.abs(p1.estimate_r - p1.estimate).max() < TOL
    assert np.abs(o1.weight_r - o1.weight).max() < TOL


@pytest.mark.parametrize("method", ["product_indicator", "orthogonal", "two_stage"])
def test_interaction_matches_seminr(data, method):
    spec = sm.ModelSpec.from_lavaan(_measurement(["IMAG", "EXPE", "QUAL", "SAT", "LOY"]) + """
        SAT ~ EXPE + QUAL
        LOY ~ SAT + IMAG + SAT:IMAG""")
    res = sm.fit_pls(spec, data, interaction=method, **TIGHT)
    p, o = _merged(res, f"int_{method}")
    # seminr rescales the interaction score by a (SOURCE.md): its path / a, its loadings * a
    block = (res.outer.construct == "SAT:IMAG").to_numpy()
    lam = res.outer.loading.to_numpy()[block]
    a = float((res.indicator_std[block] * np.abs(lam)).sum() / np.abs(lam).sum())
    scale_path = np.where(p.source == "SAT:IMAG", 1.0 / a, 1.0)
    scale_loading = np.where(o.construct == "SAT:IMAG", a, 1.0)
    assert np.abs(p.estimate_r - p.estimate * scale_path).max() < TOL
    assert np.abs(o.weight_r - o.weight).max() < TOL
    assert np.abs(o.loading_r - o.loading * scale_loading).max() < TOL
    # and interaction_scale="seminr" reproduces seminr's numbers directly
    res = sm.fit_pls(spec, data, interaction=method, interaction_scale="seminr", **TIGHT)
    p, o = _merged(res, f"int_{method}")
    assert np.abs(p.estimate_r - p.estimate).max() < TOL
    assert np.abs(o.weight_r - o.weight).max() < TOL
    assert np.abs(o.loading_r - o.loading).max() < TOL
