"""CB-SEM takes every name PLS takes (issue 11, part 7), and semopy's failures are translated.

semopy's parser reads only plain identifiers; satmodel gives it safe ones and maps
everything back. The checks are invariances: the same model and data under plain names
give the same estimates (semopy sees identical input), and every table, message and
diagnostic shows the user's names.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import satmodel as sm
from satmodel.cbsem.engine import exact_sample, run_semopy
from satmodel.cbsem.translate import semopy_description, semopy_names
from tests._oracles import quiet

ODD = """Qualität-1 =~ A-1 + a/2 + a$3
Sat/2$ =~ b^1 + b[2] + b{3}
9Loy =~ c@1 + c&2 + c\\3
Val? =~ 1st + ü_é
Sat/2$ ~ Qualität-1 + Val?
9Loy ~ Sat/2$
a/2 ~~ b[2]
"""
PLAIN = """Q =~ q1 + q2 + q3
S =~ s1 + s2 + s3
L =~ l1 + l2 + l3
V =~ v1 + v2
S ~ Q + V
L ~ S
q2 ~~ s2
"""


@pytest.fixture(scope="module")
def fits():
    odd, plain = sm.ModelSpec.from_lavaan(ODD, name="odd"), sm.ModelSpec.from_lavaan(PLAIN, name="odd")
    lam = np.zeros((11, 4))
    for k, (j, v) in enumerate([(0, .8), (0, .7), (0, .75), (1, .85), (1, .8), (1, .7),
                                (2, .8), (2, .75), (2, .7), (3, .85), (3, .75)]):
        lam[k, j] = v
    phi = np.array([[1, .55, .42, .5], [.55, 1, .6, .55], [.42, .6, 1, .33], [.5, .55, .33, 1]])
    R = lam @ phi @ lam.T + np.diag(1 - (lam**2).sum(axis=1))
    R[1, 4] = R[4, 1] = R[1, 4] + 0.05
    X = exact_sample(R * 4.0, 300, mean=np.full(11, 4.0))
    out = {}
    for spec in (odd, plain):
        out[spec is odd] = (spec, quiet(sm.fit_cbsem, spec, pd.DataFrame(X, columns=list(spec.indicator_names))))
    return out[True], out[False]


def test_odd_names_fit_with_the_estimates_of_plain_names(fits):
    (_, cb), (_, ref) = fits
    assert cb.converged
    for name in ("paths", "outer", "effects", "quality", "parameters"):
        a, b = cb.table(name), ref.table(name)
        assert a.shape == b.shape, name
        num_a, num_b = a.select_dtypes("number"), b.select_dtypes("number")
        np.testing.assert_allclose(num_a.to_numpy(float), num_b.to_numpy(float), rtol=0, atol=1e-10,
                                   err_msg=name)
    np.testing.assert_allclose(cb.fit_indices.to_numpy(float), ref.fit_indices.to_numpy(float),
                               rtol=1e-12, atol=1e-10)
    np.testing.assert_allclose(cb.r2.to_numpy(float), ref.r2.to_numpy(float), atol=1e-10)


def test_tables_show_the_spec_names(fits):
    (odd, cb), _ = fits
    cons, items = set(odd.construct_names), set(odd.indicator_names)
    assert cb.paths[["source", "target"]].values.tolist() == [
        ["Qualität-1", "Sat/2$"], ["Val?", "Sat/2$"], ["Sat/2$", "9Loy"]]
    assert cb.outer["indicator"].tolist() == list(odd.indicator_names)
    assert set(cb.outer["construct"]) == cons
    par = cb.parameters
    assert set(par["lhs"]) | set(par["rhs"]) <= cons | items
    assert ((par["lhs"] == "a/2") & (par["op"] == "~~") & (par["rhs"] == "b[2]")).sum() == 1
    assert list(cb.scores.columns) == list(odd.construct_names)
    assert list(cb.r2.index) == ["Sat/2$", "9Loy"]
    assert "Qualität-1" in cb.summary() and "x0000" not in cb.summary()
    back = sm.CBSEMResult.from_json(cb.to_json())
    assert back.paths.equals(cb.paths) and back.parameters.equals(cb.parameters)


def test_semopy_sees_safe_identifiers_only():
    spec = sm.ModelSpec.from_lavaan(ODD)
    names = semopy_names(spec)
    desc = semopy_description(spec, names.to_semopy)
    assert desc.splitlines()[0] == "f0000 =~ x0000 + x0001 + x0002"
    assert all(ch.isascii() and (ch.isalnum() or ch in " =~+*.\n") for ch in desc)
    assert names.restore("x0001 ~~ x0004; f0003 =~ x0010") == "a/2 ~~ b[2]; Val? =~ ü_é"
    assert names.restore("x00011 fx0001") == "x00011 fx0001"  # only whole identifiers
    big = sm.ModelSpec.from_lavaan("F =~ 1e20*a + b + c")  # '1e+20' would split at '+'
    assert "1e20*x0000" in semopy_description(big, semopy_names(big).to_semopy)


def test_diagnostics_name_the_spec_names():
    spec = sm.ModelSpec.from_lavaan("F-1 =~ a/1 + b$2 + 3c")
    R = [[1, 0.8, 0.8], [0.8, 1, 0.5], [0.8, 0.5, 1]]  # Heywood on the first item
    data = pd.DataFrame(exact_sample(np.array(R), 200), columns=["a/1", "b$2", "3c"])
    with pytest.warns(sm.HeywoodWarning, match=r"item 'a/1' of construct 'F-1'"):
        cb = sm.fit_cbsem(spec, data)
    assert [d.code for d in cb.diagnostics] == ["heywood"]
    assert "a/1" in cb.diagnostics[0].names


def test_refusals_name_the_spec_names():
    spec = sm.ModelSpec.from_lavaan("A-1 =~ a/1 + a$2\nB{x} =~ b@1 + b&2 + b\\3\nB{x} ~ 0*A-1")
    data = pd.DataFrame(exact_sample(np.eye(5) + 0.2, 200), columns=list(spec.indicator_names))
    with pytest.raises(sm.SpecError, match=r"not identified.*A-1 =~ a\$2.*'A-1' have two items"):
        sm.fit_cbsem(spec, data)


@pytest.mark.parametrize("error, kind", [
    (np.linalg.LinAlgError("Singular matrix"), sm.EstimationError),
    (KeyError("x0001"), sm.EstimationError),
    (ValueError("array must not contain infs or NaNs"), sm.EstimationError),
    (ZeroDivisionError("float division by zero"), sm.EstimationError),
    (SyntaxError("Invalind syntax for line: x0001"), sm.SpecError),
])
def test_exceptions_inside_semopy_become_satmodel_errors(monkeypatch, error, kind):
    import semopy

    def broken(self, *args, **kwargs):
        raise error

    monkeypatch.setattr(semopy.Model, "load", broken)  # every fit loads; ML no longer calls fit
    spec = sm.ModelSpec.from_lavaan("F =~ a + a/2 + c", name="broken")
    X = exact_sample(np.eye(3) + 0.4, 100)
    with pytest.raises(kind, match=rf"model 'broken' \({type(error).__name__}: .*\)\. ") as info:
        run_semopy(spec, X)
    assert "x0001" not in str(info.value)
    if isinstance(error, (KeyError, SyntaxError)):
        assert "a/2" in str(info.value)
    assert isinstance(info.value.__cause__, type(error))


def test_bootstrap_with_odd_names(fits):
    (_, cb), _ = fits
    boot = cb.bootstrap(n=3, seed=1, progress=False)
    assert boot.inference.n_valid == 3
    assert boot.paths["source"].tolist() == ["Qualität-1", "Val?", "Sat/2$"]
