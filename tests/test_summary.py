"""summary() and the HTML repr: inference when present, the index when scales are known,
what to look at next, at most 100 columns, missing values as '-'."""

from __future__ import annotations

import warnings

import pytest

import satmodel as sm

from _simulate import BIG, simulate

DF = sm.datasets.load("ecsi_satisfaction")


@pytest.fixture(scope="module")
def plain():
    return sm.fit_pls(sm.templates.ecsi(), DF)


@pytest.fixture(scope="module")
def boot(plain):
    return plain.bootstrap(n=100, seed=1, progress=False)


def _section(text, title):
    return text.split(f"\n{title}\n")[1].split("\n\n")[0]


def test_inference_shown_after_bootstrap(plain, boot):
    before, after = plain.summary(), boot.summary()
    assert "ci_lower" not in _section(before, "Path coefficients")
    paths = _section(after, "Path coefficients")
    assert all(col in paths.splitlines()[1] for col in ("se", "p", "ci_lower", "ci_upper"))
    assert "loading_ci_lower" in _section(after, "Outer model")
    assert plain._repr_html_() != boot._repr_html_()
    assert "res.bootstrap" in before and "res.bootstrap" not in after


def test_index_and_next_steps(plain, boot):
    index = _section(boot.summary(), "Index (0-100)")
    assert "ci_lower" in index and "LOY" in index
    hints = plain.summary().split("What to look at next")[1]
    assert "res.ipma('LOY')" in hints and "sm.to_html" in hints
    bare = sm.fit_pls(_no_scales(), DF)
    assert "Index (0-100)" not in bare.summary()
    assert "declare item scales" in bare.summary()


def _no_scales():
    d = sm.templates.ecsi().model_dump()
    for c in d["constructs"]:
        for i in c["indicators"]:
            i["scale_min"] = i["scale_max"] = None
    return sm.ModelSpec.model_validate(d)


@pytest.mark.parametrize("which", ["pls", "cbsem", "big15"])
def test_fits_100_columns_and_no_na_marks(which, boot):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if which == "pls":
            res = boot
        elif which == "cbsem":
            res = sm.fit_cbsem(sm.templates.ecsi(), DF)
        else:
            spec = sm.ModelSpec.from_lavaan(BIG)
            res = sm.fit_pls(spec, simulate(spec)).bootstrap(n=30, seed=1, progress=False)
    text = res.summary()
    assert max(len(line) for line in text.splitlines()) <= 100
    assert "<NA>" not in text and "&lt;NA&gt;" not in res._repr_html_()
    assert "What to look at next" in text
