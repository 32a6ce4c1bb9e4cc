"""Single-fit benchmark on 1,000,000 rows: satmodel vs semopy vs omnisem vs a numpy floor.

The rows are the 250 ECSI respondents resampled with replacement (seeded) plus small
Gaussian noise (sd 0.1 on the 0-10 item scale, clipped to each item's observed
range), so the model is the same and every tool sees the same 1e6 x 27 float64 matrix. ECSI model, Mode A, path scheme, no PLSc.

- satmodel: ``sm.fit_pls(spec, df)`` on a pandas DataFrame of the rows (validation,
  one-pass moments, PLS; tables and the latent scores of 1e6 respondents are built on
  first access, so a second row reads ``res.scores`` too); the first call's peak memory;
- numpy pass: ``df.to_numpy(float64)``, centring, X'X (issue 16's yardstick: <= 1.5x);
- numpy floor: correlation matrix by one X'X product, then the PLS iteration
  (benchmarks/floor.py ``fit_floor``; no scores, no tables);
- semopy 2.3.11: CB-SEM by ML -- a different estimator (reflective factors), timed
  because it is what Python users reach for; ``Model(syntax).fit(df)``;
- omnisem 1.0.0rc2: ``omnisem.plssem(syntax, df)`` (NIPALS on the rows + its summary);
- linear (``--scale-rows``, default 5,000,000; 0 skips): satmodel and the numpy pass again on
  a frame of that many rows (same recipe, next seed; built after the peers ran), their
  times over the 1M times of the same run (issue 16: ~5 for 5M), and the first call's peak
  memory over the resident memory before it, the input frame already held (issue 16:
  <= 100 MiB over the input).

    .venv/bin/python benchmarks/bench_fit.py            # full run (~2-3 min)
    .venv/bin/python benchmarks/bench_fit.py --quick    # short run

See benchmarks/README.md.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent / "peers"))
import _common  # noqa: E402
import _runner as R  # noqa: E402
import floor  # noqa: E402

PEERS = {"semopy": "semopy_fit.py", "omnisem": "omnisem_fit.py"}
NOISE_SD = 0.1


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="short run: fewer repetitions")
    p.add_argument("--rows", type=int, default=1_000_000, help="rows of the synthetic data (default 1e6)")
    p.add_argument("--reps", type=int, help="repetitions for satmodel and the floor (default 5, quick 2)")
    p.add_argument("--peer-reps", type=int, help="repetitions per peer (default 3, quick 1)")
    p.add_argument("--peers", default=",".join(PEERS), help=f"subset of {','.join(PEERS)}; '' for none")
    p.add_argument("--timeout", type=float, help="seconds per peer subprocess (default 600, quick 300)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=1,
                   help="BLAS threads for every tool (default 1: on a shared 2-core machine two "
                        "OpenBLAS threads contend and slow the fit several-fold)")
    p.add_argument("--scale-rows", type=int, default=5_000_000,
                   help="rows of the linearity case (default 5e6; 0: skip)")
    p.add_argument("--rebuild-venvs", action="store_true")
    p.add_argument("--out", type=Path, help="JSON output (default results/fit.json, quick: results/fit.quick.json)")
    a = p.parse_args()
    a.reps = a.reps or (2 if a.quick else 5)
    a.peer_reps = a.peer_reps or (1 if a.quick else 3)
    a.timeout = a.timeout or (300.0 if a.quick else 600.0)
    a.out = a.out or R.RESULTS / ("fit.quick.json" if a.quick else "fit.json")
    a.peers = [x for x in a.peers.split(",") if x]
    if set(a.peers) - set(PEERS):
        p.error(f"unknown peers {sorted(set(a.peers) - set(PEERS))}; choose from {list(PEERS)}")
    return a


def big_data(X0: np.ndarray, rows: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    X = X0[rng.integers(0, X0.shape[0], rows)]
    X += rng.normal(0.0, NOISE_SD, X.shape)
    # stay inside the items' observed range (satmodel checks values against the item scales)
    np.clip(X, X0.min(axis=0), X0.max(axis=0), out=X)
    return X


def numpy_pass(df) -> np.ndarray:
    """A plain pass over the frame: float64 copy, centring in chunks, X'X (issue 16)."""
    Y = df.to_numpy(dtype=np.float64)
    m = Y.mean(axis=0)
    cov = np.zeros((Y.shape[1], Y.shape[1]))
    for s in range(0, Y.shape[0], 1 << 16):
        c = Y[s:s + (1 << 16)] - m
        cov += c.T @ c
    return cov


def first_call_peak(fn) -> float:
    """Peak resident memory (MB) of one call over the resident memory before it (Linux:
    VmHWM reset through /proc/self/clear_refs); NaN where that is not available."""
    import gc

    def status(field: str) -> float:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
        raise OSError(field)

    gc.collect()
    try:
        base = status("VmRSS")
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        fn()
        return float("nan")
    fn()
    return status("VmHWM") - base


def scale_case(a, X0: np.ndarray, items: list, spec, rows: list[dict]) -> dict:
    """satmodel and the numpy pass on ``a.scale_rows`` rows, against their 1M medians."""
    import gc

    import pandas as pd
    import satmodel as sm

    gc.collect()
    R.log(f"\n== linear: {a.scale_rows:,} rows (satmodel fit and numpy pass again)")
    X = big_data(X0, a.scale_rows, a.seed + 1)
    df = pd.DataFrame(X, columns=items)
    del X
    gc.collect()
    input_mb = df.memory_usage(index=False).sum() / 2**20
    peak = first_call_peak(lambda: sm.fit_pls(spec, df))
    reps = max(2, a.reps // 2)
    times = R.time_calls(lambda: sm.fit_pls(spec, df), reps, warmup=lambda: None)
    passes = R.time_calls(lambda: numpy_pass(df), reps)
    base = {r["tool"]: r for r in rows}
    sat1 = base.get("satmodel", {}).get("median_s")
    pass1 = base.get("numpy pass", {}).get("median_s")
    out = {"rows": a.scale_rows, "base_rows": a.rows, "input_mb": input_mb,
           "satmodel_times_s": times, "satmodel_median_s": R.median(times),
           "numpy_pass_times_s": passes, "numpy_pass_median_s": R.median(passes),
           "first_call_peak_over_resident_mb": peak,
           "base_first_call_peak_over_resident_mb": base.get("satmodel", {}).get(
               "first_call_peak_mb"),
           "load": R.load_average()}
    scale = a.scale_rows / a.rows
    if sat1:
        out["satmodel_time_ratio"] = R.median(times) / sat1
    if pass1:
        out["numpy_pass_time_ratio"] = R.median(passes) / pass1
    out["acceptance"] = {"rows_ratio": scale,
                         "peak_within_input_plus_100_mib": peak <= 100.0}
    R.log(f"  input {input_mb:.0f} MiB; first call peak {peak:.0f} MiB over the resident memory")
    R.log(f"  satmodel median {R.median(times):.3f} s ({out.get('satmodel_time_ratio', 0):.2f}x "
          f"the {a.rows:,}-row median; rows x{scale:g}); numpy pass {R.median(passes):.3f} s "
          f"({out.get('numpy_pass_time_ratio', 0):.2f}x)")
    del df
    gc.collect()
    return out


def main() -> None:
    a = parse_args()
    import pandas as pd
    import satmodel as sm

    import os

    from threadpoolctl import threadpool_info, threadpool_limits

    threadpool_limits(a.threads)  # this process; the peers get the same through the environment
    os.environ.update(OPENBLAS_NUM_THREADS=str(a.threads), OMP_NUM_THREADS=str(a.threads),
                      MKL_NUM_THREADS=str(a.threads))
    machine = R.announce_machine()
    machine["blas_threads"] = sorted({i.get("num_threads") for i in threadpool_info()})

    items = [i for lv in _common.ECSI_BLOCKS.values() for i in lv]
    X0 = sm.datasets.load("ecsi_satisfaction")[items].to_numpy(dtype=np.float64)
    X = big_data(X0, a.rows, a.seed)
    df = pd.DataFrame(X, columns=items)
    R.log(f"data: {a.rows:,} rows x {len(items)} items (ECSI resampled, seed {a.seed}, + N(0, {NOISE_SD}^2) noise)")
    spec = sm.templates.ecsi()
    rows: list[dict] = []
    estimates: dict[str, dict[str, float]] = {}
    errors: dict[str, str] = {}

    R.log("\n== satmodel  sm.fit_pls(spec, df)")
    try:
        last = {}

        def fit():
            last["res"] = sm.fit_pls(spec, df)

        peak = first_call_peak(fit)  # the warm-up call, with its peak memory
        R.log(f"  first call: peak {peak:.0f} MB over the resident memory before it "
              f"(input {df.memory_usage(index=False).sum() / 2**20:.0f} MB)")
        times = R.time_calls(fit, a.reps, warmup=lambda: None)
        estimates["satmodel"] = {_common.path_key(r.source, r.target): float(r.estimate)
                                 for r in last["res"].paths.itertuples()}
        rows.append({"tool": "satmodel", "version": machine["satmodel"], "times_s": times,
                     "median_s": R.median(times), "first_call_peak_mb": peak})
        R.log(f"  median {R.median(times):.3f} s ({', '.join(f'{t:.3f}' for t in times)})")

        def with_scores():
            return sm.fit_pls(spec, df).scores

        scored = R.time_calls(with_scores, a.reps)
        rows.append({"tool": "satmodel +scores", "version": machine["satmodel"], "times_s": scored,
                     "median_s": R.median(scored)})
        R.log(f"  with res.scores read: median {R.median(scored):.3f} s")
    except Exception as exc:
        import traceback
        traceback.print_exc()
        errors["satmodel"] = f"{type(exc).__name__}: {exc}"
        R.log(f"  ERROR satmodel: {errors['satmodel']}")

    R.log("\n== numpy pass  (issue 16's yardstick: df.to_numpy(float64), centre, X'X)")
    times = R.time_calls(lambda: numpy_pass(df), a.reps)
    rows.append({"tool": "numpy pass", "version": f"numpy {np.__version__}", "times_s": times,
                 "median_s": R.median(times)})
    R.log(f"  median {R.median(times):.3f} s")

    R.log("\n== numpy floor  (benchmarks/floor.py fit_floor: chunked X'X -> correlation -> PLS iteration)")
    model = floor.Model(_common.ECSI_BLOCKS, _common.ECSI_PATHS, items)
    out = {}

    def ffit():
        out["r"] = floor.fit_floor(X, model)

    times = R.time_calls(ffit, a.reps)
    estimates["floor"] = {_common.path_key(s, d): float(v)
                          for (s, d), v in zip(_common.ECSI_PATHS, out["r"]["paths"])}
    rows.append({"tool": "numpy floor", "version": f"numpy {np.__version__}", "times_s": times,
                 "median_s": R.median(times)})
    R.log(f"  median {R.median(times):.3f} s ({', '.join(f'{t:.3f}' for t in times)})")

    peer_records: dict[str, dict] = {}
    if a.peers:
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp) / "big.npz"
            np.savez(data, X=X, columns=np.array(items))
            del df  # the peers load their own copy
            for name in a.peers:
                args = ["--data", str(data), "--reps", str(a.peer_reps), "--seed", str(a.seed)]
                rec = R.peer(name, PEERS[name], args, a.timeout, a.rebuild_venvs)
                peer_records[name] = rec
                if rec.get("estimates"):
                    estimates[name] = rec["estimates"]
                case = rec.get("cases", {}).get("fit", {})
                if "median_s" in case:
                    rows.append({"tool": name, "version": rec.get("version"), "times_s": case["times_s"],
                                 "median_s": case["median_s"], "notes": rec.get("notes", [])})
                else:
                    errors[name] = rec.get("error") or case.get("error") or "; ".join(rec.get("errors", []))

    linear = scale_case(a, X0, items, spec, rows) if a.scale_rows else None
    sat = next((r["median_s"] for r in rows if r["tool"] == "satmodel"), None)
    for r in rows:
        r["x_vs_satmodel"] = r["median_s"] / sat if sat else None
    R.log(f"\nSingle fit, {a.rows:,} rows x 27 items, ECSI; median seconds (warm-up excluded); "
          f"'x satmodel' = tool time / satmodel time (>1: satmodel faster)")
    labels = {"semopy": "CB-SEM (ML): different estimator", "omnisem": "PLS-PM, NIPALS on rows",
              "satmodel": "PLS-PM + tables (scores on access)",
              "satmodel +scores": "the same, scores read",
              "numpy pass": "to_numpy + centre + X'X",
              "numpy floor": "X'X + PLS iteration only"}
    table = [[r["tool"], R.fmt_s(r["median_s"]), f"{len(r['times_s'])} reps",
              R.fmt_ratio(r["x_vs_satmodel"]), labels.get(r["tool"], "")] for r in rows]
    table += [[k, "-", "ERROR: " + v.splitlines()[0][:60], "-", ""] for k, v in errors.items()]
    R.print_table(["tool", "median s", "how", "x satmodel", "what"], table)
    fl = next((r["median_s"] for r in rows if r["tool"] == "numpy floor"), None)
    if sat and fl:
        R.log(f"satmodel / numpy floor: {sat / fl:.2f}x")
    npass = next((r["median_s"] for r in rows if r["tool"] == "numpy pass"), None)
    if sat and npass:
        R.log(f"satmodel / numpy pass: {sat / npass:.2f}x (issue 16 target <= 1.5x)")
    R.report_end(estimates, errors, machine)
    R.write_json(a.out, {
        "benchmark": "fit",
        "model": "ECSI (IMAG, EXPE, QUAL, VAL, SAT, LOY), Mode A, path scheme, no PLSc",
        "data": {"rows": a.rows, "items": len(items), "source": "ecsi_satisfaction resampled with "
                 f"replacement (seed {a.seed}) + N(0, {NOISE_SD}^2) noise"},
        "settings": {"quick": a.quick, "reps": a.reps, "peer_reps": a.peer_reps, "seed": a.seed,
                     "threads": a.threads,
                     "timer": "time.perf_counter, one warm-up run excluded, median"},
        "machine": machine,
        "results": rows,
        "ratios_tool_over_satmodel": {r["tool"]: r["x_vs_satmodel"] for r in rows if r["tool"] != "satmodel"},
        "satmodel_over_floor": (sat / fl) if sat and fl else None,
        "satmodel_over_numpy_pass": (sat / npass) if sat and npass else None,
        "linear": linear,
        "estimates": estimates,
        "errors": errors,
        "peers": {k: {kk: v.get(kk) for kk in ("version", "requirements", "freeze", "notes", "errors",
                                               "error", "cases", "wall_s")}
                  for k, v in peer_records.items()},
    })


if __name__ == "__main__":
    main()
