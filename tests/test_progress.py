"""Progress of long work: HiGHS's callbacks, CBC's log, the live line, bars, --progress/--quiet.

Broken on purpose to check these tests can fail: dropping the ``_progress`` block around
``h.run()`` in planner/solver/highs.py fails test_highs_callbacks_report_a_gap_while_branching;
reading the bound from ``best solution`` instead of ``best possible`` fails
test_cbc_classic_log_excerpt; making ``progress_wanted`` ignore ``isatty`` fails
test_cli_run_shows_progress_only_on_a_terminal_or_when_asked.
"""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
import tiny

from formulations import Program
from planner.cli import main
from planner.errors import EXIT_OK
from planner.solver import SolveOptions, Status, solve
from planner.solver import progress as pg
from planner.solver.progress import (
    LiveLine,
    ProgressUpdate,
    parse_cbc_log,
    parse_cbc_result,
    progress_bar,
    progress_wanted,
)


class FakeStream(io.StringIO):
    """stderr that is, or is not, a terminal."""

    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def knapsack(value_scale: float = 1.0) -> Program:
    """A 60-item, 10-constraint 0-1 knapsack (seeded): HiGHS with one thread needs tens of
    nodes for it, in well under a second. ``value_scale`` 1e-6 makes the wrapper scale the
    objective before solving."""
    rng = np.random.default_rng(1)
    n, m = 60, 10
    w = rng.integers(10, 100, size=(m, n)).astype(float)
    v = rng.integers(10, 100, size=n).astype(float) * value_scale
    p = Program("knapsack")
    p.add_variables("x", n, kind="binary")
    rows, cols = np.divmod(np.arange(m * n), n)
    p.add_constraints("cap", m, rows, cols, w.ravel(), "<=", w.sum(axis=1) / 2)
    p.set_objective(np.arange(n), v, "max")
    return p


# ------------------------------------------------------------------------- where shown
def test_progress_wanted_follows_the_terminal():
    assert progress_wanted(FakeStream(True))
    assert not progress_wanted(FakeStream(False))  # piped: nothing
    assert progress_wanted(FakeStream(False), force=True)  # --progress
    assert not progress_wanted(FakeStream(True), quiet=True)  # --quiet wins


def test_live_line_is_throttled_rewritten_and_ended():
    out = FakeStream(True)
    line = LiveLine(out, interval=60.0, tick=None, delay=0.0, keep=0.0)
    for k in range(200):
        line(ProgressUpdate(1.0 + k, "mip", 10.0, 12.0, 0.2, nodes=k))
    assert line.updates == 200 and line.draws == 1  # one redraw per interval at most
    line(ProgressUpdate(5.0, "mip", 11.0, 11.0, 0.0, nodes=300, final=True))
    text = out.getvalue()
    assert text.startswith("\r") and text.endswith("\n")
    assert "gap 20.00 %" in text and "gap 0.00 %" in text and "300 nodes" in text
    assert "done" in text.splitlines()[-1]


def test_live_line_erases_a_short_solve_and_skips_a_very_short_one():
    out = FakeStream(True)
    line = LiveLine(out, interval=0.0, tick=None, delay=0.0, keep=10.0)
    line(ProgressUpdate(1.0, "lp", iterations=5))
    line(ProgressUpdate(1.5, "lp", iterations=9, final=True))  # shorter than keep: erased
    assert out.getvalue().endswith("\r") and "\n" not in out.getvalue()
    quiet = FakeStream(True)
    line = LiveLine(quiet, interval=0.0, tick=None, delay=5.0)
    line(ProgressUpdate(0.1, "lp", iterations=5))
    line(ProgressUpdate(0.2, "lp", iterations=9, final=True))
    line.close()
    assert quiet.getvalue() == ""  # shorter than delay: never drawn


def test_progress_bar_only_when_enabled():
    shown, hidden = FakeStream(False), FakeStream(True)
    with progress_bar(3, "sweep points", True, shown) as update:
        for k in range(3):
            update(k + 1, 3)
    with progress_bar(3, "sweep points", False, hidden) as update:
        update(3, 3)
    assert "3/3" in shown.getvalue() and "sweep points" in shown.getvalue()
    assert hidden.getvalue() == ""


# ------------------------------------------------------------------------- HiGHS
@pytest.mark.parametrize("value_scale", [1.0, 1e-6])
def test_highs_callbacks_report_a_gap_while_branching(value_scale):
    got: list[ProgressUpdate] = []
    res = solve(knapsack(value_scale), "highs", SolveOptions(threads=1, progress=got.append))
    assert res.status is Status.OPTIMAL
    final = got[-1]
    assert final.final and final.kind == "mip" and final.nodes > 1  # it branched
    assert final.objective == pytest.approx(res.objective, rel=1e-9)  # unscaled
    running = [u for u in got if not u.final and math.isfinite(u.gap)]
    assert running and any(0 < u.gap < 1 for u in running)
    for u in running:  # a maximisation: incumbent <= optimum <= bound, in the program's terms
        assert u.objective <= res.objective * (1 + 1e-9)
        assert u.bound >= res.objective * (1 - 1e-9)
        assert u.gap == pytest.approx(abs(u.bound - u.objective) / abs(u.objective), rel=1e-6)


def test_highs_lp_reports_iterations_and_a_failing_reporter_is_dropped():
    p = knapsack()
    p.set_objective(np.arange(60), np.ones(60), "max")
    got = []
    lp = solve(_relaxed(p), "highs", SolveOptions(progress=got.append))
    assert got[-1].final and got[-1].kind == "lp" and got[-1].iterations > 0
    assert got[-1].objective == pytest.approx(lp.objective)

    def broken(update):
        raise RuntimeError("reporter bug")

    again = solve(knapsack(), "highs", SolveOptions(threads=1, progress=broken))
    assert again.status is Status.OPTIMAL  # the solve goes on


def _relaxed(p: Program) -> Program:
    q = Program("relaxed")
    q.add_variables("x", 60, upper=1.0)
    a = p.matrix().tocoo()
    q.add_constraints("cap", 10, a.row, a.col, a.data, "<=", p.rhs())
    q.set_objective(np.arange(60), p.objective_vector(), "max")
    return q


# ------------------------------------------------------------------------- CBC's log
CLASSIC = """\
Continuous objective value is -5917.5 - 0.00 seconds
Cgl0004I processed model has 15 rows, 150 columns (150 integer (150 of which binary)) and 2250 elements
Cbc0012I Integer solution of -5892 found by feasibility pump after 0 iterations and 0 nodes (0.09 seconds)
Cbc0010I After 0 nodes, 1 on tree, -5892 best solution, best possible -5917.3315 (0.10 seconds)
Cbc0044I Reduced cost fixing - 15 rows, 82 columns - restarting search
Cbc0010I After 1000 nodes, 39 on tree, -5892 best solution, best possible -5913.4502 (1.32 seconds)
Cbc0020I Exiting on maximum time
Cbc0005I Partial search - best objective -5892 (best possible -5917.3315), took 26572 iterations and 3471 nodes (3.01 seconds)

Result - Stopped on time limit

Objective value:                -5892.00000000
Lower bound:                    -5917.332
Gap:                            0.00
Enumerated nodes:               3471
"""  # noqa: E501  (CBC 2.10.3 through PuLP, a 150-item knapsack, 3 s)

CBCBOX = """\
  ──────── ──────── ─────────────── ──────────── ──────────── ────────
  Phase        Iter       Objective   Primal inf     Dual inf     Time
  ──────── ──────── ─────────────── ──────────── ──────────── ────────
  Primal          0    0.000000e+00   0.0000e+00   8.7350e+03    0.002
  Primal        103   -5.917498e+03   0.0000e+00   0.0000e+00    0.002
  ──────── ──────── ─────────────── ──────────── ──────────── ────────

✔ LP Optimal — Frac: 9/150 (6.0%)   Obj: -5917.5   Iters: 103   Time: 0.002s

  Round   Pass   Fractional       Suminf Status                BestSol  Time(s)
  ───── ────── ──────────── ──────────── ────────────── ────────────── ────────
      1      1            7       1.1206 converging                       0.019
 ★    2      2            4       0.7417 b&b solution            -5881    0.033

  Pass     Rows    Tight   Frac     Suminf        Objective  Time(s)
  ──── ──────── ──────── ────── ────────── ──────────────── ────────
     1       15        0      9      2.344          -5917.5    0.530
     2       19        4     11      2.549         -5915.64    0.540

     Nodes   OnTree  Depth         BestSol Method                 BestBound     Gap%   Time(s)
  ──────── ──────── ────── ─────────────── ──────────────── ─────────────── ──────── ─────────
 ★       0        1      0           -5892 Previous solutio        -5913.29    0.36%     0.500
      1535       16     20           -5892                         -5913.29    0.36%      1.41

✔ Stopped (time limit) — BestSol: -5892   Bound: -5914.61   Gap: 0.38%   Nodes: 2609   Iters: 16.3K   Time: 2.02s

Result - Stopped on time limit
Objective value:                -5892
Lower bound:                    -5914.61
Gap:                            0.00382287
"""  # noqa: E501  (cbcbox's CBC through PuLP, the same knapsack, 2 s)


def test_cbc_classic_log_excerpt():
    u = parse_cbc_log(CLASSIC)
    # root LP bound, then the pump's incumbent (bound kept), then the node lines
    assert (u[0].objective, u[0].bound) == (pytest.approx(math.nan, nan_ok=True), -5917.5)
    assert (u[1].objective, u[1].bound, u[1].elapsed) == (-5892.0, -5917.5, 0.09)
    assert (u[2].nodes, u[2].objective, u[2].bound) == (0, -5892.0, -5917.3315)
    assert u[2].gap == pytest.approx(25.3315 / 5892)
    assert (u[3].nodes, u[3].bound, u[3].elapsed) == (1000, -5913.4502, 1.32)
    assert (u[4].nodes, u[4].bound, u[4].iterations) == (3471, -5917.3315, 26572)
    assert len(u) == 5
    assert parse_cbc_result(CLASSIC) == (-5892.0, -5917.332)  # the "Lower bound" line


def test_cbc_table_log_excerpt():
    u = parse_cbc_log(CBCBOX)
    assert [x.iterations for x in u[:2]] == [0, 103] and math.isnan(u[0].bound)
    assert u[2].bound == -5917.5 and math.isnan(u[2].objective)  # the root LP's optimum
    assert (u[3].objective, u[3].elapsed) == (-5881.0, 0.033)  # the pump's ★ row
    assert [x.bound for x in u[4:6]] == [-5917.5, -5915.64]  # the root cuts
    assert (u[6].objective, u[6].bound, u[6].nodes) == (-5892.0, -5913.29, 0)
    assert (u[7].nodes, u[7].elapsed) == (1535, 1.41)
    assert (u[8].objective, u[8].bound, u[8].nodes, u[8].elapsed) == (-5892, -5914.61, 2609, 2.02)
    assert len(u) == 9
    assert parse_cbc_result(CBCBOX) == (-5892.0, -5914.61)
    lp = parse_cbc_log(CBCBOX.split("✔ LP Optimal")[0], mip=False)
    assert [(x.kind, x.iterations, x.objective) for x in lp] == [
        ("lp", 0, 0.0),
        ("lp", 103, -5917.498),
    ]


def test_cbc_result_of_a_completed_search():
    log = "Cbc0001I Search completed - best objective -2113, took 331 iterations and 20 nodes (0.18 seconds)\n\nResult - Optimal solution found\n\nObjective value:                -2113.00000000\n"  # noqa: E501
    assert parse_cbc_result(log) == (-2113.0, -2113.0)
    assert parse_cbc_log(log)[-1].gap == 0.0


def test_pulp_cbc_reads_back_bound_and_gap_and_follows_its_log():
    got: list[ProgressUpdate] = []
    res = solve(knapsack(), "pulp", SolveOptions(threads=1, progress=got.append))
    assert res.status is Status.OPTIMAL
    ref = solve(knapsack(), "highs", SolveOptions(threads=1))
    assert res.objective == pytest.approx(ref.objective)
    assert res.best_bound == pytest.approx(res.objective) and res.gap == pytest.approx(0.0)
    running = [u for u in got if not u.final and math.isfinite(u.bound)]
    assert running, "no progress read from CBC's log"
    for u in running:  # turned into the program's terms: a maximisation, bound above optimum
        assert u.bound >= res.objective - 1e-6
    assert got[-1].final and got[-1].objective == pytest.approx(res.objective)


# ------------------------------------------------------------------------- the CLI
@pytest.fixture
def tiny_file(tmp_path):
    return tiny.scenario_file(tmp_path / "tiny.toml", tiny.write_world(tmp_path / "world"))


def test_cli_run_shows_progress_only_on_a_terminal_or_when_asked(
    tmp_path, tiny_file, capsys, monkeypatch
):
    monkeypatch.setattr(pg, "DELAY", 0.0)  # show the tiny solves too
    monkeypatch.setattr(pg, "KEEP", 0.0)

    def run(name, *flags, tty=False):
        err = FakeStream(tty)
        monkeypatch.setattr("sys.stderr", err)
        argv = ["run", str(tiny_file), "--out", str(tmp_path / name), "--no-plots", *flags]
        code = main(argv)
        out = capsys.readouterr().out
        return code, out, err.getvalue()

    code, out, err = run("piped")
    assert code == EXIT_OK and "run directory" in out
    assert "\r" not in err and "done" not in err  # piped: no progress
    code, _, err = run("forced", "--progress")
    assert code == EXIT_OK and "\r" in err and "HiGHS LP" in err and "| done" in err
    code, _, err = run("terminal", tty=True)
    assert code == EXIT_OK and "\r" in err and "HiGHS LP" in err
    code, out, err = run("quiet", "--quiet", tty=True)
    assert code == EXIT_OK and out == "" and err == ""  # nothing but errors
    assert (tmp_path / "quiet" / "summary.json").is_file()  # the run itself is written
    assert main(["run", str(tiny_file), "--progress", "--quiet"]) == 2  # exclusive flags


def test_cli_sweep_bar_and_frontier_progress(tmp_path, tiny_file, capsys, monkeypatch):
    err = FakeStream(False)
    monkeypatch.setattr("sys.stderr", err)
    argv = ["sweep", str(tiny_file), "--grid", "parameters.budget=20,50", "--workers", "1"]
    assert main([*argv, "--progress"]) == EXIT_OK
    assert "sweep points" in err.getvalue() and "2/2" in err.getvalue()

    from planner.frontiers import frontier

    calls = []
    sc = tiny.scenario(objective={"kind": "frontier", "points": 3})
    table = frontier(tiny.world(), sc, points=3, progress=lambda k, n: calls.append((k, n)))
    assert len(table) == 3
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]  # the lowest-DI solve, then each point
