"""PLSpredict: k-fold cross-validated prediction of the endogenous indicators.

Shmueli, Ray, Velasquez Estrada & Chatla (2016, JBR 69(10)); Shmueli et al. (2019,
EJM 53(11)). For each repetition the rows are shuffled with a seeded
``numpy.random.Generator`` and split into ``folds`` near-equal folds (a partition).
For each fold the model is re-estimated on the other rows only — all training sets of
all repetitions in **one batched call** (a training set is a 0/1 row weighting, the
same device as the bootstrap) — and the held-out rows are predicted:

1. standardize the held-out items with the *training* means and SDs;
2. construct scores = standardized items × training weights;
3. endogenous construct scores are predicted from the scores of the exogenous
   constructs through the total effects (``approach="earliest"``, SmartPLS and
   Shmueli et al. 2016), or from the scores of each construct's direct predecessors
   through the path coefficients (``approach="direct"``, seminr's default ``predict_DA``);
4. indicator predictions = predicted construct score × loading, back in the item
   metric with the training mean and SD.

The fit's own estimates are used (PLSc-corrected loadings and paths when
``consistent=True``; PLSpredict was defined for PLS-PM). Predictions of a row are
averaged over the repetitions; so is the naive benchmark (the training mean of the
item). Metrics per endogenous indicator: RMSE, MAE and Q²_predict = 1 - Σ(y - ŷ)² /
Σ(y - ȳ_train)²; the linear-model benchmark regresses each endogenous indicator (OLS
with intercept, training rows) on the indicators of the exogenous constructs
(``"earliest"``) or of the construct's direct predecessors (``"direct"``). Per
endogenous construct: the same metrics for the predicted construct score against the
score built from the held-out row's own items (training weights), naive benchmark 0.

Example
-------
>>> import satmodel as sm
>>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
>>> pr = res.predict(folds=5, repetitions=2, seed=1)
>>> list(pr.indicators.columns)
['construct', 'indicator', 'rmse', 'mae', 'q2_predict', 'lm_rmse', 'lm_mae', 'lm_q2_predict']
>>> pr.folds.shape
(2, 250)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import _validate as valid
from .._linalg import solve
from ..engine.refit import Refit
from ..errors import DataError, EstimationError
from ..spec.model import ModelSpec
from ..tables import nullable

__all__ = ["PredictResult", "predict_pls", "assign_folds"]

APPROACHES = ("earliest", "direct")


@dataclass(frozen=True, eq=False)
class PredictResult:
    """Cross-validated predictions and their accuracy.

    Attributes
    ----------
    indicators : DataFrame
        construct, indicator, rmse, mae, q2_predict, lm_rmse, lm_mae, lm_q2_predict
        (one row per indicator of an endogenous construct).
    constructs : DataFrame
        construct, rmse, mae, q2_predict (endogenous constructs, standardized scores).
    predictions, lm_predictions : DataFrame
        Out-of-sample predictions of the endogenous indicators (item metric, averaged
        over repetitions); the input's row index.
    folds : ndarray of int, shape (repetitions, n)
        Fold number of every row in every repetition.
    approach : str
    seed : int or None
    """

    indicators: pd.DataFrame
    constructs: pd.DataFrame
    predictions: pd.DataFrame
    lm_predictions: pd.DataFrame
    folds: np.ndarray
    approach: str
    seed: Any


def assign_folds(n: int, folds: int, repetitions: int, rng: np.random.Generator) -> np.ndarray:
    """Fold number of each of ``n`` rows per repetition: shuffled, near-equal sizes.

    >>> import numpy as np
    >>> f = assign_folds(10, 3, 2, np.random.default_rng(0))
    >>> f.shape, sorted(np.bincount(f[0]).tolist())
    ((2, 10), [3, 3, 4])
    """
    out = np.empty((repetitions, n), dtype=int)
    for r in range(repetitions):
        perm = rng.permutation(n)
        for f, rows in enumerate(np.array_split(perm, folds)):
            out[r, rows] = f
    return out


def _metrics(y: np.ndarray, yhat: np.ndarray, naive: np.ndarray) -> tuple[np.ndarray, ...]:
    err = y - yhat
    rmse = np.sqrt(np.mean(err**2, axis=0))
    mae = np.mean(np.abs(err), axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        q2 = 1.0 - np.sum(err**2, axis=0) / np.sum((y - naive) ** 2, axis=0)
    return rmse, mae, np.where(np.isfinite(q2), q2, np.nan)


def check_options(n: int, folds: Any, repetitions: Any, approach: Any, seed: Any = None) -> None:
    """Validate the PLSpredict options once (one message format)."""
    valid.choice("predict", "approach", approach, APPROACHES)
    valid.seed("predict", seed)
    valid.integer("predict", "folds", folds, minimum=2, maximum=n)
    valid.integer("predict", "repetitions", repetitions)


def predict_pls(spec: ModelSpec, refit: Refit, *, folds: int = 10, repetitions: int = 10,
                seed: int | None = None, approach: str = "earliest") -> PredictResult:
    """Run PLSpredict on a fitted model (``res.predict(...)``).

    Parameters
    ----------
    spec, refit
        The model and its :class:`~satmodel.engine.Refit` (respondent rows and options).
    folds : int
        Number of folds k (SmartPLS default 10).
    repetitions : int
        Number of repetitions with fresh fold assignments (SmartPLS default 10).
    seed : int, optional
        Seed of the ``numpy.random.Generator`` that draws the folds.
    approach : {"earliest", "direct"}
        Predict endogenous scores from the exogenous constructs (total effects) or from
        the direct predecessors (path coefficients); also selects the LM benchmark's
        predictors.

    Returns
    -------
    PredictResult
    """
    data = refit.survey
    check_options(data.X.shape[0], folds, repetitions, approach, seed)
    if not np.all(np.isfinite(data.X)):
        raise DataError("predict() needs complete rows; the fitted data hold missing values")
    if not spec.endogenous:
        raise EstimationError("predict() needs at least one endogenous construct (a path)")
    X = data.X
    n, p = X.shape
    lay = refit.layout
    J = lay.n_constructs
    pos = {c: i for i, c in enumerate(spec.construct_names)}
    endo_c = np.array([pos[c] for c in spec.endogenous])
    exo_c = np.array([j for j in range(J) if j not in set(endo_c)])
    targets = np.flatnonzero(np.isin(lay.block_of, endo_c))

    fold_of = assign_folds(n, folds, repetitions, np.random.default_rng(seed))
    train = (fold_of[:, None, :] != np.arange(folds)[None, :, None]).reshape(-1, n)
    fitted = refit.fit(train.astype(float))
    mom, est = fitted.moments, fitted.estimate
    if not np.all(est.converged):
        raise EstimationError(f"PLS did not converge on {int((~est.converged).sum())} training "
                              "sets; raise max_iter in the fit or use fewer folds")

    # held-out rows of each training set, predicted with that set's estimates
    block_pos = {c: k for k, c in enumerate(endo_c)}
    cols = np.array([block_pos[c] for c in lay.block_of[targets]])
    lm_beta, lm_src = _lm_coefficients(mom, lay, targets, exo_c, approach)
    if not all(np.isfinite(beta).all() for beta in lm_beta):
        raise EstimationError("the linear-model benchmark is singular in a training set: the "
                              "predictor items are collinear there; use fewer folds")
    t = targets.size
    y_pls, y_lm, naive = (np.zeros((n, t)) for _ in range(3))
    h_true, h_pred = np.zeros((n, endo_c.size)), np.zeros((n, endo_c.size))
    for b in range(train.shape[0]):
        rows = np.flatnonzero(~train[b])
        mean, std = mom.mean[b], mom.std[b]
        H = ((X[rows] - mean) / std) @ (est.weights[b][:, None] * lay.membership)
        if approach == "earliest":
            Hhat = H[:, exo_c] @ est.total[b][np.ix_(exo_c, endo_c)]
        else:
            Hhat = H @ est.paths[b][:, endo_c]
        y_pls[rows] += mean[targets] + std[targets] * Hhat[:, cols] * est.loadings[b][targets]
        for k, (src, beta) in enumerate(zip(lm_src, lm_beta)):
            y_lm[rows, k] += mean[targets[k]] + (X[np.ix_(rows, src)] - mean[src]) @ beta[b]
        naive[rows] += mean[targets]
        h_true[rows] += H[:, endo_c]
        h_pred[rows] += Hhat
    y_pls, y_lm, naive, h_true, h_pred = (a / repetitions for a in (y_pls, y_lm, naive, h_true, h_pred))

    Y = X[:, targets]
    rm, ma, q2 = _metrics(Y, y_pls, naive)
    lrm, lma, lq2 = _metrics(Y, y_lm, naive)
    names = list(spec.indicator_names)
    tnames = [names[k] for k in targets]
    ind = pd.DataFrame({"construct": [spec.construct_names[lay.block_of[k]] for k in targets],
                        "indicator": tnames, "rmse": rm, "mae": ma, "q2_predict": q2,
                        "lm_rmse": lrm, "lm_mae": lma, "lm_q2_predict": lq2})
    crm, cma, cq2 = _metrics(h_true, h_pred, np.zeros_like(h_true))
    con = pd.DataFrame({"construct": list(spec.endogenous), "rmse": crm, "mae": cma,
                        "q2_predict": cq2})
    ind = nullable(ind, "q2_predict", "lm_q2_predict")
    con = nullable(con, "q2_predict")
    return PredictResult(
        indicators=ind, constructs=con,
        predictions=pd.DataFrame(y_pls, index=data.index.copy(), columns=tnames),
        lm_predictions=pd.DataFrame(y_lm, index=data.index.copy(), columns=tnames),
        folds=fold_of, approach=approach, seed=seed)


def _lm_coefficients(mom, lay, targets, exo_c, approach):
    """OLS slopes (training moments; intercept implied by the means) per target item.

    Returns the list of slope arrays (B, q_k) and of predictor item indices.
    """
    cov = mom.corr * mom.std[:, :, None] * mom.std[:, None, :]
    betas, sources = [], []
    for k in targets:
        j = lay.block_of[k]
        src = exo_c if approach == "earliest" else np.flatnonzero(lay.adjacency[:, j])
        xs = np.flatnonzero(np.isin(lay.block_of, src))
        Cxx = cov[:, xs[:, None], xs[None, :]]
        betas.append(solve(Cxx, cov[:, xs, k]))
        sources.append(xs)
    return betas, sources

