"""Is the model any good: quality criteria, rules of thumb, model fit and its bootstrap
test, out-of-sample prediction.

>>> from satmodel.assess import F2_METHODS
>>> F2_METHODS
('correlations', 'reestimate')
"""

from .criteria import F2_METHODS
from .cvpat import cvpat
from .fit_test import fit_test
from .predict import PredictResult, predict_pls
from .thresholds import threshold_table
from .rules import assess

__all__ = ["F2_METHODS", "PredictResult", "assess", "cvpat", "fit_test", "predict_pls",
           "threshold_table"]
