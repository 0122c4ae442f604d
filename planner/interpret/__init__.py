"""Deprecated path: the interpreter is :mod:`planner.interpreter` (``planner.interpret`` is the
function)."""

from planner._deprecated import forward

forward(__name__, "planner.interpreter", "interpret")
