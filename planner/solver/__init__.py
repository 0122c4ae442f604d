"""Solver wrapper: one ``solve`` entry over HiGHS (highspy), scipy and PuLP, plus diagnosis and
:func:`solve_mckp` (multiple-choice knapsack by Lagrangian decomposition, ``mckp.py``).

Knows nothing of trade: it reads a :class:`formulations.program.Program` and returns a
:class:`SolveResult` keyed by the program's block and family labels.
"""

from planner.solver.api import BACKENDS, SolverSession, available_backends, solve
from planner.solver.decompose import BlockStructure, block_structure, solve_decomposed
from planner.solver.diagnosis import Diagnosis, diagnose
from planner.solver.mckp import (
    MCKPError,
    MCKPInfeasibleError,
    MCKPResult,
    lagrangian_dual,
    solve_mckp,
)
from planner.solver.options import SolveOptions, SolverOptionError
from planner.solver.result import (
    InaccurateSolutionWarning,
    SolveError,
    SolveResult,
    SolverNotAvailableError,
    Status,
    WarmStart,
)

__all__ = [
    "BACKENDS",
    "BlockStructure",
    "Diagnosis",
    "InaccurateSolutionWarning",
    "MCKPError",
    "MCKPInfeasibleError",
    "MCKPResult",
    "SolveError",
    "SolveOptions",
    "SolveResult",
    "SolverNotAvailableError",
    "SolverOptionError",
    "SolverSession",
    "Status",
    "WarmStart",
    "available_backends",
    "block_structure",
    "diagnose",
    "lagrangian_dual",
    "solve",
    "solve_decomposed",
    "solve_mckp",
]
