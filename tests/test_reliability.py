"""Reliability: bad input through the CLI (message and exit code), faults (SIGKILL mid-solve and
mid-write, disk full, missing backend, time limit) and numerical safety (coefficient ranges,
violation checks, strict mode). Nothing is lost and nothing half-written passes as complete."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import pytest

from formulations import Program
from planner.cli import (
    EXIT_BAD_INPUT,
    EXIT_NO_SOLUTION,
    EXIT_OK,
    EXIT_SOLVER_ERROR,
    main,
)
from planner.runs import RunError, run_scenario
from planner.solver import (
    InaccurateSolutionWarning,
    SolveError,
    SolveOptions,
    SolverNotAvailableError,
    solve,
)
from tests.test_data_bad_inputs import CASES as DATASET_CASES
from tests.test_data_bad_inputs import COUNTRIES, FLOWS, OUTPUT, SECTORS, write
from tests.tiny import scenario_file

ROOT = Path(__file__).resolve().parents[1]


def tree_digest(*paths: Path) -> dict[str, str]:
    """sha256 of every file under the given paths (to show inputs are untouched)."""
    out = {}
    for root in paths:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for f in files:
            out[str(f)] = hashlib.sha256(f.read_bytes()).hexdigest()
    return out


# ---------------------------------------------------------------------------- bad datasets
# More cases beside the loader corpus of test_data_bad_inputs (which all run here through the
# CLI too): (id, make, file, column, message)
MORE_DATASET_CASES = [
    (
        "flows header only",
        lambda d: write(d, flows="importer,exporter,sector,value\n"),
        "flows.csv",
        "*",
        "no rows",
    ),
    ("empty flows file", lambda d: write(d, flows=""), "flows.csv", "*", "cannot read"),
    (
        "utf-16 flows",
        lambda d: (write(d), (d / "flows.csv").write_bytes(FLOWS.encode("utf-16"))),
        "flows.csv",
        "*",
        "not UTF-8",
    ),
    (
        "flows is a directory",
        lambda d: (write(d), (d / "flows.csv").unlink(), (d / "flows.csv").mkdir()),
        "flows.csv",
        "*",
        "cannot read",
    ),
    (
        "NaN regime",
        lambda d: write(d, countries=COUNTRIES.replace(",0.7\n", ",nan\n")),
        "countries.csv",
        "regime",
        "missing value",
    ),
    (
        "duplicate output row",
        lambda d: write(d, output=OUTPUT + "USA,C26,5\n"),
        "output.csv",
        "country+sector",
        "duplicate key",
    ),
    (
        "output for unknown sector",
        lambda d: write(d, output=OUTPUT + "USA,C99,5\n"),
        "output.csv",
        "sector",
        "not in the sector table",
    ),
    (
        "text premium",
        lambda d: write(d, sectors=SECTORS.replace(",0.2,", ",high,")),
        "sectors.csv",
        "premium",
        "not a number",
    ),
    (
        "numeric iso3",
        lambda d: write(d, countries=COUNTRIES + "123,Num,5,0.5\n"),
        "countries.csv",
        "iso3",
        "3 upper-case letters",
    ),
    (
        "empty sector code in flows",
        lambda d: write(d, flows=FLOWS + "USA,CHN,,1\n"),
        "flows.csv",
        "sector",
        "missing code",
    ),
    (
        "blank importer in flows",
        lambda d: write(d, flows=FLOWS + " ,CHN,C26,1\n"),
        "flows.csv",
        "importer",
        "missing code",
    ),
    (
        "truncated last line",
        lambda d: write(d, flows=FLOWS + "USA,CHN"),
        "flows.csv",
        "value",
        "missing value",
    ),
    (
        "semicolon separated",
        lambda d: write(d, flows=FLOWS.replace(",", ";")),
        "flows.csv",
        "importer",
        "required column is missing",
    ),
    (
        "negative reshoring cost",
        lambda d: write(d, sectors=SECTORS.replace(",0.5\n", ",-0.5\n", 1)),
        "sectors.csv",
        "reshoring_cost",
        "below 0",
    ),
    (
        "missing countries file",
        lambda d: (write(d), (d / "countries.csv").unlink()),
        "countries.csv",
        "*",
        "required table missing",
    ),
]
ALL_DATASET_CASES = DATASET_CASES + MORE_DATASET_CASES


@pytest.mark.parametrize(
    ("case", "make", "file", "column", "message"),
    ALL_DATASET_CASES,
    ids=[c[0] for c in ALL_DATASET_CASES],
)
def test_bad_dataset_through_the_cli(tmp_path, capsys, case, make, file, column, message):
    d = tmp_path / "ds"
    make(d)
    before = tree_digest(d)
    assert main(["data", "validate", "--path", str(d)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert message in err
    assert f"{file}: column '{column}'" in err, err
    assert tree_digest(d) == before  # validation never rewrites its input


# ---------------------------------------------------------------------------- bad scenarios
# Raw TOML: every case starts from a valid scenario on the tiny world and changes a key.
VALID = {
    "name": '"x"',
    "coalition.adversaries": '["CHN"]',
    "coalition.anchors": '["USA"]',
    "objective.kind": '"dependency"',
}


def toml_text(data_dir: Path, **changes: str | None) -> str:
    """TOML with dotted keys (VALID updated by ``changes``; None removes a key)."""
    keys = {**VALID, "data.path": json.dumps(str(data_dir)), **changes}
    return "".join(f"{k} = {v}\n" for k, v in keys.items() if v is not None)


# (id, changes or raw text, message fragment that names the key)
SCENARIO_CASES: list[tuple[str, dict | str, str]] = [
    ("unknown top key", {"colour": '"red"'}, "key 'colour': unknown key"),
    ("unknown section key", {"parameters.budgt": "1.0"}, "key 'parameters.budgt': unknown key"),
    ("budget text", {"parameters.budget": '"lots"'}, "key 'parameters.budget': expected a number"),
    ("negative budget", {"parameters.budget": "-5.0"}, "key 'parameters.budget': value -5.0"),
    ("NaN budget", {"parameters.budget": "nan"}, "key 'parameters.budget': expected a finite"),
    ("infinite budget", {"parameters.budget": "inf"}, "key 'parameters.budget': expected a finite"),
    (
        "threshold above 1",
        {"coalition.full_threshold": "1.5"},
        "key 'coalition.full_threshold': value 1.5 is outside",
    ),
    (
        "open share above 1",
        {"parameters.min_open_share": "1.5"},
        "key 'parameters.min_open_share': value 1.5 is outside",
    ),
    (
        "negative residual",
        {"parameters.restricted_residual": "-0.1"},
        "key 'parameters.restricted_residual'",
    ),
    ("target above 1", {"objective.target": "2.0"}, "key 'objective.target': value 2.0"),
    ("one frontier point", {"objective.points": "1"}, "key 'objective.points': value 1"),
    ("unknown objective", {"objective.kind": '"welfare"'}, "key 'objective.kind': 'welfare'"),
    ("threads text", {"solver.threads": '"two"'}, "key 'solver.threads': expected an integer"),
    ("float for int", {"coalition.max_size": "2.5"}, "key 'coalition.max_size': expected an int"),
    ("negative time limit", {"solver.time_limit": "-3"}, "key 'solver.time_limit'"),
    ("unknown backend", {"solver.backend": '"gurobi"'}, "key 'solver.backend': 'gurobi'"),
    ("bool as text", {"constraints.coercion": '"yes"'}, "key 'constraints.coercion': expected"),
    ("unknown family", {"constraints.welfare": "true"}, "key 'constraints.welfare': unknown"),
    ("name not text", {"name": "5"}, "key 'name': expected a string"),
    ("name missing", {"name": None}, "key 'name': required key is missing"),
    ("anchors not a list", {"coalition.anchors": '"USA"'}, "key 'coalition.anchors': expected a"),
    (
        "unknown anchor code",
        {"coalition.anchors": '["XXX"]'},
        "key 'coalition.anchors': unknown country code",
    ),
    (
        "adversary as anchor",
        {"coalition.anchors": '["CHN"]'},
        "key 'coalition.anchors': adversaries ['CHN']",
    ),
    (
        "unknown adversary",
        {"coalition.adversaries": '["CHN", "RUS"]'},
        "key 'coalition.adversaries': unknown country code(s) ['RUS']",
    ),
    ("unknown member", {"coalition.members": '["QQQ"]'}, "key 'coalition.members'"),
    ("empty candidate set", {"coalition.candidates": "[]"}, "key 'coalition."),
    (
        "anchor not a candidate",
        {"coalition.candidates": '["DEU"]'},
        "key 'coalition.anchors': ['USA'] are not candidates",
    ),
    ("min above max size", {"coalition.min_size": "5", "coalition.max_size": "2"}, "min_size"),
    (
        "unknown sector tier",
        {"sectors.tiers": '{S9 = "restricted"}'},
        "key 'sectors.tiers.S9': unknown sector code",
    ),
    ("bad tier", {"sectors.tiers": '{S1 = "banned"}'}, "key 'sectors.tiers.S1': 'banned'"),
    ("missing dataset", {"data.path": '"/nonexistent/dir"'}, "/nonexistent/dir"),
    ("duplicate key", 'name = "x"\nname = "y"\n', "key '*': invalid TOML"),
    ("truncated file", 'name = "x"\n[parameters]\nbudget = ', "key '*': invalid TOML"),
    ("unclosed table", 'name = "x"\n[parameters\n', "key '*': invalid TOML"),
]


@pytest.mark.parametrize(
    ("case", "changes", "message"), SCENARIO_CASES, ids=[c[0] for c in SCENARIO_CASES]
)
def test_bad_scenario_through_the_cli(tmp_path, capsys, data_dir, case, changes, message):
    f = tmp_path / "bad.toml"
    f.write_text(changes if isinstance(changes, str) else toml_text(data_dir, **changes))
    before = tree_digest(f, data_dir)
    out = tmp_path / "run"
    assert main(["run", str(f), "--out", str(out), "--no-plots"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert message in err, err
    assert "Traceback" not in err
    assert not out.exists() and not list(tmp_path.glob(".run.partial-*"))
    assert tree_digest(f, data_dir) == before


UNREADABLE_SCENARIO_FILES = [
    ("latin.toml", 'name = "caf\xe9"\n'.encode("latin-1"), "not UTF-8"),
    ("utf16.toml", 'name = "x"\n'.encode("utf-16"), "not UTF-8"),
    ("binary.toml", bytes(range(256)), "not UTF-8"),
    ("empty.toml", b"", "key 'name': required key is missing"),
]


@pytest.mark.parametrize(("name", "content", "message"), UNREADABLE_SCENARIO_FILES)
def test_unreadable_scenario_files(tmp_path, capsys, name, content, message):
    f = tmp_path / name
    f.write_bytes(content)
    assert main(["run", str(f), "--out", str(tmp_path / "r")]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert message in err and name in err
    assert f.read_bytes() == content


def test_scenario_path_is_a_directory(tmp_path, capsys):
    assert main(["run", str(tmp_path)]) == EXIT_BAD_INPUT
    assert str(tmp_path) in capsys.readouterr().err


BAD_CLI_ARGUMENTS = [
    (["run", "S", "--time-limit", "-1"], "solver.time_limit"),
    (["run", "S", "--time-limit", "soon"], "--time-limit"),
    (["run", "S", "--backend", "cplex"], "--backend"),
    (["frontier", "S", "--points", "x"], "--points"),
    (["sweep", "S", "--grid", "parameters.budget=1,x"], "parameters.budget"),
    (["sweep", "S", "--grid", "budget"], "KEY=V1,V2"),
    (["nonsense"], "invalid choice"),
]


@pytest.mark.parametrize(("argv", "message"), BAD_CLI_ARGUMENTS)
def test_bad_cli_arguments(tmp_path, capsys, data_dir, argv, message):
    f = scenario_file(tmp_path / "ok.toml", data_dir)
    argv = [str(f) if a == "S" else a for a in argv]
    assert main(argv) == EXIT_BAD_INPUT
    assert message in capsys.readouterr().err


def test_the_bad_input_corpus_names_distinct_failures():
    """The corpus is not padding: every scenario case changes a different input and expects
    its own message, every dataset case builds its own input and names a file and column.
    Checked: duplicating a SCENARIO_CASES entry under a new id made this fail (the old
    ``n >= 40`` still passed)."""
    changes = [repr(c[1]) for c in SCENARIO_CASES]
    assert len(set(changes)) == len(changes)
    ids = [c[0] for c in SCENARIO_CASES] + [c[0] for c in ALL_DATASET_CASES]
    assert len(set(ids)) == len(ids)
    assert all(c[2] for c in SCENARIO_CASES)  # a message fragment to look for
    assert all(c[2] and c[3] and c[4] for c in ALL_DATASET_CASES)  # file, column, message
    assert len({c[1] for c in ALL_DATASET_CASES}) == len(ALL_DATASET_CASES)  # own input each


# ---------------------------------------------------------------------------- faults
def _cli(*args: str, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "planner", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # so the solver's own child (CBC) is killed with it
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def _has_cbc_child(pid: int) -> bool:
    """True once a ``cbc`` process runs in the session of ``pid`` (Linux /proc)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        if name.startswith("cbc") and int(fields[3]) == pid:  # fields[3]: session id
            return True
    return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_sigkill_mid_solve_leaves_nothing_complete_and_a_rerun_succeeds(tmp_path):
    """The D-TEP core scenario with CBC: killed while CBC works (its child process exists),
    then rerun. Checked: with check_output_directory (planner/runs.py) creating the output
    directory before the solve, this failed. Writing the run straight into its directory
    (no partial and rename) did not make it fail: the kill comes before any writing starts;
    that break is caught by test_sigkill_mid_write_leaves_only_a_partial_that_the_rerun_removes."""
    out = tmp_path / "run"
    args = ("run", str(ROOT / "scenarios" / "default.toml"), "--out", str(out), "--no-plots")
    args += ("--backend", "pulp")  # CBC in its own process (the scenario's default is faster)
    p = _cli(*args, cwd=tmp_path)
    assert p.stderr is not None
    # wait until the solver is at work: CBC's own child process exists (no sleep, no
    # assumption about how fast the machine is); then kill the whole session
    for line in p.stderr:
        if line.startswith("building and solving"):
            break
    deadline = time.monotonic() + 600
    while not _has_cbc_child(p.pid):
        assert p.poll() is None, "the run ended before CBC started"
        assert time.monotonic() < deadline, "CBC never started"
        time.sleep(0.05)
    os.killpg(p.pid, signal.SIGKILL)
    p.communicate(timeout=120)
    assert p.returncode == -signal.SIGKILL
    assert not out.exists()
    assert main(["verify", str(out)]) == EXIT_BAD_INPUT
    q = _cli(*args, cwd=tmp_path)
    _, stderr = q.communicate(timeout=600)
    assert q.returncode == EXIT_OK, stderr
    assert main(["verify", str(out)]) == EXIT_OK
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []


def test_sigkill_mid_write_leaves_only_a_partial_that_the_rerun_removes(tmp_path, data_dir):
    """A real SIGKILL after the third table is written: the run directory does not exist,
    only ``.run.partial-PID``; verify refuses it; the rerun writes a complete run and removes
    the stale partial."""
    f = scenario_file(tmp_path / "s.toml", data_dir)
    out = tmp_path / "run"
    code = textwrap.dedent(
        f"""
        import os, signal, sys
        import planner.runs as runs
        calls = []
        original = runs._write_csv
        def dying(df, path):
            original(df, path)
            calls.append(path)
            if len(calls) == 3:
                os.kill(os.getpid(), signal.SIGKILL)
        runs._write_csv = dying
        from planner.cli import main
        sys.exit(main(["run", {str(f)!r}, "--out", {str(out)!r}, "--no-plots"]))
        """
    )
    r = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )
    assert r.returncode == -signal.SIGKILL
    partials = list(tmp_path.glob(".run.partial-*"))
    assert len(partials) == 1 and len(list(partials[0].glob("*.csv"))) == 3
    assert not (partials[0] / "manifest.json").exists()
    assert not out.exists()
    assert main(["verify", str(partials[0])]) == EXIT_BAD_INPUT
    assert main(["run", str(f), "--out", str(out), "--no-plots"]) == EXIT_OK
    assert main(["verify", str(out)]) == EXIT_OK
    assert list(tmp_path.glob(".run.partial-*")) == []


def test_disk_full_while_writing(tmp_path, data_dir, monkeypatch, capsys):
    import planner.runs as runs

    f = scenario_file(tmp_path / "s.toml", data_dir)
    before = tree_digest(f, data_dir)
    calls = []

    def full(df, path):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return original(df, path)

    original = runs._write_csv
    monkeypatch.setattr(runs, "_write_csv", full)
    out = tmp_path / "run"
    with pytest.raises(RunError, match="No space left on device"):
        run_scenario(f, out, plots=False)
    calls.clear()
    assert main(["run", str(f), "--out", str(out), "--no-plots"]) == EXIT_BAD_INPUT
    assert "No space left on device" in capsys.readouterr().err
    assert not out.exists() and not list(tmp_path.glob(".run.partial-*"))
    assert tree_digest(f, data_dir) == before


def test_output_directory_exists_or_is_not_a_directory(tmp_path, data_dir, capsys):
    f = scenario_file(tmp_path / "s.toml", data_dir)
    done = tmp_path / "done"
    assert main(["run", str(f), "--out", str(done), "--no-plots"]) == EXIT_OK
    before = tree_digest(done)
    assert main(["run", str(f), "--out", str(done), "--no-plots"]) == EXIT_BAD_INPUT
    assert "exists already" in capsys.readouterr().err
    assert tree_digest(done) == before  # an earlier run is never overwritten
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    assert main(["run", str(f), "--out", str(blocker / "x"), "--no-plots"]) == EXIT_BAD_INPUT
    assert "cannot create the output directory" in capsys.readouterr().err


def test_missing_backend_names_the_package(tmp_path, data_dir, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "highspy", None)  # import highspy now fails
    p = Program()
    x = p.add_variables("x", 1, upper=1.0)
    p.set_objective(x.columns, [1.0], sense="max")
    with pytest.raises(SolverNotAvailableError, match="highspy") as err:
        solve(p, "highs")
    assert "pip install highspy" in str(err.value)
    f = scenario_file(tmp_path / "s.toml", data_dir)
    out = tmp_path / "run"
    assert main(["run", str(f), "--backend", "highs", "--out", str(out)]) == EXIT_SOLVER_ERROR
    assert "highspy" in capsys.readouterr().err
    assert not out.exists()


def test_time_limit_returns_the_incumbent_marked(tmp_path, data_dir):
    """A MILP stopped by a time limit of 1e-9 s (which no machine meets, however fast):
    the run says so and is never "optimal"; without an incumbent it exits 5 and writes no
    tables, with one it exits 0 and the plan verifies. Checked: with planner/solver/highs.py
    mapping its limit statuses to optimal this failed (status "error": an "optimal" run with no
    point is refused, never reported as optimal)."""
    f = scenario_file(
        tmp_path / "s.toml",
        data_dir,
        coalition={"choose_members": True},
        sectors={"choose_tiers": True, "tiers": {}},
        objective={"kind": "dependency"},
        solver={"backend": "highs", "time_limit": 1e-9},
    )
    out = tmp_path / "run"
    r = subprocess.run(
        [sys.executable, "-m", "planner", "run", str(f), "--out", str(out), "--no-plots"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] in ("time_limit_feasible", "time_limit_no_solution"), summary
    if summary["status"] == "time_limit_feasible":
        assert r.returncode == EXIT_OK
        assert "stopped by the time limit" in r.stderr
        assert main(["verify", str(out)]) == EXIT_OK  # the incumbent is a feasible plan
    else:
        assert r.returncode == EXIT_NO_SOLUTION, r.stderr
        assert "time_limit_no_solution" in r.stdout
        assert not (out / "links.csv").exists()
    assert json.loads((out / "manifest.json").read_text())["complete"] is True


# ---------------------------------------------------------------------------- numerics
def test_worst_row_ratio_by_hand():
    p = Program()
    x = p.add_variables("x", ["a", "b"])
    p.add_constraints("wide", ["r"], [0, 0], x.columns, [1e-3, 1e3], "<=", 1.0)
    p.add_constraints("narrow", ["s", "t"], [0, 1], x.columns, [2.0, 4.0], "<=", 1.0)
    assert p.worst_row_ratio() == (pytest.approx(1e6), "wide", "r")
    ranges = p.coefficient_ranges()
    assert ranges.loc["matrix", "min_abs"] == pytest.approx(1e-3)
    assert ranges.loc["matrix", "max_abs"] == pytest.approx(1e3)
    assert ranges.loc["matrix", "ratio"] == pytest.approx(1e6)


def test_run_reports_coefficient_ranges(tmp_path, data_dir):
    f = scenario_file(tmp_path / "s.toml", data_dir)
    o = run_scenario(f, tmp_path / "run", plots=False)
    n = json.loads((tmp_path / "run" / "summary.json").read_text())["numerics"]
    ranges = o.model.program.coefficient_ranges()
    assert n["coefficient_ranges"]["matrix"]["max_abs"] == pytest.approx(
        ranges.loc["matrix", "max_abs"]
    )
    assert n["worst_row_ratio"]["family"] in o.model.program.families
    assert 0 <= n["max_violation"] <= 1e-6
    log = (tmp_path / "run" / "solver.log").read_text()
    assert log.startswith("planner: coefficient ranges")


@pytest.fixture
def sloppy_highs(monkeypatch):
    """HiGHS whose point is moved by 0.01: a violation the solve wrapper must catch (also
    through a kept model, which is how branch_bound, the scenarios' default, solves an LP)."""
    from planner.solver import highs

    original, kept = highs.solve, highs.HighsSession.solve

    def sloppy(arrays, options, **kwargs):  # kwargs: start=, session= as the wrapper passes
        out = original(arrays, options, **kwargs)
        return replace(out, x=None if out.x is None else out.x + 0.01)

    def sloppy_kept(self, arrays, options, start=None):
        out = kept(self, arrays, options, start)
        return replace(out, x=None if out.x is None else out.x + 0.01)

    monkeypatch.setattr(highs, "solve", sloppy)
    monkeypatch.setattr(highs.HighsSession, "solve", sloppy_kept)


def test_violations_warn_and_fail_in_strict_mode(sloppy_highs):
    p = Program()
    x = p.add_variables("x", ["a", "b"])
    p.add_constraints("cap", ["c"], [0, 0], x.columns, [1.0, 1.0], "<=", 1.0)
    p.set_objective(x.columns, [1.0, 2.0], sense="max")
    with pytest.warns(InaccurateSolutionWarning, match="cap"):
        r = solve(p, "highs")
    assert r.max_violation == pytest.approx(0.02)
    assert r.numerics["max_violation"] == pytest.approx(0.02)
    with pytest.raises(SolveError, match="violates family 'cap'"):
        solve(p, "highs", SolveOptions(strict=True))


def test_strict_cli_run_fails_without_writing(tmp_path, data_dir, capsys, sloppy_highs):
    f = scenario_file(tmp_path / "s.toml", data_dir)
    out = tmp_path / "run"
    assert main(["run", str(f), "--strict", "--out", str(out), "--no-plots"]) == EXIT_SOLVER_ERROR
    assert "solver failed" in capsys.readouterr().err
    assert not out.exists()
    with pytest.warns(InaccurateSolutionWarning):
        assert main(["run", str(f), "--out", str(out), "--no-plots"]) == EXIT_OK
    assert json.loads((out / "summary.json").read_text())["numerics"]["max_violation"] > 1e-3


def test_strict_is_a_scenario_key(data_dir):
    from planner.runs import solve_options
    from planner.scenario import Scenario

    sc = Scenario.from_dict({"name": "x", "solver": {"strict": True}})
    assert solve_options(sc).strict is True


def test_wide_coefficients_are_flagged(tmp_path, data_dir, capsys, monkeypatch):
    import planner.cli as cli

    monkeypatch.setattr(cli, "WIDE_ROW_RATIO", 0.5)
    f = scenario_file(tmp_path / "s.toml", data_dir)
    assert main(["run", str(f), "--out", str(tmp_path / "r"), "--no-plots"]) == EXIT_OK
    assert "span a ratio of" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.5, 1.5, 3.0, 5.0, 8.0, 11.0, 14.0, 17.0])
def test_sigkill_at_any_moment(tmp_path, delay):
    """SIGKILL of the D-TEP core run after ``delay`` seconds from the start: either
    the run finished (complete, verifies) or nothing that passes as a run exists; the rerun
    always succeeds (``pytest -m slow``)."""
    out = tmp_path / "run"
    args = ("run", str(ROOT / "scenarios" / "default.toml"), "--out", str(out), "--no-plots")
    p = _cli(*args, cwd=tmp_path)
    time.sleep(delay)
    killed = p.poll() is None
    if killed:
        os.killpg(p.pid, signal.SIGKILL)
    p.communicate(timeout=120)
    if killed:
        assert not out.exists() or main(["verify", str(out)]) == EXIT_OK
        if out.exists():
            return
        q = _cli(*args, cwd=tmp_path)
        _, stderr = q.communicate(timeout=600)
        assert q.returncode == EXIT_OK, stderr
    assert main(["verify", str(out)]) == EXIT_OK
    assert [x.name for x in tmp_path.iterdir() if "partial" in x.name] == []


def test_a_point_off_a_bound_and_off_integrality_warns_naming_the_block(monkeypatch):
    """One block listed twice among the violations (bounds and integrality): the warning
    names the worst one. Checked: picking the row by label raised TypeError instead."""
    from planner.solver import highs

    original = highs.solve

    def off(arrays, options, **kwargs):
        out = original(arrays, options, **kwargs)
        return replace(out, x=None if out.x is None else out.x + 1.5)

    monkeypatch.setattr(highs, "solve", off)
    p = Program()
    x = p.add_variables("x", ["a"], upper=2.0, kind="integer")
    p.add_constraints("cap", ["c"], [0], [x.offset], [1.0], "<=", 10.0)
    p.set_objective([x.offset], [1.0], sense="max")
    with pytest.warns(InaccurateSolutionWarning, match="violates .* 'x'"):
        r = solve(p, "highs", SolveOptions(fixed_milp_duals=False))
    assert r.max_violation == pytest.approx(1.5)
