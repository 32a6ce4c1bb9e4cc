"""CBSEMResult on the one result base: tables by name, JSON round trips and hostile
records, bootstrap through the shared driver and intervals, diagnostics per result,
summaries, option messages and thread-safe warnings.

Numbers are checked against lavaan's printed Political Democracy estimates
(tests/oracles/lavaan_political_democracy) or by properties (interval formulas from the
stored draws, resample row counts from the seeded generator), never against our own
earlier output. Bootstraps stay at n <= 10 resamples.
"""

from __future__ import annotations

import json
import os
import threading
import warnings

import numpy as np
import pandas as pd
import pytest

import satmodel as sm
from satmodel.cbsem import bootwork as cb_work, mlboot as cb_mlboot
from satmodel.cbsem.engine import exact_sample
from satmodel.results.record import cbsem_schema
from tests._oracles import oracle_path, quiet, read_oracle

CASE = "lavaan_political_democracy"
SMALL = "EXPE =~ EXPE1 + EXPE2 + EXPE3\nSAT =~ SAT1 + SAT2 + SAT3\nLOY =~ LOY1 + LOY2 + LOY3\n" \
        "SAT ~ EXPE\nLOY ~ SAT"


@pytest.fixture(scope="module")
def small():
    spec = sm.ModelSpec.from_lavaan(SMALL)
    return quiet(sm.fit_cbsem, spec, sm.datasets.load("ecsi_satisfaction"))


@pytest.fixture(scope="module")
def boot(small):
    with warnings.catch_warnings():  # a clean fit, but 8 resamples are too few (recorded)
        warnings.simplefilter("error", sm.SatModelWarning)
        warnings.filterwarnings("ignore", "8 bootstrap resamples are too few", sm.SatModelWarning)
        return small.bootstrap(n=8, seed=11, progress=False)


@pytest.fixture(scope="module")
def democracy():
    spec = sm.ModelSpec.from_file(oracle_path(CASE, "model.lav"))
    return quiet(sm.fit_cbsem, spec, read_oracle(CASE, "political_democracy.csv"))


def _printed(value: float, printed: float, decimals: int = 3) -> bool:
    return abs(value - printed) <= 0.5 * 10.0**-decimals + 1e-9


# ---------------------------------------------------------------- tables

def test_every_table_name_gives_a_tidy_table(small, boot):
    assert set(small.TABLE_NAMES) >= {"paths", "outer", "effects", "r2", "quality", "htmt_pairs",
                                      "parameters", "fit_indices"}
    for res in (small, boot):
        for name in res.TABLE_NAMES:
            df = res.table(name)
            assert isinstance(df, pd.DataFrame) and len(df) > 0, name
            assert isinstance(df.index, pd.RangeIndex), name
    assert small.table("fit_indices")["measure"].tolist() == list(small.fit_indices.index)
    assert small.table("htmt_pairs")[["source", "target"]].values.tolist() == [
        ["EXPE", "SAT"], ["EXPE", "LOY"], ["SAT", "LOY"]]
    htmt = small.htmt
    for s, t, v in small.table("htmt_pairs")[["source", "target", "htmt"]].itertuples(index=False):
        assert htmt.loc[s, t] == pytest.approx(v, abs=1e-15)
    with pytest.raises(sm.SatModelError, match="unknown table 'path'.*paths"):
        small.table("path")


def test_shared_formulas_give_the_closed_forms(small):
    """Alpha and HTMT are PLS's formulas of the item correlations (closed forms here)."""
    R = small.sample_corr
    items = list(small.indicators)
    for con in small.spec.constructs:
        idx = [items.index(i) for i in con.indicator_names]
        k, total = len(idx), R[np.ix_(idx, idx)].sum()
        alpha = small.quality.set_index("construct").loc[con.name, "alpha"]
        assert alpha == pytest.approx(k / (k - 1) * (1 - k / total), abs=1e-12)
    a, b = [items.index(i) for i in ("EXPE1", "EXPE2", "EXPE3")], [items.index(i) for i in ("SAT1", "SAT2", "SAT3")]
    hetero = np.abs(R[np.ix_(a, b)]).mean()
    mono = [np.abs(R[np.ix_(x, x)])[np.triu_indices(3, 1)].mean() for x in (a, b)]
    assert small.htmt.loc["EXPE", "SAT"] == pytest.approx(hetero / np.sqrt(mono[0] * mono[1]), abs=1e-12)


# ---------------------------------------------------------------- JSON

def test_json_round_trip_keeps_every_table(democracy):
    text = democracy.to_json()
    back = sm.CBSEMResult.from_json(text)
    for name in democracy.TABLE_NAMES:
        pd.testing.assert_frame_equal(back.table(name), democracy.table(name), check_exact=True)
    pd.testing.assert_series_equal(back.r2, democracy.r2)
    pd.testing.assert_series_equal(back.fit_indices, democracy.fit_indices)
    assert back.spec == democracy.spec and back.estimator == "ML" and back.n_obs == 75
    assert back.diagnostics == democracy.diagnostics and repr(back) == repr(democracy)
    # what comes back still carries lavaan's printed estimates
    ref = read_oracle(CASE, "parameters.csv").set_index(["lhs", "op", "rhs"])
    ours = back.parameters.set_index(["lhs", "op", "rhs"])
    bad = [(k, ours.loc[k, "estimate"], v) for k, v in ref["estimate"].items()
           if not _printed(float(ours.loc[k, "estimate"]), v)]
    assert not bad, bad
    # labelled arrays, the package version, tidy tables; no respondent rows inside
    record = json.loads(text)
    assert record["satmodel_version"] and record["estimate"]["loadings"]["rows"] == list(democracy.indicators)
    assert record["tables"]["paths"][0].keys() >= {"source", "target", "estimate", "se"}

    def lengths(x):
        if isinstance(x, dict):
            for v in x.values():
                yield from lengths(v)
        elif isinstance(x, list):
            yield len(x)
            for v in x:
                yield from lengths(v)
    assert 75 not in set(lengths(record))
    with pytest.raises(sm.SatModelError, match="respondent rows"):
        back.scores
    with pytest.raises(sm.SatModelError, match="respondent rows"):
        back.bootstrap(n=2, seed=1)


def test_bootstrapped_json_round_trip_gives_back_se_and_intervals(boot):
    back = sm.CBSEMResult.from_json(boot.to_json())
    for name in boot.TABLE_NAMES:
        pd.testing.assert_frame_equal(back.table(name), boot.table(name), check_exact=True)
    assert back.inference.n_valid == boot.inference.n_valid and back.inference.n_failed == 0
    with pytest.raises(sm.SatModelError, match="draws"):
        back.conf_int(0.9)
    full = sm.CBSEMResult.from_json(boot.to_json(draws=True))
    pd.testing.assert_frame_equal(full.draws("paths"), boot.draws("paths"), check_exact=True)
    for method in ("basic", "bc"):
        pd.testing.assert_frame_equal(full.conf_int(0.9, method).effects,
                                      boot.conf_int(0.9, method).effects, check_exact=True)


@pytest.fixture(scope="module")
def record(boot):
    return json.loads(boot.to_json())


def _edit(record, path, value):
    out = json.loads(json.dumps(record))
    node = out
    for key in path[:-1]:
        node = node[key]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return out


HOSTILE = [
    (("n_obs",), -5, "n_obs"),
    (("n_obs",), "many", "n_obs"),
    (("estimator",), "MLR", "estimator"),
    (("missing",), 3, "missing"),
    (("indicator_mean", "EXPE1"), float("inf"), "indicator_mean"),
    (("indicator_mean", "EXPE1"), KeyError, "indicator_mean"),
    (("sample_cov", "values", 0), [1.0, 2.0], "sample_cov"),
    (("sample_cov", "values", 0, 1), 99.0, "sample_cov"),
    (("estimate", "loadings", "values", 0, 0), float("nan"), "estimate.loadings"),
    (("estimate", "sigma", "values", 0, 0), 123.0, "estimate.sigma"),
    (("estimate", "params", 0, "lhs"), "nobody", "estimate.params"),
    (("estimate", "params", 1, "se"), -1.0, "estimate.params.1.se"),
    (("estimate", "n_iter"), 2.5, "estimate.n_iter"),
    (("fit_indices", "cfi"), KeyError, "fit_indices"),
    (("fit_indices", "chi2"), "big", "fit_indices.chi2"),
    (("inference", "method"), "bca", "bca"),
    (("inference", "original", "paths", "estimate"), [0.1], "inference"),
    (("inference", "n_valid"), 1, "inference.n_valid"),
    (("diagnostics",), [{"code": "x", "message": "y", "count": -1}], "diagnostics.0.count"),
    (("surprise",), 1, "surprise"),
    (("spec", "constructs", 0, "mode"), "B", "composite"),
]


@pytest.mark.parametrize("path,value,field", HOSTILE, ids=[h[2] + "-" + str(h[1])[:8] for h in HOSTILE])
def test_hostile_records_raise_naming_the_field(record, path, value, field):
    bad = json.dumps(_edit(record, path, value))
    with pytest.raises(sm.SatModelError, match=field.replace(".", r"\.")):
        sm.CBSEMResult.from_json(bad)


def test_inference_of_other_tables_or_lengths_is_refused(record):
    for table, column, n in (("paths", "estimate", 3), ("paths", "weight", 2), ("fit", "srmr", 1)):
        bad = _edit(record, ("inference", "original"), {table: {column: [0.5] * n}})
        stats = dict.fromkeys(("se", "t", "p", "ci_lower", "ci_upper"), [0.1] * n)
        bad["inference"]["summaries"] = {table: {column: stats}}
        with pytest.raises(sm.SatModelError, match=r"inference.original\['%s'\]\['%s'\]" % (table, column)):
            sm.CBSEMResult.from_json(json.dumps(bad))


def test_malformed_input_is_refused(record):
    with pytest.raises(sm.SatModelError, match="expected format 'satmodel.CBSEMResult'"):
        sm.CBSEMResult.from_json(json.dumps(_edit(record, ("format",), "satmodel.PLSResult")))
    with pytest.raises(sm.SatModelError, match="not a satmodel result JSON"):
        sm.CBSEMResult.from_json("{not json")
    with pytest.raises(sm.SatModelError, match="JSON string"):
        sm.CBSEMResult.from_json(42)
    assert cbsem_schema()["properties"]["format"]["const"] == "satmodel.CBSEMResult"


# ---------------------------------------------------------------- bootstrap

def test_conf_int_recomputes_intervals_from_the_stored_draws(boot):
    narrow = boot.conf_int(0.8)
    assert narrow.inference.draws is boot.inference.draws  # no new resampling
    wide, tight = boot.paths, narrow.paths
    pd.testing.assert_series_equal(wide["se"], tight["se"])
    assert (tight["ci_lower"] >= wide["ci_lower"]).all() and (tight["ci_upper"] <= wide["ci_upper"]).all()
    assert (tight["ci_upper"] - tight["ci_lower"] < wide["ci_upper"] - wide["ci_lower"]).all()
    d = boot.draws("paths", "estimate").to_numpy()
    np.testing.assert_allclose(wide["ci_lower"], np.quantile(d, 0.025, axis=0), rtol=0, atol=1e-15)
    basic = boot.conf_int(0.95, "basic").paths
    np.testing.assert_allclose(basic["ci_lower"], 2 * wide["estimate"] - wide["ci_upper"], atol=1e-14)
    assert boot.inference.level == 0.95  # the original result is unchanged
    with pytest.raises(sm.NotAvailableError, match="jackknife"):
        boot.conf_int(0.95, "bca")
    with pytest.raises(sm.OptionError, match="invalid conf_int option level=1.5"):
        boot.conf_int(1.5)


def test_resamples_are_the_drivers_row_counts(small, monkeypatch):
    X = small.survey.X
    seen = []
    real = cb_work.fit_cbsem_rows  # a resample's semopy refit (cbsem/bootwork.py)

    def spy(spec, rows, **kw):
        seen.append(rows)
        return real(spec, rows, **kw)

    monkeypatch.setattr(cb_work, "fit_cbsem_rows", spy)
    small.bootstrap(n=3, seed=5, progress=False)
    idx = np.random.default_rng(5).integers(0, X.shape[0], size=(3, X.shape[0]))
    for rows, take in zip(seen, idx):
        np.testing.assert_array_equal(np.sort(rows, axis=0), np.sort(X[take], axis=0))


def test_dropped_resamples_are_counted_and_recorded(small, monkeypatch):
    real, calls = cb_mlboot.refit, []  # an ML resample's refit (on its moments)

    def flaky(*args, **kw):
        calls.append(1)
        if len(calls) == 2:
            raise sm.EstimationError("singular item covariance on this resample")
        return real(*args, **kw)

    monkeypatch.setattr(cb_mlboot, "refit", flaky)
    with pytest.warns(sm.SatModelWarning, match="dropped 1 of 4"):
        res = small.bootstrap(n=4, seed=2, progress=False)
    inf = res.inference
    assert (inf.n_requested, inf.n_valid, inf.n_failed, inf.dropped) == (4, 3, 1, {"failed": 1})
    assert inf.failures == ("resample 1: EstimationError: singular item covariance on this resample",)
    assert [d.code for d in res.diagnostics] == ["bootstrap_dropped", "too_few_resamples"] \
        and not small.diagnostics
    assert res.diagnostics[0].count == 1 and res.draws("outer").shape == (3, 9)


def test_bootstrap_options_have_one_message_format(small):
    with pytest.raises(sm.OptionError, match="invalid bootstrap option n=1: an integer >= 2"):
        small.bootstrap(n=1)
    with pytest.raises(sm.NotAvailableError, match="invalid bootstrap option ci='bca'.*jackknife"):
        small.bootstrap(n=2, ci="bca")
    with pytest.raises(sm.OptionError, match="invalid bootstrap option progress='yes'"):
        small.bootstrap(n=2, progress="yes")
    with pytest.raises(sm.SatModelError, match="call res.bootstrap"):
        small.conf_int(0.9)


# ---------------------------------------------------------------- diagnostics

def _one_factor(R, n=200):
    return pd.DataFrame(exact_sample(np.asarray(R, dtype=float), n), columns=["a", "b", "c"])


def test_diagnostics_are_records_on_each_result():
    spec = sm.ModelSpec.from_lavaan("F =~ a + b + c")
    heywood = _one_factor([[1, .8, .8], [.8, 1, .5], [.8, .5, 1]])  # lambda_a^2 = 1.28
    clean = _one_factor([[1, .5, .4], [.5, 1, .3], [.4, .3, 1]])
    out = {}

    def work(key, data):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out[key] = sm.fit_cbsem(spec, data)

    threads = [threading.Thread(target=work, args=(k, d)) for k, d in
               (("heywood", heywood), ("clean", clean), ("heywood2", heywood))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [d.code for d in out["heywood"].diagnostics] == ["heywood"]
    assert out["heywood"].diagnostics[0].names == ("a",) and out["heywood"].diagnostics[0].category == "HeywoodWarning"
    assert out["heywood2"].diagnostics == out["heywood"].diagnostics
    assert out["clean"].diagnostics == ()
    text = out["heywood"].summary()
    assert "Diagnostics" in text and "heywood" in text


def test_non_convergence_is_a_diagnostic():
    spec = sm.ModelSpec.from_file(oracle_path(CASE, "model.lav"))
    with pytest.warns(sm.ConvergenceWarning):
        cb = sm.fit_cbsem(spec, read_oracle(CASE, "political_democracy.csv"), max_iter=3)
    codes = [d.code for d in cb.diagnostics]
    assert "not_converged" in codes and not cb.converged
    back = sm.CBSEMResult.from_json(cb.to_json())
    assert back.diagnostics == cb.diagnostics and not back.converged


# ---------------------------------------------------------------- output

def test_summary_and_html_show_the_fit_indices(democracy, boot):
    fi = democracy.fit_indices
    text, html = democracy.summary(), democracy._repr_html_()
    for label in ("chi2 = 38.125", "df = 35", "CFI =", "TLI =", "RMSEA =", "SRMR =", "AIC =", "BIC =",
                  "loglik = -1547.791"):
        assert label in text and label in html, label
    assert f"[{fi['rmsea_ci_lower']:.3f}, {fi['rmsea_ci_upper']:.3f}]" in text
    for section in ("Paths", "Outer model", "Quality", "HTMT"):
        assert section in text and section in html
    assert str(democracy) == text and text.splitlines()[0] == repr(democracy)
    assert "<CBSEMResult" not in html and "&lt;CBSEMResult" in html  # escaped
    assert "bootstrap: 8 of 8 resamples, percentile intervals at level 0.95" in boot.summary()


def test_fit_cbsem_options_have_one_message_format():
    spec, df = sm.ModelSpec.from_lavaan(SMALL), sm.datasets.load("ecsi_satisfaction")
    with pytest.raises(sm.OptionError, match="invalid fit_cbsem option estimator=5: choose one of 'ML'"):
        sm.fit_cbsem(spec, df, estimator=5)
    with pytest.raises(sm.OptionError, match="invalid fit_cbsem option max_iter='x': an integer >= 1"):
        sm.fit_cbsem(spec, df, max_iter="x")
    with pytest.raises(sm.OptionError, match="invalid fit_cbsem option missing='drop': choose one of"):
        sm.fit_cbsem(spec, df, missing="drop")
    with pytest.raises(sm.OptionError, match="invalid fit_cbsem option estimator='ULS': missing='fiml'"):
        sm.fit_cbsem(spec, df, estimator="ULS", missing="fiml")


# ---------------------------------------------------------------- warnings and threads

def test_warnings_not_from_semopy_are_issued_again_not_kept(monkeypatch):
    """A warning another thread (or satmodel itself) issues during a fit keeps its own
    category, file and line; only warnings from inside semopy become notes."""
    import semopy

    fake = os.path.join(os.path.dirname(os.path.abspath(semopy.__file__)), "fake_module.py")
    inside = {}
    exec(compile("import warnings\ndef note():\n    warnings.warn('semopy says hello', UserWarning)\n",
                 fake, "exec"), inside)
    real = semopy.Model.load  # every fit loads inside the capture (ML no longer calls fit)

    def fit(self, *args, **kwargs):
        other = threading.Thread(target=lambda: warnings.warn("from another thread", RuntimeWarning))
        other.start()
        other.join()
        warnings.warn("from the fitting thread, outside semopy", FutureWarning)
        inside["note"]()
        return real(self, *args, **kwargs)

    monkeypatch.setattr(semopy.Model, "load", fit)
    spec = sm.ModelSpec.from_lavaan(SMALL)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        cb = sm.fit_cbsem(spec, sm.datasets.load("ecsi_satisfaction"))
    got = {str(w.message): w for w in seen}
    assert got["from another thread"].category is RuntimeWarning
    assert got["from the fitting thread, outside semopy"].category is FutureWarning
    assert got["from another thread"].filename == __file__
    assert "semopy says hello" not in got
    assert any("semopy says hello" in m for m in cb.estimate.messages)
    assert not any("from " in m for m in cb.estimate.messages)
    assert [d.code for d in cb.diagnostics] == ["semopy"]


def test_bootstrap_refits_with_the_fits_conventions(monkeypatch):
    # A GLS fit with S divided by n-1 must be refitted alike in every resample; before,
    # the bootstrap refitted with the default conventions (divisor n).
    seen = []
    real = cb_work.fit_cbsem_rows  # a resample's semopy refit (cbsem/bootwork.py)

    def spy(*args, **kwargs):
        seen.append(kwargs.get("conventions"))
        return real(*args, **kwargs)

    df = sm.datasets.load("ecsi_satisfaction")
    spec = sm.ModelSpec.from_lavaan(SMALL)
    res = quiet(sm.fit_cbsem, spec, df, estimator="GLS", cov_divisor="n-1")
    monkeypatch.setattr(cb_work, "fit_cbsem_rows", spy)
    with pytest.warns(sm.SatModelWarning, match="3 bootstrap resamples are too few"):
        res.bootstrap(n=3, seed=1, progress=False)
    assert len(seen) == 3 and all(c == res.conventions for c in seen)
    assert res.conventions.cov_divisor == "n-1"
