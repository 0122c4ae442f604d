"""The gallery: real coalitions side by side, each scored against the best coalition of its size.

For every bloc of the bloc table (``data/blocs.csv``: the EU, the G7, the D-10, the Quad, IPEF,
TPP-12, CPTPP, USMCA, TTIP, Chip 4, the Minerals Security Partnership, NATO, the OECD) two runs
are solved under the same rules and budget:

the bloc
    Membership fixed to the bloc's modelled members: a member whose regime score passes
    ``coalition.full_threshold`` is a full member, every other member an associate (whatever
    the associate threshold: ``coalition.associate_threshold`` is lowered to the lowest such
    score, and the table says how many joined as associates). The anchor is the bloc's largest
    full member by GDP. Tiers and sourcing are chosen as in any run (the tier MILP).
the best coalition of the same size
    The same scenario with membership chosen (the joint MILP): ``coalition.max_size`` = the
    bloc's modelled size, the same anchor, the same thresholds. The bloc is one of the
    coalitions it may choose, so its dependency index is never above the bloc's; the gallery
    checks this for every bloc (a worse optimum, e.g. after a time limit, is re-solved with the
    bloc's plan as the incumbent, and is an error if still worse). When CBC (the gallery's
    solver) stops at its time limit, HiGHS goes on from its incumbent.

Both are normal run directories (``planner verify`` and ``planner compare`` work on them).
The league table adds the bloc's GDP share, the dependency index before and after (direct and
look-through), cost, the output its plan protects under an adversary export ban of the
coalition's tiered sectors (``planner stress RUN_DIR``'s default test), and **efficiency** =
the bloc's cut of the dependency index over the best same-size coalition's cut. Members of the
bloc outside the dataset are listed as not modelled, never dropped silently.

API: :func:`gallery` (the front door, ``planner.gallery``), :func:`bloc_specs`,
:func:`bloc_scenario`, :func:`best_scenario`, :func:`gallery_toml`, :func:`read_bloc_table`.
"""

from __future__ import annotations

import json
import math
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner.data.dataset import Dataset
from planner.errors import EXIT_SOLVER_ERROR, PlannerError
from planner.files import json_safe, sha256_file, stable_floats, write_atomically
from planner.scenario import Scenario

__all__ = [
    "BLOC_TITLES",
    "GALLERY_BLOCS",
    "GALLERY_RULES",
    "BlocSpec",
    "GalleryError",
    "GalleryResult",
    "OptimumWorseError",
    "best_scenario",
    "bloc_scenario",
    "bloc_specs",
    "gallery",
    "gallery_toml",
    "read_bloc_table",
    "write_gallery_scenarios",
]

#: the blocs of the shipped gallery, in the order of the table's source list
GALLERY_BLOCS = (
    "ipef",
    "g7",
    "d10",
    "quad",
    "tpp12",
    "cptpp",
    "usmca",
    "ttip",
    "chip4",
    "msp",
    "nato",
    "eu27",
    "oecd",
)
BLOC_TITLES = {
    "eu27": "EU",
    "g7": "G7",
    "oecd": "OECD",
    "nato": "NATO",
    "quad": "Quad",
    "ipef": "IPEF",
    "d10": "D-10",
    "cptpp": "CPTPP",
    "tpp12": "TPP-12",
    "usmca": "USMCA",
    "chip4": "Chip 4",
    "msp": "Minerals Security Partnership",
    "ttip": "TTIP",
}
#: the rules every bloc and every optimum share (scenario keys over the model's defaults):
#: the D-TEP settings of scenarios/default.toml; one solver thread per run, two runs at a time
GALLERY_RULES: dict[str, Any] = {
    "sectors.max_restricted": 10,
    "parameters.budget": 50000.0,
    "solver.backend": "pulp",
    "solver.pulp_solver": "PULP_CBC_CMD",
    "solver.threads": 1,
    "solver.time_limit": 120.0,
    "solver.options": {"feas": "off"},
}
#: the columns of the league table (gallery.csv), in order
COLUMNS = (
    "bloc",
    "title",
    "size",
    "listed",
    "not_modelled",
    "full_members",
    "associates",
    "anchor",
    "gdp_share",
    "dependency_before",
    "dependency_after",
    "look_through_before",
    "look_through_after",
    "total_cost",
    "protected_output",
    "protected_output_pct",
    "protected_output_note",
    "best_dependency_after",
    "best_look_through_after",
    "best_total_cost",
    "best_gdp_share",
    "best_protected_output",
    "best_protected_output_pct",
    "best_protected_output_note",
    "best_status",
    "best_gap",
    "best_restart",
    "best_solver",
    "efficiency",
    "swap_in",
    "swap_out",
    "bloc_seconds",
    "best_seconds",
    "run_dir",
    "best_run_dir",
)


class GalleryError(PlannerError, ValueError):
    """Bad gallery input: an unknown bloc, a bloc without a modelled member, a bloc table
    without the needed columns (exit 2, nothing written)."""

    prefix = "bad gallery: "


class OptimumWorseError(PlannerError, RuntimeError):
    """The best same-size coalition came out worse than the bloc even after a re-solve from the
    bloc's plan (a solver failure: the bloc is one of the coalitions it may choose)."""

    exit_code = EXIT_SOLVER_ERROR
    prefix = "gallery check failed: "


@dataclass(frozen=True)
class BlocSpec:
    """One bloc of the gallery, resolved against a dataset.

    Attributes
    ----------
    name, title, source : str
        The bloc's code (``blocs.csv``), its display name and the source of its list.
    members : tuple of str
        The modelled members (in the dataset, not adversaries), sorted.
    full, associates : tuple of str
        Members whose regime score passes the full threshold, and the others.
    anchor : tuple of str
        The bloc's largest full member by GDP (empty when no member passes the threshold).
    not_modelled : tuple of str
        Listed members outside the dataset.
    associate_threshold : float
        The associate threshold that admits every associate (the base scenario's, or the
        lowest associate's score when that is lower).
    gdp_share : float
        The members' share of the dataset's GDP.
    """

    name: str
    title: str
    source: str
    members: tuple[str, ...]
    full: tuple[str, ...]
    associates: tuple[str, ...]
    anchor: tuple[str, ...]
    not_modelled: tuple[str, ...]
    associate_threshold: float
    gdp_share: float

    @property
    def size(self) -> int:
        """Modelled members (the optimum's ``coalition.max_size``)."""
        return len(self.members)

    @property
    def listed(self) -> int:
        """Members in the bloc's list, modelled or not."""
        return len(self.members) + len(self.not_modelled)


def read_bloc_table(path: str | Path | None = None) -> pd.DataFrame:
    """The bloc table: one row per (bloc, member) with ``bloc, iso3, in_dataset, source``.

    Parameters
    ----------
    path : str or Path, optional
        A ``blocs.csv``; default the shipped dataset's (``planner.data.default_data_dir()``).

    Raises
    ------
    GalleryError
        The file is missing or unreadable, or lacks one of the four columns (named).
    """
    if path is None:
        from planner.data.loaders import default_data_dir

        path = default_data_dir() / "blocs.csv"
    path = Path(path)
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise GalleryError(f"{path}: cannot read the bloc table ({exc})") from None
    missing = [c for c in ("bloc", "iso3", "in_dataset", "source") if c not in df.columns]
    if missing:
        raise GalleryError(f"{path}: the bloc table has no column(s) {missing}")
    return df


def _base(base: Scenario | None) -> Scenario:
    """The shared rules: ``base`` as given, else the model's defaults with GALLERY_RULES."""
    if base is not None:
        return base
    return Scenario(name="gallery").with_overrides(GALLERY_RULES, source="gallery rules")


def bloc_specs(
    dataset: Dataset,
    blocs: Sequence[str] | None = None,
    table: pd.DataFrame | str | Path | None = None,
    base: Scenario | None = None,
) -> list[BlocSpec]:
    """Resolve bloc names against the dataset and the bloc table (before any solve).

    Parameters
    ----------
    dataset : Dataset
        Countries (regime scores, GDP).
    blocs : sequence of str, optional
        Bloc codes; default :data:`GALLERY_BLOCS` that are in the table (every bloc of a
        table without them).
    table : DataFrame or path, optional
        The bloc table (:func:`read_bloc_table`); default the shipped one.
    base : Scenario, optional
        The shared rules (thresholds, adversaries); default :data:`GALLERY_RULES`.

    Returns
    -------
    list of BlocSpec

    Raises
    ------
    GalleryError
        An unknown bloc (the message lists the known ones), a duplicated name, or a bloc none
        of whose members is modelled (in the dataset and not an adversary).
    """
    if not isinstance(table, pd.DataFrame):
        table = read_bloc_table(table)
    sc = _base(base)
    known = list(dict.fromkeys(table["bloc"]))
    if blocs is None:
        blocs = [b for b in GALLERY_BLOCS if b in known] or known
    blocs = [str(b).strip() for b in blocs]
    unknown = [b for b in blocs if b not in known]
    if unknown:
        raise GalleryError(f"--blocs: unknown bloc(s) {unknown}; known: {', '.join(known)}")
    dupes = sorted({b for b in blocs if blocs.count(b) > 1})
    if dupes:
        raise GalleryError(f"--blocs: bloc(s) {dupes} given twice")
    if not blocs:
        raise GalleryError("--blocs: no bloc given")
    countries = dataset.countries
    adversaries = set(sc.coalition.adversaries)
    total_gdp = float(countries["gdp"].sum())
    th_full, th_assoc = sc.coalition.full_threshold, sc.coalition.associate_threshold
    out = []
    for b in blocs:
        rows = table[table["bloc"] == b]
        listed = list(dict.fromkeys(rows["iso3"]))
        modelled = sorted(c for c in listed if c in countries.index and c not in adversaries)
        not_modelled = tuple(sorted(c for c in listed if c not in countries.index))
        if not modelled:
            raise GalleryError(
                f"bloc {b!r}: none of its members {listed} is modelled (not in dataset "
                f"{dataset.name!r}, or an adversary); nothing to run"
            )
        regime = countries.loc[modelled, "regime"].astype(float)
        full = tuple(c for c in modelled if regime[c] >= th_full)
        assoc = tuple(c for c in modelled if regime[c] < th_full)
        gdp = countries.loc[modelled, "gdp"].astype(float)
        anchor = (max(full, key=lambda c: (gdp[c], c)),) if full else ()
        a_th = min([th_assoc, *(float(regime[c]) for c in assoc)])
        out.append(
            BlocSpec(
                name=b,
                title=BLOC_TITLES.get(b, b),
                source=str(rows["source"].iloc[0]),
                members=tuple(modelled),
                full=full,
                associates=assoc,
                anchor=anchor,
                not_modelled=not_modelled,
                associate_threshold=a_th,
                gdp_share=float(gdp.sum()) / total_gdp if total_gdp > 0 else math.nan,
            )
        )
    return out


def _coalition_keys(spec: BlocSpec) -> dict[str, Any]:
    return {
        "coalition.anchors": list(spec.anchor),
        "coalition.associate_threshold": spec.associate_threshold,
    }


def bloc_scenario(spec: BlocSpec, base: Scenario | None = None) -> Scenario:
    """The bloc's run: membership fixed (full members above the full threshold, the others
    associates), tiers and sourcing chosen, the shared rules."""
    return _base(base).with_overrides(
        {
            "name": f"gallery-{spec.name}",
            "description": f"{spec.title} as it is: {spec.size} modelled members, fixed",
            **_coalition_keys(spec),
            "coalition.choose_members": False,
            "coalition.members": [c for c in spec.full if c not in spec.anchor],
            "coalition.associates": list(spec.associates),
        },
        source=f"gallery bloc {spec.name}",
    )


def best_scenario(spec: BlocSpec, base: Scenario | None = None) -> Scenario:
    """The best coalition of the bloc's size: the same anchor and thresholds, membership
    chosen, at most ``spec.size`` countries (the bloc itself is one of the choices)."""
    return _base(base).with_overrides(
        {
            "name": f"gallery-{spec.name}-best",
            "description": f"the best coalition of {spec.size} around the anchor of {spec.title}",
            **_coalition_keys(spec),
            "coalition.choose_members": True,
            "coalition.members": [],
            "coalition.associates": [],
            "coalition.max_size": spec.size,
        },
        source=f"gallery optimum {spec.name}",
    )


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()) + " }"
    return str(v)


def gallery_toml(spec: BlocSpec, base: Scenario | None = None) -> str:
    """The text of ``scenarios/gallery/<bloc>.toml``: the bloc's run as a scenario file
    (``planner run`` takes it as it is; :func:`bloc_scenario` gives the same scenario)."""
    sc = bloc_scenario(spec, base)
    co = sc.coalition
    lines = [
        f"# {spec.title} in the gallery (planner gallery --blocs {spec.name}); generated by",
        "# planner.galleries.write_gallery_scenarios from data/blocs.csv, do not edit by hand.",
        f"# Source: {spec.source}.",
        f"# Modelled members: {spec.size} of {spec.listed}"
        + (
            f"; not modelled (outside the dataset): {', '.join(spec.not_modelled)}"
            if spec.not_modelled
            else ""
        )
        + ".",
        f"# Full members (regime score >= {co.full_threshold}): {', '.join(spec.full) or 'none'}.",
        f"# Associates (below it): {', '.join(spec.associates) or 'none'}.",
        f"# The gallery's optimum: coalition.choose_members = true, max_size = {spec.size}, the",
        "# same anchor and thresholds (planner.galleries.best_scenario).",
        f"name = {_toml_value(sc.name)}",
        f"description = {_toml_value(sc.description)}",
        "",
        "[coalition]",
        f"adversaries = {_toml_value(co.adversaries)}",
        f"anchors = {_toml_value(co.anchors)}",
        "choose_members = false",
        f"members = {_toml_value(co.members)}",
        f"associates = {_toml_value(co.associates)}",
        f"full_threshold = {_toml_value(float(co.full_threshold))}",
        f"associate_threshold = {_toml_value(float(co.associate_threshold))}",
        "",
        "[sectors]",
        f"max_restricted = {sc.sectors.max_restricted}",
        "",
        "[parameters]",
        f"budget = {_toml_value(float(sc.parameters.budget))}",
        "",
        "[solver]",
        f"backend = {_toml_value(sc.solver.backend)}",
        f"pulp_solver = {_toml_value(sc.solver.pulp_solver)}",
        f"threads = {sc.solver.threads}",
        f"time_limit = {_toml_value(float(sc.solver.time_limit))}",
    ]
    if sc.solver.options:
        lines += ["", "[solver.options]"]
        lines += [f"{k} = {_toml_value(v)}" for k, v in sc.solver.options.items()]
    return "\n".join(lines) + "\n"


def write_gallery_scenarios(
    directory: str | Path, dataset: Dataset | None = None, blocs: Sequence[str] | None = None
) -> list[Path]:
    """Write one scenario file per bloc (:func:`gallery_toml`) into ``directory``."""
    from planner.data.loaders import load_dataset

    ds = dataset if dataset is not None else load_dataset()
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for spec in bloc_specs(ds, blocs):
        p = directory / f"{spec.name}.toml"
        p.write_text(gallery_toml(spec))
        paths.append(p)
    return paths


# ------------------------------------------------------------------------------ one bloc
def _tolerance(sc: Scenario, di_before: float) -> float:
    """How much the optimum's DI may exceed the bloc's: the MIP gap on the objective and the
    cost tie-break (which may trade a hair of DI for cost), plus rounding."""
    return sc.solver.mip_gap * max(di_before, 1e-12) + 2.0 * sc.objective.cost_tiebreak + 1e-9


def _stress(run_dir: Path, network: Any) -> dict[str, Any]:
    """Output the plan protects under ``planner stress RUN_DIR``'s default ban (the
    coalition, in the plan's tiered sectors): USD mn and % of the targets' output, and in
    ``protected_output_note`` why there is no figure (empty when there is one)."""
    from planner.stress import StressError, StressSpec, stress_test

    try:
        r = stress_test(network, StressSpec(), run_dir)
    except StressError as exc:  # e.g. a plan without a tiered sector: nothing is banned
        return {
            "protected_output": math.nan,
            "protected_output_pct": math.nan,
            "protected_output_note": str(exc),
        }
    g = r.by_group[(r.by_group["ban"] == r.bans[0]) & (r.by_group["group"] == "targets")]
    protected = float(g["protected_output"].iloc[0])
    before = float(g["output_before"].iloc[0]) if "output_before" in g else math.nan
    return {
        "protected_output": protected,
        "protected_output_pct": protected / before if before > 0 else math.nan,
        "protected_output_note": "",
    }


def _warm_resolve(outcome: Any, spec: BlocSpec, ds: Dataset, from_bloc: bool) -> Any:
    """Re-solve the optimum's program with HiGHS from a first incumbent: the bloc's plan
    (``from_bloc``: y, z fixed to the bloc, solved, then freed) or the previous solve's point
    (an incumbent another solver left at its time limit)."""
    from planner.interpreter import interpret
    from planner.interpreter.explain import explain_plan
    from planner.runs import RunOutcome, _extend, solve_options
    from planner.solver import solve
    from planner.solver.result import WarmStart

    model, sc = outcome.model, outcome.scenario
    program = model.program
    opts = solve_options(sc)
    if sc.solver.backend != "highs":  # options by another solver's names mean nothing here
        opts = opts.with_(solver_options={})
    if from_bloc:
        fixed = program.copy()
        members = set(spec.full)
        for name, inside in (("full_member", members), ("associate", set(spec.members) - members)):
            block = fixed.blocks.get(name)
            if block is None:  # every country's role fixed already
                continue
            on = np.asarray(block.labels.isin(sorted(inside)))
            block.lower[:] = np.where(on, 1.0, 0.0)
            block.upper[:] = np.where(on, 1.0, 0.0)
        x = solve(fixed, "highs", opts).x
    else:
        x = outcome.result.x
    result = solve(program, "highs", opts, start=WarmStart(x=x, backend="highs"))
    it = interpret(model, result, dataset=ds) if result.status.has_solution else None
    if it is not None:
        _extend(it, None, ds, "cheap")
        explain_plan(it, ds, "brief")
    return RunOutcome(None, sc, model, result, it)


def _solver_label(name: str) -> str:
    """``"CBC"`` for PuLP's CBC (whose name carries the binary's path), else the name."""
    short = str(name).split(" (")[0]
    return "CBC" if "CBC" in short.upper() or "COIN" in short.upper() else short


def _headline(o: Any, key: str) -> float:
    h = o.interpretation.headline if o.interpretation is not None else {}
    v = h.get(key)
    return float(v) if isinstance(v, (int, float)) and v is not None else math.nan


def _bloc_task(item: tuple[dict, dict, dict, str, bool, bool, Any]) -> dict[str, Any]:
    """One bloc: its run, the best same-size coalition's run (checked against it), and the
    stress columns; writes both run directories under ``runs``."""
    from planner.runs import RunError, run_scenario, write_run
    from planner.scenario import load_scenario_dataset
    from planner.solver import Status

    spec_d, bloc_d, best_d, runs, plots, stress, dataset = item
    spec = BlocSpec(**{k: tuple(v) if isinstance(v, list) else v for k, v in spec_d.items()})
    bloc_sc, best_sc = Scenario.from_dict(bloc_d), Scenario.from_dict(best_d)
    ds = dataset if dataset is not None else load_scenario_dataset(bloc_sc)
    runs_dir = Path(runs)
    command = ["planner", "gallery", "--blocs", spec.name]
    t0 = time.perf_counter()
    bloc = run_scenario(bloc_sc, runs_dir / spec.name, dataset=ds, command=command, plots=plots)
    t1 = time.perf_counter()
    if bloc.interpretation is None:
        raise RunError(
            f"bloc {spec.name}: the bloc's own run has no solution "
            f"({bloc.result.status.value}); see {bloc.directory}/solver.log"
        )
    with warnings.catch_warnings(record=True) as caught:  # said again if this plan is kept
        warnings.simplefilter("always")
        best = run_scenario(best_sc, None, dataset=ds, plots=plots)
    first = best
    di_before = _headline(bloc, "dependency_before")
    di_bloc = _headline(bloc, "dependency_after")
    tol = _tolerance(best_sc, di_before)
    restart = ""

    def worse(o: Any) -> bool:
        return o.interpretation is None or _headline(o, "dependency_after") > di_bloc + tol

    if (
        not worse(best)
        and best.result.status is not Status.OPTIMAL
        and best_sc.solver.backend != "highs"
    ):
        # another solver stopped at its limit: HiGHS goes on from its incumbent
        again = _warm_resolve(best, spec, ds, from_bloc=False)
        if not worse(again) and _headline(again, "dependency_after") <= _headline(
            best, "dependency_after"
        ):
            best, restart = again, "incumbent"
    if worse(best):  # the bloc is one of the choices: start from it
        best = _warm_resolve(best, spec, ds, from_bloc=True)
        restart = "bloc"
        if worse(best):
            raise OptimumWorseError(
                f"bloc {spec.name}: the best coalition of {spec.size} has dependency "
                f"{_headline(best, 'dependency_after')!r}, above the bloc's {di_bloc!r} "
                f"(tolerance {tol:.3g}), even when started from the bloc"
            )
    if best is first:
        for w in caught:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    best_dir = write_run(
        runs_dir / f"{spec.name}-best",
        best.scenario,
        ds,
        best.model,
        best.result,
        best.interpretation,
        command,
        plots,
    )
    t2 = time.perf_counter()
    assert best.interpretation is not None
    plan = best.interpretation.plan
    chosen = sorted(set(plan.members) | set(plan.associates))
    gdp = ds.countries["gdp"].astype(float)
    cut_bloc = di_before - di_bloc
    cut_best = di_before - _headline(best, "dependency_after")
    row: dict[str, Any] = {
        "bloc": spec.name,
        "title": spec.title,
        "size": spec.size,
        "listed": spec.listed,
        "not_modelled": ";".join(spec.not_modelled),
        "full_members": len(spec.full),
        "associates": len(spec.associates),
        "anchor": ";".join(spec.anchor),
        "gdp_share": spec.gdp_share,
        "dependency_before": di_before,
        "dependency_after": di_bloc,
        "look_through_before": _headline(bloc, "look_through_dependency_before"),
        "look_through_after": _headline(bloc, "look_through_dependency_after"),
        "total_cost": float(bloc.interpretation.plan.totals["total_cost"]),
        "best_dependency_after": _headline(best, "dependency_after"),
        "best_look_through_after": _headline(best, "look_through_dependency_after"),
        "best_total_cost": float(plan.totals["total_cost"]),
        "best_gdp_share": float(gdp[chosen].sum() / gdp.sum()),
        "best_status": best.result.status.value,
        "best_gap": float(best.result.gap) if np.isfinite(best.result.gap) else math.nan,
        "best_restart": restart,
        "best_solver": _solver_label(best.result.solver_name),
        "efficiency": cut_bloc / cut_best if cut_best > 1e-12 else math.nan,
        "swap_in": ";".join(sorted(set(chosen) - set(spec.members))),
        "swap_out": ";".join(sorted(set(spec.members) - set(chosen))),
        "run_dir": f"runs/{spec.name}",
        "best_run_dir": f"runs/{best_dir.name}",
        "tolerance": tol,
        "bloc_associates": ";".join(spec.associates),
        "best_members": ";".join(plan.members),
        "best_associates": ";".join(plan.associates),
    }
    if stress and ds.has_network:
        net = ds.require_network()
        row.update(_stress(Path(bloc.directory), net))
        row.update({f"best_{k}": v for k, v in _stress(best_dir, net).items()})
    t3 = time.perf_counter()
    row["bloc_seconds"] = t1 - t0
    row["best_seconds"] = t2 - t1
    row["stress_seconds"] = t3 - t2
    return row


# ------------------------------------------------------------------------------ the gallery
@dataclass
class GalleryResult:
    """What :func:`gallery` returns.

    Attributes
    ----------
    table : pandas.DataFrame
        The league table, one row per bloc (:data:`COLUMNS`, shares in [0, 1], USD mn).
    directory : pathlib.Path or None
        The gallery directory written (None without ``out``).
    specs : list of BlocSpec
        The blocs as resolved against the dataset.
    seconds : float
        Wall time of the whole gallery.
    stress : bool
        Whether the protected-output columns were computed.
    """

    table: pd.DataFrame
    directory: Path | None
    specs: list[BlocSpec]
    seconds: float
    stress: bool = True
    notes: list[str] = field(default_factory=list)


def _run_tasks(items, executor, workers, scheduler, progress) -> list[dict[str, Any]]:
    from planner.parallel import process_map

    if executor == "local":
        return process_map(_bloc_task, items, workers, what="gallery blocs", progress=progress)
    from planner.sweep import _collect, dask_client

    with dask_client(workers, scheduler) as client:
        futures = client.map(_bloc_task, items, pure=False)
        return _collect(futures, progress, len(items))


def gallery(
    blocs: Sequence[str] | None = None,
    out: str | Path | None = None,
    *,
    dataset: Dataset | None = None,
    table: pd.DataFrame | str | Path | None = None,
    base: Scenario | None = None,
    executor: str = "local",
    workers: int = 2,
    scheduler: str | None = None,
    plots: bool = True,
    stress: bool = True,
    time_limit: float | None = None,
    progress: Callable[[int, int], None] | None = None,
    command: list[str] | None = None,
) -> GalleryResult:
    """Run every bloc and the best coalition of its size; the league table and its report.

    Parameters
    ----------
    blocs : sequence of str, optional
        Bloc codes of the bloc table; default :data:`GALLERY_BLOCS`.
    out : str or Path, optional
        The gallery directory to write (atomically; refused before any solve if it exists):
        gallery.csv, gallery.md, gallery.html, gallery.png, gallery.json, manifest.json and
        ``runs/<bloc>``, ``runs/<bloc>-best`` (normal run directories). Without ``out`` the
        runs are written to a temporary directory and removed.
    dataset : Dataset, optional
        Default the shipped dataset.
    table : DataFrame or path, optional
        The bloc table; default the shipped ``data/blocs.csv``.
    base : Scenario, optional
        The shared rules (budget, tiers, solver); default :data:`GALLERY_RULES` over the
        model's defaults. Its coalition keys other than the adversaries and thresholds are
        replaced per bloc.
    executor : {"local", "dask"}
        Worker processes here (:func:`planner.parallel.process_map`) or Dask distributed
        (``scheduler``, or a local cluster of ``workers``), as sweeps use.
    workers : int
        Blocs solved at a time.
    plots : bool
        Figures in every run directory and the gallery's chart.
    stress : bool
        Compute the output the plans protect under an adversary ban (needs a network).
    time_limit : float, optional
        Override ``solver.time_limit`` (seconds per solve).
    progress : callable, optional
        Called with (done, total) as blocs finish.
    command : list of str, optional
        Recorded in manifest.json (default ``sys.argv``).

    Returns
    -------
    GalleryResult

    Raises
    ------
    GalleryError
        Unknown bloc, bloc without a modelled member, bad executor (before any solve).
    planner.runs.RunError
        ``out`` exists already or cannot be created (before any solve).
    OptimumWorseError
        A best same-size coalition worse than its bloc even from the bloc's plan.
    """
    import tempfile

    from planner.runs import check_output_directory
    from planner.scenario import load_scenario_dataset

    t0 = time.perf_counter()
    if executor not in ("local", "dask"):
        raise GalleryError(f"--executor {executor!r}: use 'local' or 'dask'")
    if workers < 1:
        raise GalleryError(f"--workers {workers}: expected a number of processes >= 1")
    sc = _base(base)
    if time_limit is not None:
        sc = sc.with_overrides({"solver.time_limit": float(time_limit)}, source="--time-limit")
    target = check_output_directory(out) if out is not None else None
    explicit = dataset is not None
    ds = dataset if dataset is not None else load_scenario_dataset(sc)
    specs = bloc_specs(ds, blocs, table, sc)
    if plots:
        from planner.interpreter.plots import require_matplotlib

        require_matplotlib()
    scen = [(s, bloc_scenario(s, sc), best_scenario(s, sc)) for s in specs]
    do_stress = bool(stress and ds.has_network)
    # largest blocs first: the slowest optima start at once
    order = sorted(range(len(scen)), key=lambda k: -specs[k].size)

    def fill(tmp: Path) -> None:
        runs = tmp / "runs"
        runs.mkdir()
        items = [
            (
                asdict(scen[k][0]),
                scen[k][1].to_dict(),
                scen[k][2].to_dict(),
                str(runs),
                plots,
                do_stress,
                ds if explicit else None,
            )
            for k in order
        ]
        rows = _run_tasks(items, executor, workers, scheduler, progress)
        by_name = {r["bloc"]: r for r in rows}
        res.table = _league(by_name, specs)
        res.seconds = time.perf_counter() - t0
        _write_gallery(tmp, res, sc, ds, command or sys.argv, plots)

    res = GalleryResult(pd.DataFrame(), None, specs, 0.0, do_stress)
    if not do_stress:
        res.notes.append(
            "no protected-output columns: "
            + ("the dataset has no input-output network" if stress else "stress test off")
        )
    if target is not None:
        res.directory = write_atomically(target, fill, GalleryError, what="gallery")
    else:
        with tempfile.TemporaryDirectory(prefix="planner-gallery-") as tmpdir:
            fill(Path(tmpdir))
    return res


def _league(rows: dict[str, dict[str, Any]], specs: list[BlocSpec]) -> pd.DataFrame:
    """The league table in the order the blocs were asked for, sorted by efficiency."""
    df = pd.DataFrame([rows[s.name] for s in specs])
    for c in COLUMNS:
        if c not in df.columns:
            df[c] = math.nan
    extra = [c for c in df.columns if c not in COLUMNS]
    df = df[[*COLUMNS, *extra]]
    df = df.sort_values(["efficiency", "bloc"], ascending=[False, True], na_position="last")
    df = df.reset_index(drop=True)
    df.attrs = {"name": "gallery", "unit": "shares in [0, 1], USD mn"}
    return df


def _write_gallery(
    d: Path, res: GalleryResult, sc: Scenario, ds: Dataset, command: list[str], plots: bool
) -> None:
    """gallery.csv, gallery.json, the report (md, html, png) and manifest.json into ``d``."""
    from planner.data.loaders import dataset_sha256
    from planner.interpreter.gallery import write_gallery_report

    table = res.table
    table.to_csv(d / "gallery.csv", index=False, float_format="%.10g", lineterminator="\n")
    summary = {
        "blocs": [s.name for s in res.specs],
        "rules": {
            k: v for k, v in sc.to_dict().items() if k in ("parameters", "sectors", "solver")
        },
        "stress": res.stress,
        "notes": res.notes,
        "dataset": {"name": ds.name, "sha256": dataset_sha256(ds)},
        "specs": [json_safe(asdict(s)) for s in res.specs],
        "rows": json_safe(table.to_dict("records")),
    }
    (d / "gallery.json").write_text(
        json.dumps(stable_floats(summary), indent=2, sort_keys=True, default=str) + "\n"
    )
    timings = {
        "total_seconds": res.seconds,
        "blocs": {
            r["bloc"]: {k: r.get(k) for k in ("bloc_seconds", "best_seconds", "stress_seconds")}
            for r in table.to_dict("records")
        },
    }
    (d / "timings.json").write_text(json.dumps(json_safe(timings), indent=2, sort_keys=True) + "\n")
    write_gallery_report(table, d, plots=plots, notes=res.notes, specs=res.specs)
    files = sorted(p.name for p in d.iterdir() if p.is_file())
    manifest = {
        "files": {n: sha256_file(d / n) for n in files},
        "runs": sorted(p.name for p in (d / "runs").iterdir() if p.is_dir()),
        "command": command,
        "dataset": summary["dataset"],
        "complete": True,
    }
    (d / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
