"""Family 3, capacity: sum_i f[i,j,s] <= cap[j,s] + e[j,s] for every supplier j and sector s.

Importers whose sourcing is not planned enter at F0, so with X = sum_i F0 the row reads
``sum_i (increase - decrease) - e - lost <= cap - X``, where ``lost`` is the exports to
adversaries that export controls take away (they free capacity). cap is (1 + h_s) X[j,s]
(``exports`` basis) or X[j,s] + h_s GO[j,s] (``output`` basis). Only exporter-sector pairs that
can receive new sourcing get a row: cutting imports never needs capacity.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from formulations.expr import add_rows

if TYPE_CHECKING:
    from formulations.builder import ModelBuilder

NAME = "capacity"


def add(b: ModelBuilder) -> None:
    """Add ``capacity`` rows."""
    inst, x = b.inst, b.x
    nCS = inst.n_pairs
    lk = inst.links
    keep = np.bincount(b.link_supply[lk.can_increase], minlength=nCS) > 0
    change = x["change_by_supply"]
    lhs = change - x["investment"] - x["lost_exports"]
    add_rows(
        b.program,
        "capacity",
        b.pair_labels().set_names(["exporter", "sector"]),
        lhs,
        "<=",
        (inst.capacity - inst.exports).ravel(),
        keep=keep,
        description="sales of an exporter stay within its capacity (plus pooled investment)",
    )
