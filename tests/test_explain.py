"""Why the plan is what it is, in the user's terms: roles, ties, open sectors, flags.

Hand-solved on the tiny world (tests/tiny.py). With S1 incentivized, a full member must cut
its Chinese S1 imports by half and (budget ample) the plan cuts them all: DEU as a full member
brings its own dependency 0.8 to 0, so DEU as an associate or left out raises the DI by
50 * 0.8 / 170 = 40 / 170 (the DI optimum is unique; its cost is not, the tie-break being
below the solver's tolerance at this budget, so costs are checked under objective ``cost``).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from tiny import run, scenario, world

from formulations.problems import sourcing_lp
from planner.data.dataset import Dataset
from planner.interpreter import interpret
from planner.interpreter.explain import (
    BRIEF_ROLE_SOLVES,
    explain_plan,
    explanation_sections,
    explanations,
    flag_split,
    group_ties,
)
from planner.solver import solve


def _lp_di(ds, sc, members, associates, tiers) -> float:
    m = sourcing_lp(ds, sc, members, associates, tiers)
    r = solve(m.program)
    return float(m.evaluate(m.dependency_measure(), r.x)[0])


def test_role_reasons_are_the_re_solved_differences():
    sc = scenario(
        coalition={"choose_members": True},
        sectors={"tiers": {"S1": "incentivized"}},
        objective={"kind": "dependency"},
    )
    res, model, plan = run(sc)
    assert plan.roles["DEU"] == "member"
    it = interpret(model, res)
    t = explain_plan(it, depth="full")
    alt = t["role_alternatives"].loc["DEU"]
    assert alt.loc["associate", "d_dependency"] == pytest.approx(40 / 170, abs=1e-9)
    assert alt.loc["outside", "d_dependency"] == pytest.approx(40 / 170, abs=1e-9)
    # the same numbers from the sourcing LP rebuilt without DEU (the contribution machinery)
    tiers = {"S1": "incentivized"}
    ds = world()
    with_deu = _lp_di(ds, sc, ["DEU"], [], tiers)
    assert alt.loc["outside", "d_dependency"] == pytest.approx(
        _lp_di(ds, sc, [], [], tiers) - with_deu, abs=1e-9
    )
    assert alt.loc["associate", "d_dependency"] == pytest.approx(
        _lp_di(ds, sc, [], ["DEU"], tiers) - with_deu, abs=1e-9
    )
    reasons = t["role_reasons"]["reason"]
    assert reasons["DEU"].startswith(
        "DEU is a full member: as an associate, the dependency index would rise by 0.235"
    )
    assert reasons["USA"] == "USA is an anchor (coalition.anchors): a full member by the scenario."
    assert not reasons.str.contains("regime").any()  # eligibility is not a reason


def _twin_world() -> Dataset:
    """The tiny world with DEU's twin NLD (same GDP, regime and flows)."""
    countries = pd.DataFrame(
        {
            "iso3": ["USA", "DEU", "NLD", "MEX", "CHN"],
            "gdp": [100.0, 50.0, 50.0, 20.0, 80.0],
            "regime": [0.9, 0.8, 0.8, 0.4, 0.1],
        }
    )
    sectors = world().sectors.reset_index()
    flows = pd.DataFrame(
        [
            ("USA", "CHN", "S1", 100.0),
            ("USA", "DEU", "S1", 50.0),
            ("USA", "NLD", "S1", 50.0),
            ("DEU", "CHN", "S1", 40.0),
            ("NLD", "CHN", "S1", 40.0),
            ("DEU", "USA", "S1", 10.0),
            ("NLD", "USA", "S1", 10.0),
            ("MEX", "CHN", "S1", 10.0),
            ("USA", "MEX", "S2", 200.0),
        ],
        columns=["importer", "exporter", "sector", "value"],
    )
    return Dataset.from_frames(countries, sectors, flows, name="twins")


def test_twins_are_a_tie_and_tied_capacity_prices_are_not_ranked():
    sc = scenario(
        coalition={"choose_members": True},
        sectors={"tiers": {"S1": "incentivized"}},
        parameters={"budget": 40.0},
        objective={"kind": "dependency"},
    )
    res, model, plan = run(sc, _twin_world())
    assert plan.roles["DEU"] == plan.roles["NLD"] == "member"
    it = interpret(model, res)
    e = explanations(it, depth="full")
    alt = it.tables["role_alternatives"]
    for a in ("associate", "outside"):
        assert alt.loc[("DEU", a), "tie_group"] == alt.loc[("NLD", a), "tie_group"]
        assert alt.loc[("DEU", a), "d_dependency"] > 1e-3
    assert alt.loc[("DEU", "associate"), "tie_group"] != alt.loc[("DEU", "outside"), "tie_group"]
    assert any(s.startswith("Tied full members: DEU and NLD, as an associate") for s in e["ties"])
    # the budget binds: one more USD of S1 capacity saves reshoring (0.5) for sourcing (0.1),
    # so every exporter's capacity price is 0.4 times the budget's: one tied entry, not a rank
    sp = it.tables["shadow_prices"].set_index("family")
    cap, budget = sp.loc["capacity"], sp.loc["budget"]
    assert cap["dual"] == pytest.approx(0.4 * budget["dual"], rel=1e-6)
    assert sorted(cap["tied"]) == [("DEU", "S1"), ("NLD", "S1"), ("USA", "S1")]
    assert "are tied as the tightest bottlenecks (equal shadow prices)" in cap["sentence"]
    assert "Next comes" not in " ".join(sp["sentence"])


def test_group_ties_groups_equal_values_only():
    g = group_ties(pd.Series({"a": 1.0, "b": 1.0 + 1e-9, "c": 0.5, "d": 0.5 - 1e-3}))
    assert g["a"] == g["b"] and len({g["a"], g["c"], g["d"]}) == 3
    # no finite value (every alternative failed to solve): each NaN its own group, no crash
    assert group_ties(pd.Series({"x": np.nan, "y": np.nan})).tolist() == [0, 1]
    assert group_ties(pd.Series([], dtype=float)).tolist() == []


@pytest.mark.parametrize("choose_tiers", [True, False])
def test_open_sector_tiering_cost_and_gain(choose_tiers):
    """DEU an associate, objective cost with a slack target: S1 stays open (cost 0).
    Incentivized, USA replaces 50 of its 100 from China: DEU's room 17.5 at 0.1 and 32.5
    reshored at 0.5 cost 18 and USA's share falls from 2/3 to 1/3 (DI -100/170/3). Restricted,
    only full members may supply (ally-shoring): 100 reshored, 50, DI -100/170*2/3. With the
    tier fixed open by the scenario the sourcing LP is rebuilt (``dataset``)."""
    sc = scenario(
        coalition={"associates": ["DEU"]},
        sectors={"choose_tiers": choose_tiers, "tiers": {}},
    )
    res, model, plan = run(sc)
    assert plan.tiers["S1"] == "open"
    it = interpret(model, res)
    t = explain_plan(it, dataset=world(), depth="brief")
    alt = t["tier_alternatives"].loc["S1"]
    assert alt.loc["incentivized", "d_cost"] == pytest.approx(18.0, abs=1e-6)
    assert alt.loc["incentivized", "d_dependency"] == pytest.approx(-100 / 170 / 3, abs=1e-9)
    assert alt.loc["restricted", "d_cost"] == pytest.approx(50.0, abs=1e-6)
    assert alt.loc["restricted", "d_dependency"] == pytest.approx(-200 / 170 / 3, abs=1e-9)
    reason = t["tier_reasons"].loc["S1", "reason"]
    assert reason.startswith("S1 stays open: incentivizing it, the dependency index would fall")
    assert "the plan would cost USD 18.0 mn more" in reason
    assert t["tier_reasons"].loc["S2", "reason"].startswith("S2 stays open: its weight is 0")


def test_tiering_blocked_by_the_budget_names_the_key_and_value():
    sc = scenario(
        coalition={"associates": ["DEU"]},
        sectors={"choose_tiers": True, "tiers": {}},
        parameters={"budget": 5.0},
        objective={"kind": "dependency"},
    )
    res, model, _ = run(sc)
    it = interpret(model, res)
    alt = explain_plan(it)["tier_alternatives"].loc["S1"]
    assert (alt["status"] == "infeasible").all()
    assert list(alt["blocked_by"]) == ["parameters.budget", "parameters.budget"]
    assert "USD 18.0 mn is needed" in alt.loc["incentivized", "blocked_why"]
    assert "USD 50.0 mn is needed" in alt.loc["restricted", "blocked_why"]


def test_flags_split_into_critical_and_other_sectors_with_reasons():
    """All open (budget 5): USA, DEU and MEX are flagged in S1 (HHI 0.56, 0.68 and 1, most
    from China, the coalition importing 140 from outside against 80 of exports); USA and DEU
    in S2 (all from MEX, outside the coalition, which exports none)."""
    sc = scenario(coalition={"associates": ["DEU"]}, sectors={"tiers": {}})
    res, model, _ = run(sc)
    it = interpret(model, res)
    f = flag_split(it)
    assert f["critical"] == {"before": 3, "after": 3}
    assert f["other"] == {"before": 2, "after": 2}
    reasons = {(r["importer"], r["sector"]): r["reason"] for r in f["left"]}
    assert reasons == {
        ("USA", "S1"): "open tier",
        ("DEU", "S1"): "open tier",
        ("MEX", "S1"): "open tier",
        ("USA", "S2"): "weight 0",
        ("DEU", "S2"): "weight 0",
    }
    assert (
        "in the critical (weighted) sectors 3 importer-sector pairs before and 3 after"
        in (f["sentence"])
    )
    assert "2 in S2 (a sector of weight 0" in f["sentence"]
    titles = [t for t, _ in explanation_sections(it)]
    assert "Flagged dependencies the plan leaves" in titles


def test_default_run_explains_roles_tiers_and_flags(default_run):
    """The shipped default run (the session's one solve): every member and associate has a
    reason that is not its eligibility, the brief explanation stays a handful of re-solves,
    and the 15 flagged pairs are all in C13T15, a weight-0 sector the plan never touches."""
    s = json.loads((default_run.dir / "summary.json").read_text())
    e = s["explanations"]
    assert e["depth"] == "brief" and e["re_solves"] <= BRIEF_ROLE_SOLVES + 6
    assert set(e["roles"]) == set(s["members"]) | set(s["associates"])
    for country, r in e["roles"].items():
        assert "regime" not in r["reason"], country
    solved = [r for r in e["roles"].values() if r["basis"] == "re-solved"]
    assert solved and all("would" in r["reason"] for r in solved)
    f = e["flags"]
    assert f["critical"]["after"] == 0 and f["other"]["after"] == s["flagged_after"]
    assert {r["sector"] for r in f["left"]} == {"C13T15"}
    assert {r["reason"] for r in f["left"]} == {"weight 0"}
    assert "all 15 in C13T15 (a sector of weight 0" in f["sentence"]
    open_weighted = [k for k, v in e["tiers"].items() if v["tier"] == "open"]
    for sector in open_weighted:
        assert set(e["tiers"][sector]["alternatives"]) == {"incentivized", "restricted"}
