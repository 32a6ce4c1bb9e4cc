"""CB-SEM speed (issue 16, part 5): ``fit_cbsem`` against plain semopy, and
``cb.bootstrap(n=200)`` against a baseline satmodel (the last commit), in one run.

Phases, each in a fresh subprocess:

- ``fit``: ``sm.fit_cbsem(spec, df)`` on the ECSI model and its 250 shipped respondents
  (ML, with standard errors, fit indices and diagnostics), and plain semopy in the same
  process: ``semopy.Model(spec.to_lavaan()).fit(df)`` (its default MLW/SLSQP, no
  standard errors); ``--reps`` calls each, alternating, after one warm-up; medians;
- ``boot``: ``cb.bootstrap(n=--boot, seed=1)`` on that fit, once, after a warm-up of 3
  resamples; the standard errors of the paths are kept to compare the versions. The
  current version runs it three times: with its default ``n_jobs`` (worker processes:
  one per idle core, so the number depends on the load; recorded), with ``n_jobs=1``
  (this process only) and with ``n_jobs=2``. The machine record has the parallel capacity
  at the start and end (two CPU loops in a 2-process pool against one: 2.0 when both
  cores are free). CPU seconds include the workers' (``RUSAGE_CHILDREN``), so the CPU ratio
  is a load-robust view of the work saved;
- ``semopy_boot``: what a user writes with semopy alone, ``--semopy-boot`` resamples:
  a fresh ``semopy.Model(desc).fit(rows)`` (its defaults, no standard errors) on the rows
  of each resample (the same seeded row counts); compared per resample.

``--baseline SRC`` runs both phases with another satmodel source tree first on the path,
e.g. the last commit: ``git archive HEAD src | tar -x -C /tmp/base`` then ``--baseline
/tmp/base/src``. ``--baseline-boot`` resamples for the baseline (default: ``--boot``; fewer
only when its per-resample time is wanted on a busy machine; the table then compares
seconds per resample and says so).

BLAS threads: ``--threads N`` sets OPENBLAS_NUM_THREADS / OMP_NUM_THREADS for every phase;
``--threads default`` leaves the environment as a user has it (OpenBLAS then starts one
thread per core). The current satmodel limits semopy work to one thread itself, the
baseline did not, so the default setting is the user's view and ``--threads 1`` the
conservative comparison.

    .venv/bin/python benchmarks/bench_cbsem.py --baseline /tmp/base/src [--threads 1]

Writes benchmarks/results/cbsem.json (``--out`` to change), with the machine, versions,
load averages and settings.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--baseline", type=Path, help="another satmodel src/ to time too")
    p.add_argument("--reps", type=int, default=15, help="timed fits per tool (default 15)")
    p.add_argument("--boot", type=int, default=200, help="bootstrap resamples (default 200)")
    p.add_argument("--baseline-boot", type=int, help="resamples for the baseline (default --boot)")
    p.add_argument("--semopy-boot", type=int, default=40,
                   help="resamples for the plain semopy loop (default 40; per resample)")
    p.add_argument("--threads", default="1", help="BLAS threads: a number or 'default' (env as is)")
    p.add_argument("--skip", default="", help="phases to leave out: fit,boot,semopy_boot")
    p.add_argument("--phase", help=argparse.SUPPRESS)
    p.add_argument("--out", type=Path)
    a = p.parse_args(argv)
    a.baseline_boot = a.baseline_boot or a.boot
    a.skip = [x for x in a.skip.split(",") if x]
    a.out = a.out or HERE / "results" / "cbsem.json"
    return a


def _data():
    import satmodel as sm

    return sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction")


def phase_fit(a: argparse.Namespace) -> dict:
    import warnings

    import semopy

    import satmodel as sm

    warnings.simplefilter("ignore")
    spec, df = _data()
    items = df[list(spec.indicator_names)]
    desc = spec.to_lavaan()
    cases = {"fit_cbsem": lambda: sm.fit_cbsem(spec, df),
             "semopy": lambda: semopy.Model(desc).fit(items)}
    times: dict[str, list[float]] = {k: [] for k in cases}
    for fn in cases.values():
        fn()
    for _ in range(a.reps):  # alternate, so a change of load hits both alike
        for name, fn in cases.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    cb = sm.fit_cbsem(spec, df)
    return {"phase": "fit", "satmodel_file": sm.__file__, "semopy": semopy.__version__,
            "times_s": times, "median_s": {k: float(np.median(v)) for k, v in times.items()},
            "chi2": float(cb.fit_indices["chi2"]), "paths": cb.paths["estimate"].tolist()}


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the bootstrap's workers)."""
    import resource

    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def phase_boot(a: argparse.Namespace, n: int) -> dict:
    import inspect
    import warnings

    import satmodel as sm

    warnings.simplefilter("ignore")
    spec, df = _data()
    cb = sm.fit_cbsem(spec, df)
    cb.bootstrap(n=3, seed=2, progress=False)  # warm-up (excluded)
    runs = {"default": {}}
    if "n_jobs" in inspect.signature(cb.bootstrap).parameters:
        from satmodel.cbsem.bootstrap import jobs

        chosen = jobs(None, n)  # the default (this process)
        runs = {"default": {"n_jobs": chosen}, "n_jobs=1": {"n_jobs": 1}, "n_jobs=2": {"n_jobs": 2}}
    out = {"phase": "boot", "satmodel_file": sm.__file__, "B": n, "runs": {}}
    for label, options in runs.items():
        t0, c0 = time.perf_counter(), _cpu()
        boot = cb.bootstrap(n=n, seed=1, progress=False, **options)
        wall, cpu = time.perf_counter() - t0, _cpu() - c0
        out["runs"][label] = {"seconds": wall, "cpu_s": cpu, "per_resample_s": wall / n,
                              "n_valid": boot.inference.n_valid,
                              "n_jobs": options.get("n_jobs"),
                              "se_paths": boot.paths["se"].tolist()}
    first = out["runs"]["default"]
    out.update({k: first[k] for k in ("seconds", "cpu_s", "per_resample_s", "n_valid", "se_paths")})
    return out


def _busy(seconds: float) -> float:
    t = time.process_time()
    while time.process_time() - t < seconds:
        pass
    return seconds


def parallel_capacity(seconds: float = 0.5) -> float:
    """Cores this run could use at once: two ``seconds``-long CPU loops in a 2-process
    pool against one loop alone (2.0 on an idle 2-core machine, 1.0 when the second core
    is taken by other work)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    t0 = time.perf_counter()
    _busy(seconds)
    one = time.perf_counter() - t0
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as ex:
        list(ex.map(_busy, [0.01, 0.01]))  # start the workers first
        t0 = time.perf_counter()
        list(ex.map(_busy, [seconds, seconds]))
        two = time.perf_counter() - t0
    return round(2 * one / two, 2)


def phase_semopy_boot(a: argparse.Namespace, n: int) -> dict:
    """Plain semopy refits of the rows of ``n`` resamples (the driver's seeded counts)."""
    import warnings

    import pandas as pd
    import semopy

    warnings.simplefilter("ignore")
    spec, df = _data()
    items = df[list(spec.indicator_names)]
    X, desc = items.to_numpy(float), spec.to_lavaan()
    rng = np.random.default_rng(1)
    idx = rng.integers(0, len(X), size=(n, len(X)))
    semopy.Model(desc).fit(items)  # warm-up
    t0, c0 = time.perf_counter(), _cpu()
    ok = 0
    for take in idx:
        res = semopy.Model(desc).fit(pd.DataFrame(X[take], columns=items.columns))
        ok += bool(res.success)
    wall, cpu = time.perf_counter() - t0, _cpu() - c0
    return {"phase": "semopy_boot", "semopy": semopy.__version__, "B": n, "seconds": wall,
            "cpu_s": cpu, "per_resample_s": wall / n, "n_valid": ok}


def _child(a: argparse.Namespace, phase: str, src: Path | None, n: int) -> dict:
    import _runner as R

    env = dict(os.environ)
    if a.threads != "default":
        env.update(OPENBLAS_NUM_THREADS=str(a.threads), OMP_NUM_THREADS=str(a.threads))
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(src), env.get("PYTHONPATH", "")])
    cmd = [sys.executable, str(Path(__file__).resolve()), "--phase", phase, "--reps", str(a.reps),
           "--boot", str(n)]
    rec = R.run_child(cmd, phase, env=env)
    where = rec.get("satmodel_file", "")
    if src is not None and "error" not in rec and not where.startswith(str(Path(src).resolve())):
        rec = {"phase": phase, "error": f"the baseline {src} was not imported (got {where})"}
    rec["load_average_after"] = R.load_average()
    return rec


def main() -> None:
    a = parse_args()
    if a.phase:
        import json

        rec = (phase_fit(a) if a.phase == "fit" else phase_boot(a, a.boot) if a.phase == "boot"
               else phase_semopy_boot(a, a.boot))
        print("BENCH_JSON " + json.dumps(rec), flush=True)
        return
    import _runner as R

    machine = R.announce_machine()
    machine["blas_threads"] = a.threads
    machine["parallel_capacity_start"] = parallel_capacity()
    versions = {"current": None} if a.baseline is None else {"baseline": a.baseline, "current": None}
    runs: dict[str, dict] = {}
    for phase in ("fit", "boot"):
        if phase in a.skip:
            continue
        for label, src in versions.items():
            R.log(f"\n== satmodel {label}: {phase}")
            n = a.baseline_boot if label == "baseline" else a.boot
            runs[f"{label}/{phase}"] = rec = _child(a, phase, src, n)
            R.log("  " + (rec.get("error", "")[-800:] or "done"))
    if "semopy_boot" not in a.skip:
        R.log("\n== plain semopy: bootstrap loop")
        runs["semopy/boot"] = rec = _child(a, "semopy_boot", None, a.semopy_boot)
        R.log("  " + (rec.get("error", "")[-800:] or "done"))
    rows = []
    for label in versions:
        fit = runs.get(f"{label}/fit", {})
        if "median_s" in fit:
            m = fit["median_s"]
            rows.append([f"satmodel {label}", "fit_cbsem (ECSI, ML)", R.fmt_s(m["fit_cbsem"]),
                         R.fmt_ratio(m["fit_cbsem"] / m["semopy"]) + " semopy"])
            rows.append([f"semopy {fit['semopy']} ({label} run)", "Model(desc).fit(df)",
                         R.fmt_s(m["semopy"]), "1.00x"])
    cur, base = runs.get("current/boot", {}), runs.get("baseline/boot", {})
    plain = runs.get("semopy/boot", {})
    ratios = {}
    if "seconds" in base:
        rows.append(["satmodel baseline", f"bootstrap n={base['B']} ({base['n_valid']} kept)",
                     R.fmt_s(base["seconds"]), f"cpu {base['cpu_s']:.1f} s"])
    if "per_resample_s" in plain:
        rows.append([f"semopy {plain['semopy']}", f"Model(desc).fit(rows) x {plain['B']}",
                     R.fmt_s(plain["seconds"]), f"cpu {plain['cpu_s']:.1f} s"])
    for label, rec in cur.get("runs", {}).items():
        per, cpu = rec["per_resample_s"], rec["cpu_s"] / cur["B"]
        notes = [f"n_jobs={rec['n_jobs']}", f"cpu {rec['cpu_s']:.1f} s"]
        if "per_resample_s" in base:
            same = base["B"] == cur["B"]
            ratios[f"{label}_vs_baseline_wall"] = r = base["per_resample_s"] / per
            ratios[f"{label}_vs_baseline_cpu"] = rc = base["cpu_s"] / base["B"] / cpu
            notes.append(f"{r:.1f}x faster{'' if same else ' per resample'} (cpu {rc:.1f}x)")
        if "per_resample_s" in plain:
            ratios[f"{label}_vs_semopy_wall"] = r = plain["per_resample_s"] / per
            notes.append(f"{r:.1f}x semopy per resample")
        rows.append([f"satmodel current ({label})", f"bootstrap n={cur['B']} ({rec['n_valid']} kept)",
                     R.fmt_s(rec["seconds"]), "; ".join(notes)])
    runs["ratios"] = ratios
    R.log(f"\nCB-SEM, ECSI (250 rows, 27 items), BLAS threads: {a.threads}; seconds (fit: median "
          f"of {a.reps})")
    R.print_table(["tool", "case", "s", "ratio"], rows)
    if "se_paths" in cur and "se_paths" in base and base["B"] == cur["B"]:
        d = float(np.max(np.abs(np.array(cur["se_paths"]) - np.array(base["se_paths"]))))
        R.log(f"max |bootstrap se of the paths, current - baseline| = {d:.2e}")
        runs["se_paths_max_abs_diff"] = d
    machine["load_average_end"] = R.load_average()
    machine["parallel_capacity_end"] = parallel_capacity()
    R.log(f"parallel capacity (cores usable at once; 2 = both free): "
          f"{machine['parallel_capacity_start']} at the start, {machine['parallel_capacity_end']} at the end")
    R.write_json(a.out, {"benchmark": "cbsem", "settings": {
        "reps": a.reps, "boot": a.boot, "baseline_boot": a.baseline_boot, "threads": a.threads,
        "semopy_boot": a.semopy_boot,
        "baseline": str(a.baseline) if a.baseline else None,
        "timer": "perf_counter; fit: median after a warm-up, alternating; boot: one call"},
        "machine": machine, "runs": runs})


if __name__ == "__main__":
    main()
