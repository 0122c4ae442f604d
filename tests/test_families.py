"""Known answers: every constraint family of MODEL.md on the tiny world (tests/tiny.py),
switched on and off, with the optimum worked out by hand in each test's comment."""

from __future__ import annotations

import pytest

from formulations.instance import FormulationError
from planner.solver import Status
from tests.tiny import DI0, run, scenario, world
from tests.tolerances import INTEGRAL_ATOL, OBJ_RTOL

approx = lambda v: pytest.approx(v, rel=OBJ_RTOL, abs=1e-7)  # noqa: E731


def cost(**sections):
    res, _model, plan = run(scenario(**sections))
    assert res.status is Status.OPTIMAL, res.status
    return res.objective, plan


# ---------------------------------------------------------------- 1 demand
def test_demand_forces_replacement():
    # S1 restricted, USA the only member: its 100 from CHN must go. With ally-shoring the only
    # other supplier, DEU, is outside, so all 100 is reshored at 0.5: cost 50.
    obj, plan = cost()
    assert obj == approx(50.0)
    assert plan.domestic.set_index("importer").loc["USA", "optimized"] == approx(100.0)
    # without the demand rows the imports can simply stop: cost 0
    obj, _ = cost(constraints={"demand": False})
    assert obj == approx(0.0)


# ---------------------------------------------------------------- 2 keep_baseline
def test_keep_baseline_freezes_non_members():
    # dependency objective: USA cuts CHN to 0 (restricted); DEU and MEX keep their baseline:
    # DI = (0 + 50 * 0.8 + 20 * 1) / 170 = 60 / 170
    res, _, plan = run(scenario(objective={"kind": "dependency"}))
    assert res.objective == approx(60 / 170)
    # switched off, DEU and MEX are planned too (no tier rule binds them, but the objective
    # wants them free of CHN): both reshore, DI = 0
    res, _, plan = run(
        scenario(objective={"kind": "dependency"}, constraints={"keep_baseline": False})
    )
    assert res.objective == approx(0.0)
    assert plan.totals["dependency_before"] == approx(DI0)


# ---------------------------------------------------------------- 3 capacity
def test_capacity_exports_and_output_basis():
    no_ally = {"ally_shoring": False}
    # DEU may sell 17.5 more (room 0.25 * 70) at 0.1; 82.5 reshored at 0.5: 1.75 + 41.25 = 43
    assert cost(parameters=no_ally)[0] == approx(43.0)
    # no capacity rows: DEU replaces all 100 at 0.1
    assert cost(parameters=no_ally, constraints={"capacity": False})[0] == approx(10.0)
    # output basis, GO[DEU,S1] = 200: cap = 70 + 0.25 * 200 = 120, room 50: 5 + 25 = 30
    res, _, plan = run(
        scenario(parameters={**no_ally, "capacity_basis": "output"}),
        world(output={("DEU", "S1"): 200.0}),
    )
    assert res.objective == approx(30.0)
    cap = plan.capacity.set_index(["exporter", "sector"]).loc[("DEU", "S1")]
    assert cap["capacity"] == approx(120.0) and cap["used"] == approx(120.0)


# ---------------------------------------------------------------- 4 ally_shoring
def test_ally_shoring_associates_only_outside_restricted():
    # on, DEU outside: 50 (test_demand). Off: 43 (test_capacity).
    # DEU associate, S1 incentivized: cut 50, DEU supplies 17.5: 1.75 + 32.5 * 0.5 = 18
    inc = {"tiers": {"S1": "incentivized"}}
    assert cost(coalition={"associates": ["DEU"]}, sectors=inc)[0] == approx(18.0)
    # restricted: associates may not supply, all 100 reshored
    assert cost(coalition={"associates": ["DEU"]})[0] == approx(50.0)
    # DEU full member, restricted: DEU must also cut its 40 (USA supplies 2.5 at 0.1, 37.5
    # reshored: 19) and USA buys 17.5 from DEU (43): 62
    obj, plan = cost(coalition={"members": ["DEU"]})
    assert obj == approx(62.0)
    # adversaries never get new sourcing
    lk = plan.links
    assert (
        lk.loc[lk["exporter"] == "CHN", "optimized"]
        <= lk.loc[lk["exporter"] == "CHN", "baseline"] + 1e-9
    ).all()


# ---------------------------------------------------------------- 5 tier_rules
def test_tier_rules():
    # incentivized, r = 0.5: cut 50, all reshored: 25; r = 0.8: 40; restricted eps = 0.2: 40
    assert cost(sectors={"tiers": {"S1": "incentivized"}})[0] == approx(25.0)
    assert cost(sectors={"tiers": {"S1": "incentivized"}}, parameters={"incentivized_cut": 0.8})[
        0
    ] == approx(40.0)
    assert cost(parameters={"restricted_residual": 0.2})[0] == approx(40.0)
    # off: nothing forced, cost 0
    assert cost(constraints={"tier_rules": False})[0] == approx(0.0)
    # S1 open with the dependency objective: the market as it is, DI = DI0; without tier
    # rules USA cuts anyway: 60 / 170
    dep = {"kind": "dependency"}
    res, _, _ = run(scenario(objective=dep, sectors={"tiers": {}}))
    assert res.objective == approx(DI0)
    res, _, _ = run(
        scenario(objective=dep, sectors={"tiers": {}}, constraints={"tier_rules": False})
    )
    assert res.objective == approx(60 / 170)


# ---------------------------------------------------------------- 6 export_controls
def test_export_controls_free_capacity():
    # DEU member, restricted. Off: 62 (above). On: DEU's 20 to CHN stop, DEU's room grows to
    # 37.5: USA pays 3.75 + 62.5 * 0.5 = 35, DEU 19: 54; 20 of exports lost
    obj, plan = cost(coalition={"members": ["DEU"]}, constraints={"export_controls": True})
    assert obj == approx(54.0)
    assert plan.totals["lost_exports"] == approx(20.0)
    # eps = 0.5 keeps half: room 27.5: USA 2.75 + 72.5 * 0.5 = 39; DEU 19: 58; lost 10
    obj, plan = cost(
        coalition={"members": ["DEU"]},
        constraints={"export_controls": True},
        parameters={"restricted_residual": 0.5},
    )
    # with eps = 0.5 the tier rule also only asks USA to cut to 50 and DEU to 20:
    # USA cuts 50: 27.5 * 0.1 + 22.5 * 0.5 = 14; DEU cuts 20: 0.25 + 17.5 * 0.5 = 9: 23
    assert obj == approx(23.0)
    assert plan.totals["lost_exports"] == approx(10.0)


# ---------------------------------------------------------------- 7 budget
def test_budget_limits_and_burden_sharing():
    # restricted needs 50; a budget of 30 is infeasible
    res, _, _ = run(scenario(parameters={"budget": 30.0}))
    assert res.status is Status.INFEASIBLE
    # incentivized, dependency objective, B = 35: 25 buys the required cut of 50, 10 more buys
    # 20 more; a[USA] = 30, dep 0.2: DI = (100 * 0.2 + 40 + 20) / 170
    res, _, plan = run(
        scenario(
            sectors={"tiers": {"S1": "incentivized"}},
            parameters={"budget": 35.0},
            objective={"kind": "dependency"},
        )
    )
    assert res.objective == approx(80 / 170)
    assert plan.totals["total_cost"] == approx(35.0)
    # burden sharing: USA + DEU members cost 43 + 19 = 62. B = 62: USA's share 100/150 * 62
    # = 41.3 < 43, infeasible; B = 64.5: USA's share is exactly 43
    mem = {"members": ["DEU"]}
    assert cost(coalition=mem, parameters={"budget": 62.0})[0] == approx(62.0)
    res, _, _ = run(scenario(coalition=mem, parameters={"budget": 62.0, "burden_sharing": True}))
    assert res.status is Status.INFEASIBLE
    assert cost(coalition=mem, parameters={"budget": 64.5, "burden_sharing": True})[0] == approx(
        62.0
    )


def test_burden_sharing_with_chosen_members():
    # coalition MILP, dependency objective: DEU joining cuts its 40 (DI 20/170) at total cost
    # 62. Burden sharing with B = 62 makes that infeasible, so DEU stays out: 60/170
    dep = {"kind": "dependency"}
    free = {"choose_members": True}
    res, _, plan = run(scenario(coalition=free, objective=dep, parameters={"budget": 62.0}))
    assert res.objective == pytest.approx(20 / 170, abs=INTEGRAL_ATOL)
    assert "DEU" in plan.members
    res, _, plan = run(
        scenario(coalition=free, objective=dep, parameters={"budget": 62.0, "burden_sharing": True})
    )
    assert res.objective == pytest.approx(60 / 170, abs=INTEGRAL_ATOL)
    assert "DEU" not in plan.members


# ---------------------------------------------------------------- 8 openness
def test_openness_volume_share_and_restricted_cap():
    # USA reshores 100 of its 350 of imports (28.6 %): delta 0.2 is infeasible, 0.3 is not
    res, _, _ = run(scenario(parameters={"max_volume_drop": 0.2}))
    assert res.status is Status.INFEASIBLE
    assert cost(parameters={"max_volume_drop": 0.3})[0] == approx(50.0)
    assert cost(parameters={"max_volume_drop": 0.3}, constraints={"openness": False})[0] == approx(
        50.0
    )
    res, _, _ = run(scenario(parameters={"max_volume_drop": 0.2}, constraints={"openness": False}))
    assert res.status is Status.OPTIMAL
    # open share: V_S1 = 210, V_S2 = 300. tau = 0.5 lets S1 be tiered (tier MILP), tau = 0.6
    # keeps S1 open
    tier_free = {"choose_tiers": True, "tiers": {}}
    dep = {"kind": "dependency"}
    res, _, plan = run(
        scenario(sectors=tier_free, objective=dep, parameters={"min_open_share": 0.5})
    )
    assert res.objective == pytest.approx(60 / 170, abs=INTEGRAL_ATOL)
    assert plan.tiers["S1"] != "open"
    res, _, plan = run(
        scenario(sectors=tier_free, objective=dep, parameters={"min_open_share": 0.6})
    )
    assert res.objective == pytest.approx(DI0, abs=INTEGRAL_ATOL)
    assert plan.tiers["S1"] == "open"
    # max_restricted = 0: S1 can still be incentivized (same DI with budget), never restricted
    res, _, plan = run(scenario(sectors={**tier_free, "max_restricted": 0}, objective=dep))
    assert res.objective == pytest.approx(60 / 170, abs=INTEGRAL_ATOL)
    assert plan.tiers["S1"] == "incentivized"


# ---------------------------------------------------------------- 9 coalition_shape
def test_coalition_shape():
    free = {"choose_members": True}
    dep = {"kind": "dependency"}
    # DEU joins as a full member and cuts its 40: DI = 20 / 170
    res, _, plan = run(scenario(coalition=free, objective=dep))
    assert res.objective == pytest.approx(20 / 170, abs=INTEGRAL_ATOL)
    assert set(plan.members) == {"USA", "DEU"}
    # full_threshold 0.85: DEU (0.8) can only be an associate: 60 / 170
    res, _, plan = run(scenario(coalition={**free, "full_threshold": 0.85}, objective=dep))
    assert res.objective == pytest.approx(60 / 170, abs=INTEGRAL_ATOL)
    assert "DEU" not in plan.members
    # max_size 1: USA alone
    res, _, plan = run(scenario(coalition={**free, "max_size": 1}, objective=dep))
    assert res.objective == pytest.approx(60 / 170, abs=INTEGRAL_ATOL)
    assert plan.members == ["USA"] and plan.associates == []
    # min_size 3: MEX must join, and only as an associate (regime 0.4)
    res, _, plan = run(scenario(coalition={**free, "min_size": 3}, objective=dep))
    assert plan.associates == ["MEX"]
    # GDP coverage 0.9 of 250 = 225 > 170 (all candidates): infeasible
    res, _, _ = run(scenario(coalition={**free, "min_gdp_share": 0.9}, objective=dep))
    assert res.status is Status.INFEASIBLE
    # shape off: MEX may be a full member too and cuts its 10: DI = 0
    res, _, plan = run(
        scenario(coalition=free, objective=dep, constraints={"coalition_shape": False})
    )
    assert res.objective == pytest.approx(0.0, abs=INTEGRAL_ATOL)


def test_anchor_below_threshold_is_named():
    with pytest.raises(FormulationError, match=r"coalition.anchors.*USA \(0.900\)"):
        run(scenario(coalition={"full_threshold": 0.95}))


# ---------------------------------------------------------------- 10 participation
def test_participation():
    free = {"choose_members": True}
    dep = {"kind": "dependency"}
    # DEU as a full member pays 19 and sells USA 17.5 more: alpha = 0.2 gains 3.5 < 19, so DEU
    # stays out (as an associate it may not supply the restricted sector): DI 60 / 170
    res, _, plan = run(scenario(coalition=free, objective=dep, constraints={"participation": True}))
    assert res.objective == pytest.approx(60 / 170, abs=INTEGRAL_ATOL)
    assert "DEU" not in plan.members
    # alpha = 2: 35 >= 19, DEU joins: 20 / 170
    res, _, plan = run(
        scenario(
            coalition=free,
            objective=dep,
            constraints={"participation": True},
            parameters={"participation_margin": 2.0},
        )
    )
    assert res.objective == pytest.approx(20 / 170, abs=INTEGRAL_ATOL)
    assert "DEU" in plan.members


# ---------------------------------------------------------------- 11 coercion
def test_coercion_cover():
    # DEU associate, incentivized. Off: 18 (test_ally_shoring). On: spare capacity of DEU
    # (17.5 - s) must cover USA's remaining CHN imports (100 - x): x >= 82.5 + s, cost
    # 0.5 x - 0.4 s is least at s = 0, x = 82.5: 41.25
    base = {"coalition": {"associates": ["DEU"]}, "sectors": {"tiers": {"S1": "incentivized"}}}
    assert cost(**base)[0] == approx(18.0)
    assert cost(**base, constraints={"coercion": True})[0] == approx(41.25)
    # with USA alone nobody has spare capacity: USA must cut all 100: 50
    assert cost(sectors={"tiers": {"S1": "incentivized"}}, constraints={"coercion": True})[
        0
    ] == approx(50.0)


# ---------------------------------------------------------------- capacity investment, beta
def test_capacity_investment_and_barrier_cut():
    base = {"coalition": {"associates": ["DEU"]}, "sectors": {"tiers": {"S1": "incentivized"}}}
    # new capacity at DEU costs 0.3 + premium 0.1 = 0.4 < 0.5 reshoring: 1.75 + 32.5 * 0.4
    obj, plan = cost(**base, constraints={"capacity_investment": True})
    assert obj == approx(14.75)
    assert plan.totals["investment_cost"] == approx(32.5 * 0.3)
    # barrier cut 0.5 halves the premium from coalition suppliers: 0.875 + 16.25
    assert cost(**base, parameters={"barrier_cut": 0.5})[0] == approx(17.125)


def test_barrier_cut_for_chosen_supplier_without_ally_shoring():
    # no ally-shoring, DEU's membership chosen, beta = 1: DEU outside sells its 17.5 at 0.1
    # (43 in all); as an associate (no own cuts) it sells at 0: 82.5 * 0.5 = 41.25
    obj, plan = cost(
        coalition={"choose_members": True},
        parameters={"ally_shoring": False, "barrier_cut": 1.0},
    )
    assert obj == pytest.approx(41.25, abs=INTEGRAL_ATOL)
    assert plan.roles["DEU"] == "associate"
    # beta = 0.5: 17.5 * 0.05 + 41.25 = 42.125
    obj, _ = cost(
        coalition={"choose_members": True},
        parameters={"ally_shoring": False, "barrier_cut": 0.5},
    )
    assert obj == pytest.approx(42.125, abs=INTEGRAL_ATOL)


# ---------------------------------------------------------------- indirect exposure
def test_indirect_exposure_prefers_clean_suppliers():
    # sigma[DEU,S1] = 40 / (70 + 50) = 1/3. Restricted, no ally-shoring, focal USA, dependency
    # objective. Direct measure with a cost tie-break: DEU supplies its 17.5 (cheaper).
    # Effective measure: DEU's supply carries 1/3 CHN content, so USA drops DEU as well and
    # reshores all 150 (cost 75): effective dependency 0.
    common = {
        "coalition": {"focal": ["USA"]},
        "parameters": {"ally_shoring": False},
    }
    res, _, plan = run(scenario(**common, objective={"kind": "dependency", "cost_tiebreak": 1e-3}))
    lk = plan.links.set_index(["importer", "exporter", "sector"])
    assert lk.loc[("USA", "DEU", "S1"), "optimized"] == approx(67.5)
    res, _, plan = run(
        scenario(
            **common, objective={"kind": "dependency"}, constraints={"indirect_exposure": True}
        )
    )
    assert res.objective == approx(0.0)
    lk = plan.links.set_index(["importer", "exporter", "sector"])
    assert lk.loc[("USA", "DEU", "S1"), "optimized"] == approx(0.0)
    assert plan.totals["total_cost"] == approx(75.0)
    assert plan.dependency.loc["USA", "effective_before"] == approx((100 + 50 / 3) / 150)


# ---------------------------------------------------------------- objectives
def test_minimax_and_cost_objectives():
    # members USA and DEU, S1 incentivized, budget 20: minimax evens out dependency.
    # Cost objective with a DI target: USA only, S1 incentivized. DI <= 70/170 needs
    # 100 * a[USA] / 150 <= 10, a[USA] <= 15: cut 85, reshored: 42.5
    res, _, _ = run(
        scenario(sectors={"tiers": {"S1": "incentivized"}}, objective={"target": 70 / 170})
    )
    assert res.objective == approx(42.5)
    # minimax with USA and DEU, restricted: both at 0
    res, _, plan = run(scenario(coalition={"members": ["DEU"]}, objective={"kind": "minimax"}))
    assert res.objective == approx(0.0)
    # incentivized, budget 30. Cutting c_U of USA's CHN imports costs 1.75 + 0.5 (c_U - 17.5)
    # (DEU's room first), c_D of DEU's 0.25 + 0.5 (c_D - 2.5): 0.5 (c_U + c_D) - 8 <= 30.
    # Equal dependency z: c_U = 100 - 150 z, c_D = 40 - 50 z, so 140 - 200 z <= 76: z = 0.32
    # (c_U = 52 >= 50 and c_D = 24 >= 20 meet the tier rule)
    res, _, plan = run(
        scenario(
            coalition={"members": ["DEU"]},
            sectors={"tiers": {"S1": "incentivized"}},
            parameters={"budget": 30.0},
            objective={"kind": "minimax"},
        )
    )
    dep = plan.dependency.loc[["USA", "DEU"], "after"]
    assert res.objective == approx(0.32)
    assert dep.to_numpy() == pytest.approx([0.32, 0.32], abs=1e-6)


# ---------------------------------------------------------------- every backend
def test_tiny_answers_on_every_backend(backend_case):
    """The same hand answers from HiGHS, scipy and PuLP (CBC and HiGHS through PuLP)."""
    from planner.solver import solve

    backend, opts = backend_case
    from formulations.problems import build_model

    # LP: test_capacity_dual's instance, DI with budget 20 (cut 54)
    lp = build_model(
        world(),
        scenario(
            coalition={"associates": ["DEU"]},
            sectors={"tiers": {"S1": "incentivized"}},
            parameters={"budget": 20.0},
            objective={"kind": "dependency"},
        ),
    )
    res = solve(lp.program, backend, opts)
    assert res.objective == approx((100 * 46 / 150 + 60) / 170)
    # MILP: test_coalition_shape, DEU joins: 20 / 170
    milp = build_model(
        world(), scenario(coalition={"choose_members": True}, objective={"kind": "dependency"})
    )
    res = solve(milp.program, backend, opts)
    assert res.objective == pytest.approx(20 / 170, abs=INTEGRAL_ATOL)
    assert "DEU" in milp.plan(res.x).members


# ---------------------------------------------------------------- strategic leveraging
def test_strategic_leveraging():
    # S1 incentivized, USA alone: cut 50 by reshoring costs 25. With leveraging in S1 at 0.2
    # per USD, up to 0.3 * 100 = 30 comes from a licensed plant: 30 * 0.2 + 20 * 0.5 = 16
    inc = {"tiers": {"S1": "incentivized"}, "leveraging": ["S1"]}
    assert cost(sectors=inc)[0] == approx(25.0)
    obj, plan = cost(sectors=inc, constraints={"strategic_leveraging": True})
    assert obj == approx(16.0)
    assert plan.partnership.set_index("importer").loc["USA", "optimized"] == approx(30.0)
    # restricted sectors admit no partnerships: 50 as before
    res_ = {"tiers": {"S1": "restricted"}, "leveraging": ["S1"]}
    assert cost(sectors=res_, constraints={"strategic_leveraging": True})[0] == approx(50.0)
