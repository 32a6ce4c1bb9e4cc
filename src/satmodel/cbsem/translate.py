"""Translate a :class:`~satmodel.spec.ModelSpec` into semopy's model description.

CB-SEM fits common factors only: every construct must be reflective (``=~``, mode
A, ``common_factor=True``). Conventions follow lavaan's ``sem()``: the first
loading of each construct is fixed to 1 (marker indicator) unless the spec fixes
loadings itself; a single-item construct gets its item's residual variance fixed
to 0 (the construct *is* the item); exogenous constructs covary freely;
disturbances of endogenous constructs are uncorrelated unless the spec lists a
covariance (``~~``). A reflective higher-order factor (``PERF =~ QUAL + VAL``) is a
latent variable whose indicators are constructs, as in lavaan: its loadings are
regressions of the components on it (first fixed to 1), the components' disturbances
are uncorrelated unless the spec lists a covariance, and it may predict or be predicted by
other constructs.

semopy's parser reads only names such as ``x1`` (no ``-``, ``/``, ``$``, ``@``, digits
first, ...), and orders its variables by sorting the names. So the engine never shows it
the spec's names: :func:`semopy_names` maps every construct to ``f0000, f0001, ...`` and
every item to ``x0000, x0001, ...`` (spec order, so semopy's order is the spec's), and
maps everything semopy returns (parameters, messages) back. Any spec name therefore
fits, and two specs that differ only in names give identical semopy runs.

Example
-------
>>> import satmodel as sm
>>> spec = sm.ModelSpec.from_lavaan("X =~ x1 + x2 + x3\\nY =~ y1\\nY ~ X\\nx1 ~~ x2")
>>> print(semopy_description(spec), end="")
X =~ x1 + x2 + x3
Y =~ y1
Y ~ X
y1 ~~ 0*y1
x1 ~~ x2
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from ..errors import NotAvailableError, SpecError
from ..spec.model import ModelSpec

__all__ = ["check_cbsem_spec", "latent_names", "cb_endogenous", "hoc_loadings",
           "semopy_description", "semopy_names", "SemopyNames", "count_moments",
           "pure_outcomes", "with_outcome_covariances", "with_first_markers"]


def check_cbsem_spec(spec: ModelSpec) -> None:
    """Refuse what CB-SEM cannot fit: composites (``<~``, mode B/unit, mode-A composites),
    formative higher-order constructs and interaction terms (reflective higher-order
    factors ``PERF =~ QUAL + VAL`` are fitted: the second-order loadings are regressions
    of the components on the factor, as in lavaan).

    >>> import satmodel as sm
    >>> try:
    ...     check_cbsem_spec(sm.ModelSpec.from_lavaan("A <~ a1 + a2; B =~ b1 + b2; B ~ A"))
    ... except sm.SpecError as err:
    ...     print(str(err)[:70])
    CB-SEM (common factor model) cannot fit composite construct(s) 'A' (mo
    """
    if spec.interactions:
        raise NotAvailableError(
            f"fit_cbsem does not fit interaction term(s) {', '.join(map(repr, spec.interactions))} "
            "(latent interactions need their own CB-SEM estimator, e.g. latent moderated "
            "structural equations, which semopy does not offer); fit the model with "
            "sm.fit_pls(spec, data, interaction=...), or drop the interaction terms")
    formed = [h for h in spec.higher_order if not (h.mode == "A" and h.common_factor)]
    if formed:
        shown = ", ".join(f"{h.name!r} (mode {h.mode})" for h in formed)
        raise NotAvailableError(
            f"fit_cbsem fits reflective higher-order factors ('HOC =~ components') only, not "
            f"formative or composite higher-order construct(s) {shown}: a formative HOC is not "
            "identified as a common factor without outcomes of its own (a MIMIC model), which "
            "satmodel does not set up; fit it with sm.fit_pls(spec, data, hoc=...), or declare "
            "it reflective ('HOC =~ components')")
    bad = [c for c in spec.constructs if not (c.common_factor and c.mode == "A")]
    if bad:
        shown = ", ".join(f"{c.name!r} (mode {c.mode}{'' if c.mode != 'A' else ', composite'})" for c in bad)
        raise SpecError(
            f"CB-SEM (common factor model) cannot fit composite construct(s) {shown}: a composite "
            "('<~', mode B or unit) is a weighted sum of its items, not a factor behind them. "
            "Fit composites with sm.fit_pls(spec, data), or declare them reflective "
            "('NAME =~ items', mode 'A', common_factor=True) to fit them as common factors")


def latent_names(spec: ModelSpec) -> tuple[str, ...]:
    """The CB-SEM model's latent variables: the first-order constructs in spec order, then
    the higher-order ones (the construct axis of every CB-SEM array).

    >>> import satmodel as sm
    >>> latent_names(sm.ModelSpec.from_lavaan("A =~ a1 + a2; B =~ b1 + b2; C =~ c1 + c2; "
    ...                                       "H =~ A + B; C ~ H"))
    ('A', 'B', 'C', 'H')
    """
    return spec.construct_names + tuple(h.name for h in spec.higher_order)


def cb_endogenous(spec: ModelSpec) -> tuple[str, ...]:
    """Latent variables with a disturbance (an R²): path targets and the components of
    higher-order factors, in :func:`latent_names` order."""
    inner = {p.target for p in spec.paths} | {c for h in spec.higher_order for c in h.components}
    return tuple(c for c in latent_names(spec) if c in inner)


def hoc_loadings(spec: ModelSpec) -> tuple[tuple[str, str], ...]:
    """(higher-order factor, component) pairs in spec order: the second-order loadings,
    held in the structural matrix as regressions of the components on the factor."""
    return tuple((h.name, c) for h in spec.higher_order for c in h.components)


@dataclass(frozen=True, eq=False)
class SemopyNames:
    """The spec's construct and item names and the identifiers semopy is given.

    >>> import satmodel as sm
    >>> names = semopy_names(sm.ModelSpec.from_lavaan("A-1 =~ a/1 + a$2 + 3a"))
    >>> names.to_semopy["a$2"], names.restore("x0002 ~~ x0002; f0000 =~ x0000")
    ('x0001', '3a ~~ 3a; A-1 =~ a/1')
    """

    to_semopy: Mapping[str, str]
    to_spec: Mapping[str, str]
    pattern: re.Pattern

    def restore(self, text: str) -> str:
        """``text`` (a semopy message or parameter) with the spec's names."""
        return self.pattern.sub(lambda m: self.to_spec[m.group(0)], str(text))

    def spec_name(self, name: str) -> str:
        """The spec's name of a semopy identifier (others unchanged)."""
        return self.to_spec.get(name, name)


def semopy_names(spec: ModelSpec) -> SemopyNames:
    """Safe identifiers for semopy: constructs ``f0000...`` (higher-order ones after the
    first-order ones, :func:`latent_names`), items ``x0000...`` in spec order."""
    cons, items = latent_names(spec), spec.indicator_names
    width = max(4, len(str(max(len(cons), len(items)))))
    to = {c: f"f{j:0{width}d}" for j, c in enumerate(cons)}
    to.update({x: f"x{k:0{width}d}" for k, x in enumerate(items)})
    pattern = re.compile(rf"(?<![\w.])[fx]\d{{{width}}}(?![\w.])")
    return SemopyNames(to_semopy=to, to_spec={v: k for k, v in to.items()}, pattern=pattern)


def _number(value: float) -> str:
    """A fixed value as semopy's parser reads it (``1e+20`` would split at ``+``)."""
    return repr(float(value)).replace("e+", "e")


def semopy_description(spec: ModelSpec, names: Mapping[str, str] | None = None) -> str:
    """semopy (lavaan-style) text of ``spec`` in spec order; with the spec's names, or
    ``names`` (spec name -> identifier, :attr:`SemopyNames.to_semopy`) in their place."""
    n = (lambda name: name) if names is None else names.__getitem__

    def term(value: float | None, name: str) -> str:
        return n(name) if value is None else f"{_number(value)}*{n(name)}"

    lines = []
    for con in spec.constructs:
        lines.append(f"{n(con.name)} =~ " + " + ".join(term(i.fixed_loading, i.name) for i in con.indicators))
    for hoc in spec.higher_order:
        lines.append(f"{n(hoc.name)} =~ " + " + ".join(map(n, hoc.components)))
    targets = {p.target for p in spec.paths}
    for target in (c for c in latent_names(spec) if c in targets):
        terms = [term(p.fixed, p.source) for p in spec.paths if p.target == target]
        lines.append(f"{n(target)} ~ " + " + ".join(terms))
    fixed_var = {(c.lhs, c.rhs) for c in spec.covariances if c.lhs == c.rhs}
    for con in spec.constructs:
        item = con.indicators[0].name
        if len(con.indicators) == 1 and (item, item) not in fixed_var:
            lines.append(f"{n(item)} ~~ 0*{n(item)}")
    for cov in spec.covariances:
        lines.append(f"{n(cov.lhs)} ~~ {term(cov.fixed, cov.rhs)}")
    return "\n".join(lines) + "\n"


def count_moments(n_items: int) -> int:
    """Number of distinct variances and covariances of ``n_items`` items, p(p + 1)/2.

    >>> count_moments(11)
    66
    """
    return n_items * (n_items + 1) // 2


def pure_outcomes(spec: ModelSpec) -> tuple[str, ...]:
    """Endogenous constructs that predict no other construct (lavaan's latent ``y`` variables).

    >>> import satmodel as sm
    >>> pure_outcomes(sm.ModelSpec.from_lavaan("A =~ a1; B =~ b1; C =~ c1; B ~ A; C ~ A"))
    ('B', 'C')
    """
    sources, targets = {p.source for p in spec.paths}, {p.target for p in spec.paths}
    return tuple(c for c in latent_names(spec) if c in targets and c not in sources)


def with_outcome_covariances(spec: ModelSpec) -> ModelSpec:
    """``spec`` with a free disturbance covariance between every two :func:`pure_outcomes`
    the spec does not already relate (lavaan ``sem()``'s default, ``orthogonal.y = FALSE``).

    >>> import satmodel as sm
    >>> s = with_outcome_covariances(sm.ModelSpec.from_lavaan("A =~ a1; B =~ b1; C =~ c1; B ~ A; C ~ A"))
    >>> [(c.lhs, c.rhs) for c in s.covariances]
    [('B', 'C')]
    """
    ys = pure_outcomes(spec)
    hocs = [y for y in ys if y not in spec.construct_names]
    if hocs and len(ys) > 1:
        raise NotAvailableError(
            f"outcome_covariances=True would free the disturbance covariances of higher-order "
            f"factor(s) {', '.join(map(repr, hocs))} with the other pure outcomes (as lavaan "
            "does), which a spec cannot hold yet (covariances name first-order constructs); "
            "use outcome_covariances=False (the default), or give the factor a successor")
    have = {frozenset((c.lhs, c.rhs)) for c in spec.covariances}
    extra = [{"lhs": a, "rhs": b} for i, a in enumerate(ys) for b in ys[i + 1:]
             if frozenset((a, b)) not in have]
    if not extra:
        return spec
    return type(spec).model_validate({**spec.model_dump(), "covariances": [
        *[c.model_dump() for c in spec.covariances], *extra]})


def with_first_markers(spec: ModelSpec) -> ModelSpec:
    """``spec`` with the first loading of a construct fixed to 1 where the spec fixes another
    of its loadings but not the first (lavaan's marker rule; without it semopy, and satmodel
    by default, let the fixed loadings set the construct's scale and free the first).

    >>> import satmodel as sm
    >>> s = with_first_markers(sm.ModelSpec.from_lavaan("F =~ a + 0.5*b + c"))
    >>> [i.fixed_loading for i in s.constructs[0].indicators]
    [1.0, 0.5, None]
    """
    cons = []
    for con in spec.constructs:
        first, rest = con.indicators[0], con.indicators[1:]
        if first.fixed_loading is None and any(i.fixed_loading is not None for i in rest):
            con = con.model_copy(update={"indicators": (first.model_copy(update={"fixed_loading": 1.0}),
                                                        *rest)})
        cons.append(con)
    if all(a is b for a, b in zip(cons, spec.constructs)):
        return spec
    return type(spec).model_validate({**spec.model_dump(), "constructs": [c.model_dump() for c in cons]})
