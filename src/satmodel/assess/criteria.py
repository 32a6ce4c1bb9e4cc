"""Quality criteria of a fitted PLS model as tidy frames: HTMT, Fornell-Larcker, f²,
information criteria, GoF, implied correlations and fit measures.

Formulas (batched) are in :mod:`satmodel.tables` (validity, criteria, model_fit); these
functions take a fitted result through its protocol (``spec``, ``layout``,
``estimate``, ``indicator_corr``, ``n_obs``, ``refit``, ``table(name)``).

>>> import satmodel as sm
>>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
>>> htmt(res).shape
(6, 6)
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .. import _validate as valid
from ..tables import TABLES, nullable, square
from ..tables import criteria, model_fit, validity

__all__ = ["htmt", "fornell_larcker", "f2", "information_criteria", "gof", "implied_corr",
           "fit_measures", "F2_METHODS"]

F2_METHODS = ("correlations", "reestimate")


def htmt(res: Any, geometric: bool = False) -> pd.DataFrame:
    """HTMT (``geometric=True``: HTMT2), construct x construct, ``<NA>`` where not defined."""
    names = list(res.spec.construct_names)
    return square(validity.htmt_matrix(res.indicator_corr, res.layout, geometric=geometric), names)


def fornell_larcker(res: Any) -> pd.DataFrame:
    """AVE on the diagonal, squared construct correlations off it (ADANCO, cSEM layout)."""
    names = list(res.spec.construct_names)
    ave = res.table("quality")["ave"].to_numpy(dtype=float)
    return square(validity.fornell_larcker_matrix(res.estimate.construct_corr, ave), names)


def f2(res: Any, method: str = "correlations") -> pd.DataFrame:
    """Cohen's f² of every path (source, target, f2) by the cSEM/ADANCO or seminr method."""
    valid.choice("f2", "method", method, F2_METHODS)
    if method == "correlations":
        return res.table("f2")
    mat = criteria.f2_reestimated(res.indicator_corr, res.estimate, res.refit,
                                  float(res.n_obs), res.indicator_std)
    df = TABLES["f2"].keys(res.spec).reset_index(drop=True)
    pos = {c: i for i, c in enumerate(res.spec.construct_names)}
    df["f2"] = [mat[pos[s], pos[t]] for s, t in zip(df["source"], df["target"])]
    return nullable(df, "f2")


def information_criteria(res: Any) -> pd.DataFrame:
    """cSEM's model-selection criteria per endogenous construct (incl. GM, Mallows' Cp)."""
    sat = criteria.saturated_r2(res.indicator_corr, res.refit, float(res.n_obs), res.indicator_std)
    vals = criteria.information_criteria_values(res.estimate.r2, res.layout, float(res.n_obs),
                                                mse=1.0 - sat)
    pos = {c: i for i, c in enumerate(res.spec.construct_names)}
    endo = list(res.spec.endogenous)
    df = pd.DataFrame({"construct": endo})
    for c in criteria.CRITERIA:
        df[c] = [vals[c][pos[e]] for e in endo]
    return nullable(df, *criteria.CRITERIA)


def gof(res: Any) -> float:
    """Tenenhaus' GoF (cSEM's definition); ``nan`` without endogenous constructs."""
    return float(criteria.gof_value(res.estimate, res.layout))


def implied_corr(res: Any, model: str = "estimated") -> pd.DataFrame:
    """Model-implied indicator correlations of the estimated or saturated model."""
    valid.choice("implied_corr", "model", model, model_fit.MODELS)
    names = list(res.spec.indicator_names)
    sig = model_fit.implied_corr(res.indicator_corr, res.estimate, res.layout, model)
    return pd.DataFrame(sig, index=names, columns=names)


def fit_measures(res: Any, log: str = "log10") -> pd.DataFrame:
    """The ``fit`` table with d_G in log base 10 (``"log10"``) or natural logs (``"ln"``)."""
    valid.choice("fit_measures", "log", log, ("log10", "ln"))
    df = model_fit.fit_keys()
    df["value"] = model_fit.fit_values(res.indicator_corr, res.estimate, res.layout,
                                       float(res.n_obs), log=log)
    return nullable(df, "value")
