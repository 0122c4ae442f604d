"""The four problems of the model as compositions of families, and the one entry that builds
any of them from a scenario.

=================  ==================  ===============
problem            membership          tiers
=================  ==================  ===============
sourcing_lp        fixed               fixed
tier_milp          fixed               chosen
coalition_milp     chosen              fixed
joint_milp         chosen              chosen
=================  ==================  ===============

``build_model(dataset, scenario)`` picks the problem from ``coalition.choose_members`` and
``sectors.choose_tiers``; the four named functions fix what their problem fixes and build.
Build, solve and interpret stay separate steps (as in PyPSA): a user may add rows to
``model.program`` between :func:`build_model` and :func:`planner.solver.solve`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import replace

from formulations.builder import ModelBuilder
from formulations.families import FAMILIES
from formulations.families.budget import add_discount
from formulations.families.coalition_shape import add_domain
from formulations.instance import FormulationError, build_instance
from formulations.model import PROBLEMS, CoalitionModel
from formulations.objectives import set_objective
from formulations.program import Program
from planner.data.dataset import Dataset
from planner.scenario import Scenario

__all__ = [
    "build_model",
    "coalition_milp",
    "enabled_families",
    "joint_milp",
    "linking_families",
    "mark_decomposition",
    "problem_of",
    "sourcing_lp",
    "tier_milp",
]


def problem_of(scenario: Scenario) -> str:
    """The problem a scenario asks for (from its choose_members / choose_tiers flags)."""
    key = (scenario.coalition.choose_members, scenario.sectors.choose_tiers)
    return next(name for name, flags in PROBLEMS.items() if flags == key)


def enabled_families(scenario: Scenario) -> list[str]:
    """Names of the constraint families a scenario switches on, in build order."""
    sw, pa = scenario.constraints, scenario.parameters
    on = []
    for name in FAMILIES:
        enabled = pa.ally_shoring if name == "ally_shoring" else getattr(sw, name)
        if enabled:
            on.append(name)
    return on


def build_model(
    dataset: Dataset, scenario: Scenario, objective: str | None = None
) -> CoalitionModel:
    """Build the problem a scenario describes.

    Parameters
    ----------
    dataset : planner.data.Dataset
        Countries, sectors and flows.
    scenario : planner.scenario.Scenario
        Everything else (the model's defaults).
    objective : str, optional
        Overrides ``scenario.objective.kind``.

    Returns
    -------
    CoalitionModel
        Program, instance and expressions; ``program.build_seconds`` holds the build time.

    Raises
    ------
    formulations.instance.FormulationError
        The scenario does not fit the dataset (names the key).
    """
    t0 = time.perf_counter()
    kind = objective or scenario.objective.kind
    inst = build_instance(dataset, scenario)
    problem = problem_of(scenario)
    b = ModelBuilder(inst, name=f"{scenario.name}-{problem}")
    b.build_variables()
    add_discount(b)  # the barrier cut belongs to the cost definition (objective and budget)
    add_domain(b)
    for name in enabled_families(scenario):
        FAMILIES[name].add(b)
    set_objective(b, kind)
    program = b.program
    program.build_seconds = time.perf_counter() - t0
    program.metadata.update(
        {
            "problem": problem,
            "objective_kind": kind,
            "families": enabled_families(scenario),
            "scenario": scenario.name,
            "dataset": dataset.name,
        }
    )
    if scenario.solver.decompose:
        mark_decomposition(program, problem)
    return CoalitionModel(problem, kind, program, inst, b.x, b.unit_cost)


#: families whose rows reach across sectors (with membership and tiers fixed, every other
#: row stays within one sector): the linking rows of a decomposition by sectors
CROSS_SECTOR_FAMILIES = (
    "budget",
    "burden_sharing",
    "burden_sharing_product",
    "openness_volume",
    "openness_open_share",
    "openness_max_restricted",
    "coalition_size_min",
    "coalition_size_max",
    "coalition_gdp",
    "participation",
    "minimax_dependency",
    "dependency_target",
)


def linking_families(program: Program) -> list[str]:
    """The families of ``program`` that couple its sectors (:data:`CROSS_SECTOR_FAMILIES`
    present in it, so chosen by the enabled constraints and the objective)."""
    return [name for name in CROSS_SECTOR_FAMILIES if name in program.families]


def mark_decomposition(program: Program, problem: str) -> None:
    """Ask the solver to solve ``program`` by Dantzig-Wolfe (``solver.decompose``).

    Sets ``program.metadata["decompose"]`` to the linking families; ``planner.solver.solve``
    then runs :func:`planner.solver.solve_decomposed` (HiGHS) whatever the backend.

    Raises
    ------
    FormulationError
        ``solver.decompose`` on a problem with integer choices (only a sourcing LP is
        decomposed).
    """
    if problem != "sourcing_lp":
        raise FormulationError(
            "solver.decompose",
            f"decomposition solves sourcing LPs only; this scenario is a {problem} "
            "(set coalition.choose_members = false and sectors.choose_tiers = false, or "
            "solver.decompose = false)",
        )
    program.metadata["decompose"] = linking_families(program)


def _fixed(
    scenario: Scenario,
    members: Iterable[str] | None = None,
    associates: Iterable[str] | None = None,
    tiers: Mapping[str, str] | None = None,
) -> Scenario:
    co, se = scenario.coalition, scenario.sectors
    if members is not None:
        co = replace(
            co,
            choose_members=False,
            members=[m for m in members if m not in co.anchors],
            associates=list(associates or []),
        )
    if tiers is not None:
        se = replace(se, choose_tiers=False, tiers=dict(tiers))
    return replace(scenario, coalition=co, sectors=se)


def sourcing_lp(
    dataset: Dataset,
    scenario: Scenario,
    members: Iterable[str],
    associates: Iterable[str] = (),
    tiers: Mapping[str, str] | None = None,
    objective: str | None = None,
) -> CoalitionModel:
    """Sourcing LP: membership and tiers fixed, only f, u, q (and e) free.

    Its duals are shadow prices of the plan (d objective / d rhs).

    Parameters
    ----------
    dataset : planner.data.Dataset
        Countries, sectors and flows.
    scenario : planner.scenario.Scenario
        Everything else; its ``choose_members`` / ``choose_tiers`` flags are set here.
    members : iterable of str
        Full members (the anchors are always added).
    associates : iterable of str
        Associates.
    tiers : mapping of str to str, optional
        Sector -> tier; unlisted sectors are ``open``.
    objective : str, optional
        Overrides ``scenario.objective.kind``.

    Returns
    -------
    CoalitionModel
        Program, instance and expressions.
    """
    sc = _fixed(scenario, members, associates, tiers or {})
    return build_model(dataset, sc, objective)


def tier_milp(
    dataset: Dataset,
    scenario: Scenario,
    members: Iterable[str],
    associates: Iterable[str] = (),
    objective: str | None = None,
) -> CoalitionModel:
    """Tier MILP: membership fixed; tiers and sourcing chosen (``sectors.tiers`` stay fixed).

    Parameters
    ----------
    dataset : planner.data.Dataset
        Countries, sectors and flows.
    scenario : planner.scenario.Scenario
        Everything else; its ``choose_members`` / ``choose_tiers`` flags are set here.
    members : iterable of str
        Full members (the anchors are always added).
    associates : iterable of str
        Associates.
    objective : str, optional
        Overrides ``scenario.objective.kind``.

    Returns
    -------
    CoalitionModel
        Program, instance and expressions.
    """
    sc = _fixed(scenario, members, associates)
    sc = replace(sc, sectors=replace(sc.sectors, choose_tiers=True))
    return build_model(dataset, sc, objective)


def coalition_milp(
    dataset: Dataset,
    scenario: Scenario,
    tiers: Mapping[str, str],
    objective: str | None = None,
) -> CoalitionModel:
    """Coalition MILP: tiers fixed (unlisted sectors ``open``); membership and sourcing chosen.

    Parameters
    ----------
    dataset : planner.data.Dataset
        Countries, sectors and flows.
    scenario : planner.scenario.Scenario
        Everything else; its ``choose_members`` / ``choose_tiers`` flags are set here.
    tiers : mapping of str to str
        Sector -> tier; unlisted sectors are ``open``.
    objective : str, optional
        Overrides ``scenario.objective.kind``.

    Returns
    -------
    CoalitionModel
        Program, instance and expressions.
    """
    sc = _fixed(scenario, tiers=tiers)
    sc = replace(sc, coalition=replace(sc.coalition, choose_members=True))
    return build_model(dataset, sc, objective)


def joint_milp(
    dataset: Dataset, scenario: Scenario, objective: str | None = None
) -> CoalitionModel:
    """Joint MILP: membership, tiers and sourcing all chosen.

    Parameters
    ----------
    dataset : planner.data.Dataset
        Countries, sectors and flows.
    scenario : planner.scenario.Scenario
        Everything else; its ``choose_members`` / ``choose_tiers`` flags are set here.
    objective : str, optional
        Overrides ``scenario.objective.kind``.

    Returns
    -------
    CoalitionModel
        Program, instance and expressions.
    """
    sc = replace(
        scenario,
        coalition=replace(scenario.coalition, choose_members=True),
        sectors=replace(scenario.sectors, choose_tiers=True),
    )
    return build_model(dataset, sc, objective)
