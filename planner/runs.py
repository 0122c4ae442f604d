"""Reproducible run directories.

``run_scenario`` builds, solves and interprets a scenario and writes its run directory
atomically: everything goes to a hidden sibling directory first, ``manifest.json`` (the sha256
of every file) is written last, and only then is the directory renamed into place. A crash or
a kill leaves at most a ``.partial-*`` directory, never one that looks complete. Tables are
sorted and written with fixed float formatting, so two runs of one scenario give byte-identical
files (timings live apart in ``timings.json``).
"""

from __future__ import annotations

import json
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from formulations.model import CoalitionModel
from formulations.problems import build_model
from planner.data.dataset import Dataset
from planner.data.loaders import dataset_sha256
from planner.errors import PlannerError
from planner.files import clean_floats, json_safe, sha256_file, stable_floats, write_atomically
from planner.interpreter import Interpretation, interpret, write_report
from planner.interpreter.comparison import context_warnings, warnings_table
from planner.interpreter.explain import explain_plan, explanations
from planner.interpreter.report import ReportData, render_report, why_summary
from planner.scenario import Scenario, load_scenario, load_scenario_dataset, scenario_to_toml
from planner.solver import SolveOptions, SolveResult, solve

__all__ = [
    "RunError",
    "RunOutcome",
    "check_output_directory",
    "compare_runs",
    "load_scenario_dataset",
    "rerender_run",
    "run",
    "run_scenario",
    "solve_options",
    "write_run",
]

FLOAT_FORMAT = "%.10g"
TABLES = ("links", "domestic", "countries", "sectors", "capacity")


class RunError(PlannerError, RuntimeError):
    """The run directory cannot be written (names the path and the reason)."""


@dataclass
class RunOutcome:
    """What ``run_scenario`` returns: where it wrote, and the objects behind the files.

    Attributes
    ----------
    directory : pathlib.Path or None
        The run directory written, or None when the run was not written (no ``out``).
    scenario : Scenario
        The fully resolved scenario that was run.
    model : formulations.model.CoalitionModel
        The built model (program, instance, expressions).
    result : planner.solver.SolveResult
        The solve: status, objective, values, duals.
    interpretation : planner.interpreter.Interpretation or None
        Tables, metrics and explanations; None when there is no solution.
    pathway : object, optional
        For a phased (pathway) run, the interpretation of every phase.
    """

    directory: Path | None
    scenario: Scenario
    model: CoalitionModel
    result: SolveResult
    interpretation: Interpretation | None
    #: a pathway run: every phase (planner.interpreter.pathway.PathwayInterpretation)
    pathway: Any = None


def solve_options(scenario: Scenario, log_file: Path | None = None) -> SolveOptions:
    """SolveOptions from a scenario's ``[solver]`` table."""
    s = scenario.solver
    return SolveOptions(
        time_limit=s.time_limit,
        mip_gap=s.mip_gap,
        threads=s.threads,
        random_seed=s.random_seed,
        pulp_solver=s.pulp_solver,
        strict=s.strict,
        log_file=log_file,
        solver_options=dict(s.options),
    )


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    clean_floats(df).to_csv(path, index=False, float_format=FLOAT_FORMAT, lineterminator="\n")


def _versions() -> dict[str, str]:
    import highspy  # noqa: F401
    import pulp
    import scipy

    import planner

    out = {
        "planner": planner.__version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "scipy": scipy.__version__,
        "pulp": pulp.__version__,
    }
    try:
        from importlib.metadata import version

        out["highspy"] = version("highspy")
    except Exception:  # pragma: no cover - metadata missing
        out["highspy"] = "unknown"
    return out


def check_output_directory(directory: str | Path) -> Path:
    """Refuse an output directory that exists already, or whose parent cannot be a directory,
    before any expensive work starts.

    Parameters
    ----------
    directory : str or pathlib.Path
        The run (or stress) directory to be created.

    Returns
    -------
    pathlib.Path
        The directory, resolved to an absolute path.

    Raises
    ------
    RunError
        Naming the path: it exists, or a parent is not a directory.
    """
    directory = Path(directory).resolve()
    if directory.exists():
        raise RunError(f"{directory}: exists already; choose another --out or remove it")
    for parent in directory.parents:
        if parent.exists():
            if not parent.is_dir():
                raise RunError(f"{parent}: cannot create the output directory (not a directory)")
            break
    return directory


def write_run(
    directory: Path,
    scenario: Scenario,
    dataset: Dataset,
    model: CoalitionModel,
    result: SolveResult,
    it: Interpretation | None,
    command: list[str],
    plots: bool = True,
    unique: bool = False,
    pathway: Any = None,
) -> Path:
    """Write the run directory atomically (see the module docstring); returns its path.

    With ``unique`` (the command line's default name), a directory that exists already, or
    that another process claims at the same moment, makes the run take the next free name
    ``NAME-2``, ``NAME-3``, ...; without it an existing directory is an error.
    """
    directory = Path(directory).resolve()
    if not unique:
        check_output_directory(directory)
    outcome = RunOutcome(None, scenario, model, result, it, pathway)
    return write_atomically(
        directory,
        lambda tmp: _write_files(tmp, outcome, dataset, command, plots),
        RunError,
        unique=unique,
        what="run",
    )


def _write_files(
    d: Path, outcome: RunOutcome, dataset: Dataset, command: list[str], plots: bool
) -> None:
    scenario, model, result = outcome.scenario, outcome.model, outcome.result
    it = outcome.interpretation
    inst = model.instance
    (d / "scenario.toml").write_text(scenario_to_toml(scenario))
    (d / "solver.log").write_text(result.log or "")
    plan = it.plan if it is not None else None
    summary: dict[str, object] = {
        "name": scenario.name,
        "status": result.status.value,
        "objective": result.objective if result.status.has_solution else None,
        "objective_kind": model.objective_kind,
        "problem": model.problem,
        "dependency_before": model.baseline_dependency_index()
        if not inst.effective_objective
        else float(model.expressions["dependency_index"].const[0]),
        "dependency_after": None,
        "total_cost": None,
        "budget": inst.scenario.parameters.budget,
        "members": [],
        "associates": [],
        "tiers": {},
        "solver": {
            "name": result.solver_name,
            "version": result.solver_version,
            "backend": result.backend,
            "options": {
                k: v for k, v in solve_options(scenario).to_dict().items() if k != "log_file"
            },
            # a relative gap to 1e-12: its last digits are the objective's last bits
            "gap": None if not np.isfinite(result.gap) else round(float(result.gap), 12),
        },
        "dataset": {"name": dataset.name, "sha256": dataset_sha256(dataset)},
        "numerics": json_safe(result.numerics),
    }
    if plan is not None and it is not None:
        summary.update(
            dependency_after=it.headline["dependency_after"],
            effective_dependency_before=it.headline["effective_dependency_before"],
            effective_dependency_after=it.headline["effective_dependency_after"],
            exposure=inst.exposure,
            **{
                f"{m}_dependency_{w}": it.headline.get(f"{m}_dependency_{w}")
                for m in ("first_order", "look_through")
                for w in ("before", "after")
            },
            total_cost=plan.totals["total_cost"],
            members=plan.members,
            associates=plan.associates,
            tiers={k: str(v) for k, v in plan.tiers.items()},
            flagged_before=it.headline["flagged_before"],
            flagged_after=it.headline["flagged_after"],
            summary=it.summary(),
            why=why_summary(it),
        )
        _write_csv(plan.links, d / "links.csv")
        _write_csv(
            plan.domestic[["importer", "sector", "optimized", "unit_cost"]], d / "domestic.csv"
        )
        countries = pd.DataFrame(
            {
                "iso3": inst.countries,
                "role": plan.roles.to_numpy(),
                "gdp": inst.gdp,
                "regime": inst.regime,
                "focal": inst.focal,
                "weight": inst.gdp_weight,
                "candidate": inst.candidate,
            }
        )
        _write_csv(countries, d / "countries.csv")
        sectors = pd.DataFrame(
            {
                "sector": inst.sectors,
                "weight": inst.weight,
                "tier": plan.tiers.to_numpy(),
                "headroom": inst.headroom,
                "category": inst.sector_category,
            }
        )
        _write_csv(sectors, d / "sectors.csv")
        _write_csv(plan.capacity, d / "capacity.csv")
        _write_csv(plan.investment, d / "investment.csv")
        if plan.partnership is not None:
            _write_csv(plan.partnership, d / "partnerships.csv")
        _write_extras(it, d, summary)
        summary["explanations"] = json_safe(explanations(it, dataset))
        write_report(it, d, plots=plots)
    if outcome.pathway is not None:  # the last phase above; every phase here
        from planner.interpreter.pathway import write_pathway_files

        summary.update(write_pathway_files(outcome.pathway, d, plots))
    (d / "summary.json").write_text(
        json.dumps(stable_floats(summary), indent=2, sort_keys=True, default=float) + "\n"
    )
    timings = {**result.timings, "build": model.program.build_seconds}
    (d / "timings.json").write_text(json.dumps(timings, indent=2, sort_keys=True) + "\n")
    files = sorted(p.name for p in d.iterdir() if p.is_file())
    manifest = {
        "files": {name: sha256_file(d / name) for name in files},
        "versions": _versions(),
        "solver": {"name": result.solver_name, "version": result.solver_version},
        "command": command,
        "dataset": {
            "name": dataset.name,
            "path": scenario.data.path,
            "sha256": summary["dataset"]["sha256"],  # type: ignore[index]
        },
        "complete": True,
    }
    (d / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


def rerender_run(run_dir: str | Path, out: str | Path | None = None, plots: bool = True) -> Path:
    """Re-render a run's report and figures into a new directory, without solving.

    Reads the report's data the run wrote beside its report (``report.json`` and the
    ``report_*.csv`` tables) and writes report.md, report.html, the figures and a copy of that
    data into ``out`` (default ``RUN_DIR-report`` beside the run), atomically. The run
    directory is only read; an existing ``out``, or one inside the run, is refused
    (:class:`RunError`) before anything is drawn.

    Returns
    -------
    Path
        The directory written.
    """
    import shutil

    from planner.interpreter.plots import require_matplotlib
    from planner.interpreter.report import REPORT_DATA

    src = Path(run_dir).resolve()
    if not (src / "manifest.json").is_file():
        raise RunError(f"{src}: no manifest.json; not a complete run directory")
    if not (src / REPORT_DATA).is_file():
        raise RunError(
            f"{src}: no {REPORT_DATA} (a run without a solution, or written by an older "
            "version of the planner); run its scenario again"
        )
    target = check_output_directory(out if out is not None else src.with_name(f"{src.name}-report"))
    if target == src or src in target.parents:
        raise RunError(f"{target}: inside the run directory, which is never modified")
    if plots:
        require_matplotlib()
    try:
        data = ReportData.read(src)
    except (OSError, ValueError, KeyError) as exc:
        raise RunError(f"{src}: cannot read the report's data ({exc})") from None
    names = [REPORT_DATA, *(f"report_{k}.csv" for k in sorted(data.csv))]

    def fill(tmp: Path) -> None:
        for name in names:
            shutil.copyfile(src / name, tmp / name)
        render_report(data, tmp, plots=plots)

    return write_atomically(target, fill, RunError, what="report")


def run_scenario(
    scenario: Scenario | str | Path,
    out: str | Path | None = None,
    dataset: Dataset | None = None,
    command: list[str] | None = None,
    plots: bool = True,
    unique: bool = False,
    stability: str = "cheap",
    explain: str = "brief",
) -> RunOutcome:
    """Build, solve, interpret and (with ``out``) write the run directory.

    A run without a solution (infeasible, limit without incumbent) still writes its directory:
    status, scenario, solver log and manifest, no tables. An ``out`` that exists already is
    refused before anything is built (``unique``: take the next free name instead, see
    :func:`write_run`). :func:`run` is the front door; this is the step it ends with.

    Parameters
    ----------
    scenario : Scenario, str or pathlib.Path
        A scenario, or a scenario file (its ``data.path`` taken from the file's directory).
    out : str or pathlib.Path, optional
        The run directory to write; None writes nothing.
    dataset : Dataset, optional
        The dataset, if already loaded (otherwise the scenario's ``data.path``).
    command : list of str, optional
        The command line recorded in ``manifest.json`` (default ``sys.argv``).
    plots : bool
        Write the report's figures.
    unique : bool
        Take the next free name ``NAME-2``, ... when ``out`` exists, instead of refusing.
    stability : {"cheap", "full", "off"}
        Stability of the plan (:mod:`planner.interpreter.stability`): ``cheap`` holds the
        others' sourcing fixed (no solve), ``full`` re-solves the sourcing without each member
        and with each eligible outsider.
    explain : {"brief", "full", "none"}
        How many re-solves of the plan's LP explain it
        (:func:`planner.interpreter.explain.explain_plan`): ``brief`` a handful, ``full`` every
        role and tier alternative.

    Returns
    -------
    RunOutcome
        The directory written (or None) and the objects behind its files.

    Raises
    ------
    RunError
        ``out`` exists already (without ``unique``) or cannot be written.
    """
    if out is not None and not unique:
        check_output_directory(out)
    base = None
    if not isinstance(scenario, Scenario):
        base = Path(scenario).resolve().parent
        scenario = load_scenario(scenario)
    ds = dataset if dataset is not None else load_scenario_dataset(scenario, base)
    if scenario.pathway.enabled:
        return _run_pathway(scenario, out, ds, command, plots, unique)
    t0 = time.perf_counter()
    robust = None
    if scenario.robustness.active:  # [robustness]: the robust plan (planner.robust)
        from planner.robust import solve_robust

        robust = solve_robust(ds, scenario, solve_options(scenario))
        model, result = robust.model, robust.result
    else:
        model = build_model(ds, scenario)
        t0 = time.perf_counter()
        result = solve(model.program, scenario.solver.backend, solve_options(scenario))
    result.timings.setdefault("solve_wall", time.perf_counter() - t0)
    it = interpret(model, result, dataset=ds) if result.status.has_solution else None
    if it is not None:
        _extend(it, robust, ds, stability)
        explain_plan(it, ds, explain)  # why: role and tier alternatives re-solved at the plan
    directory = None
    if out is not None:
        directory = write_run(
            Path(out), scenario, ds, model, result, it, command or sys.argv, plots, unique
        )
    return RunOutcome(directory, scenario, model, result, it)


#: tables of robust runs and of stability, written as FILE.csv (index as a column)
EXTRA_TABLES = {
    "robustness": "robustness.csv",
    "reliance": "reliance.csv",
    "recourse_links": "recourse_links.csv",
    "recourse_domestic": "recourse_domestic.csv",
    "recourse_investment": "recourse_investment.csv",
    "stability": "stability.csv",
}


def _extend(it: Interpretation, robust: Any, ds: Dataset, stability: str) -> None:
    """Add the robust plan's scenarios and the plan's stability to an interpretation."""
    if robust is not None:
        from planner.interpreter.robustness import attach_robustness

        attach_robustness(it, robust)
        ev = robust.evaluation
        it.tables["recourse_links"] = ev.links
        it.tables["recourse_domestic"] = ev.domestic
        it.tables["recourse_investment"] = ev.investment
    if stability != "off":
        from planner.interpreter.stability import stability_table

        t0 = time.perf_counter()
        it.tables["stability"] = stability_table(
            it, stability, ds, workers=max(1, it.model.instance.scenario.solver.threads)
        )
        it.headline["stability_seconds"] = time.perf_counter() - t0


def _write_extras(it: Interpretation, d: Path, summary: dict) -> None:
    """robustness.csv, reliance.csv, recourse_*.csv and stability.csv; the ``robustness``
    and ``stability`` keys of summary.json."""
    for key, name in EXTRA_TABLES.items():
        df = it.tables.get(key)
        if df is None:
            continue
        if key in ("robustness", "reliance", "stability"):
            df = df.reset_index()
            df = df.assign(**{c: df[c].map(str) for c in df.columns if df[c].dtype == object})
        _write_csv(df, d / name)
    if "robustness" in it.headline:
        summary["robustness"] = json_safe(it.headline["robustness"])
    if "stability" in it.tables:
        from planner.interpreter.stability import stability_summary

        summary["stability"] = json_safe(stability_summary(it.tables["stability"]))


def _run_pathway(
    scenario: Scenario,
    out: str | Path | None,
    ds: Dataset,
    command: list[str] | None,
    plots: bool,
    unique: bool,
) -> RunOutcome:
    """A ``[pathway]`` scenario: the usual files describe the last phase, plus the pathway's."""
    from planner.pathways import solve_pathway

    po = solve_pathway(scenario, ds, scenario.solver.backend, solve_options(scenario))
    directory = None
    if out is not None:
        directory = write_run(
            Path(out),
            scenario,
            ds,
            po.model,
            po.result,
            po.interpretation,
            command or sys.argv,
            plots,
            unique,
            pathway=po.pathway,
        )
    return RunOutcome(directory, scenario, po.model, po.result, po.interpretation, po.pathway)


def run(
    scenario: Scenario | str | Path,
    out: str | Path | None = None,
    *,
    overrides: dict[str, Any] | None = None,
    dataset: Dataset | None = None,
    plots: bool = True,
    stability: str = "cheap",
    explain: str = "brief",
) -> RunOutcome:
    """Run a scenario end to end: the one call (``planner.run("scenarios/default.toml")``).

    Parameters
    ----------
    scenario : Scenario, str or Path
        A scenario, or a scenario file (a relative ``data.path`` in it is taken from the
        file's directory, as on the command line).
    out : str or Path, optional
        Write the run directory there (refused before any work if it exists already).
    overrides : dict, optional
        Dotted scenario keys to change, e.g. ``{"solver.time_limit": 60.0}``; checked with the
        scenario's own rules.
    dataset : Dataset, optional
        The dataset, if already loaded (otherwise the scenario's ``data.path``).
    plots : bool
        Write the report's figures.
    stability : {"cheap", "full", "off"}
        How the plan's stability is checked (see :func:`run_scenario`).
    explain : {"brief", "full", "none"}
        How many re-solves explain the plan (see :func:`run_scenario`).

    Returns
    -------
    RunOutcome
        The directory written (or None), the scenario, the model, the solve result and the
        interpretation (None when there is no solution).
    """
    if isinstance(scenario, Scenario):
        if overrides:
            scenario = scenario.with_overrides(overrides)
        base = None
    else:
        base = Path(scenario).resolve().parent
        scenario = load_scenario(scenario, overrides, data_relative_to_file=True)
    if dataset is None:
        dataset = load_scenario_dataset(scenario, base)
    return run_scenario(
        scenario, out, dataset=dataset, plots=plots, stability=stability, explain=explain
    )


def _is_stress_directory(d: Path) -> bool:
    try:
        s = json.loads((d / "summary.json").read_text())
    except (OSError, ValueError):
        return False
    return isinstance(s, dict) and "groups" in s and "spec" in s


def _compare_stress(directories: list[Path]) -> pd.DataFrame:
    """Output loss by group (% of output, before and after the plan) of stress directories."""
    rows = {}
    for d in directories:
        s = json.loads((d / "summary.json").read_text())
        name = s.get("name", d.name)
        if name in rows:
            name = f"{name} ({d.name})"
        row = {}
        for group, g in s["groups"].items():
            for key in ("output_loss_pct_before", "output_loss_pct_after", "protected_output"):
                if key in g:
                    row[f"{group} {key}"] = g[key]
        rows[name] = row
    return pd.DataFrame(rows)


def compare_runs(directories: list[str | Path]) -> dict[str, pd.DataFrame]:
    """Compare run directories from their files: headline numbers, roles and tiers that differ,
    members gained or lost against the first, and a ``warnings`` table when the runs differ
    in dataset (hash), focal set or adversaries; or stress-test directories (``planner
    stress``): output loss by group before and after each plan."""
    if len(directories) < 2:
        raise RunError("compare needs at least two run directories")
    stress = [d for d in map(Path, directories) if _is_stress_directory(d)]
    if stress and len(stress) == len(directories):
        return {"stress": _compare_stress(stress)}
    if stress:
        raise RunError(
            f"{stress[0]}: a stress-test directory; compare run directories with run "
            "directories and stress directories with stress directories"
        )
    names, summaries, roles, tiers, contexts = [], [], {}, {}, []
    for d in map(Path, directories):
        if not (d / "summary.json").exists():
            raise RunError(f"{d}: no summary.json; not a run directory")
        s = json.loads((d / "summary.json").read_text())
        name = s.get("name", d.name)
        if name in names:
            name = f"{name} ({d.name})"
        names.append(name)
        summaries.append(s)
        contexts.append(_run_context(d, name, s))
        if (d / "countries.csv").exists():
            roles[name] = pd.read_csv(d / "countries.csv", keep_default_na=False).set_index("iso3")[
                "role"
            ]
            tiers[name] = pd.read_csv(d / "sectors.csv", keep_default_na=False).set_index("sector")[
                "tier"
            ]
    keys = ["status", "dependency_before", "dependency_after", "total_cost", "budget"]
    metrics = pd.DataFrame(
        {n: {k: s.get(k) for k in keys} for n, s in zip(names, summaries, strict=True)}
    )
    for n in names[1:]:
        for k in keys[1:]:
            a, b = summaries[0].get(k), summaries[names.index(n)].get(k)
            if isinstance(a, (int, float)) and isinstance(b, (int, float)):
                metrics.loc[k, f"{n} - {names[0]}"] = b - a
    r = pd.DataFrame(roles)
    t = pd.DataFrame(tiers)
    changes = []
    ref = summaries[0]
    for n, s in zip(names[1:], summaries[1:], strict=True):
        changes.append(
            {
                "scenario": n,
                "members_gained": sorted(set(s["members"]) - set(ref["members"])),
                "members_lost": sorted(set(ref["members"]) - set(s["members"])),
                "tier_changes": {
                    k: f"{ref['tiers'].get(k)} -> {v}"
                    for k, v in s["tiers"].items()
                    if ref["tiers"].get(k) != v
                },
            }
        )
    out = {
        "metrics": metrics,
        "membership": r[r.nunique(axis=1) > 1] if len(r.columns) > 1 else r,
        "tiers": t[t.nunique(axis=1) > 1] if len(t.columns) > 1 else t,
        "changes": pd.DataFrame(changes).set_index("scenario"),
    }
    warned = context_warnings(contexts)
    if warned:  # runs on other data, focal sets or adversaries: said, not hidden
        out["warnings"] = warnings_table(warned)
    if any(s.get("pathway") for s in summaries):
        out["pathway"] = _compare_pathways(names, summaries)
    return out


def _compare_pathways(names: list[str], summaries: list[dict]) -> pd.DataFrame:
    """Pathway runs side by side: per phase the DI, the cost and who joins (``<phase> <key>``
    rows), and the weighted objective; a run that is no pathway has empty cells."""
    keys = ("dependency_index", "total_cost", "joined", "joined_as_associate", "upgraded")
    cols = {}
    for n, s in zip(names, summaries, strict=True):
        col: dict[str, object] = {"objective": s.get("pathway_objective")}
        for phase, v in (s.get("pathway") or {}).items():
            for k in keys:
                x = v.get(k)
                col[f"{phase} {k}"] = ", ".join(x) if isinstance(x, list) else x
        cols[n] = col
    return pd.DataFrame(cols)


def _run_context(d: Path, name: str, summary: dict) -> dict[str, object]:
    """What a comparison checks two runs share: the dataset's hash (summary.json), the focal
    set (countries.csv, else the scenario's coalition.focal) and the adversaries."""
    co: dict = {}
    try:
        import tomllib

        co = tomllib.loads((d / "scenario.toml").read_text()).get("coalition", {})
    except (OSError, ValueError):
        pass
    focal = co.get("focal")
    if (d / "countries.csv").exists():
        c = pd.read_csv(d / "countries.csv", keep_default_na=False)
        if "focal" in c.columns:
            focal = sorted(c.loc[c["focal"].astype(str).str.lower() == "true", "iso3"])
    adversaries = co.get("adversaries")
    return {
        "name": name,
        "dataset": (summary.get("dataset") or {}).get("sha256"),
        "focal": sorted(focal) if isinstance(focal, list) else focal,
        "adversaries": sorted(adversaries) if isinstance(adversaries, list) else None,
    }
