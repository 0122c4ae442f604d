"""LP/MILP builders of the coalition planning model (docs/model.md).

Every builder returns a solver-neutral :class:`~formulations.program.Program`.
"""

from formulations.program import (
    ConstraintFamily,
    Program,
    ProgramError,
    Sense,
    VariableBlock,
    VarKind,
)

__all__ = ["ConstraintFamily", "Program", "ProgramError", "Sense", "VarKind", "VariableBlock"]
