"""Per-group results built one group at a time: ``fit_cbsem(by=...)`` and the ``ipma`` and
``predict`` of a grouped PLS result.

These verbs have no batched form (a CB-SEM fit is a semopy optimization, PLSpredict a
cross-validation of its own rows, an IPMA a handful of table reads), so they loop over
the groups. What they share with :class:`~satmodel.results.grouped.GroupedPLSResult`:
tables stack each group's ordinary table under the key columns, ``out[key]`` is the
ordinary result (``CBSEMResult``, ``IPMA``, ``PredictResult``), a group whose verb fails
(bad data, a singular or non-converged fit) is left out and listed in ``skipped``, and
``diagnostics`` name the group (``company='Bank A', wave=2026: ...``), one warning per
code for all groups.

>>> import satmodel as sm
>>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"), by="gender")
>>> maps = res.ipma("LOY")
>>> maps.constructs.columns.tolist()[:3], maps["male"].target
(['gender', 'construct', 'importance'], 'LOY')
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..diagnostics import Diagnostic, collecting, quiet, report
from ..errors import (DataError, EstimationError, NotAvailableError, OptionError, SatModelError,
                      SpecError)
from ..groups import batch

__all__ = ["GroupedResults", "GroupedCBSEMResult", "GroupedIPMA", "GroupedPredict",
           "run_groups"]


def _code(err: SatModelError) -> str:
    """``DataError`` -> ``data_error``; another SatModelError -> ``failed``."""
    if isinstance(err, (DataError, EstimationError, OptionError)):
        name = type(err).__name__
        return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")
    return "failed"


def run_groups(by: tuple[str, ...], work: Iterable[tuple[tuple, Callable[[], Any]]], *,
               accept: Callable[[Any], tuple[str, str] | None] = lambda out: None,
               ) -> tuple[dict[tuple, Any], list[tuple[tuple, str, str]], tuple[Diagnostic, ...]]:
    """Run each group's verb: results by key, (key, code, reason) of the groups left out,
    and the diagnostics, each recorded under its group's name. A group is left out when
    its verb raises a SatModelError, or ``accept(result)`` returns (code, reason). A
    SpecError is the caller's and is raised, and so is an OptionError raised in every
    group (one raised in some groups only, e.g. more CV folds than a group has rows,
    leaves those out)."""
    results: dict[tuple, Any] = {}
    skipped: list[tuple[tuple, str, str]] = []
    named: list[tuple[str, Diagnostic]] = []
    keys, errors = [], []
    with collecting() as records:
        for key, thunk in work:
            keys.append(key)
            label = batch.label_of(by, key)
            with collecting() as found, quiet():
                try:
                    out = thunk()
                    why = accept(out)
                except SpecError:
                    raise
                except SatModelError as err:
                    out, why = None, (_code(err), str(err))
                    errors.append(err)
            for d in found:
                batch.record_for(label, d)
                if d.severity != "info":
                    named.append((label, d))
            if why is not None:
                code, why = why
                skipped.append((key, code, why))
                report("group_skipped", f"{label} left out ({code}): {why}", names=(label,),
                       warn=False)
                continue
            results[key] = out
        batch.warn_once(named, len(keys))
        if skipped:
            shown = "; ".join(f"{batch.label_of(by, k)} ({c})" for k, c, _ in skipped[:5])
            report("groups_skipped", f"{len(skipped)} of {len(keys)} groups could not be "
                   f"fitted and are left out: {shown}{' ...' if len(skipped) > 5 else ''}; "
                   "see .skipped", names=tuple(batch.label_of(by, k) for k, _, _ in skipped),
                   count=len(skipped))
    if not results and errors and all(isinstance(e, OptionError) for e in errors):
        raise errors[0]  # refused by every group that ran: the caller's option
    if not results:
        raise SatModelError("no group could be fitted: " + "; ".join(
            f"{batch.label_of(by, k)}: {why}" for k, _, why in skipped[:5]))
    return results, skipped, tuple(records)


def skipped_frame(by: tuple[str, ...], skipped: list[tuple[tuple, str, str]],
                  sizes: dict[tuple, int] | None = None) -> pd.DataFrame:
    """Groups left out: key columns, (n,) code, reason."""
    frame = pd.DataFrame([list(k) for k, _, _ in skipped], columns=list(by))
    if sizes is not None:
        frame["n"] = [sizes.get(k, 0) for k, _, _ in skipped]
    frame["code"] = [c for _, c, _ in skipped]
    frame["reason"] = [w for _, _, w in skipped]
    return frame


def stack(by: tuple[str, ...], parts: dict[tuple, pd.DataFrame], *,
          keep_index: bool = False) -> pd.DataFrame:
    """Each group's table under its key columns, in key order."""
    frames = []
    for key, df in parts.items():
        df = df.copy()
        for i, (b, v) in enumerate(zip(by, key)):
            df.insert(i, b, v)
        frames.append(df)
    if not frames:
        return pd.DataFrame(columns=list(by))
    return pd.concat(frames, ignore_index=not keep_index)


@dataclass(frozen=True, eq=False)
class GroupedResults:
    """Ordinary results of many groups: ``out[key]``, ``items()``, ``keys``, ``skipped``,
    ``diagnostics`` and :meth:`stacked` tables."""

    by: tuple[str, ...]
    results: dict[tuple, Any] = field(repr=False)
    skipped: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def n_groups(self) -> int:
        return len(self.results)

    @property
    def keys(self) -> pd.DataFrame:
        """The groups with a result (key columns)."""
        return pd.DataFrame([list(k) for k in self.results], columns=list(self.by))

    def __len__(self) -> int:
        return len(self.results)

    def __getitem__(self, key: Any) -> Any:
        wanted = key if isinstance(key, tuple) else (key,)
        if wanted in self.results:
            return self.results[wanted]
        for row in self.skipped.itertuples(index=False):
            if tuple(batch.plain(v) for v in row[:len(self.by)]) == wanted:
                raise SatModelError(f"group {key!r} has no result ({row.code}): {row.reason}")
        shown = [k[0] if len(k) == 1 else k for k in self.results]
        raise SatModelError(f"no group {key!r} (keys are values of {', '.join(self.by)}). "
                            f"Groups: {shown[:8]}{' ...' if len(shown) > 8 else ''}")

    def items(self) -> Iterator[tuple[tuple, Any]]:
        return iter(self.results.items())

    def stacked(self, get: Callable[[Any], pd.DataFrame], *, keep_index: bool = False
                ) -> pd.DataFrame:
        return stack(self.by, {k: get(r) for k, r in self.results.items()}, keep_index=keep_index)

    def __repr__(self) -> str:
        return (f"<{type(self).__name__} by {', '.join(self.by)}: {self.n_groups} groups, "
                f"{len(self.skipped)} left out>")


@dataclass(frozen=True, eq=False, repr=False)
class GroupedCBSEMResult(GroupedResults):
    """``fit_cbsem(spec, data, by=...)``: a :class:`~satmodel.CBSEMResult` per group.

    Tables (``paths``, ``outer``, ``effects``, ``quality``, ``r2``, ``fit_indices``, any
    ``table(name)``) stack the groups' tables under the key columns; ``bootstrap``
    bootstraps every group (group g's seed derives from ``seed`` and its key, as in a
    grouped PLS bootstrap).
    """

    def table(self, name: str) -> pd.DataFrame:
        """Any CB-SEM table by name, stacked (``fit_indices``: one column per index)."""
        if name == "fit_indices":
            return self.stacked(lambda r: r.fit_indices.to_frame().T.reset_index(drop=True))
        if name == "r2":
            return self.stacked(lambda r: r.r2.rename("r2").rename_axis("construct")
                                .reset_index())
        return self.stacked(lambda r: r.table(name))

    paths = property(lambda self: self.table("paths"), doc="Paths of every group.")
    outer = property(lambda self: self.table("outer"), doc="Loadings of every group.")
    effects = property(lambda self: self.table("effects"))
    quality = property(lambda self: self.table("quality"))
    r2 = property(lambda self: self.table("r2"), doc="R² of every group (a table).")
    fit_indices = property(lambda self: self.table("fit_indices"),
                           doc="Fit indices of every group: keys, then one column per index.")

    def summary(self) -> str:
        """Main fit indices and the paths of every group, as text.

        >>> import satmodel as sm, warnings
        >>> spec = sm.ModelSpec.from_lavaan("A =~ EXPE1 + EXPE2 + EXPE3; B =~ SAT1 + SAT2 + SAT3; B ~ A")
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     cb = sm.fit_cbsem(spec, sm.datasets.load("ecsi_satisfaction"), by="gender")
        >>> cb.summary().splitlines()[2]
        'Fit indices'
        """
        fit = self.fit_indices
        shown = list(self.by) + [c for c in ("chi2", "df", "p_value", "cfi", "tli", "rmsea", "srmr")
                                 if c in fit.columns]
        with pd.option_context("display.width", 100, "display.precision", 3):
            return "\n\n".join([repr(self), "Fit indices\n" + fit[shown].to_string(index=False),
                                 "Paths\n" + self.paths.to_string(index=False)])

    def to_json(self, *args: Any, **kwargs: Any) -> str:
        raise NotAvailableError(
            "a grouped CB-SEM result has no JSON record yet; write each group's record: "
            "{key: r.to_json() for key, r in res.items()}")

    def bootstrap(self, n: int = 500, seed: Any = None, **options: Any) -> GroupedCBSEMResult:
        """Bootstrap every group's fit (options as :meth:`CBSEMResult.bootstrap`); group
        g draws with ``np.random.SeedSequence(entropy, spawn_key=(k,))`` as
        :func:`satmodel.groups.batch_boot.group_seed`."""
        from ..groups.batch_boot import group_seed, root_entropy

        entropy = root_entropy(seed)
        work = [(k, lambda r=r, k=k: r.bootstrap(n, seed=group_seed(entropy, k), **options))
                for k, r in self.results.items()]
        results, skipped, found = run_groups(self.by, work)
        more = skipped_frame(self.by, skipped)
        frame = pd.concat([self.skipped, more], ignore_index=True) if len(more) else self.skipped
        return GroupedCBSEMResult(self.by, results, frame, self.diagnostics + found)


@dataclass(frozen=True, eq=False, repr=False)
class GroupedIPMA(GroupedResults):
    """Importance-performance maps of every group (``res.ipma(target)`` of a grouped
    result): ``constructs`` and ``indicators`` stacked under the key columns; a group's
    :class:`~satmodel.index.ipma.IPMA` (with its ``plot``) is ``maps[key]``."""

    target: str = ""

    @property
    def constructs(self) -> pd.DataFrame:
        return self.stacked(lambda m: m.constructs)

    @property
    def indicators(self) -> pd.DataFrame:
        return self.stacked(lambda m: m.indicators)


@dataclass(frozen=True, eq=False, repr=False)
class GroupedPredict(GroupedResults):
    """PLSpredict of every group (``res.predict(...)`` of a grouped result): the accuracy
    tables stacked under the key columns, ``predictions`` with the input's row index."""

    @property
    def indicators(self) -> pd.DataFrame:
        return self.stacked(lambda p: p.indicators)

    @property
    def constructs(self) -> pd.DataFrame:
        return self.stacked(lambda p: p.constructs)

    @property
    def predictions(self) -> pd.DataFrame:
        return self.stacked(lambda p: p.predictions, keep_index=True)

    @property
    def lm_predictions(self) -> pd.DataFrame:
        return self.stacked(lambda p: p.lm_predictions, keep_index=True)


def not_converged(res: Any) -> tuple[str, str] | None:
    """Why a fit is left out: it did not converge (else None)."""
    if not bool(np.all(getattr(res, "converged", True))):
        return "not_converged", "the fit did not converge (raise max_iter)"
    return None
