"""``solve(program, backend, options)``: the one entry point to every backend."""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import replace
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from formulations.program import Program, constant_rows_fail
from planner.solver import branch_bound, highs, pulp_backend, race, scipy_backend
from planner.solver.arrays import ProgramArrays
from planner.solver.numerics import numerics_text, objective_scale, program_numerics
from planner.solver.options import SolveOptions
from planner.solver.progress import active_reporter, scaled_reporter
from planner.solver.result import (
    BackendOutcome,
    InaccurateSolutionWarning,
    SolveError,
    SolveResult,
    SolverNotAvailableError,
    Status,
)

if TYPE_CHECKING:
    from planner.solver.result import WarmStart

__all__ = [
    "BACKENDS",
    "SolverSession",
    "assemble_result",
    "available_backends",
    "backend_module",
    "objective_scale",
    "solve",
]

BACKENDS: dict[str, ModuleType] = {
    "highs": highs,
    "scipy": scipy_backend,
    "pulp": pulp_backend,
    "auto": race,
    "branch_bound": branch_bound,
}


def available_backends() -> list[str]:
    """Names of the backends whose packages import on this machine."""
    return [name for name, mod in BACKENDS.items() if mod.available()]


def backend_module(name: str) -> ModuleType:
    try:
        mod = BACKENDS[name]
    except KeyError:
        raise ValueError(f"unknown backend {name!r}; choose one of {sorted(BACKENDS)}") from None
    if not mod.available():
        raise SolverNotAvailableError(
            f"backend {name!r} needs the package {mod.PACKAGE}, which does not import here: "
            f"pip install {mod.PACKAGE}"
        )
    return mod


class SolverSession:
    """Keeps a backend's loaded model between :func:`solve` calls on one program.

    Pass the same session to every re-solve of a program whose matrix stays the same (only
    right-hand sides, bounds or costs change, as along a frontier). With ``highs`` an LP is
    then updated in place and hot-starts from the previous basis and factorization, instead of
    being loaded and factorized again; a changed matrix reloads it. Backends without a
    persistent model (scipy, pulp) ignore the session.

    Examples
    --------
    >>> session = SolverSession()
    >>> for target in targets:  # doctest: +SKIP
    ...     model.set_dependency_target(target)
    ...     result = solve(model.program, "highs", session=session)
    """

    def __init__(self) -> None:
        self._states: dict[str, object] = {}

    def state(self, backend: str, mod: ModuleType) -> object | None:
        """The backend's persistent state (made on first use), or None if it has none."""
        factory = getattr(mod, "Session", None)
        if factory is None:
            return None
        if backend not in self._states:
            self._states[backend] = factory()
        return self._states[backend]

    def expect(self, program: Program, backend: str, options: SolveOptions | None = None) -> None:
        """Say that the next :func:`solve` of this session will be ``program`` as it is now
        (the next point of a frontier, say). A backend that can use it (``branch_bound``:
        the next root LP, solved beside the current search) takes a copy of its arrays;
        the others ignore it. Nothing changes if the next solve turns out to be another.
        """
        options = options or SolveOptions()
        state = self.state(backend, backend_module(backend))
        if state is not None and hasattr(state, "expect") and program.is_mip:
            state.expect(_solver_arrays(program, options)[1])

    @property
    def reloads(self) -> int:
        """Times a model was loaded from scratch (a measure of the reuse achieved)."""
        return sum(int(getattr(s, "reloads", 0)) for s in self._states.values())


def _solver_arrays(
    program: Program, options: SolveOptions
) -> tuple[ProgramArrays, ProgramArrays, float]:
    """The program's arrays, those a backend gets (the objective scaled) and the scale."""
    original = ProgramArrays.from_program(program)
    scale = objective_scale(original.c) if options.scale_objective else 1.0
    arrays = replace(original, c=original.c * scale, constant=original.constant * scale)
    return original, arrays, scale


def _nan_split(program: Program, n: int, by: str) -> dict[str, pd.Series]:
    return program.split(np.full(n, np.nan), by=by)


def _failing_empty_rows(program: Program, arrays: ProgramArrays, tol: float = 1e-9) -> list[str]:
    """Labels of rows without a non-zero whose right-hand side 0 cannot meet."""
    rows = np.flatnonzero(np.diff(arrays.a.indptr) == 0)
    bad = rows[constant_rows_fail(arrays.sense_codes[rows], arrays.rhs[rows], tol)]
    if not len(bad):
        return []
    owners = program.row_owner(bad)
    return [f"{f}[{lab!r}]" for f, lab in zip(owners.iloc[:, 0], owners.iloc[:, 1], strict=True)]


def _unscale(outcome: BackendOutcome, scale: float) -> BackendOutcome:
    if scale == 1.0:
        return outcome
    return replace(
        outcome,
        objective=outcome.objective / scale,
        best_bound=outcome.best_bound / scale,
        row_duals=None if outcome.row_duals is None else outcome.row_duals / scale,
    )


def solve(
    program: Program,
    backend: str = "highs",
    options: SolveOptions | None = None,
    start: WarmStart | None = None,
    session: SolverSession | None = None,
) -> SolveResult:
    """Solve a program and map the outcome back to its blocks and families.

    Parameters
    ----------
    program : formulations.program.Program
        The built program (users may have added families to it).
    backend : {"highs", "scipy", "pulp", "auto", "branch_bound"}
        ``highs`` passes the matrix to highspy; ``scipy`` uses scipy.optimize; ``pulp`` runs
        the PuLP solver named in ``options.pulp_solver``; ``auto`` races HiGHS and CBC on a
        MILP that HiGHS has not solved within a second (:mod:`planner.solver.race`);
        ``branch_bound`` searches a MILP over one loaded HiGHS LP relaxation, tiers before
        membership (:mod:`planner.solver.branch_bound`; an LP goes to HiGHS).
    options : SolveOptions, optional
        Time limit, MIP gap, threads, seed, log ... (defaults: :class:`SolveOptions`).
    start : WarmStart, optional
        From an earlier result of the same program (``result.warm_start()``), re-solved with
        other right-hand sides: HiGHS takes its point as a MILP incumbent or its basis as the
        LP's starting basis; ``branch_bound`` tries its point's integer part as a plan.
        Other backends solve from scratch.
    session : SolverSession, optional
        Keep the backend's model loaded for the next solve of this program
        (:class:`SolverSession`); with HiGHS an LP re-solve then hot-starts in place;
        ``branch_bound`` keeps its relaxation, root basis and earlier solutions.

    Returns
    -------
    SolveResult
        Always a result, whatever the outcome; check ``result.status`` or call
        ``result.raise_for_status()``.

    Raises
    ------
    SolverNotAvailableError
        The backend or PuLP solver is not installed (the message names the package).
    ValueError
        Unknown backend name.

    Warns
    -----
    InaccurateSolutionWarning
        The returned point violates a row or bound by more than ``options.feasibility_tol``
        (relative to ``1 + |rhs|``); with ``options.strict`` this raises :class:`SolveError`.
    """
    options = options or SolveOptions()
    mod = backend_module(backend)
    linking = program.metadata.get("decompose")
    if linking is not None and not program.is_mip:
        return _solve_decomposed(program, backend, list(linking), options)
    original, arrays, scale = _solver_arrays(program, options)
    numerics = program_numerics(program, scale)
    t0 = time.perf_counter()
    empty = _failing_empty_rows(program, original)
    if empty:
        # a row without variables that cannot hold: infeasible whatever the solver says (HiGHS
        # skips an empty model's rows; diagnose() can name the row)
        outcome = BackendOutcome(
            Status.INFEASIBLE,
            f"row(s) without variables cannot hold: {', '.join(empty[:3])}",
            "planner",
            "",
            log=f"infeasible before solving: constant row(s) {empty}\n",
        )
    elif original.n_cols == 0 and backend != "highs":
        # no variables and every row holds at 0: optimal at the constant (scipy refuses an
        # empty cost vector and CBC crashes on rows without columns; HiGHS solves it itself,
        # checking its options as for any program)
        outcome = BackendOutcome(
            Status.OPTIMAL,
            "no variables: every row holds at 0",
            "planner",
            "",
            x=np.zeros(0),
            objective=float(arrays.constant),
            best_bound=float(arrays.constant),
            gap=0.0,
            row_duals=np.zeros(arrays.n_rows),
            log="optimal before solving: the program has no variables\n",
        )
        outcome = _unscale(outcome, scale)
    else:
        # HiGHS takes the start (auto: its HiGHS racer; branch_bound: as a plan)
        in_memory = ("highs", "auto", "branch_bound")
        warm = (
            start
            if start is not None and backend in in_memory and start.backend in in_memory
            else None
        )
        state = session.state(backend, mod) if session is not None else None
        kwargs: dict[str, object] = {}
        if warm is not None:
            kwargs["start"] = warm
        if state is not None:
            kwargs["session"] = state
        # progress in the program's terms (the backend solves the scaled objective)
        reporter = scaled_reporter(active_reporter(options.progress), scale)
        raw = mod.solve(arrays, options.with_(progress=reporter), **kwargs)
        outcome = _unscale(raw, scale)
    outcome = replace(
        outcome, log=numerics_text(numerics) + options.solver_options_text(backend) + outcome.log
    )
    t_solve = time.perf_counter() - t0
    timings = {"build": float(program.build_seconds), "solve": t_solve, "duals": 0.0}

    row_duals = outcome.row_duals
    duals_kind = "lp" if row_duals is not None and not arrays.is_mip else "none"
    log = outcome.log
    if arrays.is_mip and outcome.status.has_solution and options.fixed_milp_duals:
        t1 = time.perf_counter()
        dual_mod, dual_options = _fixed_lp_solver(mod, options)
        fixed = _unscale(dual_mod.solve(arrays.with_integers_fixed(outcome.x), dual_options), scale)
        timings["duals"] = time.perf_counter() - t1
        if fixed.status is Status.OPTIMAL and fixed.row_duals is not None:
            row_duals, duals_kind = fixed.row_duals, "fixed_milp"
        log += (
            f"\n--- LP with integers fixed, for duals ({dual_mod.__name__.rsplit('.', 1)[-1]}): "
            f"{fixed.status.value} ---\n"
        )

    return assemble_result(
        program,
        original,
        replace(outcome, row_duals=row_duals, log=log),
        backend=backend,
        options=options,
        timings=timings,
        numerics=numerics,
        duals_kind=duals_kind,
    )


def _solve_decomposed(
    program: Program, backend: str, linking: list[str], options: SolveOptions
) -> SolveResult:
    """``program.metadata["decompose"]`` (``solver.decompose``): Dantzig-Wolfe with HiGHS over
    the blocks the ``linking`` families couple, whatever ``backend`` was asked."""
    from planner.solver.decompose import solve_decomposed  # it imports this module

    result = solve_decomposed(program, linking, options)
    note = f"solver.decompose: Dantzig-Wolfe (HiGHS) linked by {', '.join(linking) or 'nothing'}"
    if backend != "highs":
        note += f"; backend {backend!r} not used"
    result.log = f"{note}\n{result.log}"
    return result


def _fixed_lp_solver(mod: ModuleType, options: SolveOptions) -> tuple[ModuleType, SolveOptions]:
    """The solver of the LP with integers fixed (the MILP's duals): HiGHS in memory whenever
    it is installed, whatever the MILP's backend (an LP: a fraction of a second, where CBC
    through files took seconds and dropped the duals), else the MILP's own backend. The MILP
    backend's raw options are not HiGHS's, so they stay with the MILP."""
    if mod is not highs and highs.available():
        return highs, options.with_(time_limit=None, solver_options={}, progress=None)
    return mod, options.with_(time_limit=None, progress=None)


def assemble_result(
    program: Program,
    original: ProgramArrays,
    outcome: BackendOutcome,
    *,
    backend: str,
    options: SolveOptions,
    timings: dict[str, float],
    numerics: dict,
    duals_kind: str | None = None,
    is_mip: bool | None = None,
) -> SolveResult:
    """Map a backend's outcome (unscaled) back to the program's blocks and families, check the
    point against every row and bound, and warn (or raise, in strict mode) if it violates one;
    write the log to ``options.log_file`` if one is set.

    ``duals_kind`` defaults to ``"lp"`` when the outcome has row duals and the program is an
    LP, else ``"none"``; ``is_mip`` defaults to ``original.is_mip``.
    """
    is_mip = original.is_mip if is_mip is None else is_mip
    row_duals = outcome.row_duals
    if duals_kind is None:
        duals_kind = "lp" if row_duals is not None and not is_mip else "none"
    log = outcome.log
    if options.log_file is not None:
        options.log_file.parent.mkdir(parents=True, exist_ok=True)
        options.log_file.write_text(log)

    n, m = program.n_variables, program.n_constraints
    if outcome.status.has_solution and outcome.x is not None:
        x = outcome.x
        values = program.split(x, by="blocks")
        violations = program.violations(x)
        max_rel = float(violations["max_relative"].max()) if len(violations) else 0.0
        max_violation = float(violations["max_violation"].max()) if len(violations) else 0.0
    else:
        x = np.zeros(0)
        values = _nan_split(program, n, "blocks")
        violations = pd.DataFrame(columns=["kind", "max_violation", "max_relative", "worst_label"])
        max_rel = max_violation = math.nan
    numerics.update(max_violation=max_violation, max_relative_violation=max_rel)

    if row_duals is not None:
        duals = program.split(row_duals, by="families")
        reduced = program.split(original.c - original.a.T @ row_duals, by="blocks")
    else:
        duals = _nan_split(program, m, "families")
        reduced = _nan_split(program, n, "blocks")

    result = SolveResult(  # what the solver reported, side by side with what we derived
        status=outcome.status,
        backend=backend,
        solver_status=outcome.solver_status,
        options=options,
        solver_name=outcome.solver_name,
        timings=timings,
        solver_version=outcome.solver_version,
        is_mip=is_mip,
        objective=outcome.objective if outcome.status.has_solution else math.nan,
        x=x,
        best_bound=outcome.best_bound,
        gap=outcome.gap,
        basis=outcome.basis,
        values=values,
        duals=duals,
        reduced_costs=reduced,
        duals_kind=duals_kind,
        log=log,
        violations=violations,
        max_violation=max_violation,
        numerics=numerics,
    )
    if outcome.status.has_solution and max_rel > options.feasibility_tol:
        at = int(np.argmax(violations["max_relative"].to_numpy()))  # by position: a block
        worst, row = violations.index[at], violations.iloc[at]  # may be named twice
        msg = (
            f"{outcome.solver_name} returned a point that violates {row['kind']} {worst!r} by "
            f"{row['max_violation']:.3g} (relative {row['max_relative']:.3g}) at "
            f"{row['worst_label']!r}; tolerance {options.feasibility_tol:g}"
        )
        if options.strict:
            raise SolveError(msg)
        warnings.warn(msg, InaccurateSolutionWarning, stacklevel=3)
    return result
