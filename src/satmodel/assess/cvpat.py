"""CVPAT: the cross-validated predictive ability test (Liengaard et al. 2021).

Liengaard, Sharma, Hult, Jensen, Sarstedt, Hair & Ringle (2021), Prediction: coveted,
yet forsaken? Introducing a cross-validated predictive ability test in partial least
squares path modeling, Decision Sciences 52(2); Sharma, Liengaard, Hair, Sarstedt &
Ringle (2023), Predictive model assessment and selection in composite-based modeling
using PLS-SEM: extensions and guidelines for using CVPAT, European Journal of
Marketing 57(6).

Both models predict the same rows from the same training sets (k-fold PLSpredict,
:mod:`satmodel.assess.predict_methods`). A row's loss is its mean squared prediction
error over the model's endogenous items (averaged over the repetitions when there are
several); with D_i = L_reference,i - L_model,i the test statistic is the paired t

    t = mean(D) / (sd(D) / √N),   df = N - 1,

as cSEM's ``testCVPAT`` computes it (D > 0: the model predicts better). Rows:

- ``model_vs_b``: model ``a`` against model ``b`` (each with its own endogenous
  items), ``alternative="two-sided"`` (cSEM's default), ``"greater"`` (H1: ``a``
  predicts better, p = P(T ≥ t); cSEM's one-sided test) or ``"less"`` (H1: ``a``
  predicts worse, p = P(T ≤ t)) — scipy's names, as :meth:`PLSResult.test` uses;
- ``vs_indicator_average``: ``a`` against the training mean of each item (IA);
- ``vs_linear_model``: ``a`` against the linear-model benchmark (``benchmark=``
  convention). The benchmark tests are one-sided (``"greater"``), H1: the model predicts
  better (Sharma et al. 2023).

>>> import satmodel as sm
>>> df = sm.datasets.load("ecsi_satisfaction")
>>> a = sm.fit_pls(sm.templates.ecsi(), df)
>>> out = sm.cvpat(a, folds=10, seed=1)
>>> list(out.columns)
['test', 'loss', 'loss_reference', 'mean_diff', 'statistic', 'df', 'p', 'alternative']
>>> out.test.tolist()
['vs_indicator_average', 'vs_linear_model']
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .. import _validate as valid
from ..errors import DataError, EstimationError, OptionError
from .predict import assign_folds, check_options, run_cv

__all__ = ["ALTERNATIVES", "canonical_alternative", "cvpat", "paired_t"]

ALTERNATIVES = ("two-sided", "greater", "less")
#: earlier spellings still read, mapped to the canonical name
ALIASES = {"one-sided": "greater"}


def canonical_alternative(given: Any, verb: str = "cvpat") -> str:
    """``given`` as one of :data:`ALTERNATIVES` ("one-sided" reads as "greater").

    >>> canonical_alternative("one-sided")
    'greater'
    """
    if isinstance(given, str) and given in ALIASES:
        return ALIASES[given]
    return valid.choice(verb, "alternative", given, ALTERNATIVES)


def paired_t(loss: np.ndarray, loss_reference: np.ndarray, alternative: str) -> dict[str, Any]:
    """The CVPAT statistic of per-row losses (D = reference - model); ``alternative`` as
    for :func:`cvpat`.

    >>> r = paired_t(np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.5, 4.5]), "greater")
    >>> round(r["statistic"], 6), r["df"]
    (3.464102, 2)
    """
    alternative = canonical_alternative(alternative)
    D = np.asarray(loss_reference, dtype=float) - np.asarray(loss, dtype=float)
    N = D.size
    sd = D.std(ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = D.mean() / (sd / np.sqrt(N))
    if not np.isfinite(t):
        t = np.nan
    p = {"two-sided": lambda: 2.0 * stats.t.sf(abs(t), N - 1),
         "greater": lambda: stats.t.sf(t, N - 1),
         "less": lambda: stats.t.cdf(t, N - 1)}[alternative]()
    return {"loss": float(np.mean(loss)), "loss_reference": float(np.mean(loss_reference)),
            "mean_diff": float(D.mean()), "statistic": float(t), "df": N - 1,
            "p": float(p), "alternative": alternative}


def cvpat(res_a: Any, res_b: Any = None, *, folds: Any = 10, repetitions: int = 1,
          approach: str = "earliest", seed: Any = None, method: str | None = None,
          benchmark: str = "satmodel", alternative: str = "two-sided") -> pd.DataFrame:
    """Cross-validated predictive ability test of ``res_a`` (against ``res_b`` and benchmarks).

    Parameters
    ----------
    res_a, res_b : PLSResult
        Fits on the same respondent rows (``res_b`` optional: then only the benchmark tests).
    folds : int or array of int
        Number of folds (``folds=n`` is leave-one-out), or fold labels of shape (n,) or
        (repetitions, n), as for :meth:`PLSResult.predict`.
    repetitions : int
        Fresh fold assignments; row losses are averaged over them.
    approach : {"earliest", "direct"}
    seed : int, optional
    method, benchmark
        As for :func:`satmodel.assess.predict_pls` (``method`` None: each fit's default).
    alternative : {"two-sided", "greater", "less"}
        For the model comparison (H1 of "greater": ``res_a`` predicts better; "less": worse),
        scipy's names as in :meth:`PLSResult.test`. The earlier spelling ``"one-sided"`` is
        still accepted and means ``"greater"`` (the ``alternative`` column then says
        ``"greater"``). The benchmark tests are always ``"greater"``.

    Returns
    -------
    DataFrame
        test, loss (mean loss of ``res_a``), loss_reference, mean_diff, statistic, df, p,
        alternative; ``attrs["folds"]`` holds the fold labels used.
    """
    alternative = canonical_alternative(alternative)
    for name, res in (("res_a", res_a), ("res_b", res_b)):
        if res is not None and not callable(getattr(res, "refit_with_rows", None)):
            raise OptionError(f"cvpat: {name} must be a PLS result fitted from rows "
                              f"(sm.fit_pls(spec, data)), got {type(res).__name__}")
    refit_a = res_a.refit_with_rows("cvpat")
    n = refit_a.survey.X.shape[0]
    labels = check_options(n, folds, repetitions, approach, seed, "cvpat")
    if labels is None:
        labels = assign_folds(n, folds, repetitions, np.random.default_rng(seed))
    common = dict(folds=labels, repetitions=1, seed=None, approach=approach, method=method,
                  benchmark=benchmark, verb="cvpat")
    cv_a, _, _ = run_cv(res_a.spec, refit_a, **common)
    loss_a = _row_loss(refit_a.survey.X[:, cv_a.targets], cv_a.model)
    Y = refit_a.survey.X[:, cv_a.targets]
    rows = []
    if res_b is not None:
        refit_b = res_b.refit_with_rows("cvpat")
        _same_rows(res_a, res_b)
        cv_b, _, _ = run_cv(res_b.spec, refit_b, **common)
        loss_b = _row_loss(refit_b.survey.X[:, cv_b.targets], cv_b.model)
        rows.append({"test": "model_vs_b", **paired_t(loss_a, loss_b, alternative)})
    rows.append({"test": "vs_indicator_average",
                 **paired_t(loss_a, _row_loss(Y, cv_a.naive), "greater")})
    rows.append({"test": "vs_linear_model",
                 **paired_t(loss_a, _row_loss(Y, cv_a.lm), "greater")})
    out = pd.DataFrame(rows)
    out = out.astype({"statistic": "Float64", "p": "Float64"})
    for c in ("statistic", "p"):
        out[c] = out[c].mask(out[c].isna(), pd.NA)
    out.attrs["folds"] = labels
    return out


def _row_loss(Y: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """Mean squared error over the items per row, averaged over repetitions: (n,)."""
    return np.mean((Y[None, :, :] - pred) ** 2, axis=2).mean(axis=0)


def _same_rows(res_a: Any, res_b: Any) -> None:
    """Both fits must hold the same respondents (cSEM checks the shared columns too)."""
    sa, sb = res_a.survey, res_b.survey
    if sa.X.shape[0] != sb.X.shape[0] or not sa.index.equals(sb.index):
        raise DataError("cvpat() compares two fits of the same respondents: res_a has "
                        f"{sa.X.shape[0]} rows, res_b {sb.X.shape[0]} (or other row labels); "
                        "fit both models on the same data")
    names_a, names_b = list(res_a.spec.indicator_names), list(res_b.spec.indicator_names)
    for k, name in enumerate(names_a):
        if name in names_b and not np.array_equal(sa.X[:, k], sb.X[:, names_b.index(name)],
                                                  equal_nan=True):
            raise DataError(f"cvpat(): column {name!r} differs between the two fits; fit both "
                            "models on the same data")
    if not res_b.spec.endogenous:
        raise EstimationError("cvpat(): res_b has no endogenous construct to predict")
