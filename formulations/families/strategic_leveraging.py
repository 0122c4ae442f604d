"""Strategic leveraging (added beside the model's families; ``constraints.strategic_leveraging``).

Some proposals allow adversary-linked partnerships (licensing, minority joint ventures) in
chosen sectors: the technology or capital stays adversary-linked but production moves into a
member. Here a full member i may meet up to ``parameters.leveraging_share`` (lambda) of its
baseline adversary imports a0[i,s] in a sector listed in ``sectors.leveraging`` by partnership
supply g[i,s] made at home, at ``parameters.leveraging_cost`` per USD (cheaper than reshoring,
since the know-how is licensed):

- demand: sum_j f + q + g = D; the budget pays leveraging_cost * g;
- g cuts direct dependency (it is not an import from an adversary) but counts fully in
  *effective* dependency (it stays adversary-linked), so with ``indirect_exposure`` on it buys
  nothing, which is the policy trade-off the variant exposes;
- ``g <= lambda a0 y_i`` (full members only) and ``g <= lambda a0 (1 - t[s,restricted])``:
  no partnerships in restricted sectors; in open sectors the tier rules already freeze g.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from formulations.expr import add_rows
from formulations.families._util import fixed_at

if TYPE_CHECKING:
    from formulations.builder import ModelBuilder

NAME = "strategic_leveraging"


def add(b: ModelBuilder) -> None:
    """Add ``strategic_leveraging_member`` and ``strategic_leveraging_restricted``."""
    inst, x, pa = b.inst, b.x, b.scenario.parameters
    g = x["partnership"]
    has = g.has_terms()
    if not has.any():
        return
    cap = pa.leveraging_share * inst.adversary_imports.ravel()
    y = x["full_member"].take(b.country_of_pair)
    t_res = x["tier_restricted"].take(b.sector_of_pair)
    labels = b.pair_labels()
    rows = (  # name, lhs, rhs, rows kept, description
        (
            "strategic_leveraging_member",
            g - y * cap,
            0.0,
            has & ~fixed_at(y, 1.0),
            "only full members use partnership supply, up to lambda a0",
        ),
        (
            "strategic_leveraging_restricted",
            g + t_res * cap,
            cap,
            has & ~fixed_at(t_res, 0.0),
            "no adversary-linked partnerships in restricted sectors",
        ),
    )
    for name, lhs, rhs, keep, what in rows:
        add_rows(b.program, name, labels, lhs, "<=", rhs, keep=keep, description=what)
