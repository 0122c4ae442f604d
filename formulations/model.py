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
from planner.scenario import TIERS

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
        eff = self.instance.scenario.constraints.indirect_exposure
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
        C, S = inst.countries, inst.sectors
        nC, nS = len(C), len(S)
        y = np.round(ex["full_member"].value(x), 6)
        z = np.round(ex["associate"].value(x), 6)
        roles = np.where(
            inst.adversary,
            "adversary",
            np.where(y > 0.5, "member", np.where(z > 0.5, "associate", "outside")),
        )
        roles_s = _tag(pd.Series(roles, index=C, name="role"), "role", "")
        tier_vals = np.stack([ex[f"tier_{t}"].value(x) for t in TIERS], axis=1)  # (nS, 3)
        tiers = _tag(
            pd.Series(np.array(TIERS)[tier_vals.argmax(axis=1)], index=S, name="tier"),
            "tier",
            "",
        )

        lk = inst.links
        flow = np.maximum(ex["flow"].value(x), 0.0)
        # pi[j,s] = p_s (1 - beta) from coalition suppliers, p_s otherwise (by the roles chosen)
        pa = inst.scenario.parameters
        in_coalition = (y > 0.5) | (z > 0.5)
        unit = inst.premium[lk.sector] * (1.0 - pa.barrier_cut * in_coalition[lk.exporter])
        if pa.ally_shoring:
            unit = inst.premium[lk.sector] * (1.0 - pa.barrier_cut)
        planned = pd.DataFrame(
            {
                "importer": C[lk.importer],
                "exporter": C[lk.exporter],
                "sector": S[lk.sector],
                "baseline": lk.baseline,
                "optimized": flow,
                "unit_cost": unit,
            }
        )
        # unplanned candidate importers keep their baseline
        fi, fe, fs, fv = inst.flow_codes
        unplanned = inst.candidate[fi] & ~inst.planned_pair[fi * nS + fs]
        rest = pd.DataFrame(
            {
                "importer": C[fi[unplanned]],
                "exporter": C[fe[unplanned]],
                "sector": S[fs[unplanned]],
                "baseline": fv[unplanned],
                "optimized": fv[unplanned],
                "unit_cost": inst.premium[fs[unplanned]],
            }
        )
        links = pd.concat([planned, rest], ignore_index=True)
        links = links[(links["baseline"] > 0) | (links["optimized"] > 1e-9)]
        links = links.sort_values(["importer", "exporter", "sector"], ignore_index=True)
        links = _tag(links, "links", "USD mn")

        pairs = inst.pair_index()
        q = ex["reshoring"].value(x)
        pp = inst.planned_pair
        domestic = pd.DataFrame(
            {
                "importer": pairs.get_level_values(0)[pp],
                "sector": pairs.get_level_values(1)[pp],
                "optimized": q[pp],
                "unit_cost": np.tile(inst.reshoring_cost, nC)[pp],
            }
        )
        domestic = _tag(
            domestic[domestic["optimized"] > 1e-9].reset_index(drop=True), "domestic", "USD mn"
        )
        e = ex["investment"].value(x)
        on = e > 1e-9
        investment = _tag(
            pd.DataFrame(
                {
                    "exporter": pairs.get_level_values(0)[on],
                    "sector": pairs.get_level_values(1)[on],
                    "optimized": e[on],
                    "unit_cost": np.tile(inst.investment_cost, nC)[on],
                }
            ),
            "investment",
            "USD mn",
        )
        lost = ex["lost_exports"].value(x)
        change = np.bincount(
            lk.exporter * nS + lk.sector, weights=flow - lk.baseline, minlength=nC * nS
        )
        used = inst.exports.ravel() + change - lost
        cap = inst.capacity.ravel() + e
        has = (cap > 0) | (used > 1e-9)
        capacity = _tag(
            pd.DataFrame(
                {
                    "exporter": pairs.get_level_values(0)[has],
                    "sector": pairs.get_level_values(1)[has],
                    "capacity": cap[has],
                    "used": used[has],
                }
            ),
            "capacity",
            "USD mn",
        )
        dependency = _tag(
            pd.DataFrame(
                {
                    "before": inst.baseline_dependency(),
                    "after": ex["dependency"].value(x),
                    "effective_before": inst.baseline_dependency(effective=True),
                    "effective_after": ex["effective_dependency"].value(x),
                    "weight": inst.gdp_weight,
                },
                index=C,
            ),
            "dependency",
            "share",
        )
        # costs of what the plan buys: the net increase on each link (a solver may leave an
        # increase and a decrease on one link when the objective does not price them)
        sourcing = float((unit * np.maximum(flow - lk.baseline, 0.0)).sum())
        reshoring = float((ex["reshoring"].value(x) * np.tile(inst.reshoring_cost, nC)).sum())
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
        g = ex["partnership"].value(x)
        on = g > 1e-9
        partnership = _tag(
            pd.DataFrame(
                {
                    "importer": pairs.get_level_values(0)[on],
                    "sector": pairs.get_level_values(1)[on],
                    "optimized": g[on],
                    "unit_cost": inst.scenario.parameters.leveraging_cost,
                }
            ),
            "partnership",
            "USD mn",
        )
        totals["partnership_cost"] = float(
            (partnership["optimized"] * partnership["unit_cost"]).sum()
        )
        totals["total_cost"] += totals["partnership_cost"]
        return Plan(
            roles_s,
            tiers,
            links,
            domestic,
            investment,
            capacity,
            dependency,
            totals,
            x,
            partnership,
        )
