"""Assessment tables of Hair et al. (2021) corporate reputation models (printed to 3 decimals).

Oracle: ``tests/oracles/corp_rep_hair2021/`` (see SOURCE.md and README.md): the book's
reliability, Fornell-Larcker (seminr layout: √AVE on the diagonal, correlations below),
HTMT, f² (seminr re-estimates the model without the path), structural and item VIFs
and the AIC/BIC model comparison (models 1-3), parsed from seminr's companion page.

Settings as the book (seminr defaults): ``-99`` read as missing and mean-replaced
(``na_values=-99, missing="mean"``), path scheme, composites (COMP, LIKE, CUSL Mode A;
CUSA single item; QUAL, PERF, CSOR, ATTR Mode B), ``stop="sum_abs", tol=1e-7,
max_iter=300``.

Tolerance (README): **5e-4 + 1e-6** — half a unit in the printed third decimal plus
slack for values printed after rounding at exactly half a unit.
"""

from __future__ import annotations

import numpy as np
import pytest

from _oracles import corp_rep_data, corp_rep_extended, corp_rep_simple  # noqa: F401 (module fixtures)
from _oracles import (
    CORP_REP_DRIVERS as DRIVERS,
    CORP_REP_SIMPLE as SIMPLE,
    corp_rep_oracle as _oracle,
    fit_corp_rep as _fit,
)

ATOL = 5e-4 + 1e-6
TO_CUSA = "CUSA ~ QUAL + PERF + CSOR + ATTR\n"
TO_CUSL = "CUSL ~ QUAL + PERF + CSOR + ATTR\n"


def _check(got: dict, want: dict, what: str) -> None:
    bad = {k: (got[k], v) for k, v in want.items() if abs(got[k] - v) > ATOL}
    assert not bad, f"{what}: (satmodel, book) differ by more than {ATOL}: {bad}"


@pytest.mark.parametrize("model", ["simple", "extended"])
def test_reliability(request, model):
    res = request.getfixturevalue(model)
    ref = _oracle(f"{model}_model.json")["reliability"]
    q = res.quality.set_index("construct")
    cols = {"alpha": "alpha", "rhoC": "rho_c", "AVE": "ave", "rhoA": "rho_a"}
    got = {(c, k): float(q.loc[c, v]) for c in ref for k, v in cols.items()}
    _check(got, {(c, k): v for c, row in ref.items() for k, v in row.items()}, f"{model} reliability")


@pytest.mark.parametrize("model", ["simple", "extended"])
def test_fornell_larcker(request, model):
    """Book layout (seminr): √AVE on the diagonal, construct correlations below."""
    res = request.getfixturevalue(model)
    ref = _oracle(f"{model}_model.json")["fornell_larcker"]
    fl = res.fornell_larcker
    corr = res.construct_correlations
    got, want = {}, {}
    for row, cols in ref.items():
        for col, v in cols.items():
            if v is None:
                continue
            got[(row, col)] = (float(np.sqrt(fl.loc[row, col])) if row == col
                               else float(corr.loc[row, col]))
            want[(row, col)] = v
    _check(got, want, f"{model} Fornell-Larcker")


@pytest.mark.parametrize("model", ["simple", "extended"])
def test_htmt(request, model):
    """Includes the single-item CUSA (within-block mean taken as 1, as seminr)."""
    res = request.getfixturevalue(model)
    ref = _oracle(f"{model}_model.json")["htmt"]
    h = res.htmt
    want = {(r, c): v for r, cols in ref.items() for c, v in cols.items() if v is not None}
    _check({k: float(h.loc[k]) for k in want}, want, f"{model} HTMT")


def test_f2_reestimated(extended):
    ref = _oracle("extended_model.json")["f_square"]
    f2 = extended.f2(method="reestimate").set_index(["source", "target"])["f2"]
    want = {(s, t): v for s, cols in ref.items() for t, v in cols.items() if (s, t) in f2.index}
    assert len(want) == len(f2)
    _check({k: float(f2[k]) for k in want}, want, "extended f² (re-estimated)")


def test_vif(extended):
    ref = _oracle("extended_model.json")
    iv = extended.inner_vif.set_index(["target", "source"])["vif"]
    want = {(t, s): v for t, cols in ref["vif_antecedents"].items() for s, v in cols.items()}
    _check({k: float(iv[k]) for k in want}, want, "structural VIF")
    vif = extended.vif.set_index(["construct", "indicator"])["vif"]
    want = {(c, i): v for c, cols in ref["vif_items"].items() for i, v in cols.items()}
    assert len(want) == len(vif)
    _check({k: float(vif[k]) for k in want}, want, "item VIF")


def test_information_criteria_model_comparison(data):
    """AIC and BIC of models 1-3 (the book compares the CUSA column)."""
    ref = _oracle("extended_model.json")["it_criteria"]
    texts = {"model1": SIMPLE + DRIVERS, "model2": SIMPLE + DRIVERS + TO_CUSA,
             "model3": SIMPLE + DRIVERS + TO_CUSA + TO_CUSL}
    for model, text in texts.items():
        ic = _fit(text, data).information_criteria.set_index("construct")
        for crit in ("AIC", "BIC"):
            want = {(model, crit, c): v for c, v in ref[model][crit].items()}
            got = {(model, crit, c): float(ic.loc[c, crit.lower()]) for c in ref[model][crit]}
            _check(got, want, f"{model} {crit}")
