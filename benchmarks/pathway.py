"""The three-phase D-TEP pathway on the shipped data: build and solve time and model size with
each backend, for the fixed D-TEP order and the optimizer's free order.

Reads ``scenarios/dtep_pathway.toml`` (phases 2027, 2029, 2031; budgets 20/15/15 bn; at most
3, 5 and 2 accessions), builds both pathways, and solves each with HiGHS (the free order warm
started from the fixed order's plan, as ``planner run`` does) and with PuLP/CBC. Prints a table
and writes JSON to ``benchmarks/results/pathway_DATE.json``. Goal: optimal at a 1e-4 gap within
120 s on 2 cores with the shipped backend.

    python benchmarks/pathway.py [--time-limit 300] [--threads 2] [--backends highs,pulp]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from formulations.pathway import build_pathway  # noqa: E402
from planner.scenario import load_scenario, load_scenario_dataset  # noqa: E402
from planner.solver import SolveOptions, WarmStart, solve  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
SCENARIO = ROOT / "scenarios" / "dtep_pathway.toml"


def record(label: str, backend: str, pm, options: SolveOptions, start=None) -> tuple:
    """Solve one pathway and describe it (sizes, times, status, DI per phase)."""
    t0 = time.perf_counter()
    res = solve(pm.program, backend, options, start=start)
    wall = time.perf_counter() - t0
    row = {
        "run": label,
        "backend": backend if backend != "pulp" else f"pulp/{options.pulp_solver}",
        **pm.sizes(),
        "build_seconds": pm.program.build_seconds,
        "solve_seconds": res.timings.get("solve", wall),
        "wall_seconds": wall,
        "warm_start": start is not None,
        "status": res.status.value,
        "objective": res.objective,
        "best_bound": res.best_bound,
        "gap": res.gap,
    }
    if res.status.has_solution:
        plans = pm.plans(res.x)
        row["phases"] = {
            p: {
                "members": len(plan.members),
                "associates": plan.associates,
                "dependency": plan.totals["dependency_after"],
                "cost": plan.totals["total_cost"],
            }
            for p, plan in zip(pm.phases, plans, strict=True)
        }
    print(
        f"{label:<12} {row['backend']:<18} {row['variables']:>8,} vars "
        f"({row['integer_variables']} int) {row['constraints']:>7,} rows "
        f"{row['nonzeros']:>10,} nnz  build {row['build_seconds']:5.2f} s  "
        f"solve {row['solve_seconds']:7.2f} s  {row['status']}  obj {row['objective']:.6g}  "
        f"gap {row['gap']:.2g}",
        flush=True,
    )
    return row, res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time-limit", type=float, default=300.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--backends", default="highs,pulp")
    args = ap.parse_args(argv)
    sc = load_scenario(SCENARIO)
    t0 = time.perf_counter()
    ds = load_scenario_dataset(sc)
    load_seconds = time.perf_counter() - t0
    opts = SolveOptions(
        time_limit=args.time_limit, threads=args.threads, mip_gap=1e-4, fixed_milp_duals=False
    )
    rows = []
    fixed = build_pathway(ds, sc)
    free = build_pathway(ds, sc, free_order=True)
    for backend in args.backends.split(","):
        row, res = record("fixed order", backend, fixed, opts)
        rows.append(row)
        start = None
        if backend in ("highs", "branch_bound") and res.status.has_solution:
            start = WarmStart(x=res.x, backend="highs")
        rows.append(record("free order", backend, free, opts, start)[0])
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"pathway_{dt.date.today():%Y%m%d}.json"
    out.write_text(
        json.dumps(
            {
                "benchmark": "pathway",
                "scenario": str(SCENARIO.relative_to(ROOT)),
                "python": platform.python_version(),
                "threads": args.threads,
                "time_limit": args.time_limit,
                "load_dataset_seconds": load_seconds,
                "rows": rows,
            },
            indent=2,
            default=float,
        )
        + "\n"
    )
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
