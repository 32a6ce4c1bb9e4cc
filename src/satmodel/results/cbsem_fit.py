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
from ..cbsem.fitting import check_conventions, check_options, fit_cbsem_rows, refuse_missing
from ..cbsem.translate import check_cbsem_spec
from ..diagnostics import collecting
from ..diagnostics import report as report_diagnostic
from ..errors import EstimationError, MissingDataWarning
from ..spec.model import ModelSpec
from ..survey import SurveyOptions, prepare
from .cbsem import CBSEMResult
from .grouped_cbsem import fit_cbsem_groups
from .grouped_many import GroupedCBSEMResult

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
    cov_divisor: str = "n",
    se: str | None = None,
    unscaled_test: bool = False,
    srmr_means: bool = False,
    outcome_covariances: bool = False,
    first_marker: bool = False,
    by: Any = None,
) -> CBSEMResult | GroupedCBSEMResult:
    """Fit ``spec`` to survey ``data`` as a covariance-based SEM (common factors).

    Parameters
    ----------
    spec : ModelSpec
        Reflective constructs only (``=~``); residual covariances (``~~``) and fixed
        values are honoured. Identification follows lavaan's ``sem()``: first loading
        of each construct fixed to 1, single items measured without error,
        exogenous constructs correlated. A spec without paths is a measurement model
        (CFA): every construct covaries freely, as lavaan's ``cfa()``. Reflective
        higher-order factors (``PERF =~ QUAL + VAL``) are fitted as lavaan fits them (their
        loadings are ``outer`` rows, see :mod:`satmodel.cbsem.translate`).
    data : table
        As for :func:`satmodel.fit_pls` (one row per respondent).
    estimator : {"ML", "GLS", "ULS", "WLS", "DWLS"}
        Maximum likelihood (semopy ``MLW``), generalized least squares (weight at S),
        unweighted least squares (each distinct moment once, as lavaan), weighted least
        squares with Browne's ADF weight matrix (distribution-free; needs many more rows
        than p(p + 1)/2), and diagonally weighted least squares; test statistics,
        baselines, GFI and standard errors as lavaan defines them
        (:mod:`satmodel.cbsem.lsq`). Standard errors and which fit indices are defined
        for each (the others are ``<NA>``): :mod:`satmodel.cbsem.engine`,
        :mod:`satmodel.cbsem.stats`. Robust ML (MLR/MLM) is not offered: use
        ``res.bootstrap``.
    missing : {"error", "listwise", "fiml"}
        Missing answers (NaN cells and ``na_values`` codes) in the model's items.
        ``"error"`` (default) refuses them, naming the items and rows; ``"listwise"``
        (alias ``"casewise"``) drops every respondent with a missing item, then fits as
        if those rows had never been there; ``"fiml"`` fits by full-information maximum
        likelihood (:mod:`satmodel.cbsem.fiml`: every answer used, item intercepts
        estimated, observed-information standard errors, chi2 against the EM-estimated
        saturated model; see :mod:`satmodel.cbsem.stats`), valid under MAR; only with
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
    cov_divisor : {"n", "n-1"}
        Divisor of the item covariance matrix the model is fitted to: ``"n"`` (default;
        lavaan ``sample.cov.rescale=TRUE``, its ML default) or ``"n-1"`` (lavaan's default
        for GLS, WLS, ULS, DWLS; refused for ML and FIML).
    se : {"standard", "robust"}, optional
        Standard errors of ULS and DWLS (lavaan ``se="standard"`` / ``"robust.sem"``;
        default robust); GLS and WLS have standard ones only (WLS's are distribution-free).
    unscaled_test : bool
        ULS/DWLS: report lavaan's unscaled test statistic ``(n - 1) F`` (its
        ``test="standard"``) and CFI, TLI, RMSEA, NFI from it, instead of ``<NA>``.
    srmr_means : bool
        FIML: SRMR over covariance and mean residuals (lavaan's ``srmr`` with
        ``missing="ml"``); default covariances only (lavaan's ``srmr_bentler_nomean``).
    outcome_covariances : bool
        Free covariances between the disturbances of the endogenous constructs that predict
        no other construct, as lavaan's ``sem()`` does by default (``orthogonal.y = FALSE``);
        default False: they covary only where the spec says so (``A ~~ B``; lavaan
        ``orthogonal.y = TRUE``).
    first_marker : bool
        Fix a construct's first loading to 1 also when the spec fixes another of its
        loadings (lavaan's rule); default False: the spec's fixed loadings set the scale.
        Every convention: :class:`satmodel.cbsem.fitting.Conventions`.
    by : str or list of str, optional
        Group columns (company, wave): each group fitted on its own rows (a loop; groups
        with too few rows, bad data or no convergence are left out and reported),
        returning a :class:`~satmodel.results.grouped_many.GroupedCBSEMResult`
        whose tables stack the groups' under the key columns.

    Returns
    -------
    CBSEMResult (GroupedCBSEMResult with ``by=``)

    Raises
    ------
    SpecError
        Composite constructs (use :func:`satmodel.fit_pls`), or a model that is not
        identified (the message says which parameters cannot be told apart).
    NotAvailableError
        Formative higher-order constructs (``<~``) and interaction terms, naming them
        (fit them with :func:`satmodel.fit_pls`).
    DataError, OptionError, EstimationError
        Bad data or options (an option semopy cannot honour names the alternative);
        missing answers with ``missing="error"``; a singular item covariance matrix.

    Warns
    -----
    HeywoodWarning
        A free (residual) variance at 0 or a standardized loading of 1 or more,
        naming the item or construct (and the negative value lavaan, which leaves
        variances unbounded, would report).
    AdmissibilityWarning
        Among others: an empirically under-identified fit (standard errors inflated
        more than 300-fold), naming the parameters.
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
    if by is not None:  # every option is validated by the first group's call
        return fit_cbsem_groups(spec, data, by, fit_cbsem, columns=columns,
                                estimator=estimator, missing=missing, na_values=na_values,
                                scales=scales, max_iter=max_iter, cov_divisor=cov_divisor,
                                se=se, unscaled_test=unscaled_test, srmr_means=srmr_means,
                                outcome_covariances=outcome_covariances, first_marker=first_marker)
    missing = check_options(estimator, missing, max_iter)
    conventions = check_conventions(estimator, missing, cov_divisor, se, unscaled_test, srmr_means,
                                    outcome_covariances, first_marker)
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
                    survey, values=survey.values[~empty], index=survey.index[~empty],
                    rows=None if survey.rows is None else survey.rows[~empty])
                report.attrs["rows_dropped"] = int(empty.sum())
            report["action"] = report["action"].replace(
                {"EM-estimated moments": "full-information ML"})
        report.attrs["method"] = missing
        fit = fit_cbsem_rows(spec, survey.X, estimator=estimator, max_iter=int(max_iter),
                             missing=missing, conventions=conventions)
    return CBSEMResult.of(fit, survey=survey, missing_report=report,
                          survey_options=survey_options, diagnostics=tuple(found))
