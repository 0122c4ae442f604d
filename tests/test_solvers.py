"""Known-answer tests, identical across every available backend (tolerances in tolerances.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import mixed_senses, wyndor
from tolerances import DUAL_ATOL, INTEGRAL_ATOL, OBJ_RTOL, VALUE_ATOL

from formulations import Program
from planner.solver import SolveOptions, SolverNotAvailableError, Status, solve


def test_lp_by_hand_values_duals_reduced_costs(backend_case):
    backend, opts = backend_case
    r = solve(wyndor(), backend, opts)
    assert r.status is Status.OPTIMAL and r.is_optimal
    assert r.objective == pytest.approx(36.0, rel=OBJ_RTOL)
    np.testing.assert_allclose(r.value("x").loc[["door", "window"]], [2, 6], atol=VALUE_ATOL)
    assert r.duals_kind == "lp"
    np.testing.assert_allclose(r.dual("plant").loc[["p1", "p2", "p3"]], [0, 1.5, 1], atol=DUAL_ATOL)
    np.testing.assert_allclose(r.reduced_costs["x"], [0, 0], atol=DUAL_ATOL)
    assert r.best_bound == pytest.approx(36.0, rel=OBJ_RTOL) and r.gap == 0.0
    assert r.max_violation <= 1e-9


@pytest.mark.parametrize("sense", ["min", "max"])
def test_dual_signs_for_ge_and_eq_rows(backend_case, sense):
    backend, opts = backend_case
    r = solve(mixed_senses(sense), backend, opts)
    sign = 1 if sense == "min" else -1
    assert r.status is Status.OPTIMAL
    assert r.objective == pytest.approx(sign * 9.5, rel=OBJ_RTOL)
    np.testing.assert_allclose(r.value("x"), [2.5, 1.5], atol=VALUE_ATOL)
    assert r.dual("need").iloc[0] == pytest.approx(sign * 2.5, abs=DUAL_ATOL)
    assert r.dual("link").iloc[0] == pytest.approx(sign * -0.5, abs=DUAL_ATOL)


def test_duals_are_finite_differences(backend_case):
    """The dual of 'need' equals the objective change when its rhs grows by one."""
    backend, opts = backend_case
    base = solve(mixed_senses(), backend, opts)
    p = Program("mixed_plus")
    x = p.add_variables("x", ["a", "b"], upper=[np.inf, 10.0])
    p.add_constraints("need", ["n"], [0, 0], x.columns, [1, 1], ">=", 5)
    p.add_constraints("link", ["l"], [0, 0], x.columns, [1, -1], "==", 1)
    p.set_objective(x.columns, [2, 3])
    bumped = solve(p, backend, opts)
    assert bumped.objective - base.objective == pytest.approx(
        base.dual("need").iloc[0], abs=DUAL_ATOL
    )


def facility() -> Program:
    """min 5 open + 2 ship s.t. ship <= 10 open, ship >= 6, open binary.

    Hand solution: open 1, ship 6, objective 17; with open fixed, d obj/d demand = 2.
    """
    p = Program("facility")
    y = p.add_variables("open", ["plant"], kind="binary")
    x = p.add_variables("ship", ["plant"])
    p.add_constraints("link", ["plant"], [0, 0], [x.offset, y.offset], [1, -10], "<=", 0)
    p.add_constraints("demand", ["plant"], [0], [x.offset], [1], ">=", 6)
    p.set_objective([y.offset, x.offset], [5, 2])
    return p


def knapsack() -> Program:
    """max 10a + 13b + 7c + 8d s.t. 3a + 4b + 2c + 3d <= 7, binary: a and b, value 23."""
    p = Program("knapsack")
    z = p.add_variables("take", list("abcd"), kind="binary")
    p.add_constraints("weight", ["w"], np.zeros(4, int), z.columns, [3, 4, 2, 3], "<=", 7)
    p.set_objective(z.columns, [10, 13, 7, 8], sense="max")
    return p


def test_knapsack_milp(backend_case):
    backend, opts = backend_case
    r = solve(knapsack(), backend, opts)
    assert r.status is Status.OPTIMAL and r.is_mip
    assert r.objective == pytest.approx(23.0, abs=INTEGRAL_ATOL)
    np.testing.assert_allclose(r.value("take"), [1, 1, 0, 0], atol=INTEGRAL_ATOL)


def test_milp_with_fixed_integer_duals(backend_case):
    backend, opts = backend_case
    r = solve(facility(), backend, opts)
    assert r.status is Status.OPTIMAL
    assert r.objective == pytest.approx(17.0, abs=INTEGRAL_ATOL)
    assert r.value("open")["plant"] == pytest.approx(1.0, abs=INTEGRAL_ATOL)
    assert r.value("ship")["plant"] == pytest.approx(6.0, abs=VALUE_ATOL)
    assert r.duals_kind == "fixed_milp"
    assert r.dual("demand")["plant"] == pytest.approx(2.0, abs=DUAL_ATOL)
    assert r.dual("link")["plant"] == pytest.approx(0.0, abs=DUAL_ATOL)


def test_infeasible_lp(backend_case):
    backend, opts = backend_case
    p = Program("infeasible")
    x = p.add_variables("x", ["a", "b"])
    p.add_constraints("cap", ["c"], [0, 0], x.columns, [1, 1], "<=", 2)
    p.add_constraints("need", ["n"], [0], [x.offset], [1], ">=", 3)
    p.set_objective(x.columns, [1, 1])
    r = solve(p, backend, opts)
    assert r.status is Status.INFEASIBLE
    assert not r.has_solution and math.isnan(r.objective)
    assert r.value("x").isna().all()  # same type, no values
    with pytest.raises(Exception, match="infeasible"):
        r.raise_for_status()


def test_unbounded_lp(backend_case):
    backend, opts = backend_case
    p = Program("unbounded")
    x = p.add_variables("x", ["a", "b"])
    p.add_constraints("c", ["c"], [0, 0], x.columns, [1, -1], "<=", 1)
    p.set_objective([x.offset], [1], sense="max")
    r = solve(p, backend, opts)
    assert r.status is Status.UNBOUNDED


def market_split(m: int = 4, n: int = 30, seed: int = 1) -> Program:
    """A market-split instance (Cornuéjols-Dawande): tiny, and hard for branch and bound."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 100, size=(m, n))
    p = Program("market_split")
    x = p.add_variables("x", n, kind="binary")
    sp_ = p.add_variables("s_plus", m)
    sm = p.add_variables("s_minus", m)
    rows = np.concatenate([np.repeat(np.arange(m), n), np.arange(m), np.arange(m)])
    cols = np.concatenate([np.tile(x.columns, m), sp_.columns, sm.columns])
    coefs = np.concatenate([a.ravel(), np.ones(m), -np.ones(m)])
    p.add_constraints("split", m, rows, cols, coefs, "==", a.sum(axis=1) // 2)
    p.set_objective(np.concatenate([sp_.columns, sm.columns]), 1.0)
    return p


def test_time_limit_is_never_optimal(backend_case):
    backend, opts = backend_case
    r = solve(market_split(), backend, opts.with_(time_limit=0.5))
    assert r.status in (Status.TIME_LIMIT_FEASIBLE, Status.TIME_LIMIT_NO_SOLUTION)
    assert not r.is_optimal
    if r.has_solution:
        assert r.objective >= 0 and r.max_violation <= 1e-6
        with pytest.warns(UserWarning, match="not proven optimal"):
            r.raise_for_status()


def test_missing_pulp_solver_names_the_package():
    with pytest.raises(SolverNotAvailableError, match="gurobipy"):
        solve(wyndor(), "pulp", SolveOptions(pulp_solver="GUROBI"))


def test_unknown_pulp_solver_lists_choices():
    with pytest.raises(SolverNotAvailableError, match="PuLP has no solver called 'NOPE'"):
        solve(wyndor(), "pulp", SolveOptions(pulp_solver="NOPE"))


def test_unknown_backend():
    with pytest.raises(ValueError, match="unknown backend 'cplex'"):
        solve(wyndor(), "cplex")


def test_log_text_and_file(tmp_path):
    log = tmp_path / "logs" / "solver.log"
    r = solve(wyndor(), "highs", SolveOptions(log_file=log))
    assert "HiGHS" in r.log and log.read_text() == r.log
    assert r.solver_version.count(".") == 2
    assert r.timings["solve"] > 0


def test_options_are_validated():
    with pytest.raises(ValueError, match="mip_gap"):
        SolveOptions(mip_gap=2)
    with pytest.raises(ValueError, match="time_limit"):
        SolveOptions(time_limit=-1)
    with pytest.raises(TypeError, match="unknown solve option"):
        SolveOptions().with_(gap=0.1)


def test_highs_prints_nothing_unless_verbose():
    import subprocess
    import sys

    code = (
        "from formulations import Program\nfrom planner import solve\n"
        "p = Program(); x = p.add_variables('x', 1, upper=1.0)\n"
        "p.set_objective(x.columns, [1], sense='max'); print(solve(p).objective)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout == "1.0\n"


def test_tiny_objective_is_scaled_and_unscaled(backend_case):
    """Costs of 1e-9 per unit (as DI per USD mn) still pick the cheaper column; objective and
    duals come back in the program's own units."""
    from planner.solver.api import objective_scale

    backend, opts = backend_case
    p = Program("tiny_costs")
    x = p.add_variables("x", ["cheap", "dear"], upper=5.0)
    p.add_constraints("cover", ["one"], [0, 0], x.columns, [1.0, 1.0], ">=", 1.0)
    p.set_objective(x.columns, [1e-9, 2e-9])
    assert objective_scale(np.array([1e-9, 2e-9])) == 2.0**28  # 2e-9 * 2**28 = 0.54
    r = solve(p, backend, opts)
    assert r.objective == pytest.approx(1e-9, rel=1e-6)
    assert r.value("x").to_numpy() == pytest.approx([1.0, 0.0], abs=1e-6)
    # every backend returns LP duals here (no skip when a backend drops them: that is a
    # failure); checked by making _repair_duals return None: this line failed for both pulp
    # cases while the old `if r.duals_kind != "none"` guard passed
    assert r.duals_kind == "lp"
    assert r.dual("cover").iloc[0] == pytest.approx(1e-9, rel=1e-5)


def test_lp_warm_start_from_a_basis_after_a_rhs_change():
    """Wyndor with plant 3 capacity 18 -> 24: the warm re-solve starts from the old basis and
    reaches the hand optimum (door 4, window 6, objective 42), and HiGHS says it used it."""
    from planner.solver import WarmStart

    p = wyndor()
    first = solve(p, "highs", SolveOptions(scale_objective=False))
    start = first.warm_start()
    assert isinstance(start, WarmStart) and start.basis is not None
    p.set_rhs("plant", [4.0, 12.0, 24.0])
    cold = solve(p, "highs", SolveOptions(scale_objective=False))
    warm = solve(p, "highs", SolveOptions(scale_objective=False), start=start)
    for r in (cold, warm):
        assert r.objective == pytest.approx(42.0)
        assert r.values["x"].to_numpy() == pytest.approx([4.0, 6.0])
    assert "useful basis" in warm.log and "useful basis" not in cold.log
    # another backend ignores the start and still solves
    assert solve(p, "scipy", start=start).objective == pytest.approx(42.0)


def test_session_updates_the_loaded_lp_in_place():
    """Wyndor kept loaded in HiGHS. Plant 3 capacity 18 -> 20: door 8/3, window 6, objective
    38, duals (0, 1.5, 1). Then profits (3, 1): door 4, window 4, objective 16, duals
    (1.5, 0, 0.5). Both by hand; one load for the three solves, each equal to a fresh solve."""
    from planner.solver import SolverSession

    opts = SolveOptions(scale_objective=False)
    p = wyndor()
    session = SolverSession()
    assert solve(p, "highs", opts, session=session).objective == pytest.approx(36.0)
    p.set_rhs("plant", [4.0, 12.0, 20.0])
    r = solve(p, "highs", opts, session=session)
    assert r.objective == pytest.approx(38.0, rel=OBJ_RTOL)
    assert r.values["x"].to_numpy() == pytest.approx([8 / 3, 6.0], abs=VALUE_ATOL)
    assert r.duals["plant"].to_numpy() == pytest.approx([0.0, 1.5, 1.0], abs=DUAL_ATOL)
    assert "useful basis" in r.log  # HiGHS kept the basis of the first solve
    x = p.block("x")
    p.set_objective(x.columns, [3, 1], sense="max")
    r = solve(p, "highs", opts, session=session)
    fresh = solve(p, "highs", opts)
    for res in (r, fresh):
        assert res.objective == pytest.approx(16.0, rel=OBJ_RTOL)
        assert res.values["x"].to_numpy() == pytest.approx([4.0, 4.0], abs=VALUE_ATOL)
        assert res.duals["plant"].to_numpy() == pytest.approx([1.5, 0.0, 0.5], abs=DUAL_ATOL)
    assert session.reloads == 1


def test_session_reloads_when_the_matrix_changes_and_after_infeasibility():
    """A new row (window <= 3) reloads the model: door 4, window 3, objective 27. A negative
    capacity makes it infeasible; restoring it gives the optimum again."""
    from planner.solver import SolverSession

    opts = SolveOptions(scale_objective=False)
    p = wyndor()
    session = SolverSession()
    solve(p, "highs", opts, session=session)
    x = p.block("x")
    p.add_constraints("cap_w", ["w"], [0], x.locate(["window"]), [1.0], "<=", 3.0)
    r = solve(p, "highs", opts, session=session)
    assert r.objective == pytest.approx(27.0, rel=OBJ_RTOL)
    assert session.reloads == 2
    p.set_rhs("plant", [-1.0, 12.0, 18.0])
    assert solve(p, "highs", opts, session=session).status is Status.INFEASIBLE
    p.set_rhs("plant", [4.0, 12.0, 18.0])
    r = solve(p, "highs", opts, session=session)
    assert r.status is Status.OPTIMAL
    assert r.objective == pytest.approx(27.0, rel=OBJ_RTOL)
    # backends without a persistent model ignore the session
    assert solve(p, "scipy", opts, session=session).objective == pytest.approx(27.0)


def test_highs_thread_count_may_change_between_solves():
    """HiGHS sizes a thread's scheduler at its first run; a later solve with another
    ``threads`` used to end in status error. Every count now solves Wyndor (objective 36)."""
    for threads in (None, 1, 2, 1, None):
        r = solve(wyndor(), "highs", SolveOptions(threads=threads))
        assert r.status is Status.OPTIMAL, (threads, r.solver_status)
        assert r.objective == pytest.approx(36.0, rel=OBJ_RTOL)


def test_milp_warm_start_incumbent():
    """Market split with a time limit of 1e-9 s: nothing can be searched, so a solution can
    only be the start itself (all x = 0, s_plus = rhs: objective = the sum of the rhs = 3056).
    Cold, the same limit leaves no solution at all, so the start is what the warm run returns.

    Checked: with ``_warm`` in planner/solver/highs.py made a no-op, the warm run ended
    time_limit_no_solution and this test failed (the old 0.05 s version still passed)."""
    from planner.solver import WarmStart

    p = market_split()
    rhs = p.family("split").rhs.copy()
    x0 = np.zeros(p.n_variables)
    x0[p.block("s_plus").columns] = rhs
    opts = SolveOptions(time_limit=1e-9)
    cold = solve(p, "highs", opts)
    assert cold.status is Status.TIME_LIMIT_NO_SOLUTION and not cold.has_solution
    r = solve(p, "highs", opts, start=WarmStart(x=x0, backend="highs"))
    assert r.status is Status.TIME_LIMIT_FEASIBLE
    assert r.objective == pytest.approx(float(rhs.sum())) and float(rhs.sum()) == 3056.0
    np.testing.assert_allclose(r.x, x0, atol=1e-9)
    assert "MIP start solution is feasible" in r.log
    assert r.max_violation <= 1e-9


# ---------------------------------------------------------------------------- risky branches
def _singleton_lp() -> Program:
    """min x + y s.t. x >= 2 ("need", a singleton row), x + y >= 1 ("cover"), x, y in [0, 9].

    Hand solution: x = 2, y = 0, objective 2; duals: need 1, cover 0; reduced costs (0, 1).
    """
    p = Program("singleton")
    v = p.add_variables("v", ["x", "y"], upper=9.0)
    p.add_constraints("need", ["n"], [0], [v.offset], [1.0], ">=", 2.0)
    p.add_constraints("cover", ["c"], [0, 0], v.columns, [1.0, 1.0], ">=", 1.0)
    p.set_objective(v.columns, [1.0, 1.0])
    return p


def test_pulp_dual_repair_moves_a_bound_dual_back_to_its_singleton_row():
    """CBC sometimes turns the singleton row x >= 2 into a bound and reports its dual (1) as
    x's reduced cost, the row dual 0. The repair moves it back: duals (1, 0), known answer.

    Checked: with the ``y[rows_hit] += ...`` line of _repair_duals removed, this failed
    (dual feasibility then fails and the duals came back None)."""
    from planner.solver.arrays import ProgramArrays
    from planner.solver.pulp_backend import _repair_duals

    arrays = ProgramArrays.from_program(_singleton_lp())
    x = np.array([2.0, 0.0])
    duals, note = _repair_duals(arrays, x, np.array([0.0, 0.0]))
    assert duals is not None
    np.testing.assert_allclose(duals, [1.0, 0.0], atol=DUAL_ATOL)
    assert "moved 1 dual(s)" in note
    # correct duals pass through untouched, with no note
    duals, note = _repair_duals(arrays, x, np.array([1.0, 0.0]))
    np.testing.assert_allclose(duals, [1.0, 0.0], atol=DUAL_ATOL)
    assert note == ""


def test_pulp_dual_repair_drops_duals_that_fail_dual_feasibility(monkeypatch):
    """Duals of the wrong sign for a >= row of a minimization (-1 on "cover") cannot be
    repaired: _repair_duals returns None, and through ``solve`` the result has no duals
    (duals_kind "none", every dual NaN) and the log says why.

    Checked: with the ``return None, ...`` branch of _repair_duals replaced by
    ``return y, note``, both halves failed (the bad duals were reported)."""
    import pulp

    from planner.solver.arrays import ProgramArrays
    from planner.solver.pulp_backend import _repair_duals

    arrays = ProgramArrays.from_program(_singleton_lp())
    duals, note = _repair_duals(arrays, np.array([2.0, 0.0]), np.array([1.0, -1.0]))
    assert duals is None and "fail dual feasibility; not reported" in note

    good = solve(_singleton_lp(), "pulp", SolveOptions(pulp_solver="PULP_CBC_CMD"))
    assert good.duals_kind == "lp"
    np.testing.assert_allclose(good.dual("need"), [1.0], atol=DUAL_ATOL)

    original = pulp.LpProblem.solve

    def corrupt(self, *args, **kwargs):  # what a broken solver build would hand back
        import warnings

        status = original(self, *args, **kwargs)
        with warnings.catch_warnings():  # PuLP 4.0 migration note on .constraints
            warnings.simplefilter("ignore", DeprecationWarning)
            for c in self.constraints.values():
                c.pi = -1.0
        return status

    monkeypatch.setattr(pulp.LpProblem, "solve", corrupt)
    r = solve(_singleton_lp(), "pulp", SolveOptions(pulp_solver="PULP_CBC_CMD"))
    assert r.status is Status.OPTIMAL and r.objective == pytest.approx(2.0, rel=OBJ_RTOL)
    assert r.duals_kind == "none"
    assert "fail dual feasibility; not reported" in r.log
    assert r.dual("need").isna().all() and r.dual("cover").isna().all()


def _infeasible_or_unbounded_mip() -> Program:
    """Integers a - b >= 1 and b - a >= 1 (they add up to 0 >= 2: infeasible), and an integer
    y >= a with cost -1 (unbounded if the rows could hold). HiGHS's MIP presolve stops at
    "infeasible or unbounded"; only a solve without presolve can say: infeasible."""
    p = Program("iou")
    x = p.add_variables("x", ["a", "b"], kind="integer")
    y = p.add_variables("y", ["free"], kind="integer")
    p.add_constraints("r", ["r1", "r2"], [0, 0, 1, 1], [0, 1, 0, 1], [1, -1, -1, 1], ">=", [1, 1])
    p.add_constraints("u", ["u"], [0, 0], [y.offset, x.offset], [1, -1], ">=", 0)
    p.set_objective([y.offset], [-1])
    return p


def test_highs_re_solves_without_presolve_to_tell_infeasible_from_unbounded():
    """Checked: with the ``return _without_presolve(...)`` of planner/solver/highs.py solve()
    removed, the status came back infeasible_or_unbounded and this failed."""
    from planner.solver import SolverSession

    r = solve(_infeasible_or_unbounded_mip(), "highs")
    assert r.status is Status.INFEASIBLE
    assert "re-solved without presolve" in r.log
    # the session path takes the same branch
    r = solve(_infeasible_or_unbounded_mip(), "highs", session=SolverSession())
    assert r.status is Status.INFEASIBLE
    # the same program without the two conflicting rows is unbounded (y grows with a)
    p = Program("unb")
    x = p.add_variables("x", ["a", "b"], kind="integer")
    y = p.add_variables("y", ["free"], kind="integer")
    p.add_constraints("u", ["u"], [0, 0], [y.offset, x.offset], [1, -1], "<=", 0)
    p.set_objective([y.offset], [-1])
    assert solve(p, "highs").status is Status.UNBOUNDED


def _random_lp(m: int = 300, n: int = 400, seed: int = 0) -> Program:
    rng = np.random.default_rng(seed)
    a = rng.uniform(0, 1, (m, n)) * (rng.uniform(size=(m, n)) < 0.3)
    q = Program("random_lp")
    y = q.add_variables("y", n, upper=10.0)
    rows, cols = np.nonzero(a)
    q.add_constraints("c", m, rows, cols, a[rows, cols], "<=", rng.uniform(1, 10, m))
    q.set_objective(y.columns, rng.uniform(1, 2, n), sense="max")
    return q


def test_lp_time_limit_is_never_a_false_optimum(backend_case):
    """An LP (300 rows, 400 columns) with a time limit of 1e-9 s, which no machine meets. The
    answer is a time-limit status, or, from a backend that finishes anyway (CBC's LP ignores
    the limit), "optimal" with the true optimum of a solve without a limit. An incumbent from
    a stopped LP must be feasible and no better than the optimum (a maximization).

    Checked: with "kTimeLimit" dropped from _limit_codes in planner/solver/highs.py (the
    stop then reads as an error), the highs case failed."""
    backend, opts = backend_case
    p = _random_lp()
    best = solve(p, backend, opts)
    assert best.status is Status.OPTIMAL
    ref = solve(p, "highs")  # a second backend agrees on the optimum
    assert best.objective == pytest.approx(ref.objective, rel=OBJ_RTOL)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an inaccurate stopped point may warn
        r = solve(p, backend, opts.with_(time_limit=1e-9))
    assert r.status in (Status.TIME_LIMIT_FEASIBLE, Status.TIME_LIMIT_NO_SOLUTION, Status.OPTIMAL)
    if r.status is Status.OPTIMAL:
        assert r.objective == pytest.approx(best.objective, rel=OBJ_RTOL)
    elif r.status is Status.TIME_LIMIT_FEASIBLE:
        assert r.max_violation <= 1e-6 and r.objective <= best.objective * (1 + OBJ_RTOL)
    else:
        assert not r.has_solution and math.isnan(r.objective)


@pytest.mark.parametrize(
    "pulp_solver",
    [
        "PULP_CBC_CMD",
        "HiGHS",
    ],
)
def test_pulp_prints_nothing_unless_verbose(pulp_solver):
    """Checked: with _make_solver sending CBC's output to the console (logPath None, msg True)
    the CBC case failed."""
    import subprocess
    import sys

    code = (
        "from conftest import wyndor\nfrom planner import solve\n"
        "from planner.solver import SolveOptions\n"
        f"r = solve(wyndor(), 'pulp', SolveOptions(pulp_solver={pulp_solver!r}))\n"
        "print(r.objective)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        cwd=str(__import__("pathlib").Path(__file__).parent),
    )
    assert out.stdout == "36.0\n"


@pytest.mark.parametrize("backend", ["highs", "scipy", "pulp"])
def test_a_program_without_variables(backend):
    """No variables: each row reads 0. With rows that hold at 0 (0 <= 3, 0 == 0) it is
    optimal at the objective's constant 2.5 with zero duals; a row 0 >= 1 makes it infeasible.
    Checked: before planner/solver/api.py decided this case itself, scipy's linprog refused
    the empty cost vector (ValueError) and CBC crashed (status error)."""
    p = Program("empty")
    none = np.zeros(0, dtype=int)
    p.add_constraints("holds", ["le", "eq"], none, none, np.zeros(0), ["<=", "=="], [3.0, 0.0])
    p.set_objective(none, np.zeros(0), constant=2.5)
    r = solve(p, backend)
    assert r.status is Status.OPTIMAL
    assert r.objective == pytest.approx(2.5)
    assert np.asarray(r.dual("holds"), dtype=float).tolist() == [0.0, 0.0]
    p.add_constraints("excludes_0", ["ge"], none, none, np.zeros(0), ">=", 1.0)
    assert solve(p, backend).status is Status.INFEASIBLE
