"""cSEM's path estimator for models with interaction terms (``interaction_scale="csem"``).

cSEM (``estimatePath``, nonlinear branch, after Dijkstra & Schermelleh-Engel 2014) takes
the weights of the model without interaction terms for every construct, and estimates
each structural equation from moments of the composite scores h (unit variance, divisor
n - 1): the covariance of two linear terms and of a term with the outcome is the mean of
their product (divisor n), a linear term's variance is 1, and interaction terms
(products of two scores) enter with their centred moments (divisor n). So the
coefficients are not quite OLS on the scores (the linear terms' variances are 1 where
their covariances carry (n - 1)/n); the interaction coefficient is on the scale of the
unstandardized product of standardized scores. Composites only (PLSc is refused earlier).

>>> import numpy as np
>>> from satmodel.spec.layout import Layout
>>> lay = Layout(block_of=np.arange(3), modes=("A",) * 3, adjacency=np.array(
...     [[0, 0, 1], [0, 0, 1], [0, 0, 0]], bool), common_factor=np.zeros(3, bool))
>>> H = np.random.default_rng(0).normal(size=(1, 50, 3))
>>> H = (H - H.mean(1, keepdims=True)) / H.std(1, ddof=1, keepdims=True)
>>> from satmodel.engine.pls import estimate
>>> est = estimate(np.corrcoef(H[0].T)[None], lay)
>>> out = csem_paths(est, H, np.ones((1, 50)), lay, ("score",) * 3)
>>> bool(np.isclose(out.paths[0, 0, 2], np.linalg.solve(
...     np.array([[1, (H[0, :, 0] * H[0, :, 1]).mean()], [(H[0, :, 0] * H[0, :, 1]).mean(), 1]]),
...     [(H[0, :, 0] * H[0, :, 2]).mean(), (H[0, :, 1] * H[0, :, 2]).mean()])[0]))
True
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from ..spec.layout import Layout

__all__ = ["csem_paths"]


def csem_paths(est: Any, V: np.ndarray, c: np.ndarray, layout: Layout,
               kinds: tuple[str, ...]) -> Any:
    """``est`` with paths, R² and total effects from cSEM's moment equations.

    ``V`` (B, n, q): the last stage's columns (each construct's standardized first-stage
    score, and products of two of them), one per construct; ``c`` (B, n) row weights."""
    B = V.shape[0]
    J = layout.n_constructs
    col = np.array([layout.block(j)[0] for j in range(J)])  # each construct's single column
    product = np.array([kinds[k] == "product" for k in col])
    H = V[:, :, col]
    n = c.sum(axis=-1)
    mean = np.einsum("bn,bnj->bj", c, H) / n[:, None]
    M = np.einsum("bn,bni,bnj->bij", c, H, H, optimize=True) / n[:, None, None]
    both = product[:, None] & product[None, :]
    M = np.where(both, M - mean[:, :, None] * mean[:, None, :], M)
    lin = np.flatnonzero(~product)
    M[:, lin, lin] = 1.0
    paths = np.zeros((B, J, J))
    r2 = np.zeros((B, J))
    A = layout.adjacency
    for j in np.flatnonzero(A.any(axis=0)):
        pred = np.flatnonzero(A[:, j])
        Vpp = M[:, pred[:, None], pred[None, :]]
        with np.errstate(invalid="ignore"):
            ok = np.isfinite(Vpp).all((-1, -2)) & np.isfinite(M[:, pred, j]).all(-1)
            Vpp = np.where(ok[:, None, None], Vpp, np.eye(len(pred)))
            coef = np.linalg.solve(Vpp, np.where(ok[:, None], M[:, pred, j], 0.0)[..., None])[..., 0]
        coef = np.where(ok[:, None], coef, np.nan)
        paths[:, pred, j] = coef
        r2[:, j] = np.einsum("bi,bij,bj->b", coef, Vpp, coef)
    eye = np.eye(J)
    with np.errstate(invalid="ignore"):
        total = np.linalg.inv(eye - np.nan_to_num(paths)) - eye
    total = np.where(np.isfinite(paths).all((-1, -2))[:, None, None], total, np.nan)
    shape = est.paths.shape
    return dataclasses.replace(est, paths=paths.reshape(shape), r2=r2.reshape(est.r2.shape),
                               total=total.reshape(shape))
