"""Family 6, export controls: in restricted sectors, full members' and associates' exports to
adversaries fall to eps of baseline.

The cut applies where member j (y_j + z_j = 1) meets a restricted sector (t[s,restricted] =
1): the product v[j,s] = (y_j + z_j) t[s,restricted] is linearized exactly by
``v >= m + t - 1``, ``v <= m``, ``v <= t`` (v is continuous; it is 0 or 1 whenever m and t are).
The lost exports ``(1 - eps) sum_{a in A} F0[a,j,s] v[j,s]`` free capacity (family 3), count
against the openness allowance (family 8) and against a member's gain (family 10).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from formulations.expr import Expr, add_rows
from formulations.families._util import free

if TYPE_CHECKING:
    from formulations.builder import ModelBuilder

NAME = "export_controls"


def add(b: ModelBuilder) -> None:
    """Add ``export_controls_link_*`` rows and set the ``lost_exports`` expression."""
    inst, x, pa = b.inst, b.x, b.scenario.parameters
    nCS = inst.n_pairs
    j_of, s_of = b.country_of_pair, b.sector_of_pair
    ace = inst.exports_to_adversaries.ravel()
    m = x["member"]
    t = x["tier_restricted"]
    m_free, t_free = free(m), free(t)
    relevant = (ace > 0) & inst.candidate[j_of] & inst.may_be_member[j_of]
    relevant &= t_free[s_of] | (t.const[s_of] > 0.5)
    both = relevant & m_free[j_of] & t_free[s_of]
    # fixed membership: v = m_j * t_res ; fixed tier (and free membership): v = t_res * m_j
    m_const = np.where(m_free, 0.0, m.const)
    t_const = np.where(t_free, 0.0, t.const)
    only_t = relevant & ~m_free[j_of]
    only_m = relevant & m_free[j_of] & ~t_free[s_of]
    v = t.take(s_of) * np.where(only_t, m_const[j_of], 0.0)
    v = v + m.take(j_of) * np.where(only_m, t_const[s_of], 0.0)
    js = np.flatnonzero(both)
    if len(js):
        blk = b.program.add_variables(
            "export_control",
            b.pair_labels()[js].set_names(["exporter", "sector"]),
            upper=1.0,
            description="1 where a member's exports to adversaries in a restricted sector stop",
            unit="0/1",
        )
        var = Expr.variables(nCS, js, blk.columns)
        v = v + var
        labels = b.pair_labels().set_names(["exporter", "sector"])
        mj, ts = m.take(j_of), t.take(s_of)
        add_rows(
            b.program,
            "export_controls_link_both",
            labels,
            var - mj - ts,
            ">=",
            -1.0,
            keep=both,
            description="export control applies if member and restricted",
        )
        add_rows(
            b.program,
            "export_controls_link_member",
            labels,
            var - mj,
            "<=",
            0.0,
            keep=both,
            description="export control applies only to members",
        )
        add_rows(
            b.program,
            "export_controls_link_tier",
            labels,
            var - ts,
            "<=",
            0.0,
            keep=both,
            description="export control applies only in restricted sectors",
        )
    x["export_control"] = v
    x["lost_exports"] = v * ((1.0 - pa.restricted_residual) * ace)
