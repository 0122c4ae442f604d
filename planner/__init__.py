"""The coalition planner: data, scenarios, solver wrapper, interpreter and CLI.

The layers run one way: data -> formulations -> solve -> interpret.
"""

from importlib.metadata import PackageNotFoundError, version

from planner.solve import (
    Diagnosis,
    SolveError,
    SolveOptions,
    SolveResult,
    SolverNotAvailableError,
    Status,
    available_backends,
    diagnose,
    solve,
)

try:
    __version__ = version("coalition-planner")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = [
    "Diagnosis",
    "SolveError",
    "SolveOptions",
    "SolveResult",
    "SolverNotAvailableError",
    "Status",
    "__version__",
    "available_backends",
    "diagnose",
    "solve",
]
