"""Simple slopes and floodlight (Johnson-Neyman) analysis of an interaction term.

In ``Y ~ X + M + X:M`` the effect of X on Y at moderator value m (in standard deviations
of M) is ``b_X + b_XM * m``; its bootstrap draws are the same combination of the stored
path draws (same resamples, no refit). The floodlight evaluates it on a grid of m and
reports where its interval excludes 0; the Johnson-Neyman points are where a bound
crosses 0 (linear interpolation on the grid). The interaction path is on the scale the
fit reports it (standardized interaction term by default, seminr's with
``interaction_scale="seminr"``), as each package computes its slopes.

>>> import satmodel as sm
>>> spec = sm.ModelSpec.from_lavaan('''
...     SAT =~ SAT1 + SAT2 + SAT3; IMAG =~ IMAG1 + IMAG2 + IMAG3; LOY =~ LOY1 + LOY2 + LOY3
...     LOY ~ SAT + IMAG + SAT:IMAG''')
>>> res = sm.fit_pls(spec, sm.datasets.load("ecsi_satisfaction"), interaction="two_stage")
>>> simple_slopes(res, "SAT", "IMAG").columns.tolist()
['source', 'moderator', 'target', 'at', 'slope']
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .. import _validate as valid
from ..errors import NotAvailableError, OptionError
from ..inference import intervals

__all__ = ["simple_slopes", "floodlight"]


def _terms(res: Any, x: str, moderator: str, target: str | None) -> tuple[str, int, int]:
    paths = res.paths
    keys = list(zip(paths.source, paths.target))
    names = {f"{x}:{moderator}", f"{moderator}:{x}"}
    targets = [t for s, t in keys if s in names]
    if not targets:
        raise OptionError(f"the model has no interaction term {x}:{moderator} (nor "
                          f"{moderator}:{x}); interaction terms: "
                          f"{', '.join(sorted({s for s, _ in keys if ':' in s})) or 'none'}")
    if target is None:
        if len(set(targets)) > 1:
            raise OptionError(f"the interaction {x}:{moderator} points to {', '.join(targets)}; "
                              "choose one with target=")
        target = targets[0]
    term = next(s for s, t in keys if s in names and t == target) if target in targets else None
    if term is None or (x, target) not in keys:
        raise OptionError(f"no path {x} -> {target} with its interaction term {x}:{moderator} "
                          f"-> {target}; targets of the interaction: {', '.join(targets)}")
    return target, keys.index((x, target)), keys.index((term, target))


def _slopes(res: Any, x: str, moderator: str, at: Any, target: str | None,
            verb: str) -> pd.DataFrame:
    values = np.asarray(at, dtype=float).ravel()
    if values.size == 0 or not np.isfinite(values).all():
        raise valid.bad(verb, "at", at, "finite moderator values (standard deviations of the moderator)")
    target, i_x, i_int = _terms(res, x, moderator, target)
    est = res.paths.estimate.to_numpy(dtype=float)
    slope = est[i_x] + est[i_int] * values
    out = pd.DataFrame({"source": x, "moderator": moderator, "target": target, "at": values,
                        "slope": slope})
    inf = getattr(res, "inference", None)
    if inf is None:
        return out
    if inf.method in intervals.STUDENTIZED or inf.method == "bca":
        raise NotAvailableError(f"simple slopes with {inf.method!r} intervals are not available; "
                                "use res.conf_int(method='percentile'), 'basic', 'normal' or 'bc'")
    d = inf.require_draws(verb)["paths"]["estimate"]
    draws = d[:, [i_x]] + d[:, [i_int]] * values[None, :]
    stats = intervals.summarize(slope, draws, level=inf.level, method=inf.method)
    for name in ("se", "t", "p", "ci_lower", "ci_upper"):
        out[name] = stats[name]
    out["significant"] = (out.ci_lower > 0) | (out.ci_upper < 0)
    return out


def simple_slopes(res: Any, x: str, moderator: str, *, at: Any = (-1.0, 0.0, 1.0),
                  target: str | None = None) -> pd.DataFrame:
    """The effect of ``x`` on ``target`` at moderator values ``at`` (SDs of the moderator).

    Columns: source, moderator, target, at, slope; after a bootstrap also se, t, p,
    ci_lower, ci_upper, significant (the result's interval method and level).
    """
    return _slopes(res, x, moderator, at, target, "simple_slopes")


def floodlight(res: Any, x: str, moderator: str, *, at: Any = None,
               target: str | None = None) -> pd.DataFrame:
    """Simple slopes on a grid (default -3 to 3 SDs in steps of 0.01) with bootstrap bands;
    ``attrs["johnson_neyman"]`` lists the moderator values where a bound crosses 0."""
    if getattr(res, "inference", None) is None:
        raise NotAvailableError("floodlight needs bootstrap bands: call res.bootstrap(...) first")
    grid = np.round(np.arange(-300, 301) / 100, 2) if at is None else at
    out = _slopes(res, x, moderator, grid, target, "floodlight")
    points = []
    m = out["at"].to_numpy()
    for bound in ("ci_lower", "ci_upper"):
        v = out[bound].to_numpy(dtype=float)
        for k in np.flatnonzero(np.sign(v[:-1]) * np.sign(v[1:]) < 0):
            points.append(float(m[k] - v[k] * (m[k + 1] - m[k]) / (v[k + 1] - v[k])))
    out.attrs["johnson_neyman"] = sorted(points)
    return out
