"""Group comparisons on the resampling driver (a group is a row-weight mask).

>>> from satmodel.groups import GroupPermutations
>>> GroupPermutations.__name__
'GroupPermutations'
"""

from .mga import METHODS, compare_groups
from .micom import MICOMResult, micom
from .permutation import GroupPermutations, group_labels, permutation_test

__all__ = ["GroupPermutations", "group_labels", "permutation_test", "compare_groups", "METHODS",
           "micom", "MICOMResult"]
