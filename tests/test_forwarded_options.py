"""Verbs that forward **options name an unknown option in an OptionError (with a close
match) instead of leaking Python's TypeError "unexpected keyword argument"."""

from __future__ import annotations

import pytest

import satmodel as sm

DF = sm.datasets.load("ecsi_satisfaction")
RES = sm.fit_pls(sm.templates.ecsi(), DF)


@pytest.mark.parametrize("call, verb", [
    (lambda: RES.ipma("LOY", cutt="mean"), "ipma"),
    (lambda: RES.index(per_respondant=True), "index"),
    (lambda: RES.impacts(per_point=1), "impacts"),
    (lambda: RES.index_weights(bogus=1), "index_weights"),
    (lambda: RES.score(DF, wat="scores"), "score"),
    (lambda: RES.predict(benchmrk="csem"), "predict"),
])
def test_unknown_forwarded_options_are_named(call, verb):
    with pytest.raises(sm.OptionError, match=f"unknown {verb} option"):
        call()


def test_grouped_verbs_check_names_before_running_any_group():
    grouped = sm.fit_pls(sm.templates.ecsi(), DF, by="gender")
    with pytest.raises(sm.OptionError, match="unknown ipma option 'cutt'. Did you mean 'cut'"):
        grouped.ipma("LOY", cutt="mean")
    with pytest.raises(sm.OptionError, match="unknown predict option 'fold'"):
        grouped.predict(fold=5)
