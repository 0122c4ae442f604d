"""Nothing hangs: the parallel helpers from a plain script, with and without a main guard.

Broken on purpose to check these tests can fail: making ``main_is_unguarded`` return False
makes test_unguarded_script_runs_the_tasks_here_and_finishes fail (the workers re-run the
script; the call then fails with a ParallelError instead of finishing); dropping the
``_in_bootstrapping_worker`` check makes test_a_worker_that_reruns_the_script_fails_fast
time out (the worker then waits on a pool of its own).
"""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest
import tiny

from planner.interpreter.explain import marginal_contributions
from planner.parallel import _guarded_lines, process_map

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent

# the README's call, on the tiny world, as a user pastes it into a plain script
SCRIPT = """\
import sys
sys.path.insert(0, {tests!r})
import tiny
{extra}
from planner.interpreter.explain import marginal_contributions
sc = tiny.scenario(coalition={{"members": ["DEU"], "associates": ["MEX"]}})
ds = tiny.world()
res, model, plan = tiny.run(sc, ds)
print(marginal_contributions(ds, sc, plan, workers=2).to_csv())
"""


def _run_script(tmp_path: Path, extra: str = "") -> tuple[subprocess.CompletedProcess, float]:
    path = tmp_path / "plain_script.py"
    path.write_text(SCRIPT.format(tests=str(TESTS), extra=extra))
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    return done, time.perf_counter() - t0


def test_unguarded_script_runs_the_tasks_here_and_finishes(tmp_path):
    done, seconds = _run_script(tmp_path)
    assert done.returncode == 0, done.stderr
    assert "SerialFallbackWarning" in done.stderr and "__main__" in done.stderr
    assert "plain_script.py:9" in done.stderr  # the warning points at the user's line
    got = pd.read_csv(io.StringIO(done.stdout), index_col="member")
    sc = tiny.scenario(coalition={"members": ["DEU"], "associates": ["MEX"]})
    ds = tiny.world()
    _, _, plan = tiny.run(sc, ds)
    want = marginal_contributions(ds, sc, plan, workers=1)
    assert list(got.index) == ["DEU"]
    assert got.loc["DEU", "contribution"] == pytest.approx(want.loc["DEU", "contribution"])
    assert seconds < 60


def test_a_worker_that_reruns_the_script_fails_fast(tmp_path):
    # the guard check fooled: workers are spawned, re-run the script and must stop at once
    extra = "import planner.parallel\nplanner.parallel.main_is_unguarded = lambda: False"
    done, seconds = _run_script(tmp_path, extra)
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("planner.parallel.ParallelError") and "__main__" in last
    assert seconds < 60  # a clear error within seconds, never an endless wait


def test_guard_blocks_are_found(tmp_path):
    path = tmp_path / "guarded.py"
    path.write_text(
        textwrap.dedent(
            """\
            import os

            def main():
                pass

            if __name__ == "__main__":
                main()
                print("x")
            if "__main__" == __name__:
                main()
            """
        )
    )
    assert _guarded_lines(str(path), path.stat().st_mtime) == ((7, 8), (10, 10))


def test_process_map_serial_keeps_order_and_reports_progress():
    calls = []
    out = process_map(abs, [-3, 2, -1], workers=1, progress=lambda k, n: calls.append((k, n)))
    assert out == [3, 2, 1] and calls == [(1, 3), (2, 3), (3, 3)]
