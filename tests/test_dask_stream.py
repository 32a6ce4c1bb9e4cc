"""Dask (issue 16, part 3): a Dask DataFrame is fitted by a Dask reduction of per-partition
moment sums, and bootstrapped by Poisson counts drawn from a seed and each row's position.

Run on a ``dask.distributed`` LocalCluster with 2 workers (threads, started once for the
module). Reference: the plain in-memory fit of the same rows. Tolerance 1e-12: the same
sums merged in another order (a tree of pairwise Chan et al. updates) differ only by
float64 rounding (~1e-15 here); a wrong weight, row or formula moves them by >= 1e-4.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import satmodel as sm
from satmodel.errors import DataError, NotAvailableError
from satmodel.inference.driver import evaluate_tables
from satmodel.moments.poisson import poisson_counts, poisson_key
from satmodel.tables import Context

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("dask.distributed")
pa = pytest.importorskip("pyarrow")
ds = pytest.importorskip("pyarrow.dataset")

SPEC = sm.templates.ecsi()
DF = sm.datasets.load("ecsi_satisfaction")
TOL = 1e-12
OPTIONS = dict(na_values=-99, missing="casewise", weights="w", reverse=["LOY2"], missing_warn=0.5)


@pytest.fixture(scope="module", autouse=True)
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                       dashboard_address=None)
    with distributed.Client(cluster) as c:
        assert len(c.scheduler_info()["workers"]) == 2
        yield c
    cluster.close()


def _messy() -> pd.DataFrame:
    """ECSI with -99 codes, empty cells, sampling weights and a zero weight."""
    df = DF.copy()
    rng = np.random.default_rng(8)
    for item in ("IMAG1", "VAL2", "SAT4"):
        df.loc[rng.choice(250, 5, replace=False), item] = -99
    df["EXPE3"] = df["EXPE3"].astype(float)
    df.loc[rng.choice(250, 4, replace=False), "EXPE3"] = np.nan
    df["w"] = rng.uniform(0.3, 2.5, 250)
    df.loc[40, "w"] = 0.0
    return df


def assert_same_fit(got, ref):
    assert got.n_obs == ref.n_obs
    for name in ("indicator_mean", "indicator_std", "indicator_corr"):
        np.testing.assert_allclose(getattr(got, name), getattr(ref, name), rtol=0, atol=TOL,
                                   err_msg=name)
    for table in ("paths", "outer", "quality", "effects"):
        pd.testing.assert_frame_equal(got.table(table), ref.table(table), check_exact=False,
                                      rtol=0, atol=TOL)


@pytest.mark.parametrize("partitions", [1, 4, 9])
def test_dask_fit_equals_the_in_memory_fit(partitions):
    assert_same_fit(sm.fit_pls(SPEC, dd.from_pandas(DF, npartitions=partitions)),
                    sm.fit_pls(SPEC, DF))


def test_dask_fit_with_codes_casewise_weights_reverse():
    df = _messy()
    ref = sm.fit_pls(SPEC, df, **OPTIONS)
    got = sm.fit_pls(SPEC, dd.from_pandas(df, npartitions=5), **OPTIONS)
    assert ref.n_obs < 250
    assert_same_fit(got, ref)
    pd.testing.assert_frame_equal(got.missing_report, ref.missing_report)


def test_poisson_bootstrap_is_the_same_for_any_partitioning():
    df = _messy()
    B, seed, tables = 30, 21, ["paths", "outer"]
    draws = []
    for partitions in (1, 3, 7):
        res = sm.fit_pls(SPEC, dd.from_pandas(df, npartitions=partitions), **OPTIONS)
        with pytest.warns(sm.SatModelWarning, match="too few"):
            boot = res.bootstrap(n=B, seed=seed, progress=False, tables=tables)
        assert boot.inference.n_valid == B
        draws.append(boot)
    for other in draws[1:]:
        for table, column in (("paths", "estimate"), ("outer", "loading")):
            np.testing.assert_allclose(other.draws(table, column).to_numpy(),
                                       draws[0].draws(table, column).to_numpy(), rtol=0, atol=TOL)
    # the same counts on the rows in memory (positions of the rows casewise deletion kept)
    ref = sm.fit_pls(SPEC, df, **OPTIONS)
    counts = poisson_counts(poisson_key(seed), 0, len(df), B)[:, ref.survey.rows]
    expected = evaluate_tables(Context.of(ref.refit.fit(counts), SPEC), tables)
    for table, column in (("paths", "estimate"), ("outer", "weight"), ("outer", "loading")):
        np.testing.assert_allclose(draws[1].draws(table, column).to_numpy(),
                                   expected[table][column], rtol=0, atol=TOL)
    # and the same as a pyarrow stream of the rows
    dataset = ds.dataset(pa.Table.from_pandas(df, preserve_index=False))
    with pytest.warns(sm.SatModelWarning, match="too few"):
        arrow = sm.fit_pls(SPEC, dataset, **OPTIONS).bootstrap(n=B, seed=seed, progress=False,
                                                               tables=tables)
    np.testing.assert_allclose(arrow.draws("paths").to_numpy(),
                               draws[0].draws("paths").to_numpy(), rtol=0, atol=TOL)


def test_dask_problems_name_the_partition():
    bad = DF.copy()
    bad["SAT1"] = bad["SAT1"].astype(float)
    bad.loc[100, "SAT1"] = np.nan  # the 17th row of the second of three partitions
    with pytest.raises(DataError, match=r"SAT1 has missing value.*row 17 .*row label 100.* "
                                        "partition 2 of the Dask DataFrame"):
        sm.fit_pls(SPEC, dd.from_pandas(bad, npartitions=3))
    with pytest.raises(DataError, match="column 'SAT2' is not numeric"):
        sm.fit_pls(SPEC, dd.from_pandas(DF.assign(SAT2=DF["SAT2"].astype(str)), npartitions=2))
    with pytest.raises(NotAvailableError, match="weights for a Dask DataFrame"):
        sm.fit_pls(SPEC, dd.from_pandas(DF, npartitions=2), weights=np.ones(250))
    res = sm.fit_pls(SPEC, dd.from_pandas(DF, npartitions=2))
    with pytest.raises(sm.SatModelError, match="streamed data .*Dask DataFrame"):
        res.scores
