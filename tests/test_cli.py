"""The console script and ``python -m planner``."""

from __future__ import annotations

import subprocess
import sys

from planner.cli import EXIT_BAD_INPUT, main


def test_info_lists_backends(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "backends available: highs, scipy, pulp" in out


def test_no_command_is_bad_input(capsys):
    assert main([]) == EXIT_BAD_INPUT
    assert "usage: planner" in capsys.readouterr().out


def test_unknown_command_exit_code(capsys):
    assert main(["frobnicate"]) == 2
    assert "invalid choice" in capsys.readouterr().err


def test_python_dash_m():
    out = subprocess.run(
        [sys.executable, "-m", "planner", "--help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert "Exit codes" in out.stdout


def test_data_info_on_the_default_dataset(capsys):
    assert main(["data", "info"]) == 0
    out = capsys.readouterr().out
    assert "default: 80 countries, 50 sectors" in out
    assert "strategic 2" in out


def test_data_validate_bad_directory(tmp_path, capsys):
    (tmp_path / "countries.csv").write_text("iso3,gdp,regime\nUSA,1,2\n")
    (tmp_path / "sectors.csv").write_text("sector,weight\nC26,1\n")
    (tmp_path / "flows.csv").write_text("importer,exporter,sector,value\n")
    assert main(["data", "validate", "--path", str(tmp_path)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "countries.csv: column 'regime': value above 1" in err
