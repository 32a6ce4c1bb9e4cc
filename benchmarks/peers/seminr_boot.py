"""seminr (PyPI ``seminr`` 0.2.1, Python port of the R package): ``bootstrap_model``.

API (read from the installed source, seminr/bootstrap/bootstrap.py):
``estimate_pls(data, measurement_model, structural_model)`` then
``bootstrap_model(model, nboot, seed=..., cores=...)``; ``cores >= 2`` fans the
replications out over a spawn-based process pool (its start-up is part of the time).
The point fit is outside the timed call, as for satmodel's ``res.bootstrap``.
The ECSI model by default; ``--model`` a JSON file ``{"blocks": {construct: [items]},
"paths": [[source, target], ...]}`` for other models (the 15 constructs x 80 items case of
``bench_bootstrap.py``).
"""
from __future__ import annotations

import json

import _common as c


def main() -> None:
    p = c.parser(__doc__)
    p.add_argument("--model", help="JSON file with blocks and paths (default: ECSI)")
    args = p.parse_args()
    record = {"tool": "seminr", "kind": "bootstrap", "cores": args.cores,
              "bootstrap_includes_fit": False, "notes": []}
    try:
        import seminr as s
        record["version"] = s.__version__
        blocks, paths = c.ECSI_BLOCKS, c.ECSI_PATHS
        if args.model:
            with open(args.model) as fh:
                spec = json.load(fh)
            blocks, paths = spec["blocks"], [tuple(x) for x in spec["paths"]]
        cols, X = c.load_data(args.data)
        mm = s.constructs(*[s.composite(lv, items) for lv, items in blocks.items()])
        sm = s.relationships(*[s.paths(src, dst) for src, dst in paths])
        # seminr's defaults: path weighting, max_it 300, stop criterion 1e-7 -- as satmodel's
        model = s.estimate_pls((cols, X), mm, sm, inner_weights=s.path_weighting)
        pc = model.path_coef
        record["estimates"] = {c.path_key(a, b): float(pc.values[pc.rows.index(a), pc.cols.index(b)])
                               for a, b in paths}
    except Exception as exc:
        c.fail(record, exc)

    cores = args.cores if args.cores > 1 else None

    def boot(n: int):
        def run():
            b = s.bootstrap_model(model, n, seed=args.seed, cores=cores)
            if b.fails:
                record["notes"].append(f"B={n}: {b.fails} failed replications")
            return b
        return run

    bs = [int(b) for b in args.bs.split(",") if b]
    c.run_cases(record, [(f"B={n}", boot(n)) for n in bs], args.reps, boot(args.warmup_b))
    c.emit(record)


if __name__ == "__main__":  # required: seminr's pool uses the spawn start method
    main()
