"""Family 11, coercion resilience: an attack on one is an attack on all.

For every full member i and critical sector s (w_s > 0) the spare capacity of the other
coalition suppliers covers rho_cov times i's remaining adversary imports:

- ``spare[j,s] <= cap[j,s] (y_j + z_j)`` (only members' spare capacity counts);
- ``spare[j,s] + sum_i (f - F0)[i,j,s] - e[j,s] - lost[j,s] <= cap[j,s] - X[j,s]`` (spare is
  capacity left after the plan);
- ``sum_{j != i} spare[j,s] >= rho_cov a[i,s] - rho_cov a0[i,s] (1 - y_i)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from formulations.expr import Expr, add_rows
from formulations.families._util import Relaxation, fixed_at

if TYPE_CHECKING:
    from formulations.builder import ModelBuilder

NAME = "coercion"

#: diagnosis: the scenario switch behind the cover rows (the spare-capacity rows define
#: variables and are never offered as relaxations)
RELAXATIONS = {
    "coercion_cover": Relaxation(
        "constraints.coercion",
        "USD mn of spare capacity",
        "other members' spare capacity covering a member's adversary imports "
        "(parameters.coercion_cover)",
        scale=None,
    ),
}


def add(b: ModelBuilder) -> None:
    """Add ``coercion_spare_member``, ``coercion_spare_capacity`` and ``coercion_cover``."""
    inst, x, pa = b.inst, b.x, b.scenario.parameters
    nS, nCS = inst.n_sectors, inst.n_pairs
    j_of = b.country_of_pair
    s_of = b.sector_of_pair
    cap = inst.capacity.ravel()
    crit = inst.weight[s_of] > 0
    sup = crit & inst.candidate[j_of] & inst.may_be_member[j_of] & (cap > 0)
    js = np.flatnonzero(sup)
    labels_js = b.pair_labels().set_names(["exporter", "sector"])
    if len(js):
        ub = cap + (b.bounds["investment"] if "investment" in b.bounds else 0.0)
        what = "capacity a coalition supplier has left to help a coerced member"
        blk = b.program.add_variables(
            "spare_capacity", labels_js[js], upper=ub[js], description=what, unit="USD mn"
        )
        spare = Expr.variables(nCS, js, blk.columns)
    else:  # nobody can help: the cover rows below then demand no remaining adversary imports
        spare = Expr.zeros(nCS)
    m = x["member"].take(j_of)
    add_rows(
        b.program,
        "coercion_spare_member",
        labels_js,
        spare - m * cap,
        "<=",
        keep=sup & ~fixed_at(m, 1.0),
        description="only members' spare capacity counts",
    )
    change = x["change_by_supply"]
    used = spare + change - x["investment"] - x["lost_exports"]
    add_rows(
        b.program,
        "coercion_spare_capacity",
        labels_js,
        used,
        "<=",
        (inst.capacity - inst.exports).ravel(),
        keep=sup,
        description="spare capacity is what the plan leaves unused",
    )
    total = spare.sum_by(s_of, nS).take(s_of) - spare  # sum over j != i
    a0 = inst.adversary_imports.ravel()
    y = x["full_member"].take(j_of)
    rc = pa.coercion_cover
    lhs = total - x["adversary_imports"] * rc + (1.0 - y) * (rc * a0)
    keep = crit & (a0 > 0) & inst.candidate[j_of] & ~fixed_at(y, 0.0)
    add_rows(
        b.program,
        "coercion_cover",
        b.pair_labels(),
        lhs,
        ">=",
        keep=keep,
        description="other members' spare capacity covers a member's adversary imports",
    )
