"""Backend ``auto``: HiGHS and CBC race on a MILP; the first proven optimum that checks wins.

No single solver is best on this model (``benchmarks/milp_speed.py --sections backends``, the
shipped scenarios on 2 cores): CBC proves the 9-anchor D-TEP core optimal in 7 s where HiGHS
needs 107 s, HiGHS the look-through and strategic-leveraging scenarios in 2-3 s where CBC needs
5-9 s, and on the coercion-resilience scenario CBC once returned a point 762 times outside a
bound while HiGHS was right. The rule, from those figures:

* an LP goes to HiGHS (in memory, with duals and a basis);
* a MILP goes to HiGHS first; if HiGHS has not finished within :data:`HEAD_START` seconds
  (the small MILPs never get that far), CBC starts on the same arrays in a separate process,
  one thread each;
* the first solver to finish with a proven optimum whose point passes the row, bound and
  integrality check (:meth:`~planner.solver.arrays.ProgramArrays.max_relative_violation`)
  wins and the other is stopped (HiGHS at its next callback, CBC's process group killed);
* a solver that finishes otherwise (a time limit, a failed check, an error) leaves the race
  to the other; when both are done the best checked point is taken (optimal before a time
  limit's incumbent, the lower objective first), else HiGHS's verdict (infeasible, ...).

The outcome's log starts with a line saying who won and when. The winner can change with the
machine's load: for a result that must be reproduced bit for bit, pin ``solver.backend``.
Raw solver options are one solver's names, so ``auto`` takes none.
"""

from __future__ import annotations

import math
import os
import pickle
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from planner.solver import highs, pulp_backend
from planner.solver.arrays import ProgramArrays
from planner.solver.options import SolveOptions, SolverOptionError
from planner.solver.result import BackendOutcome, Status, WarmStart

NAME = "auto"
PACKAGE = "highspy"  # what to install for this backend (CBC joins only where PuLP is there)

#: seconds HiGHS runs alone before CBC joins the race
HEAD_START = 1.0
#: seconds between two looks at the racers
POLL = 0.02
#: CBC's options in the race: its feasibility pump off. CBC on one thread, side by side over
#: the shipped scenarios and the model's defaults (``benchmarks/milp_speed.py --sections
#: auto``): 52.1 s in all with the pump, 45.2 s without (D-TEP core 9.1 -> 5.4 s; equal or
#: better on 8 of 9, minimal_cost 12.7 -> 15.4 s).
CBC_OPTIONS: dict[str, str] = {"feas": "off"}
#: a CBC process still running this long after its own time limit is killed
GRACE = 30.0


def available() -> bool:
    """True when HiGHS is installed (CBC joins the race only if PuLP's CBC is there too)."""
    return highs.available()


@dataclass
class _Leg:
    """One racer: its outcome (None while running) and when it finished."""

    name: str
    outcome: BackendOutcome | None = None
    error: BaseException | None = None
    seconds: float = math.nan
    done: threading.Event = field(default_factory=threading.Event)


class CbcProcess:
    """CBC on ``arrays`` in a separate process (``python -m planner.solver._cbc_leg``), so
    that the race can stop it at once: the process and CBC under it are one process group."""

    def __init__(self, arrays: ProgramArrays, options: SolveOptions) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="planner-race-")
        d = Path(self._tmp.name)
        self._in, self._out = d / "task.pkl", d / "outcome.pkl"
        with self._in.open("wb") as fh:
            pickle.dump((arrays, options), fh, protocol=pickle.HIGHEST_PROTOCOL)
        limit = options.time_limit
        self._deadline = math.inf if limit is None else time.monotonic() + limit + GRACE
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "planner.solver._cbc_leg", str(self._in), str(self._out)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )

    def poll(self) -> BackendOutcome | None:
        """The outcome once the process has ended (an ERROR outcome if it died), else None."""
        code = self._proc.poll()
        if code is None:
            if time.monotonic() > self._deadline:
                self.stop()
                return BackendOutcome(
                    Status.ERROR, "CBC ran past its time limit", "CBC (race)", "", log=""
                )
            return None
        err = self._proc.stderr.read().decode(errors="replace") if self._proc.stderr else ""
        if code == 0 and self._out.exists():
            with self._out.open("rb") as fh:
                return pickle.load(fh)
        return BackendOutcome(
            Status.ERROR,
            f"the CBC process ended with code {code}",
            "CBC (race)",
            "",
            log=err[-4000:],
        )

    def stop(self) -> None:
        """Kill the process group (the worker and CBC) and wait for it."""
        if self._proc.poll() is None:
            try:
                os.killpg(self._proc.pid, signal.SIGKILL)
            except ProcessLookupError:  # pragma: no cover - it ended meanwhile
                pass
            self._proc.wait(timeout=30)

    def close(self) -> None:
        self.stop()
        if self._proc.stderr:
            self._proc.stderr.close()
        self._tmp.cleanup()


def _cbc_available() -> bool:
    """CBC can run: PuLP imports and finds a CBC (cbcbox's, one on PATH or PuLP's own)."""
    if not pulp_backend.available():
        return False
    if pulp_backend._cbc_binary() is not None:
        return True
    try:
        return bool(pulp_backend._import_pulp().PULP_CBC_CMD(msg=False).available())
    except Exception:  # pragma: no cover - a broken PuLP install: HiGHS alone
        return False


def _checked(outcome: BackendOutcome, arrays: ProgramArrays, tol: float) -> bool:
    """A point comes with the outcome and it holds every row, bound and integrality."""
    return (
        outcome.status.has_solution
        and outcome.x is not None
        and arrays.max_relative_violation(outcome.x) <= tol
    )


def _rank(outcome: BackendOutcome, arrays: ProgramArrays, tol: float) -> tuple:
    """Sort key (smaller is better): a checked optimum, then a checked incumbent by objective."""
    if not _checked(outcome, arrays, tol):
        return (2, math.inf)
    sign = -1.0 if arrays.maximize else 1.0
    return (0 if outcome.status is Status.OPTIMAL else 1, sign * outcome.objective)


def solve(
    arrays: ProgramArrays, options: SolveOptions, start: WarmStart | None = None
) -> BackendOutcome:
    """Solve ``arrays`` by the rule of this module.

    Parameters
    ----------
    arrays : ProgramArrays
        The program (objective already scaled by :func:`planner.solver.solve`).
    options : SolveOptions
        Limits for both solvers (each runs one thread once CBC has joined); no raw
        ``solver_options``.
    start : WarmStart, optional
        A first incumbent for HiGHS.

    Returns
    -------
    BackendOutcome
        The winner's outcome; its log starts with the race's result.
    """
    if options.solver_options:
        raise SolverOptionError(
            f"backend 'auto' takes no raw solver options (got {sorted(options.solver_options)}): "
            "they are one solver's names; pin solver.backend to 'highs' or 'pulp' to use them"
        )
    if not arrays.is_mip or not _cbc_available():
        why = "an LP: HiGHS" if not arrays.is_mip else "CBC not installed: HiGHS alone"
        return _noted(highs.solve(arrays, options, start=start), f"auto: {why}")
    return _race(arrays, options, start)


def _race(arrays: ProgramArrays, options: SolveOptions, start: WarmStart | None) -> BackendOutcome:
    t0 = time.monotonic()
    cancel = threading.Event()
    first = _Leg("HiGHS")
    threads = 1 if options.threads is None or options.threads <= 2 else options.threads - 1
    highs_options = options.with_(threads=threads)

    def run_highs() -> None:
        try:
            first.outcome = highs.solve(arrays, highs_options, start=start, cancel=cancel)
        except BaseException as exc:  # handed to the caller if CBC cannot answer either
            first.error = exc
        first.seconds = time.monotonic() - t0
        first.done.set()

    thread = threading.Thread(target=run_highs, name="planner-race-highs", daemon=True)
    thread.start()
    if first.done.wait(HEAD_START):
        return _finish(first, None, arrays, options, "HiGHS alone (done within the head start)")
    second = _Leg("CBC")
    cbc = CbcProcess(arrays, options.with_(threads=1, progress=None, solver_options=CBC_OPTIONS))
    try:
        while True:
            if not second.done.is_set():
                got = cbc.poll()
                if got is not None:
                    second.outcome, second.seconds = got, time.monotonic() - t0
                    second.done.set()
            for leg in (first, second):
                other = second if leg is first else first
                if (
                    leg.done.is_set()
                    and leg.outcome is not None
                    and leg.outcome.status is Status.OPTIMAL
                    and _checked(leg.outcome, arrays, options.feasibility_tol)
                ):
                    return _finish(leg, other, arrays, options, "won the race")
            if first.done.is_set() and second.done.is_set():
                return _finish(None, None, arrays, options, "", legs=(first, second))
            first.done.wait(POLL)
    finally:
        cancel.set()
        cbc.close()
        thread.join(timeout=60)


def _finish(
    winner: _Leg | None,
    loser: _Leg | None,
    arrays: ProgramArrays,
    options: SolveOptions,
    how: str,
    legs: tuple[_Leg, _Leg] | None = None,
) -> BackendOutcome:
    """The chosen outcome with the race's line on top of its log."""
    if winner is None:  # both done, neither a checked optimum: the best checked point
        assert legs is not None
        usable = [leg for leg in legs if leg.outcome is not None]
        if not usable:
            raise legs[0].error or RuntimeError("auto: neither solver returned")
        tol = options.feasibility_tol
        winner = min(usable, key=lambda leg: (_rank(leg.outcome, arrays, tol), leg.name != "HiGHS"))
        others = [f"{leg.name}: {_said(leg, arrays, tol)}" for leg in legs if leg is not winner]
        how = f"the better of two finishes ({'; '.join(others)})"
    if winner.outcome is None:
        raise winner.error or RuntimeError("auto: HiGHS returned nothing")
    line = f"auto: {winner.name} {how} at {winner.seconds:.2f} s"
    if loser is not None and not loser.done.is_set():
        line += f"; {loser.name} stopped"
    elif loser is not None and loser.outcome is not None:
        line += f"; {loser.name}: {_said(loser, arrays, options.feasibility_tol)}"
    return _noted(winner.outcome, line)


def _said(leg: _Leg, arrays: ProgramArrays, tol: float) -> str:
    """What a racer ended with, in a few words."""
    if leg.outcome is None:
        return f"failed ({leg.error!r})"
    out = leg.outcome
    text = f"{out.status.value} at {leg.seconds:.2f} s"
    if out.status.has_solution and not _checked(out, arrays, tol):
        text += f", point rejected (violation {arrays.max_relative_violation(out.x):.3g})"
    return text


def _noted(outcome: BackendOutcome, line: str) -> BackendOutcome:
    return replace(outcome, log=f"{line}\n{outcome.log}")
