"""Running a pathway scenario: build, solve, interpret (``planner run`` on a ``[pathway]``).

:func:`solve_pathway` builds the pathway (and, with ``pathway.compare_free_order``, the free
order under the same budgets and accession limits: both are built before either is solved, so a
bad input stops the run before any solve), solves them and interprets them. The run directory's
usual files then describe the last phase; :func:`planner.runs.run_scenario` adds the pathway's
own files.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from formulations.model import CoalitionModel
from formulations.pathway import PathwayModel, build_pathway
from planner.data.dataset import Dataset
from planner.interpreter.core import Interpretation
from planner.interpreter.pathway import PathwayInterpretation, interpret_pathway, phase_result
from planner.scenario import Scenario
from planner.solver import SolveOptions, SolveResult, WarmStart, solve

__all__ = ["PathwayOutcome", "solve_pathway"]


@dataclass
class PathwayOutcome:
    """A solved pathway: the last phase as a one-phase model and result, and the pathway.

    Attributes
    ----------
    model : CoalitionModel
        The last phase (problem ``pathway``); without a solution its program is the combined
        one (for the diagnosis of an infeasible pathway).
    result : SolveResult
        The last phase's view of the solve (the combined solve without a solution).
    interpretation : Interpretation or None
        The last phase interpreted like a single-phase run.
    pathway : PathwayInterpretation or None
        Every phase (None without a solution).
    models : tuple of PathwayModel
        The pathway and, when solved, the free order.
    results : tuple of SolveResult
        Their solves.
    """

    model: CoalitionModel
    result: SolveResult
    interpretation: Interpretation | None
    pathway: PathwayInterpretation | None
    models: tuple[PathwayModel, ...]
    results: tuple[SolveResult, ...]


def solve_pathway(
    scenario: Scenario, dataset: Dataset, backend: str, options: SolveOptions
) -> PathwayOutcome:
    """Build, solve and interpret a pathway scenario (and its free order when asked).

    Raises
    ------
    formulations.instance.FormulationError
        Naming the key, before anything is solved.
    """
    pm = build_pathway(dataset, scenario)
    free_pm = None
    if scenario.pathway.compare_free_order:
        free_pm = build_pathway(dataset, scenario, free_order=True)
    result = _solve(pm, backend, options)
    models, results = (pm,), (result,)
    if free_pm is not None:
        start = None
        if result.has_solution and backend == "highs":  # the fixed order is a free-order plan
            start = WarmStart(x=result.x, backend="highs")
        free_res = _solve(free_pm, backend, options, start)
        models, results = (pm, free_pm), (result, free_res)
    build = sum(m.program.build_seconds for m in models)
    if not result.has_solution:
        model = replace(pm.base, problem="pathway", program=pm.program)
        return PathwayOutcome(model, result, None, None, models, results)
    pi = interpret_pathway(pm, result, dataset, options)
    if free_pm is not None and results[1].has_solution:
        pi.free = interpret_pathway(
            free_pm, results[1], dataset, options, marginal=False, last=False
        )
    k = len(pm.phases) - 1
    model = replace(pm.phase_model(k), problem="pathway")
    model.program.build_seconds = build
    view = phase_result(pm, result, k)
    view.timings = dict(result.timings)
    if len(results) > 1:  # the free order's solve, beside the pathway's
        view.timings.update({f"free_{n}": v for n, v in results[1].timings.items()})
    return PathwayOutcome(model, view, pi.last, pi, models, results)


def _solve(
    pm: PathwayModel, backend: str, options: SolveOptions, start: WarmStart | None = None
) -> SolveResult:
    t0 = time.perf_counter()
    res = solve(pm.program, backend, options, start=start)
    res.timings.setdefault("solve_wall", time.perf_counter() - t0)
    return res
