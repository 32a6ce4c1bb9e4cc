"""Smaller hostile-input fixes of issue 11 (part 11): linear spec reading, arrows,
integer column labels, casewise deletion to nothing, huge integers, 1-based rows.

The size test is a sanity bound, not a timing benchmark: 20,000 items took 15-54 s when
reading was quadratic and take about a second now; the bound (10 s) only catches a
return of the quadratic behaviour.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
import pytest

import satmodel as sm
from _oracles import ECSI_SATISFACTION
from satmodel.errors import DataError, SpecError
from satmodel.survey import prepare

SPEC = sm.ModelSpec.from_lavaan("A =~ a1 + a2\nB =~ b1 + b2\nB ~ A")
ITEMS = ["a1", "a2", "b1", "b2"]


def _frame(n: int = 40, seed: int = 0, **kwargs) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    f = rng.normal(size=n)
    X = np.column_stack([f + rng.normal(size=n) * 0.7 for _ in ITEMS])
    return pd.DataFrame(np.round(4 + X), columns=ITEMS, **kwargs)


# ---------------------------------------------------------------- size (linear reading)

@pytest.mark.parametrize("n_constructs", [2, 2_000, 20_000])
def test_twenty_thousand_items_read_and_validate(n_constructs):
    per = 20_000 // n_constructs
    lines = [f"C{j} =~ " + " + ".join(f"x{j}_{i}" for i in range(per)) for j in range(n_constructs)]
    lines += [f"C{j} ~ C{j - 1}" for j in range(1, n_constructs)]
    start = time.perf_counter()
    spec = sm.ModelSpec.from_lavaan("\n".join(lines))
    again = sm.ModelSpec.model_validate_json(spec.model_dump_json())
    assert time.perf_counter() - start < 10.0  # sanity bound, see the module docstring
    assert len(again.indicator_names) == 20_000 and again == spec


def test_long_continued_statement_reads_linearly():
    text = "A =~ a0\n" + "".join(f"  + a{i}\n" for i in range(1, 20_000)) + "B =~ b1\nB ~ A"
    start = time.perf_counter()
    spec = sm.ModelSpec.from_lavaan(text)
    assert time.perf_counter() - start < 10.0
    assert len(spec.blocks["A"]) == 20_000


def test_duplicates_still_found_in_large_specs():
    items = " + ".join(f"x{i}" for i in range(5_000))
    with pytest.raises(SpecError, match="'x17' appears twice"):
        sm.ModelSpec.from_lavaan(f"A =~ {items} + x17\nB =~ b\nB ~ A")
    with pytest.raises(SpecError, match="construct 'C7' is defined twice"):
        sm.ModelSpec(constructs=[{"name": f"C{j}", "indicators": [f"x{j}"]} for j in range(3000)]
                     + [{"name": "C7", "indicators": ["y"]}],
                     paths=[(f"C{j}", f"C{j + 1}") for j in range(2999)])


# ---------------------------------------------------------------- arrows

@pytest.mark.parametrize("statement,arrow,fix", [
    ("A -> B", "->", "'B ~ A'"), ("A->B", "->", "'B ~ A'"), ("A => B", "=>", "'B ~ A'"),
    ("A=>B", "=>", "'B ~ A'"), ("B <- A", "<-", "'B ~ A'"), ("B<-A", "<-", "'B ~ A'"),
    ("A -> B + C", "->", "'B ~ A' and 'C ~ A'"), ("A + C -> B", "->", "'B ~ A + C'"),
])
def test_arrows_get_the_lavaan_form(statement, arrow, fix):
    with pytest.raises(SpecError) as info:
        sm.ModelSpec.from_lavaan(f"A =~ a1\nB =~ b1\nC =~ c1\n{statement}")
    msg = str(info.value)
    assert msg.startswith("line 4:") and f"{arrow!r} is not lavaan syntax" in msg
    assert f"write {fix}" in msg and "left of '~' is predicted by" in msg


def test_names_with_hyphens_still_read():
    spec = sm.ModelSpec.from_lavaan("A-1 =~ a-1 + a-2\nB =~ b1\nB ~ A-1")
    assert spec.paths[0].source == "A-1"


# ---------------------------------------------------------------- column labels

def test_integer_column_labels_are_shown_as_given():
    df = pd.DataFrame(_frame().to_numpy())  # columns 0, 1, 2, 3
    with pytest.raises(DataError) as info:
        prepare(SPEC, df)
    msg = str(info.value)
    assert "'0'" not in msg and "'1'" not in msg and "Did you mean" not in msg
    assert "columns: 0, 1, 2, 3" in msg and "labelled by int values" in msg


def test_integer_label_matching_a_text_name_is_explained():
    spec = sm.ModelSpec.from_lavaan("A =~ 1 + a2\nB =~ b1 + b2\nB ~ A")
    df = _frame().rename(columns={"a1": 1})
    with pytest.raises(DataError, match=r"Column 1 is the int 1, not the text '1'"):
        prepare(spec, df)


def test_text_suggestions_still_offered():
    with pytest.raises(DataError, match="a1 \\(block A\\). Did you mean 'A1'"):
        prepare(SPEC, _frame().rename(columns={"a1": "A1"}))


# ---------------------------------------------------------------- casewise to nothing

def test_casewise_deletion_to_no_rows_says_so():
    df = _frame()
    df.loc[::2, "a1"] = np.nan
    df.loc[1::2, "b2"] = np.nan
    with pytest.raises(DataError) as info:
        prepare(SPEC, df, missing="casewise")
    msg = str(info.value)
    assert "casewise deletion (missing='casewise') dropped 40 of 40 rows" in msg
    assert "leaving 0 row(s)" in msg and "missing='em'" in msg


def test_casewise_deletion_below_block_size_says_so():
    df = _frame(n=10)
    df.loc[:3, "a1"] = np.nan
    df.loc[4:7, "b2"] = np.nan
    df.loc[8:, ITEMS] = [[1, 2, 3, 4], [2, 3, 4, 5]]  # no item constant in the rows left
    with pytest.raises(DataError, match=r"dropped 8 of 10 rows .*leaving 2 row\(s\)"):
        prepare(SPEC, df, missing="casewise")


# ---------------------------------------------------------------- huge integers

@pytest.mark.parametrize("dtype,value", [("uint64", 2**63 + 5), ("int64", -(2**60)),
                                         ("UInt64", 2**64 - 1), ("Int64", 2**53 + 1)])
def test_integers_beyond_float_precision_are_refused(dtype, value):
    df = _frame().astype({c: dtype for c in ITEMS})
    raw = df["b1"].to_numpy(dtype=dtype.lower(), copy=True)
    raw[0] = value
    df["b1"] = pd.array(raw, dtype=dtype)
    assert int(df["b1"].iloc[0]) == value
    with pytest.raises(DataError, match=rf"item b1 holds integers too large .*e\.g\. {value}"):
        prepare(SPEC, df)


def test_huge_integers_in_numpy_and_dict_input_are_refused():
    X = _frame().to_numpy().astype(np.uint64)
    X[:, 2] += np.uint64(2**63)  # distinct ints that float64 would make constant
    with pytest.raises(DataError, match="item b1 holds integers too large"):
        prepare(SPEC, X, columns=ITEMS)
    with pytest.raises(DataError, match="item b1 holds integers too large"):
        prepare(SPEC, {c: X[:, j] for j, c in enumerate(ITEMS)})


def test_integers_up_to_two_to_the_53_are_exact():
    df = _frame().astype("int64")
    df["b1"] = df["b1"] + 2**53 - 20
    survey = prepare(SPEC, df)
    assert np.array_equal(survey.X[:, 2] - (2**53 - 20), df["b1"].to_numpy() - (2**53 - 20))


# ---------------------------------------------------------------- row numbers

def test_rows_counted_from_one_everywhere():
    df = _frame()
    df.loc[3, "a1"] = np.nan
    with pytest.raises(DataError, match=r"1 missing value\(s\), in row 4 \(counting from 1\);"):
        prepare(SPEC, df)
    df.loc[3, "a1"] = np.inf
    with pytest.raises(DataError, match=r"infinite value\(s\), in row 4 \(counting from 1\);"):
        prepare(SPEC, df)
    scaled = SPEC.model_copy(update={"constructs": [
        c.model_copy(update={"indicators": [i.model_copy(update={"scale_min": 0, "scale_max": 10})
                                            for i in c.indicators]}) for c in SPEC.constructs]})
    df = _frame()
    df.loc[[0, 7], "b2"] = 99
    with pytest.raises(DataError, match=r"\(99\), in rows 1, 8 \(counting from 1\);"):
        prepare(scaled, df)
    w = np.ones(len(df))
    w[5] = -1
    with pytest.raises(DataError, match=r"negative value\(s\), in row 6 \(counting from 1\);"):
        prepare(SPEC, _frame(), weights=w)


def test_row_labels_added_when_the_frame_has_its_own():
    df = _frame(index=[f"r{i}" for i in range(40)])
    df.loc["r9", "b1"] = np.nan
    with pytest.raises(DataError, match=r"in row 10 \(counting from 1; row label 'r9'\)"):
        prepare(SPEC, df)
    X = np.array(_frame().to_numpy())
    X[0, 1] = np.nan
    with pytest.raises(DataError, match=r"in row 1 \(counting from 1\);"):
        prepare(SPEC, X, columns=ITEMS)


def test_positions_survive_casewise_deletion():
    df = _frame()
    df.loc[0, "a1"] = np.nan
    df.loc[1:, "b1"] = 3.0  # constant once row 0 is gone
    with pytest.raises(DataError, match="item b1 is constant"):
        prepare(SPEC, df, missing="casewise")


# ---------------------------------------------------------------- identical constructs

def test_identical_predictors_under_plsc_blamed_on_collinearity():
    rng = np.random.default_rng(1)
    f = rng.normal(size=200)
    a = f[:, None] + rng.normal(size=(200, 3)) * 0.6
    c = 0.5 * f[:, None] + rng.normal(size=(200, 3))
    df = pd.DataFrame(np.c_[a, a, c], columns=[f"{x}{k}" for x in "abc" for k in (1, 2, 3)])
    spec = sm.ModelSpec.from_lavaan("A =~ a1+a2+a3\nB =~ b1+b2+b3\nC =~ c1+c2+c3\nC ~ A + B")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.SatModelWarning)
        with pytest.raises(sm.EstimationError) as info:
            sm.fit_pls(spec, df, consistent=True)
    assert "collinear" in str(info.value) and "reverse-coded" not in str(info.value)


# ---------------------------------------------------------------- extreme magnitudes

ECSI_TEXT = ECSI_SATISFACTION  # the same model text the oracle tests use


@pytest.mark.parametrize("missing", ["error", "em", "pairwise", "mean"])
@pytest.mark.parametrize("factor", [1e-300, 1e-160, 2.0**-60, 2.0**60, 1e160, 1e200, 1e300])
def test_estimates_do_not_depend_on_an_items_scale(factor, missing):
    """PLS is scale-free: one item times 1e±300 gives the same estimates (it overflowed to
    weight 0 at 1e160, or lost digits at 1e-160, before)."""
    spec = sm.ModelSpec.from_lavaan(ECSI_TEXT)
    data = sm.datasets.load("ecsi_satisfaction").drop(columns="gender").astype(float)
    if missing != "error":
        data.loc[[3, 17], "SAT2"] = np.nan
    scaled = data.assign(IMAG1=data["IMAG1"] * factor)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", sm.SatModelWarning)
        base = sm.fit_pls(spec, data, missing=missing)
        res = sm.fit_pls(spec, scaled, missing=missing)
    np.testing.assert_allclose(res.paths.estimate, base.paths.estimate, atol=1e-12)
    np.testing.assert_allclose(res.outer.loading, base.outer.loading, atol=1e-12)
    np.testing.assert_allclose(res.scores.to_numpy(), base.scores.to_numpy(), atol=1e-10)


def test_huge_sampling_weights_equal_their_rescaled_selves():
    spec = sm.ModelSpec.from_lavaan(ECSI_TEXT)
    data = sm.datasets.load("ecsi_satisfaction").drop(columns="gender")
    w = np.random.default_rng(5).uniform(0.5, 2.0, len(data))
    base = sm.fit_pls(spec, data.assign(w=w), weights="w")
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        res = sm.fit_pls(spec, data.assign(w=w * 1e305), weights="w")
    np.testing.assert_allclose(res.paths.estimate, base.paths.estimate, atol=1e-12)


def test_subnormal_item_is_refused_by_name():
    df = _frame()
    df["b2"] = df["b2"] * 1e-315
    with pytest.raises(DataError, match=r"item b2 has only values below 2.2e-308"):
        prepare(SPEC, df)
