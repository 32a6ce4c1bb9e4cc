"""The statistics of the multigroup tests (cSEM ``testMGD`` conventions), on arrays only.

Everything here works on estimates and resample draws that :mod:`satmodel.groups.mga`
obtained from the one batched refit; nothing here estimates a model.

- :func:`p_adjust`: the corrections of R's ``stats::p.adjust`` (which cSEM's
  ``.approach_p_adjust`` passes on): none, bonferroni, holm, hochberg, hommel, BH (fdr), BY.
- :func:`henseler_probability`: Henseler's PLS-MGA probability P(θ¹ ≤ θ²) over all
  pairs of bias-centred bootstrap draws, ties counted ½.
- :func:`sarstedt_f`: the one-way ANOVA F of bootstrap draws across groups (Sarstedt,
  Henseler & Ringle 2011, with cSEM's N - G within-group degrees of freedom), batched
  over relabellings.
- :func:`keil_t`, :func:`nitzl_t`: the parametric t statistics and their df.
- :func:`two_sided_share`: cSEM's permutation p-value P(d* ≥ |d|) + P(d* ≤ -|d|).
- :func:`percentile_bounds`, :func:`ci_no_difference`: Sarstedt et al.'s (2011)
  confidence-interval approaches (cSEM ``CI_para``, ``CI_overlap``).

>>> import numpy as np
>>> p_adjust(np.array([0.01, 0.04, 0.03]), "holm").round(4).tolist()
[0.03, 0.06, 0.06]
>>> float(henseler_probability(np.array([[0.0], [1.0]]), np.array([[0.5], [1.0]]))[0])
0.625
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = [
    "CORRECTIONS",
    "ci_no_difference",
    "percentile_bounds",
    "henseler_probability",
    "keil_t",
    "nitzl_t",
    "p_adjust",
    "sarstedt_f",
    "t_p_value",
    "two_sided_share",
]

#: multiple-testing corrections (names of R's ``p.adjust``; "fdr" is "BH")
CORRECTIONS = ("none", "bonferroni", "holm", "hochberg", "hommel", "BH", "BY", "fdr")


def p_adjust(p: np.ndarray, method: str = "none") -> np.ndarray:
    """Adjusted p-values of a flat vector ``p``, as R's ``p.adjust(p, method)``.

    NaN entries are left out of the count and stay NaN.

    >>> p_adjust(np.array([0.01, 0.02, 0.03, 0.04]), "BH").round(12).tolist()
    [0.04, 0.04, 0.04, 0.04]
    """
    p = np.asarray(p, dtype=float)
    out = p.copy()
    ok = np.isfinite(p)
    q = p[ok]
    m = q.size
    if method == "none" or m == 0:
        return out
    order = np.argsort(q, kind="stable")
    s = q[order]
    rank = np.arange(1, m + 1)
    if method == "bonferroni":
        adj_sorted = np.minimum(1.0, m * s)
    elif method == "holm":  # step-down: running maximum of (m - k + 1) p_(k)
        adj_sorted = np.minimum(1.0, np.maximum.accumulate((m - rank + 1) * s))
    elif method == "hochberg":  # step-up: running minimum from the top of (m - k + 1) p_(k)
        adj_sorted = np.minimum(1.0, np.minimum.accumulate(((m - rank + 1) * s)[::-1])[::-1])
    elif method in ("BH", "fdr"):
        adj_sorted = np.minimum(1.0, np.minimum.accumulate((m / rank * s)[::-1])[::-1])
    elif method == "BY":
        c = np.sum(1.0 / rank)
        adj_sorted = np.minimum(1.0, np.minimum.accumulate((c * m / rank * s)[::-1])[::-1])
    elif method == "hommel":
        adj_sorted = _hommel(s)
    else:
        raise ValueError(f"unknown correction {method!r}")
    adj = np.empty(m)
    adj[order] = adj_sorted
    out[ok] = adj
    return out


def _hommel(s: np.ndarray) -> np.ndarray:
    """Hommel's adjusted p-values of sorted p-values ``s`` (closed Simes tests).

    For each subset size j (from m down to 2) the Simes bound of the j - 1 largest
    p-values, min over k of j p_(m-j+1+k) / (k + 1), caps j p_(i) for the smaller ones;
    an adjusted p-value is the largest such cap over j, and at least p itself.
    """
    m = s.size
    adj = np.full(m, np.min(m * s / np.arange(1, m + 1)))
    for j in range(m - 1, 1, -1):
        low = m - j + 1  # the m - j + 1 smallest p-values
        simes = np.min(j * s[low:] / np.arange(2, j + 1))
        cap = np.empty(m)
        cap[:low] = np.minimum(j * s[:low], simes)
        cap[low:] = cap[low - 1]
        adj = np.maximum(adj, cap)
    return np.minimum(1.0, np.maximum(adj, s))


def henseler_probability(draws_1: np.ndarray, draws_2: np.ndarray) -> np.ndarray:
    """P(θ¹ ≤ θ²) over all B₁ × B₂ pairs of draws (columns are parameters), ties ½.

    The draws are expected bias-centred already (θ* - bias = θ* - mean θ* + θ̂), which
    is how cSEM (after Sarstedt et al. 2011, eq. 4) prepares them. Sorting makes the
    count O(B log B) per parameter instead of B₁ × B₂.
    """
    a = np.asarray(draws_1, dtype=float)
    b = np.asarray(draws_2, dtype=float)
    out = np.empty(a.shape[1])
    for k in range(a.shape[1]):  # parameters, not estimations
        sb = np.sort(b[:, k])
        below = np.searchsorted(sb, a[:, k], side="left")  # θ² < θ¹
        ties = np.searchsorted(sb, a[:, k], side="right") - below
        greater = sb.size - below - ties
        out[k] = (greater.sum() + 0.5 * ties.sum()) / (a.shape[0] * sb.size)
    return out


def sarstedt_f(draws: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """ANOVA F across groups of pooled draws, batched over labellings.

    ``draws`` (N, k): the bootstrap draws of all groups stacked; ``groups`` (..., N):
    integer group codes (one labelling, or a batch of relabellings). Returns (..., k):
    [SS_between / (G - 1)] / [SS_within / (N - G)] (cSEM's N - G; the paper wrote B - 1).
    """
    x = np.asarray(draws, dtype=float)
    N = x.shape[0]
    onehot = (np.asarray(groups)[..., None, :] == np.arange(n_groups)[:, None]).astype(float)
    counts = onehot.sum(-1)  # (..., G)
    means = (onehot @ x) / counts[..., None]  # (..., G, k)
    grand = x.mean(0)
    ss_between = np.sum(counts[..., None] * (means - grand) ** 2, axis=-2)
    ss_total = np.sum((x - grand) ** 2, axis=0)
    ss_within = ss_total - ss_between
    return (ss_between / (n_groups - 1)) / (ss_within / (N - n_groups))


def keil_t(diff: np.ndarray, se_1: np.ndarray, se_2: np.ndarray, n_1: int, n_2: int
           ) -> tuple[np.ndarray, float]:
    """Keil et al.'s t (pooled SE as Henseler 2007 restated it) and df = n₁ + n₂ - 2.

    SE = sqrt((n₁-1)²/(n₁+n₂-2) se₁² + (n₂-1)²/(n₁+n₂-2) se₂²) · sqrt(1/n₁ + 1/n₂).
    """
    pooled = (n_1 - 1) ** 2 / (n_1 + n_2 - 2) * se_1**2 + (n_2 - 1) ** 2 / (n_1 + n_2 - 2) * se_2**2
    se = np.sqrt(pooled) * np.sqrt(1.0 / n_1 + 1.0 / n_2)
    return diff / se, float(n_1 + n_2 - 2)


def nitzl_t(diff: np.ndarray, se_1: np.ndarray, se_2: np.ndarray, n_1: int, n_2: int
            ) -> tuple[np.ndarray, np.ndarray]:
    """Nitzl's Welch-type t and cSEM's Welch-Satterthwaite df, rounded.

    SE = sqrt((n₁-1)/n₁ se₁² + (n₂-1)/n₂ se₂²);
    df = round(SE⁴ / ((n₁-1)/n₁² se₁⁴ + (n₂-1)/n₂² se₂⁴) - 2) (R's round: half to even).
    """
    v1 = (n_1 - 1) / n_1 * se_1**2
    v2 = (n_2 - 1) / n_2 * se_2**2
    t = diff / np.sqrt(v1 + v2)
    df = np.round((v1 + v2) ** 2 / ((n_1 - 1) / n_1**2 * se_1**4 + (n_2 - 1) / n_2**2 * se_2**4) - 2)
    return t, df


def t_p_value(t: np.ndarray, df: np.ndarray | float) -> np.ndarray:
    """Two-sided p-value 2 P(T_df > |t|)."""
    return 2.0 * stats.t.sf(np.abs(t), df)


def two_sided_share(reference: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """cSEM's permutation p-value: share of draws ≥ |d| plus share ≤ -|d| (no +1).

    ``reference`` (B, ...) and ``observed`` (...)."""
    a = np.abs(observed)
    return np.mean(reference >= a, axis=0) + np.mean(reference <= -a, axis=0)


def percentile_bounds(draws: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval bounds of bootstrap ``draws`` (B, ...) at ``level``: the
    (1 - level)/2 and (1 + level)/2 quantiles, R type 7 (cSEM ``CI_percentile``)."""
    alpha = 1.0 - level
    return (np.quantile(draws, alpha / 2, axis=0), np.quantile(draws, 1 - alpha / 2, axis=0))


def ci_no_difference(method: str, est_1: np.ndarray, est_2: np.ndarray, lower_1: np.ndarray,
                     upper_1: np.ndarray, lower_2: np.ndarray, upper_2: np.ndarray
                     ) -> np.ndarray:
    """cSEM's Decision (True: no group difference) of ``"ci_para"`` (an estimate inside
    the other group's interval, either way round) or ``"ci_overlap"`` (the intervals
    overlap); bounds inclusive.

    >>> ci_no_difference("ci_para", np.array([0.5]), np.array([0.9]), np.array([0.3]),
    ...                  np.array([0.7]), np.array([0.6]), np.array([1.2])).tolist()
    [False]
    >>> ci_no_difference("ci_overlap", np.array([0.5]), np.array([0.9]), np.array([0.3]),
    ...                  np.array([0.7]), np.array([0.6]), np.array([1.2])).tolist()
    [True]
    """
    if method == "ci_para":
        return ((lower_2 <= est_1) & (est_1 <= upper_2)) | ((lower_1 <= est_2) & (est_2 <= upper_1))
    return (lower_1 <= upper_2) & (lower_2 <= upper_1)
