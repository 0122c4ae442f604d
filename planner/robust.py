"""Solving a robust scenario: the extensive form, or a decomposition over exit scenarios.

:func:`solve_robust` solves the model of :mod:`formulations.robust` one of two ways
(``robustness.method``):

- ``extensive``: every scenario's recourse in one MILP;
- ``decomposition``: column-and-constraint generation. A master holds the nominal model and
  the recourse of the scenarios found so far (the others enter at their lower bound 0, so the
  master's bound is a lower bound); each first stage it proposes is evaluated on every
  scenario by that scenario's recourse LP (:func:`evaluate_scenarios`, the subproblems, run in
  threads or on a Dask cluster); the scenario that adds most to the risk joins the master.
  The true objective of each proposal is an upper bound; the loop stops when the bounds meet
  (``solver.mip_gap``) or no scenario is left to add. The first master has no scenario: it is
  the nominal joint model, whose optimum gives the price of robustness for free.
- ``auto`` (default): the extensive form while it has at most :data:`EXTENSIVE_MAX_COLUMNS`
  columns (the nominal columns plus one recourse copy per scenario), else the decomposition.

Whatever the method, every scenario's recourse is evaluated at the final first stage, so the
table of scenario DIs and costs reports each exit's best recourse.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from formulations.model import CoalitionModel
from formulations.problems import build_model
from formulations.robust import (
    RobustModel,
    build_robust,
    first_stage_values,
    recourse_program,
)
from planner.data.dataset import Dataset
from planner.scenario import Scenario
from planner.solver import SolveOptions, SolveResult, Status, solve

__all__ = [
    "EXTENSIVE_MAX_COLUMNS",
    "RobustOutcome",
    "ScenarioEvaluation",
    "choose_method",
    "evaluate_scenarios",
    "solve_robust",
]

#: the extensive form is solved while it has at most this many columns (``method = "auto"``)
EXTENSIVE_MAX_COLUMNS = 250_000


@dataclass
class ScenarioEvaluation:
    """Every scenario's best recourse at one first stage.

    Attributes
    ----------
    table : pandas.DataFrame
        Indexed by scenario: leavers, probability, dependency (direct DI after the exit and
        the recourse), effective_dependency, total_cost, value (the objective's DI measure +
        tie-break), status.
    links : pandas.DataFrame
        scenario, importer, exporter, sector, baseline, optimized: every link the recourse
        changes.
    domestic : pandas.DataFrame
        scenario, importer, sector, reshoring, partnership.
    investment : pandas.DataFrame
        scenario, exporter, sector, optimized.
    seconds : float
        Wall time of building and solving the subproblems.
    """

    table: pd.DataFrame
    links: pd.DataFrame
    domestic: pd.DataFrame
    investment: pd.DataFrame
    seconds: float = 0.0


@dataclass
class RobustOutcome:
    """A solved robust scenario.

    Attributes
    ----------
    robust : RobustModel
        The final program (extensive form, or the last master).
    result : SolveResult
        Its solve; ``objective`` is the robust objective (nominal + weight x risk over every
        scenario), ``best_bound`` a lower bound.
    evaluation : ScenarioEvaluation
        Every scenario's recourse at the plan.
    nominal_optimum : float
        The nominal joint model's optimal objective (DI + tie-break), NaN if not solved.
    nominal_result : SolveResult or None
        Its solve.
    method : str
        ``extensive`` or ``decomposition``.
    iterations : list of dict
        The decomposition's iterations (bounds, scenarios, seconds); one row for the
        extensive form.
    sizes : dict
        Size of the final program and of the estimated extensive form.
    """

    robust: RobustModel
    result: SolveResult
    evaluation: ScenarioEvaluation
    nominal_optimum: float
    nominal_result: SolveResult | None
    method: str
    iterations: list[dict] = field(default_factory=list)
    sizes: dict = field(default_factory=dict)
    nominal_dependency: float = math.nan

    @property
    def model(self) -> CoalitionModel:
        """The model whose plan is the robust plan (``model.plan(result.x)``)."""
        return self.robust.model


def choose_method(scenario: Scenario, nominal_columns: int, recourse_columns: int, n: int) -> str:
    """``robustness.method``, with ``auto`` resolved by the size rule."""
    method = scenario.robustness.method
    if method != "auto":
        return method
    total = nominal_columns + n * recourse_columns
    return "extensive" if total <= EXTENSIVE_MAX_COLUMNS else "decomposition"


def _solve_one(program, options: SolveOptions) -> SolveResult:
    return solve(program, "highs", options)


def _run(programs: list, options: SolveOptions, executor: str, workers: int) -> list:
    """Solve the subproblem LPs: in threads here (HiGHS releases the GIL), or on Dask."""
    if executor == "dask":
        from planner.sweep import dask_client

        with dask_client(workers) as client:
            futures = client.map(_solve_one, programs, [options] * len(programs), pure=False)
            return client.gather(futures)
    if workers <= 1 or len(programs) <= 1:
        return [_solve_one(p, options) for p in programs]
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda p: _solve_one(p, options), programs))


def evaluate_scenarios(
    rm: RobustModel,
    x: np.ndarray,
    which: np.ndarray | None = None,
    options: SolveOptions | None = None,
    executor: str = "local",
    workers: int = 1,
) -> ScenarioEvaluation:
    """Every (or the ``which``) scenario's best recourse at the first stage of ``x``.

    Each scenario is its own recourse LP (:func:`formulations.robust.recourse_program`),
    solved with HiGHS through the executor (``local`` threads, or ``dask``).
    """
    t0 = time.perf_counter()
    scen = rm.scenarios
    which = np.arange(len(scen)) if which is None else np.asarray(which)
    values = first_stage_values(rm.builder, x)
    built = [
        recourse_program(
            rm.builder, values, scen.names[e : e + 1], scen.leaves[e : e + 1], f"recourse_{e}"
        )
        for e in which
    ]
    opts = (options or SolveOptions()).with_(time_limit=None, fixed_milp_duals=False)
    opts = opts.with_(threads=1, log_file=None)
    results = _run([p for p, _ in built], opts, executor, workers)
    rows, links, dom, inv = [], [], [], []
    inst = rm.model.instance
    for e, (_program, rec), res in zip(which, built, results, strict=True):
        row = {
            "scenario": scen.names[e],
            "leavers": scen.names[e].split("+") if scen.names[e] else [],
            "probability": float(scen.probabilities[e]),
            "status": res.status.value,
        }
        if res.status.has_solution:
            xs = res.x
            row.update(
                dependency=_di(rec, rec.adversary_imports, xs),
                total_cost=float(rec.total_cost.value(xs)[0]),
                value=float(rec.value.value(xs)[0]),
            )
            row["effective_dependency"] = _di(rec, rec.effective_adversary_imports, xs)
            links.append(_changed_links(inst, rec, xs, scen.names[e]))
            dom.append(_domestic(inst, rec, xs, scen.names[e]))
            inv.append(_investment(inst, rec, xs, scen.names[e]))
        else:
            row.update(dependency=math.nan, total_cost=math.nan, value=math.nan)
            row["effective_dependency"] = math.nan
        rows.append(row)
    table = pd.DataFrame(rows).set_index("scenario")
    cols = ["scenario", "importer", "exporter", "sector", "baseline", "optimized"]
    return ScenarioEvaluation(
        table=table,
        links=_concat(links, cols),
        domestic=_concat(dom, ["scenario", "importer", "sector", "reshoring", "partnership"]),
        investment=_concat(inv, ["scenario", "exporter", "sector", "optimized"]),
        seconds=time.perf_counter() - t0,
    )


def _concat(parts: list[pd.DataFrame], cols: list[str]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in cols})
    return pd.concat(parts, ignore_index=True)[cols]


def _di(rec, adversary_imports, x: np.ndarray) -> float:
    """The DI of one scenario from its (direct or effective) adversary imports."""
    inst = rec.inst
    d = inst.demand.ravel()
    nC = inst.n_countries
    share_w = np.divide(np.tile(inst.weight_share, nC), d, out=np.zeros(len(d)), where=d > 0)
    a = adversary_imports.value(x)
    dep = np.bincount(rec.pair_country, weights=a * np.tile(share_w, rec.n), minlength=rec.n * nC)
    return float(dep @ np.tile(inst.gdp_weight, rec.n))


def _changed_links(inst, rec, x: np.ndarray, name: str) -> pd.DataFrame:
    lk = inst.links
    change = rec.change.value(x)
    keep = np.abs(change) > 1e-9
    return pd.DataFrame(
        {
            "scenario": name,
            "importer": inst.countries[lk.importer[keep]],
            "exporter": inst.countries[lk.exporter[keep]],
            "sector": inst.sectors[lk.sector[keep]],
            "baseline": lk.baseline[keep],
            "optimized": np.maximum(lk.baseline[keep] + change[keep], 0.0),
        }
    )


def _domestic(inst, rec, x: np.ndarray, name: str) -> pd.DataFrame:
    q, g = rec.reshoring.value(x), rec.partnership.value(x)
    keep = (q > 1e-9) | (g > 1e-9)
    pairs = inst.pair_index()
    return pd.DataFrame(
        {
            "scenario": name,
            "importer": pairs.get_level_values(0)[keep],
            "sector": pairs.get_level_values(1)[keep],
            "reshoring": q[keep],
            "partnership": g[keep],
        }
    )


def _investment(inst, rec, x: np.ndarray, name: str) -> pd.DataFrame:
    e = rec.investment.value(x)
    keep = e > 1e-9
    pairs = inst.pair_index()
    return pd.DataFrame(
        {
            "scenario": name,
            "exporter": pairs.get_level_values(0)[keep],
            "sector": pairs.get_level_values(1)[keep],
            "optimized": e[keep],
        }
    )


def _master_options(options: SolveOptions, started: float, limit: float | None) -> SolveOptions:
    if limit is None:
        return options
    left = max(1.0, limit - (time.perf_counter() - started))
    return options.with_(time_limit=left)


def _true_objective(rm: RobustModel, x: np.ndarray, ev: ScenarioEvaluation) -> float:
    nominal = float(rm.nominal_objective.value(x)[0])
    values = ev.table["value"].to_numpy(float)
    return nominal + rm.config.weight * rm.risk(values)


def solve_robust(
    dataset: Dataset,
    scenario: Scenario,
    options: SolveOptions | None = None,
    backend: str | None = None,
    executor: str = "local",
    workers: int | None = None,
    max_iterations: int = 50,
) -> RobustOutcome:
    """Build and solve a robust scenario (extensive form or decomposition, see the module).

    Parameters
    ----------
    dataset : planner.data.Dataset
    scenario : planner.scenario.Scenario
        With ``[robustness]`` defectors.
    options : SolveOptions, optional
        For the MILPs (``time_limit`` bounds the whole solve, ``mip_gap`` the bounds' gap).
    backend : str, optional
        The MILPs' backend (default the scenario's); subproblem LPs use HiGHS.
    executor : {"local", "dask"}
        Where the subproblems run.
    workers : int, optional
        Subproblems at once (default ``options.threads``).
    max_iterations : int
        The decomposition's iterations at most.

    Returns
    -------
    RobustOutcome
    """
    options = options or SolveOptions()
    backend = backend or scenario.solver.backend
    workers = workers or max(1, int(options.threads or 1))
    started = time.perf_counter()
    probe = build_robust(dataset, scenario, included=np.zeros(0, dtype=np.int64))
    n = len(probe.scenarios)
    nominal_cols = probe.program.n_variables
    recourse_cols = int((probe.program.integrality() == 0).sum())
    method = choose_method(scenario, nominal_cols, recourse_cols, n)
    sizes = {
        "scenarios": n,
        "nominal_columns": nominal_cols,
        "estimated_extensive_columns": nominal_cols + n * recourse_cols,
    }
    if method == "extensive" or n == 0:
        return _extensive(dataset, scenario, options, backend, executor, workers, started, sizes)
    return _decomposition(
        dataset,
        scenario,
        probe,
        options,
        backend,
        executor,
        workers,
        started,
        sizes,
        max_iterations,
    )


def _extensive(dataset, scenario, options, backend, executor, workers, started, sizes):
    nominal_model = build_model(dataset, scenario)
    nominal = solve(nominal_model.program, backend, options)
    nominal_opt = nominal.objective if nominal.status.has_solution else math.nan
    nominal_di = _dependency(nominal_model, nominal)
    rm = build_robust(dataset, scenario)
    res = solve(rm.program, backend, _master_options(options, started, options.time_limit))
    sizes.update(_program_sizes(rm))
    rows = [
        {
            "iteration": 0,
            "scenarios_in_master": len(rm.included),
            "lower_bound": res.best_bound,
            "upper_bound": res.objective,
            "seconds": time.perf_counter() - started,
        }
    ]
    if res.status.has_solution:
        ev = evaluate_scenarios(rm, res.x, options=options, executor=executor, workers=workers)
    else:
        ev = ScenarioEvaluation(pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), pd.DataFrame())
    return RobustOutcome(rm, res, ev, nominal_opt, nominal, "extensive", rows, sizes, nominal_di)


def _dependency(model: CoalitionModel, res: SolveResult) -> float:
    """The DI (the objective's measure) of a solved model, NaN without an optimum."""
    if res.status is not Status.OPTIMAL:
        return math.nan
    return float(model.evaluate(model.dependency_measure(), res.x)[0])


def _program_sizes(rm: RobustModel) -> dict:
    p = rm.program
    return {
        "variables": p.n_variables,
        "integer_variables": int(p.integrality().sum()),
        "constraints": p.n_constraints,
        "nonzeros": p.nnz,
    }


def _pick(rm_all: RobustModel, ev: ScenarioEvaluation, included: list[int], bound: float):
    """The scenario to add: the left-out one that adds most to the risk (None if none does)."""
    cfg = rm_all.config
    values = ev.table["value"].to_numpy(float)
    p = rm_all.scenarios.probabilities
    out = [e for e in range(len(values)) if e not in included]
    if not out:
        return None
    if cfg.mode == "worst_case":
        gain = values[out]
    else:
        gain = p[out] * values[out]
    k = int(np.argmax(gain))
    return out[k] if gain[k] > 0 else None


def _decomposition(
    dataset, scenario, probe, options, backend, executor, workers, started, sizes, max_it
):
    limit = options.time_limit
    gap_tol = max(float(options.mip_gap or 0.0), 1e-9)
    included: list[int] = []
    best = None  # (upper bound, robust model, result, evaluation)
    lower = -math.inf
    rows: list[dict] = []
    nominal_res, nominal_opt, nominal_di = None, math.nan, math.nan
    rm = probe
    status = Status.OPTIMAL
    for it in range(max_it):
        if it:
            if limit is not None and time.perf_counter() - started > 0.95 * limit:
                status = Status.TIME_LIMIT_FEASIBLE  # no time left for another master
                break
            rm = build_robust(dataset, scenario, included=np.array(included, dtype=np.int64))
        res = solve(rm.program, backend, _master_options(options, started, limit))
        if it == 0:
            nominal_res = res
            nominal_opt = res.objective if res.status is Status.OPTIMAL else math.nan
            nominal_di = _dependency(rm.model, res)
        if not res.status.has_solution:
            status = res.status
            break
        if res.status is not Status.OPTIMAL:
            status = res.status
        bound = res.best_bound if np.isfinite(res.best_bound) else res.objective
        lower = max(lower, float(bound))
        ev = evaluate_scenarios(rm, res.x, options=options, executor=executor, workers=workers)
        upper = _true_objective(rm, res.x, ev)
        if best is None or upper < best[0]:
            best = (upper, rm, res, ev)
        rows.append(
            {
                "iteration": it,
                "scenarios_in_master": len(included),
                "lower_bound": lower,
                "upper_bound": best[0],
                "seconds": time.perf_counter() - started,
            }
        )
        if best[0] - lower <= gap_tol * max(abs(best[0]), 1e-12):
            break
        nxt = _pick(rm, ev, included, res.objective)
        if nxt is None:
            break
        included.append(nxt)
        if limit is not None and time.perf_counter() - started > limit:
            status = Status.TIME_LIMIT_FEASIBLE
            break
    if best is None:
        ev = ScenarioEvaluation(pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), pd.DataFrame())
        return RobustOutcome(
            rm, res, ev, nominal_opt, nominal_res, "decomposition", rows, sizes, nominal_di
        )
    upper, rm_best, res_best, ev_best = best
    gap = (upper - lower) / max(abs(upper), 1e-12)
    final_status = (
        Status.OPTIMAL
        if gap <= gap_tol and status is Status.OPTIMAL
        else (Status.TIME_LIMIT_FEASIBLE)
    )
    log = (
        res_best.log
        + "\n--- column-and-constraint generation ---\n"
        + "\n".join(
            f"iteration {r['iteration']}: {r['scenarios_in_master']} scenarios in the master, "
            f"bounds [{r['lower_bound']:.8g}, {r['upper_bound']:.8g}], {r['seconds']:.1f} s"
            for r in rows
        )
    )
    result = replace(
        res_best,
        status=final_status,
        objective=upper,
        best_bound=lower,
        gap=gap,
        log=log + "\n",
        solver_name=f"{res_best.solver_name} (column-and-constraint generation)",
    )
    result.timings["solve"] = time.perf_counter() - started
    sizes.update(_program_sizes(rm_best))
    return RobustOutcome(
        rm_best,
        result,
        ev_best,
        nominal_opt,
        nominal_res,
        "decomposition",
        rows,
        sizes,
        nominal_di,
    )
