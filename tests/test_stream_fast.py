"""The fast path of streamed batches (satmodel.moments.fast_batch) against the plain one
(satmodel.survey.stream_clean.clean_batch + satmodel.moments.streaming.batch_sums).

Reference: the plain path, itself checked against the in-memory fit (tests/test_stream.py),
which is pinned against R elsewhere. Tallies (rows, missing and coded cells, extremes,
value counts, weight sums) are counts and extremes: they must be equal exactly. Moments:
1e-12, because the fast path sums blocks of rows and combines them where the plain path
sums the batch at once -- the same formulas in another order, so they differ by float64
rounding (~1e-16 relative); a missed code, a row wrongly dropped or a weight applied twice
moves them by far more (>= 1e-4 with these data).
"""

from __future__ import annotations

import numpy as np
import pytest

import satmodel as sm
from satmodel.errors import DataError, NotAvailableError
from satmodel.moments import fast_batch as fb
from satmodel.moments.stream_pass import stream_sums, sums_of_batch
from satmodel.survey.stream import stream_source
from satmodel.survey.stream_clean import make_plan

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

TOL = 1e-12
TEXT = """A =~ a1 + a2 + a3
B =~ b1 + b2
C =~ c1 + c2
B ~ A
C ~ A + B
# satmodel: a3 scale=1..7
# satmodel: b2 scale=1..7
"""
SPEC = sm.ModelSpec.from_lavaan(TEXT)
ITEMS = list(SPEC.indicator_names)


def _columns(rows=3000, seed=0):
    """Integer answers 1-7 with a shared factor, one continuous item (c2), float64."""
    rng = np.random.default_rng(seed)
    f = rng.normal(size=rows)
    cols = {}
    for k, name in enumerate(ITEMS):
        x = f * (0.5 + 0.1 * k) + rng.normal(size=rows)
        cols[name] = np.clip(np.round(4 + x), 1, 7) if name != "c2" else 10 + x
    return cols


def _messy(rows=3000, seed=0):
    """Codes -99 (all items) and 9 (a1 only, inside a1's range), NaN cells, weights with zeros."""
    rng = np.random.default_rng(seed + 1)
    cols = _columns(rows, seed)
    for name in ("a1", "a2", "b1"):
        cols[name][rng.choice(rows, 40, replace=False)] = -99.0
    cols["a1"][rng.choice(rows, 25, replace=False)] = 9.0
    cols["a1"][rng.choice(rows, 10, replace=False)] = 8.0  # an answer: 8 is not a code here
    for name in ("a3", "c1", "c2"):
        cols[name][rng.choice(rows, 30, replace=False)] = np.nan
    cols["c1"][:700] = np.nan  # a whole block of one item missing
    cols["w"] = rng.uniform(0.2, 3.0, rows)
    cols["w"][rng.choice(rows, 20, replace=False)] = 0.0
    return cols


def _plan(weights=None, **options):
    return make_plan(SPEC, sm.SurveyOptions(**options), weights, ITEMS + ["w"])


def _compare(plan, cols, rows, weights=None):
    fast = fb.fast_batch(plan, cols, rows, weights)
    assert fast is not None, "the fast path refused a batch it should take"
    plain = sums_of_batch(plan, cols, rows, start=0, weights=weights, fast=False)
    _same(fast, plain)
    return fast


def _same(fast, plain):
    (fs, ft), (ps, pt) = fast, plain
    for name in ("rows_input", "rows_kept", "rows_with_missing", "w_positive"):
        assert getattr(ft, name) == getattr(pt, name), name
    for name in ("missing", "coded", "low", "high"):
        np.testing.assert_array_equal(getattr(ft, name), getattr(pt, name), err_msg=name)
    for name in ("w_unit", "w_sum", "w_sq", "w_low", "w_high"):
        assert getattr(ft, name) == pytest.approx(getattr(pt, name), rel=TOL, abs=0), name
    assert len(ft.values) == len(pt.values)
    for got, want in zip(ft.values, pt.values):
        assert (got is None) == (want is None)
        if got is not None:
            np.testing.assert_array_equal(got[0], want[0])
            np.testing.assert_array_equal(got[1], want[1])
    assert float(fs.n) == float(ps.n)
    fm, pm = fs.moments(), ps.moments()
    for name in ("mean", "std", "corr"):
        np.testing.assert_allclose(getattr(fm, name), getattr(pm, name), rtol=0, atol=TOL,
                                   err_msg=name)


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch):
    """Blocks of 512 rows: a 3000-row batch spans several, the last one partial."""
    monkeypatch.setattr(fb, "SUB_ROWS", 512)


def test_clean_batch_fast_equals_plain():
    cols = _columns()
    out = _compare(_plan(), cols, 3000)
    assert out[1].values[ITEMS.index("c2")] is None  # continuous: not judged for codes
    assert out[1].values[ITEMS.index("a3")] is None  # declared scale: not counted


def test_codes_missing_weights_reverse_fast_equals_plain():
    cols = _messy()
    na = {name: (-99.0, 9.0) if name == "a1" else (-99.0,) for name in ITEMS}
    plan = _plan(weights="w", na_values=na, missing="casewise", reverse=["a3", "b2"])
    _, tally = _compare(plan, cols, 3000)
    assert tally.coded[ITEMS.index("a1")] == np.isin(cols["a1"], (-99.0, 9.0)).sum() > 50
    assert tally.rows_kept < 2900
    # weights given as an array slice, not a column
    plan = _plan(na_values=na, missing="casewise")
    _compare(plan, cols, 3000, weights=cols["w"])
    # unweighted, zero weights ignored; missing="error" with weights (zeros kept)
    _compare(_plan(na_values=na, missing="casewise"), cols, 3000)
    clean = _columns()
    clean["w"] = cols["w"]
    _compare(_plan(weights="w"), clean, 3000)


def test_arrow_nulls_stream_fast_equals_plain(tmp_path):
    """A Parquet file with null cells (read as NaN), codes and a weights column: the whole
    pass, fast against plain, batch by batch merged."""
    cols = _messy(rows=5000, seed=3)
    arrays = {k: pa.array(v, from_pandas=True) for k, v in cols.items()}  # NaN -> null
    assert arrays["c1"].null_count >= 700
    path = tmp_path / "survey.parquet"
    pq.write_table(pa.table(arrays), path, row_group_size=1700)
    source = stream_source(str(path))
    plan = make_plan(SPEC, sm.SurveyOptions(na_values=-99, missing="casewise", reverse=["a3"]),
                     "w", source.columns)
    _same(stream_sums(source, plan), stream_sums(source, plan, fast=False))


def test_blocks_without_rows_and_items_without_answers():
    cols = _messy()
    for name in ITEMS:  # rows 1000-1599 all missing: whole blocks dropped
        cols[name][1000:1600] = np.nan
    cols["b1"][:] = np.where(np.arange(3000) < 2000, np.nan, cols["b1"])
    _compare(_plan(weights="w", missing="casewise", na_values=-99), cols, 3000)


def test_what_the_plain_path_refuses_goes_to_it():
    """The fast path hands over every batch the plain path refuses; the error is the plain
    path's, naming the item and rows."""
    base = _columns()
    cases = [
        ("a1", np.inf, {}, DataError, "infinite"),
        ("a1", np.nan, {}, DataError, "missing value"),
        ("a3", 8.0, {}, DataError, "outside its scale"),
        ("b1", 2.0**60, {}, DataError, "beyond"),
    ]
    for name, value, options, error, text in cases:
        cols = {k: v.copy() for k, v in base.items()}
        cols[name][1234] = value
        plan = _plan(**options)
        assert fb.fast_batch(plan, cols, 3000) is None
        with pytest.raises(error, match=text):
            sums_of_batch(plan, cols, 3000, start=0)
    cols = {k: v.copy() for k, v in base.items()}
    cols["w"] = np.ones(3000)
    cols["w"][5] = -1.0
    assert fb.fast_batch(_plan(weights="w"), cols, 3000) is None
    tiny = {k: v.copy() for k, v in base.items()}
    tiny["c2"] = tiny["c2"] * 1e-160
    assert fb.fast_batch(_plan(), tiny, 3000) is None
    with pytest.raises(NotAvailableError, match="below"):
        sums_of_batch(_plan(), tiny, 3000, start=0)


def test_wide_integer_items_take_the_plain_path():
    cols = _columns()
    cols["b1"] = np.random.default_rng(5).integers(0, 100_000, 3000).astype(float)
    assert fb.fast_batch(_plan(), cols, 3000) is None
    narrow = _columns()
    narrow["b1"] = narrow["b1"] * 500  # 500 ... 3500: counted densely
    _compare(_plan(), narrow, 3000)
