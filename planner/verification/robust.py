"""Checks of a robust run: every exit scenario's recourse, re-checked from the run's files.

Active when the run directory has ``robustness.csv``. For every scenario (its leavers are the
``leavers`` column, joined by ``+``) the recourse tables ``recourse_links.csv`` (links the
recourse changes), ``recourse_domestic.csv`` and ``recourse_investment.csv`` are checked
against the dataset and the plan's roles and tiers (``countries.csv``, ``sectors.csv``), with
pandas and nothing of the model builder:

- ``recourse_planned``: only the remaining full members' sourcing changes; leavers and other
  countries keep their baseline and add no domestic supply;
- ``recourse_sourcing``: no new sourcing from leavers or adversaries; with ally-shoring only
  from the remaining coalition, in restricted sectors only from remaining full members;
- ``recourse_demand``: per (scenario, importer, sector) the changes and domestic supply net
  to zero (imports plus domestic supply still meet demand);
- ``recourse_open``: open sectors unchanged;
- ``recourse_capacity``: sales after the recourse within capacity plus the scenario's
  investment (exports the remaining members lose to export controls free capacity);
- ``recourse_budget``: each scenario's cost at most B, and equal to robustness.csv's;
- ``recourse_volume``: the remaining full members' imports fall by at most delta;
- ``recourse_dependency``: the DI after each exit recomputed from the flows equals
  robustness.csv's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.interpreter.metrics import dependency_index, pair_metrics
from planner.verification.context import VerifyContext, _read
from planner.verification.registry import extra_check
from planner.verification.report import VerifyReport, worst

__all__ = ["check_recourse"]


def _active(ctx: VerifyContext) -> bool:
    return (ctx.directory / "robustness.csv").exists()


def _tables(ctx: VerifyContext) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    d = ctx.directory
    sc = _read(d, "robustness.csv")
    links = _read(d, "recourse_links.csv")
    dom = _read(d, "recourse_domestic.csv")
    inv = _read(d, "recourse_investment.csv", required=False)
    if inv is None:
        inv = pd.DataFrame(columns=["scenario", "exporter", "sector", "optimized"])
    for df in (links, dom, inv):
        df["scenario"] = df["scenario"].astype(str)
    sc["scenario"] = sc["scenario"].astype(str)
    return sc, links, dom, inv


def _leavers(sc: pd.DataFrame) -> dict[str, set[str]]:
    return {s: set(str(lv).split("+")) for s, lv in zip(sc["scenario"], sc["leavers"], strict=True)}


def _in(values: pd.Series, scen: pd.Series, sets: dict[str, set[str]]) -> np.ndarray:
    """True where ``values[k]`` is in ``sets[scen[k]]``."""
    hits = [v in sets[s] for v, s in zip(values, scen, strict=True)]
    return np.array(hits, dtype=bool).reshape(-1)


@extra_check("recourse", active=_active)
def check_recourse(ctx: VerifyContext, report: VerifyReport) -> None:
    """Every exit scenario's recourse (see the module docstring)."""
    sc, links, dom, inv = _tables(ctx)
    leave = _leavers(sc)
    members, coalition = ctx.members, ctx.coalition
    full = {s: members - lv for s, lv in leave.items()}
    coal = {s: coalition - lv for s, lv in leave.items()}
    links = links.assign(change=links["optimized"] - links["baseline"])
    links["up"] = links["change"].clip(lower=0.0)
    keys = ["scenario", "importer", "exporter", "sector"]

    # only remaining full members re-source
    planned = _in(links["importer"], links["scenario"], full)
    dom_planned = _in(dom["importer"], dom["scenario"], full)
    v = pd.concat(
        [
            links.loc[~planned].set_index(keys)["change"].abs(),
            dom.loc[~dom_planned].set_index(["scenario", "importer", "sector"])["reshoring"],
        ]
    )
    report.add("recourse_planned", *worst(v))

    # who may sell anew
    up = links[links["up"] > 0]
    bad = up["exporter"].isin(ctx.adversaries).to_numpy().copy()
    bad |= _in(up["exporter"], up["scenario"], leave)
    if ctx.parameters.ally_shoring:
        bad |= ~_in(up["exporter"], up["scenario"], coal)
        restricted = up["sector"].map(ctx.tier).eq("restricted").to_numpy()
        bad |= restricted & ~_in(up["exporter"], up["scenario"], full)
    report.add("recourse_sourcing", *worst(up.loc[bad].set_index(keys)["up"]))

    # demand: changes + domestic supply net to zero per (scenario, importer, sector)
    pk = ["scenario", "importer", "sector"]
    net = links.groupby(pk)["change"].sum()
    supply = dom.assign(s=dom["reshoring"] + dom["partnership"]).groupby(pk)["s"].sum()
    gap = net.add(supply, fill_value=0.0).abs()
    dem = ctx.demand.rename_axis(["importer", "sector"])
    scale = (
        dem.reindex(
            pd.MultiIndex.from_arrays(
                [gap.index.get_level_values(1), gap.index.get_level_values(2)]
            )
        )
        .fillna(0.0)
        .to_numpy()
    )
    report.add("recourse_demand", *worst(gap, pd.Series(scale, index=gap.index)))

    # open sectors unchanged
    open_ = links["sector"].map(ctx.tier).eq("open").to_numpy()
    v = links.loc[open_].set_index(keys)["change"].abs()
    dq = dom[dom["sector"].map(ctx.tier).eq("open")].set_index(pk)["reshoring"]
    report.add("recourse_open", *worst(pd.concat([v, dq])))

    _capacity(ctx, report, sc, links, inv, coal)
    _budget_and_volume(ctx, report, sc, links, dom, inv, full)
    _dependency(ctx, report, sc, links, full, coal)


def _capacity(ctx, report, sc, links, inv, coal) -> None:
    if not ctx.switches.capacity:
        return
    sk = ["scenario", "exporter", "sector"]
    change = links.groupby(sk)["change"].sum()
    rows = []
    lost = ctx.lost_exports  # by (exporter, sector), of the plan's coalition
    x, cap = ctx.exports, ctx.capacity
    e = inv.groupby(sk)["optimized"].sum() if len(inv) else pd.Series(dtype=float)
    for s in sc["scenario"]:
        ch = change[change.index.get_level_values(0) == s].droplevel(0)
        if not len(ch):
            continue
        keep_lost = lost[lost.index.get_level_values(0).isin(coal[s])] if len(lost) else lost
        used = x.reindex(ch.index, fill_value=0.0) + ch
        used = used.sub(keep_lost.reindex(ch.index, fill_value=0.0), fill_value=0.0)
        es = e[e.index.get_level_values(0) == s].droplevel(0) if len(e) else e
        room = cap.reindex(ch.index, fill_value=0.0).add(
            es.reindex(ch.index, fill_value=0.0), fill_value=0.0
        )
        v = (used - room).clip(lower=0.0)[ch > 0]
        if not len(v):
            continue
        v.index = pd.MultiIndex.from_tuples([(s, *i) for i in v.index])
        rows.append((v, room[ch > 0]))
    if rows:
        v = pd.concat([r[0] for r in rows])
        scale = np.concatenate([r[1].to_numpy() for r in rows])
        report.add("recourse_capacity", *worst(v, pd.Series(scale, index=v.index)))
    else:
        report.add("recourse_capacity", 0.0)


def _unit_cost(ctx: VerifyContext, links: pd.DataFrame, coal: dict) -> pd.Series:
    pa = ctx.parameters
    prem = links["sector"].map(ctx.dataset.sectors["premium"])
    in_coal = _in(links["exporter"], links["scenario"], coal)
    return prem * np.where(in_coal | pa.ally_shoring, 1 - pa.barrier_cut, 1.0)


def _budget_and_volume(ctx, report, sc, links, dom, inv, full) -> None:
    pa, st = ctx.parameters, ctx.dataset.sectors
    coal = {
        s: ctx.coalition - set(str(lv).split("+"))
        for s, lv in zip(sc["scenario"], sc["leavers"], strict=True)
    }
    unit = _unit_cost(ctx, links, coal)
    cost = (unit * links["up"]).groupby(links["scenario"]).sum()
    rho = ctx.reshoring_cost
    if len(dom):
        q = (dom["sector"].map(rho) * dom["reshoring"]).groupby(dom["scenario"]).sum()
        g = (dom["partnership"] * pa.leveraging_cost).groupby(dom["scenario"]).sum()
        cost = cost.add(q, fill_value=0.0).add(g, fill_value=0.0)
    if len(inv):
        kappa = (
            st["investment_cost"]
            if "investment_cost" in st.columns
            else pd.Series(pa.investment_cost, index=st.index)
        )
        cost = cost.add(
            (inv["sector"].map(kappa) * inv["optimized"]).groupby(inv["scenario"]).sum(),
            fill_value=0.0,
        )
    cost = cost.reindex(sc["scenario"], fill_value=0.0)
    if ctx.switches.budget:
        report.add("recourse_budget", *worst(cost - pa.budget, pd.Series(pa.budget, cost.index)))
    stated = sc.set_index("scenario")["total_cost"]
    report.add("recourse_cost_matches", *worst((cost - stated).abs(), stated))
    if ctx.switches.openness:
        fl = ctx.dataset.flows
        vol = fl.groupby("importer")["value"].sum()
        drop = -links.groupby("scenario")["change"].sum().reindex(sc["scenario"], fill_value=0.0)
        allow = pd.Series(
            [
                pa.max_volume_drop * vol.reindex(list(full[s]), fill_value=0.0).sum()
                for s in sc["scenario"]
            ],
            index=sc["scenario"],
        )
        report.add("recourse_volume", *worst(drop - allow, allow))


def _dependency(ctx, report, sc, links, full, coal) -> None:
    countries, st = ctx.countries, ctx.dataset.sectors
    focal = countries["focal"].astype(str).str.lower().eq("true")
    omega = (countries["gdp"] * focal) / float((countries["gdp"] * focal).sum())
    w = st["weight"] / st["weight"].sum()
    fl = ctx.dataset.flows
    base = fl[fl["importer"].isin(ctx.candidates)][["importer", "exporter", "sector", "value"]]
    base = base.rename(columns={"value": "baseline"})
    gaps = {}
    for s, di_stated in zip(sc["scenario"], sc["dependency"], strict=True):
        ch = links[links["scenario"] == s][["importer", "exporter", "sector", "change"]]
        f = base.merge(ch, on=["importer", "exporter", "sector"], how="outer")
        f["baseline"] = f["baseline"].fillna(0.0)
        f["optimized"] = f["baseline"] + f["change"].fillna(0.0)
        m = pair_metrics(f, "optimized", ctx.adversaries, coal[s], ctx.positive_demand, None)
        di, _ = dependency_index(m, omega, w)
        gaps[s] = abs(di - float(di_stated))
    report.add("recourse_dependency", *worst(pd.Series(gaps, dtype=float)))
