"""Steps of the compiled finish (:mod:`satmodel.engine._finish_jit`, which imports this
module; importing it imports numba) for four batch elements side by side: rho_A (with
the PLSc loadings) and the total effects of a recursive model. The elements' sums are
independent, so the CPU overlaps them (one element's are short chains of dependent
additions); each sum runs in the plain loop's order, without fused multiply-adds, so the
results are the one-element loops' bit for bit (tests/test_engine_finish_speed.py).
Numba's disk cache does not see edits here: after editing, delete
``__pycache__/_finish_jit*.nb[ic]`` (and this module's).

>>> import numpy as np
>>> w = np.array([[0.6, 0.6]] * 4); S = np.array([[[1.0, 0.5], [0.5, 1.0]]] * 4)
>>> rho, load = np.empty((4, 1)), np.empty((4, 2))
>>> rho_a4(S, 0, w, np.array([0, 2]), np.array([0]), np.array([True]), w.copy(), rho, load)
>>> ss, o = 0.6 * 0.6 * 2, 0.6 * 0.6  # 0.0 + 0.6² + 0.6², and each w_k w_l
>>> float(rho[3, 0]) == ss * ss * ((0.6 * 0.5 * 0.6 * 2) / (o * o * 2))
True
"""

from __future__ import annotations

import math

from numba import njit


@njit(cache=True, nogil=True, error_model="numpy")
def rho_a(S, b, w, starts, modes, common, own, g, rho, load):
    """rho_A of each Mode A block of two or more items (else 1) and the PLSc loadings of
    the common factors (the other entries: ``own[g]``), element b, into load[g]."""
    J = starts.shape[0] - 1
    for q in range(own.shape[1]):
        load[g, q] = own[g, q]
    for j in range(J):
        a, e = starts[j], starts[j + 1]
        rho[b, j] = 1.0
        if modes[j] != 0 or e - a < 2:
            continue
        num, den, ss = 0.0, 0.0, 0.0
        for k in range(a, e):
            ss += w[b, k] * w[b, k]
            for l in range(a, e):
                if k != l:
                    num += w[b, k] * S[b, k, l] * w[b, l]
                    o = w[b, k] * w[b, l]
                    den += o * o
        _rho_put(b, j, a, e, ss, num / den, common, w, rho, load, g)


@njit(cache=True, nogil=True, error_model="numpy")
def rho_a4(S, b, w, starts, modes, common, own, rho, load):
    """:func:`rho_a` of elements b, ..., b + 3 side by side (own[g], load[g] for b + g):
    four independent sets of sums the CPU overlaps, each in the plain order."""
    J, b1, b2, b3 = starts.shape[0] - 1, b + 1, b + 2, b + 3
    for g in range(4):
        for q in range(own.shape[1]):
            load[g, q] = own[g, q]
    for j in range(J):
        a, e = starts[j], starts[j + 1]
        rho[b, j], rho[b1, j], rho[b2, j], rho[b3, j] = 1.0, 1.0, 1.0, 1.0
        if modes[j] != 0 or e - a < 2:
            continue
        n0, n1, n2, n3, d0, d1, d2, d3 = 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
        s0, s1, s2, s3 = 0.0, 0.0, 0.0, 0.0
        for k in range(a, e):
            s0 += w[b, k] * w[b, k]
            s1 += w[b1, k] * w[b1, k]
            s2 += w[b2, k] * w[b2, k]
            s3 += w[b3, k] * w[b3, k]
            for l in range(a, e):
                if k != l:
                    n0 += w[b, k] * S[b, k, l] * w[b, l]
                    n1 += w[b1, k] * S[b1, k, l] * w[b1, l]
                    n2 += w[b2, k] * S[b2, k, l] * w[b2, l]
                    n3 += w[b3, k] * S[b3, k, l] * w[b3, l]
                    o0, o1 = w[b, k] * w[b, l], w[b1, k] * w[b1, l]
                    o2, o3 = w[b2, k] * w[b2, l], w[b3, k] * w[b3, l]
                    d0 += o0 * o0
                    d1 += o1 * o1
                    d2 += o2 * o2
                    d3 += o3 * o3
        _rho_put(b, j, a, e, s0, n0 / d0, common, w, rho, load, 0)
        _rho_put(b1, j, a, e, s1, n1 / d1, common, w, rho, load, 1)
        _rho_put(b2, j, a, e, s2, n2 / d2, common, w, rho, load, 2)
        _rho_put(b3, j, a, e, s3, n3 / d3, common, w, rho, load, 3)


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _rho_put(b, j, a, e, ss, c2, common, w, rho, load, g):
    """rho_A and the PLSc loadings (into load[g]) of block j of element b."""
    rho[b, j] = ss * ss * c2
    if common[j]:
        r = math.sqrt(c2) if c2 >= 0.0 else math.nan
        for q in range(a, e):
            load[g, q] = r * w[b, q]


@njit(cache=True, nogil=True, error_model="numpy")
def total_upper4(paths, T, b):
    """``_finish_jit._total_upper`` of elements b, ..., b + 3 side by side, each in its order."""
    J, b1, b2, b3 = paths.shape[1], b + 1, b + 2, b + 3
    for r in range(J - 1, -1, -1):
        for c in range(r + 1):
            T[b, r, c], T[b1, r, c], T[b2, r, c], T[b3, r, c] = 0.0, 0.0, 0.0, 0.0
        for c in range(r + 1, J):
            T[b, r, c], T[b1, r, c] = paths[b, r, c], paths[b1, r, c]
            T[b2, r, c], T[b3, r, c] = paths[b2, r, c], paths[b3, r, c]
        for q in range(r + 1, J):
            f0, f1, f2, f3 = paths[b, r, q], paths[b1, r, q], paths[b2, r, q], paths[b3, r, q]
            for c in range(q + 1, J):
                T[b, r, c] += f0 * T[b, q, c]
                T[b1, r, c] += f1 * T[b1, q, c]
                T[b2, r, c] += f2 * T[b2, q, c]
                T[b3, r, c] += f3 * T[b3, q, c]
