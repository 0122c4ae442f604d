"""Raw solver options (``SolveOptions.solver_options``): passed through by the solver's own
names, checked before solving, carried by hashing and serialisation."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import wyndor
from test_decompose import two_sectors
from test_solvers import facility, knapsack
from tolerances import INTEGRAL_ATOL, OBJ_RTOL, VALUE_ATOL

from formulations import Program
from planner.errors import EXIT_BAD_INPUT, PlannerError
from planner.solver import (
    SolveOptions,
    SolverOptionError,
    Status,
    available_backends,
    solve,
    solve_decomposed,
)

HIGHS = pytest.mark.skipif("highs" not in available_backends(), reason="highspy missing")


def _wyndor_optimum(r) -> None:
    """Wyndor's hand solution: door 2, window 6, objective 36."""
    assert r.status is Status.OPTIMAL
    assert r.objective == pytest.approx(36.0, rel=OBJ_RTOL)
    assert r.values["x"].to_numpy() == pytest.approx([2.0, 6.0], abs=VALUE_ATOL)


# ---------------------------------------------------------------------- the option itself
def test_solver_options_are_a_checked_copy_hashed_and_serialised():
    raw = {"presolve": "off", "threads": np.int64(2)}
    opts = SolveOptions(solver_options=raw)
    raw["presolve"] = "on"  # the caller's dict does not leak in
    assert opts.solver_options == {"presolve": "off", "threads": 2}
    assert type(opts.solver_options["threads"]) is int
    assert SolveOptions().solver_options == {}
    same = SolveOptions(solver_options={"threads": 2, "presolve": "off"})
    assert opts == same and hash(opts) == hash(same)
    assert opts != SolveOptions() and hash(SolveOptions()) == hash(SolveOptions())
    assert opts.to_dict()["solver_options"] == {"presolve": "off", "threads": 2}
    assert opts.with_(time_limit=5.0).solver_options == opts.solver_options


@pytest.mark.parametrize("value", [[1, 2], None, {"a": 1}])
def test_solver_option_values_must_be_plain(value):
    with pytest.raises(SolverOptionError, match="'bad'") as info:
        SolveOptions(solver_options={"bad": value})
    assert isinstance(info.value, ValueError) and isinstance(info.value, PlannerError)
    assert info.value.exit_code == EXIT_BAD_INPUT


def test_solver_options_must_be_a_mapping_with_string_names():
    with pytest.raises(SolverOptionError, match="mapping"):
        SolveOptions(solver_options=["presolve"])  # type: ignore[arg-type]
    with pytest.raises(SolverOptionError, match="strings"):
        SolveOptions(solver_options={1: "x"})  # type: ignore[dict-item]


# ---------------------------------------------------------------------- HiGHS
@HIGHS
def test_highs_presolve_off_keeps_the_optimum_and_shows_in_the_log():
    r = solve(wyndor(), "highs", SolveOptions(solver_options={"presolve": "off"}))
    _wyndor_optimum(r)
    assert "solver_options passed to highs: presolve='off'" in r.log
    assert "without presolve" in r.log and "Presolving model" not in r.log
    assert "Presolving model" in solve(wyndor(), "highs").log


@HIGHS
def test_highs_unknown_option_is_refused_before_solving(tmp_path):
    log = tmp_path / "solver.log"
    opts = SolveOptions(solver_options={"no_such_option": 1}, log_file=log)
    with pytest.raises(SolverOptionError, match=r"no_such_option.*'highs'"):
        solve(wyndor(), "highs", opts)
    assert not log.exists()  # nothing was solved


@HIGHS
@pytest.mark.parametrize(("name", "value"), [("presolve", 3), ("threads", 2.5)])
def test_highs_option_of_the_wrong_type_is_refused(name, value):
    with pytest.raises(SolverOptionError, match=rf"HiGHS option '{name}'.*refuses"):
        solve(wyndor(), "highs", SolveOptions(solver_options={name: value}))


@HIGHS
def test_highs_options_are_checked_for_a_program_without_columns():
    with pytest.raises(SolverOptionError, match="no_such_option"):
        solve(Program("empty"), "highs", SolveOptions(solver_options={"no_such_option": 1}))


@HIGHS
def test_highs_session_and_decomposition_take_the_options():
    opts = SolveOptions(scale_objective=False, solver_options={"presolve": "off"})
    r = solve_decomposed(two_sectors(), ["budget"], opts, min_block_columns=1)
    assert r.status is Status.OPTIMAL
    assert r.objective == pytest.approx(10.0, rel=OBJ_RTOL)
    assert "solver_options passed to highs" in r.log
    with pytest.raises(SolverOptionError, match="no_such_option"):
        solve_decomposed(
            two_sectors(),
            ["budget"],
            SolveOptions(solver_options={"no_such_option": 1}),
            min_block_columns=1,
        )


@HIGHS
def test_highs_mip_option_applies_to_a_milp():
    r = solve(knapsack(), "highs", SolveOptions(solver_options={"mip_max_nodes": 1000}))
    assert r.status is Status.OPTIMAL
    assert r.objective == pytest.approx(23.0, abs=INTEGRAL_ATOL)


# ---------------------------------------------------------------------- scipy
@pytest.mark.parametrize("lp_method", ["auto", "simplex", "ipm"])
def test_scipy_linprog_takes_its_documented_options(lp_method):
    opts = SolveOptions(lp_method=lp_method, solver_options={"maxiter": 1000, "presolve": False})
    _wyndor_optimum(solve(wyndor(), "scipy", opts))


def test_scipy_unknown_option_names_the_option_and_the_method():
    with pytest.raises(SolverOptionError, match=r"no_such_option.*'scipy'"):
        solve(wyndor(), "scipy", SolveOptions(solver_options={"no_such_option": 1}))
    # an interior-point option is not one of the dual simplex's
    ipm_only = SolveOptions(lp_method="simplex", solver_options={"ipm_optimality_tolerance": 1e-8})
    with pytest.raises(SolverOptionError, match="highs-ds"):
        solve(wyndor(), "scipy", ipm_only)


def test_scipy_milp_options_and_the_fixed_integer_lp():
    """``node_limit`` is milp's; the LP of the fixed-integer duals leaves it out (logged)."""
    r = solve(facility(), "scipy", SolveOptions(solver_options={"node_limit": 1000}))
    assert r.status is Status.OPTIMAL
    assert r.objective == pytest.approx(17.0, abs=INTEGRAL_ATOL)
    assert r.duals_kind == "fixed_milp"
    with pytest.raises(SolverOptionError, match="milp has no option 'maxiter'"):
        solve(knapsack(), "scipy", SolveOptions(solver_options={"maxiter": 10}))


# ---------------------------------------------------------------------- PuLP
def test_pulp_cbc_takes_name_value_strings():
    from planner.solver import pulp_backend

    if "pulp" not in available_backends():  # pragma: no cover - pulp is a core dependency
        pytest.skip("pulp missing")
    opts = SolveOptions(pulp_solver="PULP_CBC_CMD", solver_options={"presolve": False})
    _wyndor_optimum(solve(wyndor(), "pulp", opts))
    import pulp

    from planner.solver.arrays import ProgramArrays

    arrays = ProgramArrays.from_program(wyndor())
    solver, _ = pulp_backend._make_solver(pulp, "PULP_CBC_CMD", arrays, opts, "log.txt")
    assert "presolve off" in solver.options


def test_pulp_solver_class_refusing_an_option_names_it():
    import pulp

    from planner.solver import pulp_backend
    from planner.solver.arrays import ProgramArrays

    arrays = ProgramArrays.from_program(wyndor())
    opts = SolveOptions(pulp_solver="GLPK_CMD", solver_options={"no_such_option": 1})
    with pytest.raises(SolverOptionError, match=r"GLPK_CMD.*no_such_option"):
        pulp_backend._make_solver(pulp, "GLPK_CMD", arrays, opts, "log.txt")
