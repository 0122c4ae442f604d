"""The model's sets that are constants, and their index codes.

The sets that come from data (countries C, adversaries A, candidates P, anchors N, sectors S,
focal countries Phi) are arrays of :class:`~formulations.instance.Instance`; the ones below are
the same for every instance.

Attributes
----------
TIERS : tuple of str
    K, the sector tiers, in the order of the ``tier`` variable block's second level.
RESTRICTED, INCENTIVIZED, OPEN : int
    Positions of the tiers in :data:`TIERS` (the codes of ``Instance.tier_fixed``).
ROLES : tuple of str
    A country's role in a plan: full member (y = 1), associate (z = 1), outside the coalition,
    or adversary (in A).
"""

from __future__ import annotations

__all__ = ["INCENTIVIZED", "OPEN", "RESTRICTED", "ROLES", "TIERS"]

TIERS: tuple[str, str, str] = ("restricted", "incentivized", "open")
RESTRICTED: int = TIERS.index("restricted")
INCENTIVIZED: int = TIERS.index("incentivized")
OPEN: int = TIERS.index("open")

ROLES: tuple[str, str, str, str] = ("member", "associate", "outside", "adversary")
