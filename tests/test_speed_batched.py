"""The batched fast paths of issue 12 (many groups) and issue 16 (bootstrap) against the
plain paths they replace (never timings).

- the groups' moments from cache-sized chunks of centred rows (sorted equal groups read
  as a view; unsorted or unequal groups zero-padded) against each group's own moments;
- the engine (working set narrowed only when it pays, one-predecessor systems as a
  division, C = W'Y as one GEMM) against a plain single-matrix PLS iteration written here;
- the bootstrap's weighted cross products from the j <= k products against their
  definition;
- the driver's chunks evaluated in threads (``parallel=True``) against the same chunks
  evaluated in order, and the information criteria computed once for all columns;
- percentile and basic bounds from one quantile pass against one pass per bound.

Tolerances: 1e-12 (absolute, on correlations, weights and paths of order 1; relative on
sums of order 1e2-1e4) where the paths sum the same terms in another order (rounding of a
few hundred float64 additions is ~1e-14); exact equality where the arithmetic is the same
(threads evaluate the very chunks the sequential run evaluates).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import satmodel as sm
from _pools import count_pools
from satmodel.engine import pls
from satmodel.groups import batch, pooled
from satmodel.inference.driver import BootstrapCounts, run, table_evaluator
from satmodel.moments import core
from satmodel.moments.treatment import survey_moments
from satmodel.spec.layout import layout_of
from satmodel.survey import prepare
from satmodel.tables import TABLES
from satmodel.tables.criteria import information_criteria_values

SPEC = sm.templates.ecsi()
DF = sm.datasets.load("ecsi_satisfaction")


def companies(sizes, seed=1, shuffle=False) -> pd.DataFrame:
    """Companies of the given sizes, rows resampled from ECSI (rows in company order
    unless ``shuffle``)."""
    rng = np.random.default_rng(seed)
    base = DF.drop(columns="gender")
    df = base.iloc[rng.integers(0, len(base), size=sum(sizes))].reset_index(drop=True)
    df.insert(0, "company", np.repeat([f"C{g:03d}" for g in range(len(sizes))], sizes))
    if shuffle:
        df = df.iloc[rng.permutation(len(df))].reset_index(drop=True)
    return df


def plain_group_moments(survey, groups):
    return batch.stack_moments([survey_moments(batch.sub_survey(survey, r))
                                for r in groups.rows])


@pytest.mark.parametrize("sizes, shuffle, order", [
    ([60] * 50, False, "frame"),     # sorted equal groups: a view of the rows
    ([60] * 50, False, "C"),         # the same from a C-ordered array
    ([40, 55, 61, 48] * 10, True, "frame"),  # unsorted, unequal: zero-padded chunks
])
def test_pooled_group_moments_equal_each_groups_own(sizes, shuffle, order):
    df = companies(sizes, shuffle=shuffle)
    data = df if order == "frame" else np.ascontiguousarray(
        df[list(SPEC.indicator_names)].to_numpy(float))
    survey = prepare(SPEC, data, columns=None if order == "frame" else list(SPEC.indicator_names))
    groups = batch.split(df, ("company",), survey)
    fast = pooled.pooled_moments(survey, list(groups.rows))
    plain = plain_group_moments(survey, groups)
    assert fast is not None
    np.testing.assert_array_equal(fast.n, plain.n)
    for name in ("mean", "std", "corr"):
        np.testing.assert_allclose(getattr(fast, name), getattr(plain, name), rtol=0, atol=1e-12)


@pytest.mark.parametrize("values, exact_chunks", [
    ("int", "all"),        # integer columns: known integers, float32 products throughout
    ("uint8", "all"),      # narrow unsigned codes, read as they are (SurveyData.values)
    ("mixed", "all"),      # int8 and int64 columns: one common integer dtype
    ("float", "all"),      # the same codes as float64 columns: each chunk checked, exact
    ("decimal", "some"),   # one company with a half-point answer: its chunk in float64
    ("wide", "none"),      # codes up to 1,000: products pass 2^24, float64 throughout
])
def test_pooled_moments_exact_integer_products(values, exact_chunks, monkeypatch):
    """The float32 products of integer codes equal each group's own moments (the
    float64 centred path) to rounding, and each kind of data takes the branch it should."""
    df = companies([40, 55, 61, 48] * 10, shuffle=True)
    items = list(SPEC.indicator_names)
    if values == "uint8":
        df[items] = df[items].astype(np.uint8)
    elif values == "mixed":
        df[items[:5]] = df[items[:5]].astype(np.int8)
    elif values != "int":
        df[items] = df[items].astype(float)
    if values == "decimal":
        df.loc[df.index[df.company == "C007"][0], "SAT2"] = 6.5
    spec = SPEC
    if values == "wide":
        df[items] = df[items] * 100 + 3
        lines = [f"{c.name} =~ " + " + ".join(i.name for i in c.indicators)
                 for c in SPEC.constructs]
        spec = sm.ModelSpec.from_lavaan("\n".join(lines + [f"{p.target} ~ {p.source}"
                                                           for p in SPEC.paths]))
    survey = prepare(spec, df)
    integral = values in ("int", "uint8", "mixed")
    assert survey.extremes[3] == integral  # integer dtypes: known integers
    # integer codes are kept as integers (no float64 copy) until X is read
    assert survey.values.dtype == (np.int8 if integral else np.float64)  # codes 1-10: int8
    groups = batch.split(df, ("company",), survey)
    taken = []  # the chunks (of 5 groups: 8 in all) with float32 products
    real = pooled._integer_products

    def counted(*args):
        taken.append(1)
        return real(*args)
    monkeypatch.setattr(pooled, "_integer_products", counted)
    monkeypatch.setattr(batch, "MIN_GROUPS_PER_THREAD", 10**6)  # one call: chunks in order
    monkeypatch.setattr(pooled, "_CHUNK_BYTES", 8 * 61 * 27 * 5)  # 5 groups a chunk
    fast = pooled.pooled_moments(survey, list(groups.rows))
    plain = plain_group_moments(survey, groups)
    assert {"all": len(taken) == 8, "some": 0 < len(taken) < 8, "none": not taken}[exact_chunks]
    for name in ("mean", "std", "corr"):
        np.testing.assert_allclose(getattr(fast, name), getattr(plain, name), rtol=1e-13,
                                   atol=1e-12)


def test_pooled_moments_decline_extreme_magnitudes():
    """Columns beyond 2^50 are left to the per-group path, which rescales them exactly."""
    df = companies([30] * 4)
    df["IMAG1"] = df["IMAG1"] * 2.0**60
    lines = [f"{c.name} =~ " + " + ".join(i.name for i in c.indicators) for c in SPEC.constructs]
    lines += [f"{p.target} ~ {p.source}" for p in SPEC.paths]
    spec = sm.ModelSpec.from_lavaan("\n".join(lines))  # no declared answer scales
    survey = prepare(spec, df.drop(columns="company"))
    groups = batch.split(df, ("company",), survey)
    assert pooled.pooled_moments(survey, list(groups.rows)) is None


@pytest.mark.filterwarnings("ignore:path estimates with the opposite")
def test_grouped_fit_equals_separate_fits():
    df = companies([50, 80, 65, 120], shuffle=True)
    res = sm.fit_pls(SPEC, df, by="company")
    for key, part in df.groupby("company"):
        one = sm.fit_pls(SPEC, part.drop(columns="company"))
        np.testing.assert_allclose(res[key].estimate.paths, one.estimate.paths, atol=1e-12, rtol=0)
        np.testing.assert_allclose(res[key].estimate.weights, one.estimate.weights, atol=1e-12,
                                   rtol=0)


def plain_pls(S, lay, tol=1e-7, max_iter=300):
    """Lohmöller's iteration on ONE correlation matrix, Mode A, path scheme, written out
    plainly (the definition the batched engine implements): weights, iterations."""
    M = lay.membership.astype(float)
    J = lay.n_constructs

    def normalized(w):
        W = w[:, None] * M
        var = np.einsum("pj,pq,qj->j", W, S, W)
        return w / np.sqrt(var)[lay.block_of]

    w = normalized(np.ones(S.shape[0]))
    for it in range(1, max_iter + 1):
        W = w[:, None] * M
        C = W.T @ S @ W
        E = np.zeros((J, J))
        for j in range(J):
            succ = np.flatnonzero(lay.adjacency[j])
            E[succ, j] = C[succ, j]
            pred = np.flatnonzero(lay.adjacency[:, j])
            if pred.size:
                E[pred, j] = np.linalg.solve(C[np.ix_(pred, pred)], C[pred, j])
        inner = S @ W @ E
        new = normalized(inner[np.arange(S.shape[0]), lay.block_of])
        done = np.max(np.abs(new - w)) < tol
        w = new
        if done:
            return w, it
    return w, max_iter


def test_engine_equals_a_plain_iteration_on_every_element():
    df = companies([40] * 30, seed=3)
    survey = prepare(SPEC, df.drop(columns="company"))
    groups = batch.split(df, ("company",), survey)
    S = pooled.pooled_moments(survey, list(groups.rows)).corr
    lay = layout_of(SPEC)
    est = pls.estimate(S, lay)
    for g in range(S.shape[0]):
        w, it = plain_pls(S[g], lay)
        lam = (S[g] * (lay.membership @ lay.membership.T)) @ w  # own-block loadings
        sign = np.where((lam @ lay.membership) < 0, -1.0, 1.0)[lay.block_of]
        np.testing.assert_allclose(est.weights[g], w * sign, atol=1e-12, rtol=0)
        assert est.n_iter[g] == it


def test_weighted_cross_products_of_many_vectors_equal_their_definition():
    rng = np.random.default_rng(0)
    X = rng.normal(3.0, 2.0, size=(250, 27))
    for c in (rng.multinomial(250, np.full(250, 1 / 250), size=60).astype(float),
              rng.poisson(1.0, size=(2, 5, 250)).astype(float)):
        want = np.einsum("...n,np,nq->...pq", c, X, X)
        got = core.weighted_cross(c, X)
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)
        np.testing.assert_array_equal(got, np.swapaxes(got, -1, -2))  # exactly symmetric


def test_parallel_chunks_equal_sequential_chunks(monkeypatch):
    # two usable cores whatever the runner has, and a count of the thread pools made: on a
    # 1-core runner no pool would be made and the comparison would be of one path with itself
    import satmodel.inference.driver as driver

    pools = count_pools(monkeypatch, driver)
    monkeypatch.setattr(driver, "usable_cores", lambda: 2)
    res = sm.fit_pls(SPEC, DF)
    evaluate = table_evaluator(res.refit, SPEC, ["paths", "htmt_pairs", "quality"])
    runs = [run(BootstrapCounts(300, 250, np.random.default_rng(7)), evaluate,
                res.refit.bytes_per_fit, chunk=50, parallel=flag)
            for flag in (False, True)]
    assert pools == []  # an explicit chunk keeps one chunk in flight: no threads
    # so give the threads chunks of 70 at most: ceil(300 / 70) = 5 chunks, rounded up to 6
    # (a multiple of the 2 in flight): 50 each, the sequential run's chunks
    monkeypatch.setattr(driver, "MAX_CHUNK", 70)
    threaded = run(BootstrapCounts(300, 250, np.random.default_rng(7)), evaluate,
                   res.refit.bytes_per_fit, parallel=True)
    assert pools == [1]  # the threaded path ran: one helper thread beside the calling one
    # the same chunks with the same draws through the same code (the numpy path or the
    # numba kernel, each deterministic for a chunk whatever thread runs it): equal exactly
    for other in (runs[1], threaded):
        assert other.n_valid == runs[0].n_valid and other.dropped == runs[0].dropped
        for t, cols in runs[0].values.items():
            for c, v in cols.items():
                np.testing.assert_array_equal(other.values[t][c], v)


def test_bootstrap_draws_do_not_depend_on_the_chunking():
    res = sm.fit_pls(SPEC, DF)
    a = res.bootstrap(n=400, seed=3, tables=["paths"], progress=False)
    b = res.bootstrap(n=400, seed=3, tables=["paths"], progress=False, chunk_size=150)
    np.testing.assert_allclose(a.inference.draws["paths"]["estimate"],
                               b.inference.draws["paths"]["estimate"], atol=1e-12, rtol=0)


def test_information_criteria_columns_share_one_computation():
    res = sm.fit_pls(SPEC, DF)
    ctx = res.context
    every = information_criteria_values(ctx.est.r2, ctx.layout, ctx.n_obs)
    endo = [ctx.pos[c] for c in SPEC.endogenous]
    for name in TABLES["information_criteria"].columns:
        np.testing.assert_array_equal(TABLES["information_criteria"].values(ctx, name),
                                      every[name][..., endo])
    assert list(ctx.memo) == ["information_criteria"]


def test_percentile_and_basic_bounds_from_one_quantile_pass():
    """Both bounds come from one np.quantile call: the same order statistics as one call
    per bound, interpolated with the probabilities as an array (the interpolation weight
    may round differently in the last bit: 1e-12 on draws of order 1)."""
    from satmodel.inference.intervals import interval

    rng = np.random.default_rng(2)
    draws, theta = rng.normal(size=(999, 12)), rng.normal(size=12)
    lo, hi = np.quantile(draws, 0.025, axis=0), np.quantile(draws, 0.975, axis=0)
    got = interval(theta, draws, level=0.95, method="percentile")
    np.testing.assert_allclose(got[0], lo, rtol=0, atol=1e-12)
    np.testing.assert_allclose(got[1], hi, rtol=0, atol=1e-12)
    got = interval(theta, draws, level=0.95, method="basic")
    np.testing.assert_allclose(got[0], 2 * theta - hi, rtol=0, atol=1e-12)
    np.testing.assert_allclose(got[1], 2 * theta - lo, rtol=0, atol=1e-12)
