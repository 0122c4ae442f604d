"""The registry of ``planner verify``: one check per constraint family of the model, each
catching its own violation in an edited run directory."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from formulations.families import FAMILIES, LINKING
from planner.verification import CHECKS, EXTRA_CHECKS, ordered_checks
from planner.verify import verify_run
from tests.test_runs_verify import _edit, _run


def _missing(checks: dict) -> list[str]:
    """The model's families without a registered check."""
    return [f for f in [*FAMILIES, *LINKING] if f not in checks]


def test_every_family_has_a_registered_check():
    assert _missing(CHECKS) == [], "families without a check in planner.verification"
    assert set(CHECKS) == set(FAMILIES) | set(LINKING), "checks registered for no family"
    assert not set(CHECKS) & set(EXTRA_CHECKS)
    for name, check in CHECKS.items():
        assert check.name == name and check.run.__name__ == f"check_{name}"


def test_a_missing_registration_is_noticed(monkeypatch):
    monkeypatch.delitem(CHECKS, "coercion")
    assert _missing(CHECKS) == ["coercion"]
    assert "coercion" not in [c.name for c in ordered_checks()]


def test_verify_is_independent_of_the_model_builder():
    import planner.verification as pkg

    for path in [
        *Path(pkg.__file__).parent.glob("*.py"),
        Path(pkg.__file__).parents[1] / "verify.py",
    ]:
        tree = ast.parse(path.read_text())
        names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        assert not [m for m in names if m.split(".")[0] == "formulations"], path.name


def test_report_rows_follow_the_registry_order(tmp_path, data_dir):
    # the default switches: no participation, coercion, indirect exposure, partnerships
    o = _run(tmp_path, data_dir, "base")
    report = verify_run(o.directory)
    assert report.ok, str(report)
    assert report.table["family"].tolist() == [
        "demand",
        "keep_baseline",
        "ally_shoring",
        "no_new_adversary_sourcing",
        "tier_rules_cut",
        "tier_rules_open",
        "capacity",
        "budget",
        "cost_matches_summary",
        "openness_volume",
        "openness_open_share",
        "openness_max_restricted",
        "coalition_size",
        "coalition_gdp",
        "eligibility",
        "anchors",
        "dependency_index",
    ]


ONE_FAMILY = [
    # (scenario sections, file, row, column, new value, the one failing family, its label)
    (
        # DEU (outside) keeps its baseline: a higher baseline than optimized breaks only that
        {},
        "links.csv",
        {"importer": "DEU", "exporter": "CHN", "sector": "S1"},
        "baseline",
        45.0,
        "keep_baseline",
        "('DEU', 'S1', 'CHN')",
    ),
    (
        # USA sources more from its associate DEU; with DEU outside, that is not ally-shoring
        {
            "coalition": {"associates": ["DEU"]},
            "sectors": {"tiers": {"S1": "incentivized"}},
            "constraints": {"participation": True},
        },
        "countries.csv",
        {"iso3": "DEU"},
        "role",
        "outside",
        "ally_shoring",
        "('USA', 'S1', 'DEU')",
    ),
]


@pytest.mark.parametrize(
    ("sections", "file", "where", "column", "value", "family", "label"),
    ONE_FAMILY,
    ids=[c[5] for c in ONE_FAMILY],
)
def test_a_check_catches_its_family_and_names_the_label(
    tmp_path, data_dir, sections, file, where, column, value, family, label
):
    o = _run(tmp_path, data_dir, "edited", **sections)
    assert verify_run(o.directory).ok
    _edit(o.directory, file, where, column, value)
    report = verify_run(o.directory)
    assert not report.ok
    bad = report.table[report.table["relative"] > 1e-5]
    assert bad["family"].tolist() == [family], str(report)
    assert bad["at"].tolist() == [label]
    assert f"{label}  FAIL" in str(report) and str(report).endswith("verdict: FAILED")
