"""Parameter sweeps: a grid of scenarios solved as independent runs through an executor.

``local`` uses worker processes on this machine; ``dask`` sends the same tasks to a Dask
distributed scheduler (``--scheduler ADDRESS``, or a LocalCluster when none is given), for
users who outgrow one machine. Every task is a plain function of a scenario dict, so both
executors run exactly the same code and return the same rows.
"""

from __future__ import annotations

import contextlib
import itertools
import time
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from planner.parallel import process_map
from planner.scenario import Scenario, ScenarioError, field_type, parse_value

__all__ = [
    "EXECUTORS",
    "check_sweep_output",
    "dask_client",
    "grid_scenarios",
    "parse_grid",
    "plot_sweep",
    "point_directory",
    "run_sweep",
]

EXECUTORS = ("local", "dask")


def parse_grid(items: list[str], source: str = "--grid") -> dict[str, list[Any]]:
    """``["parameters.budget=1000,2000"]`` -> ``{"parameters.budget": [1000.0, 2000.0]}``.

    Values are typed by the scenario field they set (:func:`planner.scenario.parse_value`); an
    unknown key or a bad value is a :class:`ScenarioError` naming it.
    """
    grid: dict[str, list[Any]] = {}
    for item in items:
        if "=" not in item:
            raise ScenarioError(
                item, "expected KEY=V1,V2,... (e.g. parameters.budget=1e4,2e4)", source
            )
        key, _, raw = item.partition("=")
        key = key.strip()
        field_type(key, source)
        values = []
        for text in (v.strip() for v in raw.split(",")):
            if not text:
                raise ScenarioError(key, f"empty value in {raw!r}", source)
            values.append(parse_value(key, text, source))
        grid[key] = values
    if not grid:
        raise ScenarioError("--grid", "no grid given", source)
    return grid


def grid_scenarios(
    base: Scenario, grid: dict[str, list[Any]]
) -> list[tuple[dict[str, Any], Scenario]]:
    """Every combination of the grid applied to ``base`` (checked like any scenario)."""
    keys = list(grid)
    out = []
    for combo in itertools.product(*(grid[k] for k in keys)):
        point = dict(zip(keys, combo, strict=True))
        label = ",".join(f"{k.split('.')[-1]}={v}" for k, v in point.items())
        overrides = {**point, "name": f"{base.name}[{label}]"}
        out.append((point, base.with_overrides(overrides, source=f"sweep point {label}")))
    return out


def point_directory(out: str | Path, name: str) -> Path:
    """The run directory of the sweep point called ``name`` under ``out``."""
    safe = "".join(ch if ch.isalnum() or ch in "-_.=," else "_" for ch in name)
    return Path(out) / safe


def check_sweep_output(out: str | Path, points: list[tuple[dict[str, Any], Scenario]]) -> Path:
    """Refuse, before any solve, an ``out`` that cannot be a directory or that holds the run
    directory of one of the points already (:class:`planner.runs.RunError` naming it)."""
    from planner.runs import RunError, check_output_directory

    root = Path(out).resolve()
    if root.exists() and not root.is_dir():
        raise RunError(f"{root}: exists and is not a directory; choose another --out")
    if not root.exists():
        check_output_directory(root)
    for _, sc in points:
        check_output_directory(point_directory(root, sc.name))
    return root


def _task(scenario_dict: dict[str, Any], out: str | None) -> dict[str, Any]:
    """One sweep point: run the scenario (writing its run directory under ``out``)."""
    from planner.runs import run_scenario

    sc = Scenario.from_dict(scenario_dict)
    t0 = time.perf_counter()
    directory = None if out is None else point_directory(out, sc.name)
    o = run_scenario(sc, directory, plots=False, command=["planner", "sweep"])
    row: dict[str, Any] = {
        "scenario": sc.name,
        "status": o.result.status.value,
        "objective": o.result.objective,
        "gap": o.result.gap,
        "best_bound": o.result.best_bound,
        "seconds": time.perf_counter() - t0,
    }
    if o.interpretation is not None:
        h = o.interpretation.headline
        row.update(
            dependency_before=h["dependency_before"],
            dependency_after=h["dependency_after"],
            total_cost=h["total_cost"],
            members=len(h["members"]),
            associates=len(h["associates"]),
            restricted=len(h["restricted"]),
            incentivized=len(h["incentivized"]),
        )
    if directory is not None:
        row["run_dir"] = str(o.directory)
    return row


def run_sweep(
    base: Scenario,
    grid: dict[str, list[Any]],
    executor: str = "local",
    workers: int = 2,
    scheduler: str | None = None,
    out: str | Path | None = None,
    progress: typing.Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Solve every grid point as an independent run and gather one table.

    Parameters
    ----------
    base : Scenario
        The scenario the grid varies.
    grid : dict
        ``{"section.key": [values]}`` (see :func:`parse_grid`).
    executor : {"local", "dask"}
        Worker processes here, or Dask distributed.
    workers : int
        Processes (local) or LocalCluster workers (dask without ``scheduler``).
    scheduler : str, optional
        Address of a running Dask scheduler.
    out : path, optional
        Write each point's run directory under it (refused before any solve when one of
        them exists already, see :func:`check_sweep_output`).
    progress : callable, optional
        Called with (done, total) as points finish.

    Returns
    -------
    pandas.DataFrame
        One row per point, in grid order: the grid keys, status, objective, dependency
        before/after, total cost, sizes of the coalition and tiers, seconds, run directory.
    """
    if executor not in EXECUTORS:
        raise ValueError(f"executor {executor!r} is not one of {EXECUTORS}")
    points = grid_scenarios(base, grid)  # every point checked before any solve
    out_s = None if out is None else str(check_sweep_output(out, points))
    dicts = [sc.to_dict() for _, sc in points]
    total = len(points)
    if executor == "local":
        rows = _run_local(dicts, out_s, workers, progress, total)
    else:
        rows = _run_dask(dicts, out_s, workers, scheduler, progress, total)
    table = pd.DataFrame([{**point, **row} for (point, _), row in zip(points, rows, strict=True)])
    table.attrs = {"name": "sweep", "unit": "USD mn / DI", "executor": executor}
    return table


def _point_task(item: tuple[dict[str, Any], str | None]) -> dict[str, Any]:
    return _task(*item)


def _run_local(dicts, out, workers, progress, total):
    """The points in ``workers`` spawned processes (:func:`planner.parallel.process_map`:
    an unguarded script runs them here instead of hanging)."""
    return process_map(
        _point_task, [(d, out) for d in dicts], workers, what="sweep points", progress=progress
    )


def _collect(futures, progress, total) -> list:
    """The futures' results in order, reporting progress after each."""
    rows = []
    for k, f in enumerate(futures):
        rows.append(f.result())
        if progress:
            progress(k + 1, total)
    return rows


@contextlib.contextmanager
def dask_client(workers: int, scheduler: str | None = None) -> Iterator[Any]:
    """A Dask distributed client: to ``scheduler``, or to a local cluster of ``workers``
    single-threaded processes (closed on exit).

    Raises
    ------
    ImportError
        Naming the extra to install when dask.distributed is missing.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ImportError(
            "the dask executor needs dask.distributed: pip install 'coalition-planner[dask]'"
        ) from None
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _run_dask(dicts, out, workers, scheduler, progress, total):
    with dask_client(workers, scheduler) as client:
        return _collect(client.map(_task, dicts, [out] * len(dicts), pure=False), progress, total)


def plot_sweep(table: pd.DataFrame, key: str, path: str | Path) -> Path | None:
    """Dependency after and total cost against a numeric grid key (None without matplotlib)."""
    from planner.interpreter.plots import HAVE_MATPLOTLIB

    if not HAVE_MATPLOTLIB or key not in table or "dependency_after" not in table:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = table.dropna(subset=["dependency_after"]).sort_values(key)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(ok[key], ok["dependency_after"], marker="o", color="#2166ac")
    ax.set_xlabel(key)
    ax.set_ylabel("dependency index after", color="#2166ac")
    ax2 = ax.twinx()
    ax2.plot(ok[key], ok["total_cost"], marker="s", color="#b2182b")
    ax2.set_ylabel("total cost, USD mn", color="#b2182b")
    ax.set_title(f"Sweep over {key}")
    path = Path(path)
    fig.savefig(path, dpi=150, bbox_inches="tight")
    plt.close(fig)
    return path
