"""Write a spec as lavaan-style text that :func:`satmodel.spec.lavaan.parse_lavaan` reads back.

>>> from satmodel.spec import ModelSpec
>>> print(write_lavaan(ModelSpec.from_lavaan("A =~ a1; B =~ b1; B ~ A")), end="")
A =~ a1
B =~ b1
<BLANKLINE>
B ~ A
"""

from __future__ import annotations

from typing import Any

__all__ = ["write_lavaan"]


def write_lavaan(spec: Any) -> str:
    """Write ``spec`` as lavaan-style text that :func:`~satmodel.spec.lavaan.parse_lavaan` reads back.

    Measurement statements come first (``=~`` for common factors, ``<~`` for
    composites, with a ``# satmodel:`` directive for mode ``unit`` and for mode-A
    composites), then one regression per run of consecutive paths with the same
    target, so the path order survives the round trip, and likewise one ``~~``
    statement per run of covariances with the same left-hand name. Fixed values
    are written as ``value*name`` and item scales as ``scale=MIN..MAX`` directives
    (one per construct when its items share a scale). Labels, wording and expected
    signs are not written.

    >>> from satmodel.spec import ModelSpec
    >>> print(write_lavaan(ModelSpec.from_lavaan("A <~ a1 # satmodel: A mode=unit\\nB =~ b1\\nB ~ A")), end="")
    A <~ a1  # satmodel: A mode=unit
    B =~ b1
    <BLANKLINE>
    B ~ A
    """
    higher = tuple(getattr(spec, "higher_order", ()))
    width = max(len(c.name) for c in (*spec.constructs, *higher))
    lines = []
    for con in spec.constructs:
        op = "=~" if con.mode == "A" else "<~"
        words = []
        if con.mode == "unit":
            words.append("mode=unit")
        elif con.mode == "A" and not con.common_factor:
            words.append("composite")
        scales = {(i.scale_min, i.scale_max) for i in con.indicators}
        item_scales = []
        if len(scales) == 1 and None not in next(iter(scales)):
            words.append("scale=" + _scale(*next(iter(scales))))
        else:
            item_scales = [f"# satmodel: {i.name} scale={_scale(i.scale_min, i.scale_max)}"
                           for i in con.indicators if i.scale_min is not None]
        directive = f"  # satmodel: {con.name} {' '.join(words)}" if words else ""
        items = " + ".join(_term(i.fixed_loading, i.name) for i in con.indicators)
        lines.append(f"{con.name:<{width}} {op} {items}{directive}")
        lines.extend(item_scales)
    for hoc in higher:  # constructs of constructs: 'PERF =~ QUAL + VAL'
        op = "=~" if hoc.mode == "A" else "<~"
        word = "mode=unit" if hoc.mode == "unit" else \
            "composite" if hoc.mode == "A" and not hoc.common_factor else ""
        directive = f"  # satmodel: {hoc.name} {word}" if word else ""
        lines.append(f"{hoc.name:<{width}} {op} {' + '.join(hoc.components)}{directive}")
    for title, op, pairs in (
        ("", "~", [(p.target, _term(p.fixed, p.source)) for p in spec.paths]),
        ("", "~~", [(c.lhs, _term(c.fixed, c.rhs)) for c in spec.covariances]),
    ):
        runs: list[tuple[str, list[str]]] = []
        for left, right in pairs:
            if runs and runs[-1][0] == left:
                runs[-1][1].append(right)
            else:
                runs.append((left, [right]))
        if runs:
            lines.append(title)
            lines.extend(f"{left:<{width}} {op} {' + '.join(rights)}" for left, rights in runs)
    return "\n".join(lines) + "\n"


def _number(value: float) -> str:
    """The shortest text that reads back to the same float; an exponent without '+'
    (in lavaan text '+' separates terms: 1e+16*x would read as 1e + 16*x)."""
    text = repr(float(value)).replace("e+", "e")
    return text.removesuffix(".0") if text.endswith(".0") else text


def _scale(low: float, high: float) -> str:
    return f"{_number(low)}..{_number(high)}"


def _term(value: float | None, name: str) -> str:
    """``name`` or ``value*name`` with the shortest text that reads back to the same float."""
    if value is None:
        return name
    return f"{_number(value)}*{name}"
