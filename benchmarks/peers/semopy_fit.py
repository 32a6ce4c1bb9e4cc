"""semopy (PyPI ``semopy`` 2.3.11): one CB-SEM fit, ``Model(syntax).fit(df)``.

A different estimator: covariance-based SEM by maximum likelihood (objective MLW),
reflective factors -- not PLS. Its standardized paths are printed for a look only.
The timed call is ``Model(syntax)`` + ``.fit(df)`` on the raw rows (semopy computes
the covariance matrix itself); ``inspect`` is outside the timing.
"""
from __future__ import annotations

import _common as c


def main() -> None:
    args = c.parser(__doc__).parse_args()
    record = {"tool": "semopy", "kind": "fit", "notes": [
        "CB-SEM (ML, objective MLW), a different estimator from PLS-PM"]}
    try:
        import semopy
        record["version"] = semopy.__version__
        df = c.load_frame(args.data)
        syntax = c.ecsi_lavaan()
    except Exception as exc:
        c.fail(record, exc)

    last = {}

    def fit():
        m = semopy.Model(syntax)
        info = m.fit(df)
        last["model"], last["info"] = m, info
        return m

    c.run_cases(record, [("fit", fit)], args.reps, fit)
    try:
        ins = last["model"].inspect(std_est=True)
        lvs = list(c.ECSI_BLOCKS)
        reg = ins[(ins["op"] == "~") & ins["rval"].isin(lvs) & ins["lval"].isin(lvs)]
        record["estimates"] = {c.path_key(r["rval"], r["lval"]): float(r["Est. Std"])
                               for _, r in reg.iterrows()}
        record["notes"].append(f"semopy fit info: {str(last['info']).strip()}")
    except Exception as exc:
        import traceback
        traceback.print_exc()
        record["errors"].append(f"estimates: {type(exc).__name__}: {exc}")
    c.emit(record)


if __name__ == "__main__":
    main()
