"""The D-TEP core robust to any one anchor leaving (9 exit scenarios) on the shipped data:
the extensive form and the decomposition (column-and-constraint generation) side by side.

Each method runs in its own fresh process (its own peak RSS), one after the other: model
size, build and solve time, the robust objective, bounds and gap, the worst exit and the
price of robustness. Prints a table and writes ``benchmarks/results/robust_DATE.json``
(``robust_DATE_BACKENDS.json`` with ``--backends``).
Goal: optimal at a 1e-4 gap within 10 minutes on 2 cores.

    python benchmarks/robust.py [--time-limit 600] [--threads 2] [--methods extensive,decomposition]
        [--backends pulp,branch_bound]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import platform
import resource
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = Path(__file__).resolve().parent / "results"
SCENARIO = ROOT / "scenarios" / "dtep_robust.toml"


def measure(method: str, backend: str, time_limit: float, threads: int, queue) -> None:
    """One method in this (fresh) process; puts a row on ``queue``."""
    from planner.data.loaders import load_dataset
    from planner.robust import solve_robust
    from planner.runs import solve_options
    from planner.scenario import load_scenario

    sc = load_scenario(SCENARIO)
    sc = replace(
        sc,
        robustness=replace(sc.robustness, method=method),
        solver=replace(
            sc.solver,
            backend=backend or sc.solver.backend,
            time_limit=time_limit,
            threads=threads,
            options={} if backend and backend != sc.solver.backend else sc.solver.options,
        ),
    )
    ds = load_dataset()
    t0 = time.perf_counter()
    o = solve_robust(ds, sc, solve_options(sc))
    seconds = time.perf_counter() - t0
    t = o.evaluation.table
    plan = o.model.plan(o.result.x) if o.result.status.has_solution else None
    nominal = plan.totals["dependency_after"] if plan is not None else None
    worst = t["dependency"].idxmax() if len(t) else None
    queue.put(
        {
            "method": o.method,
            "backend": sc.solver.backend,
            "status": o.result.status.value,
            "seconds": seconds,
            "objective": o.result.objective,
            "best_bound": o.result.best_bound,
            "gap": o.result.gap,
            "iterations": o.iterations,
            "sizes": o.sizes,
            "nominal_optimum": o.nominal_optimum,
            "nominal_optimum_dependency": o.nominal_dependency,
            "robust_plan_nominal_dependency": nominal,
            "worst_exit": worst,
            "worst_dependency": float(t.loc[worst, "dependency"]) if worst else None,
            "evaluation_seconds": o.evaluation.seconds,
            "members": len(plan.members) if plan is not None else None,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time-limit", type=float, default=600.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--methods", default="extensive,decomposition")
    ap.add_argument(
        "--backends", default="", help="backends, comma-separated (default: the scenario's)"
    )
    args = ap.parse_args()
    rows = []
    ctx = mp.get_context("spawn")
    runs = [
        (m, b)
        for b in (args.backends.split(",") if args.backends else [""])
        for m in args.methods.split(",")
    ]
    for method, backend in runs:
        q = ctx.Queue()
        p = ctx.Process(target=measure, args=(method, backend, args.time_limit, args.threads, q))
        p.start()
        row = q.get(timeout=args.time_limit * 3 + 600)
        p.join(timeout=60)
        rows.append(row)
        print(
            f"{row['method']:<14} {row['backend']:<13} {row['status']:<20} "
            f"{row['seconds']:>8.1f} s  objective "
            f"{row['objective']:.6f}  bound {row['best_bound']:.6f}  gap {row['gap']:.2e}  "
            f"columns {row['sizes'].get('variables')}  rows {row['sizes'].get('constraints')}  "
            f"RSS {row['peak_rss_mib']:.0f} MiB  worst exit {row['worst_exit']}",
            flush=True,
        )
    out = {
        "benchmark": "robust",
        "scenario": str(SCENARIO.relative_to(ROOT)),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "threads": args.threads,
        "time_limit": args.time_limit,
        "rows": rows,
    }
    RESULTS.mkdir(exist_ok=True)
    tail = "_" + args.backends.replace(",", "_") if args.backends else ""
    path = RESULTS / f"robust_{dt.date.today():%Y%m%d}{tail}.json"
    path.write_text(json.dumps(out, indent=2, default=float) + "\n")
    print(f"written {path}")


if __name__ == "__main__":
    main()
