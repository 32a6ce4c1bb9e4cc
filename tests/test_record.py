"""The PLS result JSON record against hostile input: every malformed record raises a
SatModelError naming the field at fault (never a numpy, pandas or Python error, never a
wrong result), and the published JSON Schema accepts what ``to_json`` writes."""

from __future__ import annotations

import copy
import json
import math
import warnings

import pytest

import satmodel as sm
from satmodel.results.record import pls_schema

SPEC = sm.templates.ecsi()
DF = sm.datasets.load("ecsi_satisfaction")
RES = sm.fit_pls(SPEC, DF)
BOOT = RES.bootstrap(n=10, seed=1, progress=False)
BASE = json.loads(BOOT.to_json(draws=True))
NAN, INF = math.nan, math.inf


def _set(path: str, value):
    """A mutation setting the item at a dotted path (list positions as integers)."""
    def mutate(r):
        *head, last = [int(p) if p.lstrip("-").isdigit() else p for p in path.split(".")]
        for p in head:
            r = r[p]
        r[last] = value
    return mutate


def _drop(path: str):
    def mutate(r):
        *head, last = [int(p) if p.lstrip("-").isdigit() else p for p in path.split(".")]
        for p in head:
            r = r[p]
        r.pop(last)
    return mutate


def _then(*mutations):
    def mutate(r):
        for m in mutations:
            m(r)
    return mutate


PATH_OF = {name: k for k, name in enumerate(BASE["indicator_corr"]["rows"])}
SAT1 = PATH_OF["SAT1"]

#: id -> (mutation of a valid record, regex the message must match: the field at fault)
HOSTILE = {
    # wrong shapes
    "corr-missing-row": (_drop("indicator_corr.values.-1"), r"indicator_corr.*27 x 27"),
    "corr-ragged": (_drop(f"indicator_corr.values.{SAT1}.0"), r"indicator_corr"),
    "corr-label-unknown": (_set("indicator_corr.rows.0", "ZZZ"), r"indicator_corr"),
    "corr-label-twice": (_set("indicator_corr.rows.1", "IMAG1"), r"indicator_corr"),
    "paths-shape": (_drop("estimate.paths.values.0"), r"estimate\.paths"),
    "weights-extra-item": (_set("estimate.weights.ZZZ", 0.1), r"estimate\.weights"),
    "weights-missing-item": (_drop("estimate.weights.SAT1"), r"estimate\.weights"),
    "draws-short": (_drop("inference.draws.paths.estimate.0"), r"draws\['paths'\]"),
    "original-short": (_drop("inference.original.paths.estimate.0"), r"\['paths'\]"),
    # numbers the record checks against each other
    "r2-7.5": (_set("estimate.r2.SAT", 7.5), r"estimate\.r2.*SAT"),
    "corr-above-1": (_then(_set("indicator_corr.values.0.1", 3.0),
                           _set("indicator_corr.values.1.0", 3.0)), r"indicator_corr"),
    "corr-asymmetric": (_set("indicator_corr.values.0.1", 0.0), r"indicator_corr"),
    # 5e-6 relative: inside numpy's default rtol, so only an absolute check refuses it
    "corr-asymmetric-5e-6": (_set("indicator_corr.values.0.1",
                                  BASE["indicator_corr"]["values"][0][1] * (1 + 5e-6)),
                             r"indicator_corr"),
    "std-zero": (_set("indicator_std.SAT1", 0.0), r"indicator_std"),
    "n_valid-above-n": (_set("inference.n_valid", 1000), r"n_valid"),
    # out of range
    "n_obs--5": (_set("n_obs", -5), r"n_obs"),
    "n_obs-2": (_set("n_obs", 2), r"n_obs"),
    "n_iter--1": (_set("estimate.n_iter", -1), r"estimate\.n_iter"),
    "level-2": (_set("inference.level", 2), r"inference\.level"),
    "dropped--1": (_set("inference.dropped", {"singular": -1}), r"dropped"),
    "diag-count--1": (_set("diagnostics", [{"code": "x", "message": "m", "count": -1}]),
                      r"diagnostics\.0\.count"),
    "version-long": (_set("satmodel_version", "9" * 1000), r"satmodel_version"),
    # NaN and Infinity (written by json.dumps as the non-JSON tokens NaN / Infinity)
    "mean-nan": (_set("indicator_mean.SAT1", NAN), r"indicator_mean"),
    "weights-inf": (_set("estimate.weights.SAT1", INF), r"estimate\.weights"),
    "corr-nan": (_set("indicator_corr.values.0.1", NAN), r"indicator_corr"),
    "cross-loadings--inf": (_set("estimate.cross_loadings.values.0.0", -INF),
                            r"estimate\.cross_loadings"),
    "paths-nan": (_set("estimate.paths.values.0.1", NAN), r"estimate\.paths"),
    "level-nan": (_set("inference.level", NAN), r"inference\.level"),
    "original-nan": pytest.param(
        _set("inference.original.paths.estimate.0", NAN), r"inference.*original"),
    "summary-nan": pytest.param(
        _set("inference.summaries.paths.estimate.se.0", NAN), r"inference.*summaries"),
    "draws-inf": pytest.param(
        _set("inference.draws.paths.estimate.0.0", INF), r"inference.*draws"),
    # wrong types
    "spec-text": (_set("spec", "EXPE =~ EXPE1"), r"\bspec\b"),
    "weights-list": (_set("estimate.weights", [0.1, 0.2]), r"estimate\.weights"),
    "n_obs-fraction": (_set("n_obs", 250.5), r"n_obs"),
    "n_obs-text": pytest.param(_set("n_obs", "250"), r"n_obs"),
    "max_iter-text": (_set("options.max_iter", "many"), r"options\.max_iter"),
    "max_iter-bool": (_set("options.max_iter", True), r"options\.max_iter"),
    "consistent-1": (_set("options.consistent", 1), r"options\.consistent"),
    "scheme-unknown": (_set("options.scheme", "nope"), r"options\.scheme"),
    "missing-unknown": (_set("survey_options.missing", "nope"), r"survey_options\.missing"),
    "converged-text": (_set("estimate.converged", "maybe"), r"estimate\.converged"),
    "diagnostics-dict": (_set("diagnostics", {"code": "x"}), r"diagnostics"),
    "severity-unknown": (_set("diagnostics", [{"code": "x", "message": "m",
                                               "severity": "fatal"}]), r"severity"),
    "method-unknown": (_set("inference.method", "nope"), r"inference\.method"),
    # huge integers
    "n_obs-huge": pytest.param(_set("n_obs", 10**400), r"n_obs"),
    "n_iter-huge": pytest.param(_set("estimate.n_iter", 10**400), r"n_iter"),
    # unknown and missing fields
    "unknown-top": (_set("bogus", 1), r"\bbogus\b"),
    "unknown-estimate": (_set("estimate.bogus", 1), r"estimate\.bogus"),
    "unknown-options": (_set("options.bogus", 1), r"options\.bogus"),
    "unknown-inference": (_set("inference.bogus", 1), r"inference\.bogus"),
    "unknown-spec": (_set("spec.bogus", 1), r"spec\.bogus"),
    "missing-estimate": (_drop("estimate"), r"\bestimate\b.*required"),
    "missing-n_obs": (_drop("n_obs"), r"n_obs.*required"),
    "missing-corr": (_drop("indicator_corr"), r"indicator_corr.*required"),
    "missing-paths": (_drop("estimate.paths"), r"estimate\.paths.*required"),
    "missing-level": (_drop("inference.level"), r"inference\.level.*required"),
    # a bad spec
    "spec-unknown-construct": (lambda r: r["spec"]["paths"].append(
        {"source": "NOPE", "target": "SAT"}), r"spec.*NOPE"),
    "spec-cycle": (lambda r: r["spec"]["paths"].append({"source": "LOY", "target": "IMAG"}),
                   r"spec.*cycle"),
    "spec-item-twice": (lambda r: r["spec"]["constructs"][1]["indicators"].append(
        r["spec"]["constructs"][0]["indicators"][0]), r"spec.*IMAG1"),
    # not this kind of record
    "format": (_set("format", "satmodel.CBSEMResult"), r"format"),
    "version": (_set("version", 99), r"version"),
}


def _cases():
    for key, case in HOSTILE.items():
        if hasattr(case, "marks"):  # a pytest.param with an xfail mark
            yield pytest.param(*case.values, id=key, marks=case.marks)
        else:
            yield pytest.param(*case, id=key)


@pytest.mark.parametrize(("mutate", "field"), list(_cases()))
def test_hostile_record_names_the_field(mutate, field):
    r = copy.deepcopy(BASE)
    mutate(r)
    text = json.dumps(r)  # NaN / Infinity become the non-JSON tokens
    with pytest.raises(sm.SatModelError, match=field):
        sm.PLSResult.from_json(text)


@pytest.mark.parametrize(("text", "match"), [
    ("[" * 100_000, r"JSON"),
    ('{"a": ' * 100_000, r"JSON"),
    ("[" * 900 + "]" * 900, r"JSON"),
    (json.dumps({**BASE, "spec": "@"}).replace('"@"', "[" * 900 + "]" * 900), r"\bspec\b"),
    ("", r"JSON"), ("null", r"JSON"), ("NaN", r"JSON"), ("[1, 2]", r"JSON"),
    ("{'format': 1}", r"JSON"), (b"\xff\xfe\x00", r"JSON"),
    (None, r"JSON string"), (5, r"JSON string"), (BASE, r"JSON string"),
])
def test_malformed_text_is_refused(text, match):
    with pytest.raises(sm.SatModelError, match=match):
        sm.PLSResult.from_json(text)


def test_oversized_text_is_refused_before_parsing():
    from satmodel.results import record

    with pytest.raises(sm.SatModelError, match="limit"):
        sm.PLSResult.from_json(" " * (record.MAX_BYTES + 1))


def test_valid_record_still_reads_and_input_is_untouched():
    text = json.dumps(BASE)
    back = sm.PLSResult.from_json(text)
    assert json.dumps(BASE) == text
    assert back.paths[["source", "target"]].equals(RES.paths[["source", "target"]])


# ---------------------------------------------------------------------------- JSON Schema
def _outputs():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.SatModelWarning)
        plsc = sm.fit_pls(SPEC, DF, consistent=True)
        return {
            "pls": RES.to_json(),
            "pls-boot": BOOT.to_json(),
            "pls-boot-draws": BOOT.to_json(draws=True),
            "plsc-boot-all": plsc.bootstrap(n=10, seed=1, progress=False, tables="all").to_json(),
            "moments": sm.fit_pls_moments(SPEC, RES.indicator_corr, n_obs=250).to_json(),
            "diagnostics": sm.fit_pls(SPEC, DF, max_iter=2).to_json(),
        }


@pytest.fixture(scope="module")
def validator():
    jsonschema = pytest.importorskip("jsonschema")
    schema = pls_schema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def test_schema_accepts_every_to_json_output(validator):
    for key, text in _outputs().items():
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(
            json.loads(text))]
        assert not errors, (key, errors[:5])


@pytest.mark.parametrize("key", ["n_obs--5", "unknown-top", "missing-estimate", "scheme-unknown",
                                 "weights-list", "severity-unknown", "level-2"])
def test_schema_refuses_what_from_json_refuses(validator, key):
    r = copy.deepcopy(BASE)
    HOSTILE[key][0](r)
    assert list(validator.iter_errors(r)), key
