"""Time program assembly and solve per backend at growing sizes; print a table, save JSON.

    python benchmarks/solve_backends.py [--quick] [--sizes 1000 10000 ...] [--repeat 3]

Backends run side by side in one process on the same program, so ratios are comparable on a
shared, noisy machine.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from synthetic import sourcing_lp, synthetic_links

import planner
from planner.solver import SolveOptions, available_backends, solve

RESULTS = Path(__file__).parent / "results"


def _stats(xs: list[float]) -> dict[str, float]:
    return {"min": min(xs), "median": statistics.median(xs), "max": max(xs)}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes only (seconds)")
    ap.add_argument("--sizes", type=int, nargs="*", help="target numbers of links")
    ap.add_argument("--repeat", type=int, default=None, help="runs per measurement")
    ap.add_argument("--out", type=Path, default=None, help="JSON file to write")
    args = ap.parse_args(argv)
    sizes = args.sizes or ([1_000, 10_000] if args.quick else [1_000, 10_000, 100_000])
    repeat = args.repeat or (1 if args.quick else 3)
    cases = [("highs", {}), ("scipy", {}), ("pulp", {"pulp_solver": "PULP_CBC_CMD"})]
    cases = [c for c in cases if c[0] in available_backends()]
    rows = []
    for n in sizes:
        links = synthetic_links(n)
        builds = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            prog = sourcing_lp(links)
            prog.matrix()
            builds.append(time.perf_counter() - t0)
        size = {"links": len(links), "rows": prog.n_constraints, "nnz": prog.nnz}
        for backend, opts in cases:
            times, objective, status = [], np.nan, ""
            for _ in range(repeat):
                r = solve(prog, backend, SolveOptions(**opts))
                times.append(r.timings["solve"])
                objective, status = r.objective, r.status.value
            label = backend if not opts else f"{backend}:{opts['pulp_solver']}"
            rows.append(
                {
                    **size,
                    "backend": label,
                    "status": status,
                    "objective": objective,
                    "build_s": _stats(builds),
                    "solve_s": _stats(times),
                }
            )
            print(
                f"{size['links']:>9} links {size['rows']:>7} rows  {label:<18} "
                f"build {statistics.median(builds):8.3f}s  solve {statistics.median(times):8.3f}s"
                f"  {status}  obj {objective:.6g}",
                flush=True,
            )
    report = {
        "benchmark": "solve_backends",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "processor": platform.machine(),
            "python": platform.python_version(),
        },
        "versions": {"planner": planner.__version__, "numpy": np.__version__},
        "repeat": repeat,
        "results": rows,
    }
    out = args.out or RESULTS / (
        "solve_backends_quick.json"
        if args.quick
        else f"solve_backends_{datetime.now(UTC):%Y%m%d}.json"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"saved {out}")
    return report


if __name__ == "__main__":
    main()
