"""Thresholds of ordinal items (``fit_pls(..., correlation="polychoric")``) as a table.

>>> import satmodel as sm
>>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"),
...                  correlation="polychoric")
>>> threshold_table(res).columns.tolist()
['indicator', 'level', 'threshold']
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..moments.ordinal import threshold_rows

__all__ = ["threshold_table"]


def threshold_table(res: Any) -> pd.DataFrame:
    """indicator, level (the code below the threshold), threshold of every ordinal item of
    a fit with respondent rows (``res``) or of its ``res.survey``, as R ``polycor``."""
    survey = getattr(res, "survey", res)
    if survey is None:
        from ..errors import SatModelError

        raise SatModelError("threshold_table needs the respondent rows; this result was read "
                            "from JSON or streamed (it carries none)")
    return pd.DataFrame(threshold_rows(survey), columns=["indicator", "level", "threshold"])
