"""Second-order construct by cSEM's two-stage approach (hoc_convention="csem") against
cSEM 0.4.0.9000; oracle and settings: tests/oracles/csem_hoc_two_stage/SOURCE.md."""

from __future__ import annotations

import pytest

import satmodel as sm
from _oracles import check_csem_stage

TOL = 1e-9  # both sides converged to 1e-12 (max |dw|); observed max |diff| 2e-15
BLOCKS = {"IMAG": 5, "EXPE": 5, "QUAL": 5, "VAL": 4, "SAT": 4, "LOY": 4}
TEXT = "\n".join(f"{c} =~ " + " + ".join(f"{c}{i}" for i in range(1, k + 1))
                 + f"  # satmodel: {c} composite" for c, k in BLOCKS.items()) + """
PERF <~ QUAL + VAL
PERF ~ EXPE
SAT ~ PERF + IMAG
LOY ~ SAT + IMAG
"""


def _check(res, tag: str) -> None:
    check_csem_stage(res, "csem_hoc_two_stage", tag, TOL)


@pytest.mark.parametrize("scheme", ["path", "factorial"])
def test_csem_two_stage_second_order(scheme):
    df = sm.datasets.load("ecsi_satisfaction").drop(columns="gender")
    res = sm.fit_pls(sm.ModelSpec.from_lavaan(TEXT), df, hoc="two_stage", hoc_convention="csem",
                     scheme=scheme, tol=1e-12, max_iter=1000)
    _check(res, f"modeB_{scheme}")
    _check(res.stages[0], f"modeB_{scheme}_stage1")  # the saturated first stage


def test_csem_convention_is_for_two_stage_only():
    df = sm.datasets.load("ecsi_satisfaction")
    with pytest.raises(sm.SatModelError, match="hoc_convention='csem'"):
        sm.fit_pls(sm.ModelSpec.from_lavaan(TEXT), df, hoc="embedded_two_stage",
                   hoc_convention="csem")
