"""Scenario objects: defaults of SCENARIO.md, and errors naming the key and the source."""

from __future__ import annotations

import pytest

from planner.scenario import Scenario, ScenarioError


def test_defaults_follow_the_contract():
    s = Scenario(name="x")
    d = s.to_dict()
    assert d["coalition"]["adversaries"] == ["CHN", "RUS"] and d["coalition"]["anchors"] == ["USA"]
    assert d["parameters"]["budget"] == 50000.0 and d["parameters"]["headroom"] == 0.25
    assert d["constraints"]["export_controls"] is False and d["constraints"]["demand"] is True
    assert d["objective"] == {
        "kind": "dependency",
        "target": 0.05,
        "points": 11,
        "cost_tiebreak": 1e-6,
    }
    assert d["solver"]["backend"] == "branch_bound" and d["solver"]["mip_gap"] == 1e-4
    assert Scenario.from_dict(d).to_dict() == d  # resolved scenario round-trips


def test_int_accepted_for_float():
    s = Scenario.from_dict({"name": "x", "parameters": {"budget": 1000}})
    assert s.parameters.budget == 1000.0 and isinstance(s.parameters.budget, float)


@pytest.mark.parametrize(
    ("d", "key", "message"),
    [
        ({}, "name", "required"),
        ({"name": "x", "colour": 1}, "colour", "unknown key"),
        ({"name": "x", "parameters": {"budgt": 1}}, "parameters.budgt", "unknown key"),
        ({"name": "x", "parameters": {"budget": "lots"}}, "parameters.budget", "a number"),
        ({"name": "x", "parameters": {"budget": -5}}, "parameters.budget", "outside"),
        (
            {"name": "x", "parameters": {"ally_shoring": 1}},
            "parameters.ally_shoring",
            "true or false",
        ),
        (
            {"name": "x", "coalition": {"full_threshold": 1.5}},
            "coalition.full_threshold",
            "outside",
        ),
        (
            {"name": "x", "coalition": {"anchors": ["CHN"]}},
            "coalition.anchors",
            "cannot be anchors",
        ),
        ({"name": "x", "coalition": {"anchors": "USA"}}, "coalition.anchors", "a list"),
        ({"name": "x", "coalition": {"candidates": "some"}}, "coalition.candidates", "'all'"),
        (
            {"name": "x", "coalition": {"min_size": 5, "max_size": 2}},
            "coalition.min_size",
            "max_size",
        ),
        ({"name": "x", "sectors": {"tiers": {"C26": "banned"}}}, "sectors.tiers.C26", "not one of"),
        ({"name": "x", "objective": {"kind": "welfare"}}, "objective.kind", "not one of"),
        ({"name": "x", "solver": {"backend": "gurobi"}}, "solver.backend", "not one of"),
        ({"name": "x", "solver": {"threads": 0}}, "solver.threads", "outside"),
        (
            {"name": "x", "parameters": {"capacity_basis": "imports"}},
            "parameters.capacity_basis",
            "not one of",
        ),
    ],
)
def test_bad_scenarios_name_key_and_source(d, key, message):
    with pytest.raises(ScenarioError) as err:
        Scenario.from_dict(d, source="bad.toml")
    assert err.value.key == key
    assert message in str(err.value)
    assert str(err.value).startswith(f"bad.toml: key '{key}'")
