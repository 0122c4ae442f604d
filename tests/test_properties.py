"""Property tests: over random small worlds and scenarios, every run ends in exactly one of
(a) a solution that ``planner verify`` accepts, (b) an infeasibility that ``diagnose`` explains
by naming families to relax, (c) a clear input error naming a key. Never an uncaught
exception, never an unverifiable solution, never "optimal" from a stopped run."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from formulations.instance import FormulationError
from planner.data.dataset import Dataset
from planner.runs import run_scenario
from planner.scenario import Scenario, ScenarioError
from planner.solver import Status, diagnose, solve
from planner.verify import verify_run

CODES = ["AAA", "BBB", "CCC", "DDD", "EEE", "FFF", "ZZZ"]


@st.composite
def worlds(draw):
    n = draw(st.integers(3, 6))
    codes = [*CODES[: n - 1], "ZZZ"]
    sectors = ["S1", "S2", "S3"][: draw(st.integers(1, 3))]
    regime = (
        [0.9] + [draw(st.sampled_from([0.8, 0.65, 0.5, 0.35, 0.1])) for _ in codes[1:-1]] + [0.1]
    )
    gdp = [draw(st.floats(1.0, 1000.0)) for _ in codes]
    weights = [draw(st.sampled_from([0.0, 0.5, 1.0])) for _ in sectors]
    # 19 worlds in 20 have a critical sector (w_s > 0)
    if draw(st.sampled_from(range(20))) != 7:
        weights[0] = draw(st.sampled_from([0.5, 1.0]))
    flows = []
    for i in codes:
        for j in codes:
            for s in sectors:
                if i != j and draw(st.booleans()):
                    flows.append((i, j, s, draw(st.floats(1e-3, 1e3))))
    if not flows:
        flows.append(("AAA", "ZZZ", sectors[0], 10.0))
    countries = pd.DataFrame({"iso3": codes, "gdp": gdp, "regime": regime})
    sec = pd.DataFrame(
        {
            "sector": sectors,
            "weight": weights,
            "headroom": [draw(st.sampled_from([0.0, 0.1, 0.5])) for _ in sectors],
            "premium": [draw(st.sampled_from([0.0, 0.05, 0.3])) for _ in sectors],
            "reshoring_cost": [draw(st.sampled_from([0.2, 0.5, 1.0])) for _ in sectors],
        }
    )
    fl = pd.DataFrame(flows, columns=["importer", "exporter", "sector", "value"])
    return Dataset.from_frames(countries, sec, fl, name="random")


def _members(draw, ds: Dataset) -> list[str]:
    """Up to two fixed members among the countries that may be full members (regime score at
    least the default full_threshold 0.6); one case in 20 also draws from every country, so
    the input error that names coalition.members stays exercised."""
    inner = ds.countries.iloc[1:-1]
    pool = list(inner.index[inner["regime"] >= 0.6])
    if draw(st.sampled_from(range(20))) == 7:
        pool = list(inner.index)
    return [c for c in pool if draw(st.booleans())][:2]


@st.composite
def scenarios(draw, ds: Dataset):
    sectors = list(ds.sectors.index)
    switches = {
        k: draw(st.booleans())
        for k in (
            "keep_baseline",
            "capacity",
            "tier_rules",
            "export_controls",
            "budget",
            "openness",
            "coalition_shape",
            "participation",
            "coercion",
            "indirect_exposure",
            "capacity_investment",
        )
    }
    tiers = {
        s: draw(st.sampled_from(["restricted", "incentivized", "open"]))
        for s in sectors
        if draw(st.booleans())
    }
    return {
        "name": "prop",
        "coalition": {
            "adversaries": ["ZZZ"],
            "anchors": ["AAA"],
            "choose_members": draw(st.booleans()),
            "members": _members(draw, ds),
            "min_size": draw(st.integers(1, 3)),
            "max_size": draw(st.integers(3, 6)),
            "min_gdp_share": draw(st.sampled_from([0.0, 0.2, 0.6])),
        },
        "sectors": {"choose_tiers": draw(st.booleans()), "tiers": tiers},
        "parameters": {
            "budget": draw(st.sampled_from([0.0, 1.0, 50.0, 1e4])),
            "max_volume_drop": draw(st.sampled_from([0.0, 0.05, 0.5])),
            "min_open_share": draw(st.sampled_from([0.0, 0.5, 0.9])),
            "incentivized_cut": draw(st.sampled_from([0.2, 0.5])),
            "restricted_residual": draw(st.sampled_from([0.0, 0.3])),
            "barrier_cut": draw(st.sampled_from([0.0, 0.5])),
            "ally_shoring": draw(st.booleans()),
            "coercion_cover": draw(st.sampled_from([0.1, 1.0])),
            "top_k_new_suppliers": draw(st.sampled_from([0, 1, 2])),
            "burden_sharing": draw(st.booleans()),
        },
        "constraints": switches,
        "objective": {
            "kind": draw(st.sampled_from(["dependency", "minimax", "cost"])),
            "target": draw(st.sampled_from([0.0, 0.2, 0.8])),
        },
        "solver": {"time_limit": 60.0},
    }


def _property_test(max_examples: int):
    """The property over ``max_examples`` derandomized cases, counting the outcomes in the
    test itself (so a run alone or under -k checks them too)."""
    outcomes = {"verified": 0, "diagnosed": 0, "input_error": 0}

    @settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def prop(data):
        outcomes[check_one_case(data)] += 1

    prop()
    return outcomes


def _check_outcomes(outcomes: dict[str, int], n: int) -> None:
    """Verified and diagnosed outcomes both occur, and input errors (which prove nothing about
    the solver) stay a small share: at most 20 % of the cases. The generator draws a critical
    sector and eligible members (0 input errors in 300 cases today; 161, 54 %, before it did;
    the default suite runs 100 cases, `pytest -m slow` 5,000);
    the input-error messages are checked case by case in tests/test_reliability.py."""
    print(f"property outcomes: {outcomes}")
    total = sum(outcomes.values())
    assert total >= n // 2, outcomes  # hypothesis ran (shrinking aside) about n cases
    assert outcomes["verified"] >= total // 10 and outcomes["diagnosed"] >= total // 50, outcomes
    assert outcomes["input_error"] <= 0.2 * total, outcomes


def test_every_run_verifies_or_is_diagnosed_or_is_an_input_error():
    """Checked: (1) with verify_run (planner/verification/api.py) returning a report with
    ok=False the property failed on the first verified case; (2) with the generator's members
    drawn from every country again (54 % input errors) the input-error bound failed;
    (3) with HiGHS's LP objective scaled by 1 + 1e-3 in planner/solver/highs.py the
    second-backend comparison failed."""
    _check_outcomes(_property_test(100), 100)


@pytest.mark.slow
def test_many_more_cases():
    """The same property over 5,000 cases (``pytest -m slow``; about 8 minutes)."""
    _check_outcomes(_property_test(5000), 5000)


def check_one_case(data) -> str:
    """Draw a world and a scenario, run it, check the outcome is one of the three; return it."""
    ds = data.draw(worlds())
    raw = data.draw(scenarios(ds))
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        ddir = d / "data"
        ddir.mkdir()
        ds.countries.reset_index().to_csv(ddir / "countries.csv", index=False)
        ds.sectors.reset_index().to_csv(ddir / "sectors.csv", index=False)
        ds.flows.to_csv(ddir / "flows.csv", index=False)
        raw["data"] = {"path": str(ddir)}
        try:
            sc = Scenario.from_dict(raw, source="generated")
            outcome = run_scenario(sc, d / "run", plots=False)
        except (ScenarioError, FormulationError) as exc:
            assert exc.key and str(exc.key) in str(exc)
            return "input_error"
        status = outcome.result.status
        assert status in (Status.OPTIMAL, Status.INFEASIBLE), status
        if status is Status.OPTIMAL:
            r = outcome.result
            if r.is_mip and np.isfinite(r.best_bound):  # proven optimal, to the solver's gaps
                obj = abs(r.objective)
                slack = max(sc.solver.mip_gap * obj, 1e-6 * max(1.0, obj))
                gap = abs(r.objective - r.best_bound)
                assert gap <= slack, (r.objective, r.best_bound)
            elif not r.is_mip and outcome.model.program.n_variables > 0:
                # an LP: "optimal" must be the optimum, not just feasible; scipy agrees
                other = solve(outcome.model.program, "scipy")
                assert other.status is Status.OPTIMAL, other.status
                assert r.objective == pytest.approx(other.objective, rel=1e-6, abs=1e-9)
            report = verify_run(outcome.directory)
            assert report.ok, str(report)
            return "verified"
        else:
            diag = diagnose(outcome.model.program)
            assert diag.total > 0 and len(diag.by_family) > 0
            assert set(diag.by_family.index) <= set(outcome.model.program.families)
            return "diagnosed"
