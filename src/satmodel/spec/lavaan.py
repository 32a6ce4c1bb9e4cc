"""Read and write lavaan-style model text.

Supported statements::

    NAME =~ x1 + x2 + x3     # reflective construct: mode A, common factor
    NAME <~ x1 + x2          # composite construct: mode B
    Y ~ X1 + X2              # structural paths X1 -> Y, X2 -> Y
    y1 ~~ y5                 # residual covariance (CB-SEM only; also between constructs)
    F =~ 1*x1 + x2; Y ~ 0.5*X; A ~~ 0*B   # fixed values (CB-SEM only)
    PERF =~ QUAL + VAL       # higher-order construct (constructs on the right; <~: mode B)
    LOY ~ SAT + IMAG + SAT:IMAG   # interaction term (SAT:SAT: quadratic), a predictor only

Comments start with ``#`` or ``!``; a statement may span lines (a line ending
with ``+`` or an operator, or a line starting with ``+``, continues it), and
``;`` separates statements on one line. Constructs are ordered by their
measurement statements, paths by their appearance. What lavaan cannot express
is carried by directive comments, which :func:`parse_lavaan` reads::

    IMAG <~ IMAG1 + IMAG2    # satmodel: IMAG mode=unit
    VAL  =~ VAL1 + VAL2      # satmodel: VAL composite

A directive is ``# satmodel: NAME`` and ``mode=A|B|unit``, ``composite``,
``common_factor`` or ``scale=MIN..MAX`` (the answer scale of a construct's items, or
of one item when NAME is an item: it lets satmodel catch codes such as 99 and
compute the 0-100 index from lavaan text alone). Other lavaan operators (``:=``,
``==``, ``~*~``, ...), labelled parameters (``a*x1``) and fixed weights in
``<~`` raise SpecError.

Example
-------
>>> from satmodel.spec.lavaan import parse_lavaan
>>> from satmodel.spec.lavaan_writer import write_lavaan
>>> spec = parse_lavaan("EXPE =~ E1 + E2\\nSAT =~ S1 + S2\\nSAT ~ EXPE")
>>> print(write_lavaan(spec), end="")
EXPE =~ E1 + E2
SAT  =~ S1 + S2
<BLANKLINE>
SAT  ~ EXPE
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import SpecError, suggest
from .base import check_name, find_cycle
from .covariance import Covariance
from .lavaan_syntax import Block as _Block, apply_directive, check_arrow, higher_order_blocks, higher_order_of
from .parts import Construct, Path

if TYPE_CHECKING:
    from .model import ModelSpec

__all__ = ["parse_lavaan"]

_OPS = {"=~": ("A", True), "<~": ("B", False), "~": None, "~~": None}
_UNSUPPORTED = {"~*~", ":=", "==", "<", ">", "<=", ">=", "|", "%"}
_TOKEN = re.compile(
    r"""(?P<op>=~|<~|~~|~\*~|:=|==|<=|>=|[+~=<>*:,()|%"'])|(?P<name>[^\s+~=<>#!;*:,()|%"']+)"""
)
_COMMENT = re.compile(r"[#!]")
_DIRECTIVE = re.compile(r"^\s*satmodel\s*:(.*)$", re.IGNORECASE)
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


@dataclass(frozen=True)
class _Tok:
    text: str
    is_name: bool
    line: int


def _tokenize(segment: str, line: int) -> list[_Tok]:
    return [_Tok(m.group(), m.lastgroup == "name", line) for m in _TOKEN.finditer(segment)]


def _split(text: str) -> tuple[list[list[_Tok]], list[tuple[int, str]]]:
    """Split text into statements (token lists) and directives ``(line, content)``."""
    statements: list[list[_Tok]] = []
    directives: list[tuple[int, str]] = []
    current: list[_Tok] | None = None
    current_has_op = False  # kept up to date so a long continued statement stays linear
    joiners = {"+"} | set(_OPS) | _UNSUPPORTED
    for lineno, raw in enumerate(text.splitlines(), start=1):
        hit = _COMMENT.search(raw)
        code = raw[: hit.start()] if hit else raw
        if hit and (found := _DIRECTIVE.match(raw[hit.end():])):
            directives.append((lineno, found.group(1)))
        for k, segment in enumerate(code.split(";")):
            toks = _tokenize(segment, lineno)
            if not toks:
                continue
            dangling = current and (current[-1].text in joiners or toks[0].text in joiners)
            if k == 0 and dangling and not (current_has_op and _has_op(toks[1:])):
                current.extend(toks)
                current_has_op = current_has_op or _has_op(toks)
            else:
                if current:
                    statements.append(current)
                current, current_has_op = toks, _has_op(toks)
    if current:
        statements.append(current)
    return statements, directives


def _has_op(toks: list[_Tok]) -> bool:
    return any(t.text in _OPS or t.text in _UNSUPPORTED for t in toks)


def _show(toks: list[_Tok]) -> str:
    return " ".join(t.text for t in toks)


def _name(tok: _Tok) -> str:
    try:
        return check_name(tok.text, "construct or indicator")
    except SpecError as err:
        raise SpecError(f"line {tok.line}: {err}") from None


def _parse_statement(toks: list[_Tok]) -> tuple[_Tok, _Tok, list[tuple[_Tok, float | None]]]:
    """Return (operator, left-hand name, right-hand ``(name, fixed value or None)``) of one statement."""
    check_arrow(toks)
    for tok in toks:
        if tok.text in _UNSUPPORTED:
            raise SpecError(
                f"line {tok.line}: operator {tok.text!r} is not supported yet; satmodel reads "
                "'=~' (reflective), '<~' (composite), '~' (regression) and '~~' (covariance)"
            )
    for tok in toks:
        if not tok.is_name and tok.text not in ("+", "*", ":") and tok.text not in _OPS:
            raise SpecError(f"line {tok.line}: unexpected {tok.text!r} in {_show(toks)!r}")
    ops = [i for i, tok in enumerate(toks) if tok.text in _OPS]
    if not ops:
        raise SpecError(f"line {toks[0].line}: expected '=~', '<~', '~' or '~~' in {_show(toks)!r}")
    if len(ops) > 1:
        raise SpecError(
            f"line {toks[ops[1]].line}: two operators in one statement ({_show(toks)!r}); "
            "put each statement on its own line or separate them with ';'"
        )
    op = toks[ops[0]]
    lhs, rhs = toks[: ops[0]], toks[ops[0] + 1 :]
    if any(t.text == "*" for t in lhs):
        raise SpecError(f"line {op.line}: fixed/labelled parameters go on the right of {op.text!r} "
                        f"({_show(toks)!r}), e.g. 'F =~ 1*x1 + x2'")
    if len(lhs) != 1 or not lhs[0].is_name:
        raise SpecError(
            f"line {op.line}: the left of {op.text!r} must be one construct name, got {_show(lhs)!r}"
        )
    if not rhs:
        raise SpecError(f"line {op.line}: nothing after {op.text!r}; list the names after it joined by '+'")
    if rhs[-1].text == "+":
        raise SpecError(f"line {rhs[-1].line}: the statement ends with '+'; add the missing name")
    terms: list[tuple[_Tok, float | None]] = []
    for term in _terms(rhs, op):
        if len(term) == 3 and term[0].is_name and term[1].text == "*" and term[2].is_name:
            if not _NUMBER.match(term[0].text):
                raise SpecError(
                    f"line {term[0].line}: labelled parameters are not supported ({_show(toks)!r}); "
                    "only numeric fixed values such as '0.5*x1' are")
            terms.append((term[2], float(term[0].text)))
        elif len(term) == 3 and term[0].is_name and term[1].text == ":" and term[2].is_name:
            if op.text != "~":  # an interaction term such as SAT:IMAG (lavaan, R formulas)
                raise SpecError(f"line {op.line}: interaction terms ({_show(term)!r}) are "
                                "predictors: they go on the right of '~'")
            _name(term[0]), _name(term[2])
            terms.append((_Tok(f"{term[0].text}:{term[2].text}", True, op.line), None))
        elif len(term) == 1 and term[0].is_name:
            terms.append((term[0], None))
        else:
            raise SpecError(f"line {term[0].line}: expected a name or 'value*name', got {_show(term)!r} "
                            f"in {_show(toks)!r}")
    _name(lhs[0])
    for tok, _ in terms:
        if ":" not in tok.text:
            _name(tok)
    return op, lhs[0], terms


def _terms(rhs: list[_Tok], op: _Tok) -> list[list[_Tok]]:
    """Split the right-hand side at '+' into terms (each 'name' or 'value * name')."""
    terms: list[list[_Tok]] = [[]]
    for i, tok in enumerate(rhs):
        if tok.text == "+":
            if not terms[-1]:
                after = repr(rhs[i - 1].text) if i else repr(op.text)
                raise SpecError(f"line {tok.line}: expected a name after {after}, got '+'")
            terms.append([])
        elif terms[-1] and terms[-1][-1].is_name and tok.is_name:
            raise SpecError(f"line {tok.line}: expected '+' between {terms[-1][-1].text!r} and {tok.text!r}")
        else:
            terms[-1].append(tok)
    return terms


def parse_lavaan(text: str, name: str = "model", cls: type[ModelSpec] | None = None) -> ModelSpec:
    """Parse lavaan-style text into a :class:`~satmodel.spec.ModelSpec`.

    Parameters
    ----------
    text : str
        The model text (see the module docstring for the syntax).
    name : str
        Name of the resulting model.
    cls : type, optional
        ModelSpec subclass to build (default :class:`~satmodel.spec.ModelSpec`).

    Raises
    ------
    SpecError
        With the line number of the offending statement.

    >>> parse_lavaan("A =~ a1 + a2; B <~ b1; B ~ A").paths[0].source
    'A'
    """
    if cls is None:
        from .model import ModelSpec as cls  # noqa: N813
    if not isinstance(text, str):
        raise SpecError(
            f"from_lavaan expects the model text, got {type(text).__name__}; "
            "to read a file use ModelSpec.from_file(path)"
        )
    stripped = text.strip()
    if "\n" not in stripped and stripped.lower().endswith((".lav", ".lavaan", ".txt", ".json")) and "~" not in stripped:
        raise SpecError(
            f"from_lavaan expects the model text, got what looks like a file name ({stripped!r}); "
            "to read a file use ModelSpec.from_file(path)"
        )
    statements, directives = _split(text)
    blocks: dict[str, _Block] = {}
    owner: dict[str, tuple[str, int]] = {}
    regressions: list[tuple[_Tok, list[tuple[_Tok, float | None]]]] = []
    covariances: list[tuple[_Tok, list[tuple[_Tok, float | None]]]] = []
    for toks in statements:
        op, lhs, names = _parse_statement(toks)
        if op.text in ("~", "~~"):
            (regressions if op.text == "~" else covariances).append((lhs, names))
            continue
        if lhs.text in blocks:
            first = blocks[lhs.text].line
            raise SpecError(
                f"line {lhs.line}: construct {lhs.text!r} is defined twice (lines {first} and {lhs.line}); "
                "list all its indicators in one statement"
            )
        mode, common = _OPS[op.text]  # type: ignore[misc]
        block = blocks[lhs.text] = _Block(lhs.text, lhs.line, mode, common)
        for tok, value in names:
            if value is not None and op.text == "<~":
                raise SpecError(f"line {tok.line}: fixed weights in '<~' ({value:g}*{tok.text}) are not "
                                "supported; fixed values are for '=~', '~' and '~~'")
            if value is not None:
                block.fixed[tok.text] = value
            if tok.text in block.listed:
                raise SpecError(f"line {tok.line}: indicator {tok.text!r} appears twice in construct {lhs.text!r}")
            if tok.text in owner:
                other, other_line = owner[tok.text]
                raise SpecError(
                    f"line {tok.line}: indicator {tok.text!r} is in two blocks, {other!r} (line {other_line}) "
                    f"and {lhs.text!r} (line {tok.line}); each indicator may measure only one construct"
                )
            owner[tok.text] = (lhs.text, tok.line)
            block.indicators.append(tok.text)
            block.listed.add(tok.text)
    if not blocks:
        raise SpecError(
            "the lavaan text has no measurement statement; define constructs with "
            "'NAME =~ item1 + item2' (reflective) or 'NAME <~ item1 + item2' (composite)"
        )
    for line, content in directives:
        apply_directive(line, content, blocks, owner)
    hocs = higher_order_blocks(blocks)  # constructs measured by constructs: 'PERF =~ QUAL + VAL'

    edges: dict[tuple[str, str], int] = {}
    fixed_paths: dict[tuple[str, str], float] = {}
    for lhs, names in regressions:
        for tok in (lhs, *(t for t, _ in names)):
            for part in tok.text.split(":"):  # both constructs of an interaction term
                if part not in blocks:
                    raise SpecError(f"line {tok.line}: {_unknown(part, blocks, owner)}")
        for tok, value in names:
            if value is not None:
                fixed_paths[(tok.text, lhs.text)] = value
            key = (tok.text, lhs.text)
            if tok.text == lhs.text:
                raise SpecError(f"line {tok.line}: {lhs.text} ~ {tok.text}: a construct cannot predict itself")
            if key in edges:
                where = f"lines {edges[key]} and {tok.line}" if edges[key] != tok.line else f"both on line {tok.line}"
                raise SpecError(
                    f"line {tok.line}: path {tok.text} -> {lhs.text} is given twice ({where}); remove the duplicate"
                )
            edges[key] = tok.line
    cycle = find_cycle(list(blocks), edges)
    if cycle:
        lines = sorted({edges[(a, b)] for a, b in zip(cycle, cycle[1:])})
        raise SpecError(
            f"line {lines[-1]}: the regressions form a cycle: {' -> '.join(cycle)} "
            f"(lines {', '.join(map(str, lines))}); PLS path models must be recursive, so remove one of them"
        )
    if len(blocks) >= 2 and edges:  # no regression at all: a measurement model (CFA)
        linked = {end for key in edges for end in key}
        linked |= {item for hoc in hocs for item in blocks[hoc].indicators}
        linked |= {end for lhs, names in covariances for tok, _ in names if lhs.text != tok.text
                   and lhs.text in blocks and tok.text in blocks for end in (lhs.text, tok.text)}
        for block in blocks.values():
            if block.name not in linked:
                raise SpecError(
                    f"line {block.line}: construct {block.name!r} has no regression in or out; "
                    f"relate it to another construct with '~' or '~~' (CB-SEM), or remove it "
                    "(a model without any '~' is a measurement model, fitted by sm.fit_cbsem)"
                )
    constructs = []
    for block in blocks.values():
        if block.name in hocs:
            continue
        items = [{"name": x, **({"fixed_loading": block.fixed[x]} if x in block.fixed else {}),
                  **(dict(zip(("scale_min", "scale_max"), block.scales[x])) if x in block.scales else {})}
                 for x in block.indicators]
        try:
            constructs.append(
                Construct(name=block.name, indicators=items, mode=block.mode, common_factor=block.common_factor)
            )
        except SpecError as err:
            raise SpecError(f"line {block.line}: {err}") from None
    paths = [Path(source=src, target=tgt, fixed=fixed_paths.get((src, tgt))) for src, tgt in edges]
    covs = _covariances(covariances, blocks, owner)
    higher = [higher_order_of(blocks[h]) for h in hocs]
    return cls(name=name, constructs=constructs, paths=paths, higher_order=higher, covariances=covs)


def _covariances(statements, blocks: dict[str, _Block], owner: dict[str, tuple[str, int]]) -> list[Covariance]:
    """Covariances of the '~~' statements, in order (ends checked; the spec checks the rest)."""
    out: list[Covariance] = []
    seen: dict[frozenset[str], int] = {}
    for lhs, names in statements:
        for tok, value in names:
            for end in (lhs, tok):
                if end.text not in blocks and end.text not in owner:
                    raise SpecError(
                        f"line {end.line}: {end.text!r} in '{lhs.text} ~~ {tok.text}' is neither an "
                        f"indicator nor a construct.{suggest(end.text, [*owner, *blocks])}")
            if (lhs.text in blocks) != (tok.text in blocks):
                raise SpecError(f"line {tok.line}: covariance {lhs.text} ~~ {tok.text} relates an indicator "
                                "and a construct; covariances are between two indicators or two constructs")
            key = frozenset((lhs.text, tok.text))
            if key in seen:
                raise SpecError(f"line {tok.line}: covariance {lhs.text} ~~ {tok.text} is given twice "
                                f"(lines {seen[key]} and {tok.line}); remove the duplicate")
            seen[key] = tok.line
            try:
                out.append(Covariance(lhs=lhs.text, rhs=tok.text, fixed=value))
            except SpecError as err:
                raise SpecError(f"line {tok.line}: {err}") from None
    return out


def _unknown(name: str, blocks: dict[str, _Block], owner: dict[str, tuple[str, int]]) -> str:
    if name in owner:
        return f"{name!r} is an indicator of construct {owner[name][0]!r}, not a construct; regressions ('~') relate constructs"
    if _NUMBER.match(name):
        return f"intercepts and numeric terms ({name!r}) are not supported"
    return (
        f"{name!r} has no measurement statement; define it with '{name} =~ ...' or '{name} <~ ...'."
        f"{suggest(name, blocks)}"
    )
