"""The built coalition model and its solution decoded by labels (:class:`Plan`).

:class:`CoalitionModel` bundles the solver-neutral program with the instance and the named
expressions it was built from. It knows nothing of solvers: :meth:`CoalitionModel.plan` takes a
column vector (``SolveResult.x``) and maps it back through the expressions, never by parsing
variable names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from formulations.expr import Expr
from formulations.instance import Instance
from formulations.objectives import TARGET_FAMILY
from formulations.program import Program
from formulations.sets import ROLES, TIERS

__all__ = ["PROBLEMS", "CoalitionModel", "Plan"]

#: problem name -> (membership chosen, tiers chosen)
PROBLEMS = {
    "sourcing_lp": (False, False),
    "tier_milp": (False, True),
    "coalition_milp": (True, False),
    "joint_milp": (True, True),
}


def _tag(obj, name: str, unit: str):
    obj.attrs = {"name": name, "unit": unit}
    return obj


@dataclass
class Plan:
    """A solution in the model's terms (USD mn unless stated).

    Attributes
    ----------
    roles : pandas.Series
        iso3 -> ``member``, ``associate``, ``outside`` or ``adversary``.
    tiers : pandas.Series
        sector -> ``restricted``, ``incentivized`` or ``open``.
    links : pandas.DataFrame
        importer, exporter, sector, baseline, optimized, unit_cost: every candidate link of
        every candidate importer where either value is non-zero.
    domestic : pandas.DataFrame
        importer, sector, optimized (domestic substitution q), unit_cost.
    investment : pandas.DataFrame
        exporter, sector, optimized (pooled investment e), unit_cost.
    capacity : pandas.DataFrame
        exporter, sector, capacity, used (sales after the plan, incl. unplanned importers).
    dependency : pandas.DataFrame
        Per country: before and after, direct and effective.
    totals : dict
        dependency_before/after, effective_dependency_before/after, total_cost,
        sourcing_cost, reshoring_cost, investment_cost, lost_exports, budget.
    x : numpy.ndarray
        The column vector the plan was decoded from.
    partnership : pandas.DataFrame or None
        importer, sector, optimized, unit_cost of strategic-leveraging partnership supply.
    """

    roles: pd.Series
    tiers: pd.Series
    links: pd.DataFrame
    domestic: pd.DataFrame
    investment: pd.DataFrame
    capacity: pd.DataFrame
    dependency: pd.DataFrame
    totals: dict[str, float] = field(default_factory=dict)
    x: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)
    partnership: pd.DataFrame | None = None

    @property
    def members(self) -> list[str]:
        """Full members."""
        return self.roles.index[self.roles == "member"].tolist()

    @property
    def associates(self) -> list[str]:
        """Associates."""
        return self.roles.index[self.roles == "associate"].tolist()


@dataclass
class CoalitionModel:
    """A built model: program + instance + named expressions.

    Attributes
    ----------
    problem : str
        ``sourcing_lp``, ``tier_milp``, ``coalition_milp`` or ``joint_milp``.
    objective_kind : str
        ``dependency``, ``minimax``, ``cost`` or ``frontier``.
    program : Program
        The solver-neutral program; users may add families before solving it.
    instance : Instance
        Sets and parameters.
    expressions : dict of str to Expr
        Named expressions (``flow``, ``adversary_imports``, ``dependency_index``,
        ``total_cost``, ...), evaluated with :meth:`evaluate`.
    unit_cost : numpy.ndarray
        pi per candidate link.
    """

    problem: str
    objective_kind: str
    program: Program
    instance: Instance
    expressions: dict[str, Expr]
    unit_cost: np.ndarray

    # ------------------------------------------------------------------ evaluation
    def evaluate(self, name: str, x: np.ndarray) -> np.ndarray:
        """Value of expression ``name`` at the column values ``x``."""
        try:
            e = self.expressions[name]
        except KeyError:
            raise KeyError(f"no expression {name!r}; known: {sorted(self.expressions)}") from None
        return e.value(x)

    def dependency_measure(self) -> str:
        """Name of the DI expression the objective uses (direct or effective)."""
        eff = self.instance.effective_objective
        return "effective_dependency_index" if eff else "dependency_index"

    def baseline_dependency_index(self) -> float:
        """DI with no plan (every variable 0), in the measure the objective uses."""
        return float(self.expressions[self.dependency_measure()].const[0])

    def set_dependency_target(self, target: float) -> None:
        """Change the DI target of a ``cost`` or ``frontier`` model in place (no rebuild)."""
        if TARGET_FAMILY not in self.program.families:
            raise ValueError(
                f"a {self.objective_kind!r} model has no dependency target; build with "
                "objective kind 'cost' or 'frontier'"
            )
        di = self.expressions[self.dependency_measure()]
        self.program.set_rhs(TARGET_FAMILY, float(target) - float(di.const[0]))

    def sizes(self) -> dict[str, int]:
        """Model size: links, variables (integer), rows, non-zeros."""
        p = self.program
        n_int = int(p.integrality().sum())
        return {
            "candidate_links": len(self.instance.links),
            "variables": p.n_variables,
            "integer_variables": n_int,
            "constraints": p.n_constraints,
            "nonzeros": p.nnz,
        }

    # ------------------------------------------------------------------ decoding
    def plan(self, x: np.ndarray) -> Plan:
        """Decode the column vector ``x`` (e.g. ``SolveResult.x``) into a :class:`Plan`."""
        inst, ex = self.instance, self.expressions
        x = np.asarray(x, dtype=float)
        if x.shape != (self.program.n_variables,):
            raise ValueError(
                f"x has shape {x.shape}; the program has {self.program.n_variables} columns"
            )
        nC = inst.n_countries
        y = np.round(ex["full_member"].value(x), 6)
        z = np.round(ex["associate"].value(x), 6)
        flow = np.maximum(ex["flow"].value(x), 0.0)
        unit = _plan_unit_cost(inst, (y > 0.5) | (z > 0.5))
        q, e, g = (ex[k].value(x) for k in ("reshoring", "investment", "partnership"))
        lost = ex["lost_exports"].value(x)
        partnership = _pair_table(
            inst,
            "partnership",
            "importer",
            g > 1e-9,
            optimized=g,
            unit_cost=inst.scenario.parameters.leveraging_cost,
        )
        return Plan(
            roles=_roles(inst, y, z),
            tiers=_tiers(inst, ex, x),
            links=_links_table(inst, flow, unit),
            domestic=_pair_table(
                inst,
                "domestic",
                "importer",
                inst.planned_pair & (q > 1e-9),
                optimized=q,
                unit_cost=np.tile(inst.reshoring_cost, nC),
            ),
            investment=_pair_table(
                inst,
                "investment",
                "exporter",
                e > 1e-9,
                optimized=e,
                unit_cost=np.tile(inst.investment_cost, nC),
            ),
            capacity=_capacity_table(inst, flow, e, lost),
            dependency=_dependency_table(inst, ex, x),
            totals=_totals(inst, ex, x, unit, flow, lost, partnership),
            x=x,
            partnership=partnership,
        )


def _plan_unit_cost(inst: Instance, in_coalition: np.ndarray) -> np.ndarray:
    """pi per link: p_s (1 - beta) from coalition suppliers, p_s otherwise (roles chosen)."""
    pa, lk = inst.scenario.parameters, inst.links
    if pa.ally_shoring:
        return inst.premium[lk.sector] * (1.0 - pa.barrier_cut)
    return inst.premium[lk.sector] * (1.0 - pa.barrier_cut * in_coalition[lk.exporter])


def _roles(inst: Instance, y: np.ndarray, z: np.ndarray) -> pd.Series:
    """Each country's role in :data:`~formulations.sets.ROLES`."""
    member, associate, outside, adversary = ROLES
    roles = np.where(
        inst.adversary,
        adversary,
        np.where(y > 0.5, member, np.where(z > 0.5, associate, outside)),
    )
    return _tag(pd.Series(roles, index=inst.countries, name="role"), "role", "")


def _tiers(inst: Instance, ex: dict[str, Expr], x: np.ndarray) -> pd.Series:
    """Each sector's tier (the largest of its three indicators)."""
    tier_vals = np.stack([ex[f"tier_{t}"].value(x) for t in TIERS], axis=1)  # (nS, 3)
    tiers = np.array(TIERS)[tier_vals.argmax(axis=1)]
    return _tag(pd.Series(tiers, index=inst.sectors, name="tier"), "tier", "")


def _link_frame(
    inst: Instance,
    i: np.ndarray,
    j: np.ndarray,
    s: np.ndarray,
    baseline: np.ndarray,
    optimized: np.ndarray,
    unit_cost: np.ndarray,
) -> pd.DataFrame:
    """importer, exporter, sector, baseline, optimized, unit_cost of links given by codes."""
    C, S = inst.countries, inst.sectors
    return pd.DataFrame(
        {
            "importer": C[i],
            "exporter": C[j],
            "sector": S[s],
            "baseline": baseline,
            "optimized": optimized,
            "unit_cost": unit_cost,
        }
    )


def _links_table(inst: Instance, flow: np.ndarray, unit: np.ndarray) -> pd.DataFrame:
    """Candidate links with the plan's flows, and unplanned candidate importers' baseline."""
    lk = inst.links
    planned = _link_frame(inst, lk.importer, lk.exporter, lk.sector, lk.baseline, flow, unit)
    fi, fe, fs, fv = inst.flow_codes
    kept = inst.candidate[fi] & ~inst.planned_pair[fi * inst.n_sectors + fs]
    rest = _link_frame(
        inst, fi[kept], fe[kept], fs[kept], fv[kept], fv[kept], inst.premium[fs[kept]]
    )
    links = pd.concat([planned, rest], ignore_index=True)
    links = links[(links["baseline"] > 0) | (links["optimized"] > 1e-9)]
    links = links.sort_values(["importer", "exporter", "sector"], ignore_index=True)
    return _tag(links, "links", "USD mn")


def _pair_table(
    inst: Instance, name: str, who: str, keep: np.ndarray, **columns: np.ndarray | float
) -> pd.DataFrame:
    """The country-sector pairs where ``keep`` holds: ``who`` (the country), sector, columns.

    Array columns are given over all pairs (``c * nS + s``); a number is the same in every row.
    """
    pairs = inst.pair_index()
    data = {who: pairs.get_level_values(0)[keep], "sector": pairs.get_level_values(1)[keep]}
    for col, v in columns.items():
        data[col] = v[keep] if isinstance(v, np.ndarray) else v
    return _tag(pd.DataFrame(data), name, "USD mn")


def _capacity_table(
    inst: Instance, flow: np.ndarray, e: np.ndarray, lost: np.ndarray
) -> pd.DataFrame:
    """Capacity and sales after the plan (incl. unplanned importers) per exporter-sector."""
    lk = inst.links
    change = np.bincount(
        lk.exporter * inst.n_sectors + lk.sector, weights=flow - lk.baseline, minlength=inst.n_pairs
    )
    used = inst.exports.ravel() + change - lost
    cap = inst.capacity.ravel() + e
    has = (cap > 0) | (used > 1e-9)
    return _pair_table(inst, "capacity", "exporter", has, capacity=cap, used=used)


def _dependency_table(inst: Instance, ex: dict[str, Expr], x: np.ndarray) -> pd.DataFrame:
    """Per country: dependency before and after, direct and effective, and its weight."""
    dependency = pd.DataFrame(
        {
            "before": inst.baseline_dependency(),
            "after": ex["dependency"].value(x),
            "effective_before": inst.baseline_dependency(effective=True),
            "effective_after": ex["effective_dependency"].value(x),
            "weight": inst.gdp_weight,
        },
        index=inst.countries,
    )
    return _tag(dependency, "dependency", "share")


def _totals(
    inst: Instance,
    ex: dict[str, Expr],
    x: np.ndarray,
    unit: np.ndarray,
    flow: np.ndarray,
    lost: np.ndarray,
    partnership: pd.DataFrame,
) -> dict[str, float]:
    """Headline numbers: dependency before and after, the costs, lost exports, the budget."""
    lk = inst.links
    # costs of what the plan buys: the net increase on each link (a solver may leave an
    # increase and a decrease on one link when the objective does not price them)
    sourcing = float((unit * np.maximum(flow - lk.baseline, 0.0)).sum())
    reshoring = float(
        (ex["reshoring"].value(x) * np.tile(inst.reshoring_cost, inst.n_countries)).sum()
    )
    inv = float(ex["investment_cost"].value(x)[0])
    totals = {
        "dependency_before": float(ex["dependency_index"].const[0]),
        "dependency_after": float(ex["dependency_index"].value(x)[0]),
        "effective_dependency_before": float(ex["effective_dependency_index"].const[0]),
        "effective_dependency_after": float(ex["effective_dependency_index"].value(x)[0]),
        "total_cost": sourcing + reshoring + inv,
        "sourcing_cost": sourcing,
        "reshoring_cost": reshoring,
        "investment_cost": inv,
        "lost_exports": float(lost.sum()),
        "budget": float(inst.scenario.parameters.budget),
    }
    totals["partnership_cost"] = float((partnership["optimized"] * partnership["unit_cost"]).sum())
    totals["total_cost"] += totals["partnership_cost"]
    return totals
