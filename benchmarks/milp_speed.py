"""MILP speed (issue 15): formulation strength, backends per shipped scenario, acceptance figures.

Side by side in one run (the machine is shared and noisy: compare within a run, read the CPU
seconds beside the wall ones, repeat with ``--repeat``):

* ``formulation``: the D-TEP core joint MILP (``scenarios/default.toml``) and the model's
  defaults (dependency and cost for DI <= 0.10) with and without the valid inequalities
  (``formulations.families.VALID_INEQUALITIES``): LP relaxation bound, then HiGHS and CBC: root
  bound, final bound, nodes, wall and CPU seconds;
* ``backends``: every ``scenarios/*.toml`` with HiGHS and with CBC (PuLP), each with the
  scenario's own limits and options: status, objective, seconds (the evidence for the
  backend each scenario ships with);
* ``frontier_heuristics``: the 11-point joint-MILP frontier on the defaults with
  ``FRONTIER_HIGHS_OPTIONS`` (HiGHS's sub-MIP heuristics off, the frontier's default) and with
  HiGHS's own defaults, side by side in one run, with the cost of every point.
* ``auto``: every shipped scenario and the model's defaults with HiGHS, CBC and ``auto`` (the
  race of :mod:`planner.solver.race`) side by side, 2 threads each, plus CBC on one thread
  with and without its feasibility pump (the setting of auto's CBC racer);
* ``frontier_executors``: that frontier with the reuse executor as shipped (2 chains), in one
  chain, in one chain with HiGHS's restarts on, and with the ``local`` executor (2 worker
  processes), against one joint solve;
* ``engines``: every shipped scenario (and the model's defaults) with HiGHS, CBC (PuLP) and
  ``branch_bound`` (planner.solver.branch_bound), 2 threads, side by side: the evidence for
  the default backend;
* ``frontier_engines``: the 11-point joint-MILP frontier on the defaults with HiGHS (2
  chains, the executor's default), with ``branch_bound`` in one chain (its default: LPs side
  by side, the next point's root ahead), in one chain with its LPs one at a time and in 2
  chains, each against one joint solve of the same backend and of HiGHS, the costs of
  every point;
* ``size_capped``: the gallery's best coalition of IPEF's size (13 countries chosen under a
  size cap, 1 thread, 120 s) with ``branch_bound``, HiGHS and CBC: where choosing members, not
  tiers, is the hard part (``branch_bound`` hands such a search to HiGHS after
  ``NODE_LIMIT`` nodes);
* ``acceptance``: the D-TEP core solve step with its shipped backend (including the duals),
  ``planner run scenarios/default.toml`` end to end, and an 11-point joint-MILP frontier on the
  defaults against one joint solve.

    python benchmarks/milp_speed.py [--sections formulation,backends,acceptance]
                                    [--repeat R] [--time-limit S] [--threads N]

Prints tables and writes ``benchmarks/results/milp_speed_DATE.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from formulations.families import VALID_INEQUALITIES  # noqa: E402
from formulations.problems import build_model  # noqa: E402
from planner.scenario import Scenario, load_scenario, load_scenario_dataset  # noqa: E402
from planner.solver import SolveOptions, solve  # noqa: E402
from planner.solver import highs as highs_backend  # noqa: E402
from planner.solver.arrays import ProgramArrays  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
SECTIONS = (
    "formulation",
    "backends",
    "acceptance",
    "frontier_heuristics",
    "auto",
    "frontier_executors",
    "engines",
    "frontier_engines",
    "size_capped",
)


def cpu_seconds() -> float:
    """CPU seconds of this process and its finished children (CBC runs as a child)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def highs_log_figures(log: str) -> dict:
    """Root bound (last node-0 line), nodes from HiGHS's MIP log."""
    rows = re.findall(
        r"^\s*[A-Za-z]?\s+(\d+)\s+\d+\s+\d+\s+[\d.]+%\s+(\S+)\s+(\S+)\s+(\S+)", log, re.M
    )
    root = [float(b) for n, b, _, _ in rows if n == "0" and b not in ("-inf", "inf")]
    nodes = re.search(r"^\s*Nodes\s+(\d+)", log, re.M)
    return {
        "root_bound_scaled": root[-1] if root else None,
        "nodes": int(nodes.group(1)) if nodes else None,
    }


def cbc_log_figures(log: str) -> dict:
    """Root bound after cuts and nodes from CBC's log (both log styles)."""
    root = re.search(r"cuts, obj (\S+) → (\S+)", log) or re.search(
        r"At root node, .* objective from \S+ to (\S+)", log
    )
    nodes = re.search(r"Nodes: (\d+)", log) or re.search(r"Enumerated nodes:\s+(\d+)", log)
    lp = re.search(r"LP Optimal .*? Obj: (\S+)", log)
    return {
        "root_lp_scaled": float(lp.group(1)) if lp else None,
        "root_bound_scaled": float(root.groups()[-1]) if root else None,
        "nodes": int(nodes.group(1)) if nodes else None,
    }


def lp_bound(program) -> tuple[float, float]:
    """The LP relaxation's optimum and its seconds (HiGHS)."""
    arr = ProgramArrays.from_program(program)
    lp = replace(arr, integrality=np.zeros_like(arr.integrality))
    t0 = time.perf_counter()
    out = highs_backend.solve(lp, SolveOptions(threads=1))
    return float(out.objective), time.perf_counter() - t0


def timed_solve(program, backend: str, options: SolveOptions) -> dict:
    """Solve once; wall and CPU seconds, status, objective, bounds, the worst violation, the
    solver's summary, nodes (from HiGHS's or CBC's log), whether branch_bound handed over."""
    c0, t0 = cpu_seconds(), time.perf_counter()
    res = solve(program, backend, options)
    wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    logs = {"highs": highs_log_figures, "pulp": cbc_log_figures}
    figures = logs[backend](res.log) if backend in logs else {}
    return {
        "backend": backend if backend != "pulp" else f"pulp/{options.pulp_solver}",
        "status": res.status.value,
        "objective": res.objective,
        "best_bound": res.best_bound,
        "gap": res.gap,
        "solve_seconds": res.timings["solve"],
        "duals_seconds": res.timings["duals"],
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "max_violation": res.max_violation,
        "summary": res.solver_status,
        "handed_over": "handed to HiGHS" in res.log,
        **figures,
    }


def options_of(sc: Scenario, time_limit: float | None, threads: int | None) -> SolveOptions:
    s = sc.solver
    return SolveOptions(
        time_limit=time_limit or s.time_limit,
        mip_gap=s.mip_gap,
        threads=threads or s.threads,
        random_seed=s.random_seed,
        pulp_solver=s.pulp_solver,
        solver_options=dict(s.options),
    )


def problems() -> list[tuple[str, Scenario, str | None]]:
    dtep = load_scenario(ROOT / "scenarios" / "default.toml")
    defaults = Scenario(name="defaults")
    return [
        ("dtep-core joint (dependency)", dtep, None),
        ("defaults joint (dependency)", defaults, None),
        (
            "defaults joint (cost, DI<=0.10)",
            replace(defaults, objective=replace(defaults.objective, kind="cost", target=0.10)),
            None,
        ),
    ]


def section_formulation(args) -> list[dict]:
    rows = []
    for label, sc, kind in problems():
        ds = load_scenario_dataset(sc, ROOT / "scenarios")
        model = build_model(ds, sc, kind)
        strong = model.program
        plain = strong.without(VALID_INEQUALITIES)
        for rep in range(args.repeat):
            for variant, program in (("plain", plain), ("valid inequalities", strong)):
                bound, lp_s = lp_bound(program)
                for backend in ("highs", "pulp"):
                    # solver options tuned for one backend are not the other's
                    base = replace(sc, solver=replace(sc.solver, options={}))
                    opts = options_of(base, args.time_limit, args.threads)
                    r = timed_solve(program, backend, opts)
                    r.update(
                        problem=label,
                        variant=variant,
                        repeat=rep,
                        rows=program.n_constraints,
                        lp_bound=bound,
                        lp_seconds=lp_s,
                    )
                    rows.append(r)
                    print(
                        f"{label:<34} {variant:<19} {r['backend']:<18} lp {bound:.6g}  "
                        f"{r['status']:<22} obj {r['objective']:.6g} bound {r['best_bound']:.6g}"
                        f"  nodes {r['nodes']}  wall {r['wall_seconds']:6.1f} s  "
                        f"cpu {r['cpu_seconds']:6.1f} s",
                        flush=True,
                    )
    return rows


def section_backends(args) -> list[dict]:
    rows = []
    for path in sorted((ROOT / "scenarios").glob("*.toml")):
        sc = load_scenario(path)
        ds = load_scenario_dataset(sc, path.parent)
        model = build_model(ds, sc)
        for backend in ("highs", "pulp"):
            own = backend == sc.solver.backend
            base = sc if own else replace(sc, solver=replace(sc.solver, options={}))
            r = timed_solve(model.program, backend, options_of(base, args.time_limit, None))
            r.update(scenario=path.name, problem=model.problem, shipped=own)
            rows.append(r)
            print(
                f"{path.name:<28} {model.problem:<15} {r['backend']:<18}"
                f"{'(shipped)' if own else '':<10} {r['status']:<22} obj {r['objective']:.8g}  "
                f"wall {r['wall_seconds']:6.1f} s  cpu {r['cpu_seconds']:6.1f} s",
                flush=True,
            )
    return rows


def shipped_problems():
    """Every shipped scenario and the model's defaults: (name, scenario, built program, the
    scenario without raw solver options), one at a time."""
    cases = [
        (p.name, load_scenario(p), p.parent) for p in sorted((ROOT / "scenarios").glob("*.toml"))
    ]
    cases.append(("defaults (MODEL.md)", Scenario(name="defaults"), None))
    for name, sc, where in cases:
        ds = load_scenario_dataset(sc, where) if where is not None else load_scenario_dataset(sc)
        yield (
            name,
            sc,
            build_model(ds, sc).program,
            replace(sc, solver=replace(sc.solver, options={})),
        )


def _auto_line(log: str) -> str:
    return next((line for line in log.splitlines() if line.startswith("auto:")), "")


def section_auto(args) -> list[dict]:
    """Every shipped scenario (and the model's defaults) with HiGHS, CBC and ``auto`` side by
    side in one run, 2 threads for the pinned backends; and CBC on one thread with and
    without its feasibility pump (the setting of auto's CBC racer)."""
    rows = []
    for name, sc, program, base in shipped_problems():
        variants = [
            ("highs", "highs", options_of(base, args.time_limit, 2)),
            ("pulp", "pulp", options_of(base, args.time_limit, 2)),
            ("auto", "auto", options_of(base, args.time_limit, 2)),
            ("cbc 1 thread", "pulp", options_of(base, args.time_limit, 1)),
        ]
        feas_off = replace(base, solver=replace(base.solver, options={"feas": "off"}))
        variants.append(
            ("cbc 1 thread, feas off", "pulp", options_of(feas_off, args.time_limit, 1))
        )
        for label, backend, opts in variants:
            c0, t0 = cpu_seconds(), time.perf_counter()
            res = solve(program, backend, opts)
            wall = time.perf_counter() - t0
            row = {
                "scenario": name,
                "variant": label,
                "shipped": backend == sc.solver.backend,
                "status": res.status.value,
                "objective": res.objective,
                "gap": res.gap,
                "max_violation": res.max_violation,
                "solver": res.solver_name,
                "wall_seconds": wall,
                "cpu_seconds": cpu_seconds() - c0,
                "race": _auto_line(res.log),
            }
            rows.append(row)
            print(
                f"{name:<28} {label:<24} {row['status']:<20} obj {row['objective']:.8g}  "
                f"viol {row['max_violation']:.2g}  wall {wall:6.1f} s  {row['race']}",
                flush=True,
            )
    return rows


def section_acceptance(args) -> list[dict]:
    from planner.frontiers import frontier

    rows = []
    sc = load_scenario(ROOT / "scenarios" / "default.toml")
    ds = load_scenario_dataset(sc, ROOT / "scenarios")
    for rep in range(args.repeat):
        model = build_model(ds, sc)
        r = timed_solve(model.program, sc.solver.backend, options_of(sc, None, None))
        r.update(what="dtep-core solve step incl. duals (shipped backend)", repeat=rep)
        r["goal_seconds"] = 10.0
        rows.append(r)
        print(
            f"{r['what']}: {r['solve_seconds'] + r['duals_seconds']:.1f} s "
            f"(cpu {r['cpu_seconds']:.1f} s) {r['status']}",
            flush=True,
        )
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            c0 = cpu_seconds()
            p = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "planner",
                    "run",
                    str(ROOT / "scenarios" / "default.toml"),
                    "--out",
                    str(Path(tmp) / "run"),
                    "--quiet",
                ],
                capture_output=True,
                text=True,
                timeout=1800,
                cwd=ROOT,
            )
            wall = time.perf_counter() - t0
        rows.append(
            {
                "what": "planner run scenarios/default.toml end to end",
                "repeat": rep,
                "returncode": p.returncode,
                "wall_seconds": wall,
                "cpu_seconds": cpu_seconds() - c0,
                "goal_seconds": 20.0,
            }
        )
        print(f"planner run default.toml: {wall:.1f} s (rc {p.returncode})", flush=True)
        defaults = Scenario(name="defaults")
        dds = load_scenario_dataset(defaults)
        opts = options_of(defaults, args.time_limit, None)
        shipped = defaults.solver.backend
        one = timed_solve(build_model(dds, defaults).program, shipped, opts)
        one_highs = timed_solve(build_model(dds, defaults).program, "highs", opts)
        t0, c0 = time.perf_counter(), cpu_seconds()
        table = frontier(dds, defaults, shipped, opts, points=11)
        wall = time.perf_counter() - t0
        rows.append(
            {
                "what": "11-point joint-MILP frontier on the defaults (shipped backend)",
                "backend": shipped,
                "repeat": rep,
                "one_joint_wall_seconds": one["wall_seconds"],
                "one_joint_highs_wall_seconds": one_highs["wall_seconds"],
                "frontier_wall_seconds": wall,
                "ratio": wall / one["wall_seconds"],
                "ratio_to_highs_joint": wall / one_highs["wall_seconds"],
                "cpu_seconds": cpu_seconds() - c0,
                "goal_ratio": 3.0,
                "statuses": table["status"].tolist(),
                "gaps": table["gap"].tolist(),
                "point_seconds": table["solve_seconds"].tolist(),
            }
        )
        print(
            f"frontier ({shipped}): {wall:.1f} s vs one joint {one['wall_seconds']:.2f} s "
            f"({wall / one['wall_seconds']:.1f}x; one joint HiGHS {one_highs['wall_seconds']:.2f}"
            f" s, {wall / one_highs['wall_seconds']:.1f}x)",
            flush=True,
        )
    return rows


def section_frontier_heuristics(args) -> list[dict]:
    from planner.frontiers import FRONTIER_HIGHS_OPTIONS, frontier

    defaults = Scenario(name="defaults")
    dds = load_scenario_dataset(defaults)
    highs_own = {k: True for k in FRONTIER_HIGHS_OPTIONS}  # HiGHS's defaults, set explicitly
    rows = []
    for rep in range(args.repeat):
        for what, raw in (("sub-MIP heuristics off (default)", {}), ("HiGHS defaults", highs_own)):
            opts = replace(options_of(defaults, args.time_limit, None), solver_options=raw)
            t0, c0 = time.perf_counter(), cpu_seconds()
            table = frontier(dds, defaults, "highs", opts, points=11)
            wall = time.perf_counter() - t0
            rows.append(
                {
                    "what": what,
                    "repeat": rep,
                    "wall_seconds": wall,
                    "cpu_seconds": cpu_seconds() - c0,
                    "statuses": list(table["status"]),
                    "point_seconds": [float(x) for x in table["solve_seconds"]],
                    "total_cost": [float(x) for x in table["total_cost"]],
                }
            )
            print(f"frontier, {what}: {wall:.1f} s", flush=True)
    return rows


def section_frontier_executors(args) -> list[dict]:
    """The 11-point frontier on the defaults against one joint solve, side by side: the reuse
    executor as shipped (2 chains of worker processes), in one chain, in one chain with HiGHS's
    restarts back on, and the ``local`` executor (every point an independent ``cost`` run, 2
    worker processes)."""
    from planner.frontiers import frontier

    defaults = Scenario(name="defaults")
    dds = load_scenario_dataset(defaults)
    rows = []
    for rep in range(args.repeat):
        opts = options_of(defaults, args.time_limit, None)
        one = timed_solve(build_model(dds, defaults).program, "highs", opts)
        restarts = replace(opts, solver_options={"mip_allow_restart": True})
        variants = [
            ("reuse, 2 chains (shipped)", "reuse", opts, 2),
            ("reuse, 1 chain", "reuse", opts, 1),
            ("reuse, 1 chain, restarts on", "reuse", restarts, 1),
            ("local, 2 workers", "local", opts, 2),
        ]
        for what, executor, o, workers in variants:
            t0, c0 = time.perf_counter(), cpu_seconds()
            table = frontier(
                dds, defaults, "highs", o, points=11, executor=executor, workers=workers
            )
            wall = time.perf_counter() - t0
            rows.append(
                {
                    "what": what,
                    "repeat": rep,
                    "one_joint_wall_seconds": one["wall_seconds"],
                    "frontier_wall_seconds": wall,
                    "ratio": wall / one["wall_seconds"],
                    "cpu_seconds": cpu_seconds() - c0,
                    "statuses": list(table["status"]),
                    "gaps": [float(x) for x in table["gap"]],
                    "point_seconds": [float(x) for x in table["solve_seconds"]],
                    "total_cost": [float(x) for x in table["total_cost"]],
                }
            )
            print(
                f"frontier, {what}: {wall:.1f} s vs one joint {one['wall_seconds']:.2f} s "
                f"({wall / one['wall_seconds']:.1f}x), max gap {max(rows[-1]['gaps']):.2g}",
                flush=True,
            )
    return rows


ENGINES = ("highs", "pulp", "branch_bound")


def section_engines(args) -> list[dict]:
    """Every shipped scenario and the model's defaults with each of :data:`ENGINES`, the
    scenario's limits and 2 threads, no raw options (each backend on its own defaults)."""
    rows = []
    for name, sc, program, base in shipped_problems():
        for backend in ENGINES:
            row = timed_solve(program, backend, options_of(base, args.time_limit, 2))
            row.update(scenario=name, shipped=backend == sc.solver.backend)
            rows.append(row)
            print(
                f"{name:<28} {backend:<13} {row['status']:<20} obj {row['objective']:.10g}  "
                f"gap {row['gap']:.2g}  viol {row['max_violation']:.2g}  "
                f"wall {row['wall_seconds']:6.1f} s  {row['summary']}",
                flush=True,
            )
    return rows


def section_frontier_engines(args) -> list[dict]:
    """The 11-point frontier on the defaults with HiGHS in 2 chains and ``branch_bound`` in 1
    chain (its default: LPs side by side and the next point's root ahead, on the second
    thread), in 1 chain with its LPs one at a time (``SIDE_BY_SIDE`` off) and in 2 chains of
    one thread each, against one joint solve with HiGHS and with ``branch_bound`` (LPs side
    by side, and one at a time)."""
    from planner.frontiers import frontier
    from planner.solver import branch_bound

    defaults = Scenario(name="defaults")
    dds = load_scenario_dataset(defaults)
    rows = []

    def joint(backend: str, side: bool, opts: SolveOptions) -> float:
        branch_bound.SIDE_BY_SIDE = side
        try:
            return timed_solve(build_model(dds, defaults).program, backend, opts)["wall_seconds"]
        finally:
            branch_bound.SIDE_BY_SIDE = True

    for rep in range(args.repeat):
        opts = options_of(defaults, args.time_limit, None)
        one = {
            "highs": joint("highs", True, opts),
            "branch_bound": joint("branch_bound", True, opts),
            "branch_bound one at a time": joint("branch_bound", False, opts),
        }
        variants = [
            ("highs, 2 chains", "highs", 2, True, "highs"),
            ("branch_bound, 1 chain (default)", "branch_bound", None, True, "branch_bound"),
            (
                "branch_bound, 1 chain, LPs one at a time",
                "branch_bound",
                1,
                False,
                "branch_bound one at a time",
            ),
            ("branch_bound, 2 chains", "branch_bound", 2, True, "branch_bound"),
        ]
        for what, backend, workers, side, same in variants:
            branch_bound.SIDE_BY_SIDE = side
            t0, c0 = time.perf_counter(), cpu_seconds()
            try:
                table = frontier(dds, defaults, backend, opts, points=11, workers=workers)
            finally:
                branch_bound.SIDE_BY_SIDE = True
            wall = time.perf_counter() - t0
            rows.append(
                {
                    "what": what,
                    "repeat": rep,
                    "one_joint_highs_seconds": one["highs"],
                    "one_joint_branch_bound_seconds": one["branch_bound"],
                    "one_joint_branch_bound_one_at_a_time_seconds": one[
                        "branch_bound one at a time"
                    ],
                    "frontier_wall_seconds": wall,
                    "ratio_to_highs_joint": wall / one["highs"],
                    "ratio_to_same_backend_joint": wall / one[same],
                    "cpu_seconds": cpu_seconds() - c0,
                    "statuses": list(table["status"]),
                    "gaps": [float(x) for x in table["gap"]],
                    "point_seconds": [float(x) for x in table["solve_seconds"]],
                    "total_cost": [float(x) for x in table["total_cost"]],
                }
            )
            print(
                f"frontier, {what}: {wall:.2f} s; one joint HiGHS {one['highs']:.2f} s "
                f"({wall / one['highs']:.2f}x), one joint {same} {one[same]:.2f} s "
                f"({wall / one[same]:.2f}x); max gap {max(rows[-1]['gaps']):.2g}",
                flush=True,
            )
    return rows


def section_size_capped(args) -> list[dict]:
    """IPEF's best same-size coalition (planner.galleries.best_scenario) with each of
    :data:`ENGINES`, one thread and 120 s each, as the gallery solves it."""
    from planner.galleries import best_scenario, bloc_specs

    ds = load_scenario_dataset(Scenario(name="gallery"))
    rows = []
    for spec in bloc_specs(ds, ["ipef"]):
        sc = best_scenario(spec)
        program = build_model(ds, sc).program
        for backend in ENGINES:
            raw = dict(sc.solver.options) if backend == sc.solver.backend else {}
            opts = SolveOptions(
                time_limit=min(args.time_limit, 120.0),
                mip_gap=sc.solver.mip_gap,
                threads=1,
                pulp_solver=sc.solver.pulp_solver,
                solver_options=raw,
            )
            row = timed_solve(program, backend, opts)
            row["problem"] = f"best coalition of {spec.size} ({spec.name})"
            rows.append(row)
            print(
                f"{spec.name} best of {spec.size}: {backend:<13} {row['status']:<20} "
                f"obj {row['objective']:.10g} gap {row['gap']:.2g} "
                f"wall {row['wall_seconds']:6.1f} s "
                f"{'(handed to HiGHS)' if row['handed_over'] else ''}",
                flush=True,
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sections", default=",".join(SECTIONS))
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--time-limit", type=float, default=300.0)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    chosen = [s for s in args.sections.split(",") if s]
    unknown = sorted(set(chosen) - set(SECTIONS))
    if unknown:
        ap.error(f"unknown sections {unknown}; choose from {SECTIONS}")
    out: dict = {
        "benchmark": "milp_speed",
        "date": f"{dt.date.today():%Y-%m-%d}",
        "python": platform.python_version(),
        "machine": platform.machine(),
        "threads": args.threads,
        "time_limit": args.time_limit,
        "valid_inequalities": list(VALID_INEQUALITIES),
        "load_average_start": list(__import__("os").getloadavg()),
    }
    for name in chosen:
        print(f"## {name}", flush=True)
        out[name] = globals()[f"section_{name}"](args)
    out["load_average_end"] = list(__import__("os").getloadavg())
    RESULTS.mkdir(exist_ok=True)
    part = "" if set(chosen) == set(SECTIONS) else "_" + "_".join(chosen)
    path = RESULTS / f"milp_speed_{dt.date.today():%Y%m%d}{part}.json"
    path.write_text(json.dumps(out, indent=2, default=float) + "\n")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
