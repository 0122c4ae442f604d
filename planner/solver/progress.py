"""Progress of long work: what a running solve reports, and where it is shown.

The solver layer reports :class:`ProgressUpdate` objects (elapsed time; incumbent, bound and
gap of a MILP; iterations of an LP) to a *reporter*, any callable taking one update. A
reporter reaches a solve either through ``SolveOptions(progress=...)`` or, for every solve in
a block of code, through :func:`reporting`. HiGHS reports from its own callbacks; CBC (through
PuLP) from its log file, followed in a thread and read by :class:`CbcLogParser`.

:class:`LiveLine` draws the updates as one line on a terminal's stderr, rewritten in place with
``\\r`` and throttled; :func:`progress_bar` is a tqdm bar for many runs (sweeps, frontiers,
stress ``each``). Both are shown only when the stream is a terminal, unless asked for
(:func:`progress_wanted`). This module knows nothing about trade.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO

__all__ = [
    "CbcLogFollower",
    "CbcLogParser",
    "LiveLine",
    "ProgressUpdate",
    "Reporter",
    "active_reporter",
    "parse_cbc_log",
    "parse_cbc_result",
    "progress_bar",
    "progress_wanted",
    "relative_gap",
    "reporting",
    "scaled_reporter",
    "send",
]


@dataclass(frozen=True)
class ProgressUpdate:
    """One report of a running solve.

    Attributes
    ----------
    elapsed : float
        Seconds since the solve started (the solver's clock).
    kind : {"mip", "lp"}
        A branch and bound, or an LP (simplex or interior point).
    objective : float
        MILP: the incumbent (best solution so far), NaN before the first one. LP: the current
        objective of the algorithm, NaN when the solver does not say.
    bound : float
        MILP: the best bound (dual bound); NaN when unknown.
    gap : float
        MILP: relative gap ``|objective - bound| / |objective|``; ``inf`` without an incumbent.
    nodes : int or None
        Branch-and-bound nodes explored.
    iterations : int or None
        Simplex or interior-point iterations.
    solver : str
        Which solver reports (``"HiGHS"``, ``"CBC"``).
    final : bool
        The solve has ended; the numbers are its outcome (sent once, last).
    """

    elapsed: float
    kind: str
    objective: float = math.nan
    bound: float = math.nan
    gap: float = math.nan
    nodes: int | None = None
    iterations: int | None = None
    solver: str = ""
    final: bool = False


Reporter = Callable[[ProgressUpdate], None]
"""Anything that takes a :class:`ProgressUpdate` (must be quick: solvers call it often)."""

_AMBIENT: contextvars.ContextVar[Reporter | None] = contextvars.ContextVar(
    "planner_progress", default=None
)


@contextlib.contextmanager
def reporting(reporter: Reporter | None) -> Iterator[Reporter | None]:
    """Send the progress of every solve in the block to ``reporter`` (unless a solve's own
    ``SolveOptions.progress`` names another one); ``None`` turns progress off."""
    token = _AMBIENT.set(reporter)
    try:
        yield reporter
    finally:
        _AMBIENT.reset(token)


def active_reporter(own: Reporter | None = None) -> Reporter | None:
    """``own`` (a solve's ``SolveOptions.progress``) if given, else the one of
    :func:`reporting`, else None."""
    return own if own is not None else _AMBIENT.get()


def scaled_reporter(reporter: Reporter | None, scale: float) -> Reporter | None:
    """A reporter that divides objective and bound by ``scale`` before passing them on (a
    backend solves ``scale * objective``; the gap is the same)."""
    if reporter is None or scale == 1.0:
        return reporter

    def unscale(update: ProgressUpdate) -> None:
        reporter(replace(update, objective=update.objective / scale, bound=update.bound / scale))

    return unscale


def send(reporter: Reporter | None, update: ProgressUpdate) -> bool:
    """Pass ``update`` to ``reporter``; False (and nothing raised) when the reporter fails,
    so that a broken reporter never breaks a solve."""
    if reporter is None:
        return False
    try:
        reporter(update)
    except Exception:
        return False
    return True


def relative_gap(objective: float, bound: float) -> float:
    """``|objective - bound| / |objective|`` (HiGHS's definition): 0 when they are equal,
    ``inf`` without an incumbent or with a zero incumbent and another bound, NaN without a
    bound."""
    if math.isnan(bound):
        return math.nan
    if not math.isfinite(objective):
        return math.inf
    diff = abs(objective - bound)
    if diff <= 1e-12 * max(1.0, abs(objective)):
        return 0.0
    return diff / abs(objective) if objective != 0 else math.inf


# ---------------------------------------------------------------------------- where shown
def progress_wanted(
    stream: IO[str] | None = None, force: bool = False, quiet: bool = False
) -> bool:
    """Whether to show progress on ``stream`` (default stderr): never when ``quiet``, always
    when ``force`` (``--progress``), else only when the stream is a terminal."""
    if quiet:
        return False
    if force:
        return True
    stream = sys.stderr if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except (OSError, ValueError):  # a closed stream
        return False


def _number(v: float) -> str:
    if not math.isfinite(v):
        return "-" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    return f"{v:.6g}"


def format_update(update: ProgressUpdate, elapsed: float | None = None) -> str:
    """One line of text for an update (``elapsed`` overrides the update's own)."""
    t = update.elapsed if elapsed is None else elapsed
    head = f"{update.solver} " if update.solver else ""
    if update.kind == "mip":
        parts = [
            f"{head}MILP {t:7.1f} s",
            f"best {_number(update.objective)}",
            f"bound {_number(update.bound)}",
            "gap -"
            if math.isnan(update.gap)
            else ("gap inf" if math.isinf(update.gap) else f"gap {100 * update.gap:.2f} %"),
        ]
        if update.nodes is not None:
            parts.append(f"{update.nodes:,} nodes")
        elif update.iterations is not None:
            parts.append(f"root LP {update.iterations:,} iterations")
    else:
        parts = [f"{head}LP {t:7.1f} s"]
        if update.iterations is not None:
            parts.append(f"{update.iterations:,} iterations")
        if math.isfinite(update.objective):
            parts.append(f"objective {_number(update.objective)}")
    if update.final:
        parts.append("done")
    return " | ".join(parts)


DELAY = 0.5
"""Seconds a solve runs before :class:`LiveLine` shows it."""
KEEP = 2.0
"""Seconds a solve must take for :class:`LiveLine` to leave its final line on screen."""


class LiveLine:
    """A reporter that draws the latest update as one line on ``stream``, rewritten in place.

    At most one redraw per ``interval`` seconds (updates in between are kept, the latest is
    drawn at the next chance); a daemon thread redraws the last update every ``tick``
    seconds so the elapsed time moves while a solver is quiet. A solve shorter than ``delay``
    seconds is not drawn at all. A solve's final update is drawn and the line ended (it
    stays on screen) when the solve took ``keep`` (and ``delay``) seconds or more; a shorter
    solve's line is erased. The clock then stops until the next solve reports.
    :meth:`close` (or leaving the ``with`` block) ends a line still open.

    Parameters
    ----------
    stream : file, optional
        Where to draw (default ``sys.stderr``).
    interval : float
        Smallest time between two redraws, seconds.
    tick : float or None
        Redraw period of the clock thread; None for no thread.
    delay : float, optional
        Solves shorter than this (seconds) are not shown (default :data:`DELAY`).
    keep : float, optional
        Solves at least this long (seconds) leave their final line on screen (default
        :data:`KEEP`).
    """

    def __init__(
        self,
        stream: IO[str] | None = None,
        interval: float = 0.25,
        tick: float | None = 1.0,
        delay: float | None = None,
        keep: float | None = None,
    ) -> None:
        self.stream = sys.stderr if stream is None else stream
        self.interval = interval
        self.tick = tick
        self.delay = DELAY if delay is None else delay
        self.keep = KEEP if keep is None else keep
        self.updates = 0
        """Updates received."""
        self.draws = 0
        """Lines drawn."""
        self._last: ProgressUpdate | None = None
        self._received = 0.0
        self._drawn_at = -math.inf
        self._width = 0
        self._dirty = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __call__(self, update: ProgressUpdate) -> None:
        now = time.monotonic()
        with self._lock:
            self.updates += 1
            self._last, self._received, self._dirty = update, now, True
            if update.final:
                self._finish(now)
            elif now - self._drawn_at >= self.interval:
                self._draw(now)
        if self.tick and self._thread is None:
            self._thread = threading.Thread(target=self._clock, daemon=True, name="progress")
            self._thread.start()

    def _finish(self, now: float) -> None:
        """A solve ended (lock held): show its outcome and end the line if it was shown."""
        last = self._last
        if last is not None and last.elapsed >= max(self.keep, self.delay):
            self._draw(now, force=True)
            self._newline()
        elif self._width:  # a short solve: erase its line
            with contextlib.suppress(OSError, ValueError):
                self.stream.write("\r" + " " * self._width + "\r")
                self.stream.flush()
            self._width = 0
        self._last, self._dirty = None, False

    def _newline(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.stream.write("\n")
            self.stream.flush()
        self._width = 0

    def _draw(self, now: float, force: bool = False) -> None:
        """Rewrite the line (lock held)."""
        if self._last is None:
            return
        elapsed = self._last.elapsed + (now - self._received)
        if not force and elapsed < self.delay:
            return
        text = format_update(self._last, elapsed)
        pad = " " * max(self._width - len(text), 0)
        try:
            self.stream.write("\r" + text + pad)
            self.stream.flush()
        except (OSError, ValueError):  # the stream went away: stop drawing
            self._last = None
            return
        self._width = len(text)
        self._drawn_at, self._dirty = now, False
        self.draws += 1

    def _clock(self) -> None:
        while not self._stop.wait(self.tick or 1.0):
            with self._lock:
                if self._last is not None:
                    self._draw(time.monotonic())

    def close(self) -> None:
        """Stop the clock, draw the last update if it was not drawn, and end the line."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        with self._lock:
            if self._last is not None and self._dirty and self._width:
                self._draw(time.monotonic(), force=True)
            if self._width:
                self._newline()
            self._last = None

    def __enter__(self) -> LiveLine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextlib.contextmanager
def progress_bar(
    total: int,
    desc: str,
    enabled: bool,
    stream: IO[str] | None = None,
) -> Iterator[Callable[[int, int], None]]:
    """A tqdm bar over ``total`` runs; yields ``update(done, total)`` for the runners'
    ``progress`` callbacks. Disabled (nothing written) unless ``enabled``."""
    from tqdm import tqdm

    bar = tqdm(
        total=total,
        desc=desc,
        file=sys.stderr if stream is None else stream,
        disable=not enabled,
        mininterval=0.25,
        dynamic_ncols=True,
        unit="run",
    )

    def update(done: int, of: int) -> None:
        if of != bar.total:
            bar.total = of
        if done > bar.n:
            bar.update(done - bar.n)

    try:
        yield update
    finally:
        bar.close()


# ---------------------------------------------------------------------------- CBC's log
_FLOAT = r"[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|inf|nan)"
_CLASSIC_NODES = re.compile(
    rf"Cbc0010I After (\d+) nodes, \d+ on tree, ({_FLOAT}) best solution, "
    rf"best possible ({_FLOAT}) \(({_FLOAT}) seconds\)"
)
_CLASSIC_SOLUTION = re.compile(
    rf"Cbc00(?:04|12)I Integer solution of ({_FLOAT}) found .*?after (\d+) iterations and "
    rf"(\d+) nodes \(({_FLOAT}) seconds\)"
)
_CLASSIC_END = re.compile(
    rf"Cbc000[15]I .*?best objective ({_FLOAT})(?: \(best possible ({_FLOAT})\))?, took "
    rf"(\d+) iterations and (\d+) nodes \(({_FLOAT}) seconds\)"
)
_CLASSIC_ROOT = re.compile(rf"Continuous objective value is ({_FLOAT}) - ({_FLOAT}) seconds")
_CLASSIC_LP = re.compile(rf"Clp0006I (\d+)\s+Obj ({_FLOAT})")
# the CBC that pulp[cbc] installs (cbcbox) writes tables and summary lines instead
_BB_ROW = re.compile(
    rf"^\s*(?:[^\s\d+-]\s*)?(\d+)\s+(\d+)\s+(\d+)\s+(.*?)\s+({_FLOAT})\s+"
    rf"({_FLOAT}|-)%?\s+({_FLOAT})\s*$"
)
_LP_ROW = re.compile(rf"^\s*[A-Za-z]+\s+(\d+)\s+({_FLOAT})\s+{_FLOAT}\s+{_FLOAT}\s+({_FLOAT})\s*$")
_LP_DONE = re.compile(rf"LP Optimal .*?Obj:\s+({_FLOAT}).*?Iters:\s+(\d+)\s+Time:\s+({_FLOAT})s")
_HEURISTIC_BEST = re.compile(rf"^\s*✔ .*?— best ({_FLOAT}) in")
_FINAL = re.compile(
    rf"—\s+(?:Obj|BestSol):\s+({_FLOAT})\s+Bound:\s+({_FLOAT})\s+Gap:\s+(?:{_FLOAT})%"
    rf"(?:\s+Nodes:\s+(\d+))?(?:.*?Time:\s+({_FLOAT})s)?"
)
_TABLES = (  # header words -> table
    ({"Nodes", "OnTree", "BestBound"}, "bb"),
    ({"Phase", "Iter", "Objective"}, "lp"),
    ({"Round", "Pass", "BestSol"}, "pump"),
    ({"Pass", "Rows", "Objective"}, "cuts"),
)
_NO_SOLUTION = 1e49  # CBC writes 1e+50 for "no incumbent yet"


def _value(text: str | None) -> float:
    if text is None:
        return math.nan
    v = float(text)
    return math.nan if abs(v) >= _NO_SOLUTION else v


def _maybe(text: str) -> float:
    """A number, or NaN for a word."""
    try:
        return _value(text)
    except ValueError:
        return math.nan


class CbcLogParser:
    """Reads CBC's log line by line (:meth:`feed`) and returns the progress so far after each
    line that reports some, in CBC's own terms (a minimisation of the objective without its
    constant).

    It keeps the incumbent, the bound, nodes and iterations between lines (a line tells only
    part of them). Read: the classic messages (``Cbc0010I After N nodes, ... best solution,
    best possible ...``, ``Cbc0012I``/``Cbc0004I Integer solution of ...``,
    ``Cbc0001I``/``Cbc0005I``, ``Continuous objective value is ...``, ``Clp0006I``) and what
    the CBC of ``pulp[cbc]`` writes: rows of its tables, each below its header (branch and
    bound ``Nodes OnTree Depth BestSol Method BestBound Gap% Time(s)``; LP ``Phase Iter
    Objective ... Time``; feasibility pump rows marked ``★``; root cuts ``Pass Rows ...
    Objective Time(s)``) and its summary lines (``LP Optimal — ... Obj: ...``, ``— best X
    in``, ``Optimal — Obj: X Bound: Y ...``, ``Stopped (time limit) — BestSol: X Bound: Y``).

    Parameters
    ----------
    mip : bool
        A MILP (updates of kind ``"mip"``, the root LP's optimum is the first bound) or an LP
        (updates of kind ``"lp"``: iterations and objective).
    """

    def __init__(self, mip: bool = True) -> None:
        self.mip = mip
        self._table: str | None = None
        self.elapsed = math.nan
        self.best = math.nan
        self.bound = math.nan
        self.nodes: int | None = None
        self.iterations: int | None = None
        self.lp_objective = math.nan

    def _snapshot(self) -> ProgressUpdate:
        if not self.mip:
            return ProgressUpdate(
                self.elapsed, "lp", self.lp_objective, iterations=self.iterations, solver="CBC"
            )
        return ProgressUpdate(
            self.elapsed,
            "mip",
            self.best,
            self.bound,
            relative_gap(self.best, self.bound),
            nodes=self.nodes,
            iterations=self.iterations,
            solver="CBC",
        )

    def _set(self, t: str | None = None, **values: float | int | None) -> ProgressUpdate:
        if t is not None:
            self.elapsed = float(t)
        for name, v in values.items():
            if v is not None and not (isinstance(v, float) and math.isnan(v)):
                setattr(self, name, v)
        return self._snapshot()

    def feed(self, line: str) -> ProgressUpdate | None:
        """The progress after ``line``, or None when the line reports none."""
        words = line.split()
        for header, table in _TABLES:
            if header <= set(words):
                self._table = table
                return None
        if not words or words[0] in ("▶", "✔"):
            self._table = None
            return self._summary(line) if words else None
        row = self._row(line, words)
        return row if row is not None else self._classic(line)

    def _row(self, line: str, words: list[str]) -> ProgressUpdate | None:
        table = self._table
        if table == "bb" and (m := _BB_ROW.match(line)):
            nodes, _, _, middle, bound, _, t = m.groups()
            best = _maybe(middle.split()[0]) if middle.split() else math.nan
            return self._set(t, best=best, bound=_value(bound), nodes=int(nodes))
        if table == "lp" and (m := _LP_ROW.match(line)):
            iterations, objective, t = m.groups()
            return self._set(t, iterations=int(iterations), lp_objective=_value(objective))
        if table == "pump" and words[0] == "★" and len(words) >= 3:
            return self._set(words[-1], best=_maybe(words[-2]))
        if table == "cuts" and len(words) >= 3 and words[0].isdigit():
            return self._set(words[-1], bound=_maybe(words[-2]))
        return None

    def _summary(self, line: str) -> ProgressUpdate | None:
        if m := _FINAL.search(line):
            best, bound, nodes, t = m.groups()
            return self._set(
                t,
                best=_value(best),
                bound=_value(bound),
                nodes=None if nodes is None else int(nodes),
            )
        if m := _LP_DONE.search(line):
            objective, iterations, t = m.groups()
            bound = _value(objective) if self.mip else math.nan
            return self._set(
                t, bound=bound, lp_objective=_value(objective), iterations=int(iterations)
            )
        if self.mip and (m := _HEURISTIC_BEST.search(line)):
            return self._set(None, best=_value(m.group(1)))
        return None

    def _classic(self, line: str) -> ProgressUpdate | None:
        if m := _CLASSIC_NODES.search(line):
            nodes, best, bound, t = m.groups()
            return self._set(t, best=_value(best), bound=_value(bound), nodes=int(nodes))
        if m := _CLASSIC_SOLUTION.search(line):
            best, _, nodes, t = m.groups()
            return self._set(t, best=_value(best), nodes=int(nodes))
        if m := _CLASSIC_END.search(line):
            best, bound, iterations, nodes, t = m.groups()
            if bound is None and "Search completed" in line:
                bound = best  # the tree is exhausted: the incumbent is optimal
            return self._set(
                t,
                best=_value(best),
                bound=_value(bound),
                nodes=int(nodes),
                iterations=int(iterations),
            )
        if m := _CLASSIC_ROOT.search(line):
            objective, t = m.groups()
            bound = _value(objective) if self.mip else math.nan
            return self._set(t, bound=bound, lp_objective=_value(objective))
        if m := _CLASSIC_LP.search(line):
            return self._set(None, iterations=int(m.group(1)), lp_objective=_value(m.group(2)))
        return None


def parse_cbc_log(text: str, mip: bool = True) -> list[ProgressUpdate]:
    """The progress after each reporting line of a CBC log (:class:`CbcLogParser`), in
    order."""
    parser = CbcLogParser(mip)
    return [u for u in map(parser.feed, text.splitlines()) if u is not None]


_RESULT = re.compile(r"^Result - (.*)$", re.MULTILINE)
_RESULT_FIELD = re.compile(rf"^(Objective value|Lower bound|Gap):\s+({_FLOAT})", re.MULTILINE)
_GAP_EXIT = re.compile(r"Cbc0011I Exiting as integer gap")


def parse_cbc_result(log: str) -> tuple[float, float]:
    """CBC's final ``(objective, best bound)`` of a MILP from its whole log, in CBC's terms
    (minimisation, no constant); NaN for what the log does not state.

    The bound is the ``Lower bound`` of the ``Result -`` block (a stopped search), else the
    ``Bound`` of the final summary line of the newer CBC, else the last ``best possible`` of a
    search that stopped at the gap, else, for a completed search (``Optimal solution
    found``), the objective itself.
    """
    fields: dict[str, float] = {}
    result = _RESULT.findall(log)
    tail = log[log.rfind("Result - ") :] if result else ""
    for name, value in _RESULT_FIELD.findall(tail):
        fields.setdefault(name, _value(value))
    objective = fields.get("Objective value", math.nan)
    if "Lower bound" in fields:
        return objective, fields["Lower bound"]
    finals = _FINAL.findall(log)
    if finals:
        best, bound, _, _ = finals[-1]
        return (objective if math.isfinite(objective) else _value(best)), _value(bound)
    if _GAP_EXIT.search(log):
        bounds = [u.bound for u in parse_cbc_log(log) if u.kind == "mip" and math.isfinite(u.bound)]
        return objective, bounds[-1] if bounds else math.nan
    if result and result[-1].strip().startswith("Optimal solution found"):
        return objective, objective
    return objective, math.nan


class CbcLogFollower:
    """Follow a log file that a solver process is writing, in a thread, and pass the progress
    of each new line (:class:`CbcLogParser`, turned into the caller's terms by ``convert``)
    to ``reporter``, timed by this process's clock from the start of the block.

    Use as a context manager around the solve; on exit the rest of the file is read once more.
    A reporter that raises is dropped; the solve goes on.
    """

    def __init__(
        self,
        path: Path,
        reporter: Reporter,
        convert: Callable[[ProgressUpdate], ProgressUpdate] | None = None,
        mip: bool = True,
        poll: float = 0.1,
    ) -> None:
        self.path = Path(path)
        self.reporter: Reporter | None = reporter
        self.convert = convert or (lambda u: u)
        self.poll = poll
        self.updates = 0
        """Updates passed on."""
        self._pos = 0
        self._partial = b""
        self._parser = CbcLogParser(mip)
        self._start = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="cbc-log")

    def _read(self, final: bool = False) -> None:
        try:
            with open(self.path, "rb") as f:
                f.seek(self._pos)
                chunk = f.read()
                self._pos = f.tell()
        except OSError:  # not created yet
            return
        lines = (self._partial + chunk).split(b"\n")
        self._partial = b"" if final else lines.pop()
        for raw in lines:
            update = self._parser.feed(raw.decode("utf-8", errors="replace"))
            if update is None or self.reporter is None:
                continue
            update = replace(update, elapsed=time.monotonic() - self._start)
            try:
                self.reporter(self.convert(update))
                self.updates += 1
            except Exception:  # a failing reporter must not stop a solve
                self.reporter = None

    def _run(self) -> None:
        while not self._stop.wait(self.poll):
            self._read()

    def __enter__(self) -> CbcLogFollower:
        self._start = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._read(final=True)
