"""Review fixes of the CB-SEM bootstrap: the private SLSQP routine's fallback and a dead
worker process.

- ``mlboot.slsqp`` runs scipy's private SLSQP step routine only when a probe on a tiny
  problem runs and agrees with ``scipy.optimize.minimize``; a routine that raises (a changed
  signature) or does something else (changed state keys) falls back to ``minimize``. The
  own loop takes ``minimize``'s steps bit for bit (tests/test_cbsem_speed_jobs.py
  ``test_own_slsqp_loop_takes_scipys_steps``), so the draws must be identical (0 difference).
- a worker process that dies (out of memory, a crash: here ``os._exit``) gives an
  EstimationError saying what to do, not concurrent.futures' BrokenProcessPool, and no hang.
"""

from __future__ import annotations

import os
import signal
import warnings

import numpy as np
import pytest

import satmodel as sm
from satmodel.cbsem import bootwork, mlboot
from tests._oracles import quiet

pytest.importorskip("semopy")

SPEC = "IMAG =~ IMAG1 + IMAG2 + IMAG3\nSAT =~ SAT1 + SAT2 + SAT3\nSAT ~ IMAG"


@pytest.fixture(scope="module")
def cb():
    return quiet(sm.fit_cbsem, sm.ModelSpec.from_lavaan(SPEC), sm.datasets.load("ecsi_satisfaction"))


def _boot(cb, **options):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "[0-9]+ bootstrap resamples are too few", sm.SatModelWarning)
        return cb.bootstrap(progress=False, **options).inference


def _raises(*args, **kwargs):
    raise TypeError("slsqp() takes 9 positional arguments but 11 were given")


def _does_nothing(*args, **kwargs):  # runs, but leaves the state alone (say, renamed keys)
    return None


@pytest.mark.parametrize("step", [_raises, _does_nothing], ids=["raises", "disagrees"])
def test_a_changed_private_slsqp_routine_falls_back_to_minimize(cb, monkeypatch, step):
    assert mlboot.own_loop_works()  # this scipy's routine: the own loop
    ref = _boot(cb, n=5, seed=4, n_jobs=1)
    monkeypatch.setattr(mlboot, "_step", step)
    monkeypatch.setattr(mlboot, "_OWN_LOOP", None)  # probe again, on first use
    got = _boot(cb, n=5, seed=4, n_jobs=1)
    assert mlboot._OWN_LOOP is False
    assert (got.n_valid, got.dropped) == (ref.n_valid, ref.dropped) and got.n_valid == 5
    for t, cols in ref.draws.items():
        for c, v in cols.items():
            np.testing.assert_array_equal(got.draws[t][c], v)


@pytest.mark.skipif(not bootwork.forks(), reason="the patched refit reaches workers by fork")
def test_a_worker_that_dies_gives_an_estimation_error(cb, monkeypatch, tmp_path):
    parent, flag, real = os.getpid(), str(tmp_path / "died"), bootwork.Job.refit

    def dies_once(self, counts):
        if os.getpid() != parent:
            try:  # exactly one worker process, on one resample
                os.close(os.open(flag, os.O_CREAT | os.O_EXCL))
                os._exit(1)
            except FileExistsError:
                pass
        return real(self, counts)

    def too_long(*_):
        raise TimeoutError("the bootstrap hung after a worker died")

    monkeypatch.setattr(bootwork.Job, "refit", dies_once)
    old = signal.signal(signal.SIGALRM, too_long)
    signal.alarm(120)  # a few seconds normally (n=6 small refits)
    try:
        with pytest.raises(sm.EstimationError, match="bootstrap worker process died.*n_jobs=None"):
            _boot(cb, n=6, seed=1, n_jobs=2)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    assert os.path.exists(flag)  # a worker did die
