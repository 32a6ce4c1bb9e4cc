"""Fit a ModelSpec by covariance-based SEM (semopy), returning a :class:`CBSEMResult`.

:func:`fit_cbsem` validates spec, data and options at the boundary, refuses what
a common-factor model cannot fit (composites; non-identified models, with the
reason), runs a fresh semopy model (see :mod:`satmodel.cbsem.engine`), records
semopy's diagnostics and returns a frozen :class:`~satmodel.CBSEMResult` whose
tables have the names of :class:`~satmodel.PLSResult`'s.

Example
-------
>>> import satmodel as sm
>>> spec = sm.ModelSpec.from_lavaan("EXPE =~ EXPE1 + EXPE2 + EXPE3; SAT =~ SAT1 + SAT2 + SAT3; SAT ~ EXPE")
>>> cb = sm.fit_cbsem(spec, sm.datasets.load("ecsi_satisfaction"))
>>> cb.converged, int(cb.fit_indices["df"])
(True, 8)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import _validate as valid
from ..cbsem.fitting import check_options, fit_cbsem_rows, refuse_missing
from ..cbsem.translate import check_cbsem_spec
from ..diagnostics import collecting
from ..diagnostics import report as report_diagnostic
from ..errors import EstimationError, MissingDataWarning
from ..spec.model import ModelSpec
from ..survey import SurveyOptions, prepare
from .cbsem import CBSEMResult

__all__ = ["fit_cbsem"]


def fit_cbsem(
    spec: ModelSpec,
    data: Any,
    *,
    estimator: str = "ML",
    missing: str = "error",
    na_values: Any = (),
    scales: Any = None,
    max_iter: int = 10000,
    columns: Sequence[str] | None = None,
) -> CBSEMResult:
    """Fit ``spec`` to survey ``data`` as a covariance-based SEM (common factors).

    Parameters
    ----------
    spec : ModelSpec
        Reflective constructs only (``=~``); residual covariances (``~~``) and fixed
        values are honoured. Identification follows lavaan's ``sem()``: first loading
        of each construct fixed to 1, single items measured without error,
        exogenous constructs correlated.
    data : table
        As for :func:`satmodel.fit_pls` (one row per respondent).
    estimator : {"ML", "GLS", "ULS", "WLS", "DWLS"}
        semopy's objectives: maximum likelihood (semopy ``MLW``), generalized least
        squares, unweighted least squares, weighted least squares with Browne's ADF
        weight matrix (distribution-free; needs many more rows than p(p + 1)/2), and
        diagonally weighted least squares. Standard errors and which fit indices are
        defined for each (the others are ``<NA>``): :mod:`satmodel.cbsem.engine`,
        :mod:`satmodel.cbsem.stats`. Robust ML (MLR/MLM) is not in semopy: use
        ``res.bootstrap``.
    missing : {"error", "listwise", "fiml"}
        Missing answers (NaN cells and ``na_values`` codes) in the model's items.
        ``"error"`` (default) refuses them, naming the items and rows; ``"listwise"``
        (alias ``"casewise"``) drops every respondent with a missing item, then fits as
        if those rows had never been there; ``"fiml"`` fits by full-information maximum
        likelihood (semopy ``ModelMeans``: every answer used, item intercepts estimated,
        observed-information standard errors, chi2 against the EM-estimated saturated
        model; see :mod:`satmodel.cbsem.stats`), valid under MAR; only with
        ``estimator="ML"``. Respondents who answered none of the items are dropped
        (with a ``MissingDataWarning``). ``res.missing_report`` says what was done.
    na_values : float, tuple of float, or dict item -> tuple of float
        Codes read as missing before anything else (e.g. ``-99``); see
        :class:`satmodel.SurveyOptions` (``na_values``).
    scales : dict item -> (min, max), optional
        Declared answer scales (``SurveyOptions.scales``): values outside are refused,
        values inside that look like survey codes are accepted as answers.
    max_iter : int
        Iteration limit of the optimizer (SLSQP, ``ftol=1e-14``).
    columns : sequence of str, optional
        Column names of a plain 2-D numpy array.

    Returns
    -------
    CBSEMResult

    Raises
    ------
    SpecError
        Composite constructs (use :func:`satmodel.fit_pls`), or a model that is not
        identified (the message says which parameters cannot be told apart).
    DataError, OptionError, EstimationError
        Bad data or options (an option semopy cannot honour names the alternative);
        missing answers with ``missing="error"``; a singular item covariance matrix.

    Warns
    -----
    HeywoodWarning
        A free (residual) variance at 0 or a standardized loading of 1 or more,
        naming the item or construct.
    ConvergenceWarning
        The optimizer stopped without meeting its tolerance (``res.converged`` False).

    Examples
    --------
    >>> import satmodel as sm
    >>> spec = sm.ModelSpec.from_lavaan('''
    ...     EXPE =~ EXPE1 + EXPE2 + EXPE3
    ...     SAT  =~ SAT1 + SAT2 + SAT3
    ...     SAT  ~  EXPE
    ... ''')
    >>> cb = sm.fit_cbsem(spec, sm.datasets.load("ecsi_satisfaction"))
    >>> cb.paths[["source", "target"]].values.tolist()
    [['EXPE', 'SAT']]

    Missing answers coded -99, fitted by full-information ML:

    >>> df = sm.datasets.load("ecsi_satisfaction").copy()
    >>> df.loc[:9, "SAT2"] = -99
    >>> cb = sm.fit_cbsem(spec, df, missing="fiml", na_values=-99)
    >>> int(cb.missing_report.set_index("indicator").loc["SAT2", "coded"]), cb.n_obs
    (10, 250)
    """
    if not isinstance(spec, ModelSpec):
        raise EstimationError(
            f"spec must be a satmodel.ModelSpec, got {type(spec).__name__}; build one with "
            "sm.ModelSpec.from_lavaan(text) or take a template such as sm.templates.ecsi()")
    missing = check_options(estimator, missing, max_iter)
    survey_options = valid.build(SurveyOptions, "fit_cbsem", na_values=na_values,
                                 scales=scales or {})
    spec = survey_options.apply_scales(spec)
    survey_options = survey_options.model_copy(update={"missing": missing})
    check_cbsem_spec(spec)
    with collecting() as found:
        survey = prepare(spec, data, columns=columns, na_values=survey_options.na_values,
                         missing="casewise" if missing == "listwise" else "em")
        report = survey.report
        nan = np.isnan(survey.X)
        if missing == "error" and nan.any():
            refuse_missing(spec, nan, survey.index)
        if missing == "fiml":
            empty = nan.all(axis=1)
            if empty.any():
                report_diagnostic(
                    "no_answers", f"{int(empty.sum())} respondent(s) answered none of the "
                    f"model's items (rows {survey.index[empty].tolist()[:5]}); FIML drops them "
                    "(they carry no information)", MissingDataWarning, count=int(empty.sum()))
                survey = dataclasses.replace(
                    survey, X=survey.X[~empty], index=survey.index[~empty],
                    rows=None if survey.rows is None else survey.rows[~empty])
                report.attrs["rows_dropped"] = int(empty.sum())
            report["action"] = report["action"].replace(
                {"EM-estimated moments": "full-information ML"})
        report.attrs["method"] = missing
        fit = fit_cbsem_rows(spec, survey.X, estimator=estimator, max_iter=int(max_iter),
                             missing=missing)
    return CBSEMResult.of(fit, survey=survey, missing_report=report,
                          survey_options=survey_options, diagnostics=tuple(found))
