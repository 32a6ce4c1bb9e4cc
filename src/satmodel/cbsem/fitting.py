"""CB-SEM fits of validated rows (:func:`fit_cbsem_rows`): moments, a fresh semopy fit,
fit indices, and the diagnostics (non-convergence, Heywood cases, singular information)
as records; the option checks of ``fit_cbsem``.

Example
-------
>>> import satmodel as sm
>>> spec = sm.ModelSpec.from_lavaan("EXPE =~ EXPE1 + EXPE2 + EXPE3; SAT =~ SAT1 + SAT2 + SAT3; SAT ~ EXPE")
>>> cb = sm.fit_cbsem(spec, sm.datasets.load("ecsi_satisfaction"))
>>> cb.converged, int(cb.fit_indices["df"])
(True, 8)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .engine import OBJECTIVES, CBEstimate, adf_gamma, run_semopy
from .solution import standardize
from .stats import fiml_indices, fit_indices
from .translate import (cb_endogenous, count_moments, hoc_loadings, latent_names, with_first_markers,
                        with_outcome_covariances)
from .. import _validate as valid
from ..diagnostics import report
from ..errors import (AdmissibilityWarning, ConvergenceWarning, DataError, EstimationError,
                     HeywoodWarning, SatModelWarning)
from ..moments.missing import em_moments
from ..spec.model import ModelSpec

__all__ = ["CBFit", "Conventions", "fit_cbsem_rows", "check_options", "check_conventions",
           "check_moments", "refuse_missing", "with_hoc_labels", "MISSING"]

#: a free variance below this share of its implied (item) or total (construct) variance is "at 0"
HEYWOOD_TOL = 1e-6

#: missing-data treatments of fit_cbsem ("casewise" is accepted as fit_pls's name of "listwise")
MISSING = ("error", "listwise", "fiml")

_NOT_SEMOPY = {  # estimators users ask for that semopy 2.3 does not have, with the alternative
    "MLR": "robust (Huber-White) standard errors and a scaled test are not in semopy; use "
           "estimator='ML' with res.bootstrap(n, seed) for robust standard errors",
    "MLM": "the Satorra-Bentler scaled test is not in semopy; use estimator='ML' with "
           "res.bootstrap(n, seed), or estimator='WLS' (ADF, distribution-free chi2)",
    "WLSMV": "polychoric (ordinal) estimation is not wrapped; use estimator='DWLS' (on the "
             "Pearson covariances) or 'WLS'",
    "FIML": "FIML is a missing-data treatment here: use estimator='ML', missing='fiml'",
    "MLW": "semopy's 'MLW' is satmodel's estimator='ML'",
}


def check_options(estimator: Any, missing: Any, max_iter: Any) -> str:
    """Validate the estimator options of ``fit_cbsem`` once; the missing-data treatment
    with ``"casewise"`` read as ``"listwise"``."""
    if not isinstance(estimator, str) or estimator not in OBJECTIVES:
        hint = _NOT_SEMOPY.get(str(estimator).upper(), "")
        raise valid.bad("fit_cbsem", "estimator", estimator, (f"{hint}; " if hint else "")
                        + "choose one of " + ", ".join(map(repr, OBJECTIVES)))
    valid.integer("fit_cbsem", "max_iter", max_iter)
    if missing in ("mean", "pairwise", "em"):
        raise valid.bad("fit_cbsem", "missing", missing,
                        f"{missing!r} is a fit_pls treatment (it works on moments); fit_cbsem "
                        "offers missing='fiml' (full-information ML, every answer used) or 'listwise'")
    missing = valid.choice("fit_cbsem", "missing", missing, MISSING + ("casewise",))
    missing = "listwise" if missing == "casewise" else missing
    if missing == "fiml" and estimator != "ML":
        raise valid.bad("fit_cbsem", "estimator", estimator,
                        "missing='fiml' needs estimator='ML': semopy's full-information "
                        f"likelihood is normal-theory ML only. Use missing='listwise' with "
                        f"estimator={estimator!r}, or estimator='ML'")
    return missing


@dataclass(frozen=True)
class Conventions:
    """Conventions of a CB-SEM fit where programs differ (each matches a lavaan option).

    ``cov_divisor``: "n" (the ML estimate; lavaan ``sample.cov.rescale=TRUE``, its ML
    default) or "n-1" (the unbiased covariance, lavaan's default for GLS, WLS, ULS and
    DWLS; not for ML/FIML). ``se``: "standard" or "robust" (sandwich with the ADF matrix,
    lavaan ``se="robust.sem"``; ULS and DWLS only, as lavaan); None is the estimator's
    default (ULS, DWLS robust; GLS, WLS standard; ML expected information).
    ``unscaled_test``: ULS/DWLS report lavaan's unscaled test statistic ((n - 1) F, lavaan
    ``test="standard"``) and the indices built on it instead of ``<NA>``. ``srmr_means``:
    FIML's SRMR includes the standardized mean residuals (lavaan's ``srmr`` with a mean
    structure; default: covariances only, lavaan's ``srmr_bentler_nomean``).
    ``outcome_covariances``: the disturbances of the endogenous constructs that predict
    nothing covary freely (lavaan ``sem()``'s default, ``orthogonal.y = FALSE``); default
    False: only as the spec says (lavaan ``orthogonal.y = TRUE``). ``first_marker``: the
    first loading is fixed to 1 also when the spec fixes another loading of the construct
    (lavaan's rule, which frees it only with ``NA*item``); default: the spec's fixed loadings
    set the scale and the first is free.

    >>> Conventions().se_kind("ULS"), Conventions(se="standard").se_kind("ULS")
    ('robust', 'standard')
    """

    cov_divisor: str = "n"
    se: str | None = None
    unscaled_test: bool = False
    srmr_means: bool = False
    outcome_covariances: bool = False
    first_marker: bool = False

    def se_kind(self, estimator: str) -> str:
        if self.se is not None:
            return self.se
        return "robust" if estimator in ("ULS", "DWLS") else "standard"


def check_conventions(estimator: str, missing: str, cov_divisor: Any, se: Any,
                      unscaled_test: Any, srmr_means: Any = False,
                      outcome_covariances: Any = False, first_marker: Any = False) -> Conventions:
    """Validate the convention options of ``fit_cbsem`` (see :class:`Conventions`)."""
    cov_divisor = valid.choice("fit_cbsem", "cov_divisor", cov_divisor, ("n", "n-1"))
    if cov_divisor == "n-1" and (estimator == "ML" or missing == "fiml"):
        raise valid.bad("fit_cbsem", "cov_divisor", cov_divisor,
                        "the ML discrepancy and likelihood use the ML covariance (divisor n, as "
                        "lavaan's ML); 'n-1' is for estimator='GLS', 'WLS', 'ULS' or 'DWLS'")
    if se is not None:
        se = valid.choice("fit_cbsem", "se", se, ("standard", "robust"))
        if se == "robust" and (estimator not in ("ULS", "DWLS") or missing == "fiml"):
            raise valid.bad("fit_cbsem", "se", se,
                            "robust (sandwich) standard errors are offered for 'ULS' and 'DWLS' "
                            "(lavaan's se='robust.sem'; WLS's standard errors are already "
                            "distribution-free); otherwise use res.bootstrap(n, seed)")
    for name, flag in (("unscaled_test", unscaled_test), ("srmr_means", srmr_means),
                       ("outcome_covariances", outcome_covariances), ("first_marker", first_marker)):
        if not isinstance(flag, (bool, np.bool_)):
            raise valid.bad("fit_cbsem", name, flag, "True or False")
    return Conventions(cov_divisor=cov_divisor, se=se, unscaled_test=bool(unscaled_test),
                       srmr_means=bool(srmr_means),
                       outcome_covariances=bool(outcome_covariances), first_marker=bool(first_marker))


def refuse_missing(spec: ModelSpec, nan: np.ndarray, index: pd.Index) -> None:
    items = [f"{name} ({int(k)} missing, rows {index[nan[:, j]].tolist()[:5]})"
             for j, (name, k) in enumerate(zip(spec.indicator_names, nan.sum(axis=0))) if k]
    raise DataError(
        f"{len(items)} item(s) of model {spec.name!r} have missing answers (NaN or na_values "
        f"codes): {'; '.join(items[:8])}{' ...' if len(items) > 8 else ''}. With missing='error' "
        "(the default) fit_cbsem does not handle them: pass missing='fiml' (full-information "
        "ML, uses every answer; valid under MAR) or missing='listwise' (drops those respondents)")


@dataclass(frozen=True, eq=False)
class CBFit:
    """One CB-SEM fit of validated rows: moments the model was fitted to, the engine's
    estimate and the fit indices (the arrays a :class:`~satmodel.CBSEMResult` holds)."""

    spec: ModelSpec
    estimator: str
    n_obs: int
    indicator_mean: np.ndarray
    sample_cov: np.ndarray
    estimate: CBEstimate
    fit_indices: pd.Series
    missing: str
    conventions: Conventions = Conventions()


def fit_cbsem_rows(spec: ModelSpec, X: np.ndarray, *, estimator: str = "ML", max_iter: int = 10000,
                   diagnose: bool = True, missing: str = "error",
                   conventions: Conventions | None = None, se: bool | None = None,
                   polish: bool | None = None, keep_ml: bool = False) -> CBFit:
    """Fit validated rows ``X`` (n x p, spec indicator order; NaN only with ``missing="fiml"``);
    the bootstrap calls this too (pass the fit's ``conventions`` to refit alike).

    With ``diagnose=False`` no warnings are issued (the caller inspects the result) and
    FIML standard errors are skipped. ``se`` (default: as ``diagnose``, always for complete
    data) and ``polish`` (default: ``diagnose``; the engine's final Newton steps) override;
    ``keep_ml`` keeps an ML fit's objective as arrays on the estimate (for the bootstrap).
    """
    conv = Conventions() if conventions is None else conventions
    X = np.asarray(X, dtype=float)
    n = X.shape[0]
    fiml = missing == "fiml"
    if fiml:
        em = em_moments(X)
        mean = np.asarray(em.mean, dtype=float)
        S = np.asarray(em.corr * np.outer(em.std, em.std), dtype=float) * (n - 1) / n
    else:
        mean, S = X.mean(axis=0), np.cov(X, rowvar=False, bias=True)
    check_moments(spec, S)
    gamma = _check_gamma(spec, X, estimator) if estimator in ("WLS", "DWLS") else None
    rows = X
    if conv.cov_divisor == "n-1":  # rows whose divisor-n covariance is the unbiased one
        S = S * n / (n - 1)
        rows = mean + (X - mean) * np.sqrt(n / (n - 1))
    if gamma is None and not fiml and estimator != "ML" and conv.se_kind(estimator) == "robust":
        gamma = adf_gamma(X)  # of the data as observed (divisor n), also after rescaling
    model = with_outcome_covariances(spec) if conv.outcome_covariances else spec
    model = with_first_markers(model) if conv.first_marker else model
    est = run_semopy(model, rows, estimator=estimator, max_iter=max_iter, fiml=fiml,
                     se=(diagnose or not fiml) if se is None else se,
                     se_kind=conv.se_kind(estimator), gamma=gamma, n_obs=n,
                     em=(mean, S) if fiml else None, polish=diagnose if polish is None else polish,
                     keep_ml=keep_ml)
    est = with_hoc_labels(spec, est)
    if not np.all(np.isfinite(est.sigma)):
        raise EstimationError(f"semopy returned a non-finite implied covariance matrix for model "
                              f"{spec.name!r}: {est.message}")
    if diagnose:
        _diagnose(model, est, estimator)
    if fiml:
        fit = fiml_indices(X, est.mean, est.sigma, n_free=est.n_free, sat_mean=mean, sat_cov=S,
                           srmr_means=conv.srmr_means)
        mean = est.mean
    else:
        fit = fit_indices(S, est.sigma, n=n, n_free=est.n_free, estimator=estimator, gamma=gamma,
                          unscaled_test=conv.unscaled_test)
    return CBFit(spec=spec, estimator=estimator, n_obs=n, indicator_mean=mean, sample_cov=S,
                 estimate=est, fit_indices=fit, missing=missing, conventions=conv)


def with_hoc_labels(spec: ModelSpec, est: CBEstimate) -> CBEstimate:
    """``est`` with each second-order loading listed as lavaan does, ``HOC =~ component``
    (semopy lists it as the regression ``component ~ HOC``)."""
    pairs = {(c, h) for h, c in hoc_loadings(spec)}
    par = est.params
    hit = [(a, b) in pairs and op == "~" for a, op, b in zip(par["lhs"], par["op"], par["rhs"])]
    if not any(hit):
        return est
    par = par.copy()
    hit = np.array(hit)
    par.loc[hit, ["lhs", "rhs"]] = par.loc[hit, ["rhs", "lhs"]].to_numpy()
    par.loc[hit, "op"] = "=~"
    text = {f"{c} ~ {h}": f"{h} =~ {c}" for c, h in pairs}  # the names in diagnostics too
    return dataclasses.replace(est, params=par, weak=tuple(text.get(w, w) for w in est.weak))


def _check_gamma(spec: ModelSpec, X: np.ndarray, estimator: str) -> np.ndarray:
    m = count_moments(X.shape[1])
    gamma = adf_gamma(X)
    w = np.diag(gamma) if estimator == "DWLS" else np.linalg.eigvalsh(gamma)
    if (estimator == "WLS" and X.shape[0] <= m) or w.min() <= 1e-12 * w.max():
        raise EstimationError(
            f"the ADF weight matrix of model {spec.name!r} ({m} x {m}, from {X.shape[0]} rows) "
            "is singular: WLS/DWLS need clearly more respondents than the p(p + 1)/2 = "
            f"{m} distinct moments (and no item that is a function of others). Use "
            "estimator='ML' (with res.bootstrap for non-normal data) or 'ULS'")
    return gamma


def check_moments(spec: ModelSpec, S: np.ndarray) -> None:
    """Refuse a singular item covariance matrix (EstimationError naming the items)."""
    d = np.sqrt(np.diag(S))
    R = S / np.outer(d, d)
    w, v = np.linalg.eigh(R)
    if w[0] <= 1e-10 * max(w[-1], 1.0):
        items = [spec.indicator_names[k] for k in np.argsort(-np.abs(v[:, 0])) if abs(v[k, 0]) > 1e-3]
        raise EstimationError(
            "the item covariance matrix is singular, so the ML discrepancy is undefined: items "
            f"{items[:8]} are (nearly) linearly dependent. Drop a redundant item (e.g. a sum or a "
            "duplicate) or fit by PLS")


def _diagnose(spec: ModelSpec, est: CBEstimate, estimator: str) -> None:
    if not est.converged:
        report(
            "not_converged",
            f"CB-SEM ({estimator}) for model {spec.name!r} did not converge after {est.n_iter} "
            f"iterations (semopy/SLSQP: {est.message}); the estimates are the last iterate and "
            "res.converged is False. Check the model for identification problems, or raise max_iter",
            ConvergenceWarning, count=int(est.n_iter))
    for note in est.messages:
        if "Fisher Information Matrix is not PD" in note or "Solver didn" in note:
            continue
        report("semopy", f"semopy reported while fitting {spec.name!r}: {note}", SatModelWarning)
    if est.weak:
        report(
            "weak_identification", f"model {spec.name!r} is empirically under-identified here: the "
            "information matrix is nearly singular, so the data hardly determine a combination "
            f"of {', '.join(est.weak[:8])} (their standard errors are inflated more than 300-fold "
            "by their dependence). Typical causes: a "
            "construct with two items whose link to the model is near 0, items of a construct "
            "that barely correlate, or (FIML) too few answers to some items. Fix or drop those "
            "parameters, add items, or use the bootstrap", AdmissibilityWarning, names=est.weak)
    elif est.fim_singular:
        report(
            "singular_information", f"the information matrix of model {spec.name!r} is singular at the estimates, so the "
            "standard errors are unreliable: the model is empirically under-identified here (a path "
            "or loading near 0 can do this). Use the bootstrap, or simplify the model",
            AdmissibilityWarning)
    _heywood(spec, est)


def _heywood(spec: ModelSpec, est: CBEstimate) -> None:
    sol = standardize(est)
    par = est.params
    free_var = {(a) for a, op, b, f in zip(par["lhs"], par["op"], par["rhs"], par["free"])
                if op == "~~" and a == b and f}
    owner = {i: c.name for c in spec.constructs for i in c.indicator_names}
    problems, heywood_names = [], []
    lavaan = dict(est.unbounded)  # where the bounded variances go without the bound

    def unbounded(name: str) -> str:
        value = lavaan.get(f"{name} ~~ {name}")
        return "" if value is None else (f"; without the bound, as lavaan reports it: {value:.4g}"
                                         f"{' (negative)' if value < 0 else ''}")

    for k, item in enumerate(spec.indicator_names):
        lam = float(np.abs(sol.loadings[k]).max())
        if item in free_var and est.theta[k, k] <= HEYWOOD_TOL * est.sigma[k, k]:
            heywood_names.append(item)
            problems.append(f"item {item!r} of construct {owner[item]!r} has residual variance "
                            f"{est.theta[k, k]:.3g} (at its bound 0; standardized loading {lam:.3f}"
                            f"{unbounded(item)})")
        elif lam >= 1.0 + 1e-9:
            heywood_names.append(item)
            problems.append(f"item {item!r} of construct {owner[item]!r} has standardized loading {lam:.3f} > 1")
    for j, name in enumerate(latent_names(spec)):
        if name in free_var and est.psi[j, j] <= HEYWOOD_TOL * max(sol.construct_var[j], 1e-300):
            what = "disturbance variance" if name in cb_endogenous(spec) else "variance"
            heywood_names.append(name)
            problems.append(f"construct {name!r} has {what} {est.psi[j, j]:.3g} (at its bound 0"
                            f"{unbounded(name)})")
    if problems:
        report(
            "heywood", f"Heywood case in model {spec.name!r}: " + "; ".join(problems) + ". satmodel "
            "keeps variances at or above 0 (lavaan does not). The solution is "
            "improper: too few items or too small a sample for the construct, a misspecified model, "
            "or an item that duplicates another. Inspect those items, or constrain the model",
            HeywoodWarning, names=heywood_names)
