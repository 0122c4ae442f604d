"""Family 5, tier rules: reallocation only where a sector's tier asks for it.

For a full member i, with a[i,s] = sum_{j in A} f[i,j,s] and a0 its baseline:

- open: f = F0 and q = 0, written per pair as ``sum_{j in A} decrease <= a0 (1 - t_open)``,
  ``sum_{j not in A} decrease <= (D - a0) (1 - t_open)`` and
  ``sum_j increase + q <= D (1 - t_open)`` (a sector fixed ``open`` has no variables at all);
- incentivized: a <= (1 - r_inc) a0;  restricted: a <= eps a0; both in one row per pair:
  ``sum_{j in A} decrease >= r_inc a0 t_inc + (1 - eps) a0 t_res - M (1 - y_i)`` with
  M = max(r_inc, 1 - eps) a0, the smallest value that frees non-members.

Strengthening (a valid inequality, not a new rule): the least cut a full member owes is
``a0 y (r_inc t_inc + (1 - eps) t_res)``, a product of binaries. With ``m = min(r_inc, 1 - eps)``
the convex hull of that product over {y, t} in {0, 1} is the row above, ``cut >= 0`` and
``tier_rules_cut_hull``: ``sum_{j in A} decrease >= m a0 (y_i + t_inc + t_res - 1)``. Every
integer plan meets it (it is implied by ``tier_rules_cut`` whenever y and t are 0 or 1), so
it changes no optimum, but in the LP relaxation a half member (y = 0.5) in a tiered sector
must cut m a0 / 2 where the big-M row asked nothing; with the tier fixed it is the
perspective row ``cut >= m a0 y``. Kept only where y is chosen (with y fixed at 1 it is
implied row by row), so sourcing LPs do not get it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from formulations.expr import add_rows
from formulations.families._util import fixed_at, free

if TYPE_CHECKING:
    from formulations.builder import ModelBuilder

NAME = "tier_rules"


def add(b: ModelBuilder) -> None:
    """Add ``tier_rules_open_*`` (cut_adversary, cut_other, increase), ``tier_rules_cut`` and
    its strengthening ``tier_rules_cut_hull``."""
    inst, x, pa = b.inst, b.x, b.scenario.parameters
    s_of, i_of = b.sector_of_pair, b.country_of_pair
    d = inst.demand.ravel()
    a0 = inst.adversary_imports.ravel()
    t_open = x["tier_open"].take(s_of)
    t_inc = x["tier_incentivized"].take(s_of)
    t_res = x["tier_restricted"].take(s_of)
    y = x["full_member"].take(i_of)
    labels = b.pair_labels()
    planned = inst.planned_pair
    cut_adv = x["adversary_cut"]
    cut_other = x["other_cut"]
    inc = x["increase_by_pair"] + x["domestic"]
    keep_open = planned & ~fixed_at(t_open, 0.0)
    add_rows(
        b.program,
        "tier_rules_open_cut_adversary",
        labels,
        cut_adv + t_open * a0,
        "<=",
        a0,
        keep=keep_open,
        description="open sectors keep their baseline: no cut of adversary imports",
    )
    add_rows(
        b.program,
        "tier_rules_open_cut_other",
        labels,
        cut_other + t_open * (d - a0),
        "<=",
        d - a0,
        keep=keep_open,
        description="open sectors keep their baseline: no cut of other imports",
    )
    add_rows(
        b.program,
        "tier_rules_open_increase",
        labels,
        inc + t_open * d,
        "<=",
        d,
        keep=keep_open,
        description="open sectors keep their baseline: no new sourcing or reshoring",
    )
    r, eps = pa.incentivized_cut, pa.restricted_residual
    big_m = max(r, 1.0 - eps) * a0
    cut = x["adversary_cut"]
    lhs = cut - t_inc * (r * a0) - t_res * ((1 - eps) * a0) + (1.0 - y) * big_m
    keep_cut = (
        planned & (a0 > 0) & ~(fixed_at(t_inc, 0.0) & fixed_at(t_res, 0.0)) & ~fixed_at(y, 0.0)
    )
    add_rows(
        b.program,
        "tier_rules_cut",
        labels,
        lhs,
        ">=",
        keep=keep_cut,
        description=(
            "full members cut adversary imports by r_inc in incentivized sectors and to "
            "eps of baseline in restricted ones"
        ),
    )
    least = min(r, 1.0 - eps)
    if least <= 0:
        return
    tiered = t_inc + t_res
    add_rows(
        b.program,
        "tier_rules_cut_hull",
        labels,
        cut - (y + tiered - 1.0) * (least * a0),
        ">=",
        keep=keep_cut & free(y),
        description=(
            "valid inequality (convex hull of y times the tier): a full member in a tiered "
            "sector cuts at least min(r_inc, 1 - eps) of its adversary imports"
        ),
    )
