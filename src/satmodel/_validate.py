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

__all__ = ["bad", "choice", "integer", "number", "flag", "seed", "member", "build", "known"]


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
    if isinstance(given, (bool, np.bool_, str, bytes)) or not math.isfinite(value) or not inside:
        brackets = "()" if open_ else "[]"
        raise bad(verb, name, given, f"a number in {brackets[0]}{low:g}, {high:g}{brackets[1]}")
    return value


def flag(verb: str, name: str, given: Any, *, none: bool = False) -> bool | None:
    """True or False (``none``: also None), not a truthy stand-in such as 1 or "yes"."""
    if given is None and none:
        return None
    if not isinstance(given, (bool, np.bool_)):
        raise bad(verb, name, given, "True or False" + (" (or None)" if none else ""))
    return bool(given)


def seed(verb: str, given: Any) -> Any:
    """A seed numpy's ``default_rng`` takes: None, an integer >= 0, a sequence of them, a
    SeedSequence, BitGenerator or Generator; returned unchanged (no draw is consumed)."""
    if isinstance(given, (bool, np.bool_, float, str, bytes)):
        ok = False
    else:
        try:
            np.random.default_rng(given)
            ok = True
        except (TypeError, ValueError, OverflowError):
            ok = False
    if not ok:
        raise bad(verb, "seed", given, "None, an integer >= 0, a sequence of them, or a "
                  "numpy SeedSequence/Generator")
    return given


def known(verb: str, options: dict[str, Any], target: Any) -> dict[str, Any]:
    """``options`` unchanged if every name is a keyword of ``target`` (the function they
    are forwarded to); else an OptionError naming the unknown one (not a raw TypeError).

    >>> def f(a, *, level=0.95): ...
    >>> try:
    ...     known("ipma", {"levle": 0.9}, f)
    ... except Exception as err:
    ...     print(err)
    unknown ipma option 'levle'. Did you mean 'level'? Known: level
    """
    import inspect

    from .errors import suggest

    params = inspect.signature(target).parameters.values()
    names = [p.name for p in params if p.kind is p.KEYWORD_ONLY
             or (p.kind is p.POSITIONAL_OR_KEYWORD and p.default is not p.empty)]
    for name in options:
        if name not in names:
            raise OptionError(f"unknown {verb} option {name!r}.{suggest(name, names)} "
                              f"Known: {', '.join(names)}")
    return options


def member(verb: str, option: str, given: Any, known: Sequence[str], what: str = "name") -> str:
    """One of ``known`` names (a table, construct, column ...), with a close-match hint."""
    from .errors import suggest

    if not isinstance(given, str) or given not in known:
        hint = suggest(given, known) if isinstance(given, str) else ""
        raise bad(verb, option, given, f"unknown {what}.{hint} Known: {', '.join(known)}")
    return given


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
