"""Shared helpers for the peer scripts (stdlib + numpy only: every peer venv has numpy).

A peer script is run by ``bench_bootstrap.py`` / ``bench_fit.py`` as a subprocess in
its own venv (``benchmarks/.venvs/<peer>``). It reads the data from an ``.npz``
file (``X`` float64 rows x items, ``columns`` item names), times its tool with
``time.perf_counter`` (one warm-up run excluded, then ``--reps`` runs), and prints
``BENCH_JSON {...}`` lines (cumulative, after each case; the runner keeps the last). Anything else it prints is
shown to the user as the peer's log. An error in one timed case is printed with
its traceback and recorded in the JSON (never swallowed), and the script goes on.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import traceback
from typing import Callable

import numpy as np

# The ECSI satisfaction model (Tenenhaus et al. 2005): Mode A, path scheme, no PLSc.
ECSI_BLOCKS: dict[str, list[str]] = {
    "IMAG": [f"IMAG{i}" for i in range(1, 6)],
    "EXPE": [f"EXPE{i}" for i in range(1, 6)],
    "QUAL": [f"QUAL{i}" for i in range(1, 6)],
    "VAL": [f"VAL{i}" for i in range(1, 5)],
    "SAT": [f"SAT{i}" for i in range(1, 5)],
    "LOY": [f"LOY{i}" for i in range(1, 5)],
}
ECSI_PATHS: list[tuple[str, str]] = [
    ("IMAG", "EXPE"),
    ("EXPE", "QUAL"),
    ("EXPE", "VAL"), ("QUAL", "VAL"),
    ("IMAG", "SAT"), ("EXPE", "SAT"), ("QUAL", "SAT"), ("VAL", "SAT"),
    ("IMAG", "LOY"), ("SAT", "LOY"),
]


def ecsi_lavaan() -> str:
    """lavaan-style syntax of the ECSI model (``=~`` blocks, ``~`` regressions)."""
    lines = [f"{lv} =~ " + " + ".join(items) for lv, items in ECSI_BLOCKS.items()]
    targets: dict[str, list[str]] = {}
    for src, dst in ECSI_PATHS:
        targets.setdefault(dst, []).append(src)
    lines += [f"{dst} ~ " + " + ".join(srcs) for dst, srcs in targets.items()]
    return "\n".join(lines) + "\n"


def path_key(src: str, dst: str) -> str:
    return f"{src}->{dst}"


def load_data(path: str) -> tuple[list[str], np.ndarray]:
    with np.load(path, allow_pickle=False) as z:
        return [str(c) for c in z["columns"]], np.ascontiguousarray(z["X"], dtype=np.float64)


def load_frame(path: str):
    """The benchmark data as a pandas DataFrame (pandas imported in the peer's venv)."""
    import pandas as pd

    cols, X = load_data(path)
    return pd.DataFrame(X, columns=cols)


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--data", required=True, help=".npz with X and columns")
    p.add_argument("--bs", default="", help="comma-separated resample counts to time (bootstrap peers)")
    p.add_argument("--reps", type=int, default=3, help="timed repetitions per case (after one warm-up)")
    p.add_argument("--warmup-b", type=int, default=20, help="resamples of the warm-up run")
    p.add_argument("--cores", type=int, default=2, help="worker processes, where the tool has the option")
    p.add_argument("--seed", type=int, default=1)
    return p


def _median(xs: list[float]) -> float:
    return float(np.median(xs)) if xs else float("nan")


def timed(fn: Callable[[], object], reps: int) -> tuple[list[float], object]:
    times, out = [], None
    for _ in range(reps):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return times, out


def emit(record: dict) -> None:
    record.setdefault("python", platform.python_version())
    print("BENCH_JSON " + json.dumps(record, default=float), flush=True)


def run_cases(record: dict, cases: list[tuple[str, Callable[[], object]]], reps: int,
              warmup: Callable[[], object] | None) -> None:
    """Warm up once, then time every case ``reps`` times; errors are printed and recorded."""
    record.setdefault("cases", {})
    record.setdefault("errors", [])
    if warmup is not None:
        try:
            t0 = time.perf_counter()
            warmup()
            print(f"[{record['tool']}] warm-up {time.perf_counter() - t0:.2f} s (excluded)", flush=True)
        except Exception as exc:  # recorded and printed, never swallowed
            traceback.print_exc()
            record["errors"].append(f"warm-up: {type(exc).__name__}: {exc}")
    emit(record)
    for label, fn in cases:
        try:
            times, _ = timed(fn, reps)
            record["cases"][label] = {"times_s": times, "median_s": _median(times)}
            print(f"[{record['tool']}] {label}: median {_median(times):.3f} s over {reps} "
                  f"({', '.join(f'{t:.3f}' for t in times)})", flush=True)
        except Exception as exc:
            traceback.print_exc()
            record["errors"].append(f"{label}: {type(exc).__name__}: {exc}")
            record["cases"][label] = {"error": f"{type(exc).__name__}: {exc}"}
        emit(record)  # cumulative: if the runner kills us on a time-out, finished cases survive


def fail(record: dict, exc: BaseException) -> None:
    """Setup failed (import, model build): print the traceback, emit what we have, exit 1."""
    traceback.print_exc()
    record.setdefault("errors", []).append(f"setup: {type(exc).__name__}: {exc}")
    emit(record)
    sys.exit(1)
