"""Shared machinery of bench_bootstrap.py and bench_fit.py.

- peer venvs: ``benchmarks/.venvs/<peer>``, created with ``python -m venv`` and filled
  from PyPI with pinned requirements (a marker file remembers what was installed, so
  later runs reuse the venv; ``--rebuild-venvs`` starts afresh);
- peer runs: each peer script runs as a subprocess of its venv's python, its output is
  shown line by line, and its ``BENCH_JSON`` line is parsed; a failure (install error,
  crash, time-out, missing JSON) is printed and recorded, and the run goes on;
- machine info, the table of medians and ratios, and the JSON file.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable

import numpy as np

HERE = Path(__file__).resolve().parent
PEERS_DIR = HERE / "peers"
VENVS = HERE / ".venvs"
RESULTS = HERE / "results"

# Pinned peer environments (issue 5, part 8). Keys are venv directory names.
REQUIREMENTS: dict[str, list[str]] = {
    "seminr": ["seminr==0.2.1"],
    "omnisem": ["omnisem==1.0.0rc2"],
    "plspm": ["plspm==0.5.7", "pandas<3"],
    "openpls-engine": ["openpls-engine==1.13.0"],
    "semopy": ["semopy==2.3.11"],
}


class PeerError(RuntimeError):
    """A peer could not be installed or run; the message says why."""


def log(msg: str = "") -> None:
    print(msg, flush=True)


# ---------------------------------------------------------------------------- machine

def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=HERE, capture_output=True, text=True, timeout=10)
        return out.stdout.strip() if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def machine_info() -> dict:
    import satmodel

    info = {
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu": _cpu_model(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "satmodel": getattr(satmodel, "__version__", None),
        "satmodel_commit": _git("rev-parse", "--short", "HEAD"),
        "satmodel_worktree_dirty": bool(_git("status", "--porcelain", "--", "../src")),
    }
    try:
        import pandas
        info["pandas"] = pandas.__version__
    except ImportError:
        pass
    try:
        cfg = np.show_config(mode="dicts")  # numpy >= 1.25
        blas = cfg.get("Build Dependencies", {}).get("blas", {})
        info["blas"] = f"{blas.get('name')} {blas.get('version', '')}".strip()
    except Exception:  # informational only
        info["blas"] = None
    try:
        mem = [l for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal")]
        info["memory"] = mem[0].split(":", 1)[1].strip() if mem else None
    except OSError:
        info["memory"] = None
    return info


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


# ---------------------------------------------------------------------------- venvs

def ensure_venv(name: str, rebuild: bool = False) -> tuple[Path, list[str]]:
    """Create/reuse ``.venvs/<name>`` with the pinned requirements; return (python, freeze)."""
    reqs = REQUIREMENTS[name]
    venv = VENVS / name
    python = venv / "bin" / "python"
    marker = venv / ".bench-requirements.json"
    if rebuild and venv.exists():
        shutil.rmtree(venv)
    if not (python.exists() and marker.exists() and json.loads(marker.read_text()) == reqs):
        if venv.exists():
            shutil.rmtree(venv)
        log(f"  creating venv {venv.relative_to(HERE.parent)} and installing {' '.join(reqs)} ...")
        t0 = time.perf_counter()
        VENVS.mkdir(parents=True, exist_ok=True)
        base = getattr(sys, "_base_executable", None) or sys.executable
        steps = [[base, "-m", "venv", str(venv)],
                 [str(python), "-m", "pip", "install", "--quiet", *reqs]]
        for cmd in steps:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=1200)
            if out.returncode != 0:
                tail = (out.stdout + out.stderr).strip().splitlines()[-25:]
                shown = " ".join([Path(cmd[0]).name, *cmd[1:]])
                raise PeerError(f"`{shown}` failed (exit {out.returncode}):\n" + "\n".join(tail))
        marker.write_text(json.dumps(reqs))
        log(f"  installed in {time.perf_counter() - t0:.0f} s")
    out = subprocess.run([str(python), "-m", "pip", "freeze", "--all"], capture_output=True,
                         text=True, timeout=120)
    freeze = [l for l in out.stdout.splitlines() if l and not l.startswith(("pip==", "setuptools=="))]
    return python, freeze


# ---------------------------------------------------------------------------- peer runs

def _clean(line: str) -> str:
    return line.rstrip("\n").split("\r")[-1].rstrip()


def run_peer(python: Path, script: str, args: list[str], timeout: float) -> dict:
    """Run ``peers/<script>`` with ``python``; stream its output; return its JSON record."""
    cmd = [str(python), str(PEERS_DIR / script), *args]
    proc = subprocess.Popen(cmd, cwd=PEERS_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, bufsize=1, start_new_session=True)
    timed_out = threading.Event()

    def kill() -> None:
        timed_out.set()
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # the peer and its worker processes (our own group)
        except ProcessLookupError:
            pass

    timer = threading.Timer(timeout, kill)
    timer.start()
    record, tail = None, []
    try:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = _clean(raw)
            if line.startswith("BENCH_JSON "):
                record = json.loads(line[len("BENCH_JSON "):])
                continue
            if not line or line.lstrip().startswith(("Processing bootstrap sample",
                                                     "Initialising Bootstrap Engine")):
                continue
            tail = (tail + [line])[-40:]
            log(f"    | {line}")
        proc.wait()
    finally:
        timer.cancel()
    if timed_out.is_set():
        msg = f"time-out after {timeout:.0f} s (killed); raise --timeout or lower the peer's B"
        record = dict(record or {}, error=msg)
    elif record is None:
        record = {"error": f"exit {proc.returncode}, no BENCH_JSON line; last output:\n"
                           + "\n".join(tail[-15:])}
    elif proc.returncode != 0:
        record.setdefault("error", f"exit {proc.returncode}: " + "; ".join(record.get("errors", [])))
    return record


def peer(name: str, script: str, args: list[str], timeout: float, rebuild: bool) -> dict:
    """Install (if needed) and run one peer; never raises: errors go into the record."""
    log(f"\n== {name}  ({' '.join(REQUIREMENTS[name])})")
    try:
        python, freeze = ensure_venv(name, rebuild)
    except (PeerError, subprocess.SubprocessError, OSError) as exc:
        msg = f"install failed: {exc}"
        log(f"  ERROR {name}: {msg}")
        return {"tool": name, "error": msg, "requirements": REQUIREMENTS[name]}
    t0 = time.perf_counter()
    rec = run_peer(python, script, args, timeout)
    rec.setdefault("tool", name)
    rec["requirements"] = REQUIREMENTS[name]
    rec["freeze"] = freeze
    rec["wall_s"] = round(time.perf_counter() - t0, 1)
    if rec.get("error"):
        log(f"  ERROR {name}: {rec['error']}")
    for e in rec.get("errors", []):
        if e not in str(rec.get("error", "")):
            log(f"  ERROR {name}: {e}")
    return rec


# ---------------------------------------------------------------------------- timing in-process

def time_calls(fn: Callable[[], object], reps: int, warmup: Callable[[], object] | None = None) -> list[float]:
    """One warm-up call (excluded), then ``reps`` timed calls with ``time.perf_counter``."""
    (warmup or fn)()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def median(xs: list[float]) -> float:
    return float(np.median(xs)) if xs else float("nan")


# ---------------------------------------------------------------------------- output

def fmt_s(x: float | None) -> str:
    if x is None or not np.isfinite(x):
        return "-"
    return f"{x:.3f}" if x < 10 else f"{x:.1f}"


def fmt_ratio(x: float | None) -> str:
    if x is None or not np.isfinite(x):
        return "-"
    return f"{x:.2f}x" if x < 10 else f"{x:.0f}x"


def print_table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths))
    log(line)
    log("-" * len(line))
    for r in rows:
        log("  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                      for i, (c, w) in enumerate(zip(r, widths))))


def print_estimates(estimates: dict[str, dict[str, float]], keys: list[str]) -> None:
    tools = [t for t, e in estimates.items() if e]
    if not tools:
        return
    log("\nPath estimates, for a look only (not a correctness check; docs/methods.md §7"
        " lists defects of several peers; semopy is CB-SEM):")
    rows = [[k] + [f"{estimates[t].get(k, float('nan')):.4f}" for t in tools] for k in keys]
    print_table(["path"] + tools, rows)


def write_json(path: Path, payload: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(payload, indent=2, default=_json_default) + "\n")
    tmp.replace(path)
    shown = path.resolve().relative_to(HERE.parent) if path.resolve().is_relative_to(HERE.parent) else path
    log(f"\nwrote {shown}")


def _json_default(o):
    if isinstance(o, (np.floating, np.integer)):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


def announce_machine() -> dict:
    """Machine info with the load average at the start, logged (with a warning if busy)."""
    machine = machine_info()
    machine["load_average_start"] = load_average()
    log(f"machine: {machine['cores']} cores ({machine['cpu']}), Python {machine['python']}, "
        f"numpy {machine['numpy']}, satmodel {machine['satmodel']} @ {machine['satmodel_commit']}"
        f"{' (dirty)' if machine['satmodel_worktree_dirty'] else ''}, load {machine['load_average_start']}")
    if machine["load_average_start"] and machine["load_average_start"][0] > 0.5:
        log("WARNING: the machine is busy (1-min load average above 0.5): timings will be inflated")
    return machine


def report_end(estimates: dict, errors: dict, machine: dict) -> None:
    """Print the path estimates of every tool and the errors; note the load at the end."""
    from peers import _common

    print_estimates(estimates, [_common.path_key(s, d) for s, d in _common.ECSI_PATHS])
    for name, msg in errors.items():
        log(f"\nERROR {name}:\n{msg}")
    machine["load_average_end"] = load_average()


def run_child(cmd: list, phase: str, env: dict | None = None) -> dict:
    """Run one benchmark phase in a fresh process; its result is the last ``BENCH_JSON``
    line it prints (or the error text when it fails)."""
    import json
    import subprocess

    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    line = [x for x in proc.stdout.splitlines() if x.startswith("BENCH_JSON ")]
    if proc.returncode != 0 or not line:
        return {"phase": phase, "error": (proc.stdout + proc.stderr).strip()[-2000:]}
    return json.loads(line[-1][len("BENCH_JSON "):])
