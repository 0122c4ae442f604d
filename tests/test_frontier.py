"""The cost-vs-dependency frontier on the tiny world (hand-derived points)."""

from __future__ import annotations

import pytest

from planner.frontiers import frontier
from tests.tiny import DI0, scenario, world


@pytest.mark.parametrize("warm_start", [True, False])
def test_frontier_points(warm_start):
    # USA only, S1 incentivized (cut >= 50), budget 100. Lowest DI: cut all 100 (cost 50),
    # DI = 60 / 170. Target k of 5 (k = 0..4) leaves a[USA] = 100 (1 - k/4): cut 25 k, cost
    # max(25, 12.5 k) because the tier rule forces 50.
    sc = scenario(sectors={"tiers": {"S1": "incentivized"}}, parameters={"budget": 100.0})
    df = frontier(world(), sc, points=5, warm_start=warm_start)
    assert df.attrs["dependency_min"] == pytest.approx(60 / 170, abs=1e-9)
    assert df.attrs["dependency_baseline"] == pytest.approx(DI0)
    assert list(df["status"]) == ["optimal"] * 5
    assert df["total_cost"].to_numpy() == pytest.approx([25, 25, 25, 37.5, 50], abs=1e-5)
    assert (df["dependency_index"] <= df["target"] + 1e-9).all()


def test_frontier_plot(tmp_path):
    from planner.interpreter.plots import plot_frontier

    sc = scenario(sectors={"tiers": {"S1": "incentivized"}}, parameters={"budget": 100.0})
    path = plot_frontier(frontier(world(), sc, points=3), tmp_path / "frontier.png")
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_joint_milp_frontier_warm_and_cold_agree():
    """Members and tiers chosen (a MILP per point): the warm-started points (each earlier
    optimum handed to HiGHS as an incumbent) cost the same as cold solves."""
    sc = scenario(
        coalition={"choose_members": True},
        sectors={"choose_tiers": True, "tiers": {}},
        parameters={"budget": 100.0},
    )
    warm = frontier(world(), sc, points=4, warm_start=True)
    cold = frontier(world(), sc, points=4, warm_start=False)
    assert list(warm["status"]) == ["optimal"] * 4
    assert warm["total_cost"].to_numpy() == pytest.approx(cold["total_cost"].to_numpy(), abs=1e-5)
    assert list(warm["members"]) == list(cold["members"])


def test_highs_frontier_turns_sub_mip_heuristics_off_unless_the_caller_sets_them(monkeypatch):
    """Every solve of the reuse frontier with HiGHS gets FRONTIER_HIGHS_OPTIONS under the
    caller's own raw options; other backends get the caller's options unchanged.

    No solve asks for duals (a frontier row reports none), and every row reports its gap.

    Checked: dropping the ``_frontier_options`` call in ``frontier`` fails the first assertion;
    merging the caller's options under the defaults (``{**mine, **DEFAULTS}``) fails the
    second; keeping ``fixed_milp_duals`` as the caller set it fails the duals assertion."""
    import planner.frontiers as fr
    from planner.solver import SolveOptions

    seen: list[tuple[str, dict]] = []
    duals: list[bool] = []
    real = fr.solve

    def spy(program, backend, options=None, **kw):
        seen.append((backend, dict(options.solver_options)))
        duals.append(options.fixed_milp_duals)
        return real(program, backend, options, **kw)

    monkeypatch.setattr(fr, "solve", spy)
    sc = scenario(sectors={"tiers": {"S1": "incentivized"}}, parameters={"budget": 100.0})
    mine = SolveOptions(solver_options={"mip_heuristic_run_rins": True})
    df = frontier(world(), sc, "highs", mine, points=3)
    assert df["total_cost"].to_numpy() == pytest.approx([25, 25, 50], abs=1e-5)
    assert len(seen) == 4  # the lowest-DI solve and 3 points
    expected = {**fr.FRONTIER_HIGHS_OPTIONS, "mip_heuristic_run_rins": True}
    assert all(b == "highs" and o == expected for b, o in seen)
    assert expected["mip_heuristic_run_rens"] is False  # a default the caller left alone
    assert duals == [False] * 4
    assert list(df.columns[-2:]) == ["gap", "best_bound"]
    assert df["best_bound"].to_numpy() == pytest.approx([25, 25, 50], abs=1e-5)
    seen.clear()
    frontier(world(), sc, "scipy", SolveOptions(), points=3)
    assert seen and all(b == "scipy" and o == {} for b, o in seen)
