"""Model build time against the number of candidate links (issue 4: vectorized building).

Builds the joint MILP with the model's defaults on synthetic datasets of growing size (see
``benchmarks/synthetic.py``) up to more than 5 million candidate links, and times the instance,
the families and the sparse matrix assembly (CSR) separately. Prints a table and writes JSON to
``benchmarks/results/``. Everything is timed in one run so that ratios are comparable.

    python benchmarks/build_scaling.py            # up to ~5.4 M links (about 2 min)
    python benchmarks/build_scaling.py --quick    # up to ~0.3 M links
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.synthetic import synthetic_dataset
from formulations.problems import build_model
from planner.scenario import Scenario

RESULTS = Path(__file__).resolve().parent / "results"


def measure(n_countries: int, n_sectors: int, repeat: int) -> dict:
    ds = synthetic_dataset(n_countries, n_sectors)
    sc = Scenario.from_dict(
        {"name": "scaling", "coalition": {"adversaries": ["AAA", "AAB"], "anchors": ["AAC"]}}
    )
    best: dict | None = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        model = build_model(ds, sc)
        t1 = time.perf_counter()
        model.program.matrix()
        t2 = time.perf_counter()
        row = {
            "countries": n_countries,
            "sectors": n_sectors,
            "flows": len(ds.flows),
            **model.sizes(),
            "build_seconds": t1 - t0,
            "matrix_seconds": t2 - t1,
            "total_seconds": t2 - t0,
        }
        if best is None or row["total_seconds"] < best["total_seconds"]:
            best = row
        del model
    assert best is not None
    best["microseconds_per_link"] = 1e6 * best["total_seconds"] / best["candidate_links"]
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes only")
    ap.add_argument("--sectors", type=int, default=60)
    ap.add_argument("--repeat", type=int, default=2, help="keep the best of this many builds")
    args = ap.parse_args(argv)
    sizes = [20, 40, 60, 80] if args.quick else [40, 80, 120, 160, 240, 300, 350]
    rows = []
    print(
        f"{'links':>10} {'vars':>10} {'rows':>8} {'nnz':>11} {'build':>7} {'matrix':>7} "
        f"{'total':>7} {'us/link':>8}"
    )
    for n in sizes:
        r = measure(n, args.sectors, args.repeat)
        rows.append(r)
        print(
            f"{r['candidate_links']:>10,} {r['variables']:>10,} {r['constraints']:>8,} "
            f"{r['nonzeros']:>11,} {r['build_seconds']:>7.2f} {r['matrix_seconds']:>7.2f} "
            f"{r['total_seconds']:>7.2f} {r['microseconds_per_link']:>8.2f}",
            flush=True,
        )
    links = np.array([r["candidate_links"] for r in rows], float)
    secs = np.array([r["total_seconds"] for r in rows])
    slope = float(np.polyfit(np.log(links), np.log(secs), 1)[0])
    print(f"log-log slope of total time against links: {slope:.2f} (1.0 = linear)")
    RESULTS.mkdir(exist_ok=True)
    stamp = "quick" if args.quick else dt.date.today().strftime("%Y%m%d")
    out = RESULTS / f"build_scaling_{stamp}.json"
    out.write_text(
        json.dumps(
            {
                "benchmark": "build_scaling",
                "python": platform.python_version(),
                "machine": platform.machine(),
                "loglog_slope": slope,
                "rows": rows,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
