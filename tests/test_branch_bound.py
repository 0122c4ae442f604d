"""Backend ``branch_bound`` (planner.solver.branch_bound): hand-solved MILPs, its session,
branching priorities, the hand-over to HiGHS and a joint-MILP frontier against HiGHS."""

from __future__ import annotations

import re

import numpy as np
import pytest

from formulations import Program
from planner.solver import SolveOptions, SolverSession, Status, solve
from planner.solver import branch_bound as bb
from planner.solver.arrays import ProgramArrays
from tests.tolerances import INTEGRAL_ATOL

pytestmark = pytest.mark.skipif(not bb.available(), reason="highspy not installed")


def cover(need: float = 7.0) -> Program:
    """min 5 a + 4 b + 3 c, a, b, c integer in [0, 3], s.t. 3 a + 2 b + c >= need.

    Hand solution for need 7: the LP relaxation takes a = 7/3 (cost 35/3 = 11.67, the
    cheapest per unit covered); over the integers a = 2, c = 1 costs 13 (a = 1, b = 2:
    13 as well; a = 3: 15; b = 2, c = 3: 17), so the optimum is 13 with a bound of 13.
    """
    p = Program("cover")
    x = p.add_variables("x", ["a", "b", "c"], upper=3.0, kind="integer")
    p.add_constraints("need", ["n"], [0, 0, 0], x.columns, [3, 2, 1], ">=", need)
    p.set_objective(x.columns, [5, 4, 3])
    return p


def exact_cover() -> Program:
    """:func:`cover` with ``3 a + 2 b + c == 7``: the relaxation's a = 7/3 neither rounds up
    (a = 3: 9) nor to the nearest (a = 2: 6) to a plan, so the first plan comes from the
    search. Optimum 13 (a = 2, c = 1 or a = 1, b = 2)."""
    p = Program("exact_cover")
    x = p.add_variables("x", ["a", "b", "c"], upper=3.0, kind="integer")
    p.add_constraints("need", ["n"], [0, 0, 0], x.columns, [3, 2, 1], "==", 7.0)
    p.set_objective(x.columns, [5, 4, 3])
    return p


def two_levels() -> Program:
    """Binaries ``y`` (priority 1) and ``z`` (priority 0): min y + z - 0.1 w, s.t.
    2 y >= w, 2 z >= w, w >= 1, w <= 1.5 (continuous).

    The relaxation sets y = z = 0.5 (w = 1, objective 0.9); the optimum sets y = z = 1,
    w = 1.5: objective 1.85. Branching on ``y`` first leaves ``z`` fractional in one branch.
    """
    p = Program("two_levels")
    y = p.add_variables("y", ["y"], kind="binary", priority=1)
    z = p.add_variables("z", ["z"], kind="binary")
    w = p.add_variables("w", ["w"], lower=1.0, upper=1.5)
    p.add_constraints("ly", ["r"], [0, 0], [y.offset, w.offset], [2, -1], ">=", 0)
    p.add_constraints("lz", ["r"], [0, 0], [z.offset, w.offset], [2, -1], ">=", 0)
    p.set_objective([y.offset, z.offset, w.offset], [1, 1, -0.1])
    return p


def test_minimisation_by_hand_objective_point_and_bound():
    r = solve(cover(), "branch_bound", SolveOptions(mip_gap=0.0))
    assert r.status is Status.OPTIMAL and r.is_mip
    assert r.objective == pytest.approx(13.0, abs=INTEGRAL_ATOL)
    a, b, c = r.value("x")
    assert 3 * a + 2 * b + c >= 7 - 1e-9 and 5 * a + 4 * b + 3 * c == pytest.approx(13.0)
    assert r.best_bound == pytest.approx(13.0, abs=1e-6) and r.gap <= 1e-9
    assert "branch_bound" in r.log and "root bound 11.666" in r.log


def test_integer_infeasible_with_a_feasible_relaxation():
    """2 x == 1 with x integer: the relaxation (x = 0.5) is feasible, no integer point is."""
    p = Program("odd")
    x = p.add_variables("x", ["x"], upper=1.0, kind="integer")
    p.add_constraints("half", ["h"], [0], [x.offset], [2], "==", 1)
    p.set_objective([x.offset], [1])
    r = solve(p, "branch_bound")
    assert r.status is Status.INFEASIBLE and not r.has_solution


def test_priorities_reach_the_arrays_and_every_copy():
    p = two_levels()
    np.testing.assert_array_equal(p.branch_priority(), [1, 0, 0])
    np.testing.assert_array_equal(ProgramArrays.from_program(p).priority, [1, 0, 0])
    np.testing.assert_array_equal(p.copy().branch_priority(), [1, 0, 0])


def test_the_higher_priority_is_branched_first():
    """Both binaries are fractional at the root; only ``y`` (priority 1) may be branched
    there, so the first branching (strong branching on ``y``) measures ``y`` alone."""
    session = bb.BranchBoundSession()
    arrays = ProgramArrays.from_program(two_levels())
    out = session.solve(arrays, SolveOptions(mip_gap=0.0))
    assert out.status is Status.OPTIMAL
    assert out.objective == pytest.approx(1.85, abs=1e-9)
    np.testing.assert_allclose(out.x, [1, 1, 1.5], atol=1e-9)
    assert "root: 2 fractional integer columns; branching on column 0 (priority 1)" in out.log
    counts = session.pseudocosts.counts  # columns in integer order: y, z
    assert counts[:, 0].min() >= 1  # y measured both ways at the root


def test_the_same_priority_everywhere_still_solves():
    arrays = ProgramArrays.from_program(two_levels())
    flat = ProgramArrays(**{**arrays.__dict__, "priority": None})
    out = bb.solve(flat, SolveOptions(mip_gap=0.0))
    assert out.status is Status.OPTIMAL and out.objective == pytest.approx(1.85, abs=1e-9)


def test_a_session_keeps_the_relaxation_and_its_solutions():
    """Re-solving with another right-hand side updates the loaded relaxation in place and
    tries the previous solution as a plan; the optima are the hand-solved ones."""
    session = SolverSession()
    p = cover(7.0)
    first = solve(p, "branch_bound", SolveOptions(mip_gap=0.0), session=session)
    assert first.objective == pytest.approx(13.0, abs=INTEGRAL_ATOL)
    p.set_rhs("need", [6.0])  # a = 2 covers 6 exactly: cost 10
    second = solve(p, "branch_bound", SolveOptions(mip_gap=0.0), session=session)
    assert second.objective == pytest.approx(10.0, abs=INTEGRAL_ATOL)
    assert session.reloads == 1
    assert "updated in place" in second.log and "an earlier solution" in second.log


def test_a_new_objective_direction_forgets_the_branching_gains():
    session = bb.BranchBoundSession()
    arrays = ProgramArrays.from_program(cover())
    session.solve(arrays, SolveOptions(mip_gap=0.0))
    assert session.pseudocosts.counts.any()
    scaled = ProgramArrays(**{**arrays.__dict__, "c": arrays.c * 8.0})
    session.solve(scaled, SolveOptions(mip_gap=0.0))  # the same objective, scaled
    kept = session.pseudocosts.counts.sum()
    assert kept > 0
    other = ProgramArrays(**{**arrays.__dict__, "c": np.array([4.0, 5.0, 3.0])})
    session._prepare(__import__("highspy"), other, SolveOptions(mip_gap=0.0))
    assert not session.pseudocosts.counts.any()


def test_the_node_limit_hands_the_milp_to_highs(monkeypatch):
    """After NODE_LIMIT nodes HiGHS's own MILP solver finishes from the incumbent: the
    same optimum, and the log says so."""
    from tests.test_solvers import knapsack

    monkeypatch.setattr(bb, "NODE_LIMIT", 1)
    monkeypatch.setattr(bb, "STRONG_CANDIDATES", 0)
    r = solve(knapsack(), "branch_bound")
    assert r.status is Status.OPTIMAL
    assert r.objective == pytest.approx(23.0, abs=INTEGRAL_ATOL)
    assert "1 nodes: handed to HiGHS's MILP solver" in r.log


def test_joint_milp_frontier_matches_highs():
    """Members and tiers chosen: every point of the branch_bound frontier costs what
    HiGHS's does (both optimal at the default gap)."""
    from planner.frontiers import frontier
    from tests.tiny import scenario, world

    sc = scenario(
        coalition={"choose_members": True},
        sectors={"choose_tiers": True, "tiers": {}},
        parameters={"budget": 100.0},
    )
    ours = frontier(world(), sc, "branch_bound", points=4)
    theirs = frontier(world(), sc, "highs", points=4)
    assert list(ours["status"]) == ["optimal"] * 4
    assert ours["total_cost"].to_numpy() == pytest.approx(theirs["total_cost"].to_numpy(), abs=1e-5)


def only_the_root_lp(monkeypatch) -> None:
    """Let the first LP of a search run and every later one report a limit."""
    real = bb.BranchBoundSession._lp
    calls = []

    def limited(self, hs, s, lower, upper, basis, cutoff=float("inf")):
        calls.append(1)
        if len(calls) == 1:
            return real(self, hs, s, lower, upper, basis, cutoff)
        return "limit", float("inf"), None

    monkeypatch.setattr(bb.BranchBoundSession, "_lp", limited)


def test_an_lp_stopped_by_a_limit_is_not_an_infeasible_milp(monkeypatch):
    """Only the root LP is solved; every later LP reports a limit: the search stops with its
    nodes open, which is a time limit without a plan, never "infeasible"."""
    only_the_root_lp(monkeypatch)
    r = solve(cover(), "branch_bound", SolveOptions(mip_gap=0.0))
    assert r.status is Status.TIME_LIMIT_NO_SOLUTION
    assert "nodes open" in r.log


def test_a_kept_highs_model_gets_its_time_limit_from_now():
    """HiGHS's run clock adds up every run of one object, so the limit set for the next run
    is the clock's reading plus the seconds allowed."""
    import highspy

    from planner.solver import highs

    h = highs.new_highs(highspy, quiet=True)
    h.passModel(highs._build(highspy, ProgramArrays.from_program(cover())))
    h.run()
    ran = h.getRunTime()

    def limit() -> float:
        value = h.getOptionValue("time_limit")  # (status, value) in highspy 1.16
        return float(value[1] if isinstance(value, tuple) else value)

    highs.set_time_limit(h, 5.0)
    assert limit() == pytest.approx(ran + 5.0, abs=1e-3)
    highs.set_time_limit(h, None)
    assert limit() == float("inf")


def test_frontier_chains_run_in_threads_and_agree_with_one_chain(monkeypatch):
    """With branch_bound the frontier's chains are threads of this process (no worker
    processes are started) and give the costs of one chain."""
    import planner.parallel
    from planner.frontiers import frontier
    from tests.tiny import scenario, world

    def no_processes(*args, **kwargs):
        raise AssertionError("branch_bound frontier chains must not start worker processes")

    monkeypatch.setattr(planner.parallel, "process_map", no_processes)
    sc = scenario(
        coalition={"choose_members": True},
        sectors={"choose_tiers": True, "tiers": {}},
        parameters={"budget": 100.0},
    )
    two = frontier(world(), sc, "branch_bound", points=4, workers=2)
    one = frontier(world(), sc, "branch_bound", points=4, workers=1)
    assert list(two["status"]) == list(one["status"]) == ["optimal"] * 4
    assert two["total_cost"].to_numpy() == pytest.approx(one["total_cost"].to_numpy(), abs=1e-5)
    assert list(two["members"]) == list(one["members"])


def test_without_a_rounded_plan_the_search_dives_to_one():
    r = solve(exact_cover(), "branch_bound", SolveOptions(mip_gap=0.0))
    assert r.status is Status.OPTIMAL
    assert r.objective == pytest.approx(13.0, abs=INTEGRAL_ATOL)
    a, b, c = r.value("x")
    assert 3 * a + 2 * b + c == pytest.approx(7.0)
    assert "handed to HiGHS" not in r.log and "incumbent 13 from node" in r.log


def test_a_search_without_a_plan_goes_to_highs(monkeypatch):
    monkeypatch.setattr(bb, "NO_PLAN_NODES", 1)
    r = solve(exact_cover(), "branch_bound", SolveOptions(mip_gap=0.0))
    assert r.status is Status.OPTIMAL
    assert r.objective == pytest.approx(13.0, abs=INTEGRAL_ATOL)
    assert "1 nodes without a plan: handed to HiGHS's MILP solver" in r.log


def one_integer(lower: float, upper: float, need: float | None = None) -> Program:
    """min -x (or min x with ``need``: x >= need), x integer in [lower, upper]."""
    p = Program("one_integer")
    x = p.add_variables("x", ["x"], lower=lower, upper=upper, kind="integer")
    if need is None:
        p.set_objective([x.offset], [-1.0])
    else:
        p.add_constraints("need", ["n"], [0], [x.offset], [1.0], ">=", need)
        p.set_objective([x.offset], [1.0])
    return p


def test_fractional_bounds_of_an_integer_column_are_rounded_inward():
    """x integer in [0.5, 2.5], min -x: the optimum is x = 2 (the relaxation's 2.5 is no
    plan). Checked: with the bounds used as given the point was x = 2.5, "optimal"."""
    r = solve(one_integer(0.5, 2.5), "branch_bound", SolveOptions(mip_gap=0.0))
    assert r.status is Status.OPTIMAL
    assert r.value("x")["x"] == pytest.approx(2.0, abs=1e-9)
    empty = solve(one_integer(0.2, 0.8), "branch_bound")  # no integer in [0.2, 0.8]
    assert empty.status is Status.INFEASIBLE and "hold no integer" in empty.log


def test_a_plan_stopped_by_a_limit_keeps_its_node_open(monkeypatch):
    """min x, x integer in [0, 5], x >= 1: the root is integral, but every LP after it
    reports a limit, so its plan is never solved: a time limit, never "infeasible".
    Checked: before plans stopped by a limit stayed untried, this said infeasible."""
    only_the_root_lp(monkeypatch)
    r = solve(one_integer(0.0, 5.0, need=1.0), "branch_bound", SolveOptions(mip_gap=0.0))
    assert r.status is Status.TIME_LIMIT_NO_SOLUTION


def test_a_hand_over_without_time_left_returns_the_search_outcome(monkeypatch):
    """The node limit comes when the time is up: no HiGHS solve, a time-limit outcome (it
    raised on a zero time limit before)."""
    ticks = []

    def time_left(self):
        ticks.append(1)
        return float("inf") if len(ticks) == 1 else 0.0  # the root LP only

    monkeypatch.setattr(bb._Search, "time_left", time_left)
    monkeypatch.setattr(bb, "NODE_LIMIT", 0)
    r = solve(cover(), "branch_bound", SolveOptions(mip_gap=0.0, time_limit=10.0))
    assert r.status is Status.TIME_LIMIT_NO_SOLUTION
    assert "time limit reached" in r.log


def test_a_session_reloads_when_the_integrality_changes():
    """Only ``a`` integer, then all three, with the same matrix: 35/3 then 13.
    Checked: without the integrality in the reuse test this raised IndexError."""
    session = bb.BranchBoundSession()
    arrays = ProgramArrays.from_program(cover())
    only_a = ProgramArrays(**{**arrays.__dict__, "integrality": np.array([1, 0, 0])})
    first = session.solve(only_a, SolveOptions(mip_gap=0.0))
    # a = 2 integer, then b = 0.5 (cost 2 per unit covered) beats c: 10 + 2 = 12
    assert first.objective == pytest.approx(12.0, abs=1e-9)
    second = session.solve(arrays, SolveOptions(mip_gap=0.0))
    assert second.objective == pytest.approx(13.0, abs=1e-9) and session.reloads == 2


def random_milp(seed: int, sense: str) -> Program:
    """A small random MILP: 6 integer columns in [0, 4], 2 continuous in [0, 3], 4 rows
    ``<=`` with positive right-hand sides (x = 0 is feasible), an offset."""
    rng = np.random.default_rng(seed)
    p = Program(f"random_{seed}")
    z = p.add_variables("z", 6, upper=4.0, kind="integer")
    w = p.add_variables("w", 2, upper=3.0)
    cols = np.concatenate([z.columns, w.columns])
    a = rng.integers(-3, 8, size=(4, 8)).astype(float)
    rows = np.repeat(np.arange(4), 8)
    p.add_constraints("r", 4, rows, np.tile(cols, 4), a.ravel(), "<=", rng.integers(5, 20, 4))
    c = rng.integers(1, 10, 8).astype(float)
    p.set_objective(cols, -c if sense == "min" else c, sense=sense, constant=100.0)
    return p


@pytest.mark.parametrize("sense", ["min", "max"])
def test_random_milps_agree_with_highs_and_the_bound_is_proven(sense):
    """160 random MILPs per sense at a 5 % gap: every objective within the gap of HiGHS's
    exact optimum, and the reported bound on the right side of it (a bound that counts the
    subtrees closed within the gap). Checked: with the bound taken from the open nodes
    only, 5 minimisations (seeds 90, 108, ...) and 3 maximisations (37, 105, 149) reported
    a bound beyond the optimum. HiGHS's optimum may itself sit up to its feasibility
    tolerance (1e-6, relative) on the wrong side: seed 28's is 51.02857042857 where an exact
    node LP gives 51.02857142857, hence the tolerance relative to the optimum."""
    for seed in range(160):
        p = random_milp(seed, sense)
        exact = solve(p, "highs", SolveOptions(mip_gap=0.0)).objective
        r = solve(p, "branch_bound", SolveOptions(mip_gap=0.05))
        assert r.status is Status.OPTIMAL, seed
        assert abs(r.objective - exact) <= 0.05 * abs(r.objective) + 1e-6, seed  # HiGHS gap
        tol = 1e-6 * max(1.0, abs(exact))
        if sense == "min":
            assert r.best_bound <= exact + tol, seed
        else:
            assert r.best_bound >= exact - tol, seed


def tiny_frontier(target: float):
    """The tiny world's ``frontier`` model, members and tiers chosen, at DI ``target``: the
    cost MILP branches at 0.5 (strong branching on three columns, three nodes)."""
    from formulations.problems import build_model
    from tests.tiny import scenario, world

    sc = scenario(
        coalition={"choose_members": True},
        sectors={"choose_tiers": True, "tiers": {}},
        parameters={"budget": 100.0},
    )
    model = build_model(world(), sc, objective="frontier")
    model.set_dependency_target(target)
    return model


def test_lps_side_by_side_make_the_search_of_one_object():
    """Two threads (strong branching's up directions on the helper) and one thread give
    the same search, point and optimum, which is HiGHS's."""
    program = tiny_frontier(0.5).program
    one = solve(program, "branch_bound", SolveOptions(threads=1, mip_gap=0.0))
    two = solve(program, "branch_bound", SolveOptions(threads=2, mip_gap=0.0))
    ref = solve(program, "highs", SolveOptions(mip_gap=0.0))
    assert one.status is two.status is Status.OPTIMAL
    assert int(re.search(r"\((\d+) strong branchings\)", one.solver_status).group(1)) >= 2
    assert one.solver_status == two.solver_status
    np.testing.assert_array_equal(one.x, two.x)
    assert two.objective == pytest.approx(ref.objective, abs=1e-6)


def test_the_next_root_is_solved_ahead_only_for_the_expected_program():
    """``SolverSession.expect``: the expected solve takes its root LP (and its rounding)
    from the scout, with the root bound a fresh solve finds; a solve of another program
    solves its own root. Every optimum is HiGHS's."""
    model = tiny_frontier(0.6)
    program = model.program
    session = SolverSession()
    opts = SolveOptions(threads=2, mip_gap=0.0)

    def fresh(target: float) -> tuple[float, str]:
        model.set_dependency_target(target)
        r = solve(program, "branch_bound", opts)
        return solve(program, "highs", SolveOptions(mip_gap=0.0)).objective, r.log

    (ref_5, log_5), (ref_48, _) = fresh(0.5), fresh(0.48)
    model.set_dependency_target(0.5)
    session.expect(program, "branch_bound", opts)
    model.set_dependency_target(0.6)
    first = solve(program, "branch_bound", opts, session=session)
    model.set_dependency_target(0.5)
    session.expect(program, "branch_bound", opts)  # expects 0.5 again; 0.48 comes
    second = solve(program, "branch_bound", opts, start=first.warm_start(), session=session)
    assert "root LP solved ahead" not in first.log
    assert "root LP solved ahead" in second.log
    assert second.objective == pytest.approx(ref_5, abs=1e-6)
    root = [line for line in second.log.splitlines() if "root bound" in line]
    assert (
        root[0].split()[-1]
        == next(ln for ln in log_5.splitlines() if "root bound" in ln).split()[-1]
    )
    model.set_dependency_target(0.48)
    third = solve(program, "branch_bound", opts, start=second.warm_start(), session=session)
    assert "root LP solved ahead" not in third.log
    assert third.objective == pytest.approx(ref_48, abs=1e-6)


def test_a_branch_bound_frontier_is_one_chain_by_default(monkeypatch):
    """Its solves use the second thread themselves: no chains unless ``workers`` asks."""
    import planner.frontiers as fr
    from tests.tiny import world

    def no_chains(*args, **kwargs):
        raise AssertionError("a branch_bound frontier must stay in one chain by default")

    monkeypatch.setattr(fr, "_solve_chains", no_chains)
    sc = tiny_frontier(0.3).instance.scenario
    table = fr.frontier(world(), sc, "branch_bound", SolveOptions(threads=2), points=4)
    assert list(table["status"]) == ["optimal"] * 4


def test_on_the_shipped_defaults_an_lp_depends_on_its_basis_alone():
    """At world scale (57,195 columns) HiGHS would carry its last run's state into the next
    and return another optimal vertex; from the same bounds and basis the main object and
    a helper with another history must return the same point and objective (cost MILP at
    DI 0.1409 of the model's defaults, where the root has dozens of fractional columns)."""
    import time

    import highspy

    from formulations.problems import build_model
    from planner.scenario import Scenario, load_scenario_dataset

    sc = Scenario(name="defaults")
    model = build_model(load_scenario_dataset(sc), sc, objective="frontier")
    model.set_dependency_target(0.1409)
    arrays = ProgramArrays.from_program(model.program)
    session = bb.BranchBoundSession()
    opts = SolveOptions(threads=2, mip_gap=1e-4)
    session._prepare(highspy, arrays, opts)
    helper = session._side(highspy, opts)
    ints = np.flatnonzero(arrays.integrality)
    s = bb._Search(arrays, opts, time.perf_counter(), ints, np.zeros(len(ints)), 1.0)
    lo, up = arrays.col_lower[ints], arrays.col_upper[ints]
    state, _, x = session._lp(highspy, s, lo, up, None)
    assert state == "optimal"
    basis = session._h.getBasis()
    frac = np.flatnonzero(np.abs(x[ints] - np.round(x[ints])) > 1e-6)
    assert len(frac) >= 10

    def both(lower, upper):
        return session._beside(
            highspy,
            s,
            helper,
            (lower, upper, basis, float("inf")),
            lambda: session._lp_on(session._h, highspy, s, lower, upper, basis),
        )

    both(lo, np.where(np.arange(len(ints)) == frac[0], 0.0, up))  # histories diverge
    for j in frac[1:9]:
        for lower, upper in (
            (lo, np.where(np.arange(len(ints)) == j, 0.0, up)),
            (np.where(np.arange(len(ints)) == j, 1.0, lo), up),
        ):
            here, there = both(lower, upper)
            assert here[0] == there[0] == "optimal"
            assert here[1] == there[1]
            np.testing.assert_array_equal(here[2], there[2])
