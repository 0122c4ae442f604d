"""Brute force: on random small worlds, the MILPs' optima equal the best sourcing LP over every
membership (full / associate / out) and tier assignment."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from formulations.problems import coalition_milp, joint_milp, sourcing_lp, tier_milp
from formulations.sets import TIERS
from planner.data.dataset import Dataset
from planner.scenario import Scenario
from planner.solver import SolveOptions, Status, solve
from tests.tolerances import INTEGRAL_ATOL

OPTS = SolveOptions(mip_gap=0.0, fixed_milp_duals=False)


def random_world(seed: int, n_candidates: int) -> Dataset:
    """n_candidates candidates (the first the anchor AAA) + adversary ZZZ, three sectors."""
    rng = np.random.default_rng(seed)
    codes = [f"{c}{c}{c}" for c in "ABCDE"[:n_candidates]] + ["ZZZ"]
    regime = np.concatenate([[0.9], rng.choice([0.8, 0.7, 0.65, 0.45], n_candidates - 1), [0.1]])
    countries = pd.DataFrame(
        {"iso3": codes, "gdp": rng.uniform(10, 100, len(codes)).round(1), "regime": regime}
    )
    sectors = pd.DataFrame(
        {
            "sector": ["S1", "S2", "S3"],
            "weight": [1.0, 0.5, 0.0],
            "headroom": rng.uniform(0.1, 0.6, 3).round(2),
            "premium": rng.uniform(0.05, 0.3, 3).round(2),
            "reshoring_cost": [0.5, 0.6, 0.4],
        }
    )
    rows = []
    for i, j, s in itertools.product(codes, codes, ["S1", "S2", "S3"]):
        if i != j and rng.random() < 0.7:
            big = 3.0 if j == "ZZZ" else 1.0
            rows.append((i, j, s, float(rng.uniform(1, 50) * big)))
    flows = pd.DataFrame(rows, columns=["importer", "exporter", "sector", "value"])
    return Dataset.from_frames(countries, sectors, flows, name=f"random{seed}")


def base(budget: float, constraints: dict, parameters: dict) -> Scenario:
    return Scenario.from_dict(
        {
            "name": "brute",
            "coalition": {"adversaries": ["ZZZ"], "anchors": ["AAA"]},
            "parameters": {
                "budget": budget,
                "max_volume_drop": 0.3,
                "min_open_share": 0.3,
                **parameters,
            },
            "constraints": constraints,
            "objective": {"kind": "dependency", "cost_tiebreak": 0.0},
        }
    )


def roles_of(ds: Dataset, sc: Scenario) -> list[list[str]]:
    """Allowed roles per non-anchor candidate (eligibility by regime)."""
    out = []
    for c, r in ds.countries["regime"].items():
        if c in ("AAA", "ZZZ"):
            continue
        opts = ["out"]
        if r >= sc.coalition.associate_threshold:
            opts.append("associate")
        if r >= sc.coalition.full_threshold:
            opts.append("member")
        out.append([(c, o) for o in opts])
    return out


def best_lp(ds, sc, memberships, tierings) -> float:
    best = np.inf
    for roles in memberships:
        members = [c for c, o in roles if o == "member"]
        assoc = [c for c, o in roles if o == "associate"]
        for tiers in tierings:
            m = sourcing_lp(ds, sc, members, assoc, dict(tiers))
            assert not m.program.is_mip
            r = solve(m.program, "highs", OPTS)
            if r.status is Status.OPTIMAL:
                best = min(best, r.objective)
            else:
                assert r.status is Status.INFEASIBLE, r.status
    return best


CASES = [
    (11, 4, 40.0, {"export_controls": True}, {}),
    (12, 5, 80.0, {"participation": True}, {"participation_margin": 0.5}),
    (14, 5, 200.0, {"coercion": True, "export_controls": True}, {"coercion_cover": 0.3}),
    (15, 4, 60.0, {"capacity_investment": True}, {"ally_shoring": False, "barrier_cut": 0.5}),
]


@pytest.mark.parametrize(("seed", "n", "budget", "constraints", "parameters"), CASES)
def test_milps_match_enumeration(seed, n, budget, constraints, parameters):
    ds = random_world(seed, n)
    sc = base(budget, constraints, parameters)
    memberships = list(itertools.product(*roles_of(ds, sc)))
    tierings = [
        list(zip(["S1", "S2", "S3"], t, strict=True)) for t in itertools.product(TIERS, repeat=3)
    ]
    best = best_lp(ds, sc, memberships, tierings)
    assert np.isfinite(best), "no feasible assignment: the case tests nothing"

    r = solve(joint_milp(ds, sc).program, "highs", OPTS)
    assert r.status is Status.OPTIMAL
    assert r.objective == pytest.approx(best, abs=INTEGRAL_ATOL)

    # tier MILP for the first membership, coalition MILP for the first tiering (all open)
    roles = memberships[-1]
    members = [c for c, o in roles if o == "member"]
    assoc = [c for c, o in roles if o == "associate"]
    best_t = best_lp(ds, sc, [roles], tierings)
    r = solve(tier_milp(ds, sc, members, assoc).program, "highs", OPTS)
    if np.isfinite(best_t):
        assert r.objective == pytest.approx(best_t, abs=INTEGRAL_ATOL)
    else:
        assert r.status is Status.INFEASIBLE
    tiers = {"S1": "restricted", "S2": "incentivized", "S3": "open"}
    best_c = best_lp(ds, sc, memberships, [list(tiers.items())])
    r = solve(coalition_milp(ds, sc, tiers).program, "highs", OPTS)
    if np.isfinite(best_c):
        assert r.objective == pytest.approx(best_c, abs=INTEGRAL_ATOL)
    else:
        assert r.status is Status.INFEASIBLE
