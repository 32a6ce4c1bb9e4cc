"""Exact moment sums in bytes (satmodel.moments._bytes_jit, AVX-512 VNNI): the int32
sums equal the float32 product's (both exact integers, so equal exactly), every case
the byte path cannot hold is refused (and the float32 path then gives the numbers), and
the moments are the same bits whichever path made the sums."""
from __future__ import annotations

import numpy as np
import pytest

from satmodel.moments import exact

pytest.importorskip("numba")
from satmodel.moments import _bytes_jit as bj  # noqa: E402  (imports numba)

needs_vnni = pytest.mark.skipif(not bj.supported(), reason="this CPU has no AVX-512 VNNI")
LIMIT = exact.FLOAT32_EXACT


def _case(M, rows, p, lo=1, hi=11, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.integers(lo, hi, (rows, p)).astype(float)
    c = rng.poisson(1.0, (M, rows)).astype(float)
    return c, X


def _products(c, X):
    """The plain definition: c @ (X1[:, j] * X1[:, k]) with X1 = [X, 1], float64."""
    X1 = np.hstack([X, np.ones((len(X), 1))])
    j, k = np.triu_indices(X.shape[1] + 1)
    return c @ (X1[:, j] * X1[:, k]), j, k


@needs_vnni
@pytest.mark.parametrize("M, rows, p", [(1250, 250, 27), (13, 7, 3), (1, 3, 1), (25, 9, 6),
                                        (12, 4, 7), (37, 101, 10)])
def test_byte_sums_equal_the_products(M, rows, p):
    """Shapes that fill no tile (12 rows x 32 columns) and no 4-row step exactly."""
    c, X = _case(M, rows, p, lo=-11, hi=12)
    want, j, k = _products(c, X)
    got = bj.byte_sums(c, X, j, k, 11.0, 2.0**31)
    assert got.dtype == np.int32 and got.shape[1] % bj.COLS == 0
    np.testing.assert_array_equal(got[:, :j.size], want)
    assert not got[:, j.size:].any()  # padding columns stay zero


@needs_vnni
def test_row_steps_give_the_same_sums(monkeypatch):
    c, X = _case(30, 103, 5)
    want, j, k = _products(c, X)
    monkeypatch.setattr(bj, "BLOCK_BYTES", 8 * 21 * 8)  # blocks of 8 rows (21 products):
    # 13 blocks, the last one short
    np.testing.assert_array_equal(bj.byte_sums(c, X, j, k, 10.0, LIMIT)[:, :j.size], want)


@needs_vnni
@pytest.mark.parametrize("change", ["weight 256", "fractional weight", "negative weight",
                                    "product 144", "code -12", "limit"])
def test_what_bytes_cannot_hold_is_refused(change):
    c, X = _case(20, 30, 4)
    big, limit = 10.0, LIMIT
    if change == "weight 256":
        c[3, 4] = 256.0
    elif change == "fractional weight":
        c[0, 0] = 0.5
    elif change == "negative weight":
        c[1, 2] = -1.0
    elif change == "product 144":
        X[5, 1], big = 12.0, 12.0
    elif change == "code -12":
        X[5, 1], big = -12.0, 12.0
    else:
        limit = c.sum(axis=1).max() * big * big  # reached exactly
    j, k = np.triu_indices(X.shape[1] + 1)
    assert bj.byte_sums(c, X, j, k, big, limit) is None


@pytest.mark.parametrize("codes", [(1, 11), (-11, 12), (0, 40)])
def test_moments_are_the_same_bits_from_either_path(codes, monkeypatch):
    """Codes up to 40 need the float32 path (products beyond a byte); up to 11 the byte
    path where the CPU has it; switched off, the float32 path: the same bits."""
    c, X = _case(70, 90, 6, *codes)
    c[3] = 0.0
    c[3, 7] = 90.0  # one row drawn 90 times: constant items (NaN correlations)
    fast = exact.weighted_moments(c, X)
    monkeypatch.setattr(exact._BYTE_SUMS, "fn", False)
    plain = exact.weighted_moments(c, X)
    for a, b in zip(fast, plain):
        np.testing.assert_array_equal(a, b)


def test_another_target_cpu_needs_vnni_in_its_features(monkeypatch):
    """With NUMBA_CPU_NAME/NUMBA_CPU_FEATURES (portable caches), bytes only when the
    named features have VNNI: code for the host could not run there."""
    monkeypatch.setattr(bj.config, "CPU_NAME", "generic")
    monkeypatch.setattr(bj.config, "CPU_FEATURES", None)
    assert not bj.supported()
    monkeypatch.setattr(bj.config, "CPU_FEATURES", "+avx512f,+avx512bw,+avx512vnni")
    assert bj.supported()


@pytest.mark.parametrize("variable", ["NUMBA_ENABLE_AVX=0", "NUMBA_DISABLE_JIT=1"])
def test_no_bytes_where_numba_builds_without_avx(variable):
    """numba switches AVX off with NUMBA_ENABLE_AVX=0 (and by default on some virtual
    CPUs); VNNI code built then would stop the process (LLVM cannot lower it). A fresh
    process reads the variable at numba's import: the byte path must say no."""
    import os
    import subprocess
    import sys

    name, value = variable.split("=")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    code = "from satmodel.moments import _bytes_jit as bj; print(bj.supported())"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**env, name: value}, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "False"
