"""Family 4, ally-shoring: new sourcing only from coalition members.

docs/model.md: u[i,j,s] <= M (y_j + z_j) and, in restricted sectors, u[i,j,s] <= M (y_j + 1 -
t[s,restricted]); adversaries never receive new sourcing. Written per exporter-sector pair:
``sum_i u[i,j,s] <= M[j,s] (y_j + z_j)`` with M[j,s] the largest total new sourcing j can get
(the sum of its links' bounds, at most its spare capacity): valid, tight, one row per pair.
Adversaries and countries that cannot join get no ``increase`` variables at all (the instance
leaves them out), so their rows are not needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from formulations.expr import add_rows
from formulations.families._util import Relaxation, fixed_at, free

if TYPE_CHECKING:
    from formulations.builder import ModelBuilder

NAME = "ally_shoring"

#: diagnosis: the scenario switch behind the family
RELAXATIONS = {
    name: Relaxation(
        "parameters.ally_shoring",
        "USD mn of new sourcing",
        what,
        scale=None,
    )
    for name, what in (
        ("ally_shoring_member", "new sourcing only from coalition members"),
        ("ally_shoring_restricted", "new sourcing in restricted sectors only from full members"),
    )
}


def add(b: ModelBuilder) -> None:
    """Add ``ally_shoring_member`` and ``ally_shoring_restricted``."""
    x = b.x
    supply = x["increase_by_supply"]
    big_m = b.bounds["increase_supply"]
    j_of = b.country_of_pair
    s_of = b.sector_of_pair
    m = x["member"].take(j_of)
    y = x["full_member"].take(j_of)
    t_res = x["tier_restricted"].take(s_of)
    has = free(supply) & (big_m > 0)
    labels = b.pair_labels().set_names(["exporter", "sector"])
    rows = (  # name, lhs (<= 0), rows kept, description
        (
            "ally_shoring_member",
            supply - m * big_m,
            has & ~fixed_at(m, 1.0),
            "new sourcing only from coalition members (full or associate)",
        ),
        (
            "ally_shoring_restricted",
            supply - (y - t_res + 1.0) * big_m,
            has & ~fixed_at(y, 1.0) & ~fixed_at(t_res, 0.0),
            "in restricted sectors new sourcing only from full members",
        ),
    )
    for name, lhs, keep, what in rows:
        add_rows(b.program, name, labels, lhs, "<=", keep=keep, description=what)
