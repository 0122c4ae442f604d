"""Time the gallery (``planner gallery``) on the shipped data: every bloc and its best
same-size coalition.

    python benchmarks/gallery.py [--blocs ipef,g7] [--workers 2] [--executor local] [--out DIR]

Runs ``planner gallery`` (the command line, in this process: the local process executor, two
blocs at a time), then ``planner verify`` on every run directory it wrote. Goal: the whole
gallery within 15 minutes on 2 cores. Prints the time per bloc (its own run, the best
same-size coalition, the stress columns) and in total, and saves JSON under
benchmarks/results/ (the gallery directory itself is written to a temporary directory).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOALS = {"gallery_total_s": 900.0}


def _plain(obj: object) -> object:
    """JSON-safe: numpy numbers as Python ones, NaN as null."""
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if hasattr(obj, "item"):  # a numpy scalar
        obj = obj.item()
    if isinstance(obj, float) and obj != obj:
        return None
    return obj


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; returns the exit code (1 when the goal is missed or a run fails
    verification)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--blocs", help="bloc codes, comma-separated (default: the whole gallery)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--executor", choices=["local", "dask"], default="local")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = ap.parse_args(argv)

    import pandas as pd

    from planner.cli import main as planner_main
    from planner.verify import verify_run

    argv = ["gallery", "--workers", str(args.workers), "--executor", args.executor]
    if args.blocs:
        argv += ["--blocs", args.blocs]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "gallery"
        t0 = time.perf_counter()
        code = planner_main([*argv, "--out", str(out)])  # exactly `planner gallery`
        total = time.perf_counter() - t0
        if code != 0:
            print(f"planner gallery exited with {code}")
            return 1
        table = pd.read_csv(out / "gallery.csv", keep_default_na=False, na_values=[""])
        runs = sorted(p for p in (out / "runs").iterdir() if p.is_dir())
        verified = {p.name: verify_run(p).ok for p in runs}
    table["best_restart"] = table["best_restart"].fillna("")
    rows = []
    for r in table.to_dict("records"):
        rows.append(
            {
                k: r[k]
                for k in (
                    "bloc",
                    "size",
                    "bloc_seconds",
                    "best_seconds",
                    "stress_seconds",
                    "best_status",
                    "best_gap",
                    "best_restart",
                    "best_solver",
                    "dependency_before",
                    "dependency_after",
                    "best_dependency_after",
                    "efficiency",
                )
            }
        )
    print(f"{'bloc':8} {'size':>4} {'bloc s':>7} {'best s':>7} {'stress s':>8}  status  eff")
    for r in rows:
        print(
            f"{r['bloc']:8} {r['size']:4d} {r['bloc_seconds']:7.1f} {r['best_seconds']:7.1f} "
            f"{r['stress_seconds']:8.1f}  {r['best_status']}  {r['efficiency']:.3f}"
        )
    print(f"total {total:.1f} s on {args.workers} workers ({os.cpu_count()} cores)")
    print(f"verified: {sum(verified.values())} of {len(verified)} run directories")
    goals = [
        {
            "goal": "gallery_total_s",
            "limit": GOALS["gallery_total_s"],
            "measured": total,
            "met": total <= GOALS["gallery_total_s"],
        }
    ]
    out = {
        "date": dt.date.today().isoformat(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "workers": args.workers,
        "executor": args.executor,
        "total_seconds": total,
        "blocs": rows,
        "verified": verified,
        "goals": goals,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"gallery_{dt.date.today():%Y%m%d}.json"
    path.write_text(json.dumps(_plain(out), indent=2) + "\n")
    print(f"written: {path}")
    return 0 if all(g["met"] for g in goals) and all(verified.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
