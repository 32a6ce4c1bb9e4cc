"""openpls-engine (PyPI ``openpls-engine`` 1.13.0): a maintained fork of plspm-python.

Same API as plspm under the package name ``openpls`` (read from the installed
source, openpls/plspm.py and openpls/bootstrap.py), so this reuses ``plspm_boot.py``.
Its bootstrap worker wraps each resample in a bare ``except: pass`` (failed resamples
vanish silently; see docs/methods.md §7) -- we only time it.
"""
from __future__ import annotations

import plspm_boot

if __name__ == "__main__":
    plspm_boot.main(package="openpls", tool="openpls-engine", dist="openpls-engine")
