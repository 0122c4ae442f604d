"""Why: binding constraints, shadow prices in plain language, members' contributions."""

from __future__ import annotations

import math
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd

from formulations.model import CoalitionModel, Plan
from formulations.problems import sourcing_lp
from planner.data.dataset import Dataset
from planner.interpreter.metrics import tag
from planner.scenario import Scenario
from planner.solver import SolveOptions, SolveResult, Status, solve

__all__ = [
    "binding_constraints",
    "marginal_contributions",
    "money_step",
    "shadow_prices",
    "shapley_values",
]

_OBJECTIVE_WORDS = {
    "dependency_index": "the dependency index",
    "max_member_dependency": "the largest member's dependency",
    "total_cost": "the total cost",
}


def money_step(budget: float) -> tuple[float, str]:
    """A round amount of money to state marginal effects in: about a tenth of the budget or less.

    Returns the amount in USD mn and its words (``"USD 1 bn"``, ``"USD 10 mn"``).
    """
    step = 10.0 ** math.floor(math.log10(max(budget, 1.0) / 10.0)) if budget >= 10 else 1.0
    if step >= 1000:
        return step, f"USD {step / 1000:g} bn"
    return step, f"USD {step:g} mn"


def binding_constraints(
    model: CoalitionModel, result: SolveResult, tol: float = 1e-6
) -> pd.DataFrame:
    """Per family: rows, binding rows (slack within ``tol`` relative), the largest |dual| and its
    label. Equality families are listed as binding throughout."""
    p = model.program
    act = p.activity(result.x)
    rows = []
    for name, fam in p.families.items():
        r = fam.rows
        slack = np.where(fam.sense_codes < 0, fam.rhs - act[r], act[r] - fam.rhs)
        slack = np.where(fam.sense_codes == 0, 0.0, slack)
        binding = slack <= tol * (1 + np.abs(fam.rhs))
        dual = result.duals.get(name)
        top_label, top_dual = None, math.nan
        if dual is not None and len(dual) and np.isfinite(dual.to_numpy()).any():
            k = int(np.nanargmax(np.abs(dual.to_numpy())))
            top_label, top_dual = fam.labels[k], float(dual.iloc[k])
        rows.append(
            {
                "family": name,
                "rows": fam.size,
                "binding": int(binding.sum()),
                "largest_dual": top_dual,
                "at": top_label,
                "description": fam.description,
            }
        )
    cols = ["family", "rows", "binding", "largest_dual", "at", "description"]
    return tag(pd.DataFrame(rows, columns=cols).set_index("family"), "binding_constraints", "rows")


def _label_words(family: str, label: object) -> str:
    if family == "capacity" and isinstance(label, tuple):
        return f"capacity of {label[0]} in {label[1]}"
    if family == "budget":
        return "the budget"
    if family == "openness_volume":
        return "the allowed fall in members' import volume"
    return f"{family} {label}"


def shadow_prices(model: CoalitionModel, result: SolveResult, top: int = 3) -> pd.DataFrame:
    """Shadow prices of budget, capacity and openness with a plain-language reading.

    Returns a table (family, label, dual per USD mn, step, effect of one step, sentence). For
    a MILP the duals are those of the LP with membership and tiers fixed at the optimum.
    """
    if result.duals_kind == "none" or not result.status.has_solution:
        empty = pd.DataFrame(columns=["family", "label", "dual", "step", "effect", "sentence"])
        return tag(empty, "shadow_prices", "objective per USD mn")
    sc = model.instance.scenario
    step, words = money_step(sc.parameters.budget)
    what = _OBJECTIVE_WORDS.get(model.program.objective.name, model.program.objective.name)
    fixed = (
        " (membership and tiers held at the optimum)" if result.duals_kind == "fixed_milp" else ""
    )
    obj = result.objective
    rows = []

    def add(family: str, label: object, dual: float, lead: str = "", subject: str = "") -> None:
        effect = dual * step
        subject = subject or _label_words(family, label)
        if abs(effect) < 1e-12:
            sentence = f"{lead}More of {subject} changes nothing: it does not bind{fixed}."
        else:
            verb = "lowers" if effect < 0 else "raises"
            sentence = (
                f"{lead}One more {words} of {subject} {verb} {what} by {abs(effect):.4g} "
                f"(from {obj:.4g} to {obj + effect:.4g}){fixed}."
            )
        rows.append(
            {
                "family": family,
                "label": label,
                "dual": dual,
                "step": step,
                "effect": effect,
                "sentence": sentence,
            }
        )

    if "budget" in result.duals:
        add("budget", "total", float(result.duals["budget"].iloc[0]))
    if "capacity" in result.duals:
        cap = result.duals["capacity"]
        nz = cap[np.abs(cap) > 1e-12]
        for k, label in enumerate(nz.abs().sort_values(ascending=False).head(top).index):
            where = _label_words("capacity", label)
            lead = (
                f"{where[0].upper()}{where[1:]} is the tightest bottleneck. "
                if k == 0
                else f"Next comes {where}. "
            )
            add("capacity", label, float(cap[label]), lead, "it")
    if "openness_volume" in result.duals:
        # the row reads change + delta * volume >= 0: allowing one more USD of fall is -1 on rhs
        add("openness_volume", "total", -float(result.duals["openness_volume"].iloc[0]))
    df = pd.DataFrame(rows, columns=["family", "label", "dual", "step", "effect", "sentence"])
    return tag(df, "shadow_prices", "objective per USD mn")


# ------------------------------------------------------------------ contributions (re-solves)
_WORKER: dict[str, object] = {}


def _init_worker(dataset: Dataset, scenario: Scenario, backend: str, options: SolveOptions) -> None:
    _WORKER.update(dataset=dataset, scenario=scenario, backend=backend, options=options)


def _lp_value(
    task: tuple[tuple[str, ...], tuple[str, ...], tuple[tuple[str, str], ...]],
) -> tuple[str, float]:
    members, associates, tiers = task
    m = sourcing_lp(
        _WORKER["dataset"], _WORKER["scenario"], list(members), list(associates), dict(tiers)
    )
    r = solve(m.program, _WORKER["backend"], _WORKER["options"])
    value = (
        float(m.evaluate(m.dependency_measure(), r.x)[0])
        if r.status is Status.OPTIMAL
        else math.nan
    )
    return r.status.value, value


def _run_tasks(tasks: Sequence, dataset, scenario, backend, options, workers: int) -> list:
    if workers <= 1 or len(tasks) <= 1:
        _init_worker(dataset, scenario, backend, options)
        return [_lp_value(t) for t in tasks]
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=ctx,
        initializer=_init_worker,
        initargs=(dataset, scenario, backend, options),
    ) as ex:
        return list(ex.map(_lp_value, tasks))


def _fixed_parts(plan: Plan) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    assoc = tuple(plan.associates)
    tiers = tuple((s, t) for s, t in plan.tiers.items() if t != "open")
    return assoc, tiers


def marginal_contributions(
    dataset: Dataset,
    scenario: Scenario,
    plan: Plan,
    backend: str = "highs",
    options: SolveOptions | None = None,
    workers: int = 1,
) -> pd.DataFrame:
    """Each full member's contribution to the dependency reduction: the sourcing LP re-solved
    without it (it becomes an outsider; associates and tiers held at the plan), minus the DI
    with it. Anchors are not removed. Solves run in ``workers`` processes.
    """
    options = options or SolveOptions()
    assoc, tiers = _fixed_parts(plan)
    anchors = set(scenario.coalition.anchors)
    members = [m for m in plan.members if m not in anchors]
    full = tuple(plan.members)
    tasks = [full] + [tuple(x for x in full if x != m) for m in members]
    results = _run_tasks(
        [(t, assoc, tiers) for t in tasks], dataset, scenario, backend, options, workers
    )
    base = results[0][1]
    rows = [
        {"member": m, "status": st, "dependency_without": v, "contribution": v - base}
        for m, (st, v) in zip(members, results[1:], strict=True)
    ]
    df = pd.DataFrame(rows, columns=["member", "status", "dependency_without", "contribution"])
    df = df.set_index("member").sort_values("contribution", ascending=False)
    df.attrs = {"name": "marginal_contributions", "unit": "DI", "dependency_with_all": base}
    return df


def shapley_values(
    dataset: Dataset,
    scenario: Scenario,
    plan: Plan,
    samples: int = 20,
    seed: int = 0,
    backend: str = "highs",
    options: SolveOptions | None = None,
    workers: int = 1,
) -> pd.DataFrame:
    """Sampled Shapley values of the dependency reduction among the non-anchor full members.

    v(S) is the DI of the sourcing LP with full members = anchors + S (associates and tiers at
    the plan). Each sampled permutation adds members one at a time; a member's value is its
    average DI reduction. Over each permutation the values add up exactly to v(anchors) -
    v(all); every distinct coalition is solved once, in ``workers`` processes.
    """
    options = options or SolveOptions()
    assoc, tiers = _fixed_parts(plan)
    anchors = [a for a in scenario.coalition.anchors]
    players = [m for m in plan.members if m not in set(anchors)]
    rng = np.random.default_rng(seed)
    perms = [list(rng.permutation(players)) for _ in range(samples)]
    needed: dict[frozenset, int] = {}
    for perm in perms:
        for k in range(len(perm) + 1):
            needed.setdefault(frozenset(perm[:k]), len(needed))
    sets = list(needed)
    tasks = [(tuple(anchors) + tuple(sorted(s)), assoc, tiers) for s in sets]
    values = _run_tasks(tasks, dataset, scenario, backend, options, workers)
    v = {s: values[i][1] for s, i in needed.items()}
    phi = {p: 0.0 for p in players}
    for perm in perms:
        for k, p in enumerate(perm):
            phi[p] += v[frozenset(perm[:k])] - v[frozenset(perm[: k + 1])]
    df = pd.DataFrame({"shapley": {p: phi[p] / samples for p in players}})
    df = df.sort_values("shapley", ascending=False)
    df.attrs = {
        "name": "shapley_values",
        "unit": "DI reduction",
        "samples": samples,
        "coalitions_solved": len(sets),
        "dependency_anchors_only": v[frozenset()],
        "dependency_all": v[frozenset(players)],
    }
    return df
