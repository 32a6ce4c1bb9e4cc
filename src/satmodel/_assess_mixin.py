"""Model-assessment methods and properties of :class:`~satmodel.results.PLSResult`.

Kept in its own module so the assessment layer grows without touching results.py.
Importing it registers the assessment tables (``htmt_pairs``, ``vif``, ``inner_vif``,
``f2``, ``information_criteria``, ``gof``, ``fit``) in :data:`satmodel.tables.TABLES`,
so :meth:`~satmodel.results.PLSResult.bootstrap` gives them inference like any table.

Formulas and tool conventions: :mod:`satmodel.validity`, :mod:`satmodel.effectsize`,
:mod:`satmodel.fitmeasures`, :mod:`satmodel.predict`, :mod:`satmodel.assessment`.

Example
-------
>>> import satmodel as sm
>>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
>>> res.htmt.shape
(6, 6)
>>> list(res.vif.columns), list(res.f2().columns)
(['construct', 'indicator', 'vif'], ['source', 'target', 'f2'])
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import effectsize, fitmeasures, validity
from .errors import OptionError
from .tables import TABLES

if TYPE_CHECKING:  # pragma: no cover
    from .predict import PredictResult

__all__ = ["AssessmentMixin"]


def _square(values: np.ndarray, names: list[str]) -> pd.DataFrame:
    """A construct x construct Float64 frame; NaN (not defined) becomes <NA>."""
    df = pd.DataFrame(np.asarray(values, dtype=float), index=names, columns=names).astype("Float64")
    return df.mask(df.isna(), pd.NA)


class AssessmentMixin:
    """Quality criteria beyond ``quality`` (HTMT, VIF, f², fit, prediction, assess())."""

    # the host class (PLSResult) provides these
    spec: Any
    options: Any
    n_obs: int
    indicator_corr: np.ndarray
    estimate: Any
    layout: Any
    context: Any

    def table(self, name: str) -> pd.DataFrame:  # pragma: no cover - provided by PLSResult
        raise NotImplementedError

    # ------------------------------------------------------------ discriminant validity
    @property
    def htmt(self) -> pd.DataFrame:
        """Heterotrait-monotrait ratio (HTMT), construct x construct, unit diagonal.

        Mean absolute between-block item correlation over the geometric mean of the
        mean absolute within-block correlations (Henseler et al. 2015; seminr, cSEM,
        ADANCO). A single-item block counts as 1 within (seminr). ``<NA>`` where not
        defined (uncorrelated items). Bootstrap: table ``"htmt_pairs"``.
        """
        names = list(self.spec.construct_names)
        return _square(validity.htmt_matrix(self.indicator_corr, self.layout), names)

    @property
    def htmt2(self) -> pd.DataFrame:
        """HTMT2 (Roemer et al. 2021): HTMT with geometric means; as :attr:`htmt`."""
        names = list(self.spec.construct_names)
        return _square(validity.htmt_matrix(self.indicator_corr, self.layout, geometric=True), names)

    @property
    def fornell_larcker(self) -> pd.DataFrame:
        """Fornell-Larcker matrix: AVE on the diagonal, squared construct correlations off it.

        The ADANCO and cSEM layout (criterion: each AVE exceeds the construct's squared
        correlations). seminr prints √AVE on the diagonal and signed correlations
        (``res.construct_correlations``) instead — the same comparison.
        """
        names = list(self.spec.construct_names)
        ave = self.table("quality")["ave"].to_numpy(dtype=float)
        return _square(validity.fornell_larcker_matrix(self.estimate.construct_corr, ave), names)

    # ------------------------------------------------------------ collinearity
    @property
    def vif(self) -> pd.DataFrame:
        """Indicator VIF within each block (all modes): construct, indicator, vif.

        1 / (1 - R²) of each item regressed on the other items of its block; 1 for
        single-item blocks; ``<NA>`` for a singular block.
        """
        return self.table("vif")

    @property
    def inner_vif(self) -> pd.DataFrame:
        """Structural VIF of each predictor in its target's regression: source, target, vif.

        From the construct correlations the paths are estimated on (PLSc-corrected when
        ``consistent=True``).
        """
        return self.table("inner_vif")

    # ------------------------------------------------------------ effect sizes
    def f2(self, method: str = "correlations") -> pd.DataFrame:
        """Cohen's f² of every path: source, target, f2.

        Parameters
        ----------
        method : {"correlations", "reestimate"}
            ``"correlations"`` (cSEM, ADANCO; default): R² without the path from the
            same construct correlations. ``"reestimate"`` (seminr): the whole model is
            re-estimated without the path (weights change; a construct left without
            paths leaves the model). See :mod:`satmodel.effectsize`.
        """
        if method == "correlations":
            return self.table("f2")
        if method != "reestimate":
            raise OptionError(f"method={method!r}: choose 'correlations' (cSEM, ADANCO) "
                              "or 'reestimate' (seminr)")
        mat = effectsize.f2_reestimated(self.indicator_corr, self.estimate, self.layout,
                                        **self._engine_options())
        df = TABLES["f2"].keys(self.spec).reset_index(drop=True)
        pos = {c: i for i, c in enumerate(self.spec.construct_names)}
        df["f2"] = [mat[pos[s], pos[t]] for s, t in zip(df["source"], df["target"])]
        return _nullable(df, "f2")

    def _engine_options(self) -> dict[str, Any]:
        from .fit import engine_options

        return engine_options(self.options, self.n_obs, self.indicator_std)

    @property
    def information_criteria(self) -> pd.DataFrame:
        """cSEM's model-selection criteria per endogenous construct.

        Columns: construct, aic, aicc, aicu, bic, fpe, gm, hq, hqc, mallows_cp
        (formulas in :mod:`satmodel.effectsize`; aic and bic equal seminr's). GM and
        Mallows' Cp re-estimate the saturated structural model; they are not in the
        bootstrap table ``"information_criteria"``.
        """
        sat = effectsize.saturated_r2(self.indicator_corr, self.layout, **self._engine_options())
        vals = effectsize.information_criteria_values(self.estimate.r2, self.layout,
                                                      float(self.n_obs), mse=1.0 - sat)
        pos = {c: i for i, c in enumerate(self.spec.construct_names)}
        endo = list(self.spec.endogenous)
        df = pd.DataFrame({"construct": endo})
        for c in effectsize.CRITERIA:
            df[c] = [vals[c][pos[e]] for e in endo]
        return _nullable(df, *effectsize.CRITERIA)

    @property
    def gof(self) -> float:
        """Tenenhaus' GoF: √(mean squared loading of all items × mean endogenous R²).

        cSEM's definition (all indicators, PLSc loadings for common factors). Not a
        fit measure (Henseler & Sarstedt 2013); ``nan`` without endogenous constructs.
        """
        return float(effectsize.gof_value(self.estimate, self.layout))

    # ------------------------------------------------------------ model fit
    def implied_corr(self, model: str = "estimated") -> pd.DataFrame:
        """Model-implied indicator correlation matrix (indicator x indicator).

        Parameters
        ----------
        model : {"estimated", "saturated"}
            Construct correlations implied by the structural model (cSEM, ADANCO
            "estimated model") or as estimated ("saturated model").
        """
        names = list(self.spec.indicator_names)
        sig = fitmeasures.implied_corr(self.indicator_corr, self.estimate, self.layout, model)
        return pd.DataFrame(sig, index=names, columns=names)

    @property
    def fit(self) -> pd.DataFrame:
        """Model fit: model ("saturated" / "estimated"), measure, value.

        Measures srmr, d_uls, d_g (log base 10), d_ml, chi2 ((n - 1) d_ML), df, chi2_df,
        cfi, gfi, ifi, nfi, nnfi, rmsea, cn, rms_theta — definitions and conventions in
        :mod:`satmodel.fitmeasures`; ``<NA>`` where not defined. Natural-log d_G:
        :meth:`fit_measures`.
        """
        return self.table("fit")

    def fit_measures(self, *, log: str = "log10") -> pd.DataFrame:
        """The :attr:`fit` table with d_G in log base 10 (``"log10"``) or natural logs (``"ln"``)."""
        df = fitmeasures.fit_keys()
        df["value"] = fitmeasures.fit_values(self.indicator_corr, self.estimate, self.layout,
                                             float(self.n_obs), log=log)
        return _nullable(df, "value")

    # ------------------------------------------------------------ prediction, report
    def predict(self, *, folds: int = 10, repetitions: int = 10, seed: int | None = None,
                approach: str = "earliest") -> PredictResult:
        """PLSpredict: k-fold cross-validated predictions of the endogenous indicators.

        See :func:`satmodel.predict.predict_pls` for the parameters and the returned
        tables (RMSE, MAE, Q²_predict per indicator and construct, linear benchmark).
        """
        from .predict import predict_pls

        return predict_pls(self, folds=folds, repetitions=repetitions, seed=seed,
                           approach=approach)

    def assess(self, **thresholds: float) -> pd.DataFrame:
        """Each quality criterion against its usual threshold, with a pass/warn verdict.

        See :func:`satmodel.assessment.assess` for the rows, thresholds and sources.
        """
        from .assessment import assess

        return assess(self, **thresholds)


def _nullable(df: pd.DataFrame, *columns: str) -> pd.DataFrame:
    df = df.astype({c: "Float64" for c in columns})
    for c in columns:
        df[c] = df[c].mask(df[c].isna(), pd.NA)
    return df
