"""Translate a :class:`~satmodel.spec.ModelSpec` into semopy's model description.

CB-SEM fits common factors only: every construct must be reflective (``=~``, mode
A, ``common_factor=True``). Conventions follow lavaan's ``sem()``: the first
loading of each construct is fixed to 1 (marker indicator) unless the spec fixes
loadings itself; a single-item construct gets its item's residual variance fixed
to 0 (the construct *is* the item); exogenous constructs covary freely;
disturbances of endogenous constructs are uncorrelated unless the spec lists a
covariance (``~~``).

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

import numpy as np

from ..errors import SpecError
from ..spec.model import ModelSpec

__all__ = ["check_cbsem_spec", "semopy_description", "count_moments"]


def check_cbsem_spec(spec: ModelSpec) -> None:
    """Refuse what CB-SEM cannot fit: composites (``<~``, mode B/unit, mode-A composites).

    >>> import satmodel as sm
    >>> try:
    ...     check_cbsem_spec(sm.ModelSpec.from_lavaan("A <~ a1 + a2; B =~ b1 + b2; B ~ A"))
    ... except sm.SpecError as err:
    ...     print(str(err)[:70])
    CB-SEM (common factor model) cannot fit composite construct(s) 'A' (mo
    """
    bad = [c for c in spec.constructs if not (c.common_factor and c.mode == "A")]
    if bad:
        shown = ", ".join(f"{c.name!r} (mode {c.mode}{'' if c.mode != 'A' else ', composite'})" for c in bad)
        raise SpecError(
            f"CB-SEM (common factor model) cannot fit composite construct(s) {shown}: a composite "
            "('<~', mode B or unit) is a weighted sum of its items, not a factor behind them. "
            "Fit composites with sm.fit_pls(spec, data), or declare them reflective "
            "('NAME =~ items', mode 'A', common_factor=True) to fit them as common factors")


def _term(value: float | None, name: str) -> str:
    return name if value is None else f"{float(value)!r}*{name}"


def semopy_description(spec: ModelSpec) -> str:
    """semopy (lavaan-style) text of ``spec``; names are the spec's, in spec order."""
    lines = []
    for con in spec.constructs:
        lines.append(f"{con.name} =~ " + " + ".join(_term(i.fixed_loading, i.name) for i in con.indicators))
    for target in spec.endogenous:
        terms = [_term(p.fixed, p.source) for p in spec.paths if p.target == target]
        lines.append(f"{target} ~ " + " + ".join(terms))
    fixed_var = {(c.lhs, c.rhs) for c in spec.covariances if c.lhs == c.rhs}
    for con in spec.constructs:
        item = con.indicators[0].name
        if len(con.indicators) == 1 and (item, item) not in fixed_var:
            lines.append(f"{item} ~~ 0*{item}")
    for cov in spec.covariances:
        lines.append(f"{cov.lhs} ~~ {_term(cov.fixed, cov.rhs)}")
    return "\n".join(lines) + "\n"


def count_moments(n_items: int) -> int:
    """Number of distinct variances and covariances of ``n_items`` items, p(p + 1)/2.

    >>> count_moments(11)
    66
    """
    return n_items * (n_items + 1) // 2


def check_identified(spec: ModelSpec, n_free: int, jacobian: np.ndarray, names: list[str]) -> None:
    """Refuse a model that is not (locally) identified, with the reason.

    ``jacobian`` is d vech(Sigma) / d theta at the starting values (moments x
    free parameters), ``names`` the free parameters as ``lhs op rhs`` text.
    The counting rule (more parameters than moments) is checked first; then the
    rank of the Jacobian: a rank deficit means some parameters move without
    changing the implied covariance matrix, so the data cannot tell them apart.
    """
    p = len(spec.indicator_names)
    moments = count_moments(p)
    if n_free > moments:
        raise SpecError(
            f"model {spec.name!r} is not identified: it has {n_free} free parameters but its "
            f"{p} items give only {moments} variances and covariances (degrees of freedom "
            f"{moments - n_free}). Remove covariances ('~~') or paths, fix parameters, or add items")
    if n_free == 0 or jacobian.size == 0:
        return
    sv = np.linalg.svd(jacobian, compute_uv=False)
    tol = sv[0] * max(jacobian.shape) * 1e-9
    rank = int(np.sum(sv > tol))
    if rank >= n_free:
        return
    _, _, vt = np.linalg.svd(jacobian)
    null = vt[rank:]
    weight = np.sqrt(np.sum(null**2, axis=0))
    involved = [names[k] for k in np.argsort(-weight) if weight[k] > 1e-6][:8]
    raise SpecError(
        f"model {spec.name!r} is not identified: {n_free - rank} combination(s) of its "
        f"{n_free} free parameters leave the implied covariance matrix unchanged, so the data "
        f"cannot determine them; involved: {', '.join(involved)}. Typical causes: a construct "
        "with two items and no correlated construct, residual covariances within a small "
        "block, or a covariance ('~~') that duplicates a path. Fix or remove some of them")
