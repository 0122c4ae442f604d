"""The phased pathway: one copy of the joint model per phase, linked phase to phase.

A scenario with a ``[pathway]`` section asks in which order to build the coalition. The model
(docs/model.md, "Pathway") is the joint model of the scenario built once, copied once per
phase with :func:`formulations.replicate.replicate_program` (the phase is one more label level
of every block and family: ``increase`` is labelled (phase, importer, exporter, sector)),
then linked by the families of :mod:`formulations.families.pathway_links`:

- phase ``p``'s plan is a complete plan, so its ``budget`` row allows the budgets of phases
  ``1..p`` together (what is bought stays bought); burden sharing and a ``cost`` objective's DI
  target take the phase's values too;
- nobody leaves, nobody is downgraded, an associate becomes a full member only with
  ``pathway.upgrades``; tiers only tighten (or stay fixed); pooled investment stays built;
- at most ``pathway.max_new_members[p]`` countries enter in phase ``p``; fixed accessions enter
  in exactly their phase.

The objective is the weighted sum of the phases' objectives (their DIs with the tie-break, or
with ``objective.kind = "cost"`` their costs, each phase's DI at most its target). With one
phase the program is exactly the scenario's joint model.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from formulations.families import pathway_links
from formulations.instance import FormulationError, Instance
from formulations.model import CoalitionModel, Plan
from formulations.objectives import TARGET_FAMILY
from formulations.problems import build_model
from formulations.program import Program
from formulations.replicate import Replicas, replicate_program
from planner.data.dataset import Dataset
from planner.scenario import Scenario, phase_scenario

__all__ = ["Accession", "PathwayModel", "build_pathway"]

_I = np.int64


@dataclass(frozen=True)
class Accession:
    """Fixed accessions as arrays: country code, phase index, role (``"member"`` or
    ``"associate"``) of each."""

    country: np.ndarray
    phase: np.ndarray
    role: np.ndarray

    def __len__(self) -> int:
        return len(self.country)


@dataclass
class PathwayModel:
    """A built pathway: the combined program, the one-phase model it copies, the phases.

    Attributes
    ----------
    phases : list of str
        Phase labels, in order.
    scenario : Scenario
        The pathway scenario.
    base : CoalitionModel
        The scenario's joint model for one phase (the last phase's budget and target); its
        expressions are on the base program's columns.
    replicas : Replicas
        The combined program and the maps from base columns and rows to each phase.
    budgets, weights, targets : numpy.ndarray
        Per phase: what the plan may cost (cumulative), the objective weight, the DI target.
    accessions : Accession
        The fixed accessions (empty for the free order).
    free_order : bool
        Whether the fixed accessions were left out (the optimizer's own order).
    """

    phases: list[str]
    scenario: Scenario
    base: CoalitionModel
    replicas: Replicas
    budgets: np.ndarray
    weights: np.ndarray
    targets: np.ndarray
    accessions: Accession
    free_order: bool = False
    _phase_models: dict[int, CoalitionModel] = field(default_factory=dict, repr=False)

    @property
    def program(self) -> Program:
        """The combined program (solve this)."""
        return self.replicas.program

    @property
    def objective_kind(self) -> str:
        """``dependency`` or ``cost``."""
        return self.base.objective_kind

    @property
    def instance(self) -> Instance:
        """The instance every phase shares."""
        return self.base.instance

    def phase_x(self, x: np.ndarray, k: int) -> np.ndarray:
        """Phase ``k``'s point in the base program's columns."""
        return np.asarray(x, dtype=float)[self.replicas.columns(k)]

    def phase_model(self, k: int) -> CoalitionModel:
        """Phase ``k`` as a one-phase model: the base program with the phase's right-hand sides
        and an instance whose scenario is :func:`planner.scenario.phase_scenario` (decode
        :meth:`phase_x` with it)."""
        if k not in self._phase_models:
            program = self.base.program.copy()
            for name in _PHASE_RHS:
                if name in program.families:
                    program.set_rhs(name, self._phase_rhs(name, k))
            inst = replace(self.instance, scenario=phase_scenario(self.scenario, k))
            self._phase_models[k] = replace(self.base, program=program, instance=inst)
        return self._phase_models[k]

    def plans(self, x: np.ndarray) -> list[Plan]:
        """The plan of every phase decoded from the combined point ``x``."""
        return [self.phase_model(k).plan(self.phase_x(x, k)) for k in range(len(self.phases))]

    def sizes(self) -> dict[str, int]:
        """Model size: phases, links per phase, variables (integer), rows, non-zeros."""
        p = self.program
        return {
            "phases": len(self.phases),
            "candidate_links": len(self.instance.links),
            "variables": p.n_variables,
            "integer_variables": int(p.integrality().sum()),
            "constraints": p.n_constraints,
            "nonzeros": p.nnz,
        }

    def _phase_rhs(self, family: str, k: int) -> np.ndarray:
        """The right-hand side of base family ``family`` in phase ``k``."""
        base_rhs = self.base.program.family(family).rhs
        if family == "budget":
            return np.full(len(base_rhs), self.budgets[k])
        if family == "burden_sharing":  # B gdp_i, with the phase's B
            last = self.budgets[-1]
            return base_rhs * (self.budgets[k] / last) if last > 0 else base_rhs.copy()
        di = self.base.expressions[self.base.dependency_measure()]
        return np.full(len(base_rhs), self.targets[k] - float(di.const[0]))


#: base families whose right-hand side changes from phase to phase
_PHASE_RHS = ("budget", "burden_sharing", TARGET_FAMILY)


def build_pathway(dataset: Dataset, scenario: Scenario, free_order: bool = False) -> PathwayModel:
    """Build the pathway a scenario's ``[pathway]`` section describes.

    Parameters
    ----------
    dataset : planner.data.Dataset
        Countries, sectors and flows.
    scenario : planner.scenario.Scenario
        A scenario with ``pathway.phases``.
    free_order : bool
        Leave the fixed accessions out: the optimizer chooses who joins when, under the same
        budgets and accession limits.

    Returns
    -------
    PathwayModel
        ``model.program.build_seconds`` holds the build time.

    Raises
    ------
    formulations.instance.FormulationError
        Naming the key: a fixed accession of a country that is unknown, not a candidate, or
        not eligible for its role; or any error of the one-phase model.
    """
    pw = scenario.pathway
    if not pw.enabled:
        raise FormulationError("pathway.phases", "the scenario has no phases")
    t0 = time.perf_counter()
    n = len(pw.phases)
    base = build_model(dataset, phase_scenario(scenario, n - 1))
    accessions = _empty_accessions() if free_order else _fixed_accessions(base.instance, scenario)
    weights = np.asarray(pw.phase_weights())
    rep = replicate_program(
        base.program,
        pd.Index(pw.phases, name="phase"),
        weights,
        name=f"{scenario.name}-pathway{'-free' if free_order else ''}",
    )
    pm = PathwayModel(
        phases=list(pw.phases),
        scenario=scenario,
        base=base,
        replicas=rep,
        budgets=np.asarray(pw.cumulative_budgets(scenario.parameters.budget)),
        weights=weights,
        targets=np.asarray(pw.phase_targets(scenario.objective.target)),
        accessions=accessions,
        free_order=free_order,
    )
    for name in _PHASE_RHS:
        if name in base.program.families:
            rep.set_rhs(name, [pm._phase_rhs(name, k) for k in range(n)])
    pathway_links.add(pm)
    program = pm.program
    program.build_seconds = time.perf_counter() - t0
    program.metadata.update(
        {
            "problem": "pathway",
            "phases": list(pw.phases),
            "free_order": free_order,
            "families": [*base.program.metadata.get("families", []), *pathway_links.NAMES],
        }
    )
    return pm


def _empty_accessions() -> Accession:
    e = np.zeros(0, dtype=_I)
    return Accession(e, e.copy(), np.zeros(0, dtype=object))


def _fixed_accessions(inst: Instance, scenario: Scenario) -> Accession:
    """The fixed accessions as codes, each checked against the instance (FormulationError
    naming ``pathway.fixed.<phase>`` or ``pathway.fixed_associates.<phase>``)."""
    pw = scenario.pathway
    countries, phases = inst.countries, list(pw.phases)
    c_codes, p_codes, roles = [], [], []
    for key, role, fixed, threshold in (
        ("fixed", "member", inst.full_fixed, "full_threshold"),
        ("fixed_associates", "associate", inst.associate_fixed, "associate_threshold"),
    ):
        for phase, codes in getattr(pw, key).items():
            where = f"pathway.{key}.{phase}"
            unknown = sorted(set(codes) - set(countries))
            if unknown:
                raise FormulationError(where, f"unknown country code(s) {unknown}")
            idx = countries.get_indexer(codes)
            for c in idx:  # a handful of listed countries, each with its own message
                why = _why_not_free(inst, scenario, c, fixed, threshold)
                if why:
                    raise FormulationError(where, f"{countries[c]} cannot join as {role}: {why}")
            c_codes.append(idx)
            p_codes.append(np.full(len(idx), phases.index(phase), dtype=_I))
            roles.append(np.full(len(idx), role, dtype=object))
    if not c_codes:
        return _empty_accessions()
    return Accession(
        np.concatenate(c_codes).astype(_I), np.concatenate(p_codes), np.concatenate(roles)
    )


def _why_not_free(
    inst: Instance, scenario: Scenario, c: int, fixed: np.ndarray, threshold: str
) -> str:
    """Why country ``c``'s role indicator is not a free choice ("" when it is)."""
    co = scenario.coalition
    if not inst.candidate[c]:
        return "not a candidate (coalition.candidates)"
    if np.isnan(fixed[c]):
        return ""
    if not co.choose_members:
        return "coalition.choose_members is false, so nobody joins"
    limit = getattr(co, threshold)
    if inst.regime[c] < limit:
        return (
            f"ineligible, regime score {inst.regime[c]:.3f} below coalition.{threshold} = {limit}"
        )
    return "its role is fixed by the scenario"
