"""Dantzig-Wolfe decomposition: hand-solved block LPs, and exact against the monolithic solve."""

from __future__ import annotations

import numpy as np
import pytest
from tolerances import DUAL_ATOL, OBJ_RTOL, VALUE_ATOL

from formulations import Program
from planner.solver import SolveOptions, Status, block_structure, solve, solve_decomposed


def two_sectors(budget: float = 12.0, sense: str = "min") -> Program:
    """Two sectors, each with demand 10 bought from an adversary (free) or an ally (USD 1 per
    unit in A, 2 in B; ally capacity 8 in A, 10 in B); one budget row links them.

    min adv_A + adv_B (dependency). With budget 12: ally_A = 8 (USD 8), ally_B = 2 (USD 4),
    objective 2 + 8 = 10. Duals d obj/d rhs: budget -1/2 (a dollar buys half a unit in B),
    demand A and B +1, capacity A -1/2 (a unit more in A frees USD 1 for half a unit in B),
    capacity B 0.
    """
    p = Program("two_sectors")
    x = p.add_variables("x", ["adv_A", "ally_A", "adv_B", "ally_B"])
    p.add_constraints(
        "demand",
        ["A", "B"],
        [0, 0, 1, 1],
        x.locate(["adv_A", "ally_A", "adv_B", "ally_B"]),
        1.0,
        "==",
        [10.0, 10.0],
    )
    p.add_constraints(
        "capacity", ["A", "B"], [0, 1], x.locate(["ally_A", "ally_B"]), 1.0, "<=", [8.0, 10.0]
    )
    p.add_constraints(
        "budget", ["total"], [0, 0], x.locate(["ally_A", "ally_B"]), [1.0, 2.0], "<=", budget
    )
    sign = 1.0 if sense == "min" else -1.0
    p.set_objective(x.locate(["adv_A", "adv_B"]), sign, sense)
    return p


def test_block_structure_finds_the_two_sectors():
    s = block_structure(two_sectors(), ["budget"], min_block_columns=1)
    assert s.n_blocks == 2
    assert sorted(sorted(c.tolist()) for c in s.block_cols) == [[0, 1], [2, 3]]
    assert sorted(sorted(r.tolist()) for r in s.block_rows) == [[0, 2], [1, 3]]
    assert s.linking_rows.tolist() == [4]
    # packed: two components of 2 columns fill one block of at least 4
    assert block_structure(two_sectors(), "budget", min_block_columns=4).n_blocks == 1


@pytest.mark.parametrize("sense", ["min", "max"])
def test_hand_solved_two_sectors(sense):
    opts = SolveOptions(scale_objective=False)
    r = solve_decomposed(two_sectors(sense=sense), ["budget"], opts, min_block_columns=1)
    sign = 1.0 if sense == "min" else -1.0
    assert r.status is Status.OPTIMAL
    assert r.objective == pytest.approx(sign * 10.0, rel=OBJ_RTOL)
    assert r.values["x"].to_numpy() == pytest.approx([2.0, 8.0, 8.0, 2.0], abs=VALUE_ATOL)
    assert r.dual("budget").to_numpy() == pytest.approx([sign * -0.5], abs=DUAL_ATOL)
    assert r.dual("demand").to_numpy() == pytest.approx([sign, sign], abs=DUAL_ATOL)
    assert r.dual("capacity").to_numpy() == pytest.approx([sign * -0.5, 0.0], abs=DUAL_ATOL)
    assert r.solver_name == "HiGHS (Dantzig-Wolfe)" and "Dantzig-Wolfe: 2 blocks" in r.log
    mono = solve(two_sectors(sense=sense), "highs", opts)
    assert r.objective == pytest.approx(mono.objective, rel=OBJ_RTOL)


def test_linking_rows_that_cannot_hold_are_infeasible():
    p = two_sectors()
    x = p.block("x")
    p.add_constraints(
        "ally_floor", ["total"], [0, 0], x.locate(["ally_A", "ally_B"]), 1.0, ">=", 19.0
    )
    r = solve_decomposed(p, ["budget", "ally_floor"], min_block_columns=1)
    assert r.status is Status.INFEASIBLE and not r.has_solution
    assert "phase 1" in r.log
    assert solve(p, "highs").status is Status.INFEASIBLE  # capacity 8 + 10 < 19


def test_an_infeasible_block_is_infeasible():
    p = two_sectors()
    p.set_rhs("capacity", [-1.0, 10.0])
    assert solve_decomposed(p, ["budget"], min_block_columns=1).status is Status.INFEASIBLE


def test_integer_programs_and_unknown_families_are_refused():
    p = two_sectors()
    with pytest.raises(KeyError, match="no constraint family 'budgets'"):
        solve_decomposed(p, ["budgets"])
    p.add_variables("y", ["open"], kind="binary")
    with pytest.raises(ValueError, match="LPs only"):
        solve_decomposed(p, ["budget"])


@pytest.mark.parametrize(("budget", "workers"), [(100.0, 1), (100.0, 2), (5e4, 1)])
def test_exact_on_the_coalition_sourcing_lp(budget, workers):
    """A synthetic 40-country, 20-sector world with members and tiers fixed: the sectors are
    linked by the budget and import-volume rows only. Column generation reaches the monolithic
    optimum (budget binding at USD 100 mn, slack at 50 bn), with the same budget dual."""
    from benchmarks.synthetic import synthetic_dataset
    from formulations.problems import sourcing_lp
    from planner.scenario import Scenario

    ds = synthetic_dataset(40, 20, 0.1, critical_share=0.4, adversary_share=1 / 3)
    sc = Scenario.from_dict(
        {
            "name": "w",
            "coalition": {"adversaries": ["AAA", "AAB"], "anchors": ["AAC"]},
            "parameters": {"budget": budget},
        }
    )
    members = [c for c, r in ds.countries["regime"].items() if r >= 0.6 and c not in ("AAA", "AAB")]
    tiers = {k: "incentivized" for k, w in ds.sectors["weight"].items() if w > 0}
    model = sourcing_lp(ds, sc, members, tiers=tiers)
    mono = solve(model.program, "highs")
    dw = solve_decomposed(
        model.program, ["budget", "openness_volume"], min_block_columns=1, workers=workers
    )
    assert dw.status is Status.OPTIMAL
    # DI is a share in [0, 1]: agreement to 1e-8 is within both solves' tolerances
    assert dw.objective == pytest.approx(mono.objective, abs=1e-8)
    assert dw.max_violation <= 1e-6
    assert dw.dual("budget").to_numpy() == pytest.approx(
        mono.dual("budget").to_numpy(), rel=1e-5, abs=1e-12
    )
    cost = float(model.evaluate("total_cost", dw.x)[0])
    assert cost <= budget * (1 + 1e-9)
    if budget == 100.0:
        assert cost == pytest.approx(100.0, rel=1e-7)
        assert np.all(dw.dual("budget").to_numpy() < 0)
    # eight critical sectors: eight blocks
    assert "Dantzig-Wolfe: 8 blocks" in dw.log
