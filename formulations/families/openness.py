"""Family 8, openness: import volume retained, open-tier share, cap on restricted sectors.

- volume: sum (f - F0) - lost exports >= -delta sum_{i in P} y_i V_i, where V_i is i's baseline
  imports (the exports export controls take away count against the same allowance);
- open share: sum_s t[s,open] V_s >= tau sum_s V_s with V_s the candidates' baseline imports;
- ``sectors.max_restricted``: sum_s t[s,restricted] <= the cap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from formulations.expr import add_rows
from formulations.families._util import Relaxation

if TYPE_CHECKING:
    from formulations.builder import ModelBuilder

NAME = "openness"

#: diagnosis: the scenario key behind each policy row family. The volume allowance scales
#: with the (chosen) full members' imports, so it has no single value that would hold.
RELAXATIONS = {
    "openness_volume": Relaxation(
        "parameters.max_volume_drop",
        "USD mn of full members' imports",
        "the fall in full members' import volume",
        scale=None,
    ),
    "openness_open_share": Relaxation(
        "parameters.min_open_share",
        "share of the candidates' imports",
        "the candidates' imports in open sectors",
        scale=lambda inst, labels: np.full(len(labels), float(inst.sector_volume.sum())),
    ),
    "openness_max_restricted": Relaxation(
        "sectors.max_restricted", "sectors", "the number of restricted sectors", integer=True
    ),
}


def add(b: ModelBuilder) -> None:
    """Add ``openness_volume``, ``openness_open_share`` and ``openness_max_restricted``."""
    inst, x, sc = b.inst, b.x, b.scenario
    pa = sc.parameters
    one = pd.Index(["total"], name="openness")
    change = (x["increase"] - x["decrease"]).sum() - x["lost_exports"].sum()
    allowance = (
        x["full_member"] * (pa.max_volume_drop * inst.import_volume * inst.candidate)
    ).sum()
    add_rows(
        b.program,
        "openness_volume",
        one,
        change + allowance,
        ">=",
        description="full members' import volume falls by at most delta",
    )
    v = inst.sector_volume
    add_rows(
        b.program,
        "openness_open_share",
        one,
        (x["tier_open"] * v).sum(),
        ">=",
        pa.min_open_share * float(v.sum()),
        description="open sectors keep at least tau of the candidates' trade",
    )
    add_rows(
        b.program,
        "openness_max_restricted",
        one,
        x["tier_restricted"].sum(),
        "<=",
        float(sc.sectors.max_restricted),
        description="at most sectors.max_restricted restricted sectors",
    )
