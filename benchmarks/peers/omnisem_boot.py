"""omnisem (PyPI ``omnisem`` 1.0.0rc2): ``omnisem.plssem(syntax, df, n_boot=B, n_cores=k)``.

API (read from the installed source, omnisem/plssem/orchestrator.py and
plssem/inference/bootstrap.py): the point fit and the bootstrap are one call; each
resample is a task in a ``ProcessPoolExecutor`` (one NIPALS fit per task), seeded
from numpy's *global* RNG (so we call ``np.random.seed`` first).

Known defect worked around here (recorded in the JSON notes): after the bootstrap,
``compile_summary`` imports ``omnisem.plssem.mediation``, which does not exist in
1.0.0rc2 (the module is ``omnisem.plssem.inference.mediation``), so any model with a
mediation chain -- ECSI has several -- raises ModuleNotFoundError. We alias the
module so the public call completes; the bootstrap work itself is untouched.

The same call without ``n_boot`` is timed as case ``fit`` so the runner can subtract
the point fit from the bootstrap time.
"""
from __future__ import annotations

import importlib
import sys

import _common as c


def main() -> None:
    args = c.parser(__doc__).parse_args()
    record = {"tool": "omnisem", "kind": "bootstrap", "cores": args.cores,
              "bootstrap_includes_fit": True, "notes": []}
    try:
        import numpy as np
        import omnisem
        record["version"] = omnisem.__version__
        try:
            importlib.import_module("omnisem.plssem.mediation")
        except ModuleNotFoundError:
            sys.modules["omnisem.plssem.mediation"] = importlib.import_module(
                "omnisem.plssem.inference.mediation")
            record["notes"].append(
                "omnisem 1.0.0rc2: plssem(n_boot>0) raises ModuleNotFoundError "
                "'omnisem.plssem.mediation' after bootstrapping a model with mediation chains; "
                "aliased to omnisem.plssem.inference.mediation so the public call completes")
        df = c.load_frame(args.data)
        syntax = c.ecsi_lavaan()
        out = omnisem.plssem(syntax, df, max_iter=300, tol=1e-7).to_dict()
        record["estimates"] = {c.path_key(p["rhs"], p["lhs"]): float(p["estimate"])
                               for p in out["parameters"] if p.get("op") == "~"}
    except Exception as exc:
        c.fail(record, exc)

    def boot(n: int):
        def run():
            np.random.seed(args.seed)
            return omnisem.plssem(syntax, df, n_boot=n, n_cores=args.cores, max_iter=300, tol=1e-7)
        return run

    def fit():
        return omnisem.plssem(syntax, df, max_iter=300, tol=1e-7)

    bs = [int(b) for b in args.bs.split(",") if b]
    cases = [("fit", fit)] + [(f"B={n}", boot(n)) for n in bs]
    c.run_cases(record, cases, args.reps, boot(args.warmup_b))
    c.emit(record)


if __name__ == "__main__":
    main()
