"""Side-by-side comparison of solved scenarios."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from planner.interpreter.metrics import tag

if TYPE_CHECKING:
    from planner.interpreter.core import Interpretation

__all__ = ["compare"]

_NUMBERS = [
    "dependency_before",
    "dependency_after",
    "effective_dependency_after",
    "total_cost",
    "flagged_after",
    "volume_retained",
    "lost_exports",
]


def compare(items: Sequence[Interpretation]) -> dict[str, pd.DataFrame]:
    """Compare two or more interpretations; the first is the reference.

    Returns
    -------
    dict
        ``metrics``: headline numbers per scenario and their change from the first;
        ``membership``: role per country and scenario, only countries whose role differs;
        ``tiers``: tier per sector and scenario, only sectors whose tier differs;
        ``changes``: members gained and lost, and tier changes, against the first.
    """
    if len(items) < 2:
        raise ValueError("compare needs at least two solved scenarios")
    names = [it.name for it in items]
    if len(set(names)) != len(names):
        names = [f"{n} ({k})" for k, n in enumerate(names)]
    metrics = pd.DataFrame(
        {n: {k: it.headline[k] for k in _NUMBERS} for n, it in zip(names, items, strict=True)}
    )
    for n in names[1:]:
        metrics[f"{n} - {names[0]}"] = metrics[n] - metrics[names[0]]
    roles = pd.DataFrame({n: it.plan.roles for n, it in zip(names, items, strict=True)})
    roles = roles[roles.nunique(axis=1) > 1]
    tiers = pd.DataFrame({n: it.plan.tiers for n, it in zip(names, items, strict=True)})
    tiers = tiers[tiers.nunique(axis=1) > 1]
    ref = items[0]
    rows = []
    for n, it in zip(names[1:], items[1:], strict=True):
        rows.append(
            {
                "scenario": n,
                "members_gained": sorted(set(it.plan.members) - set(ref.plan.members)),
                "members_lost": sorted(set(ref.plan.members) - set(it.plan.members)),
                "associates_gained": sorted(set(it.plan.associates) - set(ref.plan.associates)),
                "associates_lost": sorted(set(ref.plan.associates) - set(it.plan.associates)),
                "tier_changes": {
                    s: f"{ref.plan.tiers[s]} -> {it.plan.tiers[s]}"
                    for s in ref.plan.tiers.index
                    if s in it.plan.tiers.index and ref.plan.tiers[s] != it.plan.tiers[s]
                },
            }
        )
    return {
        "metrics": tag(metrics, "comparison_metrics", "mixed"),
        "membership": tag(roles, "comparison_membership", ""),
        "tiers": tag(tiers, "comparison_tiers", ""),
        "changes": tag(pd.DataFrame(rows).set_index("scenario"), "comparison_changes", ""),
    }
