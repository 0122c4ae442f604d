"""The CLI's run / verify / compare / frontier / sweep commands: outputs and every error path
(message and exit code)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from planner.cli import (
    EXIT_BAD_INPUT,
    EXIT_INFEASIBLE,
    EXIT_OK,
    EXIT_VERIFY_FAILED,
    main,
)
from planner.sweep import run_sweep
from tests.conftest import DEFAULT_SCENARIO, run_planner
from tests.tiny import scenario, scenario_file

ROOT = Path(__file__).resolve().parents[1]


def test_run_verify_compare(tmp_path, data_dir, capsys):
    a = scenario_file(tmp_path / "a.toml", data_dir)
    b = scenario_file(tmp_path / "b.toml", data_dir, coalition={"members": ["DEU"]})
    assert main(["run", str(a), "--out", str(tmp_path / "ra"), "--no-plots"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "The coalition has 1 full member (USA)" in out and "run directory:" in out
    assert main(["run", str(b), "--out", str(tmp_path / "rb"), "--no-plots"]) == EXIT_OK
    assert main(["verify", str(tmp_path / "ra")]) == EXIT_OK
    assert "verdict: ok" in capsys.readouterr().out
    assert main(["compare", str(tmp_path / "ra"), str(tmp_path / "rb")]) == EXIT_OK
    out = capsys.readouterr().out
    assert "members_gained" in out and "DEU" in out
    # a broken run fails verification with exit code 6
    links = pd.read_csv(tmp_path / "rb" / "links.csv")
    links.loc[(links.importer == "USA") & (links.exporter == "CHN"), "optimized"] = 50.0
    links.to_csv(tmp_path / "rb" / "links.csv", index=False)
    assert main(["verify", str(tmp_path / "rb")]) == EXIT_VERIFY_FAILED
    assert "FAIL" in capsys.readouterr().out


def test_run_infeasible_prints_the_diagnosis(tmp_path, data_dir, capsys):
    f = scenario_file(tmp_path / "inf.toml", data_dir, parameters={"budget": 1.0})
    assert main(["run", str(f), "--out", str(tmp_path / "r"), "--no-plots"]) == EXIT_INFEASIBLE
    out = capsys.readouterr().out
    assert "status: infeasible" in out and "budget" in out
    assert json.loads((tmp_path / "r" / "summary.json").read_text())["status"] == "infeasible"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('name = "x"\n[parameters]\nbudgett = 1\n', "key 'parameters.budgett': unknown key"),
        (
            'name = "x"\n[parameters]\nbudget = "lots"\n',
            "key 'parameters.budget': expected a number",
        ),
        (
            'name = "x"\n[parameters]\nbudget = -5.0\n',
            "key 'parameters.budget': value -5.0 is outside",
        ),
        (
            'name = "x"\n[coalition]\nanchors = ["XXX"]\n',
            "key 'coalition.anchors': unknown country code",
        ),
        (
            'name = "x"\n[coalition]\nanchors = ["CHN"]\n',
            "key 'coalition.anchors': adversaries ['CHN']",
        ),
        ('name = "x"\n[parameters\n', "invalid TOML"),
        ("[parameters]\nbudget = 1.0\n", "key 'name': required key is missing"),
        (
            'name = "x"\n[solver]\nbackend = "gurobi"\n',
            "key 'solver.backend': 'gurobi' is not one of",
        ),
        ('name = "x"\n[data]\npath = "/nonexistent/dir"\n', "invalid dataset"),
    ],
)
def test_run_bad_scenarios_name_the_key_and_file(tmp_path, content, message, capsys):
    f = tmp_path / "bad.toml"
    f.write_text(content)
    assert main(["run", str(f), "--out", str(tmp_path / "r")]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert message in err
    if "invalid dataset" not in message:
        assert str(f) in err
    assert not (tmp_path / "r").exists()


def test_other_error_paths(tmp_path, data_dir, capsys):
    assert main(["run", str(tmp_path / "missing.toml")]) == EXIT_BAD_INPUT
    assert "file not found" in capsys.readouterr().err
    latin = tmp_path / "latin.toml"
    latin.write_bytes('name = "caf\xe9"\n'.encode("latin-1"))
    assert main(["run", str(latin)]) == EXIT_BAD_INPUT
    assert "not UTF-8" in capsys.readouterr().err
    assert main(["verify", str(tmp_path)]) == EXIT_BAD_INPUT
    assert "not a complete run directory" in capsys.readouterr().err
    assert main(["compare", str(tmp_path)]) == EXIT_BAD_INPUT
    f = scenario_file(tmp_path / "ok.toml", data_dir)
    assert main(["sweep", str(f), "--grid", "parameters.budgit=1,2"]) == EXIT_BAD_INPUT
    assert "key 'parameters.budgit': unknown scenario key" in capsys.readouterr().err
    assert main(["sweep", str(f), "--grid", "parameters.budget=1,x"]) == EXIT_BAD_INPUT
    assert "expected a number" in capsys.readouterr().err
    assert main(["sweep", str(f), "--grid", "budget"]) == EXIT_BAD_INPUT
    assert "expected KEY=V1,V2" in capsys.readouterr().err
    assert main(["run", str(f), "--time-limit", "-1"]) == EXIT_BAD_INPUT
    assert "solver.time_limit" in capsys.readouterr().err
    assert main(["run", str(f), "--backend", "cplex"]) == EXIT_BAD_INPUT  # argparse choices
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    assert main(["run", str(f), "--out", str(blocker / "x"), "--no-plots"]) == EXIT_BAD_INPUT
    assert "cannot create the output directory" in capsys.readouterr().err
    assert main([]) == EXIT_BAD_INPUT


def test_frontier_command(tmp_path, data_dir, capsys):
    f = scenario_file(
        tmp_path / "fr.toml",
        data_dir,
        sectors={"tiers": {"S1": "incentivized"}},
        parameters={"budget": 100.0},
    )
    assert main(["frontier", str(f), "--points", "3", "--out", str(tmp_path / "fr")]) == EXIT_OK
    df = pd.read_csv(tmp_path / "fr" / "frontier.csv")
    assert df["total_cost"].tolist() == pytest.approx([25.0, 25.0, 50.0], abs=1e-5)
    assert (tmp_path / "fr" / "frontier.png").exists()
    # the same frontier as independent solves through the local executor
    assert (
        main(
            [
                "frontier",
                str(f),
                "--points",
                "3",
                "--executor",
                "local",
                "--workers",
                "1",
                "--out",
                str(tmp_path / "fr2"),
            ]
        )
        == EXIT_OK
    )
    df2 = pd.read_csv(tmp_path / "fr2" / "frontier.csv")
    assert df2["total_cost"].tolist() == pytest.approx(df["total_cost"].tolist(), abs=1e-5)


def test_sweep_dask_matches_local(tmp_path, data_dir):
    pytest.importorskip("distributed")
    sc = scenario(
        data={"path": str(data_dir)},
        sectors={"tiers": {"S1": "incentivized"}},
        objective={"kind": "dependency"},
    )
    grid = {"parameters.budget": [25.0, 30.0, 35.0, 40.0, 45.0, 50.0, 60.0, 80.0]}
    local = run_sweep(sc, grid, executor="local", workers=2, out=tmp_path / "local")
    dask = run_sweep(sc, grid, executor="dask", workers=2)
    assert len(local) == 8 and (local["status"] == "optimal").all()
    cols = ["parameters.budget", "status", "objective", "dependency_after", "total_cost", "members"]
    pd.testing.assert_frame_equal(local[cols], dask[cols], check_exact=False, rtol=1e-9)
    # budget 35: DI = (100 * 0.2 + 60) / 170 (tests/test_families.py)
    assert local.set_index("parameters.budget").loc[35.0, "objective"] == pytest.approx(80 / 170)
    assert all(Path(p).exists() for p in local["run_dir"])


def test_sweep_command_local(tmp_path, data_dir, capsys):
    f = scenario_file(
        tmp_path / "sw.toml",
        data_dir,
        sectors={"tiers": {"S1": "incentivized"}},
        objective={"kind": "dependency"},
    )
    code = main(
        [
            "sweep",
            str(f),
            "--grid",
            "parameters.budget=25,35",
            "--workers",
            "1",
            "--out",
            str(tmp_path / "sw"),
        ]
    )
    assert code == EXIT_OK
    captured = capsys.readouterr()
    assert "sweep points" not in captured.err  # piped: no progress bar
    assert (tmp_path / "sw" / "sweep.png").exists()
    table = pd.read_csv(tmp_path / "sw" / "sweep.csv")
    assert table["objective"].tolist() == pytest.approx([(100 * 50 / 150 + 60) / 170, 80 / 170])


SHIPPED = sorted((ROOT / "scenarios").glob("*.toml"))
# the pathway scenario solves two pathway MILPs (minutes on 2 cores): it runs under
# `pytest -m slow`; tests/test_pathway.py builds it in the default suite and checks every rule
# on small worlds (the robust scenario, about 20 s with branch_bound, runs here)
HEAVY = {"dtep_pathway"}
SHIPPED_PARAMS = [
    pytest.param(p, id=p.stem, marks=[pytest.mark.slow, pytest.mark.timeout(1800)])
    if p.stem in HEAVY
    else pytest.param(p, id=p.stem)
    for p in SHIPPED
]
DETERMINISM_EXEMPT = {"timings.json", "solver.log"}  # documented: timings and the solver's log


def _check_shipped_run(directory: Path, path: Path) -> None:
    """What a shipped run must say: proven optimal (exit 0 also covers a time-limit incumbent,
    which is not enough here), the objective equal to the DI it reports (or, for the cost
    objective, the target met and the cost equal to the objective), every anchor a member,
    and a run that ``planner verify`` accepts."""
    import tomllib

    sc = tomllib.loads(path.read_text())
    s = json.loads((directory / "summary.json").read_text())
    assert s["status"] == "optimal", s["status"]
    assert s["solver"]["gap"] is None or s["solver"]["gap"] <= 1e-4 + 1e-12
    assert set(sc["coalition"]["anchors"]) <= set(s["members"])
    assert s["dependency_after"] < s["dependency_before"]
    kind = sc.get("objective", {}).get("kind", "dependency")
    # the DI the objective measures: the look-through (effective) one with indirect exposure
    measured = (
        "effective_dependency_after"
        if sc.get("constraints", {}).get("indirect_exposure")
        else "dependency_after"
    )
    robust = s.get("robustness")
    if kind == "dependency" and robust:  # the nominal DI plus weight x the worst exit's DI
        exits = pd.read_csv(directory / "robustness.csv")
        assert robust["worst_dependency"] == pytest.approx(exits["dependency"].max(), abs=1e-9)
        worst = s[measured] + robust["weight"] * robust["worst_dependency"]
        assert 0.0 <= s["objective"] - worst <= 1e-5
    elif kind == "dependency":  # the objective is the DI plus a tiny non-negative cost tiebreak
        assert 0.0 <= s["objective"] - s[measured] <= 1e-5
    else:  # the cost objective: the target holds, the cost is what was minimized
        assert s[measured] <= sc["objective"]["target"] + 1e-7
        assert s["total_cost"] == pytest.approx(s["objective"], rel=1e-6)
    assert s["total_cost"] <= sc["parameters"].get("budget", float("inf")) + 1e-6
    assert main(["verify", str(directory)]) == EXIT_OK


@pytest.mark.parametrize("path", SHIPPED_PARAMS)
def test_every_shipped_scenario_runs_and_verifies(tmp_path, path, request):
    """Checked: with planner/solver/pulp_backend.py mapping an optimal CBC status to
    TIME_LIMIT_FEASIBLE (exit code still 0), the default case (the shipped scenario solved by
    CBC) failed on its status; the old exit-code test passed."""
    if path.stem == "default":  # solved once per session (conftest.default_run)
        directory = request.getfixturevalue("default_run").dir
    else:
        directory = tmp_path / "run"
        # explanations are tested on their own (tests/test_explain.py): not re-solved here
        argv = ["run", str(path), "--out", str(directory), "--no-plots", "--explain", "none"]
        assert main(argv) == EXIT_OK
    _check_shipped_run(directory, path)


def test_readme_first_command_runs_the_default_scenario(default_run):
    """The README's first command (after installing): planner run scenarios/default.toml.
    The summary it prints names the run's own numbers (from summary.json)."""
    s = json.loads((default_run.dir / "summary.json").read_text())
    out = default_run.proc.stdout
    assert "Scenario dtep-core" in out and "dependency index" in out
    assert f"falls from {s['dependency_before']:.4f} to {s['dependency_after']:.4f}" in out
    assert f"run directory: {default_run.dir}" in out
    html = (default_run.dir / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 4  # self-contained, four figures
    assert (default_run.dir / "dependency.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert s["summary"] in (default_run.dir / "report.md").read_text()


def test_default_scenario_is_byte_identical_across_processes(default_run, tmp_path):
    """The shipped default scenario (CBC through PuLP, threads = 2, as shipped) run again in a
    separate process gives the same run directory byte for byte, apart from what runs.py
    documents as varying: timings.json and solver.log (and so their hashes in the manifest).

    Checked: with links.csv written in a random row order (``plan.links.sample(frac=1)`` in
    planner/runs.py) this failed on links.csv. CBC's ``randomCbcSeed`` taken from os.getpid()
    did not make it fail: on this model CBC returns the same plan and floats whatever the seed,
    so the seed is not what makes the run reproducible here (the fixed options and thread
    count are)."""
    second = run_planner("run", str(DEFAULT_SCENARIO), "--out", "run", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    a, b = default_run.dir, tmp_path / "run"
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    for name in names:
        if name in DETERMINISM_EXEMPT or name == "manifest.json":
            continue
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    ma, mb = (json.loads((d / "manifest.json").read_text()) for d in (a, b))
    for m in (ma, mb):
        for name in DETERMINISM_EXEMPT:
            m["files"].pop(name)
    assert ma == mb
    assert second.stdout.replace(str(b), "RUN") == default_run.proc.stdout.replace(str(a), "RUN")


def test_run_without_out_takes_the_default_name_and_never_collides(
    tmp_path, data_dir, capsys, monkeypatch
):
    """``planner run`` without --out writes runs/NAME-YYYYmmdd-HHMMSS; three runs within one
    second (the clock frozen) take NAME-..., NAME-...-2, NAME-...-3, each complete, and the
    first is left untouched.

    Checked: with write_run(unique=True) in planner/runs.py treated as unique=False, the
    second run failed with exit 2 ("exists already")."""
    import datetime as dt
    import re

    class Frozen(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return cls(2026, 1, 2, 3, 4, 5)

    f = scenario_file(tmp_path / "s.toml", data_dir)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(dt, "datetime", Frozen)
    printed = []
    for _ in range(3):
        assert main(["run", str(f), "--no-plots"]) == EXIT_OK
        out = capsys.readouterr().out
        printed.append(re.search(r"run directory: (.*)", out).group(1))
    base = tmp_path / "runs" / "tiny-20260102-030405"
    want = [base, base.with_name(base.name + "-2"), base.with_name(base.name + "-3")]
    assert [Path(p) for p in printed] == [p.resolve() for p in want]
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == [p.name for p in want]
    for d in want:
        assert json.loads((d / "manifest.json").read_text())["complete"] is True
        assert main(["verify", str(d)]) == EXIT_OK
    capsys.readouterr()


def test_run_without_out_uses_the_clock(tmp_path, data_dir, capsys, monkeypatch):
    """Without a frozen clock: one directory runs/tiny-<timestamp>, the timestamp a real one."""
    import re

    f = scenario_file(tmp_path / "s.toml", data_dir)
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(f), "--no-plots"]) == EXIT_OK
    (d,) = (tmp_path / "runs").iterdir()
    assert re.fullmatch(r"tiny-\d{8}-\d{6}", d.name), d.name
    assert f"run directory: {d.resolve()}" in capsys.readouterr().out


def test_dask_executors_from_the_cli(tmp_path, data_dir, capsys):
    """``planner sweep --executor dask`` and ``planner frontier --executor dask`` (a
    LocalCluster) give the hand answers of the local tests: budget 25 and 35 -> DI
    (100 * 50 / 150 + 60) / 170 and 80 / 170; frontier costs 25, 25, 50."""
    pytest.importorskip("distributed")
    f = scenario_file(
        tmp_path / "sw.toml",
        data_dir,
        sectors={"tiers": {"S1": "incentivized"}},
        objective={"kind": "dependency"},
    )
    argv = ["sweep", str(f), "--grid", "parameters.budget=25,35", "--executor", "dask"]
    assert main([*argv, "--workers", "1", "--out", str(tmp_path / "sw")]) == EXIT_OK
    table = pd.read_csv(tmp_path / "sw" / "sweep.csv")
    assert table["status"].tolist() == ["optimal", "optimal"]
    assert table["objective"].tolist() == pytest.approx([(100 * 50 / 150 + 60) / 170, 80 / 170])
    g = scenario_file(
        tmp_path / "fr.toml",
        data_dir,
        sectors={"tiers": {"S1": "incentivized"}},
        parameters={"budget": 100.0},
    )
    argv = ["frontier", str(g), "--points", "3", "--executor", "dask", "--workers", "1"]
    assert main([*argv, "--out", str(tmp_path / "fr")]) == EXIT_OK
    df = pd.read_csv(tmp_path / "fr" / "frontier.csv")
    assert df["total_cost"].tolist() == pytest.approx([25.0, 25.0, 50.0], abs=1e-5)
    capsys.readouterr()
