"""Pathway linking families: the rows that tie phase ``p`` to phase ``p + 1`` (docs/model.md,
"Pathway"). Added by :func:`formulations.pathway.build_pathway` on top of the phase copies of
the joint model; every row is written once for all phases with numpy index arrays over the
phase-stacked expressions (label ``k * n + i`` is item ``i`` in phase ``k``).

With m = y + z (membership), per country c and phase p < P:

- ``pathway_stay``: m[c,p] <= m[c,p+1] (nobody leaves);
- ``pathway_no_downgrade``: y[c,p] <= y[c,p+1] (a full member stays one);
- ``pathway_no_upgrade`` (``pathway.upgrades = false``): z[c,p] <= z[c,p+1] (an associate stays
  one); with upgrades an associate may become a full member (the two rows above allow it);
- ``pathway_tier_restricted``: t[s,restricted,p] <= t[s,restricted,p+1] and
  ``pathway_tier_open``: t[s,open,p+1] <= t[s,open,p] (``pathway.tiers = "monotone"``: open ->
  incentivized -> restricted, never back), or ``pathway_tier_fixed``: t[s,k,p] = t[s,k,p+1]
  for k restricted and incentivized (``"fixed"``);
- ``pathway_investment``: e[j,s,p] <= e[j,s,p+1] (pooled capacity stays built);
- ``pathway_accessions``: sum_{c in P} (m[c,p] - m[c,p-1]) <= max_new_members[p], with m[c,0]
  the membership before the pathway (anchors and fixed members);
- ``pathway_fixed_accession``: a fixed accession of c in phase q: m[c,p] = 0 for p < q and
  y[c,q] = 1 (a full member) or z[c,q] = 1 (an associate); later phases follow from the rows
  above.

The cumulative budget needs no row of its own: each phase's ``budget`` row allows the budgets
through that phase (:mod:`formulations.pathway`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from formulations.expr import Expr, add_rows
from formulations.replicate import with_level

if TYPE_CHECKING:
    from formulations.pathway import PathwayModel

NAME = "pathway"
#: the families this module may add, in build order
NAMES = (
    "pathway_stay",
    "pathway_no_downgrade",
    "pathway_no_upgrade",
    "pathway_tier_restricted",
    "pathway_tier_open",
    "pathway_tier_fixed",
    "pathway_investment",
    "pathway_accessions",
    "pathway_fixed_accession",
)

_I = np.int64


def concat(*parts: Expr) -> Expr:
    """The expressions of ``parts`` one after the other (labels renumbered)."""
    shift = np.cumsum([0, *(p.n for p in parts[:-1])])
    return Expr(
        int(sum(p.n for p in parts)),
        np.concatenate([p.owner + s for p, s in zip(parts, shift, strict=True)]).astype(_I),
        np.concatenate([p.col for p in parts]).astype(_I),
        np.concatenate([p.coef for p in parts]),
        np.concatenate([p.const for p in parts]),
    )


def _steps(pm: PathwayModel, name: str) -> tuple[Expr, Expr, int]:
    """Expression ``name`` in phases 1..P-1 and in phases 2..P (stacked), and its length."""
    e = pm.base.expressions[name]
    stacked = pm.replicas.stack(e)
    n_prev = (len(pm.phases) - 1) * e.n
    earlier = np.arange(n_prev, dtype=_I)
    return stacked.take(earlier), stacked.take(earlier + e.n), e.n


def _monotone(pm: PathwayModel, family: str, expr: str, labels: pd.Index, what: str, up=True):
    """``expr`` never falls (``up``) or never rises from a phase to the next."""
    before, after, _ = _steps(pm, expr)
    lhs = before - after if up else after - before
    later = with_level(pd.Index(pm.phases[1:], name="phase"), labels)
    add_rows(pm.program, family, later, lhs, "<=", description=what)


def add(pm: PathwayModel) -> None:
    """Add the linking families of :data:`NAMES` that the pathway needs."""
    inst, pw = pm.instance, pm.scenario.pathway
    if len(pm.phases) > 1:
        _add_membership(pm, inst.countries, pw.upgrades)
        _add_tiers(pm, inst.sectors, pw.tiers)
        pairs = inst.pair_index().set_names(["exporter", "sector"])
        _monotone(pm, "pathway_investment", "investment", pairs, "pooled investment stays built")
    if pw.max_new_members:
        _add_accessions(pm, np.asarray(pw.max_new_members, dtype=float))
    if len(pm.accessions):
        _add_fixed(pm)


def _add_membership(pm: PathwayModel, countries: pd.Index, upgrades: bool) -> None:
    _monotone(pm, "pathway_stay", "member", countries, "nobody leaves the coalition")
    _monotone(pm, "pathway_no_downgrade", "full_member", countries, "a full member stays one")
    if not upgrades:
        _monotone(pm, "pathway_no_upgrade", "associate", countries, "an associate stays one")


def _add_tiers(pm: PathwayModel, sectors: pd.Index, rule: str) -> None:
    if rule == "monotone":
        _monotone(
            pm,
            "pathway_tier_restricted",
            "tier_restricted",
            sectors,
            "a restricted sector stays so",
        )
        _monotone(
            pm,
            "pathway_tier_open",
            "tier_open",
            sectors,
            "a sector leaves the open tier for good",
            up=False,
        )
        return
    parts = [_steps(pm, f"tier_{t}") for t in ("restricted", "incentivized")]
    lhs = concat(*(b - a for b, a, _ in parts))
    later = with_level(pd.Index(pm.phases[1:], name="phase"), sectors)
    labels = with_level(pd.Index(["restricted", "incentivized"], name="tier"), later)
    add_rows(pm.program, "pathway_tier_fixed", labels, lhs, "==", description="tiers stay fixed")


def _add_accessions(pm: PathwayModel, limits: np.ndarray) -> None:
    """At most ``limits[p]`` candidates enter the coalition in phase p."""
    inst = pm.instance
    m = pm.base.expressions["member"] * inst.candidate.astype(float)
    stacked = pm.replicas.stack(m)
    n, k = m.n, len(pm.phases)
    before = concat(
        Expr.constant(np.where(m.has_terms(), 0.0, m.const)),
        stacked.take(np.arange((k - 1) * n, dtype=_I)),
    )
    new = (stacked - before).sum_by(np.repeat(np.arange(k, dtype=_I), n), k)
    add_rows(
        pm.program,
        "pathway_accessions",
        pd.Index(pm.phases, name="phase"),
        new,
        "<=",
        limits,
        description="at most max_new_members countries enter the coalition in a phase",
    )


def _add_fixed(pm: PathwayModel) -> None:
    """Fixed accessions: outside before their phase, in their role in it."""
    inst, acc = pm.instance, pm.accessions
    n = inst.n_countries
    x = pm.base.expressions
    # (phase, country) of every phase before each accession
    reps = acc.phase
    earlier_phase = np.arange(int(reps.sum()), dtype=_I) - np.repeat(np.cumsum(reps) - reps, reps)
    earlier_country = np.repeat(acc.country, reps)
    outside = pm.replicas.stack(x["member"]).take(earlier_phase * n + earlier_country)
    full = acc.role == "member"
    joins = concat(
        pm.replicas.stack(x["full_member"]).take(acc.phase[full] * n + acc.country[full]),
        pm.replicas.stack(x["associate"]).take(acc.phase[~full] * n + acc.country[~full]),
    )
    phases, countries = np.asarray(pm.phases, dtype=object), inst.countries
    labels = pd.MultiIndex.from_arrays(
        [
            np.concatenate(
                [phases[earlier_phase], phases[acc.phase[full]], phases[acc.phase[~full]]]
            ),
            np.concatenate(
                [
                    countries[earlier_country],
                    countries[acc.country[full]],
                    countries[acc.country[~full]],
                ]
            ),
            np.concatenate(
                [
                    np.full(len(earlier_phase), "outside", dtype=object),
                    acc.role[full],
                    acc.role[~full],
                ]
            ),
        ],
        names=["phase", "iso3", "role"],
    )
    rhs = np.concatenate([np.zeros(len(earlier_phase)), np.ones(len(acc))])
    add_rows(
        pm.program,
        "pathway_fixed_accession",
        labels,
        concat(outside, joins),
        "==",
        rhs,
        description="fixed accessions: outside before their phase, in their role in it",
    )
