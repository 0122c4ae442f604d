"""Dantzig-Wolfe (planner.solver.solve_decomposed) at its edges: an unbounded block, the
iteration limit and the time limit. Only the public signature is used (the internals of
planner/solver/decompose.py are being refactored)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from formulations import Program
from planner.solver import SolveError, SolveOptions, Status, solve, solve_decomposed
from tests.test_decompose import two_sectors
from tests.tolerances import OBJ_RTOL

OPTS = SolveOptions(scale_objective=False)


def many_sectors(ns: int = 6, k: int = 5, seed: int = 0, budget: float = 40.0) -> Program:
    """``ns`` sectors, each with demand 10 bought from an adversary (cost to the objective) or
    ``k`` allies (random capacity and price), one budget row linking them. Column generation
    needs 5 pricing rounds here (1 in phase 1, 4 in phase 2)."""
    rng = np.random.default_rng(seed)
    p = Program("many_sectors")
    labels = [f"{s}_{j}" for s in range(ns) for j in range(k + 1)]  # j = 0: the adversary
    x = p.add_variables("x", labels)
    rows, cols = np.repeat(np.arange(ns), k + 1), np.arange(ns * (k + 1))
    p.add_constraints("demand", [f"S{s}" for s in range(ns)], rows, cols, 1.0, "==", 10.0)
    ally = [s * (k + 1) + j for s in range(ns) for j in range(1, k + 1)]
    caps = rng.uniform(1, 5, len(ally))
    names = [labels[c] for c in ally]
    p.add_constraints("capacity", names, np.arange(len(ally)), ally, 1.0, "<=", caps)
    prices = rng.uniform(0.5, 3, len(ally))
    p.add_constraints("budget", ["total"], np.zeros(len(ally), int), ally, prices, "<=", budget)
    p.set_objective([s * (k + 1) for s in range(ns)], rng.uniform(0.5, 2, ns))
    assert x.size == len(labels)
    return p


def test_converged_run_matches_the_monolithic_optimum():
    """The reference for the limit tests: without limits the loop reaches HiGHS's optimum."""
    mono = solve(many_sectors(), "highs", OPTS)
    r = solve_decomposed(many_sectors(), ["budget"], OPTS, min_block_columns=1)
    assert r.status is Status.OPTIMAL
    assert r.objective == pytest.approx(mono.objective, rel=OBJ_RTOL)


def test_an_unbounded_block_is_an_error_naming_it():
    """Sector A gets a re-export column z (demand row: adv + ally - z = 10) worth -2 each in
    the objective: adv grows with z at +1, so every unit of z lowers the objective by 1 and
    block A is unbounded; the budget row never sees z. The monolithic LP says unbounded;
    column generation cannot proceed and must say why, not return a number.

    Checked: with the ``if out.status is Status.UNBOUNDED: raise SolveError`` branch of the
    block pricing in planner/solver/decompose.py removed, this failed (a generic "block LP
    failed" error, or a finite objective, instead of the unbounded block)."""
    p = two_sectors()
    p2 = Program("unbounded_block")
    x = p2.add_variables("x", ["adv_A", "ally_A", "adv_B", "ally_B", "z_A"])
    p2.add_constraints(
        "demand",
        ["A", "B"],
        [0, 0, 0, 1, 1],
        x.locate(["adv_A", "ally_A", "z_A", "adv_B", "ally_B"]),
        [1, 1, -1, 1, 1],
        "==",
        [10.0, 10.0],
    )
    p2.add_constraints(
        "capacity", ["A", "B"], [0, 1], x.locate(["ally_A", "ally_B"]), 1.0, "<=", [8.0, 10.0]
    )
    p2.add_constraints(
        "budget", ["total"], [0, 0], x.locate(["ally_A", "ally_B"]), [1.0, 2.0], "<=", 12.0
    )
    p2.set_objective(x.locate(["adv_A", "adv_B", "z_A"]), [1.0, 1.0, -2.0])
    assert p.n_variables == 4  # the bounded original, for contrast: it solves
    assert solve(p2, "highs", OPTS).status is Status.UNBOUNDED
    with pytest.raises(SolveError, match="unbounded"):
        solve_decomposed(p2, ["budget"], OPTS, min_block_columns=1)


def test_iteration_limit_in_phase_one_has_no_solution():
    """One pricing round ends in phase 1 (the linking rows not yet held): no point, never
    "optimal", objective NaN. Checked: with the limit check of the loop in
    planner/solver/decompose.py disabled (``max_iterations`` ignored) this failed (optimal)."""
    r = solve_decomposed(many_sectors(), ["budget"], OPTS, min_block_columns=1, max_iterations=1)
    assert r.status is Status.TIME_LIMIT_NO_SOLUTION
    assert not r.is_optimal and not r.has_solution and math.isnan(r.objective)


@pytest.mark.parametrize("rounds", [2, 3, 4])
def test_iteration_limit_in_phase_two_keeps_a_feasible_incumbent(rounds):
    """Stopped in phase 2 (fewer rounds than the 5 it needs): the master's point is feasible
    for the whole LP, marked time_limit_feasible (never optimal), and no better than the
    monolithic optimum (a minimization). Rounds 2 and 3 stop right after a round that added
    columns: before the master was re-solved over them at the stop, the point was read from
    weights that predate them (IndexError); that was the failure these cases caught."""
    mono = solve(many_sectors(), "highs", OPTS)
    r = solve_decomposed(
        many_sectors(), ["budget"], OPTS, min_block_columns=1, max_iterations=rounds
    )
    assert r.status is Status.TIME_LIMIT_FEASIBLE and not r.is_optimal
    assert r.max_violation <= 1e-6
    assert r.objective >= mono.objective * (1 - OBJ_RTOL)


def test_time_limit_stops_the_loop():
    """A time limit of 1e-9 s (met by no machine) stops the loop after its first round, in
    phase 1: no solution, never "optimal". Checked: with the ``seconds > limit`` test of the
    loop in planner/solver/decompose.py disabled this failed (optimal)."""
    r = solve_decomposed(
        many_sectors(), ["budget"], OPTS.with_(time_limit=1e-9), min_block_columns=1
    )
    assert r.status is Status.TIME_LIMIT_NO_SOLUTION
    assert not r.has_solution and math.isnan(r.objective)
    assert "stopped after 1 iterations" in r.solver_status or "stopped" in r.log
