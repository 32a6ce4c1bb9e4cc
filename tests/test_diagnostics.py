"""Diagnostics as data: every warning a fit issues is also a record on its result (code,
category, names), the warning points at the caller's line, a clean fit has none, and
fits running in threads keep their records apart."""

from __future__ import annotations

import sys
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

import satmodel as sm

SPEC = sm.templates.ecsi()
DF = sm.datasets.load("ecsi_satisfaction")
SMALL = sm.ModelSpec.from_lavaan("EXPE =~ EXPE1 + EXPE2 + EXPE3\nSAT =~ SAT1 + SAT2 + SAT3\n"
                                 "SAT ~ EXPE")
TWO = sm.ModelSpec.from_lavaan("A =~ a1 + a2\nB =~ b1 + b2\nB ~ A")


def _against_sign() -> sm.ModelSpec:
    """The ECSI model expecting IMAG -> EXPE to be negative (it is clearly positive)."""
    d = SPEC.model_dump(mode="json")
    d["paths"] = [{**p, "expected_sign": "-"} if (p["source"], p["target"]) == ("IMAG", "EXPE")
                  else p for p in d["paths"]]
    return sm.ModelSpec.model_validate(d)


def _holes() -> pd.DataFrame:
    """10 % of SAT1 and LOY2 missing (above the 5 % missing_warn default)."""
    df = DF.copy()
    df.loc[df.index[::10], ["SAT1", "LOY2"]] = np.nan
    return df


#: the weak-block correlation matrix of test_fit.py: PLSc construct correlation > 1
INADMISSIBLE = np.array([[1, .8, .5, .5], [.8, 1, .5, .5], [.5, .5, 1, .1], [.5, .5, .1, 1]])

CASES = {
    "not_converged": (lambda: sm.fit_pls(SPEC, DF, max_iter=2), sm.ConvergenceWarning, ()),
    "sign": (lambda: sm.fit_pls(_against_sign(), DF), sm.SignWarning, ("IMAG -> EXPE",)),
    "missing_share": (lambda: sm.fit_pls(SPEC, _holes(), missing="mean"),
                      sm.MissingDataWarning, ("SAT1", "LOY2")),
    "inadmissible": (lambda: sm.fit_pls_moments(TWO, INADMISSIBLE, n_obs=100, consistent=True),
                     sm.AdmissibilityWarning, ("A ~ B",)),
}


def _run(fit):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = fit()
    return res, [w for w in caught if issubclass(w.category, sm.SatModelWarning)]


@pytest.mark.parametrize("code", list(CASES))
def test_warning_is_a_record_and_points_at_the_caller(code):
    fit, category, names = CASES[code]
    res, caught = _run(fit)
    records = [d for d in res.diagnostics if d.code == code]
    assert len(records) == 1, res.diagnostics
    rec = records[0]
    assert rec.category == category.__name__ and rec.severity in ("info", "warning")
    assert set(names) <= set(rec.names), rec.names
    ours = [w for w in caught if w.category is category]
    assert [str(w.message) for w in ours] == [rec.message]
    # the warning is attributed to the user's line (here: the fit lambda in this file)
    assert ours[0].filename == __file__, ours[0].filename
    # every warning issued has its record, and the other way round
    assert sorted(w.category.__name__ for w in caught) == \
        sorted(d.category for d in res.diagnostics)


def test_a_clean_fit_has_no_records():
    res, caught = _run(lambda: sm.fit_pls(SPEC, DF))
    assert res.diagnostics == () and caught == []
    res, caught = _run(lambda: sm.fit_pls_moments(SPEC, res.indicator_corr, n_obs=250))
    assert res.diagnostics == () and caught == []


def test_records_survive_json():
    res, _ = _run(CASES["sign"][0])
    assert sm.PLSResult.from_json(res.to_json()).diagnostics == res.diagnostics


def _rare_value(n=30) -> pd.DataFrame:
    """b2 is constant in every resample that misses row 0 (about 36 % of them)."""
    rng = np.random.default_rng(0)
    f = rng.normal(size=n)
    df = pd.DataFrame({"a1": f + rng.normal(size=n), "a2": f + rng.normal(size=n),
                       "b1": f + rng.normal(size=n), "b2": np.zeros(n)})
    df.loc[0, "b2"] = 1.0
    return df


def test_bootstrap_appends_its_record_to_the_new_result_only():
    res, _ = _run(lambda: sm.fit_pls(TWO, _rare_value(), max_iter=300))
    before = res.diagnostics
    boot, caught = _run(lambda: res.bootstrap(n=200, seed=1, progress=False))
    assert res.diagnostics == before and res.inference is None
    new = boot.diagnostics[len(before):]
    assert boot.diagnostics[:len(before)] == before
    assert [d.code for d in new] == ["bootstrap_dropped"]  # 100+ kept: enough for 95 % CIs
    assert new[0].count == 200 - boot.inference.n_valid > 0
    assert "constant_item" in new[0].names
    assert [w.filename for w in caught] == [__file__]
    # a second bootstrap of the original starts from the original's records again
    again, _ = _run(lambda: res.bootstrap(n=200, seed=1, progress=False))
    assert again.diagnostics == boot.diagnostics


# ---------------------------------------------------------------------------- threads
def _fit_in_thread(k: int):
    if k % 2:  # not converged: a record whose message names this fit's tol
        return k, sm.fit_pls(SPEC, DF, max_iter=2, tol=10.0 ** -(6 + k))
    return k, sm.fit_pls(SPEC, DF, scheme=("path", "centroid", "factorial")[k % 3])


@pytest.fixture
def busy_switching():
    """Switch threads as often as possible, so the fits interleave."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


@pytest.mark.usefixtures("busy_switching")
@pytest.mark.parametrize("round_", range(3))
def test_fits_in_threads_keep_their_own_records(round_):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(_fit_in_thread, range(8)))
    for k, res in results:
        if k % 2:
            assert [d.code for d in res.diagnostics] == ["not_converged"], (k, res.diagnostics)
            assert f"tol={10.0 ** -(6 + k):g})" in res.diagnostics[0].message
            assert res.diagnostics[0].count == 2 and not res.converged
        else:
            assert res.diagnostics == (), (k, res.diagnostics)


@pytest.mark.usefixtures("busy_switching")
def test_cbsem_and_pls_in_threads_keep_their_own_records():
    jobs = [lambda: sm.fit_cbsem(SMALL, DF), lambda: sm.fit_cbsem(SMALL, DF, max_iter=1)]
    jobs += [lambda k=k: sm.fit_pls(SPEC, DF, max_iter=2) if k % 2 else sm.fit_pls(SPEC, DF)
             for k in range(6)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with ThreadPoolExecutor(max_workers=8) as pool:
            futures = [pool.submit(job) for job in jobs]
            results = [f.result() for f in futures]
    clean_cb, stopped_cb, *pls = results
    assert clean_cb.diagnostics == ()
    assert [d.code for d in stopped_cb.diagnostics] == ["not_converged"]
    for k, res in enumerate(pls):
        assert [d.code for d in res.diagnostics] == (["not_converged"] if k % 2 else [])


def test_warnings_raised_as_errors_leave_no_scope_behind():
    """A fit stopped by a warning filter set to 'error' does not leak its scope into the
    next fit of the same thread."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", sm.ConvergenceWarning)
        with pytest.raises(sm.ConvergenceWarning):
            sm.fit_pls(SPEC, DF, max_iter=2)
    res, _ = _run(lambda: sm.fit_pls(SPEC, DF))
    assert res.diagnostics == ()
