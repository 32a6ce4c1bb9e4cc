"""Moments: closed-form checks against numpy and the replication property of weights."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from satmodel.moments import compute_moments


def _data(seed, n=40, p=5):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, p)) @ rng.normal(size=(p, p)) + rng.uniform(0, 10, size=p)


def test_unweighted_matches_numpy():
    X = _data(0)
    m = compute_moments(X)
    np.testing.assert_allclose(m.corr, np.corrcoef(X, rowvar=False), atol=1e-14)
    np.testing.assert_allclose(m.std, X.std(axis=0, ddof=1), atol=1e-13)
    np.testing.assert_allclose(m.mean, X.mean(axis=0), atol=1e-13)
    assert m.n == 40


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000))
def test_integer_weights_equal_replicated_rows(seed):
    """A bootstrap resample is a count vector: weighted moments == moments of the copies."""
    X = _data(seed, n=25)
    counts = np.random.default_rng(seed).multinomial(25, np.full(25, 1 / 25))
    w = compute_moments(X, counts)
    r = compute_moments(np.repeat(X, counts, axis=0))
    np.testing.assert_allclose(w.corr, r.corr, atol=1e-12)
    np.testing.assert_allclose(w.mean, r.mean, atol=1e-12)
    np.testing.assert_allclose(w.std, r.std, atol=1e-12)


def test_batch_axis_equals_loop():
    X = _data(3)
    counts = np.random.default_rng(3).multinomial(40, np.full(40, 1 / 40), size=(2, 3))
    batch = compute_moments(X, counts)
    assert batch.corr.shape == (2, 3, 5, 5)
    for i in range(2):
        for j in range(3):
            single = compute_moments(X, counts[i, j])
            np.testing.assert_allclose(batch.corr[i, j], single.corr, atol=1e-14)
    np.testing.assert_allclose(np.diagonal(batch.corr, axis1=-2, axis2=-1), 1.0)


def test_input_not_modified():
    X = _data(4)
    before = X.copy()
    compute_moments(X, np.ones(40))
    np.testing.assert_array_equal(X, before)
