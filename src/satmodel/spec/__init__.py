"""The model description: pydantic specs, lavaan text in and out, the engine layout.

>>> from satmodel.spec import ModelSpec
>>> ModelSpec.from_lavaan("X =~ x1 + x2").construct_names
('X',)
"""

from .covariance import Covariance
from .model import Construct, Indicator, ModelSpec, Path

__all__ = ["Construct", "Covariance", "Indicator", "ModelSpec", "Path"]
