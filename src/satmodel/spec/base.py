"""Frozen pydantic base of the spec schemas (every construction route raises SpecError),
and the name and cycle checks the schemas and the lavaan reader share.

pydantic wraps errors raised inside validators into ``ValidationError``; users get a
:class:`~satmodel.errors.SpecError` naming the location instead, e.g.
``constructs[1] ('SAT').indicators[0]``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from typing_extensions import Self

from ..errors import SpecError, suggest

#: C0/C1 control codes except tab and newline, and bidirectional overrides
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


#: Characters a construct or indicator name may not contain (lavaan syntax uses them).
FORBIDDEN_CHARS = frozenset("+~=<>#!;*:,()|%\"'")
_RESERVED = re.compile("[" + re.escape("".join(sorted(FORBIDDEN_CHARS))) + "]")


def check_name(name: str, what: str) -> str:
    """Return ``name`` if it is a valid construct/indicator name, else raise SpecError.

    A name is non-empty, has no whitespace or control characters and none of
    ``+ ~ = < > # ! ; * : , ( ) | % " '`` (which lavaan syntax reserves).

    >>> check_name("SAT1", "indicator")
    'SAT1'
    """
    if name and name.isprintable() and " " not in name and not _RESERVED.search(name):
        return name  # the common case, without a pass per character
    if not name:
        raise SpecError(f"{what} name is empty; give every {what} a non-empty name")
    if any(ch.isspace() for ch in name):
        fixed = "_".join(name.split()) or "_"
        raise SpecError(f"{what} name {name!r} contains whitespace; use '_' instead (e.g. {fixed!r})")
    hidden = "".join(sorted({ch for ch in name if not ch.isprintable()}))
    if hidden:
        raise SpecError(f"{what} name {name!r} contains control or invisible characters "
                        f"({hidden!r}); remove them")
    bad = "".join(sorted({ch for ch in name if ch in FORBIDDEN_CHARS}))
    if bad:
        raise SpecError(
            f"{what} name {name!r} contains {bad!r}, reserved by lavaan syntax; "
            "use letters, digits, '_', '.' or '-'"
        )
    return name




def find_cycle(nodes: Sequence[str], edges: Iterable[tuple[str, str]]) -> list[str] | None:
    """Return a directed cycle as ``[a, b, ..., a]`` (deterministic), or None.

    >>> find_cycle(["A", "B", "C"], [("A", "B"), ("B", "C"), ("C", "A")])
    ['A', 'B', 'C', 'A']
    """
    succ: dict[str, list[str]] = {n: [] for n in nodes}
    for src, tgt in edges:
        succ.setdefault(src, []).append(tgt)
        succ.setdefault(tgt, [])
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    for root in succ:
        if root in state:
            continue
        trail, stack = [root], [iter(succ[root])]
        state[root] = 1
        while stack:
            for nxt in stack[-1]:
                if state.get(nxt) == 1:
                    return trail[trail.index(nxt):] + [nxt]
                if nxt not in state:
                    state[nxt] = 1
                    trail.append(nxt)
                    stack.append(iter(succ[nxt]))
                    break
            else:
                state[trail.pop()] = 2
                stack.pop()
    return None


def _field_names(cls: type) -> list[str]:
    """Field names of the spec schemas (for 'did you mean' hints on unknown fields)."""
    names: set[str] = set()
    for model in SpecModel.__subclasses__():
        names |= set(model.model_fields)
    return sorted(names or set(getattr(cls, "model_fields", {})))


def _describe(loc: Sequence[str | int], data: Any) -> tuple[str, str | None]:
    """Render a pydantic location as ``constructs[1] ('SAT').indicators[0]`` (+ last name seen)."""
    text, node, last = "", data, None
    for key in loc:
        if isinstance(key, int):
            ok = isinstance(node, (list, tuple)) and -len(node) <= key < len(node)
            node = node[key] if ok else None
            name = node if isinstance(node, str) else _child(node, "name")
            if name is None and isinstance(_child(node, "target"), str):  # a path
                name = f"{_child(node, 'source')} -> {_child(node, 'target')}"
            last = name if isinstance(name, str) else None
            text += f"[{key}]" + (f" ({last!r})" if last else "")
        else:
            node = _child(node, key)
            text += f".{key}" if text else str(key)
    return text, last


def _child(node: Any, key: str) -> Any:
    return node.get(key) if isinstance(node, Mapping) else getattr(node, key, None)


def _as_spec_error(exc: ValidationError, cls: type, data: Any) -> SpecError:
    """Turn pydantic's ValidationError into one readable SpecError."""
    problems: list[str] = []
    for err in exc.errors(include_url=False):
        loc, cause = tuple(err.get("loc", ())), (err.get("ctx") or {}).get("error")
        if isinstance(cause, SpecError):
            where, last = _describe(loc, data)
            msg = str(cause) + (f" (at {where})" if where and not (last and last in str(cause)) else "")
        elif err.get("type") == "extra_forbidden" and loc and isinstance(loc[-1], str):
            where = _describe(loc[:-1], data)[0]
            msg = f"{where + ': ' if where else ''}unknown field {loc[-1]!r}.{suggest(loc[-1], _field_names(cls))}"
        else:
            where = _describe(loc, data)[0]
            msg = f"invalid {cls.__name__}: {where + ': ' if where else ''}{err.get('msg', 'invalid value')}"
        if msg not in problems:
            problems.append(msg)
    if len(problems) == 1:
        return SpecError(problems[0])
    listed = "\n  - ".join(p.removeprefix(f"invalid {cls.__name__}: ") for p in problems)
    return SpecError(f"invalid {cls.__name__} ({len(problems)} problems):\n  - {listed}")


class SpecModel(BaseModel):
    """Frozen pydantic base: every construction route raises SpecError, never ValidationError."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise _as_spec_error(exc, type(self), data) from None

    # keep pydantic from routing nested validation through the __init__ above
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    @model_validator(mode="after")
    def _printable_text(self) -> SpecModel:
        """Free text (names, labels, wording, sources) holds no terminal control codes or
        bidirectional overrides: it is printed in summaries, the CLI and reports."""
        for field, value in self.__dict__.items():
            if isinstance(value, str) and (bad := _CONTROL.findall(value)):
                raise SpecError(f"{type(self).__name__}.{field} {value[:40]!r} contains control "
                                f"characters {sorted(set(bad))!r}; remove them")
        return self

    def __setattr__(self, name: str, value: Any) -> None:
        raise SpecError(f"{type(self).__name__} is frozen: use .model_copy(update={{{name!r}: ...}})")

    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> Self:  # noqa: D102
        try:
            return super().model_validate(obj, *args, **kwargs)
        except ValidationError as exc:
            raise _as_spec_error(exc, cls, obj) from None

    @classmethod
    def model_validate_json(cls, json_data: str | bytes | bytearray, *args: Any, **kwargs: Any) -> Self:  # noqa: D102
        try:
            return super().model_validate_json(json_data, *args, **kwargs)
        except ValidationError as exc:
            try:
                data = json.loads(json_data)
            except ValueError:
                data = None
            raise _as_spec_error(exc, cls, data) from None

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """Copy; with ``update`` the copy is validated again (raises SpecError)."""
        if not update:
            return super().model_copy(deep=deep)
        return type(self).model_validate({**{k: getattr(self, k) for k in type(self).model_fields}, **update})


