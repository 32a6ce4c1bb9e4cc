"""PLSpredict: k-fold cross-validated prediction of the endogenous indicators.

Shmueli, Ray, Velasquez Estrada & Chatla (2016, JBR 69(10)); Shmueli et al. (2019,
EJM 53(11)). For each repetition the rows are shuffled with a seeded
``numpy.random.Generator`` and split into ``folds`` near-equal folds (a partition), or
the caller passes the fold labels. For each fold the model is re-estimated on the other
rows only — all training sets of all repetitions in **one batched call** (a training set
is a 0/1 row weighting, the same device as the bootstrap) — and the held-out rows are
predicted (:mod:`satmodel.assess.predict_methods`):

- ``method="composite"`` (default for PLS): composite scores of the held-out items,
  structural prediction (``approach="earliest"``: total effects of the exogenous
  constructs; ``"direct"``: paths from the direct predecessors), times the loadings;
- ``method="implied"`` (default for PLSc): the conditional expectation of the items
  under the model-implied correlations (de Rooij et al. 2023) — the estimand of the
  disattenuated estimates; the composite method would apply PLSc paths and loadings to
  attenuated composite scores (what cSEM and seminr <= 2.5 do).

Predictions of a row are averaged over the repetitions; so is the naive benchmark (the
training mean of the item). Metrics per endogenous indicator: RMSE, MAE and Q²_predict,
for the model and for a linear-model benchmark (``benchmark=``: ``"satmodel"``,
``"csem"`` or ``"seminr"``, see :mod:`~satmodel.assess.predict_methods`). Q²_predict
(``q2=``):

- ``"satmodel"`` (Shmueli et al. 2019, SmartPLS): 1 - Σ(y - ŷ)² / Σ(y - ȳ_train)²;
- ``"csem"`` (cSEM ``calculateq2``): both sums over residuals centred on their mean,
  1 - Σ(e - ē)² / Σ(e₀ - ē₀)², e = y - ŷ, e₀ = y - ȳ_train. (cSEM averages its metrics
  over repetitions where satmodel averages predictions: equal for one repetition.)

seminr reports RMSE and MAE only. Fits with ``correlation="polychoric"`` or
``"spearman"`` predict with the same formulas on the standardized codes (cSEM's OrdPLS
prediction, which simulates the latent normals within the thresholds, is not offered). Per endogenous construct: the same metrics for the
predicted composite score against the score built from the held-out row's own items
(training weights), naive benchmark 0.

Example
-------
>>> import satmodel as sm
>>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
>>> pr = res.predict(folds=5, repetitions=2, seed=1)
>>> list(pr.indicators.columns)
['construct', 'indicator', 'rmse', 'mae', 'q2_predict', 'lm_rmse', 'lm_mae', 'lm_q2_predict']
>>> pr.folds.shape
(2, 250)
>>> pr
PredictResult(method='composite', approach='earliest', benchmark='satmodel', q2='satmodel', folds=5, repetitions=2, rows=250, indicators=22)
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import _validate as valid
from ..engine.refit import Refit
from ..errors import DataError, EstimationError
from ..spec.model import ModelSpec
from ..tables import nullable
from .predict_methods import BENCHMARKS, METHODS, CVPredictions, cv_predictions

__all__ = ["PredictResult", "predict_pls", "assign_folds", "run_cv"]

APPROACHES = ("earliest", "direct")
Q2_CONVENTIONS = ("satmodel", "csem")


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
    approach, method, benchmark, q2 : str
        The conventions used (see the module docstring).
    seed : int or None
    """

    indicators: pd.DataFrame
    constructs: pd.DataFrame
    predictions: pd.DataFrame
    lm_predictions: pd.DataFrame
    folds: np.ndarray
    approach: str
    seed: Any
    method: str = "composite"
    benchmark: str = "satmodel"
    q2: str = "satmodel"

    def _head(self) -> str:
        reps, n = self.folds.shape
        k = int(self.folds.max()) + 1
        return (f"PredictResult(method={self.method!r}, approach={self.approach!r}, "
                f"benchmark={self.benchmark!r}, q2={self.q2!r}, folds={k}, repetitions={reps}, "
                f"rows={n}, indicators={len(self.indicators)})")

    def __repr__(self) -> str:
        return self._head()

    def __str__(self) -> str:
        table = self.indicators.to_string(index=False, float_format=lambda v: f"{v:.4f}")
        return f"{self._head()}\n{table}"

    def _repr_html_(self) -> str:
        table = self.indicators.to_html(index=False, float_format=lambda v: f"{v:.4f}",
                                        na_rep="NA")
        return (f"<div><p><code>{html.escape(self._head())}</code></p>{table}"
                "<p>Per-row predictions: <code>.predictions</code>, "
                "<code>.lm_predictions</code>.</p></div>")


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


def _metrics(y: np.ndarray, yhat: np.ndarray, naive: np.ndarray,
             q2: str = "satmodel") -> tuple[np.ndarray, ...]:
    err = y - yhat
    rmse = np.sqrt(np.mean(err**2, axis=0))
    mae = np.mean(np.abs(err), axis=0)
    base = y - naive
    if q2 == "csem":
        err = err - err.mean(axis=0)
        base = base - base.mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = 1.0 - np.sum(err**2, axis=0) / np.sum(base**2, axis=0)
    return rmse, mae, np.where(np.isfinite(value), value, np.nan)


def check_options(n: int, folds: Any, repetitions: Any, approach: Any, seed: Any = None,
                  verb: str = "predict") -> np.ndarray | None:
    """Validate the PLSpredict options once (one message format); explicit fold labels
    (an array of shape (n,) or (repetitions, n)) come back as (r, n) ints 0..k-1."""
    valid.choice(verb, "approach", approach, APPROACHES)
    valid.seed(verb, seed)
    if isinstance(folds, (int, np.integer)) and not isinstance(folds, (bool, np.bool_)):
        valid.integer(verb, "folds", folds, minimum=2, maximum=n)
        valid.integer(verb, "repetitions", repetitions)
        return None
    try:
        labels = np.asarray(folds)
    except Exception:  # noqa: BLE001 - any unconvertible object is a bad option
        labels = np.empty(0)
    if labels.ndim == 1:
        labels = labels[None, :]
    if labels.ndim != 2 or labels.shape[1] != n or labels.dtype.kind not in "iu":
        raise valid.bad(verb, "folds", folds if np.ndim(folds) == 0 else f"<array {np.shape(folds)}>",
                        f"an integer from 2 to {n}, or integer fold labels of shape ({n},) "
                        f"or (repetitions, {n})")
    out = np.empty(labels.shape, dtype=int)
    for r, row in enumerate(labels):
        uniq, out[r] = np.unique(row, return_inverse=True)
        if uniq.size < 2:
            raise valid.bad(verb, "folds", "<array>", f"at least two distinct fold labels in "
                            f"repetition {r}")
    return out


def run_cv(spec: ModelSpec, refit: Refit, *, folds: Any, repetitions: int, seed: Any,
           approach: str, method: str | None, benchmark: str,
           verb: str = "predict") -> tuple[CVPredictions, np.ndarray, str]:
    """Validate, draw (or take) the folds and predict: (predictions, folds, method)."""
    data = refit.survey
    n = data.X.shape[0]
    labels = check_options(n, folds, repetitions, approach, seed, verb)
    if method is None:
        method = "implied" if refit.options.consistent else "composite"
    valid.choice(verb, "method", method, METHODS)
    valid.choice(verb, "benchmark", benchmark, BENCHMARKS)
    if not np.all(np.isfinite(data.X)):
        raise DataError(f"{verb}() needs complete rows; the fitted data hold missing values")
    if not spec.endogenous:
        raise EstimationError(f"{verb}() needs at least one endogenous construct (a path)")
    if labels is None:
        labels = assign_folds(n, folds, repetitions, np.random.default_rng(seed))
    return cv_predictions(spec, refit, labels, approach, method, benchmark), labels, method


def predict_pls(spec: ModelSpec, refit: Refit, *, folds: Any = 10, repetitions: int = 10,
                seed: int | None = None, approach: str = "earliest", method: str | None = None,
                benchmark: str = "satmodel", q2: str = "satmodel") -> PredictResult:
    """Run PLSpredict on a fitted model (``res.predict(...)``).

    Parameters
    ----------
    spec, refit
        The model and its :class:`~satmodel.engine.Refit` (respondent rows and options).
    folds : int or array of int
        Number of folds k (SmartPLS default 10; ``folds=n`` is leave-one-out), or the fold
        label of every row, shape (n,) or (repetitions, n) (then ``repetitions`` and
        ``seed`` are not used): identical folds as another tool's run.
    repetitions : int
        Number of repetitions with fresh fold assignments (SmartPLS default 10).
    seed : int, optional
        Seed of the ``numpy.random.Generator`` that draws the folds.
    approach : {"earliest", "direct"}
        Predict from the exogenous constructs' items or from the direct predecessors'.
    method : {"composite", "implied"}, optional
        Default: ``"implied"`` for PLSc fits, ``"composite"`` for PLS.
    benchmark : {"satmodel", "csem", "seminr"}
        The linear-model benchmark's convention.
    q2 : {"satmodel", "csem"}
        Q²_predict as SmartPLS/Shmueli et al. or as cSEM (centred residuals).

    Returns
    -------
    PredictResult
    """
    valid.choice("predict", "q2", q2, Q2_CONVENTIONS)
    cv, fold_of, method = run_cv(spec, refit, folds=folds, repetitions=repetitions, seed=seed,
                                 approach=approach, method=method, benchmark=benchmark)
    data = refit.survey
    y_pls, y_lm, naive, h_true, h_pred = (a.mean(axis=0) for a in
                                          (cv.model, cv.lm, cv.naive, cv.score_true, cv.score_pred))
    targets = cv.targets
    Y = data.X[:, targets]
    rm, ma, q = _metrics(Y, y_pls, naive, q2)
    lrm, lma, lq = _metrics(Y, y_lm, naive, q2)
    names = list(spec.indicator_names)
    lay = refit.layout
    tnames = [names[k] for k in targets]
    ind = pd.DataFrame({"construct": [spec.construct_names[lay.block_of[k]] for k in targets],
                        "indicator": tnames, "rmse": rm, "mae": ma, "q2_predict": q,
                        "lm_rmse": lrm, "lm_mae": lma, "lm_q2_predict": lq})
    crm, cma, cq = _metrics(h_true, h_pred, np.zeros_like(h_true), q2)
    con = pd.DataFrame({"construct": list(spec.endogenous), "rmse": crm, "mae": cma,
                        "q2_predict": cq})
    ind = nullable(ind, "q2_predict", "lm_q2_predict")
    con = nullable(con, "q2_predict")
    return PredictResult(
        indicators=ind, constructs=con,
        predictions=pd.DataFrame(y_pls, index=data.index.copy(), columns=tnames),
        lm_predictions=pd.DataFrame(y_lm, index=data.index.copy(), columns=tnames),
        folds=fold_of, approach=approach, seed=seed, method=method, benchmark=benchmark,
        q2=q2)
