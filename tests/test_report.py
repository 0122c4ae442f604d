"""The report: numbers for people (one formatting module), the story first, figures by default,
the why (shadow prices) in the report, summary.json and the printed summary, and ``planner
report`` re-rendering a run without touching it.

Known answers: the formatting rules by example; the tiny world's report states its plan's own
numbers and re-renders byte for byte from its files; the shipped default run's budget sentence
equals a central finite difference of the LP with membership and tiers fixed.
"""

from __future__ import annotations

import base64
import doctest
import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planner.cli import EXIT_BAD_INPUT, EXIT_OK, main
from planner.interpreter import formatting as fmt
from planner.interpreter import interpret
from planner.interpreter.report import ReportData, markdown_report, write_report
from tests.tiny import run, scenario

#: a number in scientific notation, as Python or C print it
SCIENTIFIC = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?[eE][+-]?\d+(?![\w])")
DATA_URI = re.compile(r"data:image/png;base64,[A-Za-z0-9+/=]+")


def _scientific(text: str) -> list[str]:
    return SCIENTIFIC.findall(DATA_URI.sub("", text))


# ------------------------------------------------------------------ formatting
def test_formatting_rules_by_example():
    assert doctest.testmod(fmt).failed == 0
    assert fmt.number(1234567.0) == "1,234,567"
    assert fmt.number(12.345) == "12.3" and fmt.number(0.00012345) == "0.000123"
    assert fmt.number(6.638e-19, scale=1e5) == "0"  # noise against its column's scale
    assert fmt.number(6.638e-19) == "0"  # below 12 decimals: rounds to 0
    assert fmt.number(-0.0) == "0" and fmt.number(-1e-15, scale=1.0) == "0"
    assert fmt.number(3.2e-7, scale=3.2e-7) == "0.000000320"
    assert fmt.number(float("nan")) == "n/a"
    assert fmt.usd(50000.0) == "USD 50.0 bn" and fmt.usd(1.234e6) == "USD 1,234 bn"
    assert fmt.usd(350.0) == "USD 350 mn" and fmt.usd(0.5) == "USD 0.500 mn"
    assert fmt.percent(0.1696, decimals=2) == "16.96 %" and fmt.percent(1.0) == "100.0 %"
    assert fmt.percentage_points(0.0009647) == "0.0965 percentage points"
    assert fmt.plain_text("by 1.795e-05 (from 0.07715), 2E+03 and C24A") == (
        "by 0.00001795 (from 0.07715), 2,000 and C24A"
    )
    for v in (1e-30, 1e-9, 3.3e-5, 1e15, 1e22):
        assert not _scientific(fmt.number(v)), v
    df = fmt.clean_relative(pd.DataFrame({"a": [1e5, 6.6e-19, -0.0], "b": [1e-12, 2e-12, 0.0]}))
    assert df["a"].tolist() == [1e5, 0.0, 0.0] and str(df["a"].iloc[2]) == "0.0"
    assert df["b"].tolist() == [1e-12, 2e-12, 0.0]  # small, but not small against its scale


# ------------------------------------------------------------------ the tiny world
@pytest.fixture(scope="module")
def tiny_report(tmp_path_factory):
    """USA member, DEU associate, S1 incentivized, budget USD 20 mn (hand-checked in
    tests/test_interpret.py): the report written once."""
    sc = scenario(
        coalition={"associates": ["DEU"]},
        sectors={"tiers": {"S1": "incentivized"}},
        parameters={"budget": 20.0},
        objective={"kind": "dependency"},
    )
    res, model, _ = run(sc)
    it = interpret(model, res)
    d = tmp_path_factory.mktemp("tiny_report")
    return it, d, write_report(it, d)


def test_tiny_report_tells_the_story_first(tiny_report):
    it, _, paths = tiny_report
    md = paths["report.md"].read_text()
    h = it.headline
    # the story before figures and tables
    order = [md.index(s) for s in ("## The plan at a glance", "## Figures", "## Tables")]
    assert order == sorted(order)
    glance = md[order[0] : order[1]]
    assert "**Coalition:** 1 full member and 1 associate (2 of 3 candidate countries)." in glance
    assert "Full members: USA." in glance and "Associates: DEU." in glance
    assert "0 restricted, 1 incentivized (S1), 1 open, of 2 sectors" in glance
    assert (
        f"{h['dependency_before']:.4f} → {h['dependency_after']:.4f} (a cut of "
        f"{(1 - h['dependency_after'] / h['dependency_before']) * 100:.1f} %)" in glance
    )
    assert "**Cost:** USD 20.0 mn of a USD 20.0 mn budget (100.0 % used)." in glance
    for sentence in it.tables["shadow_prices"]["sentence"]:
        assert f"  - {fmt.plain_text(sentence)}" in glance
    assert "`budget`: new sourcing, reshoring and pooled investment cost at most B; binds." in (
        glance
    )
    assert "`parameters.headroom`" in md and "`parameters.budget`" in md
    assert it.summary() in md
    # the figures, each with title, caption and file, embedded byte for byte in the HTML
    html = paths["report.html"].read_text()
    names = ["dependency", "cost", "gains", "tiers"]
    assert [k for k in paths if k not in ("report.md", "report.html")] == names
    for k, name in enumerate(names, start=1):
        png = paths[name].read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"({name}.png)" in md and f"*Figure {k}: " in md
        assert "data:image/png;base64," + base64.b64encode(png).decode() in html
    assert "<script" not in html and 'name="viewport"' in html
    assert not _scientific(md) and not _scientific(html)


def test_tiny_report_tables_are_the_plan_cut_and_formatted(tiny_report):
    it, d, paths = tiny_report
    md = paths["report.md"].read_text()
    # the coalition only (CHN and MEX are left out), money in USD mn at this scale
    assert "| USA | member | 100 | 0.90 | anchor: fixed full member |" in md
    assert "| MEX |" not in md.split("### The coalition")[1].split("###")[0]
    assert "*Showing 2 of 4 rows (full members first" in md
    # USD 1.75 mn of new sourcing from DEU (17.5 at premium 0.1), the rest reshoring
    assert "| USA | 1.75 | 18.2 | 20.0 |" in md
    cost = it.tables["cost_by_member"]
    assert cost.loc["USA", "sourcing"] == pytest.approx(1.75)
    assert cost.loc["USA", "total"] == pytest.approx(20.0)
    # the full tables beside the report, in USD mn and shares between 0 and 1
    full = (d / "report_metrics_by_member.csv").read_text().splitlines()
    assert full[0].startswith("iso3,") and len(full) == 1 + 3
    assert "| DEU | associate | 0.8000 | 0.8000 |" in md


def test_report_rerenders_from_its_files(tiny_report, tmp_path):
    """What the report shows comes from the files beside it: reading them back renders the
    same Markdown, and the CSV files are the tables exactly as rendered."""
    it, d, _ = tiny_report
    again = ReportData.read(d)
    fresh = ReportData.from_interpretation(it)
    assert again.csv == fresh.csv and again.facts == fresh.facts and again.why == fresh.why
    assert markdown_report(again, plots=False) == markdown_report(it, plots=False)
    for key, df in again.tables.items():
        assert (d / f"report_{key}.csv").read_text() == fresh.csv[key], key
        assert df.shape == fresh.tables[key].shape, key


def test_missing_matplotlib_is_a_clear_error_before_any_work(monkeypatch, tmp_path, capsys):
    import importlib.util

    from planner.interpreter import plots

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "matplotlib" else real(name, *a),
    )
    with pytest.raises(plots.PlotError, match="--no-plots"):
        plots.require_matplotlib()
    out = tmp_path / "never"
    assert (
        main(
            [
                "run",
                str(Path(__file__).parents[1] / "scenarios" / "default.toml"),
                "--out",
                str(out),
            ]
        )
        == EXIT_BAD_INPUT
    )
    assert "matplotlib is not installed" in capsys.readouterr().err
    assert not out.exists()


# ------------------------------------------------------------------ the shipped default run
def _digests(d: Path) -> dict[str, tuple[str, int]]:
    return {
        p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(d.iterdir())
    }


def test_planner_report_rerenders_without_touching_the_run(default_run, tmp_path, capsys):
    from planner.verify import verify_run

    before = _digests(default_run.dir)
    out = tmp_path / "again"
    assert main(["report", str(default_run.dir), "--out", str(out)]) == EXIT_OK
    assert f"report directory: {out}" in capsys.readouterr().out
    assert _digests(default_run.dir) == before  # not a byte, not a timestamp, no new file
    assert verify_run(default_run.dir).ok
    # the same report and figures, from the run's files alone
    for name in (
        "report.md",
        "report.html",
        "dependency.png",
        "cost.png",
        "gains.png",
        "tiers.png",
        "report.json",
        "report_cost_by_member.csv",
    ):
        assert (out / name).read_bytes() == (default_run.dir / name).read_bytes(), name
    # refused: an existing directory, one inside the run; nothing written either time
    assert main(["report", str(default_run.dir), "--out", str(out)]) == EXIT_BAD_INPUT
    inside = default_run.dir / "sub"
    assert main(["report", str(default_run.dir), "--out", str(inside)]) == EXIT_BAD_INPUT
    assert not inside.exists() and _digests(default_run.dir) == before
    # without figures
    bare = tmp_path / "bare"
    assert main(["report", str(default_run.dir), "--out", str(bare), "--no-plots"]) == EXIT_OK
    assert not list(bare.glob("*.png"))
    assert "No figures: drawn without them (`--no-plots`)." in (bare / "report.md").read_text()
    assert "data:image" not in (bare / "report.html").read_text()
    err = capsys.readouterr().err
    assert "exists already" in err and "inside the run directory" in err


def test_default_run_states_why_everywhere(default_run):
    """summary.json's why, the report's first screen and the printed summary carry the shadow
    prices (membership and tiers fixed); no binding family's shadow price is NaN."""
    d = default_run.dir
    s = json.loads((d / "summary.json").read_text())
    why = s["why"]
    assert why["duals"] == "fixed_milp" and why["held_fixed"] == "membership and tiers"
    bc = pd.read_csv(d / "report_binding_constraints.csv", keep_default_na=False, na_values=[""])
    assert len(bc) >= 10 and bc["largest_dual"].notna().all()
    assert np.isfinite(bc["largest_dual"].to_numpy(float)).all()
    assert {b["family"] for b in why["binding"]} >= {"budget"}
    assert all(b["largest_shadow_price"] is not None for b in why["binding"])
    prices = why["shadow_prices"]
    assert prices[0]["family"] == "budget" and prices[0]["dual"] < 0
    md = (d / "report.md").read_text()
    glance = md[md.index("## The plan at a glance") : md.index("## In words")]
    out = default_run.proc.stdout
    assert "Why (shadow prices; membership and tiers held at the optimum):" in out
    for p in prices:
        assert f"  - {p['sentence']}" in glance and f"- {p['sentence']}" in out
    for b in why["binding"]:
        assert f"  - {b['sentence']}" in glance
    assert "**Dependency index**" in glance and "**Cost:** USD 50.0 bn of a USD 50.0 bn" in glance
    assert "look-through" in glance  # the shipped data has the network


def test_default_report_has_no_scientific_notation(default_run):
    d = default_run.dir
    s = json.loads((d / "summary.json").read_text())
    texts = {
        "report.md": (d / "report.md").read_text(),
        "report.html": (d / "report.html").read_text(),
        "summary": s["summary"],
        "why": json.dumps([p["sentence"] for p in s["why"]["shadow_prices"]]),
        "stdout": default_run.proc.stdout,
    }
    for name, text in texts.items():
        assert not _scientific(text), (name, _scientific(text)[:5])
    assert "nan" not in texts["report.md"].lower().replace("financ", "")


def _number_after(word: str, sentence: str) -> float:
    m = re.search(rf"{word} (-?[\d,]+(?:\.\d+)?)", sentence)
    assert m, sentence
    return float(m.group(1).replace(",", ""))


def test_default_budget_sentence_equals_a_finite_difference(default_run):
    """The budget sentence of the shipped run (CBC through PuLP; duals of the LP with
    membership and tiers fixed) against a central difference of +- USD 1 mn on the sourcing LP
    with the run's members, associates and tiers (HiGHS, not the backend that made the duals):
    the slope to 1e-6, and the sentence's "by" and "from ... to" numbers at their printed
    precision."""
    from formulations.problems import sourcing_lp
    from planner.scenario import load_scenario, load_scenario_dataset
    from planner.solver import solve

    d = default_run.dir
    s = json.loads((d / "summary.json").read_text())
    budget = next(p for p in s["why"]["shadow_prices"] if p["family"] == "budget")
    sc = load_scenario(d / "scenario.toml")
    ds = load_scenario_dataset(sc)
    tiers = {k: v for k, v in s["tiers"].items() if v != "open"}
    lp = sourcing_lp(ds, sc, s["members"], s["associates"], tiers)
    base = solve(lp.program)
    assert base.objective == pytest.approx(s["objective"], abs=1e-9)
    b = sc.parameters.budget
    objs = []
    for rhs in (b + 1.0, b - 1.0):
        lp.program.set_rhs("budget", rhs)
        objs.append(solve(lp.program).objective)
    slope = (objs[0] - objs[1]) / 2.0
    assert slope < 0 and budget["dual"] == pytest.approx(slope, rel=1e-6)
    effect = slope * budget["step"]
    assert budget["effect"] == pytest.approx(effect, rel=1e-6)
    sentence = budget["sentence"]
    assert sentence.startswith(f"One more USD {budget['step'] / 1000:g} bn of the budget lowers")
    by = _number_after("by", sentence)
    assert by == pytest.approx(abs(effect), rel=1e-3)  # four significant digits
    assert _number_after("from", sentence) == pytest.approx(base.objective, rel=1e-3)
    assert _number_after("to", sentence) == pytest.approx(base.objective + effect, rel=1e-3)
