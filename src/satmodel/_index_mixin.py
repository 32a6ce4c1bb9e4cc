"""Index (0-100), impacts and IPMA methods of :class:`~satmodel.results.PLSResult`.

Kept in its own module so the index layer grows without touching results.py.
"""

from __future__ import annotations


class IndexMixin:
    """Satisfaction-index methods: ``index()``, ``impacts()``, ``ipma()``."""
