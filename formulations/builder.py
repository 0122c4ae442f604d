"""Variables and shared expressions of the coalition model (docs/model.md, "Decisions").

:class:`ModelBuilder` creates the variable blocks of an :class:`~formulations.instance.Instance`
and the expressions every family needs (flows ``f``, adversary imports ``a``, costs,
dependency). Families (:mod:`formulations.families`) then only add rows.

Linearization used throughout: on every candidate link ``f = F0 + u - d`` with ``u`` =
``increase`` (the model's u) and ``d`` = ``decrease``, ``0 <= d <= F0``. The big-M rows of
the model are written per importer-sector pair or per exporter-sector pair rather than per link:
with the demand rows they allow exactly the same integer solutions and are tighter in the LP
relaxation, with far fewer rows (see each family's docstring).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from formulations.expr import Expr
from formulations.instance import Instance
from formulations.program import Program, VarKind
from formulations.sets import INCENTIVIZED, OPEN, RESTRICTED, TIERS

__all__ = ["BRANCH_PRIORITY", "SYMBOLS", "ModelBuilder"]

#: Branching priorities of the integer blocks (:attr:`formulations.program.VariableBlock.priority`):
#: tiers first, then full membership, then associates. The LP relaxation spreads a tier over
#: two values of a sector (restricted 0.98, incentivized 0.02) and many associates over
#: fractions that do not change its objective: branching on those first leaves the bound
#: where it is for hundreds of nodes, while a branching on the tiers closes the root gap in a
#: few (``benchmarks/milp_speed.py --sections frontier_engines``).
BRANCH_PRIORITY = {"tier": 2, "full_member": 1, "associate": 0}

#: model symbol -> name in code (variable block, instance attribute or expression).
SYMBOLS: dict[str, str] = {
    "C": "Instance.countries",
    "A": "Instance.adversary",
    "P": "Instance.candidate",
    "N": "scenario.coalition.anchors (Instance.full_fixed == 1)",
    "S": "Instance.sectors",
    "K": "formulations.sets.TIERS",
    "Phi": "Instance.focal",
    "F0": "Instance.links.baseline",
    "D": "Instance.demand",
    "X": "Instance.exports",
    "GO": "Instance.gross_output",
    "h": "Instance.headroom",
    "cap": "Instance.capacity",
    "gdp": "Instance.gdp",
    "regime": "Instance.regime",
    "theta_full": "scenario.coalition.full_threshold",
    "theta_assoc": "scenario.coalition.associate_threshold",
    "w": "Instance.weight",
    "w~": "Instance.weight_share",
    "omega": "Instance.gdp_weight",
    "pi": "CoalitionModel.unit_cost",
    "p": "Instance.premium",
    "beta": "scenario.parameters.barrier_cut",
    "rho": "Instance.reshoring_cost",
    "kappa": "Instance.investment_cost",
    "B": "scenario.parameters.budget",
    "delta": "scenario.parameters.max_volume_drop",
    "tau": "scenario.parameters.min_open_share",
    "V": "Instance.sector_volume",
    "r_inc": "scenario.parameters.incentivized_cut",
    "epsilon": "scenario.parameters.restricted_residual",
    "rho_cov": "scenario.parameters.coercion_cover",
    "alpha": "scenario.parameters.participation_margin",
    "gamma": "scenario.coalition.min_gdp_share",
    "n_min": "scenario.coalition.min_size",
    "n_max": "scenario.coalition.max_size",
    "sigma": "Instance.transshipment_share",
    "y": "block full_member",
    "z": "block associate",
    "t": "block tier",
    "f": "expression flow = baseline + increase - decrease",
    "u": "block increase",
    "q": "block reshoring",
    "g": "expression partnership (strategic leveraging, added beside the model's families)",
    "e": "block investment",
    "a": "expression adversary_imports",
    "a0": "Instance.adversary_imports",
    "DI": "expression dependency_index",
}


class ModelBuilder:
    """Variables and expressions of one instance; families add rows through it.

    Parameters
    ----------
    instance : Instance
        Sets, parameters and candidate links.
    name : str
        Program name.

    Attributes
    ----------
    program : Program
        The program being built.
    x : dict of str to Expr
        Named expressions (see :meth:`build_variables`).
    """

    def __init__(self, instance: Instance, name: str = "coalition") -> None:
        self.inst = instance
        self.program = Program(name)
        self.x: dict[str, Expr] = {}
        self.bounds: dict[str, np.ndarray] = {}

    # ------------------------------------------------------------------ helpers
    @property
    def scenario(self):
        """The scenario the instance was built from."""
        return self.inst.scenario

    def pair_labels(self) -> pd.MultiIndex:
        """(country, sector) labels of the flattened pair index."""
        return self.inst.pair_index()

    def _indicator(self, name: str, fixed: np.ndarray, labels: pd.Index, what: str) -> Expr:
        """Expr over ``fixed`` (NaN = free binary, else the constant)."""
        free = np.flatnonzero(np.isnan(fixed))
        const = np.where(np.isnan(fixed), 0.0, fixed)
        if len(free) == 0:
            return Expr.constant(const)
        blk = self.program.add_variables(
            name,
            labels[free],
            kind=VarKind.BINARY,
            description=what,
            unit="0/1",
            priority=BRANCH_PRIORITY[name],
        )
        return Expr.terms(len(fixed), free, blk.columns, 1.0, const)

    # ------------------------------------------------------------------ variables
    def build_variables(self) -> None:
        """Create the blocks y, z, t, u (increase), decrease, q, e and the expressions.

        Expressions set in :attr:`x`: ``full_member``, ``associate``, ``member`` (y + z) over
        countries; ``tier_restricted``, ``tier_incentivized``, ``tier_open`` over sectors;
        ``increase``, ``decrease``, ``flow`` over links; ``reshoring`` over pairs;
        ``investment`` over exporter-sector pairs.
        """
        inst, sc = self.inst, self.scenario
        pa, sw = sc.parameters, sc.constraints
        nC, nS, nCS = inst.n_countries, inst.n_sectors, inst.n_pairs
        lk = inst.links
        x = self.x
        # country and sector of each flattened pair index c * nS + s (used by every family)
        self.country_of_pair = np.repeat(np.arange(nC), nS)
        self.sector_of_pair = np.tile(np.arange(nS), nC)

        # membership and tiers
        y = self._indicator("full_member", inst.full_fixed, inst.countries, "y: full member")
        z = self._indicator("associate", inst.associate_fixed, inst.countries, "z: associate")
        x["full_member"], x["associate"], x["member"] = y, z, y + z
        free_s = np.flatnonzero(inst.tier_fixed < 0)
        tiers = {}
        if len(free_s):
            labels = pd.MultiIndex.from_product(
                [inst.sectors[free_s], list(TIERS)], names=["sector", "tier"]
            )
            blk = self.program.add_variables(
                "tier",
                labels,
                kind=VarKind.BINARY,
                description="t: sector s is in tier k",
                priority=BRANCH_PRIORITY["tier"],
            )
            cols = blk.columns.reshape(len(free_s), len(TIERS))
        for k, _tier in enumerate(TIERS):
            const = (inst.tier_fixed == k).astype(float)
            e = Expr.constant(const)
            if len(free_s):
                e = Expr.terms(nS, free_s, cols[:, k], 1.0, const)
            tiers[k] = e
        x["tier_restricted"] = tiers[RESTRICTED]
        x["tier_incentivized"] = tiers[INCENTIVIZED]
        x["tier_open"] = tiers[OPEN]

        # flows on links: f = F0 + increase - decrease
        nL = len(lk)
        link_pair = lk.importer * nS + lk.sector
        link_supply = lk.exporter * nS + lk.sector
        d_is = inst.demand.ravel()
        up_ub = d_is[link_pair].copy()
        if sw.capacity and not sw.capacity_investment:
            room = self.capacity_room()
            f0_planned = np.bincount(link_supply, weights=lk.baseline, minlength=nCS)
            up_ub = np.minimum(up_ub, (room + f0_planned)[link_supply])
        up_ub = np.maximum(up_ub, 0.0)
        inc = np.flatnonzero(lk.can_increase)
        dec = np.flatnonzero(lk.can_decrease)
        idx = inst.link_index()
        b_inc = self.program.add_variables(
            "increase",
            idx[inc],
            upper=up_ub[inc],
            description="u: new imports over baseline on link (importer, exporter, sector)",
            unit="USD mn",
        )
        b_dec = self.program.add_variables(
            "decrease",
            idx[dec],
            upper=lk.baseline[dec],
            description="imports cut below baseline on link (importer, exporter, sector)",
            unit="USD mn",
        )
        x["increase"] = Expr.variables(nL, inc, b_inc.columns)
        x["decrease"] = Expr.variables(nL, dec, b_dec.columns)
        x["flow"] = x["increase"] - x["decrease"] + lk.baseline
        self.bounds["increase_link"] = up_ub
        self.link_pair, self.link_supply = link_pair, link_supply

        # domestic substitution on planned pairs
        pp = np.flatnonzero(inst.planned_pair)
        b_q = self.program.add_variables(
            "reshoring",
            inst.pair_index()[pp],
            upper=d_is[pp],
            description="q: domestic substitution by importer in sector",
            unit="USD mn",
        )
        x["reshoring"] = Expr.variables(nCS, pp, b_q.columns)

        # strategic leveraging: adversary-linked partnership supply in chosen sectors
        x["partnership"] = Expr.zeros(nCS)
        if sw.strategic_leveraging and sc.sectors.leveraging:
            lev = np.zeros(nS, bool)
            lev[inst.sectors.get_indexer(sc.sectors.leveraging)] = True
            a0 = inst.adversary_imports.ravel()
            gp = np.flatnonzero(inst.planned_pair & np.tile(lev, nC) & (a0 > 0))
            if len(gp):
                b_g = self.program.add_variables(
                    "partnership",
                    inst.pair_index()[gp],
                    upper=pa.leveraging_share * a0[gp],
                    description="adversary-licensed or joint-venture supply made at home",
                    unit="USD mn",
                )
                x["partnership"] = Expr.variables(nCS, gp, b_g.columns)
        x["domestic"] = x["reshoring"] + x["partnership"]

        # pooled capacity investment at possible coalition suppliers
        if sw.capacity_investment:
            sup = np.zeros(nCS, bool)
            sup[link_supply[inc]] = True
            sup &= np.repeat(inst.may_be_member, nS)
            js = np.flatnonzero(sup)
            ub = np.bincount(link_supply[inc], weights=up_ub[inc], minlength=nCS)
            b_e = self.program.add_variables(
                "investment",
                inst.pair_index()[js].set_names(["exporter", "sector"]),
                upper=ub[js],
                description="e: pooled investment in new capacity at exporter in sector",
                unit="USD mn",
            )
            x["investment"] = Expr.variables(nCS, js, b_e.columns)
            self.bounds["investment"] = ub
        else:
            x["investment"] = Expr.zeros(nCS)

        # increase per exporter-sector: the largest total new sourcing (for big-M terms)
        inc_sum = np.bincount(link_supply[inc], weights=up_ub[inc], minlength=nCS)
        if sw.capacity:
            room = self.capacity_room() + np.bincount(
                link_supply, weights=lk.baseline, minlength=nCS
            )
            if sw.capacity_investment:
                room = room + self.bounds["investment"]
            inc_sum = np.minimum(inc_sum, room)
        self.bounds["increase_supply"] = np.maximum(inc_sum, 0.0)
        self.build_expressions()

    def capacity_room(self) -> np.ndarray:
        """cap[j,s] - X[j,s] (+ exports to adversaries freed by export controls), flattened."""
        inst, sc = self.inst, self.scenario
        room = (inst.capacity - inst.exports).ravel()
        if sc.constraints.export_controls:
            eps = sc.parameters.restricted_residual
            room = room + (1 - eps) * inst.exports_to_adversaries.ravel()
        return room

    # ------------------------------------------------------------------ expressions
    def build_expressions(self) -> None:
        """Adversary imports, dependency, costs and export changes (see :attr:`x`)."""
        inst, sc = self.inst, self.scenario
        pa = sc.parameters
        nC, nCS = inst.n_countries, inst.n_pairs
        lk = inst.links
        x = self.x
        adv_link = inst.adversary[lk.exporter]

        # totals per importer-sector pair and per exporter-sector pair, computed once
        x["increase_by_pair"] = x["increase"].sum_by(self.link_pair, nCS)
        x["increase_by_supply"] = x["increase"].sum_by(self.link_supply, nCS)
        x["change_by_supply"] = (x["increase"] - x["decrease"]).sum_by(self.link_supply, nCS)
        # a[i,s] = a0[i,s] - sum_{j in A} decrease
        x["adversary_cut"] = _mask_terms(x["decrease"], adv_link).sum_by(self.link_pair, nCS)
        x["other_cut"] = _mask_terms(x["decrease"], ~adv_link).sum_by(self.link_pair, nCS)
        x["adversary_imports"] = inst.adversary_imports.ravel() - x["adversary_cut"]
        # effective content adds sum_{j not in A} sigma[j,s] f[i,j,s]
        sig = inst.transshipment_share.ravel()[self.link_supply]
        change = x["increase"] - x["decrease"]
        indirect = _mask_terms(change, ~adv_link) * np.where(adv_link, 0.0, sig)
        # partnership supply is adversary-linked: it counts in effective, not direct, content
        x["effective_adversary_imports"] = (
            x["adversary_imports"]
            + indirect.sum_by(self.link_pair, nCS)
            + inst.baseline_indirect.ravel()
            + x["partnership"]
        )
        d = inst.demand.ravel()
        share_w = np.divide(np.tile(inst.weight_share, nC), d, out=np.zeros(nCS), where=d > 0)
        country_of_pair = self.country_of_pair
        for kind, a in (
            ("dependency", x["adversary_imports"]),
            ("effective_dependency", x["effective_adversary_imports"]),
        ):
            dep = (a * share_w).sum_by(country_of_pair, nC)
            x[kind] = dep
            x[f"{kind}_index"] = (dep * inst.gdp_weight).sum()

        # unit cost pi of new sourcing on links; p_s (1 - beta) from coalition suppliers
        beta = pa.barrier_cut
        p_link = inst.premium[lk.sector]
        if pa.ally_shoring or beta == 0:
            unit = p_link * (1 - beta)
        else:  # fixed members get the cut here; chosen ones through the budget discount rows
            fixed_member = (inst.full_fixed == 1) | (inst.associate_fixed == 1)
            unit = p_link * (1 - beta * fixed_member[lk.exporter])
        self.unit_cost = unit
        x["sourcing_cost_link"] = x["increase"] * unit
        own = (
            x["sourcing_cost_link"].sum_by(lk.importer, nC)
            + (x["reshoring"] * np.tile(inst.reshoring_cost, nC)).sum_by(country_of_pair, nC)
            + (x["partnership"] * pa.leveraging_cost).sum_by(country_of_pair, nC)
        )
        x["own_cost"] = own
        x["investment_cost"] = (x["investment"] * np.tile(inst.investment_cost, nC)).sum()
        x["total_cost"] = own.sum() + x["investment_cost"]

        # export changes: new exports to planned importers (net), by exporter
        x["export_change"] = change.sum_by(lk.exporter, nC)
        x["lost_exports"] = Expr.zeros(nCS)  # export controls replace this

    def set(self, name: str, expr: Expr) -> None:
        """Store or replace a named expression."""
        self.x[name] = expr


def _mask_terms(e: Expr, keep_label: np.ndarray) -> Expr:
    """Terms and constants of ``e`` only for the labels where ``keep_label`` holds."""
    t = keep_label[e.owner]
    return Expr(e.n, e.owner[t], e.col[t], e.coef[t], np.where(keep_label, e.const, 0.0))
