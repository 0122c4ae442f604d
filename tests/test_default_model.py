"""The joint MILP on the shipped dataset with MODEL.md's defaults (HiGHS, to optimality)."""

from __future__ import annotations

import numpy as np
import pytest

from formulations.problems import build_model
from planner.data.loaders import load_dataset
from planner.scenario import Scenario
from planner.solver import SolveOptions, Status, solve


@pytest.fixture(scope="module")
def solved():
    ds = load_dataset()
    sc = Scenario(name="default")
    model = build_model(ds, sc)
    res = solve(model.program, "highs", SolveOptions(time_limit=600, threads=2))
    return ds, sc, model, res, model.plan(res.x)


def test_joint_milp_solves_to_optimality(solved):
    _, sc, model, res, plan = solved
    assert model.problem == "joint_milp" and model.program.is_mip
    assert res.status is Status.OPTIMAL
    assert res.gap <= sc.solver.mip_gap + 1e-9
    t = plan.totals
    assert t["dependency_after"] < t["dependency_before"]
    assert t["total_cost"] <= sc.parameters.budget * (1 + 1e-9)
    assert "USA" in plan.members
    assert set(plan.roles[["CHN", "RUS"]]) == {"adversary"}


def test_plan_balances_and_obeys_tier_rules(solved):
    ds, sc, model, _res, plan = solved
    lk, dom = plan.links, plan.domestic
    # every candidate importer's demand is met: imports + domestic substitution = D
    supplied = lk.groupby(["importer", "sector"])["optimized"].sum()
    supplied = supplied.add(dom.set_index(["importer", "sector"])["optimized"], fill_value=0)
    demand = ds.demand()
    cand = demand.index.get_level_values(0).isin(plan.roles.index[plan.roles != "adversary"])
    assert np.allclose(supplied.reindex(demand[cand].index, fill_value=0), demand[cand], atol=1e-5)
    # full members cut adversary imports in incentivized sectors by at least r_inc
    adv = lk[lk["exporter"].isin(["CHN", "RUS"]) & lk["importer"].isin(plan.members)]
    by = adv.groupby(["importer", "sector"])[["baseline", "optimized"]].sum()
    tier = plan.tiers.reindex(by.index.get_level_values(1)).to_numpy()
    r = sc.parameters.incentivized_cut
    inc = tier == "incentivized"
    assert (by["optimized"][inc] <= (1 - r) * by["baseline"][inc] + 1e-5).all()
    assert (by["optimized"][tier == "open"] >= by["baseline"][tier == "open"] - 1e-5).all()
    # open share of candidates' trade
    v = model.instance.sector_volume
    open_share = v[(plan.tiers == "open").to_numpy()].sum() / v.sum()
    assert open_share >= sc.parameters.min_open_share - 1e-9


def test_top_k_limits_new_links_and_big_m_come_from_data():
    ds = load_dataset()
    full = build_model(ds, Scenario(name="all"))
    sc = Scenario.from_dict({"name": "top5", "parameters": {"top_k_new_suppliers": 5}})
    top = build_model(ds, sc)
    assert top.sizes()["candidate_links"] < full.sizes()["candidate_links"]
    inst = top.instance
    lk = inst.links
    new = lk.baseline == 0
    # every new link's exporter is among the 5 largest allowed exporters of its sector
    allowed = inst.candidate & inst.may_be_member  # ally-shoring: possible members only
    x = np.where(allowed[:, None], inst.exports, -1.0)
    fifth = -np.sort(-x, axis=0)[4]
    assert (inst.exports[lk.exporter[new], lk.sector[new]] >= fifth[lk.sector[new]]).all()
    # big-M terms: the tier-cut row's coefficient on y is max(r_inc, 1 - eps) a0[i,s]
    prog = full.program
    fam = prog.family("tier_rules_cut")
    a = prog.matrix()[fam.rows][:, prog.block("full_member").columns].toarray()
    labels = fam.labels
    a0 = ds.adversary_imports(["CHN", "RUS"])
    for k, (c, s) in enumerate(labels[:50]):
        col = prog.block("full_member").labels.get_loc(c)
        assert a[k, col] == pytest.approx(-max(0.5, 1.0 - 0.0) * a0.loc[(c, s)])
    assert np.abs(prog.matrix().data).max() < 1e8  # no global 1e9 anywhere
