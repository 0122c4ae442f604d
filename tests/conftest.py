"""Shared fixtures: the backends to test and small programs with known answers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from formulations import Program
from planner.solver import SolveOptions, available_backends

# (backend, options) pairs: every backend, and PuLP with both solvers it can run here.
_CASES = [
    ("highs", {}),
    ("scipy", {}),
    ("pulp", {"pulp_solver": "PULP_CBC_CMD"}),
    ("pulp", {"pulp_solver": "HiGHS"}),
    ("auto", {}),  # HiGHS alone on these small programs (planner.solver.race)
    ("branch_bound", {}),  # planner.solver.branch_bound (LPs: HiGHS)
]


def _ids(case: tuple[str, dict]) -> str:
    backend, opts = case
    return f"{backend}-{opts['pulp_solver']}" if "pulp_solver" in opts else backend


@pytest.fixture(params=[c for c in _CASES if c[0] in available_backends()], ids=_ids)
def backend_case(request: pytest.FixtureRequest) -> tuple[str, SolveOptions]:
    """Each available backend with its options."""
    backend, opts = request.param
    return backend, SolveOptions(**opts)


def wyndor() -> Program:
    """max 3 door + 5 window s.t. door <= 4, 2 window <= 12, 3 door + 2 window <= 18.

    Hand solution: door 2, window 6, objective 36; duals (0, 1.5, 1); reduced costs 0.
    """
    p = Program("wyndor")
    x = p.add_variables("x", ["door", "window"], description="batches per week")
    p.add_constraints(
        "plant",
        ["p1", "p2", "p3"],
        rows=[0, 1, 2, 2],
        cols=x.locate(["door", "window", "door", "window"]),
        coefs=[1, 2, 3, 2],
        sense="<=",
        rhs=[4, 12, 18],
    )
    p.set_objective(x.columns, [3, 5], sense="max")
    return p


def mixed_senses(sense: str = "min") -> Program:
    """min 2a + 3b s.t. a + b >= 4 ("need"), a - b == 1 ("link"), 0 <= b <= 10.

    Hand solution: a = 2.5, b = 1.5, objective 9.5; d obj/d need = 2.5, d obj/d link = -0.5.
    With sense="max" the costs are negated: objective -9.5, duals -2.5 and 0.5.
    """
    p = Program("mixed")
    x = p.add_variables("x", ["a", "b"], upper=[np.inf, 10.0])
    p.add_constraints("need", ["n"], [0, 0], x.columns, [1, 1], ">=", 4)
    p.add_constraints("link", ["l"], [0, 0], x.columns, [1, -1], "==", 1)
    sign = 1 if sense == "min" else -1
    p.set_objective(x.columns, [2 * sign, 3 * sign], sense=sense)
    return p


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory):
    """The tiny world (tests/tiny.py) written as a dataset directory, once per module."""
    from tests.tiny import write_world

    return write_world(tmp_path_factory.mktemp("tiny_data"))


# ---------------------------------------------------------------------------- parallel workers
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist (``-n``, ``--dist loadgroup``), the tests that read the shipped default
    run share one worker, so the session fixture ``default_run`` solves it once, not once per
    worker. Without xdist the mark is inert."""
    for item in items:
        if "default_run" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("default_run"))


def _usable_cores() -> int:
    """Cores this process may use: its CPU affinity, bounded by a cgroup v2 CPU quota."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()
        if quota != "max":
            cores = min(cores or 1, max(1, int(int(quota) // int(period))))
    except (OSError, ValueError):
        pass
    return max(1, cores or 1)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: one worker per usable core, at most 4 (several tests start multi-threaded
    solvers or subprocesses of their own, and each worker holds the shipped data)."""
    return min(4, _usable_cores())


# ---------------------------------------------------------------------------- the shipped run
ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SCENARIO = ROOT / "scenarios" / "default.toml"
SUBPROCESS_TIMEOUT = 900  # seconds; every subprocess call in the tests carries a timeout


def planner_command() -> list[str]:
    """The console script next to this interpreter, else ``python -m planner``."""
    exe = Path(sys.executable).with_name("planner")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "planner"]


def run_planner(*args: str, cwd: Path, timeout: float = SUBPROCESS_TIMEOUT):
    """``planner ARGS`` in a fresh process (output captured, never without a timeout)."""
    return subprocess.run(
        [*planner_command(), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


@pytest.fixture(scope="session")
def default_run(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """The README's first command, once per session: ``planner run scenarios/default.toml
    --out run`` (with its shipped backend, CBC with 2 threads, and the figures) in a fresh
    process. ``.dir`` is the run directory, ``.proc`` the finished process, ``.cwd`` where it
    ran (``--out`` is relative, so that a second run elsewhere has the same command line)."""
    cwd = tmp_path_factory.mktemp("default_run")
    proc = run_planner("run", str(DEFAULT_SCENARIO), "--out", "run", cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    return SimpleNamespace(dir=cwd / "run", proc=proc, cwd=cwd)
