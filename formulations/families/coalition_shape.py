"""Family 9, coalition shape: size, GDP coverage (eligibility and anchors fix variables in the
instance), plus the domain rows every problem needs: y_c + z_c <= 1 and one tier per sector.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from formulations.expr import add_rows
from formulations.families._util import Relaxation, free

if TYPE_CHECKING:
    from formulations.builder import ModelBuilder

NAME = "coalition_shape"

#: diagnosis: the scenario key behind each policy row family (``one_role`` and ``one_tier``
#: are structural and never offered as relaxations)
RELAXATIONS = {
    "coalition_size_min": Relaxation(
        "coalition.min_size", "members", "the number of members (full or associate)", integer=True
    ),
    "coalition_size_max": Relaxation(
        "coalition.max_size", "members", "the number of members (full or associate)", integer=True
    ),
    "coalition_gdp": Relaxation(
        "coalition.min_gdp_share",
        "share of the dataset's GDP",
        "the GDP the members cover",
        scale=lambda inst, labels: np.full(len(labels), float(inst.gdp.sum())),
    ),
}


def add_domain(b: ModelBuilder) -> None:
    """``one_role`` (y + z <= 1) and ``one_tier`` (sum_k t[s,k] = 1); always on."""
    inst, x = b.inst, b.x
    y, z = x["full_member"], x["associate"]
    add_rows(
        b.program,
        "one_role",
        inst.countries,
        y + z,
        "<=",
        1.0,
        keep=free(y) & free(z),
        description="a country is a full member or an associate",
    )
    t = x["tier_restricted"] + x["tier_incentivized"] + x["tier_open"]
    add_rows(
        b.program,
        "one_tier",
        inst.sectors,
        t,
        "==",
        1.0,
        keep=free(t),
        description="every sector is in exactly one tier",
    )


def add(b: ModelBuilder) -> None:
    """Add ``coalition_size_min``, ``coalition_size_max`` and ``coalition_gdp``."""
    inst, x, co = b.inst, b.x, b.scenario.coalition
    one = pd.Index(["total"], name="coalition")
    size = (x["member"] * inst.candidate.astype(float)).sum()
    add_rows(
        b.program,
        "coalition_size_min",
        one,
        size,
        ">=",
        float(co.min_size),
        description="at least n_min members (full or associate)",
    )
    add_rows(
        b.program,
        "coalition_size_max",
        one,
        size,
        "<=",
        float(co.max_size),
        description="at most n_max members (full or associate)",
    )
    gdp = (x["member"] * inst.gdp).sum()
    add_rows(
        b.program,
        "coalition_gdp",
        one,
        gdp,
        ">=",
        co.min_gdp_share * float(inst.gdp.sum()),
        description="members cover at least gamma of the dataset's GDP",
    )
