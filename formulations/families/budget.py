"""Family 7, budget: sum pi u + sum rho q + sum kappa e <= B; optional burden sharing.

Barrier cut: pi[j,s] = p_s (1 - beta) from coalition suppliers, p_s otherwise. With
ally-shoring every new supplier is a member, so pi = p_s (1 - beta) throughout. Without it and
with beta > 0, the cut for a supplier whose membership is chosen enters as a discount variable
``g[j,s] <= beta p_s sum_i u[i,j,s]`` and ``g[j,s] <= beta p_s M[j,s] (y_j + z_j)`` (exact: the
budget row pushes g to its largest allowed value). Per-member costs (burden sharing,
participation) then use the undiscounted price for such suppliers, a conservative reading.

Burden sharing (``parameters.burden_sharing``): every full member's own cost is at most its
share of B by GDP among full members: cost_i sum_c gdp_c y_c <= B gdp_i. The products
cost_i y_c are linearized exactly with w[i,c] >= cost_i - C_i (1 - y_c), w >= 0 (C_i a bound
on cost_i); a member that is fixed contributes gdp_c cost_i directly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from formulations.expr import Expr, add_rows
from formulations.families._util import Relaxation, free

if TYPE_CHECKING:
    from formulations.builder import ModelBuilder

NAME = "budget"

#: diagnosis: the scenario key behind each policy row family (the discount and product rows
#: define variables and are never offered as relaxations)
RELAXATIONS = {
    "budget": Relaxation("parameters.budget", "USD mn", "the plan's total cost"),
    "burden_sharing": Relaxation(
        "parameters.budget",
        "USD mn",
        "each full member's own cost within its GDP share of the budget",
        scale=lambda inst, labels: inst.gdp[inst.countries.get_indexer(labels)],
    ),
}


def add_discount(b: ModelBuilder) -> None:
    """Barrier-cut discount for chosen suppliers (no ally-shoring, beta > 0); updates total_cost.

    Part of the cost definition, so it is added whether or not the budget row is on."""
    inst, x, pa = b.inst, b.x, b.scenario.parameters
    nCS = inst.n_pairs
    if pa.ally_shoring or pa.barrier_cut == 0:
        return
    j_of = b.country_of_pair
    s_of = b.sector_of_pair
    m = x["member"].take(j_of)
    supply = x["increase_by_supply"]
    js = np.flatnonzero(free(m) & free(supply))
    if not len(js):
        return
    rate = pa.barrier_cut * inst.premium[s_of]
    blk = b.program.add_variables(
        "barrier_discount",
        b.pair_labels()[js].set_names(["exporter", "sector"]),
        description="barrier cut on new sourcing from a chosen coalition supplier",
        unit="USD mn",
    )
    g = Expr.variables(nCS, js, blk.columns)
    keep = np.zeros(nCS, bool)
    keep[js] = True
    labels = b.pair_labels().set_names(["exporter", "sector"])
    add_rows(
        b.program,
        "budget_discount_volume",
        labels,
        g - supply * rate,
        "<=",
        keep=keep,
        description="discount at most beta p_s on the new sourcing",
    )
    add_rows(
        b.program,
        "budget_discount_member",
        labels,
        g - m * (rate * b.bounds["increase_supply"]),
        "<=",
        keep=keep,
        description="discount only from coalition members",
    )
    x["total_cost"] = x["total_cost"] - g.sum()


def own_cost_bound(b: ModelBuilder) -> np.ndarray:
    """A bound on each country's own sourcing cost: sum_s D max(p_s, rho_s), at most B."""
    inst, sc = b.inst, b.scenario
    per = np.maximum(inst.premium, inst.reshoring_cost)
    planned = inst.planned_pair.reshape(inst.n_countries, inst.n_sectors)
    bound = (inst.demand * planned) @ per
    if sc.constraints.budget:
        bound = np.minimum(bound, sc.parameters.budget)
    return bound


def add(b: ModelBuilder) -> None:
    """Add ``budget`` (and ``burden_sharing`` when asked)."""
    x, pa = b.x, b.scenario.parameters
    add_rows(
        b.program,
        "budget",
        pd.Index(["total"], name="budget"),
        x["total_cost"],
        "<=",
        pa.budget,
        description="new sourcing, reshoring and pooled investment cost at most B",
    )
    if pa.burden_sharing:
        add_burden_sharing(b)


def add_burden_sharing(b: ModelBuilder) -> None:
    """Each full member's own cost <= its GDP share (among full members) of B."""
    inst, x, pa = b.inst, b.x, b.scenario.parameters
    own, y = x["own_cost"], x["full_member"]
    payers = np.flatnonzero(free(own))
    if not len(payers):
        return
    y_free = np.flatnonzero(free(y))
    gdp = inst.gdp
    fixed_gdp = float(gdp[(~free(y)) & (y.const > 0.5)].sum())
    lhs = own.take(payers) * fixed_gdp
    if len(y_free):
        ii = np.repeat(payers, len(y_free))
        cc = np.tile(y_free, len(payers))
        n = len(ii)
        labels = pd.MultiIndex.from_arrays(
            [inst.countries[ii], inst.countries[cc]], names=["payer", "member"]
        )
        blk = b.program.add_variables(
            "burden_product",
            labels,
            description="own cost of payer times y of member",
            unit="USD mn",
        )
        w = Expr.variables(n, np.arange(n), blk.columns)
        bound = own_cost_bound(b)[ii]
        add_rows(
            b.program,
            "burden_sharing_product",
            labels,
            w - own.take(ii) + (1.0 - y.take(cc)) * bound,
            ">=",
            description="linearized product own cost x membership",
        )
        lhs = lhs + (w * gdp[cc]).sum_by(
            np.repeat(np.arange(len(payers)), len(y_free)), len(payers)
        )
    add_rows(
        b.program,
        "burden_sharing",
        pd.Index(inst.countries[payers], name="iso3"),
        lhs,
        "<=",
        pa.budget * gdp[payers],
        description="own cost times full members' GDP at most B times own GDP",
    )
