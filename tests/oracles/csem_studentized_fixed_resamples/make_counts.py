"""Write the row counts of the double bootstrap behind ``intervals.csv`` (run from this
folder with the repository's venv: ``../../../.venv/bin/python make_counts.py``).

The counts are satmodel's own resamples (``NestedCounts`` replaying
``np.random.default_rng(SEED)``): they are the *input* handed to cSEM, so that cSEM's
estimator and cSEM's interval function run on exactly the resamples satmodel uses. The
test regenerates them and checks they equal this file before comparing intervals.
"""

import numpy as np

from satmodel.inference.studentized import NestedCounts, generator_state

SEED, N, B, M = 20261202, 60, 40, 30

counts = NestedCounts(B, M, N, generator_state(np.random.default_rng(SEED))).draw(B * (M + 1))
fit = np.arange(B * (M + 1))
header = "b,j," + ",".join(f"r{i + 1}" for i in range(N))
rows = np.column_stack([fit // (M + 1), fit % (M + 1), counts.astype(int)])
np.savetxt("counts.csv", rows, fmt="%d", delimiter=",", header=header, comments="")
