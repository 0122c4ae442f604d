"""Family 10, participation: members must gain.

alpha (new exports of c) - (own sourcing cost of c) >= -M (1 - y_c - z_c). New exports are the
net change of c's sales to planned importers, minus exports lost to export controls. M is the
largest loss the row can see (alpha times the exports that can be cut, plus a bound on own
cost), so non-members are free. Pooled investment is not charged to any one member.

Anchors are exempt: they are in the coalition by the scenario's decision, not because it pays
them (with the default anchor USA, which buys rather than sells, the family would otherwise make
every plan that costs USA anything infeasible). Other fixed members are held to the rule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from formulations.expr import add_rows
from formulations.families._util import Relaxation, fixed_at
from formulations.families.budget import own_cost_bound

if TYPE_CHECKING:
    from formulations.builder import ModelBuilder

NAME = "participation"

#: diagnosis: the scenario switch behind the family (a loss in USD mn has no single key value)
RELAXATIONS = {
    "participation": Relaxation(
        "constraints.participation",
        "USD mn",
        "each member's export gain (times parameters.participation_margin) covering its cost",
        scale=None,
    ),
}


def add(b: ModelBuilder) -> None:
    """Add ``participation`` rows, one per possible member."""
    inst, x, pa = b.inst, b.x, b.scenario.parameters
    nC = inst.n_countries
    alpha = pa.participation_margin
    lost = x["lost_exports"].sum_by(b.country_of_pair, nC)
    gain = (x["export_change"] - lost) * alpha - x["own_cost"]
    lk = inst.links
    cuttable = np.bincount(lk.exporter, weights=lk.baseline, minlength=nC)
    lost_max = (1 - pa.restricted_residual) * inst.exports_to_adversaries.sum(axis=1)
    big_m = alpha * (cuttable + lost_max) + own_cost_bound(b)
    m = x["member"]
    anchors = inst.countries.isin(b.scenario.coalition.anchors)
    keep = inst.candidate & ~fixed_at(m, 0.0) & ~anchors
    add_rows(
        b.program,
        "participation",
        inst.countries,
        gain + (1.0 - m) * big_m,
        ">=",
        keep=keep,
        description="each member's export gain (times alpha) covers its cost",
    )
