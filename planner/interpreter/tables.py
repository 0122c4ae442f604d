"""The analyst's tables of a solved model, read back by labels through the model's Plan."""

from __future__ import annotations

import numpy as np
import pandas as pd

from formulations.model import CoalitionModel, Plan
from planner.interpreter.metrics import tag

__all__ = ["build_tables"]


def _membership(model: CoalitionModel, plan: Plan) -> pd.DataFrame:
    inst = model.instance
    co = inst.scenario.coalition
    shape = inst.scenario.constraints.coalition_shape
    anchors = set(co.anchors)
    fixed_full = set(co.members) | anchors
    fixed_assoc = set(co.associates)
    rows = []
    for k, c in enumerate(inst.countries):
        role = plan.roles[c]
        reg = inst.regime[k]
        if inst.adversary[k]:
            why = "adversary (coalition.adversaries)"
        elif not inst.candidate[k]:
            why = "not a candidate (coalition.candidates)"
        elif c in anchors:
            why = "anchor: fixed full member"
        elif c in fixed_full:
            why = "full member fixed by the scenario"
        elif c in fixed_assoc:
            why = "associate fixed by the scenario"
        elif not co.choose_members:
            why = "outside: membership fixed by the scenario"
        elif shape and reg < co.associate_threshold:
            why = f"ineligible: regime {reg:.2f} < associate threshold {co.associate_threshold}"
        elif role == "member":
            why = f"chosen: regime {reg:.2f} >= full threshold {co.full_threshold}"
        elif role == "associate":
            why = f"chosen as associate (regime {reg:.2f})"
        else:
            why = "eligible, not chosen"
        rows.append(
            {
                "iso3": c,
                "role": role,
                "gdp": inst.gdp[k],
                "regime": reg,
                "eligible_full": bool((not shape) or reg >= co.full_threshold),
                "eligible_associate": bool((not shape) or reg >= co.associate_threshold),
                "focal": bool(inst.focal[k]),
                "why": why,
            }
        )
    return tag(pd.DataFrame(rows).set_index("iso3"), "membership", "gdp: USD mn")


def build_tables(model: CoalitionModel, plan: Plan) -> dict[str, pd.DataFrame]:
    """Membership, tiers, reallocations, domestic, costs, gains, volume, lost exports, capacity.

    Every table carries ``attrs`` name and unit. Money is USD mn.
    """
    inst = model.instance
    sc = inst.scenario
    out: dict[str, pd.DataFrame] = {"membership": _membership(model, plan)}

    members = set(plan.members)
    coalition = members | set(plan.associates)
    lk = plan.links.copy()
    lk["change"] = lk["optimized"] - lk["baseline"]
    lk["cost"] = lk["unit_cost"] * lk["change"].clip(lower=0.0)
    adv = lk["exporter"].isin(list(inst.countries[inst.adversary]))
    a_before = lk[adv].groupby("sector")["baseline"].sum()
    a_after = lk[adv].groupby("sector")["optimized"].sum()
    free = inst.tier_fixed < 0
    out["tiers"] = tag(
        pd.DataFrame(
            {
                "tier": plan.tiers,
                "chosen": free,
                "weight": inst.weight,
                "category": inst.sector_category,
                "candidate_imports": inst.sector_volume,
                "adversary_imports_before": a_before.reindex(inst.sectors, fill_value=0.0),
                "adversary_imports_after": a_after.reindex(inst.sectors, fill_value=0.0),
            },
            index=inst.sectors,
        ),
        "tiers",
        "USD mn",
    )
    moved = lk[np.abs(lk["change"]) > 1e-6].sort_values("change", key=np.abs, ascending=False)
    out["reallocations"] = tag(moved.reset_index(drop=True), "reallocations", "USD mn")
    dom = plan.domestic.copy()
    dom["cost"] = dom["optimized"] * dom["unit_cost"]
    out["domestic"] = tag(dom, "domestic", "USD mn")

    sourcing = lk.groupby("importer")["cost"].sum()
    reshoring = dom.groupby("importer")["cost"].sum()
    by_member = pd.DataFrame({"sourcing": sourcing, "reshoring": reshoring}).fillna(0.0)
    by_member["total"] = by_member.sum(axis=1)
    by_member = by_member[by_member["total"] > 1e-9].sort_values("total", ascending=False)
    out["cost_by_member"] = tag(by_member, "cost_by_member", "USD mn")
    by_sector = pd.DataFrame(
        {
            "sourcing": lk.groupby("sector")["cost"].sum(),
            "reshoring": dom.groupby("sector")["cost"].sum(),
            "investment": (plan.investment["optimized"] * plan.investment["unit_cost"])
            .groupby(plan.investment["sector"])
            .sum(),
        }
    ).fillna(0.0)
    by_sector["total"] = by_sector.sum(axis=1)
    by_sector = by_sector[by_sector["total"] > 1e-9].sort_values("total", ascending=False)
    out["cost_by_sector"] = tag(by_sector, "cost_by_sector", "USD mn")

    alpha = sc.parameters.participation_margin
    gains = pd.DataFrame(
        {
            "new_exports": lk["change"].clip(lower=0.0).groupby(lk["exporter"]).sum(),
            "net_export_change": lk["change"].groupby(lk["exporter"]).sum(),
        }
    )
    gains = gains[gains["new_exports"] > 1e-9].sort_values("new_exports", ascending=False)
    gains["value_added"] = alpha * gains["new_exports"]
    gains["in_coalition"] = gains.index.isin(list(coalition))
    out["export_gains"] = tag(gains, "export_gains", "USD mn")

    vol = pd.DataFrame(
        {
            "before": lk.groupby("importer")["baseline"].sum(),
            "after": lk.groupby("importer")["optimized"].sum(),
        }
    )
    vol = vol.loc[vol.index.isin(list(members))]
    vol["change"] = vol["after"] - vol["before"]
    vol["retained"] = (vol["after"] / vol["before"]).where(vol["before"] > 0, 1.0)
    out["volume"] = tag(vol, "volume", "USD mn")

    lost = model.evaluate("lost_exports", plan.x)
    pairs = inst.pair_index()
    on = lost > 1e-9
    out["lost_exports"] = tag(
        pd.DataFrame(
            {
                "exporter": pairs.get_level_values(0)[on],
                "sector": pairs.get_level_values(1)[on],
                "lost": lost[on],
            }
        ),
        "lost_exports",
        "USD mn",
    )
    cap = plan.capacity.copy()
    cap["utilisation"] = (cap["used"] / cap["capacity"]).where(cap["capacity"] > 0)
    cap["spare"] = cap["capacity"] - cap["used"]
    out["capacity"] = tag(cap, "capacity", "USD mn")
    return out
