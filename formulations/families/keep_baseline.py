"""Family 2, only full members' sourcing is planned: |f - F0| <= D[i,s] y_i, q <= D[i,s] y_i.

Written per importer-sector pair, not per link: ``sum_{j in A} decrease <= a0 y_i``,
``sum_{j not in A} decrease <= (D - a0) y_i`` and ``sum_j increase + q <= D y_i``. For y_i in
{0, 1} this allows exactly what the per-link rows allow (with y_i = 1 none binds, because of
the demand rows and decrease <= F0), and in the LP relaxation it is much tighter: a fractional
y_i can no longer cut all adversary imports (this took the default joint MILP from a 63 % gap
after 120 s to optimal in about 10 s). Importers whose y is fixed need no row: fixed 0 means
they are not planned at all (no variables), fixed 1 means the rows cannot bind.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from formulations.expr import add_rows
from formulations.families._util import free

if TYPE_CHECKING:
    from formulations.builder import ModelBuilder

NAME = "keep_baseline"


def add(b: ModelBuilder) -> None:
    """Add ``keep_baseline_cut_adversary``, ``keep_baseline_cut_other`` and
    ``keep_baseline_increase``."""
    inst, x = b.inst, b.x
    y_pair = x["full_member"].take(b.country_of_pair)
    d = inst.demand.ravel()
    keep = inst.planned_pair & free(y_pair)
    a0 = inst.adversary_imports.ravel()
    cut_adv = x["adversary_cut"]
    cut_other = x["other_cut"]
    inc = x["increase_by_pair"] + x["domestic"]
    labels = b.pair_labels()
    add_rows(
        b.program,
        "keep_baseline_cut_adversary",
        labels,
        cut_adv - y_pair * a0,
        "<=",
        keep=keep,
        description="only full members cut adversary imports: cut <= a0[i,s] y_i",
    )
    add_rows(
        b.program,
        "keep_baseline_cut_other",
        labels,
        cut_other - y_pair * (d - a0),
        "<=",
        keep=keep,
        description="only full members cut other imports: cut <= (D - a0)[i,s] y_i",
    )
    add_rows(
        b.program,
        "keep_baseline_increase",
        labels,
        inc - y_pair * d,
        "<=",
        keep=keep,
        description="only full members source anew or reshore: total <= D[i,s] y_i",
    )
