"""The four problems and the objectives on the shipped dataset with the model's defaults.

Builds and solves, in one run: the joint MILP (HiGHS and, with ``--cbc``, PuLP/CBC side by
side), then the sourcing LP, tier MILP and coalition MILP fixed at the joint optimum's
membership and tiers, and the minimax and cost objectives. Prints sizes and times and writes
JSON to ``benchmarks/results/``.

    python benchmarks/default_model.py [--cbc] [--time-limit 600] [--threads 2]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from formulations.problems import (
    build_model,
    coalition_milp,
    joint_milp,
    sourcing_lp,
    tier_milp,
)
from planner.data.loaders import load_dataset
from planner.scenario import Scenario
from planner.solver import SolveOptions, solve

RESULTS = Path(__file__).resolve().parent / "results"


def record(label: str, backend: str, model, options: SolveOptions) -> dict:
    res = solve(model.program, backend, options)
    row = {
        "run": label,
        "backend": backend if backend != "pulp" else f"pulp/{options.pulp_solver}",
        "problem": model.problem,
        "objective_kind": model.objective_kind,
        **model.sizes(),
        "build_seconds": model.program.build_seconds,
        "solve_seconds": res.timings["solve"],
        "duals_seconds": res.timings["duals"],
        "status": res.status.value,
        "objective": res.objective,
        "gap": res.gap,
    }
    if res.status.has_solution:
        plan = model.plan(res.x)
        row.update(
            dependency_after=plan.totals["dependency_after"],
            total_cost=plan.totals["total_cost"],
            members=len(plan.members),
            associates=len(plan.associates),
            tiers={k: v for k, v in plan.tiers.items() if v != "open"},
        )
        row["_plan"] = plan
    print(
        f"{label:<28} {row['backend']:<10} {row['variables']:>8,} vars "
        f"({row['integer_variables']} int) {row['constraints']:>7,} rows "
        f"{row['nonzeros']:>10,} nnz  build {row['build_seconds']:6.2f} s  "
        f"solve {row['solve_seconds']:7.2f} s  {row['status']}  obj {row['objective']:.6g}",
        flush=True,
    )
    return row


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cbc", action="store_true", help="also solve the joint MILP with CBC")
    ap.add_argument("--time-limit", type=float, default=600.0)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    ds = load_dataset()
    load_seconds = time.perf_counter() - t0
    sc = Scenario(name="default")
    opts = SolveOptions(time_limit=args.time_limit, threads=args.threads, mip_gap=1e-4)
    rows = []
    joint = record("joint MILP (dependency)", "highs", joint_milp(ds, sc), opts)
    rows.append(joint)
    if args.cbc:
        rows.append(record("joint MILP (dependency)", "pulp", joint_milp(ds, sc), opts))
    plan = joint.pop("_plan")
    members, assoc = plan.members, plan.associates
    tiers = {k: v for k, v in plan.tiers.items() if v != "open"}
    rows.append(
        record(
            "sourcing LP at joint optimum",
            "highs",
            sourcing_lp(ds, sc, members, assoc, tiers),
            opts,
        )
    )
    rows.append(
        record("tier MILP at joint members", "highs", tier_milp(ds, sc, members, assoc), opts)
    )
    rows.append(
        record("coalition MILP at joint tiers", "highs", coalition_milp(ds, sc, tiers), opts)
    )
    rows.append(
        record("joint MILP (minimax)", "highs", build_model(ds, sc, objective="minimax"), opts)
    )
    rows.append(
        record(
            "joint MILP (cost, DI<=0.10)",
            "highs",
            build_model(
                ds,
                Scenario.from_dict({"name": "cost", "objective": {"kind": "cost", "target": 0.10}}),
            ),
            opts,
        )
    )
    for r in rows:
        r.pop("_plan", None)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"default_model_{dt.date.today():%Y%m%d}.json"
    out.write_text(
        json.dumps(
            {
                "benchmark": "default_model",
                "python": platform.python_version(),
                "threads": args.threads,
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
