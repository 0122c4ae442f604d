"""The sourcing LP's duals against finite differences and hand-derived shadow prices."""

from __future__ import annotations

import numpy as np
import pytest

from formulations.problems import build_model
from planner.solver import SolveOptions, Status, solve
from tests.tiny import run, scenario, world
from tests.tolerances import DUAL_ATOL, OBJ_RTOL

# DEU associate, S1 incentivized, budget 20, dependency objective. USA buys DEU's 17.5 of room
# (1.75) and reshores the rest: 1.75 + 0.5 (c - 17.5) = 20 gives a cut c = 54. One more USD mn
# of budget cuts 2 more, and DI falls by (100 / 170) * 2 / 150.
SC = dict(
    coalition={"associates": ["DEU"]},
    sectors={"tiers": {"S1": "incentivized"}},
    parameters={"budget": 20.0},
    objective={"kind": "dependency"},
)
BUDGET_DUAL = -(100 / 170) * 2 / 150
# one more USD mn of DEU's capacity replaces reshoring (0.5) by imports (0.1): 0.4 saved buys
# 0.8 more cut
CAPACITY_DUAL = -(100 / 170) * 0.8 / 150


def test_budget_dual_matches_hand_value_and_finite_difference():
    res, _model, plan = run(scenario(**SC))
    assert res.status is Status.OPTIMAL and res.duals_kind == "lp"
    assert plan.totals["dependency_after"] == pytest.approx(
        (100 * (100 - 54) / 150 + 40 + 20) / 170, rel=OBJ_RTOL
    )
    assert res.dual("budget").iloc[0] == pytest.approx(BUDGET_DUAL, abs=DUAL_ATOL)
    # budget + 1 in the scenario: the objective moves by the dual
    res1, _, _ = run(scenario(**{**SC, "parameters": {"budget": 21.0}}))
    assert res1.objective - res.objective == pytest.approx(BUDGET_DUAL, rel=1e-6)


def test_capacity_dual():
    res, _model, _ = run(scenario(**SC))
    cap = res.dual("capacity")
    assert cap.loc[("DEU", "S1")] == pytest.approx(CAPACITY_DUAL, abs=DUAL_ATOL)


@pytest.mark.parametrize("family", ["budget", "capacity", "demand", "tier_rules_cut"])
def test_every_row_dual_is_a_finite_difference(family):
    """Central differences on each row's right-hand side through Program.set_rhs (no rebuild)."""
    model = build_model(world(), scenario(**SC))
    program = model.program
    opts = SolveOptions()
    base = solve(program, "highs", opts)
    duals = base.dual(family)
    fam = program.family(family)
    rhs0 = fam.rhs.copy()
    h = 1e-3
    for k in range(fam.size):
        rhs = rhs0.copy()
        rhs[k] += h
        program.set_rhs(family, rhs)
        up = solve(program, "highs", opts).objective
        rhs[k] -= 2 * h
        program.set_rhs(family, rhs)
        down = solve(program, "highs", opts).objective
        program.set_rhs(family, rhs0)
        fd = (up - down) / (2 * h)
        assert np.isfinite(fd)
        assert duals.iloc[k] == pytest.approx(fd, abs=1e-6), (family, fam.labels[k])
