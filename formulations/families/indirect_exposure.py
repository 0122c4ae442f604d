"""Indirect exposure (transshipment): re-sourcing may not raise effective adversary content.

Effective content of i's imports in s: a[i,s] + sum_{j not in A} sigma[j,s] f[i,j,s], with
sigma[j,s] the share of j's supply in s bought from adversaries. When switched on the
objectives measure effective instead of direct dependency (see :mod:`formulations.objectives`)
and, for every planned pair in a critical sector, the effective content may not exceed its
baseline: a plan cannot swap Chinese imports for Chinese content shipped through a third
country.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from formulations.expr import add_rows
from formulations.families._util import Relaxation

if TYPE_CHECKING:
    from formulations.builder import ModelBuilder

NAME = "indirect_exposure"

#: diagnosis: the scenario switch behind the family
RELAXATIONS = {
    "indirect_exposure": Relaxation(
        "constraints.indirect_exposure",
        "USD mn of adversary content",
        "a planned pair's effective adversary content staying at or below its baseline",
        scale=None,
    ),
}


def add(b: ModelBuilder) -> None:
    """Add ``indirect_exposure`` rows."""
    inst, x = b.inst, b.x
    s_of = b.sector_of_pair
    base = (inst.adversary_imports + inst.baseline_indirect).ravel()
    keep = inst.planned_pair & (inst.weight[s_of] > 0)
    add_rows(
        b.program,
        "indirect_exposure",
        b.pair_labels(),
        x["effective_adversary_imports"],
        "<=",
        base,
        keep=keep,
        description="effective (direct + transshipped) adversary content not above baseline",
    )
