"""The data boundary: input adapters, validation against the spec, survey codes,
scales, reverse items, sampling weights, missing-data reports and screening.

>>> import satmodel as sm
>>> from satmodel.survey import prepare
>>> prepare(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction")).X.shape
(250, 27)
"""

from .options import MISSING, SurveyOptions
from .prepare import SurveyData, prepare

__all__ = ["MISSING", "SurveyData", "SurveyOptions", "prepare"]
