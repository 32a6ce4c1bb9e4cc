"""seminr (PyPI ``seminr`` 0.2.1): a Python loop of company fits (issue 12 benchmark).

The data file holds K companies' rows stacked (``--rows`` rows each, company-major); the
timed case fits the ECSI model to each company in turn with ``estimate_pls`` (path
coefficients, outer weights and loadings, R² and construct scores: what satmodel's
grouped fit computes), path weighting scheme, seminr's defaults otherwise. One warm-up
fit (excluded), then ``--reps`` timed loops (wall and process CPU time). API read from the installed source
(seminr/estimate/estimate_pls.py).
"""
from __future__ import annotations

import time

import _common as c
import numpy as np


def main() -> None:
    p = c.parser(__doc__)
    p.add_argument("--rows", type=int, required=True, help="rows per company")
    args = p.parse_args()
    record = {"tool": "seminr", "kind": "company_loop", "notes": []}
    try:
        import seminr as s
        record["version"] = s.__version__
        cols, X = c.load_data(args.data)
        companies = X.shape[0] // args.rows
        record["companies"] = companies
        mm = s.constructs(*[s.composite(lv, items) for lv, items in c.ECSI_BLOCKS.items()])
        sm = s.relationships(*[s.paths(src, dst) for src, dst in c.ECSI_PATHS])
    except Exception as exc:
        c.fail(record, exc)

    def fit(k: int):
        part = X[k * args.rows:(k + 1) * args.rows]
        return s.estimate_pls((cols, part), mm, sm, inner_weights=s.path_weighting)

    def loop():
        for k in range(companies):
            out = fit(k)
        return out

    first = fit(0)
    pc = first.path_coef
    record["estimates_company_0"] = {
        c.path_key(a, b): float(pc.values[pc.rows.index(a), pc.cols.index(b)])
        for a, b in c.ECSI_PATHS}
    fit(0)  # warm-up (excluded)
    times, cpu = [], []
    for _ in range(args.reps):  # wall and CPU time of each loop (the runner records both)
        t0, c0 = time.perf_counter(), time.process_time()
        loop()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    record["cases"] = {"loop": {"times_s": times, "median_s": float(np.median(times)),
                                "cpu_times_s": cpu, "median_cpu_s": float(np.median(cpu))}}
    print(f"[seminr] loop of {companies}: median {np.median(times):.3f} s wall, "
          f"{np.median(cpu):.3f} s CPU over {args.reps}", flush=True)
    c.emit(record)


if __name__ == "__main__":
    main()
