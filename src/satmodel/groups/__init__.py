"""Group comparisons on the resampling driver (a group is a row-weight mask).

>>> from satmodel.groups import GroupPermutations
>>> GroupPermutations.__name__
'GroupPermutations'
"""

from .permutation import GroupPermutations, group_labels, permutation_test

__all__ = ["GroupPermutations", "group_labels", "permutation_test"]
