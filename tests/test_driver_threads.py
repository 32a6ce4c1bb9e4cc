"""The resampling driver's threads (``run(..., parallel=True)``): the calling thread and a
helper each draw their next chunk when free; an evaluation's error, in either thread,
reaches the caller, stops the drawing and leaves no thread behind; every draw is shown on
the progress bar and ``meanwhile`` runs once, in the calling thread."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import satmodel.inference.driver as driver
from satmodel.inference.driver import BootstrapCounts, run

TOTAL, CHUNK = 600, 100  # six chunks of 100 (MAX_CHUNK below)


class Counted(BootstrapCounts):
    """Bootstrap counts that count the chunks drawn."""

    chunks = 0

    def draw(self, size: int) -> np.ndarray:
        type(self).chunks += 1
        return super().draw(size)


@pytest.fixture
def two_threads(monkeypatch):
    monkeypatch.setattr(driver, "usable_cores", lambda: 2)
    monkeypatch.setattr(driver, "MAX_CHUNK", CHUNK)
    Counted.chunks = 0


def _sums(weights: np.ndarray):
    """A stateless evaluation: each draw's count total (always the 50 rows drawn)."""
    return {"t": {"total": weights.sum(axis=1)}}, {"bad": np.zeros(len(weights), bool)}


def _failing_in(which: str):
    """An evaluation failing in one thread; the other's chunks take 20 ms (time enough for
    both threads to take a chunk)."""
    def evaluate(weights):
        if (threading.current_thread() is threading.main_thread()) == (which == "calling"):
            raise ValueError(f"failed in the {which} thread")
        time.sleep(0.02)
        return _sums(weights)
    return evaluate


def test_every_draw_is_evaluated_once_in_order(two_threads):
    seen: list[str] = []
    draws = run(Counted(TOTAL, 50, np.random.default_rng(1)), _sums, 8, parallel=True,
                meanwhile=lambda: seen.append(threading.current_thread().name))
    np.testing.assert_array_equal(draws.values["t"]["total"], np.full(TOTAL, 50.0))
    assert draws.n_valid == TOTAL and Counted.chunks == TOTAL // CHUNK
    assert seen == [threading.main_thread().name]  # once, in the calling thread
    # the same counts as one thread drawing every chunk in turn
    plain = BootstrapCounts(TOTAL, 50, np.random.default_rng(1)).draw(TOTAL)
    got = run(BootstrapCounts(TOTAL, 50, np.random.default_rng(1)),
              lambda w: ({"t": {"w": w}}, {}), 8, parallel=True)
    np.testing.assert_array_equal(got.values["t"]["w"], plain)


@pytest.mark.parametrize("which", ["calling", "helper"])
def test_an_evaluation_error_reaches_the_caller_and_stops_the_draws(two_threads, which):
    before = threading.active_count()
    with pytest.raises(ValueError, match=f"failed in the {which} thread"):
        run(Counted(TOTAL, 50, np.random.default_rng(1)), _failing_in(which), 8, parallel=True)
    # the failing thread draws no more; the other finishes the chunk in hand and stops
    assert Counted.chunks < TOTAL // CHUNK
    assert threading.active_count() == before  # the helper thread has ended


def test_the_progress_bar_shows_every_draw(two_threads, monkeypatch):
    class Bar:
        def __init__(self):
            self.n, self.closed, self.thread = 0, False, set()

        def update(self, k):
            self.n += k
            self.thread.add(threading.current_thread().name)

        def close(self):
            self.closed = True

    bar = Bar()
    monkeypatch.setattr(driver, "progress_bar", lambda total, enabled, desc: bar)
    run(Counted(TOTAL, 50, np.random.default_rng(1)), _sums, 8, parallel=True, progress=True)
    assert bar.n == TOTAL and bar.closed
    assert bar.thread == {threading.main_thread().name}  # updated by the calling thread only
