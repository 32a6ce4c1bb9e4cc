"""Counting the thread pools a module makes (tests of its two-thread paths)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor


def count_pools(monkeypatch, module) -> list[int]:
    """Make ``module.ThreadPoolExecutor`` record each pool's worker count in the returned
    list, so a test can tell that the threaded path ran (and was not one path compared
    with itself)."""
    pools: list[int] = []

    class Counting(ThreadPoolExecutor):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            pools.append(self._max_workers)

    monkeypatch.setattr(module, "ThreadPoolExecutor", Counting)
    return pools
