"""Every command-line value is checked before any solve, by the scenario's rules; messages
name the root cause; ``compare`` says when runs are not like with like.

Broken on purpose to check these tests can fail: removing ``_check_workers`` from
``_cmd_sweep`` fails test_bad_value_exits_2_before_any_solve[sweep --workers 0] (the sweep
then runs); dropping the empty-candidates rule of Scenario.check fails
test_messages_name_the_root_key[empty candidates] (the message then names
coalition.anchors).
"""

from __future__ import annotations

import pytest
import tiny

import planner.frontiers
import planner.runs
from planner.cli import main
from planner.errors import EXIT_BAD_INPUT, EXIT_OK
from planner.interpreter.comparison import context_warnings
from planner.scenario import ScenarioError


@pytest.fixture
def world(tmp_path):
    return tiny.write_world(tmp_path / "world")


@pytest.fixture
def tiny_file(tmp_path, world):
    return tiny.scenario_file(tmp_path / "tiny.toml", world)


@pytest.fixture
def no_solve(monkeypatch):
    """Any solve fails the test: the checks must come first."""

    def refuse(*args, **kwargs):
        raise AssertionError("a solve started before the command line was checked")

    monkeypatch.setattr(planner.runs, "solve", refuse)
    monkeypatch.setattr(planner.frontiers, "solve", refuse)


def _files(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


BAD = [
    ("run --time-limit 0", ["run", "{f}", "--time-limit", "0"], "solver.time_limit"),
    ("run --time-limit -5", ["run", "{f}", "--time-limit", "-5"], "solver.time_limit"),
    ("run --time-limit nan", ["run", "{f}", "--time-limit", "nan"], "solver.time_limit"),
    ("run --time-limit inf", ["run", "{f}", "--time-limit", "inf"], "solver.time_limit"),
    ("run --backend nope", ["run", "{f}", "--backend", "nope"], "--backend"),
    ("frontier --points 1", ["frontier", "{f}", "--points", "1"], "objective.points"),
    ("frontier --points 1001", ["frontier", "{f}", "--points", "1001"], "objective.points"),
    ("frontier --workers 0", ["frontier", "{f}", "--workers", "0"], "--workers"),
    ("frontier --out a file", ["frontier", "{f}", "--out", "{f}"], "not a directory"),
    ("sweep --workers 0", ["sweep", "{f}", "--grid", "parameters.budget=1,2", "--workers", "0"],
     "--workers"),
    ("sweep bad grid value", ["sweep", "{f}", "--grid", "parameters.budget=1,-5"],
     "parameters.budget"),
    ("sweep unknown grid key", ["sweep", "{f}", "--grid", "parameters.nope=1"],
     "parameters.nope"),
    ("sweep --time-limit 0", ["sweep", "{f}", "--grid", "parameters.budget=1", "--time-limit",
     "0"], "solver.time_limit"),
    ("stress --workers 0", ["stress", "{f}", "--workers", "0"], "--workers"),
]  # fmt: skip


@pytest.mark.parametrize("argv, key", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_value_exits_2_before_any_solve(
    tmp_path, tiny_file, no_solve, monkeypatch, capsys, argv, key
):
    monkeypatch.chdir(tmp_path)
    before = _files(tmp_path)
    code = main([a.format(f=tiny_file) for a in argv])
    err = capsys.readouterr().err
    assert code == EXIT_BAD_INPUT
    assert key in err
    assert _files(tmp_path) == before  # nothing written (no runs/, no --out)


def test_sweep_refuses_an_existing_point_directory_before_solving(
    tmp_path, tiny_file, no_solve, capsys
):
    out = tmp_path / "sw"
    (out / "tiny_budget=2.0_").mkdir(parents=True)  # the second point's run directory
    argv = ["sweep", str(tiny_file), "--grid", "parameters.budget=1,2", "--out", str(out)]
    assert main(argv) == EXIT_BAD_INPUT
    assert "tiny_budget=2.0_: exists already" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["tiny_budget=2.0_"]


ROOTS = [
    ("empty candidates", {"coalition": {"candidates": []}}, "coalition.candidates"),
    (
        "empty candidates, no anchors",
        {"coalition": {"candidates": [], "anchors": [], "choose_members": True}},
        "coalition.candidates",
    ),
    (
        "focal outside candidates",
        {"coalition": {"candidates": ["USA", "DEU"], "focal": ["MEX"]}},
        "coalition.focal",
    ),
    ("anchor not a candidate", {"coalition": {"candidates": ["DEU", "MEX"]}}, "coalition.anchors"),
    ("unknown sector", {"sectors": {"tiers": {"S9": "restricted"}}}, "sectors.tiers.S9"),
    ("adversary candidate", {"coalition": {"candidates": ["USA", "CHN"]}}, "coalition.candidates"),
]


@pytest.mark.parametrize("sections, key", [r[1:] for r in ROOTS], ids=[r[0] for r in ROOTS])
def test_messages_name_the_root_key(tmp_path, world, no_solve, capsys, sections, key):
    path = tmp_path / "bad.toml"
    try:
        tiny.scenario_file(path, world, **sections)
    except ScenarioError as exc:  # refused when the scenario is made: the same key
        assert exc.key == key
        return
    assert main(["run", str(path), "--out", str(tmp_path / "out")]) == EXIT_BAD_INPUT
    error = next(x for x in capsys.readouterr().err.splitlines() if x.startswith("error:"))
    assert error.split("'")[1] == key  # the first key named is the root cause
    assert not (tmp_path / "out").exists()


def test_empty_candidates_named_by_the_scenario_itself():
    with pytest.raises(ScenarioError) as info:
        tiny.scenario(coalition={"candidates": []})
    assert info.value.key == "coalition.candidates"


# ------------------------------------------------------------------------- compare
def test_compare_warns_when_runs_differ_in_dataset_or_focal_set(tmp_path, world, capsys):
    other = tiny.write_world(tmp_path / "world2", output={("USA", "S1"): 500.0})
    a = tiny.scenario_file(tmp_path / "a.toml", world)
    b = tiny.scenario_file(tmp_path / "b.toml", world, coalition={"focal": ["USA", "DEU"]})
    c = tiny.scenario_file(tmp_path / "c.toml", other)
    for name, f in (("ra", a), ("ra2", a), ("rb", b), ("rc", c)):
        assert main(["run", str(f), "--out", str(tmp_path / name), "--no-plots"]) == EXIT_OK
    capsys.readouterr()

    assert main(["compare", str(tmp_path / "ra"), str(tmp_path / "ra2")]) == EXIT_OK
    same = capsys.readouterr()
    assert "warning" not in same.err and "== warnings ==" not in same.out

    assert main(["compare", str(tmp_path / "ra"), str(tmp_path / "rb")]) == EXIT_OK
    focal = capsys.readouterr()
    assert "focal set (coalition.focal): -MEX" in focal.err and "warning:" in focal.err
    assert "== warnings ==" in focal.out and "coalition.focal" in focal.out

    assert main(["compare", str(tmp_path / "ra"), str(tmp_path / "rc")]) == EXIT_OK
    data = capsys.readouterr()
    assert "the dataset (its sha256)" in data.err and "== warnings ==" in data.out


def test_context_warnings_name_each_difference():
    a = {"name": "a", "dataset": "x" * 64, "focal": ["DEU", "USA"], "adversaries": ["CHN"]}
    b = {**a, "name": "b", "adversaries": ["CHN", "RUS"]}
    c = {**a, "name": "c", "dataset": None}  # unknown: not compared
    assert context_warnings([a, c]) == []
    (only,) = context_warnings([a, b])
    assert only.startswith("'b' differs from 'a' in the adversaries (coalition.adversaries)")
    assert "+RUS" in only
