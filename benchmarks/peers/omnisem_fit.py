"""omnisem (PyPI ``omnisem`` 1.0.0rc2): one PLS-PM fit, ``omnisem.plssem(syntax, df)``.

The public call runs NIPALS on the raw rows and compiles its summary (reliability,
HTMT, fit indices) -- that is what a user gets, so that is what is timed.
"""
from __future__ import annotations

import _common as c


def main() -> None:
    args = c.parser(__doc__).parse_args()
    record = {"tool": "omnisem", "kind": "fit", "notes": []}
    try:
        import omnisem
        record["version"] = omnisem.__version__
        df = c.load_frame(args.data)
        syntax = c.ecsi_lavaan()
    except Exception as exc:
        c.fail(record, exc)

    last = {}

    def fit():
        last["out"] = omnisem.plssem(syntax, df, max_iter=300, tol=1e-7)
        return last["out"]

    c.run_cases(record, [("fit", fit)], args.reps, fit)
    try:
        record["estimates"] = {c.path_key(p["rhs"], p["lhs"]): float(p["estimate"])
                               for p in last["out"].to_dict()["parameters"] if p.get("op") == "~"}
    except Exception as exc:
        import traceback
        traceback.print_exc()
        record["errors"].append(f"estimates: {type(exc).__name__}: {exc}")
    c.emit(record)


if __name__ == "__main__":
    main()
