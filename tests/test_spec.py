"""Tests of satmodel.spec (schemas, validation) and satmodel.lavaan (text in/out)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _oracles import ECSI_SATISFACTION as ECSI
from satmodel.errors import SatModelError, SpecError
from satmodel.spec import Construct, Indicator, ModelSpec, Path

def con(name, items, **kw):
    return {"name": name, "indicators": list(items), **kw}


def two(paths=(("A", "B"),), **kw):
    """A valid two-construct model as a plain dict; override with kw."""
    return {"constructs": [con("A", ["a1", "a2"]), con("B", ["b1"])], "paths": [list(p) for p in paths], **kw}


ROUTES = {
    "init": lambda d: ModelSpec(**d),
    "validate": lambda d: ModelSpec.model_validate(d),
    "json": lambda d: ModelSpec.model_validate_json(json.dumps(d)),
}


def spec_error(route, data) -> str:
    with pytest.raises(SpecError) as info:
        ROUTES[route](data)
    msg = str(info.value)
    assert "pydantic" not in msg and "validation error" not in msg.lower()
    return msg


# --------------------------------------------------------------------------- ECSI queries


@pytest.fixture(scope="module")
def ecsi() -> ModelSpec:
    return ModelSpec.from_lavaan(ECSI, name="ecsi")


def test_ecsi_structure(ecsi):
    assert ecsi.name == "ecsi"
    assert ecsi.construct_names == ("IMAG", "EXPE", "QUAL", "VAL", "SAT", "LOY")
    assert ecsi.exogenous == ("IMAG",)
    assert ecsi.endogenous == ("EXPE", "QUAL", "VAL", "SAT", "LOY")
    assert ecsi.predecessors("IMAG") == ()
    assert ecsi.predecessors("EXPE") == ("IMAG",)
    assert ecsi.predecessors("VAL") == ("EXPE", "QUAL")
    assert ecsi.predecessors("SAT") == ("IMAG", "EXPE", "QUAL", "VAL")
    assert ecsi.predecessors("LOY") == ("IMAG", "SAT")
    assert ecsi.successors("IMAG") == ("EXPE", "SAT", "LOY")
    assert ecsi.blocks["VAL"] == ("VAL1", "VAL2", "VAL3", "VAL4")
    assert list(ecsi.blocks) == list(ecsi.construct_names)
    assert ecsi.indicator_names[:6] == ("IMAG1", "IMAG2", "IMAG3", "IMAG4", "IMAG5", "EXPE1")
    assert len(ecsi.indicator_names) == 27
    assert [(p.source, p.target) for p in ecsi.paths] == [
        ("IMAG", "EXPE"), ("EXPE", "QUAL"), ("EXPE", "VAL"), ("QUAL", "VAL"),
        ("IMAG", "SAT"), ("EXPE", "SAT"), ("QUAL", "SAT"), ("VAL", "SAT"),
        ("IMAG", "LOY"), ("SAT", "LOY"),
    ]
    assert all(c.mode == "A" and c.common_factor for c in ecsi.constructs)
    assert ecsi.construct("SAT").indicator_names == ("SAT1", "SAT2", "SAT3", "SAT4")


def test_unknown_construct_lookup_suggests(ecsi):
    for call in (ecsi.construct, ecsi.predecessors, ecsi.successors):
        with pytest.raises(SpecError, match=r"'SATT'.*Did you mean 'SAT'"):
            call("SATT")
    with pytest.raises(SpecError, match=r"'SAT1' is an indicator of construct 'SAT'"):
        ecsi.construct("SAT1")


def test_predecessors_follow_construct_order_not_path_order():
    spec = ModelSpec.from_lavaan("A =~ a\nB =~ b\nC =~ c\nC ~ B + A")
    assert spec.predecessors("C") == ("A", "B")
    assert [(p.source, p.target) for p in spec.paths] == [("B", "C"), ("A", "C")]


def test_order_is_spec_order_never_sorted():
    spec = ModelSpec(
        constructs=[con("Z", ["z2", "z1"]), con("A", ["a9", "a1"]), con("M", ["m"])],
        paths=[("Z", "M"), ("A", "M")],
    )
    assert spec.construct_names == ("Z", "A", "M")
    assert list(spec.blocks) == ["Z", "A", "M"]
    assert spec.indicator_names == ("z2", "z1", "a9", "a1", "m")
    assert spec.predecessors("M") == ("Z", "A")
    assert spec.exogenous == ("Z", "A")
    text = spec.to_lavaan()
    assert text.index("Z =~") < text.index("A =~") < text.index("M =~")
    assert ModelSpec.from_lavaan("Z =~ z\nA =~ a\nM =~ m\nM ~ Z + A").construct_names == ("Z", "A", "M")


def test_single_construct_model_is_valid():
    spec = ModelSpec(constructs=[con("SAT", ["s1", "s2"])])
    assert spec.exogenous == ("SAT",) and spec.endogenous == () and spec.paths == ()


# --------------------------------------------------------------------------- schemas


def test_indicator_string_coercion():
    c = Construct(name="A", indicators=["x1", Indicator(name="x2"), {"name": "x3", "label": "L"}])
    assert c.indicators == (Indicator(name="x1"), Indicator(name="x2"), Indicator(name="x3", label="L"))
    assert c.indicator_names == ("x1", "x2", "x3")
    assert Construct(name="A", indicators="x1").indicators == (Indicator(name="x1"),)
    spec = ModelSpec.model_validate({"constructs": [{"name": "A", "indicators": ["x1"]}]})
    assert spec.constructs[0].indicators[0] == Indicator(name="x1")


@pytest.mark.parametrize(
    ("mode", "common"), [("A", True), ("B", False), ("unit", False), ("a", True), ("UNIT", False)]
)
def test_common_factor_default(mode, common):
    c = Construct(name="A", indicators=["x"], mode=mode)
    assert c.common_factor is common
    assert c.mode == {"a": "A", "UNIT": "unit"}.get(mode, mode)


def test_mode_a_composite_allowed():
    assert not Construct(name="A", indicators=["x"], mode="A", common_factor=False).common_factor


@pytest.mark.parametrize("mode", ["B", "unit"])
def test_composite_mode_cannot_be_common_factor(mode):
    with pytest.raises(SpecError, match=r"'IMAG'.*common_factor=False"):
        Construct(name="IMAG", indicators=["x"], mode=mode, common_factor=True)


def test_paths_accept_pairs_and_arrows():
    spec = ModelSpec(**two(paths=[("A", "B", "+")]))
    assert spec.paths == (Path(source="A", target="B", expected_sign="+"),)
    assert ModelSpec(**{**two(), "paths": ["A -> B"]}).paths == (Path(source="A", target="B"),)


def test_frozen():
    spec = ModelSpec(**two())
    for obj, attr in [(spec, "name"), (spec.constructs[0], "mode"), (spec.paths[0], "source"),
                      (spec.constructs[0].indicators[0], "label")]:
        with pytest.raises((SpecError, TypeError, ValueError)):
            setattr(obj, attr, "x")
    assert spec.name == "model"
    assert isinstance(spec.constructs, tuple) and isinstance(spec.paths, tuple)
    hash(spec)  # frozen models are hashable


def test_model_copy_revalidates():
    spec = ModelSpec(**two())
    assert spec.model_copy(update={"name": "m2"}).name == "m2"
    with pytest.raises(SpecError, match="cycle"):
        spec.model_copy(update={"paths": [("A", "B"), ("B", "A")]})


@pytest.mark.parametrize(
    ("kw", "culprit"),
    [
        ({"scale_min": 1}, "both scale_min and scale_max"),
        ({"scale_max": 10}, "both scale_min and scale_max"),
        ({"scale_min": 10, "scale_max": 1}, "below"),
        ({"scale_min": 5, "scale_max": 5}, "below"),
        ({"scale_min": 1, "scale_max": float("inf")}, "finite"),
    ],
)
def test_indicator_scale_errors(kw, culprit):
    with pytest.raises(SpecError, match=culprit) as info:
        Indicator(name="SAT1", **kw)
    assert "'SAT1'" in str(info.value)


def test_indicator_scale_ok():
    ind = Indicator(name="SAT1", scale_min=1, scale_max=10)
    assert (ind.scale_min, ind.scale_max) == (1.0, 10.0)


@pytest.mark.parametrize("bad", ["", "SAT 1", " SAT1", "SAT1\t", "a+b", "a~b", "x#1", "a;b", "x*2", "f(x)"])
def test_bad_names(bad):
    for build in (lambda: Indicator(name=bad), lambda: Construct(name=bad, indicators=["x"]),
                  lambda: Path(source=bad, target="B")):
        with pytest.raises(SpecError) as info:
            build()
        assert (repr(bad) in str(info.value)) if bad else ("empty" in str(info.value))


def test_wrong_types_and_unknown_fields_are_spec_errors():
    with pytest.raises(SpecError, match=r"invalid Indicator: name"):
        Indicator(name=3)
    with pytest.raises(SpecError, match=r"unknown field 'indicator'.*Did you mean 'indicators'"):
        Construct(name="A", indicator=["x"], indicators=["x"])
    with pytest.raises(SpecError, match=r"constructs\[0\] \('A'\)\.mode"):
        ModelSpec(constructs=[con("A", ["x"], mode="C")])
    with pytest.raises(SpecError, match=r"Invalid JSON"):
        ModelSpec.model_validate_json("{not json")
    with pytest.raises(SpecError):
        ModelSpec.model_validate(5)
    with pytest.raises(SpecError, match="expected_sign"):
        Path(source="A", target="B", expected_sign="positive")


def test_spec_error_is_satmodel_and_value_error():
    with pytest.raises(SatModelError):
        ModelSpec(constructs=[])
    with pytest.raises(ValueError):
        ModelSpec(constructs=[])


# --------------------------------------------------------------------------- validation via every route


@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize(
    ("data", "needles"),
    [
        ({"constructs": []}, ["no constructs"]),
        ({"constructs": [con("A", ["a"]), con("A", ["b"])], "paths": []}, ["'A'", "twice"]),
        ({"constructs": [con("A", ["a", "a"]), con("B", ["b"])], "paths": [["A", "B"]]}, ["'A'", "'a'", "twice"]),
        ({"constructs": [con("A", ["a", "x"]), con("B", ["x"])], "paths": [["A", "B"]]}, ["'x'", "'A'", "'B'"]),
        (two(paths=[("A", "BB")]), ["'BB'", "Did you mean 'B'"]),
        (two(paths=[("Ax", "B")]), ["'Ax'", "Did you mean 'A'"]),
        (two(paths=[("a1", "B")]), ["'a1'", "indicator of construct 'A'"]),
        (two(paths=[("A", "A")]), ["A -> A", "self-loop"]),
        (two(paths=[("A", "B"), ("A", "B")]), ["A -> B", "twice"]),
        (two(paths=[("A", "B"), ("B", "A")]), ["cycle", "A -> B -> A"]),
        ({"constructs": [con("A", []), con("B", ["b"])], "paths": [["A", "B"]]}, ["'A'", "no indicators"]),
        ({"constructs": [con("A", ["a"]), con("B", ["b"]), con("Q", ["q"])], "paths": [["A", "B"]]},
         ["'Q'", "no path"]),
        ({"constructs": [con("A", ["a"]), con("B", ["b", "A"])], "paths": [["A", "B"]]}, ["'A'", "'B'"]),
        ({"constructs": [con("A B", ["a"])]}, ["'A B'", "whitespace"]),
        ({"constructs": [con("A", ["a 1"])]}, ["'a 1'", "whitespace"]),
        ({"constructs": [con("", ["a"])]}, ["construct name is empty", "constructs[0]"]),
        ({"constructs": [con("A", ["a", ""])]}, ["indicator name is empty", "constructs[0] ('A').indicators[1]"]),
        ({"constructs": [con("A", ["a"], mode="unit", common_factor=True)]}, ["'A'", "common factor"]),
        ({"constructs": [con("A", ["a"])], "name": " "}, ["model name"]),
        ({"constructs": [{"name": "A", "indicators": [{"name": "a", "scale_min": 3}]}]}, ["'a'", "scale_max"]),
    ],
)
def test_validation_errors(route, data, needles):
    msg = spec_error(route, data)
    for needle in needles:
        assert needle in msg, (needle, msg)


def test_cycle_names_constructs_in_order():
    data = {
        "constructs": [con(n, [n.lower()]) for n in ("X", "C", "B", "A")],
        "paths": [["X", "A"], ["A", "B"], ["B", "C"], ["C", "A"]],
    }
    assert "A -> B -> C -> A" in spec_error("init", data)


# --------------------------------------------------------------------------- lavaan


def test_lavaan_syntax_features():
    text = """
    # a full-line comment
    A =~ a1 +      # trailing comment after a dangling '+'
         a2
         + a3 ! lavaan's other comment mark

    B <~ b1 + b2; C =~
       c1
    B ~ A; C ~ A +
      B
    """
    spec = ModelSpec.from_lavaan(text)
    assert spec.blocks == {"A": ("a1", "a2", "a3"), "B": ("b1", "b2"), "C": ("c1",)}
    assert (spec.construct("A").mode, spec.construct("A").common_factor) == ("A", True)
    assert (spec.construct("B").mode, spec.construct("B").common_factor) == ("B", False)
    assert [(p.source, p.target) for p in spec.paths] == [("A", "B"), ("A", "C"), ("B", "C")]


def test_lavaan_regression_before_measurement():
    spec = ModelSpec.from_lavaan("B ~ A\nB =~ b\nA =~ a")
    assert spec.construct_names == ("B", "A") and spec.predecessors("B") == ("A",)


def test_lavaan_directives():
    spec = ModelSpec.from_lavaan(
        "A <~ a1 + a2  # satmodel: A mode=unit\nB =~ b1 # satmodel: B composite\nC =~ c\n"
        "# satmodel: C mode=B\nB ~ A\nC ~ B"
    )
    assert [(c.mode, c.common_factor) for c in spec.constructs] == [("unit", False), ("A", False), ("B", False)]


def test_to_lavaan_text():
    spec = ModelSpec(
        constructs=[con("IMAG", ["i1", "i2"], mode="unit"), con("VAL", ["v1"], common_factor=False),
                    con("EXPE", ["e1"], mode="B"), con("SAT", ["s1", "s2"])],
        paths=[("IMAG", "SAT"), ("VAL", "SAT"), ("EXPE", "SAT"), ("IMAG", "VAL")],
    )
    assert spec.to_lavaan() == (
        "IMAG <~ i1 + i2  # satmodel: IMAG mode=unit\n"
        "VAL  =~ v1  # satmodel: VAL composite\n"
        "EXPE <~ e1\n"
        "SAT  =~ s1 + s2\n"
        "\n"
        "SAT  ~ IMAG + VAL + EXPE\n"
        "VAL  ~ IMAG\n"
    )
    assert ModelSpec.from_lavaan(spec.to_lavaan()) == spec


def test_ecsi_lavaan_round_trip(ecsi):
    assert ModelSpec.from_lavaan(ecsi.to_lavaan(), name="ecsi") == ecsi
    assert ecsi.to_lavaan().count("~") == 6 + 5  # one regression line per target


LAVAAN_ERRORS = [
    ("A =~ a1\nB =~ b1\nA =~ a2\nB ~ A", ["line 3", "'A'", "lines 1 and 3"]),
    ("A =~ a1\nB =~ b1\nB ~ AA", ["line 3", "'AA'", "Did you mean 'A'"]),
    ("A =~ a1\nB =~ b1\n\nB ~ a1", ["line 4", "'a1'", "indicator"]),
    ("A =~ a1\nB =~ b1\nB ~ A\nB ~ 1", ["line 4", "intercept"]),
    ("A =~ a1\nB =~ b1\nB ~ A\na1 ~~ B", ["line 4", "indicator and a construct"]),
    ("A =~ a1\nB =~ b1\nB ~ A\nd := 2*x", ["line 4", "':='", "not supported"]),
    ("A =~ a1\nB =~ b1\nB ~ A\nA == B", ["line 4", "'=='", "not supported"]),
    ("A =~ a1\nB =~ b1\nB ~ A\nA > 0", ["line 4", "'>'", "not supported"]),
    ("A =~ a1\nB =~ b1\nB ~ A\nA ~*~ A", ["line 4", "'~*~'", "not supported"]),
    ("A =~ a1\nB <~ 0.5*b1\nB ~ A", ["line 2", "fixed weights"]),
    ("A =~ a1\nB =~ b1\nB ~ lab*A", ["line 3", "labelled parameters are not supported"]),
    ("A =~ a1 +\n\nB =~ b1\nB ~ A", ["line 1", "ends with '+'"]),
    ("A =~ a1 a2\nB =~ b1\nB ~ A", ["line 1", "'+'"]),
    ("A =~ a1\nB b =~ b1\nB ~ A", ["line 2", "one construct name"]),
    ("A =~ a1\nB =~\nB ~ A", ["line 2", "'=~'"]),
    ("A =~ a1\nB =~ b1\nB A", ["line 3", "expected '=~'"]),
    ("A =~ a1\nB =~ b1, b2\nB ~ A", ["line 2", "','"]),
    ("A =~ a1\nB =~ b1\nB ~ A\nA ~ B", ["line 4", "cycle", "A -> B -> A"]),
    ("A =~ a\nB =~ b\nC =~ c\nB ~ A\nC ~ B\nA ~ C", ["line 6", "A -> B -> C -> A"]),
    ("A =~ a1\nB =~ b1\nC =~ c1\nB ~ A", ["line 3", "'C'", "no regression"]),
    ("A =~ a1\nB =~ b1\nB ~ A\nB ~ A", ["line 4", "A -> B", "twice"]),
    ("A =~ a1 + a1\nB =~ b1\nB ~ A", ["line 1", "'a1'", "twice"]),
    ("A =~ a1\nB =~ b1 + a1\nB ~ A", ["line 2", "'a1'", "'A'", "'B'"]),
    ("A =~ a1\nB =~ b1\nB ~ B + A", ["line 3", "B ~ B"]),
    ("A =~ a1\nB =~ A\nA ~ B", ["'A'", "'B'"]),
    ("A =~ a1 # satmodel: AA composite\nB =~ b1\nB ~ A", ["line 1", "'AA'", "Did you mean 'A'"]),
    ("A =~ a1\nB =~ b1 # satmodel: B sideways\nB ~ A", ["line 2", "'sideways'"]),
    ("A =~ a1 # satmodel: A mode=B common_factor\nB =~ b1\nB ~ A", ["line 1", "'A'", "common factor"]),
    ("# nothing but a comment\n", ["no measurement statement"]),
    ("ecsi.lav", ["from_file"]),
]


@pytest.mark.parametrize(("text", "needles"), LAVAAN_ERRORS)
def test_lavaan_errors(text, needles):
    with pytest.raises(SpecError) as info:
        ModelSpec.from_lavaan(text)
    for needle in needles:
        assert needle in str(info.value), (needle, str(info.value))


def test_lavaan_rejects_non_text():
    with pytest.raises(SpecError, match="from_file"):
        ModelSpec.from_lavaan(b"A =~ a")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- files


def test_from_file(tmp_path, ecsi):
    (tmp_path / "m.json").write_text(ecsi.model_dump_json(), encoding="utf-8")
    assert ModelSpec.from_file(tmp_path / "m.json") == ecsi
    for suffix in (".lav", ".lavaan", ".txt"):
        (tmp_path / f"ecsi{suffix}").write_text(ECSI, encoding="utf-8")
        assert ModelSpec.from_file(str(tmp_path / f"ecsi{suffix}")) == ecsi
    (tmp_path / "m.yaml").write_text("x", encoding="utf-8")
    with pytest.raises(SpecError, match=r"'m.yaml'"):
        ModelSpec.from_file(tmp_path / "m.yaml")


# --------------------------------------------------------------------------- property tests

CONSTRUCT_NAMES = st.from_regex(r"[A-Z][A-Za-z0-9_]{0,5}", fullmatch=True)
INDICATOR_NAMES = st.from_regex(r"[a-z][a-z0-9_.\-]{0,5}", fullmatch=True)
# free text of any script, without the control codes a spec refuses (test_text_injection.py)
TEXT = st.none() | st.text(st.characters(blacklist_categories=("Cc", "Cs"),
                                         blacklist_characters="\u202a\u202b\u202c\u202d\u202e"
                                                              "\u2066\u2067\u2068\u2069"),
                           max_size=15)
MODES = st.sampled_from([("A", True), ("A", False), ("B", False), ("unit", False)])


@st.composite
def indicators(draw, name):
    scale = draw(st.none() | st.tuples(st.floats(-1e6, 1e6), st.floats(1e-3, 1e6)))
    lo, hi = (None, None) if scale is None else (scale[0], scale[0] + scale[1])
    return Indicator(name=name, label=draw(TEXT), wording=draw(TEXT), scale_min=lo, scale_max=hi)


@st.composite
def specs(draw):
    names = draw(st.lists(CONSTRUCT_NAMES, min_size=1, max_size=6, unique=True))
    n = len(names)
    items = draw(st.lists(INDICATOR_NAMES, min_size=n, max_size=4 * n, unique=True))
    cuts = sorted(draw(st.permutations(range(1, len(items))))[: n - 1])
    bounds = [0, *cuts, len(items)]
    constructs = []
    for k, name in enumerate(names):
        mode, common = draw(MODES)
        block = [draw(indicators(i)) for i in items[bounds[k]:bounds[k + 1]]]
        constructs.append(Construct(name=name, label=draw(TEXT), indicators=block, mode=mode, common_factor=common))
    # a random DAG: edges only go forward in a random topological order
    order = draw(st.permutations(names))
    pairs = [(order[i], order[j]) for i in range(n) for j in range(i + 1, n)]
    edges = draw(st.lists(st.sampled_from(pairs), unique=True)) if pairs else []
    for k, name in enumerate(order):  # no isolated construct
        if n > 1 and not any(name in e for e in edges):
            edges.append((order[k], order[k + 1]) if k + 1 < n else (order[k - 1], order[k]))
    edges = draw(st.permutations(edges))
    paths = [Path(source=s, target=t, expected_sign=draw(st.sampled_from([None, "+", "-"]))) for s, t in edges]
    return ModelSpec(
        name=draw(st.sampled_from(["model", "ecsi", "ACSI 2024"])),
        label=draw(TEXT), source=draw(TEXT), constructs=constructs, paths=paths,
    )


def strip(spec: ModelSpec) -> ModelSpec:
    """What lavaan text carries: names, modes, common factors, item scales, paths."""
    return ModelSpec(
        name=spec.name,
        constructs=[Construct(name=c.name, indicators=[
            {"name": i.name, "scale_min": i.scale_min, "scale_max": i.scale_max} for i in c.indicators],
            mode=c.mode, common_factor=c.common_factor) for c in spec.constructs],
        paths=[Path(source=p.source, target=p.target) for p in spec.paths],
    )


@settings(max_examples=150, deadline=None)
@given(specs())
def test_json_round_trip_is_exact(spec):
    text = spec.model_dump_json()
    assert ModelSpec.model_validate_json(text) == spec
    assert ModelSpec.model_validate(json.loads(text)) == spec
    assert ModelSpec.model_validate(spec.model_dump()) == spec


@settings(max_examples=150, deadline=None)
@given(specs())
def test_lavaan_round_trip(spec):
    assert ModelSpec.from_lavaan(spec.to_lavaan(), name=spec.name) == strip(spec)


@settings(max_examples=100, deadline=None)
@given(specs())
def test_orderings_follow_the_spec(spec):
    names = tuple(c.name for c in spec.constructs)
    assert spec.construct_names == names
    assert tuple(spec.blocks) == names
    assert spec.indicator_names == tuple(i.name for c in spec.constructs for i in c.indicators)
    assert set(spec.endogenous) | set(spec.exogenous) == set(names)
    assert spec.exogenous == tuple(n for n in names if not spec.predecessors(n))
    for name in names:
        preds = spec.predecessors(name)
        assert preds == tuple(n for n in names if any(p.source == n and p.target == name for p in spec.paths))
        assert (name in spec.endogenous) == bool(preds)


@settings(max_examples=100, deadline=None)
@given(specs(), st.data())
def test_back_edge_makes_a_cycle(spec, data):
    # any path reversed, added to the model, closes a cycle that the error names
    if not spec.paths:
        return
    path = data.draw(st.sampled_from(spec.paths))
    bad = spec.model_dump()
    bad["paths"] = [*bad["paths"], {"source": path.target, "target": path.source}]
    with pytest.raises(SpecError, match="cycle") as info:
        ModelSpec.model_validate(bad)
    assert f"{path.target} -> {path.source}" in str(info.value) or f"{path.source} -> {path.target}" in str(info.value)
