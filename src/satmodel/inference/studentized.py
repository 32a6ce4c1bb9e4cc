"""Studentized (bootstrap-t) intervals: a double bootstrap through the batched engine.

Each outer resample b — the bootstrap's own, regenerated from its generator's state — is
followed by ``n_inner`` resamples of *its* rows; the SD of their estimates is the standard
error SE*_b of θ*_b, and t*_b = (θ*_b − θ̂)/SE*_b (Davison & Hinkley 1997, §5.2.1). The
inner resamples are just more rows on the batch axis: fit f = b·(n_inner + 1) + j (j = 0
the outer resample), chunked by the driver's memory budget. Outer counts come from the
bootstrap's generator, inner counts of outer b from a generator seeded by (that state, b),
so the same seed gives the same numbers whatever the chunk size.

Example
-------
>>> import satmodel as sm
>>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
>>> boot = res.bootstrap(n=20, seed=1, ci="studentized", n_inner=20, progress=False,
...                      tables=["paths"])
>>> boot.inference.tstar["paths"]["estimate"].shape
(20, 10)
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..diagnostics import report
from ..engine.refit import Refit
from ..errors import SatModelError
from ..spec.model import ModelSpec
from ..tables import Context
from .driver import Weights, drop_reasons, evaluate_tables, run

__all__ = ["N_INNER", "NestedCounts", "generator_state", "restore", "t_draws"]

#: default inner resamples per outer resample (cSEM's ``.R2`` default is 199)
N_INNER = 200


def generator_state(rng: np.random.Generator) -> dict:
    """A copy of a generator's state, from which :func:`restore` replays its draws."""
    return copy.deepcopy(rng.bit_generator.state)


def restore(state: dict) -> np.random.Generator:
    """A generator in ``state`` (as returned by :func:`generator_state`)."""
    bit = getattr(np.random, state["bit_generator"])()
    bit.state = copy.deepcopy(state)
    return np.random.Generator(bit)


def _entropy(state: dict) -> list[int]:
    """Entropy for the inner generators, a digest of the outer generator's state."""
    text = json.dumps(state, sort_keys=True, default=lambda a: np.asarray(a).tolist())
    return np.frombuffer(hashlib.sha256(text.encode()).digest(), dtype=np.uint32).tolist()


@dataclass
class NestedCounts(Weights):
    """Row counts of ``outer`` resamples (replaying the generator in ``state``), each
    followed by ``n_inner`` resamples drawn with replacement from its rows."""

    outer: int
    n_inner: int
    n: int
    state: dict
    desc: str = "double bootstrap"
    _next: int = field(default=0, repr=False)

    def __post_init__(self) -> None:
        self.total = self.outer * (self.n_inner + 1)
        self._rng = restore(self.state)
        self._entropy = _entropy(self.state)
        self._rows = np.arange(self.n)
        self._counts = np.zeros(self.n)
        self._inner: np.random.Generator | None = None

    def _start_outer(self, b: int) -> None:
        idx = self._rng.integers(0, self.n, size=(1, self.n))[0]  # BootstrapCounts' stream
        self._counts = np.bincount(idx, minlength=self.n).astype(float)
        self._rows = np.sort(idx)  # the resample's rows, as a multiset
        self._inner = np.random.default_rng(np.random.SeedSequence(self._entropy, spawn_key=(b,)))

    def draw(self, size: int) -> np.ndarray:
        out = np.empty((size, self.n))
        i, m = 0, self.n_inner + 1
        while i < size:
            b, j = divmod(self._next + i, m)
            if j == 0:
                self._start_outer(b)
                out[i] = self._counts
                i += 1
                continue
            k = min(size - i, m - j)
            picked = self._rows[self._inner.integers(0, self.n, size=(k, self.n))]
            flat = (picked + self.n * np.arange(k)[:, None]).ravel()
            out[i:i + k] = np.bincount(flat, minlength=k * self.n).reshape(k, self.n)
            i += k
        self._next += size
        return out


def _sd(x: np.ndarray) -> np.ndarray:
    """SD (ddof 1) over axis 1 of the finite entries; NaN where fewer than 2."""
    ok = np.isfinite(x)
    k = ok.sum(axis=1)
    scale = np.where(ok, np.abs(x), 0.0).max(axis=1)
    scale = np.where(scale > 0, np.ldexp(1.0, np.frexp(scale)[1]), 1.0)  # exact, no overflow
    x = x / scale[:, None]
    mean = np.where(ok, x, 0.0).sum(axis=1) / k
    dev = np.where(ok, x - mean[:, None], 0.0)
    return np.where(k >= 2, scale * np.sqrt((dev**2).sum(axis=1) / (k - 1)), np.nan)


@dataclass(frozen=True)
class TDraws:
    """Studentized draws ``tstar[table][column]`` (outer resamples kept, rows), with the
    number of outer resamples kept, inner fits dropped and outer resamples without an SE."""

    tstar: dict[str, dict[str, np.ndarray]]
    n_inner: int
    n_outer_valid: int
    inner_dropped: int
    no_se: int


def t_draws(spec: ModelSpec, refit: Refit, original: dict, *, n_outer: int, n_inner: int,
            state: dict, signs: str = "none", sign_reference: np.ndarray | None = None,
            keep_inadmissible: bool = False, chunk_size: int | None = None,
            progress: bool | None = False) -> TDraws:
    """t*_b = (θ*_b − θ̂)/SE*_b of every value in ``original`` (table -> column -> θ̂) for
    the ``n_outer`` resamples of the generator in ``state``, SE*_b the SD (ddof 1) of
    ``n_inner`` resamples of resample b. Outer resamples dropped as the bootstrap drops
    them; inner fits that fail are left out of SE*_b (reported); an SE*_b from fewer than
    2 inner fits, or 0, gives no t*_b."""
    tables = list(original)
    m = n_inner + 1
    weights = NestedCounts(n_outer, n_inner, refit.n_rows, state)
    tail: dict[str, Any] = {"bad": np.zeros(0, dtype=bool), "values": None}
    out: dict[str, dict[str, list[np.ndarray]]] = {t: {c: [] for c in original[t]} for t in tables}
    stats = {"outer_valid": 0, "inner_dropped": 0, "no_se": 0}

    def finish(values: dict, bad: np.ndarray) -> None:
        """t* of complete outer resamples: ``bad`` (nb·m,), values (nb·m, k)."""
        nb = bad.size // m
        bad = bad.reshape(nb, m)
        keep = ~bad[:, 0]
        stats["outer_valid"] += int(keep.sum())
        stats["inner_dropped"] += int(bad[keep, 1:].sum())
        usable = (~bad[:, 1:]).sum(axis=1) >= 2
        stats["no_se"] += int((keep & ~usable).sum())
        for t in tables:
            for c, theta in original[t].items():
                v = values[t][c].reshape(nb, m, -1)
                if signs == "individual":
                    v = np.abs(v) * np.sign(theta)
                inner = np.where(bad[:, 1:, None], np.nan, v[:, 1:])
                with np.errstate(invalid="ignore", divide="ignore"):
                    se = _sd(inner)
                    small = ~(se > 1e-14 * np.maximum(np.abs(theta), np.abs(v[:, 0])))
                    tt = np.where(small | ~usable[:, None], np.nan, (v[:, 0] - theta) / se)
                out[t][c].append(tt[keep])

    def evaluate(w: np.ndarray) -> tuple[dict, dict]:
        fitted = refit.fit(w, sign_reference=sign_reference)
        reasons = drop_reasons(fitted, refit.options.consistent)
        if keep_inadmissible:
            reasons.pop("inadmissible", None)
        bad = np.zeros(w.shape[0], dtype=bool)
        for mask in reasons.values():
            bad |= mask
        values = evaluate_tables(Context.of(fitted, spec), tables)
        values = {t: {c: values[t][c] for c in original[t]} for t in tables}
        if tail["values"] is not None:
            values = {t: {c: np.concatenate([tail["values"][t][c], v]) for c, v in cols.items()}
                      for t, cols in values.items()}
            bad = np.concatenate([tail["bad"], bad])
        complete = (bad.size // m) * m
        if complete:
            finish({t: {c: v[:complete] for c, v in cols.items()} for t, cols in values.items()},
                   bad[:complete])
        tail["values"] = {t: {c: v[complete:] for c, v in cols.items()} for t, cols in values.items()}
        tail["bad"] = bad[complete:]
        return {}, {}

    run(weights, evaluate, refit.bytes_per_fit, chunk=chunk_size, progress=progress)
    if stats["outer_valid"] == 0:
        raise SatModelError(f"none of the {n_outer} resamples of the double bootstrap was usable")
    tstar = {t: {c: np.concatenate(v) for c, v in cols.items()} for t, cols in out.items()}
    if stats["inner_dropped"] or stats["no_se"]:
        report("studentized_dropped",
               f"double bootstrap: {stats['inner_dropped']} of "
               f"{stats['outer_valid'] * n_inner} inner resamples failed (not converged, "
               "singular, a constant item or PLSc inadmissible) and were left out of their "
               f"resample's standard error; {stats['no_se']} resample(s) had fewer than 2 "
               "usable inner fits and no t value. Studentized intervals use the others",
               count=stats["inner_dropped"] + stats["no_se"])
    return TDraws(tstar=tstar, n_inner=n_inner, n_outer_valid=stats["outer_valid"],
                  inner_dropped=stats["inner_dropped"], no_se=stats["no_se"])
