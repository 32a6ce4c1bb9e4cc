"""Model-implied correlation matrices and model-fit measures (SRMR, d_ULS, d_G, ...).

Everything is a batched function of the indicator correlations ``S`` (..., p, p) and
an :class:`~satmodel.engine.Estimate`, so the bootstrap evaluates the same code on B
resamples at once. The long table ``fit`` (columns model, measure, value) is defined
here and listed in :data:`satmodel.tables.TABLES`.

Implied indicator correlations (cSEM ``fit()``, ADANCO; docs/methods.md §3.5):

- between blocks i and j: v_i v_j' R_ij, with v the loadings (PLSc loadings for
  common factors, S_jj w for composites) and R the construct correlations;
- within a common-factor block: v v' with unit diagonal; within a composite block
  (Mode B, unit, single item, Mode A composite): the observed S_jj;
- *saturated* model: R = the estimated construct correlations;
  *estimated* model: exogenous correlations as estimated, structural errors
  uncorrelated with variance 1 - R², endogenous block
  (I - B)^-1 (Γ Φ Γ' + Ψ)(I - B)^-T, then endogenous variances set to 1.

Measures: SRMR over the p(p + 1)/2 elements of the lower triangle including the
diagonal; d_ULS = ½ Σ (s_kl - σ_kl)² over all p² elements; d_G = ½ Σ (log λ_k)² with
λ_k the eigenvalues of S⁻¹Σ̂ and **log base 10** (cSEM, ADANCO; ``log="ln"`` gives
natural logs, (ln 10)² ≈ 5.3 times larger); cSEM's ML-type figures: d_ML = ln|Σ̂| +
tr(SΣ̂⁻¹) - ln|S| - p, chi2 = (n - 1) d_ML (lavaan would use n), df (cSEM's count of
free parameters: construct correlations and paths, one loading per item of a
construct the spec declares a common factor (single items too), k - 1 weights plus
k(k - 1)/2 within-block correlations per composite), chi2_df,
CFI, GFI (ML), IFI, NFI, NNFI (capped at 1), RMSEA, Hoelter's CN (5 %) and RMS_theta
(root mean square of the outer residual correlations between items not in the same
composite block). These ML-type figures are meant for PLSc models of common factors.

A value that is not defined (Σ̂ not positive definite, df = 0) is NaN here and
``<NA>`` in the result table.

Example
-------
>>> import satmodel as sm
>>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
>>> fit = res.fit
>>> list(fit.columns)
['model', 'measure', 'value']
>>> bool(fit.value.iloc[0] > 0)
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .._linalg import inv, logdet
from ..engine.pls import Estimate
from ..errors import OptionError
from ..spec.layout import Layout
from ..spec.model import ModelSpec
from .base import TableDef

__all__ = ["MODELS", "MEASURES", "implied_construct_corr", "implied_corr", "srmr", "d_uls",
           "d_g", "d_ml", "degrees_of_freedom", "rms_theta", "fit_values"]

MODELS = ("saturated", "estimated")
MEASURES = ("srmr", "d_uls", "d_g", "d_ml", "chi2", "df", "chi2_df", "cfi", "gfi", "ifi",
            "nfi", "nnfi", "rmsea", "cn", "rms_theta")


def _check_model(model: str) -> None:
    if model not in MODELS:
        raise OptionError(f"model={model!r}: choose 'saturated' or 'estimated'")


def implied_construct_corr(est: Estimate, layout: Layout, model: str = "estimated") -> np.ndarray:
    """Construct correlations implied by the saturated or the estimated model, (..., J, J)."""
    _check_model(model)
    R = np.asarray(est.construct_corr, dtype=float)
    endo = layout.adjacency.any(axis=0)
    if model == "saturated" or not endo.any():
        return R.copy()
    en, ex = np.flatnonzero(endo), np.flatnonzero(~endo)
    Bt = np.swapaxes(np.asarray(est.paths, dtype=float), -1, -2)  # [target, source]
    Bee = Bt[..., en[:, None], en[None, :]]
    G = Bt[..., en[:, None], ex[None, :]]
    Phi = R[..., ex[:, None], ex[None, :]]
    r2 = np.asarray(est.r2, dtype=float)[..., en]
    psi = np.eye(en.size) * (1.0 - r2)[..., None, :]
    with np.errstate(all="ignore"):
        inv_b = inv(np.eye(en.size) - Bee)
        GPG = G @ Phi @ np.swapaxes(G, -1, -2)
        cee = inv_b @ (GPG + psi) @ np.swapaxes(inv_b, -1, -2)
        cxe = Phi @ np.swapaxes(G, -1, -2) @ np.swapaxes(inv_b, -1, -2)
    d = np.arange(en.size)
    cee[..., d, d] = 1.0
    out = np.empty(R.shape)
    out[..., ex[:, None], ex[None, :]] = Phi
    out[..., ex[:, None], en[None, :]] = cxe
    out[..., en[:, None], ex[None, :]] = np.swapaxes(cxe, -1, -2)
    out[..., en[:, None], en[None, :]] = cee
    return out


def _loading_matrix(est: Estimate, layout: Layout) -> np.ndarray:
    """(..., p, J): each indicator's loading in its own construct's column."""
    return np.asarray(est.loadings, dtype=float)[..., :, None] * layout.membership


def _composite_mask(layout: Layout) -> np.ndarray:
    """(p, p) True for item pairs inside the same composite (not common factor) block."""
    same = layout.block_of[:, None] == layout.block_of[None, :]
    composite = ~np.asarray(layout.common_factor, dtype=bool)
    return same & composite[layout.block_of][:, None]


def implied_corr(S: np.ndarray, est: Estimate, layout: Layout,
                 model: str = "estimated") -> np.ndarray:
    """Model-implied indicator correlation matrix, shape (..., p, p).

    Parameters
    ----------
    S : ndarray, shape (..., p, p)
        Observed indicator correlations (used inside composite blocks).
    est : Estimate
    layout : Layout
    model : {"estimated", "saturated"}
        Construct correlations from the structural model, or as estimated.
    """
    V = _loading_matrix(est, layout)
    Rc = implied_construct_corr(est, layout, model)
    Sig = V @ Rc @ np.swapaxes(V, -1, -2)
    mask = _composite_mask(layout)
    Sig = np.where(mask, np.asarray(S, dtype=float), Sig)
    p = Sig.shape[-1]
    Sig[..., np.arange(p), np.arange(p)] = 1.0
    return Sig


def srmr(S: np.ndarray, Sigma: np.ndarray) -> np.ndarray:
    """Standardized root mean square residual (lower triangle including the diagonal)."""
    p = S.shape[-1]
    r, c = np.tril_indices(p)
    D = (S - Sigma)[..., r, c]
    return np.sqrt(np.mean(D**2, axis=-1))


def d_uls(S: np.ndarray, Sigma: np.ndarray) -> np.ndarray:
    """Squared Euclidean distance ½ Σ (s_kl - σ_kl)² over all p² elements."""
    return 0.5 * np.sum((S - Sigma) ** 2, axis=(-2, -1))


def _relative_eigenvalues(S: np.ndarray, Sigma: np.ndarray) -> np.ndarray:
    """Eigenvalues of S⁻¹Σ̂ via the symmetric form L⁻¹Σ̂L⁻ᵀ (S = LL'); NaN if S is not PD."""
    Sigma = np.broadcast_to(Sigma, S.shape)
    try:
        L = np.linalg.cholesky(S)
    except np.linalg.LinAlgError:
        if S.ndim == 2:
            return np.full(S.shape[:-1], np.nan)
        flat_S = S.reshape((-1,) + S.shape[-2:])
        flat_G = Sigma.reshape(flat_S.shape)
        out = np.stack([_relative_eigenvalues(a, b) for a, b in zip(flat_S, flat_G)])
        return out.reshape(S.shape[:-1])
    with np.errstate(all="ignore"):
        X = np.linalg.solve(L, Sigma)
        X = np.linalg.solve(L, np.swapaxes(X, -1, -2))
        X = 0.5 * (X + np.swapaxes(X, -1, -2))
    ok = np.all(np.isfinite(X), axis=(-2, -1))
    out = np.full(S.shape[:-1], np.nan)
    out[ok] = np.linalg.eigvalsh(X[ok])
    return out


def d_g(S: np.ndarray, Sigma: np.ndarray, *, log: str = "log10") -> np.ndarray:
    """Geodesic distance ½ Σ (log λ_k)², λ_k eigenvalues of S⁻¹Σ̂.

    ``log="log10"`` (default, cSEM and ADANCO) or ``"ln"``. NaN (not defined) when an
    eigenvalue is not positive (Σ̂ not positive definite).

    >>> import numpy as np
    >>> float(d_g(np.eye(2), np.diag([10.0, 0.1])))  # ½ (1 + 1)
    1.0
    """
    if log not in ("log10", "ln"):
        raise OptionError(f"log={log!r}: choose 'log10' (cSEM, ADANCO) or 'ln'")
    ev = _relative_eigenvalues(np.asarray(S, dtype=float), np.asarray(Sigma, dtype=float))
    with np.errstate(all="ignore"):
        lg = np.log10(ev) if log == "log10" else np.log(ev)
        out = 0.5 * np.sum(lg**2, axis=-1)
    return np.where(np.all(ev > 0, axis=-1), out, np.nan)


def d_ml(S: np.ndarray, Sigma: np.ndarray) -> np.ndarray:
    """ML discrepancy ln|Σ̂| + tr(SΣ̂⁻¹) - ln|S| - p (NaN if Σ̂ or S is not PD)."""
    p = S.shape[-1]
    with np.errstate(all="ignore"):
        tr = np.trace(S @ inv(Sigma), axis1=-2, axis2=-1)
        return logdet(Sigma) + tr - logdet(S) - p


def degrees_of_freedom(layout: Layout, model: str = "estimated") -> int:
    """cSEM's degrees of freedom: p(p - 1)/2 minus the free parameters.

    Free parameters: construct correlations and paths (estimated model: correlations
    among exogenous constructs plus one per path; saturated: all J(J - 1)/2), one
    loading per item of a common factor, and per composite block of k items k - 1
    weights plus k(k - 1)/2 within-block correlations. Common factor means the spec's
    own flag (``layout.declared_common_factor``), as cSEM's construct type: a single-item
    ``=~`` construct counts its one loading (cSEM's ``calculateDf``), one declared a
    composite (``<~``) counts nothing.

    >>> import numpy as np
    >>> from satmodel.engine import Layout
    >>> A = np.zeros((3, 3), bool); A[0, 1] = A[0, 2] = A[1, 2] = True
    >>> lay = Layout(np.repeat([0, 1, 2], 3), ("A", "B", "A"), A, np.array([True, False, True]))
    >>> degrees_of_freedom(lay)  # cSEM threecommonfactors: 36 - 3 - (3 + 5 + 3)
    22
    >>> one = np.array([True, False, True])  # eta3 =~ one item: its loading is counted
    >>> lay1 = Layout(np.array([0, 0, 0, 1, 1, 1, 2]), ("A", "B", "unit"), A,
    ...               np.array([True, False, False]), declared_common_factor=one)
    >>> degrees_of_freedom(lay1)  # 21 - 3 - (3 + 5 + 1)
    9
    """
    _check_model(model)
    p = layout.block_of.size
    J = layout.n_constructs
    endo = layout.adjacency.any(axis=0)
    if model == "saturated" or not endo.any():
        structural = J * (J - 1) // 2
    else:
        n_exo = int((~endo).sum())
        structural = n_exo * (n_exo - 1) // 2 + int(layout.adjacency.sum())
    measurement = 0
    declared = layout.declared_common_factor
    common = layout.common_factor if declared is None else declared
    sizes = np.bincount(layout.block_of, minlength=J)
    for j in range(J):
        k = int(sizes[j])
        if common[j]:
            measurement += k
        else:
            measurement += (k - 1) + k * (k - 1) // 2
    return p * (p - 1) // 2 - structural - measurement


def rms_theta(S: np.ndarray, est: Estimate, layout: Layout, model: str = "saturated") -> np.ndarray:
    """Root mean square of the outer-model residual correlations (Lohmöller 1989).

    Θ = S - SWΛ' - ΛW'S + ΛRΛ' (W weights, Λ loadings, R the construct correlations of
    ``model``), averaged over the strict lower triangle without item pairs of the same
    composite block. cSEM's ``assess()`` reports the saturated version.
    """
    S = np.asarray(S, dtype=float)
    W = np.asarray(est.weights, dtype=float)[..., :, None] * layout.membership
    L = _loading_matrix(est, layout)
    R = implied_construct_corr(est, layout, model)
    SWL = S @ W @ np.swapaxes(L, -1, -2)
    theta = S - SWL - np.swapaxes(SWL, -1, -2) + L @ R @ np.swapaxes(L, -1, -2)
    p = S.shape[-1]
    keep = np.tril(np.ones((p, p), dtype=bool), -1) & ~_composite_mask(layout)
    if not keep.any():
        return np.full(S.shape[:-2], np.nan)
    return np.sqrt(np.mean(theta[..., keep] ** 2, axis=-1))


def _model_measures(S, est, layout, n, model: str, log: str) -> dict[str, np.ndarray]:
    Sig = implied_corr(S, est, layout, model)
    p = S.shape[-1]
    df = degrees_of_freedom(layout, model)
    df0 = p * (p - 1) / 2
    fml = d_ml(S, Sig)
    f0 = -logdet(S)  # d_ML of the null model Σ = I
    chi2 = (n - 1.0) * fml
    with np.errstate(all="ignore"):
        X = np.linalg.solve(Sig, S) if np.all(np.isfinite(Sig)) else np.full(Sig.shape, np.nan)
        I = np.eye(p)
        gfi = 1.0 - np.sum((X - I) ** 2, axis=(-2, -1)) / np.sum(X**2, axis=(-2, -1))
        dfv = float(df) if df > 0 else np.nan
        ft = np.maximum(chi2 - df, 0.0)
        f0c = np.maximum(np.maximum((n - 1.0) * f0 - df0, chi2 - df), 0.0)
        out = {
            "srmr": srmr(S, Sig), "d_uls": d_uls(S, Sig), "d_g": d_g(S, Sig, log=log),
            "d_ml": fml, "chi2": chi2, "df": np.full(fml.shape, float(df)),
            "chi2_df": chi2 / dfv,
            "cfi": np.where(f0c > 0, 1.0 - ft / f0c, np.nan),
            "gfi": gfi,
            "ifi": ((n - 1.0) * (f0 - fml)) / ((n - 1.0) * f0 - df),
            "nfi": (f0 - fml) / f0,
            "nnfi": np.minimum((f0 / df0 - fml / dfv) / (f0 / df0 - 1.0 / (n - 1.0)), 1.0),
            "rmsea": np.sqrt(np.maximum(fml - df / (n - 1.0), 0.0) / dfv),
            "cn": stats.chi2.ppf(0.95, dfv) / (chi2 / (n - 1.0)) + 1.0,
            "rms_theta": rms_theta(S, est, layout, model),
        }
    return {k: np.where(np.isfinite(v), v, np.nan) for k, v in out.items()}


def fit_values(S: np.ndarray, est: Estimate, layout: Layout, n_obs, *,
               log: str = "log10") -> np.ndarray:
    """All measures of both models, shape (..., len(MODELS) * len(MEASURES)), model-major."""
    S = np.asarray(S, dtype=float)
    n = np.asarray(n_obs, dtype=float)
    cols = []
    for model in MODELS:
        vals = _model_measures(S, est, layout, n, model, log)
        cols += [np.broadcast_to(vals[m], S.shape[:-2]) for m in MEASURES]
    return np.stack(cols, axis=-1)


def fit_keys(spec: ModelSpec | None = None) -> pd.DataFrame:
    """Row keys of the ``fit`` table: (model, measure), model-major."""
    return pd.DataFrame([(m, k) for m in MODELS for k in MEASURES], columns=["model", "measure"])


MODEL_FIT = TableDef(
    fit_keys,
    {"value": lambda c: fit_values(c.S, c.est, c.layout, c.n_obs)},
    nullable=("value",),
)
