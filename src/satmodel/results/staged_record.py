"""The JSON record of a staged result (:class:`~satmodel.results.staged.StagedPLSResult`:
higher-order constructs, interaction terms), so the fit can be archived and read back with
the user's names.

The record holds the plan as the user asked for it (the model as written and the
``hoc``/``interaction``/``interaction_scale``/``hoc_convention`` options), the record of
the last stage's fit (a full :class:`~satmodel.results.record.PLSRecord`: moments,
estimates, bootstrap, diagnostics, and every table under the user's names, e.g.
``SAT:IMAG``) and the records of the earlier stages (without tables). Reading it back
rebuilds the plan from the model and options and checks that each stage's model is the
one the plan makes, so a record whose stages do not belong to its model is refused; each
stage record is validated as a PLS record. No survey rows travel: a result read back has
tables, indirect effects, simple slopes and floodlight (and their bootstrap inference),
not a new bootstrap.

>>> import satmodel as sm
>>> spec = sm.ModelSpec.from_lavaan('''
...     SAT =~ SAT1 + SAT2 + SAT3; IMAG =~ IMAG1 + IMAG2 + IMAG3; LOY =~ LOY1 + LOY2 + LOY3
...     LOY ~ SAT + IMAG + SAT:IMAG''')
>>> res = sm.fit_pls(spec, sm.datasets.load("ecsi_satisfaction"), interaction="two_stage")
>>> back = sm.StagedPLSResult.from_json(res.to_json())
>>> back.paths.source.tolist()[-1], back.paths.equals(res.paths)
('SAT:IMAG', True)
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal, Optional

from pydantic import Field, PrivateAttr, ValidationError, model_validator

from ..errors import SatModelError
from ..spec.model import ModelSpec
from ..spec.staging import Plan, plan_for
import satmodel.results.pls_record as pls_record
import satmodel.results.record as rec
from .pls import PLSResult

__all__ = ["StagedPLSRecord", "to_record", "parse", "from_record", "staged_schema"]

FORMAT = "satmodel.StagedPLSResult"
MAX_STAGES = 10


class StagedPLSRecord(rec._Strict):
    """The JSON record of a :class:`~satmodel.results.staged.StagedPLSResult`."""

    format: Literal["satmodel.StagedPLSResult"]
    version: Literal[2]
    satmodel_version: str = Field(max_length=100)
    model: ModelSpec
    hoc: Optional[Literal["repeated_indicators", "two_stage", "embedded_two_stage"]] = None
    interaction: Optional[Literal["product_indicator", "orthogonal", "two_stage"]] = None
    interaction_scale: Literal["standardized", "seminr", "csem"] = "standardized"
    hoc_convention: Literal["seminr", "csem"] = "seminr"
    result: dict[str, Any]
    stages: list[dict[str, Any]] = Field([], max_length=MAX_STAGES)
    _plan: Optional[Plan] = PrivateAttr(None)
    _records: list[rec.PLSRecord] = PrivateAttr(default_factory=list)

    @model_validator(mode="after")
    def _stages_belong_to_model(self) -> StagedPLSRecord:
        if self.model.is_first_order:
            raise ValueError("model has no higher-order constructs or interaction terms: "
                             "store it as a satmodel.PLSResult record")
        try:
            plan = plan_for(self.model, self.hoc, self.interaction, self.interaction_scale,
                            self.hoc_convention)
        except SatModelError as err:
            raise ValueError(f"the model and options make no staged plan: {err}") from None
        if len(self.stages) != len(plan.stages) - 1:
            raise ValueError(f"stages must hold {len(plan.stages) - 1} earlier stage record(s) "
                             "for this model and these options")
        # seminr's and cSEM's interaction scales change the paths to the interaction terms'
        # outcomes, not their R²: there the R² is not the OLS identity on correlations
        rescaled = {"r2_exempt": sorted({p.target for p in plan.final.paths
                                          if p.source in plan.display})} \
            if self.interaction_scale != "standardized" else {}
        records = []
        for k, (raw, stage) in enumerate(zip([*self.stages, self.result], plan.stages)):
            last = k == len(self.stages)
            where = "result" if last else f"stages[{k}]"
            try:
                r = rec.PLSRecord.model_validate(raw, context=rescaled if last else None)
            except ValidationError as err:
                first = err.errors()[0]
                loc = ".".join(str(x) for x in first["loc"]) or "record"
                raise ValueError(f"{where}.{loc}: {first['msg'].removeprefix('Value error, ')}") \
                    from None
            if r.spec != stage.spec:
                raise ValueError(f"{where}.spec is not the stage the plan of this model makes")
            if not last and (r.tables or (r.inference is not None and (k or set(
                    r.inference.original) - {"outer", "quality", "vif"}))):
                raise ValueError(f"{where}: an earlier stage carries no tables, and a bootstrap "
                                 "only in stage 1 of its outer, quality and vif tables")
            records.append(r)
        final = records[-1]
        for k, r in enumerate(records[:-1]):
            if (r.options, r.survey_options, r.n_obs) != (final.options, final.survey_options,
                                                          final.n_obs):
                raise ValueError(f"stages[{k}]: options, survey_options and n_obs must be "
                                 "those of the result (every stage is fitted to the same rows)")
        self._plan, self._records = plan, records
        return self


def to_record(res: Any, *, draws: bool = False) -> dict[str, Any]:
    """The record of a staged result (see the module docstring)."""
    plan = res.plan
    return {
        "format": FORMAT, "version": rec.FORMAT_VERSION,
        "satmodel_version": rec.package_version(),
        "model": plan.spec.model_dump(mode="json"),
        "hoc": plan.hoc, "interaction": plan.interaction,
        "interaction_scale": plan.interaction_scale, "hoc_convention": plan.hoc_convention,
        "result": _result_record(res, draws),
        "stages": [pls_record.to_record(s, draws=draws, tables=False) for s in res.stages],
    }


def _result_record(res: Any, draws: bool) -> dict[str, Any]:
    """The last stage's record with the tables of the user's model (``res.table``: the
    staged index; no GoF, which a staged model does not define)."""
    out = pls_record.to_record(res, draws=draws, tables=False)
    inferred = () if res.inference is None else res.inference.tables
    out["tables"] = {name: rec.table_record(res.table(name)) for name in res.TABLE_NAMES
                     if name != "gof" and (name != "f2_reestimated" or name in inferred)}
    return out


def parse(text: str | bytes) -> StagedPLSRecord:
    """Validate a staged result JSON; a SatModelError naming the first bad field otherwise."""
    return rec.parse(text, "StagedPLSResult")


rec.RECORDS["StagedPLSResult"] = StagedPLSRecord


def from_record(cls: type, r: StagedPLSRecord) -> Any:
    """The staged result of a validated record (no rows, no scores)."""
    fits = [pls_record.from_record(PLSResult, x) for x in r._records]
    last = fits[-1]
    for k, fit in enumerate(fits):  # the bootstrap's columns must be the tables' rows
        if fit.inference is None:
            continue
        where = "result" if fit is last else f"stages[{k}]"
        for table, cols in fit.inference.original.items():
            if table not in fit.TABLE_NAMES:
                raise SatModelError(f"invalid StagedPLSResult JSON at {where}.inference: "
                                    f"{table!r} is not a table")
            try:
                rows = len(fit._base_table(table))
            except SatModelError:  # a table that needs the rows (f² re-estimated): as stored
                continue
            for col, values in cols.items():
                if len(values) != rows:
                    raise SatModelError(
                        f"invalid StagedPLSResult JSON at {where}.inference.original.{table}."
                        f"{col}: {len(values)} values for the table's {rows} rows")
    fields = {f.name: getattr(last, f.name) for f in dataclasses.fields(PLSResult)}
    return cls(**fields, plan=r._plan, stages=tuple(fits[:-1]))


def staged_schema() -> dict[str, Any]:
    """JSON Schema of the staged result record."""
    return StagedPLSRecord.model_json_schema()
