"""Is a CB-SEM model identified? Counting rules, then the rank of the Jacobian at a generic point.

A model is (locally) identified when no combination of its free parameters can move
without changing the implied covariance matrix Sigma, i.e. when the Jacobian
d vech(Sigma) / d theta has full column rank. That rank is a property of the model,
not of the data, *except at special points*: semopy starts every structural path and
every construct covariance at 0, where a construct with two items loses its only link to
the rest of the model and the Jacobian drops rank although the model is identified
(lavaan and semopy fit it). So :func:`generic_jacobian` evaluates the Jacobian at a
**generic point** — loadings, paths, variances and covariances drawn from fixed
non-zero ranges by a seeded generator, fixed parameters kept — where its rank is the
model's generic rank. A model with a data-dependent (empirical) rank deficit at the
estimate (a path estimated at 0) is identified; its singular information is a
diagnostic of the fit.

:func:`check_identified` refuses, in this order and naming the culprit:

1. the t-rule: more free parameters than the p(p + 1)/2 distinct moments;
2. a construct without a scale (its loadings all fixed to 0 and its variance free;
   the translation fixes a marker loading otherwise, and a single item's residual
   variance to 0, so rule "one item needs a fixed error variance" holds by construction);
3. a rank deficit of the generic Jacobian, naming the parameters in its null space, with
   the likely cause (a construct with two items and no free or non-zero path or
   covariance to another construct, the classic case).

Example
-------
>>> import numpy as np, satmodel as sm
>>> spec = sm.ModelSpec.from_lavaan("A =~ a1 + a2\\nB =~ b1 + b2 + b3\\nB ~ 0*A")
>>> unlinked_two_item(spec)
['A']
>>> J = np.array([[1.0, 2.0], [2.0, 4.0], [0.5, 1.0]])  # two parameters, one direction
>>> try:
...     check_identified(spec, 2, J, ["A =~ a2", "A ~~ A"])
... except sm.SpecError as err:
...     print(str(err)[:60])
model 'model' is not identified: 1 combination(s) of its 2 f
"""

from __future__ import annotations

import numpy as np

from ..errors import SpecError
from ..spec.model import ModelSpec
from .translate import cb_endogenous, latent_names

__all__ = ["check_identified", "generic_jacobian", "sigma_jacobian", "unlinked_two_item",
           "unscaled", "weak_parameters", "GENERIC_SEED", "WEAK_TOL"]

#: variance inflation of a standard error (its variance over the variance it would have if
#: the other parameters were known) above which a fit is called empirically under-identified:
#: 1e5, a standard error inflated more than 300-fold (the ECSI model's most collinear path,
#: VAL ~ EXPE with se 5.6, has 1e4)
WEAK_TOL = 1e5

#: seed of the generic point (fixed: the check is deterministic)
GENERIC_SEED = 20240611

#: ranges of the generic point per kind of parameter
_RANGES = {"lambda": (0.6, 1.4), "beta": (0.2, 0.5), "var": (0.5, 1.5), "cov": (0.05, 0.2)}


def sigma_jacobian(model, stack: bool = False):
    """d vech(Sigma) / d theta of a semopy model at its current matrices: a list with None
    for parameters that do not enter Sigma (intercepts), or (``stack=True``) the
    moments x covariance-parameters matrix."""
    sigma, (m, c) = model.calc_sigma()
    p = sigma.shape[0]
    rows, cols = np.tril_indices(p)
    grads = [g[rows, cols] if np.ndim(g) == 2 else None for g in model.calc_sigma_grad(m, c)]
    if not stack:
        return grads
    grads = [g for g in grads if g is not None]
    return np.array(grads).T if grads else np.zeros((len(rows), 0))


def generic_jacobian(model) -> np.ndarray:
    """:func:`sigma_jacobian` (stacked) of a loaded semopy model at a generic point of its
    free parameters (module notes); the model's matrices are restored afterwards."""
    x0 = np.array(model.param_vals, dtype=float)
    x = x0.copy()
    rng = np.random.default_rng(GENERIC_SEED)
    active = [p for p in model.parameters.values() if p.active]
    for k, par in enumerate(active):
        loc = par.locations[0]
        i, j = loc.indices
        if loc.matrix is model.mx_lambda:
            kind = "lambda"
        elif loc.matrix is model.mx_beta:
            kind = "beta"
        elif loc.matrix is model.mx_psi or loc.matrix is model.mx_theta:
            kind = "var" if i == j else "cov"
        else:  # intercepts (mean structure) do not enter Sigma
            continue
        x[k] = rng.uniform(*_RANGES[kind])
    try:
        model.update_matrices(x)
        return sigma_jacobian(model, stack=True)
    finally:
        model.update_matrices(x0)


def _nonzero(value: float | None) -> bool:
    return value is None or value != 0.0


def unscaled(spec: ModelSpec) -> list[str]:
    """Constructs without a scale: every loading fixed to 0 (so no marker is added) and no
    fixed non-zero variance.

    >>> import satmodel as sm
    >>> unscaled(sm.ModelSpec.from_lavaan("F =~ 0*a + 0*b + 0*c"))
    ['F']
    """
    fixed_var = {c.lhs for c in spec.covariances if c.lhs == c.rhs and _nonzero(c.fixed)}
    out = []
    for con in spec.constructs:
        fixed = [i.fixed_loading for i in con.indicators if i.fixed_loading is not None]
        if fixed and not any(fixed) and con.name not in fixed_var:
            out.append(con.name)
    return out


def unlinked_two_item(spec: ModelSpec) -> list[str]:
    """Constructs with two items, and higher-order factors with two components, without a
    free or non-zero path or covariance to another construct (exogenous constructs covary
    freely unless a covariance fixes it to 0; a component is linked through its factor).

    >>> import satmodel as sm
    >>> unlinked_two_item(sm.ModelSpec.from_lavaan("A =~ a1 + a2; B =~ b1 + b2; H =~ A + B"))
    ['H']
    """
    names = set(latent_names(spec))
    linked: set[str] = {c for h in spec.higher_order for c in h.components}
    for p in spec.paths:
        if _nonzero(p.fixed) and p.source != p.target:
            linked |= {p.source, p.target}
    zero = set()
    for c in spec.covariances:
        if c.lhs in names and c.rhs in names and c.lhs != c.rhs:
            if _nonzero(c.fixed):
                linked |= {c.lhs, c.rhs}
            else:
                zero.add(frozenset((c.lhs, c.rhs)))
    inner = set(cb_endogenous(spec))
    exo = [c for c in latent_names(spec) if c not in inner]
    for a in exo:
        if any(b != a and frozenset((a, b)) not in zero for b in exo):
            linked.add(a)
    return [c.name for c in spec.constructs if len(c.indicators) == 2 and c.name not in linked] + \
        [h.name for h in spec.higher_order if len(h.components) == 2 and h.name not in linked]


def check_identified(spec: ModelSpec, n_free: int, jacobian: np.ndarray, names: list[str]) -> None:
    """Refuse a model that is not (locally) identified, with the reason.

    ``n_free`` counts the free parameters that enter Sigma, ``jacobian`` is d vech(Sigma) /
    d theta at a generic point (:func:`generic_jacobian`; moments x those parameters),
    ``names`` those parameters as ``lhs op rhs`` text with the spec's names.
    """
    p = len(spec.indicator_names)
    moments = p * (p + 1) // 2
    if n_free > moments:
        raise SpecError(
            f"model {spec.name!r} is not identified: it has {n_free} free parameters but its "
            f"{p} items give only {moments} variances and covariances (degrees of freedom "
            f"{moments - n_free}). Remove covariances ('~~') or paths, fix parameters, or add items")
    bad = unscaled(spec)
    if bad:
        raise SpecError(
            f"model {spec.name!r} is not identified: construct(s) {', '.join(map(repr, bad))} have "
            "no scale (every loading fixed to 0 and the variance free). Fix one loading to a "
            "non-zero value (e.g. 'F =~ 1*item1 + item2') or fix the construct's variance "
            "('F ~~ 1*F')")
    if n_free == 0 or jacobian.size == 0:
        return
    sv = np.linalg.svd(jacobian, compute_uv=False)
    tol = sv[0] * max(jacobian.shape) * 1e-9
    rank = int(np.sum(sv > tol))
    if rank >= n_free:
        return
    _, _, vt = np.linalg.svd(jacobian)
    weight = np.sqrt(np.sum(vt[rank:] ** 2, axis=0))
    involved = [names[k] for k in np.argsort(-weight, kind="stable") if weight[k] > 1e-6][:8]
    two = unlinked_two_item(spec)
    if two:
        cause = (f"Cause: construct(s) {', '.join(map(repr, two))} have two items (or, higher-order, two "
                 "components) and no free or non-zero "
                 "path or covariance to another construct, so their loading and variance cannot "
                 "be told apart: give each a free path or covariance to another construct, a "
                 "third item, or fix its second loading (e.g. 'A =~ a1 + 1*a2')")
    else:
        cause = ("Typical causes: a construct with two items and no correlated construct, "
                 "residual covariances within a small block, or a covariance ('~~') that "
                 "duplicates a path. Fix or remove some of them")
    raise SpecError(
        f"model {spec.name!r} is not identified: {n_free - rank} combination(s) of its "
        f"{n_free} free parameters leave the implied covariance matrix unchanged, so the data "
        f"cannot determine them; involved: {', '.join(involved)}. {cause}")


def weak_parameters(info: np.ndarray, names: list[str], tol: float = WEAK_TOL) -> tuple[str, ...]:
    """Parameters the data hardly determine: those whose variance inflation
    ``(info^-1)_kk * info_kk`` exceeds ``tol`` (all of a nearly dependent combination
    have it), largest first; every name if ``info`` is singular; else ().

    >>> weak_parameters(np.array([[1.0, 0.999999], [0.999999, 1.0]]), ["a", "b"])
    ('a', 'b')
    >>> weak_parameters(np.eye(2), ["a", "b"])
    ()
    """
    try:
        vif = np.diag(np.linalg.inv(info)) * np.diag(info)
    except np.linalg.LinAlgError:
        return tuple(names)
    vif = np.where(np.isfinite(vif), vif, np.inf)
    return tuple(names[k] for k in np.argsort(-vif, kind="stable") if vif[k] > tol)
