"""Options of the PLS estimator, documented once here (survey options: ``SurveyOptions``).

>>> from satmodel.engine import PLSOptions
>>> PLSOptions(scheme="centroid", consistent=True).stop
'max_abs'
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["PLSOptions"]


class PLSOptions(BaseModel):
    """How :func:`satmodel.fit_pls` estimates a model.

    Attributes
    ----------
    scheme : {"path", "centroid", "factorial"}
        Inner weighting scheme (docs/methods.md §1.1). ``"path"`` is the default of
        SmartPLS, seminr and cSEM; plspm and many ADANCO runs use ``"centroid"``.
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
    scaled : bool
        True (default): PLS on standardized items, as SmartPLS, seminr, cSEM and ADANCO.
        False: Mode A weights follow the covariances of the centred raw items (R plspm
        ``scaled = FALSE``, LVPLS's metric option; docs/methods.md §1.2 and §6.1).
        Results stay in the standardized metric (weights on z-scores, loadings as
        correlations); not with ``consistent=True``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    scheme: Literal["path", "centroid", "factorial"] = "path"
    consistent: bool = False
    tol: float = Field(1e-7, gt=0, lt=1)
    max_iter: int = Field(300, ge=1, le=1_000_000)
    stop: Literal["max_abs", "sum_abs", "sum_sq"] = "max_abs"
    scaled: bool = True

    @field_validator("consistent", "scaled", mode="before")
    @classmethod
    def _boolean(cls, value: Any) -> Any:
        if not isinstance(value, (bool, np.bool_)):  # not 1, "yes" ...
            raise ValueError("give True or False")
        return bool(value)

    @field_validator("tol", "max_iter", mode="before")
    @classmethod
    def _not_boolean(cls, value: Any) -> Any:
        if isinstance(value, (bool, np.bool_, str, bytes)):  # not True, not "300"
            raise ValueError("a number")
        return value

    @model_validator(mode="after")
    def _scaled_needs_pls(self) -> PLSOptions:
        if not self.scaled and self.consistent:
            raise ValueError("consistent PLS needs standardized items: use scaled=True")
        return self
