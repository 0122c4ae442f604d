"""The benchmark suite: assembly, solve per backend, frontier, memory (issue 8).

Every measurement runs in a fresh process, so that its peak resident memory (RSS) is its own;
the variants compared are measured side by side in one run, interleaved, since the machines
are shared and noisy. Prints tables and the goals, writes JSON and a plot:

    python benchmarks/run.py            # full suite (about 30 minutes on 2 cores)
    python benchmarks/run.py --quick    # seconds: small sizes only (what CI runs)
    python benchmarks/run.py --sections assembly,frontier --repeat 5

Sections:

assembly
    The synthetic sourcing LP of ``benchmarks/synthetic.py`` (demand and capacity rows) built
    three ways from the same links: our :class:`formulations.Program` (labelled blocks, CSR),
    the usual PuLP way (``LpVariable.dicts`` and ``lpSum`` over Python loops), and raw
    ``scipy.sparse`` COO → CSR from numpy index arrays (the floor).
solve
    Each backend (highs, scipy, pulp/CBC) on the coalition model's sourcing LP and joint MILP,
    on the shipped dataset (the model's defaults) and on synthetic worlds.
frontier
    An 11-point cost-versus-dependency frontier (one built program re-solved with warm
    starts) against one solve and against 11 independent solves (build and solve each).
world
    A world-scale synthetic sourcing LP (200 countries x 600 sectors, 240 of them critical
    and incentivized, adversaries large in a third of the sectors, 5.4 M candidate links, a
    binding budget): build, then Dantzig-Wolfe over the sectors
    (:func:`planner.solver.solve_decomposed`) and the monolithic LP (HiGHS interior point),
    each in its own process; their objectives are compared.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import datetime as dt
import json
import multiprocessing as mp
import platform
import resource
import statistics
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "benchmarks" / "results"

# ---------------------------------------------------------------------------- sizes
ASSEMBLY_SIZES = {"quick": [10_000, 100_000], "full": [10_000, 100_000, 1_000_000, 5_000_000]}
# (name, countries, sectors, density, critical share) of the synthetic coalition worlds
WORLDS = {
    "synthetic-small": (30, 20, 0.3, 0.2),
    "synthetic-medium": (80, 40, 0.1, 0.2),
    "world-200x600": (200, 600, 0.1, 0.4),
    "world-quick": (40, 20, 0.1, 0.4),  # the world section's code path, in seconds
}
GOALS = {
    "assembly_vs_pulp_at_1M": ">= 20x faster than PuLP-native",
    "assembly_vs_scipy_at_1M": "<= 3x raw scipy.sparse",
    "default_sourcing_lp": "<= 5 s",
    "default_joint_milp_highs": "<= 60 s to 1e-4 gap",
    "frontier_vs_one_solve": "<= 3x one solve",
    "world_lp_build": "<= 30 s (>= 5 M links)",
    "world_lp_solve": "<= 600 s",
    "world_lp_peak_memory": "<= 16 GiB",
}


def peak_rss_mb() -> float:
    """Peak resident memory of this process since start or the last :func:`reset_peak`, MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # never reset


def reset_peak() -> bool:
    """Start a new peak-RSS window (Linux: ``echo 5 > /proc/self/clear_refs``), so that a
    step's peak is its own and not that of the data made before it. False if unsupported."""
    import gc

    gc.collect()
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


_PROCESS_PEAK = [0.0]  # the largest peak seen across windows in this process


def window_peak_mb() -> float:
    """Peak RSS of the current window; also folded into the process's overall peak."""
    p = peak_rss_mb()
    _PROCESS_PEAK[0] = max(_PROCESS_PEAK[0], p)
    return p


# ---------------------------------------------------------------------------- workers
# Each runs in its own spawned process and returns a dict of plain values.
def work_assembly(method: str, n_links: int) -> dict:
    import numpy as np

    from benchmarks.synthetic import synthetic_links

    links = synthetic_links(n_links)
    rss_links = window_peak_mb()
    reset_peak()
    rss0 = peak_rss_mb()  # the links, held through the assembly
    t0 = time.perf_counter()
    if method == "program":
        from benchmarks.synthetic import sourcing_lp

        p = sourcing_lp(links)
        nnz = p.matrix().nnz
    elif method == "scipy":
        nnz = _scipy_assembly(links).nnz
    elif method == "pulp":
        nnz = _pulp_assembly(links)
    else:  # pragma: no cover - the caller only passes the three
        raise ValueError(method)
    seconds = time.perf_counter() - t0
    return {
        "links": len(links),
        "nnz": int(nnz),
        "seconds": seconds,
        "rss_before_mb": rss0,
        "peak_rss_mb": window_peak_mb(),  # during the assembly (links included)
        "links_peak_rss_mb": rss_links,  # making the synthetic links (not measured)
        "checksum": float(np.round(links["value"].sum(), 6)),
    }


def _scipy_assembly(links):
    """The floor: the same matrix, rhs and costs from numpy index arrays, no labels."""
    import numpy as np
    import scipy.sparse as sp

    n = len(links)
    v = links["value"].to_numpy()
    from benchmarks.synthetic import group_rows

    imp, exp, sec = (links[c].to_numpy() for c in ("importer", "exporter", "sector"))
    dem, cap = group_rows(imp, sec)[1], group_rows(exp, sec)[1]
    n_dem = int(dem.max()) + 1
    rows = np.concatenate([dem, n_dem + cap])
    cols = np.concatenate([np.arange(n), np.arange(n)])
    a = sp.coo_matrix((np.ones(2 * n), (rows, cols)), shape=(n_dem + int(cap.max()) + 1, n)).tocsr()
    rhs = np.concatenate([np.bincount(dem, weights=v), 1.25 * np.bincount(cap, weights=v)])
    cost = np.random.default_rng(1).uniform(0.5, 1.5, size=n)
    assert len(rhs) == a.shape[0] and len(cost) == n
    return a


def _pulp_assembly(links) -> int:
    """The usual PuLP way: a dict of variables, then one lpSum per row over Python lists."""
    import numpy as np
    import pulp

    keys = list(zip(links["importer"], links["exporter"], links["sector"], strict=True))
    values = links["value"].to_numpy()
    cost = np.random.default_rng(1).uniform(0.5, 1.5, size=len(keys))
    prob = pulp.LpProblem("sourcing", pulp.LpMinimize)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        f = pulp.LpVariable.dicts("f", keys, lowBound=0)
    demand: dict = {}
    supply: dict = {}
    for k, (i, j, s) in enumerate(keys):
        demand.setdefault((i, s), []).append(k)
        supply.setdefault((j, s), []).append(k)
    for (i, s), ks in demand.items():
        prob += pulp.lpSum(f[keys[k]] for k in ks) == float(values[ks].sum()), f"demand_{i}_{s}"
    for (j, s), ks in supply.items():
        prob += (
            pulp.lpSum(f[keys[k]] for k in ks) <= 1.25 * float(values[ks].sum()),
            f"capacity_{j}_{s}",
        )
    prob += pulp.lpSum(float(c) * f[k] for c, k in zip(cost, keys, strict=True))
    return sum(len(c) for c in prob.constraints.values())


def _dataset(world: str):
    if world == "default":
        from planner.data.loaders import load_dataset

        return load_dataset()
    from benchmarks.synthetic import synthetic_dataset

    n, s, density, critical = WORLDS[world]
    return synthetic_dataset(n, s, density, critical_share=critical, adversary_share=1 / 3)


def _scenario(world: str):
    from planner.scenario import Scenario

    if world == "default":
        return Scenario.from_dict({"name": "default"})
    d: dict = {"name": world, "coalition": {"adversaries": ["AAA", "AAB"], "anchors": ["AAC"]}}
    if world.startswith("world"):
        # 200 countries: every democracy a member needs max_size above the model's 100; the
        # budget (USD 6 bn) binds: the tier rules need about 4.4 bn, the unconstrained
        # optimum spends 7.4 bn, so the sectors are really coupled
        d["coalition"]["max_size"] = 200
        d["parameters"] = {"budget": 6000.0}
    return Scenario.from_dict(d)


def _fixed_coalition(ds, sc) -> tuple[list[str], dict[str, str]]:
    """The sourcing LP's fixed choices: every eligible democracy (not an adversary) a full
    member, every weighted sector incentivized."""
    regime = ds.countries["regime"]
    members = [
        c
        for c, r in regime.items()
        if r >= sc.coalition.full_threshold and c not in sc.coalition.adversaries
    ]
    tiers = {k: "incentivized" for k, w in ds.sectors["weight"].items() if w > 0}
    return members, tiers


def _model(world: str, problem: str, objective: str | None = None):
    """The coalition model: ``sourcing`` fixes the democracies as members and every weighted
    sector as incentivized; ``joint`` chooses both."""
    from formulations.problems import joint_milp, sourcing_lp

    ds = _dataset(world)
    sc = _scenario(world)
    window_peak_mb()
    reset_peak()
    rss0 = peak_rss_mb()
    t0 = time.perf_counter()
    if problem == "joint":
        model = joint_milp(ds, sc, objective)
    else:
        members, tiers = _fixed_coalition(ds, sc)
        model = sourcing_lp(ds, sc, members, tiers=tiers, objective=objective)
    model.program.matrix()
    return model, time.perf_counter() - t0, rss0


def work_solve(world: str, problem: str, backend: str, time_limit: float, lp_method: str) -> dict:
    from planner.solver import SolveOptions, solve, solve_decomposed

    model, build, rss0 = _model(world, problem)
    rss_build = window_peak_mb()
    reset_peak()
    opts = SolveOptions(
        time_limit=time_limit,
        threads=2,
        lp_method=lp_method,
        fixed_milp_duals=False,
        pulp_solver="PULP_CBC_CMD",
    )
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if backend == "decomposed":  # Dantzig-Wolfe over the sectors, HiGHS per block
            res = solve_decomposed(model.program, ["budget", "openness_volume"], opts)
        else:
            res = solve(model.program, backend, opts)
    wall = time.perf_counter() - t0
    return {
        **model.sizes(),
        "build_seconds": build,
        "solve_seconds": wall,
        "status": res.status.value,
        "objective": res.objective,
        "gap": res.gap,
        "rss_before_mb": rss0,  # the dataset, before the build
        "build_peak_rss_mb": rss_build,  # during the build
        "solve_peak_rss_mb": window_peak_mb(),  # during the solve (model held)
        "peak_rss_mb": _PROCESS_PEAK[0],  # the whole process, dataset made included
    }


def work_frontier(world: str, problem: str, mode: str, points: int, time_limit: float) -> dict:
    """``one``: build and solve the cost model once (at the middle target); ``frontier``: the
    planner's frontier (one built program, warm starts); ``independent``: the dependency
    solve, then every target built and solved from scratch."""
    from dataclasses import replace

    import numpy as np

    from formulations.problems import build_model
    from planner.frontiers import frontier
    from planner.solver import SolveOptions, solve

    ds = _dataset(world)
    sc = _scenario(world)
    opts = SolveOptions(time_limit=time_limit, threads=2, fixed_milp_duals=False)
    if problem == "sourcing":
        members, tiers = _fixed_coalition(ds, sc)
        sc = replace(
            sc,
            coalition=replace(sc.coalition, choose_members=False, members=members),
            sectors=replace(sc.sectors, choose_tiers=False, tiers=tiers),
        )
    t0 = time.perf_counter()
    statuses: list[str] = []
    if mode == "frontier":
        df = frontier(ds, sc, "highs", opts, points=points)
        statuses = list(df["status"])
        costs = [float(c) for c in df["total_cost"]]
    else:
        low = build_model(ds, sc, objective="dependency")
        r = solve(low.program, "highs", opts)
        di_min = float(low.evaluate(low.dependency_measure(), r.x)[0])
        di_base = low.baseline_dependency_index()
        targets = np.linspace(di_base, di_min + 1e-9 + 1e-7 * abs(di_min), points)
        if mode == "one":
            t0 = time.perf_counter()  # one solve: the middle target only, built from scratch
            targets = targets[points // 2 : points // 2 + 1]
        costs = []
        for target in targets:
            s2 = replace(sc, objective=replace(sc.objective, kind="cost", target=float(target)))
            m = build_model(ds, s2)
            res = solve(m.program, "highs", opts)
            statuses.append(res.status.value)
            costs.append(float(m.evaluate("total_cost", res.x)[0]) if res.x.size else np.nan)
    return {
        "seconds": time.perf_counter() - t0,
        "statuses": statuses,
        "total_costs": costs,
        "peak_rss_mb": peak_rss_mb(),
    }


# ---------------------------------------------------------------------------- driver
def in_fresh_process(fn, *args) -> dict:
    """Run ``fn(*args)`` in a new spawned interpreter (its own peak RSS); errors come back as
    ``{"error": ...}`` so that one failed measurement does not end the suite."""
    ctx = mp.get_context("spawn")
    with cf.ProcessPoolExecutor(max_workers=1, mp_context=ctx) as ex:
        try:
            return ex.submit(fn, *args).result()
        except Exception as exc:
            return {"error": f"{type(exc).__name__}: {exc}"}


def spread(values: list[float]) -> dict:
    return {
        "min": min(values),
        "median": statistics.median(values),
        "max": max(values),
        "n": len(values),
    }


def run_assembly(quick: bool, repeat: int, pulp_max: int) -> list[dict]:
    sizes = ASSEMBLY_SIZES["quick" if quick else "full"]
    rows = []
    print("\n## Assembly (seconds: min / median / max; peak RSS during the assembly, links held)")
    print(f"{'links':>10} {'method':>8} {'min':>8} {'median':>8} {'max':>8} {'peak MB':>9}")
    for n in sizes:
        methods = ["program", "scipy"] + (["pulp"] if n <= pulp_max else [])
        runs: dict[str, list[dict]] = {m: [] for m in methods}
        reps = 1 if quick else repeat if n <= 1_000_000 else max(1, repeat // 3)
        for _ in range(reps):
            for m in methods:  # interleaved: the same noise for every method
                runs[m].append(in_fresh_process(work_assembly, m, n))
        for m in methods:
            ok = [r for r in runs[m] if "error" not in r]
            if not ok:
                rows.append({"links_requested": n, "method": m, "error": runs[m][0]["error"]})
                print(f"{n:>10,} {m:>8} error: {runs[m][0]['error']}")
                continue
            secs = spread([r["seconds"] for r in ok])
            row = {
                "links_requested": n,
                "links": ok[0]["links"],
                "nnz": ok[0]["nnz"],
                "method": m,
                "seconds": secs,
                "peak_rss_mb": max(r["peak_rss_mb"] for r in ok),
                "build_rss_mb": max(r["peak_rss_mb"] - r["rss_before_mb"] for r in ok),
                "links_peak_rss_mb": max(r["links_peak_rss_mb"] for r in ok),
            }
            rows.append(row)
            print(
                f"{row['links']:>10,} {m:>8} {secs['min']:>8.3f} {secs['median']:>8.3f} "
                f"{secs['max']:>8.3f} {row['peak_rss_mb']:>9.0f}",
                flush=True,
            )
    return rows


def run_solves(quick: bool, time_limit: float) -> list[dict]:
    if quick:
        cases = [
            ("default", "sourcing", "highs", "auto"),
            ("synthetic-small", "sourcing", "highs", "auto"),
            ("synthetic-small", "sourcing", "scipy", "auto"),
            ("synthetic-small", "joint", "highs", "auto"),
        ]
    else:
        cases = [
            (w, p, b, "auto")
            for w in ("default", "synthetic-small", "synthetic-medium")
            for p in ("sourcing", "joint")
            for b in ("highs", "scipy", "pulp")
        ]
    rows = []
    print("\n## Solve (build and solve seconds, 2 threads; peak RSS of build / all)")
    print(
        f"{'world':>17} {'problem':>8} {'backend':>10} {'vars':>9} {'int':>5} {'rows':>7} "
        f"{'build':>7} {'solve':>8} {'status':>20} {'objective':>12} {'MB':>11}"
    )
    for world, problem, backend, method in cases:
        r = in_fresh_process(work_solve, world, problem, backend, time_limit, method)
        r.update(world=world, problem=problem, backend=backend, lp_method=method)
        rows.append(r)
        _print_solve(r)
    return rows


def _print_solve(r: dict) -> None:
    if "error" in r:
        print(f"{r['world']:>17} {r['problem']:>8} {r['backend']:>10} error: {r['error']}")
        return
    print(
        f"{r['world']:>17} {r['problem']:>8} {r['backend']:>10} {r['variables']:>9,} "
        f"{r['integer_variables']:>5} {r['constraints']:>7,} {r['build_seconds']:>7.2f} "
        f"{r['solve_seconds']:>8.2f} {r['status']:>20} {r['objective']:>12.6g} "
        f"{r['build_peak_rss_mb']:>5.0f}/{r['peak_rss_mb']:<5.0f}",
        flush=True,
    )


def run_frontier(quick: bool, time_limit: float, points: int) -> list[dict]:
    cases = [("default", "sourcing")] + ([] if quick else [("default", "joint")])
    rows = []
    print(f"\n## Frontier ({points} points) against one solve and {points} independent solves")
    print(f"{'world':>10} {'problem':>8} {'mode':>12} {'seconds':>9} {'ratio to one':>13}")
    for world, problem in cases:
        got = {
            mode: in_fresh_process(work_frontier, world, problem, mode, points, time_limit)
            for mode in ("one", "frontier", "independent")
        }
        one = got["one"].get("seconds", float("nan"))
        for mode, r in got.items():
            r.update(world=world, problem=problem, mode=mode, points=points)
            if "error" not in r:
                r["ratio_to_one"] = r["seconds"] / one
                print(
                    f"{world:>10} {problem:>8} {mode:>12} {r['seconds']:>9.2f} "
                    f"{r['ratio_to_one']:>13.2f}",
                    flush=True,
                )
            else:
                print(f"{world:>10} {problem:>8} {mode:>12} error: {r['error']}")
            rows.append(r)
    return rows


def run_world(time_limit: float, quick: bool = False) -> list[dict]:
    print("\n## World-scale sourcing LP (Dantzig-Wolfe, then monolithic HiGHS ipm; 2 threads)")
    rows = []
    world = "world-quick" if quick else "world-200x600"
    for backend, method in (("decomposed", "auto"), ("highs", "ipm")):
        r = in_fresh_process(work_solve, world, "sourcing", backend, time_limit, method)
        r.update(world=world, problem="sourcing", backend=backend, lp_method=method)
        rows.append(r)
        _print_solve(r)
    ok = [r for r in rows if r.get("status") == "optimal"]
    if len(ok) == 2:
        a, b = (r["objective"] for r in ok)
        print(f"decomposed vs monolithic objective: {a!r} vs {b!r} (difference {a - b:.3g})")
        for r in rows:
            r["objective_difference"] = a - b
    return rows


def goals(results: dict) -> list[dict]:
    """Each goal's measured value next to its target (None when not measured in this run)."""

    def med(method: str, n: int) -> float | None:
        for r in results.get("assembly", []):
            if r.get("links_requested") == n and r.get("method") == method and "seconds" in r:
                return r["seconds"]["median"]
        return None

    def solve_row(world: str, problem: str, backend: str) -> dict | None:
        for r in results.get("solve", []) + results.get("world", []):
            if (r.get("world"), r.get("problem"), r.get("backend")) == (world, problem, backend):
                return r if "error" not in r else None
        return None

    out = []
    prog, pulp_, sci = med("program", 1_000_000), med("pulp", 1_000_000), med("scipy", 1_000_000)
    out.append(
        _goal("assembly_vs_pulp_at_1M", pulp_ / prog if prog and pulp_ else None, "x", 20, ">=")
    )
    out.append(_goal("assembly_vs_scipy_at_1M", prog / sci if prog and sci else None, "x", 3, "<="))
    r = solve_row("default", "sourcing", "highs")
    out.append(_goal("default_sourcing_lp", r and r["build_seconds"] + r["solve_seconds"], "s", 5))
    r = solve_row("default", "joint", "highs")
    ok = r is not None and r["status"] == "optimal"
    out.append(
        _goal("default_joint_milp_highs", r and ok and r["build_seconds"] + r["solve_seconds"])
    )
    for fr in results.get("frontier", []):
        if fr.get("mode") == "frontier" and "ratio_to_one" in fr:
            out.append(
                _goal(
                    "frontier_vs_one_solve",
                    fr["ratio_to_one"],
                    "x",
                    3,
                    "<=",
                    note=f"{fr['world']} {fr['problem']}",
                )
            )
    world = "world-quick" if results.get("quick") else "world-200x600"
    for backend in ("decomposed", "highs"):
        w = solve_row(world, "sourcing", backend)
        if w is None:
            continue
        how = "Dantzig-Wolfe" if backend == "decomposed" else "monolithic HiGHS ipm"
        out.append(
            _goal(
                "world_lp_build",
                w["build_seconds"],
                "s",
                30,
                note=f"{w['candidate_links']:,} links, {w['variables']:,} columns",
            )
        )
        solved = w["status"] == "optimal"
        out.append(
            _goal("world_lp_solve", w["solve_seconds"] if solved else None, "s", 600, note=how)
        )
        out.append(_goal("world_lp_peak_memory", w["peak_rss_mb"] / 1024, "GiB", 16, note=how))
    return out


def _goal(
    name: str,
    value: float | None,
    unit: str = "s",
    target: float = 60,
    op: str = "<=",
    note: str = "",
) -> dict:
    met = None if value is None else (value <= target if op == "<=" else value >= target)
    return {
        "goal": name,
        "target": GOALS[name],
        "measured": value,
        "unit": unit,
        "met": met,
        "note": note,
    }


def versions() -> dict:
    import highspy
    import numpy
    import pandas
    import pulp
    import scipy

    h = highspy.Highs()
    return {
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "pandas": pandas.__version__,
        "scipy": scipy.__version__,
        "pulp": pulp.__version__,
        "highs": f"{h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}",
    }


def machine() -> dict:
    import os

    mem = None
    try:
        with open("/proc/meminfo") as fh:
            mem = int(fh.readline().split()[1]) / 1024**2
    except OSError:  # pragma: no cover - not Linux
        pass
    return {
        "platform": platform.platform(),
        "processor": platform.machine(),
        "cpus": os.cpu_count(),
        "memory_gib": mem,
        "node": platform.node(),
    }


def plot(results: dict, path: Path) -> Path | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    solves = [r for r in results.get("solve", []) + results.get("world", []) if "error" not in r]
    fig, axes = plt.subplots(1, 3, figsize=(16, max(4.5, 0.2 * len(solves) + 1.0)))
    ax = axes[0]
    for m, style in (("program", "o-"), ("pulp", "s--"), ("scipy", "^:")):
        pts = [r for r in results.get("assembly", []) if r.get("method") == m and "seconds" in r]
        if pts:
            ax.loglog(
                [r["links"] for r in pts], [r["seconds"]["median"] for r in pts], style, label=m
            )
    ax.set(xlabel="links", ylabel="seconds (median)", title="Assembly of the sourcing LP")
    if ax.get_legend_handles_labels()[0]:
        ax.legend()
    ax = axes[1]
    for m, style in (("program", "o-"), ("pulp", "s--"), ("scipy", "^:")):
        pts = [r for r in results.get("assembly", []) if r.get("method") == m and "seconds" in r]
        if pts:
            ax.loglog([r["links"] for r in pts], [r["peak_rss_mb"] for r in pts], style, label=m)
    # the links table itself is in every process: what differs is the assembly's share
    ax.set(xlabel="links", ylabel="MB", title="Peak RSS during assembly (links held)")
    if ax.get_legend_handles_labels()[0]:
        ax.legend()
    ax = axes[2]
    labels = [f"{r['world']} {r['problem']} {r['backend']}" for r in solves]
    ax.barh(range(len(solves)), [r["build_seconds"] + r["solve_seconds"] for r in solves])
    ax.set_yticks(range(len(solves)), labels, fontsize=7)
    ax.set_xscale("log")
    ax.set(xlabel="build + solve seconds", title="Solve per backend")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes only (seconds)")
    ap.add_argument(
        "--sections",
        default="assembly,solve,frontier,world",
        help="comma-separated subset of assembly,solve,frontier,world",
    )
    ap.add_argument("--repeat", type=int, default=3, help="repeats of each assembly size")
    ap.add_argument("--time-limit", type=float, default=600.0, help="per solve, seconds")
    ap.add_argument(
        "--world-time-limit", type=float, default=600.0, help="world-scale LP solve, seconds"
    )
    ap.add_argument("--points", type=int, default=11, help="frontier points")
    ap.add_argument(
        "--pulp-max",
        type=int,
        default=5_000_000,
        help="largest size at which the PuLP-native assembly is run",
    )
    ap.add_argument("--out", type=Path, default=RESULTS, help="directory for JSON and plot")
    args = ap.parse_args(argv)
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = sorted(set(sections) - {"assembly", "solve", "frontier", "world"})
    if unknown:
        ap.error(f"unknown section(s) {unknown}")
    results: dict = {
        "benchmark": "suite",
        "quick": args.quick,
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": machine(),
        "versions": versions(),
    }
    t0 = time.perf_counter()
    if "assembly" in sections:
        results["assembly"] = run_assembly(args.quick, args.repeat, args.pulp_max)
    if "solve" in sections:
        results["solve"] = run_solves(args.quick, args.time_limit)
    if "frontier" in sections:
        results["frontier"] = run_frontier(args.quick, args.time_limit, args.points)
    if "world" in sections:
        results["world"] = run_world(args.world_time_limit, args.quick)
    results["goals"] = goals(results)
    results["seconds"] = time.perf_counter() - t0
    print("\n## Goals")
    for g in results["goals"]:
        v = "not measured" if g["measured"] is None else f"{g['measured']:.3g} {g['unit']}"
        verdict = {True: "met", False: "NOT met", None: "-"}[g["met"]]
        print(f"{g['goal']:<26} {g['target']:<28} {v:>14}  {verdict:<8} {g['note']}")
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = "quick" if args.quick else dt.date.today().strftime("%Y%m%d")
    out = args.out / f"suite_{stamp}.json"
    out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    png = plot(results, args.out / f"suite_{stamp}.png")
    print(f"\nwrote {out}" + (f" and {png}" if png else "") + f" in {results['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
