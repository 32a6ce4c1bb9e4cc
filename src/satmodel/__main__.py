"""``python -m satmodel ...`` runs the command line (see :mod:`satmodel.cli`)."""

import sys

from .cli import main

sys.exit(main())
