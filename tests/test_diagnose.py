"""Elastic-mode diagnosis names the families and rows to relax, and by how much."""

from __future__ import annotations

import pytest
from conftest import wyndor
from tolerances import RELAX_ATOL

from formulations import Program
from planner.solver import Status, diagnose


def conflicting() -> Program:
    """cap: a + b <= 2 and need: a >= 3 (a, b >= 0): one unit short."""
    p = Program("conflict")
    x = p.add_variables("x", ["a", "b"])
    p.add_constraints("cap", ["total"], [0, 0], x.columns, [1, 1], "<=", 2)
    p.add_constraints("need", ["a_min"], [0], [x.offset], [1], ">=", 3)
    p.set_objective(x.columns, [1, 1])
    return p


def test_only_need_softened_names_need(backend_case):
    backend, opts = backend_case
    d = diagnose(conflicting(), families=["need"], backend=backend, options=opts)
    assert d.status is Status.OPTIMAL and not d.feasible
    assert list(d.by_family.index) == ["need"]
    row = d.relaxations.iloc[0]
    assert (row.family, row.label, row.direction) == ("need", "a_min", "lower rhs")
    assert row.relax_by == pytest.approx(1.0, abs=RELAX_ATOL)
    assert d.total == pytest.approx(1.0, abs=RELAX_ATOL)
    assert "need" in d.explain()


def test_only_cap_softened_names_cap(backend_case):
    backend, opts = backend_case
    d = diagnose(conflicting(), families=["cap"], backend=backend, options=opts)
    row = d.relaxations.iloc[0]
    assert (row.family, row.label, row.direction) == ("cap", "total", "raise rhs")
    assert row.relax_by == pytest.approx(1.0, abs=RELAX_ATOL)


def test_one_family_may_be_named_by_a_plain_string():
    d = diagnose(conflicting(), families="need")
    assert list(d.by_family.index) == ["need"]
    assert d.total == pytest.approx(1.0, abs=RELAX_ATOL)


def test_relaxations_are_ordered_by_size():
    p = Program("two_gaps")
    x = p.add_variables("x", ["a", "b"], upper=[1.0, 1.0])
    p.add_constraints("need", ["small", "large"], [0, 1], x.columns, [1, 1], ">=", [1.5, 4.0])
    p.set_objective(x.columns, [1, 1])
    d = diagnose(p)
    assert list(d.relaxations["label"]) == ["large", "small"]
    assert list(d.relaxations["relax_by"]) == pytest.approx([3.0, 0.5], abs=RELAX_ATOL)
    assert d.by_family["need"] == pytest.approx(3.5, abs=RELAX_ATOL)


def test_feasible_program_needs_nothing():
    d = diagnose(wyndor())
    assert d.feasible and d.relaxations.empty
    assert "nothing needs relaxing" in d.explain()


def test_conflict_outside_softened_families():
    p = Program("bounds")
    x = p.add_variables("x", ["a"], upper=1.0)
    p.add_constraints("need", ["n"], [0], [x.offset], [1], ">=", 3)
    p.add_constraints("other", ["o"], [0], [x.offset], [1], "<=", 5)
    p.set_objective(x.columns, [1])
    d = diagnose(p, families=["other"])
    assert d.status is Status.INFEASIBLE
    assert "other families or in the variable bounds" in d.explain()


def test_unknown_family_is_named():
    with pytest.raises(KeyError, match="no constraint family 'nope'"):
        diagnose(conflicting(), families=["nope"])


def test_weights_steer_the_relaxation():
    """Both families may bend by one unit; the heavier penalty makes the other one bend."""
    d = diagnose(conflicting(), families=["need", "cap"], weights={"cap": 10.0})
    assert list(d.by_family.index) == ["need"]
    d = diagnose(conflicting(), families=["need", "cap"], weights={"need": 10.0})
    assert list(d.by_family.index) == ["cap"] and d.total == pytest.approx(1.0, abs=RELAX_ATOL)
    with pytest.raises(KeyError, match="not among the families"):
        diagnose(conflicting(), families=["need"], weights={"cap": 1.0})


# ---------------------------------------------------------------- in scenario keys (tiny world)
def _diagnosis(**sections):
    from tiny import scenario, world

    from formulations.problems import build_model
    from planner.interpreter import diagnose_scenario

    model = build_model(world(), scenario(**sections))
    return model, diagnose_scenario(model)


def _structural_never_offered(model, d) -> None:
    from formulations.families import RELAXATIONS

    families = {c["family"] for c in d.conflicts}
    assert families <= set(RELAXATIONS)
    assert not families & {"one_role", "one_tier", "demand", "capacity", "keep_baseline"}
    if model.problem in ("coalition_milp", "joint_milp"):
        assert "one_role" in model.program.families  # there, and still never offered


def test_max_size_too_small_for_the_gdp_share():
    """GDP USA 100, DEU 50, MEX 20, CHN 80 (250): a 0.6 share needs 150, USA and DEU, so
    max_size = 1 (USA, the anchor) is one short; or the share must fall to 100 / 250 = 0.4."""
    model, d = _diagnosis(
        coalition={"choose_members": True, "max_size": 1, "min_gdp_share": 0.6},
        sectors={"tiers": {}},
    )
    by_key = {c["key"]: c for c in d.conflicts}
    assert set(by_key) == {"coalition.max_size", "coalition.min_gdp_share"}
    assert by_key["coalition.max_size"]["needed"] == 2
    assert by_key["coalition.min_gdp_share"]["needed"] == pytest.approx(0.4, abs=1e-9)
    assert all(c["alone"] for c in d.conflicts)
    text = d.explain()
    assert (
        "coalition.max_size = 1 is too small: 2 members are needed to meet "
        "coalition.min_gdp_share = 0.6." in text
    )
    assert "coalition.min_gdp_share = 0.6 is too large: it would have to be at most 0.4" in text
    assert "one_role" not in text and "raise rhs" not in text
    _structural_never_offered(model, d)


def test_budget_too_small_for_the_dependency_target():
    """Objective cost, S1 incentivized, USA alone: USA must keep at most a of its 100 from
    China with DI = (100 a / 150 + 60) / 170 <= 0.5, so a <= 37.5: 62.5 reshored at 0.5 cost
    31.25 > 30. Or, with 30, 60 reshored, a = 40: DI = (26.67 + 60) / 170 = 0.5098."""
    model, d = _diagnosis(
        sectors={"tiers": {"S1": "incentivized"}},
        parameters={"budget": 30.0},
        objective={"kind": "cost", "target": 0.5},
    )
    by_key = {c["key"]: c for c in d.conflicts}
    assert set(by_key) == {"parameters.budget", "objective.target"}
    assert by_key["parameters.budget"]["needed"] == pytest.approx(31.25, abs=1e-6)
    assert by_key["parameters.budget"]["unit"] == "USD mn"
    assert by_key["objective.target"]["needed"] == pytest.approx((40 / 1.5 + 60) / 170, abs=1e-9)
    assert "parameters.budget = 30 is too small: USD 31." in d.explain()
    assert "to meet objective.target = 0.5" in d.explain()
    _structural_never_offered(model, d)


def test_restricted_sector_over_budget_names_the_budget_alone():
    """tiny's BASE: S1 restricted, USA alone; ally-shoring leaves only reshoring (0.5) for its
    100 from China: 50 needed against a budget of 1."""
    model, d = _diagnosis(parameters={"budget": 1.0})
    assert d.keys == ["parameters.budget"]
    assert d.conflicts[0]["needed"] == pytest.approx(50.0, abs=1e-6)
    assert d.explain().endswith("parameters.budget = 1 is too small: USD 50.0 mn is needed.")
    _structural_never_offered(model, d)


def test_no_policy_family_means_no_policy_advice():
    """A program without policy families: the diagnosis says so and offers no row."""
    from planner.interpreter.explain import policy_conflicts

    out = policy_conflicts(conflicting(), instance=None)
    assert len(out) == 1 and out[0]["key"] is None
    assert out[0]["sentence"].startswith("No policy key can make the scenario feasible")
