"""Any solver PuLP can drive (CBC, HiGHS, Gurobi, CPLEX, Xpress, SCIP, GLPK ...).

The program is converted in bulk through PuLP's own dataclass route
(:meth:`pulp.LpProblem.fromDataclass`), one coefficient list per CSR row, rather than by
``lpSum`` over Python loops. ``"PULP_CBC_CMD"`` (deprecated in PuLP 3.3.2) is served by
``COIN_CMD`` with the CBC that ``pulp[cbc]`` installs (cbcbox) when it is there.
"""

from __future__ import annotations

import contextlib
import math
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from planner.solver.arrays import ProgramArrays
from planner.solver.options import OptionValue, SolveOptions, SolverOptionError
from planner.solver.progress import (
    CbcLogFollower,
    ProgressUpdate,
    parse_cbc_result,
    relative_gap,
    send,
)
from planner.solver.result import (
    BackendOutcome,
    SolverNotAvailableError,
    Status,
    import_solver_package,
    solver_package_available,
)

NAME = "pulp"

# What to install for each PuLP solver name (for the "missing solver" message).
_PACKAGE_HINT = {
    "PULP_CBC_CMD": "pulp[cbc] (pip install 'pulp[cbc]')",
    "COIN_CMD": "pulp[cbc] (pip install 'pulp[cbc]') or a cbc binary on PATH",
    "HiGHS": "highspy (pip install highspy)",
    "HiGHS_CMD": "a highs binary on PATH",
    "GUROBI": "gurobipy (pip install gurobipy) and a Gurobi licence",
    "GUROBI_CMD": "a gurobi_cl binary on PATH and a Gurobi licence",
    "CPLEX_PY": "cplex (pip install cplex) and a CPLEX licence",
    "CPLEX_CMD": "a cplex binary on PATH and a CPLEX licence",
    "XPRESS_PY": "xpress (pip install xpress) and a licence",
    "XPRESS": "an optimizer binary on PATH and an Xpress licence",
    "SCIP_CMD": "a scip binary on PATH",
    "SCIP_PY": "pyscipopt (pip install pyscipopt)",
    "GLPK_CMD": "glpsol on PATH (Debian: apt-get install glpk-utils)",
    "MOSEK": "mosek (pip install mosek) and a licence",
}


PACKAGE = "pulp"  # what to install for this backend


def _import_pulp():
    return import_solver_package(PACKAGE, NAME)


def available() -> bool:
    """True when pulp is installed (each PuLP solver is checked when asked for)."""
    return solver_package_available(PACKAGE)


def _cbc_binary() -> str | None:
    """The cbc executable installed by ``pulp[cbc]`` (cbcbox), else one on PATH."""
    with contextlib.suppress(Exception):
        import cbcbox

        exe = (
            Path(cbcbox.cbc_dist_dir()) / "bin" / ("cbc.exe" if sys.platform == "win32" else "cbc")
        )
        if exe.exists():
            return str(exe)
    beside = Path(sys.executable).parent / "cbc"
    if beside.exists():
        return str(beside)
    return shutil.which("cbc")


def _make_solver(pulp, name: str, arrays: ProgramArrays, options: SolveOptions, log_path: Path):
    known = set(pulp.listSolvers())
    if name not in known:
        raise SolverNotAvailableError(
            f"PuLP has no solver called {name!r}; PuLP's solvers: {sorted(known)}"
        )
    kwargs: dict[str, object] = {"msg": bool(options.verbose)}
    if options.time_limit is not None:
        kwargs["timeLimit"] = float(options.time_limit)
    if arrays.is_mip:
        kwargs["gapRel"] = float(options.mip_gap)
    if options.threads is not None:
        kwargs["threads"] = int(options.threads)
    if name in ("PULP_CBC_CMD", "COIN_CMD"):
        kwargs["options"] = [f"randomCbcSeed {max(int(options.random_seed), 1)}"] + [
            f"{k} {_cbc_value(v)}" for k, v in options.solver_options.items()
        ]
        kwargs["mip"] = arrays.is_mip  # an LP through "-solve" comes back with presolved duals
        kwargs["logPath"] = str(log_path)
        kwargs["msg"] = False  # PuLP sends CBC's output to logPath instead
        cbc = _cbc_binary()
        if cbc is not None:
            return pulp.COIN_CMD(path=cbc, **kwargs), f"COIN_CMD ({cbc})"
        if name == "COIN_CMD":
            raise SolverNotAvailableError(
                f"PuLP solver COIN_CMD is not available: install {_PACKAGE_HINT['COIN_CMD']}"
            )
        with warnings.catch_warnings():  # the bundled CBC, deprecated in PuLP 3.3.2
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", FutureWarning)
            solver = pulp.PULP_CBC_CMD(**kwargs)
        return solver, "PULP_CBC_CMD (bundled CBC)"
    kwargs.update(options.solver_options)
    try:
        solver = pulp.getSolver(name, **kwargs)
    except TypeError:
        if "threads" not in options.solver_options:
            kwargs.pop("threads", None)
        try:
            solver = pulp.getSolver(name, **kwargs)
        except TypeError as exc:
            if not options.solver_options:
                raise
            raise SolverOptionError(
                f"PuLP solver {name} (backend 'pulp') refuses the solver_options "
                f"{sorted(options.solver_options)}: {exc}"
            ) from None
    return solver, name


def _cbc_value(value: OptionValue) -> str:
    """A raw option's value as CBC's command line takes it (booleans as on/off)."""
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def _to_pulp(pulp, arrays: ProgramArrays):
    """Build the PuLP problem through PuLP's dataclass route, in bulk."""
    from pulp import mps_lp as mpslp

    names = [f"x{j}" for j in range(arrays.n_cols)]
    cat = np.where(arrays.integrality.astype(bool), pulp.LpInteger, pulp.LpContinuous)
    lo = [None if math.isinf(v) else float(v) for v in arrays.col_lower]
    up = [None if math.isinf(v) else float(v) for v in arrays.col_upper]
    variables = [
        mpslp.MPSVariable(n, str(k), lb, ub)
        for n, k, lb, ub in zip(names, cat, lo, up, strict=True)
    ]
    c = -arrays.c if arrays.maximize else arrays.c
    nz = np.flatnonzero(c)
    objective = mpslp.MPSObjective(
        "objective", [mpslp.MPSCoefficient(names[j], float(c[j])) for j in nz]
    )
    sense_map = {-1: pulp.LpConstraintLE, 0: pulp.LpConstraintEQ, 1: pulp.LpConstraintGE}
    a = arrays.a
    constraints = []
    for i in range(arrays.n_rows):
        s, e = a.indptr[i], a.indptr[i + 1]
        coefs = [
            mpslp.MPSCoefficient(names[j], float(v))
            for j, v in zip(a.indices[s:e], a.data[s:e], strict=True)
        ]
        constraints.append(
            mpslp.MPSConstraint(
                f"r{i}",
                sense_map[int(arrays.sense_codes[i])],
                coefs,
                constant=-float(arrays.rhs[i]),
            )
        )
    # PuLP's solvers disagree on the sign of duals for maximization; they agree for
    # minimization, so PuLP always gets a minimization (the caller negates c for a max).
    params = mpslp.MPSParameters(arrays.name.replace(" ", "_") or "program", pulp.LpMinimize, 0, 0)
    mps = mpslp.MPS(params, objective, variables, constraints, [], [])
    var, prob = pulp.LpProblem.fromDataclass(mps)
    return (
        [var[n] for n in names],
        [prob.get_constraint_by_name(f"r{i}") for i in range(arrays.n_rows)],
        prob,
    )


def _quiet_highs_banner() -> None:
    """HiGHS prints its banner when a process makes its first ``Highs()``; PuLP's HiGHS solver
    would make that one on stdout, so make it here first, with stdout silenced."""
    from planner.solver import highs

    if highs.available():
        highs.new_highs(highs.import_highspy(), quiet=True)


def solve(arrays: ProgramArrays, options: SolveOptions) -> BackendOutcome:
    """Solve ``arrays`` with the PuLP solver named in ``options.pulp_solver``."""
    pulp = _import_pulp()
    with tempfile.TemporaryDirectory(prefix="planner-pulp-") as tmp:
        log_path = Path(tmp) / "solver.log"
        solver, label = _make_solver(pulp, options.pulp_solver, arrays, options, log_path)
        if not solver.available():
            hint = _PACKAGE_HINT.get(options.pulp_solver, "the solver")
            raise SolverNotAvailableError(
                f"PuLP solver {options.pulp_solver} is not available: install {hint}"
            )
        if options.pulp_solver == "HiGHS" and not options.verbose:
            _quiet_highs_banner()
        variables, rows, prob = _to_pulp(pulp, arrays)
        version = f"pulp {pulp.__version__}"
        t0 = time.monotonic()
        try:
            with _follow_log(label, log_path, arrays, options):
                prob.solve(solver)
        except pulp.PulpSolverError as exc:
            log = log_path.read_text(errors="replace") if log_path.exists() else ""
            return BackendOutcome(Status.ERROR, f"PulpSolverError: {exc}", label, version, log=log)
        log = log_path.read_text(errors="replace") if log_path.exists() else ""
    code, sol = int(prob.status), int(prob.sol_status)
    text = f"status={pulp.LpStatus.get(code, code)}, sol_status={pulp.LpSolution.get(sol, sol)}"
    if sol == pulp.LpSolutionOptimal and code == pulp.LpStatusOptimal:
        status = Status.OPTIMAL
    elif sol == pulp.LpSolutionIntegerFeasible:
        # PuLP says "Optimal" here, but the solver stopped at a limit with an incumbent.
        status = Status.TIME_LIMIT_FEASIBLE
    elif sol == pulp.LpSolutionInfeasible or code == pulp.LpStatusInfeasible:
        status = Status.INFEASIBLE
    elif sol == pulp.LpSolutionUnbounded or code == pulp.LpStatusUnbounded:
        status = Status.UNBOUNDED
    elif (
        code == pulp.LpStatusUndefined
        and label.startswith("COIN_CMD")
        and _cbc_proved_infeasible(log)
    ):
        # cbcbox's CBC proves infeasibility by bound propagation and then writes
        # "Status unknown" to the solution file; its log says what it proved.
        status = Status.INFEASIBLE
    elif code == pulp.LpStatusNotSolved and options.time_limit is not None:
        status = Status.TIME_LIMIT_NO_SOLUTION
    else:
        status = Status.ERROR
    out = BackendOutcome(status, text, label, version, log=log)
    if status.has_solution:
        vals = np.array([np.nan if v.varValue is None else v.varValue for v in variables], float)
        # Variables in no row and not in the objective are unknown to the solver: any value
        # in their bounds is optimal; take the bound nearest zero.
        missing = np.isnan(vals)
        vals[missing] = np.clip(0.0, arrays.col_lower[missing], arrays.col_upper[missing])
        out.x = vals
        out.objective = arrays.objective_value(vals)
        if arrays.is_mip and label.startswith(("COIN_CMD", "PULP_CBC_CMD")):
            out.best_bound, out.gap = _cbc_bound(log, arrays, out.objective)
        if not arrays.is_mip and status is Status.OPTIMAL:
            out.best_bound, out.gap = out.objective, 0.0
            pis = np.array([np.nan if r.pi is None else r.pi for r in rows], dtype=float)
            if not np.isnan(pis).any():
                duals, note = _repair_duals(arrays, vals, pis)
                out.log += note
                if duals is not None:
                    out.row_duals = -duals if arrays.maximize else duals
    _report_final(options, out, arrays.is_mip, time.monotonic() - t0)
    return out


def _report_final(options: SolveOptions, out: BackendOutcome, is_mip: bool, elapsed: float) -> None:
    """The solve's outcome as its last progress update (any PuLP solver)."""
    if options.progress is None:
        return
    update = ProgressUpdate(
        elapsed,
        "mip" if is_mip else "lp",
        out.objective if out.status.has_solution else math.nan,
        out.best_bound if is_mip else math.nan,
        out.gap if is_mip else math.nan,
        solver=options.pulp_solver.removesuffix("_CMD").removeprefix("PULP_"),
        final=True,
    )
    send(options.progress, update)


def _to_program_terms(arrays: ProgramArrays) -> Callable[[float], float]:
    """CBC's objective (a minimisation without the constant) in the program's terms."""
    sign = -1.0 if arrays.maximize else 1.0
    return lambda v: sign * v + arrays.constant


def _follow_log(
    label: str, log_path: Path, arrays: ProgramArrays, options: SolveOptions
) -> contextlib.AbstractContextManager:
    """While CBC runs, follow its log file and send its progress to ``options.progress`` in
    the program's terms (a no-op without a reporter or for other PuLP solvers)."""
    reporter = options.progress
    if reporter is None or not label.startswith(("COIN_CMD", "PULP_CBC_CMD")):
        return contextlib.nullcontext()
    terms = _to_program_terms(arrays)

    def convert(u: ProgressUpdate) -> ProgressUpdate:
        objective, bound = terms(u.objective), terms(u.bound)
        if u.kind == "mip":
            return replace(u, objective=objective, bound=bound, gap=relative_gap(objective, bound))
        return replace(u, objective=objective)

    return CbcLogFollower(log_path, reporter, convert, mip=arrays.is_mip)


def _cbc_bound(log: str, arrays: ProgramArrays, objective: float) -> tuple[float, float]:
    """The best bound and relative gap of a CBC MILP, read back from its log
    (:func:`~planner.solver.progress.parse_cbc_result`) in the program's terms; NaN when the
    log does not state them. A completed search's bound is the objective itself."""
    cbc_objective, cbc_bound = parse_cbc_result(log)
    if not math.isfinite(cbc_bound):
        return math.nan, math.nan
    bound = _to_program_terms(arrays)(cbc_bound)
    if math.isfinite(cbc_objective) and cbc_objective == cbc_bound:
        bound = objective  # "optimal": the bound is the incumbent (no rounding of the log)
    # a bound on the wrong side of the incumbent (printing rounds it) is the incumbent
    if (bound < objective) if arrays.maximize else (bound > objective):
        bound = objective
    return bound, relative_gap(objective, bound)


def _cbc_proved_infeasible(log: str) -> bool:
    text = log.lower()
    return "infeasibility proved" in text or "problem is infeasible" in text


def _repair_duals(
    arrays: ProgramArrays, x: np.ndarray, y: np.ndarray, tol: float = 1e-7
) -> tuple[np.ndarray | None, str]:
    """Check (and where possible repair) LP duals of the *minimization* PuLP solved.

    Some CBC builds turn singleton rows into variable bounds before the LP, even with
    presolve off; the row's dual then shows up as the column's reduced cost. Moving it back
    to the active singleton row restores the duals of the model as written. Duals that still
    fail dual feasibility are dropped (None) with a note for the log.
    """
    c = -arrays.c if arrays.maximize else arrays.c
    a = arrays.a
    y = y.copy()
    rc = c - a.T @ y
    scale = 1.0 + np.abs(c)
    lo, up = arrays.col_lower, arrays.col_upper
    at_lo = np.isfinite(lo) & (np.abs(x - lo) <= tol * (1 + np.abs(np.nan_to_num(lo))))
    at_up = np.isfinite(up) & (np.abs(x - up) <= tol * (1 + np.abs(np.nan_to_num(up))))
    interior = ~(at_lo | at_up) & (np.abs(rc) > tol * scale)
    note = ""
    if interior.any():
        row_nnz = np.diff(a.indptr)
        act = a @ x
        active = np.abs(act - arrays.rhs) <= tol * (1 + np.abs(arrays.rhs))
        singles = np.flatnonzero((row_nnz == 1) & active)
        cols = a.indices[a.indptr[singles]]
        coef = a.data[a.indptr[singles]]
        # one active singleton row per interior column takes back that column's reduced cost
        hit = interior[cols]
        cols_hit, first = np.unique(cols[hit], return_index=True)
        rows_hit = singles[hit][first]
        y[rows_hit] += rc[cols_hit] / coef[hit][first]
        moved = len(rows_hit)
        rc = c - a.T @ y
        note = f"pulp backend: moved {moved} dual(s) from tightened bounds back to singleton rows\n"
    codes = arrays.sense_codes
    ok_rows = np.all(y[codes < 0] <= tol) and np.all(y[codes > 0] >= -tol)
    ok_cols = np.all(np.abs(rc[~(at_lo | at_up)]) <= 1e-6 * scale[~(at_lo | at_up)])
    ok_cols &= np.all(rc[at_lo & ~at_up] >= -1e-6 * scale[at_lo & ~at_up])
    ok_cols &= np.all(rc[at_up & ~at_lo] <= 1e-6 * scale[at_up & ~at_lo])
    if not (ok_rows and ok_cols):
        return None, note + "pulp backend: the solver's duals fail dual feasibility; not reported\n"
    return y, note
