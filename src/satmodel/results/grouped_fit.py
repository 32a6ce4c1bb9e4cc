"""``fit_pls(spec, data, by=...)``: every group (company, wave, ...) in one batched fit.

The data are validated once, pooled (columns, codes, scales, reverse items, missing
values, weights); rows are grouped by the ``by`` columns; each group's moments are
those of its own rows (standardized within group); the stacked moments are ONE engine
call (:mod:`satmodel.groups.batch`). Groups that cannot be fitted — fewer rows than the
minimum, a constant (or unanswered) item in the group, items never answered together
(pairwise), a singular system, non-convergence — are reported and left out, never fatal.

>>> import satmodel as sm
>>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"), by="gender")
>>> res.paths.columns.tolist()
['gender', 'source', 'target', 'estimate']
"""

from __future__ import annotations

from concurrent.futures import wait
from typing import Any

import numpy as np

from .. import _validate as valid
from .._threads import collector_paused, on_helper, one_blas_thread
from ..diagnostics import Diagnostic, collecting, quiet, report
from ..engine import PLSOptions, Refit
from ..engine.admissible import admissible
from ..errors import DataError, EstimationError, SatModelError
from ..groups import batch, pooled
from ..moments.core import Moments
from ..moments.treatment import survey_moments
from ..spec.layout import layout_of
from ..spec.model import ModelSpec
from ..survey import SurveyOptions, coding, prepare
import satmodel.results.pls_checks as checks
from .grouped import GroupedPLSResult

__all__ = ["STANDARDIZE", "check_standardize", "fit_groups"]

#: how items are standardized in a grouped fit ("group": each group's own means and SDs,
#: as cSEM's multigroup ``csem`` and SmartPLS's MGA estimate every group)
STANDARDIZE = ("group",)

#: why ``standardize="pooled"`` is refused (see :func:`fit_groups`)
POOLED_REFUSED = (
    "pooled standardization is refused because it would change nothing: with standardized "
    "items (scaled=True, as cSEM and SmartPLS fit every group) each group's weights, "
    "loadings, paths, R² and HTMT are functions of the group's own item correlations, which "
    "rescaling an item by the pooled mean and SD leaves as they are; with scaled=False the "
    "raw item metric is already common to the groups (pooled z-scores would only trade it "
    "for another common metric); and the 0-100 index is computed on the items' declared "
    "scale in any case. Use standardize='group' (the default). Composite "
    "means and variances on a pooled metric are MICOM's step 3 (sm.micom); group levels are "
    "compared with res.index() and res.index_change()")


def _by_columns(by: Any) -> tuple[str, ...]:
    cols = (by,) if isinstance(by, str) else tuple(by) if isinstance(by, (list, tuple)) else None
    if not cols or not all(isinstance(c, str) for c in cols) or len(set(cols)) != len(cols):
        raise valid.bad("fit_pls", "by", by, "a column name or a list of distinct column names")
    return cols


class _Labels:
    """``company='A', wave=2026`` of group g, made only when a diagnostic needs it (from
    the key columns: no tuple of keys is built for groups that are never named)."""

    def __init__(self, by: tuple[str, ...], keys) -> None:
        self.by, self.keys, self._made = by, keys, {}
        self._columns = [keys[c].tolist() for c in keys.columns]  # plain values

    def __getitem__(self, g: int) -> str:
        if g not in self._made:
            self._made[g] = batch.label_of(self.by, tuple(col[g] for col in self._columns))
        return self._made[g]

    def __len__(self) -> int:
        return len(self.keys)


class _Signs(checks.SignedPaths):
    """What :func:`~satmodel.results.pls_checks.check_signs` reports for each group's path
    matrix, built without the report machinery (many groups may be flagged)."""

    def __call__(self, k: int) -> list[Diagnostic]:
        wrong, where = self.findings(k)
        if not wrong:
            return []
        return [Diagnostic("sign", checks.SIGN_MESSAGE + "; ".join(wrong),
                           category="SignWarning", names=tuple(where))]


def _moments(spec: ModelSpec, survey) -> tuple[Moments | None, str | None, str]:
    """A group's moments under its treatment, or None with (code, reason)."""
    try:
        coding.check_pairs(spec, survey.X, survey.missing, survey.weights, em=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            return survey_moments(survey), None, ""
    except (DataError, EstimationError, np.linalg.LinAlgError) as err:
        return None, "missing_pairs", str(err)


def group_moments(spec: ModelSpec, survey, groups: batch.Groups, minimum: int):
    """Moments of the groups that have enough rows and no item without variance, stacked;
    their positions; and (position, code, reason) of the others."""
    sizes = np.array([len(r) for r in groups.rows])
    skipped = [(int(g), "too_few_rows", f"{sizes[g]} rows; a group needs at least {minimum}")
               for g in np.flatnonzero(sizes < minimum)]
    cand = [int(g) for g in np.flatnonzero(sizes >= minimum)]
    stacked = pooled.pooled_moments(survey, [groups.rows[g] for g in cand]) if cand else None
    ok = cand
    if stacked is None:
        moms, ok = [], []
        for g in cand:
            mom, code, why = _moments(spec, batch.sub_survey(survey, groups.rows[g]))
            if mom is None:
                skipped.append((g, code, why))
            else:
                moms.append(mom)
                ok.append(g)
        stacked = batch.stack_moments(moms) if moms else None
    if stacked is None:
        return None, [], skipped
    finite = np.isfinite(stacked.corr).all((-1, -2))
    for k in np.flatnonzero(~finite):
        flat = [n for n, sd in zip(spec.indicator_names, stacked.std[k])
                if not (np.isfinite(sd) and sd > 0)]
        skipped.append((ok[k], "constant_item", f"items {flat} have no variance in this group"))
    keep = np.flatnonzero(finite)
    return batch.take(stacked, keep), [ok[k] for k in keep], skipped


def _flags(spec: ModelSpec, refit: Refit, mom: Moments, est, missing: str) -> dict:
    """Per check of a single fit, the groups it may report on or refuse (the others pass
    it silently); flagged groups run that check one by one, exactly as a separate fit."""
    lay, o, G = refit.layout, refit.options, est.weights.shape[0]
    flags = {"estimate": ~est.converged | est.singular_block.any(-1)
             | ~np.isfinite(est.weights).all(-1),
             "moments": np.zeros(G, dtype=bool), "signs": np.zeros(G, dtype=bool),
             "blocks": np.full(G, any(m == "B" for m in lay.modes))}
    if missing in ("pairwise", "em"):  # complete-data and mean-filled moments are PSD
        flags["moments"] = np.linalg.eigvalsh(mom.corr)[:, 0] < -1e-10
    if o.consistent:  # undefined rho_A, or inadmissible values (engine.admissible)
        flags["estimate"] |= (~(est.rho_a > 0))[:, lay.common_factor].any(-1)
        flags["estimate"] |= ~admissible(est, lay)
    pos = {c: i for i, c in enumerate(spec.construct_names)}
    for p in spec.paths:
        if p.expected_sign is not None:
            v = est.paths[:, pos[p.source], pos[p.target]]
            flags["signs"] |= (v < 0) if p.expected_sign == "+" else (v > 0)
    return flags


def _check(spec: ModelSpec, refit: Refit, mom: Moments, est, which: dict) -> tuple[list, Any]:
    """The flagged checks of a single fit on one group, in the fit's order: its
    diagnostics, or (code, reason) why it is left out."""
    with collecting() as found, quiet():
        try:
            if which["moments"]:
                checks.check_moments(spec, mom)
            if which["blocks"]:
                checks.check_blocks(spec, refit.layout, np.asarray(mom.corr))
            if which["estimate"]:
                checks.check_estimate(spec, refit.layout, est, refit.options)
            if which["signs"]:
                checks.check_signs(spec, est)
        except DataError as err:
            return list(found), ("constant_item", str(err))
        except EstimationError as err:
            return list(found), ("singular", str(err))
    if not bool(est.converged):
        why = (f"PLS did not converge in max_iter={refit.options.max_iter} iterations "
               "(raise max_iter)")
        return list(found), ("not_converged", why)
    return list(found), None


def _sample_checks(spec: ModelSpec, refit: Refit, weights, n: float,
                   min_rows: int | None, memo: dict) -> tuple[list, list, Any]:
    """A single fit's sample checks on one group, in its order: Kish's effective n of
    its sampling weights (before the fit's checks; too few: the group is left out) and
    the 10-times rule (``small_sample``, after them). Unweighted groups of equal n share
    one evaluation (``memo``), so 1,000 companies of 200 rows cost one check."""
    before: list = []
    n_eff = None
    if weights is not None:
        with collecting() as found, quiet():
            try:
                n_eff = checks.check_weights(spec, weights, min_rows)
            except DataError as err:
                return list(found), [], ("too_few_effective", str(err))
        before = list(found)
    key = (n if n_eff is None else n_eff, n_eff is not None)
    if key not in memo:
        with collecting() as after, quiet():
            checks.check_sample_size(spec, refit.layout, key[0], weighted=key[1])
        memo[key] = list(after)
    return before, memo[key], None


def check_standardize(standardize: Any) -> None:
    """``standardize`` must be "group"; "pooled" is refused with the reason."""
    if standardize not in STANDARDIZE:
        allowed = POOLED_REFUSED if standardize == "pooled" else \
            "'group' (each group's own means and SDs, as cSEM and SmartPLS)"
        raise valid.bad("fit_pls", "standardize", standardize, allowed)


def fit_groups(spec: ModelSpec, data: Any, by: Any, options: PLSOptions,
               survey_options: SurveyOptions, *, weights: Any = None, columns: Any = None,
               standardize: str = "group", min_rows: int | None = None) -> GroupedPLSResult:
    """Fit ``spec`` to every group of ``data`` (see :func:`satmodel.fit_pls`, ``by=``);
    ``options`` and ``survey_options`` are validated by the caller."""
    by = _by_columns(by)
    check_standardize(standardize)
    if min_rows is not None:
        valid.integer("fit_pls", "min_rows", min_rows, minimum=3)
    with collecting() as found:
        so = survey_options
        coding = on_helper(lambda: batch.code_keys(data, by, columns=columns))  # meanwhile
        try:
            survey = prepare(spec, data, columns=columns, na_values=so.na_values,
                             reverse=so.reverse, missing=so.missing, weights=weights,
                             missing_warn=so.missing_warn)
        finally:
            wait([coding])
        groups = batch.split(data, by, survey, columns=columns, coded=coding.result())
        refit = Refit(None, options, layout_of(spec))
        labels = _Labels(by, groups.keys)
        with one_blas_thread():  # many small products: one BLAS thread is faster
            stacked, ok, skipped = group_moments(spec, survey, groups,
                                                 batch.minimum_rows(spec, min_rows))
            if stacked is not None:
                result = _fit_ok(spec, refit, groups, survey, labels, stacked, ok, skipped,
                                 min_rows)
        _report_skipped(groups, labels, skipped)
    if stacked is None or not result[0]:
        raise SatModelError("no group could be fitted: " + "; ".join(
            f"{labels[g]}: {why}" for g, _, why in sorted(skipped)[:5]))
    fitted, group_diags, stacked, est, skipped_frame = result
    return GroupedPLSResult(
        spec=spec, options=options, survey_options=survey_options, by=by,
        groups=groups.take(fitted), moments=stacked, estimate=est, survey=survey,
        group_diagnostics=tuple(group_diags), skipped=skipped_frame, diagnostics=tuple(found))


def _fit_ok(spec, refit, groups, survey, labels, stacked, ok, skipped, min_rows=None):
    """One engine call on the groups with moments, then the flagged per-fit checks and
    each group's sample checks."""
    # each group's estimate is its own fit's: two halves on two threads give the same to
    # rounding (1e-15)
    est = batch.concat(batch.in_halves(
        lambda lo, hi: refit.on_moments(batch.take(stacked, slice(lo, hi))).estimate,
        len(ok)))
    flags = _flags(spec, refit, stacked, est, survey.missing)
    any_flag = np.any(np.stack(list(flags.values())), axis=0)
    fitted, diags, named = [], [], []
    memo: dict = {}
    signs = _Signs(spec, est.paths)
    silent = _silent_samples(spec, refit, stacked, survey.weights, min_rows, memo)
    others = np.any(np.stack([f for name, f in flags.items() if name != "signs"]), axis=0)
    with collector_paused():  # thousands of small objects: no full collection meanwhile
        for k, g in enumerate(ok):
            if silent[k] and not others[k]:  # the common cases, recorded as below
                found = signs(k) if flags["signs"][k] else []
                for d in found:  # a sign diagnostic is a warning: recorded, warned once
                    batch.record_for(labels[g], d)
                    named.append((labels[g], d))
                fitted.append(k)
                diags.append(tuple(found))
                continue
            found: list[Diagnostic] = []
            if any_flag[k]:
                which = {name: bool(f[k]) for name, f in flags.items()}
                if not any(v for name, v in which.items() if name != "signs"):  # signs only
                    found, why = signs(k), None
                else:
                    found, why = _check(spec, refit, batch.take(stacked, k), batch.take(est, k),
                                        which)
                if why is not None:
                    skipped.append((g, *why))
                    continue
            w = None if survey.weights is None else survey.weights[groups.rows[g]]
            before, after, why = _sample_checks(spec, refit, w, float(stacked.n[k]), min_rows,
                                                memo)
            if why is not None:
                skipped.append((g, *why))
                continue
            found = before + list(found) + after
            for d in found:  # recorded naming the group; one warning per code below
                batch.record_for(labels[g], d)
                if d.severity != "info":  # as a single fit: effective_n is recorded, not warned
                    named.append((labels[g], d))
            fitted.append(k)
            diags.append(tuple(found))
    batch.warn_once(named, len(labels))
    skipped.sort()
    frame = groups.keys.iloc[[g for g, _, _ in skipped]].reset_index(drop=True)
    frame["n"] = [len(groups.rows[g]) for g, _, _ in skipped]
    frame["code"] = [c for _, c, _ in skipped]
    frame["reason"] = [w for _, _, w in skipped]
    idx = np.asarray(fitted, dtype=int)
    return [ok[k] for k in fitted], diags, batch.take(stacked, idx), batch.take(est, idx), frame


def _silent_samples(spec, refit, stacked, weights, min_rows, memo) -> np.ndarray:
    """Groups (bool per group) whose sample checks report nothing: unweighted, with a row
    count whose 10-times rule is silent (evaluated once per distinct count, in ``memo``
    as :func:`_sample_checks` keeps it)."""
    n = np.asarray(stacked.n, dtype=float)
    silent = np.zeros(len(n), dtype=bool)
    if weights is None:
        for value in np.unique(n).tolist():
            before, after, _ = _sample_checks(spec, refit, None, value, min_rows, memo)
            silent[n == value] = not before and not after
    return silent


def _report_skipped(groups, labels, skipped) -> None:
    for g, code, why in sorted(skipped):
        report("group_skipped", f"{labels[g]} left out ({code}): {why}", names=(labels[g],),
               count=len(groups.rows[g]), warn=False)
    if skipped:
        shown = "; ".join(f"{labels[g]} ({code})" for g, code, _ in sorted(skipped)[:5])
        report("groups_skipped", f"{len(skipped)} of {len(labels)} groups could not be fitted "
               f"and are left out: {shown}{' ...' if len(skipped) > 5 else ''}; see res.skipped",
               names=tuple(labels[g] for g, _, _ in sorted(skipped)), count=len(skipped))
