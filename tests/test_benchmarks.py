"""The benchmark suite's quick mode runs end to end (CI runs only this; figures live in
benchmarks/results/), and its three assemblies build the same matrix."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_quick(section: str, out: Path) -> tuple[subprocess.CompletedProcess, dict]:
    """``benchmarks/run.py --quick --sections SECTION``: the process and its JSON."""
    r = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "run.py"),
            "--quick",
            "--sections",
            section,
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr
    return r, json.loads((out / "suite_quick.json").read_text())


def test_quick_assembly_section(tmp_path):
    r, data = run_quick("assembly", tmp_path)
    rows = data["assembly"]
    assert {(x["links_requested"], x["method"]) for x in rows} == {
        (n, m) for n in (10_000, 100_000) for m in ("program", "scipy", "pulp")
    }
    for n in (10_000, 100_000):
        same = {x["nnz"] for x in rows if x["links_requested"] == n}
        links = {x["links"] for x in rows if x["links_requested"] == n}
        assert len(same) == 1 and len(links) == 1  # one matrix, built three ways
        assert same == {2 * links.pop()}  # each link in one demand and one capacity row
    assert all(x["seconds"]["min"] > 0 and x["peak_rss_mb"] > 0 for x in rows)
    assert [g["goal"] for g in data["goals"]][:2] == [
        "assembly_vs_pulp_at_1M",
        "assembly_vs_scipy_at_1M",
    ]
    assert (tmp_path / "suite_quick.png").read_bytes()[:4] == b"\x89PNG"
    assert "## Goals" in r.stdout


def test_quick_world_section_decomposed_equals_monolithic(tmp_path):
    _, data = run_quick("world", tmp_path)
    rows = data["world"]
    assert [(x["backend"], x["status"]) for x in rows] == [
        ("decomposed", "optimal"),
        ("highs", "optimal"),
    ]
    assert rows[0]["variables"] == rows[1]["variables"] > 0
    # a DI share: the same optimum within the solvers' tolerances (HiGHS's simplex and
    # interior point on the same monolithic LP differ by about 6e-8 here)
    assert abs(rows[0]["objective_difference"]) <= 1e-7
    goals = {(g["goal"], g["note"]) for g in data["goals"]}
    assert ("world_lp_solve", "Dantzig-Wolfe") in goals


def test_unknown_section_is_refused(tmp_path):
    r = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--sections", "speed"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2 and "unknown section" in r.stderr
