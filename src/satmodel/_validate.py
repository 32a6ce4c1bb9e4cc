"""One validation step per public verb, one message format for a bad argument:
``invalid <verb> option <name>=<given>: <what is allowed>``.

>>> try:
...     choice("bootstrap", "ci", "nope", ("percentile", "bca"))
... except Exception as err:
...     print(err)
invalid bootstrap option ci='nope': choose one of 'percentile', 'bca'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel, ValidationError

from .errors import OptionError

__all__ = ["bad", "choice", "integer", "number", "build"]


def bad(verb: str, name: str, given: Any, allowed: str) -> OptionError:
    """The error for option ``name`` of ``verb``: what was given and what is allowed."""
    return OptionError(f"invalid {verb} option {name}={given!r}: {allowed}")


def choice(verb: str, name: str, given: Any, allowed: Sequence[Any]) -> Any:
    if not isinstance(given, str) or given not in allowed:
        raise bad(verb, name, given, "choose one of " + ", ".join(map(repr, allowed)))
    return given


def integer(verb: str, name: str, given: Any, minimum: int = 1, maximum: int | None = None) -> int:
    ok = isinstance(given, (int, np.integer)) and not isinstance(given, (bool, np.bool_))
    if not ok or given < minimum or (maximum is not None and given > maximum):
        span = f">= {minimum}" if maximum is None else f"from {minimum} to {maximum}"
        raise bad(verb, name, given, f"an integer {span}")
    return int(given)


def number(verb: str, name: str, given: Any, low: float, high: float, *, open_: bool = True) -> float:
    """A finite real in (low, high) (``open_``) or [low, high]."""
    try:
        value = float(given)
    except (TypeError, ValueError):
        value = math.nan
    inside = (low < value < high) if open_ else (low <= value <= high)
    if isinstance(given, bool) or not math.isfinite(value) or not inside:
        brackets = "()" if open_ else "[]"
        raise bad(verb, name, given, f"a number in {brackets[0]}{low:g}, {high:g}{brackets[1]}")
    return value


def build(model: type[BaseModel], verb: str, **kwargs: Any) -> Any:
    """Validate keyword options into a pydantic options model, naming every bad option."""
    try:
        return model(**kwargs)
    except ValidationError as err:
        parts = []
        for e in err.errors():
            loc = ".".join(str(x) for x in e["loc"]) or "options"
            given = e.get("input") if e["loc"] else {k: kwargs[k] for k in kwargs}
            msg = e["msg"].removeprefix("Value error, ")
            parts.append(f"{loc}={given!r}: {msg}")
        raise OptionError(f"invalid {verb} option " + "; ".join(parts)) from None
