"""HiGHS through highspy: the sparse matrix is passed to the solver directly."""

from __future__ import annotations

import contextlib
import math
import os
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from planner.solver.arrays import ProgramArrays
from planner.solver.options import OptionValue, SolveOptions, SolverOptionError
from planner.solver.progress import ProgressUpdate, Reporter, relative_gap, send
from planner.solver.result import (
    BackendOutcome,
    Status,
    WarmStart,
    import_solver_package,
    solver_package_available,
)

NAME = "highs"


PACKAGE = "highspy"  # what to install for this backend


def import_highspy():
    return import_solver_package(PACKAGE, NAME)


def available() -> bool:
    """True when highspy imports."""
    return solver_package_available(PACKAGE)


_STDOUT_LOCK = threading.Lock()  # one thread at a time points fd 1 elsewhere
_THREAD_STATE = threading.local()


def _match_scheduler(hs, threads: int | None) -> None:
    """Let this run use ``threads``. HiGHS keeps one task scheduler per calling thread, sized
    by that thread's first run; a later run asking another count fails ("the scheduler has
    already been initialized") unless the thread's scheduler is reset first."""
    want = int(threads or 0)  # 0: HiGHS's own choice
    last = getattr(_THREAD_STATE, "threads", None)
    if last is not None and last != want:
        hs.Highs.resetThreadScheduler(True)
    _THREAD_STATE.threads = want


def new_highs(hs, quiet: bool):
    """A Highs object; HiGHS prints a banner to stdout when the first one is made, so the
    process's stdout is pointed at /dev/null for that moment unless the user asked for logs."""
    if not quiet:
        return hs.Highs()
    with _STDOUT_LOCK:
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


def set_time_limit(h, seconds: float | None) -> None:
    """Give the next ``h.run()`` at most ``seconds`` (None: no limit). HiGHS compares its
    ``time_limit`` with a run clock that adds up every run of the object since it was made
    (``Highs::clear`` zeroes it), so a model kept loaded gets the clock's reading plus
    ``seconds``."""
    limit = math.inf if seconds is None else float(h.getRunTime()) + max(float(seconds), 0.0)
    _set(h, "time_limit", limit)


def _configure(h, options: SolveOptions, is_mip: bool, presolve: bool, log_path: Path) -> None:
    _set(h, "output_flag", True)
    _set(h, "log_to_console", bool(options.verbose))
    _set(h, "log_file", str(log_path))
    if options.time_limit is not None:
        _set(h, "time_limit", float(options.time_limit))
    _set(h, "mip_rel_gap", float(options.mip_gap))
    if options.threads is not None:
        _set(h, "threads", int(options.threads))
    _set(h, "random_seed", int(options.random_seed))
    if options.lp_method != "auto" and not is_mip:
        _set(h, "solver", {"simplex": "simplex", "ipm": "ipm"}[options.lp_method])
    _set_raw(h, options.solver_options)
    if not presolve:  # the re-solve that tells infeasible from unbounded needs it off
        _set(h, "presolve", "off")


def _set_raw(h, raw: dict[str, OptionValue]) -> None:
    """Pass ``SolveOptions.solver_options`` to HiGHS by its own names; an unknown name or a
    value HiGHS refuses raises :class:`SolverOptionError` naming the option."""
    for name, value in raw.items():
        try:
            got = h.getOptionValue(name)
        except Exception:  # some highspy versions raise for an unknown name
            got = None
        status, current = got if isinstance(got, tuple) else ("kOk", got)
        if got is None or str(status).endswith("kError"):
            raise SolverOptionError(
                f"HiGHS has no option {name!r} (solver_options of backend 'highs'); see "
                "https://ergo-code.github.io/HiGHS/stable/options/definitions/"
            )
        if str(h.setOptionValue(name, value)).endswith("kError"):
            raise SolverOptionError(
                f"HiGHS option {name!r} (backend 'highs') refuses the value {value!r} "
                f"({type(value).__name__}): it expects a value of type {type(current).__name__} "
                f"within its range (now {current!r})"
            )


_CALLBACK_INTERVAL = 0.1  # seconds between two progress reports from HiGHS's callbacks


def _finite(v: float) -> float:
    v = float(v)
    return v if math.isfinite(v) else math.nan


@contextlib.contextmanager
def _progress(h, reporter: Reporter | None, is_mip: bool) -> Iterator[None]:
    """Report the run's progress to ``reporter`` from HiGHS's callbacks while in the block
    (MILP: interrupt and improving-solution callbacks; LP: simplex and interior-point
    interrupt callbacks), at most one report per ``_CALLBACK_INTERVAL`` but every improving
    solution. A reporter that raises is dropped; the solve goes on."""
    if reporter is None:
        yield
        return
    last = [-math.inf]
    alive = [True]
    start = time.monotonic()  # LP callbacks carry no clock (running_time is -1)

    def report(update: ProgressUpdate) -> None:
        alive[0] = send(reporter, update)  # a failing reporter is dropped

    def on_mip(event, force: bool = False) -> None:
        now = time.monotonic()
        if not alive[0] or (not force and now - last[0] < _CALLBACK_INTERVAL):
            return
        last[0] = now
        d = event.data_out
        objective, bound = _finite(d.mip_primal_bound), _finite(d.mip_dual_bound)
        gap = float(d.mip_gap)
        if not math.isfinite(gap) or math.isnan(objective):
            gap = relative_gap(objective, bound)
        report(
            ProgressUpdate(
                float(d.running_time),
                "mip",
                objective,
                bound,
                gap,
                nodes=int(d.mip_node_count),
                solver="HiGHS",
            )
        )

    def on_improving(event) -> None:
        on_mip(event, force=True)

    def on_lp(event) -> None:
        now = time.monotonic()
        if not alive[0] or now - last[0] < _CALLBACK_INTERVAL:
            return
        last[0] = now
        d = event.data_out
        iterations = max(int(d.simplex_iteration_count), int(d.ipm_iteration_count))
        report(
            ProgressUpdate(
                now - start,
                "lp",
                _finite(d.objective_function_value),
                iterations=iterations,
                solver="HiGHS",
            )
        )

    if is_mip:
        subscriptions = [(h.cbMipInterrupt, on_mip), (h.cbMipImprovingSolution, on_improving)]
    else:
        subscriptions = [(h.cbSimplexInterrupt, on_lp), (h.cbIpmInterrupt, on_lp)]
    for event, fn in subscriptions:
        event.subscribe(fn)
    try:
        yield
    finally:
        for event, fn in subscriptions:
            event.unsubscribe(fn)
    if alive[0]:
        report(_final_update(h, is_mip, time.monotonic() - start))


def _final_update(h, is_mip: bool, elapsed: float) -> ProgressUpdate:
    """The outcome of a finished run as the last progress update."""
    info = h.getInfo()
    has_point = int(info.primal_solution_status) == 2
    objective = _finite(info.objective_function_value) if has_point else math.nan
    iterations = max(int(info.simplex_iteration_count), int(info.ipm_iteration_count))
    if not is_mip:
        return ProgressUpdate(
            elapsed, "lp", objective, iterations=iterations, solver="HiGHS", final=True
        )
    bound = _finite(info.mip_dual_bound)
    gap = float(info.mip_gap) if has_point and math.isfinite(info.mip_gap) else math.nan
    return ProgressUpdate(
        elapsed,
        "mip",
        objective,
        bound,
        gap if not math.isnan(gap) else relative_gap(objective, bound),
        nodes=int(info.mip_node_count),
        solver="HiGHS",
        final=True,
    )


def _version(h) -> str:
    return f"{h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}"


def _empty_outcome(h, arrays: ProgramArrays, options: SolveOptions) -> BackendOutcome:
    """The outcome of a model without columns (nothing to solve; raw options still checked)."""
    _set(h, "output_flag", False)
    _set_raw(h, options.solver_options)
    version = _version(h)
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


@contextlib.contextmanager
def _cancellable(h, cancel: threading.Event | None, is_mip: bool) -> Iterator[None]:
    """Stop the run at HiGHS's next interrupt callback once ``cancel`` is set (another solver
    of :mod:`planner.solver.race` finished first)."""
    if cancel is None:
        yield
        return

    def check(event) -> None:
        if cancel.is_set():
            event.interrupt()

    events = [h.cbMipInterrupt] if is_mip else [h.cbSimplexInterrupt, h.cbIpmInterrupt]
    for event in events:
        event.subscribe(check)
    try:
        yield
    finally:
        for event in events:
            event.unsubscribe(check)


def solve(
    arrays: ProgramArrays,
    options: SolveOptions,
    presolve: bool = True,
    start: WarmStart | None = None,
    session: HighsSession | None = None,
    cancel: threading.Event | None = None,
) -> BackendOutcome:
    """Solve ``arrays`` with HiGHS and map its status and solution.

    ``start``: a MILP gets ``start.x`` as its first incumbent (HiGHS checks it); an LP starts
    its simplex from ``start.basis`` (a basis of the same program with other bounds).
    ``session``: keep the loaded model for the next call (:class:`HighsSession`).
    ``cancel``: stop at the next callback once the event is set (no session then).
    """
    if session is not None and presolve and cancel is None:
        return session.solve(arrays, options, start)
    hs = import_highspy()
    h = new_highs(hs, quiet=not options.verbose)
    if arrays.n_cols == 0:
        return _empty_outcome(h, arrays, options)
    with tempfile.TemporaryDirectory(prefix="planner-highs-") as tmp:
        log_path = Path(tmp) / "highs.log"
        _configure(h, options, arrays.is_mip, presolve, log_path)
        h.passModel(_build(hs, arrays))
        if start is not None:
            _warm(hs, h, arrays, start)
        _match_scheduler(hs, options.threads)
        with _progress(h, options.progress, arrays.is_mip), _cancellable(h, cancel, arrays.is_mip):
            h.run()
        log = log_path.read_text(errors="replace") if log_path.exists() else ""
        _set(h, "log_file", "")
    out = _read(hs, h, arrays, log, _version(h))
    if out.status is Status.INFEASIBLE_OR_UNBOUNDED and presolve:
        return _without_presolve(out, arrays, options)
    return out


def _without_presolve(
    out: BackendOutcome, arrays: ProgramArrays, options: SolveOptions
) -> BackendOutcome:
    """Presolve cannot tell infeasible from unbounded; without presolve the simplex decides."""
    refined = solve(arrays, options, presolve=False)
    refined.log = (
        out.log + "\n--- re-solved without presolve to tell infeasible from unbounded ---\n"
    ) + refined.log
    return refined


def _read(hs, h, arrays: ProgramArrays, log: str, version: str) -> BackendOutcome:
    """Map a finished run's status, point, bound, duals and basis."""
    model_status = h.getModelStatus()
    info = h.getInfo()
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


class HighsSession:
    """One HiGHS model kept loaded between solves of the same program.

    The first call loads the arrays; a later call with the same matrix, integrality and
    objective sense pushes only what changed (row bounds, column bounds, costs, offset) into
    the loaded model, so that an LP re-solve hot-starts from the previous basis and
    factorization. A different matrix reloads the model. MILPs are reloaded every time (HiGHS
    restarts its branch and bound anyway) and take ``start.x`` as their first incumbent.
    """

    def __init__(self) -> None:
        self._h = None
        self._arrays: ProgramArrays | None = None
        self._options: SolveOptions | None = None
        self.reloads = 0
        """How many times the model was (re)loaded from scratch."""

    def _same_model(self, arrays: ProgramArrays, options: SolveOptions) -> bool:
        if self._h is None or arrays.is_mip or options != self._options:
            return False
        return same_matrix(self._arrays, arrays)

    def solve(
        self, arrays: ProgramArrays, options: SolveOptions, start: WarmStart | None = None
    ) -> BackendOutcome:
        """Solve ``arrays``, reusing the loaded model when only bounds and costs changed."""
        hs = import_highspy()
        if not self._same_model(arrays, options):
            outcome = self._load_and_run(hs, arrays, options, start)
        else:
            outcome = self._update_and_run(hs, arrays, options.progress)
        if outcome.status is Status.INFEASIBLE_OR_UNBOUNDED:
            self._h = None  # the next call starts afresh
            return _without_presolve(outcome, arrays, options)
        return outcome

    def _run(self, hs, arrays: ProgramArrays, reporter: Reporter | None) -> BackendOutcome:
        h = self._h
        with tempfile.TemporaryDirectory(prefix="planner-highs-") as tmp:
            log_path = Path(tmp) / "highs.log"
            _set(h, "log_file", str(log_path))
            _match_scheduler(hs, self._options.threads if self._options else None)
            set_time_limit(h, self._options.time_limit if self._options else None)
            with _progress(h, reporter, arrays.is_mip):
                h.run()
            log = log_path.read_text(errors="replace") if log_path.exists() else ""
            _set(h, "log_file", "")
        self._arrays = arrays
        return _read(hs, h, arrays, log, _version(h))

    def _load_and_run(
        self, hs, arrays: ProgramArrays, options: SolveOptions, start: WarmStart | None
    ) -> BackendOutcome:
        self._h = h = new_highs(hs, quiet=not options.verbose)
        self._options = options
        self._arrays = None
        self.reloads += 1
        if arrays.n_cols == 0:
            self._h = None
            return _empty_outcome(h, arrays, options)
        with tempfile.TemporaryDirectory(prefix="planner-highs-") as tmp:
            _configure(h, options, arrays.is_mip, True, Path(tmp) / "highs.log")
            _set(h, "log_file", "")
        h.passModel(_build(hs, arrays))
        if start is not None:
            _warm(hs, h, arrays, start)
        return self._run(hs, arrays, options.progress)

    def _update_and_run(
        self, hs, arrays: ProgramArrays, reporter: Reporter | None
    ) -> BackendOutcome:
        assert self._arrays is not None
        push_changes(self._h, self._arrays, arrays)
        return self._run(hs, arrays, reporter)


def same_matrix(old: ProgramArrays | None, new: ProgramArrays) -> bool:
    """True when ``new`` has the matrix, integrality and sense of ``old``: a model loaded
    from ``old`` becomes ``new`` by :func:`push_changes`."""
    if old is None:
        return False
    a, b = old.a, new.a
    return (
        a.shape == b.shape
        and old.maximize == new.maximize
        and np.array_equal(old.integrality, new.integrality)
        and a.nnz == b.nnz
        and (
            a is b
            or (
                np.array_equal(a.indptr, b.indptr)
                and np.array_equal(a.indices, b.indices)
                and np.array_equal(a.data, b.data)
            )
        )
    )


def push_changes(h, old: ProgramArrays, new: ProgramArrays) -> None:
    """Make the model loaded in ``h`` from ``old`` that of ``new`` (same matrix): push only
    the row bounds, column bounds, costs and offset that differ."""
    lo, up = new.row_bounds()
    old_lo, old_up = old.row_bounds()
    rows = np.flatnonzero((lo != old_lo) | (up != old_up))
    if len(rows):
        h.changeRowsBounds(len(rows), rows.astype(np.int32), lo[rows], up[rows])
    cols = np.flatnonzero((new.col_lower != old.col_lower) | (new.col_upper != old.col_upper))
    if len(cols):
        h.changeColsBounds(
            len(cols), cols.astype(np.int32), new.col_lower[cols], new.col_upper[cols]
        )
    cols = np.flatnonzero(new.c != old.c)
    if len(cols):
        h.changeColsCost(len(cols), cols.astype(np.int32), new.c[cols])
    if new.constant != old.constant:
        h.changeObjectiveOffset(float(new.constant))


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


Session = HighsSession  # what planner.solver.SolverSession keeps for this backend
