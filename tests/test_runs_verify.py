"""Run directories (atomic, reproducible, the SCENARIO.md files and columns) and
``planner verify`` (passes on good runs, fails naming the family on edited ones)."""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import pytest

from planner.runs import RunError, run_scenario
from planner.scenario import load_scenario
from planner.verify import VerifyError, verify_run
from tests.tiny import scenario_file

CONTRACT = {
    "links.csv": ["importer", "exporter", "sector", "baseline", "optimized", "unit_cost"],
    "domestic.csv": ["importer", "sector", "optimized", "unit_cost"],
    "countries.csv": ["iso3", "role", "gdp", "regime", "focal", "weight"],
    "sectors.csv": ["sector", "weight", "tier", "headroom", "category"],
    "capacity.csv": ["exporter", "sector", "capacity", "used"],
}
SUMMARY_KEYS = {
    "status",
    "objective",
    "objective_kind",
    "dependency_before",
    "dependency_after",
    "total_cost",
    "budget",
    "members",
    "associates",
    "tiers",
    "solver",
    "dataset",
}


def _run(tmp_path, data_dir, name="run", **sections):
    f = scenario_file(tmp_path / f"{name}.toml", data_dir, **sections)
    return run_scenario(f, tmp_path / name, command=["test"], plots=False)


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_run_directory_follows_the_contract_and_is_reproducible(tmp_path, data_dir):
    a = _run(tmp_path, data_dir, "a", coalition={"members": ["DEU"]})
    b = _run(tmp_path, data_dir, "b", coalition={"members": ["DEU"]})
    for name, cols in CONTRACT.items():
        df = pd.read_csv(a.directory / name)
        assert list(df.columns[: len(cols)]) == cols, name
    summary = json.loads((a.directory / "summary.json").read_text())
    assert SUMMARY_KEYS <= set(summary)
    assert summary["members"] == ["USA", "DEU"] and summary["tiers"]["S1"] == "restricted"
    for f in (
        "scenario.toml",
        "timings.json",
        "solver.log",
        "report.md",
        "report.html",
        "manifest.json",
    ):
        assert (a.directory / f).exists(), f
    manifest = json.loads((a.directory / "manifest.json").read_text())
    for name in [*CONTRACT, "summary.json", "scenario.toml"]:
        assert manifest["files"][name] == _sha(a.directory / name)
    # the resolved scenario reads back to the same scenario
    assert load_scenario(a.directory / "scenario.toml").to_dict() == a.scenario.to_dict()
    # two runs: identical tables and summary (the scenario names differ only by file name)
    for name in [*CONTRACT, "summary.json"]:
        assert _sha(a.directory / name) == _sha(b.directory / name), name


def test_failed_write_leaves_nothing_that_looks_complete(tmp_path, data_dir, monkeypatch):
    import planner.runs as runs

    def boom(d, *args, **kwargs):
        (d / "links.csv").write_text("half")
        raise KeyboardInterrupt  # as if killed mid-write

    monkeypatch.setattr(runs, "_write_files", boom)
    with pytest.raises(KeyboardInterrupt):
        _run(tmp_path, data_dir, "killed")
    assert not (tmp_path / "killed").exists()
    assert not list(tmp_path.glob(".killed.partial-*"))
    monkeypatch.undo()
    assert _run(tmp_path, data_dir, "killed").directory.exists()  # a rerun succeeds
    with pytest.raises(RunError, match="exists already"):
        _run(tmp_path, data_dir, "killed")


def test_unwritable_output_directory(tmp_path, data_dir):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    f = scenario_file(tmp_path / "s.toml", data_dir)
    with pytest.raises(RunError, match="cannot create"):
        run_scenario(f, blocker / "sub" / "run", plots=False)


# --------------------------------------------------------------------------- verify
GOOD = {
    "base": {},
    "members": {
        "coalition": {"members": ["DEU"]},
        "constraints": {"export_controls": True, "coercion": True},
        "parameters": {"coercion_cover": 0.01},
    },
    "associate": {
        "coalition": {"associates": ["DEU"]},
        "sectors": {"tiers": {"S1": "incentivized"}},
        "constraints": {"participation": True},
    },
}


@pytest.mark.parametrize("case", list(GOOD))
def test_verify_passes_on_good_runs(tmp_path, data_dir, case):
    o = _run(tmp_path, data_dir, case, **GOOD[case])
    report = verify_run(o.directory)
    assert report.ok, str(report)


def _edit(directory, file, where, column, value):
    df = pd.read_csv(directory / file, keep_default_na=False)
    mask = pd.Series(True, index=df.index)
    for k, v in where.items():
        mask &= df[k] == v
    assert mask.sum() == 1, (file, where)
    df.loc[mask, column] = value
    df.to_csv(directory / file, index=False)


BREAKS = [
    # (scenario sections, file, row, column, new value, family named)
    ({}, "domestic.csv", {"importer": "USA", "sector": "S1"}, "optimized", 90.0, "demand"),
    (
        {},
        "links.csv",
        {"importer": "DEU", "exporter": "CHN", "sector": "S1"},
        "optimized",
        30.0,
        "keep_baseline",
    ),
    (
        {},
        "links.csv",
        {"importer": "USA", "exporter": "CHN", "sector": "S1"},
        "optimized",
        5.0,
        "tier_rules_cut",
    ),
    (
        {"sectors": {"tiers": {}}},
        "links.csv",
        {"importer": "USA", "exporter": "MEX", "sector": "S2"},
        "optimized",
        190.0,
        "tier_rules_open",
    ),
    (
        {"parameters": {"ally_shoring": False}},
        "links.csv",
        {"importer": "USA", "exporter": "DEU", "sector": "S1"},
        "optimized",
        90.0,
        "capacity",
    ),
    (
        {"parameters": {"budget": 50.0}},
        "domestic.csv",
        {"importer": "USA", "sector": "S1"},
        "unit_cost",
        0.5,
        "budget",
    ),
    ({}, "countries.csv", {"iso3": "MEX"}, "role", "member", "eligibility"),
    (
        {"parameters": {"max_volume_drop": 0.3}},
        "links.csv",
        {"importer": "USA", "exporter": "MEX", "sector": "S2"},
        "optimized",
        150.0,
        "openness_volume",
    ),
    (
        {"coalition": {"associates": ["DEU"]}, "sectors": {"tiers": {"S1": "incentivized"}}},
        "countries.csv",
        {"iso3": "DEU"},
        "role",
        "outside",
        "ally_shoring",
    ),
]


@pytest.mark.parametrize(
    ("sections", "file", "where", "column", "value", "family"), BREAKS, ids=[b[-1] for b in BREAKS]
)
def test_verify_fails_on_an_edited_run(
    tmp_path, data_dir, sections, file, where, column, value, family
):
    o = _run(tmp_path, data_dir, "edited", **sections)
    assert verify_run(o.directory).ok
    if family == "budget":  # make reshoring dearer than the budget allows: edit the dataset copy
        _edit(o.directory, "domestic.csv", where, "optimized", 100.0)
        _edit(
            o.directory,
            "links.csv",
            {"importer": "USA", "exporter": "DEU", "sector": "S1"},
            "optimized",
            150.0,
        )
    else:
        _edit(o.directory, file, where, column, value)
    report = verify_run(o.directory)
    bad = report.table[report.table["relative"] > 1e-5]["family"].tolist()
    assert family in bad, str(report)


def test_verify_refuses_incomplete_directories(tmp_path, data_dir):
    with pytest.raises(VerifyError, match=r"manifest\.json"):
        verify_run(tmp_path)
    o = _run(tmp_path, data_dir, "infeasible", parameters={"budget": 1.0})
    assert o.result.status.value == "infeasible"
    with pytest.raises(VerifyError, match="no solution"):
        verify_run(o.directory)


def test_verify_leveraging_and_indirect_exposure(tmp_path, data_dir):
    # leveraging: USA may meet 30 of its 100 from CHN by a licensed plant (test_families)
    o = _run(
        tmp_path,
        data_dir,
        "lev",
        sectors={"tiers": {"S1": "incentivized"}, "leveraging": ["S1"]},
        constraints={"strategic_leveraging": True},
    )
    assert verify_run(o.directory).ok
    _edit(o.directory, "partnerships.csv", {"importer": "USA", "sector": "S1"}, "optimized", 45.0)
    bad = verify_run(o.directory).table.query("relative > 1e-5")["family"].tolist()
    assert "strategic_leveraging" in bad
    # indirect exposure: more from DEU (1/3 CHN content) while keeping CHN raises USA's
    # effective content above its baseline 100 + 50/3
    o = _run(
        tmp_path,
        data_dir,
        "ind",
        constraints={"indirect_exposure": True, "tier_rules": False},
        parameters={"ally_shoring": False},
        objective={"kind": "dependency"},
    )
    assert verify_run(o.directory).ok
    _edit(
        o.directory,
        "links.csv",
        {"importer": "USA", "exporter": "CHN", "sector": "S1"},
        "optimized",
        100.0,
    )
    _edit(
        o.directory,
        "links.csv",
        {"importer": "USA", "exporter": "DEU", "sector": "S1"},
        "optimized",
        80.0,
    )
    bad = verify_run(o.directory).table.query("relative > 1e-5")["family"].tolist()
    assert "indirect_exposure" in bad
