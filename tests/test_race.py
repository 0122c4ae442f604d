"""Backend ``auto`` (planner.solver.race): HiGHS alone on small MILPs, a race with CBC on the
rest, and only a proven optimum whose point checks may win.

The racers are replaced by fakes where the order of events must be fixed; one test races the
real CBC process."""

from __future__ import annotations

import threading
import time
from typing import ClassVar

import numpy as np
import pytest

from formulations import Program
from planner.scenario import Scenario, ScenarioError
from planner.solver import SolveOptions, Status, solve
from planner.solver import race as race_mod
from planner.solver.arrays import ProgramArrays
from planner.solver.options import SolverOptionError
from planner.solver.result import BackendOutcome


def knapsack() -> Program:
    """max 5a + 4b + 3c s.t. 2a + 3b + c <= 4 (a, b, c binary).

    Hand solution: a = c = 1, b = 0 (weight 3), value 8; a + b weighs 5 > 4, b + c = 7 < 8."""
    p = Program("knapsack")
    x = p.add_variables("x", ["a", "b", "c"], upper=1.0, kind="binary")
    p.add_constraints("weight", ["w"], [0, 0, 0], x.columns, [2, 3, 1], "<=", 4)
    p.set_objective(x.columns, [5, 4, 3], sense="max")
    return p


OPTIMUM = 8.0
BEST_X = np.array([1.0, 0.0, 1.0])


class FakeCbc:
    """Stands in for :class:`planner.solver.race.CbcProcess`: hands back ``outcome`` at the
    first poll and records that it was started and closed."""

    started: ClassVar[list[FakeCbc]] = []
    outcome: ClassVar[BackendOutcome | None] = None

    def __init__(self, arrays: ProgramArrays, options: SolveOptions) -> None:
        self.threads = options.threads
        self.raw = dict(options.solver_options)
        self.closed = False
        FakeCbc.started.append(self)

    def poll(self) -> BackendOutcome | None:
        return FakeCbc.outcome

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def fake_cbc(monkeypatch):
    FakeCbc.started = []
    FakeCbc.outcome = None
    monkeypatch.setattr(race_mod, "CbcProcess", FakeCbc)
    monkeypatch.setattr(race_mod, "_cbc_available", lambda: True)
    return FakeCbc


def _cbc_outcome(x: np.ndarray, status: Status = Status.OPTIMAL) -> BackendOutcome:
    arrays = ProgramArrays.from_program(knapsack())
    return BackendOutcome(
        status, "fake", "CBC (fake)", "", x=x, objective=arrays.objective_value(x)
    )


def _race_line(result) -> str:
    return next(line for line in result.log.splitlines() if line.startswith("auto:"))


def test_small_milp_is_solved_by_highs_alone_within_the_head_start(fake_cbc):
    """Checked: a head start of 0 s starts the (fake) CBC and fails the second assertion."""
    res = solve(knapsack(), "auto")
    assert res.status is Status.OPTIMAL and res.objective == pytest.approx(OPTIMUM)
    assert fake_cbc.started == []
    assert res.solver_name == "HiGHS" and "HiGHS alone" in _race_line(res)
    np.testing.assert_allclose(res.x, BEST_X, atol=1e-9)


def test_a_cbc_point_that_breaks_a_row_loses_to_highs(fake_cbc, monkeypatch):
    """CBC says optimal first, with a point over the weight row (value 12 > 8): rejected, and
    HiGHS's optimum is returned. Checked: accepting CBC's point unchecked returns 12."""
    monkeypatch.setattr(race_mod, "HEAD_START", 0.0)
    fake_cbc.outcome = _cbc_outcome(np.array([1.0, 1.0, 1.0]))
    real = race_mod.highs.solve

    def highs_after_cbc(arrays, options, start=None, cancel=None):
        # HiGHS solves this knapsack in milliseconds: hold it until CBC has started, so
        # that CBC's answer is in before HiGHS's
        deadline = time.monotonic() + 10
        while not fake_cbc.started and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(0.2)
        return real(arrays, options, start=start, cancel=cancel)

    monkeypatch.setattr(race_mod.highs, "solve", highs_after_cbc)
    res = solve(knapsack(), "auto", SolveOptions(threads=2))
    assert res.objective == pytest.approx(OPTIMUM) and res.solver_name == "HiGHS"
    assert "point rejected" in _race_line(res)
    racer = fake_cbc.started[0]
    assert racer.threads == 1 and racer.raw == {"feas": "off"} and racer.closed


def test_the_first_checked_optimum_wins_and_the_other_racer_is_stopped(fake_cbc, monkeypatch):
    """HiGHS is made slow (it waits for the race to cancel it); CBC's checked optimum wins at
    once and HiGHS is told to stop. Checked: never setting the cancel event makes the race
    wait for HiGHS (its fake then returns an error after 20 s and the assertions fail)."""
    monkeypatch.setattr(race_mod, "HEAD_START", 0.0)
    fake_cbc.outcome = _cbc_outcome(BEST_X)
    cancelled = threading.Event()

    def slow_highs(arrays, options, start=None, cancel=None):
        if cancel is not None and cancel.wait(20):
            cancelled.set()
        return BackendOutcome(Status.ERROR, "interrupted", "HiGHS", "")

    monkeypatch.setattr(race_mod.highs, "solve", slow_highs)
    res = solve(knapsack(), "auto", SolveOptions(fixed_milp_duals=False))
    assert res.status is Status.OPTIMAL and res.objective == pytest.approx(OPTIMUM)
    assert res.solver_name == "CBC (fake)"
    assert cancelled.wait(5)
    assert "CBC won the race" in _race_line(res) and "HiGHS stopped" in _race_line(res)


def test_a_cbc_process_that_dies_leaves_the_race_to_highs(fake_cbc, monkeypatch):
    """Checked: letting a finished racer win whatever it returned (no status or point check)
    hands back CBC's ERROR and fails."""
    monkeypatch.setattr(race_mod, "HEAD_START", 0.0)
    fake_cbc.outcome = BackendOutcome(Status.ERROR, "the CBC process ended with code -9", "CBC", "")
    res = solve(knapsack(), "auto")
    assert res.objective == pytest.approx(OPTIMUM) and res.solver_name == "HiGHS"


def test_the_cbc_process_solves_and_can_be_killed():
    """The CBC racer in its own process (``python -m planner.solver._cbc_leg``) hands back the
    hand-solved optimum; one stopped at once ends as an ERROR outcome, never a half-read file.

    Checked: a wrong module name in the command makes the first poll an ERROR (code 1) and
    fails the first assertion."""

    arrays = ProgramArrays.from_program(knapsack())
    proc = race_mod.CbcProcess(arrays, SolveOptions(time_limit=60, threads=1))
    try:
        deadline = time.monotonic() + 120
        out = proc.poll()
        while out is None and time.monotonic() < deadline:
            time.sleep(0.05)
            out = proc.poll()
    finally:
        proc.close()
    assert out is not None and out.status is Status.OPTIMAL, out
    assert out.objective == pytest.approx(OPTIMUM)
    np.testing.assert_allclose(out.x, BEST_X, atol=1e-6)
    killed = race_mod.CbcProcess(arrays, SolveOptions(time_limit=60))
    killed.stop()
    got = killed.poll()
    killed.close()
    assert got is not None and got.status is Status.ERROR and "ended with code" in got.solver_status


def test_auto_sends_an_lp_to_highs_with_its_duals():
    """max 3 door + 5 window (wyndor): optimum 36, duals (0, 1.5, 1)."""
    from tests.conftest import wyndor

    res = solve(wyndor(), "auto")
    assert res.objective == pytest.approx(36.0)
    np.testing.assert_allclose(res.duals["plant"].to_numpy(), [0.0, 1.5, 1.0], atol=1e-9)
    assert "an LP: HiGHS" in _race_line(res)


def test_auto_takes_no_raw_options_and_the_scenario_names_the_key():
    """Checked: dropping the scenario check lets the scenario load (no ScenarioError)."""
    with pytest.raises(SolverOptionError, match="backend 'auto' takes no raw solver options"):
        solve(knapsack(), "auto", SolveOptions(solver_options={"feas": "off"}))
    with pytest.raises(ScenarioError, match=r"solver\.options"):
        Scenario.from_dict(
            {"name": "x", "solver": {"backend": "auto", "options": {"presolve": "off"}}}
        )
    assert Scenario.from_dict({"name": "x", "solver": {"backend": "auto"}}).solver.backend == "auto"


def test_max_relative_violation_known_answers():
    """Row 2a + 3b + c <= 4 at (1, 1, 1): activity 6, over by 2, relative 2 / (1 + 4) = 0.4;
    a = -1 under its bound 0 by 1, relative 1 / (1 + 0) = 1; c = 2 over its bound 1 by 1,
    relative 1 / (1 + 1) = 0.5; a = 0.5 off integrality by 0.5."""
    arrays = ProgramArrays.from_program(knapsack())
    assert arrays.max_relative_violation(BEST_X) == 0.0
    assert arrays.max_relative_violation(np.array([1.0, 1.0, 1.0])) == pytest.approx(0.4)
    assert arrays.max_relative_violation(np.array([-1.0, 0.0, 0.0])) == pytest.approx(1.0)
    assert arrays.max_relative_violation(np.array([0.0, 0.0, 2.0])) == pytest.approx(0.5)
    assert arrays.max_relative_violation(np.array([0.5, 0.0, 0.0])) == pytest.approx(0.5)
    assert arrays.max_relative_violation(np.array([np.nan, 0.0, 0.0])) == np.inf
