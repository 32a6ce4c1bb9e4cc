"""A PLS result to and from its JSON record (:class:`~satmodel.results.record.PLSRecord`).

>>> import satmodel as sm
>>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
>>> sm.PLSResult.from_json(res.to_json()).paths.equals(res.paths)
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..engine.pls import Estimate
import satmodel.results.record as rec

__all__ = ["to_record", "from_record"]

_ITEM_VECTORS = ("weights", "loadings")
_CONSTRUCT_VECTORS = ("rho_a", "r2", "singular_block")
_SQUARE = ("proxy_corr", "construct_corr", "paths", "total")


def to_record(res: Any, *, draws: bool = False, tables: bool = True) -> dict[str, Any]:
    """The JSON-ready record: spec, options, moments, labelled estimates, every table
    (with inference columns; ``tables=False``: none, as a grouped record stores its
    groups), the inference itself and the diagnostics; no survey rows."""
    items, cons = res.spec.indicator_names, res.spec.construct_names
    e = res.estimate
    estimate = {k: rec.vector(getattr(e, k), items) for k in _ITEM_VECTORS}
    estimate.update({k: rec.vector(getattr(e, k), cons) for k in _CONSTRUCT_VECTORS})
    estimate.update({k: rec.matrix(getattr(e, k), cons, cons) for k in _SQUARE})
    estimate["cross_loadings"] = rec.matrix(e.cross_loadings, items, cons)
    estimate["n_iter"], estimate["converged"] = int(e.n_iter), bool(e.converged)
    inferred = () if res.inference is None else res.inference.tables
    names = res.TABLE_NAMES if tables else ()
    tables = {name: rec.table_record(res.table(name)) for name in names
              if name != "f2_reestimated" or name in inferred}  # a refit per path: on request
    return {
        "format": "satmodel.PLSResult",
        "version": rec.FORMAT_VERSION,
        "satmodel_version": rec.package_version(),
        "spec": res.spec.model_dump(mode="json"),
        "options": res.options.model_dump(mode="json"),
        "survey_options": res.survey_options.model_dump(mode="json"),
        "n_obs": res.n_obs,
        "indicator_mean": rec.vector(res.indicator_mean, items),
        "indicator_std": rec.vector(res.indicator_std, items),
        "indicator_corr": rec.matrix(res.indicator_corr, items, items),
        "estimate": estimate,
        "diagnostics": [d.to_dict() for d in res.diagnostics],
        "inference": None if res.inference is None else rec.inference_record(res.inference, draws),
        "tables": tables,
    }


def from_record(cls: type, r: rec.PLSRecord) -> Any:
    """Rebuild a result from a validated record (no respondent rows, no scores)."""
    items, cons = r.spec.indicator_names, r.spec.construct_names
    e = r.estimate
    arrays: dict[str, Any] = {k: np.array([getattr(e, k)[n] for n in items], dtype=float)
                              for k in _ITEM_VECTORS}
    arrays.update({k: np.array([getattr(e, k)[n] for n in cons], dtype=float)
                   for k in ("rho_a", "r2")})
    arrays["singular_block"] = np.array([e.singular_block[n] for n in cons], dtype=bool)
    arrays.update({k: getattr(e, k).array(cons, cons, f"estimate.{k}") for k in _SQUARE})
    arrays["cross_loadings"] = e.cross_loadings.array(items, cons, "estimate.cross_loadings")
    arrays["n_iter"] = np.asarray(e.n_iter, dtype=int)
    arrays["converged"] = np.asarray(e.converged, dtype=bool)
    return cls(
        spec=r.spec, options=r.options, survey_options=r.survey_options, n_obs=r.n_obs,
        indicator_mean=np.array([r.indicator_mean[n] for n in items], dtype=float),
        indicator_std=np.array([r.indicator_std[n] for n in items], dtype=float),
        indicator_corr=r.indicator_corr.array(items, items, "indicator_corr"),
        estimate=Estimate(**arrays),
        diagnostics=tuple(d.diagnostic() for d in r.diagnostics),
        inference=rec.inference_from_record(r.inference),
    )
