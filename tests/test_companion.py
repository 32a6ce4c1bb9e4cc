"""NPS, top-box and Kano: the worked examples of docs/methods.md §6.8."""

from __future__ import annotations

import numpy as np
import pytest

import satmodel as sm
from satmodel.index.companion import KANO_TABLE, kano, kano_category, kano_summary, nps, top_box


def test_nps_worked_example():
    answers = [10, 9, 9, 8, 7, 6, 3, 10, 5, 9]  # 5 promoters, 3 detractors
    assert nps(answers) == pytest.approx(20.0, abs=1e-12)
    assert nps(answers + [np.nan]) == pytest.approx(20.0, abs=1e-12)  # missing ignored
    # integer weights = replicated answers
    assert nps([10, 3], weights=[5, 3]) == pytest.approx(nps([10] * 5 + [3] * 3), abs=1e-12)
    with pytest.raises(sm.DataError, match="0-10"):
        nps([11, 9])


def test_kano_worked_example():
    k = kano_summary({"A": 30, "O": 25, "M": 20, "I": 20, "R": 3, "Q": 2})
    assert k["category"] == "A" and not k["tie"]
    assert k["better"] == pytest.approx(0.5789474, abs=5e-8)
    assert k["worse"] == pytest.approx(-0.4736842, abs=5e-8)
    assert k["q_share"] == pytest.approx(0.02, abs=1e-15)


def test_kano_table_and_pairs():
    names = ["like", "must-be", "neutral", "live-with", "dislike"]
    expected = {("like", "dislike"): "O", ("like", "neutral"): "A", ("neutral", "dislike"): "M",
                ("neutral", "neutral"): "I", ("dislike", "like"): "R", ("like", "like"): "Q",
                ("dislike", "dislike"): "Q", ("must-be", "live-with"): "I"}
    for (f, d), cat in expected.items():
        assert kano_category(f, d) == cat
        assert kano_category(names.index(f) + 1, names.index(d) + 1) == cat
    assert KANO_TABLE[0] == ("Q", "A", "A", "A", "O")
    out = kano(["like"] * 30 + ["like"] * 25 + ["neutral"] * 20 + ["neutral"] * 20,
               ["neutral"] * 30 + ["dislike"] * 25 + ["dislike"] * 20 + ["neutral"] * 20)
    assert out["counts"]["A"] == 30 and out["counts"]["O"] == 25 and out["counts"]["M"] == 20
    with pytest.raises(sm.DataError, match="'love'"):
        kano_category("love", "dislike")


def test_top_box():
    assert top_box([10, 9, 9, 8, 7, 6, 3, 10, 5, 9], scale_max=10) == pytest.approx(0.5)
    assert top_box([5, 4, 3], scale_max=5, k=1, weights=[2, 1, 1]) == pytest.approx(0.5)
