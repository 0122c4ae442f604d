"""Result types: one :class:`SolveResult` whatever the outcome.

Two levels of status, as in linopy: :class:`Status` is ours and means the same for every backend;
``solver_status`` keeps the solver's own code or text.

Sign conventions (the same for every backend, for min and max objectives alike):

* ``duals[family][label]`` is the sensitivity of the optimal objective to the row's right-hand
  side, d(objective)/d(rhs);
* ``reduced_costs[block][label]`` is ``c_j - sum_r dual_r * A_rj``: the change of the objective
  per unit of the variable forced away from its optimal value at the bound.
"""

from __future__ import annotations

import importlib
import math
import warnings
from dataclasses import dataclass, field
from enum import StrEnum
from types import ModuleType

import numpy as np
import pandas as pd

from planner.errors import EXIT_SOLVER_ERROR, PlannerError
from planner.solver.options import SolveOptions

__all__ = [
    "InaccurateSolutionWarning",
    "SolveError",
    "SolveResult",
    "SolverNotAvailableError",
    "Status",
    "import_solver_package",
    "solver_package_available",
]


class Status(StrEnum):
    """Outcome of a solve, normalized across backends."""

    OPTIMAL = "optimal"
    """Proven optimal (for a MILP: within the requested ``mip_gap``)."""
    TIME_LIMIT_FEASIBLE = "time_limit_feasible"
    """A work limit (time, iterations, nodes) stopped the solver; the incumbent is returned."""
    TIME_LIMIT_NO_SOLUTION = "time_limit_no_solution"
    """A work limit stopped the solver before it found any feasible point."""
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    INFEASIBLE_OR_UNBOUNDED = "infeasible_or_unbounded"
    ERROR = "error"

    @property
    def has_solution(self) -> bool:
        """True when a feasible point comes with this status."""
        return self in (Status.OPTIMAL, Status.TIME_LIMIT_FEASIBLE)


class SolveError(PlannerError, RuntimeError):
    """The solver failed, or a result without a solution was used as if it had one."""

    exit_code = EXIT_SOLVER_ERROR
    prefix = "solver failed: "


class SolverNotAvailableError(SolveError):
    """The requested backend or solver is not installed; the message names what to install."""

    exit_code = EXIT_SOLVER_ERROR
    prefix = ""


def import_solver_package(package: str, backend: str) -> ModuleType:
    """Import a backend's package, or say what to install.

    Parameters
    ----------
    package : str
        The module (and pip package) name, e.g. ``"highspy"``.
    backend : str
        The backend that needs it (for the message).

    Returns
    -------
    types.ModuleType

    Raises
    ------
    SolverNotAvailableError
        The package does not import; the message names the ``pip install`` to run.
    """
    try:
        return importlib.import_module(package)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise SolverNotAvailableError(
            f"backend {backend!r} needs the package {package}: pip install {package}"
        ) from exc


def solver_package_available(package: str) -> bool:
    """True when ``package`` imports (see :func:`import_solver_package`)."""
    try:
        import_solver_package(package, "")
    except SolverNotAvailableError:
        return False
    return True


class InaccurateSolutionWarning(UserWarning):
    """The solver's point violates a row or bound by more than the feasibility tolerance."""


@dataclass(frozen=True)
class WarmStart:
    """Where a re-solve of the same program (other right-hand sides) may start.

    ``x`` is a full column vector (a MILP incumbent, used when it is feasible); ``basis`` is
    the backend's own basis object (an LP re-solve starts its simplex from it). Backends that
    cannot use either ignore it. Get one from :meth:`SolveResult.warm_start`.
    """

    x: np.ndarray | None = None
    basis: object | None = None
    backend: str = ""


@dataclass
class BackendOutcome:
    """What a backend hands back to :func:`planner.solver.solve` (internal)."""

    status: Status
    solver_status: str
    solver_name: str
    solver_version: str
    x: np.ndarray | None = None
    objective: float = math.nan
    best_bound: float = math.nan
    gap: float = math.nan
    row_duals: np.ndarray | None = None
    log: str = ""
    basis: object | None = None


@dataclass
class SolveResult:
    """The outcome of one solve, the same type whatever happened.

    Attributes
    ----------
    status : Status
        Normalized status.
    solver_status : str
        The solver's own status code or message.
    backend, solver_name, solver_version : str
        Which backend and solver ran.
    objective : float
        Objective value (constant included); NaN without a solution.
    best_bound : float
        Best proven bound (MILP); equals the objective for a solved LP; NaN if unknown.
    gap : float
        Relative gap ``|objective - bound| / max(1, |objective|)``; NaN if unknown.
    values : dict of str to pandas.Series
        Primal values per variable block, indexed by the block's labels (all NaN without a
        solution).
    duals : dict of str to pandas.Series
        Dual values per constraint family (NaN when not available, see ``duals_kind``).
    reduced_costs : dict of str to pandas.Series
        Reduced costs per variable block (NaN when not available).
    duals_kind : {"lp", "fixed_milp", "none"}
        ``"lp"`` for a pure LP, ``"fixed_milp"`` for the LP with integers fixed at the MILP
        optimum, ``"none"`` when no duals were computed.
    is_mip : bool
        Whether the program had integer variables.
    timings : dict of str to float
        Seconds: ``build`` (the program's), ``solve`` (the solver), ``duals`` (fixed-MILP re-solve).
    violations : pandas.DataFrame
        Worst violation per family and block at the returned point (empty without a solution).
    max_violation : float
        Largest entry of ``violations`` (NaN without a solution).
    log : str
        The solver's log text.
    options : SolveOptions
        Options used.
    numerics : dict
        What the solver was given and how well the point holds: ``coefficient_ranges``
        (min/max absolute value and ratio of matrix, objective, rhs and bounds),
        ``worst_row_ratio`` (with its family and label), ``objective_scale`` (the power of
        two the objective was multiplied by), ``max_violation`` and ``max_relative_violation``.
    """

    status: Status
    solver_status: str
    backend: str
    solver_name: str
    solver_version: str
    objective: float
    best_bound: float
    gap: float
    values: dict[str, pd.Series]
    duals: dict[str, pd.Series]
    reduced_costs: dict[str, pd.Series]
    duals_kind: str
    is_mip: bool
    timings: dict[str, float] = field(default_factory=dict)
    violations: pd.DataFrame = field(default_factory=pd.DataFrame)
    max_violation: float = math.nan
    log: str = ""
    options: SolveOptions = field(default_factory=SolveOptions)
    x: np.ndarray = field(default_factory=lambda: np.zeros(0))
    numerics: dict = field(default_factory=dict)
    basis: object | None = field(default=None, repr=False)

    def warm_start(self) -> WarmStart:
        """A :class:`WarmStart` from this result's point and basis (for re-solves)."""
        return WarmStart(
            x=self.x if self.status.has_solution and len(self.x) else None,
            basis=self.basis,
            backend=self.backend,
        )

    @property
    def has_solution(self) -> bool:
        """True when ``values`` hold a feasible point (optimal or a limit's incumbent)."""
        return self.status.has_solution

    @property
    def is_optimal(self) -> bool:
        """True only for a proven optimum (never after a limit)."""
        return self.status is Status.OPTIMAL

    def raise_for_status(self) -> SolveResult:
        """Return ``self`` if a solution exists, else raise :class:`SolveError` with the status.

        A limit's incumbent passes, with a warning that it is not proven optimal.
        """
        if not self.has_solution:
            raise SolveError(
                f"{self.backend} ({self.solver_name}) ended with status {self.status.value} "
                f"[{self.solver_status}]: there is no solution to use"
            )
        if self.status is Status.TIME_LIMIT_FEASIBLE:
            warnings.warn(
                f"solution from {self.solver_name} is the incumbent at a limit, not proven "
                f"optimal (gap {self.gap:.3g})",
                stacklevel=2,
            )
        return self

    def value(self, block: str) -> pd.Series:
        """Primal values of one block (KeyError naming the known blocks otherwise)."""
        try:
            return self.values[block]
        except KeyError:
            raise KeyError(f"no variable block {block!r}; blocks: {list(self.values)}") from None

    def dual(self, family: str) -> pd.Series:
        """Duals of one family (KeyError naming the known families otherwise)."""
        try:
            return self.duals[family]
        except KeyError:
            raise KeyError(
                f"no constraint family {family!r}; families: {list(self.duals)}"
            ) from None

    def solver_info(self) -> dict[str, object]:
        """Name, version and options, for summaries and manifests."""
        return {
            "backend": self.backend,
            "name": self.solver_name,
            "version": self.solver_version,
            "options": self.options.to_dict(),
        }

    def __repr__(self) -> str:
        return (
            f"<SolveResult {self.status.value} objective={self.objective:.6g} "
            f"backend={self.backend} solve={self.timings.get('solve', math.nan):.3f}s>"
        )
