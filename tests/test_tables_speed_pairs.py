"""The compiled block-pair sums (tables/_pairs_jit: HTMT, HTMT2, Cronbach's alpha) and the
wide Cholesky passes of the VIF and f² kernels give the numpy path's numbers. Never times
(benchmarks/bench_bootstrap.py measures the speed).

Why each comparison is exact or not:

- Block-pair sums: the kernel gathers the same item pairs and adds them in
  ``np.add.reduceat``'s order (a group's first value plus numpy's pairwise sum of the
  rest: eight interleaved accumulators, split in two past 128 values), and the logs are
  numpy's ``np.log`` of the same |r|: the same operations on the same numbers, so the
  same bits (``array_equal``), also for a 20-item block (190 pairs: numpy's split),
  blocks that are not consecutive items, a batch that is not a multiple of the kernel's
  width, an exact zero (HTMT2's zero route) and a NaN.
- Indicator VIF by Cholesky, WIDE matrices side by side: per matrix the operations of
  the single-matrix Cholesky (``_diag_of_inverse_spd``) in its order, so the same bits.
  Against the numpy path (LAPACK's LU) they agree to rounding only (relative ~1e-16 x
  condition number; VIF < 10 here, so 1e-13 is 100x the bound); non-definite, singular
  and non-finite blocks go to LU as before (the NaN pattern is the numpy path's).
- f²: as in tests/test_tables_speed_equal.py (absolute 1e-13: a difference of two R²
  over 1 - R², each solve backward stable), over several passes of the kernel's width.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import satmodel as sm
from satmodel._compiled import enabled
from satmodel.spec.layout import Layout, layout_of
from satmodel.tables import TABLES, Context, pairs

pytestmark = pytest.mark.skipif(importlib.util.find_spec("numba") is None or not enabled(),
                                reason="numba is not installed (extra 'fast') or switched "
                                       "off (SATMODEL_NUMBA=0): no compiled path to compare")


def _numpy_sums(S: np.ndarray, lay: Layout) -> dict:
    """:func:`pairs.group_sums` with the compiled pass switched off (the numpy path)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SATMODEL_NUMBA", "0")
        return pairs.group_sums(S, lay)


def _compiled_sums(S: np.ndarray, lay: Layout) -> dict:
    """The entries of :func:`pairs.group_sums` as a context's tables get them (compiled)."""
    ctx = Context(S=S, est=None, layout=lay, spec=None, n_obs=100.0)
    out = {key: pairs.shared_group_sums(ctx, key) for key in ("signed", "abs", "log", "zero")}
    assert "pair_sums_compiled" in ctx.memo and ctx.memo["pair_sums_compiled"] is not None
    return out


def _random_corr(rng: np.random.Generator, n: int, p: int) -> np.ndarray:
    """n correlation matrices of p items (one-factor data: all correlations positive-ish,
    some near zero, mixed signs)."""
    out = []
    for _ in range(n):
        f = rng.standard_normal((60, 1))
        X = f * rng.uniform(-0.3, 0.9, p) + rng.standard_normal((60, p))
        out.append(np.corrcoef(X, rowvar=False))
    return np.stack(out)


def _assert_same(got: dict, want: dict) -> None:
    for key in ("signed", "abs", "log"):
        assert got[key].shape == want[key].shape, key
        np.testing.assert_array_equal(got[key], want[key], err_msg=key)
    if want["zero"] is None:
        assert got["zero"] is None
    else:
        np.testing.assert_array_equal(got["zero"], want["zero"])


def test_pair_sums_equal_reduceat_bit_for_bit_on_ecsi():
    """203 resamples of ECSI (6 blocks of 4-5 items: 21 groups of 6-25 pairs)."""
    from tests.test_engine_kernel import resampled

    lay = layout_of(sm.templates.ecsi())
    S, _, _ = resampled(5, n=203)
    _assert_same(_compiled_sums(S, lay), _numpy_sums(S, lay))


def test_pair_sums_long_groups_scattered_blocks_zero_and_nan():
    """A 20-item block (190 within pairs: numpy's pairwise sum splits past 128), a block
    pair of 20 x 7 = 140 pairs, blocks whose items are interleaved, single items, and a
    batch of 45 (one full pass of 32 and a partial one); then an exact zero (the zero
    route of HTMT2) and a NaN."""
    rng = np.random.default_rng(11)
    block_of = np.array([0] * 20 + [1] * 7 + [2, 3, 1, 3, 2, 3, 4])
    rng.shuffle(block_of)
    lay = Layout(block_of, ("A",) * 5, np.zeros((5, 5), bool), np.ones(5, bool))
    S = _random_corr(rng, 45, block_of.size)
    assert np.bincount(block_of).tolist() == [20, 8, 2, 3, 1]
    _assert_same(_compiled_sums(S, lay), _numpy_sums(S, lay))
    S[7, 0, 5] = S[7, 5, 0] = 0.0
    S[30, 2, 9] = S[30, 9, 2] = np.nan
    got, want = _compiled_sums(S, lay), _numpy_sums(S, lay)
    assert want["zero"] is not None and want["zero"].any()
    assert np.isnan(want["abs"][30]).any()
    _assert_same(got, want)


def test_tables_from_compiled_sums_equal_the_numpy_tables():
    """HTMT, HTMT2 and alpha of a context: the compiled sums give the numpy path's bits."""
    from tests.test_engine_kernel import resampled

    spec = sm.templates.ecsi()
    lay = layout_of(spec)
    S, _, _ = resampled(9, n=70)
    S[3, 0, 6] = S[3, 6, 0] = 0.0  # an item pair of blocks 0 and 1 uncorrelated
    res = sm.fit_pls(spec, sm.datasets.load("ecsi_satisfaction"))
    est = res.context.est

    def values() -> list[np.ndarray]:
        ctx = Context(S=S, est=est, layout=lay, spec=spec, n_obs=250.0)
        return [TABLES["htmt_pairs"].values(ctx, "htmt"), TABLES["htmt_pairs"].values(ctx, "htmt2"),
                TABLES["quality"].values(ctx, "alpha")]

    fast = values()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SATMODEL_NUMBA", "0")
        plain = values()
    assert plain[1][3, 0] == 0.0
    for a, b in zip(fast, plain):
        np.testing.assert_array_equal(a, b)


def test_wide_vif_equals_the_single_matrix_cholesky():
    """Each matrix's VIF from the wide pass equals the one-matrix Cholesky's, bit for bit
    (70 matrices: two full passes of 32 and a partial one)."""
    from satmodel.tables import _validity_jit as jit
    from tests.test_engine_kernel import resampled

    lay = layout_of(sm.templates.ecsi())
    S, _, _ = resampled(4, n=70)
    starts = lay.starts()
    out = np.ones(S.shape[:2])
    jit.block_inverse_diagonals(np.ascontiguousarray(S), starts, out)
    want = np.ones(S.shape[:2])
    big = int(np.diff(starts).max())
    L, d = np.zeros((big, big)), np.ones(big)
    for n in range(len(S)):
        for a, b in zip(starts[:-1], starts[1:]):
            if b - a > 1:
                assert jit._diag_of_inverse_spd.py_func(S, n, a, b - a, L, d, want)
    np.testing.assert_array_equal(out, want)


def test_wide_passes_fall_back_as_the_numpy_path_does():
    """VIF, inner VIF and f² over 70 elements with singular, indefinite and non-finite
    ones in different passes: the NaN pattern of the numpy path, the values to rounding."""
    from tests.test_tables_speed_equal import _adversarial, _vif_and_f2_both_paths

    S, R, lay = _adversarial(70)
    S[40] = S[2]  # a singular block in the second pass
    R[66] = R[8]  # a non-finite element in the last, partial pass
    r2 = np.random.default_rng(3).uniform(0.1, 0.9, R.shape[:2])
    fast, plain = _vif_and_f2_both_paths(S, R, r2, lay)
    assert np.isnan(plain[0][40]).any() and np.isnan(plain[2][66]).any()
    for a, b in zip(fast, plain):
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
        ok = np.isfinite(a)
        np.testing.assert_allclose(a[ok], b[ok], rtol=1e-13, atol=1e-13)
