"""Optional compiled helpers (satmodel._compiled) and the survey-code narrowing pass.

The numpy path is the reference: the compiled narrowing (one pass a column: int8 copy and
extremes) must give the same array, dtype and values, element for element (integers:
exact), for every integer dtype and layout a caller can hand in, and must leave the work
to the numpy path when numba is not loaded, switched off or broken.
"""
from __future__ import annotations

import importlib.util
import os
import sys

import numpy as np
import pytest

import satmodel as sm
from satmodel._compiled import Compiled
from satmodel.survey import adapters

needs_numba = pytest.mark.skipif(importlib.util.find_spec("numba") is None,
                                 reason="numba is not installed (extra 'fast')")

RNG = np.random.default_rng(5)
CASES = {
    "int64 0-10": [RNG.integers(0, 11, 500) for _ in range(4)],
    "uint8": [RNG.integers(0, 6, 500).astype(np.uint8) for _ in range(3)],
    "int32 negative": [RNG.integers(-128, 128, 500).astype(np.int32) for _ in range(3)],
    "int16 needed": [RNG.integers(0, 11, 500), RNG.integers(-129, 5, 500)],
    "int32 needed": [RNG.integers(0, 70000, 500)],
    "uint64 beyond int32": [RNG.integers(0, 11, 500).astype(np.uint64) * 2**33],
    "strided": list(RNG.integers(1, 8, (500, 3)).T),  # columns of a C array: strided
    "one row": [np.array([3]), np.array([-4])],
    "big-endian": [RNG.integers(0, 11, 500).astype(">i4") for _ in range(2)],  # numpy path
}


def numpy_path(cols):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(adapters._COPY_WITH_RANGE, "fn", False)
        return adapters.narrow_codes(cols)


@needs_numba
@pytest.mark.parametrize("case", sorted(CASES))
def test_compiled_narrowing_equals_numpy_path(case):
    import numba  # noqa: F401  (the compiled pass runs once numba is loaded)

    cols = [c.copy() for c in CASES[case]]
    before = [c.copy() for c in cols]
    fast, plain = adapters.narrow_codes(cols), numpy_path(cols)
    if all(c.dtype.isnative for c in cols):  # (numba reads native byte order only)
        assert adapters._COPY_WITH_RANGE.fn not in (None, False)  # the compiled pass ran
    if plain is None:
        assert fast is None
    else:
        assert fast.dtype == plain.dtype and fast.flags.f_contiguous
        np.testing.assert_array_equal(fast, plain)
        np.testing.assert_array_equal(fast, np.column_stack(cols))
    for c, b in zip(cols, before):
        np.testing.assert_array_equal(c, b)  # the caller's columns are left as they were


@needs_numba
def test_read_only_pandas_columns_take_the_compiled_pass():
    """pandas' copy-on-write hands read-only column views: compiled, same result."""
    import numba  # noqa: F401

    df = sm.datasets.load("ecsi_satisfaction")
    spec = sm.templates.ecsi()
    fast = sm.survey.prepare(spec, df)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(adapters._COPY_WITH_RANGE, "fn", False)
        plain = sm.survey.prepare(spec, df)
    assert adapters._COPY_WITH_RANGE.fn not in (None, False)  # the compiled pass ran
    assert fast.values.dtype == plain.values.dtype
    np.testing.assert_array_equal(fast.values, plain.values)
    np.testing.assert_array_equal(fast.extremes[0], plain.extremes[0])


def test_no_numba_import_for_a_pass_that_asks_for_loaded_numba(monkeypatch):
    """``numba_loaded=True`` never imports numba (a single fit must not pay its import)."""
    code = Compiled("math", "pow", "test")
    monkeypatch.delitem(sys.modules, "numba", raising=False)
    assert code.call(2.0, 3.0, numba_loaded=True) == (False, None)
    assert code.fn is None  # not even tried
    assert code.call(2.0, 3.0) in ((True, 8.0), (False, None))


def test_switched_off_by_environment_and_by_a_broken_load(monkeypatch):
    monkeypatch.setenv("SATMODEL_NUMBA", "0")
    off = Compiled("math", "pow", "test")
    assert off.get() is None and off.call(2.0, 3.0) == (False, None)
    monkeypatch.delenv("SATMODEL_NUMBA")
    assert Compiled("satmodel.no_such_module", "f", "test").call() == (False, None)
    broken = Compiled("math", "pow", "test function")

    def cannot_load(*args):
        raise OSError("cache file truncated")
    broken.fn = cannot_load
    with pytest.warns(sm.errors.SatModelWarning, match="test function.*could not load"):
        assert broken.call(1.0) == (False, None)
    assert broken.fn is False and broken.get() is None


def test_a_numba_build_error_switches_off_but_a_numerical_error_is_raised(monkeypatch):
    """numba failing to type or build the code (another numba version) switches it off
    like a broken cache; any other error is the caller's and is raised."""
    errors = pytest.importorskip("numba.core.errors")
    code = Compiled("math", "pow", "test kernel")

    def cannot_build(*args):
        raise errors.TypingError("unknown attribute of an intrinsic")
    code.fn = cannot_build
    with pytest.warns(sm.errors.SatModelWarning, match="test kernel.*could not load"):
        assert code.call(1.0) == (False, None)
    assert code.fn is False
    other = Compiled("math", "pow", "test kernel")

    def wrong(*args):
        raise ValueError("shapes differ")
    other.fn = wrong
    with pytest.raises(ValueError, match="shapes differ"):
        other.call(1.0)
    assert other.fn is wrong


@needs_numba
def test_compiled_grouped_moments_equal_the_numpy_steps():
    """The compiled step from exact integer sums to means, SDs and correlations does the
    numpy steps' operations in their order: the same bits, NaN where an item is constant
    in a group, for equal and unequal (zero-padded) group sizes."""
    import numba  # noqa: F401
    from satmodel.groups import pooled
    from satmodel.moments import exact

    df = sm.datasets.load("ecsi_satisfaction")
    spec = sm.templates.ecsi()
    rng = np.random.default_rng(3)
    df = df.iloc[rng.integers(0, len(df), 3000)].reset_index(drop=True)
    df["company"] = np.repeat(np.arange(15), 200)
    df.loc[df.company == 4, spec.indicator_names[0]] = 7  # a constant item in one group
    survey = sm.survey.prepare(spec, df)
    for sizes in ([200] * 15, [200, 150] * 7 + [200]):
        rows = [np.flatnonzero(df.company == g)[:n] for g, n in enumerate(sizes)]
        fast = pooled.pooled_moments(survey, rows)
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(exact._FROM_SUMS, "fn", False)
            plain = pooled.pooled_moments(survey, rows)
        assert np.isnan(plain.corr[4]).any()
        for name in ("mean", "std", "corr"):
            np.testing.assert_array_equal(getattr(fast, name), getattr(plain, name))
    assert exact._FROM_SUMS.fn not in (None, False)  # the compiled step ran


@needs_numba
def test_compiled_vif_equals_numpy_inverse():
    """Indicator and inner VIFs of a batch (diag of inverses by a compiled LU with partial
    pivoting) against numpy's inv: NaN where numpy gives NaN (a singular block, a NaN
    correlation), else equal to 1e-12 relative (the same factorization, summed in
    another order; these blocks are well conditioned, VIF < 10)."""
    from satmodel.spec.layout import layout_of
    from satmodel.tables import validity
    from tests.test_engine_kernel import resampled

    spec = sm.templates.ecsi()
    lay = layout_of(spec)
    S, _, _ = resampled(21, n=64)
    S[3, 0, :] = S[3, 1, :]  # two identical items: a singular block
    S[3, :, 0] = S[3, :, 1]
    S[5, 8, 9] = S[5, 9, 8] = np.nan
    J = lay.n_constructs
    R = np.stack([np.corrcoef(np.random.default_rng(b).standard_normal((50, J)), rowvar=False)
                  for b in range(64)])
    R[6, 0, :] = R[6, 1, :]
    R[6, :, 0] = R[6, :, 1]
    fast = validity.indicator_vif(S, lay), validity.inner_vif(R, lay)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(validity._BLOCK_INVERSE_DIAGONALS, "fn", False)
        mp.setattr(validity._INVERSE_DIAGONAL, "fn", False)
        plain = validity.indicator_vif(S, lay), validity.inner_vif(R, lay)
    assert np.isnan(plain[0][3]).any() and np.isnan(plain[0][5]).any()
    assert np.isnan(plain[1][6]).any()
    for a, b in zip(fast, plain):
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=0)
    assert validity._BLOCK_INVERSE_DIAGONALS.fn and validity._INVERSE_DIAGONAL.fn  # ran


@needs_numba
def test_compiled_weighted_moments_equal_the_numpy_steps(monkeypatch):
    """Moments of many weight vectors (bootstrap counts) from their triangle sums in one
    compiled pass: the numpy steps' operations in their order, so the same bits — also
    for a resample of three rows and one of a single row (n - 1 = 0: NaN, as numpy)."""
    import numba  # noqa: F401
    from satmodel.moments import core

    rng = np.random.default_rng(0)
    X = rng.integers(0, 11, (120, 9)).astype(float) + rng.random((120, 9)).round(2)
    c = rng.multinomial(120, np.full(120, 1 / 120), size=(2, 40)).astype(float)
    c[0, 5] = 0
    c[0, 5, :3] = 1
    c[1, 7] = 0
    c[1, 7, 4] = 1
    fast = core.compute_moments(X, c)
    assert core._FROM_TRIANGLE.fn not in (None, False)  # the compiled pass ran
    monkeypatch.setattr(core._FROM_TRIANGLE, "fn", False)
    with np.errstate(all="ignore"):
        plain = core.compute_moments(X, c)
    off = ~np.eye(9, dtype=bool)  # the diagonal is set to 1
    assert np.isnan(plain.corr[1, 7][off]).all() and fast.corr.shape == (2, 40, 9, 9)
    for name in ("n", "mean", "std", "corr"):
        np.testing.assert_array_equal(getattr(fast, name), getattr(plain, name))


@needs_numba
def test_compiled_bootstrap_counts_equal_bincount(monkeypatch):
    """Bootstrap row counts counted in one compiled pass equal numpy's bincount of the
    same draws (integers: exactly), and the generator's stream is the same."""
    import numba  # noqa: F401
    from satmodel.inference import driver

    fast = driver.BootstrapCounts(100, 37, np.random.default_rng(4))
    plain = driver.BootstrapCounts(100, 37, np.random.default_rng(4))
    first = fast.draw(30)
    assert driver._ROW_COUNTS.fn not in (None, False)  # the compiled pass ran
    monkeypatch.setattr(driver._ROW_COUNTS, "fn", False)
    np.testing.assert_array_equal(first, plain.draw(30))
    assert (first.sum(axis=1) == 37).all()
    monkeypatch.undo()
    np.testing.assert_array_equal(fast.draw(70), plain.draw(70))  # streams stay in step


@pytest.mark.parametrize("n", [37, 250, 70_000])
def test_bootstrap_counts_are_numpys_default_draws(n):
    """The resamples are the rows numpy's ``integers(0, n, (B, n))`` gives (its default
    int64) from the same generator, although drawn as int32 indices: numpy draws a range
    below 2^32 by the same 32-bit steps for both. Counted here with bincount."""
    from satmodel.inference import driver

    got = driver.BootstrapCounts(12, n, np.random.default_rng(9)).draw(12)
    idx = np.random.default_rng(9).integers(0, n, size=(12, n))
    want = np.stack([np.bincount(row, minlength=n) for row in idx]).astype(float)
    np.testing.assert_array_equal(got, want)


def test_numbas_pure_python_mode_takes_the_numpy_path():
    """With ``NUMBA_DISABLE_JIT=1`` numba runs kernels as Python, which our LLVM
    intrinsics cannot do: every compiled step must stand aside (a fresh process, as the
    variable is read when numba is imported) and the bootstrap give the numpy path's
    draws."""
    import subprocess
    import sys

    code = (
        "import numpy as np, satmodel as sm\n"
        "res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load('ecsi_satisfaction'))\n"
        "d = res.bootstrap(n=100, seed=3, progress=False).inference.draws\n"
        "np.save('{out}', d['paths']['estimate'])\n"
        "from satmodel.engine import kernel\n"
        "from satmodel.moments import exact\n"
        "assert kernel.ITERATION.fn is False and kernel.FINISH.fn is False\n"
        "assert exact._BYTE_SUMS.fn in (None, False) and exact._FROM_SUMS.fn in (None, False)\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    out = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"nojit_{os.getpid()}.npy")
    done = subprocess.run([sys.executable, "-c", code.format(out=out)], capture_output=True,
                          text=True, env={**env, "NUMBA_DISABLE_JIT": "1"}, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SATMODEL_NUMBA", "0")
        plain = res.bootstrap(n=100, seed=3, progress=False).inference.draws
    np.testing.assert_array_equal(np.load(out), plain["paths"]["estimate"])
    os.remove(out)
