"""Command line: ``satmodel fit ...``, ``satmodel report ...`` (also ``python -m satmodel``).

Examples
--------
satmodel fit --template ecsi --dataset ecsi_satisfaction
satmodel fit --spec model.lav --data survey.csv --scheme centroid --consistent --json
satmodel fit --spec model.lav --data survey.sav --na-values -99 --missing mean --bootstrap 500 --seed 1
satmodel fit --template ecsi --dataset ecsi_satisfaction --estimator cbsem --cb-estimator ULS
satmodel fit --spec model.lav --data survey.csv --scale SAT1=1..10 SAT2=1..10
satmodel report --template ecsi --dataset ecsi_satisfaction --bootstrap 500 --seed 1 --out r.html
satmodel report --template ecsi --dataset ecsi_satisfaction --bootstrap 500 --seed 1 --out r.xlsx
satmodel templates
satmodel datasets
"""

from __future__ import annotations

import argparse
import re
import sys
import warnings
from pathlib import Path
from typing import Any

from . import datasets, templates
from .cbsem.engine import OBJECTIVES
from .errors import OptionError, SatModelError
from .inference.intervals import METHODS
from .report import to_excel, to_html
from .results import fit_pls
from .results.cbsem_fit import fit_cbsem
from .results.record import package_version
from .results.summary import summary_text
from .spec import ModelSpec
from .survey.readers import read_table

OUTPUTS = {".html": "html", ".htm": "html", ".xlsx": "xlsx"}


def _model_args(p: argparse.ArgumentParser) -> None:
    spec = p.add_mutually_exclusive_group(required=True)
    spec.add_argument("--template", help=f"template name: {', '.join(templates.names())}")
    spec.add_argument("--spec", help="model file: lavaan-style text (.lav) or ModelSpec JSON (.json)")
    data = p.add_mutually_exclusive_group(required=True)
    data.add_argument("--dataset", help=f"shipped data set: {', '.join(datasets.names())}")
    data.add_argument("--data", help="survey file: .csv/.tsv/.txt (separator and decimal comma "
                      "detected), .parquet, .xlsx or .sav")
    p.add_argument("--encoding", help="text encoding of a CSV file (default: UTF-8, or as "
                   "its byte-order mark says), e.g. gbk, utf-16, latin-1")
    p.add_argument("--sep", help="column separator of a CSV file (default: detected)")
    p.add_argument("--decimal", choices=[".", ","], help="decimal mark (default: detected)")
    est = p.add_argument_group("estimator")
    est.add_argument("--estimator", default="pls", choices=["pls", "cbsem"],
                     help="PLS-PM/PLSc (default) or covariance-based SEM (semopy)")
    est.add_argument("--cb-estimator", type=str.upper, default=None, metavar="NAME",
                     help=f"CB-SEM objective: {', '.join(OBJECTIVES)} (default ML; full-"
                     "information ML for missing answers is --missing fiml)")
    est.add_argument("--scheme", default=None, choices=["path", "centroid", "factorial"],
                     help="PLS inner weighting scheme (default path)")
    est.add_argument("--consistent", action="store_true", help="consistent PLS (PLSc)")
    est.add_argument("--tol", type=float, default=None, help="PLS tolerance (default 1e-7)")
    est.add_argument("--max-iter", type=int, default=None,
                     help="iterations (default: 300 for PLS, 10000 for CB-SEM)")
    est.add_argument("--stop", default=None, choices=["max_abs", "sum_abs", "sum_sq"],
                     help="PLS stop rule (default max_abs)")
    survey = p.add_argument_group("survey options (sm.SurveyOptions)")
    survey.add_argument("--missing", default="error",
                        choices=["error", "casewise", "listwise", "mean", "pairwise", "em", "fiml"],
                        help="treatment of missing answers (NaN cells and --na-values codes); "
                        "CB-SEM: error, listwise or fiml")
    survey.add_argument("--na-values", type=float, nargs="+", default=(), metavar="CODE",
                        help="codes read as missing, e.g. --na-values -99 98")
    survey.add_argument("--scale", nargs="+", default=(), metavar="ITEM=MIN..MAX",
                        help="declared answer scales, e.g. --scale SAT1=1..10 SAT2=1..10: values "
                        "outside are refused, values inside are answers (not codes)")
    survey.add_argument("--reverse", nargs="+", default=(), metavar="ITEM",
                        help="reverse-coded items (need declared scales; PLS only)")
    survey.add_argument("--weights", metavar="COLUMN", help="column of sampling weights (PLS only)")
    survey.add_argument("--missing-warn", type=float, default=0.05,
                        help="report items with a larger share of missing answers")
    inf = p.add_argument_group("inference")
    inf.add_argument("--bootstrap", type=int, default=0, metavar="N",
                     help="bootstrap resamples (0: none): se, p and intervals for every table")
    inf.add_argument("--seed", type=int, default=None, metavar="S", help="seed of the bootstrap")
    inf.add_argument("--level", type=float, default=0.95,
                     help="confidence level of the intervals and the stars (default 0.95)")
    inf.add_argument("--ci", default="percentile", choices=METHODS,
                     help="bootstrap interval method (default percentile)")


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="satmodel", description=__doc__.split("\n")[0])
    ap.add_argument("--version", action="version", version=f"satmodel {package_version()}")
    sub = ap.add_subparsers(dest="command", required=True)
    fit = sub.add_parser("fit", help="fit a model and print the summary (or --json)")
    _model_args(fit)
    fit.add_argument("--json", action="store_true",
                     help="print the result record (the same JSON as res.to_json())")
    rep = sub.add_parser("report", help="fit a model and write an HTML report or Excel workbook")
    _model_args(rep)
    rep.add_argument("--out", required=True, metavar="FILE",
                     help="report.html (self-contained page) or report.xlsx (workbook)")
    rep.add_argument("--ipma", nargs="+", metavar="CONSTRUCT",
                     help="IPMA targets (default: the model's outcomes)")
    rep.add_argument("--items", action="store_true", help="draw the items in the path diagram")
    sub.add_parser("templates", help="list the model templates")
    sub.add_parser("datasets", help="list the shipped data sets")
    return ap


def _scales(texts: list[str]) -> dict[str, tuple[float, float]]:
    """``ITEM=MIN..MAX`` arguments as ``scales=``."""
    out = {}
    for text in texts:
        m = re.fullmatch(r"(.+)=(-?\d+(?:\.\d+)?)\.\.(-?\d+(?:\.\d+)?)", text)
        if m is None:
            raise OptionError(f"--scale {text!r}: write ITEM=MIN..MAX, e.g. SAT1=1..10")
        out[m.group(1)] = (float(m.group(2)), float(m.group(3)))
    return out


def _fit(args: argparse.Namespace) -> tuple[Any, Any]:
    """The fitted (and bootstrapped) result and the data it was fitted on."""
    spec = templates.get(args.template) if args.template else ModelSpec.from_file(args.spec)
    df = datasets.load(args.dataset) if args.dataset else read_table(
        args.data, encoding=args.encoding, sep=args.sep, decimal=args.decimal)
    na, scales = tuple(args.na_values), _scales(args.scale)
    if args.estimator == "cbsem":
        extra = [flag for flag, on in (("--reverse", args.reverse), ("--weights", args.weights),
                                       ("--consistent", args.consistent),
                                       ("--scheme", args.scheme), ("--tol", args.tol),
                                       ("--stop", args.stop)) if on]
        if extra:
            raise OptionError(f"{', '.join(extra)}: not available with --estimator cbsem "
                              "(PLS only)")
        missing = "listwise" if args.missing == "casewise" else args.missing
        res = fit_cbsem(spec, df, estimator=args.cb_estimator or "ML", missing=missing,
                        na_values=na, scales=scales, max_iter=args.max_iter or 10000)
    else:
        if args.cb_estimator:
            raise OptionError(f"--cb-estimator {args.cb_estimator}: add --estimator cbsem "
                              "(PLS has no such choice)")
        res = fit_pls(spec, df, scheme=args.scheme or "path", consistent=args.consistent,
                      tol=1e-7 if args.tol is None else args.tol, max_iter=args.max_iter or 300,
                      stop=args.stop or "max_abs", missing=args.missing, na_values=na,
                      reverse=tuple(args.reverse), weights=args.weights,
                      missing_warn=args.missing_warn, scales=scales)
    if args.bootstrap:
        res = res.bootstrap(n=args.bootstrap, seed=args.seed, ci=args.ci, level=args.level)
    return res, df


#: Python option -> the command-line flag that sets it
FLAGS = {"na_values": "--na-values", "missing": "--missing", "weights": "--weights",
         "reverse": "--reverse", "estimator": "--cb-estimator", "max_iter": "--max-iter",
         "tol": "--tol", "scheme": "--scheme", "stop": "--stop", "missing_warn": "--missing-warn",
         "level": "--level", "ci": "--ci"}
_OPTION = "|".join(FLAGS)
_REWRITES = [  # (pattern, replacement) in order; see for_cli
    (r"scales=\{'([^']+)': \(([^,()]+), ([^()]+)\)\}", r"--scale \1=\2..\3"),
    (r"\bscales=", "--scale ITEM=MIN..MAX"),
    (r"\bna_values=\[([^\]]*)\]", lambda m: "--na-values " + m.group(1).replace(",", "")),
    (rf"\b({_OPTION})=(['\"])([^'\"]*)\2((?:, (['\"])[^'\"]*\5)*(?:,? or (['\"])[^'\"]*\6)?)",
     lambda m: f"{FLAGS[m.group(1)]} {m.group(3)}" + re.sub(r"['\"]", "", m.group(4))),
    (rf"\b({_OPTION})=([-\w.]+)", lambda m: f"{FLAGS[m.group(1)]} {m.group(2)}"),
    (rf"\b({_OPTION})=", lambda m: FLAGS[m.group(1)]),
    (r"\bconsistent=True", "--consistent"),
    (r"\bconsistent=False", "no --consistent"),
    (r"res\.bootstrap\([^()]*\)", "--bootstrap N --seed S"),
    (r"(?:sm|satmodel)\.fit_pls\([^()]*\)", "--estimator pls"),
    (r"(?:sm|satmodel)\.fit_cbsem\([^()]*\)", "--estimator cbsem"),
]


def for_cli(message: str) -> str:
    """A message in the command line's words: Python options (``na_values=[-99]``,
    ``missing='mean'``, ``scales={...}``, ``res.bootstrap(...)``) as the flags that set them.

    >>> for_cli("pass na_values=[-99, 98] (with a missing= treatment)")
    'pass --na-values -99 98 (with a --missing treatment)'
    >>> for_cli("pass missing='casewise', 'mean', 'pairwise' or 'em'")
    'pass --missing casewise, mean, pairwise or em'
    >>> for_cli("declare it: scales={'cusa': (MIN, MAX)}; or use estimator='ML'")
    'declare it: --scale cusa=MIN..MAX; or use --cb-estimator ML'
    """
    for pattern, repl in _REWRITES:
        message = re.sub(pattern, repl, message)
    return message


def _next_steps(res: Any, args: argparse.Namespace) -> list[str]:
    """What to do next, in flags (the summary's own hints name Python calls)."""
    hints = []
    if res.inference is None:
        hints.append("--bootstrap 5000 --seed 1: p-values and intervals for every table")
    if not all(i.scale_min is not None for c in res.spec.constructs for i in c.indicators):
        hints.append("--scale ITEM=MIN..MAX for every item (or '# satmodel: ITEM "
                     "scale=MIN..MAX' in the lavaan text): 0-100 index scores and IPMA")
    hints.append("satmodel report with the same options and --out report.html (or "
                 "report.xlsx): checks with their sources, path diagram, index and IPMA")
    if args.estimator == "pls" and all(c.common_factor for c in res.spec.constructs):
        hints.append("--estimator cbsem: the same model as a covariance-based SEM")
    return hints


def _output(args: argparse.Namespace) -> str:
    """The report kind of ``--out``, checked before any fitting."""
    out = Path(args.out)
    kind = OUTPUTS.get(out.suffix.lower())
    if kind is None:
        raise OptionError(f"--out {args.out!r}: write a .html or .xlsx file")
    if not out.parent.exists():
        raise OptionError(f"--out {args.out!r}: folder {str(out.parent)!r} does not exist")
    return kind


def _report(res: Any, data: Any, args: argparse.Namespace, kind: str) -> Path:
    out = Path(args.out)
    if kind == "html":
        to_html(res, out, level=args.level, ipma=args.ipma, items=args.items, data=data)
    else:
        to_excel(res, out, level=args.level, data=data)
    return out


def _warn(message: Any, category: Any, *_: Any, **__: Any) -> None:
    print(f"satmodel: {category.__name__}: {for_cli(str(message))}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code (0 ok, 2 user error)."""
    args = _parser().parse_args(argv)
    if args.command == "templates":
        for name in templates.names():
            print(f"{name}: {templates.get(name).label or ''}")
        return 0
    if args.command == "datasets":
        for name in datasets.names():
            print(name)
        return 0
    with warnings.catch_warnings():
        warnings.showwarning = _warn  # warnings in the CLI's words, one line each
        try:
            kind = _output(args) if args.command == "report" else ""
            res, data = _fit(args)
            if args.command == "report":
                print(f"wrote {_report(res, data, args, kind)}")
                return 0
        except (SatModelError, OSError) as err:
            print(f"satmodel: error: {for_cli(str(err))}", file=sys.stderr)
            return 2
    if args.json:
        print(res.to_json(indent=2))
    else:
        print(for_cli(summary_text(res, hints=_next_steps(res, args))))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
