"""Stability of a plan: does every member want to stay, does any outsider want to join?

A country's payoff from a plan is its participation payoff (docs/model.md, family 10): alpha
times its new exports (net of the exports it loses to export controls) minus its own sourcing
cost, in USD mn. In the style of Carraro and Siniscalco a coalition is

- *internally stable* when no member gains by leaving, given the rest: payoff inside >= payoff
  outside;
- *externally stable* when no eligible outsider gains by joining: payoff outside >= payoff
  inside.

Anchors are listed but left out of the verdict: they are in by the scenario's decision, as the
participation rule exempts them.

Two depths. ``cheap`` (the default, no solve) holds the other countries' sourcing as planned:
a leaver keeps its baseline imports (no own cost), loses its new sales and export controls,
and keeps the cuts members made to its sales; a newcomer sells nothing new (nobody re-sources
towards it) and takes on export controls, so joining never pays in this reading. ``full``
re-solves, for each member, the sourcing without it and, for each eligible outsider, the
sourcing with it (the recourse LP of the robust model, :func:`formulations.robust.
recourse_program`, on a model where every eligible candidate may be a member), so that the
rest re-source around the move.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from planner.interpreter.metrics import tag

if TYPE_CHECKING:
    from planner.data.dataset import Dataset
    from planner.interpreter.core import Interpretation

__all__ = ["MODES", "stability_sentences", "stability_summary", "stability_table"]

MODES = ("off", "cheap", "full")
TOL = 1e-6  # USD mn: a gain below this is no gain


def _exports_change(links: pd.DataFrame, countries: pd.Index, negative_only: bool) -> pd.Series:
    change = links["optimized"] - links["baseline"]
    if negative_only:
        change = change.clip(upper=0.0)
    return change.groupby(links["exporter"]).sum().reindex(countries, fill_value=0.0)


def _own_cost(it: Interpretation) -> pd.Series:
    plan = it.plan
    lk = plan.links
    countries = it.model.instance.countries
    up = (lk["optimized"] - lk["baseline"]).clip(lower=0.0) * lk["unit_cost"]
    own = up.groupby(lk["importer"]).sum().reindex(countries, fill_value=0.0)
    dom = plan.domestic
    if len(dom):
        own = own.add(
            (dom["optimized"] * dom["unit_cost"]).groupby(dom["importer"]).sum(), fill_value=0.0
        )
    g = plan.partnership
    if g is not None and len(g):
        own = own.add((g["optimized"] * g["unit_cost"]).groupby(g["importer"]).sum(), fill_value=0)
    return own.reindex(countries, fill_value=0.0)


def _lost_by_country(it: Interpretation) -> pd.Series:
    inst = it.model.instance
    lost = it.model.evaluate("lost_exports", it.plan.x)
    by = np.bincount(np.repeat(np.arange(inst.n_countries), inst.n_sectors), weights=lost)
    return pd.Series(by, index=inst.countries)


def _lost_if_joining(it: Interpretation) -> pd.Series:
    """Exports each country would lose to export controls as a member (restricted tiers)."""
    inst, sc = it.model.instance, it.model.instance.scenario
    if not sc.constraints.export_controls:
        return pd.Series(0.0, index=inst.countries)
    t_res = (it.plan.tiers.reindex(inst.sectors) == "restricted").to_numpy(float)
    lost = (1.0 - sc.parameters.restricted_residual) * (inst.exports_to_adversaries @ t_res)
    return pd.Series(lost, index=inst.countries)


def _cheap(it: Interpretation) -> pd.DataFrame:
    inst, plan = it.model.instance, it.plan
    pa = inst.scenario.parameters
    alpha = pa.participation_margin
    countries = inst.countries
    change = _exports_change(plan.links, countries, negative_only=False)
    cuts = _exports_change(plan.links, countries, negative_only=True)
    payoff_now = alpha * (change - _lost_by_country(it)) - _own_cost(it)
    # leaving: own plan and export controls undone; new sales go with ally-shoring
    leaving = alpha * (cuts if pa.ally_shoring else change)
    # joining with the others fixed: nobody buys anew, export controls apply
    joining = payoff_now - alpha * _lost_if_joining(it)
    roles = plan.roles
    dep = it.tables["metrics_by_member"]
    in_coal = roles.isin(["member", "associate"])
    co, shape = inst.scenario.coalition, inst.scenario.constraints.coalition_shape
    ok = inst.regime >= co.associate_threshold if shape else np.ones(len(countries), bool)
    eligible = pd.Series(inst.candidate & ok, index=countries)
    who = in_coal | (eligible & (roles == "outside"))
    out = pd.DataFrame(
        {
            "role": roles,
            "payoff_inside": np.where(in_coal, payoff_now, joining),
            "payoff_outside": np.where(in_coal, leaving, payoff_now),
            "dependency_plan": dep["dependency_after"].reindex(countries),
            "dependency_baseline": dep["dependency_before"].reindex(countries),
        },
        index=countries,
    )[who.to_numpy()]
    return out


def stability_table(
    it: Interpretation, mode: str = "cheap", dataset: Dataset | None = None, workers: int = 1
) -> pd.DataFrame:
    """Internal and external stability of the plan, one row per member, associate and eligible
    outsider.

    Parameters
    ----------
    it : Interpretation
        A solved, interpreted run.
    mode : {"cheap", "full"}
        ``cheap``: the others' sourcing held as planned (no solve); ``full``: re-solve the
        sourcing without each member and with each eligible outsider (needs ``dataset``).
    dataset : Dataset, optional
        The run's dataset (``full`` only).
    workers : int
        LPs solved at once (``full``).

    Returns
    -------
    pandas.DataFrame
        Indexed by iso3: ``role``, ``test`` (internal or external), ``payoff_inside``,
        ``payoff_outside`` (USD mn), ``gain_from_moving`` (what leaving, or joining, would
        add), ``stable``, ``dependency_plan``, ``dependency_baseline`` and, for ``full``,
        ``dependency_after_move``.
    """
    if mode not in ("cheap", "full"):
        raise ValueError(f"stability mode {mode!r} is not 'cheap' or 'full'")
    table = _cheap(it)
    if mode == "full":
        if dataset is None:
            raise ValueError("full stability re-solves the sourcing: pass the dataset")
        table = _full(it, table, dataset, workers)
    inside = table["role"].isin(["member", "associate"])
    table.insert(1, "test", np.where(inside, "internal", "external"))
    moving = np.where(
        inside,
        table["payoff_outside"] - table["payoff_inside"],
        table["payoff_inside"] - table["payoff_outside"],
    )
    table.insert(4, "gain_from_moving", moving)
    table.insert(5, "stable", moving <= TOL)
    # anchors are in by the scenario's decision (the participation rule exempts them too)
    table.insert(2, "anchor", table.index.isin(it.model.instance.scenario.coalition.anchors))
    table = tag(table, "stability", "USD mn")
    table.attrs["mode"] = mode
    return table


def _full(it: Interpretation, table: pd.DataFrame, dataset: Dataset, workers: int):
    """Re-solve the sourcing without each member and with each eligible outsider."""
    from formulations.robust import membership_values, recourse_program, stability_builder
    from formulations.sets import TIERS
    from planner.solver import SolveOptions, solve

    inst, plan = it.model.instance, it.plan
    b = stability_builder(dataset, inst.scenario)
    countries = b.inst.countries
    roles = plan.roles.reindex(countries)
    y = (roles == "member").to_numpy(float)
    z = (roles == "associate").to_numpy(float)
    tiers = np.array([TIERS.index(t) for t in plan.tiers.reindex(b.inst.sectors)])
    alpha = inst.scenario.parameters.participation_margin
    full_ok = b.inst.may_be_full
    jobs = []
    for c in table.index:
        k = countries.get_loc(c)
        leaves = np.zeros((1, len(countries)), bool)
        yy, zz = y.copy(), z.copy()
        if roles.iloc[k] in ("member", "associate"):
            leaves[0, k] = True
        elif full_ok[k]:
            yy[k] = 1.0
        else:
            zz[k] = 1.0
        values = membership_values(b, yy, zz, tiers)
        jobs.append((c, k, values, leaves))
    opts = SolveOptions(threads=1, fixed_milp_duals=False)

    def one(job):
        c, k, values, leaves = job
        program, rec = recourse_program(b, values, pd.Index([c], name="scenario"), leaves)
        res = solve(program, "highs", opts)
        if not res.status.has_solution:
            return c, np.nan, np.nan
        lk = b.inst.links
        change = rec.change.value(res.x)
        sold = float(change[lk.exporter == k].sum())
        unit = b.unit_cost
        up = rec.increase.value(res.x)
        own = float((up * unit)[lk.importer == k].sum())
        q = rec.reshoring.value(res.x)
        rho = np.tile(b.inst.reshoring_cost, len(countries))
        own += float((q * rho)[b.country_of_pair == k].sum())
        lost = 0.0 if leaves[0, k] else float(values["lost_exports"][b.country_of_pair == k].sum())
        dep = float(rec.dependency.value(res.x)[k])
        return c, alpha * (sold - lost) - own, dep

    if workers > 1:
        with ThreadPoolExecutor(workers) as pool:
            out = list(pool.map(one, jobs))
    else:
        out = [one(j) for j in jobs]
    moved = pd.DataFrame(out, columns=["iso3", "payoff", "dependency_after_move"]).set_index("iso3")
    table = table.copy()
    inside = table["role"].isin(["member", "associate"])
    table.loc[inside, "payoff_outside"] = moved.loc[table.index[inside], "payoff"].to_numpy()
    table.loc[~inside, "payoff_inside"] = moved.loc[table.index[~inside], "payoff"].to_numpy()
    table["dependency_after_move"] = moved["dependency_after_move"].reindex(table.index)
    return table


def stability_summary(table: pd.DataFrame) -> dict:
    """The ``stability`` key of summary.json."""
    internal = table[(table["test"] == "internal") & ~table["anchor"]]
    external = table[table["test"] == "external"]
    return {
        "mode": table.attrs.get("mode", "cheap"),
        "internally_stable": bool(internal["stable"].all()),
        "externally_stable": bool(external["stable"].all()),
        "would_leave": sorted(internal.index[~internal["stable"]]),
        "would_join": sorted(external.index[~external["stable"]]),
        "members_checked": len(internal),
        "outsiders_checked": len(external),
    }


def stability_sentences(table: pd.DataFrame) -> list[str]:
    """The stability verdict in words."""
    s = stability_summary(table)
    how = (
        "with the others' sourcing held as planned"
        if s["mode"] == "cheap"
        else "re-solving the sourcing around each move"
    )
    out = []
    if s["internally_stable"]:
        out.append(
            f"Internally stable ({how}): none of the {s['members_checked']} members and "
            "associates (anchors aside) would gain by leaving."
        )
    else:
        worst = table.loc[s["would_leave"], "gain_from_moving"].sort_values(ascending=False)
        names = ", ".join(f"{c} (USD {v:,.1f} mn)" for c, v in worst.head(5).items())
        out.append(
            f"Not internally stable ({how}): {len(worst)} members would gain by leaving: {names}."
        )
    if s["externally_stable"]:
        out.append(
            f"Externally stable: none of the {s['outsiders_checked']} eligible outsiders would "
            "gain by joining."
        )
    else:
        worst = table.loc[s["would_join"], "gain_from_moving"].sort_values(ascending=False)
        names = ", ".join(f"{c} (USD {v:,.1f} mn)" for c, v in worst.head(5).items())
        out.append(f"Not externally stable: {len(worst)} outsiders would gain by joining: {names}.")
    return out
