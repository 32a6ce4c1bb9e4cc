"""Bootstrap benchmark: satmodel vs Python peers vs a pure-numpy floor (issue 5, part 8).

ECSI satisfaction model on ``ecsi_satisfaction`` (250 respondents x 27 items; Mode A,
path scheme, no PLSc), B = 1000 and 5000 resamples. Each peer runs in its own venv
(``benchmarks/.venvs/<peer>``, created here, pinned versions from PyPI) as a
subprocess that prints its timings as JSON. Slow peers run a smaller B and are
scaled linearly to the target B (marked ``scaled`` in the table and the JSON).

    .venv/bin/python benchmarks/bench_bootstrap.py            # full run (~9-12 min)
    .venv/bin/python benchmarks/bench_bootstrap.py --quick    # short run (~70 s once venvs exist)

See benchmarks/README.md for what each number means.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent / "peers"))
import _common  # noqa: E402  (ECSI model definition, shared with the peer scripts)
import _runner as R  # noqa: E402
import floor  # noqa: E402
import large_case  # noqa: E402  (the 15 x 80 case and the flop-count limit)

# peer name -> (script, largest B actually run in a full / a quick run; None = the target B)
PEERS = {
    "seminr": ("seminr_boot.py", None, 1000),
    "omnisem": ("omnisem_boot.py", None, 1000),
    "plspm": ("plspm_boot.py", 40, 10),
    "openpls-engine": ("openpls_boot.py", 100, 20),
}
# issue 5 "Acceptance" (benchmark figures, B = 5000): satmodel must be this many times faster
TARGETS = {"seminr": 50.0, "omnisem": 20.0, "plspm": 500.0}
FLOOR_TARGET = 2.0  # satmodel within 2x of the floor
# issue 16 "Acceptance" (B = 5000, ECSI): tool / satmodel at least, satmodel / floor and
# satmodel / flop-count limit at most; the 15 x 80 case: seminr / satmodel at least
TARGETS_16 = {"seminr": 100.0, "omnisem": 40.0, "floor": 1.0, "flop_limit": 4.0,
              "flop_limit_paired": 4.0, "large_seminr": 50.0}


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="short run: fewer repetitions, peers at a small B scaled up")
    p.add_argument("--bs", default="1000,5000", help="target resample counts (default 1000,5000)")
    p.add_argument("--reps", type=int, help="repetitions for satmodel and the floor (default 7, quick 3)")
    p.add_argument("--peer-reps", type=int, help="repetitions per peer case (default 3, quick 1)")
    p.add_argument("--peers", default=",".join(PEERS),
                   help=f"comma-separated subset of {','.join(PEERS)}; '' for none")
    p.add_argument("--cap", action="append", default=[], metavar="PEER=B",
                   help="largest B to actually run for a peer (scaled up to the target); repeatable")
    p.add_argument("--peer-cores", type=int, default=os.cpu_count() or 1,
                   help="worker processes for peers that have the option (default: all cores)")
    p.add_argument("--timeout", type=float, help="seconds per peer subprocess (default 600, quick 180)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--large-b", type=int, default=1000,
                   help="B of the 15 constructs x 80 items case (default 1000; 0 skips it)")
    p.add_argument("--large-n", type=int, default=500, help="rows of the 15 x 80 case (default 500)")
    p.add_argument("--large-cap", type=int, help="largest B seminr runs in the 15 x 80 case "
                   "(scaled up; default 200, quick 100)")
    p.add_argument("--flop-rounds", type=int, default=5,
                   help="paired rounds (a B = 5000 bootstrap, then the GEMM rate) for the flop-count "
                   "limit, each ratio from its own pair (default 5; 0 skips them)")
    p.add_argument("--rebuild-venvs", action="store_true", help="recreate the peer venvs")
    p.add_argument("--out", type=Path,
                   help="JSON output (default results/bootstrap.json, quick: results/bootstrap.quick.json)")
    a = p.parse_args()
    a.bs = [int(b) for b in a.bs.split(",") if b]
    a.reps = a.reps or (3 if a.quick else 7)
    a.peer_reps = a.peer_reps or (1 if a.quick else 3)
    a.timeout = a.timeout or (180.0 if a.quick else 600.0)
    a.out = a.out or R.RESULTS / ("bootstrap.quick.json" if a.quick else "bootstrap.json")
    a.peers = [x for x in a.peers.split(",") if x]
    a.large_cap = a.large_cap or (100 if a.quick else 200)
    unknown = set(a.peers) - set(PEERS)
    if unknown:
        p.error(f"unknown peers {sorted(unknown)}; choose from {list(PEERS)}")
    a.caps = {name: (quick if a.quick else full) for name, (_, full, quick) in PEERS.items()}
    for item in a.cap:
        name, _, b = item.partition("=")
        if name not in PEERS or not b.isdigit():
            p.error(f"--cap expects PEER=B with PEER in {list(PEERS)}, got {item!r}")
        a.caps[name] = int(b)
    return a


def run_plan(target: int, cap: int | None, cores: int) -> int:
    """B actually run for a target B: the target, or the cap rounded to a multiple of cores."""
    if cap is None or cap >= target:
        return target
    return max(cores, cap - cap % cores)


def main() -> None:
    a = parse_args()
    import satmodel as sm

    machine = R.announce_machine()
    R.log(f"B = {a.bs}; satmodel/floor: warm-up + {a.reps} reps; peers: warm-up + {a.peer_reps} reps"
          f"{' (QUICK)' if a.quick else ''}")

    df = sm.datasets.load("ecsi_satisfaction")
    spec = sm.templates.ecsi()
    items = [i for lv in _common.ECSI_BLOCKS.values() for i in lv]
    X = df[items].to_numpy(dtype=np.float64)
    rows: list[dict] = []
    estimates: dict[str, dict[str, float]] = {}
    errors: dict[str, str] = {}

    # ---- satmodel (point fit outside the timing: res.bootstrap only)
    R.log("\n== satmodel  res.bootstrap(n=B, seed, progress=False)")
    try:
        res = sm.fit_pls(spec, df)
        estimates["satmodel"] = {_common.path_key(r.source, r.target): float(r.estimate)
                                 for r in res.paths.itertuples()}
        for B in a.bs:
            times = R.time_calls(lambda: res.bootstrap(n=B, seed=a.seed, progress=False), a.reps,
                                 warmup=lambda: res.bootstrap(n=min(B, 100), seed=a.seed, progress=False))
            rows.append({"tool": "satmodel", "version": machine["satmodel"], "B": B, "b_run": B,
                         "times_s": times, "median_s": R.median(times), "scaled": False})
            R.log(f"  B={B}: median {R.median(times):.3f} s ({', '.join(f'{t:.3f}' for t in times)})")
    except Exception as exc:  # recorded and printed, the run goes on
        import traceback
        traceback.print_exc()
        errors["satmodel"] = f"{type(exc).__name__}: {exc}"
        R.log(f"  ERROR satmodel: {errors['satmodel']}")

    # ---- numpy floor
    R.log("\n== numpy floor  (benchmarks/floor.py: multinomial counts -> B correlation matrices -> batched PLS)")
    model = floor.Model(_common.ECSI_BLOCKS, _common.ECSI_PATHS, items)
    estimates["floor"] = {_common.path_key(s, d): float(v)
                          for (s, d), v in zip(_common.ECSI_PATHS, floor.fit_floor(X, model)["paths"])}
    for B in a.bs:
        times = R.time_calls(lambda: floor.bootstrap_floor(X, model, B, seed=a.seed), a.reps,
                             warmup=lambda: floor.bootstrap_floor(X, model, min(B, 100), seed=a.seed))
        rows.append({"tool": "numpy floor", "version": f"numpy {np.__version__}", "B": B, "b_run": B,
                     "times_s": times, "median_s": R.median(times), "scaled": False})
        R.log(f"  B={B}: median {R.median(times):.3f} s ({', '.join(f'{t:.3f}' for t in times)})")

    # ---- peers, each in its own venv
    peer_records: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "ecsi.npz"
        np.savez(data, X=X, columns=np.array(items))
        for name in a.peers:
            script = PEERS[name][0]
            plan = {B: run_plan(B, a.caps[name], a.peer_cores) for B in a.bs}
            b_runs = sorted(set(plan.values()))
            warm = min(20, min(b_runs))
            warm += (-warm) % a.peer_cores
            args = ["--data", str(data), "--bs", ",".join(map(str, b_runs)), "--reps", str(a.peer_reps),
                    "--warmup-b", str(warm), "--cores", str(a.peer_cores), "--seed", str(a.seed)]
            rec = R.peer(name, script, args, a.timeout, a.rebuild_venvs)
            peer_records[name] = rec
            if rec.get("estimates"):
                estimates[name] = rec["estimates"]
            if rec.get("error"):
                errors[name] = rec["error"]
            cases = rec.get("cases", {})
            overhead = cases.get("fit", {}).get("median_s", 0.0) if rec.get("bootstrap_includes_fit") else 0.0
            for B in a.bs:
                case = cases.get(f"B={plan[B]}", {})
                if "median_s" not in case:
                    if "error" in case:
                        errors.setdefault(name, case["error"])
                    continue
                boot = max(case["median_s"] - overhead, 0.0)
                rows.append({"tool": name, "version": rec.get("version"), "B": B, "b_run": plan[B],
                             "times_s": case["times_s"], "measured_median_s": case["median_s"],
                             "fit_subtracted_s": overhead, "median_s": boot * B / plan[B],
                             "scaled": plan[B] != B, "cores": rec.get("cores"),
                             "notes": rec.get("notes", [])})

    # ---- the flop-count limit of the ECSI bootstrap (issue 16), in this run
    flop = {}
    if "satmodel" not in errors:
        rate = large_case.gemm_rate(X.shape[0], X.shape[1], max(a.bs))
        steps = float(np.mean(res.context.est.n_iter))
        for B in a.bs:
            flop[str(B)] = large_case.flop_limit(B, X.shape[0], X.shape[1],
                                                 len(_common.ECSI_BLOCKS), steps, rate)
            sat_s = next(r["median_s"] for r in rows if r["tool"] == "satmodel" and r["B"] == B)
            flop[str(B)]["satmodel_over_limit"] = sat_s / flop[str(B)]["limit_s"]
            R.log(f"flop-count limit B={B}: {flop[str(B)]['limit_s']:.3f} s at "
                  f"{rate / 1e9:.1f} GFLOP/s; satmodel {flop[str(B)]['satmodel_over_limit']:.2f}x it")
        if a.flop_rounds and 5000 in a.bs:
            flop["5000"]["paired"] = paired_flop_rounds(res, X, steps, a.flop_rounds, a.seed)
    large = run_large(a, machine) if a.large_b else {}

    # ---- ratios and table
    sat = {r["B"]: r["median_s"] for r in rows if r["tool"] == "satmodel"}
    for r in rows:
        s = sat.get(r["B"])
        r["x_vs_satmodel"] = r["median_s"] / s if s else None
    ratios = {str(B): {r["tool"]: r["x_vs_satmodel"] for r in rows if r["B"] == B and r["tool"] != "satmodel"}
              for B in a.bs}
    sat_over_floor = {str(B): (sat[B] / r["median_s"]) for r in rows
                      if r["tool"] == "numpy floor" and (B := r["B"]) in sat}

    R.log("\nBootstrap, ECSI 250 x 27, Mode A, path scheme; median seconds of the repetitions "
          "(warm-up excluded); 'x satmodel' = tool time / satmodel time (>1: satmodel faster)")
    table = []
    for B in a.bs:
        for r in [r for r in rows if r["B"] == B]:
            how = f"B={r['b_run']} scaled" if r["scaled"] else f"{len(r['times_s'])} reps"
            if r.get("fit_subtracted_s"):
                how += ", -fit"
            target = ""
            if B == 5000 and r["tool"] in TARGETS:
                target = f">= {TARGETS[r['tool']]:.0f}x"
            elif B == 5000 and r["tool"] == "numpy floor":
                target = f">= {1 / FLOOR_TARGET:.2f}x"
            table.append([r["tool"], str(B), R.fmt_s(r["median_s"]), how,
                          R.fmt_ratio(r["x_vs_satmodel"]), target])
    for name, msg in errors.items():
        table.append([name, "-", "-", "ERROR: " + msg.splitlines()[0][:60], "-", ""])
    R.print_table(["tool", "B", "median s", "how", "x satmodel", "target"], table)
    for B, v in sat_over_floor.items():
        R.log(f"satmodel / numpy floor at B={B}: {v:.2f}x (target <= {FLOOR_TARGET:.0f}x at 5000)")
    if any(r["scaled"] for r in rows):
        R.log("scaled: the peer ran a smaller B (column 'how'); its time was scaled linearly to B.")
    if any(r.get("fit_subtracted_s") for r in rows):
        R.log("-fit: the peer's API fits and bootstraps in one call; the median time of the same call "
              "without bootstrap was subtracted.")
    verdict = issue16_verdict(ratios, sat_over_floor, flop, large)
    for line in verdict["lines"]:
        R.log(line)
    R.report_end(estimates, errors, machine)
    R.write_json(a.out, {
        "benchmark": "bootstrap",
        "model": "ECSI (IMAG, EXPE, QUAL, VAL, SAT, LOY), Mode A, path scheme, no PLSc",
        "data": {"name": "ecsi_satisfaction", "rows": int(X.shape[0]), "items": int(X.shape[1])},
        "settings": {"quick": a.quick, "B": a.bs, "reps": a.reps, "peer_reps": a.peer_reps,
                     "peer_cores": a.peer_cores, "caps": {k: a.caps[k] for k in a.peers},
                     "seed": a.seed, "timer": "time.perf_counter, one warm-up run excluded, median"},
        "machine": machine,
        "results": rows,
        "ratios_tool_over_satmodel": ratios,
        "satmodel_over_floor": sat_over_floor,
        "targets_at_5000": {**{k: f"satmodel >= {v:.0f}x faster" for k, v in TARGETS.items()},
                            "numpy floor": f"satmodel <= {FLOOR_TARGET:.0f}x the floor"},
        "flop_limit": flop,
        "issue16_targets": verdict["checks"],
        "large_15x80": large,
        "estimates": estimates,
        "errors": errors,
        "peers": {k: {kk: v.get(kk) for kk in ("version", "requirements", "freeze", "cores", "notes",
                                               "errors", "error", "cases", "wall_s")}
                  for k, v in peer_records.items()},
    })


def paired_flop_rounds(res, X: np.ndarray, steps: float, rounds: int, seed: int) -> dict:
    """``rounds`` back-to-back pairs (one B = 5000 bootstrap, then the GEMM rate), each
    round's ratio from its own pair: the VM's speed drifts between phases of a run, and a
    pair sees one phase. The bootstrap goes first, after a pause: OpenBLAS's threads
    spin for a while after a product and would take its cores."""
    ratios, times, rates = [], [], []
    for _ in range(rounds):
        time.sleep(0.5)
        t0 = time.perf_counter()
        res.bootstrap(n=5000, seed=seed, progress=False)
        took = time.perf_counter() - t0
        rate = large_case.gemm_rate(X.shape[0], X.shape[1], 5000)
        limit = large_case.flop_limit(5000, X.shape[0], X.shape[1], len(_common.ECSI_BLOCKS),
                                      steps, rate)["limit_s"]
        ratios.append(took / limit)
        times.append(took)
        rates.append(rate / 1e9)
    R.log("flop-count limit B=5000, paired rounds (satmodel, then the GEMM rate): "
          + ", ".join(f"{r:.2f}x" for r in ratios) + f"; median {R.median(ratios):.2f}x")
    return {"ratios": ratios, "satmodel_s": times, "gemm_rate_gflops": rates,
            "median_ratio": R.median(ratios)}


def issue16_verdict(ratios: dict, sat_over_floor: dict, flop: dict, large: dict) -> dict:
    """Issue 16's acceptance figures of this run (B = 5000 and the 15 x 80 case), each
    with its target and whether it is met."""
    at = ratios.get("5000", {})
    got = {"seminr": at.get("seminr"), "omnisem": at.get("omnisem"),
           "floor": sat_over_floor.get("5000"),
           "flop_limit": flop.get("5000", {}).get("satmodel_over_limit"),
           "flop_limit_paired": flop.get("5000", {}).get("paired", {}).get("median_ratio"),
           "large_seminr": large.get("seminr_over_satmodel")}
    checks, lines = {}, ["issue 16 targets (this run):"]
    for key, value in got.items():
        if value is None:
            continue
        at_most = key in ("floor", "flop_limit", "flop_limit_paired")
        ok = value <= TARGETS_16[key] if at_most else value >= TARGETS_16[key]
        checks[key] = {"value": value, "target": TARGETS_16[key],
                       "kind": "at most" if at_most else "at least", "met": bool(ok)}
        lines.append(f"  {key:>17}: {value:7.2f}x ({'<=' if at_most else '>='} "
                     f"{TARGETS_16[key]:g}x) {'met' if ok else 'NOT met'}")
    return {"checks": checks, "lines": lines}


def run_large(a: argparse.Namespace, machine: dict) -> dict:
    """The 15 constructs x 80 items case (``large_case``): satmodel ``res.bootstrap``, the
    numpy floor and seminr-py (at ``--large-cap`` resamples, scaled to ``--large-b``)."""
    import json

    import pandas as pd

    import satmodel as sm

    B = a.large_b
    blocks, paths = large_case.large_model()
    cols, X = large_case.large_data(a.large_n, a.seed)
    R.log(f"\n== 15 constructs x 80 items ({a.large_n} rows, {len(paths)} paths), B = {B}")
    out: dict = {"rows": a.large_n, "items": X.shape[1], "constructs": len(blocks),
                 "paths": len(paths), "B": B}
    spec = sm.ModelSpec.from_lavaan(large_case.lavaan(blocks, paths))
    res = sm.fit_pls(spec, pd.DataFrame(X, columns=cols))
    times = R.time_calls(lambda: res.bootstrap(n=B, seed=a.seed, progress=False), a.reps,
                         warmup=lambda: res.bootstrap(n=min(B, 100), seed=a.seed, progress=False))
    out["satmodel_s"] = R.median(times)
    model = floor.Model(blocks, paths, cols)
    ftimes = R.time_calls(lambda: floor.bootstrap_floor(X, model, B, seed=a.seed), a.reps,
                          warmup=lambda: floor.bootstrap_floor(X, model, min(B, 100), seed=a.seed))
    out["floor_s"] = R.median(ftimes)
    R.log(f"  satmodel median {out['satmodel_s']:.3f} s; numpy floor {out['floor_s']:.3f} s "
          f"(satmodel / floor {out['satmodel_s'] / out['floor_s']:.2f}x)")
    rate = large_case.gemm_rate(X.shape[0], X.shape[1], B)
    out["flop_limit"] = large_case.flop_limit(B, X.shape[0], X.shape[1], len(blocks),
                                              float(np.mean(res.context.est.n_iter)), rate)
    out["satmodel_over_limit"] = out["satmodel_s"] / out["flop_limit"]["limit_s"]
    if "seminr" in a.peers:
        b_run = run_plan(B, a.large_cap, a.peer_cores)
        with tempfile.TemporaryDirectory() as tmp:
            data, spec_file = Path(tmp) / "large.npz", Path(tmp) / "model.json"
            np.savez(data, X=X, columns=np.array(cols))
            spec_file.write_text(json.dumps({"blocks": blocks, "paths": paths}))
            warm = a.peer_cores * 2
            rec = R.peer("seminr", "seminr_boot.py",
                         ["--data", str(data), "--model", str(spec_file), "--bs", str(b_run),
                          "--reps", str(a.peer_reps), "--warmup-b", str(warm),
                          "--cores", str(a.peer_cores), "--seed", str(a.seed)],
                         a.timeout, a.rebuild_venvs)
        case = rec.get("cases", {}).get(f"B={b_run}", {})
        out["seminr"] = {k: rec.get(k) for k in ("version", "cores", "error", "errors", "notes")}
        if "median_s" in case:
            out["seminr"].update(b_run=b_run, measured_median_s=case["median_s"],
                                 scaled_s=case["median_s"] * B / b_run, scaled=b_run != B)
            out["seminr_over_satmodel"] = out["seminr"]["scaled_s"] / out["satmodel_s"]
            mine = {_common.path_key(r.source, r.target): float(r.estimate)
                    for r in res.paths.itertuples()}
            theirs = rec.get("estimates") or {}
            if theirs:
                out["seminr_max_abs_path_diff"] = max(abs(mine[k] - v) for k, v in theirs.items())
    R.log("  15 x 80: " + ", ".join(f"{k} {v:.3g}" for k, v in out.items()
                                     if isinstance(v, float)))
    return out


if __name__ == "__main__":
    main()
