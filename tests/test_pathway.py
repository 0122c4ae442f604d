"""Phased pathways: the pathway MILP against brute force over every accession order and tier
path (each evaluated by the sourcing LPs of its phases), one phase equal to the joint MILP, the
whole budget up front equal to the single-phase optimum, fixed accessions and monotonicity in
the solution, the run directory and ``planner verify``, and bad inputs naming the key."""

from __future__ import annotations

import itertools
import json
import shutil
from functools import cache

import numpy as np
import pandas as pd
import pytest

from formulations.pathway import build_pathway
from formulations.problems import build_model, sourcing_lp
from formulations.sets import TIERS
from planner.cli import main
from planner.runs import compare_runs, run_scenario
from planner.scenario import Scenario, load_scenario, phase_scenario
from planner.solver import SolveOptions, Status, solve
from planner.verify import verify_run
from tests.test_bruteforce import base, random_world
from tests.tiny import scenario_file
from tests.tolerances import INTEGRAL_ATOL

OPTS = SolveOptions(mip_gap=0.0, fixed_milp_duals=False)
LEVEL = {"outside": 0, "associate": 1, "member": 2}
TIER_LEVEL = {t: k for k, t in enumerate(("open", "incentivized", "restricted"))}


def with_pathway(sc: Scenario, **pathway) -> Scenario:
    d = sc.to_dict()
    d["pathway"] = pathway
    return Scenario.from_dict(d)


# ---------------------------------------------------------------------- brute force
def role_paths(options: list[str], n: int, upgrades: bool) -> list[tuple[str, ...]]:
    """Every role sequence over n phases: nobody leaves, nobody is downgraded."""
    out = []
    for path in itertools.product(options, repeat=n):
        steps = list(zip(("outside", *path[:-1]), path, strict=True))
        if any(LEVEL[b] < LEVEL[a] for a, b in steps):
            continue
        if not upgrades and any(a == "associate" and b == "member" for a, b in steps):
            continue
        out.append(path)
    return out


def tier_paths(n: int, rule: str) -> list[tuple[str, ...]]:
    """Every tier sequence over n phases: restrictiveness never falls (or never changes)."""
    paths = itertools.product(TIERS, repeat=n)
    if rule == "fixed":
        return [p for p in paths if len(set(p)) == 1]
    return [
        p for p in paths if all(TIER_LEVEL[a] <= TIER_LEVEL[b] for a, b in itertools.pairwise(p))
    ]


def eligible_roles(ds, sc) -> dict[str, list[str]]:
    """Roles each non-anchor candidate may take (eligibility by regime)."""
    out = {}
    for c, r in ds.countries["regime"].items():
        if c in sc.coalition.anchors or c in sc.coalition.adversaries:
            continue
        opts = ["outside"]
        if r >= sc.coalition.associate_threshold:
            opts.append("associate")
        if r >= sc.coalition.full_threshold:
            opts.append("member")
        out[c] = opts
    return out


def brute_force(ds, sc: Scenario, free_sectors: list[str]) -> float:
    """The best weighted objective over every accession order and tier path, each phase
    evaluated by its own sourcing LP (phases decouple once roles and tiers are fixed)."""
    pw = sc.pathway
    n = len(pw.phases)
    weights = pw.phase_weights()
    kind = sc.objective.kind

    @cache
    def phase_value(k: int, roles: tuple, tiers: tuple) -> float:
        members = [c for c, r in roles if r == "member"]
        assoc = [c for c, r in roles if r == "associate"]
        m = sourcing_lp(ds, phase_scenario(sc, k), members, assoc, dict(tiers), objective=kind)
        r = solve(m.program, "highs", OPTS)
        if r.status is Status.OPTIMAL:
            return r.objective
        assert r.status is Status.INFEASIBLE, r.status
        return np.inf

    countries = eligible_roles(ds, sc)
    fixed = {c: (p, "member") for p, cs in pw.fixed.items() for c in cs}
    fixed |= {c: (p, "associate") for p, cs in pw.fixed_associates.items() for c in cs}
    per_country = []
    for c, opts in countries.items():
        paths = role_paths(opts, n, pw.upgrades)
        if c in fixed:
            phase, role = fixed[c]
            k = pw.phases.index(phase)
            paths = [p for p in paths if p[k] == role and all(r == "outside" for r in p[:k])]
        per_country.append(paths)
    sector_paths = [tier_paths(n, pw.tiers)] * len(free_sectors)
    best = np.inf
    names = list(countries)
    for combo in itertools.product(*per_country):
        entered = [
            sum(
                (combo[i][k] != "outside") and (k == 0 or combo[i][k - 1] == "outside")
                for i in range(len(names))
            )
            for k in range(n)
        ]
        if pw.max_new_members and any(
            e > m for e, m in zip(entered, pw.max_new_members, strict=True)
        ):
            continue
        for tiers in itertools.product(*sector_paths):
            total = 0.0
            for k in range(n):
                roles = tuple((c, combo[i][k]) for i, c in enumerate(names))
                tk = tuple((s, tiers[j][k]) for j, s in enumerate(free_sectors))
                total += weights[k] * phase_value(k, roles, tk)
                if not np.isfinite(total) or total >= best:
                    break
            best = min(best, total)
    return best


CASES = [
    # seed, candidates, switches, parameters, pathway
    (
        11,
        4,
        {"export_controls": True},
        {"budget": 40.0},
        {"phases": ["p1", "p2"], "budget": [20.0, 30.0], "max_new_members": [1, 1]},
    ),
    (
        12,
        3,
        {"participation": True},
        {"budget": 60.0, "participation_margin": 0.5},
        {
            "phases": ["p1", "p2", "p3"],
            "budget": [25.0, 0.0, 40.0],
            "weights": [1.0, 2.0, 3.0],
            "upgrades": False,
            "tiers": "fixed",
        },
    ),
]


@pytest.mark.parametrize(("seed", "n", "switches", "params", "pathway"), CASES)
def test_pathway_matches_enumeration_of_orders_and_tier_paths(seed, n, switches, params, pathway):
    ds = random_world(seed, n)
    sc = with_pathway(base(params.pop("budget"), switches, params), **pathway)
    best = brute_force(ds, sc, ["S1", "S2"])  # S3 has weight 0: fixed open by dominance
    assert np.isfinite(best), "no feasible pathway: the case tests nothing"
    pm = build_pathway(ds, sc)
    r = solve(pm.program, "highs", OPTS)
    assert r.status is Status.OPTIMAL
    assert r.objective == pytest.approx(best, abs=INTEGRAL_ATOL)


def test_fixed_accessions_and_cost_path_match_enumeration():
    ds = random_world(15, 4)
    sc0 = base(60.0, {}, {})
    full = [c for c in ("BBB", "CCC", "DDD") if ds.countries.loc[c, "regime"] >= 0.6]
    sc = with_pathway(
        Scenario.from_dict({**sc0.to_dict(), "objective": {"kind": "cost", "cost_tiebreak": 0.0}}),
        phases=["p1", "p2"],
        budget=[30.0, 30.0],
        max_new_members=[1, 1],
        fixed={"p2": full[:1]},
        targets=[0.3, 0.15],
    )
    best = brute_force(ds, sc, ["S1", "S2"])
    assert np.isfinite(best)
    pm = build_pathway(ds, sc)
    r = solve(pm.program, "highs", OPTS)
    assert r.objective == pytest.approx(best, abs=INTEGRAL_ATOL)
    plans = pm.plans(r.x)
    assert full[0] not in plans[0].members + plans[0].associates
    assert full[0] in plans[1].members
    for k, plan in enumerate(plans):
        di = plan.totals["dependency_after"]
        assert di <= sc.pathway.targets[k] + 1e-7
        assert plan.totals["total_cost"] <= pm.budgets[k] + 1e-6


# ---------------------------------------------------------------------- equalities
def test_one_phase_is_exactly_the_joint_milp():
    ds = random_world(11, 4)
    sc = base(40.0, {"export_controls": True, "coercion": True}, {"coercion_cover": 0.3})
    pm = build_pathway(ds, with_pathway(sc, phases=["now"]))
    joint = build_model(ds, sc)
    a, b = pm.program, joint.program
    assert (a.matrix() != b.matrix()).nnz == 0 and a.matrix().shape == b.matrix().shape
    assert np.array_equal(a.objective_vector(), b.objective_vector())
    assert np.array_equal(a.rhs(), b.rhs()) and np.array_equal(a.sense_codes(), b.sense_codes())
    assert all(np.array_equal(u, v) for u, v in zip(a.col_bounds(), b.col_bounds(), strict=True))
    assert np.array_equal(a.integrality(), b.integrality())
    assert list(a.families) == list(b.families) and list(a.blocks) == list(b.blocks)
    assert a.block("increase").labels.names[0] == "phase"
    ra, rb = solve(a, "highs", OPTS), solve(b, "highs", OPTS)
    assert ra.objective == pytest.approx(rb.objective, abs=INTEGRAL_ATOL)


def test_whole_budget_first_without_limits_gives_the_single_phase_optimum_first():
    ds = random_world(14, 5)
    sc = base(80.0, {}, {})
    joint = solve(build_model(ds, sc).program, "highs", OPTS)
    pm = build_pathway(ds, with_pathway(sc, phases=["a", "b", "c"], budget=[80.0, 0.0, 0.0]))
    r = solve(pm.program, "highs", OPTS)
    first = pm.plans(r.x)[0].totals["dependency_after"]
    assert first == pytest.approx(joint.objective, abs=INTEGRAL_ATOL)
    assert r.objective == pytest.approx(joint.objective, abs=INTEGRAL_ATOL)


def test_solution_is_monotone_within_limits_and_keeps_fixed_accessions():
    ds = random_world(12, 5)
    eligible = ds.countries.index[(ds.countries["regime"] >= 0.3) & (ds.countries.index != "AAA")]
    eligible = [c for c in eligible if c != "ZZZ"]
    assoc = eligible[-1]
    sc = with_pathway(
        base(120.0, {"capacity_investment": True}, {"ally_shoring": False}),
        phases=["a", "b", "c"],
        budget=[40.0, 40.0, 40.0],
        max_new_members=[1, 1, 2],
        fixed_associates={"b": [assoc]},
        upgrades=False,
    )
    pm = build_pathway(ds, sc)
    r = solve(pm.program, "highs", SolveOptions(mip_gap=1e-9))
    plans = pm.plans(r.x)
    roles = pd.DataFrame({k: p.roles for k, p in enumerate(plans)})
    roles = roles.drop(index=["AAA", "ZZZ"]).replace(LEVEL)
    assert (roles.diff(axis=1).iloc[:, 1:] >= 0).all().all()  # nobody leaves or is downgraded
    assert roles.loc[assoc].tolist() == [0, 1, 1]  # joins in b as associate and stays one
    entered = (roles.gt(0) & roles.shift(axis=1, fill_value=0).eq(0)).sum()
    assert (entered.to_numpy() <= np.array([1, 1, 2])).all()
    tiers = pd.DataFrame({k: p.tiers.map(TIER_LEVEL) for k, p in enumerate(plans)})
    assert (tiers.diff(axis=1).iloc[:, 1:] >= 0).all().all()
    inv = [p.investment.set_index(["exporter", "sector"])["optimized"] for p in plans]
    for a, b in itertools.pairwise(inv):
        assert (b.reindex(a.index, fill_value=0.0) >= a - 1e-7).all()


# ---------------------------------------------------------------------- runs, verify, inputs
PATHWAY = {
    "phases": ["p1", "p2"],
    "budget": [2.0, 3.0],
    "max_new_members": [1, 1],
    "fixed": {"p2": ["DEU"]},
    "compare_free_order": True,
}
OPEN_CHOICE = {
    "coalition": {"choose_members": True},
    "sectors": {"choose_tiers": True, "tiers": {}},
    "objective": {"kind": "dependency", "cost_tiebreak": 0.0},
}


@pytest.fixture(scope="module")
def pathway_run(tmp_path_factory, data_dir):
    """The tiny world's pathway (DEU fixed in p2, and the free order) run once."""
    tmp = tmp_path_factory.mktemp("pathway_run")
    f = scenario_file(tmp / "pw.toml", data_dir, pathway=PATHWAY, **OPEN_CHOICE)
    return run_scenario(f, tmp / "run", command=["test"], plots=True).directory


def test_pathway_run_writes_its_files_passes_verify_and_names_who_joins(tmp_path, pathway_run):
    d = tmp_path / "run"
    shutil.copytree(pathway_run, d)
    assert (d / "pathway.png").exists()
    pathway = pd.read_csv(d / "pathway.csv", keep_default_na=False).set_index("iso3")
    assert list(pathway.columns) == [
        "joined",
        "joined_as",
        "full_member_from",
        "role_p1",
        "role_p2",
    ]
    assert pathway.loc["DEU", "joined"] == "p2" and pathway.loc["USA", "joined"] == "start"
    assert pathway.loc["DEU", "role_p1"] == "outside" and pathway.loc["DEU", "role_p2"] == "member"
    links = pd.read_csv(d / "links_by_phase.csv", dtype={"phase": str})
    assert set(links["phase"]) == {"p1", "p2"}
    last = links[links["phase"] == "p2"].drop(columns="phase").reset_index(drop=True)
    pd.testing.assert_frame_equal(last, pd.read_csv(d / "links.csv"), check_dtype=False)
    summary = json.loads((d / "summary.json").read_text())
    assert summary["pathway"]["p2"]["joined"] == ["DEU"]
    assert summary["budget"] == 5.0  # the last phase's: the budgets through it
    free = summary["pathway_free_order"]
    assert free["gap"] == pytest.approx(summary["pathway_objective"] - free["objective"])
    assert free["gap"] >= -1e-9  # the free order can do what the fixed one does
    report = (d / "report.md").read_text()
    assert "## Pathway: who joins when" in report and "**p2**: DEU joins as a full member" in report
    rep = verify_run(d)
    assert rep.ok, str(rep)
    fams = set(rep.table["family"])
    assert {"p1: demand", "p2: budget", "pathway_stay", "pathway_fixed_accession"} <= fams
    assert {"pathway_accessions", "pathway_budget", "pathway_last_phase"} <= fams
    # a member leaving between phases, and a fixed accession moved, are both caught
    pathway.loc["DEU", ["role_p1", "role_p2"]] = ["member", "outside"]
    pathway.reset_index().to_csv(d / "pathway.csv", index=False)
    bad = verify_run(d).table.set_index("family")["worst"]
    assert bad["pathway_stay"] >= 1 and bad["pathway_fixed_accession"] >= 1


def test_compare_reads_two_pathways(tmp_path, data_dir, pathway_run):
    free = {k: v for k, v in PATHWAY.items() if k not in ("fixed", "compare_free_order")}
    b = scenario_file(tmp_path / "b.toml", data_dir, pathway=free, **OPEN_CHOICE)
    run_scenario(b, tmp_path / "b", command=["test"], plots=False)
    tables = compare_runs([pathway_run, tmp_path / "b"])
    p = tables["pathway"]
    assert {"p1 dependency_index", "p2 dependency_index", "p2 joined"} <= set(p.index)
    assert p.loc["p2 joined", "tiny"] == "DEU"


BAD = [
    ({"budget": [1.0]}, "pathway.budget"),
    ({"fixed": {"p1": ["MEX"]}}, "pathway.fixed.p1"),  # regime 0.4 < full_threshold 0.6
    ({"fixed": {"p1": ["CHN"]}}, "pathway.fixed.p1"),  # an adversary
    ({"max_new_members": [-1, 1]}, "pathway.max_new_members"),
    ({"fixed": {"p9": ["DEU"]}}, "pathway.fixed.p9"),  # no such phase
]


@pytest.mark.parametrize(("change", "key"), BAD)
def test_bad_pathway_input_names_the_key_exits_2_and_writes_nothing(
    tmp_path, data_dir, capsys, change, key
):
    pathway = {"phases": ["p1", "p2"], **change}
    text = scenario_file(tmp_path / "ok.toml", data_dir, **OPEN_CHOICE).read_text()
    start = text.index("[pathway]")
    end = text.find("\n[", start)
    rest = "" if end < 0 else text[end:]
    f = tmp_path / "bad.toml"
    f.write_text(text[:start] + _toml_pathway(pathway) + "\n" + rest)
    code = main(["run", str(f), "--out", str(tmp_path / "out"), "--no-plots"])
    err = capsys.readouterr().err
    assert code == 2
    assert f"'{key}'" in err
    assert not (tmp_path / "out").exists()


def _toml_pathway(pathway: dict) -> str:
    lines = ["[pathway]"]
    for k, v in pathway.items():
        if isinstance(v, dict):
            inner = ", ".join(f"{p} = {json.dumps(c)}" for p, c in v.items())
            lines.append(f"{k} = {{ {inner} }}")
        else:
            lines.append(f"{k} = {json.dumps(v)}")
    return "\n".join(lines)


def test_shipped_pathway_scenario_builds_with_dtep_order():
    from tests.conftest import ROOT

    sc = load_scenario(ROOT / "scenarios" / "dtep_pathway.toml")
    pw = sc.pathway
    assert pw.fixed[pw.phases[0]] == ["DEU", "JPN", "GBR"] and sc.coalition.anchors == ["USA"]
    assert sorted(pw.fixed_associates[pw.phases[-1]]) == ["IND", "MEX"]
    assert pw.compare_free_order
    from planner.scenario import load_scenario_dataset

    pm = build_pathway(load_scenario_dataset(sc), sc)
    fixed = pm.program.family("pathway_fixed_accession")
    # 10 accessions in their phase, and 5 + 2 * 2 rows keeping them outside before it
    assert fixed.size == 19 and (fixed.rhs == 1).sum() == 10
    assert pm.program.family("pathway_accessions").rhs.tolist() == [3.0, 5.0, 2.0]
    assert pm.budgets.tolist() == [20000.0, 35000.0, 50000.0]
