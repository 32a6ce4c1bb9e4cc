"""seminr (PyPI ``seminr`` 0.2.1): one small fit with its main tables (issue 16, part 1).

``estimate_pls`` (which computes path coefficients, outer weights and loadings, R² and
construct scores) followed by ``reliability_table`` (alpha, rhoC, AVE, rhoA) and ``htmt``:
the same five tables as satmodel's ``paths``, ``outer``, ``r2``, ``quality`` and ``htmt``.
API read from the installed source (seminr/estimate/estimate_pls.py, seminr/evaluate/).
"""
from __future__ import annotations

import time

import numpy as np

import _common as c


def main() -> None:
    p = c.parser(__doc__)
    p.add_argument("--calls", type=int, default=50, help="fits per timed repetition")
    args = p.parse_args()
    record = {"tool": "seminr", "kind": "small_fit", "notes": [], "calls_per_rep": args.calls}
    try:
        import seminr as s
        from seminr.evaluate.reliability import reliability_table
        from seminr.evaluate.validity import htmt
        record["version"] = s.__version__
        cols, X = c.load_data(args.data)
        mm = s.constructs(*[s.composite(lv, items) for lv, items in c.ECSI_BLOCKS.items()])
        sm = s.relationships(*[s.paths(src, dst) for src, dst in c.ECSI_PATHS])
    except Exception as exc:
        c.fail(record, exc)

    def one():
        model = s.estimate_pls((cols, X), mm, sm, inner_weights=s.path_weighting)
        return model.path_coef, model.outer_weights, model.outer_loadings, model.r_squared, \
            reliability_table(model), htmt(model)

    out = one()
    pc = out[0]
    record["estimates"] = {c.path_key(a, b): float(pc.values[pc.rows.index(a), pc.cols.index(b)])
                           for a, b in c.ECSI_PATHS}
    for _ in range(args.calls):  # warm-up (excluded)
        one()
    wall, cpu = [], []
    for _ in range(args.reps):  # seconds per call: wall clock and CPU time of this process
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(args.calls):
            one()
        wall.append((time.perf_counter() - t0) / args.calls)
        cpu.append((time.process_time() - c0) / args.calls)
    record["cases"] = {"fit+tables": {"times_s": wall, "median_s": float(np.median(wall)),
                                      "cpu_s": cpu, "cpu_median_s": float(np.median(cpu)),
                                      "per": "call"}}
    print(f"[seminr] fit+tables: {np.median(wall) * 1e3:.2f} ms wall, "
          f"{np.median(cpu) * 1e3:.2f} ms CPU per call", flush=True)
    c.emit(record)


if __name__ == "__main__":
    main()
