"""The measurement tables of a staged fit as the user's model has them (issue 14).

In seminr's two-stage approaches (``hoc="two_stage"`` or ``"embedded_two_stage"`` with
``hoc_convention="seminr"``) the components of a higher-order construct leave the model
after stage 1, so the last stage's ``outer``, ``quality`` and ``vif`` lack their items.
seminr's final tables add the components' stage-1 rows; so do these (in the user's
construct order). cSEM's convention reports the second stage alone (its ``Second_stage``),
and repeated indicators keep every construct in one stage: nothing is added there.

The bootstrap of the added rows is the bootstrap of stage 1 on the *same* resamples (the
same seed, so the same row weights; :func:`bootstrap_first_stage`), so their intervals are
those of seminr's bootstrap, which re-estimates stage 1 on every resample. A resample
dropped in a later stage only (e.g. a singular stage-2 block) still counts in stage 1.

>>> import satmodel as sm
>>> spec = sm.ModelSpec.from_lavaan('''
...     QUAL =~ QUAL1 + QUAL2 + QUAL3; VAL =~ VAL1 + VAL2; SAT =~ SAT1 + SAT2 + SAT3
...     PERF =~ QUAL + VAL
...     SAT ~ PERF''')
>>> res = sm.fit_pls(spec, sm.datasets.load("ecsi_satisfaction"), hoc="two_stage")
>>> res.outer.construct.unique().tolist()
['QUAL', 'VAL', 'SAT', 'PERF']
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from .pls import PLSResult

__all__ = ["WITH_COMPONENTS", "components", "with_components", "first_stage",
           "bootstrap_first_stage"]

#: the tables whose rows are per construct of the measurement model
WITH_COMPONENTS = ("outer", "quality", "vif")


def components(res: Any) -> list[str]:
    """Components measured by their items in stage 1 only (seminr's two-stage approaches)."""
    plan = res.plan
    if plan.hoc not in ("two_stage", "embedded_two_stage") or plan.hoc_convention != "seminr":
        return []
    final = set(plan.final.construct_names)
    return [c for h in plan.spec.higher_order for c in h.components if c not in final]


def with_components(res: Any, name: str, df: pd.DataFrame) -> pd.DataFrame:
    """``df`` (the last stage's table ``name``) with the components' stage-1 rows, in the
    user's construct order. Without a stage-1 bootstrap (e.g. read back from JSON with
    ``draws=False`` before this existed) their inference cells are ``<NA>`` and
    ``df.attrs["note"]`` says why."""
    comps = components(res)
    if name not in WITH_COMPONENTS or not comps or not res.stages:
        return df
    first = res.stages[0].table(name)
    first = first[first.construct.isin(comps)]
    missing = [c for c in df.columns if c not in first.columns]
    if missing:
        first = first.assign(**{c: pd.array([pd.NA] * len(first), dtype="Float64")
                                for c in missing})
        df.attrs["note"] = ("the components' rows (stage 1) carry no bootstrap columns: "
                            "rerun res.bootstrap(...) on a fit with rows")
    user = res.plan.spec
    order = {c: k for k, c in enumerate([*user.construct_names,
                                         *(h.name for h in user.higher_order),
                                         *user.interactions])}
    out = pd.concat([df, first[df.columns]], ignore_index=True)
    key = np.array([order.get(c, len(order)) for c in out.construct])
    out = out.iloc[np.argsort(key, kind="stable")].reset_index(drop=True)
    out.attrs = df.attrs
    return out


def first_stage(res: Any) -> Any:
    """Stage 1 as a staged result of its own (with the rows): what its bootstrap refits."""
    plan = dataclasses.replace(res.plan, stages=res.plan.stages[:1], display={})
    fields = {f.name: getattr(res.stages[0], f.name) for f in dataclasses.fields(PLSResult)}
    fields.update(survey=res.survey, diagnostics=())
    return type(res)(**fields, plan=plan, stages=())


def bootstrap_first_stage(res: Any, boot: Any, n: int, seed: Any,
                          options: dict[str, Any]) -> Any:
    """``boot`` (the staged bootstrap of ``res``) with stage 1 bootstrapped on the same
    resamples (``seed`` must be reproducible: an int or a SeedSequence), for the
    components' rows of the measurement tables."""
    tables = options.get("tables")
    wanted = list(WITH_COMPONENTS) if tables is None or tables == "all" else \
        [t for t in WITH_COMPONENTS if t in ([tables] if isinstance(tables, str) else tables)]
    if not wanted or not components(res):
        return boot
    first = first_stage(res).bootstrap(n, seed, **{**options, "tables": wanted})
    stage = dataclasses.replace(res.stages[0], inference=first.inference)
    return dataclasses.replace(boot, stages=(stage, *boot.stages[1:]))
