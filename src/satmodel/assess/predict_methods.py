"""Out-of-sample predictions of the endogenous items on every training set (PLSpredict).

One call of :func:`cv_predictions` refits the model on all training sets at once (a
training set is a 0/1 row weighting) and predicts each held-out row with that set's
estimates, keeping every repetition apart (CVPAT needs the per-repetition losses).

Prediction methods (``method=``):

- ``"composite"`` (Shmueli et al. 2016; SmartPLS, cSEM ``predict``, seminr <= 2.5): the
  held-out items, standardized with the training means and SDs, times the training
  weights give construct scores; endogenous scores follow from the exogenous scores
  through the total effects (``approach="earliest"``) or from each construct's direct
  predecessors through the paths (``"direct"``); item prediction = score x loading.
  With PLSc this applies disattenuated paths and loadings to composite scores.
- ``"implied"`` (de Rooij, Karch, Fokkema, Bakk, Pratiwi & Kelderman 2023, SEM-based
  out-of-sample predictions, Structural Equation Modeling 30(1)): the conditional
  expectation of the standardized endogenous items given the predictor items under the
  *model-implied* indicator correlation matrix Σ of the estimated model
  (:func:`satmodel.tables.model_fit.implied_corr`, cSEM's ``fit()``):
  ẑ_y = Σ_yx Σ_xx⁻¹ z_x, with x the items of the exogenous constructs (``"earliest"``) or
  of the target construct's direct predecessors (``"direct"``). For PLSc this is the
  estimand the disattenuated estimates describe.

Linear-model benchmarks (``benchmark=``), OLS on the training rows of each endogenous item:

- ``"satmodel"``: on the items of the exogenous constructs (``"earliest"``) or of the
  construct's direct predecessors (``"direct"``), with intercept;
- ``"csem"`` (cSEM ``predict(.benchmark = "lm")``): on the exogenous items in the raw
  metric, **without** intercept, whatever the approach;
- ``"seminr"`` (seminr ``predict_pls``, ``lm(y ~ .)``): on every model item outside the
  target's own construct, with intercept.

>>> import numpy as np, satmodel as sm
>>> from satmodel.assess.predict_methods import cv_predictions
>>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
>>> folds = np.arange(250)[None, :] % 5
>>> cv = cv_predictions(res.spec, res.refit, folds, "earliest", "composite", "satmodel")
>>> cv.model.shape  # repetitions x rows x endogenous items
(1, 250, 22)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._linalg import solve
from ..engine.refit import Refit
from ..errors import EstimationError
from ..spec.model import ModelSpec
from ..tables.model_fit import implied_corr

__all__ = ["CVPredictions", "cv_predictions", "METHODS", "BENCHMARKS"]

METHODS = ("composite", "implied")
BENCHMARKS = ("satmodel", "csem", "seminr")


@dataclass(frozen=True)
class CVPredictions:
    """Held-out predictions per repetition, item metric; arrays (repetitions, n, ·)."""

    model: np.ndarray  # (r, n, t) the model's predictions of the endogenous items
    lm: np.ndarray  # (r, n, t) the linear-model benchmark
    naive: np.ndarray  # (r, n, t) the training mean (indicator-average benchmark)
    score_true: np.ndarray  # (r, n, e) held-out composite scores (training weights)
    score_pred: np.ndarray  # (r, n, e) their predictions
    targets: np.ndarray  # (t,) indicator positions of the endogenous items
    endogenous: np.ndarray  # (e,) construct positions of the endogenous constructs


def cv_predictions(spec: ModelSpec, refit: Refit, fold_of: np.ndarray, approach: str,
                   method: str, benchmark: str) -> CVPredictions:
    """Predict every row from the training sets that leave it out (``fold_of``: (r, n))."""
    X = refit.survey.X
    n = X.shape[0]
    lay = refit.layout
    J = lay.n_constructs
    pos = {c: i for i, c in enumerate(spec.construct_names)}
    endo_c = np.array([pos[c] for c in spec.endogenous])
    exo_c = np.array([j for j in range(J) if j not in set(endo_c)])
    targets = np.flatnonzero(np.isin(lay.block_of, endo_c))
    reps = fold_of.shape[0]
    n_folds = int(fold_of.max()) + 1
    labels = np.arange(n_folds)
    train = (fold_of[:, None, :] != labels[None, :, None]).reshape(-1, n)
    used = train.sum(axis=1) < n  # folds a repetition does not use (explicit labels)
    fitted = refit.fit(train.astype(float))
    mom, est = fitted.moments, fitted.estimate
    bad = ~np.asarray(est.converged) & used
    if bad.any():
        raise EstimationError(f"PLS did not converge on {int(bad.sum())} training sets; raise "
                              "max_iter in the fit or use fewer folds")
    Sigma = implied_corr(fitted.corr, est, lay, "estimated") if method == "implied" else None
    lm = _LinearBenchmark(X, mom, lay, targets, exo_c, approach, benchmark, train)

    block_pos = {c: k for k, c in enumerate(endo_c)}
    cols = np.array([block_pos[c] for c in lay.block_of[targets]])
    t, e = targets.size, endo_c.size
    out = {k: np.zeros((reps, n, d)) for k, d in
           (("model", t), ("lm", t), ("naive", t), ("score_true", e), ("score_pred", e))}
    for b in np.flatnonzero(used):
        r = b // n_folds
        rows = np.flatnonzero(~train[b])
        mean, std = mom.mean[b], mom.std[b]
        Z = (X[rows] - mean) / std
        W = est.weights[b][:, None] * lay.membership
        H = Z @ W
        if method == "implied":
            Zhat = _implied(Sigma[b], Z, lay, targets, exo_c, endo_c, approach, b)
            Hhat = np.zeros((rows.size, e))
            for k, j in enumerate(endo_c):
                Hhat[:, k] = Zhat[:, cols == k] @ est.weights[b][targets[cols == k]]
        else:
            if approach == "earliest":
                Hhat = H[:, exo_c] @ est.total[b][np.ix_(exo_c, endo_c)]
            else:
                Hhat = H @ est.paths[b][:, endo_c]
            Zhat = Hhat[:, cols] * est.loadings[b][targets]
        out["model"][r, rows] = mean[targets] + std[targets] * Zhat
        out["lm"][r, rows] = lm.predict(b, rows)
        out["naive"][r, rows] = mean[targets]
        out["score_true"][r, rows] = H[:, endo_c]
        out["score_pred"][r, rows] = Hhat
    return CVPredictions(targets=targets, endogenous=endo_c, **out)


def _implied(Sig, Z, lay, targets, exo_c, endo_c, approach, b):
    """ẑ of the target items: Σ_yx Σ_xx⁻¹ z_x per target block (or all at once)."""
    groups = ([(exo_c, targets)] if approach == "earliest" else
              [(np.flatnonzero(lay.adjacency[:, j]), np.flatnonzero(lay.block_of == j))
               for j in endo_c])
    Zhat = np.zeros((Z.shape[0], targets.size))
    where = {k: i for i, k in enumerate(targets)}
    for src, ys in groups:
        xs = np.flatnonzero(np.isin(lay.block_of, src))
        Sxx = Sig[np.ix_(xs, xs)]
        if not np.all(np.isfinite(Sxx)) or np.linalg.eigvalsh(Sxx)[0] <= 1e-12:
            raise EstimationError(
                f"training set {b}: the model-implied correlations of the predictor items "
                "are not positive definite (an inadmissible PLSc solution); use "
                "method='composite' or fewer folds")
        coef = np.linalg.solve(Sxx, Sig[np.ix_(xs, ys)])
        Zhat[:, [where[k] for k in ys]] = Z[:, xs] @ coef
    return Zhat


class _LinearBenchmark:
    """OLS predictions of every target item on the training rows, by convention."""

    def __init__(self, X, mom, lay, targets, exo_c, approach, benchmark, train):
        self.X, self.mom, self.targets, self.benchmark = X, mom, targets, benchmark
        if benchmark == "csem":
            xs = np.flatnonzero(np.isin(lay.block_of, exo_c))
            self.sources = [xs] * targets.size
            Xs = X[:, xs]
            A = np.einsum("bn,np,nq->bpq", train.astype(float), Xs, Xs)
            C = np.einsum("bn,np,nt->bpt", train.astype(float), Xs, X[:, targets])
            self.beta = [solve(A, C[:, :, k]) for k in range(targets.size)]
        else:
            self.sources = []
            for k in targets:
                j = lay.block_of[k]
                if benchmark == "seminr":
                    src = np.flatnonzero(lay.block_of != j)
                else:
                    cons = exo_c if approach == "earliest" else np.flatnonzero(lay.adjacency[:, j])
                    src = np.flatnonzero(np.isin(lay.block_of, cons))
                self.sources.append(src)
            cov = mom.corr * mom.std[:, :, None] * mom.std[:, None, :]
            self.beta = [solve(cov[:, xs[:, None], xs[None, :]], cov[:, xs, k])
                         for k, xs in zip(targets, self.sources)]
        if not all(np.isfinite(beta).all() for beta in self.beta):
            raise EstimationError("the linear-model benchmark is singular in a training set: "
                                  "the predictor items are collinear there; use fewer folds")

    def predict(self, b: int, rows: np.ndarray) -> np.ndarray:
        out = np.empty((rows.size, self.targets.size))
        mean = self.mom.mean[b]
        for k, (src, beta) in enumerate(zip(self.sources, self.beta)):
            if self.benchmark == "csem":
                out[:, k] = self.X[np.ix_(rows, src)] @ beta[b]
            else:
                out[:, k] = mean[self.targets[k]] + (self.X[np.ix_(rows, src)] - mean[src]) @ beta[b]
        return out
