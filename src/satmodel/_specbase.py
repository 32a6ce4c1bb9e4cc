"""Frozen pydantic base of the spec schemas: every construction route raises SpecError.

pydantic wraps errors raised inside validators into ``ValidationError``; users get a
:class:`~satmodel.errors.SpecError` naming the location instead, e.g.
``constructs[1] ('SAT').indicators[0]``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from typing_extensions import Self

from .errors import SpecError, suggest


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


