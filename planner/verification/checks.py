"""The checks: ``check_<family>(ctx, report)`` for each constraint family, and the extras.

Each check recomputes its family's rows from the run's files with pandas and adds its worst
violation (USD mn, shares or counts) to the report. They are registered in the order of the
report's rows; importing this module fills :data:`~planner.verification.registry.CHECKS`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.interpreter.metrics import dependency_index, pair_metrics
from planner.verification.context import KEYS, VerifyContext
from planner.verification.registry import extra_check, family_check
from planner.verification.report import VerifyReport, worst

LINK = [*KEYS, "exporter"]


@family_check("demand")
def check_demand(ctx: VerifyContext, report: VerifyReport) -> None:
    """Imports, domestic and partnership supply meet each candidate's demand."""
    dem = ctx.candidate_demand
    gap = (ctx.supplied.reindex(dem.index, fill_value=0.0) - dem).abs()
    report.add("demand", *worst(gap, dem))


@family_check("keep_baseline")
def check_keep_baseline(ctx: VerifyContext, report: VerifyReport) -> None:
    """Non-members keep their baseline sourcing and add no domestic supply."""
    lk, dom = ctx.lk, ctx.domestic
    others = ~lk["importer"].isin(ctx.members)
    v = lk.loc[others].set_index(LINK)["change"].abs()
    dq = dom[~dom["importer"].isin(ctx.members)].set_index(KEYS)["optimized"]
    report.add("keep_baseline", *worst(pd.concat([v, dq.abs()])))


@family_check("ally_shoring", active=lambda ctx: bool(ctx.parameters.ally_shoring))
def check_ally_shoring(ctx: VerifyContext, report: VerifyReport) -> None:
    """New sourcing only from the coalition; in restricted sectors only from full members."""
    lk = ctx.lk
    up = lk[lk["up"] > 0]
    bad = up[~up["exporter"].isin(ctx.coalition)]
    res_ = up[up["sector"].map(ctx.tier).eq("restricted") & ~up["exporter"].isin(ctx.members)]
    v = pd.concat([bad, res_]).set_index(LINK)["up"]
    report.add("ally_shoring", *worst(v))


@extra_check("no_new_adversary_sourcing")
def check_no_new_adversary_sourcing(ctx: VerifyContext, report: VerifyReport) -> None:
    """No link from an adversary rises above its baseline (the links' upper bounds)."""
    lk = ctx.lk
    adv_up = lk[lk["exporter"].isin(ctx.adversaries)].set_index(LINK)["up"]
    report.add("no_new_adversary_sourcing", *worst(adv_up))


@family_check(
    "tier_rules", active=lambda ctx: bool(ctx.switches.tier_rules and len(ctx.member_links))
)
def check_tier_rules(ctx: VerifyContext, report: VerifyReport) -> None:
    """Full members cut adversary imports by tier and leave open sectors unchanged."""
    pa, tier, dom = ctx.parameters, ctx.tier, ctx.domestic
    a = ctx.member_adversary_imports
    t = a.index.get_level_values("sector").map(tier)
    limit = np.where(
        t == "incentivized",
        (1 - pa.incentivized_cut) * a["baseline"],
        np.where(t == "restricted", pa.restricted_residual * a["baseline"], np.inf),
    )
    v = (a["optimized"] - limit).clip(lower=0.0)
    report.add("tier_rules_cut", *worst(v, a["baseline"]))
    mem_links = ctx.member_links
    open_links = mem_links[mem_links["sector"].map(tier).eq("open")]
    v = open_links.set_index(LINK)["change"].abs()
    dq = dom[dom["importer"].isin(ctx.members) & dom["sector"].map(tier).eq("open")]
    report.add("tier_rules_open", *worst(pd.concat([v, dq.set_index(KEYS)["optimized"]])))


@family_check("export_controls")
def check_export_controls(ctx: VerifyContext, report: VerifyReport) -> None:
    """Export controls: no row of their own.

    The exports lost to adversaries in restricted sectors follow from the roles and tiers
    (:attr:`VerifyContext.lost_exports`); the capacity, openness and participation checks
    count them.
    """


@family_check("capacity")
def check_capacity(ctx: VerifyContext, report: VerifyReport) -> None:
    """Where exports rise, they stay within capacity plus investment."""
    used, change = ctx.used, ctx.change_by_pair
    room = ctx.room
    v = (used - room.reindex(used.index, fill_value=0.0)).clip(lower=0.0)
    v = v[used.index.isin(change.index[change > 0])]
    report.add("capacity", *worst(v, room.reindex(v.index, fill_value=0.0)))


@family_check("budget")
def check_budget(ctx: VerifyContext, report: VerifyReport) -> None:
    """The total cost is within the budget (and, with burden sharing, each member's share)."""
    pa = ctx.parameters
    report.add("budget", ctx.total_cost - pa.budget, pa.budget, "total")
    if pa.burden_sharing:
        gdp = ctx.countries["gdp"]
        members = list(ctx.members)
        share = gdp[members] / gdp[members].sum()
        own = ctx.own_cost
        v = (own.reindex(share.index, fill_value=0) - pa.budget * share).clip(lower=0)
        report.add("burden_sharing", *worst(v, pa.budget * share))


@extra_check("cost_matches_summary")
def check_cost_matches_summary(ctx: VerifyContext, report: VerifyReport) -> None:
    """The recomputed total cost equals ``summary.json``'s ``total_cost``."""
    total = ctx.total_cost
    report.add(
        "cost_matches_summary", abs(total - float(ctx.summary["total_cost"])), total, "total"
    )


@family_check("openness")
def check_openness(ctx: VerifyContext, report: VerifyReport) -> None:
    """Members' trade volume, the open tier's share of demand, the number of restricted sectors."""
    pa, lk, tier = ctx.parameters, ctx.lk, ctx.tier
    fl = ctx.dataset.flows
    vol = fl[fl["importer"].isin(ctx.members)]["value"].sum()
    drop = -float(lk.loc[lk["importer"].isin(ctx.members), "change"].sum()) + float(
        ctx.lost_exports.sum()
    )
    report.add("openness_volume", drop - pa.max_volume_drop * vol, vol, "total")
    v_s = ctx.candidate_demand.groupby(level="sector").sum()
    open_share = v_s[v_s.index.map(tier) == "open"].sum()
    report.add(
        "openness_open_share", pa.min_open_share * v_s.sum() - open_share, v_s.sum(), "total"
    )
    report.add(
        "openness_max_restricted",
        float((tier == "restricted").sum() - ctx.scenario.sectors.max_restricted),
        0,
        "total",
    )


@family_check("coalition_shape")
def check_coalition_shape(ctx: VerifyContext, report: VerifyReport) -> None:
    """Coalition size and GDP, members' and associates' eligibility, anchors are members."""
    co, coalition, members = ctx.coalition_cfg, ctx.coalition, ctx.members
    countries = ctx.dataset.countries
    n = len(coalition)
    report.add("coalition_size", max(co.min_size - n, n - co.max_size, 0), 0, "count")
    gdp_all = countries["gdp"].sum()
    covered = countries.loc[list(coalition), "gdp"].sum() if coalition else 0.0
    report.add("coalition_gdp", co.min_gdp_share * gdp_all - covered, gdp_all, "total")
    reg = countries["regime"]
    full = reg.reindex(list(members))
    assoc = reg.reindex(list(ctx.associates))
    bad_full = full.index[full < co.full_threshold - 1e-12].tolist()
    bad_assoc = assoc.index[assoc < co.associate_threshold - 1e-12].tolist()
    report.add("eligibility", float(len(bad_full) + len(bad_assoc)), 0, bad_full + bad_assoc)
    missing = set(co.anchors) - members
    report.add("anchors", float(len(missing)), 0, sorted(missing))


@family_check("participation")
def check_participation(ctx: VerifyContext, report: VerifyReport) -> None:
    """Each non-anchor in the coalition pays at most its margin times its export gain."""
    pa, lk, co = ctx.parameters, ctx.lk, ctx.coalition_cfg
    own = ctx.own_cost
    lost = ctx.lost_exports
    gain = lk.groupby("exporter")["change"].sum().sub(lost.groupby(level=0).sum(), fill_value=0)
    who = sorted(ctx.coalition - set(co.anchors))
    v = (
        own.reindex(who, fill_value=0) - pa.participation_margin * gain.reindex(who, fill_value=0)
    ).clip(lower=0)
    report.add("participation", *worst(v, own.reindex(who, fill_value=0)))


@family_check("coercion")
def check_coercion(ctx: VerifyContext, report: VerifyReport) -> None:
    """The others' spare capacity covers each member's remaining adversary imports."""
    used = ctx.used
    a = ctx.member_adversary_imports
    spare = (ctx.room.reindex(used.index, fill_value=0.0) - used).clip(lower=0.0)
    spare = spare[spare.index.get_level_values(0).isin(ctx.coalition)]
    by_s = spare.groupby(level="sector").sum()
    need = (
        a[a.index.get_level_values("sector").isin(ctx.critical)]["optimized"]
        * ctx.parameters.coercion_cover
    )
    own_spare = spare.reindex(
        pd.MultiIndex.from_arrays([need.index.get_level_values(0), need.index.get_level_values(1)]),
        fill_value=0.0,
    ).to_numpy()
    avail = (
        by_s.reindex(need.index.get_level_values("sector"), fill_value=0.0).to_numpy() - own_spare
    )
    v = pd.Series(need.to_numpy() - avail, index=need.index).clip(lower=0)
    report.add("coercion", *worst(v, need))


@family_check("strategic_leveraging", active=lambda ctx: bool(len(ctx.partner_supply)))
def check_strategic_leveraging(ctx: VerifyContext, report: VerifyReport) -> None:
    """Partnership supply only for full members, in listed sectors outside the restricted
    tier, up to ``leveraging_share`` of the adversary imports (checked whenever there is any,
    switched on or not: off, every unit of it is a violation)."""
    g = ctx.partner_supply
    a0_all = ctx.dataset.adversary_imports(sorted(ctx.adversaries))
    importer = g.index.get_level_values(0)
    sector = g.index.get_level_values(1)
    allowed = pd.Series(
        bool(ctx.switches.strategic_leveraging)
        & importer.isin(ctx.members)
        & sector.isin(set(ctx.scenario.sectors.leveraging))
        & (sector.map(ctx.tier) != "restricted"),
        index=g.index,
    )
    limit = ctx.parameters.leveraging_share * a0_all.reindex(g.index, fill_value=0.0) * allowed
    report.add("strategic_leveraging", *worst((g - limit).clip(lower=0.0), limit))


def _carried_share(ctx: VerifyContext, look_through: bool) -> pd.Series:
    """The share of a non-adversary supplier's output carried on as adversary content, by
    (exporter, sector): first order (sigma, same-sector imports over supply) or look-through
    (lambda, adversary value added over every tier of the dataset's network), recomputed from
    the dataset alone."""
    ds, adversaries = ctx.dataset, ctx.adversaries
    if look_through:
        net = ds.require_network()
        share = pd.Series(net.adversary_content(sorted(adversaries)), index=net.nodes)
        share = share.rename_axis(["exporter", "sector"])
    else:
        x = ctx.exports
        go = ds.gross_output()
        supply = go.reindex(x.index).fillna(x) if len(go) else x
        supply = supply.add(ctx.demand.rename_axis(["exporter", "sector"]), fill_value=0.0)
        a0_js = ds.adversary_imports(sorted(adversaries)).rename_axis(["exporter", "sector"])
        share = (a0_js.reindex(supply.index, fill_value=0.0) / supply.where(supply > 0)).fillna(
            0.0
        )
    return share[~share.index.get_level_values(0).isin(adversaries)]


@family_check("indirect_exposure")
def check_indirect_exposure(ctx: VerifyContext, report: VerifyReport) -> None:
    """Members' effective adversary content in critical sectors stays within its baseline."""
    adversaries = ctx.adversaries
    sigma = _carried_share(ctx, look_through=ctx.parameters.exposure == "look_through")
    d_pos = ctx.positive_demand
    links, coalition = ctx.links, ctx.coalition
    before = pair_metrics(links, "baseline", adversaries, coalition, d_pos, sigma)["effective"]
    after = pair_metrics(links, "optimized", adversaries, coalition, d_pos, sigma)["effective"]
    after = after.add(ctx.partner_supply.reindex(after.index, fill_value=0.0), fill_value=0.0)
    lv0, lv1 = after.index.get_level_values(0), after.index.get_level_values(1)
    mine = lv0.isin(ctx.members) & lv1.isin(ctx.critical)
    v = (after[mine] - before[mine]).clip(lower=0.0)
    report.add("indirect_exposure", *worst(v, before[mine]))


@extra_check("dependency_index")
def check_dependency_index(ctx: VerifyContext, report: VerifyReport) -> None:
    """The dependency index recomputed from the tables equals ``summary.json``'s."""
    countries, st = ctx.countries, ctx.dataset.sectors
    focal = countries["focal"].astype(bool)
    omega = (countries["gdp"] * focal) / float((countries["gdp"] * focal).sum())
    w = st["weight"] / st["weight"].sum()
    m_after = pair_metrics(
        ctx.links, "optimized", ctx.adversaries, ctx.coalition, ctx.positive_demand, None
    )
    di, _ = dependency_index(m_after, omega, w)
    report.add("dependency_index", abs(di - float(ctx.summary["dependency_after"])), di, "DI")


def _reports_look_through(ctx: VerifyContext) -> bool:
    return ctx.summary.get("look_through_dependency_after") is not None


@extra_check("look_through_index", active=_reports_look_through)
def check_look_through_index(ctx: VerifyContext, report: VerifyReport) -> None:
    """The look-through dependency index recomputed from the tables and the dataset's network
    (a Leontief solve of its own) equals ``summary.json``'s."""
    countries, st = ctx.countries, ctx.dataset.sectors
    focal = countries["focal"].astype(bool)
    omega = (countries["gdp"] * focal) / float((countries["gdp"] * focal).sum())
    w = st["weight"] / st["weight"].sum()
    lam = _carried_share(ctx, look_through=True)
    m_after = pair_metrics(
        ctx.links, "optimized", ctx.adversaries, ctx.coalition, ctx.positive_demand, lam
    )
    di, _ = dependency_index(m_after, omega, w, effective=True)
    target = float(ctx.summary["look_through_dependency_after"])
    report.add("look_through_index", abs(di - target), di, "DI")
