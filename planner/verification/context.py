"""What every check reads: a run directory's files, loaded once, and the quantities they share.

:func:`load_context` reads the files; the derived quantities (roles, the candidates' demand,
the exports lost to export controls, capacity room, unit costs, ...) are computed on first use
and kept, so each is computed once however many checks read it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner.data.dataset import Dataset
from planner.data.loaders import dataset_sha256
from planner.scenario import (
    CoalitionConfig,
    ConstraintSwitches,
    Parameters,
    Scenario,
    load_scenario,
)
from planner.verification.report import VerifyError, group_sum

__all__ = ["KEYS", "VerifyContext", "load_context"]

#: the index of demand, domestic supply and partnership supply
KEYS = ["importer", "sector"]


def _read(d: Path, name: str, required: bool = True) -> pd.DataFrame | None:
    p = d / name
    if not p.exists():
        if required:
            raise VerifyError(f"{p}: missing; not a complete run directory")
        return None
    return pd.read_csv(p, keep_default_na=False, na_values=[""])


def load_context(directory: str | Path) -> VerifyContext:
    """Read a run directory and the dataset its manifest names.

    Parameters
    ----------
    directory : str or pathlib.Path
        A complete run directory (``manifest.json``, ``summary.json``, ``scenario.toml`` and
        the tables).

    Returns
    -------
    VerifyContext

    Raises
    ------
    VerifyError
        A required file is missing, the run has no solution, or the dataset's sha256 differs.
    """
    from planner.scenario import load_scenario_dataset

    d = Path(directory)
    if not (d / "manifest.json").exists():
        raise VerifyError(f"{d}: no manifest.json; not a complete run directory")
    summary = json.loads((d / "summary.json").read_text())
    if summary.get("dependency_after") is None:
        raise VerifyError(f"{d}: the run has no solution (status {summary.get('status')})")
    sc = load_scenario(d / "scenario.toml")
    manifest = json.loads((d / "manifest.json").read_text())
    ds = load_scenario_dataset(sc)
    if dataset_sha256(ds) != manifest["dataset"]["sha256"]:
        raise VerifyError(f"{d}: the dataset {sc.data.path!r} differs from the one the run used")
    links = _read(d, "links.csv")
    domestic = _read(d, "domestic.csv")
    partnerships = _read(d, "partnerships.csv", required=False)
    investment = _read(d, "investment.csv", required=False)
    countries = _read(d, "countries.csv").set_index("iso3")
    sectors = _read(d, "sectors.csv").set_index("sector")
    return VerifyContext(
        directory=d,
        scenario=sc,
        dataset=ds,
        summary=summary,
        links=links,
        domestic=domestic,
        partnerships=partnerships,
        investment=investment,
        countries=countries,
        sectors=sectors,
    )


@dataclass
class VerifyContext:
    """A run directory's files and the quantities the checks share.

    Attributes
    ----------
    directory : pathlib.Path
    scenario : Scenario
        ``scenario.toml`` (the resolved scenario of the run).
    dataset : Dataset
        The dataset the scenario names (its sha256 matches the manifest's).
    summary : dict
        ``summary.json``.
    links, domestic : pandas.DataFrame
        ``links.csv`` and ``domestic.csv``.
    partnerships, investment : pandas.DataFrame or None
        ``partnerships.csv`` and ``investment.csv`` (None when absent).
    countries, sectors : pandas.DataFrame
        ``countries.csv`` indexed by ``iso3``, ``sectors.csv`` by ``sector``.
    """

    directory: Path
    scenario: Scenario
    dataset: Dataset
    summary: dict[str, Any]
    links: pd.DataFrame
    domestic: pd.DataFrame
    partnerships: pd.DataFrame | None
    investment: pd.DataFrame | None
    countries: pd.DataFrame
    sectors: pd.DataFrame

    # ------------------------------------------------------------------ scenario sections
    @property
    def coalition_cfg(self) -> CoalitionConfig:
        """``[coalition]`` of the scenario."""
        return self.scenario.coalition

    @property
    def parameters(self) -> Parameters:
        """``[parameters]`` of the scenario."""
        return self.scenario.parameters

    @property
    def switches(self) -> ConstraintSwitches:
        """``[constraints]`` of the scenario."""
        return self.scenario.constraints

    # ------------------------------------------------------------------ roles and tiers
    @cached_property
    def role(self) -> pd.Series:
        """Each country's role in the plan (``countries.csv``)."""
        return self.countries["role"]

    @cached_property
    def members(self) -> set[str]:
        """Full members."""
        return set(self.role.index[self.role == "member"])

    @cached_property
    def associates(self) -> set[str]:
        """Associates."""
        return set(self.role.index[self.role == "associate"])

    @cached_property
    def coalition(self) -> set[str]:
        """Full members and associates."""
        return self.members | self.associates

    @cached_property
    def adversaries(self) -> set[str]:
        """The scenario's adversaries."""
        return set(self.coalition_cfg.adversaries)

    @cached_property
    def tier(self) -> pd.Series:
        """Each sector's tier in the plan (``sectors.csv``)."""
        return self.sectors["tier"]

    @cached_property
    def critical(self) -> set[str]:
        """Sectors of positive weight."""
        st = self.dataset.sectors
        return set(st.index[st["weight"] > 0])

    # ------------------------------------------------------------------ sourcing
    @cached_property
    def lk(self) -> pd.DataFrame:
        """``links.csv`` with ``up`` (new sourcing, >= 0) and ``change`` (optimized - baseline)."""
        lk = self.links.copy()
        lk["up"] = (lk["optimized"] - lk["baseline"]).clip(lower=0.0)
        lk["change"] = lk["optimized"] - lk["baseline"]
        return lk

    @cached_property
    def demand(self) -> pd.Series:
        """The dataset's demand by (importer, sector)."""
        return self.dataset.demand()

    @cached_property
    def candidates(self) -> pd.Index:
        """Candidate countries (``candidate`` column, or every non-adversary)."""
        countries, role = self.countries, self.role
        if "candidate" in countries.columns:
            return countries.index[countries["candidate"].astype(str).str.lower() == "true"]
        return role.index[role != "adversary"]

    @cached_property
    def candidate_demand(self) -> pd.Series:
        """Demand of the candidates."""
        dem = self.demand
        return dem[dem.index.get_level_values(0).isin(self.candidates)]

    @cached_property
    def positive_demand(self) -> pd.Series:
        """The candidates' positive demand, indexed by (importer, sector)."""
        dem = self.candidate_demand
        return dem[dem > 0].rename_axis(KEYS)

    @cached_property
    def domestic_supply(self) -> pd.Series:
        """New domestic supply by (importer, sector)."""
        return group_sum(self.domestic, KEYS)

    @cached_property
    def partner_supply(self) -> pd.Series:
        """Partnership (strategic leveraging) supply by (importer, sector)."""
        return group_sum(self.partnerships, KEYS)

    @cached_property
    def supplied(self) -> pd.Series:
        """Imports, domestic and partnership supply by (importer, sector)."""
        return (
            self.lk.groupby(KEYS)["optimized"]
            .sum()
            .add(self.domestic_supply, fill_value=0)
            .add(self.partner_supply, fill_value=0)
        )

    @cached_property
    def member_links(self) -> pd.DataFrame:
        """The links of full members' imports."""
        lk = self.lk
        return lk[lk["importer"].isin(self.members)]

    @cached_property
    def member_adversary_imports(self) -> pd.DataFrame:
        """Full members' imports from adversaries: baseline and optimized by (importer, sector)."""
        ml = self.member_links
        return (
            ml[ml["exporter"].isin(self.adversaries)].groupby(KEYS)[["baseline", "optimized"]].sum()
        )

    # ------------------------------------------------------------------ exports and capacity
    @cached_property
    def lost_exports(self) -> pd.Series:
        """Exports lost to export controls by (exporter, sector); empty when they are off."""
        if not self.switches.export_controls:
            return group_sum(None, ["exporter", "sector"])
        fl, tier = self.dataset.flows, self.tier
        ec = fl[fl["importer"].isin(self.adversaries) & fl["exporter"].isin(self.coalition)]
        ec = ec[ec["sector"].map(tier).eq("restricted")]
        lost = ec.groupby(["exporter", "sector"])["value"].sum()
        return (1 - self.parameters.restricted_residual) * lost

    @cached_property
    def exports(self) -> pd.Series:
        """Baseline exports by (exporter, sector)."""
        return self.dataset.exports()

    @cached_property
    def capacity(self) -> pd.Series:
        """Export capacity before investment, recomputed from the dataset and the scenario."""
        ds, pa, x = self.dataset, self.parameters, self.exports
        st = ds.sectors
        h = (
            st["headroom"]
            if "headroom" not in ds.defaulted
            else pd.Series(pa.headroom, index=st.index)
        )
        hx = h.reindex(x.index.get_level_values("sector")).to_numpy()
        if pa.capacity_basis == "output" and ds.output is not None:
            go = ds.gross_output().reindex(x.index)
            return pd.Series(
                np.where(go.isna(), (1 + hx) * x, x + hx * go.fillna(0)), index=x.index
            )
        return (1 + hx) * x

    @cached_property
    def investment_by_pair(self) -> pd.Series:
        """New capacity bought by (exporter, sector)."""
        return group_sum(self.investment, ["exporter", "sector"])

    @cached_property
    def change_by_pair(self) -> pd.Series:
        """Change of exports by (exporter, sector)."""
        return self.lk.groupby(["exporter", "sector"])["change"].sum()

    @cached_property
    def used(self) -> pd.Series:
        """Exports after the plan (baseline + change - lost) by (exporter, sector)."""
        return self.exports.add(self.change_by_pair, fill_value=0.0).sub(
            self.lost_exports, fill_value=0.0
        )

    @cached_property
    def room(self) -> pd.Series:
        """Capacity plus investment by (exporter, sector)."""
        return self.capacity.add(self.investment_by_pair, fill_value=0.0)

    # ------------------------------------------------------------------ costs
    @cached_property
    def unit_cost(self) -> pd.Series:
        """Cost per USD of new sourcing on each link (premium, cut inside the coalition)."""
        lk, pa = self.lk, self.parameters
        in_coal = lk["exporter"].isin(self.coalition)
        prem = self.dataset.sectors["premium"]
        return lk["sector"].map(prem) * np.where(in_coal, 1 - pa.barrier_cut, 1.0)

    @cached_property
    def reshoring_cost(self) -> pd.Series:
        """Cost per USD of domestic supply by sector."""
        ds = self.dataset
        st = ds.sectors
        if "reshoring_cost" not in ds.defaulted:
            return st["reshoring_cost"]
        return pd.Series(self.parameters.reshoring_cost, index=st.index)

    @cached_property
    def own_cost(self) -> pd.Series:
        """Each importer's sourcing and reshoring cost."""
        lk, dom, rho = self.lk, self.domestic, self.reshoring_cost
        own = (self.unit_cost * lk["up"]).groupby(lk["importer"]).sum()
        if len(dom):
            own = own.add(
                (dom["sector"].map(rho) * dom["optimized"]).groupby(dom["importer"]).sum(),
                fill_value=0,
            )
        return own

    @cached_property
    def total_cost(self) -> float:
        """Sourcing, reshoring, partnership and investment cost of the plan."""
        lk, dom, pa, st = self.lk, self.domestic, self.parameters, self.dataset.sectors
        sourcing = float((self.unit_cost * lk["up"]).sum())
        rho = self.reshoring_cost
        reshoring = float((dom["sector"].map(rho) * dom["optimized"]).sum()) if len(dom) else 0.0
        partner = float(self.partner_supply.sum()) * pa.leveraging_cost
        kappa = (
            st["investment_cost"]
            if "investment_cost" in st.columns
            else pd.Series(pa.investment_cost, index=st.index)
        )
        e = self.investment_by_pair
        invest = float((e.index.get_level_values("sector").map(kappa) * e).sum()) if len(e) else 0.0
        return sourcing + reshoring + partner + invest
