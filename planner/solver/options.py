"""Solver options, normalized across backends."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from pathlib import Path

__all__ = ["LP_METHODS", "SolveOptions"]

LP_METHODS = ("auto", "simplex", "ipm")


@dataclass(frozen=True)
class SolveOptions:
    """Options understood by every backend.

    Parameters
    ----------
    time_limit : float or None
        Wall-clock limit in seconds; ``None`` for no limit.
    mip_gap : float
        Relative MIP gap at which a MILP solve stops (ignored for LPs).
    threads : int or None
        Threads the solver may use; ``None`` leaves the solver's default.
    random_seed : int
        Seed of the solver's random choices (reproducible runs).
    verbose : bool
        Print the solver's log to the console as it runs.
    log_file : pathlib.Path or None
        Also keep the log in this file (the log text is always in the result).
    pulp_solver : str
        PuLP solver name with ``backend="pulp"`` (``"PULP_CBC_CMD"``, ``"COIN_CMD"``,
        ``"HiGHS"``, ``"GUROBI_CMD"``, ``"CPLEX_CMD"``, ``"GLPK_CMD"``, ``"SCIP_CMD"`` ...).
    feasibility_tol : float
        Absolute tolerance used when the wrapper checks the returned solution against every row.
    strict : bool
        Raise instead of warn when the returned solution violates a row or bound by more
        than ``feasibility_tol``.
    fixed_milp_duals : bool
        For a MILP with a solution, re-solve the LP with integers fixed at their values to
        report duals (marked ``duals_kind = "fixed_milp"``).
    scale_objective : bool
        Scale the objective by a power of two when its largest coefficient is outside
        [1e-2, 1e3] (see :func:`planner.solver.api.objective_scale`); results are unscaled.
    lp_method : {"auto", "simplex", "ipm"}
        LP algorithm for the ``highs`` and ``scipy`` backends (HiGHS's ``solver`` option;
        ``ipm`` runs the interior point method with crossover). Other backends ignore it.
    """

    time_limit: float | None = None
    mip_gap: float = 1e-4
    threads: int | None = None
    random_seed: int = 0
    verbose: bool = False
    log_file: Path | None = None
    pulp_solver: str = "PULP_CBC_CMD"
    feasibility_tol: float = 1e-6
    strict: bool = False
    fixed_milp_duals: bool = True
    scale_objective: bool = True
    lp_method: str = "auto"

    def __post_init__(self) -> None:
        if self.time_limit is not None and not (
            isinstance(self.time_limit, (int, float))
            and self.time_limit > 0
            and math.isfinite(self.time_limit)
        ):
            raise ValueError(
                f"time_limit must be a positive number of seconds, got {self.time_limit!r}"
            )
        if not (isinstance(self.mip_gap, (int, float)) and 0 <= self.mip_gap < 1):
            raise ValueError(f"mip_gap must be in [0, 1), got {self.mip_gap!r}")
        if self.threads is not None and (not isinstance(self.threads, int) or self.threads < 1):
            raise ValueError(f"threads must be a positive integer, got {self.threads!r}")
        if not isinstance(self.random_seed, int) or self.random_seed < 0:
            raise ValueError(
                f"random_seed must be a non-negative integer, got {self.random_seed!r}"
            )
        if not (isinstance(self.feasibility_tol, (int, float)) and self.feasibility_tol > 0):
            raise ValueError(f"feasibility_tol must be positive, got {self.feasibility_tol!r}")
        if self.lp_method not in LP_METHODS:
            raise ValueError(f"lp_method must be one of {LP_METHODS}, got {self.lp_method!r}")
        if self.log_file is not None and not isinstance(self.log_file, Path):
            object.__setattr__(self, "log_file", Path(self.log_file))

    def with_(self, **changes: object) -> SolveOptions:
        """A copy with some fields changed (names are checked)."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise TypeError(f"unknown solve option(s) {unknown}; known: {sorted(known)}")
        return replace(self, **changes)  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, object]:
        """Plain dict (paths as strings) for manifests and summaries."""
        out: dict[str, object] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            out[f.name] = str(v) if isinstance(v, Path) else v
        return out
