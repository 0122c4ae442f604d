"""The input-output network on the shipped dataset: load, Leontief content, exposure, memory.

Times reading ``data/network.npz`` (4,000 nodes), the factorisation of ``I - T`` with the
adversary content solve, a second adversary set on the cached factorisation, the exposure
table and the value-added origin of every node, and reports the peak resident memory after each
stage (``resource.getrusage``). ``--splu`` also times the sparse-LU alternative
(``scipy.sparse.linalg.splu``) on the same matrix. Prints the figures and writes JSON to
``benchmarks/results/``.

    python benchmarks/network.py [--splu] [--out DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np
import scipy
import scipy.sparse as sp
import scipy.sparse.linalg as spla

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from planner.data import (  # noqa: E402
    adversary_content,
    exposure_table,
    load_dataset,
    value_added_origin,
)
from planner.data.network import NETWORK_FILE  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far (MiB; Linux reports KiB)."""
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / 1024 if sys.platform != "darwin" else kib / 2**20


def stage(rows: list[dict], name: str, fn: object) -> object:
    """Run ``fn()``, record its wall time and the peak RSS after it."""
    t0 = time.perf_counter()
    value = fn()
    rows.append(
        {"stage": name, "seconds": time.perf_counter() - t0, "peak_rss_mib": peak_rss_mib()}
    )
    r = rows[-1]
    print(f"{name:<40} {r['seconds']:8.2f} s   peak RSS {r['peak_rss_mib']:8.0f} MiB")
    return value


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; returns the exit code."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--splu", action="store_true", help="also time scipy.sparse.linalg.splu")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)

    rows: list[dict] = []
    adv = ["CHN", "RUS"]
    ds = stage(rows, "load dataset (tables only)", load_dataset)
    net = stage(rows, f"read and validate {NETWORK_FILE}", lambda: ds.network)
    lam = stage(rows, "factorise I - T + content (CHN, RUS)", lambda: adversary_content(net, adv))
    stage(rows, "content, second set (cached LU)", lambda: adversary_content(net, ["CHN"]))
    table = stage(
        rows, "exposure_table (direct/first/look-through)", lambda: exposure_table(ds, adv)
    )
    origin = stage(rows, "value-added origin (80 countries)", lambda: value_added_origin(net))
    if args.splu:
        m = (sp.identity(len(net), format="csc") - net.technical().tocsc()).tocsc()
        v = np.where(net.nodes.get_level_values(0).isin(adv), net.value_added_share, 0.0)
        lu = stage(rows, "splu of I - T (alternative)", lambda: spla.splu(m))
        y = stage(rows, "splu solve (content)", lambda: lu.solve(v, trans="T"))
        rows[-1]["max_diff_vs_dense"] = float(np.abs(y - lam.to_numpy()).max())
        rows[-2]["lu_nnz"] = int(lu.L.nnz + lu.U.nnz)

    size = (ds.source / NETWORK_FILE).stat().st_size
    results = {
        "benchmark": "network",
        "nodes": len(net),
        "links": int(net.shares.nnz),
        "file_bytes": size,
        "stages": rows,
        "content_mean": float(lam.mean()),
        "look_through_mean": float(table["look_through"].mean()),
        "origin_row_sum_max_dev": float(np.abs(origin.sum(axis=1) - 1).max()),
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
        },
        "platform": platform.platform(),
        "cpus": __import__("os").cpu_count(),
        "date": dt.date.today().isoformat(),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / f"network_{dt.date.today().strftime('%Y%m%d')}.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"{len(net)} nodes, {net.shares.nnz:,} links, file {size / 1e6:.1f} MB; wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
