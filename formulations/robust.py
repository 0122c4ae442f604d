"""The robust model: a plan that survives members' exits (docs/model.md, "Robustness").

Two stages. Membership y, z and tiers t are chosen once, with the nominal plan's sourcing, as
in the joint model. Every exit scenario e (a set of k leavers among the defectors of
``[robustness]``) has its own recourse sourcing (:class:`Recourse`): the leavers are outsiders
(they receive no new sourcing, their own imports keep their baseline) and the remaining full
members re-source under the rows of :mod:`formulations.families.recourse`. The objective is

    nominal DI (+ tie-break) + weight x risk(V_e),   V_e = DI_e + tie-break on the recourse cost

with risk the worst case (an epigraph variable eta >= V_e), the expectation sum_e p_e V_e, or
CVaR_alpha = min zeta + sum_e p_e s_e / (1 - alpha), s_e >= V_e - zeta, s_e >= 0.

Scenarios are one more label level of the recourse blocks and families (``recourse_increase``
is labelled (scenario, importer, exporter, sector)), built for all scenarios at once with numpy
index arrays (:mod:`formulations.copies`). :func:`build_robust` builds the extensive form, or a
master with only some scenarios (column-and-constraint generation: the others' V_e, all >= 0,
enter at their lower bound 0); :func:`recourse_program` builds one scenario's recourse LP at a
fixed first stage (the subproblem of the decomposition, and the evaluation of every scenario).
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from formulations.builder import ModelBuilder
from formulations.copies import add_copies, copy_labels, copy_of, tile_expr
from formulations.expr import Expr, add_rows
from formulations.families import FAMILIES, recourse
from formulations.families._util import fixed_at
from formulations.families.budget import add_discount
from formulations.families.coalition_shape import add_domain
from formulations.instance import FormulationError, Instance, build_instance
from formulations.model import CoalitionModel
from formulations.objectives import set_objective
from formulations.problems import enabled_families, problem_of
from formulations.program import Program
from formulations.sets import TIERS
from planner.data.dataset import Dataset
from planner.scenario import RobustnessConfig, Scenario

__all__ = [
    "FIRST_STAGE",
    "MAX_SCENARIOS",
    "ExitScenarios",
    "Recourse",
    "RobustModel",
    "build_robust",
    "exit_scenarios",
    "first_stage_values",
    "recourse_program",
    "stability_builder",
]

_I = np.int64
#: the first-stage expressions a recourse reads (over countries, sectors or exporter-sectors)
FIRST_STAGE = ("full_member", "associate", "member", "tier_open", "tier_restricted", "lost_exports")
#: more exit scenarios than this are refused (robustness.k)
MAX_SCENARIOS = 5000


# ---------------------------------------------------------------------- exit scenarios
@dataclass(frozen=True)
class ExitScenarios:
    """Every set of ``k`` leavers among the defectors.

    Attributes
    ----------
    defectors : list of str
        The countries that may leave, in order.
    names : pandas.Index
        One name per scenario: the leavers joined by ``+`` (``"USA"``, ``"USA+JPN"``).
    leaves : numpy.ndarray
        ``(n_scenarios, n_countries)`` booleans: who leaves in each scenario.
    probabilities : numpy.ndarray
        Weight of each scenario (``expected``, ``cvar``); uniform unless the scenario gives them.
    """

    defectors: list[str]
    names: pd.Index
    leaves: np.ndarray
    probabilities: np.ndarray

    def __len__(self) -> int:
        return len(self.names)

    def subset(self, which: np.ndarray) -> ExitScenarios:
        """The scenarios at positions ``which``."""
        which = np.asarray(which, dtype=_I)
        return ExitScenarios(
            self.defectors, self.names[which], self.leaves[which], self.probabilities[which]
        )


def _defectors(inst: Instance, cfg: RobustnessConfig, anchors: list[str]) -> list[str]:
    """The defectors as ISO3 codes, each checked (FormulationError naming the key)."""
    countries = inst.countries
    if cfg.defectors == "anchors":
        return list(anchors)
    if cfg.defectors == "members":
        ok = inst.candidate & inst.may_be_member
        return list(countries[ok])
    listed = list(cfg.defectors)
    unknown = sorted(set(listed) - set(countries))
    if unknown:
        raise FormulationError("robustness.defectors", f"unknown country code(s) {unknown}")
    idx = countries.get_indexer(listed)
    bad = [listed[k] for k, c in enumerate(idx) if not inst.candidate[c]]
    if bad:
        raise FormulationError("robustness.defectors", f"{bad} are not candidates")
    never = [listed[k] for k, c in enumerate(idx) if not inst.may_be_member[c]]
    if never:
        raise FormulationError(
            "robustness.defectors",
            f"{never} can never be in the coalition (eligibility or fixed roles), so they "
            "cannot leave it",
        )
    return listed


def exit_scenarios(inst: Instance, scenario: Scenario) -> ExitScenarios:
    """The exit scenarios of a scenario's ``[robustness]`` on an instance.

    Raises
    ------
    FormulationError
        Naming ``robustness.defectors`` (unknown, not a candidate, never a member),
        ``robustness.k`` (larger than the defectors, or too many scenarios) or
        ``robustness.probabilities`` (not one per scenario).
    """
    cfg = scenario.robustness
    defectors = _defectors(inst, cfg, scenario.coalition.anchors)
    n, k = len(defectors), cfg.k
    if k > n:
        raise FormulationError("robustness.k", f"{k} is larger than the {n} defectors")
    count = math.comb(n, k) if k else 0
    if count > MAX_SCENARIOS:
        raise FormulationError(
            "robustness.k", f"{count} exit scenarios (at most {MAX_SCENARIOS}); lower k"
        )
    combos = np.array(list(itertools.combinations(range(n), k)), dtype=_I).reshape(count, k)
    codes = inst.countries.get_indexer(defectors)
    leaves = np.zeros((count, inst.n_countries), bool)
    if count and k:
        leaves[np.repeat(np.arange(count), k), codes[combos].ravel()] = True
    arr = np.asarray(defectors, dtype=object)
    names = pd.Index(["+".join(arr[c]) for c in combos], name="scenario", dtype=object)
    return ExitScenarios(defectors, names, leaves, _probabilities(cfg, names))


def _probabilities(cfg: RobustnessConfig, names: pd.Index) -> np.ndarray:
    p = cfg.probabilities
    n = len(names)
    if not len(p):
        return np.full(n, 1.0 / n) if n else np.zeros(0)
    if isinstance(p, dict):
        missing = sorted(set(names) - set(p))
        extra = sorted(set(p) - set(names))
        if missing or extra:
            raise FormulationError(
                "robustness.probabilities",
                f"the table does not match the exit scenarios: missing {missing[:5]}, "
                f"unknown {extra[:5]}",
            )
        return np.array([p[name] for name in names], dtype=float)
    if len(p) != n:
        raise FormulationError("robustness.probabilities", f"{len(p)} given for {n} exit scenarios")
    return np.asarray(p, dtype=float)


# ---------------------------------------------------------------------- the recourse
def _mask(e: Expr, keep: np.ndarray) -> Expr:
    t = keep[e.owner]
    return Expr(e.n, e.owner[t], e.col[t], e.coef[t], np.where(keep, e.const, 0.0))


class Recourse:
    """Every scenario's recourse sourcing, stacked scenario-major, and its expressions.

    Parameters
    ----------
    base : ModelBuilder
        The nominal model's builder (instance, links, bounds, unit costs).
    first : dict of str to Expr
        The first-stage expressions :data:`FIRST_STAGE` (the nominal model's, or constants at
        a fixed first stage).
    program : Program
        Where the recourse blocks go (the nominal program for the extensive form).
    names : pandas.Index
        Scenario names.
    leaves : numpy.ndarray
        ``(len(names), n_countries)``: who leaves in each scenario.
    """

    def __init__(
        self,
        base: ModelBuilder,
        first: dict[str, Expr],
        program: Program,
        names: pd.Index,
        leaves: np.ndarray,
    ) -> None:
        self.base, self.first, self.program = base, first, program
        self.inst = inst = base.inst
        self.scenario = inst.scenario
        self.names = pd.Index(names, name="scenario")
        self.n = n = len(names)
        self.leaves = leaves = np.asarray(leaves, bool).reshape(n, inst.n_countries)
        nC, nCS = inst.n_countries, inst.n_pairs
        lk = inst.links
        nL = len(lk)
        stay = ~leaves
        j_of = base.country_of_pair
        # scenario-stacked index maps
        self.link_scenario = copy_of(n, nL)
        self.pair_scenario = copy_of(n, nCS)
        self.country_scenario = copy_of(n, nC)
        self.pair_country = self.pair_scenario * nC + np.tile(j_of, n)
        link_pair = self.link_scenario * nCS + np.tile(base.link_pair, n)
        link_supply = self.link_scenario * nCS + np.tile(base.link_supply, n)
        self.planned = (inst.planned_pair[None, :] & stay[:, j_of]).ravel()
        self.pair_labels = _labels(self.names, inst.pair_index())
        supply = inst.pair_index().set_names(["exporter", "sector"])
        self.supply_labels = _labels(self.names, supply)
        # first stage seen from each scenario: the leavers are outsiders
        stay_c = stay.ravel().astype(float)
        self.y_country = tile_expr(first["full_member"], n) * stay_c
        self.m_country = tile_expr(first["member"], n) * stay_c
        self.y_pair = self.y_country.take(self.pair_country)
        self.y_supply, self.m_supply = self.y_pair, self.m_country.take(self.pair_country)
        self.lost_exports = tile_expr(first["lost_exports"], n) * stay[:, j_of].ravel().astype(
            float
        )
        # who re-sources and who may sell anew: not a leaver, and not fixed outside
        imp_ok, sup_ok = stay.copy(), stay.copy()
        if self.scenario.constraints.keep_baseline:
            imp_ok &= ~fixed_at(self.y_country, 0.0).reshape(n, nC)
        if self.scenario.parameters.ally_shoring:
            sup_ok &= ~fixed_at(self.m_country, 0.0).reshape(n, nC)
        self.planned &= imp_ok[:, j_of].ravel()
        # recourse variables
        idx = inst.link_index()
        d = inst.demand.ravel()
        inc_keep = lk.can_increase[None, :] & imp_ok[:, lk.importer] & sup_ok[:, lk.exporter]
        dec_keep = (lk.baseline > 0)[None, :] & imp_ok[:, lk.importer]
        self.increase = add_copies(
            program,
            "recourse_increase",
            self.names,
            idx,
            inc_keep,
            upper=base.bounds["increase_link"],
            description="recourse: new imports over baseline after an exit",
            unit="USD mn",
        )
        self.decrease = add_copies(
            program,
            "recourse_decrease",
            self.names,
            idx,
            dec_keep,
            upper=lk.baseline,
            description="recourse: imports cut below baseline after an exit",
            unit="USD mn",
        )
        planned = self.planned.reshape(n, nCS)
        self.reshoring = add_copies(
            program,
            "recourse_reshoring",
            self.names,
            inst.pair_index(),
            planned,
            upper=d,
            description="recourse: domestic substitution after an exit",
            unit="USD mn",
        )
        pa = self.scenario.parameters
        g_has = base.x["partnership"].has_terms()
        self.partnership = add_copies(
            program,
            "recourse_partnership",
            self.names,
            inst.pair_index(),
            planned & g_has[None, :],
            upper=pa.leveraging_share * inst.adversary_imports.ravel(),
            description="recourse: adversary-linked partnership supply after an exit",
            unit="USD mn",
        )
        e_has = base.x["investment"].has_terms()
        self.investment = add_copies(
            program,
            "recourse_investment",
            self.names,
            inst.pair_index().set_names(["exporter", "sector"]),
            e_has[None, :] & sup_ok[:, j_of],
            upper=base.bounds.get("investment", np.zeros(nCS)),
            description="recourse: pooled investment in new capacity after an exit",
            unit="USD mn",
        )
        # expressions
        n_pairs = n * nCS
        adv_link = np.tile(inst.adversary[lk.exporter], n)
        self.change = self.increase - self.decrease
        self.increase_by_pair = self.increase.sum_by(link_pair, n_pairs)
        self.increase_by_supply = self.increase.sum_by(link_supply, n_pairs)
        self.change_by_supply = self.change.sum_by(link_supply, n_pairs)
        self.adversary_cut = _mask(self.decrease, adv_link).sum_by(link_pair, n_pairs)
        self.other_cut = _mask(self.decrease, ~adv_link).sum_by(link_pair, n_pairs)
        self.domestic = self.reshoring + self.partnership
        self.adversary_imports = self.tile_pair(inst.adversary_imports.ravel()) - self.adversary_cut
        sig = np.tile(inst.transshipment_share.ravel()[base.link_supply], n)
        indirect = _mask(self.change, ~adv_link) * np.where(adv_link, 0.0, sig)
        self.effective_adversary_imports = (
            self.adversary_imports
            + indirect.sum_by(link_pair, n_pairs)
            + self.tile_pair(inst.baseline_indirect.ravel())
            + self.partnership
        )
        share_w = np.divide(np.tile(inst.weight_share, nC), d, out=np.zeros(nCS), where=d > 0)
        a = self.effective_adversary_imports if inst.effective_objective else self.adversary_imports
        self.dependency = (a * self.tile_pair(share_w)).sum_by(self.pair_country, n * nC)
        self.dependency_index = (self.dependency * self.tile_country(inst.gdp_weight)).sum_by(
            self.country_scenario, n
        )
        unit = np.tile(base.unit_cost, n)
        rho = self.tile_pair(np.tile(inst.reshoring_cost, nC))
        kappa = self.tile_pair(np.tile(inst.investment_cost, nC))
        self.total_cost = (
            (self.increase * unit).sum_by(self.link_scenario, n)
            + (self.reshoring * rho).sum_by(self.pair_scenario, n)
            + (self.partnership * pa.leveraging_cost).sum_by(self.pair_scenario, n)
            + (self.investment * kappa).sum_by(self.pair_scenario, n)
        )
        tb = self.scenario.objective.cost_tiebreak / max(pa.budget, 1.0)
        self.value = self.dependency_index + self.total_cost * tb

    def tile_pair(self, values: np.ndarray) -> np.ndarray:
        """A per-pair array in every scenario."""
        return np.tile(np.asarray(values), self.n)

    def tile_country(self, values: np.ndarray) -> np.ndarray:
        """A per-country array in every scenario."""
        return np.tile(np.asarray(values), self.n)

    def tile_sector_pair(self, e: Expr) -> Expr:
        """A per-sector first-stage expression at every (scenario, country, sector) pair."""
        return e.take(np.tile(self.base.sector_of_pair, self.n))

    def expressions(self) -> dict[str, Expr]:
        """The recourse's named expressions (for :attr:`CoalitionModel.expressions`)."""
        return {
            "recourse_increase": self.increase,
            "recourse_decrease": self.decrease,
            "recourse_flow_change": self.change,
            "recourse_reshoring": self.reshoring,
            "recourse_partnership": self.partnership,
            "recourse_investment": self.investment,
            "recourse_dependency": self.dependency,
            "scenario_dependency_index": self.dependency_index,
            "scenario_total_cost": self.total_cost,
            "scenario_value": self.value,
        }


def _labels(names: pd.Index, labels: pd.Index) -> pd.MultiIndex:
    return copy_labels(names, labels)


# ---------------------------------------------------------------------- the robust model
@dataclass
class RobustModel:
    """A built robust model (extensive form, or a master over some scenarios).

    Attributes
    ----------
    model : CoalitionModel
        The program (nominal model + recourse + risk), instance and nominal expressions;
        ``model.plan(x)`` decodes the nominal plan.
    builder : ModelBuilder
        The nominal builder (for :func:`recourse_program`).
    scenarios : ExitScenarios
        Every exit scenario.
    included : numpy.ndarray
        Positions of the scenarios whose recourse is in the program.
    nominal_objective : Expr
        The nominal objective (DI and tie-break).
    recourse : Recourse or None
        The included scenarios' recourse.
    """

    model: CoalitionModel
    builder: ModelBuilder
    scenarios: ExitScenarios
    included: np.ndarray
    nominal_objective: Expr
    recourse: Recourse | None = None
    risk_columns: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def program(self) -> Program:
        """The program to solve."""
        return self.model.program

    @property
    def config(self) -> RobustnessConfig:
        """``[robustness]``."""
        return self.model.instance.scenario.robustness

    def first_stage(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """The first-stage values at the column vector ``x`` (rounded binaries)."""
        return first_stage_values(self.builder, x)

    def risk(self, values: np.ndarray) -> float:
        """The risk measure of all scenarios' values (worst case, expectation or CVaR)."""
        return risk_measure(self.config, self.scenarios.probabilities, np.asarray(values, float))


def risk_measure(cfg: RobustnessConfig, p: np.ndarray, v: np.ndarray) -> float:
    """Worst case, expectation or CVaR_alpha of scenario values ``v`` with weights ``p``."""
    if not len(v):
        return 0.0
    if cfg.mode == "worst_case":
        return float(v.max())
    if cfg.mode == "expected":
        return float(p @ v)
    # CVaR: the minimum over zeta is at one of the values
    cands = np.concatenate([[0.0], v])
    tail = np.maximum(v[None, :] - cands[:, None], 0.0) @ p
    return float((cands + tail / (1.0 - cfg.alpha)).min())


def _nominal(dataset: Dataset, scenario: Scenario) -> tuple[ModelBuilder, str]:
    inst = build_instance(dataset, scenario)
    problem = problem_of(scenario)
    b = ModelBuilder(inst, name=f"{scenario.name}-robust-{problem}")
    b.build_variables()
    add_discount(b)
    add_domain(b)
    for name in enabled_families(scenario):
        FAMILIES[name].add(b)
    set_objective(b, "dependency")
    return b, problem


def build_robust(
    dataset: Dataset, scenario: Scenario, included: np.ndarray | None = None
) -> RobustModel:
    """Build the robust model of a scenario with ``[robustness]``.

    Parameters
    ----------
    dataset : planner.data.Dataset
    scenario : planner.scenario.Scenario
        With ``robustness.defectors`` set and ``objective.kind = "dependency"``.
    included : numpy.ndarray, optional
        Positions of the exit scenarios whose recourse goes into the program (default all:
        the extensive form). Left-out scenarios count at their lower bound 0.

    Returns
    -------
    RobustModel

    Raises
    ------
    FormulationError
        The scenario does not fit the dataset, or ``[robustness]`` names a bad defector, a k
        larger than the defectors or probabilities that do not match the scenarios.
    """
    t0 = time.perf_counter()
    if not scenario.robustness.active:
        raise FormulationError("robustness.defectors", "no defectors: the scenario is not robust")
    b, problem = _nominal(dataset, scenario)
    inst, program = b.inst, b.program
    scen = exit_scenarios(inst, scenario)
    chosen = np.arange(len(scen), dtype=_I) if included is None else np.asarray(included, _I)
    o = program.objective
    nominal = Expr.terms(1, np.zeros(len(o.cols), _I), o.cols, o.coefs, o.constant)
    rec = None
    risk_cols: dict[str, np.ndarray] = {}
    objective = nominal
    if len(chosen):
        sub = scen.subset(chosen)
        first = {k: b.x[k] for k in FIRST_STAGE}
        rec = Recourse(b, first, program, sub.names, sub.leaves)
        recourse.add(rec)
        risk, risk_cols = _risk(program, scenario.robustness, rec, sub.probabilities)
        objective = objective + risk * scenario.robustness.weight
    program.set_objective(
        objective.col, objective.coef, "min", float(objective.const[0]), name="robust_objective"
    )
    program.build_seconds = time.perf_counter() - t0
    program.metadata.update(
        {
            "problem": problem,
            "objective_kind": "dependency",
            "families": [*enabled_families(scenario), "recourse"],
            "scenario": scenario.name,
            "dataset": dataset.name,
            "robust_scenarios": [str(s) for s in scen.names[chosen]],
        }
    )
    expressions = dict(b.x)
    if rec is not None:
        expressions.update(rec.expressions())
    model = CoalitionModel(problem, "dependency", program, inst, expressions, b.unit_cost)
    return RobustModel(model, b, scen, chosen, nominal, rec, risk_cols)


def _risk(
    program: Program, cfg: RobustnessConfig, rec: Recourse, p: np.ndarray
) -> tuple[Expr, dict[str, np.ndarray]]:
    """The risk term over the included scenarios' values, and its columns."""
    v, names, n = rec.value, rec.names, rec.n
    if cfg.mode == "expected":
        return (v * p).sum(), {}
    if cfg.mode == "worst_case":
        blk = program.add_variables(
            "robust_worst", pd.Index(["worst"], name="risk"), description="largest scenario value"
        )
        eta = Expr.variables(n, np.arange(n), np.full(n, blk.columns[0]))
        add_rows(
            program,
            "robust_worst_case",
            names,
            eta - v,
            ">=",
            description="the worst case is at least every exit scenario's value",
        )
        return Expr.variables(1, np.zeros(1, _I), blk.columns), {"worst": blk.columns}
    zeta = program.add_variables(
        "robust_var", pd.Index(["zeta"], name="risk"), description="value at risk (CVaR)"
    )
    tail = program.add_variables(
        "robust_tail", names, description="scenario value above the value at risk"
    )
    z = Expr.variables(n, np.arange(n), np.full(n, zeta.columns[0]))
    s = Expr.variables(n, np.arange(n), tail.columns)
    add_rows(
        program,
        "robust_cvar",
        names,
        s + z - v,
        ">=",
        description="the tail above the value at risk",
    )
    z1 = Expr.variables(1, np.zeros(1, _I), zeta.columns)
    risk = z1 + (s * (p / (1.0 - cfg.alpha))).sum()
    return risk, {"zeta": zeta.columns, "tail": tail.columns}


# ---------------------------------------------------------------------- fixed first stage
def first_stage_values(b: ModelBuilder, x: np.ndarray) -> dict[str, np.ndarray]:
    """The first-stage expressions :data:`FIRST_STAGE` at ``x`` (memberships and tiers
    rounded to 0/1)."""
    out = {k: b.x[k].value(x) for k in FIRST_STAGE}
    for k in FIRST_STAGE[:-1]:
        out[k] = np.round(out[k])
    return out


def membership_values(
    b: ModelBuilder, full: np.ndarray, associate: np.ndarray, tiers: np.ndarray
) -> dict[str, np.ndarray]:
    """First-stage values from roles and tier codes (0 restricted, 1 incentivized, 2 open):
    the exports members lose to export controls follow from them."""
    inst, sc = b.inst, b.scenario
    member = np.clip(full + associate, 0.0, 1.0)
    t_res = (tiers == TIERS.index("restricted")).astype(float)
    t_open = (tiers == TIERS.index("open")).astype(float)
    lost = np.zeros(inst.n_pairs)
    if sc.constraints.export_controls:
        j_of, s_of = b.country_of_pair, b.sector_of_pair
        ace = inst.exports_to_adversaries.ravel()
        rel = inst.candidate[j_of] & inst.may_be_member[j_of]
        lost = np.where(rel, member[j_of] * t_res[s_of], 0.0) * (
            (1.0 - sc.parameters.restricted_residual) * ace
        )
    return {
        "full_member": full.astype(float),
        "associate": associate.astype(float),
        "member": member,
        "tier_open": t_open,
        "tier_restricted": t_res,
        "lost_exports": lost,
    }


def recourse_program(
    b: ModelBuilder,
    values: dict[str, np.ndarray],
    names: pd.Index,
    leaves: np.ndarray,
    name: str = "recourse",
) -> tuple[Program, Recourse]:
    """The recourse LP of the given scenarios at a fixed first stage.

    Its objective is the sum of the scenarios' values, so each scenario's part of the optimum
    is that scenario's best recourse (the scenarios share no row).

    Parameters
    ----------
    b : ModelBuilder
        A builder whose links cover every importer and supplier the first stage may hold.
    values : dict of str to numpy.ndarray
        The first stage (:func:`first_stage_values` or :func:`membership_values`).
    names : pandas.Index
        Scenario names.
    leaves : numpy.ndarray
        ``(len(names), n_countries)``: the leavers of each scenario.
    name : str
        The program's name.
    """
    t0 = time.perf_counter()
    program = Program(name)
    first = {k: Expr.constant(np.asarray(values[k], float)) for k in FIRST_STAGE}
    rec = Recourse(b, first, program, names, leaves)
    recourse.add(rec)
    obj = rec.value.sum()
    program.set_objective(obj.col, obj.coef, "min", float(obj.const[0]), name="recourse_value")
    program.build_seconds = time.perf_counter() - t0
    return program, rec


def stability_builder(dataset: Dataset, scenario: Scenario) -> ModelBuilder:
    """A builder in which every eligible candidate may be a member (its links cover any
    coalition the stability re-solves ask about); only its variables and expressions."""
    co = replace(scenario.coalition, choose_members=True, members=[], associates=[])
    sc = replace(scenario, coalition=co, robustness=RobustnessConfig())
    b = ModelBuilder(build_instance(dataset, sc), name=f"{scenario.name}-stability")
    b.build_variables()
    return b
