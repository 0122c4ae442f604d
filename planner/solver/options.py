"""Solver options, normalized across backends."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from planner.errors import EXIT_BAD_INPUT, PlannerError

__all__ = ["LP_METHODS", "OptionValue", "SolveOptions", "SolverOptionError"]

OptionValue = bool | int | float | str
"""The types a raw solver option may take (``solver_options`` values)."""


class SolverOptionError(PlannerError, ValueError):
    """A raw solver option (``SolveOptions.solver_options``) that the backend does not know,
    or a value of the wrong type; raised before anything is solved (exit code 2, bad input)."""

    exit_code = EXIT_BAD_INPUT
    prefix = "bad solver option: "


def _option_value(name: str, value: object) -> OptionValue:
    """``value`` as a plain bool, int, float or str (numpy scalars unwrapped)."""
    if isinstance(value, np.generic):
        value = value.item()
    if not isinstance(value, (bool, int, float, str)):
        raise SolverOptionError(
            f"solver option {name!r} must be a bool, int, float or str, got {value!r} "
            f"({type(value).__name__})"
        )
    return value


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
        [1e-2, 1e3] (see :func:`planner.solver.numerics.objective_scale`); results are unscaled.
    lp_method : {"auto", "simplex", "ipm"}
        LP algorithm for the ``highs`` and ``scipy`` backends (HiGHS's ``solver`` option;
        ``ipm`` runs the interior point method with crossover). Other backends ignore it.
    solver_options : dict of str to bool, int, float or str
        Raw options passed through to the solver by its own names, after (so overriding) the
        options above; default none. The scenario's ``[solver.options]`` table.

        * ``highs``: HiGHS options (``h.setOptionValue``), e.g. ``{"presolve": "off",
          "primal_feasibility_tolerance": 1e-9}``. An unknown name, or a value HiGHS
          refuses (wrong type, out of range), raises :class:`SolverOptionError` before solving.
          Also used by :func:`planner.solver.solve_decomposed` for every block and master LP.
        * ``scipy``: the ``options`` dict of ``linprog`` (method ``highs``, ``highs-ds`` or
          ``highs-ipm`` after ``lp_method``) or ``milp``; a name the method does not document
          raises :class:`SolverOptionError` before solving; scipy checks the values.
        * ``pulp``: for CBC (``PULP_CBC_CMD``, ``COIN_CMD``) each item becomes a ``"name
          value"`` string of the solver's ``options`` list (booleans as ``on``/``off``); CBC
          checks names and values only when it runs (an unknown one is reported in its log).
          For the other PuLP solvers the items are keyword arguments of the PuLP solver class
          (``pulp.getSolver(name, **solver_options)``); one the class refuses raises
          :class:`SolverOptionError`.
    progress : callable or None
        A reporter of the solve's progress: called with a
        :class:`~planner.solver.progress.ProgressUpdate` (elapsed time; incumbent, bound and
        gap of a MILP; iterations of an LP) from HiGHS's callbacks or CBC's log, as the solve
        runs (e.g. :class:`~planner.solver.progress.LiveLine`). Default none: the reporter of
        :func:`~planner.solver.progress.reporting`, if any. Not part of equality, hashing,
        :meth:`to_dict` or pickling (a worker process gets none).
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
    solver_options: dict[str, OptionValue] = field(default_factory=dict)
    progress: Callable[[Any], None] | None = field(default=None, compare=False, repr=False)

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
        raw = self.solver_options if self.solver_options is not None else {}
        if not isinstance(raw, Mapping):
            raise SolverOptionError(
                f"solver_options must be a mapping of option names to values, got {raw!r}"
            )
        checked: dict[str, OptionValue] = {}
        for name, value in raw.items():
            if not isinstance(name, str) or not name:
                raise SolverOptionError(f"solver option names must be strings, got {name!r}")
            checked[name] = _option_value(name, value)
        object.__setattr__(self, "solver_options", checked)  # a copy: later edits do not leak
        if self.progress is not None and not callable(self.progress):
            raise ValueError(f"progress must be callable or None, got {self.progress!r}")

    def __hash__(self) -> int:
        return hash(
            tuple(
                tuple(sorted(v.items())) if isinstance(v, dict) else v
                for v in (getattr(self, f.name) for f in fields(self) if f.compare)
            )
        )

    def __getstate__(self) -> dict[str, object]:
        """Pickled without the progress reporter (it draws on this process's terminal)."""
        return {**self.__dict__, "progress": None}

    def __setstate__(self, state: dict[str, object]) -> None:
        for k, v in state.items():
            object.__setattr__(self, k, v)

    def with_(self, **changes: object) -> SolveOptions:
        """A copy with some fields changed (names are checked)."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise TypeError(f"unknown solve option(s) {unknown}; known: {sorted(known)}")
        return replace(self, **changes)  # type: ignore[arg-type]

    def solver_options_text(self, solver: str) -> str:
        """A log line naming the raw ``solver_options`` given to ``solver`` ("" if none).

        Parameters
        ----------
        solver : str
            The backend or solver the options go to (for the log).

        Returns
        -------
        str
        """
        if not self.solver_options:
            return ""
        items = ", ".join(f"{k}={v!r}" for k, v in self.solver_options.items())
        return f"planner: solver_options passed to {solver}: {items}\n"

    def to_dict(self) -> dict[str, object]:
        """Plain dict (paths as strings) for manifests and summaries."""
        out: dict[str, object] = {}
        for f in fields(self):
            if f.name == "progress":
                continue
            v = getattr(self, f.name)
            out[f.name] = str(v) if isinstance(v, Path) else dict(v) if isinstance(v, dict) else v
        return out
