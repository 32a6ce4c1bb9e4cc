"""The bootstrap tables' one pass over the correlations and their held index arrays give
the numbers of before (issue 16). Never times (benchmarks/bench_bootstrap.py measures).

Why each comparison is exact:

- The compiled pair-sum pass also computes the indicator VIFs (each width of matrices
  right after their pairs are read): the wide Cholesky kernel of
  :func:`satmodel.tables.validity.indicator_vif`, called on the same matrices, so the
  same bits (``array_equal``, NaN where singular, indefinite or not finite), also for a
  batch that is not a multiple of the width, single items, one block, and blocks that
  are not consecutive items (then no VIF in the pass: the table computes its own).
- |r| at most 1e-12 (integer data give exact zeros): the pass puts 1.0 there, whose log
  is exactly 0 (the numpy path's 0 for them), and flags the group as the numpy path's
  ``reduceat(flags) > 0`` does: the same bits for ``log`` and ``zero``.
- Information criteria: the formulas' shared parts (n ln(SSE/n), 2k, n - k, ...) are
  made once; the operations per element are those of the formulas as written, so the
  same bits as the formulas evaluated here one by one.
- Held index arrays are read-only and made once per (spec, layout).
"""

from __future__ import annotations

import dataclasses

import importlib.util

import numpy as np
import pytest

import satmodel as sm
from satmodel._compiled import enabled
from satmodel.spec.layout import Layout, layout_of
from satmodel.tables import TABLES, Context, criteria, pairs, validity
from satmodel.tables._held import per_layout
from satmodel.tables.base import model_index

needs_numba = pytest.mark.skipif(importlib.util.find_spec("numba") is None or not enabled(),
                                 reason="numba is not installed (extra 'fast') or switched "
                                        "off (SATMODEL_NUMBA=0): no compiled path to compare")


def _vif_table(S: np.ndarray, lay: Layout) -> tuple[np.ndarray, dict]:
    """The VIF table's values of a fresh context, and what the context kept."""
    ctx = Context(S=S, est=None, layout=lay, spec=None, n_obs=100.0)
    return TABLES["vif"].values(ctx, "vif"), ctx.memo


def _random_corr(rng: np.random.Generator, n: int, p: int) -> np.ndarray:
    out = []
    for _ in range(n):
        X = rng.standard_normal((40, 1)) * rng.uniform(0.2, 0.9, p) + rng.standard_normal((40, p))
        out.append(np.corrcoef(X, rowvar=False))
    return np.stack(out)


@needs_numba
def test_vif_of_the_pair_pass_equals_the_vif_kernel_bit_for_bit():
    """ECSI, 45 matrices (a full width of 32 and a partial one) with a singular, an
    indefinite and a NaN block (the LU route): the pass's VIFs are the kernel's."""
    from tests.test_tables_speed_equal import _adversarial

    S, _, lay = _adversarial(45)
    S[33, 0, :] = S[33, 1, :]  # a singular block in the partial width
    S[33, :, 0] = S[33, :, 1]
    got, memo = _vif_table(S, lay)
    assert memo["pair_sums_compiled"]["vif"] is not None  # from the pair pass
    want = validity.indicator_vif(S, lay)
    assert validity._BLOCK_INVERSE_DIAGONALS.fn  # the VIF kernel itself ran there
    assert np.isnan(want[[2, 5, 9, 33]]).any(axis=1).all()
    np.testing.assert_array_equal(got, want)
    with pytest.MonkeyPatch.context() as mp:  # the numpy path: rounding only (LAPACK's LU)
        mp.setenv("SATMODEL_NUMBA", "0")
        plain, memo = _vif_table(S, lay)
    assert memo.get("pair_sums_compiled") is None  # no compiled pass: the numpy VIFs
    np.testing.assert_array_equal(np.isnan(got), np.isnan(plain))
    ok = np.isfinite(got)
    np.testing.assert_allclose(got[ok], plain[ok], rtol=1e-13)  # VIF < 10: 100x the bound


@needs_numba
@pytest.mark.parametrize("block_of", [
    [0, 0, 0, 1, 2, 2, 3, 4, 4, 4, 4],  # single items among blocks
    [0] * 9,  # one block
    [0, 1, 0, 1, 2, 2, 0],  # blocks not consecutive items: no VIF in the pass
], ids=["single-items", "one-block", "scattered"])
def test_vif_of_the_pair_pass_for_odd_layouts(block_of):
    block_of = np.array(block_of)
    J = block_of.max() + 1
    lay = Layout(block_of, ("A",) * J, np.zeros((J, J), bool), np.ones(J, bool))
    S = _random_corr(np.random.default_rng(J), 37, block_of.size)
    got, memo = _vif_table(S, lay)
    scattered = lay.starts() is None
    assert (memo["pair_sums_compiled"]["vif"] is None) == scattered
    np.testing.assert_array_equal(got, validity.indicator_vif(S, lay))
    assert (got[:, np.bincount(block_of)[block_of] == 1] == 1.0).all()


@needs_numba
def test_exact_zeros_in_many_groups_bit_for_bit():
    """|r| at most 1e-12 (exact zeros, +-5e-13) in several block pairs, in the first and
    in the partial last width of matrices, next to a NaN: the compiled pass's log sums
    and zero flags are the numpy path's, and so are the HTMT2 values."""
    rng = np.random.default_rng(5)
    block_of = np.repeat(np.arange(4), [5, 4, 1, 6])
    lay = Layout(block_of, ("A",) * 4, np.zeros((4, 4), bool), np.ones(4, bool))
    S = _random_corr(rng, 45, block_of.size)
    for n, k, l, v in [(0, 0, 1, 0.0), (0, 2, 7, -0.0), (31, 5, 6, 5e-13), (32, 9, 10, -5e-13),
                       (44, 0, 15, 0.0), (44, 3, 4, 0.0), (20, 11, 12, np.nan)]:
        S[n, k, l] = S[n, l, k] = v
    ctx = Context(S=S, est=None, layout=lay, spec=None, n_obs=100.0)
    got = {key: pairs.shared_group_sums(ctx, key) for key in ("signed", "abs", "log", "zero")}
    assert ctx.memo["pair_sums_compiled"]["small"] is not None
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SATMODEL_NUMBA", "0")
        want = pairs.group_sums(S, lay)
    assert want["zero"].sum() == 6 and np.isnan(want["log"][20]).any()
    for key in ("signed", "abs", "log", "zero"):
        np.testing.assert_array_equal(got[key], want[key], err_msg=key)


def test_information_criteria_equal_the_formulas_bit_for_bit():
    """The criteria with their shared parts made once equal the formulas of the module
    docstring evaluated one by one (the same operations in the same order)."""
    rng = np.random.default_rng(2)
    r2 = rng.uniform(0.05, 0.95, (50, 3))
    k = np.array([2.0, 3.0, 5.0])
    n_obs = rng.integers(30, 300, 50).astype(float)
    mse = rng.uniform(0.1, 0.9, (50, 3))
    got = criteria._criteria(r2, k, n_obs, mse)
    n = n_obs[:, None]
    sse = (1.0 - r2) * (n - 1.0)
    want = {"aic": n * np.log(sse / n) + 2 * k,
            "aicc": n * (np.log(sse / n) + (n + k) / (n - k - 2)),
            "aicu": n * np.log(sse / (n - k)) + 2 * k,
            "bic": n * np.log(sse / n) + k * np.log(n),
            "fpe": sse / (n - k) * (1 + k / n),
            "hq": n * np.log(sse / n) + 2 * k * np.log(np.log(n)),
            "hqc": n * np.log(sse / n) + 2 * k * n * np.log(np.log(n)) / (n - k - 2),
            "gm": sse / mse + k * np.log(n),
            "mallows_cp": sse / mse - (n - 2 * k)}
    for key, value in want.items():
        np.testing.assert_array_equal(got[key], value, err_msg=key)


def test_table_criteria_equal_the_public_function():
    """The table's criteria (endogenous columns only, one finiteness pass) are those of
    :func:`information_criteria_values` on the same R², bit for bit."""
    spec = sm.templates.ecsi()
    res = sm.fit_pls(spec, sm.datasets.load("ecsi_satisfaction"))
    endo = [spec.construct_names.index(c) for c in spec.endogenous]
    full = criteria.information_criteria_values(res.context.est.r2, res.context.layout, 250.0)
    for c in ("aic", "aicc", "aicu", "bic", "fpe", "hq", "hqc"):
        np.testing.assert_array_equal(TABLES["information_criteria"].values(res.context, c),
                                      full[c][endo], err_msg=c)


def test_held_index_arrays_are_read_only_and_made_once_per_model():
    spec = sm.templates.ecsi()
    res = sm.fit_pls(spec, sm.datasets.load("ecsi_satisfaction"))
    ctx = res.context
    index = model_index(ctx)
    other = Context(S=ctx.S, est=ctx.est, layout=ctx.layout, spec=ctx.spec, n_obs=ctx.n_obs)
    assert model_index(other) is index  # a second context of the same model: no rebuild
    with pytest.raises(ValueError):
        index["membership"][0, 0] = 5.0
    with pytest.raises(ValueError):
        index["paths"][0][0] = 3
    with pytest.raises(TypeError):
        index["pos"]["IMAG"] = 3  # type: ignore[index]
    assert ctx.pos["LOY"] == 5 and index["sizes"].tolist() == [5, 5, 5, 4, 4, 4]
    assert layout_of(spec) is ctx.layout  # one layout a spec object, arrays read-only
    with pytest.raises(ValueError):
        ctx.layout.block_of[0] = 1
    assert layout_of(sm.templates.ecsi()) is not ctx.layout  # another spec object
    lay2 = dataclasses.replace(ctx.layout)  # another layout object: its own arrays
    other2 = Context(S=ctx.S, est=ctx.est, layout=lay2, spec=spec, n_obs=ctx.n_obs)
    assert model_index(other2) is not index
    made = []
    for _ in range(2):
        per_layout(lay2, "test-count", lambda lay: made.append(1) or np.arange(3))
    assert made == [1]


@needs_numba
@pytest.mark.parametrize("switched_off", [False, True], ids=["chunks", "kernel-off-midway"])
def test_log_sums_in_chunks_bit_for_bit(monkeypatch, switched_off):
    """A work array past 8 chunks is logged and summed a chunk (here 2 widths) at a time,
    the last chunk holding a partial width (549 = 17 x 32 + 5 matrices), with exact zeros
    in the first and last chunks: the numpy path's log sums and zero flags. With the sum
    kernel switched off after the pair pass, numpy sums the same logs: the same bits."""
    block_of = np.repeat(np.arange(3), [3, 4, 1])
    lay = Layout(block_of, ("A",) * 3, np.zeros((3, 3), bool), np.ones(3, bool))
    S = _random_corr(np.random.default_rng(9), 549, block_of.size)
    S[1, 0, 3] = S[1, 3, 0] = 0.0
    S[547, 4, 7] = S[547, 7, 4] = 0.0
    ctx = Context(S=S, est=None, layout=lay, spec=None, n_obs=100.0)
    pairs.shared_group_sums(ctx, "abs")
    work = ctx.memo["pair_sums_compiled"]["work"]
    monkeypatch.setattr(pairs, "_LOG_CHUNK", 2 * work[0].nbytes)
    assert work.nbytes > 8 * pairs._LOG_CHUNK and len(work) == 18
    if switched_off:
        monkeypatch.setattr(pairs._GROUP_SUMS, "fn", False)
    got = {key: pairs.shared_group_sums(ctx, key) for key in ("log", "zero")}
    monkeypatch.setenv("SATMODEL_NUMBA", "0")
    want = pairs.group_sums(S, lay)
    assert want["zero"].sum() == 2
    for key in ("log", "zero"):
        np.testing.assert_array_equal(got[key], want[key], err_msg=key)
