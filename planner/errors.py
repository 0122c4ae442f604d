"""The planner's error root: every error the package raises on purpose derives from
:class:`PlannerError`, which carries the exit code the ``planner`` command returns for it.

Exit codes: 0 success, 2 bad input (arguments, files, scenarios, datasets, output directory),
3 infeasible or unbounded model, 4 solver error or missing solver, 5 stopped by a limit without
a solution, 6 verification found a violated constraint.

This module imports nothing of the package, so every layer can derive from it.
"""

from __future__ import annotations

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_INFEASIBLE",
    "EXIT_NO_SOLUTION",
    "EXIT_OK",
    "EXIT_SOLVER_ERROR",
    "EXIT_VERIFY_FAILED",
    "PlannerError",
]

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_INFEASIBLE = 3
EXIT_SOLVER_ERROR = 4
EXIT_NO_SOLUTION = 5
EXIT_VERIFY_FAILED = 6


class PlannerError(Exception):
    """Base of every error of the planner.

    Attributes
    ----------
    exit_code : int
        What ``planner`` exits with when this error ends a command (class attribute).
    prefix : str
        Words the command line puts before the message (``"bad scenario: "``, ...).
    """

    exit_code: int = EXIT_BAD_INPUT
    prefix: str = ""

    def cli_message(self, where: str | None = None) -> str:
        """The message the command line prints after ``error: ``.

        ``where`` is the file the command was given (a scenario), for errors that do not name
        it themselves.
        """
        return f"{self.prefix}{self}"
