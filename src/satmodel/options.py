"""Options of the PLS estimator, documented once here.

>>> from satmodel.options import PLSOptions
>>> PLSOptions(scheme="centroid", consistent=True).stop
'max_abs'
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

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
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    scheme: Literal["path", "centroid", "factorial"] = "path"
    consistent: bool = False
    tol: float = Field(1e-7, gt=0, lt=1)
    max_iter: int = Field(300, ge=1, le=1_000_000)
    stop: Literal["max_abs", "sum_abs", "sum_sq"] = "max_abs"

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
