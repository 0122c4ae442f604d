"""Robust plans ([robustness]) and the stability of plans.

Brute force: on random small worlds, the robust MILP's optimum equals the best, over every
membership (full / associate / out) and tier assignment, of the nominal sourcing LP plus the
worst exit scenario's sourcing LP (the scenario's leavers out, the recourse rules: tier cuts not
required, coalition shape not re-imposed). Weight 0 and k = 0 give today's joint MILP; the
decomposition equals the extensive form; stability gains on the tiny world match a hand
calculation; bad robustness inputs name the key, exit 2 and write nothing.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest

from formulations.problems import joint_milp, sourcing_lp
from formulations.robust import build_robust
from formulations.sets import TIERS
from planner.cli import main
from planner.robust import solve_robust
from planner.scenario import RobustnessConfig, Scenario
from planner.solver import SolveOptions, Status, solve
from tests.test_bruteforce import random_world, roles_of
from tests.tiny import scenario as tiny_scenario
from tests.tiny import scenario_file, world
from tests.tolerances import INTEGRAL_ATOL, VALUE_ATOL

OPTS = SolveOptions(mip_gap=0.0, fixed_milp_duals=False)


def base(budget: float, robustness: dict, **parameters) -> Scenario:
    return Scenario.from_dict(
        {
            "name": "robust-brute",
            "coalition": {"adversaries": ["ZZZ"], "anchors": ["AAA"]},
            "parameters": {
                "budget": budget,
                "max_volume_drop": 0.3,
                "min_open_share": 0.3,
                **parameters,
            },
            "objective": {"kind": "dependency", "cost_tiebreak": 0.0},
            "robustness": robustness,
        }
    )


def _lp(ds, sc, members, assoc, tiers) -> float:
    r = solve(sourcing_lp(ds, sc, members, assoc, tiers).program, "highs", OPTS)
    if r.status is Status.OPTIMAL:
        return r.objective
    assert r.status is Status.INFEASIBLE, r.status
    return np.inf


def recourse_rules(sc: Scenario) -> Scenario:
    """The sourcing LP an exit scenario's recourse is: tier cuts not required, the coalition
    shape (a first-stage matter) not re-imposed."""
    return replace(
        sc,
        parameters=replace(sc.parameters, incentivized_cut=0.0, restricted_residual=1.0),
        constraints=replace(sc.constraints, coalition_shape=False),
        robustness=RobustnessConfig(),
    )


def brute_force(ds, sc: Scenario, defectors: list[str], k: int) -> float:
    nominal_sc = replace(sc, robustness=RobustnessConfig())
    rec_sc = recourse_rules(sc)
    exits = list(itertools.combinations(defectors, k))
    best = np.inf
    for roles in itertools.product(*roles_of(ds, sc)):
        members = [c for c, o in roles if o == "member"]
        assoc = [c for c, o in roles if o == "associate"]
        for t in itertools.product(TIERS, repeat=2):
            tiers = {"S1": t[0], "S2": t[1], "S3": "open"}
            nominal = _lp(ds, nominal_sc, members, assoc, tiers)
            if nominal >= best:  # scenario values are >= 0: this plan cannot be better
                continue
            worst = 0.0
            for leavers in exits:
                if nominal + sc.robustness.weight * worst >= best:
                    break
                m = [c for c in ["AAA", *members] if c not in leavers]
                a = [c for c in assoc if c not in leavers]
                sc_e = rec_sc
                if "AAA" in leavers:  # the anchor leaves: it is an outsider in this scenario
                    sc_e = replace(rec_sc, coalition=replace(rec_sc.coalition, anchors=[]))
                worst = max(worst, _lp(ds, sc_e, m, a, tiers))
            best = min(best, nominal + sc.robustness.weight * worst)
    return best


CASES = [  # seed, candidates, budget, defectors, k, weight
    (21, 4, 60.0, ["AAA", "BBB", "CCC", "DDD"], 1, 1.0),
    (22, 3, 120.0, ["AAA", "BBB", "CCC"], 2, 0.5),
]


@pytest.mark.parametrize(("seed", "n", "budget", "defectors", "k", "weight"), CASES)
def test_robust_milp_matches_enumeration(seed, n, budget, defectors, k, weight):
    ds = random_world(seed, n)
    sc = base(budget, {"defectors": defectors, "k": k, "weight": weight})
    best = brute_force(ds, sc, defectors, k)
    assert np.isfinite(best), "no feasible plan: the case tests nothing"
    rm = build_robust(ds, sc)
    r = solve(rm.program, "highs", OPTS)
    assert r.status is Status.OPTIMAL
    assert r.objective == pytest.approx(best, abs=INTEGRAL_ATOL)
    # every scenario's best recourse at the plan gives the same objective
    o = solve_robust(ds, replace(sc, robustness=replace(sc.robustness, method="extensive")), OPTS)
    assert o.result.objective == pytest.approx(best, abs=INTEGRAL_ATOL)
    v = o.evaluation.table["value"].to_numpy()
    nominal = float(rm.nominal_objective.value(o.result.x)[0])
    assert nominal + weight * v.max() == pytest.approx(best, abs=INTEGRAL_ATOL)


@pytest.mark.parametrize("robustness", [{"weight": 0.0}, {"k": 0}])
def test_no_weight_or_no_exit_is_the_joint_milp(robustness):
    ds = random_world(11, 4)
    sc = base(40.0, {"defectors": ["BBB", "CCC", "DDD"], **robustness})
    plain = solve(joint_milp(ds, replace(sc, robustness=RobustnessConfig())).program, "highs", OPTS)
    robust = solve(build_robust(ds, sc).program, "highs", OPTS)
    assert plain.status is robust.status is Status.OPTIMAL
    assert robust.objective == pytest.approx(plain.objective, abs=INTEGRAL_ATOL)


@pytest.mark.parametrize("mode", ["worst_case", "expected", "cvar"])
def test_decomposition_equals_extensive_form(mode):
    ds = random_world(12, 5)
    extra = {"probabilities": [0.1, 0.2, 0.3, 0.4]} if mode != "worst_case" else {}
    rob = {"defectors": ["AAA", "BBB", "CCC", "DDD"], "mode": mode, "alpha": 0.6, **extra}
    sc = base(80.0, rob)
    out = {}
    for method in ("extensive", "decomposition"):
        s = replace(sc, robustness=replace(sc.robustness, method=method))
        out[method] = solve_robust(ds, s, OPTS.with_(mip_gap=1e-9))
        assert out[method].result.status is Status.OPTIMAL
    ext, dec = out["extensive"], out["decomposition"]
    assert dec.result.objective == pytest.approx(ext.result.objective, abs=INTEGRAL_ATOL)
    assert dec.nominal_optimum == pytest.approx(ext.nominal_optimum, abs=INTEGRAL_ATOL)
    if mode == "worst_case":  # fewer scenarios in the master than in the extensive form
        assert len(dec.robust.included) < len(ext.robust.included)


# ---------------------------------------------------------------------------- stability
def test_stability_matches_hand_computed_gains():
    """Tiny world, USA + DEU, S1 restricted, alpha 0.2: USA buys DEU's spare 17.5 and reshores
    82.5 (own cost 1.75 + 41.25 = 43), DEU buys USA's spare 2.5 and reshores 37.5 (0.25 + 18.75
    = 19). DEU's payoff 0.2 * 17.5 - 19 = -15.5 inside, 0 outside (nobody cuts its sales): it
    would gain 15.5 by leaving. USA (anchor) -42.5. MEX (associate-eligible) sells nothing new
    either way: 0 and 0, externally stable."""
    from planner.interpreter import interpret
    from planner.interpreter.stability import stability_summary, stability_table

    sc = tiny_scenario(
        coalition={"members": ["DEU"]},
        # a tie-break the LP tolerances see (cost / B is tiny here): the cheapest recourse
        objective={"kind": "dependency", "cost_tiebreak": 0.1},
    )
    ds = world()
    from formulations.problems import build_model

    model = build_model(ds, sc)
    res = solve(model.program, "highs", OPTS)
    it = interpret(model, res)
    for mode in ("cheap", "full"):
        t = stability_table(it, mode, dataset=ds)
        assert t.loc["DEU", "payoff_inside"] == pytest.approx(-15.5, abs=VALUE_ATOL)
        assert t.loc["DEU", "payoff_outside"] == pytest.approx(0.0, abs=VALUE_ATOL)
        assert t.loc["DEU", "gain_from_moving"] == pytest.approx(15.5, abs=VALUE_ATOL)
        assert t.loc["USA", "payoff_inside"] == pytest.approx(0.2 * 2.5 - 43.0, abs=VALUE_ATOL)
        assert t.loc["MEX", "test"] == "external"
        assert t.loc["MEX", "payoff_inside"] == pytest.approx(0.0, abs=VALUE_ATOL)
        assert bool(t.loc["MEX", "stable"])
        s = stability_summary(t)
        assert s["would_leave"] == ["DEU"] and s["externally_stable"]
        assert s["mode"] == mode


# ---------------------------------------------------------------------------- bad inputs
BAD = [
    ({"defectors": ["XXX"]}, "robustness.defectors"),
    ({"defectors": ["CHN"]}, "robustness.defectors"),
    ({"defectors": ["USA", "DEU"], "k": 3}, "robustness.k"),
    (
        {"defectors": ["USA", "DEU"], "mode": "expected", "probabilities": [0.5, 0.6]},
        "robustness.probabilities",
    ),
    (
        {"defectors": ["USA", "DEU"], "mode": "expected", "probabilities": [1.0]},
        "robustness.probabilities",
    ),
    ({"defectors": ["USA"], "mode": "cvar", "alpha": 1.0}, "robustness.alpha"),
]


@pytest.mark.parametrize(("robustness", "key"), BAD)
def test_bad_robustness_inputs_name_the_key(tmp_path, capsys, data_dir, robustness, key):
    path = scenario_file(
        tmp_path / "s.toml",
        data_dir,
        objective={"kind": "dependency"},
        coalition={"choose_members": True},
    )
    text = path.read_text()
    lines = [f"{k} = {_toml(v)}" for k, v in robustness.items()]
    path.write_text(text.replace("[robustness]\n", "[robustness]\n" + "\n".join(lines) + "\n"))
    # the written defaults follow; TOML takes the first value only if keys are unique
    path.write_text(_dedupe(path.read_text(), robustness))
    out = tmp_path / "run"
    assert main(["run", str(path), "--out", str(out), "--no-plots"]) == 2
    assert key in capsys.readouterr().err
    assert not out.exists()


def _toml(v) -> str:
    import json

    return json.dumps(v)


def _dedupe(text: str, given: dict) -> str:
    """Drop the default lines of the keys given (kept the first, ours)."""
    out, seen, section = [], set(), ""
    for line in text.splitlines():
        if line.startswith("["):
            section = line
        key = line.split(" = ")[0]
        if section == "[robustness]" and key in given:
            if key in seen:
                continue
            seen.add(key)
        out.append(line)
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------- runs
def test_robust_run_writes_its_scenarios_and_verifies(tmp_path, data_dir):
    """Tiny world, any one of USA, DEU, MEX may leave: USA's exit is the worst (USA's own
    imports, 2/3 from CHN, go back to baseline); the files, the summary keys, the report's
    sentences and ``planner verify`` (every scenario's recourse) agree."""
    import json

    import planner
    from planner.verify import verify_run

    path = scenario_file(
        tmp_path / "s.toml",
        data_dir,
        coalition={"choose_members": True},
        sectors={"choose_tiers": True, "tiers": {}},
        objective={"kind": "dependency"},
    )
    text = path.read_text().replace("defectors = []", 'defectors = ["USA", "DEU", "MEX"]')
    path.write_text(text)
    o = planner.run(path, tmp_path / "run", plots=False)
    d = o.directory
    for name in ("robustness.csv", "reliance.csv", "recourse_links.csv", "stability.csv"):
        assert (d / name).exists(), name
    s = json.loads((d / "summary.json").read_text())
    r = s["robustness"]
    assert r["scenarios"] == 3 and r["worst_exit"] == "USA"
    assert r["objective"] == pytest.approx(r["nominal_dependency"] + r["worst_dependency"])
    assert r["price_of_robustness"] == pytest.approx(
        r["nominal_dependency"] - r["nominal_optimum_dependency"]
    )
    assert s["stability"]["mode"] == "cheap"
    report = (d / "report.md").read_text()
    assert "Price of robustness" in report and "The worst exit is USA" in report
    v = verify_run(d)
    assert v.ok, str(v)
    assert {"recourse_demand", "recourse_capacity", "recourse_dependency"} <= set(v.table["family"])


def test_shipped_robust_scenario_has_nine_anchor_exits():
    from formulations.instance import build_instance
    from formulations.robust import exit_scenarios
    from planner.data.loaders import load_dataset
    from planner.scenario import load_scenario
    from tests.conftest import ROOT

    sc = load_scenario(ROOT / "scenarios" / "dtep_robust.toml")
    ex = exit_scenarios(build_instance(load_dataset(), sc), sc)
    assert list(ex.names) == sc.coalition.anchors and len(ex) == 9
    assert (ex.leaves.sum(axis=1) == 1).all()
