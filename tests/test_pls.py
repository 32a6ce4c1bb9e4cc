"""The engine on correlation matrices: closed-form and exact-population cases, batching.

Expected values come from algebra, not from satmodel's output:
- two single-item constructs: the path is their correlation;
- two exchangeable two-item blocks (within r_i, between r_b): equal weights, composite
  correlation 4 r_b / sqrt((2 + 2 r_1)(2 + 2 r_2));
- a population common-factor model S = Λ Φ Λ' + Θ: PLSc returns Λ and Φ exactly
  (Dijkstra & Henseler 2015, consistency at the population level).
"""

import numpy as np
import pytest

from satmodel.engine import Layout, estimate


def _layout(block_of, adjacency, modes=None, common=None):
    J = len(adjacency)
    return Layout(np.asarray(block_of), tuple(modes or ["A"] * J), np.asarray(adjacency, bool),
                  np.asarray(common if common is not None else [True] * J))


def _two_blocks(r1=0.6, r2=0.5, rb=0.3):
    S = np.array([[1, r1, rb, rb], [r1, 1, rb, rb], [rb, rb, 1, r2], [rb, rb, r2, 1.0]])
    return S, _layout([0, 0, 1, 1], [[0, 1], [0, 0]])


@pytest.mark.parametrize("scheme", ["path", "centroid", "factorial"])
@pytest.mark.parametrize("stop", ["max_abs", "sum_abs", "sum_sq"])
def test_exchangeable_blocks_closed_form(scheme, stop):
    S, lay = _two_blocks()
    e = estimate(S, lay, scheme=scheme, stop=stop, tol=1e-12)
    assert e.converged
    np.testing.assert_allclose(e.paths[0, 1], 4 * 0.3 / np.sqrt(3.2 * 3.0), atol=1e-12)
    np.testing.assert_allclose(e.weights[:2], 1 / np.sqrt(3.2), atol=1e-12)
    np.testing.assert_allclose(e.r2[1], (4 * 0.3) ** 2 / (3.2 * 3.0), atol=1e-12)


def test_single_items_path_is_correlation():
    S = np.array([[1.0, 0.42], [0.42, 1.0]])
    e = estimate(S, _layout([0, 1], [[0, 1], [0, 0]]))
    np.testing.assert_allclose(e.paths[0, 1], 0.42, atol=1e-15)
    np.testing.assert_allclose(e.weights, 1.0)


def _population(lams, phi):
    """Indicator correlation matrix of standardized common factors."""
    Lam = np.zeros((sum(len(l) for l in lams), len(lams)))
    k = 0
    for j, l in enumerate(lams):
        Lam[k:k + len(l), j] = l
        k += len(l)
    S = Lam @ phi @ Lam.T
    np.fill_diagonal(S, 1.0)
    return S, Lam


@pytest.mark.parametrize("scheme", ["path", "centroid", "factorial"])
def test_plsc_recovers_population_common_factors(scheme):
    lams = [[0.7, 0.8, 0.6], [0.9, 0.5, 0.7], [0.8, 0.8, 0.65, 0.7]]
    b12, b13, b23 = 0.5, 0.2, 0.4
    phi = np.eye(3)
    phi[0, 1] = phi[1, 0] = b12
    phi[0, 2] = phi[2, 0] = b13 + b23 * b12
    phi[1, 2] = phi[2, 1] = b13 * b12 + b23
    S, Lam = _population(lams, phi)
    lay = _layout([0, 0, 0, 1, 1, 1, 2, 2, 2, 2], [[0, 1, 1], [0, 0, 1], [0, 0, 0]])
    e = estimate(S, lay, scheme=scheme, consistent=True, tol=1e-14, max_iter=1000)
    np.testing.assert_allclose(e.loadings, Lam.sum(axis=1), atol=1e-10)
    np.testing.assert_allclose(e.construct_corr, phi, atol=1e-10)
    np.testing.assert_allclose([e.paths[0, 1], e.paths[0, 2], e.paths[1, 2]], [b12, b13, b23],
                               atol=1e-10)
    # rho_A of a population common factor = reliability of its proxy, <= 1
    assert np.all(e.rho_a < 1)


def test_batch_equals_single_fits():
    """No loop over the batch: each element equals its own single fit, iterations included."""
    rng = np.random.default_rng(7)
    S0, _ = _population([[0.7, 0.8, 0.6], [0.9, 0.5, 0.7]], np.array([[1, 0.5], [0.5, 1.0]]))
    L = np.linalg.cholesky(S0)
    mats = []
    for _ in range(6):
        X = rng.normal(size=(60, 6)) @ L.T
        mats.append(np.corrcoef(X, rowvar=False))
    batch = np.array(mats).reshape(2, 3, 6, 6)
    lay = _layout([0, 0, 0, 1, 1, 1], [[0, 1], [0, 0]])
    for consistent in (False, True):
        eb = estimate(batch, lay, scheme="path", consistent=consistent)
        assert eb.paths.shape == (2, 3, 2, 2)
        for i in range(2):
            for j in range(3):
                es = estimate(batch[i, j], lay, scheme="path", consistent=consistent)
                assert es.n_iter == eb.n_iter[i, j]
                for name in ("weights", "loadings", "paths", "construct_corr", "rho_a", "total"):
                    # batched BLAS may differ from the single call in the last bit only
                    np.testing.assert_allclose(getattr(eb, name)[i, j], getattr(es, name),
                                               rtol=0, atol=1e-13)


def test_mode_b_weights_are_regression_weights():
    """Mode B, two single-item neighbours: weights ∝ S_jj^-1 (item-neighbour covariances)."""
    S = np.array([[1.0, 0.3, 0.5], [0.3, 1.0, 0.2], [0.5, 0.2, 1.0]])
    lay = _layout([0, 0, 1], [[0, 1], [0, 0]], modes=["B", "A"], common=[False, False])
    e = estimate(S, lay, tol=1e-14)
    raw = np.linalg.solve(S[:2, :2], S[:2, 2])
    expected = raw / np.sqrt(raw @ S[:2, :2] @ raw)
    np.testing.assert_allclose(e.weights[:2], expected, atol=1e-12)
    # the composite is then the best linear predictor: its R² equals the OLS R²
    np.testing.assert_allclose(e.r2[1], S[:2, 2] @ raw, atol=1e-12)


def test_non_convergence_is_flagged():
    S, _ = _population([[0.9, 0.5, 0.7], [0.8, 0.6]], np.array([[1, 0.5], [0.5, 1.0]]))
    lay = _layout([0, 0, 0, 1, 1], [[0, 1], [0, 0]])
    e = estimate(S, lay, max_iter=1, tol=1e-15)
    assert not e.converged and e.n_iter == 1


def test_sign_rule_makes_block_loadings_sum_positive():
    """Items coded in opposite directions: the block is oriented so loadings sum >= 0."""
    S = np.array([[1.0, -0.8, 0.4], [-0.8, 1.0, -0.3], [0.4, -0.3, 1.0]])
    lay = _layout([0, 0, 1], [[0, 1], [0, 0]])
    e = estimate(S, lay)
    assert e.loadings[:2].sum() > 0


def test_one_construct_model_gives_the_first_principal_component():
    """With no neighbour a block is its own inner proxy: Mode A weights become the first
    eigenvector of the block correlation matrix (Wold's one-block PLS = PCA)."""
    S = np.array([[1.0, 0.6, 0.3], [0.6, 1.0, 0.5], [0.3, 0.5, 1.0]])
    e = estimate(S, _layout([0, 0, 0], [[0]]), tol=1e-13, max_iter=10_000)
    vals, vecs = np.linalg.eigh(S)
    pc = vecs[:, -1] * np.sign(vecs[:, -1].sum())
    np.testing.assert_allclose(e.weights, pc / np.sqrt(vals[-1]), atol=1e-10)
    np.testing.assert_allclose(e.loadings, pc * np.sqrt(vals[-1]), atol=1e-10)
