"""The CLI's run / verify / compare / frontier / sweep commands: outputs and every error path
(message and exit code)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
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
from tests.tiny import scenario, scenario_file

ROOT = Path(__file__).resolve().parents[1]


def test_run_verify_compare(tmp_path, data_dir, capsys):
    a = scenario_file(tmp_path / "a.toml", data_dir)
    b = scenario_file(tmp_path / "b.toml", data_dir, coalition={"members": ["DEU"]})
    assert main(["run", str(a), "--out", str(tmp_path / "ra"), "--no-plots"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "The coalition has 1 full members (USA)" in out and "run directory:" in out
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
    assert "[2/2] done" in captured.err
    assert (tmp_path / "sw" / "sweep.png").exists()
    table = pd.read_csv(tmp_path / "sw" / "sweep.csv")
    assert table["objective"].tolist() == pytest.approx([(100 * 50 / 150 + 60) / 170, 80 / 170])


SHIPPED = sorted((ROOT / "scenarios").glob("*.toml"))


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_scenario_runs_and_verifies(tmp_path, path):
    assert main(["run", str(path), "--out", str(tmp_path / "run"), "--no-plots"]) == EXIT_OK
    assert main(["verify", str(tmp_path / "run")]) == EXIT_OK


def test_readme_first_command_runs_the_default_scenario(tmp_path):
    """The README's first command (after installing): planner run scenarios/default.toml."""
    exe = Path(sys.executable).with_name("planner")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "planner"]
    proc = subprocess.run(
        [*cmd, "run", str(ROOT / "scenarios" / "default.toml"), "--out", str(tmp_path / "d")],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Scenario dtep-core" in proc.stdout and "dependency index" in proc.stdout
    assert (tmp_path / "d" / "report.html").exists() and (
        tmp_path / "d" / "dependency.png"
    ).exists()
    shutil.rmtree(tmp_path / "d")
