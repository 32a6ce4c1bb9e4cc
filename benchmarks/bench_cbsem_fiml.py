"""FIML speed (issue 17 part 5): the ECSI model with ~11 % of the answers missing (MAR),
satmodel ``fit_cbsem(..., missing="fiml")`` against lavaan 0.6-14 ``sem(..., missing="ml")``
in the same run.

Data and model: tests/oracles/lavaan_ecsi (``ecsi_missing.csv``, 250 rows, 27 items, about
190 missingness patterns; ``model.lav``). Both fits compute standard errors from the
observed information (lavaan's default with ``missing="ml"``); satmodel's timing includes
its EM saturated model, identification check, fit indices and diagnostics, lavaan's its
h1 model and fit measures. lavaan runs through ``Rscript`` (skipped, with a note, when R or
lavaan is missing); its time is the median of ``--reps`` ``sem()`` calls inside one R
process (R start-up excluded). Before issue 17 satmodel used semopy's ``ModelMeans`` FIML:
73 minutes on this kind of problem.

    .venv/bin/python benchmarks/bench_cbsem_fiml.py [--reps 3] [--no-lavaan]

Writes benchmarks/results/cbsem_fiml.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORACLE = HERE.parent / "tests" / "oracles" / "lavaan_ecsi"

R_SCRIPT = """
suppressMessages(library(lavaan))
d <- read.csv("ecsi_missing.csv")
model <- paste(readLines("model.lav"), collapse = "\\n")
times <- numeric(0)
for (k in seq_len({reps})) {{
  t0 <- proc.time()[["elapsed"]]
  fit <- sem(model, data = d, missing = "ml")
  times <- c(times, proc.time()[["elapsed"]] - t0)
}}
cat(sprintf("%.6f", times), "\\n")
cat(sprintf("%.10f", fitMeasures(fit, "chisq")), "\\n")
"""


def time_satmodel(reps: int) -> tuple[list[float], float]:
    import pandas as pd

    import satmodel as sm

    spec = sm.ModelSpec.from_file(ORACLE / "model.lav")
    data = pd.read_csv(ORACLE / "ecsi_missing.csv")
    times, chi2 = [], float("nan")
    for _ in range(reps):
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = sm.fit_cbsem(spec, data, missing="fiml")
        times.append(time.perf_counter() - start)
        chi2 = float(res.fit_indices["chi2"])
    return times, chi2


def time_lavaan(reps: int) -> tuple[list[float], float] | str:
    if shutil.which("Rscript") is None:
        return "Rscript not found"
    out = subprocess.run(["Rscript", "-e", R_SCRIPT.format(reps=reps)], cwd=ORACLE,
                         capture_output=True, text=True, timeout=3600)
    if out.returncode != 0:
        return "lavaan run failed: " + out.stderr.strip()[-300:]
    lines = out.stdout.strip().splitlines()
    return [float(v) for v in lines[0].split()], float(lines[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--no-lavaan", action="store_true")
    parser.add_argument("--out", default=str(HERE / "results" / "cbsem_fiml.json"))
    args = parser.parse_args()
    load = os.getloadavg()[0]
    if load > 0.5:
        print(f"warning: 1-minute load average {load:.2f}; timings are noisy")
    ours, chi2 = time_satmodel(args.reps)
    lav = "not run" if args.no_lavaan else time_lavaan(args.reps)
    result = {"machine": platform.platform(), "load_average": load, "reps": args.reps,
              "satmodel_seconds": ours, "satmodel_chi2": chi2}
    print(f"satmodel FIML  median {statistics.median(ours):8.2f} s  chi2 {chi2:.6f}")
    if isinstance(lav, tuple):
        result.update(lavaan_seconds=lav[0], lavaan_chi2=lav[1],
                      ratio=statistics.median(ours) / statistics.median(lav[0]))
        print(f"lavaan FIML    median {statistics.median(lav[0]):8.2f} s  chi2 {lav[1]:.6f}")
        print(f"ratio satmodel / lavaan: {result['ratio']:.2f}")
    else:
        result["lavaan"] = lav
        print(f"lavaan: {lav}")
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
