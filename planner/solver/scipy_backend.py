"""scipy.optimize: ``linprog`` for LPs (with duals) and ``milp`` for MILPs (HiGHS inside scipy).

No dependency beyond scipy. scipy exposes neither a thread count nor a random seed nor the
log text; those options are recorded in the log as not applied.
"""

from __future__ import annotations

import math

import numpy as np
import scipy
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from planner.solver.arrays import ProgramArrays
from planner.solver.options import SolveOptions, SolverOptionError
from planner.solver.result import BackendOutcome, Status

NAME = "scipy"


PACKAGE = "scipy"  # what to install for this backend


def available() -> bool:
    """scipy is a core dependency: always available."""
    return True


_COMMON = {"disp", "presolve", "time_limit"}
_LP = _COMMON | {"maxiter", "dual_feasibility_tolerance", "primal_feasibility_tolerance"}
# the documented options of each scipy routine (scipy.optimize.show_options)
SCIPY_OPTIONS: dict[str, frozenset[str]] = {
    "highs": frozenset(
        _LP | {"ipm_optimality_tolerance", "simplex_dual_edge_weight_strategy", "mip_rel_gap"}
    ),
    "highs-ds": frozenset(_LP | {"simplex_dual_edge_weight_strategy"}),
    "highs-ipm": frozenset(_LP | {"ipm_optimality_tolerance"}),
    "milp": frozenset(_COMMON | {"node_limit", "mip_rel_gap"}),
}
"""Option names each routine takes in ``SolveOptions.solver_options`` (``linprog`` by method)."""


def _with_raw(
    opts: dict[str, object], options: SolveOptions, routine: str
) -> tuple[dict[str, object], str]:
    """``opts`` updated with ``options.solver_options``, whose names ``routine`` must know.

    An LP routine leaves out (with a note for the log) the options only ``milp`` documents,
    so that one set of options serves a MILP and the LP of its fixed-integer duals.
    """
    raw = options.solver_options
    known = SCIPY_OPTIONS[routine]
    skipped = [] if routine == "milp" else sorted((set(raw) - known) & SCIPY_OPTIONS["milp"])
    unknown = sorted(set(raw) - known - set(skipped))
    if unknown:
        what = "milp" if routine == "milp" else f"linprog(method={routine!r})"
        raise SolverOptionError(
            f"scipy's {what} has no option {', '.join(map(repr, unknown))} (solver_options of "
            f"backend 'scipy'); it takes {sorted(known)}"
        )
    note = f"scipy backend: MILP options not applied to an LP: {skipped}\n" if skipped else ""
    return {**opts, **{k: v for k, v in raw.items() if k not in skipped}}, note


def _notes(options: SolveOptions) -> str:
    ignored = []
    if options.threads is not None:
        ignored.append(f"threads={options.threads}")
    if options.random_seed:
        ignored.append(f"random_seed={options.random_seed}")
    return f"scipy backend: options not applied by scipy: {', '.join(ignored)}\n" if ignored else ""


def solve(arrays: ProgramArrays, options: SolveOptions) -> BackendOutcome:
    """Solve ``arrays`` with scipy (linprog for LPs, milp for MILPs)."""
    if arrays.is_mip:
        return _solve_milp(arrays, options)
    return _solve_lp(arrays, options)


def _solve_lp(arrays: ProgramArrays, options: SolveOptions) -> BackendOutcome:
    sign = -1.0 if arrays.maximize else 1.0
    codes = arrays.sense_codes
    le, ge, eq = codes < 0, codes > 0, codes == 0
    ub_rows = np.flatnonzero(le | ge)
    flip = np.where(ge[ub_rows], -1.0, 1.0)  # a >= row is written as -a x <= -b
    a = arrays.a
    a_ub = a[ub_rows].multiply(flip[:, None]).tocsr() if len(ub_rows) else None
    b_ub = arrays.rhs[ub_rows] * flip if len(ub_rows) else None
    eq_rows = np.flatnonzero(eq)
    a_eq = a[eq_rows] if len(eq_rows) else None
    b_eq = arrays.rhs[eq_rows] if len(eq_rows) else None
    lp_opts: dict[str, object] = {"disp": bool(options.verbose), "presolve": True}
    if options.time_limit is not None:
        lp_opts["time_limit"] = float(options.time_limit)
    method = {"auto": "highs", "simplex": "highs-ds", "ipm": "highs-ipm"}[options.lp_method]
    lp_opts, note = _with_raw(lp_opts, options, method)
    res = linprog(
        sign * arrays.c,
        A_ub=a_ub,
        b_ub=b_ub,
        A_eq=a_eq,
        b_eq=b_eq,
        bounds=np.column_stack([arrays.col_lower, arrays.col_upper]),
        method=method,
        options=lp_opts,
    )
    has_x = res.x is not None
    out = _outcome(res, "linprog", options, feasible=has_x and _feasible(arrays, res.x))
    out.log = note + out.log
    if out.status.has_solution:
        out.x = np.asarray(res.x, dtype=float)
        out.objective = arrays.objective_value(out.x)
    if out.status is Status.OPTIMAL:
        out.best_bound, out.gap = out.objective, 0.0
        duals = np.zeros(arrays.n_rows)
        if len(ub_rows):
            duals[ub_rows] = np.asarray(res.ineqlin.marginals) * flip
        if len(eq_rows):
            duals[eq_rows] = np.asarray(res.eqlin.marginals)
        out.row_duals = sign * duals
    return out


def _outcome(res, routine: str, options: SolveOptions, feasible: bool) -> BackendOutcome:
    """Map scipy's status codes (0 optimal, 1 limit, 2 infeasible, 3 unbounded, 4 other)."""
    status = {0: Status.OPTIMAL, 2: Status.INFEASIBLE, 3: Status.UNBOUNDED}.get(
        res.status, Status.ERROR
    )
    if res.status == 0 and res.x is None:
        status = Status.ERROR
    elif res.status == 1:
        status = Status.TIME_LIMIT_FEASIBLE if feasible else Status.TIME_LIMIT_NO_SOLUTION
    return BackendOutcome(
        status,
        f"{res.status}: {res.message}",
        f"scipy.optimize.{routine} (HiGHS)",
        scipy.__version__,
        log=_notes(options) + f"{routine}: {res.message}\n",
    )


def _feasible(arrays: ProgramArrays, x: np.ndarray, tol: float = 1e-6) -> bool:
    act = arrays.a @ x
    lo, up = arrays.row_bounds()
    return bool(
        np.all(act >= lo - tol)
        and np.all(act <= up + tol)
        and np.all(x >= arrays.col_lower - tol)
        and np.all(x <= arrays.col_upper + tol)
    )


def _solve_milp(arrays: ProgramArrays, options: SolveOptions) -> BackendOutcome:
    sign = -1.0 if arrays.maximize else 1.0
    lo, up = arrays.row_bounds()
    constraints = [LinearConstraint(arrays.a, lo, up)] if arrays.n_rows else []
    opts: dict[str, object] = {"disp": bool(options.verbose), "mip_rel_gap": options.mip_gap}
    if options.time_limit is not None:
        opts["time_limit"] = float(options.time_limit)
    opts, _ = _with_raw(opts, options, "milp")
    res = milp(
        sign * arrays.c,
        integrality=arrays.integrality.astype(np.uint8),
        bounds=Bounds(arrays.col_lower, arrays.col_upper),
        constraints=constraints,
        options=opts,
    )
    out = _outcome(res, "milp", options, feasible=res.x is not None)
    if out.status.has_solution:
        out.x = np.asarray(res.x, dtype=float)
        out.objective = arrays.objective_value(out.x)
        bound = getattr(res, "mip_dual_bound", None)
        if bound is not None and math.isfinite(bound):
            out.best_bound = sign * float(bound) + arrays.constant
        gap = getattr(res, "mip_gap", None)
        if gap is not None and math.isfinite(gap):
            out.gap = float(gap)
    return out
