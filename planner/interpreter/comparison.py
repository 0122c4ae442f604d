"""Side-by-side comparison of solved scenarios."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import pandas as pd

from planner.interpreter.metrics import tag

if TYPE_CHECKING:
    from planner.interpreter.core import Interpretation

__all__ = ["compare", "context_warnings", "warnings_table"]

#: what two compared runs should share, and how each is named in a warning
CONTEXT_KEYS = {
    "dataset": "the dataset (its sha256)",
    "focal": "the focal set (coalition.focal)",
    "adversaries": "the adversaries (coalition.adversaries)",
}


def context_warnings(contexts: Sequence[Mapping[str, object]]) -> list[str]:
    """Warnings for runs that are not like with like: each of :data:`CONTEXT_KEYS` that
    differs from the first run's.

    Parameters
    ----------
    contexts : sequence of mapping
        Per run: ``name``, ``dataset`` (a content hash, or None when unknown), ``focal`` and
        ``adversaries`` (lists of ISO3 codes; None when unknown). Unknown values are not
        compared.

    Returns
    -------
    list of str
        One sentence per differing key and run, e.g. ``"'b' differs from 'a' in the focal set
        (coalition.focal): +MEX; the numbers are not like with like"``.
    """
    if len(contexts) < 2:
        return []
    ref = contexts[0]
    out = []
    for other in contexts[1:]:
        for key, what in CONTEXT_KEYS.items():
            a, b = ref.get(key), other.get(key)
            if a is None or b is None or a == b:
                continue
            if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
                gained = sorted(set(b) - set(a))
                lost = sorted(set(a) - set(b))
                detail = ", ".join([f"+{c}" for c in gained] + [f"-{c}" for c in lost])
            else:
                detail = f"{str(a)[:12]} vs {str(b)[:12]}"
            out.append(
                f"{other.get('name')!r} differs from {ref.get('name')!r} in {what}: {detail}; "
                "the numbers are not like with like"
            )
    return out


def _context(it: Interpretation) -> dict[str, object]:
    inst = it.model.instance
    countries = [str(c) for c in inst.countries]
    return {
        "name": it.name,
        "dataset": None,
        "focal": sorted(c for c, f in zip(countries, inst.focal, strict=True) if f),
        "adversaries": sorted(c for c, a in zip(countries, inst.adversary, strict=True) if a),
    }


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
        ``changes``: members gained and lost, and tier changes, against the first;
        ``warnings`` (only when there are some): the focal set or the adversaries differ
        from the first's (:func:`context_warnings`).
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
    out = {
        "metrics": tag(metrics, "comparison_metrics", "mixed"),
        "membership": tag(roles, "comparison_membership", ""),
        "tiers": tag(tiers, "comparison_tiers", ""),
        "changes": tag(pd.DataFrame(rows).set_index("scenario"), "comparison_changes", ""),
    }
    warned = context_warnings([_context(it) for it in items])
    if warned:
        out["warnings"] = warnings_table(warned)
    return out


def warnings_table(warned: list[str]) -> pd.DataFrame:
    """The warnings of a comparison as a one-column table (printed with the others)."""
    return tag(pd.DataFrame({"warning": warned}), "comparison_warnings", "")
