"""The gallery (planner gallery): bloc lists against their sources, the shipped gallery
scenarios, efficiency on a hand-solved world, the optimum-never-worse check, and every error
path (message, exit code 2, nothing written)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pandas as pd
import pytest

from planner.cli import EXIT_BAD_INPUT, EXIT_OK, main
from planner.data import load_dataset
from planner.galleries import (
    GALLERY_BLOCS,
    GalleryError,
    OptimumWorseError,
    best_scenario,
    bloc_scenario,
    bloc_specs,
    gallery,
    gallery_toml,
    read_bloc_table,
)
from planner.scenario import Scenario, load_scenario
from planner.verify import verify_run

ROOT = Path(__file__).resolve().parents[1]
BLOCS = ROOT / "data" / "blocs.csv"


@pytest.fixture(scope="module")
def shipped():
    return load_dataset()


@pytest.fixture(scope="module")
def blocs():
    return read_bloc_table(BLOCS)


# ------------------------------------------------------------------ bloc lists and sources
def _members(blocs: pd.DataFrame, bloc: str) -> set[str]:
    return set(blocs.loc[blocs["bloc"] == bloc, "iso3"])


def test_bloc_lists_match_their_sources(blocs):
    """Sizes and named members of every list, as its source states them.

    Checked: dropping GBR from reference.CPTPP (11 parties) and Estonia from the MSP list
    fails the sizes; counting the EU as one member of TTIP fails it too.
    """
    sizes = blocs.groupby("bloc").size().to_dict()
    assert sizes == {
        "eu27": 27,
        "g7": 7,
        "oecd": 38,
        "nato": 32,
        "quad": 4,
        "ipef": 14,
        "d10": 10,
        "cptpp": 12,  # 11 parties of 2018-03-08 + the United Kingdom (in force 2024-12-15)
        "tpp12": 12,  # the 2016-02-04 signatories
        "usmca": 3,
        "chip4": 4,
        "msp": 14,  # 14 partner countries as of 2024-03; the EU not enumerated
        "ttip": 28,  # the United States and the EU's 27 member states
    }
    assert _members(blocs, "cptpp") - _members(blocs, "tpp12") == {"GBR"}
    assert _members(blocs, "tpp12") - _members(blocs, "cptpp") == {"USA"}
    assert {"PER", "VNM", "CHL", "BRN", "MEX"} <= _members(blocs, "cptpp")
    assert _members(blocs, "usmca") == {"USA", "MEX", "CAN"}
    assert _members(blocs, "chip4") == {"USA", "JPN", "KOR", "TWN"}
    assert {"EST", "IND", "ITA", "NOR", "AUS", "KOR"} <= _members(blocs, "msp")
    assert "CHN" not in _members(blocs, "msp") and "EU" not in _members(blocs, "msp")
    assert _members(blocs, "ttip") == _members(blocs, "eu27") | {"USA"}
    # a source per list: one non-empty text per bloc, naming its date where it has one
    src = blocs.groupby("bloc")["source"].agg(["nunique", "first"])
    assert (src["nunique"] == 1).all() and (src["first"].str.len() > 20).all()
    assert "2024-12-15" in src.loc["cptpp", "first"] and "2016-02-04" in src.loc["tpp12", "first"]
    assert "2024-03" in src.loc["msp", "first"]


def test_members_outside_the_dataset_are_listed_not_dropped(blocs, shipped):
    """in_dataset says whether a member is one of the 80 economies, and agrees with
    countries.csv; Fiji (IPEF) and three NATO Allies are kept and flagged.

    Checked: writing in_dataset True for FJI fails the agreement with countries.csv.
    """
    inside = blocs["iso3"].isin(shipped.countries.index)
    assert (blocs["in_dataset"] == inside.map(str)).all()
    sub = blocs[blocs["in_dataset"] == "False"]
    out = set(sub["bloc"] + ":" + sub["iso3"])
    assert out == {"ipef:FJI", "nato:ALB", "nato:MKD", "nato:MNE"}
    spec = bloc_specs(shipped, ["ipef"])[0]
    assert spec.not_modelled == ("FJI",) and spec.size == 13 and spec.listed == 14


def test_blocs_csv_is_the_build_of_the_reference_lists_and_in_the_manifest():
    """data/blocs.csv is what planner.data.build writes from planner.data.reference.BLOCS,
    and MANIFEST.json holds its sha256 and row count; countries.csv keeps its seven flags.

    Checked: editing a row of blocs.csv by hand fails the rebuild comparison and the hash.
    """
    import hashlib

    from planner.data import reference as ref

    countries = pd.read_csv(ROOT / "data" / "countries.csv", dtype=str)
    expected = pd.DataFrame(
        [
            (bloc, iso, str(iso in set(countries["iso3"])), src)
            for bloc, (members, src) in ref.BLOCS.items()
            for iso in sorted(members)
        ],
        columns=["bloc", "iso3", "in_dataset", "source"],
    )
    pd.testing.assert_frame_equal(read_bloc_table(BLOCS), expected)
    manifest = json.loads((ROOT / "data" / "MANIFEST.json").read_text())
    assert manifest["files"]["blocs.csv"] == hashlib.sha256(BLOCS.read_bytes()).hexdigest()
    assert manifest["rows"]["blocs.csv"] == len(expected) == 205
    flags = [c for c in countries.columns if c in ref.BLOCS]
    assert flags == list(ref.COUNTRY_FLAGS)


# ------------------------------------------------------------------ the shipped scenarios
def test_shipped_gallery_scenarios_are_the_generated_ones(shipped):
    """scenarios/gallery holds one file per gallery bloc, byte for byte what gallery_toml
    writes, and each loads as the bloc's run scenario (membership fixed by the rule).

    The files are not in scenarios/*.toml (the shipped-scenario tests glob that level only):
    they are checked here instead. Checked: editing a file's budget fails the comparison.
    """
    files = sorted((ROOT / "scenarios" / "gallery").glob("*.toml"))
    assert sorted(p.stem for p in files) == sorted(GALLERY_BLOCS)
    specs = {s.name: s for s in bloc_specs(shipped)}
    for p in files:
        spec = specs[p.stem]
        assert p.read_text() == gallery_toml(spec), p.name
        loaded = load_scenario(p).to_dict()
        assert loaded == bloc_scenario(spec).to_dict(), p.name


def test_membership_rule_on_the_shipped_data(shipped):
    """Full members pass the full threshold (0.6), the others are associates whatever the
    associate threshold (lowered to the lowest one's score); the anchor is the largest full
    member; the optimum keeps anchor and thresholds and caps the size.

    Checked: taking the anchor from the bloc's first member (AUS for IPEF) fails.
    """
    ipef, eu, chip4 = bloc_specs(shipped, ["ipef", "eu27", "chip4"])
    assert ipef.full == ("AUS", "JPN", "KOR", "NZL", "USA")
    assert set(ipef.associates) == {"BRN", "IDN", "IND", "MYS", "PHL", "SGP", "THA", "VNM"}
    assert ipef.associate_threshold == shipped.countries.loc["BRN", "regime"] == 0.081
    assert ipef.anchor == ("USA",) and eu.anchor == ("DEU",) and chip4.anchor == ("USA",)
    assert set(eu.associates) == {"HUN", "POL", "ROU"}  # V-Dem 2022 below 0.6
    assert chip4.associate_threshold == 0.3 and chip4.associates == ()
    sc = bloc_scenario(ipef)
    assert not sc.coalition.choose_members and sc.coalition.anchors == ["USA"]
    best = best_scenario(ipef)
    assert best.coalition.choose_members and best.coalition.max_size == 13
    assert best.coalition.associate_threshold == 0.081 and best.coalition.anchors == ["USA"]
    assert best.parameters.budget == sc.parameters.budget == 50000.0


# ------------------------------------------------------------------ a hand-solved world
# The tiny world (tests/tiny.py): candidates USA (GDP 100, regime 0.9), DEU (50, 0.8), MEX (20,
# 0.4, associate-eligible only); S1 (weight 1) fixed restricted with residual 0, so a full
# member's adversary share in S1 falls to 0 (it buys from DEU or reshores, budget ample) and an
# associate or outsider keeps its baseline share (USA 100/150, DEU 40/50, MEX 10/10).
# DI = sum over candidates of gdp/170 * share:
#   before:                 (100 * 2/3 + 50 * 0.8 + 20 * 1) / 170 = 126.667 / 170 = 0.74510
#   bloc "usde" {USA, DEU}: MEX alone keeps its share:  20 * 1 / 170          = 0.11765
#   bloc "usmx" {USA, MEX}: MEX is an associate (0.4 < 0.6), DEU outside: (50 * 0.8 + 20) / 170
#                                                                             = 0.35294
#   the best coalition of 2 around USA: DEU (full) beats MEX (associate):      0.11765
# efficiency(usde) = 1; efficiency(usmx) = (126.667 - 60) / (126.667 - 20) = 66.667 / 106.667
#                                        = 0.625
DI0 = (100 * 2 / 3 + 50 * 0.8 + 20) / 170
TABLE = pd.DataFrame(
    {
        "bloc": ["usde", "usde", "usmx", "usmx", "usmx"],
        "iso3": ["USA", "DEU", "USA", "MEX", "BRA"],
        "in_dataset": ["True", "True", "True", "True", "False"],
        "source": ["a hand-made pair"] * 2 + ["a hand-made pair and a country not modelled"] * 3,
    }
)


def _tiny_base(data_dir: Path) -> Scenario:
    return Scenario.from_dict(
        {
            "name": "tiny-gallery",
            "data": {"path": str(data_dir)},
            "coalition": {"adversaries": ["CHN"]},
            "sectors": {"choose_tiers": False, "tiers": {"S1": "restricted"}},
            "parameters": {"budget": 10000.0, "max_volume_drop": 1.0, "min_open_share": 0.0},
            "objective": {"kind": "dependency", "cost_tiebreak": 0.0},
        }
    )


def _one_bloc(bloc: str, tmp_path: Path, data_dir: Path, base: Scenario | None = None):
    """The gallery of one bloc of TABLE on the tiny world, into ``tmp_path / "g"``."""
    return gallery(
        [bloc],
        tmp_path / "g",
        dataset=load_dataset(data_dir),
        table=TABLE,
        base=base if base is not None else _tiny_base(data_dir),
        workers=1,
        plots=False,
    )


@pytest.fixture(scope="module")
def tiny_gallery(data_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("gallery") / "g"
    res = gallery(
        None,
        out,
        dataset=load_dataset(data_dir),
        table=TABLE,
        base=_tiny_base(data_dir),
        workers=1,
    )
    return res, out


def test_efficiency_is_one_for_the_optimum_and_below_one_for_a_worse_bloc(tiny_gallery):
    """The hand-solved values above; the swap names who the optimum takes in and out.

    Checked: computing efficiency as best cut / bloc cut (1.6 for usmx) fails.
    """
    res, _ = tiny_gallery
    t = res.table.set_index("bloc")
    assert list(res.table["bloc"]) == ["usde", "usmx"]  # most efficient first
    assert t["dependency_before"].tolist() == pytest.approx([DI0, DI0], abs=1e-9)
    assert t.loc["usde", "dependency_after"] == pytest.approx(20 / 170, abs=1e-9)
    assert t.loc["usmx", "dependency_after"] == pytest.approx(60 / 170, abs=1e-9)
    assert t["best_dependency_after"].tolist() == pytest.approx([20 / 170] * 2, abs=1e-9)
    assert t.loc["usde", "efficiency"] == pytest.approx(1.0, abs=1e-9)
    assert t.loc["usmx", "efficiency"] == pytest.approx(0.625, abs=1e-9)
    assert t.loc["usmx", "swap_in"] == "DEU" and t.loc["usmx", "swap_out"] == "MEX"
    assert t.loc["usde", "swap_in"] == "" or pd.isna(t.loc["usde", "swap_in"])
    assert t.loc["usmx", "associates"] == 1 and t.loc["usmx", "not_modelled"] == "BRA"
    assert t.loc["usmx", "size"] == 2 and t.loc["usmx", "listed"] == 3
    assert (t["anchor"] == "USA").all()
    assert t.loc["usde", "gdp_share"] == pytest.approx(150 / 250)  # CHN's 80 in the total
    assert (t["best_dependency_after"] <= t["dependency_after"] + t["tolerance"]).all()


def test_gallery_directory_has_the_table_report_chart_and_normal_runs(tiny_gallery):
    """gallery.csv / .md / .html (chart embedded) / .png / .json and a manifest; each bloc's
    and each optimum's run directory passes planner verify; no stress columns without a
    network (said in the notes, not faked).

    Checked: leaving the chart out of the report's blocks fails the embedded-PNG check.
    """
    res, out = tiny_gallery
    assert res.directory == out.resolve()
    names = {p.name for p in out.iterdir()}
    assert {"gallery.csv", "gallery.md", "gallery.html", "gallery.png", "gallery.json"} <= names
    assert {"manifest.json", "timings.json", "runs"} <= names
    assert not [n for n in names if n.startswith(".")]
    csv = pd.read_csv(out / "gallery.csv")
    assert list(csv["bloc"]) == ["usde", "usmx"]
    html = (out / "gallery.html").read_text()
    png = base64.b64encode((out / "gallery.png").read_bytes()).decode("ascii")
    assert png in html and "League table" in html
    md = (out / "gallery.md").read_text()
    assert "62 % of what the best 2-country coalition around USA would achieve" in md
    assert "Swapping MEX for DEU" in md and "BRA not modelled" in md
    assert "no protected-output columns" in md
    assert csv["protected_output"].isna().all()
    runs = sorted(p.name for p in (out / "runs").iterdir())
    assert runs == ["usde", "usde-best", "usmx", "usmx-best"]
    for name in runs:
        assert verify_run(out / "runs" / name).ok, name
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] and set(manifest["runs"]) == set(runs)
    from planner.runs import compare_runs

    changes = compare_runs([out / "runs" / "usmx", out / "runs" / "usmx-best"])["changes"]
    assert changes.iloc[0]["members_gained"] == ["DEU"]
    assert "warnings" not in compare_runs([out / "runs" / "usmx", out / "runs" / "usmx-best"])


def _without_deu(real_solve, program, backend, options, start, session):
    """``real_solve``, except that a program which may choose DEU as a full member is solved
    with DEU held out (and without the start), as a solver that misses the optimum would;
    returns the result and whether DEU was held out."""
    import numpy as np

    blk = program.blocks.get("full_member")
    if blk is None or "DEU" not in set(blk.labels):
        return real_solve(program, backend, options, start, session), False
    held = program.copy()
    k = int(np.flatnonzero(np.asarray(held.block("full_member").labels) == "DEU")[0])
    held.block("full_member").upper[k] = 0.0
    return real_solve(held, backend, options), True


def test_an_optimum_worse_than_its_bloc_is_resolved_from_the_bloc(data_dir, monkeypatch, tmp_path):
    """A solver that hands back a worse coalition for the optimum (DEU held out: the
    coalition {USA, MEX}, DI 60/170) is caught by the gallery's check, re-solved from the
    bloc's plan, and reported as such.

    Checked: removing the check in _bloc_task leaves usde's best at 0.353 and fails.
    """

    import planner.runs
    from planner.solver import solve as real_solve

    def worse(program, backend="highs", options=None, start=None, session=None):
        return _without_deu(real_solve, program, backend, options, start, session)[0]

    monkeypatch.setattr(planner.runs, "solve", worse)
    res = _one_bloc("usde", tmp_path, data_dir)
    row = res.table.iloc[0]
    assert row["best_restart"] == "bloc"
    assert row["best_dependency_after"] == pytest.approx(20 / 170, abs=1e-9)
    assert row["efficiency"] == pytest.approx(1.0, abs=1e-9)
    assert verify_run(tmp_path / "g" / "runs" / "usde-best").ok


def test_an_optimum_stopped_by_a_time_limit_goes_on_with_highs(data_dir, monkeypatch, tmp_path):
    """CBC (backend pulp) that stops at its limit with a plan no worse than the bloc (usmx's
    own coalition, DI 60/170) hands its incumbent to HiGHS, which finds the optimum (20/170);
    the table says which solver gave the row and how it was restarted.

    Checked: skipping the hand-over (only a worse optimum restarts) leaves usmx's best at
    0.353, status time_limit_feasible, and fails.
    """
    import dataclasses

    import planner.runs
    from planner.solver import Status
    from planner.solver import solve as real_solve

    def stopped(program, backend="highs", options=None, start=None, session=None):
        res, held_out = _without_deu(real_solve, program, backend, options, start, session)
        if not held_out:
            return res
        return dataclasses.replace(res, status=Status.TIME_LIMIT_FEASIBLE, gap=0.5)

    monkeypatch.setattr(planner.runs, "solve", stopped)
    base = _tiny_base(data_dir).with_overrides({"solver.backend": "pulp"})
    res = _one_bloc("usmx", tmp_path, data_dir, base)
    row = res.table.iloc[0]
    assert row["best_restart"] == "incumbent" and row["best_status"] == "optimal"
    assert "HiGHS" in row["best_solver"]
    assert row["best_dependency_after"] == pytest.approx(20 / 170, abs=1e-9)
    assert row["efficiency"] == pytest.approx(0.625, abs=1e-9)
    assert verify_run(tmp_path / "g" / "runs" / "usmx-best").ok


def test_an_optimum_that_stays_worse_is_an_error_and_nothing_is_written(
    data_dir, monkeypatch, tmp_path
):
    """When even the re-solve from the bloc is worse (here: an optimum capped at 1 country,
    which cannot hold the 2-country bloc), the gallery fails (exit 4) and writes nothing.

    Checked: returning the worse optimum instead of raising fails the pytest.raises.
    """
    import planner.galleries as g

    real = g.best_scenario
    monkeypatch.setattr(
        g,
        "best_scenario",
        lambda spec, base=None: real(spec, base).with_overrides({"coalition.max_size": 1}),
    )
    with pytest.raises(OptimumWorseError, match=r"usde.*above the bloc's") as err:
        _one_bloc("usde", tmp_path, data_dir)
    assert err.value.exit_code == 4
    assert not list(tmp_path.iterdir())


# ------------------------------------------------------------------ errors: exit 2, nothing
def test_unknown_bloc_is_exit_2_and_nothing_is_written(tmp_path, capsys):
    """An unknown name among known ones: the message names it and lists the known blocs.

    Checked: dropping the unknown-name check lets the name through to the "no modelled
    member" error instead, which fails the message match."""
    out = tmp_path / "g"
    assert main(["gallery", "--blocs", "ipef,atlantis", "--out", str(out)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "unknown bloc(s) ['atlantis']" in err and "known: eu27, g7" in err
    assert not out.exists() and not list(tmp_path.iterdir())


def test_bloc_without_a_modelled_member_is_exit_2_and_nothing_is_written(
    data_dir, tmp_path, capsys
):
    """A bloc none of whose members is in the dataset (the EU on the tiny world).

    Checked: dropping the "no modelled member" check lets the empty bloc through to a
    scenario error (max_size 0) with another message, which fails the match.
    """
    table = tmp_path / "blocs.csv"
    pd.DataFrame(
        {
            "bloc": ["eu", "eu", "usde", "usde"],
            "iso3": ["FRA", "ITA", "USA", "DEU"],
            "in_dataset": ["False", "False", "True", "True"],
            "source": ["x", "x", "y", "y"],
        }
    ).to_csv(table, index=False)
    out = tmp_path / "g"
    args = ["gallery", "--data", str(data_dir), "--bloc-table", str(table), "--out", str(out)]
    assert main([*args, "--blocs", "usde,eu"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "bloc 'eu': none of its members ['FRA', 'ITA'] is modelled" in err
    assert not out.exists()
    with pytest.raises(GalleryError, match="given twice"):
        bloc_specs(load_dataset(data_dir), ["usde", "usde"], table)


def test_cli_gallery_on_the_tiny_world(data_dir, tmp_path, capsys):
    """``planner gallery --data DIR --bloc-table FILE``: the brief on stdout, the directory
    written, its runs verified by ``planner verify`` (the runs name the dataset directory).

    Checked: leaving data.path at "default" in the runs fails planner verify (other dataset).
    """
    table = tmp_path / "blocs.csv"
    TABLE.to_csv(table, index=False)
    base = tmp_path / "base.toml"
    from planner.scenario import scenario_to_toml

    base.write_text(scenario_to_toml(_tiny_base(data_dir)))
    out = tmp_path / "g"
    args = ["gallery", "--data", str(data_dir), "--bloc-table", str(table), "--base", str(base)]
    assert main([*args, "--out", str(out), "--no-plots", "--workers", "1"]) == EXIT_OK
    stdout = capsys.readouterr().out
    assert "usmx" in stdout and "gallery directory:" in stdout
    assert main(["verify", str(out / "runs" / "usmx-best")]) == EXIT_OK
    assert not (out / "gallery.png").exists()


# ------------------------------------------------------------------ the shipped data
@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_shipped_gallery_optimum_never_worse_than_the_bloc(tmp_path, shipped):
    """On the shipped data (the three smallest blocs, about a minute), the best same-size
    coalition's DI is never above the bloc's, efficiency is in (0, 1], and every run passes
    planner verify. The gallery enforces the same inequality on every bloc it runs.
    """
    res = gallery(["usmca", "chip4", "quad"], tmp_path / "g", dataset=shipped, plots=False)
    t = res.table
    assert (t["best_dependency_after"] <= t["dependency_after"] + t["tolerance"]).all()
    assert ((t["efficiency"] > 0) & (t["efficiency"] <= 1 + 1e-6)).all()
    assert t["protected_output"].notna().all() and t["look_through_after"].notna().all()
    for p in (tmp_path / "g" / "runs").iterdir():
        assert verify_run(p).ok, p.name


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        (["--workers", "0"], "--workers"),
        (["--time-limit", "0"], "solver.time_limit"),
        (["--blocs", "usde", "--blocs", "usde"], "given twice"),
        (["--out", "EXISTING"], "exists already"),
    ],
    ids=["workers-0", "time-limit-0", "bloc-twice", "out-exists"],
)
def test_bad_gallery_options_exit_2_before_any_solve(
    data_dir, tmp_path, monkeypatch, capsys, extra, key
):
    """Every option is checked before a solve starts and nothing is written.

    Checked: removing both --workers checks (command line and gallery()) starts a solve
    (serially) and fails.
    """
    import planner.runs

    def refuse(*args, **kwargs):
        raise AssertionError("a solve started before the command line was checked")

    monkeypatch.setattr(planner.runs, "solve", refuse)
    monkeypatch.chdir(tmp_path)
    table = tmp_path / "blocs.csv"
    TABLE.to_csv(table, index=False)
    (tmp_path / "EXISTING").mkdir()
    before = sorted(p.name for p in tmp_path.rglob("*"))
    argv = ["gallery", "--data", str(data_dir), "--bloc-table", str(table), *extra]
    assert main(argv) == EXIT_BAD_INPUT
    assert key in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
