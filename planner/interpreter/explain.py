"""Why: binding constraints, shadow prices in plain language, members' contributions, and the
plan's reasons in the user's terms: why each member and associate has its role (the plan's LP
re-solved with the other role or without it), why a weighted sector stays open, which EU-style
flags the plan leaves and why, and what to change in an infeasible scenario (by scenario key).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from formulations.families import RELAXATIONS, Relaxation
from formulations.model import CoalitionModel, Plan
from formulations.objectives import TARGET_FAMILY
from formulations.problems import sourcing_lp
from formulations.program import Program, VarKind
from formulations.sets import TIERS
from planner.data.dataset import Dataset
from planner.interpreter.metrics import tag
from planner.scenario import Scenario
from planner.solver import (
    Diagnosis,
    SolveOptions,
    SolveResult,
    SolverSession,
    Status,
    available_backends,
    diagnose,
    solve,
)

__all__ = [
    "PlanLP",
    "ScenarioDiagnosis",
    "binding_constraints",
    "diagnose_scenario",
    "explain_plan",
    "explanation_sections",
    "explanations",
    "flag_split",
    "group_ties",
    "marginal_contributions",
    "money_step",
    "policy_conflicts",
    "role_alternatives",
    "role_reasons",
    "shadow_prices",
    "shapley_values",
    "tie_sentences",
    "tier_alternatives",
    "tier_reasons",
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
                "tied": [label],
            }
        )

    if TARGET_FAMILY in result.duals and len(result.duals[TARGET_FAMILY]):
        rows.append(_target_price(float(result.duals[TARGET_FAMILY].iloc[0]), sc, fixed))
    if "budget" in result.duals:
        add("budget", "total", float(result.duals["budget"].iloc[0]))
    if "capacity" in result.duals:
        _capacity_prices(result.duals["capacity"], top, add, rows)
    if "openness_volume" in result.duals:
        # the row reads change + delta * volume >= 0: allowing one more USD of fall is -1 on rhs
        add("openness_volume", "total", -float(result.duals["openness_volume"].iloc[0]))
    for r in rows:
        r.setdefault("tied", [r["label"]])
    cols = ["family", "label", "dual", "step", "effect", "sentence", "tied"]
    df = pd.DataFrame(rows, columns=cols)
    return tag(df, "shadow_prices", "objective per USD mn")


def _capacity_prices(cap: pd.Series, top: int, add, rows: list[dict]) -> None:
    """The ``top`` largest capacity shadow prices; equal ones (within :data:`TIE_RTOL`) are one
    tied entry, never ranked."""
    nz = cap[np.abs(cap) > 1e-12]
    if not len(nz):
        return
    groups = group_ties(nz.abs())
    for k, g in enumerate(sorted(set(groups))[:top]):
        labels = list(groups.index[groups == g])
        where = [_label_words("capacity", lab) for lab in labels]
        first = where[0][0].upper() + where[0][1:]
        if len(labels) == 1:
            lead = f"{first} is the tightest bottleneck. " if k == 0 else f"Next comes {where[0]}. "
            add("capacity", labels[0], float(cap[labels[0]]), lead, "it")
        else:
            whom = _names([first, *where[1:]])
            rank = "the tightest bottlenecks" if k == 0 else "next"
            lead = f"{whom} are tied as {rank} (equal shadow prices). "
            add("capacity", labels[0], float(cap[labels[0]]), lead, "any one of them")
        rows[-1]["tied"] = labels


def _target_price(dual: float, sc: Scenario, fixed: str) -> dict[str, object]:
    """The price of dependency under ``objective.kind = "cost"``: USD mn per unit of DI at
    the target, and what one point (0.01) of DI less would cost."""
    step = 0.01
    effect = -dual * step  # lowering the target by a step raises the cost by this much
    target = sc.objective.target
    if abs(dual) < 1e-9:
        sentence = (
            f"The DI target of {_num(target, 4)} does not bind: the cheapest plan meets it "
            f"with room to spare{fixed}."
        )
    else:
        sentence = (
            f"At the DI target of {_num(target, 4)} dependency costs {_usd(-dual * step)} per "
            f"point: lowering objective.target by 0.01 (to {_num(target - step, 4)}) would cost "
            f"about {_usd(effect)} more, {_usd(-dual)} per unit of DI{fixed}."
        )
    return {
        "family": TARGET_FAMILY,
        "label": "DI",
        "dual": dual,
        "step": step,
        "effect": effect,
        "sentence": sentence,
        "tied": ["DI"],
    }


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
    from planner.parallel import process_map  # spawned workers that cannot hang

    return process_map(
        _lp_value,
        tasks,
        workers,
        initializer=_init_worker,
        initargs=(dataset, scenario, backend, options),
        what="sourcing LP re-solves",
    )


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


# ------------------------------------------------------------------ why, in the user's terms
#: values equal within this share of their scale are a tie (grouped, never ranked)
TIE_RTOL = 1e-6
#: role re-solves of the default ("brief") explanation; None explains every role
BRIEF_ROLE_SOLVES = 6
DEPTHS = ("none", "brief", "full")


def _num(v: float, sig: int = 3) -> str:
    """A plain decimal with ``sig`` significant digits, never scientific notation."""
    if not np.isfinite(v):
        return "n/a"
    if v == 0:
        return "0"
    digits = max(0, sig - 1 - math.floor(math.log10(abs(v))))
    text = f"{v:,.{min(digits, 12)}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if float(text.replace(",", "")) == 0 else text


def _usd(v: float) -> str:
    """USD mn as people read it (USD bn from 1 bn up), no scientific notation."""
    if abs(v) >= 1000:
        return f"USD {v / 1000:,.1f} bn"
    return f"USD {_num(v) if abs(v) < 1 else f'{v:,.1f}'} mn"


def group_ties(values: pd.Series, rtol: float = TIE_RTOL, scale: float | None = None) -> pd.Series:
    """Tie groups: labels whose values are equal within ``rtol * scale`` share a group number.

    Parameters
    ----------
    values : pandas.Series
        Values by label (NaN values each form a group of their own).
    rtol : float
        Relative tolerance.
    scale : float, optional
        What the tolerance is relative to; default the largest magnitude of ``values`` (at
        least 1e-12).

    Returns
    -------
    pandas.Series
        Group number per label (0 for the largest value's group, counting down the values);
        consecutive sorted values closer than the tolerance chain into one group.
    """
    v = values.astype(float)
    finite = v[np.isfinite(v)]
    if scale is None:
        scale = float(finite.abs().max()) if len(finite) else 1.0
    tol = rtol * max(abs(scale), 1e-12)
    order = finite.sort_values(ascending=False, kind="stable")
    gaps = np.abs(np.diff(order.to_numpy())) > tol
    first = [0] if len(order) else []  # no finite value: no group to start
    ids = pd.Series(np.concatenate([first, np.cumsum(gaps)]).astype(int), index=order.index)
    rest = v.index[~np.isfinite(v.to_numpy())]
    start = int(ids.max()) + 1 if len(ids) else 0
    ids = pd.concat([ids, pd.Series(np.arange(start, start + len(rest)), index=rest)])
    return ids.reindex(values.index)


def _names(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# ---- the plan's LP: the program with its integers fixed, re-solved hot with one change
def _lp_at(program: Program, x: np.ndarray) -> Program:
    """The LP left when every integer column of ``program`` is fixed at its value in ``x``
    (built through the program's public arrays; the original is not changed)."""
    lp = Program(f"{program.name}_at_plan")
    for b in program.blocks.values():
        lo, up = b.lower.copy(), b.upper.copy()
        if b.kind is not VarKind.CONTINUOUS:
            lo = up = np.round(x[b.columns])
        lp.add_variables(b.name, b.labels, lo, up.copy(), VarKind.CONTINUOUS, b.description)
    a = program.matrix()
    for f in program.families.values():
        sub = a[f.rows].tocoo()
        lp.add_constraints(
            f.name,
            f.labels,
            sub.row,
            sub.col,
            sub.data,
            f.sense_codes.copy(),
            f.rhs.copy(),
            f.description,
        )
    o = program.objective
    lp.set_objective(o.cols, o.coefs, o.sense, o.constant, o.name)
    lp.metadata = dict(program.metadata)
    return lp


class PlanLP:
    """The sourcing LP at a plan (membership and tiers fixed at the solution), re-solved with
    one decision changed: a country's role or a sector's tier.

    It is the model's own program with its integer columns fixed (so user-added rows count),
    kept loaded in one HiGHS session: each re-solve changes a few column bounds and starts
    from the last basis (a fraction of a second on the shipped default world).

    Parameters
    ----------
    model : CoalitionModel
        The built model.
    result : SolveResult
        Its solve (with a solution).
    options : SolveOptions, optional
        Options of the re-solves (default one thread).
    """

    def __init__(
        self, model: CoalitionModel, result: SolveResult, options: SolveOptions | None = None
    ) -> None:
        result.raise_for_status()
        self.model = model
        self.lp = _lp_at(model.program, result.x)
        self.backend = "highs" if "highs" in available_backends() else result.backend
        self.options = options or SolveOptions(threads=1, fixed_milp_duals=False)
        self._session = SolverSession()
        self._blocks = self.lp.blocks
        self.solves = 0
        self.seconds = 0.0
        self.base = self._run({})

    def column(self, expression: str, position: int) -> int | None:
        """The program column behind ``expression[position]`` (None if it is fixed)."""
        e = self.model.expressions[expression]
        cols = e.col[e.owner == position]
        return int(cols[0]) if len(cols) == 1 else None

    def _bounds(self, col: int) -> tuple[np.ndarray, np.ndarray, int]:
        owner = self.lp.column_owner([col])
        b = self._blocks[owner["block"].iloc[0]]
        return b.lower, b.upper, col - b.offset

    def _run(self, fixes: dict[int, float]) -> dict[str, object]:
        saved = {}
        for col, value in fixes.items():
            lo, up, k = self._bounds(col)
            saved[col] = (lo[k], up[k])
            lo[k] = up[k] = value
        t0 = time.perf_counter()
        try:
            r = solve(self.lp, self.backend, self.options, session=self._session)
        finally:
            for col, (a, b) in saved.items():
                lo, up, k = self._bounds(col)
                lo[k], up[k] = a, b
        self.solves += 1
        self.seconds += time.perf_counter() - t0
        if r.status is not Status.OPTIMAL:
            return {"status": r.status.value, "dependency": math.nan, "cost": math.nan}
        m = self.model
        return {
            "status": r.status.value,
            "dependency": float(m.evaluate(m.dependency_measure(), r.x)[0]),
            "cost": float(m.evaluate("total_cost", r.x)[0]),
        }

    def with_fixed(self, fixes: dict[int, float]) -> dict[str, object]:
        """Re-solve with columns fixed at values: status, DI (the objective's measure), cost,
        their changes against the plan, and (when infeasible) the scenario keys that block."""
        out = self._run(fixes)
        out["d_dependency"] = out["dependency"] - self.base["dependency"]
        out["d_cost"] = out["cost"] - self.base["cost"]
        out["blocked_by"] = self._blocked_by(fixes) if out["status"] != "optimal" else []
        return out

    def _blocked_by(self, fixes: dict[int, float]) -> list[dict[str, object]]:
        """The policy keys that make a changed plan infeasible (an elastic LP)."""
        saved = {}
        for col, value in fixes.items():
            lo, up, k = self._bounds(col)
            saved[col] = (lo[k], up[k])
            lo[k] = up[k] = value
        try:
            conflicts = policy_conflicts(
                self.lp, self.model.instance, backend=self.backend, options=self.options
            )
        finally:
            for col, (a, b) in saved.items():
                lo, up, k = self._bounds(col)
                lo[k], up[k] = a, b
        return conflicts


# ---- diagnosis in scenario keys
def _scenario_value(scenario: Scenario, key: str) -> object:
    section, name = key.split(".", 1)  # a dotted scenario key, the scenario's own address
    return getattr(getattr(scenario, section), name)


def _value_text(v: object, unit: str) -> str:
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}"
    if isinstance(v, float) and unit == "USD mn":
        return f"{v:,.10g}"
    return _num(float(v), 4) if isinstance(v, (float, np.floating)) else str(v)


def _needed(relax: Relaxation, instance, table: pd.DataFrame, value: float) -> float | None:
    """The key's value that lets every relaxed row of one family hold (None for a switch)."""
    scales = relax.scales(instance, pd.Index(list(table["label"])))
    if scales is None:
        return None
    raise_ = (table["direction"] == "raise rhs").to_numpy()
    step = table["relax_by"].to_numpy() / np.where(scales == 0, np.nan, scales)
    cand = np.where(raise_, value + step, value - step)
    up = bool(raise_.all())
    needed = float(np.nanmax(cand) if up else np.nanmin(cand))
    if relax.integer:
        needed = float(math.ceil(needed - 1e-6) if up else math.floor(needed + 1e-6))
    return needed


def _conflict(relax: Relaxation, family: str, d: Diagnosis, instance) -> dict[str, object]:
    """One policy family's relaxation in scenario terms (no sentence yet)."""
    table = d.relaxations[d.relaxations["family"] == family]
    value = _scenario_value(instance.scenario, relax.key)
    raise_ = bool((table["direction"] == "raise rhs").all())
    needed = _needed(relax, instance, table, float(value)) if relax.scale is not None else None
    return {
        "key": relax.key,
        "family": family,
        "value": value,
        "needed": needed,
        "unit": relax.unit,
        "what": relax.what,
        "direction": "raise" if raise_ else "lower",
        "amount": float(table["relax_by"].sum()),
        "rows": [str(v) for v in table["label"].head(5)],
    }


_COUNTS = ("members", "sectors")


def _conflict_sentence(c: dict[str, object], partners: Sequence[dict[str, object]]) -> str:
    """``coalition.max_size = 12 is too small: 16 members are needed to meet ...``."""
    key, unit = c["key"], str(c["unit"])
    now = _value_text(c["value"], unit)
    raise_ = c["direction"] == "raise"
    with_ = ""
    if partners:
        limits = [f"{p['key']} = {_value_text(p['value'], p['unit'])}" for p in partners]
        with_ = f" {'to meet' if raise_ else 'within'} {_names(limits)}"
    if c["needed"] is None:  # a switch or a limit without a single value
        at = f" (at {', '.join(c['rows'])})" if c["rows"] and c["rows"] != ["total"] else ""
        return (
            f"{key} = {now} cannot hold{with_}: {c['what']} falls short by "
            f"{_num(float(c['amount']))} {unit}{at}."
        )
    needed = float(c["needed"])
    if unit in _COUNTS:
        if raise_:
            return f"{key} = {now} is too small: {int(needed):,} {unit} are needed{with_}."
        return f"{key} = {now} is too large: at most {int(needed):,} {unit} can be had{with_}."
    if unit == "USD mn":
        if raise_:
            return f"{key} = {now} is too small: {_usd(needed)} is needed{with_}."
        return f"{key} = {now} is too large: at most {_usd(needed)} can be met{with_}."
    bound = "at least" if raise_ else "at most"
    size = "small" if raise_ else "large"
    return (
        f"{key} = {now} is too {size}: it would have to be {bound} {_num(needed, 4)} "
        f"({unit}){with_}."
    )


def _policy_weights(program: Program, names: Sequence[str]) -> dict[str, np.ndarray]:
    """Slack penalties that compare families in different units: per unit of |rhs|."""
    return {n: 1.0 / np.maximum(1.0, np.abs(program.family(n).rhs)) for n in names}


def policy_conflicts(
    program: Program,
    instance,
    backend: str = "highs",
    options: SolveOptions | None = None,
    each: bool = True,
) -> list[dict[str, object]]:
    """What to change in the scenario to make ``program`` feasible, by policy key.

    Only the policy families of :data:`formulations.families.RELAXATIONS` may bend (never
    ``one_role``, ``one_tier`` or a row that defines a variable). One elastic solve with all of
    them names the families in conflict; with ``each``, one more per policy family finds the
    families that alone would restore feasibility, and the value their key would need.

    Returns
    -------
    list of dict
        One per key to change: ``key``, ``family``, ``value`` (now), ``needed`` (the value that
        would make the scenario feasible, None for a switch), ``unit``, ``direction``,
        ``alone`` (this change alone suffices), ``partners`` (the keys it conflicts with) and
        ``sentence``. Empty when the program is feasible; a single entry with ``key`` None
        when no policy change suffices.
    """
    names = [n for n in program.families if n in RELAXATIONS]
    if not names:
        return [_structural_conflict()]
    joint = diagnose(program, names, backend, options, weights=_policy_weights(program, names))
    if joint.status is not Status.OPTIMAL:
        return [_structural_conflict()]
    if joint.feasible:
        return []
    involved = [n for n in joint.by_family.index if joint.by_family[n] > 0]
    found = {n: _conflict(RELAXATIONS[n], n, joint, instance) for n in involved}
    alone: dict[str, dict[str, object]] = {}
    if each:
        for n in names:
            d = diagnose(program, [n], backend, options)
            if d.status is Status.OPTIMAL and not d.feasible:
                alone[n] = _conflict(RELAXATIONS[n], n, d, instance)
    out = []
    if alone:
        order = [n for n in involved if n in alone] + [n for n in alone if n not in involved]
        for n in order:
            partners = [alone[m] for m in order if m != n and alone[m]["key"] != alone[n]["key"]]
            c = dict(alone[n], alone=True, partners=[p["key"] for p in partners])
            c["sentence"] = _conflict_sentence(c, partners)
            out.append(c)
        return out
    for n in involved:  # no single change suffices: all of these together
        partners = [found[m] for m in involved if m != n]
        c = dict(found[n], alone=False, partners=[p["key"] for p in partners])
        c["sentence"] = _conflict_sentence(c, [])
        out.append(c)
    return out


def _structural_conflict() -> dict[str, object]:
    return {
        "key": None,
        "family": None,
        "value": None,
        "needed": None,
        "unit": "",
        "direction": "",
        "alone": False,
        "partners": [],
        "sentence": (
            "No policy key can make the scenario feasible: the conflict lies in the data or the "
            "model's structure (demand, capacity, one role per country, one tier per sector), "
            "not in a scenario limit."
        ),
    }


@dataclass
class ScenarioDiagnosis:
    """Why a scenario is infeasible, in scenario keys (see :func:`diagnose_scenario`).

    Attributes
    ----------
    conflicts : list of dict
        One per key to change (:func:`policy_conflicts`).
    """

    conflicts: list[dict[str, object]]

    @property
    def feasible(self) -> bool:
        """True when nothing needs changing."""
        return not self.conflicts

    @property
    def keys(self) -> list[str]:
        """The scenario keys to change, in order."""
        return [str(c["key"]) for c in self.conflicts if c["key"] is not None]

    def explain(self) -> str:
        """The diagnosis as lines a user acts on."""
        if self.feasible:
            return "The scenario is feasible: nothing needs changing."
        if self.conflicts[0]["key"] is None:
            return str(self.conflicts[0]["sentence"])
        alone = self.conflicts[0]["alone"]
        head = (
            "The scenario is infeasible. Any one of these changes makes it feasible:"
            if alone and len(self.conflicts) > 1
            else "The scenario is infeasible. Change:"
            if alone
            else "The scenario is infeasible. No single key suffices; change all of:"
        )
        return "\n".join([head] + [f"  - {c['sentence']}" for c in self.conflicts])


def diagnose_scenario(
    model: CoalitionModel, backend: str = "highs", options: SolveOptions | None = None
) -> ScenarioDiagnosis:
    """Diagnose an infeasible scenario in its own keys, with units and the values that would
    make it feasible; structural rows are never offered as relaxations.

    Examples
    --------
    >>> print(diagnose_scenario(model).explain())  # doctest: +SKIP
    The scenario is infeasible. Any one of these changes makes it feasible:
      - coalition.max_size = 1 is too small: 2 members are needed to meet
        coalition.min_gdp_share = 0.8.
      - coalition.min_gdp_share = 0.8 is too large: at most 0.706 (share of the dataset's GDP)
        can be met within coalition.max_size = 1.
    """
    backend = backend if backend in available_backends() else "highs"
    return ScenarioDiagnosis(policy_conflicts(model.program, model.instance, backend, options))


# ---- roles: why that role and not the next one
_ROLE_COLUMNS = {"member": ("full_member", "associate"), "associate": ("associate", "full_member")}
_ALT_FIXES = {  # alternative -> (y, z)
    "member": (1.0, 0.0),
    "associate": (0.0, 1.0),
    "outside": (0.0, 0.0),
}
ROLE_COLUMNS = [
    "role",
    "alternative",
    "status",
    "dependency",
    "cost",
    "d_dependency",
    "d_cost",
    "blocked_by",
    "blocked_why",
    "tie_group",
]


def _fixed_role_reason(inst, country: str, role: str) -> str | None:
    """Why a role is not a choice of the model (None when it is)."""
    co = inst.scenario.coalition
    if country in co.anchors:
        return f"{country} is an anchor (coalition.anchors): a full member by the scenario."
    if country in co.members:
        return f"{country} is a full member by the scenario (coalition.members)."
    if country in co.associates:
        return f"{country} is an associate by the scenario (coalition.associates)."
    if not co.choose_members:
        return f"{country}'s role is fixed by the scenario (coalition.choose_members = false)."
    return None


def _alternatives_of(lp: PlanLP, k: int, role: str) -> list[tuple[str, dict[int, float]]]:
    """The other role (if the country may take it) and staying out, as column fixes."""
    y, z = lp.column("full_member", k), lp.column("associate", k)
    out = []
    for alt in ("associate", "outside") if role == "member" else ("member", "outside"):
        vy, vz = _ALT_FIXES[alt]
        fixes = {}
        for col, v, fixed in (
            (y, vy, lp.model.instance.full_fixed[k]),
            (z, vz, lp.model.instance.associate_fixed[k]),
        ):
            if col is not None:
                fixes[col] = v
            elif not (np.isnan(fixed) or fixed == v):
                fixes = None
                break
        if fixes:
            out.append((alt, fixes))
    return out


def _role_order(inst, plan: Plan, lp: PlanLP) -> list[tuple[str, int, str]]:
    """Chosen roles, the most telling first: associates who could be full members, then the
    members, then the other associates, each by GDP."""
    k_of = {c: k for k, c in enumerate(inst.countries)}
    gdp = dict(zip(inst.countries, inst.gdp, strict=True))
    chosen = [
        (c, k_of[c], r)
        for c, r in plan.roles.items()
        if r in ("member", "associate") and _fixed_role_reason(inst, c, r) is None
    ]

    def rank(item: tuple[str, int, str]) -> tuple[int, float]:
        c, k, r = item
        could_be_full = r == "associate" and lp.column("full_member", k) is not None
        return (0 if could_be_full else 1 if r == "member" else 2, -gdp[c])

    return sorted(chosen, key=rank)


def role_alternatives(
    lp: PlanLP, plan: Plan, max_countries: int | None = None, both: bool = True
) -> pd.DataFrame:
    """Each chosen member's and associate's other role and staying out, re-solved at the plan.

    Parameters
    ----------
    lp : PlanLP
        The plan's LP.
    plan : Plan
        The plan.
    max_countries : int, optional
        Re-solve at most this many countries (the most telling first: associates who could be
        full members, then members, each by GDP); default all.
    both : bool
        Both alternatives (other role and outside); else only the next one.

    Returns
    -------
    pandas.DataFrame
        Indexed (country, alternative): role, status, dependency, cost (after the change),
        d_dependency, d_cost (change against the plan), blocked_by (keys that make it
        infeasible) and tie_group (equal changes within :data:`TIER_RTOL` share a number).
    """
    inst = lp.model.instance
    rows = []
    order = _role_order(inst, plan, lp)
    for c, k, role in order[:max_countries] if max_countries is not None else order:
        alts = _alternatives_of(lp, k, role)
        for alt, fixes in alts if both else alts[:1]:
            r = lp.with_fixed(fixes)
            keys = [b["key"] for b in r["blocked_by"] if b["key"]]
            rows.append(
                {
                    "country": c,
                    "alternative": alt,
                    "role": role,
                    **r,
                    "blocked_by": ", ".join(dict.fromkeys(keys)),
                    "blocked_why": _blocked_why(r["blocked_by"]),
                }
            )
    df = pd.DataFrame(rows, columns=["country", *ROLE_COLUMNS])
    df = df.set_index(["country", "alternative"])
    df["tie_group"] = _ties(df, lp)
    return tag(df, "role_alternatives", "DI / USD mn")


def _ties(df: pd.DataFrame, lp: PlanLP) -> pd.Series:
    """Tie groups of (DI change, cost change) within each (role, alternative)."""
    out = pd.Series(-1, index=df.index, dtype=int)
    di_scale = max(abs(float(lp.base["dependency"])), 1e-12)
    cost_scale = max(abs(float(lp.model.instance.scenario.parameters.budget)), 1.0)
    keys = pd.Series(list(zip(df["role"], df.index.get_level_values(-1), strict=True)))
    nxt = 0
    for group in dict.fromkeys(keys):
        mask = (keys == group).to_numpy()
        part = df[mask]
        a = group_ties(part["d_dependency"], scale=di_scale)
        b = group_ties(part["d_cost"], scale=cost_scale)
        codes = pd.factorize(a.astype(str) + "/" + b.astype(str))[0] + nxt
        out[mask] = codes
        nxt = int(codes.max()) + 1
    return out


_ALT_WORDS = {"member": "as a full member", "associate": "as an associate", "outside": "left out"}


def _blocked_why(conflicts: list[dict[str, object]]) -> str:
    """The first policy conflict's sentence, without its final stop."""
    return str(conflicts[0]["sentence"]).rstrip(".") if conflicts else ""


def _change_words(r: pd.Series, di_tol: float, cost_tol: float) -> str:
    """'the dependency index would rise by 0.0012 (to 0.0784) at the same cost' and kin."""
    if r["status"] != "optimal":
        if r.get("blocked_why"):
            return f"the plan would be infeasible ({r['blocked_why']})"
        return "the plan would be infeasible (a structural rule breaks)"
    dd, dc = float(r["d_dependency"]), float(r["d_cost"])
    parts = []
    if abs(dd) > di_tol:
        verb = "rise" if dd > 0 else "fall"
        parts.append(
            f"the dependency index would {verb} by {_num(abs(dd))} (to {_num(r['dependency'], 4)})"
        )
    if abs(dc) > cost_tol:
        verb = "more" if dc > 0 else "less"
        parts.append(f"the plan would cost {_usd(abs(dc))} {verb}")
    if not parts:
        return "nothing would change (a tie: the plan is indifferent)"
    if len(parts) == 1 and abs(dc) <= cost_tol:
        parts[0] += " at the same cost"
    return " and ".join(parts)


def role_reasons(lp: PlanLP, plan: Plan, alternatives: pd.DataFrame) -> pd.DataFrame:
    """Per member and associate: the reason for its role, as a sentence (``reason``), and
    ``basis``: ``scenario`` (fixed), ``re-solved`` or ``not re-solved`` (brief explanation)."""
    inst = lp.model.instance
    di_tol = TIE_RTOL * max(abs(float(lp.base["dependency"])), 1e-12)
    cost_tol = TIE_RTOL * max(float(inst.scenario.parameters.budget), 1.0)
    rows = []
    done = set(alternatives.index.get_level_values(0))
    for c, role in plan.roles.items():
        if role not in ("member", "associate"):
            continue
        fixed = _fixed_role_reason(inst, c, role)
        noun = "a full member" if role == "member" else "an associate"
        if fixed is not None:
            rows.append({"country": c, "role": role, "basis": "scenario", "reason": fixed})
            continue
        if c not in done:
            rows.append(
                {
                    "country": c,
                    "role": role,
                    "basis": "not re-solved",
                    "reason": f"{c} is {noun} by the optimum (its alternatives were not re-solved "
                    "in the brief explanation; `planner run --explain full` re-solves every role).",
                }
            )
            continue
        alts = alternatives.loc[c]
        said = [
            f"{_ALT_WORDS[alt]}, {_change_words(r, di_tol, cost_tol)}" for alt, r in alts.iterrows()
        ]
        rows.append(
            {
                "country": c,
                "role": role,
                "basis": "re-solved",
                "reason": f"{c} is {noun}: " + "; ".join(said) + ".",
            }
        )
    df = pd.DataFrame(rows, columns=["country", "role", "basis", "reason"]).set_index("country")
    return tag(df, "role_reasons", "")


def tie_sentences(
    alternatives: pd.DataFrame, di_tol: float = 0.0, cost_tol: float = 0.0
) -> list[str]:
    """One sentence per group of two or more countries whose change is the same (a tie);
    changes within ``di_tol`` and ``cost_tol`` read as none."""
    out = []
    if not len(alternatives):
        return out
    for _, g in alternatives.groupby("tie_group", sort=True):
        if len(g) < 2:
            continue
        countries = list(dict.fromkeys(g.index.get_level_values(0)))
        alt = g.index.get_level_values(1)[0]
        role = "associates" if g["role"].iloc[0] == "associate" else "full members"
        what = _change_words(g.iloc[0], di_tol, cost_tol)
        out.append(
            f"Tied {role}: {_names(countries)}, {_ALT_WORDS[alt]}: for each, {what} (equal "
            f"within {TIE_RTOL:g} relative, so the plan does not rank them)."
        )
    return out


# ---- tiers: why a weighted sector stays open
def _tier_fix(lp: PlanLP, s: int, tier: str) -> dict[int, float] | None:
    cols = {t: lp.column(f"tier_{t}", s) for t in TIERS}
    if any(c is None for c in cols.values()):
        return None
    return {c: float(t == tier) for t, c in cols.items()}


def tier_alternatives(
    lp: PlanLP,
    plan: Plan,
    dataset: Dataset | None = None,
    tiered_too: bool = False,
) -> pd.DataFrame:
    """What tiering each open sector of non-zero weight would cost and buy, re-solved at the
    plan's membership (``tiered_too``: also what leaving each tiered sector open would).

    A sector the scenario fixes open has no tier decision in the program: with ``dataset``
    the sourcing LP is rebuilt with the sector tiered (:func:`formulations.problems.sourcing_lp`);
    without it the sector is listed with status ``fixed``.

    Returns
    -------
    pandas.DataFrame
        Indexed (sector, alternative): tier, weight, status, dependency, cost, d_dependency,
        d_cost, blocked_by.
    """
    inst = lp.model.instance
    rows = []
    for s, sector in enumerate(inst.sectors):
        tier = plan.tiers[sector]
        if inst.weight[s] <= 0:
            continue
        if tier == "open":
            alts = ["incentivized", "restricted"]
        elif tiered_too:
            alts = ["open"]
        else:
            continue
        for alt in alts:
            fixes = _tier_fix(lp, s, alt)
            if fixes is not None:
                r = lp.with_fixed(fixes)
            elif dataset is not None and tier == "open":
                r = _rebuilt_tier(lp, plan, dataset, sector, alt)
            else:
                r = {
                    "status": "fixed",
                    "dependency": math.nan,
                    "cost": math.nan,
                    "d_dependency": math.nan,
                    "d_cost": math.nan,
                    "blocked_by": [],
                }
            keys = [b["key"] for b in r["blocked_by"] if b["key"]]
            rows.append(
                {
                    "sector": sector,
                    "alternative": alt,
                    "tier": tier,
                    "weight": float(inst.weight[s]),
                    **r,
                    "blocked_by": ", ".join(dict.fromkeys(keys)),
                    "blocked_why": _blocked_why(r["blocked_by"]),
                }
            )
    cols = [
        "sector",
        "alternative",
        "tier",
        "weight",
        "status",
        "dependency",
        "cost",
        "d_dependency",
        "d_cost",
        "blocked_by",
        "blocked_why",
    ]
    df = pd.DataFrame(rows, columns=cols).set_index(["sector", "alternative"])
    return tag(df, "tier_alternatives", "DI / USD mn")


def _rebuilt_tier(lp: PlanLP, plan: Plan, dataset: Dataset, sector: str, tier: str) -> dict:
    """The sourcing LP rebuilt with one more sector tiered (the scenario fixed it open)."""
    sc = lp.model.instance.scenario
    assoc, tiers = _fixed_parts(plan)
    options = lp.options
    values = []
    for t in (dict(tiers), {**dict(tiers), sector: tier}):
        m = sourcing_lp(dataset, sc, plan.members, list(assoc), t, lp.model.objective_kind)
        r = solve(m.program, lp.backend, options)
        lp.solves += 1
        ok = r.status is Status.OPTIMAL
        values.append(
            {
                "status": r.status.value,
                "dependency": float(m.evaluate(m.dependency_measure(), r.x)[0]) if ok else math.nan,
                "cost": float(m.evaluate("total_cost", r.x)[0]) if ok else math.nan,
                "program": m,
            }
        )
    base, alt = values
    blocked = (
        []
        if alt["status"] == "optimal"
        else policy_conflicts(
            alt["program"].program, alt["program"].instance, lp.backend, options, each=False
        )
    )
    return {
        "status": alt["status"],
        "dependency": alt["dependency"],
        "cost": alt["cost"],
        "d_dependency": alt["dependency"] - base["dependency"],
        "d_cost": alt["cost"] - base["cost"],
        "blocked_by": blocked,
    }


_TIER_VERBS = {
    "incentivized": "incentivizing it",
    "restricted": "restricting it",
    "open": "left open",
}


def tier_reasons(lp: PlanLP, plan: Plan, alternatives: pd.DataFrame) -> pd.DataFrame:
    """Per sector: its tier and the reason, as a sentence (weight 0, what tiering would cost
    and buy, or the tier the optimum chose)."""
    inst = lp.model.instance
    di_tol = TIE_RTOL * max(abs(float(lp.base["dependency"])), 1e-12)
    cost_tol = TIE_RTOL * max(float(inst.scenario.parameters.budget), 1.0)
    chosen = inst.tier_fixed < 0
    done = set(alternatives.index.get_level_values(0))
    rows = []
    for s, sector in enumerate(inst.sectors):
        tier = plan.tiers[sector]
        w = float(inst.weight[s])
        if w <= 0 and tier == "open":
            reason = (
                f"{sector} stays open: its weight is 0, so the dependency index does not "
                "count it and tiering it could only cost."
            )
        elif sector in done:
            said = [
                f"{_TIER_VERBS[a]}, {_change_words(r, di_tol, cost_tol)}"
                for a, r in alternatives.loc[sector].iterrows()
            ]
            what = "stays open" if tier == "open" else f"is {tier}"
            reason = f"{sector} {what}: " + "; ".join(said) + "."
        elif not chosen[s]:
            reason = f"{sector} is {tier} by the scenario (sectors.tiers)."
        else:
            reason = f"{sector} is {tier} by the optimum."
        rows.append({"sector": sector, "tier": tier, "weight": w, "reason": reason})
    df = pd.DataFrame(rows, columns=["sector", "tier", "weight", "reason"]).set_index("sector")
    return tag(df, "tier_reasons", "")


# ---- EU-style flags: critical sectors and the others, and why the plan leaves each
def _flag_reason(inst, plan: Plan, importer: str, sector: str, spare: pd.Series) -> str:
    s = inst.sectors.get_loc(sector)
    tier = plan.tiers[sector]
    if inst.weight[s] <= 0:
        return "weight 0"
    if tier == "open":
        return "open tier"
    if plan.roles.get(importer) != "member":
        return "not a full member"
    if float(spare.get(sector, 0.0)) <= 1e-6 * max(1.0, float(inst.sector_volume[s])):
        return "no capacity"
    return "tier rule met"


_FLAG_REASON_WORDS = {
    "weight 0": "a sector of weight 0, which the dependency index does not count and the plan "
    "never tiers",
    "open tier": "an open sector: the plan does not re-source it",
    "not a full member": "the importer is not a full member, so its sourcing is not planned",
    "no capacity": "non-adversary suppliers have no spare capacity left in the sector",
    "tier rule met": "the tier's cut is met and a further cut does not pay under the plan's limits",
}


def flag_split(it) -> dict[str, object]:
    """EU 2021-style flags split into critical (weighted) sectors and the others, with every
    flagged dependency the plan leaves and the reason for it.

    Parameters
    ----------
    it : Interpretation
        The interpretation (its ``metrics_by_pair`` table).

    Returns
    -------
    dict
        ``critical`` and ``other``: ``before`` and ``after`` counts; ``left``: a list of
        ``{"importer", "sector", "critical", "tier", "reason"}`` for each pair flagged after the
        plan; ``by_reason``: counts; ``sentence``: the headline's sentence.
    """
    inst, plan = it.model.instance, it.plan
    pairs = it.tables["metrics_by_pair"]
    w = pd.Series(inst.weight, index=inst.sectors)
    crit = w.reindex(pairs.index.get_level_values("sector")).to_numpy() > 0
    out: dict[str, object] = {}
    for name, mask in (("critical", crit), ("other", ~crit)):
        out[name] = {
            "before": int(pairs.loc[mask, "flagged_before"].sum()),
            "after": int(pairs.loc[mask, "flagged_after"].sum()),
        }
    cap = plan.capacity
    adv = set(inst.countries[inst.adversary])
    free = cap[~cap["exporter"].isin(adv)]
    spare = (free["capacity"] - free["used"]).clip(lower=0.0).groupby(free["sector"]).sum()
    left = pairs.index[pairs["flagged_after"].astype(bool).to_numpy()]
    rows = [
        {
            "importer": i,
            "sector": s,
            "critical": bool(w[s] > 0),
            "tier": str(plan.tiers[s]),
            "reason": _flag_reason(inst, plan, i, s, spare),
        }
        for i, s in left
    ]
    out["left"] = rows
    out["by_reason"] = dict(pd.Series([r["reason"] for r in rows], dtype=object).value_counts())
    out["by_reason"] = {k: int(v) for k, v in out["by_reason"].items()}
    out["sentence"] = _flag_sentence(out)
    return out


def _flag_sentence(f: dict[str, object]) -> str:
    c, o = f["critical"], f["other"]
    text = (
        "Strategic dependencies flagged in the EU 2021 style (supplier HHI > 0.4, more than half "
        "from outside the coalition, and the coalition importing more of the product from "
        f"outside than it exports): in the critical (weighted) sectors {c['before']} "
        f"importer-sector pairs before and {c['after']} after; in the other sectors "
        f"{o['before']} before and {o['after']} after."
    )
    left = f["left"]
    if not left:
        return text
    by_reason: dict[str, list] = {}
    for r in left:
        by_reason.setdefault(r["reason"], []).append(r)
    parts = []
    for reason, rs in by_reason.items():
        sectors = sorted({r["sector"] for r in rs})
        every = "all " if len(by_reason) == 1 and len(rs) > 1 else ""
        parts.append(f"{every}{len(rs)} in {_names(sectors)} ({_FLAG_REASON_WORDS[reason]})")
    return f"{text} Of the {len(left)} the plan leaves flagged, {'; '.join(parts)}."


# ---- the explanation of a plan, as data and as report sections
def _round(v: object) -> object:
    if isinstance(v, (float, np.floating)):
        return None if not np.isfinite(v) else float(f"{float(v):.10g}")
    return v


def _alternatives_json(df: pd.DataFrame, key: str) -> dict[str, dict[str, object]]:
    out: dict[str, dict[str, object]] = {}
    cols = ["status", "dependency", "cost", "d_dependency", "d_cost", "blocked_by", "blocked_why"]
    if "tie_group" in df.columns:
        cols.append("tie_group")
    for (who, alt), r in df.iterrows():
        rec = {c: _round(r[c]) for c in cols}
        rec["blocked_by"] = [k for k in str(r["blocked_by"]).split(", ") if k]
        if "tie_group" in rec:
            rec["tie_group"] = int(rec["tie_group"])
        out.setdefault(str(who), {})[str(alt)] = rec
    return out


def explain_plan(
    it,
    dataset: Dataset | None = None,
    depth: str | None = "brief",
    options: SolveOptions | None = None,
) -> dict[str, pd.DataFrame]:
    """Re-solve the plan's LP for the role and tier alternatives and keep the tables in
    ``it.tables`` (``role_alternatives``, ``role_reasons``, ``tier_alternatives``,
    ``tier_reasons``); a second call reuses them.

    Parameters
    ----------
    it : Interpretation
        The interpretation of a solved model.
    dataset : Dataset, optional
        The model's dataset: a weighted sector the scenario fixes open is then re-solved
        tiered by rebuilding the sourcing LP.
    depth : {"none", "brief", "full"} or None
        ``brief`` (the default): every open sector of non-zero weight, and the next role of
        the :data:`BRIEF_ROLE_SOLVES` most telling countries (a handful of LP re-solves);
        ``full``: both alternatives of every chosen member and associate, and every tiered
        sector left open; ``none``: no re-solve; None: the tables an earlier call kept, else
        ``brief``.
    options : SolveOptions, optional
        Options of the re-solves (default one thread).

    Returns
    -------
    dict of str to pandas.DataFrame
        The four tables.
    """
    keys = ("role_alternatives", "role_reasons", "tier_alternatives", "tier_reasons")
    cached = all(k in it.tables for k in keys)
    if cached and depth in (None, it.tables["role_reasons"].attrs.get("depth")):
        return {k: it.tables[k] for k in keys}
    depth = depth or "brief"
    if depth not in DEPTHS:
        raise ValueError(f"depth {depth!r} is not one of {list(DEPTHS)}")
    lp = PlanLP(it.model, it.result, options)
    full = depth == "full"
    if depth == "none":
        roles = role_alternatives(lp, it.plan, max_countries=0)
        tiers = tier_alternatives(lp, it.plan, None)
        tiers = tiers.iloc[0:0]
    else:
        roles = role_alternatives(lp, it.plan, None if full else BRIEF_ROLE_SOLVES, both=full)
        tiers = tier_alternatives(lp, it.plan, dataset, tiered_too=full)
    out = {
        "role_alternatives": roles,
        "role_reasons": role_reasons(lp, it.plan, roles),
        "tier_alternatives": tiers,
        "tier_reasons": tier_reasons(lp, it.plan, tiers),
    }
    out["role_reasons"].attrs.update(
        depth=depth, solves=lp.solves, seconds=lp.seconds, base=dict(lp.base)
    )
    it.tables.update(out)
    return out


def explanations(
    it,
    dataset: Dataset | None = None,
    depth: str | None = None,
    options: SolveOptions | None = None,
) -> dict[str, object]:
    """The plan's explanation as JSON-ready data (summary.json's ``explanations``); ``depth``
    as in :func:`explain_plan` (None: what an earlier call computed, else ``brief``).

    Returns
    -------
    dict
        ``depth``, ``re_solves`` (LP re-solves made), ``roles`` (per member and associate:
        role, basis, reason, alternatives with DI and cost changes and tie groups), ``ties``
        (sentences), ``tiers`` (per sector of non-zero weight: tier, weight, reason,
        alternatives), ``weight_zero_open`` (the sectors of weight 0, all open), ``flags``
        (:func:`flag_split`), ``prices`` (the shadow-price sentences, ties grouped) and
        ``price_of_dependency`` (the cost objective's USD per unit of DI at the target, as a
        sentence, or None).
    """
    t = explain_plan(it, dataset, depth, options)
    roles_alt = _alternatives_json(t["role_alternatives"], "country")
    roles = {
        c: {
            "role": r["role"],
            "basis": r["basis"],
            "reason": r["reason"],
            "alternatives": roles_alt.get(c, {}),
        }
        for c, r in t["role_reasons"].iterrows()
    }
    tiers_alt = _alternatives_json(t["tier_alternatives"], "sector")
    tr = t["tier_reasons"]
    tiers = {
        s: {
            "tier": r["tier"],
            "weight": _round(r["weight"]),
            "reason": r["reason"],
            "alternatives": tiers_alt.get(s, {}),
        }
        for s, r in tr.iterrows()
        if r["weight"] > 0 or r["tier"] != "open"
    }
    sp = it.tables.get("shadow_prices")
    prices = [] if sp is None else [str(s) for s in sp["sentence"]]
    target = None
    if sp is not None and len(sp) and (sp["family"] == TARGET_FAMILY).any():
        target = str(sp.loc[sp["family"] == TARGET_FAMILY, "sentence"].iloc[0])
    attrs = t["role_reasons"].attrs
    return {
        "depth": attrs.get("depth", depth),
        "re_solves": int(attrs.get("solves", 0)),
        "roles": roles,
        "ties": tie_sentences(t["role_alternatives"], *_tolerances(it, attrs)),
        "tiers": tiers,
        "weight_zero_open": [
            s for s, r in tr.iterrows() if r["weight"] <= 0 and r["tier"] == "open"
        ],
        "flags": flag_split(it),
        "prices": prices,
        "price_of_dependency": target,
    }


def _tolerances(it, attrs: dict) -> tuple[float, float]:
    """Changes of DI and cost below these are no change (:data:`TIE_RTOL` of their scale)."""
    base = attrs.get("base", {}).get("dependency", math.nan)
    di = float(base) if np.isfinite(base) else float(it.headline.get("dependency_after", 0.0))
    budget = float(it.model.instance.scenario.parameters.budget)
    return TIE_RTOL * max(abs(di), 1e-12), TIE_RTOL * max(budget, 1.0)


def explanation_sections(
    it,
    dataset: Dataset | None = None,
    depth: str | None = None,
    top: int = 12,
) -> list[tuple[str, str]]:
    """The report's explanation sections, as (title, Markdown) pairs in reading order: why
    these members, why these tiers, the flagged dependencies the plan leaves, and the price of
    dependency (objective ``cost``). Uses the tables :func:`explain_plan` keeps (re-solving
    only if they are missing)."""
    e = explanations(it, dataset, depth)
    out: list[tuple[str, str]] = []
    if e["price_of_dependency"]:
        out.append(("The price of dependency", str(e["price_of_dependency"])))
    lines = []
    fixed = [c for c, r in e["roles"].items() if r["basis"] == "scenario"]
    solved = [r for r in e["roles"].values() if r["basis"] == "re-solved"]
    later = [c for c, r in e["roles"].items() if r["basis"] == "not re-solved"]
    lines += [f"- {r['reason']}" for r in solved[:top]]
    lines += [f"- {s}" for s in e["ties"]]
    if fixed:
        lines.append(f"- Fixed by the scenario: {_names(fixed)}.")
    if later:
        lines.append(
            f"- Chosen by the optimum, alternatives not re-solved here: {_names(later)} "
            "(`planner run --explain full` re-solves every role)."
        )
    if lines:
        out.append(("Why these members", "\n".join(lines)))
    tier_lines = [f"- {r['reason']}" for r in e["tiers"].values()][:top]
    zero = e["weight_zero_open"]
    if zero:
        tier_lines.append(
            f"- {len(zero)} sectors of weight 0 stay open: the dependency index does not count "
            "them, so tiering them could only cost."
        )
    if tier_lines:
        out.append(("Why these tiers", "\n".join(tier_lines)))
    f = e["flags"]
    flag_md = [str(f["sentence"])]
    if f["left"]:
        left = pd.DataFrame(f["left"])
        g = (
            left.groupby(["sector", "critical", "tier", "reason"], sort=False)["importer"]
            .agg(lambda s: ", ".join(sorted(s)))
            .reset_index()
        )
        flag_md += [
            "",
            "| sector | critical | tier | reason | importers |",
            "|---|---|---|---|---|",
        ]
        flag_md += [
            f"| {r.sector} | {'yes' if r.critical else 'no'} | {r.tier} | {r.reason} | "
            f"{r.importer} |"
            for r in g.head(top).itertuples()
        ]
    out.append(("Flagged dependencies the plan leaves", "\n".join(flag_md)))
    return out
