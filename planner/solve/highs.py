"""HiGHS through highspy: the sparse matrix is passed to the solver directly."""

from __future__ import annotations

import math
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

from planner.solve.arrays import ProgramArrays
from planner.solve.options import SolveOptions
from planner.solve.result import BackendOutcome, SolverNotAvailableError, Status, WarmStart

NAME = "highs"


def _import_highspy():
    try:
        import highspy
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise SolverNotAvailableError(
            "backend 'highs' needs the package highspy: pip install highspy"
        ) from exc
    return highspy


PACKAGE = "highspy"  # what to install for this backend


def available() -> bool:
    """True when highspy imports."""
    try:
        _import_highspy()
    except SolverNotAvailableError:
        return False
    return True


def _new_highs(hs, quiet: bool):
    """A Highs object; HiGHS prints a banner to stdout when the first one is made, so the
    process's stdout is pointed at /dev/null for that moment unless the user asked for logs."""
    if not quiet:
        return hs.Highs()
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            return hs.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _limit_codes(hs) -> set:
    m = hs.HighsModelStatus
    names = [
        "kTimeLimit",
        "kIterationLimit",
        "kSolutionLimit",
        "kInterrupt",
        "kHighsInterrupt",
        "kObjectiveBound",
        "kObjectiveTarget",
    ]
    return {getattr(m, n) for n in names if hasattr(m, n)}


def _build(hs, arrays: ProgramArrays):
    lp = hs.HighsLp()
    lp.num_col_ = arrays.n_cols
    lp.num_row_ = arrays.n_rows
    lp.col_cost_ = arrays.c
    lp.col_lower_ = arrays.col_lower
    lp.col_upper_ = arrays.col_upper
    lo, up = arrays.row_bounds()
    lp.row_lower_ = lo
    lp.row_upper_ = up
    csc = arrays.a.tocsc()
    lp.a_matrix_.format_ = hs.MatrixFormat.kColwise
    lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
    lp.a_matrix_.index_ = csc.indices.astype(np.int32)
    lp.a_matrix_.value_ = csc.data
    lp.sense_ = hs.ObjSense.kMaximize if arrays.maximize else hs.ObjSense.kMinimize
    # the constant goes in too, so that HiGHS's relative MIP gap is that of the true objective
    lp.offset_ = float(arrays.constant)
    if arrays.is_mip:
        lp.integrality_ = [
            hs.HighsVarType.kInteger if v else hs.HighsVarType.kContinuous
            for v in arrays.integrality
        ]
    return lp


def _set(h, name: str, value: object) -> None:
    status = h.setOptionValue(name, value)
    if str(status).endswith("kError"):
        raise ValueError(f"HiGHS rejected option {name}={value!r}")


def solve(
    arrays: ProgramArrays,
    options: SolveOptions,
    presolve: bool = True,
    start: WarmStart | None = None,
) -> BackendOutcome:
    """Solve ``arrays`` with HiGHS and map its status and solution.

    ``start``: a MILP gets ``start.x`` as its first incumbent (HiGHS checks it); an LP starts
    its simplex from ``start.basis`` (a basis of the same program with other bounds).
    """
    hs = _import_highspy()
    h = _new_highs(hs, quiet=not options.verbose)
    version = f"{h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}"
    with tempfile.TemporaryDirectory(prefix="planner-highs-") as tmp:
        log_path = Path(tmp) / "highs.log"
        _set(h, "output_flag", True)
        _set(h, "log_to_console", bool(options.verbose))
        _set(h, "log_file", str(log_path))
        if options.time_limit is not None:
            _set(h, "time_limit", float(options.time_limit))
        _set(h, "mip_rel_gap", float(options.mip_gap))
        if options.threads is not None:
            _set(h, "threads", int(options.threads))
        _set(h, "random_seed", int(options.random_seed))
        if not presolve:
            _set(h, "presolve", "off")
        if options.lp_method != "auto" and not arrays.is_mip:
            _set(h, "solver", {"simplex": "simplex", "ipm": "ipm"}[options.lp_method])
        if arrays.n_cols == 0:
            return BackendOutcome(
                Status.OPTIMAL,
                "empty model",
                "HiGHS",
                version,
                x=np.zeros(0),
                objective=arrays.constant,
                best_bound=arrays.constant,
                gap=0.0,
                row_duals=np.zeros(arrays.n_rows),
            )
        h.passModel(_build(hs, arrays))
        if start is not None:
            _warm(hs, h, arrays, start)
        h.run()
        model_status = h.getModelStatus()
        info = h.getInfo()
        log = log_path.read_text(errors="replace") if log_path.exists() else ""
    text = h.modelStatusToString(model_status)
    m = hs.HighsModelStatus
    has_point = int(info.primal_solution_status) == 2
    if model_status == m.kOptimal:
        status = Status.OPTIMAL
    elif model_status == m.kInfeasible:
        status = Status.INFEASIBLE
    elif model_status == m.kUnbounded:
        status = Status.UNBOUNDED
    elif model_status == m.kUnboundedOrInfeasible:
        if presolve:
            # Presolve cannot tell which; without presolve the simplex decides.
            refined = solve(arrays, options, presolve=False)
            refined.log = (
                log + "\n--- re-solved without presolve to tell infeasible from "
                "unbounded ---\n" + refined.log
            )
            return refined
        status = Status.INFEASIBLE_OR_UNBOUNDED
    elif model_status in _limit_codes(hs):
        status = Status.TIME_LIMIT_FEASIBLE if has_point else Status.TIME_LIMIT_NO_SOLUTION
    else:
        status = Status.ERROR
    out = BackendOutcome(status, f"{model_status.name}: {text}", "HiGHS", version, log=log)
    if status.has_solution and has_point:
        sol = h.getSolution()
        out.x = np.asarray(sol.col_value, dtype=float)
        out.objective = arrays.objective_value(out.x)
        if arrays.is_mip:
            bound = float(info.mip_dual_bound)
            out.best_bound = bound if math.isfinite(bound) else math.nan  # offset included
            out.gap = float(info.mip_gap) if math.isfinite(info.mip_gap) else math.nan
        elif status is Status.OPTIMAL:
            out.best_bound, out.gap = out.objective, 0.0
            if int(info.dual_solution_status) == 2:
                out.row_duals = np.asarray(sol.row_dual, dtype=float)
    elif status.has_solution:  # a status with a solution but no point: treat as an error
        out.status = Status.ERROR
    if status is Status.OPTIMAL and not arrays.is_mip:
        basis = h.getBasis()
        out.basis = basis if basis.valid else None
    return out


def _warm(hs, h, arrays: ProgramArrays, start: WarmStart) -> None:
    if arrays.is_mip and start.x is not None and len(start.x) == arrays.n_cols:
        sol = hs.HighsSolution()
        sol.col_value = np.asarray(start.x, dtype=float)
        sol.value_valid = True
        h.setSolution(sol)
    elif (
        not arrays.is_mip
        and isinstance(start.basis, hs.HighsBasis)
        and len(start.basis.col_status) == arrays.n_cols
        and len(start.basis.row_status) == arrays.n_rows
    ):
        h.setBasis(start.basis)
