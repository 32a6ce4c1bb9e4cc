"""Bootstrap standard errors, p-values and confidence intervals (docs/methods.md §4.1-4.2).

All functions work column-wise on draws of shape (B, k). Quantiles are R's type 7
(numpy's default "linear"), as seminr, plspm and ``scipy.stats.bootstrap`` use.

Example
-------
>>> import numpy as np
>>> draws = np.random.default_rng(0).normal(0.5, 0.1, size=(2000, 1))
>>> out = summarize(np.array([0.5]), draws, level=0.95, method="percentile")
>>> round(float(out["se"][0]), 2), bool(out["ci_lower"][0] < 0.5 < out["ci_upper"][0])
(0.1, True)
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from .. import _validate as valid
from ..diagnostics import report
from ..errors import NotAvailableError

METHODS = ("percentile", "basic", "normal", "bc", "bca", "studentized")


def check(method: str, level: float, verb: str = "bootstrap", name: str | None = None) -> None:
    """Validate a CI method (option ``name``: "method" for conf_int, else "ci") and level,
    raising OptionError naming the option."""
    name = name or ("method" if verb == "conf_int" else "ci")
    valid.choice(verb, name, method, METHODS)
    if method == "studentized":
        raise NotAvailableError(
            f"invalid {verb} option {name}='studentized': studentized bootstrap intervals need a "
            "standard error per resample (a double bootstrap) and are not implemented yet; "
            "use 'bca' or 'percentile'")
    valid.number(verb, "level", level, 0.0, 1.0)


#: draws wanted beyond each bound of a quantile interval (B·α/2): 2.5, so B >= 100 at 95 %
TAIL_DRAWS = 2.5


def draws_needed(level: float) -> int:
    """Resamples a quantile interval (percentile, basic, BC, BCa) at ``level`` needs so
    that each bound has :data:`TAIL_DRAWS` draws beyond it: 100 at 95 %, 500 at 99 %.

    >>> draws_needed(0.95), draws_needed(0.99), draws_needed(0.90)
    (100, 500, 50)
    """
    return int(np.ceil(TAIL_DRAWS / ((1.0 - level) / 2) - 1e-9))


def report_too_few(n_valid: int, level: float) -> None:
    """Diagnostic ``too_few_resamples`` when ``n_valid`` kept resamples cannot place the
    bounds of a ``level`` interval (see :func:`draws_needed`)."""
    need = draws_needed(level)
    if n_valid >= need:
        return
    tail = n_valid * (1.0 - level) / 2
    report("too_few_resamples",
           f"{n_valid} bootstrap resamples are too few for {level:.0%} intervals: the bounds are "
           f"the {(1 - level) / 2:.1%} and {(1 + level) / 2:.1%} quantiles of the draws, placed "
           f"by about {tail:.2g} draw(s) in each tail, so they are little more than the "
           f"extreme draws; use n >= {need} ({TAIL_DRAWS:g} draws a tail; Efron & Tibshirani "
           "1993 advise 1000 or more for percentile and BCa intervals; standard errors "
           "settle with 50-200)", count=n_valid)


def _quantile(draws: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Column-wise quantiles, a different probability per column: q shape (k,)."""
    q = np.clip(q, 0.0, 1.0)
    return np.array([np.quantile(draws[:, j], q[j]) for j in range(draws.shape[1])])


def bias_correction(theta: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """z0 = Φ⁻¹(share of draws strictly below the estimate)."""
    return stats.norm.ppf(np.mean(draws < theta[None, :], axis=0))


def acceleration(jackknife: np.ndarray) -> np.ndarray:
    """BCa acceleration a = Σ d³ / (6 (Σ d²)^{3/2}), d = mean − jackknife estimate, over
    the finite jackknife estimates of each column (a failed leave-out fit is NaN and left
    out); 0 where they do not vary, NaN where fewer than 2 are finite.

    >>> jack = np.array([[1.0], [2.0], [4.0], [np.nan]])
    >>> bool(acceleration(jack)[0] == acceleration(jack[:3])[0] != 0)
    True
    """
    jackknife = np.asarray(jackknife, dtype=float)
    ok = np.isfinite(jackknife)
    k = ok.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(ok, jackknife, 0.0).sum(axis=0) / k
        d = np.where(ok, mean[None, :] - jackknife, 0.0)
        num = np.sum(d**3, axis=0)
        den = 6.0 * np.sum(d**2, axis=0) ** 1.5
        return np.where(k < 2, np.nan, np.where(den > 0, num / den, 0.0))


def interval(theta, draws, *, level: float, method: str, jackknife=None):
    """Lower and upper bounds, each shape (k,)."""
    alpha = 1.0 - level
    lo_q, hi_q = alpha / 2, 1 - alpha / 2
    if method == "percentile":
        return np.quantile(draws, lo_q, axis=0), np.quantile(draws, hi_q, axis=0)
    if method == "basic":
        return (2 * theta - np.quantile(draws, hi_q, axis=0),
                2 * theta - np.quantile(draws, lo_q, axis=0))
    if method == "normal":
        z = stats.norm.ppf(hi_q)
        se = draws.std(axis=0, ddof=1)
        return theta - z * se, theta + z * se
    z0 = bias_correction(theta, draws)
    a = np.zeros_like(z0) if method == "bc" else acceleration(jackknife)
    bounds = []
    for q in (lo_q, hi_q):
        zq = stats.norm.ppf(q)
        with np.errstate(invalid="ignore", divide="ignore"):
            adj = stats.norm.cdf(z0 + (z0 + zq) / (1 - a * (z0 + zq)))
        bound = _quantile(draws, np.nan_to_num(adj, nan=q))  # z0 = ±inf: the percentile
        bounds.append(np.where(np.isnan(a), np.nan, bound))  # no acceleration: no BCa bound
    return bounds[0], bounds[1]


def summarize(theta, draws, *, level: float = 0.95, method: str = "percentile", jackknife=None):
    """se, t, p (two-sided, Student t with B - 1 df as seminr), ci_lower, ci_upper.

    Where the draws do not vary (se = 0, e.g. the weight of a single item) t and p are
    not defined and come back as NaN, which result tables show as ``<NA>``. A column whose
    value is not defined in some resamples (NaN, e.g. log(1 - R²) for a PLSc R² above 1)
    is summarized over the resamples where it is (the bootstrap reports how many).
    """
    theta = np.asarray(theta, dtype=float)
    draws = np.asarray(draws, dtype=float)
    finite = np.isfinite(draws)
    out = _summarize(theta, draws, level, method, jackknife)
    for j in np.flatnonzero(~finite.all(axis=0) & (finite.sum(axis=0) >= 2)):
        jack = None if jackknife is None else jackknife[:, j][np.isfinite(jackknife[:, j])]
        part = _summarize(theta[[j]], draws[finite[:, j]][:, [j]], level, method,
                          None if jack is None else jack[:, None])
        for k, v in part.items():
            out[k][j] = v[0]
    return out


def _summarize(theta, draws, level, method, jackknife):
    se = draws.std(axis=0, ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(se > 1e-14 * np.maximum(1.0, np.abs(theta)), theta / se, np.nan)
    p = 2 * stats.t.sf(np.abs(t), df=draws.shape[0] - 1)
    lo, hi = interval(theta, draws, level=level, method=method, jackknife=jackknife)
    return {"se": se, "t": t, "p": p, "ci_lower": lo, "ci_upper": hi}
