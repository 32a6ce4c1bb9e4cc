"""Exact float32 sums of integer codes under integer weights (satmodel.moments.exact).

The reference is the plain definition on replicated rows (numpy's corrcoef/mean/std of
the rows repeated by their counts), an independent computation: agreement to 1e-13
(sums exact in both, then a few roundings in the divisions of each). The compiled and the
numpy steps from the sums do the same operations, so they agree bit for bit.
"""
from __future__ import annotations

import numpy as np
import pytest

import satmodel as sm
from satmodel.moments import compute_moments, exact
from satmodel.moments import core as moments_core

numba = pytest.importorskip("numba")


def _codes_and_counts(seed=0, n=120, p=6, B=40):
    rng = np.random.default_rng(seed)
    X = rng.integers(1, 11, (n, p)).astype(float)
    counts = np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(B)])
    return X, counts.astype(float)


def _replicated(X, c):
    rows = np.repeat(X, c.astype(int), axis=0)
    return rows.mean(axis=0), rows.std(axis=0, ddof=1), np.corrcoef(rows.T)


def test_weighted_moments_equal_the_replicated_rows():
    X, c = _codes_and_counts()
    n, mean, std, corr = exact.weighted_moments(c, X)
    for b in range(c.shape[0]):
        m, s, r = _replicated(X, c[b])
        assert n[b] == c[b].sum()
        np.testing.assert_allclose(mean[b], m, rtol=1e-13)
        np.testing.assert_allclose(std[b], s, rtol=1e-13)
        np.testing.assert_allclose(corr[b], r, rtol=0, atol=1e-13)
        assert np.all(np.diag(corr[b]) == 1.0)


def test_compiled_and_numpy_steps_give_the_same_bits():
    """A constant item in one resample (NaN correlations, SD 0) and a one-row resample
    (NaN everywhere but the diagonal) included; the numpy steps stay silent there."""
    X, c = _codes_and_counts(seed=1)
    c[3] = 0.0
    c[3, 7] = 250.0  # every drawn row the same: constant items
    c[5] = 0.0
    c[5, 2] = 1.0  # one row
    fast = exact.weighted_moments(c, X)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(exact._FROM_SUMS, "fn", False)
        mp.setattr(exact._INTEGER_WEIGHTS, "fn", False)
        mp.setattr(exact._BYTE_SUMS, "fn", False)
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            plain = exact.weighted_moments(c, X)
    for a, b in zip(fast, plain):
        np.testing.assert_array_equal(a, b)
    assert np.isnan(fast[3][3]).any() and np.isnan(fast[3][5][0, 1])
    # the compiled steps ran: from the sums, and the sums in bytes (VNNI) or float32
    assert exact._FROM_SUMS.fn not in (None, False)
    assert exact._BYTE_SUMS.fn not in (None, False) or \
        exact._INTEGER_WEIGHTS.fn not in (None, False)


@pytest.mark.parametrize("case", ["fractional data", "fractional weight", "negative weight",
                                  "sums beyond 2^24", "nan data"])
def test_inexact_cases_are_refused_and_compute_moments_stays_right(case):
    X, c = _codes_and_counts(seed=2)
    if case == "fractional data":
        X[4, 2] = 3.5
    elif case == "fractional weight":
        c[1, 3] += 0.25
    elif case == "negative weight":
        c[1, 3] = -1.0
    elif case == "sums beyond 2^24":
        X[0, 0] = 400.0  # 120 rows x 400² = 1.9e7 > 2^24
    else:
        X[0, 0] = np.nan
    for compiled in (True, False):
        with pytest.MonkeyPatch.context() as mp:
            if not compiled:
                mp.setattr(exact._INTEGER_WEIGHTS, "fn", False)
            assert exact.weighted_moments(c, X) is None
    if case in ("nan data", "negative weight"):
        return
    got = compute_moments(X, c)
    for b in (0, 1):
        rw = c[b]
        m = rw @ X / rw.sum()
        cov = ((X - m).T * rw) @ (X - m) / (rw.sum() - 1.0)
        sd = np.sqrt(np.diag(cov))
        np.testing.assert_allclose(got.std[b], sd, rtol=1e-12)
        np.testing.assert_allclose(got.corr[b], cov / np.outer(sd, sd), atol=1e-12)


def test_the_bootstrap_moments_take_the_exact_path(monkeypatch):
    """ECSI's answers are integer codes and bootstrap counts integers: the resamples'
    moments come from exact sums, equal to the float64 path's to 1e-14."""
    res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
    refit = res.refit_with_rows("bootstrap")
    from satmodel.inference.driver import BootstrapCounts

    w = BootstrapCounts(64, refit.n_rows, np.random.default_rng(1)).draw(64)
    calls = []
    real = exact.weighted_moments
    monkeypatch.setattr(moments_core, "weighted_moments",
                        lambda *a: calls.append(1) or real(*a))
    fast = refit.moments(w)
    assert calls
    monkeypatch.setattr(moments_core, "weighted_moments", lambda *a: None)
    plain = refit.moments(w)
    np.testing.assert_allclose(fast.corr, plain.corr, rtol=0, atol=1e-14)
    np.testing.assert_allclose(fast.mean, plain.mean, rtol=1e-14)


def test_row_blocks_give_the_same_sums(monkeypatch):
    """The products are formed a block of rows at a time: with blocks of a few rows
    the sums (exact integers) and so every moment are the same bits as in one block."""
    X, c = _codes_and_counts(seed=4, n=301)
    whole = exact.weighted_moments(c, X)
    monkeypatch.setattr(exact, "BLOCK_BYTES", 4 * 28 * 29)  # 2 rows of (p+1)(p+2)/2 products
    for a, b in zip(whole, exact.weighted_moments(c, X)):
        np.testing.assert_array_equal(a, b)


def test_huge_integer_values_are_refused_without_an_error():
    X = np.array([[1e200, 1.0], [2.0, 3.0], [4.0, 5.0]])
    assert exact.weighted_moments(np.ones((2, 3)), X) is None
