"""Deprecated path: the frontier lives in :mod:`planner.frontiers` (``planner.frontier`` is the
function)."""

from planner._deprecated import forward

forward(__name__, "planner.frontiers", "frontier")
