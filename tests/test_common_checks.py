"""Common checks in scikit-learn's spirit, run over every public verb, result and table.

1. Every option of every public verb, given a bad value (wrong type, out of range,
   unknown string, negative, NaN, a bool where a number belongs), raises a
   SatModelError whose message names the option. The options are read from each verb's
   signature, so a new option without bad values here fails this test.
2. Every result type survives a JSON round trip, with and without bootstrap.
3. Every listed table gets bootstrap inference: se and interval columns, no silent NaN.
"""

from __future__ import annotations

import inspect
import json
import math
import re
import warnings

import numpy as np
import pandas as pd
import pytest

import satmodel as sm
from satmodel.index import results as index_results
from satmodel.tables import TABLES

SPEC = sm.templates.ecsi()
DF = sm.datasets.load("ecsi_satisfaction")
SMALL = sm.ModelSpec.from_lavaan("EXPE =~ EXPE1 + EXPE2 + EXPE3\nSAT =~ SAT1 + SAT2 + SAT3\n"
                                 "SAT ~ EXPE")
RES = sm.fit_pls(SPEC, DF)
BOOT = RES.bootstrap(n=20, seed=1, progress=False)
P = len(SPEC.indicator_names)
NAN, INF = math.nan, math.inf

# ---------------------------------------------------------------------------- bad values
# One list per option name; the same name means the same kind of option in every verb.
CHOICE = ["nope", 1, None]
FLAG = ["yes", 1, None]
BAD: dict[str, list] = {
    # fit_pls / fit_pls_moments / fit_cbsem
    "spec": ["A =~ a1 + a2", None],
    "data": [None, 5, "survey.csv"],
    "corr": ["nope", np.eye(3)],
    "scheme": CHOICE, "stop": CHOICE, "missing": CHOICE + ["fiml"],
    "consistent": FLAG, "scaled": FLAG,
    "tol": [0, -1e-3, 1.5, NAN, "1e-7", True, None],
    "max_iter": [0, -1, 2.5, True, "300", None, NAN],
    "na_values": ["nope", NAN, True, {"NOPE1": -99}],
    "reverse": [3, {"SAT1": 1}, ["NOPE1"]],
    "weights": ["nope", [1.0, 2.0], True],
    "missing_warn": [-0.1, 1.5, NAN, True, "0.05"],
    "scales": [5, {"NOPE1": (1, 10)}, {"SAT1": (10, 1)}, {"SAT1": "ab"}],
    "columns": [["a"], 5],
    "n_obs": [-5, 0, 2, 2.5, True, "250", None],
    "means": ["nope", [0.0] * 3, [NAN] * P],
    "stds": ["nope", [0.0] * P, [-1.0] * P],
    "estimator": CHOICE + ["MLR"],
    "standardize": CHOICE, "min_rows": [-1, 2.5, True, "5"],
    "correlation": CHOICE,  # fit_pls(correlation=) (ordinal items)
    "hoc": ["nope", 1], "interaction": ["nope", 1],  # None (the default) is valid
    "interaction_scale": CHOICE, "hoc_convention": CHOICE,
    # fit_cbsem conventions ('n-1' and robust SEs are refused under the default ML)
    "cov_divisor": CHOICE + ["n-1"], "se": ["nope", 1, "robust"],
    "unscaled_test": FLAG, "srmr_means": FLAG, "outcome_covariances": FLAG,
    "first_marker": FLAG,
    # permutation_test / bootstrap / fit_test / predict
    "group": ["nope", [1, 2], None],
    "n": [0, -1, 2.5, True, "10", None, NAN],
    "seed": [-1, 2.5, "1", True, NAN, {"a": 1}],
    "table": ["nope", 5, None, ["paths"]],
    "column": ["nope", 5, 0],
    "ci": CHOICE, "method": CHOICE, "n_inner": [0, 1, 2.5, True, "200"],
    "level": [0, 1, 1.5, -0.5, NAN, True, "0.9", None],
    "signs": CHOICE, "inadmissible": CHOICE, "alternative": CHOICE, "approach": CHOICE,
    "log": CHOICE, "model": CHOICE, "fit_metric": CHOICE,
    "chunk_size": [0, -1, 2.5, True, "5"],
    "progress": ["yes", 1],
    "tables": [5, ["nope"], "nope", [1]],
    "quantiles": [0.95, (0.95,), (0.95, 1.5), ("a", "b"), None],
    "folds": [1, 0, 2.5, True, 10**6],
    "repetitions": [0, -1, 2.5, True],
    "value": [NAN, INF, "0", None],
    # index, index_weights, impacts, ipma
    "constructs": ["NOPE", 5, ["SAT", "NOPE"]],
    "target": ["NOPE", 5],
    "scale": ["nope", 5, (7,), ("a", "b"), {"NOPE1": (1, 10)}, {"SAT1": (1, NAN)}],
    "per_respondent": FLAG[:2], "allow_negative": FLAG[:2],
    "per_points": [0, -1, NAN, INF, "5", True],
    "cut": ["nope", 5, (1,)],
    "by": [[1, 2], "x"],
    # compare_groups, micom
    "n_boot": [0, 1, 2.5, True, "10"],
    "parameters": ["nope", 5, ["nope.estimate"]],
    "correction": CHOICE, "permute": CHOICE,
    "alpha": [0, 1, -0.1, NAN, True, "0.05"],
    "n_jobs": [0, -2, 1.5, "2", True, NAN],  # None, -1 or a count >= 1
}

#: where a verb's option takes other values than the same name elsewhere
BAD_FOR: dict[tuple[str, str], list] = {
    ("fit_cbsem", "missing"): CHOICE + ["pairwise", "mean"],  # "fiml" is CB-SEM's
    ("cb.bootstrap", "ci"): CHOICE + ["studentized", "bca"],  # PLS offers both, CB-SEM neither
}


def _bound(method, res, **fixed):
    return lambda **kw: method(res, **{**fixed, **kw})


#: verb -> (call taking keyword options, function whose signature lists the options,
#:          keyword arguments that make the call valid)
VERBS = {
    "fit_pls": (sm.fit_pls, sm.fit_pls, {"spec": SPEC, "data": DF}),
    "fit_pls_moments": (sm.fit_pls_moments, sm.fit_pls_moments,
                        {"spec": SPEC, "corr": RES.indicator_corr, "n_obs": 250}),
    "fit_cbsem": (sm.fit_cbsem, sm.fit_cbsem, {"spec": SMALL, "data": DF}),
    "permutation_test": (sm.permutation_test, sm.permutation_test,
                         {"spec": SPEC, "data": DF, "group": "gender", "n": 9}),
    "bootstrap": (_bound(sm.PLSResult.bootstrap, RES), sm.PLSResult.bootstrap,
                  {"n": 5, "progress": False}),
    "conf_int": (_bound(sm.PLSResult.conf_int, BOOT), sm.PLSResult.conf_int, {}),
    "test": (_bound(sm.PLSResult.test, BOOT), sm.PLSResult.test, {"table": "paths"}),
    "draws": (_bound(sm.PLSResult.draws, BOOT), sm.PLSResult.draws, {"table": "paths"}),
    "fit_test": (_bound(sm.PLSResult.fit_test, RES), sm.PLSResult.fit_test,
                 {"n": 5, "progress": False}),
    "predict": (_bound(sm.PLSResult.predict, RES), sm.PLSResult.predict,
                {"folds": 2, "repetitions": 1}),
    "f2": (_bound(sm.PLSResult.f2, RES), sm.PLSResult.f2, {}),
    "implied_corr": (_bound(sm.PLSResult.implied_corr, RES), sm.PLSResult.implied_corr, {}),
    "fit_measures": (_bound(sm.PLSResult.fit_measures, RES), sm.PLSResult.fit_measures, {}),
    # the result methods pass **options on: their signatures live in satmodel.index.results
    "index": (_bound(sm.PLSResult.index, RES), index_results.index, {}),
    "index_weights": (_bound(sm.PLSResult.index_weights, RES), index_results.index_weights, {}),
    "impacts": (_bound(sm.PLSResult.impacts, RES), index_results.impacts, {}),
    "ipma": (_bound(sm.PLSResult.ipma, RES), index_results.ipma, {"target": "LOY"}),
    "compare_groups": (sm.compare_groups, sm.compare_groups,
                       {"spec": SPEC, "data": DF, "group": "gender", "n": 9, "method": "keil"}),
    "micom": (sm.micom, sm.micom, {"spec": SPEC, "data": DF, "group": "gender", "n": 9}),
    "cb.bootstrap": (lambda **kw: CB().bootstrap(**kw), sm.CBSEMResult.bootstrap,
                     {"n": 2, "progress": False}),
}

#: (verb, option) pairs deliberately left out -> the reason (none so far)
NOT_CHECKED: dict[tuple[str, str], str] = {}

_CB: list = []


def CB() -> sm.CBSEMResult:  # noqa: N802 - a lazily fitted module constant
    if not _CB:
        _CB.append(sm.fit_cbsem(SMALL, DF))
    return _CB[0]


def _options(source) -> list[str]:
    params = inspect.signature(source).parameters.values()
    return [p.name for p in params if p.name not in ("self", "res")
            and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]


def _cases():
    for verb, (_, source, _fixed) in VERBS.items():
        for option in _options(source):
            if (verb, option) in NOT_CHECKED:
                continue
            for k, value in enumerate(BAD_FOR.get((verb, option), BAD.get(option, []))):
                yield pytest.param(verb, option, value, id=f"{verb}-{option}-{k}")


def test_every_option_of_every_verb_has_bad_values():
    """A new option must come with bad values here (or be listed in NOT_CHECKED)."""
    missing = [(verb, o) for verb, (_, source, _) in VERBS.items() for o in _options(source)
               if o not in BAD and (verb, o) not in NOT_CHECKED]
    assert not missing, f"add bad values for {missing} to BAD"


def _names(message: str, option: str) -> bool:
    pattern = r"\bn=" if option == "n" else rf"\b{re.escape(option)}\b"
    return re.search(pattern, message) is not None


@pytest.mark.parametrize(("verb", "option", "value"), list(_cases()))
def test_bad_option_raises_naming_it(verb, option, value):
    call, _, fixed = VERBS[verb]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(sm.SatModelError) as info:
            call(**{**fixed, option: value})
    assert _names(str(info.value), option), f"{type(info.value).__name__}: {info.value}"


@pytest.mark.parametrize(("thresholds", "culprit"), [
    ({"bogus": 1.0}, "bogus"), ({"loadng": 0.7}, "loadng"), ({"loading": "x"}, "loading"),
    ({"loading": NAN}, "loading"), ({"vif": -1}, "vif"), ({"ave": INF}, "ave"), ({"htmt": True}, "htmt"),
    ({"srmr": None}, "srmr")])
def test_assess_bad_threshold_names_it(thresholds, culprit):
    with pytest.raises(sm.OptionError, match=rf"\b{culprit}\b"):
        RES.assess(**thresholds)


@pytest.mark.parametrize("name", ["nope", "path", 5, None, ["paths"]])
def test_unknown_table_names_it(name):
    with pytest.raises(sm.OptionError, match=r"unknown table .*Tables: paths"):
        RES.table(name)


def test_bad_options_leave_nothing_behind():
    """A refused option changes neither the data nor the result it was called on."""
    before, paths = DF.copy(), RES.paths
    for call in (lambda: sm.fit_pls(SPEC, DF, reverse=3), lambda: RES.bootstrap(n=5, seed=-1),
                 lambda: RES.index(scale="nope")):
        with pytest.raises(sm.OptionError):
            call()
    pd.testing.assert_frame_equal(DF, before)
    pd.testing.assert_frame_equal(RES.paths, paths)
    assert RES.inference is None and RES.diagnostics == ()


# ---------------------------------------------------------------------------- JSON round trips
def _strict_json(text: str):
    """Standard JSON only: NaN and Infinity are not JSON."""
    def refuse(token):
        raise AssertionError(f"to_json wrote {token}, which is not JSON")
    return json.loads(text, parse_constant=refuse)


def _assert_same_tables(a, b):
    for name in a.TABLE_NAMES:
        pd.testing.assert_frame_equal(a.table(name), b.table(name), check_exact=True,
                                      obj=f"table {name!r}")
    pd.testing.assert_series_equal(a.r2, b.r2, check_exact=True)
    for prop in ("htmt", "htmt2", "fornell_larcker", "cross_loadings", "construct_correlations",
                 "information_criteria"):
        pd.testing.assert_frame_equal(getattr(a, prop), getattr(b, prop), check_exact=True,
                                      obj=prop)


with warnings.catch_warnings():  # PLSc on this model: signs, inadmissible resamples
    warnings.simplefilter("ignore", sm.SatModelWarning)
    _PLSC = sm.fit_pls(SPEC, DF, consistent=True, scheme="centroid")
    PLS_RESULTS = {
        "pls": RES,
        "plsc": _PLSC,
        "moments": sm.fit_pls_moments(SPEC, RES.indicator_corr, n_obs=250,
                                      means=RES.indicator_mean, stds=RES.indicator_std),
        "pls-boot": BOOT,
        "plsc-boot-all": _PLSC.bootstrap(n=20, seed=2, progress=False, tables="all", ci="bc"),
    }


@pytest.mark.parametrize("key", list(PLS_RESULTS))
def test_pls_json_round_trip(key):
    res = PLS_RESULTS[key]
    text = res.to_json()
    _strict_json(text)
    back = sm.PLSResult.from_json(text)
    _assert_same_tables(res, back)
    assert back.diagnostics == res.diagnostics and back.n_obs == res.n_obs
    assert back.options == res.options and back.survey_options == res.survey_options
    assert back.spec == res.spec
    if res.inference is not None:
        for name in res.inference.tables:
            got, want = back.table(name), res.table(name)
            stats = [c for c in want.columns if c.endswith(("se", "ci_lower", "ci_upper"))]
            assert stats, name
            pd.testing.assert_frame_equal(got[stats], want[stats], check_exact=True)
        assert back.inference.n_valid == res.inference.n_valid
        assert back.inference.dropped == res.inference.dropped
    # what needs the respondent rows says so instead of guessing
    with pytest.raises(sm.SatModelError, match="respondent rows|scores"):
        _ = back.scores


@pytest.mark.parametrize("key", ["pls-boot", "plsc-boot-all"])
def test_pls_json_with_draws_recomputes_intervals(key):
    res = PLS_RESULTS[key]
    back = sm.PLSResult.from_json(res.to_json(draws=True))
    for level, method in ((0.9, "percentile"), (0.8, "basic"), (0.9, "normal")):
        a, b = res.conf_int(level=level, method=method), back.conf_int(level=level, method=method)
        _assert_same_tables(a, b)
        pd.testing.assert_frame_equal(a.draws("paths"), b.draws("paths"), check_exact=True)
    without = sm.PLSResult.from_json(res.to_json())
    with pytest.raises(sm.SatModelError, match="draws"):
        without.conf_int(level=0.9)


@pytest.mark.parametrize("boot", [False, True])
def test_cbsem_json_round_trip(boot):
    cb = CB()
    if boot:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cb = cb.bootstrap(n=5, seed=1, progress=False)
    text = cb.to_json()
    _strict_json(text)
    back = sm.CBSEMResult.from_json(text)
    for name in cb.TABLE_NAMES:
        pd.testing.assert_frame_equal(back.table(name), cb.table(name), obj=f"table {name!r}")
    pd.testing.assert_series_equal(back.fit_indices, cb.fit_indices)
    assert back.diagnostics == cb.diagnostics
    with pytest.raises(sm.SatModelError):
        sm.PLSResult.from_json(text)  # a CB-SEM record is not a PLS one


# ---------------------------------------------------------------------------- tables x bootstrap
@pytest.fixture(scope="module", params=["pls", "plsc"])
def boot_all(request):
    res = RES if request.param == "pls" else _PLSC
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return res.bootstrap(n=30, seed=1, progress=False, tables="all")


@pytest.mark.parametrize("name", list(TABLES))
def test_every_table_gets_inference(boot_all, name):
    inf = boot_all.inference
    assert name in inf.tables
    df = boot_all.table(name)
    columns = list(TABLES[name].columns)
    for col in columns:
        prefix = "" if len(columns) == 1 else f"{col}_"
        for stat in ("se", "t", "p", "ci_lower", "ci_upper"):
            assert prefix + stat in df.columns, (name, prefix + stat)
        draws = inf.draws[name][col]
        original = inf.original[name][col]
        finite = np.isfinite(draws)
        tested = boot_all.test(name, col)
        for j in range(draws.shape[1]):
            ok = draws[finite[:, j], j]
            if not np.isfinite(original[j]) or ok.size < 2 or np.ptp(ok) == 0:
                continue  # not defined, or nothing varies: <NA> t and p are right there
            for stat in ("se", "t", "p", "ci_lower", "ci_upper"):
                assert not pd.isna(df[prefix + stat].iloc[j]), (name, col, j, stat)
            for stat in ("se", "t", "p"):
                assert np.isfinite(tested[stat].iloc[j]), ("test", name, col, j, stat)
            assert tested["se"].iloc[j] == pytest.approx(df[prefix + "se"].iloc[j], rel=1e-12)
            lo, hi = df[prefix + "ci_lower"].iloc[j], df[prefix + "ci_upper"].iloc[j]
            assert ok.min() - 1e-12 <= lo <= hi <= ok.max() + 1e-12
        if not finite[:, np.isfinite(original)].all():
            # values undefined in some resamples are a diagnostic, never silent
            record_ = [d for d in boot_all.diagnostics if d.code == "bootstrap_undefined"]
            assert record_ and f"{name}.{col}" in record_[0].names


def test_default_bootstrap_leaves_out_only_the_costly_tables():
    from satmodel.tables import NOT_BY_DEFAULT

    assert set(TABLES) - set(BOOT.inference.tables) == set(NOT_BY_DEFAULT)
