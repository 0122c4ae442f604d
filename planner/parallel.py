"""Worker processes that never hang: one process map for every parallel helper.

The planner's parallel helpers (marginal contributions, Shapley values, local sweeps and
frontiers, stress ``each`` runs) start *spawned* worker processes. A spawned worker imports the
main module again before it runs a task; in a plain script without an ``if __name__ ==
"__main__":`` guard that import runs the whole script once more, the worker fails, and the
parent used to wait for it for good. :func:`process_map` sees such a script before starting any
process and runs the tasks in this process instead, with a :class:`SerialFallbackWarning`; a
worker that dies anyway (out of memory, killed, a script the check could not read) ends the
call at once with a :class:`ParallelError` naming the cause.
"""

from __future__ import annotations

import ast
import concurrent.futures as cf
import multiprocessing as mp
import sys
import warnings
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from types import FrameType
from typing import Any

from planner.errors import EXIT_SOLVER_ERROR, PlannerError

__all__ = ["ParallelError", "SerialFallbackWarning", "main_is_unguarded", "process_map"]

GUARD_HINT = (
    'put the call under `if __name__ == "__main__":` (worker processes import the main '
    "script again), or pass workers=1"
)


class ParallelError(PlannerError, RuntimeError):
    """Worker processes could not run the tasks (a worker died, or a worker re-ran an
    unguarded script); the message names the cause and the fix."""

    exit_code = EXIT_SOLVER_ERROR
    prefix = "parallel run failed: "


class SerialFallbackWarning(RuntimeWarning):
    """Tasks asked for worker processes ran in this process instead (an unguarded script)."""


def _module_frame(main: object) -> FrameType | None:
    """The frame running the main module's top-level code, if it is on this thread's stack."""
    namespace = getattr(main, "__dict__", None)
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "<module>" and frame.f_globals is namespace:
            return frame
        frame = frame.f_back
    return None


def _is_main_test(node: ast.expr) -> bool:
    """``__name__ == "__main__"`` (either side)."""
    if not (isinstance(node, ast.Compare) and len(node.ops) == 1):
        return False
    if not isinstance(node.ops[0], ast.Eq):
        return False
    sides = [node.left, node.comparators[0]]
    names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
    texts = [s for s in sides if isinstance(s, ast.Constant) and s.value == "__main__"]
    return bool(names and texts)


@lru_cache(maxsize=8)
def _guarded_lines(path: str, mtime: float) -> tuple[tuple[int, int], ...] | None:
    """Line ranges of the ``if __name__ == "__main__":`` blocks of a script (None if the
    file cannot be read or parsed)."""
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8", errors="replace"))
    except (OSError, SyntaxError, ValueError):
        return None
    return tuple(
        (node.body[0].lineno, node.end_lineno or node.body[-1].lineno)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and _is_main_test(node.test)
    )


def main_is_unguarded() -> bool:
    """Whether this call comes from the top level of a main script outside an ``if __name__
    == "__main__":`` block, so that spawned workers would run the script again.

    False in an interactive session, under ``python -c``, inside a guarded block, and when the
    call does not come from the main module's top-level code.
    """
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if main is None or path is None:
        return False
    frame = _module_frame(main)
    if frame is None:
        return False
    p = Path(path)
    if not p.is_file():  # "<stdin>" and the like: a worker could not import it at all
        return True
    blocks = _guarded_lines(str(p.resolve()), p.stat().st_mtime)
    if blocks is None:
        return False  # unknown: spawn, and let a failing worker end the call (ParallelError)
    line = frame.f_lineno
    return not any(start <= line <= end for start, end in blocks)


def _caller_stacklevel() -> int:
    """The ``stacklevel`` of a warning that points at the first caller outside the planner."""
    frame, level = sys._getframe(1), 1
    while frame is not None and str(frame.f_globals.get("__name__", "")).startswith("planner"):
        frame, level = frame.f_back, level + 1
    return level


def _in_bootstrapping_worker() -> bool:
    """True inside a spawned worker that is still importing the main module."""
    return bool(getattr(mp.current_process(), "_inheriting", False))


def _serial(
    func: Callable[[Any], Any],
    tasks: Sequence[Any],
    initializer: Callable[..., None] | None,
    initargs: tuple,
    progress: Callable[[int, int], None] | None,
) -> list:
    if initializer is not None:
        initializer(*initargs)
    out = []
    for k, task in enumerate(tasks):
        out.append(func(task))
        if progress is not None:
            progress(k + 1, len(tasks))
    return out


def process_map(
    func: Callable[[Any], Any],
    tasks: Iterable[Any],
    workers: int,
    initializer: Callable[..., None] | None = None,
    initargs: tuple = (),
    what: str = "tasks",
    progress: Callable[[int, int], None] | None = None,
) -> list:
    """``[func(t) for t in tasks]`` in up to ``workers`` spawned processes, in task order.

    Parameters
    ----------
    func : callable
        A module-level function of one task (it is pickled by reference).
    tasks : iterable
        The tasks (each pickled to a worker).
    workers : int
        Processes; 1 (or a single task) runs everything in this process.
    initializer, initargs
        Run once in each worker (and once here for an in-process run) before its tasks.
    what : str
        What the tasks are, for messages (``"sourcing LP re-solves"``).
    progress : callable, optional
        Called with ``(done, total)`` after each task, in task order.

    Returns
    -------
    list
        The results, in task order.

    Warns
    -----
    SerialFallbackWarning
        The call comes from an unguarded main script: the tasks run in this process.

    Raises
    ------
    ParallelError
        A worker process died (the message says why and what to change); raised as soon as
        the pool notices, never after an endless wait. Also raised inside a worker that is
        importing an unguarded main script, so that the worker stops at once.
    """
    tasks = list(tasks)
    if _in_bootstrapping_worker():
        raise ParallelError(
            f"a worker process started {what} while importing the main script: {GUARD_HINT}"
        )
    if workers <= 1 or len(tasks) <= 1:
        return _serial(func, tasks, initializer, initargs, progress)
    if main_is_unguarded():
        warnings.warn(
            f"running {len(tasks)} {what} in this process instead of {workers} worker "
            f'processes: the main script has no `if __name__ == "__main__":` guard around '
            "the call, and spawned workers would run the script again",
            SerialFallbackWarning,
            stacklevel=_caller_stacklevel(),
        )
        return _serial(func, tasks, initializer, initargs, progress)
    try:
        with cf.ProcessPoolExecutor(
            max_workers=min(workers, len(tasks)),
            mp_context=mp.get_context("spawn"),
            initializer=initializer,
            initargs=initargs,
        ) as pool:
            futures = [pool.submit(func, t) for t in tasks]
            out = []
            for k, future in enumerate(futures):
                out.append(future.result())
                if progress is not None:
                    progress(k + 1, len(tasks))
            return out
    except cf.process.BrokenProcessPool as exc:
        raise ParallelError(
            f"a worker process running {what} died before finishing ({exc}); if this is a "
            f"script, {GUARD_HINT}; otherwise check the worker's error printed above"
        ) from None
