"""Data beyond memory (issue 16, part 2): ``sm.fit_pls(spec, "survey.parquet")`` on 10,000,000
rows x 27 items, streamed in record batches, against the pyarrow read of the same file.

The file (made once, kept in ``--dir``, never committed): the 250 ECSI respondents
resampled with replacement (seeded), integer answers 0-10 stored as float64, Parquet row
groups of 1,000,000 rows. Phases, each in a fresh subprocess (peak resident memory,
VmHWM, is the phase's own, imports included):

- ``read``: the pyarrow floor -- ``pq.ParquetFile.iter_batches`` over the columns the fit
  reads (the 27 items), with the fit's batch size (``satmodel.survey.stream.BATCH_ROWS``),
  each column of each batch converted to a numpy array (``to_numpy``), nothing else;
- ``stream``: ``sm.fit_pls(sm.templates.ecsi(), path)``: one pass, every batch checked
  (scales, codes, missing), summed and merged; the fit on the merged moments;
- ``parts`` (``--parts``): the same pass without the read-ahead thread, timing each batch's
  read and its cleaning + sums separately (per-batch milliseconds; where the time goes);
- ``table`` (``--table``): ``pq.read_table`` of the item columns (all in memory), for scale;
- ``check`` (``--check``): the in-memory fit of the same rows (``pd.read_parquet`` then
  ``sm.fit_pls``) and the largest differences from the streamed fit (moments, paths);
- ``boot`` (``--boot B``): the streamed Poisson bootstrap, B resamples, one more pass.

``read`` and ``stream`` run alternately ``--rounds`` times (default 3); the acceptance
ratio is the median of the rounds' stream/read ratios (each round's two runs are seconds
apart, so they share the machine's load, which is recorded before and after every run).
BLAS threads: ``--threads`` (default 1; the fit itself uses one BLAS thread for its sums).

    .venv/bin/python benchmarks/bench_stream.py [--rows 10000000] [--check] [--boot 20]

Writes benchmarks/results/stream.json (``--out`` to change).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
MIB = 2**20
GROUP_ROWS = 1_000_000


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=10_000_000)
    p.add_argument("--dir", type=Path, default=Path("/tmp/satmodel_bench_stream"))
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--rounds", type=int, default=3, help="alternating read/stream rounds")
    p.add_argument("--parts", action="store_true", help="also time each batch's read and work")
    p.add_argument("--table", action="store_true", help="also time pq.read_table")
    p.add_argument("--check", action="store_true", help="also fit the rows in memory")
    p.add_argument("--boot", type=int, default=0, help="Poisson bootstrap resamples (0: none)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--phase", help=argparse.SUPPRESS)
    p.add_argument("--out", type=Path, default=HERE / "results" / "stream.json")
    return p.parse_args(argv)


def data_file(a: argparse.Namespace) -> Path:
    return a.dir / f"ecsi_{a.rows}_seed{a.seed}.parquet"


def make_file(a: argparse.Namespace) -> Path:
    """The resampled ECSI rows as Parquet, written in row groups (made once)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    import satmodel as sm

    path = data_file(a)
    if path.exists():
        return path
    a.dir.mkdir(parents=True, exist_ok=True)
    spec = sm.templates.ecsi()
    items = list(spec.indicator_names)
    X = sm.datasets.load("ecsi_satisfaction")[items].to_numpy(float)
    rng = np.random.default_rng(a.seed)
    tmp = path.with_suffix(".partial")
    schema = pa.schema([(name, pa.float64()) for name in items])
    with pq.ParquetWriter(tmp, schema) as writer:
        for start in range(0, a.rows, GROUP_ROWS):
            rows = X[rng.integers(0, len(X), size=min(GROUP_ROWS, a.rows - start))]
            writer.write_table(pa.Table.from_arrays([pa.array(c) for c in rows.T], schema=schema))
    tmp.rename(path)
    return path


def small_file(a: argparse.Namespace) -> str:
    """The 250 ECSI rows as Parquet (the stream phase's warm-up call)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    import satmodel as sm

    path = a.dir / "ecsi_250.parquet"
    if not path.exists():
        frame = sm.datasets.load("ecsi_satisfaction")[list(sm.templates.ecsi().indicator_names)]
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    return str(path)


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024.0
    raise RuntimeError(f"{field} not in /proc/self/status")


def _timed(fn):
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - t0, time.process_time() - c0


def phase(a: argparse.Namespace) -> dict:
    import satmodel as sm

    path = data_file(a)
    spec = sm.templates.ecsi()
    items = list(spec.indicator_names)
    base = _status_mb("VmRSS")
    rec: dict = {"phase": a.phase, "rss_before_mb": base}
    if a.phase == "read":
        import pyarrow.parquet as pq

        from satmodel.survey.stream import BATCH_ROWS

        def read():
            rows = 0
            with pq.ParquetFile(path) as f:
                for batch in f.iter_batches(batch_size=BATCH_ROWS, columns=items):
                    cols = [batch.column(k).to_numpy(zero_copy_only=False) for k in range(27)]
                    rows += len(cols[0])
            return rows
        rec["rows"], rec["wall_s"], rec["cpu_s"] = _timed(read)
        rec["batch_rows"] = BATCH_ROWS
    elif a.phase == "parts":
        rec.update(batch_parts(spec, path))
    elif a.phase == "table":
        import pyarrow.parquet as pq

        table, rec["wall_s"], rec["cpu_s"] = _timed(lambda: pq.read_table(path, columns=items))
        rec["rows"] = table.num_rows
    elif a.phase == "stream":
        # the first call imports what reading a file needs (pyarrow.dataset, ...): timed
        # apart on a small file, as the read phase imports pyarrow.parquet before its clock
        _, rec["first_call_small_file_s"], _ = _timed(lambda: sm.fit_pls(spec, small_file(a)))
        res, rec["wall_s"], rec["cpu_s"] = _timed(lambda: sm.fit_pls(spec, str(path)))
        rec.update(rows=res.n_obs, corr=res.indicator_corr.tolist(),
                   mean=res.indicator_mean.tolist(), std=res.indicator_std.tolist(),
                   paths=res.paths.estimate.tolist())
    elif a.phase == "check":
        import pandas as pd

        df, rec["read_s"], _ = _timed(lambda: pd.read_parquet(path, columns=items))
        res, rec["wall_s"], rec["cpu_s"] = _timed(lambda: sm.fit_pls(spec, df))
        rec.update(rows=res.n_obs, corr=res.indicator_corr.tolist(),
                   mean=res.indicator_mean.tolist(), std=res.indicator_std.tolist(),
                   paths=res.paths.estimate.tolist())
    elif a.phase == "boot":
        res = sm.fit_pls(spec, str(path))
        boot, rec["wall_s"], rec["cpu_s"] = _timed(
            lambda: res.bootstrap(n=a.boot, seed=a.seed, progress=False, tables=["paths"]))
        rec.update(rows=res.n_obs, n_valid=boot.inference.n_valid,
                   se=boot.paths.se.tolist())
    rec["peak_rss_mb"] = _status_mb("VmHWM")
    rec["peak_over_before_mb"] = rec["peak_rss_mb"] - base
    return rec


def batch_parts(spec, path: Path) -> dict:
    """The streamed pass batch by batch, without the read-ahead thread: each batch's read
    (decode + numpy arrays) and its cleaning + sums timed apart (milliseconds)."""
    import satmodel as sm
    from satmodel._threads import one_blas_thread
    from satmodel.moments.fast_batch import fast_batch
    from satmodel.moments.stream_pass import sums_of_batch
    from satmodel.survey.stream import BATCH_ROWS, arrow_batches, stream_source
    from satmodel.survey.stream_clean import make_plan

    source = stream_source(str(path))
    plan = make_plan(spec, sm.SurveyOptions(), None, source.columns)
    read_ms, work_ms, fast = [], [], 0
    t0 = time.perf_counter()
    with one_blas_thread():
        batches = arrow_batches(source, plan.columns)
        while True:
            t = time.perf_counter()
            item = next(batches, None)
            read_ms.append((time.perf_counter() - t) * 1e3)
            if item is None:
                break
            start, cols, rows = item
            t = time.perf_counter()
            if fast_batch(plan, cols, rows) is not None:
                fast += 1
            else:
                sums_of_batch(plan, cols, rows, start=start, fast=False)
            work_ms.append((time.perf_counter() - t) * 1e3)
    return {"wall_s": time.perf_counter() - t0, "batch_rows": BATCH_ROWS,
            "batches": len(work_ms), "fast_batches": fast,
            "read_ms_median": float(np.median(read_ms)), "work_ms_median": float(np.median(work_ms)),
            "read_s_total": sum(read_ms) / 1e3, "work_s_total": sum(work_ms) / 1e3}


def main() -> None:
    a = parse_args()
    if a.phase:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", str(a.threads))
        print("BENCH_JSON " + json.dumps(phase(a)), flush=True)
        return
    import _runner as R

    machine = R.announce_machine()
    machine["blas_threads"] = a.threads
    import pyarrow

    machine["pyarrow"] = pyarrow.__version__
    R.log(f"data file: {a.rows:,} rows x 27 items (ECSI resampled, seed {a.seed})")
    made, make_s, _ = _timed(lambda: make_file(a))
    R.log(f"  {made} ({made.stat().st_size / MIB:.0f} MiB; {make_s:.1f} s to make or find)")
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(a.threads), OMP_NUM_THREADS=str(a.threads))
    phases = [f"{name}:{k}" for k in range(a.rounds) for name in ("read", "stream")]
    phases += (["parts"] if a.parts else []) + (["table"] if a.table else []) + \
        (["check"] if a.check else []) + (["boot"] if a.boot else [])
    runs = {}
    for label in phases:
        name = label.split(":")[0]
        R.log(f"\n== {label}")
        load = R.load_average()
        cmd = [sys.executable, str(Path(__file__).resolve()), "--phase", name, "--rows",
               str(a.rows), "--dir", str(a.dir), "--seed", str(a.seed), "--boot", str(a.boot),
               "--threads", str(a.threads)]
        runs[label] = rec = R.run_child(cmd, name, env=env)
        rec["load_before"], rec["load_after"] = load, R.load_average()
        if "error" in rec:
            R.log("  " + rec["error"][-800:])
        elif "cpu_s" in rec:
            R.log(f"  {rec['wall_s']:.2f} s wall, {rec['cpu_s']:.2f} s cpu, peak RSS "
                  f"{rec['peak_rss_mb']:.0f} MiB, load {load}")
        else:
            R.log("  " + json.dumps({k: v for k, v in rec.items() if "load" not in k}))
    report(a, machine, runs, made)


def report(a, machine: dict, runs: dict, path: Path) -> None:
    import _runner as R

    rounds = [(runs.get(f"read:{k}", {}), runs.get(f"stream:{k}", {})) for k in range(a.rounds)]
    rounds = [(r, s) for r, s in rounds if "wall_s" in r and "wall_s" in s]
    summary = {}
    if rounds:
        ratios = [s["wall_s"] / r["wall_s"] for r, s in rounds]
        ratio = float(np.median(ratios))
        peak = max(s["peak_rss_mb"] for _, s in rounds)
        summary.update({
            "pyarrow_read": "pq.ParquetFile.iter_batches(batch_size=BATCH_ROWS, columns=the "
                            "27 items), every column to_numpy; same file, same batch size",
            "rounds": len(rounds),
            "stream_over_pyarrow_read_per_round": ratios,
            "stream_over_pyarrow_read": ratio,
            "stream_over_pyarrow_read_cpu_per_round": [s["cpu_s"] / r["cpu_s"] for r, s in rounds],
            "read_wall_s": [r["wall_s"] for r, _ in rounds],
            "stream_wall_s": [s["wall_s"] for _, s in rounds],
            "load_per_round": [r["load_before"] for r, _ in rounds],
            "stream_peak_rss_mb": peak,
            "acceptance": {"peak_rss_below_500_mib": peak < 500,
                           "time_within_2x_pyarrow_read_median": ratio <= 2.0}})
        if "wall_s" in runs.get("table", {}):
            summary["stream_over_read_table"] = float(np.median(summary["stream_wall_s"])) / \
                runs["table"]["wall_s"]
    stream = rounds[-1][1] if rounds else {}
    check = runs.get("check", {})
    if "corr" in check and "corr" in stream:
        summary["max_abs_diff_vs_in_memory"] = {
            key: float(np.max(np.abs(np.subtract(stream[key], check[key]))))
            for key in ("corr", "mean", "std", "paths")}
    for rec in runs.values():  # the numbers live in the summary; keep the record short
        for key in ("corr", "mean", "std"):
            rec.pop(key, None)
    R.log("\n== summary")
    for key, value in summary.items():
        R.log(f"  {key}: {value}")
    out = {"benchmark": "bench_stream", "machine": machine,
           "data": {"rows": a.rows, "items": 27, "file_mib": path.stat().st_size / MIB,
                    "source": "ecsi_satisfaction resampled with replacement, float64 integers "
                              f"0-10, row groups of {GROUP_ROWS:,}", "seed": a.seed},
           "runs": runs, "summary": summary}
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(out, indent=2) + "\n")
    R.log(f"\nwrote {a.out}")


if __name__ == "__main__":
    main()
