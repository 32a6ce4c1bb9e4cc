"""The compiled finish's four-at-a-time steps (satmodel.engine._finish_four_jit, used by
satmodel.engine._finish_jit.finish): each must give the one-element loops' numbers bit
for bit.

Expected values are the definitions written as Python float loops (IEEE double
arithmetic in the stated order, as in tests/test_engine_kernel_speed.py), on numbers
from 1e-2 to 1e2 (ten draws each) so that a reordered or fused sum fails. End to end, ``finish`` on a
batch (groups of four and a partial group: B = 1..9, 17) must equal ``finish`` called
on each element alone (B = 1: the one-element steps only), with per-lane sign flips, a
sign reference, PLSc and non-finite inputs; no tolerance: the same operations in the
same order give the same bits.
"""
from __future__ import annotations

import importlib.util
import math
import os

import numpy as np
import pytest

from satmodel.engine import kernel
from satmodel.spec.layout import Layout
from tests.test_engine_kernel import LAY, resampled

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("numba") is None or os.environ.get("SATMODEL_NUMBA") == "0",
    reason="numba is not installed (extra 'fast') or switched off")


@pytest.fixture(scope="module")
def jit():
    from satmodel.engine import _finish_four_jit, _finish_jit
    return _finish_jit, _finish_four_jit


def wild(rng, *shape):
    return rng.standard_normal(shape) * 10.0 ** rng.uniform(-2, 2, shape)


def python_rho(S, w, own, starts, modes, common):
    """rho_A and loadings of one element by the definition's loops."""
    rho, load = [1.0] * (len(starts) - 1), [float(x) for x in own]
    for j in range(len(starts) - 1):
        a, e = int(starts[j]), int(starts[j + 1])
        if modes[j] != 0 or e - a < 2:
            continue
        num = den = ss = 0.0
        for k in range(a, e):
            ss = ss + float(w[k]) * float(w[k])
            for l in range(a, e):
                if k != l:
                    num = num + float(w[k]) * float(S[k, l]) * float(w[l])
                    o = float(w[k]) * float(w[l])
                    den = den + o * o
        c2 = num / den
        rho[j] = ss * ss * c2
        if common[j]:
            r = math.sqrt(c2) if c2 >= 0.0 else math.nan
            for q in range(a, e):
                load[q] = r * float(w[q])
    return np.array(rho), np.array(load)


def python_total_upper(P):
    J = P.shape[0]
    T = [[0.0] * J for _ in range(J)]
    for r in range(J - 1, -1, -1):
        for c in range(r + 1, J):
            T[r][c] = float(P[r, c])
        for q in range(r + 1, J):
            for c in range(q + 1, J):
                T[r][c] = T[r][c] + float(P[r, q]) * T[q][c]
    return np.array(T)


def bits(x):
    return np.asarray(x, dtype=float).tobytes()


@pytest.mark.parametrize("seed", range(10))
def test_rho_a4_is_the_definition_per_element(jit, seed):
    """Blocks of 5, 1 (rho 1), 4 (Mode B: rho 1), 3 (composite: loadings stay own) and 2
    items; wild weights give some negative c2 (loadings NaN)."""
    four = jit[1]
    rng = np.random.default_rng(seed)
    starts = np.array([0, 5, 6, 10, 13, 15])
    modes = np.array([0, 0, 1, 0, 0])
    common = np.array([True, True, False, False, True])
    p, b = 15, 3
    S, w, own = wild(rng, 9, p, p), wild(rng, 9, p), wild(rng, 4, p)
    rho, load = np.full((9, 5), -7.0), np.empty((4, p))
    four.rho_a4(S, b, w, starts, modes, common, own, rho, load)
    for g in range(4):
        want_rho, want_load = python_rho(S[b + g], w[b + g], own[g], starts, modes, common)
        assert bits(rho[b + g]) == bits(want_rho)
        assert bits(load[g]) == bits(want_load)
    assert (rho[:b] == -7.0).all() and (rho[b + 4:] == -7.0).all()


@pytest.mark.parametrize("seed", range(10))
def test_total_upper4_is_the_definition_per_element(jit, seed):
    four = jit[1]
    rng = np.random.default_rng(seed)
    J, b = 7, 2
    P = np.triu(wild(rng, 8, J, J), 1)
    T = np.full((8, J, J), -7.0)
    four.total_upper4(P, T, b)
    for g in range(4):
        assert bits(T[b + g]) == bits(python_total_upper(P[b + g]))
    assert (T[:b] == -7.0).all() and (T[b + 4:] == -7.0).all()


def run_finish(fj, S, w, lay, ref, consistent):
    B, p = w.shape
    J = lay.n_constructs
    pptr, pidx = lay.incoming()
    out = (np.empty((B, p)), np.empty((B, p)), np.empty((B, p, J)), np.empty((B, J, J)),
           np.empty((B, J, J)), np.empty((B, J)), np.empty((B, J, J)),
           np.empty((B, J)), np.zeros((B, J, J)), np.empty(B, np.int8))
    fj.finish(S, w, lay.block_of.astype(np.int64), lay.starts(),
              np.array([kernel._MODES[m] for m in lay.modes], dtype=np.int64),
              np.ascontiguousarray(lay.common_factor, dtype=np.bool_), pptr, pidx,
              not np.tril(lay.adjacency).any(), np.zeros(p) if ref is None else ref,
              ref is not None, consistent, *out)
    return out


@pytest.mark.parametrize("consistent", [False, True])
@pytest.mark.parametrize("reference", [False, True])
@pytest.mark.parametrize("lower", [False, True])
def test_finish_in_groups_equals_one_element_at_a_time(jit, consistent, reference, lower):
    """B = 1..9 and 17 (full groups of four and every partial one); weights of random
    sign (blocks flipped per element), a NaN and an inf in S, an inf weight, a block of
    zero weights (a zero pivot); ``lower``: paths against the index order (the general
    total effects)."""
    fj = jit[0]
    rng = np.random.default_rng(6)
    S = resampled(7, 17)[0]
    w = rng.standard_normal((17, S.shape[1]))
    S[2, 3, 4], S[9, 0, 0], w[5, 7], w[12, 0:5] = np.nan, np.inf, np.inf, 0.0
    lay = LAY if not lower else Layout(block_of=LAY.block_of, modes=LAY.modes,
                                       adjacency=LAY.adjacency.T,
                                       common_factor=LAY.common_factor)
    ref = rng.standard_normal(S.shape[1]) if reference else None
    alone = [run_finish(fj, S[b:b + 1], w[b:b + 1], lay, ref, consistent)
             for b in range(17)]
    for B in [*range(1, 10), 17]:
        out = run_finish(fj, S[:B], w[:B], lay, ref, consistent)
        for k, part in enumerate(out):
            for b in range(B):
                assert bits(part[b]) == bits(alone[b][k][0]), (B, b, k)
    status = run_finish(fj, S, w, lay, ref, consistent)[-1]
    assert status[2] == 1 and status[9] == 1 and status[5] == 1 and status[12] == 1
