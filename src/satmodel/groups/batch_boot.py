"""Bootstrap of many groups at once: G groups x B resamples through the one driver.

Draws are group-major (group 0's B resamples, then group 1's, ...), so a chunk of the
driver spans one or a few groups; each group's moments come from its own rows, and the
chunk's G·B-slice of moment matrices is ONE batched engine call. The driver's memory
budget bounds the chunk (the stored draws grow with G x B x table rows: choose
``tables=``).

Seeds. Group g draws its resamples from
``np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=(k,)))`` where
``entropy`` is the root seed's entropy and k the first 8 bytes (big-endian) of the
SHA-256 of the group key's text (:func:`group_seed`). A group's draws thus depend on
the seed and its own key only — not on which other groups are fitted — and a separate
``res[key].bootstrap(n, seed=group_seed(entropy, key))`` draws the very same resamples.

>>> import satmodel as sm
>>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"), by="gender")
>>> boot = res.bootstrap(n=50, seed=1, tables=["paths"])
>>> a = boot.paths.query("gender == 'male'").se.to_numpy()
>>> b = res["male"].bootstrap(n=50, seed=res.group_seed("male", 1), tables=["paths"])
>>> bool(abs(a - b.paths.se.to_numpy()).max() < 1e-12)
True
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import _validate as valid
from ..diagnostics import Diagnostic, collecting, quiet, report
from ..engine.refit import Refit
from ..inference import intervals
from ..inference.bootstrap import BootstrapInference, report_undefined
from ..inference.driver import (
    BootstrapCounts,
    Weights,
    drop_reasons,
    evaluate_tables,
    run,
)
from ..moments.treatment import survey_moments
from ..spec.model import ModelSpec
from ..survey import SurveyData
from ..tables import TABLES, Context
from .batch import key_text, record_for, stack_moments, warn_once

__all__ = ["GroupResamples", "bootstrap_groups", "group_seed", "report_too_few", "root_entropy"]


def root_entropy(seed: Any, verb: str = "bootstrap") -> int:
    """The entropy of a root seed (int, None for fresh entropy, or a SeedSequence)."""
    if isinstance(seed, np.random.SeedSequence):
        return int(seed.entropy)
    if seed is None:
        return int(np.random.SeedSequence().entropy)
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise valid.bad(verb, "seed", seed, "a non-negative integer, a numpy SeedSequence or "
                        "None (each group's draws derive from it and the group's key)")
    return int(seed)


def group_seed(entropy: int, key: tuple) -> np.random.SeedSequence:
    """The seed of one group's resamples (see the module docstring)."""
    digest = hashlib.sha256(key_text(key).encode("utf-8")).digest()
    return np.random.SeedSequence(entropy, spawn_key=(int.from_bytes(digest[:8], "big"),))


@dataclass
class GroupResamples(Weights):
    """Bootstrap counts of every group, group-major; a draw is one group's resample,
    zero-padded to the largest group, with the group's position in one more column
    (so a chunk carries its groups: chunks can be evaluated in any thread, in any
    order). Group g's draws equal ``BootstrapCounts(B, n_g, default_rng(seeds[g]))``'s,
    however the driver chunks."""

    sizes: Sequence[int]
    B: int
    seeds: Sequence[np.random.SeedSequence]
    desc: str = "bootstrap (groups)"
    _next: int = field(default=0, repr=False)

    def __post_init__(self) -> None:
        self.total = len(self.sizes) * self.B
        self.n = int(max(self.sizes)) + 1  # the rows, then the group's position
        self._counts = [BootstrapCounts(self.B, int(m), np.random.default_rng(s))
                        for m, s in zip(self.sizes, self.seeds)]

    def draw(self, size: int) -> np.ndarray:
        out = np.zeros((size, self.n))
        out[:, -1] = (self._next + np.arange(size)) // self.B
        done = 0
        while done < size:
            g, within = divmod(self._next, self.B)
            m = min(size - done, self.B - within)
            out[done:done + m, :self.sizes[g]] = self._counts[g].draw(m)
            done += m
            self._next += m
        return out


def _segments(groups: np.ndarray) -> list[tuple[int, slice]]:
    """Runs of equal group ids: (group, slice of the chunk)."""
    cuts = np.flatnonzero(np.diff(groups)) + 1
    starts = np.concatenate([[0], cuts])
    ends = np.concatenate([cuts, [groups.size]])
    return [(int(groups[a]), slice(int(a), int(b))) for a, b in zip(starts, ends)]


def _evaluator(refit: Refit, spec: ModelSpec, surveys: Sequence[SurveyData],
               tables: Sequence[str], sign_refs: np.ndarray | None, keep_inadmissible: bool):
    """Refit and evaluate a chunk of group-major draws (each with its group's position in
    the last column: no state between chunks, so chunks run in parallel); drop reasons
    travel as values (``_drop``) with the group id (``_group``), so drops are counted per
    group."""

    def fit(mom, ref=None):
        fitted = refit.on_moments(mom, sign_reference=ref)
        reasons = drop_reasons(fitted, refit.options.consistent)
        if keep_inadmissible:
            reasons.pop("inadmissible", None)
        return evaluate_tables(Context.of(fitted, spec), tables), reasons

    def evaluate(weights: np.ndarray):
        gids = weights[:, -1].astype(np.intp)
        segments = _segments(gids)
        with np.errstate(invalid="ignore", divide="ignore"):
            moms = [survey_moments(surveys[g], weights[s, :surveys[g].n]) for g, s in segments]
        if sign_refs is None:
            parts = [fit(stack_moments(moms))]
        else:  # construct-level sign change: one reference per group
            parts = [fit(m, sign_refs[g]) for m, (g, _) in zip(moms, segments)]
        values = {t: {col: np.concatenate([p[0][t][col] for p in parts]) for col in cols}
                  for t, cols in parts[0][0].items()}
        values["_group"] = {"g": gids.astype(float)}
        values["_drop"] = {r: np.concatenate([p[1][r] for p in parts]).astype(float)
                           for r in parts[0][1]}
        return values, {}
    return evaluate


def bootstrap_groups(spec: ModelSpec, refit: Refit, original: Context,
                     surveys: Sequence[SurveyData], seeds: Sequence[np.random.SeedSequence],
                     labels: Sequence[str], n: int, *, tables: Sequence[str], signs: str = "none",
                     inadmissible: str = "drop", chunk_size: int | None = None,
                     progress: bool | None = None, level: float = 0.95
                     ) -> tuple[BootstrapInference | None, ...]:
    """Bootstrap every group (``original``: the groups' batched context, group g at
    index g); per group a :class:`BootstrapInference` equal to that group's own
    bootstrap with ``seeds[g]``, or None (reported) when fewer than 2 resamples are usable.
    As a single bootstrap, each group reports values undefined in some resamples and
    too few usable resamples for ``level`` intervals, naming the group."""
    sign_refs = None
    if signs == "construct":
        M = refit.layout.membership
        sign_refs = np.stack([(original.S[g] @ (original.est.weights[g][:, None] * M))[M]
                              for g in range(len(surveys))])
    evaluate = _evaluator(refit, spec, surveys, tables, sign_refs, inadmissible == "keep")
    per_fit = max(refit.with_survey(s).bytes_per_fit for s in surveys)
    weights = GroupResamples([s.n for s in surveys], n, seeds)
    draws = run(weights, evaluate, per_fit, chunk=chunk_size, progress=progress,
                parallel=True).values  # the evaluator shares nothing between chunks
    orig = {t: {c: TABLES[t].values(original, c) for c in TABLES[t].columns} for t in tables}
    out: list[BootstrapInference | None] = []
    named = []
    for g, label in enumerate(labels):
        sl = slice(g * n, (g + 1) * n)
        drop = {r: m[sl] > 0 for r, m in draws["_drop"].items()}
        bad = np.zeros(n, dtype=bool)
        for m in drop.values():
            bad |= m
        dropped = {r: int(m.sum()) for r, m in drop.items() if m.any()}
        original_g = {t: {c: v[g] for c, v in cols.items()} for t, cols in orig.items()}
        values = {t: {c: draws[t][c][sl][~bad] for c in cols} for t, cols in orig.items()}
        if signs == "individual":
            values = {t: {c: np.abs(v) * np.sign(original_g[t][c]) for c, v in cols.items()}
                      for t, cols in values.items()}
        kept = n - int(bad.sum())
        if dropped:
            d = Diagnostic("bootstrap_dropped", f"bootstrap dropped {n - kept} of {n} resamples "
                           f"(by reason, a resample may have several: {dropped})",
                           names=tuple(dropped), count=n - kept)
            record_for(label, d)
            named.append((label, d))
        if kept < 2:
            report("group_no_inference", f"{label}: only {kept} of {n} resamples were usable "
                   f"({dropped}); the group has no standard errors", names=(label,), count=kept)
            out.append(None)
            continue
        with collecting() as found, quiet():  # the single bootstrap's checks, per group
            report_undefined(values, original_g, kept)
            intervals.report_too_few(kept, level)
        for d in found:
            record_for(label, d)
            named.append((label, d))
        out.append(BootstrapInference(draws=values, original=original_g, n_requested=n,
                                      n_valid=kept, dropped=dropped, seed=seeds[g], signs=signs))
    warn_once(named, len(labels))
    return tuple(out)


def report_too_few(n_valid: Sequence[int], level: float, labels: Sequence[str]) -> tuple:
    """Diagnostic ``too_few_resamples`` for every group whose kept resamples (0: no
    inference) cannot place the bounds of ``level`` intervals, naming the group; one
    warning for all. Returns the records."""
    named, records = [], []
    for kept, label in zip(n_valid, labels):
        if kept >= 2:
            with collecting() as found, quiet():
                intervals.report_too_few(int(kept), level)
            for d in found:
                named.append((label, d))
                records.append(record_for(label, d))
    warn_once(named, len(labels))
    return tuple(records)
