"""fit_pls end to end: invariance properties, result JSON, errors and warnings."""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import satmodel as sm
from _oracles import without_scales

SPEC = sm.templates.ecsi()
DF = sm.datasets.load("ecsi_satisfaction")
BASE = sm.fit_pls(SPEC, DF)
BASE_C = sm.fit_pls(SPEC, DF, scheme="centroid", consistent=True)


def _standardized_tables(res):
    return {
        "paths": res.paths.estimate.to_numpy(),
        "weights": res.outer.weight.to_numpy(),
        "loadings": res.outer.loading.to_numpy(),
        "r2": res.r2.to_numpy(),
        "total": res.effects.total.to_numpy(),
        "corr": res.construct_correlations.to_numpy(),
        "rho_a": res.quality.rho_a.to_numpy(),
    }


def _assert_same(a, b, atol=1e-10):
    ta, tb = _standardized_tables(a), _standardized_tables(b)
    for k in ta:
        np.testing.assert_allclose(ta[k], tb[k], atol=atol, rtol=0, err_msg=k)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_row_and_column_order_do_not_matter(seed):
    rng = np.random.default_rng(seed)
    shuffled = DF.iloc[rng.permutation(len(DF))]
    shuffled = shuffled[list(rng.permutation(DF.columns))]
    res = sm.fit_pls(SPEC, shuffled)
    _assert_same(res, BASE)
    # scores follow their respondents (row index kept)
    pd.testing.assert_frame_equal(res.scores.loc[DF.index], BASE.scores, atol=1e-10, rtol=0)


@settings(max_examples=15, deadline=None)
@given(item=st.sampled_from(SPEC.indicator_names), scale=st.floats(0.01, 100.0),
       shift=st.floats(-1000.0, 1000.0), consistent=st.booleans())
def test_positive_affine_rescaling_of_an_item_changes_nothing(item, scale, shift, consistent):
    df = DF.copy()
    df[item] = df[item] * scale + shift
    unscaled = without_scales(SPEC)  # no declared 0-10 scales
    res = sm.fit_pls(unscaled, df, scheme="centroid", consistent=consistent)
    _assert_same(res, BASE_C if consistent else sm.fit_pls(SPEC, DF, scheme="centroid"), atol=1e-9)


def test_callers_dataframe_is_unchanged():
    df = DF.copy()
    df.index = [f"r{i}" for i in range(len(df))]
    before = df.copy(deep=True)
    res = sm.fit_pls(SPEC, df, consistent=True)
    pd.testing.assert_frame_equal(df, before)
    assert list(res.scores.index) == list(df.index)


def test_scores_are_standardized_proxies():
    s = BASE.scores
    np.testing.assert_allclose(s.mean(), 0, atol=1e-12)
    np.testing.assert_allclose(s.std(ddof=1), 1, atol=1e-12)
    np.testing.assert_allclose(s.corr().to_numpy(), BASE.construct_correlations.to_numpy(),
                               atol=1e-12)


def test_effects_indirect_is_total_minus_direct_on_every_chain():
    """docs/methods.md §7: indirect effects of 0 for a chain with non-zero paths must be impossible."""
    e = BASE.effects.set_index(["source", "target"])
    B = {(p.source, p.target): p.estimate for p in BASE.paths.itertuples()}
    # IMAG -> EXPE -> QUAL has no direct path: its total is the product of the two paths
    np.testing.assert_allclose(e.loc[("IMAG", "QUAL"), "total"],
                               B[("IMAG", "EXPE")] * B[("EXPE", "QUAL")], atol=1e-14)
    np.testing.assert_allclose(e.indirect, e.total - e.direct, atol=1e-14)
    # enumerate every chain explicitly and compare with the matrix inverse
    def chains(s, t):
        if (s, t) in B:
            yield B[(s, t)]
        for (a, b), v in B.items():
            if a == s and b != t:
                for rest in chains(b, t):
                    yield v * rest
    for (s, t), row in e.iterrows():
        np.testing.assert_allclose(row.total, sum(chains(s, t)), atol=1e-13)


def test_result_json_round_trip():
    for res in (BASE, BASE_C):
        back = sm.PLSResult.from_json(res.to_json())
        for name in ("paths", "outer", "effects", "quality", "cross_loadings"):
            pd.testing.assert_frame_equal(getattr(back, name), getattr(res, name))
        pd.testing.assert_series_equal(back.r2, res.r2)
        assert back.spec == res.spec and back.options == res.options
        with pytest.raises(sm.SatModelError, match="no scores"):
            back.scores
    # no survey rows inside: no list in the record is as long as the number of respondents
    def lengths(x):
        if isinstance(x, dict):
            for v in x.values():
                yield from lengths(v)
        elif isinstance(x, list):
            yield len(x)
            for v in x:
                yield from lengths(v)
    assert BASE.n_obs not in set(lengths(BASE.to_dict()))
    with pytest.raises(sm.SatModelError, match="version"):
        sm.PLSResult.from_json(BASE.to_json().replace('"version": 2', '"version": 99'))


def test_result_is_frozen_and_tables_are_copies():
    with pytest.raises(Exception):
        BASE.n_obs = 3
    s = BASE.scores
    s.iloc[0, 0] = 1e6
    assert BASE.scores.iloc[0, 0] != 1e6


def test_square_tables_are_fresh_copies():
    """Regression: cross_loadings / construct_correlations were cached DataFrames, so an
    edit by the caller persisted in the (frozen) result."""
    w0 = BASE.estimate.weights.copy()
    for name in ("cross_loadings", "construct_correlations"):
        t = getattr(BASE, name)
        before = t.iloc[0, 1]
        t.iloc[0, 1] = 99.0
        assert getattr(BASE, name).iloc[0, 1] == before
    o = BASE.outer
    o.loc[0, "weight"] = 99.0
    np.testing.assert_array_equal(BASE.estimate.weights, w0)


def test_mode_b_unscaled_matches_a_loop_on_centred_raw_items():
    """Regression: scaled=False multiplied Mode B updates by the item variances (only Mode A
    follows covariances; OLS weights are metric-free). Reference: an independent
    Lohmöller loop on centred raw items (Mode A: X'z/n, Mode B: OLS of z on X_j)."""
    spec = sm.ModelSpec.from_lavaan("""
        IMAG <~ IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5
        EXPE =~ EXPE1 + EXPE2 + EXPE3 + EXPE4 + EXPE5
        SAT =~ SAT1 + SAT2 + SAT3 + SAT4
        EXPE ~ IMAG
        SAT ~ IMAG + EXPE
    """)
    res = sm.fit_pls(spec, DF, scaled=False, scheme="centroid", tol=1e-13, max_iter=1000)
    X = DF[list(spec.indicator_names)].to_numpy(float)
    X = X - X.mean(0)
    blocks = [np.arange(0, 5), np.arange(5, 10), np.arange(10, 14)]
    adj = np.array([[0, 1, 1], [1, 0, 1], [1, 1, 0]])
    W = [np.ones(b.size) for b in blocks]
    for _ in range(2000):
        Y = np.column_stack([X[:, b] @ w for b, w in zip(blocks, W)])
        Y = Y / Y.std(0, ddof=1)
        Zt = Y @ (np.sign(np.corrcoef(Y.T)) * adj)
        new = [np.linalg.lstsq(X[:, blocks[0]], Zt[:, 0], rcond=None)[0]]
        new += [X[:, b].T @ Zt[:, j] / len(X) for j, b in enumerate(blocks) if j > 0]
        new = [w / (X[:, b] @ w).std(ddof=1) for b, w in zip(blocks, new)]
        change = max(np.abs(a - b).max() for a, b in zip(new, W))
        W = new
        if change < 1e-14:
            break
    Y = np.column_stack([X[:, b] @ w for b, w in zip(blocks, W)])
    loadings = np.concatenate([[np.corrcoef(X[:, k], Y[:, j])[0, 1] for k in b]
                               for j, b in enumerate(blocks)])
    np.testing.assert_allclose(res.outer.loading.to_numpy(), loadings, atol=1e-9)


def test_constructs_follow_spec_order_not_alphabetical():
    spec = sm.ModelSpec.from_lavaan("""
        SAT  =~ SAT1 + SAT2 + SAT3 + SAT4
        EXPE =~ EXPE1 + EXPE2 + EXPE3
        SAT ~ EXPE
    """)
    res = sm.fit_pls(spec, DF)
    assert list(res.construct_correlations.columns) == ["SAT", "EXPE"]
    assert list(res.outer.indicator[:4]) == ["SAT1", "SAT2", "SAT3", "SAT4"]


def test_bad_options_name_the_option():
    with pytest.raises(sm.OptionError, match="scheme"):
        sm.fit_pls(SPEC, DF, scheme="pathway")
    with pytest.raises(sm.OptionError, match="tol"):
        sm.fit_pls(SPEC, DF, tol=-1)
    with pytest.raises(sm.OptionError, match="stop"):
        sm.fit_pls(SPEC, DF, stop="relative")


def test_non_convergence_warns_and_flags():
    with pytest.warns(sm.ConvergenceWarning, match="max_iter=2"):
        res = sm.fit_pls(SPEC, DF, max_iter=2, tol=1e-15)
    assert res.converged is False and res.n_iter == 2
    assert "NOT CONVERGED" in res.summary()


def test_singular_mode_b_block_names_the_construct():
    df = DF.copy()
    df["DUP"] = df["SAT1"] + df["SAT2"]
    spec = sm.ModelSpec.from_lavaan("""
        IMAG =~ IMAG1 + IMAG2
        SAT <~ SAT1 + SAT2 + DUP
        SAT ~ IMAG
    """)
    with pytest.raises(sm.EstimationError, match="'SAT'.*singular"):
        sm.fit_pls(spec, df)


def test_plsc_undefined_rho_a_names_the_construct():
    """Two items that both follow the neighbour but correlate negatively with each other
    (a = f + e, b = f - e, var e > var f): c² < 0, so rho_A and PLSc are undefined."""
    rng = np.random.default_rng(1)
    f, e = rng.normal(size=300), 2 * rng.normal(size=300)
    df = pd.DataFrame({"a": f + e, "b": f - e, "y1": f + rng.normal(size=300),
                       "y2": f + rng.normal(size=300)})
    spec = sm.ModelSpec.from_lavaan("ODD =~ a + b\nY =~ y1 + y2\nY ~ ODD")
    with pytest.raises(sm.EstimationError, match="ODD"):
        sm.fit_pls(spec, df, consistent=True)
    sm.fit_pls(spec, df)  # plain PLS is defined


def test_plsc_inadmissible_solution_warns():
    """A weak block (items correlate 0.1) strongly related to a reliable one: the corrected
    construct correlation is 0.7107/sqrt(0.889 * 0.182) ~ 1.77 > 1 -> AdmissibilityWarning."""
    S = np.array([[1, .8, .5, .5], [.8, 1, .5, .5], [.5, .5, 1, .1], [.5, .5, .1, 1]])
    spec = sm.ModelSpec.from_lavaan("A =~ a1 + a2\nB =~ b1 + b2\nB ~ A")
    with pytest.warns(sm.AdmissibilityWarning, match="exceeds 1"):
        res = sm.fit_pls_moments(spec, S, n_obs=100, consistent=True)
    assert res.construct_correlations.loc["A", "B"] > 1


def test_spec_type_checked():
    with pytest.raises(sm.SatModelError, match="ModelSpec"):
        sm.fit_pls("EXPE =~ EXPE1", DF)


def test_fit_pls_moments_equals_fit_on_data():
    res = sm.fit_pls_moments(SPEC, BASE.indicator_corr, n_obs=250)
    _assert_same(res, BASE, atol=1e-14)
    with pytest.raises(sm.DataError, match="27 x 27"):
        sm.fit_pls_moments(SPEC, np.eye(3), n_obs=250)


def test_summary_and_html():
    text = BASE_C.summary()
    assert "consistent PLS" in text and "SAT" in text and "rho_a" in text
    assert "<table" in BASE._repr_html_()
    assert "converged in" in repr(BASE)


def test_cbsem_only_features_are_refused_by_pls():
    spec = sm.ModelSpec.from_lavaan("""
        EXPE =~ EXPE1 + EXPE2 + EXPE3
        SAT  =~ SAT1 + SAT2 + SAT3
        SAT ~ EXPE
        EXPE1 ~~ SAT1
    """)
    with pytest.raises(sm.SpecError, match="EXPE1.*fit_cbsem|fit_cbsem.*EXPE1"):
        sm.fit_pls(spec, DF)


def test_fit_pls_moments_refuses_a_matrix_that_is_not_a_correlation_matrix():
    S = np.array([[1, .99, .99, -.99], [.99, 1, .99, .99], [.99, .99, 1, .99], [-.99, .99, .99, 1]])
    spec = sm.ModelSpec.from_lavaan("A =~ a1 + a2\nB =~ b1 + b2\nB ~ A")
    with pytest.raises(sm.DataError, match="positive semi-definite"):
        sm.fit_pls_moments(spec, S, n_obs=50)


def test_single_construct_model_fits():
    res = sm.fit_pls(sm.ModelSpec.from_lavaan("SAT =~ SAT1 + SAT2 + SAT3 + SAT4"), DF)
    assert res.converged and (res.outer.loading > 0.8).all()
    assert res.paths.empty and res.r2.empty


def test_fit_pls_moments_refuses_a_slightly_asymmetric_matrix():
    """Asymmetry of 5e-6 relative passes numpy's default allclose (rtol 1e-5): the check
    is absolute (1e-12), so such a matrix is refused, not fitted as if it were S or S'."""
    S = DF[list(SPEC.indicator_names)].corr().to_numpy().copy()
    sm.fit_pls_moments(SPEC, S, n_obs=250)  # the matrix itself is accepted
    S[0, 5] *= 1 + 5e-6
    with pytest.raises(sm.errors.DataError, match="symmetric"):
        sm.fit_pls_moments(SPEC, S, n_obs=250)
