"""one_blas_thread() from several threads at once: the limits found before the first block
are restored after the last, whatever the order the blocks end in (threadpoolctl alone lets
the block that ends last restore the "1" an earlier block set, for the rest of the process)."""
import threading

import pytest
from threadpoolctl import threadpool_info

import satmodel._threads as threads_mod
from satmodel._threads import one_blas_thread


class _FakeBlas:
    """A stand-in for threadpoolctl's controller: one process-wide thread count."""

    def __init__(self):
        self.threads = 2

    def limit(self, limits, user_api):
        before, self.threads = self.threads, limits
        fake = self

        class _Limiter:
            def restore_original_limits(self):
                fake.threads = before
        return _Limiter()


def _overlap(read):
    """A enters, B enters, A ends, B ends; ``read()`` in this thread at each step."""
    a_in, b_in, a_go, a_out, b_go = (threading.Event() for _ in range(5))
    seen = {}

    def first():
        with one_blas_thread():
            a_in.set()
            a_go.wait(5)
        a_out.set()

    def second():
        a_in.wait(5)
        with one_blas_thread():
            b_in.set()
            b_go.wait(5)

    workers = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in workers:
        t.start()
    b_in.wait(5)
    seen["both inside"] = read()
    a_go.set()
    a_out.wait(5)
    seen["B still inside"] = read()
    b_go.set()
    for t in workers:
        t.join(10)
    seen["after both"] = read()
    return seen


def test_overlapping_blocks_restore_the_limits_found_before_the_first(monkeypatch):
    fake = _FakeBlas()
    monkeypatch.setattr(threads_mod, "_controller", lambda: fake)
    assert _overlap(lambda: fake.threads) == {
        "both inside": 1, "B still inside": 1,  # A's end must not lift B's limit
        "after both": 2}                         # B's end restores what was there before A


def test_nested_blocks_in_one_thread(monkeypatch):
    fake = _FakeBlas()
    monkeypatch.setattr(threads_mod, "_controller", lambda: fake)
    with one_blas_thread():
        with one_blas_thread():
            assert fake.threads == 1
        assert fake.threads == 1
    assert fake.threads == 2


def _blas_threads():
    return {m["num_threads"] for m in threadpool_info() if m["user_api"] == "blas"}


def test_the_real_blas_after_overlapping_blocks():
    before = _blas_threads()
    if not before or min(before) < 2:
        pytest.skip("BLAS runs one thread here already")
    _overlap(_blas_threads)
    assert _blas_threads() == before


def test_a_block_in_a_worker_thread_limits_after_one_in_this_thread():
    """threadpoolctl >= 3.8 lets one controlling thread change OpenBLAS; a block ended in
    this thread must not keep that control from the next block in another thread."""
    if min(_blas_threads() or {1}) < 2:
        pytest.skip("BLAS runs one thread here already")
    with one_blas_thread():
        pass
    seen = {}

    def worker():
        with one_blas_thread():
            seen["inside"] = _blas_threads()

    t = threading.Thread(target=worker)
    t.start()
    t.join(10)
    assert seen["inside"] == {1}


def test_the_collector_is_paused_in_blocks_and_restored_after_the_last():
    """Overlapping blocks from two threads: the collector stays off until the last ends,
    then is on again; a collector the caller had switched off stays off."""
    import gc

    from satmodel._threads import collector_paused

    assert gc.isenabled()
    inside, release = threading.Event(), threading.Event()

    def worker():
        with collector_paused():
            inside.set()
            release.wait(5)

    t = threading.Thread(target=worker)
    with collector_paused():
        t.start()
        inside.wait(5)
        assert not gc.isenabled()
    assert not gc.isenabled()  # the worker's block is still open
    release.set()
    t.join(5)
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # the caller's choice is kept
    finally:
        gc.enable()


def test_a_grouped_fit_leaves_the_collector_as_it_found_it():
    import gc

    import satmodel as sm

    df = sm.datasets.load("ecsi_satisfaction")
    with pytest.raises(sm.errors.SatModelError):
        sm.fit_pls(sm.templates.ecsi(), df, by="no_such_column")
    assert gc.isenabled()
    sm.fit_pls(sm.templates.ecsi(), df, by="gender")
    assert gc.isenabled()


def test_on_helper_runs_on_one_persistent_thread_and_nests_inline():
    from satmodel._threads import on_helper

    first = on_helper(lambda: threading.current_thread())
    first.result()
    second = on_helper(lambda: threading.current_thread())
    assert first.result() is second.result()  # made once, not a thread per call
    assert first.result().name.startswith("satmodel-helper")
    assert first.result() is not threading.current_thread()
    # nested: the helper waiting on itself would deadlock; it runs the inner work inline
    inner = on_helper(lambda: on_helper(lambda: threading.current_thread()).result())
    assert inner.result(timeout=10) is first.result()


def test_on_helper_hands_errors_to_result():
    from satmodel._threads import on_helper

    with pytest.raises(ZeroDivisionError):
        on_helper(lambda: 1 / 0).result(timeout=10)
    with pytest.raises(ZeroDivisionError):  # nested, run inline: the same
        on_helper(lambda: on_helper(lambda: 1 / 0).result()).result(timeout=10)


def test_on_helper_works_in_a_forked_child():
    import multiprocessing as mp

    from satmodel._threads import on_helper

    assert on_helper(lambda: 1).result() == 1  # the parent's helper exists before the fork
    ctx = mp.get_context("fork")
    with ctx.Pool(1) as pool:  # the child has no helper thread; a new one is made
        assert pool.apply(_helper_in_child) == 6


def _helper_in_child():
    from satmodel._threads import on_helper

    return on_helper(sum, [1, 2, 3]).result(timeout=10)


def test_on_helper_runs_inline_when_the_helper_is_busy_and_keeps_the_context():
    """A second caller does not queue behind the first's work (services calling
    satmodel from several threads); the helper sees the caller's context (numpy's
    errstate, diagnostic scopes)."""
    import numpy as np

    from satmodel._threads import on_helper

    release = threading.Event()
    busy = on_helper(release.wait, 10)
    try:
        meanwhile = on_helper(lambda: threading.current_thread())
        assert meanwhile.result(timeout=10) is threading.current_thread()
    finally:
        release.set()
    busy.result(timeout=10)
    with np.errstate(divide="raise"):
        with pytest.raises(FloatingPointError):
            on_helper(lambda: np.float64(1.0) / np.float64(0.0)).result(timeout=10)
