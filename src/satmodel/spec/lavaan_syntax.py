"""Pieces of the lavaan reader: a construct's block as read, the ``# satmodel:``
directives and paths written as arrows.

>>> block = Block("SAT", 1, "A", True, ["s1", "s2"])
>>> apply_directive(2, "SAT mode=unit", {"SAT": block}, {"s1": ("SAT", 1), "s2": ("SAT", 1)})
>>> block.mode, block.common_factor
('unit', False)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import SpecError, suggest
from .parts import HigherOrder

__all__ = ["Block", "apply_directive", "check_arrow", "higher_order_blocks", "higher_order_of"]

_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_MODES = {"a": "A", "b": "B", "unit": "unit"}


@dataclass
class Block:
    """One measurement statement as read: the construct, its items and what directives add."""

    name: str
    line: int
    mode: str
    common_factor: bool
    indicators: list[str] = field(default_factory=list)
    listed: set[str] = field(default_factory=set)  # the indicators, for O(1) look-ups
    fixed: dict[str, float] = field(default_factory=dict)
    scales: dict[str, tuple[float, float]] = field(default_factory=dict)


def _scale(line: int, name: str, value: str) -> tuple[float, float]:
    """``MIN..MAX`` of a ``scale=`` directive as two floats, MIN below MAX."""
    ends = value.split("..")
    if len(ends) != 2 or not all(_NUMBER.match(e) for e in ends) or not float(ends[0]) < float(ends[1]):
        raise SpecError(f"line {line}: scale={value!r} for {name!r}: write scale=MIN..MAX, MIN below MAX")
    return float(ends[0]), float(ends[1])


def apply_directive(line: int, content: str, blocks: dict[str, Block],
                    owner: dict[str, tuple[str, int]]) -> None:
    """Apply one ``# satmodel: NAME ...`` directive (mode, composite, common_factor,
    scale) to the blocks read so far; ``owner`` maps each item to (construct, line)."""
    words = content.split()
    usage = "write '# satmodel: NAME mode=unit', '# satmodel: NAME composite' or '# satmodel: NAME scale=1..10'"
    if not words:
        raise SpecError(f"line {line}: empty satmodel directive; {usage}")
    name, *items = words
    if name in owner and name not in blocks:  # an item: only its scale can be declared
        for key, eq, value in (item.partition("=") for item in items):
            if key.lower() != "scale" or not eq:
                raise SpecError(f"line {line}: {name!r} is an item; an item directive takes only scale=MIN..MAX")
            blocks[owner[name][0]].scales[name] = _scale(line, name, value)
        return
    if name not in blocks:
        raise SpecError(
            f"line {line}: satmodel directive for {name!r}, which has no measurement statement."
            f"{suggest(name, blocks)}"
        )
    block = blocks[name]
    for item in items:
        key, eq, value = item.partition("=")
        if key.lower() == "scale" and eq:
            pair = _scale(line, name, value)
            block.scales.update({x: pair for x in block.indicators if x not in block.scales})
        elif key.lower() == "mode" and eq and value.lower() in _MODES:
            block.mode = _MODES[value.lower()]
            block.common_factor = block.common_factor and block.mode == "A"
        elif item.lower() == "composite":
            block.common_factor = False
        elif item.lower() == "common_factor":
            block.common_factor = True
        else:
            raise SpecError(
                f"line {line}: unknown satmodel directive {item!r} for {name!r}; "
                "use mode=A, mode=B, mode=unit, composite, common_factor or scale=MIN..MAX"
            )


def check_arrow(toks: list[Any]) -> None:
    """Refuse a path written as an arrow (``A -> B``, ``A => B``, ``B <- A``), saying how
    lavaan writes it: ``B ~ A``, the outcome on the left of ``~``.

    ``toks`` are the reader's tokens (``.text``, ``.line``).
    """
    for i, tok in enumerate(toks):
        before = toks[i - 1].text if i else ""
        after = toks[i + 1].text if i + 1 < len(toks) else ""
        if tok.text == ">" and len(before) and before[-1] in "-=":
            arrow = before[-1] + ">"
            sources = [t.text for t in toks[:i - 1]] + [before[:-1]]
            targets = [t.text for t in toks[i + 1:]]
        elif tok.text == "<" and after.startswith("-"):
            arrow = "<-"
            sources = [after[1:]] + [t.text for t in toks[i + 2:]]
            targets = [t.text for t in toks[:i]]
        else:
            continue
        sources = [x for x in sources if x and x != "+"]
        targets = [x for x in targets if x and x != "+"]
        src = " + ".join(sources) or "PREDICTOR"
        example = " and ".join(f"'{t} ~ {src}'" for t in targets or ["OUTCOME"])
        raise SpecError(
            f"line {tok.line}: {arrow!r} is not lavaan syntax; write {example}: the construct "
            "on the left of '~' is predicted by (regressed on) the ones on its right")


def higher_order_blocks(blocks: dict[str, Block]) -> list[str]:
    """The blocks measured by constructs (``PERF =~ QUAL + VAL``: higher-order constructs),
    in statement order; a block mixing constructs and items is refused."""
    out = []
    for block in blocks.values():
        inner = [x for x in block.indicators if x in blocks]
        if not inner:
            continue
        if len(inner) != len(block.indicators):
            items = [x for x in block.indicators if x not in blocks]
            raise SpecError(
                f"line {block.line}: construct {block.name!r} mixes constructs ({', '.join(inner)}) "
                f"and items ({', '.join(items)}); a higher-order construct is measured by "
                "constructs only: give the items their own construct")
        if block.fixed:
            raise SpecError(f"line {block.line}: higher-order construct {block.name!r}: fixed "
                            "loadings are not supported")
        out.append(block.name)
    return out


def higher_order_of(block: Block) -> Any:
    """The :class:`~satmodel.spec.parts.HigherOrder` of a block (its line in any error)."""
    try:
        return HigherOrder(name=block.name, components=block.indicators, mode=block.mode,
                           common_factor=block.common_factor)
    except SpecError as err:
        raise SpecError(f"line {block.line}: {err}") from None
