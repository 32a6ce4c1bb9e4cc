"""Survey data validation at the boundary (satmodel.data.prepare)."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from satmodel import datasets, templates
from satmodel.survey import SurveyData, prepare
from satmodel.errors import DataError, OptionError, SatModelError
from satmodel.spec import Construct, ModelSpec, Path

TOY_ITEMS = ["a1", "a2", "b1", "b2", "b3"]


@pytest.fixture(scope="module")
def toy():
    return ModelSpec(
        name="toy",
        constructs=(
            Construct(name="A", indicators=("a1", "a2")),
            Construct(name="B", indicators=("b1", "b2", "b3")),
        ),
        paths=(Path(source="A", target="B"),),
    )


def toy_frame(n=8, seed=0, index=None):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(rng.integers(0, 11, size=(n, 5)), columns=TOY_ITEMS, index=index)
    df.iloc[0] = [0, 1, 2, 3, 4]  # no column constant
    df.iloc[1] = [5, 6, 7, 8, 9]
    df["group"] = ["x", "y"] * (n // 2) + ["x"] * (n % 2)
    return df


def assert_unchanged(before, after):
    if isinstance(before, pd.DataFrame):
        pd.testing.assert_frame_equal(before, after, check_exact=True)
        assert list(before.dtypes) == list(after.dtypes)
        pd.testing.assert_index_equal(before.index, after.index, exact=True)
    elif isinstance(before, np.ndarray):
        assert before.dtype == after.dtype
        np.testing.assert_array_equal(before, after)
    else:
        assert before.keys() == after.keys()
        for k in before:
            np.testing.assert_array_equal(np.asarray(before[k]), np.asarray(after[k]))


def raises(spec, data, *names, **kwargs) -> str:
    """prepare() must raise DataError whose message names every culprit in `names`."""
    with pytest.raises(DataError) as info:
        prepare(spec, data, **kwargs)
    msg = str(info.value)
    for name in names:
        assert name in msg, (name, msg)
    assert isinstance(info.value, SatModelError) and isinstance(info.value, ValueError)
    return msg


# ---------------------------------------------------------------- happy paths

def test_ecsi_on_shipped_data():
    spec = templates.ecsi()
    df = datasets.load("ecsi_satisfaction")
    before = df.copy(deep=True)
    out = prepare(spec, df)
    assert isinstance(out, SurveyData)
    assert out.X.dtype == np.float64 and out.X.shape == (250, 27)
    assert out.indicators == tuple(spec.indicator_names)
    np.testing.assert_array_equal(out.X, df[list(spec.indicator_names)].to_numpy(float))
    pd.testing.assert_index_equal(out.index, df.index)
    assert out.n == 250
    assert_unchanged(before, df)


def test_ecsi_mobile_reorders_columns_to_spec_order():
    spec = templates.ecsi_mobile()
    df = datasets.load("ecsi_mobi")  # columns in alphabetical order
    out = prepare(spec, df)
    assert out.X.shape == (250, 24)
    assert out.indicators[:5] == ("IMAG1", "IMAG2", "IMAG3", "IMAG4", "IMAG5")
    np.testing.assert_array_equal(out.X, df[list(out.indicators)].to_numpy(float))


def test_row_index_kept_and_x_is_a_fresh_copy(toy):
    df = toy_frame(index=pd.Index([f"r{i}" for i in range(8)], name="resp")).astype(
        {c: "float64" for c in TOY_ITEMS}
    )
    out = prepare(toy, df)
    pd.testing.assert_index_equal(out.index, df.index, exact=True)
    assert not np.shares_memory(out.X, df["a1"].to_numpy())
    before = df.copy(deep=True)
    out.X[:] = -1.0
    assert_unchanged(before, df)
    frame = out.to_frame()
    assert list(frame.columns) == TOY_ITEMS and frame.index.equals(df.index)


def test_numpy_with_columns_equals_dataframe_route(toy):
    df = toy_frame()
    arr = df[TOY_ITEMS].to_numpy()
    before = arr.copy()
    a = prepare(toy, arr, columns=TOY_ITEMS)
    b = prepare(toy, df)
    np.testing.assert_array_equal(a.X, b.X)
    assert a.indicators == b.indicators
    pd.testing.assert_index_equal(a.index, pd.RangeIndex(8))
    assert not np.shares_memory(a.X, arr)
    assert_unchanged(before, arr)


def test_numpy_columns_in_other_order_with_extras(toy):
    df = toy_frame()
    cols = ["b3", "zz", "a2", "b1", "a1", "b2"]
    arr = np.column_stack([df[c] if c != "zz" else np.zeros(8) for c in cols])
    np.testing.assert_array_equal(prepare(toy, arr, columns=cols).X, prepare(toy, df).X)


def test_structured_and_record_arrays(toy):
    df = toy_frame()
    rec = df[TOY_ITEMS].to_records(index=False)
    structured = np.asarray(rec).view(np.ndarray)
    assert structured.dtype.names is not None
    expected = prepare(toy, df).X
    for data in (rec, structured):
        before = data.copy()
        np.testing.assert_array_equal(prepare(toy, data).X, expected)
        assert_unchanged(before, data)


def test_dict_of_columns(toy):
    df = toy_frame()
    expected = prepare(toy, df).X
    as_lists = {c: df[c].tolist() for c in df.columns}
    as_arrays = {c: df[c].to_numpy() for c in TOY_ITEMS}
    as_series = {c: df[c] for c in TOY_ITEMS}
    for data in (as_lists, as_arrays, as_series):
        before = copy.deepcopy(data)
        out = prepare(toy, data)
        np.testing.assert_array_equal(out.X, expected)
        pd.testing.assert_index_equal(out.index, pd.RangeIndex(8))
        assert_unchanged(before, data)


def test_pyarrow_table(toy):
    pa = pytest.importorskip("pyarrow")
    df = toy_frame()
    table = pa.Table.from_pandas(df, preserve_index=False)
    np.testing.assert_array_equal(prepare(toy, table).X, prepare(toy, df).X)
    raises(toy, pa.Table.from_pandas(df.assign(a1=df["a1"].astype(str))), "a1")


class _FakePolarsSeries:
    def __init__(self, values):
        self._values = np.asarray(values)

    def to_numpy(self):
        return self._values.copy()


def _fake_polars(cls_name):
    """A stand-in with polars' module path and the API satmodel uses."""
    def __init__(self, df):
        self._df = df
    def columns(self):  # noqa: E306
        return list(self._df.columns)
    def get_column(self, name):  # noqa: E306
        return _FakePolarsSeries(self._df[name].to_numpy())
    cls = type(cls_name, (), {
        "__init__": __init__, "columns": property(columns), "get_column": get_column,
    })
    cls.__module__ = "polars.dataframe.frame"
    return cls


def test_polars_like_dataframe(toy):
    df = toy_frame()
    fake = _fake_polars("DataFrame")(df)
    np.testing.assert_array_equal(prepare(toy, fake).X, prepare(toy, df).X)
    raises(toy, _fake_polars("LazyFrame")(df), "LazyFrame", ".collect()")
    bad = _fake_polars("DataFrame")(df.assign(b2=df["b2"] > 4))
    raises(toy, bad, "b2", "boolean")


def test_real_polars(toy):
    pl = pytest.importorskip("polars")
    df = toy_frame()
    pdf = pl.DataFrame({c: df[c].tolist() for c in df.columns})
    np.testing.assert_array_equal(prepare(toy, pdf).X, prepare(toy, df).X)


def test_extra_columns_ignored_even_if_bad(toy):
    df = toy_frame()
    df["notes"] = "free text"
    df["flag"] = True
    df["holes"] = np.nan
    assert prepare(toy, df).X.shape == (8, 5)


def test_nullable_and_small_numeric_dtypes(toy):
    df = toy_frame()
    mixed = df.astype({"a1": "Int64", "a2": "Float64", "b1": "uint8", "b2": "float32"})
    np.testing.assert_array_equal(prepare(toy, mixed).X, prepare(toy, df).X)


# ------------------------------------------------------------------- errors

@pytest.mark.parametrize(
    "data, words",
    [
        ([[1, 2, 3, 4, 5]] * 5, ["list", "DataFrame"]),
        ("a1,a2\n1,2", ["str"]),
        (42, ["int"]),
        (None, ["NoneType"]),
    ],
)
def test_not_a_table(toy, data, words):
    raises(toy, data, *words)


def test_series_is_not_a_table(toy):
    raises(toy, toy_frame()["a1"], "Series", "to_frame")


def test_plain_numpy_needs_columns(toy):
    arr = toy_frame()[TOY_ITEMS].to_numpy()
    raises(toy, arr, "columns=", "(8, 5)")
    raises(toy, arr, "4 names", "5 columns", columns=TOY_ITEMS[:4])
    raises(toy, arr[:, 0], "2-D", columns=["a1"])
    raises(toy, arr, "sequence", columns="a1")


def test_columns_only_with_plain_numpy(toy):
    raises(toy, toy_frame(), "columns=", "DataFrame", columns=TOY_ITEMS)


def test_missing_columns_listed_with_suggestions():
    spec = templates.ecsi()
    df = datasets.load("ecsi_satisfaction").rename(
        columns={"IMAG1": "imag1", "SAT2": "SAT_2", "LOY4": "xyz"}
    )
    msg = raises(spec, df, "IMAG1", "SAT2", "LOY4", "3 indicator(s)")
    assert "Did you mean 'imag1'?" in msg
    assert "Did you mean 'SAT_2'?" in msg
    assert "block IMAG" in msg and "block LOY" in msg
    assert "case-sensitive" in msg


def test_missing_column_in_numpy_and_dict(toy):
    arr = toy_frame()[TOY_ITEMS].to_numpy()
    raises(toy, arr, "b3", "Did you mean 'B3'?", columns=["a1", "a2", "b1", "b2", "B3"])
    d = {c: list(range(8)) for c in ["a1", "a2", "b1", "b2"]}
    raises(toy, d, "b3", "1 indicator(s)")


def test_duplicate_indicator_columns(toy):
    df = toy_frame()
    dup = pd.concat([df, df[["b2"]]], axis=1)
    raises(toy, dup, "'b2'", "2 times")
    arr = df[TOY_ITEMS].to_numpy()
    raises(toy, np.column_stack([arr, arr[:, 0]]), "'a1'", "2 times",
           columns=TOY_ITEMS + ["a1"])
    # duplicates among columns the spec does not use are fine
    extra = pd.concat([df, df[["group"]]], axis=1)
    assert prepare(toy, extra).X.shape == (8, 5)


@pytest.mark.parametrize(
    "column, words",
    [
        (lambda s: s > 4, ["a2", "boolean", "astype(int)"]),
        (lambda s: s.astype(str), ["a2", "not numeric", "e.g. '"]),
        (lambda s: s.astype(object).where(s > 0, "n/a"), ["a2", "not numeric", "'n/a'"]),
        (lambda s: s.astype("category"), ["a2", "category"]),
        (lambda s: s + 1j, ["a2", "complex"]),
        (lambda s: pd.to_datetime(s, unit="D"), ["a2", "datetime"]),
    ],
)
def test_non_numeric_columns(toy, column, words):
    df = toy_frame()
    df.loc[2, "a2"] = 0
    df["a2"] = column(df["a2"])
    raises(toy, df, *words)


def test_bool_numpy_structured(toy):
    df = toy_frame()
    rec = df[TOY_ITEMS].assign(b1=df["b1"] > 3).to_records(index=False)
    raises(toy, rec, "b1", "boolean")


def test_missing_values_counted_with_row_labels(toy):
    df = toy_frame(n=12, index=pd.Index([f"id{i}" for i in range(12)])).astype(dict.fromkeys(TOY_ITEMS, float))
    df.loc[["id3", "id5", "id9"], "b2"] = np.nan
    msg = raises(toy, df, "item b2 has 3 missing value(s)", "'id3', 'id5', 'id9'",
                 "does not handle missing data", "drop or impute")
    assert "a1" not in msg


def test_missing_values_many_rows_abbreviated(toy):
    df = toy_frame(n=20).astype(dict.fromkeys(TOY_ITEMS, float))
    df.loc[5:15, "a1"] = np.nan
    raises(toy, df, "item a1 has 11 missing value(s)", "rows 6, 7, 8, 9, 10, ... (counting from 1)")


def test_nullable_na_is_missing(toy):
    df = toy_frame().astype({"a2": "Int64"})
    df.loc[4, "a2"] = pd.NA
    raises(toy, df, "item a2 has 1 missing value(s), in row 5 (counting from 1)")


def test_infinite_values(toy):
    df = toy_frame().astype(dict.fromkeys(TOY_ITEMS, float))
    df.loc[6, "b3"] = np.inf
    df.loc[7, "b3"] = -np.inf
    raises(toy, df, "item b3 has 2 infinite value(s)", "rows 7, 8 (counting from 1)")


def test_constant_column(toy):
    df = toy_frame()
    df["b1"] = 5
    raises(toy, df, "item b1 is constant (every value is 5.0)")


def test_all_value_problems_reported_together(toy):
    df = toy_frame().astype(dict.fromkeys(TOY_ITEMS, float))
    df.loc[1, "a1"] = np.nan
    df.loc[2, "b1"] = np.inf
    df["b3"] = 2.0
    msg = raises(toy, df, "3 problems", "item a1", "item b1", "item b3")
    assert "a2" not in msg


def test_too_few_rows(toy):
    df = toy_frame()
    raises(toy, df.iloc[:2], "2 row(s)", "at least 3")
    raises(toy, df.iloc[:0], "0 row(s)")
    # largest block B has 3 items: 3 rows are not enough, 4 are
    raises(toy, df.iloc[:3], "3 rows", "block B has 3 indicators", "at least 4 rows")
    assert prepare(toy, df.iloc[:4]).n == 4
    raises(toy, df, "8 rows", "min_rows=20", min_rows=20)
    assert prepare(toy, df, min_rows=8).n == 8


def test_largest_block_rule_on_template():
    spec = templates.ecsi_mobile()  # Quality has 7 items
    df = datasets.load("ecsi_mobi").iloc[:7]
    raises(spec, df, "block Quality has 7 indicators", "at least 8 rows")


def test_min_rows_must_be_an_integer(toy):
    with pytest.raises(OptionError, match="min_rows"):
        prepare(toy, toy_frame(), min_rows=2.5)


def test_dict_length_mismatch_and_shapes(toy):
    d = {c: list(range(8)) for c in TOY_ITEMS}
    d["b2"] = list(range(7))
    raises(toy, d, "different lengths", "b2 7", "a1 8")
    d = {c: np.arange(8.0) + i for i, c in enumerate(TOY_ITEMS)}
    d["a1"] = 3.0
    raises(toy, d, "'a1'", "1-D")


def test_structured_array_with_subarray_field(toy):
    dt = np.dtype([("a1", float), ("a2", float), ("b1", float), ("b2", float), ("b3", float, (2,))])
    arr = np.zeros(8, dtype=dt)
    raises(toy, arr, "'b3'", "1-D")


def test_error_leaves_input_unchanged(toy):
    df = toy_frame().astype(dict.fromkeys(TOY_ITEMS, float))
    df.loc[1, "a1"] = np.nan
    before = df.copy(deep=True)
    with pytest.raises(DataError):
        prepare(toy, df)
    assert_unchanged(before, df)


# -------------------------------------------------------------- properties

frames = st.tuples(
    st.integers(min_value=4, max_value=40),  # rows
    st.integers(min_value=0, max_value=2**32 - 1),  # seed
    st.permutations(TOY_ITEMS + ["x1", "x2"]),  # input column order, with extras
)


@settings(max_examples=60, deadline=None)
@given(frames)
def test_property_routes_agree_and_input_untouched(case):
    n, seed, order = case
    spec = ModelSpec(
        name="toy",
        constructs=(
            Construct(name="A", indicators=("a1", "a2")),
            Construct(name="B", indicators=("b1", "b2", "b3")),
        ),
        paths=(Path(source="A", target="B"),),
    )
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(n, len(order))) * rng.uniform(0.1, 100, size=len(order))
    labels = rng.permutation(n) * 3 + 100
    df = pd.DataFrame(values, columns=order, index=pd.Index(labels, name="id"))
    before = df.copy(deep=True)

    out = prepare(spec, df)
    np.testing.assert_array_equal(out.X, df[TOY_ITEMS].to_numpy())
    pd.testing.assert_index_equal(out.index, df.index)
    assert_unchanged(before, df)

    arr = df.to_numpy()
    via_numpy = prepare(spec, arr, columns=order)
    via_dict = prepare(spec, {c: df[c].to_numpy() for c in order})
    via_records = prepare(spec, df.to_records(index=False))
    for other in (via_numpy, via_dict, via_records):
        np.testing.assert_array_equal(other.X, out.X)
        assert other.indicators == out.indicators

    # row-order invariance: permuting rows permutes X and index alike
    perm = rng.permutation(n)
    shuffled = prepare(spec, df.iloc[perm])
    np.testing.assert_array_equal(shuffled.X, out.X[perm])
    pd.testing.assert_index_equal(shuffled.index, out.index[perm])


def test_type_and_value_problems_reported_together(toy):
    df = toy_frame()
    df["a2"] = df["a2"].astype(str)
    df["b1"] = 4
    msg = raises(toy, df, "2 problems", "item a2 is not numeric", "item b1 is constant")
    assert msg.index("item a2") < msg.index("item b1")


def test_integer_codes_stay_codes_until_x_is_read(toy):
    """An integer-typed frame's items are kept as integer codes (``SurveyData.values``,
    in the narrowest integer dtype that holds them: no float64 copy), and ``X`` is
    converted once, when first read; a later write to the caller's frame changes
    neither."""
    df = toy_frame()
    expected = df[TOY_ITEMS].to_numpy(dtype=float)
    out = prepare(toy, df)
    assert out.values.dtype == np.int8  # codes 0-10
    assert out.extremes[3] and out.extremes[2] is out.values
    df.loc[0, "a1"] = 7  # after validation: copy-on-write keeps the survey's rows
    X = out.X
    assert X.dtype == np.float64 and out.X is X  # converted once
    np.testing.assert_array_equal(X, expected)
    np.testing.assert_array_equal(out.values, expected)
    wide = toy_frame()
    wide["a1"] = wide["a1"] * 1000 - 4000  # -4000..6000: int16
    assert prepare(toy, wide).values.dtype == np.int16
    np.testing.assert_array_equal(prepare(toy, wide).X[:, 0], wide["a1"].to_numpy(float))
    huge = toy_frame()
    huge["a1"] = huge["a1"].astype(np.uint64) * 2**40  # 64 bits: float64, as before
    assert prepare(toy, huge).values.dtype == np.float64
    narrow = prepare(toy, toy_frame().astype({c: np.uint8 for c in TOY_ITEMS}))
    assert narrow.values.dtype == np.int8
    assert narrow.extremes[0].dtype == np.float64
    np.testing.assert_array_equal(narrow.extremes[0], expected.min(axis=0))
    np.testing.assert_array_equal(narrow.X, expected)



def test_integer_numpy_codes_narrowed_and_pickled_without_x(toy):
    """An integer numpy array is narrowed as a frame is; a survey pickles its codes, not
    the float64 copy made when X was read (rebuilt after loading)."""
    import pickle

    arr = toy_frame()[TOY_ITEMS].to_numpy()
    out = prepare(toy, arr, columns=TOY_ITEMS)
    assert out.values.dtype == np.int8 and out.extremes[2] is out.values
    size = len(pickle.dumps(out))
    X = out.X
    back = pickle.loads(pickle.dumps(out))
    assert len(pickle.dumps(out)) == size  # X read, not pickled
    np.testing.assert_array_equal(back.X, X)
    assert back.extremes[2] is back.values  # the identity the moments rely on
