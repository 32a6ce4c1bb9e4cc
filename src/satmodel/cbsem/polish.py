"""Newton steps that finish an optimizer's work (SLSQP and L-BFGS-B stop ~1e-6 short of
the minimum on ill-conditioned models such as the ECSI model, where lavaan's printed
digits then move), and the central-difference Hessian they use.

Example
-------
>>> import numpy as np
>>> fg = lambda z: (float((z[0] - 1) ** 2 + 10 * (z[1] + 2) ** 2),
...                 np.array([2 * (z[0] - 1), 20 * (z[1] + 2)]))
>>> z, f = newton(fg, np.array([1.1, -1.9]), np.full(2, -np.inf))
>>> np.round(z, 12).tolist(), f
([1.0, -2.0], 0.0)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["hessian", "newton", "unbounded"]


def hessian(grad: Callable[[np.ndarray], np.ndarray], z: np.ndarray) -> np.ndarray:
    """Central differences of the analytic gradient (step 1e-5 * max(1, |z|)), symmetrized."""
    H = np.empty((len(z), len(z)))
    for k in range(len(z)):
        h = 1e-5 * max(1.0, abs(z[k]))
        up, down = z.copy(), z.copy()
        up[k] += h
        down[k] -= h
        H[k] = (grad(up) - grad(down)) / (2 * h)
    return (H + H.T) / 2


def newton(fg: Callable, z: np.ndarray, lower: np.ndarray, H: np.ndarray | None = None,
           steps: int = 5) -> tuple[np.ndarray, float]:
    """Up to ``steps`` Newton steps on ``fg`` (value, gradient) from ``z`` with the Hessian
    ``H`` (computed once at ``z`` if None), over the parameters away from their ``lower``
    bounds; a step is kept only if it does not raise the value. Returns (z, value)."""
    z = np.array(z, dtype=float)
    fun, g = fg(z)
    H = hessian(lambda v: fg(v)[1], z) if H is None else H
    free = z > lower + 1e-8 * np.maximum(1.0, np.abs(z))
    for _ in range(steps):
        step = np.zeros_like(z)
        try:
            step[free] = np.linalg.solve(H[np.ix_(free, free)], g[free])
        except np.linalg.LinAlgError:
            break
        trial = np.maximum(z - step, lower)
        f_trial, g_trial = fg(trial)
        if not f_trial <= fun + 1e-12 * abs(fun):
            break
        z, fun, g = trial, f_trial, g_trial
        if np.max(np.abs(step)) <= 1e-12 * max(1.0, np.max(np.abs(z))):
            break
    return z, float(fun)


def unbounded(fg: Callable, z: np.ndarray, lower: np.ndarray, steps: int = 20) -> dict[int, float]:
    """Where the parameters that sit at a finite lower bound in ``z`` (a bounded optimum)
    go when the bounds are dropped (lavaan leaves variances unbounded): Newton steps on all
    parameters from ``z``; {index: unbounded value} for those at their bound, {} if none.

    >>> fg = lambda z: (float((z[0] + 1) ** 2), np.array([2 * (z[0] + 1)]))
    >>> unbounded(fg, np.array([0.0]), np.array([0.0]))
    {0: -1.0}
    """
    at = np.flatnonzero(np.isfinite(lower) & (z <= lower + 1e-8 * np.maximum(1.0, np.abs(z))))
    if not at.size:
        return {}
    z = np.array(z, dtype=float)
    fun, g = fg(z)
    for _ in range(steps):  # damped Newton (the bounded optimum can be far from the free one)
        H = hessian(lambda v: fg(v)[1], z)
        try:
            step = np.linalg.solve(H, g)
        except np.linalg.LinAlgError:
            step = g
        if not step @ g > 0:  # not a descent direction: steepest descent
            step = g
        for _ in range(40):
            f_trial, g_trial = fg(z - step)
            if np.isfinite(f_trial) and f_trial <= fun:
                break
            step = step / 2
        else:
            break
        z, fun, g = z - step, f_trial, g_trial
        if np.max(np.abs(step)) <= 1e-10 * max(1.0, np.max(np.abs(z))):
            break
    return {int(k): float(z[k]) for k in at}
