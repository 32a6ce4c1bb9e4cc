"""The result of a grouped fit (``fit_pls(spec, df, by=["company", "wave"])``).

Every table stacks the ordinary table of each fitted group under the key columns
(``company, wave, source, target, estimate``), evaluated by the same batched table
functions on all groups at once; ``res["Bank A", 2026]`` (``res["Bank A"]`` for one
key) is an ordinary :class:`PLSResult`, equal to a separate fit on that group's rows.
``bootstrap`` resamples every group at once (:mod:`satmodel.groups.batch_boot`);
``index``, ``index_change`` and ``league_table`` read the groups' indices and their
bootstrap standard errors (:mod:`satmodel.index.change`); ``ipma`` and ``predict`` run
per group (:mod:`.grouped_many`); ``to_json``/``from_json`` write and read one record of
every group (:mod:`.grouped_record`; no survey rows, so a result read back cannot be
bootstrapped again).

>>> import satmodel as sm
>>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"), by="gender")
>>> res.n_groups, res["male"].n_obs
(2, 102)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from .. import _validate as valid
from ..diagnostics import Diagnostic, collecting
from ..engine import Estimate, Layout, PLSOptions, Refit
from ..errors import SatModelError
from ..groups import batch, batch_boot
from ..index import change
from ..index import results as index_results
from ..index import score as index_score
from ..inference import bootstrap as boot
from ..inference import intervals
from ..inference.grouped import GroupedInference
from ..moments.core import Moments
from ..moments.treatment import complete_rows
from ..spec.layout import layout_of
from ..spec.model import ModelSpec
from ..survey import SurveyData, SurveyOptions
from ..tables import TABLES, Context, nullable
import satmodel.results.grouped_many as grouped_many
import satmodel.results.grouped_record as grouped_record
from .base import ResultBase
from .pls import PLSResult

__all__ = ["GroupedPLSResult"]


@dataclass(frozen=True, eq=False)
class GroupedPLSResult(ResultBase):
    """PLS fits of many groups (see the module docstring).

    Attributes
    ----------
    by : tuple of str
        The key columns.
    groups : Groups
        Keys and rows of the fitted groups (:class:`satmodel.groups.batch.Groups`).
    moments, estimate
        Stacked over the fitted groups (leading axis G).
    skipped : DataFrame
        Groups left out: key columns, n, code, reason.
    diagnostics : tuple of Diagnostic
        Every finding, naming its group (``company='Bank A', wave=2026: ...``).
    inference : GroupedInference or None
        After :meth:`bootstrap`.
    """

    TABLE_NAMES = tuple(TABLES)

    spec: ModelSpec
    options: PLSOptions
    by: tuple[str, ...]
    groups: batch.Groups
    moments: Moments
    estimate: Estimate
    survey: SurveyData | None = field(repr=False)  # the pooled validated rows (not in JSON)
    survey_options: SurveyOptions = field(default_factory=SurveyOptions)
    group_diagnostics: tuple[tuple[Diagnostic, ...], ...] = field(default=(), repr=False)
    skipped: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    diagnostics: tuple[Diagnostic, ...] = ()
    inference: GroupedInference | None = field(default=None, repr=False)

    # ----------------------------------------------------------------- groups
    @property
    def n_groups(self) -> int:
        """Number of fitted groups."""
        return len(self.groups.keys)

    @property
    def keys(self) -> pd.DataFrame:
        """The fitted groups: key columns and n (rows fitted)."""
        return self.groups.keys.assign(n=self._sizes)

    @property
    def _sizes(self) -> list[int]:
        return self.groups.sizes

    @cached_property
    def surveys(self) -> tuple[SurveyData, ...]:
        """Each fitted group's rows as a survey of its own (not for a result read from
        JSON, which carries no rows)."""
        return tuple(self.groups.surveys(self.survey_rows("this verb")))

    def __len__(self) -> int:
        return self.n_groups

    def __getitem__(self, key: Any) -> PLSResult:
        return self._result(self._position(key))

    def items(self) -> Iterator[tuple[tuple, PLSResult]]:
        """(key, PLSResult) of every fitted group, in key order."""
        for g, key in enumerate(self.groups.labels):
            yield key, self._result(g)

    def _position(self, key: Any) -> int:
        wanted = key if isinstance(key, tuple) else (key,)
        for row in self.skipped.itertuples(index=False):
            if tuple(batch.plain(v) for v in row[:len(self.by)]) == wanted:
                raise SatModelError(f"group {key!r} was not fitted ({row.code}): {row.reason}")
        return self.groups.position(key)

    def _result(self, g: int, *, rows: bool = True) -> PLSResult:
        """Group g's PLSResult; with its rows and scores unless ``rows`` is False or the
        result was read from JSON."""
        mom, est = batch.take(self.moments, g), batch.take(self.estimate, g)
        survey = frame = None
        if rows and self.survey is not None:
            survey = batch.with_report(self.spec, batch.sub_survey(self.survey,
                                                                   self.groups.rows[g]),
                                       int(self.groups.n_input[g]))
            W = est.weights[:, None] * self.layout.membership
            scores = complete_rows(survey, mom) @ (W / mom.std[:, None]) \
                - (mom.mean / mom.std) @ W
            frame = pd.DataFrame(scores, index=survey.index.copy(),
                                 columns=list(self.spec.construct_names))
        inf = None if self.inference is None else self.inference.group(g)
        diags = self.group_diagnostics[g] if self.group_diagnostics else ()
        if inf is not None and inf.dropped:
            lost = inf.n_requested - inf.n_valid
            diags += (Diagnostic("bootstrap_dropped", f"bootstrap dropped {lost} of "
                                 f"{inf.n_requested} resamples (by reason, a resample may have "
                                 f"several: {inf.dropped}); see boot.inference.dropped",
                                 names=tuple(inf.dropped), count=lost),)
        return PLSResult(spec=self.spec, options=self.options, n_obs=int(round(float(mom.n))),
                         indicator_mean=np.array(mom.mean), indicator_std=np.array(mom.std),
                         indicator_corr=np.array(mom.corr), estimate=est,
                         survey_options=self.survey_options, diagnostics=diags, inference=inf,
                         survey=survey, _scores=frame)

    def group_seed(self, key: Any, seed: Any = None) -> np.random.SeedSequence:
        """The seed of group ``key``'s bootstrap draws under root ``seed`` (default: the
        seed of this result's bootstrap): ``res[key].bootstrap(n, seed=res.group_seed(key,
        seed))`` draws what ``res.bootstrap(n, seed)`` draws for that group."""
        if seed is None:
            if self.inference is None:
                raise SatModelError("group_seed needs seed= (or a bootstrapped result)")
            entropy = self.inference.entropy
        else:
            entropy = batch_boot.root_entropy(seed, "group_seed")
        return batch_boot.group_seed(entropy, self.groups.labels[self._position(key)])

    @property
    def _labels(self) -> list[str]:
        """How diagnostics name each fitted group (``company='A', wave=2026``)."""
        return [batch.label_of(self.by, k) for k in self.groups.labels]

    # ----------------------------------------------------------------- tables
    @cached_property
    def layout(self) -> Layout:
        return layout_of(self.spec)

    @property
    def refit(self) -> Refit:
        """The engine chain without rows (each group's rows are in ``surveys``)."""
        return Refit(None, self.options, self.layout)

    @property
    def context(self) -> Context:
        """The groups' arrays, batched on the leading axis."""
        m = self.moments
        return Context(S=m.corr, est=self.estimate, layout=self.layout, spec=self.spec,
                       n_obs=np.asarray(m.n, dtype=float), mean=m.mean, std=m.std,
                       refit=self.refit)

    def _base_table(self, name: str) -> pd.DataFrame:
        tdef, ctx, G = TABLES[name], self.context, self.n_groups
        keys = tdef.keys(self.spec).reset_index(drop=True)
        R = len(keys)
        df = self.groups.keys.iloc[np.repeat(np.arange(G), R)].reset_index(drop=True)
        rows = keys.iloc[np.tile(np.arange(R), G)].reset_index(drop=True)
        df = pd.concat([df, rows], axis=1)
        for col in tdef.columns:
            df[col] = np.asarray(tdef.values(ctx, col), dtype=float).reshape(G * R)
        return nullable(df, *tdef.nullable)

    @property
    def paths(self) -> pd.DataFrame:
        """Path coefficients of every group: keys, source, target, estimate."""
        return self.table("paths")

    @property
    def outer(self) -> pd.DataFrame:
        """Outer weights and loadings of every group."""
        return self.table("outer")

    @property
    def effects(self) -> pd.DataFrame:
        return self.table("effects")

    @property
    def r2(self) -> pd.DataFrame:
        """R² of every group: keys, construct, r2 (a table; PLSResult's is a Series)."""
        return self.table("r2")

    @property
    def quality(self) -> pd.DataFrame:
        return self.table("quality")

    # ----------------------------------------------------------------- inference
    def bootstrap(self, n: int = 5000, seed: Any = None, *, ci: str = "percentile",
                  level: float = 0.95, signs: str = "none", inadmissible: str = "drop",
                  chunk_size: int | None = None, progress: bool | None = None,
                  tables: Any = None) -> GroupedPLSResult:
        """Bootstrap every group at once (options as :meth:`PLSResult.bootstrap`).

        Group g's resamples come from :meth:`group_seed` (the root ``seed`` and the
        group's key), so they equal ``res[key].bootstrap(n, seed=res.group_seed(key,
        seed))``'s. The draws of G groups x ``n`` resamples x table rows are kept:
        choose ``tables=`` (e.g. ``["paths", "index"]``) for many groups.
        """
        boot.check_options(n, ci, level, signs, inadmissible, chunk_size)
        self.survey_rows("bootstrap")
        tables = boot.select_tables(tables)
        entropy = batch_boot.root_entropy(seed)
        seeds = [batch_boot.group_seed(entropy, k) for k in self.groups.labels]
        labels = self._labels
        with collecting() as found:
            per = batch_boot.bootstrap_groups(
                self.spec, self.refit, self.context, self.surveys, seeds, labels, n,
                tables=tables, signs=signs, inadmissible=inadmissible, chunk_size=chunk_size,
                progress=progress, level=level)
        if all(p is None for p in per):
            raise SatModelError("no group had 2 usable resamples; see the diagnostics")
        inf = GroupedInference(per, level=level, entropy=entropy)
        out = dataclasses.replace(self, inference=inf, diagnostics=self.diagnostics + tuple(found))
        return out.conf_int(level=level, method=ci) if ci != "percentile" else out

    def conf_int(self, level: float = 0.95, method: str = "percentile") -> GroupedPLSResult:
        """Intervals recomputed from the stored draws (BCa: a jackknife per group)."""
        if self.inference is None:
            raise SatModelError("conf_int needs bootstrap draws: call res.bootstrap(...) first")
        intervals.check(method, level, "conf_int")
        per = list(self.inference.groups)
        for inf in per:
            if inf is not None:
                inf.require_draws("conf_int")
        if method == "bca":
            for g, inf in enumerate(per):
                if inf is not None and inf.jackknife is None:
                    refit = self.refit.with_survey(self.surveys[g])
                    per[g] = dataclasses.replace(
                        inf, jackknife=boot.jackknife(self.spec, refit, inf.tables))
        inf = dataclasses.replace(self.inference, groups=tuple(per), level=level, method=method)
        found: tuple = ()
        if level != self.inference.level:  # as a single conf_int: too few for the new level
            found = batch_boot.report_too_few(self.inference.n_valid, level, self._labels)
        return dataclasses.replace(self, inference=inf, diagnostics=self.diagnostics + found)

    # ----------------------------------------------------------------- index
    def index(self, constructs: Any = None) -> pd.DataFrame:
        """Index of every group: keys, construct, index, (se, ci_lower, ci_upper after a
        bootstrap that included the ``index`` table), n. Declared item scales, the
        default weight convention (docs/methods.md §6.1); ``<NA>`` where undefined."""
        df = self.table("index")
        cols = [*self.by, "construct", "index"] + \
            [c for c in ("se", "ci_lower", "ci_upper") if c in df.columns]
        df = df[cols].assign(n=np.repeat(self._sizes, len(self.spec.constructs)))
        if constructs is not None:
            wanted = [constructs] if isinstance(constructs, str) else list(constructs)
            df = df[df["construct"].isin(wanted)]
        return df.reset_index(drop=True)

    def index_change(self, key: str, a: Any, b: Any, *, level: float = 0.95) -> pd.DataFrame:
        """Index change from ``key == a`` to ``key == b`` per unit (independent samples;
        :func:`satmodel.index.change.index_change`)."""
        table = self._index_with_se("index_change")
        return change.index_change(table, key, a, b, keys=self.by, level=level)

    def league_table(self, construct: str, level: float = 0.95, *,
                     within: Any = None) -> pd.DataFrame:
        """Units ranked by their ``construct`` index with percentile and rank intervals
        and significance against the mean of units (:func:`satmodel.index.change.league_table`)."""
        table = self._index_with_se("league_table")
        for inf in self.inference.groups:
            if inf is not None:
                inf.require_draws("league_table")
        pos = list(self.spec.construct_names).index(construct) \
            if construct in self.spec.construct_names else None
        draws = None
        if pos is not None:
            draws = {k: None if inf is None or inf.draws is None
                     else inf.draws["index"]["index"][:, pos]
                     for k, inf in zip(self.groups.labels, self.inference.groups)}
        return change.league_table(table, construct, keys=self.by, level=level, within=within,
                                   draws=draws)

    def _index_with_se(self, verb: str) -> pd.DataFrame:
        if self.inference is None or "index" not in self.inference.tables:
            raise SatModelError(f"{verb} needs the bootstrap of the index: call "
                                "res.bootstrap(n, seed, tables=[..., 'index']) first")
        return self.index()

    def ipma(self, target: str, **options: Any) -> grouped_many.GroupedIPMA:
        """Importance-performance map of every group (options as :meth:`PLSResult.ipma`);
        a group whose map is undefined is left out and reported (:mod:`.grouped_many`)."""
        valid.known("ipma", options, index_results.ipma)
        work = [(k, lambda g=g: self._result(g).ipma(target, **options))
                for g, k in enumerate(self.groups.labels)]
        out, skipped, found = grouped_many.run_groups(self.by, work)
        return grouped_many.GroupedIPMA(self.by, out, grouped_many.skipped_frame(
            self.by, skipped), found, target=target)

    def predict(self, **options: Any) -> grouped_many.GroupedPredict:
        """PLSpredict of every group on its own rows (options, ``seed`` included, as
        :meth:`PLSResult.predict`: each group's folds are those of a separate call)."""
        self.survey_rows("predict")
        valid.known("predict", options, PLSResult.predict)
        work = [(k, lambda g=g: self._result(g).predict(**options))
                for g, k in enumerate(self.groups.labels)]
        out, skipped, found = grouped_many.run_groups(self.by, work)
        return grouped_many.GroupedPredict(self.by, out, grouped_many.skipped_frame(
            self.by, skipped), found)

    def score(self, data: Any, **options: Any) -> pd.DataFrame:
        """Score new respondents with their own group's frozen weights (the data need
        the ``by`` columns); options as :meth:`PLSResult.score`."""
        frame = pd.DataFrame(data) if not isinstance(data, pd.DataFrame) else data
        missing = [b for b in self.by if b not in frame.columns]
        if missing:
            raise SatModelError(f"score: the data lack the group column(s) {missing}")
        parts = []
        flat = frame.reset_index(drop=True)
        for key, part in flat.groupby(list(self.by), sort=True):
            key = key if isinstance(key, tuple) else (key,)
            res = self._result(self._position(key if len(key) > 1 else key[0]))
            out = index_score.score(res, part, **options)
            for b, v in zip(self.by, key):
                out.insert(list(self.by).index(b), b, v)
            parts.append(out)
        out = pd.concat(parts).sort_index()
        out.index = frame.index[out.index.to_numpy()]
        return out

    # ----------------------------------------------------------------- output
    def __repr__(self) -> str:
        boot_note = "" if self.inference is None else \
            f", bootstrapped ({self.inference.n_requested} resamples a group)"
        return (f"<GroupedPLSResult {self.spec.name!r} by {', '.join(self.by)}: "
                f"{self.n_groups} groups fitted, {len(self.skipped)} left out{boot_note}>")

    def _summary_header(self) -> list[str]:
        o = self.options
        kind = "consistent PLS (PLSc)" if o.consistent else "PLS path modelling"
        n = self._sizes
        return [f"satmodel: {self.spec.name}, grouped by {', '.join(self.by)}",
                (f"{kind}, {o.scheme} scheme; {self.n_groups} groups fitted (n from {min(n)} to "
                 f"{max(n)}), {len(self.skipped)} left out")]

    def _summary_sections(self) -> list[tuple[str, pd.DataFrame]]:
        paths = self.paths.groupby(["source", "target"], sort=False)["estimate"]
        spread = paths.agg(["mean", "std", "min", "max"]).reset_index()
        shown = "Groups" if self.n_groups <= 20 else f"Groups (first 20 of {self.n_groups})"
        out = [(shown, self.keys.head(20)), ("Path coefficients across groups", spread)]
        index = self.table("index").groupby("construct", sort=False)["index"]
        out.append(("Index across groups", index.agg(["mean", "min", "max"]).reset_index()))
        if len(self.skipped):
            out.append(("Groups left out", self.skipped))
        return out

    def _record(self, *, draws: bool) -> dict[str, Any]:
        return grouped_record.to_record(self, draws=draws)

    @classmethod
    def _from_record(cls, record: Any) -> GroupedPLSResult:
        return grouped_record.from_record(cls, record)
