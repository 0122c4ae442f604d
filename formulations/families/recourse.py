"""Recourse families of the robust model: the rows every exit scenario's sourcing obeys.

In exit scenario e the leavers are outsiders (y = z = 0 for them): they receive no new
sourcing and their own imports keep their baseline. The remaining full members re-source with
recourse flows (increase, decrease, reshoring, partnership and pooled investment per
scenario). Written once for all scenarios over scenario-stacked expressions (label
``e * n + k`` is item ``k`` in scenario ``e``, see :class:`formulations.robust.Recourse`):

- ``recourse_demand``: imports plus domestic supply meet demand;
- ``recourse_keep_baseline_*``: only the scenario's full members re-source (cuts and increases
  bounded by D y_e);
- ``recourse_capacity``: sales within capacity plus the scenario's pooled investment (exports
  the remaining members lose to export controls free capacity, as in the nominal plan);
- ``recourse_ally_shoring_*`` (``parameters.ally_shoring``): new sourcing only from the
  remaining coalition; in restricted sectors only from remaining full members;
- ``recourse_tier_open_*`` (``tier_rules``): open sectors keep their baseline;
- ``recourse_budget`` (``budget``): each scenario's total cost at most B;
- ``recourse_volume`` (``openness``): the remaining full members' import volume falls by at most
  delta;
- ``recourse_indirect_exposure`` (``indirect_exposure``): effective content not above baseline;
- ``recourse_leveraging_*`` (``strategic_leveraging``): partnership supply as in the plan.

The cuts the tiers require, coercion cover, participation and burden sharing are commitments
of the nominal plan and are not imposed again after an exit: "no change at all" then always
satisfies the recourse rows, so every first stage the nominal plan allows has a recourse in
every scenario (complete recourse), and a scenario shows how far the plan falls instead of
making it infeasible.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from formulations.expr import add_rows
from formulations.families._util import fixed_at, free

if TYPE_CHECKING:
    from formulations.robust import Recourse

NAME = "recourse"

__all__ = ["NAME", "add"]


def add(r: Recourse) -> None:
    """Add every recourse family the scenario switches on."""
    sw, pa = r.scenario.constraints, r.scenario.parameters
    _demand(r)
    if sw.keep_baseline:
        _keep_baseline(r)
    if sw.capacity:
        _capacity(r)
    if pa.ally_shoring:
        _ally_shoring(r)
    if sw.tier_rules:
        _tier_open(r)
    if sw.budget:
        add_rows(
            r.program,
            "recourse_budget",
            r.names,
            r.total_cost,
            "<=",
            pa.budget,
            description="each exit scenario's recourse costs at most B",
        )
    if sw.openness:
        _volume(r)
    if sw.indirect_exposure:
        _indirect(r)
    if sw.strategic_leveraging:
        _leveraging(r)


def _demand(r: Recourse) -> None:
    lhs = r.increase_by_pair - r.adversary_cut - r.other_cut + r.domestic
    add_rows(
        r.program,
        "recourse_demand",
        r.pair_labels,
        lhs,
        "==",
        0.0,
        keep=r.planned,
        description="after an exit, imports plus domestic supply meet demand",
    )


def _keep_baseline(r: Recourse) -> None:
    y = r.y_pair
    keep = r.planned & free(y)
    d, a0 = r.tile_pair(r.inst.demand.ravel()), r.tile_pair(r.inst.adversary_imports.ravel())
    rows = (
        ("recourse_keep_baseline_cut_adversary", r.adversary_cut - y * a0),
        ("recourse_keep_baseline_cut_other", r.other_cut - y * (d - a0)),
        ("recourse_keep_baseline_increase", r.increase_by_pair + r.domestic - y * d),
    )
    for name, lhs in rows:
        add_rows(
            r.program,
            name,
            r.pair_labels,
            lhs,
            "<=",
            keep=keep,
            description="after an exit only the remaining full members re-source",
        )


def _capacity(r: Recourse) -> None:
    inst = r.inst
    keep = r.increase_by_supply.has_terms()
    add_rows(
        r.program,
        "recourse_capacity",
        r.supply_labels,
        r.change_by_supply - r.investment - r.lost_exports,
        "<=",
        r.tile_pair((inst.capacity - inst.exports).ravel()),
        keep=keep,
        description="after an exit, sales stay within capacity plus pooled investment",
    )


def _ally_shoring(r: Recourse) -> None:
    supply = r.increase_by_supply
    big_m = r.tile_pair(r.base.bounds["increase_supply"])
    m, y, t_res = r.m_supply, r.y_supply, r.tile_sector_pair(r.first["tier_restricted"])
    has = free(supply) & (big_m > 0)
    rows = (
        (
            "recourse_ally_shoring_member",
            supply - m * big_m,
            has & ~fixed_at(m, 1.0),
            "after an exit, new sourcing only from the remaining coalition",
        ),
        (
            "recourse_ally_shoring_restricted",
            supply - (y - t_res + 1.0) * big_m,
            has & ~fixed_at(y, 1.0) & ~fixed_at(t_res, 0.0),
            "after an exit, new sourcing in restricted sectors only from remaining full members",
        ),
    )
    for name, lhs, keep, what in rows:
        add_rows(r.program, name, r.supply_labels, lhs, "<=", keep=keep, description=what)


def _tier_open(r: Recourse) -> None:
    inst = r.inst
    d, a0 = r.tile_pair(inst.demand.ravel()), r.tile_pair(inst.adversary_imports.ravel())
    t_open = r.tile_sector_pair(r.first["tier_open"])
    keep = r.planned & ~fixed_at(t_open, 0.0)
    rows = (
        ("recourse_tier_open_cut_adversary", r.adversary_cut + t_open * a0, a0),
        ("recourse_tier_open_cut_other", r.other_cut + t_open * (d - a0), d - a0),
        ("recourse_tier_open_increase", r.increase_by_pair + r.domestic + t_open * d, d),
    )
    for name, lhs, rhs in rows:
        add_rows(
            r.program,
            name,
            r.pair_labels,
            lhs,
            "<=",
            rhs,
            keep=keep,
            description="after an exit, open sectors keep their baseline",
        )


def _volume(r: Recourse) -> None:
    inst, pa = r.inst, r.scenario.parameters
    per_country = pa.max_volume_drop * inst.import_volume * inst.candidate
    allowance = r.y_country * r.tile_country(per_country)
    lhs = r.change.sum_by(r.link_scenario, r.n) + allowance.sum_by(r.country_scenario, r.n)
    add_rows(
        r.program,
        "recourse_volume",
        r.names,
        lhs,
        ">=",
        description="after an exit, full members' import volume falls by at most delta",
    )


def _indirect(r: Recourse) -> None:
    inst = r.inst
    base = r.tile_pair((inst.adversary_imports + inst.baseline_indirect).ravel())
    crit = r.tile_pair(inst.weight[r.base.sector_of_pair] > 0).astype(bool)
    add_rows(
        r.program,
        "recourse_indirect_exposure",
        r.pair_labels,
        r.effective_adversary_imports,
        "<=",
        base,
        keep=r.planned & crit,
        description="after an exit, effective adversary content not above baseline",
    )


def _leveraging(r: Recourse) -> None:
    g = r.partnership
    has = g.has_terms()
    if not has.any():
        return
    pa = r.scenario.parameters
    cap = r.tile_pair(pa.leveraging_share * r.inst.adversary_imports.ravel())
    y, t_res = r.y_pair, r.tile_sector_pair(r.first["tier_restricted"])
    add_rows(
        r.program,
        "recourse_leveraging_member",
        r.pair_labels,
        g - y * cap,
        "<=",
        keep=has & ~fixed_at(y, 1.0),
        description="after an exit, partnership supply only for remaining full members",
    )
    add_rows(
        r.program,
        "recourse_leveraging_restricted",
        r.pair_labels,
        g + t_res * cap,
        "<=",
        cap,
        keep=has & ~fixed_at(t_res, 0.0),
        description="after an exit, no adversary-linked partnerships in restricted sectors",
    )
