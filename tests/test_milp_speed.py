"""MILP speed work (issue 15), correctness only: the tier-cut hull rows are valid and tighten the
LP relaxation, and ``solver.decompose`` gives the direct optimum. No timed assertions (the
figures are in benchmarks/milp_speed.py)."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest
from tolerances import OBJ_RTOL

from formulations.problems import build_model, linking_families, sourcing_lp
from planner.scenario import Scenario, load_scenario, load_scenario_dataset
from planner.solver import SolveOptions, Status, highs, solve
from planner.solver.arrays import ProgramArrays
from tests.tiny import scenario, world

HULL = "tier_rules_cut_hull"


def _lp_bound(program) -> float:
    """The LP relaxation's optimum (integrality dropped)."""
    arr = ProgramArrays.from_program(program)
    lp = replace(arr, integrality=np.zeros_like(arr.integrality))
    out = highs.solve(lp, SolveOptions())
    assert out.status is Status.OPTIMAL
    return out.objective


def _joint(**over: dict) -> Scenario:
    # DEU may join (full or associate); S1 chosen; dependency objective; a budget that binds
    sections = {
        "coalition": {"choose_members": True},
        "sectors": {"choose_tiers": True, "tiers": {}},
        "parameters": {"budget": 3.0, "incentivized_cut": 0.5, "restricted_residual": 0.0},
        "objective": {"kind": "dependency", "cost_tiebreak": 0.0},
    }
    for name, values in over.items():
        sections[name] = {**sections.get(name, {}), **values}
    return scenario(**sections)


def test_hull_row_coefficients_are_min_of_the_cuts_times_a0():
    """cut >= m a0 (y + t_inc + t_res - 1), m = min(r_inc, 1 - eps), only where y is chosen."""
    model = build_model(world(), _joint())
    p = model.program
    fam = p.family(HULL)
    assert list(fam.labels) == [("DEU", "S1")]  # USA is an anchor (y fixed), MEX cannot be full
    a = p.matrix()[fam.rows].toarray()[0]
    y = p.block("full_member").locate(["DEU"])[0]
    tiers = p.block("tier")
    t_inc = tiers.locate([("S1", "incentivized")])[0]
    t_res = tiers.locate([("S1", "restricted")])[0]
    a0 = 40.0  # DEU <- CHN in S1
    assert a[[y, t_inc, t_res]] == pytest.approx([-0.5 * a0] * 3)
    assert fam.rhs[0] == pytest.approx(-0.5 * a0)
    # with r_inc above 1 - eps the smaller one, 1 - eps, is the coefficient
    p2 = build_model(
        world(), _joint(parameters={"incentivized_cut": 0.9, "restricted_residual": 0.3})
    ).program
    a2 = p2.matrix()[p2.family(HULL).rows].toarray()[0]
    assert a2[y] == pytest.approx(-0.7 * a0)


def test_sourcing_lp_has_no_hull_rows():
    """With y and t fixed the hull row is implied row by row: not added (duals stay whole)."""
    model = sourcing_lp(world(), _joint(), members=["DEU"], tiers={"S1": "incentivized"})
    assert HULL not in model.program.families


@pytest.mark.parametrize("budget", [1.0, 3.0, 8.0])
def test_hull_rows_keep_the_optimum_and_tighten_the_relaxation(budget):
    sc = _joint(parameters={"budget": budget})
    p = build_model(world(), sc).program
    plain = p.without([HULL])
    assert HULL in p.families and HULL not in plain.families
    assert plain.n_constraints == p.n_constraints - p.family(HULL).size
    with_hull, without = solve(p, "highs"), solve(plain, "highs")
    assert with_hull.status is without.status is Status.OPTIMAL
    assert with_hull.objective == pytest.approx(without.objective, rel=OBJ_RTOL)
    lp_with, lp_without = _lp_bound(p), _lp_bound(plain)
    # a relaxation bound: never above the optimum; the hull rows never loosen it
    assert lp_without <= lp_with + 1e-12 <= with_hull.objective + 1e-9


def test_linking_families_follow_the_enabled_constraints():
    base = _joint()
    m = sourcing_lp(world(), base, members=["DEU"], tiers={"S1": "incentivized"})
    assert linking_families(m.program) == ["budget", "openness_volume"]
    part = replace(base, constraints=replace(base.constraints, participation=True))
    m2 = sourcing_lp(world(), part, members=["DEU"], tiers={"S1": "incentivized"})
    assert "participation" in linking_families(m2.program)


def _decomposed(sc: Scenario) -> Scenario:
    return replace(sc, solver=replace(sc.solver, decompose=True))


def test_decompose_on_a_milp_is_an_error_naming_the_key():
    from formulations.instance import FormulationError

    with pytest.raises(FormulationError, match=r"solver\.decompose"):
        build_model(world(), _decomposed(_joint()))


def test_decomposed_sourcing_lp_equals_the_direct_one_tiny():
    sc = _joint(parameters={"budget": 100.0})
    direct = sourcing_lp(world(), sc, members=["DEU"], tiers={"S1": "incentivized"})
    dw = sourcing_lp(world(), _decomposed(sc), members=["DEU"], tiers={"S1": "incentivized"})
    assert dw.program.metadata["decompose"] == ["budget", "openness_volume"]
    r0, r1 = solve(direct.program, "highs"), solve(dw.program, "highs")
    assert r0.status is r1.status is Status.OPTIMAL
    assert r1.solver_name == "HiGHS (Dantzig-Wolfe)" and "solver.decompose" in r1.log
    assert r1.objective == pytest.approx(r0.objective, rel=1e-6)


def test_decomposed_sourcing_lp_equals_the_direct_one_shipped_data():
    """The D-TEP core's anchors with three sectors tiered, on the shipped dataset."""
    sc = load_scenario("scenarios/default.toml")
    sc = replace(sc, solver=replace(sc.solver, backend="highs"))
    ds = load_scenario_dataset(sc)
    tiers = {"C26": "restricted", "C21": "incentivized", "C20": "incentivized"}
    direct = sourcing_lp(ds, sc, members=[], tiers=tiers)
    dw = sourcing_lp(ds, _decomposed(sc), members=[], tiers=tiers)
    r0 = solve(direct.program, "highs", SolveOptions(threads=1))
    r1 = solve(dw.program, "pulp", SolveOptions(threads=1))  # decompose runs HiGHS anyway
    assert r0.status is r1.status is Status.OPTIMAL
    assert "backend 'pulp' not used" in r1.log
    blocks = int(re.search(r"Dantzig-Wolfe: (\d+) blocks", r1.log).group(1))
    assert blocks > 1  # the sectors fall apart once the cross-sector rows link them
    assert r1.objective == pytest.approx(r0.objective, rel=1e-6)
