"""Family 1, demand: sum_j f[i,j,s] + q[i,s] = D[i,s] for every planned importer i and sector s.

Importers and sectors whose sourcing cannot change (not a possible full member, a sector fixed
``open``) keep f = F0 and need no row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from formulations.expr import add_rows

if TYPE_CHECKING:
    from formulations.builder import ModelBuilder

NAME = "demand"


def add(b: ModelBuilder) -> None:
    """Add the ``demand`` rows."""
    inst, x = b.inst, b.x
    lhs = x["increase_by_pair"] - x["adversary_cut"] - x["other_cut"] + x["domestic"]
    add_rows(
        b.program,
        "demand",
        b.pair_labels(),
        lhs,
        "==",
        0.0,
        keep=inst.planned_pair,
        description="imports plus domestic substitution meet the baseline import demand",
    )
