"""Review fixes: PLSc of a composite second-order construct of common factors (cSEM's
third stage) when its reliability ``w' S* w`` is not positive.

The sqrt of a non-positive reliability is undefined; the point fit must say so, naming the
construct and the value (it used to fail later with a misleading 'non-finite weights'
message), and a bootstrap resample where it happens must be dropped (as singular), not
kept with NaN. A real data set with that breakdown is not at hand, so the stage-2 score
correlations handed to the correction are crafted: the two components of PERF made
correlate -0.99 (their weights are both positive), so w'S*w = w_1^2 rel_1 + w_2^2 rel_2
- 1.98 w_1 w_2 (rel_k: the components' stage-1 rho_A) is negative for most reweightings;
the test evaluates that closed form on what the correction was given to know which.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import satmodel as sm
from satmodel.inference import staged, staged_plsc

DATA = Path(__file__).parent / "oracles" / "csem_hoc_plsc" / "data.csv"
MODEL = """
IMAG =~ IMAG1 + IMAG2 + IMAG3 + IMAG4  # satmodel: IMAG composite
EXPE =~ EXPE1 + EXPE2 + EXPE3
QUAL =~ QUAL1 + QUAL2 + QUAL3 + QUAL4
VAL =~ VAL1 + VAL2 + VAL3
SAT =~ SAT1 + SAT2 + SAT3
LOY =~ LOY1 + LOY2 + LOY3
PERF <~ QUAL + VAL
PERF ~ EXPE
SAT ~ PERF + IMAG
LOY ~ SAT + IMAG + EXPE"""


def _fit(**options):
    return sm.fit_pls(sm.ModelSpec.from_lavaan(MODEL), pd.read_csv(DATA), hoc="two_stage",
                      hoc_convention="csem", consistent=True, **options)


def _crafted(every: int, seen: list):
    """consistent_second_stage with PERF's component correlation set to -0.99 in every
    ``every``-th reweighting; ``seen`` gets the closed-form w'S*w of those (see above)."""
    real = staged_plsc.consistent_second_stage

    def crafted(est, S, first, first_layout, layout, score_of, higher_order, **kw):
        S = np.array(S, dtype=float, copy=True).reshape(-1, *S.shape[-2:])
        for j, factor in higher_order.items():
            if not factor:
                a, b = layout.block(j)
                S[::every, a, b] = S[::every, b, a] = -0.99
                w = np.asarray(est.weights).reshape(S.shape[0], -1)[::every][:, [a, b]]
                rel = np.asarray(first.rho_a).reshape(S.shape[0], -1)[::every][:, score_of[[a, b]]]
                assert (w > 0).all()  # both weights positive: -0.99 lowers w'S*w
                seen.append((w**2 * rel).sum(1) - 1.98 * w[:, 0] * w[:, 1])
        return real(est, S, first, first_layout, layout, score_of, higher_order, **kw)
    return crafted


def test_point_fit_names_the_composite_with_a_non_positive_reliability(monkeypatch):
    seen = []
    monkeypatch.setattr(staged, "consistent_second_stage", _crafted(1, seen))
    with pytest.raises(sm.EstimationError) as err:
        _fit()
    msg = str(err.value)
    assert "'PERF'" in msg and "reliability w'S*w = " in msg and "not positive" in msg
    # the value named: the closed form (3 significant digits in the message)
    assert seen[0][0] < 0 and float(msg.split("w'S*w = ")[1].split()[0]) == float(f"{seen[0][0]:.3g}")


def test_a_resample_with_a_non_positive_reliability_is_dropped_as_singular(monkeypatch):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = _fit()
    seen = []
    monkeypatch.setattr(staged, "consistent_second_stage", _crafted(2, seen))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        inf = res.bootstrap(n=20, seed=1, tables=["paths"], progress=False,
                            chunk_size=20).inference
    (rel2,) = seen  # one chunk of 20: the even reweightings crafted
    broken = int((rel2 <= 0).sum())
    assert broken >= 5  # the crafted breakdown happens in most of them
    assert inf.n_requested == 20 and inf.dropped.get("singular") == broken
    assert inf.n_valid == 20 - sum(inf.dropped.values())
    assert np.isfinite(inf.draws["paths"]["estimate"]).all()


def test_point_fit_with_non_finite_corrected_paths_names_their_construct(monkeypatch):
    # the corrected paths' regression made to fail for SAT's predictors (a singular
    # disattenuated correlation matrix, simulated): the message names SAT
    real = staged_plsc._structural

    def singular(R, layout):
        paths, r2, total = real(R, layout)
        j = 2  # SAT (stage-2 construct order: IMAG, EXPE, SAT, LOY, PERF)
        paths[:, layout.adjacency[:, j], j] = np.nan
        return paths, r2, total

    monkeypatch.setattr(staged_plsc, "_structural", singular)
    with pytest.raises(sm.EstimationError, match=r"PLSc-corrected paths into \['SAT'\] are not finite"):
        _fit()
