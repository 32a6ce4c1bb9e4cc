"""The not-PSD diagnostic gives advice that fits how the correlations were formed: EM for
pairwise Pearson correlations, a different correlation or merged categories for ordinal ones
(where missing='em' would not help)."""
import warnings

import numpy as np
import pytest

import satmodel as sm
from satmodel.diagnostics import collecting
from satmodel.moments.core import Moments
from satmodel.results.pls_checks import check_moments

# three items whose pairwise correlations cannot hold jointly (smallest eigenvalue < 0)
NOT_PSD = np.array([[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]])
SPEC = sm.ModelSpec.from_lavaan("A =~ a1 + a2 + a3")


def _advice(correlation):
    mom = Moments(n=100.0, mean=np.zeros(3), std=np.ones(3), corr=NOT_PSD)
    with collecting() as found, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_moments(SPEC, mom, correlation)
    (diag,) = [d for d in found if d.code == "not_psd"]
    return diag.message


def test_pairwise_pearson_points_to_em():
    assert np.linalg.eigvalsh(NOT_PSD)[0] < 0
    assert "missing='em'" in _advice("pearson")


@pytest.mark.parametrize("correlation", ["polychoric", "spearman"])
def test_ordinal_correlations_do_not_point_to_em(correlation):
    message = _advice(correlation)
    assert "missing='em'" not in message and correlation in message
