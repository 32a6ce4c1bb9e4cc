"""Public group comparisons on data: fit the pooled model, then compare its groups.

:func:`compare_groups` (every approach of cSEM's ``testMGD``) and :func:`micom`
(Henseler, Ringle & Sarstedt 2016) fit the pooled model with :func:`~satmodel.fit_pls`
(same options: missing data, weights, estimator) and delegate to
:mod:`satmodel.groups.mga` / :mod:`satmodel.groups.micom` on its refit, so every group
is treated as the pooled fit is.

>>> import satmodel as sm
>>> df = sm.datasets.load("ecsi_satisfaction")
>>> out = sm.compare_groups(sm.templates.ecsi(), df, group="gender", method="keil")
>>> sorted(set(out["method"]))
['keil']
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .. import _validate as valid
from ..diagnostics import collecting
from ..groups import mga
from ..groups.micom import MICOMResult
from ..groups.micom import micom as micom_on_refit
from ..groups.permutation import group_labels
from ..spec.model import ModelSpec
from .fitting import fit_pls

__all__ = ["compare_groups", "micom"]


def _pooled(spec: ModelSpec, data: Any, group: Any, fit_options: dict[str, Any]):
    pooled = fit_pls(spec, data, **fit_options)  # validates data and options once
    rows = pooled.survey_rows("a group comparison").rows  # streamed data keep no rows
    return pooled, group_labels(data, group, rows)


def compare_groups(spec: ModelSpec, data: Any, group: Any, *, method: Any = "all",
                   n: int = 499, n_boot: int | None = None, seed: Any = None,
                   parameters: Any = None, correction: str = "none", alpha: float = 0.05,
                   permute: str = "standardized", chunk_size: int | None = None,
                   progress: bool | None = None, **fit_options: Any) -> pd.DataFrame:
    """Multigroup analysis of two or more groups (``group``: a column name or labels).

    Options as :func:`satmodel.groups.mga.compare_groups` (``chunk_size``: refits per
    batched call; ``progress``: tqdm bar, default in a notebook or on a terminal);
    ``**fit_options`` as :func:`satmodel.fit_pls`. ``attrs["diagnostics"]`` holds the
    pooled fit's and the comparison's diagnostics.

    >>> import satmodel as sm
    >>> df = sm.datasets.load("ecsi_satisfaction")
    >>> out = sm.compare_groups(sm.templates.ecsi(), df, "gender", method="chin",
    ...                         n=49, seed=1, progress=False)
    >>> {"parameter", "p"} <= set(out.columns)
    True
    """
    _check_driver_options("compare_groups", chunk_size, progress)
    pooled, labels = _pooled(spec, data, group, fit_options)
    with collecting() as found:
        out = mga.compare_groups(spec, pooled.refit, labels, method=method, n=n, n_boot=n_boot,
                                 seed=seed, parameters=parameters, correction=correction,
                                 alpha=alpha, permute=permute, chunk=chunk_size,
                                 progress=progress)
    out.attrs["diagnostics"] = list(pooled.diagnostics) + list(found)
    return out


def micom(spec: ModelSpec, data: Any, group: Any, *, n: int = 1000, seed: Any = None,
          alpha: float = 0.05, correction: str = "none", chunk_size: int | None = None,
          progress: bool | None = None, **fit_options: Any) -> MICOMResult:
    """MICOM steps 1-3 with a verdict (:func:`satmodel.groups.micom.micom`);
    ``chunk_size`` and ``progress`` as for :func:`compare_groups`."""
    _check_driver_options("micom", chunk_size, progress)
    pooled, labels = _pooled(spec, data, group, fit_options)
    return micom_on_refit(spec, pooled.refit, labels, n=n, seed=seed, alpha=alpha,
                          correction=correction, chunk=chunk_size, progress=progress)


def _check_driver_options(verb: str, chunk_size: Any, progress: Any) -> None:
    if chunk_size is not None:
        valid.integer(verb, "chunk_size", chunk_size)
    valid.flag(verb, "progress", progress, none=True)
