"""Inference by resampling: the one driver, the bootstrap and jackknife, interval methods.

>>> from satmodel.inference import intervals
>>> intervals.METHODS[:2]
('percentile', 'basic')
"""

from . import intervals
from . import bootstrap
from .bootstrap import BootstrapInference
from .driver import Draws, run

__all__ = ["BootstrapInference", "Draws", "bootstrap", "intervals", "run"]
