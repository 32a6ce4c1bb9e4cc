"""Many-model benchmark: 1,000 company models fitted in one call vs a Python loop.

Data: G companies (default 1,000) of n rows each (default 200), every company's rows
resampled with replacement from the 250 ECSI respondents (``ecsi_satisfaction``,
seeded), one pandas DataFrame with a ``company`` column. ECSI model, Mode A, path scheme.

Phases, each in a fresh subprocess of this script (so peak memory is the phase's own;
``resource.getrusage(RUSAGE_SELF).ru_maxrss`` at its end, next to the same process's
memory after building the data), with BLAS/OpenMP threads set to 1 (environment before
numpy is imported, and threadpoolctl):

- ``grouped``: ``sm.fit_pls(spec, df, by="company")`` — validation, grouping, G moment
  matrices, one batched engine call, the per-fit checks (median of ``--reps``); the
  first (warm-up) call is recorded apart (``first_call_s``: with numba it includes
  importing numba and loading the compiled PLS iteration from its disk cache);
- ``grouped_numpy``: the same with the compiled iteration switched off
  (``SATMODEL_NUMBA=0``: the numpy path), when numba is installed (the kernel's gain);
- ``loop``: ``for part in parts: sm.fit_pls(spec, part)`` over the pre-split companies
  (the split is not timed, in the loop's favour);
- ``bootstrap``: ``res.bootstrap(n=B, seed=1, tables=["paths", "index"])`` on the
  grouped fit (G x B refits through the driver; draws of two tables kept);
- ``boot_loop``: per-company ``res[key].bootstrap(n=B, ...)`` on the first
  ``--loop-groups`` companies, extrapolated to G (timed share reported);
- ``seminr``: a Python loop of seminr-py 0.2.1 ``estimate_pls`` fits over the first
  ``--seminr-groups`` companies (default 50; the same rows), in its own venv
  (``peers/seminr_groups.py``; BLAS threads 1 as well), median of ``--peer-reps`` loops,
  scaled to G companies (time per company x G): the issue asks for the grouped fit to
  be >= 100x faster than this loop (and >= 20x faster than a loop of ``fit_pls``).

    .venv/bin/python benchmarks/bench_groups.py            # full (~6-8 min on 2 cores)
    .venv/bin/python benchmarks/bench_groups.py --quick    # G=200, B=200 (~1 min)

Every fit phase records wall time (``time.perf_counter``) and the process's CPU time
(``time.process_time``; BLAS runs one thread, so this is the work done): on a machine
shared with other jobs the CPU-time ratios are the fairer comparison, and both are kept.

Writes benchmarks/results/groups.json (quick: groups.quick.json) with the machine.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
               "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="G=200 companies, B=200")
    p.add_argument("--groups", type=int, help="companies (default 1000, quick 200)")
    p.add_argument("--rows", type=int, default=200, help="rows per company (default 200)")
    p.add_argument("--boot", type=int, help="bootstrap resamples B (default 1000, quick 200); 0 skips")
    p.add_argument("--reps", type=int, help="repetitions of the grouped fit (default 5, quick 3)")
    p.add_argument("--loop-groups", type=int, default=20,
                   help="companies in the timed per-company bootstrap loop (extrapolated)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--seminr-groups", type=int, help="companies in the seminr loop (default 50, "
                   "quick 20; 0 skips seminr)")
    p.add_argument("--peer-reps", type=int, default=3, help="timed seminr loops (default 3)")
    p.add_argument("--rounds", type=int, default=0,
                   help="extra rounds of (grouped fit, seminr loop) run back to back, each "
                   "round's ratio from its own adjacent pair (default 0: none)")
    p.add_argument("--timeout", type=float, default=1800, help="seconds for the seminr run")
    p.add_argument("--rebuild-venvs", action="store_true", help="recreate the seminr venv")
    p.add_argument("--phase", help=argparse.SUPPRESS)
    p.add_argument("--out", type=Path, help="JSON output (default results/groups.json)")
    a = p.parse_args(argv)
    a.groups = a.groups or (200 if a.quick else 1000)
    a.boot = (200 if a.quick else 1000) if a.boot is None else a.boot
    a.reps = a.reps or (3 if a.quick else 5)
    if a.seminr_groups is None:
        a.seminr_groups = 20 if a.quick else 50
    a.out = a.out or HERE / "results" / ("groups.quick.json" if a.quick else "groups.json")
    return a


# ---------------------------------------------------------------------------- one phase

def _maxrss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def make_data(groups: int, rows: int, seed: int):
    import numpy as np

    import satmodel as sm

    base = sm.datasets.load("ecsi_satisfaction").drop(columns="gender")
    rng = np.random.default_rng(seed)
    df = base.iloc[rng.integers(0, len(base), size=groups * rows)].reset_index(drop=True)
    df.insert(0, "company", np.repeat([f"C{g:04d}" for g in range(groups)], rows))
    return df


def run_phase(a: argparse.Namespace) -> dict:
    import warnings

    import numpy as np
    from threadpoolctl import threadpool_info, threadpool_limits

    import satmodel as sm

    threadpool_limits(1)
    warnings.simplefilter("ignore")  # sign warnings of resampled companies: not timed noise
    spec = sm.templates.ecsi()
    df = make_data(a.groups, a.rows, a.seed)
    out = {"phase": a.phase, "rss_after_data_mb": _maxrss_mb(),
           "blas_threads": sorted({i.get("num_threads") for i in threadpool_info()})}
    if a.phase in ("grouped", "grouped_numpy"):
        from satmodel.engine import kernel

        out["kernel"] = kernel.available()
        times, cpu = [], []
        for _ in range(a.reps + 1):  # the first call warms up (excluded)
            t0, c0 = time.perf_counter(), time.process_time()
            res = sm.fit_pls(spec, df, by="company")
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        out.update(first_call_s=times[0], times_s=times[1:], median_s=float(np.median(times[1:])),
                   cpu_times_s=cpu[1:], median_cpu_s=float(np.median(cpu[1:])),
                   fitted=res.n_groups, skipped=len(res.skipped))
        first = res.paths[res.paths.company == res.groups.labels[0][0]]  # seminr's check
        out["estimates_company_0"] = {f"{r.source}->{r.target}": float(r.estimate)
                                      for r in first.itertuples()}
    elif a.phase == "loop":
        parts = [part for _, part in df.groupby("company", sort=True)]
        sm.fit_pls(spec, parts[0])
        t0, c0 = time.perf_counter(), time.process_time()
        fits = [sm.fit_pls(spec, part) for part in parts]
        out.update(total_s=time.perf_counter() - t0, total_cpu_s=time.process_time() - c0,
                   fitted=len(fits))
    elif a.phase == "bootstrap":
        res = sm.fit_pls(spec, df, by="company")
        t0 = time.perf_counter()
        boot = res.bootstrap(n=a.boot, seed=1, tables=["paths", "index"], progress=False)
        out.update(total_s=time.perf_counter() - t0,
                   resamples_kept=int(boot.inference.n_valid.sum()),
                   refits=res.n_groups * a.boot)
    elif a.phase == "boot_loop":
        res = sm.fit_pls(spec, df, by="company")
        keys = [k for k, _ in zip(res.groups.labels, range(a.loop_groups))]
        t0 = time.perf_counter()
        for key in keys:
            res[key].bootstrap(n=a.boot, seed=res.group_seed(key, 1), tables=["paths", "index"],
                               progress=False)
        took = time.perf_counter() - t0
        out.update(timed_groups=len(keys), timed_s=took,
                   extrapolated_s=took * res.n_groups / len(keys))
    out["peak_rss_mb"] = _maxrss_mb()
    return out


def child(a: argparse.Namespace, phase: str) -> dict:
    env = dict(os.environ, **{v: "1" for v in THREAD_VARS})
    if phase == "grouped_numpy":
        env["SATMODEL_NUMBA"] = "0"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--phase", phase,
           "--groups", str(a.groups), "--rows", str(a.rows), "--boot", str(a.boot),
           "--reps", str(a.reps), "--loop-groups", str(a.loop_groups), "--seed", str(a.seed)]
    import _runner as R

    return R.run_child(cmd, phase, env=env)


def run_seminr(a: argparse.Namespace, R) -> dict:
    """The seminr loop over the first ``--seminr-groups`` companies (peers/seminr_groups.py),
    scaled to G companies."""
    import tempfile

    import numpy as np

    R.log(f"\n== seminr: loop over {a.seminr_groups} companies")
    df = make_data(a.groups, a.rows, a.seed).iloc[:a.seminr_groups * a.rows]
    items = [c for c in df.columns if c != "company"]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "companies.npz"
        np.savez(path, X=df[items].to_numpy(dtype=float), columns=np.array(items))
        saved = {v: os.environ.get(v) for v in THREAD_VARS}
        os.environ.update({v: "1" for v in THREAD_VARS})
        try:
            rec = R.peer("seminr", "seminr_groups.py",
                         ["--data", str(path), "--rows", str(a.rows), "--reps", str(a.peer_reps)],
                         a.timeout, a.rebuild_venvs)
        finally:
            for v, old in saved.items():
                if old is None:
                    os.environ.pop(v, None)
                else:
                    os.environ[v] = old
    loop = rec.get("cases", {}).get("loop", {})
    if "median_s" in loop and rec.get("companies"):
        rec["per_company_s"] = loop["median_s"] / rec["companies"]
        rec["scaled_s"] = rec["per_company_s"] * a.groups
        rec["scaled_cpu_s"] = loop["median_cpu_s"] / rec["companies"] * a.groups
        R.log(f"  {rec['companies']} companies in {loop['median_s']:.2f} s (median), "
              f"{rec['per_company_s'] * 1e3:.1f} ms a company; x{a.groups}: {rec['scaled_s']:.1f} s")
    return rec


# ---------------------------------------------------------------------------- main

def main() -> None:
    a = parse_args()
    if a.phase:
        print("BENCH_JSON " + json.dumps(run_phase(a)), flush=True)
        return
    sys.path.insert(0, str(HERE))
    import _runner as R

    machine = R.announce_machine()
    R.log(f"data: {a.groups} companies x {a.rows} rows (ECSI resampled, seed {a.seed}); "
          f"B = {a.boot}; BLAS threads 1")
    import importlib.util

    numba = importlib.util.find_spec("numba") is not None
    phases = ["grouped"] + (["grouped_numpy"] if numba else []) + ["loop"] \
        + (["bootstrap", "boot_loop"] if a.boot else [])
    results = {}
    for phase in phases:
        R.log(f"\n== {phase}")
        results[phase] = rec = child(a, phase)
        if "error" in rec:
            R.log(f"  ERROR: {rec['error']}")
            continue
        shown = {k: (round(v, 3) if isinstance(v, float) else v) for k, v in rec.items()
                 if k not in ("phase", "times_s")}
        R.log("  " + ", ".join(f"{k} {v}" for k, v in shown.items()))
    if a.seminr_groups:
        results["seminr"] = run_seminr(a, R)
    g, lp = results.get("grouped", {}), results.get("loop", {})
    summary = {}
    gn = results.get("grouped_numpy", {})
    if "median_s" in g and "median_s" in gn and g.get("kernel"):
        summary["kernel_speedup_grouped"] = gn["median_s"] / g["median_s"]
        summary["kernel_speedup_grouped_cpu"] = gn["median_cpu_s"] / g["median_cpu_s"]
        summary["kernel_first_call_extra_s"] = g["first_call_s"] - gn["first_call_s"]
    if "median_s" in g and "total_s" in lp:
        summary["fit_ratio_loop_over_grouped"] = lp["total_s"] / g["median_s"]
        summary["fit_ratio_loop_over_grouped_cpu"] = lp["total_cpu_s"] / g["median_cpu_s"]
    sem = results.get("seminr", {})
    if "median_s" in g and "scaled_s" in sem:
        summary["fit_ratio_seminr_loop_over_grouped"] = sem["scaled_s"] / g["median_s"]
        summary["fit_ratio_seminr_loop_over_grouped_cpu"] = sem["scaled_cpu_s"] / g["median_cpu_s"]
        mine = g.get("estimates_company_0", {})
        theirs = sem.get("estimates_company_0", {})
        if mine and theirs:
            summary["seminr_company_0_max_abs_path_diff"] = max(
                abs(mine[k] - theirs[k]) for k in theirs)
    if a.rounds and a.seminr_groups:
        rounds = []
        for r in range(a.rounds):  # adjacent pairs: a load change between phases shows
            R.log(f"\n== round {r + 1} of {a.rounds}: grouped fit, then the seminr loop")
            gr, se = child(a, "grouped"), run_seminr(a, R)
            if "median_s" in gr and "scaled_s" in se:
                rounds.append({"grouped_median_s": gr["median_s"],
                               "grouped_median_cpu_s": gr["median_cpu_s"],
                               "seminr_per_company_s": se["per_company_s"],
                               "ratio": se["scaled_s"] / gr["median_s"],
                               "ratio_cpu": se["scaled_cpu_s"] / gr["median_cpu_s"]})
        results["rounds"] = rounds
        if rounds:
            summary["fit_ratio_seminr_rounds"] = [x["ratio"] for x in rounds]
            summary["fit_ratio_seminr_rounds_median"] = statistics.median(
                x["ratio"] for x in rounds)
    b, bl = results.get("bootstrap", {}), results.get("boot_loop", {})
    if "total_s" in b and "extrapolated_s" in bl:
        summary["bootstrap_ratio_loop_over_grouped"] = bl["extrapolated_s"] / b["total_s"]
    R.log("\nSummary")
    rows = [["grouped fit (one call)", R.fmt_s(g.get("median_s")), "-",
             f"{g.get('peak_rss_mb', float('nan')):.0f}"],
            ["loop of fit_pls", R.fmt_s(lp.get("total_s")),
             R.fmt_ratio(summary.get("fit_ratio_loop_over_grouped")),
             f"{lp.get('peak_rss_mb', float('nan')):.0f}"]]
    if a.boot:
        rows += [[f"grouped bootstrap B={a.boot}", R.fmt_s(b.get("total_s")), "-",
                  f"{b.get('peak_rss_mb', float('nan')):.0f}"],
                 ["loop of res[key].bootstrap (extrap.)", R.fmt_s(bl.get("extrapolated_s")),
                  R.fmt_ratio(summary.get("bootstrap_ratio_loop_over_grouped")),
                  f"{bl.get('peak_rss_mb', float('nan')):.0f}"]]
    if "median_s" in gn:
        rows.insert(1, ["grouped fit, numpy path (no numba)", R.fmt_s(gn.get("median_s")),
                        "-", f"{gn.get('peak_rss_mb', float('nan')):.0f}"])
    if "scaled_s" in sem:
        rows.insert(2, [f"loop of seminr estimate_pls (x{a.groups}/{sem['companies']})",
                        R.fmt_s(sem["scaled_s"]),
                        R.fmt_ratio(summary.get("fit_ratio_seminr_loop_over_grouped")), "-"])
    R.print_table(["case", "seconds", "loop / grouped", "peak RSS MB"], rows)
    if "fit_ratio_loop_over_grouped_cpu" in summary:
        R.log("CPU-time ratios (process time, less sensitive to other load): loop of fit_pls "
              f"{R.fmt_ratio(summary['fit_ratio_loop_over_grouped_cpu'])}"
              + (f", loop of seminr {R.fmt_ratio(summary['fit_ratio_seminr_loop_over_grouped_cpu'])}"
                 if "fit_ratio_seminr_loop_over_grouped_cpu" in summary else ""))
    if "fit_ratio_seminr_rounds" in summary:
        R.log("rounds of (grouped fit, seminr loop) back to back: seminr loop / grouped "
              + ", ".join(R.fmt_ratio(x) for x in summary["fit_ratio_seminr_rounds"])
              + f"; median {R.fmt_ratio(summary['fit_ratio_seminr_rounds_median'])}")
    if "kernel_speedup_grouped" in summary:
        R.log(f"compiled PLS iteration (numba): grouped fit {summary['kernel_speedup_grouped']:.2f}x "
              f"faster than the numpy path (CPU {summary['kernel_speedup_grouped_cpu']:.2f}x); "
              f"first call {g['first_call_s']:.2f} s vs {gn['first_call_s']:.2f} s (numba import "
              "and cache load)")
    if "fit_ratio_seminr_loop_over_grouped" in summary and "median_s" in gn:
        summary["fit_ratio_seminr_loop_over_grouped_numpy"] = sem["scaled_s"] / gn["median_s"]
    machine["load_average_end"] = R.load_average()
    R.write_json(a.out, {"benchmark": "groups", "machine": machine,
                         "settings": {"groups": a.groups, "rows": a.rows, "boot": a.boot,
                                      "reps": a.reps, "loop_groups": a.loop_groups,
                                      "seed": a.seed, "blas_threads": 1,
                                      "seminr_groups": a.seminr_groups,
                                      "peer_reps": a.peer_reps, "rounds": a.rounds,
                                      "bootstrap_tables": ["paths", "index"]},
                         "results": results, "summary": summary})


if __name__ == "__main__":
    main()
