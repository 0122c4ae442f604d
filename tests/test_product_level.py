"""The product-level tier problem (issue 15, item 6): the closed-form options, the Lagrangian
decomposition against brute force and the exact MILP, the BACI-shaped generator, bad inputs,
and the benchmark's quick mode."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import planner
from formulations.product_tiers import ProductTierError, tier_options
from planner.data import DataError
from planner.data.synthetic import ProductWorld, adversary_shares, synthetic_products
from planner.solver import (
    MCKPError,
    MCKPInfeasibleError,
    SolveOptions,
    Status,
    lagrangian_dual,
    solve,
    solve_mckp,
)

ROOT = Path(__file__).resolve().parents[1]


def tiny_world() -> ProductWorld:
    """USA (GDP 3) and DEU (GDP 1) full members, MEX an associate, CHN the adversary;
    premium 0.1, reshoring 0.5, headroom 0.25 in every product."""
    countries = pd.DataFrame(
        {
            "code": ["USA", "DEU", "MEX", "CHN"],
            "gdp": [3.0, 1.0, 1.0, 5.0],
            "regime": [0.9, 0.9, 0.45, 0.1],
            "adversary": [False, False, False, True],
        }
    )
    products = pd.DataFrame(
        {
            "product": ["P1", "P2", "P3"],
            "weight": [1.0, 1.0, 0.0],
            "premium": 0.1,
            "reshoring_cost": 0.5,
            "headroom": 0.25,
        }
    )
    links = pd.DataFrame(
        [
            ("USA", "CHN", "P1", 40.0),
            ("USA", "DEU", "P1", 60.0),
            ("DEU", "CHN", "P1", 10.0),
            ("DEU", "USA", "P1", 10.0),
            ("USA", "CHN", "P2", 30.0),
            ("DEU", "USA", "P2", 40.0),
            ("DEU", "MEX", "P2", 20.0),
            ("USA", "CHN", "P3", 50.0),
            ("USA", "DEU", "P3", 50.0),
        ],
        columns=["importer", "exporter", "product", "value"],
    )
    return ProductWorld.from_frames(countries, products, links, name="tiny")


def tiny_options():
    return tier_options(tiny_world(), ["USA", "DEU"], ["MEX"])


def test_tiny_options_are_the_hand_computed_closed_form():
    """ω = (USA 0.75, DEU 0.25), w̃ = (0.5, 0.5, 0).

    P1: a0 USA 40 / D 100, DEU 10 / D 20: DI share 0.5 (0.75·0.4 + 0.25·0.5) = 0.2125.
    Full members' spare: DEU 0.25·60 = 15, USA 0.25·10 = 2.5; neither may use its own.
    Restricted: cut 50, coalition supply 15 (to USA) + 2.5 (to DEU) = 17.5 at 0.1, 32.5 at
    home at 0.5: cost 18.0. Incentivized: cut 25 (20 + 5), same 17.5 supplied, 7.5 at home:
    5.5; reduction 0.10625.
    P2: only USA imports from CHN (30 of 30): DI share 0.5·0.75 = 0.375. The only full-member
    spare is USA's own (0.25·40 = 10), useless to USA: restricted costs 0.5·30 = 15.
    Incentivized adds MEX's spare 5: cut 15, 5 at 0.1 + 10 at 0.5 = 5.5.
    P3 has weight 0: restricting it costs 20 (12.5 from DEU) and takes nothing off DI.

    Checked: dropping the own-capacity term (flow = min(S, T)) gives P2 restricted cost 11.
    """
    o = tiny_options()
    assert o.tiers == ("open", "incentivized", "restricted")
    assert o.di_baseline == pytest.approx(0.5875)
    assert o.cost == pytest.approx(np.array([[0, 5.5, 18.0], [0, 5.5, 15.0], [0, 7.5, 20.0]]))
    assert o.reduction == pytest.approx(
        np.array([[0, 0.10625, 0.2125], [0, 0.1875, 0.375], [0, 0, 0]])
    )
    assert o.table.loc["P2", "spare_full"] == pytest.approx(10.0)
    assert o.table.loc["P2", "spare_coalition"] == pytest.approx(15.0)
    assert o.sizes == {"links": 9, "products": 3, "options": 9, "members": 2}


def test_tiny_decomposition_is_hand_solved():
    """Budget 20. Hull segments by DI per USD: P2 open→inc 0.1875/5.5 = 0.03409, P2
    inc→res 0.1875/9.5 = 0.01974, P1 open→inc 0.10625/5.5 = 0.01932, P1 inc→res 0.0085.
    The first two fill 15 of 20; P1's first segment needs 5.5: λ* = 0.10625/5.5 and the LP
    takes 5/5.5 of it, so the bound is 0.5875 - 0.375 - (5/5.5)·0.10625 = 0.115909...
    The best plan: P2 restricted alone (cost 15, DI 0.2125); P1 and P2 incentivized (11)
    give only 0.29375, P1 incentivized + P2 restricted costs 20.5. With budget 21 that pair
    fits: DI 0.10625.

    Checked: taking the critical segment into the λ* plan (``order[: t + 1]``, over budget)
    loses the optimum; sorting the segments by ratio ascending gives λ* = 0.01974.
    """
    world = tiny_world()
    r = planner.product_tiers(world, 20.0, members=["USA", "DEU"], associates=["MEX"])
    assert r.plan["tier"].tolist() == ["open", "restricted", "open"]
    assert r.totals["di_after"] == pytest.approx(0.2125)
    assert r.totals["cost"] == pytest.approx(15.0)
    assert r.price == pytest.approx(0.10625 / 5.5)
    assert r.bound == pytest.approx(0.5875 - 0.375 - 5 / 5.5 * 0.10625)
    assert r.gap == pytest.approx((0.2125 - r.bound) / 0.2125)
    assert r.solution.lp_value == pytest.approx(r.solution.bound)
    assert (r.totals["n_open"], r.totals["n_restricted"]) == (2, 1)
    r21 = planner.product_tiers(world, 21.0, members=["USA", "DEU"], associates=["MEX"])
    assert r21.plan["tier"].tolist() == ["incentivized", "restricted", "open"]
    assert r21.totals["di_after"] == pytest.approx(0.10625)
    r0 = planner.product_tiers(world, 0.0, members=["USA", "DEU"], associates=["MEX"])
    assert r0.totals["di_after"] == pytest.approx(0.5875) and r0.gap == 0.0


def _brute(cost: np.ndarray, value: np.ndarray, budget: float) -> float:
    """The optimum over every choice of one option per group (NaN options skipped)."""
    g, k = cost.shape
    combos = np.array(list(itertools.product(range(k), repeat=g)))
    rows = np.arange(g)
    c = cost[rows, combos].sum(axis=1)
    v = value[rows, combos].sum(axis=1)
    ok = np.isfinite(c) & (c <= budget)
    return float(v[ok].min())


@pytest.mark.parametrize("method", ["breakpoints", "bisection"])
def test_decomposition_against_brute_force_on_eight_products(method):
    """8 products, all 3^8 plans: the bound is below the optimum, the plan is feasible and
    within its own bound of the optimum, at budgets from nothing to everything.

    Checked: L(λ) without the ``- λ B`` term lies above the optimum; a fill that ignores
    the budget left (``dc <= left`` dropped) spends more than the budget.
    """
    world = synthetic_products(12, 8, critical_share=1.0, adversary_share=0.6, seed=4)
    o = tier_options(world, *world.default_coalition())
    assert (o.reduction[:, 2] > 0).sum() >= 5  # a real choice in most products
    top = o.cost.max(axis=1).sum()
    for share in (0.0, 0.05, 0.15, 0.3, 0.5, 0.8, 1.0):
        budget = share * top
        best = _brute(o.cost, o.value, budget)
        s = solve_mckp(o.cost, o.value, budget, method=method)
        rows = np.arange(len(s.choice))
        assert s.cost == pytest.approx(o.cost[rows, s.choice].sum()) and s.cost <= budget
        assert s.bound <= best + 1e-12
        assert s.value >= best - 1e-12
        assert s.value - best <= s.value - s.bound + 1e-12
        assert lagrangian_dual(o.cost, o.value, budget, s.price) == pytest.approx(s.bound)
        if method == "breakpoints":
            assert s.lp_value == pytest.approx(s.bound, abs=1e-12)


def test_generic_knapsack_with_missing_and_dominated_options():
    """Random groups with 4 options, some missing (NaN), negative values and costs, dominated
    options: brute force agrees; an unaffordable budget and bad shapes are refused.

    Checked: treating NaN options as cost 0 lets the plan pick a missing option.
    """
    rng = np.random.default_rng(7)
    for trial in range(20):
        cost = rng.uniform(-1, 10, (6, 4))
        value = rng.normal(0, 1, (6, 4))
        miss = rng.random((6, 4)) < 0.2
        miss[:, 0] = False
        cost[miss] = value[miss] = np.nan
        cheapest = np.nanmin(cost, axis=1).sum()
        for budget in (cheapest, cheapest + 5, cheapest + 20, cheapest + 60):
            best = _brute(cost, value, budget)
            s = solve_mckp(cost, value, budget)
            assert not miss[np.arange(6), s.choice].any(), trial
            assert s.cost <= budget + 1e-12
            assert s.bound <= best + 1e-9 <= s.value + 2e-9, trial
    with pytest.raises(MCKPInfeasibleError, match="below the cheapest"):
        solve_mckp(np.ones((3, 2)), np.zeros((3, 2)), 2.0)
    with pytest.raises(MCKPError, match="one shape"):
        solve_mckp(np.ones((3, 2)), np.zeros((3, 3)), 2.0)
    with pytest.raises(MCKPError, match="group 1 has no option"):
        gone = np.array([[0.0, 1.0], [np.nan, np.nan]])
        solve_mckp(gone, gone, 1.0)


def test_exact_milp_agrees_on_thirty_products():
    """The MILP of :meth:`TierOptions.program` (90 binaries, HiGHS) and the decomposition:
    the MILP optimum lies between the bound and the plan, at three budgets.

    Checked: giving the MILP the reductions with the wrong sign (maximising DI) breaks it.
    """
    world = synthetic_products(20, 30, critical_share=0.6, seed=2)
    members, associates = world.default_coalition()
    o = tier_options(world, members, associates)
    total = o.cost[:, 2].sum()
    for share in (0.02, 0.1, 0.3):
        budget = share * total
        r = planner.product_tiers(world, budget, members=members, associates=associates)
        p = o.program(budget)
        assert (p.n_variables, p.n_constraints) == (90, 31)
        m = solve(p, "highs", SolveOptions(mip_gap=1e-9, fixed_milp_duals=False))
        assert m.status is Status.OPTIMAL
        assert r.bound <= m.objective + 1e-9
        assert m.objective <= r.totals["di_after"] + 1e-9
        x = m.values["tier"].to_numpy().reshape(30, 3).round()
        assert (x.sum(axis=1) == 1).all() and (x * o.cost).sum() <= budget + 1e-6


def test_generator_shape_and_balancing_totals():
    """A third of the products have a large adversary share, few exporters dominate, most
    links are small, and the group sums balance: Σ links = Σ D = Σ X; links are unique.

    Checked: dropping the /100 on the adversaries' weak products makes every product
    adversary-heavy (the third fails).
    """
    world = synthetic_products(40, 300, seed=3)
    links = world.links
    assert {c: str(t) for c, t in links.dtypes.items()} == {
        "importer": "int32",
        "exporter": "int32",
        "product": "int32",
        "value": "float64",
    }
    assert not links.duplicated(["importer", "exporter", "product"]).any()
    assert (links["importer"] != links["exporter"]).all() and (links["value"] > 0).all()
    n = world.n_countries * world.n_products
    cell = links["importer"].to_numpy().astype(np.int64) * world.n_products + links["product"]
    demand = np.bincount(cell, weights=links["value"], minlength=n)
    cell_x = links["exporter"].to_numpy().astype(np.int64) * world.n_products + links["product"]
    exports = np.bincount(cell_x, weights=links["value"], minlength=n)
    assert demand.sum() == pytest.approx(links["value"].sum(), rel=1e-12)
    assert exports.sum() == pytest.approx(demand.sum(), rel=1e-12)
    assert links["value"].sum() == pytest.approx(2.0e7, rel=0.01)  # the world total, USD mn
    share = adversary_shares(world)
    large = share.to_numpy() > 0.1
    assert 0.25 <= large.mean() <= 0.42
    assert (large == world.products["adversary_strong"].to_numpy()).mean() >= 0.97
    x = links.groupby(["product", "exporter"])["value"].sum()
    leader = x.groupby(level=0).max() / x.groupby(level=0).sum()
    assert leader.median() > 0.2  # a few suppliers dominate each product
    assert links["value"].median() < links["value"].mean() / 10  # most pairs are small
    w = world.products["weight"]
    assert 0.1 < (w > 0).mean() < 0.3 and world.adversaries == ["AAA", "AAB"]
    assert world.products["product"].iloc[123] == "H000123"
    again = synthetic_products(40, 300, seed=3)
    pd.testing.assert_frame_equal(again.links, links)  # seeded


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"budget": -1.0}, "budget"),
        ({"budget": float("nan")}, "budget"),
        ({"members": ["USA", "XXX"]}, "members"),
        ({"members": ["USA", "CHN"]}, "members"),
        ({"members": []}, "members"),
        ({"associates": ["USA"]}, "associates"),
        ({"adversaries": ["ZZZ"]}, "adversaries"),
        ({"r_inc": 1.5}, "r_inc"),
        ({"r_inc": -0.1}, "r_inc"),
        ({"eps": 0.6}, "eps"),
        ({"beta": 1.0}, "beta"),
        ({"method": "simplex"}, "method"),
    ],
)
def test_bad_inputs_name_the_field_before_any_work(kwargs, field, monkeypatch):
    """Checked: moving the budget check after the build lets the sentinel fire first."""
    import planner.product_level as pl

    def sentinel(*a, **k):
        raise AssertionError("options were built before the inputs were checked")

    monkeypatch.setattr(pl, "tier_options", sentinel)
    args = {"budget": 10.0, "members": ["USA", "DEU"], "associates": ["MEX"], **kwargs}
    with pytest.raises(ProductTierError, match=rf"field '{field}'") as info:
        pl.product_tiers(tiny_world(), **args)
    assert info.value.key == field
    assert isinstance(info.value, planner.PlannerError) and info.value.exit_code == 2


def test_empty_products_and_bad_tables_are_refused():
    """No products, all weights zero, a link to an unknown code, reshoring below premium.

    Checked: without the weight check, DI divides by a zero total weight (a warning).
    """
    w = tiny_world()
    empty = ProductWorld(w.countries, w.products.iloc[:0], w.links.iloc[:0], "empty")
    with pytest.raises(ProductTierError, match="field 'products'"):
        planner.product_tiers(empty, 1.0, members=["USA"])
    zero = ProductWorld(w.countries, w.products.assign(weight=0.0), w.links, "zero")
    with pytest.raises(ProductTierError, match="field 'weight'"):
        planner.product_tiers(zero, 1.0, members=["USA"])
    bad = w.labelled_links().astype({"exporter": str})
    bad.loc[0, "exporter"] = "XYZ"
    with pytest.raises(DataError, match=r"links: column 'exporter': unknown codes \['XYZ'\]"):
        ProductWorld.from_frames(w.countries, w.products, bad)
    cheap = w.products.assign(reshoring_cost=0.05)
    with pytest.raises(DataError, match="reshoring_cost"):
        ProductWorld.from_frames(w.countries, cheap, w.labelled_links())


def test_benchmark_quick_runs_and_writes_its_json(tmp_path):
    """``benchmarks/product_level.py --quick`` (40 x 300): the decomposition's plan is within
    its bound of the MILP optimum at every budget, and the JSON has the figures.

    Checked: a benchmark that reports ``within_bound`` False (the comparison negated) fails.
    """
    r = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "product_level.py"),
            "--quick",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    data = json.loads((tmp_path / "product_level_quick.json").read_text())
    assert data["sizes"]["products"] == 300 and data["sizes"]["options"] == 900
    assert data["sizes"]["links"] > 10_000
    assert set(data["seconds"]) == {"generate", "build"}
    assert data["peak_rss_mb"]["end"] > 0
    for run in data["runs"]:
        assert run["milp"]["status"] == "optimal"
        assert run["milp"]["within_bound"] and run["milp"]["bound_below_milp"]
        for d in run["decomposition"].values():
            assert d["di_bound"] <= d["di_after"] and d["cost"] <= d["budget"] + 1e-9
    assert "worst proven gap" in r.stdout
