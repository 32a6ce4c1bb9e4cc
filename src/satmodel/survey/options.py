"""Survey options, one object shared by :func:`~satmodel.fit_pls`, :func:`~satmodel.fit_cbsem`
and the CLI: missing-data treatment, survey codes, reverse items, sampling weights.

>>> from satmodel.survey import SurveyOptions
>>> SurveyOptions(na_values=-99, missing="mean").na_values
(-99.0,)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
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
    scales : dict item -> (min, max)
        Answer scales declared (or overridden) for items at fit time, as ``scale_min``/
        ``scale_max`` on the spec's indicators would: values outside are refused, the
        index and reverse coding use them, and values that merely look like survey
        codes (99, -9) are accepted as answers inside a declared scale.
    correlation : {"pearson", "spearman", "polychoric"}
        The item correlations the estimator is fitted to (``fit_pls(correlation=...)``):
        Pearson (default), Spearman ranks, or polychoric/polyserial for ordinal items
        (docs/methods.md; ``satmodel.moments.ordinal``). Recorded so a result read back from
        JSON says which it was.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    missing: Literal["error", "casewise", "listwise", "mean", "pairwise", "em", "fiml"] = "error"
    na_values: Union[tuple[float, ...], dict[str, tuple[float, ...]]] = ()
    reverse: tuple[str, ...] = ()
    weights: str | None = None
    missing_warn: float = Field(0.05, ge=0, le=1)
    scales: dict[str, tuple[float, float]] = {}
    correlation: Literal["pearson", "spearman", "polychoric"] = "pearson"

    @field_validator("scales")
    @classmethod
    def _ordered(cls, value: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
        for item, (low, high) in value.items():
            if not (math.isfinite(low) and math.isfinite(high) and low < high):
                raise ValueError(f"scale of {item!r} is ({low}, {high}): give finite MIN < MAX")
        return value

    def apply_scales(self, spec: Any) -> Any:
        """``spec`` with the declared ``scales`` set on its indicators (the spec itself
        when there are none); an unknown item raises OptionError."""
        if not self.scales:
            return spec
        from ..errors import OptionError, suggest

        items = spec.indicator_names
        unknown = [k for k in self.scales if k not in items]
        if unknown:
            raise OptionError(f"invalid option scales={dict(self.scales)!r}: {unknown[0]!r} is "
                              f"not an indicator of model {spec.name!r}.{suggest(unknown[0], items)}")
        constructs = [c.model_copy(update={"indicators": [
            i.model_copy(update=dict(zip(("scale_min", "scale_max"), self.scales[i.name])))
            if i.name in self.scales else i for i in c.indicators]}) for c in spec.constructs]
        return type(spec).model_validate(spec.model_copy(update={"constructs": constructs}).model_dump())

    @field_validator("na_values", mode="before")
    @classmethod
    def _codes(cls, value: Any) -> Any:
        def as_tuple(v: Any) -> Any:
            if v is None:
                return ()
            if isinstance(v, (bool, np.bool_)):
                raise ValueError("a code such as -99 or a list of codes, not True/False")
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
        try:
            if isinstance(value, Mapping):
                return {str(k): as_tuple(v) for k, v in value.items()}
            return as_tuple(value)
        except OverflowError:
            raise ValueError("codes must be numbers within the float range") from None

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
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, Iterable) or isinstance(value, Mapping):
            raise ValueError("item names (a name or a list of names)")
        return tuple(value)

    @field_validator("missing_warn", mode="before")
    @classmethod
    def _share(cls, value: Any) -> Any:
        if isinstance(value, (bool, np.bool_, str, bytes)):
            raise ValueError("a share from 0 to 1 (a number)")
        return value
