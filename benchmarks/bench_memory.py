"""Peak memory of the resampling verbs against the documented budget (issue 11 part 8).

The budget (satmodel.inference.driver): a chunk's per-draw arrays fit ``MEMORY_BUDGET``
(256 MiB); fixed working sets come on top once: EM's E-step blocks
(``satmodel.moments.missing.EM_WORK_BYTES``, 32 MiB) and the data. The kept draws
(B x table rows floats) are the result, not working memory, and are reported apart.

Phases, each in a fresh subprocess: ``base`` = the resident memory (VmRSS) after
building the data and the fit; then the peak (VmHWM) is reset to it
(/proc/self/clear_refs) and read after the verb, so ``peak - base`` is the verb's own:

- ``em_boot``: ``missing="em"`` fit on n rows (default 2000, ECSI resampled, 10 % of the
  cells missing at random, ~1300 missingness patterns), then ``res.bootstrap(n=B)``
  with the driver's chunks (every default table);
- ``em_boot_one_chunk``: the same with ``chunk_size=B`` (issue 11: B = 40 in one chunk
  peaked at 2.3 GB when EM held a (p, p) system per pattern and resample);
- ``permutation``: ``sm.permutation_test`` on n rows (default 200,000, complete data,
  two groups) with B permutations (issue 11: a fixed chunk of 500 held ~2 GB at n = 100k).

    .venv/bin/python benchmarks/bench_memory.py            # full (~3-5 min on 2 cores)
    .venv/bin/python benchmarks/bench_memory.py --quick    # smaller B (~1 min)

Writes benchmarks/results/memory.json (quick: memory.quick.json) with the machine.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
MIB = 2**20


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="B = 40 (EM), 20 (permutations)")
    p.add_argument("--em-rows", type=int, default=2000, help="rows of the EM fit (default 2000)")
    p.add_argument("--em-share", type=float, default=0.10, help="share of cells missing (0.10)")
    p.add_argument("--em-boot", type=int, help="EM bootstrap resamples (default 200, quick 40)")
    p.add_argument("--perm-rows", type=int, default=200_000, help="rows (default 200,000)")
    p.add_argument("--perm", type=int, help="permutations (default 100, quick 20)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--phase", help=argparse.SUPPRESS)
    p.add_argument("--out", type=Path, help="JSON output (default results/memory.json)")
    a = p.parse_args(argv)
    a.em_boot = a.em_boot or (40 if a.quick else 200)
    a.perm = a.perm or (20 if a.quick else 100)
    a.out = a.out or HERE / "results" / ("memory.quick.json" if a.quick else "memory.json")
    return a


def _status_mb(field: str) -> float:
    """VmRSS (now) or VmHWM (peak) of this process from /proc, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024.0  # kB
    raise RuntimeError(f"{field} not in /proc/self/status")


def _reset_peak() -> bool:
    """Reset the peak RSS (VmHWM) to the current RSS (Linux: /proc/self/clear_refs 5)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _data(rows: int, seed: int, share: float = 0.0):
    import numpy as np

    import satmodel as sm

    base = sm.datasets.load("ecsi_satisfaction")
    rng = np.random.default_rng(seed)
    df = base.iloc[rng.integers(0, len(base), size=rows)].reset_index(drop=True)
    items = list(sm.templates.ecsi().indicator_names)
    if share:
        df[items] = df[items].astype(float).mask(rng.random((rows, len(items))) < share)
    return df, items


def run_phase(a: argparse.Namespace) -> dict:
    import warnings

    import numpy as np

    import satmodel as sm
    from satmodel.inference import driver
    from satmodel.moments import missing

    warnings.simplefilter("ignore")  # missing-share and sign warnings: not measured
    spec = sm.templates.ecsi()
    out: dict = {"phase": a.phase, "memory_budget_mb": driver.MEMORY_BUDGET / MIB,
                 "em_work_mb": getattr(missing, "EM_WORK_BYTES", 0) / MIB}
    if a.phase.startswith("em_boot"):
        df, _ = _data(a.em_rows, a.seed, a.em_share)
        res = sm.fit_pls(spec, df, missing="em")
        X = res.survey.X
        chunk = a.em_boot if a.phase == "em_boot_one_chunk" else None
        out.update(rows=a.em_rows, share_missing=float(np.isnan(X).mean()),
                   patterns=len(np.unique(np.isnan(X), axis=0)), B=a.em_boot,
                   bytes_per_fit_mb=res.refit.bytes_per_fit / MIB,
                   chunk=chunk or driver.chunk_size(res.refit.bytes_per_fit))
        out.update(base_rss_mb=_status_mb("VmRSS"), peak_reset=_reset_peak())
        t0 = time.perf_counter()
        boot = res.bootstrap(n=a.em_boot, seed=1, chunk_size=chunk, progress=False)
        took = time.perf_counter() - t0
        draws = sum(v.nbytes for cols in boot.inference.draws.values() for v in cols.values())
        out.update(seconds=took, resamples_kept=boot.inference.n_valid,
                   kept_draws_mb=draws / MIB,
                   diagnostics=[d.code for d in boot.diagnostics])
    else:
        df, _ = _data(a.perm_rows, a.seed)
        df["group"] = np.where(np.arange(len(df)) % 3 == 0, "a", "b")
        pooled = sm.fit_pls(spec, df)
        out.update(rows=a.perm_rows, B=a.perm,
                   bytes_per_fit_mb=pooled.refit.bytes_per_fit / MIB,
                   chunk=driver.chunk_size(2 * pooled.refit.bytes_per_fit))
        out.update(base_rss_mb=_status_mb("VmRSS"), peak_reset=_reset_peak())
        t0 = time.perf_counter()
        table = sm.permutation_test(spec, df, "group", n=a.perm, seed=1)
        out.update(seconds=time.perf_counter() - t0, kept_draws_mb=8 * a.perm * len(table) / MIB,
                   diagnostics=[d.code for d in table.attrs["diagnostics"]])
    out["peak_rss_mb"] = _status_mb("VmHWM")
    out["verb_peak_mb"] = out["peak_rss_mb"] - out["base_rss_mb"]
    out["budget_mb"] = out["memory_budget_mb"] + out["em_work_mb"] + out["kept_draws_mb"]
    out["within_budget"] = out["verb_peak_mb"] <= out["budget_mb"]
    return out


def child(a: argparse.Namespace, phase: str) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--phase", phase,
           "--em-rows", str(a.em_rows), "--em-share", str(a.em_share),
           "--em-boot", str(a.em_boot), "--perm-rows", str(a.perm_rows),
           "--perm", str(a.perm), "--seed", str(a.seed)]
    import _runner as R

    return R.run_child(cmd, phase)


def main() -> None:
    a = parse_args()
    if a.phase:
        print("BENCH_JSON " + json.dumps(run_phase(a)), flush=True)
        return
    sys.path.insert(0, str(HERE))
    import _runner as R

    machine = R.announce_machine()
    results = {}
    for phase in ("em_boot", "em_boot_one_chunk", "permutation"):
        R.log(f"\n== {phase}")
        results[phase] = rec = child(a, phase)
        if "error" in rec:
            R.log(f"  ERROR: {rec['error']}")
            continue
        R.log("  " + ", ".join(f"{k} {round(v, 2) if isinstance(v, float) else v}"
                               for k, v in rec.items() if k != "phase"))
    rows = [[phase, str(r.get("rows", "-")), str(r.get("B", "-")), str(r.get("chunk", "-")),
             f"{r.get('base_rss_mb', float('nan')):.0f}", f"{r.get('peak_rss_mb', float('nan')):.0f}",
             f"{r.get('verb_peak_mb', float('nan')):.0f}", f"{r.get('budget_mb', float('nan')):.0f}",
             R.fmt_s(r.get("seconds"))] for phase, r in results.items()]
    R.log("\nSummary (MB; verb = peak - base)")
    R.print_table(["phase", "rows", "B", "chunk", "base", "peak", "verb", "budget", "time"], rows)
    machine["load_average_end"] = R.load_average()
    R.write_json(a.out, {"benchmark": "memory", "machine": machine,
                         "settings": {"em_rows": a.em_rows, "em_share": a.em_share,
                                      "em_boot": a.em_boot, "perm_rows": a.perm_rows,
                                      "perm": a.perm, "seed": a.seed, "quick": a.quick},
                         "results": results})


if __name__ == "__main__":
    main()
