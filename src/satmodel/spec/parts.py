"""The parts of a model: indicators (survey items), constructs (blocks) and paths.

>>> from satmodel.spec.parts import Construct
>>> Construct(name="SAT", indicators=["SAT1", "SAT2"]).indicator_names
('SAT1', 'SAT2')
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import field_validator, model_validator

from ..errors import SpecError
from .base import SpecModel, check_name

__all__ = ["Indicator", "Construct", "Path", "HigherOrder", "interaction_terms"]

_MODES = {"a": "A", "b": "B", "unit": "unit"}


def _mode_defaults(data: Mapping) -> dict:
    """A copy of ``data`` with ``mode`` spelled canonically ("a" -> "A") and
    ``common_factor`` defaulting to True for Mode A (a construct or higher-order construct)."""
    data = dict(data)
    mode = data.get("mode", "A")
    if isinstance(mode, str) and mode.lower() in _MODES:
        mode = data["mode"] = _MODES[mode.lower()]
    if data.get("common_factor") is None:
        data["common_factor"] = mode == "A"
    return data


class Indicator(SpecModel):
    """A survey item (manifest variable).

    ``scale_min``/``scale_max`` are the theoretical end points of the answer
    scale (e.g. 1 and 10), used to rescale index scores to 0-100: give both or
    neither, with ``scale_min < scale_max``. ``fixed_loading`` fixes the
    item's unstandardized loading in CB-SEM (lavaan ``F =~ 1*x1``); PLS cannot
    honour it (see :meth:`ModelSpec.pls_incompatibilities`).

    >>> Indicator(name="SAT1", wording="Overall satisfaction", scale_min=1, scale_max=10).scale_max
    10.0
    """

    name: str
    label: str | None = None
    wording: str | None = None
    scale_min: float | None = None
    scale_max: float | None = None
    fixed_loading: float | None = None

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        return check_name(value, "indicator")

    @model_validator(mode="after")
    def _valid_scale(self) -> Indicator:
        lo, hi = self.scale_min, self.scale_max
        if (lo is None) != (hi is None):
            raise SpecError(
                f"indicator {self.name!r}: give both scale_min and scale_max or neither "
                f"(got scale_min={lo}, scale_max={hi})"
            )
        if self.fixed_loading is not None and not math.isfinite(self.fixed_loading):
            raise SpecError(f"indicator {self.name!r}: fixed_loading must be a finite number")
        if lo is not None and hi is not None:
            if not (math.isfinite(lo) and math.isfinite(hi)):
                raise SpecError(f"indicator {self.name!r}: scale_min and scale_max must be finite numbers")
            if lo >= hi:
                raise SpecError(f"indicator {self.name!r}: scale_min={lo:g} must be below scale_max={hi:g}")
        return self


class Construct(SpecModel):
    """A latent construct and its block of indicators.

    ``mode`` is the PLS outer-weighting mode (``"A"`` correlation weights,
    ``"B"`` regression weights, ``"unit"`` equal weights). ``common_factor``
    says whether the construct is a common factor (reflective, corrected by
    PLSc) rather than a composite; it defaults to ``mode == "A"`` and must be
    False for modes ``"B"`` and ``"unit"``. Plain strings are accepted as
    indicators.

    >>> Construct(name="SAT", indicators=["SAT1", "SAT2"]).indicator_names
    ('SAT1', 'SAT2')
    >>> Construct(name="IMAG", indicators=["IMAG1"], mode="B").common_factor
    False
    """

    name: str
    label: str | None = None
    indicators: tuple[Indicator, ...]
    mode: Literal["A", "B", "unit"] = "A"
    common_factor: bool

    @model_validator(mode="before")
    @classmethod
    def _fill_defaults(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        data = _mode_defaults(data)
        items = data.get("indicators")
        if isinstance(items, str):
            items = [items]
        if isinstance(items, (list, tuple)):
            data["indicators"] = tuple({"name": x} if isinstance(x, str) else x for x in items)
        return data

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        return check_name(value, "construct")

    @model_validator(mode="after")
    def _valid_block(self) -> Construct:
        if not self.indicators:
            raise SpecError(f"construct {self.name!r} has no indicators; list at least one survey item for it")
        seen: set[str] = set()
        for ind in self.indicators:
            if ind.name in seen:
                raise SpecError(f"construct {self.name!r} lists indicator {ind.name!r} twice; remove the duplicate")
            seen.add(ind.name)
        fixed = [i.name for i in self.indicators if i.fixed_loading is not None]
        if fixed and self.mode != "A":
            raise SpecError(
                f"construct {self.name!r}: fixed loadings ({', '.join(fixed)}) need mode 'A'; "
                f"mode {self.mode!r} blocks have weights, not loadings")
        if self.common_factor and self.mode != "A":
            raise SpecError(
                f"construct {self.name!r}: mode {self.mode!r} makes a composite, not a common factor; "
                "set common_factor=False, or use mode 'A' for a common factor"
            )
        return self

    @property
    def indicator_names(self) -> tuple[str, ...]:
        """Names of the indicators, in block order."""
        return tuple(ind.name for ind in self.indicators)


class Path(SpecModel):
    """A structural path ``source -> target``, optionally with the sign theory expects.

    ``fixed`` fixes the unstandardized coefficient in CB-SEM (lavaan
    ``SAT ~ 0.5*EXPE``); PLS cannot honour it.

    >>> Path(source="EXPE", target="SAT", expected_sign="+").target
    'SAT'
    """

    source: str
    target: str
    expected_sign: Literal["+", "-"] | None = None
    fixed: float | None = None

    @field_validator("source")
    @classmethod
    def _valid_source(cls, value: str) -> str:
        if isinstance(value, str) and ":" in value:  # an interaction term such as SAT:IMAG
            interaction_terms(value)
            return value
        return check_name(value, "construct")

    @field_validator("target")
    @classmethod
    def _valid_target(cls, value: str) -> str:
        if isinstance(value, str) and ":" in value:
            raise SpecError(f"path target {value!r} is an interaction term; interaction terms "
                            "such as 'SAT:IMAG' are predictors only (on the right of '~')")
        return check_name(value, "construct")

    @model_validator(mode="after")
    def _no_self_loop(self) -> Path:
        if self.source == self.target:
            raise SpecError(f"path {self.source} -> {self.target} is a self-loop; a construct cannot predict itself")
        if self.fixed is not None and not math.isfinite(self.fixed):
            raise SpecError(f"path {self.source} -> {self.target}: fixed must be a finite number")
        return self


def interaction_terms(name: str) -> tuple[str, str]:
    """The two constructs of an interaction term ``"A:B"`` (``"A:A"``: a quadratic term).

    >>> interaction_terms("SAT:IMAG")
    ('SAT', 'IMAG')
    """
    parts = name.split(":")
    if len(parts) != 2:
        raise SpecError(f"interaction term {name!r}: write two constructs joined by ':' (e.g. "
                        "'SAT:IMAG', or 'SAT:SAT' for a quadratic term); three-way terms are "
                        "not supported")
    return check_name(parts[0], "construct"), check_name(parts[1], "construct")


class HigherOrder(SpecModel):
    """A higher-order construct measured (``mode="A"``, lavaan ``=~``) or formed
    (``mode="B"``, ``<~``) by lower-order constructs, its ``components``.

    How it is estimated (repeated indicators, two-stage) is a fitting option, not part of
    the model: see ``fit_pls(..., hoc=...)``.

    >>> HigherOrder(name="PERF", components=["QUAL", "VAL"]).mode
    'A'
    """

    name: str
    label: str | None = None
    components: tuple[str, ...]
    mode: Literal["A", "B", "unit"] = "A"
    common_factor: bool

    @model_validator(mode="before")
    @classmethod
    def _fill_defaults(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        data = _mode_defaults(data)
        if isinstance(data.get("components"), str):
            data["components"] = [data["components"]]
        return data

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        return check_name(value, "construct")

    @model_validator(mode="after")
    def _valid_components(self) -> HigherOrder:
        if len(self.components) < 2:
            shown = ", ".join(map(repr, self.components))
            raise SpecError(f"higher-order construct {self.name!r} has {len(self.components)} "
                            f"component(s) ({shown}); list at least two lower-order constructs")
        for comp in self.components:
            check_name(comp, "construct")
        if len(set(self.components)) != len(self.components):
            raise SpecError(f"higher-order construct {self.name!r} lists a component twice")
        if self.name in self.components:
            raise SpecError(f"higher-order construct {self.name!r} lists itself as a component")
        if self.common_factor and self.mode != "A":
            raise SpecError(f"higher-order construct {self.name!r}: mode {self.mode!r} makes a "
                            "composite; set common_factor=False or use mode 'A'")
        return self
