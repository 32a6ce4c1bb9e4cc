"""Hair et al. (2021) corporate reputation model with -99 codes and mean replacement.

Oracle: ``tests/oracles/corp_rep_hair2021/`` (see its SOURCE.md): the book's printed
paths and R² (3 decimals, tolerance 5e-4 + 1e-6 as the oracle README says), loadings
and Mode B weights, and the item descriptives (missing counts, means, SDs over the
observed values). Settings: composites (Mode A / Mode B), path scheme, seminr's stop
rule (sum of |weight changes| < 1e-7, 300 iterations), ``-99`` read as missing, mean
replacement.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import satmodel as sm
from _oracles import corp_rep_data, corp_rep_extended, corp_rep_simple  # noqa: F401 (module fixtures)
from _oracles import (
    CORP_REP_CASE as CASE,
    CORP_REP_SEMINR as SEMINR,
    CORP_REP_SIMPLE as SIMPLE,
    corp_rep_oracle as _oracle,
    corp_rep_spec as _spec,
    fit_corp_rep as _fit,
    oracle_path,
)

ATOL = 5e-4 + 1e-6  # half a unit in the printed 3rd decimal (+ slack), oracle README


def _check_paths_r2(res, ref):
    table = ref["paths_and_r2"]
    got = {(r.source, r.target): r.estimate for r in res.paths.itertuples()}
    expected = {(s, t): v for s, row in table.items() if s not in ("R^2", "AdjR^2")
                for t, v in row.items() if v is not None}
    assert set(got) == set(expected)
    for key, value in expected.items():
        assert abs(got[key] - value) <= ATOL, (key, got[key], value)
    for con, value in table["R^2"].items():
        assert abs(res.r2[con] - value) <= ATOL, (con, res.r2[con], value)
    adj = res.quality.set_index("construct")["r2_adj"]
    for con, value in table["AdjR^2"].items():
        assert abs(float(adj[con]) - value) <= ATOL, (con, adj[con], value)


def test_simple_model_paths_and_r2(simple):
    _check_paths_r2(simple, _oracle("simple_model.json"))


def test_simple_model_loadings(simple):
    ref = _oracle("simple_model.json")["loadings"]
    outer = simple.outer.set_index("indicator")
    for item, row in ref.items():
        con = outer.loc[item, "construct"]
        assert abs(outer.loc[item, "loading"] - row[con]) <= ATOL, item


def test_extended_model_paths_and_r2(extended):
    _check_paths_r2(extended, _oracle("extended_model.json"))


def test_extended_model_mode_b_weights(extended):
    ref = _oracle("extended_model.json")["bootstrap_weights_seed123_n1000_ci2.5_97.5"]
    outer = extended.outer.set_index("indicator")["weight"]
    checked = 0
    for row in ref:
        item = row["source"] if row["source"] in outer.index else row["target"]
        assert abs(outer[item] - row["original"]) <= ATOL, (item, outer[item], row["original"])
        checked += 1
    assert checked == len(outer)


def test_missing_report_matches_item_descriptives(simple, extended):
    desc = pd.read_csv(oracle_path(CASE, "item_descriptives.csv")).set_index("item")
    for res in (simple, extended):
        rep = res.missing_report.set_index("indicator")
        for item, row in rep.iterrows():
            assert row["missing"] == desc.loc[item, "missing"], item
            assert row["coded"] == desc.loc[item, "missing"], item
        assert rep.attrs["rows_dropped"] == 0
    rep = simple.missing_report
    # README: 11 cells of 8 respondents in the model items
    assert rep.attrs["cells_missing"] == 11 and rep.attrs["rows_with_missing"] == 8
    assert set(rep.loc[rep["missing"] > 0, "action"]) == {"replaced by the item mean"}


def test_item_means_and_sds_over_observed_values(extended):
    """Mean replacement keeps the observed mean; the book prints mean and SD (n - 1)
    over the observed values, so compare only the items without missing cells for SD."""
    desc = pd.read_csv(oracle_path(CASE, "item_descriptives.csv")).set_index("item")
    for item, mean, sd in zip(extended.indicators, extended.indicator_mean, extended.indicator_std):
        assert abs(mean - desc.loc[item, "mean"]) <= 5e-4 + 1e-6, item
        if desc.loc[item, "missing"] == 0:
            assert abs(sd - desc.loc[item, "sd"]) <= 5e-4 + 1e-6, item


def test_casewise_and_pairwise_are_close_to_mean_replacement(data, simple):
    """No printed oracle: 8 of 344 respondents have a missing item, so casewise deletion
    (336 rows) and pairwise deletion must stay near the book's mean-replacement paths.
    The bound (0.02) is a plausibility check, not a reproduction."""
    for missing in ("casewise", "pairwise", "em"):
        res = _fit(SIMPLE, data, missing=missing)
        diff = np.abs(res.paths.estimate.to_numpy() - simple.paths.estimate.to_numpy())
        assert diff.max() < 0.02, (missing, diff.max())
    case = _fit(SIMPLE, data, missing="casewise")
    assert case.n_obs == 336 and case.missing_report.attrs["rows_dropped"] == 8


def test_missing_codes_without_declaration_are_rejected_by_scale(data):
    """-99 outside a declared 1-7 scale is an error naming the item and the rows."""
    spec = _spec(SIMPLE)
    cons = [c.model_copy(update={"indicators": [i.model_copy(update={"scale_min": 1, "scale_max": 7})
                                                for i in c.indicators]}) for c in spec.constructs]
    spec = spec.model_copy(update={"constructs": cons})
    with pytest.raises(sm.DataError, match=r"cusl_1 .*outside its scale 1-7 \(-99"):
        sm.fit_pls(spec, data, missing="mean")
    res = sm.fit_pls(spec, data, missing="mean", na_values=-99, **SEMINR)
    _check_paths_r2(res, _oracle("simple_model.json"))
