"""Command line: ``satmodel fit ...`` (also ``python -m satmodel ...``).

Examples
--------
satmodel fit --template ecsi --dataset ecsi_satisfaction
satmodel fit --spec model.lav --data survey.csv --scheme centroid --consistent --json
satmodel templates
satmodel datasets
"""

from __future__ import annotations

import argparse
import sys


from . import datasets, templates
from .errors import SatModelError
from .results import fit_pls
from .results.record import package_version
from .spec import ModelSpec
from .survey.readers import read_table


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="satmodel", description=__doc__.split("\n")[0])
    ap.add_argument("--version", action="version", version=f"satmodel {package_version()}")
    sub = ap.add_subparsers(dest="command", required=True)
    fit = sub.add_parser("fit", help="fit a model by PLS-PM / PLSc and print the summary")
    spec = fit.add_mutually_exclusive_group(required=True)
    spec.add_argument("--template", help=f"template name: {', '.join(templates.names())}")
    spec.add_argument("--spec", help="model file: lavaan-style text (.lav) or ModelSpec JSON (.json)")
    data = fit.add_mutually_exclusive_group(required=True)
    data.add_argument("--dataset", help=f"shipped data set: {', '.join(datasets.names())}")
    data.add_argument("--data", help="survey file: .csv/.tsv/.txt (separator and decimal comma "
                      "detected), .parquet, .xlsx or .sav")
    fit.add_argument("--encoding", help="text encoding of a CSV file (default: UTF-8, or as "
                     "its byte-order mark says), e.g. gbk, utf-16, latin-1")
    fit.add_argument("--sep", help="column separator of a CSV file (default: detected)")
    fit.add_argument("--decimal", choices=[".", ","], help="decimal mark (default: detected)")
    fit.add_argument("--scheme", default="path", choices=["path", "centroid", "factorial"])
    fit.add_argument("--consistent", action="store_true", help="consistent PLS (PLSc)")
    fit.add_argument("--tol", type=float, default=1e-7)
    fit.add_argument("--max-iter", type=int, default=300)
    fit.add_argument("--stop", default="max_abs", choices=["max_abs", "sum_abs", "sum_sq"])
    survey = fit.add_argument_group("survey options (sm.SurveyOptions)")
    survey.add_argument("--missing", default="error",
                        choices=["error", "casewise", "listwise", "mean", "pairwise", "em"],
                        help="treatment of missing answers (NaN cells and --na-values codes)")
    survey.add_argument("--na-values", type=float, nargs="+", default=(), metavar="CODE",
                        help="codes read as missing, e.g. --na-values -99 98")
    survey.add_argument("--reverse", nargs="+", default=(), metavar="ITEM",
                        help="reverse-coded items (need declared scales)")
    survey.add_argument("--weights", metavar="COLUMN", help="column of sampling weights")
    survey.add_argument("--missing-warn", type=float, default=0.05,
                        help="report items with a larger share of missing answers")
    fit.add_argument("--json", action="store_true",
                     help="print the result record (the same JSON as res.to_json())")
    sub.add_parser("templates", help="list the model templates")
    sub.add_parser("datasets", help="list the shipped data sets")
    return ap


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code (0 ok, 2 user error)."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "templates":
            for name in templates.names():
                print(f"{name}: {templates.get(name).label or ''}")
            return 0
        if args.command == "datasets":
            for name in datasets.names():
                print(name)
            return 0
        spec = templates.get(args.template) if args.template else ModelSpec.from_file(args.spec)
        df = datasets.load(args.dataset) if args.dataset else read_table(
            args.data, encoding=args.encoding, sep=args.sep, decimal=args.decimal)
        res = fit_pls(spec, df, scheme=args.scheme, consistent=args.consistent, tol=args.tol,
                      max_iter=args.max_iter, stop=args.stop, missing=args.missing,
                      na_values=tuple(args.na_values), reverse=tuple(args.reverse),
                      weights=args.weights, missing_warn=args.missing_warn)
    except SatModelError as err:
        print(f"satmodel: error: {err}", file=sys.stderr)
        return 2
    if args.json:
        print(res.to_json(indent=2))
    else:
        print(res.summary())
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
