"""CB-SEM covariances in a spec (``lhs ~~ rhs``): the schema and the model-level check.

>>> from satmodel.spec import Covariance
>>> Covariance(lhs="y2", rhs="y4", fixed=0.0).fixed
0.0
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from pydantic import field_validator, model_validator

from .base import SpecModel, check_name
from ..errors import SpecError, suggest


class Covariance(SpecModel):
    """A (residual) covariance ``lhs ~~ rhs`` for covariance-based SEM.

    Between two indicators it is a covariance of their measurement errors;
    between two constructs a covariance of the constructs (exogenous) or of
    their disturbances (endogenous). ``fixed`` fixes its value (``lhs ~~ 0*rhs``);
    ``lhs == rhs`` is a variance and must be fixed (free variances are implied).
    PLS cannot honour covariances (see :meth:`ModelSpec.pls_incompatibilities`).

    >>> Covariance(lhs="y1", rhs="y5").fixed is None
    True
    """

    lhs: str
    rhs: str
    fixed: float | None = None

    @field_validator("lhs", "rhs")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        return check_name(value, "construct or indicator")

    @model_validator(mode="after")
    def _valid_value(self) -> Covariance:
        if self.fixed is not None and not math.isfinite(self.fixed):
            raise SpecError(f"covariance {self.lhs} ~~ {self.rhs}: fixed must be a finite number")
        if self.lhs == self.rhs and self.fixed is None:
            raise SpecError(
                f"variance {self.lhs} ~~ {self.lhs} is free already; list a variance only to fix it "
                f"(e.g. '{self.lhs} ~~ 1*{self.lhs}')")
        if self.lhs == self.rhs and self.fixed < 0:
            raise SpecError(f"variance {self.lhs} ~~ {self.lhs} cannot be fixed to a negative value ({self.fixed:g})")
        return self


def check_covariances(covs: Sequence[Covariance], names: Sequence[str], owner: Mapping[str, str]) -> None:
    seen: set[frozenset[str]] = set()
    known = set(names)
    for cov in covs:
        what = f"covariance {cov.lhs} ~~ {cov.rhs}"
        kinds = []
        for end in (cov.lhs, cov.rhs):
            if end in owner:
                kinds.append("indicator")
            elif end in known:
                kinds.append("construct")
            else:
                shown = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
                raise SpecError(
                    f"{what}: {end!r} is neither an indicator nor a construct."
                    f"{suggest(end, [*owner, *names])} The constructs are: {shown}")
        if kinds[0] != kinds[1]:
            raise SpecError(
                f"{what} relates an indicator and a construct; covariances are between two "
                "indicators (residual covariance) or two constructs")
        key = frozenset((cov.lhs, cov.rhs))
        if key in seen:
            raise SpecError(f"{what} is listed twice (in either order); remove the duplicate")
        seen.add(key)
