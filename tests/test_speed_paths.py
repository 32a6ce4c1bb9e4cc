"""Every fast path of issue 16 against the plain path it replaces (never timings).

- survey preparation: the whole item block converted and checked at once (and, for a
  float64 frame under pandas copy-on-write, read without a copy) against the
  column-by-column path, which a dict of columns always takes;
- weighted cross products in row blocks (many weight vectors: one GEMM against the
  products x_j x_k, j <= k; few: a GEMM per vector) against their definition;
- HTMT's block means as two batched GEMMs against a loop over block pairs;
- scores computed on first access, and tables kept after their first build.

Tolerances: 1e-12 (relative) where the paths sum the same terms in another order (the
rounding of a few hundred float64 additions is ~1e-14); exact equality where they do the
same arithmetic (conversion, checks, scores of one product).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import satmodel as sm
from satmodel.moments import core
from satmodel.spec.layout import layout_of
from satmodel.survey import prepare
from satmodel.tables import validity

SPEC = sm.templates.ecsi()
DF = sm.datasets.load("ecsi_satisfaction")
ITEMS = list(SPEC.indicator_names)


def as_dict(df: pd.DataFrame) -> dict:
    """The same data as a dict of columns: prepare converts it column by column."""
    return {c: df[c].to_numpy() for c in df.columns}


def same_survey(fast, plain) -> None:
    np.testing.assert_array_equal(fast.X, plain.X)  # same conversion: exactly equal
    assert list(fast.index) == list(plain.index)
    assert fast.indicators == plain.indicators and fast.missing == plain.missing
    np.testing.assert_array_equal(fast.rows, plain.rows)
    if plain.weights is None:
        assert fast.weights is None
    else:
        np.testing.assert_array_equal(fast.weights, plain.weights)
    pd.testing.assert_frame_equal(fast.report, plain.report)
    assert fast.report.attrs == plain.report.attrs


@pytest.mark.parametrize("options", [
    {},
    {"reverse": ["IMAG2", "SAT1"]},
    {"weights": "w"},
    {"missing": "casewise", "weights": "w"},
    {"missing": "em"},
])
def test_block_path_equals_column_path(options):
    df = DF.copy()
    df["w"] = np.linspace(0.5, 2.0, len(df))
    same_survey(prepare(SPEC, df, **options), prepare(SPEC, as_dict(df), **options))


@pytest.mark.parametrize("make", [
    lambda df: df[ITEMS].astype(float),                 # one float64 block, items only
    lambda df: df[ITEMS[::-1] + ["gender"]],            # reordered, with another column
    lambda df: df[ITEMS].astype("float32"),
    lambda df: df[ITEMS].astype({ITEMS[0]: "int8", ITEMS[5]: "uint16"}),
])
def test_block_path_any_layout(make):
    df = make(DF)
    same_survey(prepare(SPEC, df), prepare(SPEC, as_dict(df)))


def test_numpy_block_equals_column_path():
    X = DF[ITEMS].to_numpy()
    same_survey(prepare(SPEC, X, columns=ITEMS), prepare(SPEC, as_dict(DF[ITEMS])))


@pytest.mark.parametrize("consolidated", [True, False])
def test_float_frame_is_read_without_a_copy_and_never_changes(consolidated):
    # one float64 block (as pd.DataFrame(array) makes): a read-only view, no copy;
    # a block per column (as the shipped CSV reads): one copy
    df = pd.DataFrame(DF[ITEMS].to_numpy(float), columns=ITEMS) if consolidated \
        else DF[ITEMS].astype(float)
    before = df.to_numpy().copy()
    survey = prepare(SPEC, df)
    assert survey.X.flags.writeable is not consolidated
    df.iloc[0, 0] = 99.0  # the caller edits the frame afterwards
    df[ITEMS[1]] = 0.0
    np.testing.assert_array_equal(survey.X, before)


@pytest.mark.parametrize("edit, option", [
    (lambda df: df.__setitem__("IMAG1", df["IMAG1"].astype(float).where(df.index != 3)), {}),
    (lambda df: df.__setitem__("SAT2", 11), {}),              # outside the 0-10 scale
    (lambda df: df.__setitem__("LOY1", 4), {}),               # constant
    (lambda df: df.__setitem__("VAL1", df["VAL1"] * 0 + 2**60), {}),  # integers beyond 2^53
    (lambda df: None, {"na_values": [-99]}),
])
def test_block_path_fails_or_passes_as_column_path(edit, option):
    df = DF.copy()
    edit(df)
    try:
        expected = prepare(SPEC, as_dict(df), **option)
    except sm.SatModelError as exc:
        with pytest.raises(type(exc)) as got:
            prepare(SPEC, df, **option)
        assert str(got.value) == str(exc)
    else:
        same_survey(prepare(SPEC, df, **option), expected)


def test_duplicate_labels_take_the_column_path():
    df = pd.concat([DF, DF[["gender"]]], axis=1)
    same_survey(prepare(SPEC, df), prepare(SPEC, as_dict(DF)))


# ------------------------------------------------------------------ weighted cross products

@pytest.mark.parametrize("shape", [(40,), (3,), (), (2, 25)])
def test_blocked_weighted_cross_equals_definition(monkeypatch, shape):
    rng = np.random.default_rng(3)
    n, p = 500, 7
    X = rng.normal(size=(n, p))
    c = rng.integers(0, 3, size=shape + (n,)).astype(float)
    plain = np.einsum("...r,rp,rq->...pq", c, X, X)
    monkeypatch.setattr(core, "_OUTER_BUDGET", 8 * n * p * p - 1)  # force the row blocks
    monkeypatch.setattr(core, "_BLOCK_BYTES", 8 * 60 * p * p)       # blocks of ~60 rows
    got = core._weighted_cross(c, X)
    assert got.shape == shape + (p, p)
    np.testing.assert_allclose(got, plain, rtol=1e-12, atol=1e-12 * np.abs(plain).max())


def test_blocked_moments_equal_one_block(monkeypatch):
    X = DF[ITEMS].to_numpy(dtype=float)
    c = np.random.default_rng(1).multinomial(250, np.full(250, 1 / 250), size=40).astype(float)
    plain = core.compute_moments(X, c)
    monkeypatch.setattr(core, "_OUTER_BUDGET", 1)
    monkeypatch.setattr(core, "_BLOCK_BYTES", 8 * 50 * 27 * 27)
    blocked = core.compute_moments(X, c)
    np.testing.assert_allclose(blocked.corr, plain.corr, rtol=0, atol=1e-12)
    np.testing.assert_allclose(blocked.std, plain.std, rtol=1e-12)


# ------------------------------------------------------------------ HTMT block means

def test_block_means_equal_loop_over_block_pairs():
    lay = layout_of(SPEC)
    rng = np.random.default_rng(5)
    V = np.abs(rng.normal(size=(3, 2, 27, 27)))
    V = (V + np.swapaxes(V, -1, -2)) / 2  # correlations are symmetric: each pair read once
    got = validity._block_means(validity.abs_item_pairs(V, lay), lay)
    J = lay.n_constructs
    for b in np.ndindex(3, 2):
        for i in range(J):
            for j in range(J):
                bi, bj = lay.block(i), lay.block(j)
                vals = [V[b][k, l] for k in bi for l in bj if k != l]
                want = np.mean(vals) if vals else np.nan
                np.testing.assert_allclose(got[b][i, j], want, rtol=1e-12)


# ------------------------------------------------------------------ lazy results

def test_scores_on_first_access_equal_standardized_items_times_weights():
    res = sm.fit_pls(SPEC, DF)
    X = DF[ITEMS].to_numpy(dtype=float)
    Z = (X - X.mean(axis=0)) / X.std(axis=0, ddof=1)
    W = res.estimate.weights[:, None] * res.layout.membership
    np.testing.assert_allclose(res.scores.to_numpy(), Z @ W, rtol=0, atol=1e-12)
    assert list(res.scores.columns) == list(SPEC.construct_names)
    again = sm.PLSResult.from_json(res.to_json())
    with pytest.raises(sm.SatModelError, match="no scores"):
        again.scores


def test_kept_tables_are_handed_out_as_copies():
    res = sm.fit_pls(SPEC, DF)
    first = res.paths
    first.loc[0, "estimate"] = 99.0
    first["extra"] = 1
    second = res.paths
    assert second.loc[0, "estimate"] != 99.0 and "extra" not in second
    q = res.quality
    q.loc[1, "r2"] = 5.0
    assert res.quality.loc[1, "r2"] != 5.0
