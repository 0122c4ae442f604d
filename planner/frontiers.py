"""The cost-versus-dependency frontier (objective ``frontier``): epsilon-constraint.

One ``frontier`` model (minimise total cost subject to ``DI <= target``) is built once. Solved
first with the DI as its objective, it gives the lowest reachable DI; then, with the default
executor ``"reuse"``, it is re-solved for each target, changing only the right-hand side of its
``dependency_target`` row: with ``branch_bound`` in one chain whose solves use the second
thread themselves (LPs side by side, each next point's root solved ahead), with other
backends a MILP's points in ``workers`` chains of worker processes. The executors ``"local"``
and ``"dask"`` solve every target as an independent ``cost`` run instead (worker processes or
a Dask cluster); both give the same columns.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd

from formulations.model import CoalitionModel
from formulations.problems import build_model
from formulations.program import Program
from formulations.sets import TIERS
from planner.data.dataset import Dataset
from planner.scenario import Scenario
from planner.solver import SolveOptions, SolveResult, SolverSession, Status, WarmStart, solve

__all__ = [
    "FRONTIER_COLUMNS",
    "FRONTIER_EXECUTORS",
    "FRONTIER_HIGHS_OPTIONS",
    "ONE_CHAIN_BACKENDS",
    "THREAD_CHAIN_BACKENDS",
    "frontier",
]

FRONTIER_EXECUTORS = ("reuse", "local", "dask")
#: backends whose ``"reuse"`` frontier stays in one chain unless ``workers`` says otherwise:
#: their solves use a second thread themselves (LPs side by side, the next point's root
#: solved ahead); measured side by side, ``benchmarks/milp_speed.py --sections
#: frontier_engines``: one chain 4.9 s, two chains of one thread each 6.1 s (11 points)
ONE_CHAIN_BACKENDS = ("branch_bound",)
#: worker processes (executors ``"local"``, ``"dask"``) or chains when ``workers`` is not given
DEFAULT_WORKERS = 2
#: backends whose frontier chains run in threads of this process rather than worker processes
#: (their solves spend their time in HiGHS, which releases the GIL; measured side by side,
#: ``benchmarks/milp_speed.py --sections frontier_engines``)
THREAD_CHAIN_BACKENDS = ("branch_bound",)
#: HiGHS options every solve of the ``"reuse"`` frontier gets unless ``options`` sets them.
#: The cost MILPs at tight targets spend most of their time in HiGHS's sub-MIP heuristics
#: (RINS, RENS, root reduced cost) while one branching closes their root gap; measured side by
#: side (``benchmarks/milp_speed.py --sections frontier_heuristics``, 11 points on the model's
#: defaults): 109.9 s with HiGHS's defaults, 49.6 s without them, the same cost at every point.
#: Their root cut rounds never move the bound (one branching closes the gap), so a restart
#: after them only repeats the root: in one chain 40.6 s with restarts, 33.1 s without
#: (``--sections frontier_executors``), the same costs, every point optimal.
FRONTIER_HIGHS_OPTIONS: dict[str, bool] = {
    "mip_heuristic_run_rins": False,
    "mip_heuristic_run_rens": False,
    "mip_heuristic_run_root_reduced_cost": False,
    "mip_allow_restart": False,
}

#: the columns of a frontier table, whichever executor computed it
FRONTIER_COLUMNS = (
    "target",
    "status",
    "total_cost",
    "dependency_index",
    "members",
    "restricted",
    "incentivized",
    "solve_seconds",
    "gap",
    "best_bound",
)


def frontier(
    dataset: Dataset,
    scenario: Scenario,
    backend: str = "branch_bound",
    options: SolveOptions | None = None,
    points: int | None = None,
    warm_start: bool = True,
    executor: str = "reuse",
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Trace total cost against dependency from the baseline DI down to the lowest reachable.

    Parameters
    ----------
    dataset, scenario
        As for :func:`formulations.problems.build_model`.
    backend : str
        Solver backend (default the scenario's default, ``branch_bound``: its session keeps
        the relaxation loaded and the earlier points' plans from point to point).
    options : SolveOptions, optional
        Solver options for every point; with HiGHS, :data:`FRONTIER_HIGHS_OPTIONS` fill the
        raw options that ``options.solver_options`` does not set (executor ``"reuse"``).
    points : int, optional
        Number of targets (default ``scenario.objective.points``), evenly spaced from the
        baseline DI to the lowest DI the dependency objective reaches.
    warm_start : bool
        Solve the targets from the tightest to the loosest, each starting from the previous
        point (which stays feasible as the target loosens): HiGHS takes it as a MILP incumbent;
        an LP stays loaded in HiGHS (:class:`~planner.solver.SolverSession`) and hot-starts from
        the previous basis. The rows are returned from the baseline down either way.
    executor : {"reuse", "local", "dask"}
        ``"reuse"`` re-solves the one built program; ``"local"`` (worker processes) and
        ``"dask"`` (a Dask scheduler, ``scheduler`` address or a local cluster) solve each
        target as an independent ``cost`` run of the scenario (its ``data.path`` is loaded by
        every worker; ``dataset`` serves the lowest-DI solve).
    workers : int, optional
        Worker processes for ``"local"`` and ``"dask"`` (default :data:`DEFAULT_WORKERS`).
        With ``"reuse"``, a MILP frontier of at least two points per worker is dealt
        round-robin into this many chains, each solved from the lowest-DI point and then
        from its own previous point, with ``options.threads / workers`` solver threads
        each: in threads of this process with a model copy and a session each (backends
        :data:`THREAD_CHAIN_BACKENDS`), else in worker processes. 1 keeps every point in
        one chain, as does an LP frontier, whose re-solves hot-start in place. Default: one
        chain with the backends :data:`ONE_CHAIN_BACKENDS` (each point's solve uses the
        threads, and the next point's root LP is solved beside it), else
        :data:`DEFAULT_WORKERS` chains.
    scheduler : str, optional
        Dask scheduler address.
    progress : callable, optional
        Called with ``(done, total)`` after the lowest-DI solve and after each point
        (``total = points + 1``), e.g. a bar of :func:`planner.solver.progress.progress_bar`.

    Returns
    -------
    pandas.DataFrame
        One row per point, columns :data:`FRONTIER_COLUMNS`: ``target``, ``status``,
        ``total_cost`` (USD mn), ``dependency_index``, ``members``, ``restricted``,
        ``incentivized`` (counts), ``solve_seconds``, and the solver's ``gap`` and
        ``best_bound`` (USD mn) for each point, so a point stopped by a time limit says how
        far from proven it is. ``attrs`` carry the name, unit, the lowest and the baseline DI.
    """
    if executor not in FRONTIER_EXECUTORS:
        raise ValueError(f"executor {executor!r} is not one of {FRONTIER_EXECUTORS}")
    if workers is None:
        one_chain = executor == "reuse" and backend in ONE_CHAIN_BACKENDS
        workers = 1 if one_chain else DEFAULT_WORKERS
    options = options or SolveOptions()
    if points is not None:  # checked by the scenario's rule for objective.points
        scenario = scenario.with_overrides({"objective.points": points}, source="frontier")
    n = scenario.objective.points
    options = _frontier_options(backend, options)
    # One program serves every solve: first with the DI as its objective (the lowest reachable
    # DI; the target row, at the baseline DI, does not bind), then with the total cost.
    model = build_model(dataset, scenario, objective="frontier")
    program = model.program
    # the solver keeps the loaded model: an LP point only updates a bound and hot-starts
    session = SolverSession() if warm_start else None
    cost_objective = program.objective
    measure = model.dependency_measure()
    di = model.expressions[measure]
    program.set_objective(di.col, di.coef, "min", float(di.const[0]), name=measure)
    try:
        low = solve(program, backend, options, session=session)
    finally:
        program.set_objective(
            cost_objective.cols,
            cost_objective.coefs,
            cost_objective.sense,
            cost_objective.constant,
            cost_objective.name,
        )
    low.raise_for_status()
    if progress is not None:
        progress(1, n + 1)
    di_min = float(model.evaluate(measure, low.x)[0])
    di_base = model.baseline_dependency_index()
    # the last target sits a hair above the minimum so that solver tolerances keep it feasible
    targets = np.linspace(di_base, di_min + 1e-9 + 1e-7 * abs(di_min), n)
    attrs = {
        "name": "frontier",
        "unit": "USD mn",
        "dependency_min": di_min,
        "dependency_baseline": di_base,
        "status_min": Status(low.status).value,
    }
    if executor != "reuse":
        shifted = None if progress is None else (lambda k, total: progress(k + 1, total + 1))
        out = _independent(scenario, targets, executor, workers, scheduler, shifted)
        out.attrs = attrs
        return out
    order = [float(t) for t in targets[::-1]]  # tightest first: each optimum fits the next
    start = low.warm_start() if warm_start else None
    if _in_chains(program, workers, n):
        solved = _solve_chains(model, order, backend, options, start, workers, progress, n)
    else:
        solved = _solve_chain(model, order, backend, options, start, session, progress, n)
    rows = [_row(model, measure, target, res, seconds) for target, res, seconds in solved]
    out = pd.DataFrame(rows[::-1]).reindex(columns=list(FRONTIER_COLUMNS))
    out.attrs = attrs
    return out


def _in_chains(program: Program, workers: int, points: int) -> bool:
    """Solve the points in ``workers`` chains of worker processes: a MILP (an LP re-solve
    hot-starts in this process in milliseconds) with at least two points per chain."""
    return workers > 1 and program.is_mip and points >= 2 * workers


def _solve_chain(
    model: CoalitionModel,
    order: list[float],
    backend: str,
    options: SolveOptions,
    start: WarmStart | None,
    session: SolverSession | None,
    progress: Callable[[int, int], None] | None = None,
    total: int = 0,
    done: int = 1,
) -> list[tuple[float, SolveResult, float]]:
    """Solve the targets in ``order``, each from the previous point (``start`` first)."""
    out = []
    for k, target in enumerate(order):
        if session is not None and k + 1 < len(order):  # the next point's root, ahead
            model.set_dependency_target(order[k + 1])
            session.expect(model.program, backend, options)
        model.set_dependency_target(target)
        t0 = time.perf_counter()
        res: SolveResult = solve(model.program, backend, options, start=start, session=session)
        seconds = time.perf_counter() - t0
        if start is not None and res.status.has_solution:
            start = res.warm_start()
        out.append((target, res, seconds))
        if progress is not None:
            progress(done + len(out), total + 1)
    return out


def _chain_task(item: tuple) -> list[tuple[float, SolveResult, float]]:
    """One chain in a worker process: the model arrives pickled with the program; the chain
    keeps its own solver session (``branch_bound`` keeps its relaxation loaded)."""
    model, order, backend, options, start = item
    return _solve_chain(model, order, backend, options, start, SolverSession())


def _solve_chains(
    model: CoalitionModel,
    order: list[float],
    backend: str,
    options: SolveOptions,
    start: WarmStart | None,
    workers: int,
    progress: Callable[[int, int], None] | None,
    total: int,
) -> list[tuple[float, SolveResult, float]]:
    """The targets dealt round-robin into ``workers`` chains (tightest first in each), each
    warm-started from the lowest-DI point (feasible for every target) and then from its own
    previous point, ``options.threads / workers`` solver threads per chain: in threads of
    this process (:data:`THREAD_CHAIN_BACKENDS`) or worker processes; back in ``order``."""
    chains = [order[k::workers] for k in range(workers)]
    per_chain = options.with_(threads=max(1, (options.threads or workers) // workers))
    if start is not None:
        start = replace(start, basis=None)  # a MILP start is its point
    run = _in_threads if backend in THREAD_CHAIN_BACKENDS else _in_processes
    parts = run(model, chains, backend, per_chain, start, progress, total)
    by_target = {target: (res, seconds) for part in parts for target, res, seconds in part}
    return [(t, *by_target[t]) for t in order]


def _in_processes(model, chains, backend, options, start, progress, total) -> list:
    """Each chain in a worker process (:func:`_chain_task`)."""
    from planner.parallel import process_map

    items = [(model, chain, backend, options, start) for chain in chains]
    shifted = None
    if progress is not None:
        sizes = [len(c) for c in chains]
        shifted = lambda k, _total: progress(1 + sum(sizes[:k]), total + 1)  # noqa: E731
    return process_map(_chain_task, items, len(chains), what="frontier chains", progress=shifted)


def _in_threads(model, chains, backend, options, start, progress, total) -> list:
    """Each chain in a thread of this process with its own copy of the model and its own
    :class:`~planner.solver.SolverSession` (HiGHS releases the GIL while it solves): no
    worker start-up, no model sent to another process."""
    from concurrent.futures import ThreadPoolExecutor

    models = [model] + [copy.deepcopy(model) for _ in chains[1:]]
    lock, done = threading.Lock(), [1]

    def tick(_k: int, _total: int) -> None:
        with lock:
            done[0] += 1
            if progress is not None:
                progress(done[0], total + 1)

    with ThreadPoolExecutor(max_workers=len(chains), thread_name_prefix="frontier") as pool:
        futures = [
            pool.submit(_solve_chain, m, chain, backend, options, start, SolverSession(), tick)
            for m, chain in zip(models, chains, strict=True)
        ]
        return [f.result() for f in futures]


def _row(
    model: CoalitionModel, measure: str, target: float, res: SolveResult, seconds: float
) -> dict:
    """One frontier row: the solver's figures and, with a point, cost, DI and counts."""
    row = {
        "target": target,
        "status": res.status.value,
        "solve_seconds": seconds,
        "gap": float(res.gap),
        "best_bound": float(res.best_bound),
    }
    if res.status.has_solution:
        # counts straight from the expressions: decoding a whole Plan per point costs more
        # than the warm-started solve
        member = (model.evaluate("full_member", res.x) > 0.5) & ~model.instance.adversary
        tier_values = np.stack([model.evaluate(f"tier_{t}", res.x) for t in TIERS], axis=1)
        tier = np.array(TIERS)[tier_values.argmax(axis=1)]
        row.update(
            total_cost=float(model.evaluate("total_cost", res.x)[0]),
            dependency_index=float(model.evaluate(measure, res.x)[0]),
            members=int(member.sum()),
            restricted=int((tier == "restricted").sum()),
            incentivized=int((tier == "incentivized").sum()),
        )
    return row


def _independent(
    scenario: Scenario,
    targets: np.ndarray,
    executor: str,
    workers: int,
    scheduler: str | None,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Every target as its own ``cost`` run through :func:`planner.sweep.run_sweep`."""
    from planner.sweep import run_sweep

    cost = scenario.with_overrides({"objective.kind": "cost"}, source="frontier")
    grid = {"objective.target": [float(t) for t in targets]}
    table = run_sweep(cost, grid, executor, workers, scheduler, progress=progress)
    table = table.rename(
        columns={
            "objective.target": "target",
            "dependency_after": "dependency_index",
            "seconds": "solve_seconds",
        }
    )
    return table.reindex(columns=list(FRONTIER_COLUMNS)).reset_index(drop=True)


def _frontier_options(backend: str, options: SolveOptions | None) -> SolveOptions:
    """``options`` for the frontier's solves: no duals (a frontier row reports none, and the
    LP with integers fixed would be solved again at every point) and, with HiGHS,
    :data:`FRONTIER_HIGHS_OPTIONS` under the caller's own raw options."""
    options = options if options is not None else SolveOptions()
    options = replace(options, fixed_milp_duals=False)
    if backend != "highs":
        return options
    merged = {**FRONTIER_HIGHS_OPTIONS, **options.solver_options}
    return replace(options, solver_options=merged)
