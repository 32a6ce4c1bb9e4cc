"""Options of the PLS estimator, documented once here.

>>> from satmodel.options import PLSOptions
>>> PLSOptions(scheme="centroid", consistent=True).stop
'max_abs'
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import OptionError


class PLSOptions(BaseModel):
    """How :func:`satmodel.fit_pls` estimates a model.

    Attributes
    ----------
    scheme : {"path", "centroid", "factorial"}
        Inner weighting scheme (METHODS.md 1.1). ``"path"`` is the default of SmartPLS,
        seminr and cSEM; plspm and many ADANCO runs use ``"centroid"``.
    consistent : bool
        Consistent PLS (PLSc, Dijkstra & Henseler 2015): loadings and construct
        correlations of common-factor constructs are corrected with rho_A.
    tol : float
        Convergence tolerance of the ``stop`` quantity.
    max_iter : int
        Iteration limit; reaching it gives a ``ConvergenceWarning`` and ``converged=False``.
    stop : {"max_abs", "sum_abs", "sum_sq"}
        ``"max_abs"``: max |w_new - w_old| of the normalized weights (SmartPLS, ADANCO,
        cSEM); ``"sum_abs"``: the sum of those changes (seminr, use tol=1e-7,
        max_iter=300 to reproduce it); ``"sum_sq"``: sum of squared changes of the
        absolute un-normalized loop weights (R plspm, tol=1e-6, max_iter=100).
    missing : {"error", "casewise", "mean", "pairwise", "em"}
        Treatment of missing answers (NaN cells and ``na_values`` codes) in the model's
        items (METHODS.md 6.7). ``"error"`` (default) refuses them; ``"casewise"`` drops
        every respondent with a missing item; ``"mean"`` replaces a missing cell by the
        (weighted) mean of the item's observed values, then standardizes (seminr,
        SmartPLS, Hair et al. 2021); ``"pairwise"`` computes each correlation from the
        respondents who answered both items, item means and SDs from all who answered
        the item; ``"em"`` uses the EM (multivariate normal ML) estimates of means and
        covariances, the covariances rescaled by n/(n - 1). The treatment is applied
        inside :func:`satmodel.fit.survey_moments`, so every bootstrap resample is
        treated the same way (mean replacement, pairwise moments and EM are recomputed
        on the resample). Respondent scores: mean-replaced cells for ``"mean"`` and
        ``"pairwise"``; conditional expectations under the EM moments for ``"em"``.
        See ``res.missing_report``.
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
        ``n_obs`` stays the number of respondents; integer weights give the means,
        correlations and every standardized estimate of the replicated rows. All moments
        (means, SDs, correlations) are weighted (weighted PLS, Becker & Ismail 2016), so
        scores, index and IPMA are weighted too; the bootstrap resamples respondents
        and carries their weights.
    scaled : bool
        True (default): PLS on standardized items, as SmartPLS, seminr, cSEM and ADANCO.
        False: Mode A weights follow the covariances of the centred raw items (R plspm
        ``scaled = FALSE``, LVPLS's metric option; METHODS.md 1.2 and 6.1 convention 2).
        Results stay in the standardized metric (weights on z-scores, loadings as
        correlations); not with ``consistent=True``.
    missing_warn : float
        Warn (``MissingDataWarning``) when an item's share of missing answers exceeds
        this (default 0.05, the Hair et al. rule of thumb for mean replacement).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    scheme: Literal["path", "centroid", "factorial"] = "path"
    consistent: bool = False
    tol: float = Field(1e-7, gt=0, lt=1)
    max_iter: int = Field(300, ge=1, le=1_000_000)
    stop: Literal["max_abs", "sum_abs", "sum_sq"] = "max_abs"
    missing: Literal["error", "casewise", "mean", "pairwise", "em"] = "error"
    na_values: Union[tuple[float, ...], dict[str, tuple[float, ...]]] = ()
    reverse: tuple[str, ...] = ()
    weights: str | None = None
    missing_warn: float = Field(0.05, ge=0, le=1)
    scaled: bool = True

    @model_validator(mode="after")
    def _scaled_needs_pls(self) -> PLSOptions:
        if not self.scaled and self.consistent:
            raise ValueError("consistent PLS needs standardized items: use scaled=True")
        return self

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
                import numpy as np

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

    @classmethod
    def build(cls, **kwargs) -> PLSOptions:
        """Validate keyword options, raising :class:`OptionError` naming the option."""
        try:
            return cls(**kwargs)
        except ValidationError as err:
            parts = []
            for e in err.errors():
                loc = ".".join(str(x) for x in e["loc"]) or "options"
                parts.append(f"{loc}={e.get('input')!r}: {e['msg']}")
            raise OptionError("invalid fit_pls option " + "; ".join(parts)) from None
