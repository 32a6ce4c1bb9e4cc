"""endogeneity() takes the resampling driver's options (chunk_size, progress) as every other
resampling verb does (bootstrap, permutation_test, compare_groups, micom).

No numbers are pinned here (the bootstrap SE is pinned against R in test_endogeneity.py):
these are invariance checks — the draws come from one seeded generator, so the result must
be bit-identical whatever the chunk size, and a bar must appear only when asked for.
"""

from __future__ import annotations

import pandas as pd
import pytest

import satmodel as sm


@pytest.fixture(scope="module")
def res():
    return sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))


def test_chunk_size_does_not_change_the_draws(res):
    """Same seed, chunks of 7 vs one chunk: identical SEs (exact equality: the same draws
    in the same order, only batched differently; the regressions are solved per draw)."""
    kw = dict(target="LOY", n=60, seed=5, progress=False)
    one = sm.endogeneity(res, **kw)
    chunked = sm.endogeneity(res, chunk_size=7, **kw)
    pd.testing.assert_frame_equal(one, chunked, check_exact=True)


def test_progress_bar_only_when_asked(res, capsys):
    sm.endogeneity(res, target="LOY", n=20, seed=1, progress=False)
    assert capsys.readouterr().err == ""
    sm.endogeneity(res, target="LOY", n=20, seed=1, progress=True)
    assert "20/20" in capsys.readouterr().err


@pytest.mark.parametrize("option, value", [("chunk_size", 0), ("chunk_size", 2.5),
                                           ("chunk_size", True), ("progress", "yes"),
                                           ("progress", 1)])
def test_bad_driver_options_are_named(res, option, value):
    with pytest.raises(sm.OptionError, match=rf"invalid endogeneity option {option}="):
        sm.endogeneity(res, target="LOY", n=5, **{option: value})
