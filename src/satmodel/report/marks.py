"""Significance stars and threshold flags, one definition for the HTML report, the
workbook and the path diagram (so a plot never disagrees with its table).

Significance at level 1 - alpha means the table's two-sided bootstrap p < alpha (CB-SEM
without a bootstrap: its z-test p). Stars count the thresholds p is below: alpha,
then 0.01 and 0.001 where smaller than alpha; ``p >= alpha`` gets no star.

>>> stars(0.03, 0.05), stars(0.004, 0.05), stars(0.0001, 0.05), stars(0.2, 0.05)
('*', '**', '***', '')
>>> stars(0.03, 0.01), stars(0.07, 0.10)
('', '*')
>>> legend(0.05)
'* p < 0.05, ** p < 0.01, *** p < 0.001 (two-sided)'
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..assess.rules import DEFAULTS

__all__ = ["stars", "legend", "thresholds", "alpha_of", "add_stars", "flags", "p_column",
           "matrix_cut"]


def thresholds(alpha: float) -> list[float]:
    """The p-value cut points behind one, two and three stars."""
    return [alpha] + [t for t in (0.01, 0.001) if t < alpha]


def stars(p: Any, alpha: float) -> str:
    """``"*"`` per threshold p is below ("" for p >= alpha or a missing p)."""
    if p is None or pd.isna(p):
        return ""
    return "*" * sum(float(p) < t for t in thresholds(alpha))


def legend(alpha: float) -> str:
    """The text that explains :func:`stars` at ``alpha``."""
    return ", ".join(f"{'*' * (k + 1)} p < {t:g}" for k, t in enumerate(thresholds(alpha))) \
        + " (two-sided)"


def alpha_of(res: Any, level: float | None = None) -> float | None:
    """1 - level (default: the bootstrap's level); None when the result has no p-values."""
    inf = getattr(res, "inference", None)
    if level is None:
        level = inf.level if inf is not None else 0.95
    has_p = inf is not None or "p" in getattr(res, "paths", pd.DataFrame()).columns
    return round(1.0 - float(level), 10) if has_p else None


def p_column(df: pd.DataFrame, value: str) -> str | None:
    """The p-value column of ``value`` in a table (``p`` or ``<value>_p``), if any."""
    for name in (f"{value}_p", "p"):
        if name in df.columns:
            return name
    return None


def add_stars(df: pd.DataFrame, value: str, alpha: float | None, *,
              column: str = "sig") -> pd.DataFrame:
    """A copy of ``df`` with a ``column`` of stars for ``value`` (no copy without p)."""
    p = p_column(df, value)
    if alpha is None or p is None:
        return df
    out = df.copy()
    out.insert(list(out.columns).index(p) + 1, column, [stars(v, alpha) for v in out[p]])
    return out


def _outside(values: pd.Series, lo: float, hi: float) -> np.ndarray:
    v = pd.to_numeric(values, errors="coerce").astype(float).to_numpy()
    with np.errstate(invalid="ignore"):
        return (v < lo) | (v > hi)


#: table -> column -> (low, high): values outside are flagged (rules of :mod:`satmodel.assess`)
RULES = {
    "outer": {"loading": (DEFAULTS["loading"], np.inf)},
    "quality": {"alpha": (DEFAULTS["reliability_min"], DEFAULTS["reliability_max"]),
                "rho_a": (DEFAULTS["reliability_min"], DEFAULTS["reliability_max"]),
                "rho_c": (DEFAULTS["reliability_min"], DEFAULTS["reliability_max"]),
                "ave": (DEFAULTS["ave"], np.inf)},
    "vif": {"vif": (-np.inf, DEFAULTS["vif"])},
    "inner_vif": {"vif": (-np.inf, DEFAULTS["vif"])},
    "htmt_pairs": {"htmt": (-np.inf, DEFAULTS["htmt"])},
}


def matrix_cut(name: str) -> float | None:
    """The cut point of every cell of the square matrix named ``name`` (HTMT), else None."""
    return DEFAULTS["htmt"] if name in ("htmt", "htmt2") else None


def flags(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """Booleans shaped like ``df``: True where a value breaks its rule of thumb.

    >>> flags("outer", pd.DataFrame({"indicator": ["a", "b"], "loading": [0.9, 0.5]}))["loading"].tolist()
    [False, True]
    """
    out = pd.DataFrame(False, index=df.index, columns=df.columns)
    for col, (lo, hi) in RULES.get(name, {}).items():
        if col in df.columns:
            out[col] = _outside(df[col], lo, hi)
    if name in ("htmt", "htmt2"):  # square matrices: off-diagonal values
        rows = df["construct"] if "construct" in df.columns else pd.Series(df.index, df.index)
        for col in df.columns:
            if col != "construct":
                out[col] = _outside(df[col], -np.inf, DEFAULTS["htmt"] - 1e-12) & \
                    (rows != col).to_numpy()
    if name == "fit" and {"measure", "model", "value"} <= set(df.columns):
        out["value"] = (df["measure"].eq("srmr") & df["model"].eq("saturated")).to_numpy() & \
            _outside(df["value"], -np.inf, DEFAULTS["srmr"])
    if name == "assess" and "verdict" in df.columns:
        out["verdict"] = df["verdict"].eq("warn").to_numpy()
    return out
