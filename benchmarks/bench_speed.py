"""Speed at both ends (issue 16): the small fit against seminr-py, the 1,000,000-row fit
with its peak memory, the bootstrap and the permutation test at 200,000 rows (issue 11),
and optionally a baseline satmodel, in one run.

Phases, each in a fresh subprocess (so peak memory is the phase's own); the small cases
run in ``--rounds`` rounds that alternate satmodel (baseline, current) and seminr:

- ``small``: the ECSI model on the 250 shipped respondents, each case called ``--calls``
  times per repetition (the per-call time is reported):
  ``fit+5 tables`` = ``sm.fit_pls(spec, df)`` then ``paths``, ``outer``, ``r2``,
  ``quality``, ``htmt`` (the spec built once and reused); ``... spec rebuilt`` = the same
  with ``sm.templates.ecsi()`` built inside every call; ``service: fit`` and ``service:
  fit+paths`` = a service holding its spec and receiving a float64 array
  (``sm.fit_pls(spec, X, columns=items)``); ``fit+5 tables+scores`` adds the respondent
  scores (seminr computes them inside ``estimate_pls``);
- ``big``: one fit on ``--rows`` rows x 27 items (bench_fit.py's data: ECSI resampled
  plus noise) from a float64 DataFrame: peak resident memory of the first call over the
  resident memory before it (VmHWM reset through /proc/self/clear_refs), then
  ``--big-reps`` timed calls; and the same with the scores read (``res.scores``);
- ``boot``: ``res.bootstrap(n=--boot)`` on the ECSI fit (default tables);
- ``perm``: ``sm.permutation_test`` on ``--perm-rows`` rows (bench_memory.py's data, two
  groups) with ``--perm`` permutations, and its peak memory;
- seminr 0.2.1 (``peers/seminr_fit.py`` in its venv): ``estimate_pls`` + reliability +
  HTMT, the same five tables (its path, weights, loadings, R² and scores come with the fit).

``--baseline SRC`` times the same phases with another satmodel source tree first on the
path (e.g. the last commit: ``git archive HEAD src | tar -x -C /tmp/head`` then
``--baseline /tmp/head/src``), so before/after ratios come from one run.

BLAS threads: ``--threads`` (default 1) is set through OPENBLAS_NUM_THREADS /
OMP_NUM_THREADS for every phase and peer alike (the fits here are too small for threads
to help; on a shared 2-core machine one thread is the stable choice).

    .venv/bin/python benchmarks/bench_speed.py [--baseline /tmp/head/src] [--quick]

Writes benchmarks/results/speed.json (quick: speed.quick.json).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE / "peers"))
MIB = 2**20


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="fewer repetitions, 200,000 rows")
    p.add_argument("--calls", type=int, default=50, help="small fits per timed repetition")
    p.add_argument("--reps", type=int, help="repetitions (default 7, quick 3)")
    p.add_argument("--rows", type=int, help="rows of the big fit (default 1,000,000)")
    p.add_argument("--big-reps", type=int, help="timed big fits (default 3, quick 2)")
    p.add_argument("--baseline", type=Path, help="another satmodel src/ to time first")
    p.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1)")
    p.add_argument("--no-seminr", action="store_true", help="skip the seminr peer")
    p.add_argument("--boot", type=int, help="bootstrap resamples (default 5000, quick 1000)")
    p.add_argument("--perm", type=int, help="permutations (default 100, quick 20)")
    p.add_argument("--perm-rows", type=int, default=200_000, help="permutation rows (200,000)")
    p.add_argument("--skip", default="", help="phases to leave out: big,boot,perm")
    p.add_argument("--rounds", type=int, help="alternating rounds of the small cases (default 3, quick 1)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--phase", help=argparse.SUPPRESS)
    p.add_argument("--out", type=Path)
    a = p.parse_args(argv)
    a.reps = a.reps or (3 if a.quick else 7)
    a.rows = a.rows or (200_000 if a.quick else 1_000_000)
    a.big_reps = a.big_reps or (2 if a.quick else 3)
    a.rounds = a.rounds or (1 if a.quick else 3)
    a.boot = a.boot or (1000 if a.quick else 5000)
    a.perm = a.perm or (20 if a.quick else 100)
    a.skip = [x for x in a.skip.split(",") if x]
    a.out = a.out or HERE / "results" / ("speed.quick.json" if a.quick else "speed.json")
    return a


# ----------------------------------------------------------------------------- phases

def _per_call(fn, calls: int, reps: int) -> tuple[list[float], list[float]]:
    """Seconds per call, wall clock and this process's CPU time (one thread: on a loaded
    machine the CPU time is the steadier measure), per repetition; warm-up excluded."""
    fn()
    wall, cpu = [], []
    for _ in range(reps):
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(calls):
            fn()
        wall.append((time.perf_counter() - t0) / calls)
        cpu.append((time.process_time() - c0) / calls)
    return wall, cpu


def phase_small(a: argparse.Namespace) -> dict:
    import satmodel as sm

    df = sm.datasets.load("ecsi_satisfaction")
    spec = sm.templates.ecsi()
    items = list(spec.indicator_names)
    X = df[items].to_numpy(dtype=np.float64)

    def tables(res):
        return res.paths, res.outer, res.r2, res.quality, res.htmt

    cases = {
        "fit+5 tables": lambda: tables(sm.fit_pls(spec, df)),
        "fit+5 tables, spec rebuilt": lambda: tables(sm.fit_pls(sm.templates.ecsi(), df)),
        "fit+5 tables+scores": lambda: (tables(r := sm.fit_pls(spec, df)), r.scores),
        "service: fit": lambda: sm.fit_pls(spec, X, columns=items),
        "service: fit+paths": lambda: sm.fit_pls(spec, X, columns=items).paths,
    }
    out = {"phase": "small", "satmodel_file": sm.__file__, "calls_per_rep": a.calls, "cases": {}}
    for name, fn in cases.items():
        wall, cpu = _per_call(fn, a.calls, a.reps)
        out["cases"][name] = {"times_s": wall, "median_s": float(np.median(wall)),
                              "cpu_s": cpu, "cpu_median_s": float(np.median(cpu))}
    res = sm.fit_pls(spec, df)
    out["paths"] = {f"{r.source}->{r.target}": float(r.estimate) for r in res.paths.itertuples()}
    return out


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024.0
    raise RuntimeError(f"{field} not in /proc/self/status")


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def phase_big(a: argparse.Namespace) -> dict:
    import gc

    import pandas as pd

    import _common
    import bench_fit
    import satmodel as sm

    items = [i for lv in _common.ECSI_BLOCKS.values() for i in lv]
    X0 = sm.datasets.load("ecsi_satisfaction")[items].to_numpy(dtype=np.float64)
    df = pd.DataFrame(bench_fit.big_data(X0, a.rows, a.seed), columns=items)
    spec = sm.templates.ecsi()
    sm.fit_pls(spec, df.iloc[:1000])  # imports and first-touch caches, off the peak
    gc.collect()
    out = {"phase": "big", "rows": a.rows, "input_mb": df.memory_usage(index=False).sum() / MIB,
           "satmodel_file": sm.__file__}
    base = _status_mb("VmRSS")
    out["peak_reset"] = _reset_peak()
    t0 = time.perf_counter()
    res = sm.fit_pls(spec, df)
    out["first_call_s"] = time.perf_counter() - t0
    out["fit_peak_over_base_mb"] = _status_mb("VmHWM") - base
    out["paths"] = {f"{r.source}->{r.target}": float(r.estimate) for r in res.paths.itertuples()}
    del res
    gc.collect()
    base = _status_mb("VmRSS")
    _reset_peak()
    res = sm.fit_pls(spec, df)
    _ = res.scores
    out["fit_scores_peak_over_base_mb"] = _status_mb("VmHWM") - base
    del res, _
    for name, fn in {"fit": lambda: sm.fit_pls(spec, df),
                     "fit+scores": lambda: sm.fit_pls(spec, df).scores}.items():
        times = []
        for _ in range(a.big_reps):
            gc.collect()
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        out[name] = {"times_s": times, "median_s": float(np.median(times))}
    # the floor of issue 16's acceptance: a plain numpy pass over the same frame
    times = []
    for _ in range(a.big_reps):
        t0 = time.perf_counter()
        Y = df.to_numpy(dtype=np.float64)
        m = Y.mean(axis=0)
        cov = np.zeros((Y.shape[1], Y.shape[1]))
        for s in range(0, Y.shape[0], 1 << 16):
            c = Y[s:s + (1 << 16)] - m
            cov += c.T @ c
        times.append(time.perf_counter() - t0)
    out["numpy pass"] = {"times_s": times, "median_s": float(np.median(times)),
                         "what": "to_numpy(float64), mean, chunked centred X'X"}
    return out


def phase_boot(a: argparse.Namespace) -> dict:
    """``res.bootstrap(n=B)`` on the ECSI fit (default tables), wall and CPU seconds."""
    import warnings

    import satmodel as sm

    warnings.simplefilter("ignore")
    res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
    res.bootstrap(n=200, seed=2, progress=False)  # warm-up (excluded)
    wall, cpu = [], []
    for _ in range(a.big_reps):
        t0, c0 = time.perf_counter(), time.process_time()
        boot = res.bootstrap(n=a.boot, seed=1, progress=False)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return {"phase": "boot", "B": a.boot, "satmodel_file": sm.__file__, "times_s": wall,
            "median_s": float(np.median(wall)), "cpu_s": cpu, "cpu_median_s": float(np.median(cpu)),
            "se_paths": boot.paths["se"].tolist()}


def phase_perm(a: argparse.Namespace) -> dict:
    """``sm.permutation_test`` at ``--perm-rows`` rows (issue 11: 136 s for 500 at 200,000),
    wall and CPU seconds and peak memory over the resident memory before it."""
    import gc
    import warnings

    import bench_memory
    import satmodel as sm

    warnings.simplefilter("ignore")
    df, _ = bench_memory._data(a.perm_rows, a.seed)
    df["group"] = np.where(np.arange(len(df)) % 3 == 0, "a", "b")
    spec = sm.templates.ecsi()
    sm.permutation_test(spec, df.iloc[:2000], "group", n=5, seed=2)  # warm-up
    gc.collect()
    base = _status_mb("VmRSS")
    reset = _reset_peak()
    t0, c0 = time.perf_counter(), time.process_time()
    out = sm.permutation_test(spec, df, "group", n=a.perm, seed=1)
    return {"phase": "perm", "rows": a.perm_rows, "B": a.perm, "satmodel_file": sm.__file__,
            "median_s": time.perf_counter() - t0, "cpu_median_s": time.process_time() - c0,
            "peak_over_base_mb": _status_mb("VmHWM") - base, "peak_reset": reset,
            "p": out["p"].tolist()}


# ----------------------------------------------------------------------------- driver

def _child(a: argparse.Namespace, phase: str, src: Path | None) -> dict:
    import _runner as R

    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(a.threads), OMP_NUM_THREADS=str(a.threads))
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(src), env.get("PYTHONPATH", "")])
    cmd = [sys.executable, str(Path(__file__).resolve()), "--phase", phase, "--calls",
           str(a.calls), "--reps", str(a.reps), "--rows", str(a.rows), "--big-reps",
           str(a.big_reps), "--seed", str(a.seed), "--boot", str(a.boot), "--perm",
           str(a.perm), "--perm-rows", str(a.perm_rows)]
    rec = R.run_child(cmd, phase, env=env)
    where = rec.get("satmodel_file", "")
    if src is not None and "error" not in rec and not where.startswith(str(Path(src).resolve())):
        rec = {"phase": phase, "error": f"the baseline {src} was not imported (got {where})"}
    return rec


def main() -> None:
    a = parse_args()
    if a.phase:
        rec = {"small": phase_small, "big": phase_big, "boot": phase_boot,
               "perm": phase_perm}[a.phase](a)
        print("BENCH_JSON " + json.dumps(rec), flush=True)
        return
    import _runner as R

    machine = R.announce_machine()
    machine["blas_threads"] = a.threads
    versions = {"current": None} if a.baseline is None else {"baseline": a.baseline, "current": None}
    runs: dict[str, dict] = {}
    for phase in ("big", "boot", "perm"):
        if phase in a.skip:
            continue
        for label, src in versions.items():
            R.log(f"\n== satmodel {label}: {phase}")
            runs[f"{label}/{phase}"] = rec = _child(a, phase, src)
            R.log("  " + (rec.get("error", "")[-800:] or "done"))
    # the small cases: rounds that alternate the tools, so a change of load hits them alike
    seminr, rounds = None, []
    with tempfile.TemporaryDirectory() as tmp:
        import _common
        import satmodel as sm
        items = [i for lv in _common.ECSI_BLOCKS.values() for i in lv]
        data = Path(tmp) / "ecsi.npz"
        np.savez(data, X=sm.datasets.load("ecsi_satisfaction")[items].to_numpy(float),
                 columns=np.array(items))
        os.environ.update(OPENBLAS_NUM_THREADS=str(a.threads), OMP_NUM_THREADS=str(a.threads))
        for k in range(a.rounds):
            got = {}
            for label, src in versions.items():
                R.log(f"\n== round {k + 1}/{a.rounds}: satmodel {label}: small")
                got[label] = rec = _child(a, "small", src)
                R.log("  " + (rec.get("error", "")[-800:] or "done"))
            if not a.no_seminr:
                seminr = R.peer("seminr", "seminr_fit.py", ["--data", str(data), "--reps",
                                str(a.reps), "--calls", str(a.calls)], 600, False)
                got["seminr"] = seminr.get("cases", {}).get("fit+tables", {})
            rounds.append(got)
    for label in versions:  # medians over the rounds' medians
        recs = [r[label] for r in rounds if "cases" in r.get(label, {})]
        if recs:
            runs[f"{label}/small"] = dict(recs[-1], cases={name: {
                **{key: float(np.median([x["cases"][name][key] for x in recs]))
                   for key in ("median_s", "cpu_median_s")},
                "round_medians_s": [x["cases"][name]["median_s"] for x in recs],
                "round_cpu_medians_s": [x["cases"][name]["cpu_median_s"] for x in recs]}
                for name in recs[-1]["cases"]})
    if seminr is not None:
        got = [r["seminr"] for r in rounds if "cpu_median_s" in r.get("seminr", {})]
        if got:
            seminr["cases"]["fit+tables"] = {
                **{key: float(np.median([g[key] for g in got])) for key in ("median_s", "cpu_median_s")},
                "round_medians_s": [g["median_s"] for g in got],
                "round_cpu_medians_s": [g["cpu_median_s"] for g in got]}
    report(a, machine, runs, seminr)


def report(a, machine: dict, runs: dict, seminr: dict | None) -> None:
    import _runner as R

    sem = sem_cpu = None
    case = (seminr or {}).get("cases", {}).get("fit+tables", {})
    if "cpu_median_s" in case:  # the peer script reports per call
        sem, sem_cpu = case["median_s"], case["cpu_median_s"]
    rows = []
    for key, rec in runs.items():
        label, phase = key.split("/")
        if phase != "small" or "cases" not in rec:
            continue
        for name, c in rec["cases"].items():
            rows.append([f"satmodel {label}", name, f"{c['cpu_median_s'] * 1e3:.2f}",
                         R.fmt_ratio(c["cpu_median_s"] / sem_cpu) if sem_cpu else "-",
                         f"{c['median_s'] * 1e3:.2f}", R.fmt_ratio(c["median_s"] / sem) if sem else "-"])
    if sem:
        rows.append(["seminr 0.2.1", "estimate_pls + reliability + htmt", f"{sem_cpu * 1e3:.2f}",
                     "1.00x", f"{sem * 1e3:.2f}", "1.00x"])
    R.log(f"\nSmall fit (ECSI, 250 rows), ms per call: median over {a.rounds} alternating rounds of "
          f"the median of {a.reps} x {a.calls} calls; CPU time of the process (steady under load) "
          "and wall time; '/ seminr' < 1: faster than seminr")
    R.print_table(["tool", "case", "cpu ms", "/ seminr", "wall ms", "/ seminr"], rows)
    big = [[k.split("/")[0], name, R.fmt_s(r[name]["median_s"]),
            f"{r.get('fit_peak_over_base_mb', float('nan')):.0f}" if name == "fit" else
            (f"{r.get('fit_scores_peak_over_base_mb', float('nan')):.0f}" if name == "fit+scores" else "-"),
            f"{r['input_mb']:.0f}"]
           for k, r in runs.items() if k.endswith("/big") and "fit" in r
           for name in ("fit", "fit+scores", "numpy pass")]
    other = [[k.split("/")[0], k.split("/")[1], R.fmt_s(r["cpu_median_s"]), R.fmt_s(r["median_s"]),
              f"{r['peak_over_base_mb']:.0f}" if "peak_over_base_mb" in r else "-"]
             for k, r in runs.items() if k.split("/")[1] in ("boot", "perm") and "median_s" in r]
    R.log(f"\nbootstrap B = {a.boot} (ECSI, default tables; median of {a.big_reps}); "
          f"permutation_test, {a.perm_rows:,} rows, {a.perm} permutations; seconds")
    R.print_table(["satmodel", "phase", "cpu s", "wall s", "peak +MB"], other)
    R.log(f"\nBig fit: {a.rows:,} rows x 27 items from a float64 DataFrame; seconds (median of "
          f"{a.big_reps}); peak MB over the resident memory before the call")
    R.print_table(["satmodel", "case", "s", "peak +MB", "input MB"], big)
    machine["load_average_end"] = R.load_average()
    R.write_json(a.out, {
        "benchmark": "speed",
        "settings": {"calls": a.calls, "reps": a.reps, "rounds": a.rounds, "boot": a.boot,
                     "perm": a.perm, "perm_rows": a.perm_rows, "rows": a.rows, "big_reps": a.big_reps,
                     "threads": a.threads, "baseline": str(a.baseline) if a.baseline else None,
                     "quick": a.quick, "timer": "perf_counter, warm-up excluded, median"},
        "machine": machine, "runs": runs,
        "seminr": {k: (seminr or {}).get(k) for k in ("version", "cases", "errors", "error",
                                                       "freeze", "estimates", "calls_per_rep")},
        "seminr_ms_per_call": sem * 1e3 if sem else None,
        "seminr_cpu_ms_per_call": sem_cpu * 1e3 if sem_cpu else None,
    })


if __name__ == "__main__":
    main()
