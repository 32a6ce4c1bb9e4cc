"""Survey options, one object shared by :func:`~satmodel.fit_pls`, :func:`~satmodel.fit_cbsem`
and the CLI: missing-data treatment, survey codes, reverse items, sampling weights.

>>> from satmodel.survey import SurveyOptions
>>> SurveyOptions(na_values=-99, missing="mean").na_values
(-99.0,)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal, Union

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["SurveyOptions", "MISSING"]

#: every treatment; each verb says which it supports (fit_pls: error, casewise, mean,
#: pairwise, em; fit_cbsem: error, listwise/casewise, fiml)
MISSING = ("error", "casewise", "listwise", "mean", "pairwise", "em", "fiml")


class SurveyOptions(BaseModel):
    """How the survey rows are read before any estimator sees them.

    Attributes
    ----------
    missing : {"error", "casewise", "listwise", "mean", "pairwise", "em", "fiml"}
        Treatment of missing answers (NaN cells and ``na_values`` codes) in the model's
        items (docs/methods.md §6.7). ``"error"`` (default) refuses them; ``"casewise"``
        (alias ``"listwise"``) drops every respondent with a missing item; ``"mean"``
        replaces a missing cell by the (weighted) mean of the item's observed values,
        then standardizes (seminr, SmartPLS, Hair et al. 2021); ``"pairwise"`` computes
        each correlation from the respondents who answered both items, item means and
        SDs from all who answered the item; ``"em"`` uses the EM (multivariate normal ML)
        estimates of means and covariances, the covariances rescaled by n/(n - 1);
        ``"fiml"`` (CB-SEM only) full-information ML. The moment treatments are applied
        to every reweighting (bootstrap resample, group, training fold) the same way.
        Respondent scores: mean-replaced cells for ``"mean"`` and ``"pairwise"``;
        conditional expectations under the EM moments for ``"em"``. See
        ``res.missing_report``.
    na_values : tuple of float, or dict item -> tuple of float
        Codes read as missing before anything else (e.g. ``-99``, or ``{"Q1": (98, 99)}``
        per item): "don't know" and refusal codes. A scalar is read as a 1-tuple.
    reverse : tuple of str
        Reverse-coded items: ``x' = scale_min + scale_max - x`` after ``na_values`` and
        the scale check; each must be an indicator with a declared scale
        (``Indicator.scale_min``/``scale_max``).
    weights : str or None
        Sampling weights: the data column they were read from, ``"<array>"`` when
        given as an array, None when unweighted. Weights are rescaled to sum to the
        number of respondents, so equal weights give exactly the unweighted fit and
        ``n_obs`` stays the number of respondents; all moments (means, SDs,
        correlations) are weighted (weighted PLS, Becker & Ismail 2016), so scores,
        index and IPMA are weighted too; the bootstrap resamples respondents and
        carries their weights.
    missing_warn : float
        Report (``MissingDataWarning``) an item whose share of missing answers exceeds
        this (default 0.05, the Hair et al. rule of thumb for mean replacement).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    missing: Literal["error", "casewise", "listwise", "mean", "pairwise", "em", "fiml"] = "error"
    na_values: Union[tuple[float, ...], dict[str, tuple[float, ...]]] = ()
    reverse: tuple[str, ...] = ()
    weights: str | None = None
    missing_warn: float = Field(0.05, ge=0, le=1)

    @field_validator("na_values", mode="before")
    @classmethod
    def _codes(cls, value: Any) -> Any:
        def as_tuple(v: Any) -> Any:
            if v is None:
                return ()
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                return (float(v),)
            if isinstance(v, (list, tuple, set, frozenset)):
                return tuple(sorted(float(x) for x in v)) if all(
                    isinstance(x, (int, float)) and not isinstance(x, bool) for x in v) else tuple(v)
            try:  # numpy scalars and arrays
                arr = np.asarray(v, dtype=float).ravel()
                return tuple(sorted(float(x) for x in arr))
            except (TypeError, ValueError):
                return v
        if isinstance(value, Mapping):
            return {str(k): as_tuple(v) for k, v in value.items()}
        return as_tuple(value)

    @field_validator("na_values")
    @classmethod
    def _finite_codes(cls, value: Any) -> Any:
        codes = [c for v in value.values() for c in v] if isinstance(value, dict) else list(value)
        if any(math.isnan(c) for c in codes):
            raise ValueError("NaN is always missing; list only codes such as -99")
        return value

    @field_validator("reverse", mode="before")
    @classmethod
    def _items(cls, value: Any) -> Any:
        if value is None:
            return ()
        return (value,) if isinstance(value, str) else tuple(value)
