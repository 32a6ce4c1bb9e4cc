"""plspm (PyPI ``plspm`` 0.5.7, needs pandas < 3): ``Plspm(..., bootstrap=True)``.

API (read from the installed source, plspm/plspm.py and plspm/bootstrap.py):
``Config(Structure().path(), scaled=False)`` + ``add_lv(name, Mode.A, MV(...))``, then
``Plspm(df, config, Scheme.PATH, iterations, tolerance, bootstrap=True,
bootstrap_iterations=B, processes=k)``; the point fit and the bootstrap are one
constructor call, the resamples are split over ``k`` forked processes
(``B`` must be a multiple of ``k``; ``B < 10`` silently becomes 100).
The same call with ``bootstrap=False`` is timed as case ``fit`` so the runner can
subtract it. ``openpls_boot.py`` reuses this script: openpls-engine is a fork with the
same API under the package name ``openpls``.
"""
from __future__ import annotations

import importlib

import _common as c


def main(package: str = "plspm", tool: str = "plspm", dist: str = "plspm") -> None:
    args = c.parser(__doc__).parse_args()
    record = {"tool": tool, "kind": "bootstrap", "cores": args.cores,
              "bootstrap_includes_fit": True, "notes": []}
    try:
        from importlib.metadata import version

        import pandas as pd
        cfgmod = importlib.import_module(f"{package}.config")
        Plspm = importlib.import_module(f"{package}.plspm").Plspm
        Scheme = importlib.import_module(f"{package}.scheme").Scheme
        Mode = importlib.import_module(f"{package}.mode").Mode
        record["version"] = version(dist)
        record["pandas"] = pd.__version__
        df = c.load_frame(args.data)
        st = cfgmod.Structure()
        for src, dst in c.ECSI_PATHS:
            st.add_path([src], [dst])
        config = cfgmod.Config(st.path(), scaled=False)
        for lv, items in c.ECSI_BLOCKS.items():
            config.add_lv(lv, Mode.A, *[cfgmod.MV(i) for i in items])
        opts = dict(scheme=Scheme.PATH, iterations=300, tolerance=1e-7)
        pc = Plspm(df, config, **opts).path_coefficients()  # rows: target, columns: source
        record["estimates"] = {c.path_key(a, b): float(pc.loc[b, a]) for a, b in c.ECSI_PATHS}
    except Exception as exc:
        c.fail(record, exc)

    procs = max(1, args.cores)

    def boot(n: int):
        def run():
            if n % procs:
                raise ValueError(f"B={n} is not a multiple of processes={procs}")
            if n < 10:
                raise ValueError(f"B={n} < 10 would silently run 100 resamples")
            return Plspm(df, config, **opts, bootstrap=True, bootstrap_iterations=n, processes=procs)
        return run

    def fit():
        return Plspm(df, config, **opts)

    bs = [int(b) for b in args.bs.split(",") if b]
    cases = [("fit", fit)] + [(f"B={n}", boot(n)) for n in bs]
    c.run_cases(record, cases, args.reps, boot(max(args.warmup_b, 10)))
    c.emit(record)


if __name__ == "__main__":
    main()
