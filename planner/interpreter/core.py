"""``interpret(model, result)``: tables, metrics before and after, and why, in one object."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from formulations.instance import look_through_share
from formulations.model import CoalitionModel, Plan
from planner.data.dataset import Dataset
from planner.interpreter.explain import binding_constraints, shadow_prices
from planner.interpreter.metrics import dependency_index, pair_metrics, tag
from planner.interpreter.tables import build_tables
from planner.solver import SolveResult

__all__ = ["Interpretation", "interpret"]


@dataclass
class Interpretation:
    """What an analyst reads about one solved scenario.

    Attributes
    ----------
    name : str
        Scenario name.
    model : CoalitionModel
        The built model.
    result : SolveResult
        The solve.
    plan : Plan
        The solution decoded by labels.
    tables : dict of str to pandas.DataFrame
        Membership, tiers, reallocations, domestic, cost_by_member, cost_by_sector,
        export_gains, volume, lost_exports, capacity, metrics_by_pair, metrics_by_member,
        metrics_by_sector, binding_constraints, shadow_prices (each tagged name and unit).
    headline : dict
        Coalition-wide numbers, each taken from a table (see :meth:`summary`).
    """

    name: str
    model: CoalitionModel
    result: SolveResult
    plan: Plan
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    headline: dict[str, object] = field(default_factory=dict)

    def summary(self) -> str:
        """A paragraph a policy reader understands; every number is in :attr:`tables`."""
        from planner.interpreter.report import summary_paragraph

        return summary_paragraph(self)


def interpret(
    model: CoalitionModel,
    result: SolveResult,
    name: str | None = None,
    dataset: Dataset | None = None,
) -> Interpretation:
    """Turn a solved model into tables, metrics and explanations.

    Parameters
    ----------
    model : CoalitionModel
        The built model.
    result : SolveResult
        Its solve; must hold a solution (``result.raise_for_status()`` is called).
    name : str, optional
        Defaults to the scenario's name.
    dataset : Dataset, optional
        The model's dataset: when it carries an input-output network, the look-through
        measure is reported too (it always is when the model optimizes it).

    Returns
    -------
    Interpretation
    """
    result.raise_for_status()
    inst = model.instance
    plan = model.plan(result.x)
    tables = build_tables(model, plan)

    adversaries = list(inst.countries[inst.adversary])
    coalition = plan.members + plan.associates
    candidates = inst.countries[inst.candidate]
    demand = pd.Series(
        inst.demand.ravel(), index=inst.pair_index().set_names(["importer", "sector"])
    )
    demand = demand[demand.index.get_level_values(0).isin(candidates) & (demand > 0)]
    sigma = pd.Series(
        inst.transshipment_share.ravel(),
        index=inst.pair_index().set_names(["exporter", "sector"]),
    )
    coal_mask = inst.countries.isin(coalition)
    exp_before = pd.Series(inst.exports[coal_mask].sum(axis=0), index=inst.sectors)
    cap = plan.capacity
    exp_after = cap[cap["exporter"].isin(coalition)].groupby("sector")["used"].sum()
    before = pair_metrics(plan.links, "baseline", adversaries, coalition, demand, sigma, exp_before)
    after = pair_metrics(plan.links, "optimized", adversaries, coalition, demand, sigma, exp_after)
    cols = ["direct_share", "effective_share", "hhi", "outside_share", "flagged"]
    by_pair = pd.concat(
        [
            before[["demand"]],
            before[cols].add_suffix("_before"),
            after[cols].add_suffix("_after"),
        ],
        axis=1,
    )
    tables["metrics_by_pair"] = tag(by_pair, "metrics_by_pair", "share")

    omega = pd.Series(inst.gdp_weight, index=inst.countries)
    wshare = pd.Series(inst.weight_share, index=inst.sectors)
    di = {}
    per_country = {}
    for label, m in (("before", before), ("after", after)):
        for eff in (False, True):
            key = f"{'effective_' if eff else ''}dependency_{label}"
            di[key], per_country[key] = dependency_index(m, omega, wshare, effective=eff)
    # every exposure measure, whichever the objective used (additions to the headline)
    for measure, share in _carried_shares(inst, dataset).items():
        carried = pd.Series(share.ravel(), index=sigma.index)
        for label, value, exports in (
            ("before", "baseline", exp_before),
            ("after", "optimized", exp_after),
        ):
            m = pair_metrics(plan.links, value, adversaries, coalition, demand, carried, exports)
            key = f"{measure}_dependency_{label}"
            di[key], per_country[key] = dependency_index(m, omega, wshare, effective=True)
            by_pair[f"{measure}_share_{label}"] = m["effective_share"]
    by_member = pd.DataFrame(per_country)
    by_member["role"] = plan.roles.reindex(by_member.index)
    by_member["weight"] = omega
    by_member = by_member[inst.candidate]
    tables["metrics_by_member"] = tag(by_member, "metrics_by_member", "share")

    crit = inst.weight > 0
    mem_pairs = by_pair.index.get_level_values(0).isin(plan.members)
    sec = by_pair[mem_pairs].groupby(level="sector")
    imports_w = by_pair.loc[mem_pairs, "demand"]
    by_sector = pd.DataFrame(
        {
            "members_adversary_share_before": _wmean(
                by_pair.loc[mem_pairs, "direct_share_before"], imports_w
            ),
            "members_adversary_share_after": _wmean(
                by_pair.loc[mem_pairs, "direct_share_after"], imports_w
            ),
            "flagged_before": sec["flagged_before"].sum(),
            "flagged_after": sec["flagged_after"].sum(),
        }
    ).reindex(inst.sectors)
    for measure in _carried_measures(by_pair):
        for label in ("before", "after"):
            by_sector[f"members_{measure}_share_{label}"] = _wmean(
                by_pair.loc[mem_pairs, f"{measure}_share_{label}"], imports_w
            ).reindex(inst.sectors)
    by_sector["tier"] = plan.tiers
    by_sector["critical"] = crit
    tables["metrics_by_sector"] = tag(by_sector, "metrics_by_sector", "share")
    tables["binding_constraints"] = binding_constraints(model, result)
    tables["shadow_prices"] = shadow_prices(model, result)

    t = plan.totals
    headline: dict[str, object] = {
        **di,
        "objective": result.objective,
        "objective_kind": model.objective_kind,
        "status": result.status.value,
        "members": plan.members,
        "associates": plan.associates,
        "restricted": sorted(plan.tiers.index[plan.tiers == "restricted"]),
        "incentivized": sorted(plan.tiers.index[plan.tiers == "incentivized"]),
        "total_cost": t["total_cost"],
        "budget": t["budget"],
        "flagged_before": int(by_pair["flagged_before"].sum()),
        "flagged_after": int(by_pair["flagged_after"].sum()),
        "volume_retained": float(tables["volume"]["after"].sum() / tables["volume"]["before"].sum())
        if len(tables["volume"]) and tables["volume"]["before"].sum() > 0
        else 1.0,
        "lost_exports": float(tables["lost_exports"]["lost"].sum()),
    }
    return Interpretation(
        model.instance.scenario.name if name is None else name,
        model,
        result,
        plan,
        tables,
        headline,
    )


def _carried_measures(by_pair: pd.DataFrame) -> list[str]:
    """The carried-content measures whose shares ``by_pair`` holds."""
    return [m for m in ("first_order", "look_through") if f"{m}_share_before" in by_pair]


def _carried_shares(inst, dataset: Dataset | None) -> dict[str, np.ndarray]:
    """The carried-content shares per measure: first order (sigma) always, look-through
    (lambda) when the model used it or the dataset has a network."""
    out = {}
    if inst.first_order_share is not None:
        out["first_order"] = inst.first_order_share
    if inst.exposure == "look_through":
        out["look_through"] = inst.transshipment_share
    elif dataset is not None and dataset.has_network:
        out["look_through"] = look_through_share(
            dataset,
            list(inst.countries[inst.adversary]),
            inst.countries,
            inst.sectors,
            inst.adversary,
        )
    return out


def _wmean(values: pd.Series, weights: pd.Series) -> pd.Series:
    s = values.index.get_level_values("sector")
    num = (values * weights).groupby(s).sum()
    den = weights.groupby(s).sum()
    return (num / den.where(den > 0)).astype(float)
