"""Straight-lining flags: hand-computed cases."""

import numpy as np
import pandas as pd
import pytest

import satmodel as sm
from satmodel.survey.screening import response_quality


def test_hand_computed_flags():
    df = pd.DataFrame({"q1": [5, 1, 7, 3, None], "q2": [5, 2, 7, 4, None],
                       "q3": [5, 2, None, 3, None], "q4": [5, 2, 7, 3, 1]},
                      index=["a", "b", "c", "d", "e"])
    before = df.copy()
    out = response_quality(df, ["q1", "q2", "q3", "q4"])
    pd.testing.assert_frame_equal(df, before)
    assert out.answered.tolist() == [4, 4, 3, 4, 1]
    np.testing.assert_allclose(out.identical_share.astype(float).to_numpy(),
                               [1.0, 0.75, 1.0, 0.75, 1.0])
    assert out.longest_run.tolist() == [4, 3, 2, 2, 1]  # "c": the missing q3 breaks the run
    assert out.straightliner.tolist() == [True, False, True, False, False]  # 'e': 1 answer
    np.testing.assert_allclose(out.row_sd.iloc[1], np.std([1, 2, 2, 2], ddof=1))
    assert out.row_sd.isna().iloc[4]  # one answer: SD not defined -> <NA>
    assert list(out.index) == list(df.index)


def test_on_shipped_data_and_errors():
    df = sm.datasets.load("ecsi_satisfaction")
    items = list(sm.templates.ecsi().indicator_names)
    out = response_quality(df, items)
    assert len(out) == 250 and (out.answered == 27).all()
    assert ((out.identical_share > 0) & (out.identical_share <= 1)).all()
    with pytest.raises(sm.DataError, match="SAT9"):
        response_quality(df, ["SAT1", "SAT9"])
    with pytest.raises(sm.OptionError, match="two"):
        response_quality(df, ["SAT1"])
