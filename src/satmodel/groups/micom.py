"""MICOM: measurement invariance of composites (Henseler, Ringle & Sarstedt 2016).

Conventions (read from cSEM 0.4.0.9000 ``R/postestimate_test_MICOM.R``; methods.md §4.4):

1. *Configural invariance* holds by construction (one spec, one item treatment, one set
   of estimator options for every group); the table records that every group's own fit
   converged and is usable (cSEM stops on an inadmissible group, and so does this).
2. *Compositional invariance*: c = corr(X w_a, X w_b) per construct, the composite
   scores built with group a's and group b's weights on the **pooled data in the items'
   original metric** (cSEM uses the unstandardized pooled data; c is computed from the
   pooled item covariances, with sampling weights if the fit has them). Reference
   distribution: the labels are shuffled (sizes kept) over the pooled raw rows and every
   group re-estimated; p = share(c* ≤ c), no +1; ``c_quantile_05`` is the 5 % quantile
   (R type 7) of c*. Compositional invariance unless p ≤ alpha.
3. *Equal means and variances* of the pooled model's standardized composite scores:
   diff = mean_a - mean_b and log(var_a) - log(var_b) (variances with divisor n - 1),
   against the same relabellings of the pooled scores; p = share(d* > |d|) +
   share(d* < -|d|) (strict, as cSEM), ``lower``/``upper`` the 2.5 % and 97.5 %
   quantiles of d*. Equal unless p ≤ alpha.

A draw in which any group's refit is unusable is dropped for steps 2 and 3 alike (cSEM
drops it from step 2 only). Corrections act, as in cSEM, per construct across the
group comparisons. Verdict per comparison and construct: ``"none"`` without
compositional invariance, ``"full"`` with equal means and variances as well,
``"partial"`` otherwise; :attr:`MICOMResult.verdict` is the weakest over all rows.

Example
-------
>>> import satmodel as sm
>>> from satmodel.groups.micom import micom
>>> df = sm.datasets.load("ecsi_satisfaction")
>>> res = sm.fit_pls(sm.templates.ecsi(), df)
>>> out = micom(res.spec, res.refit, df.gender.to_numpy(), n=49, seed=1)
>>> out.verdict in ("none", "partial", "full"), list(out.compositional.columns)[:4]
(True, ['comparison', 'group_1', 'group_2', 'construct'])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from .. import _validate as valid
from ..diagnostics import report
from ..engine.refit import Refit, Refitted
from ..errors import DataError
from ..inference.driver import drop_reasons, run
from ..moments.core import compute_moments
from ..moments.treatment import combined_weights, complete_rows
from ..spec.model import ModelSpec
from .draws import GroupShuffles, group_codes, group_masks, regroup, streams
from .mga_stats import CORRECTIONS, p_adjust

__all__ = ["VERDICTS", "MICOMResult", "micom"]

VERB = "micom"
#: verdicts, weakest first
VERDICTS = ("none", "partial", "full")


@dataclass(frozen=True)
class MICOMResult:
    """Tidy MICOM tables and the overall ``verdict`` (the weakest of ``invariance``)."""

    configural: pd.DataFrame  # group, n, converged, usable
    compositional: pd.DataFrame  # comparison, group_1, group_2, construct, c, ...
    means: pd.DataFrame  # ..., construct, diff, lower, upper, p, p_adjusted, equal
    variances: pd.DataFrame  # ..., construct, log_ratio, lower, upper, p, p_adjusted, equal
    invariance: pd.DataFrame  # comparison, construct, compositional, means, variances, verdict
    verdict: str
    n_permutations: int
    dropped: dict[str, int] = field(default_factory=dict)
    #: the permutation draws: "c", "mean", "var" -> (n_permutations, comparisons, constructs)
    reference: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:  # compact: the tables are attributes (issue 13)
        groups = ", ".join(f"{g} (n={n})" for g, n in zip(self.configural["group"],
                                                         self.configural["n"]))
        return (f"<MICOMResult: {self.verdict} invariance, {self.n_permutations} "
                f"permutations; groups {groups}>")

    def _repr_html_(self) -> str:
        """Compact: the verdict and the invariance table; the other tables folded."""
        import html

        def frame(df: pd.DataFrame) -> str:
            return df.astype(object).where(df.notna(), "-").to_html(index=False, border=0)

        parts = [f"<p>{html.escape(repr(self))}</p>", frame(self.invariance)]
        parts += [f"<details><summary><b>{name}</b></summary>{frame(getattr(self, name))}"
                  "</details>" for name in ("configural", "compositional", "means", "variances")]
        return "\n".join(parts)


def micom(spec: ModelSpec, refit: Refit, labels: Any, *, n: int = 1000, seed: Any = None,
          alpha: float = 0.05, correction: str = "none", chunk: int | None = None,
          progress: bool | None = None) -> MICOMResult:
    """MICOM steps 1-3 for the groups of a pooled fit's rows (``labels``: one per row).

    ``refit`` is the pooled fit's; ``n`` relabellings; ``correction`` one of R's
    ``p.adjust`` methods, applied per construct across comparisons.
    """
    n = valid.integer(VERB, "n", n)
    valid.seed(VERB, seed)
    alpha = valid.number(VERB, "alpha", alpha, 0.0, 1.0)
    correction = valid.choice(VERB, "correction", correction, CORRECTIONS)
    levels, codes = group_codes(labels, VERB)
    if codes.size != refit.n_rows:
        raise DataError(f"{VERB}: {codes.size} labels for {refit.n_rows} fitted rows; give one "
                        "label per row the pooled fit kept")
    G = len(levels)
    pairs = list(combinations(range(G), 2))
    names = list(spec.construct_names)
    member = np.asarray(refit.layout.membership, dtype=float)  # (p, J)

    pooled = refit.fit()
    cov = pooled.moments.corr * np.outer(pooled.moments.std, pooled.moments.std)
    Z = (complete_rows(refit.survey, pooled.moments) - pooled.moments.mean) / pooled.moments.std
    scores = Z @ (pooled.estimate.weights[:, None] * member)  # pooled standardized scores

    groups = refit.fit(group_masks(codes, G))
    configural = _configural(groups, refit, levels, codes)

    def statistics(weights: np.ndarray, fitted: Refitted) -> dict[str, np.ndarray]:
        """c (size, P, J) from each group's weights; means/log variances of the scores."""
        W = regroup(fitted.estimate.weights, G)  # (size, G, p)
        c = np.stack([_composite_corr(W[:, a], W[:, b], cov, member) for a, b in pairs], 1)
        mom = compute_moments(scores, combined_weights(refit.survey, weights))
        m, v = regroup(mom.mean, G), regroup(np.log(mom.std**2), G)
        return {"c": c, "mean": np.stack([m[:, a] - m[:, b] for a, b in pairs], 1),
                "var": np.stack([v[:, a] - v[:, b] for a, b in pairs], 1)}

    observed = {k: v[0] for k, v in statistics(group_masks(codes, G), groups).items()}

    def evaluate(weights: np.ndarray):
        fitted = refit.fit(weights)
        reasons = {k: regroup(v, G).any(axis=1)
                   for k, v in drop_reasons(fitted, refit.options.consistent).items()}
        return {"micom": statistics(weights, fitted)}, reasons

    (rng,) = streams(seed, 1)
    draws = run(GroupShuffles(n, codes, G, rng), evaluate, refit.bytes_per_fit, chunk=chunk,
                progress=progress, parallel=True)  # evaluate shares no state
    lost = n - draws.n_valid
    if lost:
        report("micom_permutations_dropped", f"{lost} of {n} MICOM permutations were unusable "
               "and dropped", count=lost)
    if draws.n_valid == 0:
        raise DataError(f"{VERB}: every permutation was unusable; the groups are too small")
    ref = draws.values["micom"]
    keys = _keys(levels, pairs, names)

    comp = keys.copy()
    comp["c"] = observed["c"].ravel()
    comp["c_quantile_05"] = np.quantile(ref["c"], 0.05, axis=0).ravel()
    comp["p"] = np.mean(ref["c"] <= observed["c"], axis=0).ravel()
    _decide(comp, correction, alpha, len(pairs), "invariant")
    means = _equality(keys, "diff", observed["mean"], ref["mean"], correction, alpha, len(pairs))
    variances = _equality(keys, "log_ratio", observed["var"], ref["var"], correction, alpha,
                          len(pairs))

    inv = keys[["comparison", "construct"]].copy()
    inv["compositional"] = comp.invariant.to_numpy()
    inv["means"] = means.equal.to_numpy()
    inv["variances"] = variances.equal.to_numpy()
    inv["verdict"] = np.where(~inv.compositional, "none",
                              np.where(inv.means & inv.variances, "full", "partial"))
    verdict = min(inv.verdict, key=VERDICTS.index)
    return MICOMResult(configural=configural, compositional=comp, means=means,
                       variances=variances, invariance=inv, verdict=verdict,
                       n_permutations=draws.n_valid, dropped=dict(draws.dropped),
                       reference={k: v.copy() for k, v in ref.items()})


def _configural(groups: Refitted, refit: Refit, levels: list[Any], codes: np.ndarray
                ) -> pd.DataFrame:
    reasons = drop_reasons(groups, refit.options.consistent)
    bad = np.zeros(len(levels), dtype=bool)
    for mask in reasons.values():
        bad |= mask
    for g, level in enumerate(levels):
        if bad[g]:
            why = ", ".join(r.replace("_", " ") for r, m in reasons.items() if m[g])
            raise DataError(f"{VERB}: the model fitted to group {level!r} alone is unusable "
                            f"({why}); MICOM needs an admissible fit in every group")
    return pd.DataFrame({"group": levels, "n": np.bincount(codes),
                         "converged": groups.estimate.converged.astype(bool), "usable": ~bad})


def _composite_corr(wa: np.ndarray, wb: np.ndarray, cov: np.ndarray, member: np.ndarray
                    ) -> np.ndarray:
    """(size, J) correlation of X w_a and X w_b per block, from the pooled covariances."""
    Wa = wa[..., :, None] * member  # (size, p, J)
    Wb = wb[..., :, None] * member
    cab = np.einsum("bpj,pq,bqj->bj", Wa, cov, Wb)
    caa = np.einsum("bpj,pq,bqj->bj", Wa, cov, Wa)
    cbb = np.einsum("bpj,pq,bqj->bj", Wb, cov, Wb)
    return cab / np.sqrt(caa * cbb)


def _keys(levels: list[Any], pairs: list[tuple[int, int]], names: list[str]) -> pd.DataFrame:
    rows = [(f"{levels[a]} vs {levels[b]}", levels[a], levels[b], c) for a, b in pairs
            for c in names]
    return pd.DataFrame(rows, columns=["comparison", "group_1", "group_2", "construct"])


def _decide(frame: pd.DataFrame, correction: str, alpha: float, n_pairs: int, column: str
            ) -> None:
    """p_adjusted (per construct across comparisons, as cSEM) and the decision column."""
    p = frame.p.to_numpy().reshape(n_pairs, -1)
    adjusted = np.stack([p_adjust(p[:, j], correction) for j in range(p.shape[1])], axis=1)
    frame["p_adjusted"] = adjusted.ravel()
    frame[column] = frame.p_adjusted > alpha


def _equality(keys: pd.DataFrame, column: str, observed: np.ndarray, reference: np.ndarray,
              correction: str, alpha: float, n_pairs: int) -> pd.DataFrame:
    out = keys.copy()
    out[column] = observed.ravel()
    lower, upper = np.quantile(reference, [0.025, 0.975], axis=0)
    out["lower"], out["upper"] = lower.ravel(), upper.ravel()
    a = np.abs(observed)
    out["p"] = (np.mean(reference > a, axis=0) + np.mean(reference < -a, axis=0)).ravel()
    _decide(out, correction, alpha, n_pairs, "equal")
    return out
