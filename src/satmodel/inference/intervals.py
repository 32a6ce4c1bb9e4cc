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

METHODS = ("percentile", "basic", "normal", "bc", "bca", "studentized", "studentized_csem")
#: bootstrap-t intervals: they need a standard error per resample (a double bootstrap)
STUDENTIZED = ("studentized", "studentized_csem")


def check(method: str, level: float, verb: str = "bootstrap", name: str | None = None, *,
          studentized: bool = False) -> None:
    """Validate a CI method (option ``name``: "method" for conf_int, else "ci") and level,
    raising OptionError naming the option; ``studentized``: whether the caller offers the
    bootstrap-t intervals (single PLS fits do; grouped and CB-SEM results do not)."""
    name = name or ("method" if verb == "conf_int" else "ci")
    valid.choice(verb, name, method, METHODS)
    if method in STUDENTIZED and not studentized:
        raise NotAvailableError(
            f"invalid {verb} option {name}={method!r}: studentized bootstrap intervals need a "
            "double bootstrap (an inner bootstrap of every resample), which satmodel offers "
            "for single PLS fits (PLSResult.bootstrap / conf_int), not for this result; use "
            "'bca', 'bc' or 'percentile'")
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


def pow2_scale(x: np.ndarray) -> np.ndarray:
    """Per column, the power of 2 nearest above max |x| over the finite entries (1 where
    there are none or they are all 0): dividing by it is exact and keeps squares and cubes
    of statistics of any magnitude (1e±300) from overflowing or underflowing."""
    x = np.asarray(x, dtype=float)
    top = np.max(np.where(np.isfinite(x), np.abs(x), 0.0), axis=0, initial=0.0)
    return np.where(top > 0, np.ldexp(1.0, np.frexp(top)[1]), 1.0)


def sd(draws: np.ndarray) -> np.ndarray:
    """Column SD (ddof 1), scaled by :func:`pow2_scale` first: equal to
    ``draws.std(axis=0, ddof=1)`` where that neither overflows nor underflows.

    >>> round(float(sd(np.array([[1e300], [3e300]]))[0] / 1e300), 12)  # std() gives inf
    1.414213562373
    """
    scale = pow2_scale(draws)
    return scale * (draws / scale).std(axis=0, ddof=1)


def defined_se(se: np.ndarray, theta: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """Whether an SE is more than rounding (1e-14 of the larger of |θ̂| and the draws'
    magnitude): relative, so statistics of any scale keep their t values."""
    return se > 1e-14 * np.maximum(np.abs(theta), pow2_scale(draws) / 2)


def t_test(theta: np.ndarray, draws: np.ndarray, value: float = 0.0,
           alternative: str = "two-sided") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bootstrap t-test of ``theta`` against ``value``: SE over each column's finite draws
    (scaled as :func:`sd`), Student t with (finite draws - 1) df; returns (se, t, p).
    ``alternative``: "two-sided", "less" (H1: parameter < value) or "greater".

    >>> se, t, p = t_test(np.array([2.0]), np.array([[1.0], [3.0], [np.nan]]))
    >>> round(float(se[0]), 12), round(float(t[0]), 12), round(float(p[0]), 4)
    (1.414213562373, 1.414213562373, 0.3918)
    """
    from scipy import stats

    ok = np.isfinite(draws)
    m = ok.sum(axis=0)
    scale = pow2_scale(draws)
    z = np.where(ok, draws / scale, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        centred = np.where(ok, z - z.sum(axis=0) / m, 0.0)
        se = scale * np.sqrt((centred ** 2).sum(axis=0) / (m - 1))
        t = (theta - value) / se
    dist = stats.t(df=np.maximum(m - 1, 1))
    p = {"two-sided": lambda: 2 * dist.sf(np.abs(t)), "less": lambda: dist.cdf(t),
         "greater": lambda: dist.sf(t)}[alternative]()
    return se, t, p


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
        d = d / pow2_scale(d)  # a is scale-free: no overflow of d³ at any magnitude
        num = np.sum(d**3, axis=0)
        den = 6.0 * np.sum(d**2, axis=0) ** 1.5
        return np.where(k < 2, np.nan, np.where(den > 0, num / den, 0.0))


def studentized_bounds(theta, draws, tstar, *, level: float, method: str = "studentized"):
    """Bootstrap-t bounds [c − t*_(1−α/2)·SE, c − t*_(α/2)·SE] (Davison & Hinkley 1997,
    eq. 5.7; t*_(q) the type-7 quantile of the finite studentized draws ``tstar`` (B', k),
    SE the SD of ``draws``). ``method`` "studentized": c = θ̂; "studentized_csem": cSEM's
    default (``.bias_corrected = TRUE``), c = 2θ̂ − mean(θ*). A column whose draws do not vary
    gets [θ̂, θ̂]; one with fewer than 2 finite t* gets NaN bounds.

    >>> t = np.array([[-2.0], [-1.0], [0.0], [1.0], [3.0]])
    >>> lo, hi = studentized_bounds(np.array([1.0]), np.array([[0.9], [1.1]]), t, level=0.5)
    >>> bool(lo[0] < 1.0 < hi[0])
    True
    """
    theta = np.asarray(theta, dtype=float)
    alpha = 1.0 - level
    se = sd(draws)
    centre = theta if method == "studentized" else 2 * theta - draws.mean(axis=0)
    q = np.full((2, theta.size), np.nan)
    for j in range(theta.size):
        t = tstar[:, j][np.isfinite(tstar[:, j])]
        if t.size >= 2:
            q[:, j] = np.quantile(t, [alpha / 2, 1 - alpha / 2])
    lo, hi = centre - q[1] * se, centre - q[0] * se
    constant = ~defined_se(se, theta, draws)
    return np.where(constant, theta, lo), np.where(constant, theta, hi)


def interval(theta, draws, *, level: float, method: str, jackknife=None, tstar=None):
    """Lower and upper bounds, each shape (k,); ``tstar`` the studentized draws of the
    bootstrap-t methods (:func:`studentized_bounds`)."""
    alpha = 1.0 - level
    lo_q, hi_q = alpha / 2, 1 - alpha / 2
    if method in STUDENTIZED:
        return studentized_bounds(theta, draws, tstar, level=level, method=method)
    if method in ("percentile", "basic"):  # both bounds from one pass over the draws
        lo, hi = np.quantile(draws, [lo_q, hi_q], axis=0)
        return (lo, hi) if method == "percentile" else (2 * theta - hi, 2 * theta - lo)
    if method == "normal":
        z = stats.norm.ppf(hi_q)
        se = sd(draws)
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


def summarize(theta, draws, *, level: float = 0.95, method: str = "percentile", jackknife=None,
              tstar=None):
    """se, t, p (two-sided, Student t with B - 1 df as seminr), ci_lower, ci_upper.

    Where the draws do not vary (se = 0, e.g. the weight of a single item) t and p are
    not defined and come back as NaN, which result tables show as ``<NA>``. A column whose
    value is not defined in some resamples (NaN, e.g. log(1 - R²) for a PLSc R² above 1)
    is summarized over the resamples where it is (the bootstrap reports how many).
    """
    theta = np.asarray(theta, dtype=float)
    draws = np.asarray(draws, dtype=float)
    finite = np.isfinite(draws)
    out = _summarize(theta, draws, level, method, jackknife, tstar)
    for j in np.flatnonzero(~finite.all(axis=0) & (finite.sum(axis=0) >= 2)):
        jack = None if jackknife is None else jackknife[:, j][np.isfinite(jackknife[:, j])]
        part = _summarize(theta[[j]], draws[finite[:, j]][:, [j]], level, method,
                          None if jack is None else jack[:, None],
                          None if tstar is None else tstar[:, [j]])
        for k, v in part.items():
            out[k][j] = v[0]
    return out


def _summarize(theta, draws, level, method, jackknife, tstar=None):
    se = sd(draws)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(defined_se(se, theta, draws), theta / se, np.nan)
    p = 2 * stats.t.sf(np.abs(t), df=draws.shape[0] - 1)
    lo, hi = interval(theta, draws, level=level, method=method, jackknife=jackknife,
                      tstar=tstar)
    return {"se": se, "t": t, "p": p, "ci_lower": lo, "ci_upper": hi}
