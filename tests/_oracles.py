"""Helpers for the reference-output tests (``tests/test_reference_*.py``).

The oracle files live in ``tests/oracles/<case>/`` with a ``SOURCE.md`` that
names their origin, what the tests compare and the tolerance.  Nothing here
reads anything outside ``tests/`` except the package's bundled data sets.

The model texts shared by several test files are written out here once, on
purpose not taken from ``satmodel.templates``: an oracle test must not inherit
a bug of the template it would otherwise be checking.

The helpers only reshape oracle files and satmodel tables into pandas Series
keyed the same way, and compare them with ``numpy.testing.assert_allclose``
(``rtol=0``) so that a failure names the offending keys and the size of the
largest differences.
"""

from __future__ import annotations

from pathlib import Path

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import satmodel as sm

ORACLES = Path(__file__).resolve().parent / "oracles"


def quiet(fn, *args, **kwargs):
    """Call ``fn`` with every satmodel warning turned into an error (a clean fit)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", sm.SatModelWarning)
        return fn(*args, **kwargs)


def without_scales(spec: sm.ModelSpec) -> sm.ModelSpec:
    """``spec`` with no declared item scales (lavaan text now carries them)."""
    cons = [c.model_copy(update={"indicators": [i.model_copy(update={"scale_min": None,
                                                                     "scale_max": None})
                                                for i in c.indicators]}) for c in spec.constructs]
    return sm.ModelSpec.model_validate(spec.model_copy(update={"constructs": cons}).model_dump())


def oracle_path(case: str, name: str) -> Path:
    """Path of an oracle file ``tests/oracles/<case>/<name>``."""
    return ORACLES / case / name


def read_oracle(case: str, name: str, **kwargs) -> pd.DataFrame:
    """Read an oracle CSV file of ``tests/oracles/<case>/``."""
    return pd.read_csv(oracle_path(case, name), **kwargs)


# --------------------------------------------------------------------------
# reshaping
# --------------------------------------------------------------------------


def matrix_to_long(
    matrix: pd.DataFrame, *, drop_zero: bool = True, drop_na: bool = True
) -> pd.Series:
    """Stack a matrix (rows x columns) into a Series keyed by (row, column).

    Zero cells (seminr writes 0 outside a block / for absent paths) and empty
    cells (ADANCO leaves them blank) are dropped unless told otherwise.
    """
    long = matrix.stack(future_stack=True)
    if drop_na:
        long = long.dropna()
    if drop_zero:
        long = long[long != 0]
    return long.astype(float)


def read_r_matrix(case: str, name: str) -> pd.DataFrame:
    """Read an R ``write.csv`` matrix: first column = row names."""
    return read_oracle(case, name, index_col=0)


def _keyed(table: pd.DataFrame, column: str, keys: tuple[str, str]) -> pd.Series:
    """``table[column]`` as floats keyed by the two key columns of ``table``."""
    return pd.Series(
        table[column].to_numpy(dtype=float),
        index=pd.MultiIndex.from_arrays([table[keys[0]], table[keys[1]]]),
        name=column,
    )


def outer_series(res, column: str) -> pd.Series:
    """``res.outer[column]`` keyed by (construct, indicator)."""
    return _keyed(res.outer, column, ("construct", "indicator"))


def paths_series(res) -> pd.Series:
    """``res.paths.estimate`` keyed by (source, target)."""
    return _keyed(res.paths, "estimate", ("source", "target"))


def effects_series(res, column: str) -> pd.Series:
    """``res.effects[column]`` keyed by (source, target)."""
    return _keyed(res.effects, column, ("source", "target"))


def cross_loadings_series(res) -> pd.Series:
    """``res.cross_loadings`` keyed by (indicator, construct)."""
    cl = res.cross_loadings.set_index("indicator")
    return matrix_to_long(cl, drop_zero=False)


def quality_series(res, column: str) -> pd.Series:
    """``res.quality[column]`` keyed by construct."""
    q = res.quality
    return pd.Series(q[column].to_numpy(dtype=float), index=q["construct"], name=column)


# --------------------------------------------------------------------------
# comparison
# --------------------------------------------------------------------------


def _fmt_key(key) -> str:
    if isinstance(key, tuple):
        return " -> ".join(str(k) for k in key)
    return str(key)


def assert_matches(
    actual: pd.Series,
    expected: pd.Series,
    *,
    atol: float,
    what: str,
    keys_must_match: bool = True,
) -> None:
    """Compare two Series by key with ``assert_allclose(atol=atol, rtol=0)``.

    ``keys_must_match``: the actual table must hold exactly the expected keys
    (otherwise only the expected keys are looked up in ``actual``).
    The error message lists the worst keys with actual, expected and difference.
    """
    actual = actual.astype(float)
    expected = expected.astype(float)
    missing = [k for k in expected.index if k not in actual.index]
    assert not missing, f"{what}: satmodel table lacks {[_fmt_key(k) for k in missing]}"
    if keys_must_match:
        extra = [k for k in actual.index if k not in expected.index]
        assert not extra, f"{what}: satmodel table has unexpected rows {[_fmt_key(k) for k in extra]}"
    assert not actual.index.duplicated().any(), f"{what}: duplicated keys in satmodel table"
    got = actual.loc[expected.index].to_numpy()
    want = expected.to_numpy()
    diff = np.abs(got - want)
    order = np.argsort(-np.nan_to_num(diff, nan=np.inf))[:8]
    lines = [
        f"  {_fmt_key(expected.index[i])}: satmodel {float(got[i])!r} reference {float(want[i])!r} |diff| {diff[i]:.3e}"
        for i in order
    ]
    msg = f"{what} (atol {atol:g}); largest differences:\n" + "\n".join(lines)
    assert_allclose(got, want, atol=atol, rtol=0, err_msg=msg)


def assert_frame_values(actual: np.ndarray, expected: np.ndarray, *, atol: float, what: str) -> None:
    """Compare two equally shaped arrays (e.g. score matrices) and name the worst cell."""
    actual = np.asarray(actual, dtype=float)
    expected = np.asarray(expected, dtype=float)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    diff = np.abs(actual - expected)
    worst = np.unravel_index(np.nanargmax(diff), diff.shape) if diff.size else ()
    msg = f"{what} (atol {atol:g}); worst cell {worst}: |diff| {diff[worst]:.3e}; max per column {diff.max(axis=0)}"
    assert_allclose(actual, expected, atol=atol, rtol=0, err_msg=msg)


# --------------------------------------------------------------------------
# ECSI satisfaction model (ADANCO, R plspm, index and spec tests)
# --------------------------------------------------------------------------

# The ECSI satisfaction model on the ``ecsi_satisfaction`` items, all six
# blocks "=~" (written here, not taken from satmodel.templates).
ECSI_SATISFACTION = """
IMAG =~ IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5
EXPE =~ EXPE1 + EXPE2 + EXPE3 + EXPE4 + EXPE5
QUAL =~ QUAL1 + QUAL2 + QUAL3 + QUAL4 + QUAL5
VAL  =~ VAL1 + VAL2 + VAL3 + VAL4
SAT  =~ SAT1 + SAT2 + SAT3 + SAT4
LOY  =~ LOY1 + LOY2 + LOY3 + LOY4
EXPE ~ IMAG
QUAL ~ EXPE
VAL  ~ EXPE + QUAL
SAT  ~ IMAG + EXPE + QUAL + VAL
LOY  ~ IMAG + SAT
"""
ECSI_CONSTRUCTS = ["IMAG", "EXPE", "QUAL", "VAL", "SAT", "LOY"]
ADANCO_CASE = "adanco_satisfaction_plsc_centroid"


def ecsi_satisfaction_data() -> pd.DataFrame:
    """The package's ``ecsi_satisfaction`` items (``gender`` dropped)."""
    return sm.datasets.load("ecsi_satisfaction").drop(columns=["gender"], errors="ignore")


def fit_ecsi_adanco(data: pd.DataFrame):
    """ECSI satisfaction PLSc fit with ADANCO's settings: "Mode A consistent",
    centroid scheme, stop at max|w_new - w_old| < 1e-7 (6 iterations)."""
    return sm.fit_pls(sm.ModelSpec.from_lavaan(ECSI_SATISFACTION), data, scheme="centroid", consistent=True,
                      tol=1e-7, max_iter=300, stop="max_abs")


# --------------------------------------------------------------------------
# Hair et al. (2021) corporate reputation models (seminr settings)
# --------------------------------------------------------------------------

CORP_REP_CASE = "corp_rep_hair2021"
CORP_REP_SEMINR = dict(scheme="path", stop="sum_abs", tol=1e-7, max_iter=300)
CORP_REP_SIMPLE = """
COMP <~ comp_1 + comp_2 + comp_3
LIKE <~ like_1 + like_2 + like_3
CUSA <~ cusa
CUSL <~ cusl_1 + cusl_2 + cusl_3
CUSA ~ COMP + LIKE
CUSL ~ COMP + LIKE + CUSA
"""
CORP_REP_DRIVERS = """
QUAL <~ qual_1 + qual_2 + qual_3 + qual_4 + qual_5 + qual_6 + qual_7 + qual_8
PERF <~ perf_1 + perf_2 + perf_3 + perf_4 + perf_5
CSOR <~ csor_1 + csor_2 + csor_3 + csor_4 + csor_5
ATTR <~ attr_1 + attr_2 + attr_3
COMP ~ QUAL + PERF + CSOR + ATTR
LIKE ~ QUAL + PERF + CSOR + ATTR
"""
CORP_REP_MODE_A = ("COMP", "LIKE", "CUSL")


def corp_rep_spec(text: str) -> sm.ModelSpec:
    """lavaan '<~' is Mode B; the book's COMP, LIKE, CUSL are Mode A composites."""
    spec = sm.ModelSpec.from_lavaan(text)
    cons = [c.model_copy(update={"mode": "A", "common_factor": False}) if c.name in CORP_REP_MODE_A else c
            for c in spec.constructs]
    return spec.model_copy(update={"constructs": cons})


def fit_corp_rep(text: str, data: pd.DataFrame, missing: str = "mean"):
    """Fit as the book (seminr): ``-99`` read as missing, path scheme, seminr's stop rule."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.SatModelWarning)
        return sm.fit_pls(corp_rep_spec(text), data, na_values=-99, missing=missing, **CORP_REP_SEMINR)


# Module fixtures ``data``, ``simple`` (model 1) and ``extended`` (with the
# drivers); a test module uses them by importing these three functions.
@pytest.fixture(scope="module", name="data")
def corp_rep_data() -> pd.DataFrame:
    return pd.read_csv(oracle_path(CORP_REP_CASE, "corp_rep_data.csv"))


@pytest.fixture(scope="module", name="simple")
def corp_rep_simple(data):
    return fit_corp_rep(CORP_REP_SIMPLE, data)


@pytest.fixture(scope="module", name="extended")
def corp_rep_extended(data):
    return fit_corp_rep(CORP_REP_SIMPLE + CORP_REP_DRIVERS, data)


def corp_rep_oracle(name: str) -> dict:
    """A JSON oracle file of ``tests/oracles/corp_rep_hair2021/``."""
    return json.loads(oracle_path(CORP_REP_CASE, name).read_text(encoding="utf-8"))


# --------------------------------------------------------------------------
# population (moment) input as data
# --------------------------------------------------------------------------


def data_with_correlation(sigma: pd.DataFrame, n: int = 200, seed: int = 20240601) -> pd.DataFrame:
    """A data matrix whose sample correlation matrix equals ``sigma`` exactly.

    The same device as ``MASS::mvrnorm(..., empirical = TRUE)`` used by cSEM:
    draw any n x p matrix, centre it, whiten its sample covariance (divisor
    n - 1) to the identity, then multiply by ``chol(sigma).T``.  The sample
    covariance is then ``sigma`` (unit diagonal), so the sample correlation
    equals ``sigma`` to rounding (~1e-15) and the standardized items are the
    columns themselves.  Used because the PLS estimator is a function of the
    correlation matrix alone (DESIGN.md, "The one idea").
    """
    s = sigma.to_numpy(dtype=float)
    p = s.shape[0]
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, p))
    x -= x.mean(axis=0)
    cov = x.T @ x / (n - 1)
    x = x @ np.linalg.inv(np.linalg.cholesky(cov)).T
    x = x @ np.linalg.cholesky(s).T
    out = pd.DataFrame(x, columns=list(sigma.columns))
    check = np.corrcoef(out.to_numpy().T)
    assert np.abs(check - s).max() < 1e-13, "synthetic data do not reproduce Sigma"
    return out


def csem_stage_frame(case: str, tag: str, kind: str, **kwargs) -> pd.DataFrame:
    """cSEM's ``<tag>_<kind>.csv`` of a two-stage case with its ``_temp`` suffixes removed
    (cSEM names a second stage's construct scores ``<name>_temp``)."""
    df = pd.read_csv(ORACLES / case / f"{tag}_{kind}.csv", **kwargs)
    if kwargs.get("index_col") is not None:
        df.index = df.index.str.replace("_temp", "", regex=False)
        df.columns = df.columns.str.replace("_temp", "", regex=False)
        return df
    for col in df.columns[:2]:
        if not pd.api.types.is_numeric_dtype(df[col]):
            df[col] = df[col].str.replace("_temp", "", regex=False)
    return df


def check_csem_stage(res, case: str, tag: str, tol: float) -> None:
    """Paths, outer weights and loadings of ``res`` equal cSEM's (same rows both sides)."""
    p = csem_stage_frame(case, tag, "paths").merge(res.paths, on=["source", "target"],
                                                   how="outer", suffixes=("_r", ""))
    o = csem_stage_frame(case, tag, "outer").merge(res.outer, on=["construct", "indicator"],
                                                   how="outer", suffixes=("_r", ""))
    assert not p.isna().any().any() and not o.isna().any().any()  # same rows both sides
    assert np.abs(p.estimate_r - p.estimate).max() < tol
    assert np.abs(o.weight_r - o.weight).max() < tol
    assert np.abs(o.loading_r - o.loading).max() < tol
