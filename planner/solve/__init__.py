"""Deprecated path: the solver wrapper is :mod:`planner.solver` (``planner.solve`` is the
function)."""

from planner._deprecated import forward

forward(__name__, "planner.solver", "solve")
