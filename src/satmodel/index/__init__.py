"""The satisfaction index: 0-100 scores, impacts, IPMA, group indices and roll-up,
NPS and Kano (docs/methods.md §6).

>>> from satmodel import index
>>> float(index.impact(0.60, 15.0, 18.0, per_points=5))
2.5
"""

from ..tables.index import block_index, impact, index_weights, respondent_index, score_sd
from . import companion, ipma
from .aggregate import group_index, rollup

__all__ = ["block_index", "companion", "group_index", "impact", "index_weights", "ipma",
           "respondent_index", "rollup", "score_sd"]
