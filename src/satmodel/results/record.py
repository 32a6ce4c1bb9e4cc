"""The JSON record of a result: a pydantic model (and its JSON Schema) that validates
``from_json`` input, so a malformed or hostile record raises a SatModelError naming
the field instead of building a wrong result.

Records carry names, not spec-order arrays: vectors are ``{name: value}`` maps and
matrices ``{"rows": [...], "columns": [...], "values": [[...]]}``; every result table
(with inference columns after a bootstrap) is stored tidy under ``tables`` as a list
of row objects ``{"source": "IMAG", "target": "SAT", "estimate": 0.42, ...}`` for
consumers that read JSON only (the CLI's ``--json`` prints this same record). The
package version and the diagnostics travel too.

>>> import json
>>> schema = pls_schema()
>>> schema["properties"]["format"]["const"]
'satmodel.PLSResult'
"""

from __future__ import annotations

import json
import math
from importlib import metadata
from typing import Annotated, Any, Literal, Optional, Union

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, \
    field_validator, model_validator

from ..cbsem import solution as cbsolution, stats as cbstats, tables as cbtables, \
    translate as cbtranslate
from ..diagnostics import Diagnostic
from ..engine.options import PLSOptions
from ..errors import SatModelError
from ..spec.model import ModelSpec
from ..survey.options import SurveyOptions
from .record_values import inference_from_record, inference_record, matrix, table_record, vector

__all__ = ["Matrix", "TableRecord", "InferenceRecord", "PLSRecord", "CBSEMRecord", "parse", "pls_schema",
           "cbsem_schema", "package_version", "vector", "matrix", "table_record", "FORMAT_VERSION",
           "inference_record", "inference_from_record"]

FORMAT_VERSION = 2
MAX_BYTES = 256 * 2**20
#: interval methods a CB-SEM bootstrap offers (no jackknife, no double bootstrap)
CB_METHODS = ("percentile", "basic", "normal", "bc")
#: a finite number, or None where a value is not defined (NaN never travels in a record)
Number = Optional[Annotated[float, Field(allow_inf_nan=False)]]


def package_version() -> str:
    try:
        return metadata.version("satmodel")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


#: no moment (MAX_ABS) or PLS estimate (MAX_ESTIMATE: weights, loadings, correlations,
#: paths) of a real fit comes near these; larger values would overflow derived tables
MAX_ABS, MAX_ESTIMATE = 1e100, 1e6


def _finite(values: Any, where: str, limit: float = MAX_ABS) -> Any:
    try:
        arr = np.asarray(values, dtype=float).ravel()
    except OverflowError:
        arr = np.array([np.inf])
    if not np.all(np.isfinite(arr)) or np.any(np.abs(arr) > limit):
        raise ValueError(f"{where} must be finite numbers below {limit:g} in size")
    return values


class Matrix(_Strict):
    """A labelled matrix."""

    rows: list[str]
    columns: list[str]
    values: list[list[float]]

    @model_validator(mode="after")
    def _shape(self) -> Matrix:
        if len(self.values) != len(self.rows) or any(len(r) != len(self.columns) for r in self.values):
            raise ValueError(f"values must be {len(self.rows)} x {len(self.columns)} "
                             "(rows x columns)")
        _finite(self.values, "matrix values")
        return self

    def array(self, rows: tuple[str, ...], columns: tuple[str, ...], field: str) -> np.ndarray:
        """The values as an array in the given label order (labels must match exactly)."""
        if sorted(self.rows) != sorted(rows) or sorted(self.columns) != sorted(columns):
            raise ValueError(f"{field}: labels do not match the spec")
        df = pd.DataFrame(self.values, index=self.rows, columns=self.columns)
        return df.loc[list(rows), list(columns)].to_numpy(dtype=float)


#: a tidy table: one object per row, column name -> value (None where not defined)
TableRecord = list[dict[str, Union[str, float, bool, None]]]


class DiagnosticRecord(_Strict):
    code: str = Field(max_length=200)
    message: str = Field(max_length=20000)
    severity: Literal["info", "warning"] = "warning"
    category: str = Field("SatModelWarning", max_length=200)
    names: list[str] = []
    count: Optional[int] = Field(None, ge=0)

    def diagnostic(self) -> Diagnostic:
        return Diagnostic(code=self.code, message=self.message, severity=self.severity,
                          category=self.category, names=tuple(self.names), count=self.count)


class InferenceRecord(_Strict):
    """A bootstrap's settings and, per table column, the original estimates and the
    summaries (se, t, p, ci_lower, ci_upper); the draws only when written with them."""

    n_requested: int = Field(ge=2)
    n_valid: int = Field(ge=2)
    dropped: dict[str, int] = {}
    seed: Optional[Union[int, str]] = None
    signs: Literal["none", "construct", "individual"] = "none"
    level: float = Field(gt=0, lt=1)
    method: Literal["percentile", "basic", "normal", "bc", "bca", "studentized",
                    "studentized_csem"] = "percentile"
    original: dict[str, dict[str, list[Number]]]
    summaries: dict[str, dict[str, dict[str, list[Number]]]]
    draws: Optional[dict[str, dict[str, list[list[Number]]]]] = None

    @model_validator(mode="after")
    def _consistent(self) -> InferenceRecord:
        if self.n_valid > self.n_requested:
            raise ValueError("n_valid cannot exceed n_requested")
        if any(v < 0 for v in self.dropped.values()):
            raise ValueError("dropped counts must be >= 0")
        for t, cols in self.original.items():
            for c, est in cols.items():
                stats = self.summaries.get(t, {}).get(c)
                if stats is None or set(stats) != set(_STATS):
                    raise ValueError(f"summaries[{t!r}][{c!r}] needs {', '.join(_STATS)}")
                if any(len(v) != len(est) for v in stats.values()):
                    raise ValueError(f"summaries[{t!r}][{c!r}] must have {len(est)} values each")
                if self.draws is not None:
                    d = self.draws.get(t, {}).get(c)
                    if d is None or len(d) != self.n_valid or any(len(r) != len(est) for r in d):
                        raise ValueError(f"draws[{t!r}][{c!r}] must be n_valid x {len(est)}")
        return self


_STATS = ("se", "t", "p", "ci_lower", "ci_upper")


class EstimateRecord(_Strict):
    """The PLS engine's arrays, labelled by indicator and construct names."""

    weights: dict[str, float]
    loadings: dict[str, float]
    cross_loadings: Matrix
    proxy_corr: Matrix
    construct_corr: Matrix
    rho_a: dict[str, float]
    paths: Matrix
    r2: dict[str, float]
    total: Matrix
    n_iter: int = Field(ge=0, le=10_000_000, strict=True)
    converged: bool
    singular_block: dict[str, bool]

    @field_validator("weights", "loadings", "rho_a", "r2")
    @classmethod
    def _finite_values(cls, value: dict[str, float]) -> dict[str, float]:
        _finite(list(value.values()), "values")
        return value


class PLSRecord(_Strict):
    """The JSON record of a :class:`~satmodel.PLSResult`."""

    format: Literal["satmodel.PLSResult"]
    version: Literal[2]
    satmodel_version: str = Field(max_length=100)
    spec: ModelSpec
    options: PLSOptions
    survey_options: SurveyOptions
    n_obs: int = Field(ge=3, le=10**12, strict=True)
    indicator_mean: dict[str, float]
    indicator_std: dict[str, float]
    indicator_corr: Matrix
    estimate: EstimateRecord
    diagnostics: list[DiagnosticRecord] = []
    inference: Optional[InferenceRecord] = None
    tables: dict[str, TableRecord] = {}

    @model_validator(mode="after")
    def _matches_spec(self, info: ValidationInfo) -> PLSRecord:
        items, cons = self.spec.indicator_names, self.spec.construct_names
        for name, vec, labels in (("indicator_mean", self.indicator_mean, items),
                                  ("indicator_std", self.indicator_std, items),
                                  ("estimate.weights", self.estimate.weights, items),
                                  ("estimate.loadings", self.estimate.loadings, items),
                                  ("estimate.rho_a", self.estimate.rho_a, cons),
                                  ("estimate.r2", self.estimate.r2, cons),
                                  ("estimate.singular_block", self.estimate.singular_block, cons)):
            if sorted(vec) != sorted(labels):
                raise ValueError(f"{name} must name exactly the spec's "
                                 f"{'indicators' if labels is items else 'constructs'}")
        _finite(list(self.indicator_mean.values()), "indicator_mean")
        if any(not (v > 0 and math.isfinite(v)) for v in self.indicator_std.values()):
            raise ValueError("indicator_std must be positive finite numbers")
        S = self.indicator_corr.array(items, items, "indicator_corr")
        if not np.allclose(S, S.T, rtol=0, atol=1e-10) or \
                not np.allclose(np.diag(S), 1.0, rtol=0, atol=1e-10) \
                or np.abs(S).max() > 1 + 1e-10:
            raise ValueError("indicator_corr must be a symmetric correlation matrix")
        est = self.estimate
        for name in ("proxy_corr", "total", "paths", "construct_corr", "cross_loadings"):
            getattr(est, name).array(cons if name != "cross_loadings" else items, cons, name)
            _finite(getattr(est, name).values, f"estimate.{name}", MAX_ESTIMATE)
        for name in ("weights", "loadings", "rho_a", "r2"):
            _finite(list(getattr(est, name).values()), f"estimate.{name}", MAX_ESTIMATE)
        B = est.paths.array(cons, cons, "estimate.paths")
        R = est.construct_corr.array(cons, cons, "estimate.construct_corr")
        r2 = np.array([est.r2[c] for c in cons])
        implied = np.einsum("kj,kj->j", B, R)  # R²_j = Σ_k b_kj r_kj (OLS on correlations)
        # a staged record's outcomes of rescaled interaction terms (seminr, cSEM) are exempt
        exempt = set((info.context or {}).get("r2_exempt", ()))
        bad = [c for c, a, b in zip(cons, r2, implied)
               if not np.isclose(a, b, atol=1e-6) and c not in exempt]
        if bad:
            raise ValueError(f"estimate.r2 of {bad} disagrees with the paths and construct "
                             "correlations of the same record")
        return self


class ParameterRecord(_Strict):
    lhs: str = Field(max_length=200)
    op: Literal["=~", "~", "~~", "~1"]
    rhs: str = Field(max_length=200)
    estimate: float
    se: Number = Field(None, ge=0)
    free: bool


class CBEstimateRecord(_Strict):
    """The CB-SEM engine's unstandardized arrays, labelled by indicator and construct names."""

    loadings: Matrix
    beta: Matrix
    psi: Matrix
    theta: Matrix
    sigma: Matrix
    params: list[ParameterRecord]
    n_free: int = Field(ge=0)
    fmin: Number = None
    converged: bool
    n_iter: int = Field(ge=0, le=10_000_000, strict=True)
    message: str = Field("", max_length=20000)
    messages: list[str] = []
    fim_singular: bool = False
    mean: Optional[dict[str, float]] = None
    n_mean: int = Field(0, ge=0)


class CBSEMRecord(_Strict):
    """The JSON record of a :class:`~satmodel.CBSEMResult`."""

    format: Literal["satmodel.CBSEMResult"]
    version: Literal[2]
    satmodel_version: str = Field(max_length=100)
    spec: ModelSpec
    estimator: Literal["ML", "GLS", "ULS", "WLS", "DWLS"]
    missing: Literal["error", "listwise", "fiml"]
    survey_options: SurveyOptions
    n_obs: int = Field(ge=3, le=10**12, strict=True)
    indicator_mean: dict[str, float]
    sample_cov: Matrix
    estimate: CBEstimateRecord
    fit_indices: dict[str, Number]
    diagnostics: list[DiagnosticRecord] = []
    inference: Optional[InferenceRecord] = None
    tables: dict[str, TableRecord] = {}

    @model_validator(mode="after")
    def _matches_spec(self) -> CBSEMRecord:
        spec, est = self.spec, self.estimate
        cbtranslate.check_cbsem_spec(spec)
        items, cons = spec.indicator_names, cbtranslate.latent_names(spec)
        for name, vec in (("indicator_mean", self.indicator_mean), ("estimate.mean", est.mean)):
            if vec is not None and sorted(vec) != sorted(items):
                raise ValueError(f"{name} must name exactly the spec's indicators")
            _finite(list((vec or {}).values()), name)
        if sorted(self.fit_indices) != sorted(cbstats.FIT_INDEX_NAMES):
            raise ValueError("fit_indices must name exactly " + ", ".join(cbstats.FIT_INDEX_NAMES))
        _finite([v for v in self.fit_indices.values() if v is not None] + [est.fmin or 0.0],
                "fit_indices and estimate.fmin")
        shapes = {"loadings": (items, cons), "beta": (cons, cons), "psi": (cons, cons),
                  "theta": (items, items), "sigma": (items, items)}
        A = {k: getattr(est, k).array(*rc, f"estimate.{k}") for k, rc in shapes.items()}
        cbsolution.check_arrays(self.sample_cov.array(items, items, "sample_cov"), **A)
        names = set(items) | set(cons) | {""}
        for k, par in enumerate(est.params):
            if par.lhs not in names or par.rhs not in names:
                raise ValueError(f"estimate.params[{k}] names {par.lhs!r} or {par.rhs!r}, not in the spec")
            _finite([par.estimate, 0.0 if par.se is None else par.se], f"estimate.params[{k}]")
        if self.inference is not None and self.inference.method not in CB_METHODS:
            raise ValueError(f"inference.method {self.inference.method!r} is not available "
                             "for CB-SEM")
        for t, cols in ({} if self.inference is None else self.inference.original).items():
            for c, v in cols.items():
                if c not in cbtables.BOOTSTRAP.get(t, ()) or len(v) != len(cbtables.KEYS[t](spec)):
                    raise ValueError(f"inference.original[{t!r}][{c!r}] is not a CB-SEM "
                                     "bootstrap column of this spec")
        return self


RECORDS: dict[str, type[BaseModel]] = {"PLSResult": PLSRecord, "CBSEMResult": CBSEMRecord}


def parse(text: str | bytes, kind: str) -> BaseModel:
    """Validate a result JSON of ``kind`` (a key of :data:`RECORDS`: "PLSResult",
    "CBSEMResult", and the grouped and staged records that register themselves);
    SatModelError naming the first bad field otherwise."""
    if not isinstance(text, (str, bytes, bytearray)):
        raise SatModelError(f"{kind}.from_json needs a JSON string, got {type(text).__name__}")
    if len(text) > MAX_BYTES:
        raise SatModelError(f"result JSON of {len(text)} bytes exceeds the {MAX_BYTES}-byte limit")
    try:
        raw = json.loads(text, parse_constant=lambda c: float(c))
    except (ValueError, UnicodeDecodeError, RecursionError) as err:  # JSONDecodeError included
        raise SatModelError(f"not a satmodel result JSON: {type(err).__name__}: "
                            f"{str(err)[:200]}") from None
    expected = f"satmodel.{kind}"
    if not isinstance(raw, dict) or raw.get("format") != expected:
        other = raw.get("format") if isinstance(raw, dict) else None
        if isinstance(other, str) and other.removeprefix("satmodel.") in RECORDS:
            raise SatModelError(f"not a {kind} JSON (expected format {expected!r}): this is "
                                f"the JSON of a {other[9:]}; read it with sm.{other[9:]}.from_json")
        raise SatModelError(f"not a satmodel result JSON (expected format {expected!r})")
    if raw.get("version") != FORMAT_VERSION:
        raise SatModelError(f"result JSON version {raw.get('version')!r} is not supported "
                            f"(this satmodel reads version {FORMAT_VERSION})")
    try:
        return RECORDS[kind].model_validate(raw)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(x) for x in first["loc"]) or "record"
        raise SatModelError(f"invalid {kind} JSON at {where}: "
                            f"{first['msg'].removeprefix('Value error, ')} "
                            f"({err.error_count()} problem(s) in all)") from None
    except RecursionError:
        raise SatModelError(f"invalid {kind} JSON: nested too deeply") from None


def pls_schema() -> dict[str, Any]:
    """JSON Schema of the PLS result record."""
    return PLSRecord.model_json_schema()


def cbsem_schema() -> dict[str, Any]:
    """JSON Schema of the CB-SEM result record."""
    return CBSEMRecord.model_json_schema()
