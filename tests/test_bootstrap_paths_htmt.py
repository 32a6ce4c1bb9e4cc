"""HTMT2's one-pass path (no zero correlation: the usual case, issue 16 part 4) against the
plain definition, a loop over resamples and block pairs, and against the path that handles
zero correlations. Never times (benchmarks/bench_bootstrap.py measures the speed).

Tolerance 1e-12: the same geometric means summed in another order (values of order 1,
at most 27 x 27 logs a block pair).
"""

from __future__ import annotations

import numpy as np
import pytest

import satmodel as sm
from satmodel.tables.validity import htmt_matrix


def _plain_htmt2(R: np.ndarray, blocks: list[np.ndarray]) -> np.ndarray:
    """Henseler et al.'s (2015) HTMT with geometric means (Roemer et al. 2021), by loops."""
    A = np.abs(R)
    J = len(blocks)

    def gmean(values):
        return float(np.exp(np.mean(np.log(values))))

    within = [1.0 if len(b) == 1 else
              gmean([A[i, j] for i in b for j in b if i != j]) for b in blocks]
    out = np.eye(J)
    for a in range(J):
        for b in range(J):
            if a != b:
                between = gmean([A[i, j] for i in blocks[a] for j in blocks[b]])
                out[a, b] = between / np.sqrt(within[a] * within[b])
    return out


def test_htmt2_one_pass_equals_the_plain_definition():
    res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
    lay = res.refit.layout
    boot = res.refit.fit(np.random.default_rng(4).poisson(1.0, size=(6, 250)).astype(float))
    R = boot.corr  # (6, 27, 27) resampled item correlations, none zero
    assert np.all(np.abs(R) > 1e-12)
    blocks = [np.flatnonzero(lay.membership[:, j]) for j in range(lay.n_constructs)]
    got = htmt_matrix(R, lay, geometric=True)
    for b in range(R.shape[0]):
        np.testing.assert_allclose(got[b], _plain_htmt2(R[b], blocks), rtol=0, atol=1e-12)


def test_htmt2_one_pass_equals_the_zero_handling_path():
    # a zero elsewhere in the batch sends every matrix through the masked path
    res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
    lay = res.refit.layout
    R = res.refit.fit(np.random.default_rng(7).poisson(1.0, size=(4, 250)).astype(float)).corr
    with_zero = np.concatenate([R, R[:1]])
    with_zero[-1, 0, 5] = with_zero[-1, 5, 0] = 0.0
    fast, masked = htmt_matrix(R, lay, geometric=True), htmt_matrix(with_zero, lay, geometric=True)
    np.testing.assert_allclose(fast, masked[:-1], rtol=0, atol=1e-12)
    a, b = (int(np.flatnonzero(lay.membership[k])[0]) for k in (0, 5))  # IMAG1, EXPE1
    assert a != b and masked[-1, a, b] == 0.0  # the zero's block pair: geometric mean 0


def test_batched_alpha_equals_the_per_block_formula():
    # Cronbach's alpha from one GEMM over the batch against k/(k-1)(1 - k/sum(R_block)) per
    # block and resample (1e-12: summation order only).
    from satmodel.tables.core import cronbach_alpha

    rng = np.random.default_rng(3)
    A = rng.standard_normal((7, 9, 30))
    S = A @ A.transpose(0, 2, 1)
    d = np.sqrt(np.einsum("bii->bi", S))
    S = S / d[:, :, None] / d[:, None, :]
    blocks = [[0, 1, 2, 3], [4, 5], [6], [7, 8]]
    member = np.zeros((9, 4), dtype=bool)
    for j, b in enumerate(blocks):
        member[b, j] = True
    got = cronbach_alpha(S, member)
    for r in range(7):
        for j, b in enumerate(blocks):
            k = len(b)
            want = 1.0 if k == 1 else k / (k - 1) * (1 - k / S[r][np.ix_(b, b)].sum())
            assert got[r, j] == pytest.approx(want, abs=1e-12)
