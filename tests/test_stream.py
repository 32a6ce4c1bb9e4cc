"""Streamed fits (issue 16, part 2): a Parquet/CSV path or a pyarrow Dataset is read in
record batches into mergeable moment sums; the fit on them must equal the in-memory fit.

Reference: the plain in-memory path (``sm.fit_pls`` on the DataFrame), whose numbers are
pinned against R elsewhere. Tolerance 1e-12: both compute the same sums in a different
order (batches merged by Chan et al.'s update), so they differ by float64 rounding
(~1e-16 relative, amplified a little by the PLS iterations); any error in a formula, a
missed weight or a wrongly dropped row moves the moments by far more (>= 1e-4 here).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import satmodel as sm
from satmodel.errors import DataError, NotAvailableError, SatModelError
from satmodel.inference.driver import evaluate_tables
from satmodel.moments.poisson import poisson_counts, poisson_key
from satmodel.survey.stream import arrow_batches, stream_source
from satmodel.tables import Context

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
ds = pytest.importorskip("pyarrow.dataset")

SPEC = sm.templates.ecsi()
DF = sm.datasets.load("ecsi_satisfaction")
TOL = 1e-12
TABLES = ("paths", "outer", "quality", "effects", "vif")


def _parquet(tmp_path, frame, rows_per_group=40, name="survey.parquet"):
    path = tmp_path / name
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path,
                   row_group_size=rows_per_group)
    return path


def _dataset(frame, rows_per_batch=37):
    """A pyarrow Dataset of small record batches: the fit merges many of them."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    return ds.dataset(pa.Table.from_batches(table.to_batches(max_chunksize=rows_per_batch)))


def assert_same_fit(got, ref):
    assert got.n_obs == ref.n_obs
    for name in ("indicator_mean", "indicator_std", "indicator_corr"):
        np.testing.assert_allclose(getattr(got, name), getattr(ref, name), rtol=0, atol=TOL,
                                   err_msg=name)
    for table in TABLES:
        a, b = got.table(table), ref.table(table)
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=0, atol=TOL)
    np.testing.assert_allclose(got.r2, ref.r2, rtol=0, atol=TOL)
    pd.testing.assert_frame_equal(got.htmt, ref.htmt, check_exact=False, rtol=0, atol=TOL)


def test_parquet_csv_and_dataset_equal_the_in_memory_fit(tmp_path):
    ref = sm.fit_pls(SPEC, DF)
    csv = tmp_path / "survey.csv"
    DF.to_csv(csv, index=False)
    dataset = _dataset(DF)
    assert len(list(arrow_batches(stream_source(dataset), ["IMAG1"]))) == 7  # 250 / 37
    for data in (_parquet(tmp_path, DF), str(csv), dataset):
        got = sm.fit_pls(SPEC, data)
        assert type(got).__name__ == "StreamedPLSResult"
        assert_same_fit(got, ref)
    # PLSc and another scheme go through the same moments, with the same diagnostics
    with pytest.warns(sm.SatModelWarning):
        got = sm.fit_pls(SPEC, dataset, consistent=True, scheme="factorial")
        ref = sm.fit_pls(SPEC, DF, consistent=True, scheme="factorial")
    assert_same_fit(got, ref)
    assert [d.message for d in got.diagnostics] == [d.message for d in ref.diagnostics]


def _messy() -> pd.DataFrame:
    """ECSI with missing codes (-99), empty cells, a reverse item, sampling weights and a
    zero weight: every per-batch rule has work to do."""
    df = DF.copy()
    rng = np.random.default_rng(5)
    for item in ("IMAG2", "QUAL3", "LOY4"):
        df.loc[rng.choice(250, 6, replace=False), item] = -99
    df["SAT2"] = df["SAT2"].astype(float)
    df.loc[rng.choice(250, 5, replace=False), "SAT2"] = np.nan
    df["w"] = rng.uniform(0.2, 3.0, 250)
    df.loc[17, "w"] = 0.0
    return df


def test_codes_casewise_weights_reverse_equal_the_in_memory_fit(tmp_path):
    df = _messy()
    options = dict(na_values=-99, missing="casewise", weights="w", reverse=["LOY2"],
                   missing_warn=0.5)
    ref = sm.fit_pls(SPEC, df, **options)
    got = sm.fit_pls(SPEC, _parquet(tmp_path, df), **options)
    assert ref.n_obs < 250  # rows were dropped
    assert_same_fit(got, ref)
    pd.testing.assert_frame_equal(got.missing_report, ref.missing_report)
    assert got.missing_report.attrs == ref.missing_report.attrs
    # Kish's effective n is recorded as in memory
    eff = [d for d in got.diagnostics if d.code == "effective_n"]
    expected = [d.message for d in ref.diagnostics if d.code == "effective_n"]
    assert expected and [d.message for d in got.diagnostics if d.code == "effective_n"] == expected
    # the per-item range comes from the batches: the rows kept, reverse-coded
    kept = ref.survey.X
    np.testing.assert_array_equal(got.item_min, kept.min(axis=0))
    np.testing.assert_array_equal(got.item_max, kept.max(axis=0))


def test_weights_array_follows_the_rows(tmp_path):
    df = _messy().drop(columns="w")
    w = np.random.default_rng(2).uniform(0.5, 2.0, 250)
    options = dict(na_values=-99, missing="casewise", weights=w, missing_warn=0.5)
    assert_same_fit(sm.fit_pls(SPEC, _dataset(df), **options), sm.fit_pls(SPEC, df, **options))
    with pytest.raises(DataError, match="weights has 249 values but the data have at least"):
        sm.fit_pls(SPEC, _dataset(df), **{**options, "weights": w[:-1]})


def test_what_needs_rows_refuses_naming_the_stream(tmp_path):
    res = sm.fit_pls(SPEC, _parquet(tmp_path, DF))
    for call in (lambda: res.scores, lambda: res.predict(folds=2, repetitions=1),
                 lambda: res.fit_test(n=5), lambda: res.index(per_respondent=True)):
        with pytest.raises(SatModelError, match="streamed data .*Parquet file"):
            call()
    grouped = _parquet(tmp_path, DF, name="g.parquet")
    with pytest.raises(SatModelError, match="permutation_test needs the respondent rows"):
        sm.permutation_test(SPEC, grouped, group="gender", n=9)
    with pytest.raises(SatModelError, match="group comparison needs the respondent rows"):
        sm.compare_groups(SPEC, grouped, group="gender", n=9)
    with pytest.raises(NotAvailableError, match="ci='bca' is not available for streamed"):
        res.bootstrap(n=10, seed=1, ci="bca")
    # what needs only the fit works: scoring new rows, the index, JSON
    ref = sm.fit_pls(SPEC, DF)
    pd.testing.assert_frame_equal(res.score(DF.head(20)), ref.score(DF.head(20)),
                                  check_exact=False, rtol=0, atol=TOL)
    pd.testing.assert_series_equal(res.index(), ref.index(), check_exact=False, rtol=0, atol=TOL)
    back = sm.PLSResult.from_json(res.to_json())
    np.testing.assert_allclose(back.paths.estimate, ref.paths.estimate, rtol=0, atol=TOL)


@pytest.mark.filterwarnings("ignore::satmodel.SatModelWarning")  # random items: signs
def test_streamed_data_are_checked_like_rows_in_memory(tmp_path):
    small = sm.ModelSpec.from_lavaan("A =~ a1 + a2 + a3\nB =~ b1 + b2\nB ~ A")
    rng = np.random.default_rng(3)
    base = pd.DataFrame(rng.integers(1, 8, size=(200, 5)).astype(float),
                        columns=["a1", "a2", "a3", "b1", "b2"])
    coded = base.copy()
    coded.loc[[150, 160, 170], "a2"] = -99  # rows 151, 161, 171: a survey code, undeclared
    codes = r"a2 .*look like survey codes.*-99 \(3x\).*na_values=\[-99\]"
    with pytest.raises(DataError, match=codes):
        sm.fit_pls(small, _dataset(coded))
    with pytest.raises(DataError, match="look like survey codes"):  # as in memory
        sm.fit_pls(small, coded)
    ok = sm.fit_pls(small, _dataset(coded), na_values=-99, missing="casewise")
    assert ok.n_obs == 197
    holes = base.copy()
    holes.loc[[120, 180], "b1"] = np.nan
    with pytest.raises(DataError, match=r"item b1 has missing value\(s\), e.g. in row 121 "):
        sm.fit_pls(small, _dataset(holes))
    with pytest.raises(DataError, match="item b2 is constant"):
        sm.fit_pls(small, _dataset(base.assign(b2=4.0)))
    with pytest.raises(DataError, match=r"a1 .*outside its scale 1-5 \(e.g. 6, 7, in rows"):
        sm.fit_pls(small, _dataset(base), scales={"a1": (1, 5)})
    with pytest.raises(DataError, match=r"(?s)not columns of the data.*- b2 \(block B\)"):
        sm.fit_pls(small, _dataset(base.drop(columns="b2")))
    text = tmp_path / "text.csv"
    base.astype(object).assign(a3=["x"] + [1.0] * 199).to_csv(text, index=False)
    with pytest.raises(DataError, match="column 'a3' holds a value that is not a number"):
        sm.fit_pls(small, str(text))
    with pytest.raises(DataError, match="does not exist"):
        sm.fit_pls(small, str(tmp_path / "nothing.parquet"))
    for options, what in ((dict(missing="mean"), "missing='mean'"), (dict(by="a1"), "by="),
                          (dict(correlation="spearman"), "spearman")):
        with pytest.raises(NotAvailableError, match=what):
            sm.fit_pls(small, _dataset(base), **options)


@pytest.mark.filterwarnings("ignore:40 bootstrap resamples are too few")
def test_poisson_bootstrap_equals_the_weighted_fit_with_the_same_counts(tmp_path):
    """Each row's counts come from the seed and its position; reweighting the rows in memory
    by the same counts must give the same B fits (the in-memory weighted path)."""
    df = _messy()
    options = dict(na_values=-99, missing="casewise", weights="w", missing_warn=0.5)
    B, seed = 40, 11
    boot = sm.fit_pls(SPEC, _parquet(tmp_path, df), **options).bootstrap(
        n=B, seed=seed, progress=False, tables=["paths", "outer"])
    assert boot.inference.n_valid == B
    ref = sm.fit_pls(SPEC, df, **options)
    counts = poisson_counts(poisson_key(seed), 0, 250, B)[:, ref.survey.rows]
    fitted = ref.refit.fit(counts)
    expected = evaluate_tables(Context.of(fitted, SPEC), ["paths", "outer"])
    for table, column in (("paths", "estimate"), ("outer", "weight"), ("outer", "loading")):
        np.testing.assert_allclose(boot.draws(table, column).to_numpy(),
                                   expected[table][column], rtol=0, atol=TOL)
    # another batching of the same rows: the same draws
    again = sm.fit_pls(SPEC, _dataset(df, rows_per_batch=13), **options).bootstrap(
        n=B, seed=seed, progress=False, tables=["paths", "outer"])
    np.testing.assert_allclose(again.draws("paths").to_numpy(), boot.draws("paths").to_numpy(),
                               rtol=0, atol=TOL)
    assert {"se", "ci_lower", "ci_upper"} <= set(boot.paths.columns)
    bc = boot.conf_int(method="bc")
    assert np.isfinite(bc.paths.ci_lower.to_numpy(dtype=float)).all()


def test_poisson_counts_do_not_depend_on_the_partitioning():
    key = poisson_key(3)
    whole = poisson_counts(key, 0, 5000, 6)
    cuts = [0, 1, 1023, 1024, 1025, 3000, 4999, 5000]
    parts = np.concatenate([poisson_counts(key, a, b, 6) for a, b in zip(cuts, cuts[1:])], axis=1)
    np.testing.assert_array_equal(parts, whole)
    assert not (poisson_counts(poisson_key(4), 0, 5000, 6) == whole).all()
    # Poisson(1): mean and variance 1, P(0) = P(1) = 1/e. 600k draws: standard errors
    # ~0.0013 (mean), ~0.0024 (variance), ~0.0006 (shares); 5 SE bounds, fixed seed
    draws = poisson_counts(poisson_key(9), 0, 100_000, 6).ravel()
    assert abs(draws.mean() - 1) < 0.007 and abs(draws.var() - 1) < 0.012
    shares = np.bincount(draws.astype(int)) / draws.size
    assert abs(shares[0] - np.exp(-1)) < 0.003 and abs(shares[1] - np.exp(-1)) < 0.003


def test_survey_code_rule_on_merged_counts_matches_the_rule_on_the_column():
    """The code rule judges an item from its distinct values and counts, merged over batches
    (and collapsed beyond 4096 distinct values); its verdict must be the in-memory rule's
    (satmodel.survey.codes.looks_like_codes on the whole column, the reference)."""
    from satmodel.survey.codes import looks_like_codes
    from satmodel.survey.stream_clean import clean_batch, code_problems, empty_tally, make_plan

    small = sm.ModelSpec.from_lavaan("A =~ a1 + a2\nB =~ b1 + b2\nB ~ A")
    plan = make_plan(small, sm.SurveyOptions(), None, None)
    rng = np.random.default_rng(4)
    n = 30_000
    likert = rng.integers(1, 8, n).astype(float)
    wide = rng.integers(0, 20_000, n).astype(float)  # over 4096 distinct values
    columns = {
        "a1": np.where(rng.random(n) < 0.03, 99.0, likert),  # a high code
        "a2": np.where(rng.random(n) < 0.02, -9.0, wide),  # a low code in a wide item
        "b1": wide.copy(),  # no code
        "b2": likert + 0.5 * (rng.random(n) < 0.5),  # not integer-valued: not judged
    }
    tally = empty_tally(plan)
    for start in range(0, n, 7_001):
        cols = {k: v[start:start + 7_001] for k, v in columns.items()}
        tally = tally.merge(clean_batch(plan, cols, len(cols["a1"]), start=start).tally)
    flagged = {text.split()[1] for text in code_problems(plan, tally)}
    expected = {k for k, v in columns.items() if looks_like_codes(v)}
    assert expected == {"a1", "a2"}
    assert flagged == expected
