"""The batched tables' fast paths give the numbers of their definitions (issue 16: the
bootstrap evaluates every default table on ~1,250 resamples a chunk). Never times
(benchmarks/bench_bootstrap.py measures the speed).

What is compared, and why each tolerance:

- HTMT, HTMT2 and Cronbach's alpha of the table are computed from block-pair sums
  (``np.add.reduceat``) without the (..., J, J) matrices: the same operations on the same
  numbers as :func:`htmt_matrix` and the per-block alpha, so the same bits (checked with
  ``array_equal``), on the compiled and the numpy path alike. Against the textbook
  definition (a loop, another summation order): 1e-13 (values of order 1, sums of at
  most 36 terms: a few units of 1e-16).
- Indicator VIF, inner VIF (compiled: Cholesky, 32 resamples side by side, LU where
  a block is not positive definite) and f² (compiled: R² without a predictor by Cholesky,
  y'y with y = L^-1 r) differ from the numpy path (LAPACK's LU) by rounding only: both
  are backward stable, so relative differences are bounded by ~1e-16 times the block's
  condition number (VIF < 10 here: 1e-13 is 100x the bound) and f², a difference of two
  R² over 1 - R², by ~1e-16 x condition / (1 - R²) absolutely (1e-13 here).
- Singular, indefinite and non-finite blocks take the same route as before (LU), so the
  NaN pattern is the numpy path's exactly.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import satmodel as sm
from satmodel._compiled import enabled
from satmodel.spec.layout import layout_of
from satmodel.tables import TABLES, Context
from satmodel.tables import criteria, pairs, validity
from satmodel.tables.core import cronbach_alpha
from satmodel.tables.validity import htmt_matrix

needs_numba = pytest.mark.skipif(importlib.util.find_spec("numba") is None or not enabled(),
                                 reason="numba is not installed (extra 'fast') or switched "
                                        "off (SATMODEL_NUMBA=0): no compiled path to compare")

DEFAULT = ["paths", "outer", "effects", "r2", "quality", "htmt_pairs", "vif", "inner_vif",
           "f2", "information_criteria", "gof", "index"]
ROUNDING = ("vif", "inner_vif", "f2")  # tables whose compiled path solves differently


@pytest.fixture(scope="module")
def batch():
    """A bootstrap batch of 203 ECSI resamples (not a multiple of 8 lanes) and its spec."""
    from satmodel.inference.driver import BootstrapCounts

    spec = sm.templates.ecsi()
    res = sm.fit_pls(spec, sm.datasets.load("ecsi_satisfaction"))
    refit = res.refit_with_rows("bootstrap")
    w = BootstrapCounts(203, refit.n_rows, np.random.default_rng(7)).draw(203)
    return refit.fit(w), spec


def _values(fitted, spec) -> dict[str, np.ndarray]:
    ctx = Context.of(fitted, spec)  # a fresh context: nothing shared from another run
    return {f"{t}.{c}": TABLES[t].values(ctx, c) for t in DEFAULT for c in TABLES[t].columns}


@needs_numba
def test_compiled_and_numpy_paths_give_the_same_tables(batch, monkeypatch):
    fitted, spec = batch
    fast = _values(fitted, spec)
    monkeypatch.setenv("SATMODEL_NUMBA", "0")
    plain = _values(fitted, spec)
    # both ran (the indicator VIFs' compiled Cholesky runs in the pair-sum pass)
    assert pairs._SIGNED_AND_ABS.fn and criteria._F2_PATHS.fn
    for key, a in fast.items():
        b = plain[key]
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg=key)
        if key.split(".")[0] not in ROUNDING:
            np.testing.assert_array_equal(a, b, err_msg=key)  # no compiled step: same bits
        elif key.startswith("f2"):
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-13, err_msg=key)
        else:
            np.testing.assert_allclose(a, b, rtol=1e-13, atol=0, err_msg=key)


def test_htmt_table_equals_the_matrices_bit_for_bit(batch):
    """The table's pairs are :func:`htmt_matrix`'s entries, bit for bit, also where a
    correlation is exactly zero (HTMT2's geometric mean of that block pair is 0) and
    for a batch below MIN_BATCH and a single matrix."""
    fitted, spec = batch
    S = np.array(fitted.corr)
    S[4, 0, 6] = S[4, 6, 0] = 0.0  # an item pair of blocks 0 and 1 uncorrelated
    lay = layout_of(spec)
    names = spec.construct_names
    i, j = np.triu_indices(len(names), 1)
    for sub in (S, S[:5], S[4]):
        ctx = Context(S=sub, est=fitted.estimate, layout=lay, spec=spec, n_obs=250.0)
        for geometric, col in ((False, "htmt"), (True, "htmt2")):
            want = htmt_matrix(sub, lay, geometric=geometric)[..., i, j]
            got = TABLES["htmt_pairs"].values(ctx, col)
            np.testing.assert_array_equal(got, want)
    ctx = Context(S=S, est=fitted.estimate, layout=lay, spec=spec, n_obs=250.0)
    assert TABLES["htmt_pairs"].values(ctx, "htmt2")[4, 0] == 0.0
    alpha = TABLES["quality"].values(ctx, "alpha")
    np.testing.assert_allclose(alpha, cronbach_alpha(S, lay.membership), rtol=1e-13)


def _definitions(S: np.ndarray, R: np.ndarray, r2: np.ndarray, lay) -> dict[str, np.ndarray]:
    """HTMT, indicator VIF and f² by their textbook definitions, a loop per resample."""
    blocks = [np.flatnonzero(lay.block_of == j) for j in range(lay.n_constructs)]
    J = len(blocks)
    htmt, vif, f2 = [], [], []
    for s, r, q in zip(S, R, r2):
        A = np.abs(s)
        within = [np.mean([A[k, l] for k in b for l in b if k < l]) for b in blocks]
        htmt.append([np.mean(A[np.ix_(blocks[a], blocks[b])]) / np.sqrt(within[a] * within[b])
                     for a in range(J) for b in range(a + 1, J)])
        vif.append(np.concatenate([np.diag(np.linalg.inv(s[np.ix_(b, b)])) for b in blocks]))
        out = np.zeros((J, J))
        for t in range(J):
            preds = np.flatnonzero(lay.adjacency[:, t])
            for p in preds:
                rest = preds[preds != p]
                excl = 0.0 if rest.size == 0 else float(
                    r[rest, t] @ np.linalg.solve(r[np.ix_(rest, rest)], r[rest, t]))
                out[p, t] = (q[t] - excl) / (1.0 - q[t])
        f2.append(out)
    return {"htmt": np.array(htmt), "vif": np.array(vif), "f2": np.array(f2)}


def test_tables_equal_the_definitions(batch):
    fitted, spec = batch
    lay = layout_of(spec)
    est = fitted.estimate
    want = _definitions(fitted.corr[:40], est.construct_corr[:40], est.r2[:40], lay)
    ctx = Context.of(fitted, spec)
    np.testing.assert_allclose(TABLES["htmt_pairs"].values(ctx, "htmt")[:40], want["htmt"],
                               rtol=1e-13)
    np.testing.assert_allclose(TABLES["vif"].values(ctx, "vif")[:40], want["vif"], rtol=1e-13)
    i = np.array([spec.construct_names.index(p.source) for p in spec.paths])
    j = np.array([spec.construct_names.index(p.target) for p in spec.paths])
    np.testing.assert_allclose(TABLES["f2"].values(ctx, "f2")[:40], want["f2"][:, i, j],
                               rtol=0, atol=1e-13)


def _adversarial(n: int = 21) -> tuple[np.ndarray, np.ndarray, object]:
    """Item and construct correlations with a singular, an indefinite and a NaN element."""
    from tests.test_engine_kernel import resampled

    lay = layout_of(sm.templates.ecsi())
    S, _, _ = resampled(3, n=n)
    S[2, 0, :] = S[2, 1, :]  # two identical items: a singular block
    S[2, :, 0] = S[2, :, 1]
    S[5, 0, 1] = S[5, 1, 0] = 1.4  # an indefinite block (no correlation matrix)
    S[9, 6, 7] = S[9, 7, 6] = np.nan
    J = lay.n_constructs
    R = np.stack([np.corrcoef(np.random.default_rng(b).standard_normal((40, J)), rowvar=False)
                  for b in range(n)])
    R[3, 0, 2] = R[3, 2, 0] = 1.3  # indefinite predictor correlations (as PLSc can give)
    R[4, 1, :] = R[4, :, 1] = 0.0  # a construct without variance: singular
    R[8, 0, 3] = R[8, 3, 0] = np.nan
    return S, R, lay


def _vif_and_f2_both_paths(S, R, r2, lay):
    """Indicator VIF, inner VIF and f² compiled, then on the numpy path."""
    fast = (validity.indicator_vif(S, lay), validity.inner_vif(R, lay),
            criteria.f2_matrix(R, r2, lay))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SATMODEL_NUMBA", "0")
        plain = (validity.indicator_vif(S, lay), validity.inner_vif(R, lay),
                 criteria.f2_matrix(R, r2, lay))
    return fast, plain


@needs_numba
def test_fallbacks_give_the_numpy_paths_numbers():
    """Blocks Cholesky cannot take (singular, indefinite, non-finite) go to LU, as every
    block did before; the lanes cover a batch of 21 (two full passes and a partial one)."""
    S, R, lay = _adversarial()
    r2 = np.clip(np.random.default_rng(1).uniform(0.1, 0.9, R.shape[:2]), 0, 1)
    fast, plain = _vif_and_f2_both_paths(S, R, r2, lay)
    assert np.isnan(plain[0][2]).any() and np.isnan(plain[0][9]).any()
    assert np.isnan(plain[1][4]).any() and np.isnan(plain[2][8]).any()
    for a, b in zip(fast, plain):
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
        ok = np.isfinite(a)
        # f² where R² excludes an indefinite system can be large: compare relatively
        np.testing.assert_allclose(a[ok], b[ok], rtol=1e-11, atol=1e-13)
