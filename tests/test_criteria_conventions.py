"""Order and single-item conventions of the cSEM criteria (issue 11, part 12).

Oracle: ``tests/oracles/csem_saturated_order/`` (cSEM 0.4 on the ECSI data with a
single-item ``=~`` construct; see SOURCE.md). GM and Mallows' Cp come from cSEM's
saturated structural model, whose order must not follow the measurement statements;
the fit's df counts a single ``=~`` item's loading as cSEM does; GoF leaves single-item
constructs out by default (cSEM >= 0.5) and takes them with ``single_items=True``
(cSEM <= 0.4).
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

import satmodel as sm
from satmodel.spec.layout import layout_of, structural_order
from satmodel.tables.criteria import gof_value

try:
    from _oracles import read_oracle
except ImportError:  # tests/ became a package
    from tests._oracles import read_oracle  # type: ignore[no-redef]

CASE = "csem_saturated_order"
RTOL = 1e-9
BLOCKS = {"IMAG": 5, "EXPE": 5, "QUAL": 5, "VAL": 4, "SAT": 4, "LOY": 1}
STRUCTURAL = {
    "qual_first": ["QUAL ~ EXPE", "VAL ~ IMAG + EXPE", "SAT ~ QUAL + VAL + IMAG", "LOY ~ SAT"],
    "val_first": ["VAL ~ IMAG + EXPE", "QUAL ~ EXPE", "SAT ~ QUAL + VAL + IMAG", "LOY ~ SAT"],
}
MEASUREMENT = {"forward": list(BLOCKS), "reverse": list(BLOCKS)[::-1],
               "shuffled": ["SAT", "IMAG", "LOY", "QUAL", "EXPE", "VAL"]}
DATA = sm.datasets.load("ecsi_satisfaction").drop(columns="gender")


def _text(structural: str, order, items_reversed: bool = False) -> str:
    lines = []
    for c in order:
        items = [f"{c}{k}" for k in range(1, BLOCKS[c] + 1)]
        lines.append(f"{c} =~ " + " + ".join(items[::-1] if items_reversed else items))
    return "\n".join(lines + STRUCTURAL[structural])


def _fit(text: str, consistent: bool):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.SatModelWarning)
        return sm.fit_pls(sm.ModelSpec.from_lavaan(text), DATA, consistent=consistent,
                          tol=1e-12, max_iter=1000)


@pytest.fixture(scope="module")
def oracle():
    return read_oracle(CASE, "criteria.csv", keep_default_na=False, na_values=["NA"])


CASES = list(itertools.product(STRUCTURAL, MEASUREMENT, (False, True)))


@pytest.mark.parametrize("structural,measurement,consistent", CASES)
def test_against_csem(oracle, structural, measurement, consistent):
    res = _fit(_text(structural, MEASUREMENT[measurement]), consistent)
    sel = oracle[(oracle.structural == structural) & (oracle.measurement == measurement)
                 & (oracle.consistent == consistent)]
    want = {q: g.set_index("construct")["value"] for q, g in sel.groupby("quantity")}
    ic = res.information_criteria.set_index("construct")
    for quantity, column in (("GM", "gm"), ("Mallows_Cp", "mallows_cp")):
        for construct, value in want[quantity].items():
            got = float(ic.loc[construct, column])
            assert got == pytest.approx(value, rel=RTOL), f"{quantity} {construct}"
    fit = res.fit.set_index(["model", "measure"])["value"]
    assert float(fit[("estimated", "df")]) == want["Df"].item() == 244
    assert res.gof == pytest.approx(want["GoF_multi_item"].item(), rel=RTOL)
    assert float(res.table("gof")["value"].iloc[0]) == res.gof
    all_items = float(gof_value(res.estimate, res.layout, single_items=True))
    assert all_items == pytest.approx(want["GoF_all_items"].item(), rel=RTOL)


@pytest.mark.parametrize("structural", STRUCTURAL)
def test_structural_order_is_csems(oracle, structural):
    want = oracle[(oracle.structural == structural) & (oracle.quantity == "order")]
    for measurement, order in zip(want.measurement, want.construct):
        spec = sm.ModelSpec.from_lavaan(_text(structural, MEASUREMENT[measurement]))
        paths = [(p.source, p.target) for p in spec.paths]
        assert structural_order(spec.construct_names, paths) == order.split()
        lay = layout_of(spec)
        assert [spec.construct_names[i] for i in lay.order] == order.split()


@pytest.mark.parametrize("consistent", [False, True])
def test_invariant_to_measurement_and_item_order(consistent):
    """Every permutation class of the construct list (and reversed item lists) gives the
    same GM and Mallows' Cp: the saturated model ignores the measurement statements."""
    rng = np.random.default_rng(11)
    base = _fit(_text("qual_first", list(BLOCKS)), consistent).information_criteria
    base = base.set_index("construct").sort_index()
    for k in range(4):
        order = list(rng.permutation(list(BLOCKS)))
        res = _fit(_text("qual_first", order, items_reversed=bool(k % 2)), consistent)
        got = res.information_criteria.set_index("construct").sort_index()
        for column in ("gm", "mallows_cp", "aic", "bic"):
            np.testing.assert_allclose(got[column].astype(float), base[column].astype(float),
                                       rtol=1e-10, err_msg=f"{column} with constructs {order}")


def test_json_spec_with_constructs_reordered_matches_lavaan():
    spec = sm.ModelSpec.from_lavaan(_text("qual_first", list(BLOCKS)))
    shuffled = spec.model_copy(update={"constructs": spec.constructs[::-1]})
    again = sm.ModelSpec.model_validate_json(shuffled.model_dump_json())
    a = sm.fit_pls(spec, DATA, tol=1e-12, max_iter=1000).information_criteria
    b = sm.fit_pls(again, DATA, tol=1e-12, max_iter=1000).information_criteria
    a, b = a.set_index("construct").sort_index(), b.set_index("construct").sort_index()
    np.testing.assert_allclose(b["gm"].astype(float), a["gm"].astype(float), rtol=1e-10)


def test_single_item_df_counts_declared_type():
    """A single item declared ``=~`` counts one loading (cSEM); declared ``<~`` none."""
    reflective = sm.ModelSpec.from_lavaan(_text("qual_first", list(BLOCKS)))
    composite = sm.ModelSpec.from_lavaan(_text("qual_first", list(BLOCKS)).replace(
        "LOY =~ LOY1", "LOY <~ LOY1"))
    df = [float(sm.fit_pls(s, DATA).fit.set_index(["model", "measure"])["value"]
                [("estimated", "df")]) for s in (reflective, composite)]
    p = sum(BLOCKS.values())
    # p(p-1)/2 - (1 exogenous correlation + 7 paths) - (23 loadings + LOY's 1 or 0)
    assert df == [p * (p - 1) / 2 - 8 - 24, p * (p - 1) / 2 - 8 - 23]


def test_gof_single_item_only_model_is_nan():
    spec = sm.ModelSpec.from_lavaan("A =~ IMAG1\nB =~ SAT1\nB ~ A")
    res = sm.fit_pls(spec, DATA)
    assert np.isnan(gof_value(res.estimate, res.layout))
    r = float(res.estimate.construct_corr[0, 1])
    assert float(gof_value(res.estimate, res.layout, single_items=True)) == pytest.approx(abs(r))
