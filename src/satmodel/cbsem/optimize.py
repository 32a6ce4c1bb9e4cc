"""semopy's optimizer call on a loaded model, with any objective and gradient; lavaan's ULS.

:func:`solve` is what ``semopy.Model.fit`` does after loading (SLSQP from the model's
starting values under its bounds and constraints, the result stored on the model), for
objectives ``fit`` cannot take: the ML discrepancy with the fast gradient
(:mod:`satmodel.cbsem.mlfast`) and lavaan's ULS (:func:`fit_uls`).

Example
-------
>>> import numpy as np, pandas as pd, semopy
>>> S = pd.DataFrame([[1, .48, .42], [.48, 1, .56], [.42, .56, 1]], index=list("abc"), columns=list("abc"))
>>> m = semopy.Model("F =~ a + b + c")
>>> m.load(cov=S, n_samples=100)
>>> res = solve(m, m.obj_mlw, m.grad_mlw, {"ftol": 1e-14}, "MLW")
>>> bool(res.success), round(float(m.mx_lambda[2, 0]), 4)  # 0.7 / 0.6: c's loading over the marker a's
(True, 1.1667)
"""

from __future__ import annotations

import numpy as np

__all__ = ["solve", "fit_uls"]


def fit_uls(model, options: dict):
    """Minimize lavaan's ULS discrepancy (each distinct moment once): semopy's DWLS
    objective with unit weights (its ``fit`` would recompute the weights)."""
    model.inds_triu_sigma = np.triu_indices_from(model.mx_cov)  # what prepare_wls sets, without
    model.mx_vech_s = model.mx_cov[model.inds_triu_sigma]       # its O(n p^4) weight matrix
    model.mx_w_inv = np.ones(len(model.mx_vech_s))
    fun, grad = model.get_objective("DWLS")
    return solve(model, fun, grad, options, "DWLS")


def solve(model, fun, grad, options: dict, name: str):
    """semopy's ``Model.fit`` after loading: SLSQP on ``fun``/``grad`` from the model's
    starting values, the result stored on the model."""
    from semopy.solver import Solver

    res = Solver("SLSQP", fun, grad, model.param_vals, constrs=model.constraints,
                 bounds=model.get_bounds(), options=options).solve()
    res.name_obj = name
    model.param_vals = res.x
    model.update_matrices(res.x)
    model.last_result = res
    return res
