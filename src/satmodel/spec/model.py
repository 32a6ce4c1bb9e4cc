"""Model specification: indicators, constructs, structural paths and the model.

A :class:`ModelSpec` is a frozen pydantic model. It is validated once, when it is
built, by any route (``ModelSpec(...)``, ``model_validate``,
``model_validate_json``, :meth:`ModelSpec.from_lavaan`); every problem raises
:class:`~satmodel.errors.SpecError` naming the construct, indicator or path at
fault. Every ordering (constructs, indicators, blocks, predecessors) is the
order of the spec, never sorted.

Example
-------
>>> from satmodel.spec import ModelSpec
>>> spec = ModelSpec.from_lavaan('''
...     EXPE =~ EXPE1 + EXPE2
...     SAT  =~ SAT1 + SAT2
...     SAT  ~  EXPE
... ''')
>>> spec.construct_names, spec.endogenous
(('EXPE', 'SAT'), ('SAT',))
"""

from __future__ import annotations


import os
import pathlib
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import field_validator, model_validator

from .base import SpecModel, check_name, find_cycle
from .covariance import Covariance, check_covariances
from .lavaan_writer import write_lavaan
from .parts import Construct, HigherOrder, Indicator, Path
from .structure import check_extensions
from ..errors import SpecError, suggest

__all__ = ["Indicator", "Construct", "Path", "Covariance", "ModelSpec", "check_name"]

class ModelSpec(SpecModel):
    """A customer-satisfaction model: constructs with their indicators and structural paths.

    ``paths`` also accepts ``(source, target)`` pairs and ``"source -> target"`` strings;
    ``covariances`` (CB-SEM only) also accepts ``(lhs, rhs)`` pairs and ``"lhs ~~ rhs"`` strings.

    >>> spec = ModelSpec(
    ...     constructs=[Construct(name="EXPE", indicators=["E1", "E2"]),
    ...                 Construct(name="SAT", indicators=["S1", "S2"])],
    ...     paths=[("EXPE", "SAT")],
    ... )
    >>> spec.blocks
    {'EXPE': ('E1', 'E2'), 'SAT': ('S1', 'S2')}
    >>> ModelSpec.model_validate_json(spec.model_dump_json()) == spec
    True
    """

    name: str = "model"
    label: str | None = None
    source: str | None = None
    constructs: tuple[Construct, ...]
    paths: tuple[Path, ...] = ()
    higher_order: tuple[HigherOrder, ...] = ()  # constructs of constructs (spec/structure.py)
    covariances: tuple[Covariance, ...] = ()

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        if not value.strip():
            raise SpecError("model name is empty; give the model a name (e.g. 'ecsi')")
        return value

    @field_validator("paths", mode="before")
    @classmethod
    def _coerce_paths(cls, value: Any) -> Any:
        if not isinstance(value, (list, tuple)):
            return value
        out = []
        for item in value:
            if isinstance(item, str) and "->" in item:
                src, _, tgt = item.partition("->")
                item = {"source": src.strip(), "target": tgt.strip()}
            elif isinstance(item, (list, tuple)) and len(item) in (2, 3):
                item = dict(zip(("source", "target", "expected_sign"), item))
            out.append(item)
        return out

    @field_validator("covariances", mode="before")
    @classmethod
    def _coerce_covariances(cls, value: Any) -> Any:
        if not isinstance(value, (list, tuple)):
            return value
        out = []
        for item in value:
            if isinstance(item, str) and "~~" in item:
                lhs, _, rhs = item.partition("~~")
                item = {"lhs": lhs.strip(), "rhs": rhs.strip()}
            elif isinstance(item, (list, tuple)) and len(item) in (2, 3):
                item = dict(zip(("lhs", "rhs", "fixed"), item))
            out.append(item)
        return out

    @model_validator(mode="after")
    def _valid_structure(self) -> ModelSpec:
        if not self.constructs:
            raise SpecError("the model has no constructs; add at least one construct with its indicators")
        names: list[str] = []
        known: set[str] = set()  # the names, for O(1) look-ups (validation stays linear)
        owner: dict[str, str] = {}
        for con in self.constructs:
            if con.name in known:
                raise SpecError(f"construct {con.name!r} is defined twice; give each construct a unique name")
            names.append(con.name)
            known.add(con.name)
            for ind in con.indicator_names:
                if ind in owner:
                    raise SpecError(
                        f"indicator {ind!r} is in two blocks, {owner[ind]!r} and {con.name!r}; "
                        "each indicator may measure only one construct"
                    )
                owner[ind] = con.name
        for ind, con_name in owner.items():
            if ind in known and ind != con_name:
                raise SpecError(
                    f"indicator {ind!r} of construct {con_name!r} has the name of construct {ind!r}; "
                    "rename one of them (a higher-order construct is declared with "
                    "higher_order=[{'name': ..., 'components': [...]}], lavaan 'PERF =~ QUAL + VAL')"
                )
        extra, components = check_extensions(self.constructs, self.higher_order, self.paths)
        known |= extra  # higher-order constructs and interaction terms are path ends too
        seen: set[tuple[str, str]] = set()
        for path in self.paths:
            for end in (path.source, path.target):
                if end not in known:
                    raise SpecError(f"path {path.source} -> {path.target}: {_unknown(end, names, owner)}")
            if (path.source, path.target) in seen:
                raise SpecError(f"path {path.source} -> {path.target} is listed twice; remove the duplicate")
            seen.add((path.source, path.target))
        cycle = find_cycle(names, [(p.source, p.target) for p in self.paths])
        if cycle:
            raise SpecError(
                f"the structural model has a cycle: {' -> '.join(cycle)}; "
                "PLS path models must be recursive, so remove one of these paths"
            )
        if len(names) >= 2 and self.paths:  # no path at all: a measurement model (CFA)
            linked = {p.source for p in self.paths} | {p.target for p in self.paths} | components
            linked |= {end for c in self.covariances if c.lhs != c.rhs and c.lhs in known
                       and c.rhs in known for end in (c.lhs, c.rhs)}
            for name in names + [h.name for h in self.higher_order]:  # spec order: the first unlinked is named
                if name not in linked:
                    raise SpecError(
                        f"construct {name!r} has no path in or out; relate it to another construct "
                        "with a path or a covariance ('~~', CB-SEM), or remove it (a model "
                        "without any path is a measurement model, fitted by sm.fit_cbsem)"
                    )
        check_covariances(self.covariances, names, owner)
        return self

    # ----------------------------------------------------------------- queries

    @property
    def construct_names(self) -> tuple[str, ...]:
        """Construct names in spec order."""
        return tuple(c.name for c in self.constructs)

    @property
    def indicator_names(self) -> tuple[str, ...]:
        """All indicator names, block by block in spec order."""
        return tuple(ind for c in self.constructs for ind in c.indicator_names)

    @property
    def blocks(self) -> dict[str, tuple[str, ...]]:
        """Construct name -> its indicator names, in spec order."""
        return {c.name: c.indicator_names for c in self.constructs}

    def construct(self, name: str) -> Construct:
        """Return the construct called ``name`` (SpecError with a hint if unknown)."""
        for con in self.constructs:
            if con.name == name:
                return con
        owner = {ind: c.name for c in self.constructs for ind in c.indicator_names}
        raise SpecError(_unknown(name, self.construct_names, owner))

    def predecessors(self, name: str) -> tuple[str, ...]:
        """Constructs with a path into ``name``, in spec construct order."""
        self.construct(name)
        sources = {p.source for p in self.paths if p.target == name}
        return tuple(n for n in self.construct_names if n in sources)

    def successors(self, name: str) -> tuple[str, ...]:
        """Constructs ``name`` has a path into, in spec construct order."""
        self.construct(name)
        targets = {p.target for p in self.paths if p.source == name}
        return tuple(n for n in self.construct_names if n in targets)

    @property
    def endogenous(self) -> tuple[str, ...]:
        """Constructs with at least one predecessor, in spec order."""
        targets = {p.target for p in self.paths}
        return tuple(n for n in self.construct_names if n in targets)

    @property
    def exogenous(self) -> tuple[str, ...]:
        """Constructs without predecessors, in spec order."""
        targets = {p.target for p in self.paths}
        return tuple(n for n in self.construct_names if n not in targets)

    @property
    def interactions(self) -> tuple[str, ...]:
        """Interaction terms used as path sources (``"SAT:IMAG"``), in path order."""
        return tuple(dict.fromkeys(p.source for p in self.paths if ":" in p.source))

    @property
    def is_first_order(self) -> bool:
        """True without higher-order constructs and interaction terms (what the engine fits
        directly; the others are fitted through the spec transforms of ``fit_pls``)."""
        return not self.higher_order and not self.interactions

    def pls_incompatibilities(self) -> tuple[str, ...]:
        """What this spec asks for that PLS path modelling cannot honour (empty if nothing).

        Covariances (``~~``), fixed loadings and fixed paths are CB-SEM parameters.

        >>> ModelSpec.from_lavaan("A =~ a1 + a2; B =~ b1 + b2; B ~ A; a1 ~~ b1").pls_incompatibilities()
        ('covariance a1 ~~ b1',)
        """
        found = [f"{'variance' if c.lhs == c.rhs else 'covariance'} {c.lhs} ~~ {c.rhs}"
                 for c in self.covariances]
        found += [f"fixed loading {c.name} =~ {i.fixed_loading:g}*{i.name}"
                  for c in self.constructs for i in c.indicators if i.fixed_loading is not None]
        found += [f"fixed path {p.target} ~ {p.fixed:g}*{p.source}" for p in self.paths if p.fixed is not None]
        return tuple(found)

    def require_pls(self) -> None:
        """Raise SpecError unless PLS can fit this spec as written (see :meth:`pls_incompatibilities`).

        >>> ModelSpec.from_lavaan("A =~ a1 + a2; B =~ b1 + b2; B ~ A").require_pls()
        """
        if len(self.constructs) >= 2 and not self.paths:
            raise SpecError(
                f"model {self.name!r} has no structural paths (a measurement-only model), which "
                "PLS path modelling cannot estimate here: its inner weighting needs adjacent "
                "constructs (cSEM then treats the constructs declared correlated, 'A ~~ B', as "
                "adjacent, with the centroid or factorial scheme only; satmodel does not). Fit it "
                "by CB-SEM (sm.fit_cbsem(spec, data), a CFA), or add the structural paths")
        found = self.pls_incompatibilities()
        if found:
            shown = "; ".join(found[:8]) + ("; ..." if len(found) > 8 else "")
            raise SpecError(
                f"PLS path modelling cannot honour {len(found)} CB-SEM parameter(s) of model "
                f"{self.name!r}: {shown}. Fit it with sm.fit_cbsem(spec, data), or remove them "
                "(spec.model_copy(update={'covariances': ()}) drops the covariances)")

    # ----------------------------------------------------------------- text and files

    @classmethod
    def from_lavaan(cls, text: str, name: str = "model") -> ModelSpec:
        """Read lavaan-style model text (``=~``, ``<~``, ``~``); see :mod:`satmodel.spec.lavaan`.

        >>> ModelSpec.from_lavaan("A =~ a1 + a2; B <~ b1 + b2; B ~ A").construct("B").mode
        'B'
        """
        from .lavaan import parse_lavaan

        return parse_lavaan(text, name=name, cls=cls)

    def to_lavaan(self) -> str:
        """Write the model as lavaan-style text that :meth:`from_lavaan` reads back.

        Item scales travel as ``scale=MIN..MAX`` directives; labels, wording and expected
        signs are not written.

        >>> print(ModelSpec.from_lavaan("A =~ a1; B =~ b1; B ~ A").to_lavaan(), end="")
        A =~ a1
        B =~ b1
        <BLANKLINE>
        B ~ A
        """
        return write_lavaan(self)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> ModelSpec:
        """Read a spec from ``.json`` (ModelSpec JSON) or ``.lav``/``.lavaan``/``.txt`` (lavaan text).

        A lavaan file's model is named after the file stem.

        >>> ModelSpec.from_file("ecsi.json")  # doctest: +SKIP
        """
        file = pathlib.Path(path)
        suffix = file.suffix.lower()
        if suffix in (".json", ".lav", ".lavaan", ".txt"):
            text = _read_text(file)
            if suffix == ".json":
                try:
                    return cls.model_validate_json(text)
                except RecursionError:
                    raise SpecError(f"model file {file.name!r}: JSON nested too deeply") from None
            return cls.from_lavaan(text, name=file.stem or "model")
        raise SpecError(
            f"cannot read a model from {file.name!r}: use a .json file (ModelSpec JSON) "
            "or a .lav/.lavaan/.txt file (lavaan syntax)"
        )


def _read_text(file: pathlib.Path) -> str:
    """A model file's text (UTF-8, a byte-order mark allowed), or a SpecError naming it."""
    if not file.is_file():
        raise SpecError(f"model file {str(file)!r} does not exist or is not a file")
    try:
        raw = file.read_bytes()
    except OSError as err:
        raise SpecError(f"model file {str(file)!r} cannot be read: {err.strerror}") from None
    try:
        text = raw.decode("utf-16" if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig")
    except UnicodeDecodeError:
        raise SpecError(f"model file {file.name!r} is not UTF-8 text; save it as UTF-8") from None
    if "\x00" in text:
        raise SpecError(f"model file {file.name!r} holds binary data, not model text")
    return text


def _unknown(name: str, constructs: Sequence[str], owner: Mapping[str, str]) -> str:
    if name in owner:
        return f"{name!r} is an indicator of construct {owner[name]!r}, not a construct; paths relate constructs"
    shown = ", ".join(constructs[:12]) + (", ..." if len(constructs) > 12 else "")
    return f"unknown construct {name!r}.{suggest(name, constructs)} The constructs are: {shown}"


