"""``by=`` on fit_cbsem, and ``ipma`` / ``predict`` of a grouped PLS result.

Each group's result must equal the verb run on that group's rows alone. For CB-SEM and
PLSpredict the grouped verb runs exactly that computation (same rows, same options, same
seed), so the tables must be equal (``assert_frame_equal``, exact); the IPMA of a group
comes from the grouped fit, which equals a separate fit to rounding (tests/test_grouped.py),
so it is compared at 1e-10. A group whose verb fails is left out, listed in ``skipped``
and named in the diagnostics, while the others are returned.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import satmodel as sm
from satmodel.errors import OptionError

DF = sm.datasets.load("ecsi_satisfaction")
SPEC = sm.templates.ecsi()
SMALL = sm.ModelSpec.from_lavaan("A =~ EXPE1 + EXPE2 + EXPE3; B =~ SAT1 + SAT2 + SAT3; B ~ A")


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def test_fit_cbsem_by_equals_separate_fits_and_stacks_tables():
    df = DF.assign(wave=np.where(np.arange(len(DF)) % 2 == 0, 2025, 2026))
    cb = quiet(sm.fit_cbsem, SMALL, df, by=["gender", "wave"])
    assert cb.n_groups == 4 and cb.keys.columns.tolist() == ["gender", "wave"]
    for (g, w), r in cb.items():
        sep = quiet(sm.fit_cbsem, SMALL, df[(df.gender == g) & (df.wave == w)])
        pd.testing.assert_frame_equal(r.paths, sep.paths)
        pd.testing.assert_series_equal(r.fit_indices, sep.fit_indices)
        mine = cb.paths[(cb.paths.gender == g) & (cb.paths.wave == w)]
        pd.testing.assert_frame_equal(mine.drop(columns=["gender", "wave"]).reset_index(drop=True),
                                      sep.paths)
    assert cb.fit_indices.columns[:3].tolist() == ["gender", "wave", "chi2"]
    assert cb.r2.columns.tolist() == ["gender", "wave", "construct", "r2"]


def test_fit_cbsem_by_leaves_out_bad_groups_naming_them():
    df = DF.copy()
    df.loc[df.gender == "male", "SAT2"] = 7.0  # constant within the men
    df = pd.concat([df, DF.head(3).assign(gender="tiny")], ignore_index=True)  # < 4 rows
    with pytest.warns(sm.SatModelWarning, match="could not be fitted"):
        cb = sm.fit_cbsem(SMALL, df, by="gender")
    assert cb.keys.gender.tolist() == ["female"]
    sk = cb.skipped.set_index("gender")
    assert sk.loc["tiny", "code"] == "too_few_rows" and sk.loc["tiny", "n"] == 3
    assert sk.loc["male", "code"] == "data_error" and "SAT2" in sk.loc["male", "reason"]
    named = [d for d in cb.diagnostics if d.code == "group_skipped"]
    assert {d.names[0] for d in named} == {"gender='male'", "gender='tiny'"}
    with pytest.raises(sm.SatModelError, match="no result"):
        cb["male"]
    with pytest.raises(OptionError):  # an option error is the caller's, not a group's
        sm.fit_cbsem(SMALL, DF, by="gender", estimator="XX")


def test_grouped_cbsem_bootstrap_uses_each_groups_seed():
    cb = quiet(sm.fit_cbsem, SMALL, DF, by="gender")
    boot = quiet(cb.bootstrap, 4, seed=7, progress=False)
    res = quiet(sm.fit_pls, SPEC, DF, by="gender")  # the same key -> seed rule
    seed = res.group_seed("male", 7)
    single = quiet(cb["male"].bootstrap, 4, seed=seed, progress=False)
    pd.testing.assert_frame_equal(boot["male"].paths, single.paths)


def test_ipma_of_a_grouped_result_equals_each_groups_own():
    res = quiet(sm.fit_pls, SPEC, DF, by="gender")
    maps = quiet(res.ipma, "LOY")
    assert maps.target == "LOY" and len(maps) == 2
    for g in ("female", "male"):
        sep = quiet(sm.fit_pls, SPEC, DF[DF.gender == g]).ipma("LOY")
        mine = maps.constructs[maps.constructs.gender == g].drop(columns="gender")
        pd.testing.assert_frame_equal(mine.reset_index(drop=True), sep.constructs,
                                      rtol=1e-10, atol=1e-10)
        pd.testing.assert_frame_equal(maps[g].indicators, sep.indicators, rtol=1e-10, atol=1e-10)


def test_ipma_group_without_an_index_is_left_out():
    df = DF.copy()
    male = df.gender == "male"
    for item in ("IMAG1", "IMAG2", "IMAG3"):  # reverse-coded in one group only:
        df.loc[male, item] = 11 - df.loc[male, item]  # IMAG's weights change sign there
    res = quiet(sm.fit_pls, SPEC, df, by="gender")
    with pytest.warns(sm.SatModelWarning):
        maps = res.ipma("LOY")
    assert maps.keys.gender.tolist() == ["female"]
    assert maps.skipped.gender.tolist() == ["male"] and "index" in maps.skipped.reason[0]
    assert any(d.code == "no_index" and d.names[0] == "gender='male'" for d in maps.diagnostics)
    with pytest.raises(OptionError):
        res.ipma("NOPE")


def test_predict_of_a_grouped_result_equals_each_groups_own_and_skips_small_groups():
    df = DF.assign(grp=np.where(np.arange(len(DF)) < 242, "a", "b"))  # b: 8 rows
    res = quiet(sm.fit_pls, SPEC, df, by="grp")
    with pytest.warns(sm.SatModelWarning, match="could not be fitted"):
        pred = res.predict(folds=10, repetitions=2, seed=3)
    assert pred.keys.grp.tolist() == ["a"] and pred.skipped.code.tolist() == ["option_error"]
    sep = quiet(sm.fit_pls, SPEC, df[df.grp == "a"]).predict(folds=10, repetitions=2, seed=3)
    pd.testing.assert_frame_equal(pred["a"].indicators, sep.indicators)
    mine = pred.indicators.drop(columns="grp")
    pd.testing.assert_frame_equal(mine, sep.indicators)
    assert pred.predictions.index.equals(sep.predictions.index)
    with pytest.raises(OptionError):
        res.predict(folds="x")


def test_grouped_cbsem_result_summarizes_and_refuses_what_it_lacks(tmp_path):
    # Before: raw AttributeError ('spec') from to_html/to_excel, no summary, no to_json.
    import warnings

    spec = sm.ModelSpec.from_lavaan("A =~ EXPE1 + EXPE2 + EXPE3; B =~ SAT1 + SAT2 + SAT3; B ~ A")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cb = sm.fit_cbsem(spec, sm.datasets.load("ecsi_satisfaction"), by="gender")
    text = cb.summary()
    assert "Fit indices" in text and "female" in text and "male" in text
    for call in (lambda: sm.to_html(cb, tmp_path / "r.html"), lambda: sm.to_excel(cb, tmp_path / "r.xlsx"),
                 cb.to_json):
        with pytest.raises(sm.NotAvailableError, match="GroupedCBSEMResult|grouped CB-SEM"):
            call()
