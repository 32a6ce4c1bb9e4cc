"""A CB-SEM result to and from its JSON record (:class:`~satmodel.results.record.CBSEMRecord`).

The record carries the spec, the estimator and survey options, the moments the model
was fitted to and the engine's unstandardized arrays labelled by name (from which
every table is rebuilt), the fit indices, the diagnostics, the bootstrap (se, t, p
and intervals; the draws on request) and every table tidy for JSON-only readers; no
respondent rows (so no scores and no missing-data report on a result read back).

>>> import satmodel as sm
>>> spec = sm.ModelSpec.from_lavaan("EXPE =~ EXPE1 + EXPE2 + EXPE3; SAT =~ SAT1 + SAT2 + SAT3; SAT ~ EXPE")
>>> cb = sm.fit_cbsem(spec, sm.datasets.load("ecsi_satisfaction"))
>>> record = to_record(cb)
>>> record["estimate"]["loadings"]["columns"], record["fit_indices"]["df"]
(['EXPE', 'SAT'], 8.0)
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pandas as pd

from ..cbsem.bootstrap import CBBootstrapInference
from ..cbsem.engine import CBEstimate
from ..cbsem.stats import indices_series
from ..cbsem.translate import latent_names
import satmodel.results.record as rec

__all__ = ["to_record", "from_record"]

_SHAPES = {"loadings": ("items", "constructs"), "beta": ("constructs", "constructs"),
           "psi": ("constructs", "constructs"), "theta": ("items", "items"),
           "sigma": ("items", "items")}


def _number(value: Any) -> float | None:
    return None if value is pd.NA or not math.isfinite(float(value)) else float(value)


def to_record(res: Any, *, draws: bool = False) -> dict[str, Any]:
    """The JSON-ready record of a :class:`~satmodel.CBSEMResult`."""
    names = {"items": res.spec.indicator_names, "constructs": latent_names(res.spec)}
    e = res.estimate
    estimate: dict[str, Any] = {k: rec.matrix(getattr(e, k), names[r], names[c])
                                for k, (r, c) in _SHAPES.items()}
    estimate["params"] = [
        {"lhs": str(lhs), "op": str(op), "rhs": str(rhs), "estimate": float(est),
         "se": _number(se), "free": bool(free)}
        for lhs, op, rhs, est, se, free in e.params[["lhs", "op", "rhs", "estimate", "se", "free"]]
        .itertuples(index=False)]
    estimate.update(n_free=int(e.n_free), fmin=_number(e.fmin), converged=bool(e.converged),
                    n_iter=int(e.n_iter), message=str(e.message), messages=list(e.messages),
                    fim_singular=bool(e.fim_singular), n_mean=int(e.n_mean),
                    mean=None if e.mean is None else rec.vector(e.mean, names["items"]))
    return {
        "format": "satmodel.CBSEMResult",
        "version": rec.FORMAT_VERSION,
        "satmodel_version": rec.package_version(),
        "spec": res.spec.model_dump(mode="json"),
        "estimator": res.estimator,
        "missing": res.missing,
        "survey_options": res.survey_options.model_dump(mode="json"),
        "n_obs": int(res.n_obs),
        "indicator_mean": rec.vector(res.indicator_mean, names["items"]),
        "sample_cov": rec.matrix(res.sample_cov, names["items"], names["items"]),
        "estimate": estimate,
        "fit_indices": {k: _number(v) for k, v in res.fit_indices.items()},
        "diagnostics": [d.to_dict() for d in res.diagnostics],
        "inference": None if res.inference is None else rec.inference_record(res.inference, draws),
        "tables": {name: rec.table_record(res.table(name)) for name in res.TABLE_NAMES},
    }


def from_record(cls: type, r: rec.CBSEMRecord) -> Any:
    """Rebuild a result from a validated record (no respondent rows)."""
    names = {"items": r.spec.indicator_names, "constructs": latent_names(r.spec)}
    e = r.estimate
    arrays = {k: getattr(e, k).array(names[a], names[b], f"estimate.{k}")
              for k, (a, b) in _SHAPES.items()}
    params = pd.DataFrame(
        [(p.lhs, p.op, p.rhs, p.estimate, np.nan if p.se is None else p.se, p.free)
         for p in e.params], columns=["lhs", "op", "rhs", "estimate", "se", "free"])
    estimate = CBEstimate(
        **arrays, params=params, n_free=e.n_free, fmin=np.nan if e.fmin is None else e.fmin,
        converged=e.converged, n_iter=e.n_iter, message=e.message, messages=tuple(e.messages),
        fim_singular=e.fim_singular, n_mean=e.n_mean,
        mean=None if e.mean is None else np.array([e.mean[x] for x in names["items"]], dtype=float))
    inference = rec.inference_from_record(r.inference)
    if inference is not None:
        inference = CBBootstrapInference(**{f.name: getattr(inference, f.name)
                                            for f in dataclasses.fields(inference)})
    return cls(
        spec=r.spec, estimator=r.estimator, n_obs=r.n_obs,
        indicator_mean=np.array([r.indicator_mean[x] for x in names["items"]], dtype=float),
        sample_cov=r.sample_cov.array(names["items"], names["items"], "sample_cov"),
        estimate=estimate, fit_indices=indices_series(dict(r.fit_indices)), missing=r.missing,
        survey_options=r.survey_options, diagnostics=tuple(d.diagnostic() for d in r.diagnostics),
        inference=inference)
