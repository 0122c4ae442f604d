"""The model's sets and parameters (docs/model.md) computed from a dataset and a scenario.

Everything is a numpy array over integer codes: countries ``0..nC-1`` and sectors ``0..nS-1``
in dataset order, country-sector pairs flattened as ``c * nS + s``, and candidate links
(importer, exporter, sector) as parallel arrays. No Python loop runs over links or pairs.

Which decisions are free is settled here: a country's full membership ``y`` and associate
membership ``z`` and a sector's tier ``t`` are either fixed (a number) or free (``NaN`` /
``-1``). The four problems of the model differ only in these arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

from formulations.sets import INCENTIVIZED, OPEN, RESTRICTED, TIERS
from planner.data.dataset import ROW, Dataset
from planner.errors import PlannerError
from planner.scenario import ConstraintSwitches, Scenario

__all__ = [
    "INCENTIVIZED",
    "OPEN",
    "RESTRICTED",
    "FormulationError",
    "Instance",
    "LinkTable",
    "build_instance",
    "look_through_share",
]

_I = np.int64


class FormulationError(PlannerError, ValueError):
    """The scenario and dataset do not make a well-posed model; names the scenario key."""

    prefix = "bad scenario: "

    def cli_message(self, where: str | None = None) -> str:
        """``bad scenario: FILE: message`` (the scenario does not fit the dataset)."""
        return f"{self.prefix}{where + ': ' if where else ''}{self}"

    def __init__(self, key: str, problem: str):
        self.key, self.problem = key, problem
        super().__init__(f"scenario key '{key}': {problem}")


@dataclass
class LinkTable:
    """Candidate links (importer i, exporter j, sector s) of the planned importers.

    Attributes
    ----------
    importer, exporter, sector : numpy.ndarray
        Integer codes.
    baseline : numpy.ndarray
        F0[i,j,s] (USD mn); 0 for a new link.
    can_increase : numpy.ndarray
        True where new sourcing ``u`` may flow (never from an adversary; with ally-shoring
        only from countries that can be coalition members).
    """

    importer: np.ndarray
    exporter: np.ndarray
    sector: np.ndarray
    baseline: np.ndarray
    can_increase: np.ndarray

    def __len__(self) -> int:
        return len(self.importer)

    @property
    def can_decrease(self) -> np.ndarray:
        """True where the baseline is positive (imports can fall)."""
        return self.baseline > 0


@dataclass
class Instance:
    """Sets and parameters of one model instance (docs/model.md symbols in brackets).

    Country arrays have length ``nC``, sector arrays ``nS``, matrices shape ``(nC, nS)``.
    """

    scenario: Scenario
    dataset_name: str
    countries: pd.Index  # C
    sectors: pd.Index  # S
    gdp: np.ndarray  # gdp_c
    regime: np.ndarray  # regime_c
    adversary: np.ndarray  # A
    candidate: np.ndarray  # P
    focal: np.ndarray  # Phi
    full_fixed: np.ndarray  # y_c fixed value, NaN = chosen by the model
    associate_fixed: np.ndarray  # z_c fixed value, NaN = chosen
    tier_fixed: np.ndarray  # tier code per sector, -1 = chosen
    demand: np.ndarray  # D[i,s]
    exports: np.ndarray  # X[j,s]
    gross_output: np.ndarray  # GO[j,s] (NaN where missing)
    adversary_imports: np.ndarray  # a0[i,s]
    exports_to_adversaries: np.ndarray  # sum_{a in A} F0[a,j,s]
    capacity: np.ndarray  # cap[j,s]
    transshipment_share: np.ndarray  # sigma[j,s], or lambda[j,s] with look-through exposure
    weight: np.ndarray  # w_s
    sector_category: np.ndarray  # "strategic", "critical" or "other"
    weight_share: np.ndarray  # w~_s
    gdp_weight: np.ndarray  # omega_i (0 outside Phi)
    headroom: np.ndarray  # h_s
    premium: np.ndarray  # p_s
    reshoring_cost: np.ndarray  # rho_s
    investment_cost: np.ndarray  # kappa_s
    import_volume: np.ndarray  # sum_{j,s} F0[i,j,s]
    sector_volume: np.ndarray  # V_s: baseline imports of all candidates in s
    baseline_indirect: np.ndarray  # sum_{j not in A} sigma[j,s] F0[i,j,s]
    planned_pair: np.ndarray  # (nC*nS,) bool: importer-sector pairs whose sourcing may change
    links: LinkTable
    flow_codes: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # all flows (i, j, s, F0)
    notes: list[str] = field(default_factory=list)
    exposure: str = "direct"  # the measure the objective uses: direct, first_order, look_through
    first_order_share: np.ndarray | None = None  # sigma[j,s] whatever the exposure measure
    _pair_index: pd.MultiIndex | None = field(default=None, repr=False, compare=False)

    @property
    def n_countries(self) -> int:
        """nC."""
        return len(self.countries)

    @property
    def n_sectors(self) -> int:
        """nS."""
        return len(self.sectors)

    @property
    def n_pairs(self) -> int:
        """nC * nS (flattened country-sector index)."""
        return len(self.countries) * len(self.sectors)

    def pair_index(self) -> pd.MultiIndex:
        """Labels (country, sector) of the flattened pair index (built once)."""
        if self._pair_index is None:
            self._pair_index = pd.MultiIndex.from_product(
                [self.countries, self.sectors], names=["country", "sector"]
            )
        return self._pair_index

    def link_index(self) -> pd.MultiIndex:
        """Labels (importer, exporter, sector) of the candidate links."""
        lk = self.links
        return pd.MultiIndex(
            levels=[self.countries, self.countries, self.sectors],
            codes=[lk.importer, lk.exporter, lk.sector],
            names=["importer", "exporter", "sector"],
            verify_integrity=False,
        )

    @property
    def may_be_full(self) -> np.ndarray:
        """Countries whose full membership y can be 1."""
        return _may_be_full(self.full_fixed)

    @property
    def may_be_member(self) -> np.ndarray:
        """Countries that can be in the coalition (full member or associate)."""
        return _may_be_member(self.full_fixed, self.associate_fixed)

    @property
    def effective_objective(self) -> bool:
        """Whether the objective measures effective (direct + carried) adversary content."""
        return self.exposure != "direct"

    def baseline_dependency(self, effective: bool = False) -> np.ndarray:
        """Each country's baseline dependency sum_s w~_s a0[i,s] / D[i,s] (direct or effective)."""
        a = self.adversary_imports.copy()
        if effective:
            a = a + self.baseline_indirect
        share = np.divide(a, self.demand, out=np.zeros_like(a), where=self.demand > 0)
        return share @ self.weight_share


def _fsum(keys: np.ndarray, weights: np.ndarray, n: int) -> np.ndarray:
    """np.bincount with weights, always float (numpy returns ints for empty input)."""
    return np.bincount(keys, weights=weights, minlength=n).astype(float)


def _codes(index: pd.Index, values: pd.Series) -> np.ndarray:
    return index.get_indexer(pd.Index(values)).astype(_I)


def _country_list(
    codes: list[str], countries: pd.Index, key: str, allowed: np.ndarray | None = None
) -> np.ndarray:
    unknown = sorted(set(codes) - set(countries))
    if unknown:
        raise FormulationError(key, f"unknown country code(s) {unknown} (not in the dataset)")
    mask = np.zeros(len(countries), bool)
    mask[countries.get_indexer(codes)] = True
    return mask


class _Roles(NamedTuple):
    """Who may join and how (fields named as in :class:`Instance`)."""

    adversary: np.ndarray
    candidate: np.ndarray
    focal: np.ndarray
    full_fixed: np.ndarray
    associate_fixed: np.ndarray


class _Trade(NamedTuple):
    """Flows as codes and their totals per country-sector pair (named as in :class:`Instance`)."""

    flow_codes: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    demand: np.ndarray
    exports: np.ndarray
    gross_output: np.ndarray
    adversary_imports: np.ndarray
    exports_to_adversaries: np.ndarray


class _SectorParameters(NamedTuple):
    """Per-sector parameters (named as in :class:`Instance`)."""

    weight: np.ndarray
    weight_share: np.ndarray
    sector_category: np.ndarray
    headroom: np.ndarray
    premium: np.ndarray
    reshoring_cost: np.ndarray
    investment_cost: np.ndarray


def build_instance(dataset: Dataset, scenario: Scenario) -> Instance:
    """Compute the sets, parameters and candidate links of the model.

    Parameters
    ----------
    dataset : planner.data.Dataset
        Countries, sectors and flows.
    scenario : planner.scenario.Scenario
        Coalition, sectors, parameters and constraint switches.

    Returns
    -------
    Instance

    Raises
    ------
    FormulationError
        Naming the scenario key: an unknown country or sector, an adversary listed as a
        candidate, an anchor or fixed member who fails the eligibility threshold, no sector with
        a positive criticality weight, a focal country outside the candidates.
    """
    pa, sw = scenario.parameters, scenario.constraints
    notes: list[str] = []
    countries = pd.Index(dataset.countries.index, name="iso3")
    sectors = pd.Index(dataset.sectors.index, name="sector")
    gdp = dataset.countries["gdp"].to_numpy(float)
    regime = dataset.countries["regime"].to_numpy(float)

    roles = _resolve_roles(scenario, countries, regime)
    tier_fixed = _resolve_tiers(scenario, sectors)
    trade = _trade_totals(dataset, countries, sectors, roles.adversary)
    par = _sector_parameters(dataset, scenario)
    _fix_dominated_tiers(tier_fixed, par.weight, notes)
    capacity = _capacity(pa.capacity_basis, trade, par.headroom, notes)
    exposure = _exposure(scenario)
    first_order, indirect0 = _transshipment(trade, roles.adversary)
    sigma = first_order
    if exposure == "look_through":
        share = look_through_share(
            dataset, scenario.coalition.adversaries, countries, sectors, roles.adversary
        )
        sigma, indirect0 = _transshipment(trade, roles.adversary, share)
        notes.append("effective exposure measured through the whole network (look-through)")
    gdp_weight = _gdp_weight(gdp, roles.focal)
    planned_pair = _planned_pairs(roles, tier_fixed, trade.demand, sw)
    links = _candidate_links(
        trade.flow_codes,
        planned_pair,
        _allowed_suppliers(roles, pa.ally_shoring),
        trade.exports,
        pa.top_k_new_suppliers,
    )
    if pa.top_k_new_suppliers:
        notes.append(
            f"new links limited to the top {pa.top_k_new_suppliers} suppliers of each sector"
        )
    return Instance(
        scenario=scenario,
        dataset_name=dataset.name,
        countries=countries,
        sectors=sectors,
        gdp=gdp,
        regime=regime,
        tier_fixed=tier_fixed,
        capacity=capacity,
        transshipment_share=sigma,
        gdp_weight=gdp_weight,
        import_volume=trade.demand.sum(axis=1),
        sector_volume=trade.demand[roles.candidate].sum(axis=0),
        baseline_indirect=indirect0,
        planned_pair=planned_pair,
        links=links,
        notes=notes,
        exposure=exposure,
        first_order_share=first_order,
        **roles._asdict(),
        **trade._asdict(),
        **par._asdict(),
    )


# ---------------------------------------------------------------------- countries and roles
def _resolve_roles(scenario: Scenario, countries: pd.Index, regime: np.ndarray) -> _Roles:
    """A, P, Phi and the fixed or free membership y, z of every country."""
    co = scenario.coalition
    adversary = _country_list(co.adversaries, countries, "coalition.adversaries")
    candidate = _candidates(co.candidates, countries, adversary)
    listed = {  # scenario key -> mask, in the order the keys are checked
        f"coalition.{k}": _country_list(getattr(co, k), countries, f"coalition.{k}")
        for k in ("anchors", "members", "associates")
    }
    for key, mask in listed.items():
        outside = countries[mask & ~candidate].tolist()
        if outside:
            raise FormulationError(key, f"{outside} are not candidates (coalition.candidates)")
    full_ok, assoc_ok = _eligible(scenario, countries, regime, listed)
    full_fixed, assoc_fixed = _fixed_membership(
        co.choose_members,
        candidate & full_ok,
        candidate & assoc_ok,
        listed["coalition.anchors"] | listed["coalition.members"],
        listed["coalition.associates"],
    )
    return _Roles(
        adversary=adversary,
        candidate=candidate,
        focal=_focal(co.focal, countries, candidate),
        full_fixed=full_fixed,
        associate_fixed=assoc_fixed,
    )


def _candidates(listed: str | list[str], countries: pd.Index, adversary: np.ndarray) -> np.ndarray:
    """P: the listed countries, or (``"all"``) every country but the adversaries and ROW."""
    if isinstance(listed, str):
        return ~adversary & (countries != ROW)
    candidate = _country_list(listed, countries, "coalition.candidates")
    bad = countries[candidate & adversary].tolist()
    if bad:
        raise FormulationError(
            "coalition.candidates",
            f"adversaries {bad} cannot be candidates (coalition.adversaries)",
        )
    return candidate


def _eligible(
    scenario: Scenario, countries: pd.Index, regime: np.ndarray, listed: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Who passes the full and the associate regime threshold; listed countries must pass."""
    co = scenario.coalition
    if not scenario.constraints.coalition_shape:
        return np.ones(len(countries), bool), np.ones(len(countries), bool)
    full_ok = regime >= co.full_threshold
    assoc_ok = regime >= co.associate_threshold
    for key, ok, th in (
        ("coalition.anchors", full_ok, "full_threshold"),
        ("coalition.members", full_ok, "full_threshold"),
        ("coalition.associates", assoc_ok, "associate_threshold"),
    ):
        bad = np.flatnonzero(listed[key] & ~ok)
        if len(bad):
            detail = ", ".join(f"{countries[k]} ({regime[k]:.3f})" for k in bad[:5])
            raise FormulationError(
                key,
                f"regime score below coalition.{th} = {getattr(co, th)}: {detail}; "
                "lower the threshold or switch constraints.coalition_shape off",
            )
    return full_ok, assoc_ok


def _fixed_membership(
    choose: bool,
    may_full: np.ndarray,
    may_assoc: np.ndarray,
    full: np.ndarray,
    associates: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """y and z per country: 1 or 0 where fixed, NaN where the model chooses."""
    full_fixed = np.zeros(len(full))
    assoc_fixed = np.zeros(len(full))
    if choose:
        full_fixed[may_full] = np.nan
        assoc_fixed[may_assoc] = np.nan
    full_fixed[full] = 1.0
    assoc_fixed[full] = 0.0
    full_fixed[associates] = 0.0
    assoc_fixed[associates] = 1.0
    return full_fixed, assoc_fixed


def _focal(listed: str | list[str], countries: pd.Index, candidate: np.ndarray) -> np.ndarray:
    """Phi: the listed countries, or (``"all"``) every candidate."""
    if isinstance(listed, str):
        focal = candidate.copy()
    else:
        focal = _country_list(listed, countries, "coalition.focal")
        outside = countries[focal & ~candidate].tolist()
        if outside:
            raise FormulationError(
                "coalition.focal", f"{outside} are not candidates (coalition.candidates)"
            )
    if not focal.any():
        if isinstance(listed, str):  # focal = "candidates": the root cause is the candidates
            raise FormulationError(
                "coalition.candidates", "no candidate country, so no focal country either"
            )
        raise FormulationError("coalition.focal", "no focal country")
    return focal


def _may_be_full(full_fixed: np.ndarray) -> np.ndarray:
    """Countries whose full membership y can be 1."""
    return np.isnan(full_fixed) | (full_fixed > 0.5)


def _may_be_member(full_fixed: np.ndarray, associate_fixed: np.ndarray) -> np.ndarray:
    """Countries that can be in the coalition (full member or associate)."""
    return _may_be_full(full_fixed) | np.isnan(associate_fixed) | (associate_fixed > 0.5)


# ---------------------------------------------------------------------- sectors and tiers
def _resolve_tiers(scenario: Scenario, sectors: pd.Index) -> np.ndarray:
    """The tier code of each sector fixed by the scenario, -1 where the model chooses."""
    sc = scenario.sectors
    tier_fixed = np.full(len(sectors), -1 if sc.choose_tiers else OPEN, dtype=_I)
    unknown = sorted(set(sc.tiers) - set(sectors))
    if unknown:
        raise FormulationError(f"sectors.tiers.{unknown[0]}", "unknown sector code")
    unknown = sorted(set(sc.leveraging) - set(sectors))
    if unknown:
        raise FormulationError("sectors.leveraging", f"unknown sector code(s) {unknown}")
    for sec, tier in sc.tiers.items():
        tier_fixed[sectors.get_loc(sec)] = TIERS.index(tier)
    return tier_fixed


def _sector_parameters(dataset: Dataset, scenario: Scenario) -> _SectorParameters:
    """w, w~, category, h, p, rho and kappa per sector (the dataset's, else the scenario's)."""
    st, pa = dataset.sectors, scenario.parameters
    nS = len(st)

    def sector_param(col: str, scenario_value: float) -> np.ndarray:
        if col in st.columns and col not in dataset.defaulted:
            return st[col].to_numpy(float)
        return np.full(nS, float(scenario_value))

    weight = st["weight"].to_numpy(float)
    if weight.sum() <= 0:
        raise FormulationError(
            "sectors (weight column)",
            "no sector has a positive criticality weight w_s, so dependency is undefined",
        )
    return _SectorParameters(
        weight=weight,
        weight_share=weight / weight.sum(),
        sector_category=(
            st["category"].astype(str).to_numpy()
            if "category" in st.columns
            else np.full(nS, "other")
        ),
        headroom=sector_param("headroom", pa.headroom),
        premium=st["premium"].to_numpy(float),
        reshoring_cost=sector_param("reshoring_cost", pa.reshoring_cost),
        investment_cost=sector_param("investment_cost", pa.investment_cost),
    )


def _fix_dominated_tiers(tier_fixed: np.ndarray, weight: np.ndarray, notes: list[str]) -> None:
    """Fix open, in place, the free sectors of zero criticality weight.

    Dominance: tiering a sector of zero criticality weight cannot lower dependency or cost; it
    only forces cuts, bars suppliers, loses exports and open share. Such sectors are fixed
    open unless the scenario lists them in sectors.tiers (a 4x smaller default MILP).
    """
    dominated = (tier_fixed < 0) & (weight == 0)
    if dominated.any():
        tier_fixed[dominated] = OPEN
        notes.append(
            f"{int(dominated.sum())} sectors with zero criticality weight fixed open (tiering "
            "them cannot lower dependency or cost)"
        )


# ---------------------------------------------------------------------- flows and capacity
def _pair_sum(c: np.ndarray, s: np.ndarray, w: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Sum of ``w`` per (country ``c``, sector ``s``), as a ``shape`` matrix."""
    return _fsum(c * shape[1] + s, w, shape[0] * shape[1]).reshape(shape)


def _trade_totals(
    dataset: Dataset, countries: pd.Index, sectors: pd.Index, adversary: np.ndarray
) -> _Trade:
    """Flows as codes; D, X, GO, a0 and exports to adversaries per country-sector pair."""
    fl = dataset.flows
    imp = _codes(countries, fl["importer"])
    exp = _codes(countries, fl["exporter"])
    sec = _codes(sectors, fl["sector"])
    val = fl["value"].to_numpy(float)
    shape = (len(countries), len(sectors))
    from_adv = adversary[exp]
    to_adv = adversary[imp]
    return _Trade(
        flow_codes=(imp, exp, sec, val),
        demand=_pair_sum(imp, sec, val, shape),
        exports=_pair_sum(exp, sec, val, shape),
        gross_output=_gross_output(dataset, countries, sectors),
        adversary_imports=_pair_sum(imp[from_adv], sec[from_adv], val[from_adv], shape),
        exports_to_adversaries=_pair_sum(exp[to_adv], sec[to_adv], val[to_adv], shape),
    )


def _gross_output(dataset: Dataset, countries: pd.Index, sectors: pd.Index) -> np.ndarray:
    """GO[j,s] from the dataset's output table, NaN where it has none."""
    go = np.full((len(countries), len(sectors)), np.nan)
    if dataset.output is not None and len(dataset.output):
        o = dataset.output.reset_index()
        oc, os_ = _codes(countries, o["country"]), _codes(sectors, o["sector"])
        ok = (oc >= 0) & (os_ >= 0)
        go[oc[ok], os_[ok]] = o["gross_output"].to_numpy(float)[ok]
    return go


def _capacity(basis: str, trade: _Trade, headroom: np.ndarray, notes: list[str]) -> np.ndarray:
    """cap[j,s]: exports plus headroom on exports, or (basis ``output``) on gross output."""
    go, exports = trade.gross_output, trade.exports
    if basis != "output":
        return (1 + headroom) * exports
    missing = np.isnan(go) & (exports > 0)
    if missing.any():
        notes.append(
            f"capacity basis 'output': {int(missing.sum())} exporter-sector pairs lack gross "
            "output; their capacity uses the exports basis"
        )
    return np.where(np.isnan(go), (1 + headroom) * exports, exports + headroom * go)


def _exposure(scenario: Scenario) -> str:
    """The measure the objective uses: ``parameters.exposure``, with ``auto`` resolved to the
    original rule (effective first-order content when the indirect-exposure rows are on)."""
    exposure = scenario.parameters.exposure
    if exposure == "auto":
        return "first_order" if scenario.constraints.indirect_exposure else "direct"
    return exposure


def look_through_share(
    dataset: Dataset,
    adversaries: list[str],
    countries: pd.Index,
    sectors: pd.Index,
    adversary: np.ndarray,
) -> np.ndarray:
    """lambda[j,s]: adversary value-added content share of j's output in s (all tiers).

    Parameters
    ----------
    dataset : Dataset
        With an input-output network covering every (country, sector) of the instance.
    adversaries : list of str
        The adversary countries.
    countries, sectors : pandas.Index
        The instance's countries and sectors (the rows and columns of the result).
    adversary : numpy.ndarray
        Boolean mask of the adversaries among ``countries`` (their lambda is set to 0:
        imports from adversaries count in full).

    Raises
    ------
    FormulationError
        Naming ``parameters.exposure`` when the dataset has no network or the network lacks
        nodes of the dataset.
    """
    if not dataset.has_network:
        raise FormulationError(
            "parameters.exposure",
            f"'look_through' needs an input-output network; the dataset {dataset.name!r} has "
            "none (add network.npz to its directory, or choose 'first_order')",
        )
    net = dataset.network
    lam = pd.Series(net.adversary_content(adversaries), index=net.nodes)
    wanted = pd.MultiIndex.from_product([countries, sectors], names=net.nodes.names)
    missing = wanted.difference(net.nodes)
    if len(missing):
        first = ", ".join(f"{c}/{s}" for c, s in list(missing)[:5])
        raise FormulationError(
            "parameters.exposure",
            f"the network lacks {len(missing)} country-sector nodes of the dataset ({first})",
        )
    share = lam.reindex(wanted).to_numpy(float, copy=True).reshape(len(countries), len(sectors))
    share[adversary] = 0.0  # imports from adversaries count in full, not at lambda
    return share


def _transshipment(
    trade: _Trade, adversary: np.ndarray, share: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """sigma[j,s] (or the given look-through ``share``) and the baseline indirect content
    sum_{j not in A} sigma[j,s] F0[i,j,s]."""
    imp, exp, sec, val = trade.flow_codes
    demand = trade.demand
    if share is None:
        go = trade.gross_output
        supply = np.where(np.isnan(go), trade.exports, go) + demand
        sigma = np.divide(
            trade.adversary_imports, supply, out=np.zeros(demand.shape), where=supply > 0
        )
    else:
        sigma = share.copy()
    sigma[adversary] = 0.0
    nonadv = ~adversary[exp]
    indirect0 = _pair_sum(
        imp[nonadv], sec[nonadv], val[nonadv] * sigma[exp[nonadv], sec[nonadv]], demand.shape
    )
    return sigma, indirect0


def _gdp_weight(gdp: np.ndarray, focal: np.ndarray) -> np.ndarray:
    """omega_i: GDP share among the focal countries (0 outside Phi)."""
    focal_gdp = gdp[focal].sum()
    if focal_gdp <= 0:
        raise FormulationError("coalition.focal", "focal countries have no GDP")
    return np.where(focal, gdp / focal_gdp, 0.0)


# ---------------------------------------------------------------------- planned pairs and links
def _planned_pairs(
    roles: _Roles, tier_fixed: np.ndarray, demand: np.ndarray, sw: ConstraintSwitches
) -> np.ndarray:
    """Importer-sector pairs whose sourcing may change, flattened (``c * nS + s``)."""
    nC, nS = demand.shape
    importer_ok = _may_be_full(roles.full_fixed) if sw.keep_baseline else np.ones(nC, bool)
    frozen = (tier_fixed == OPEN) if sw.tier_rules else np.zeros(nS, bool)
    return ((importer_ok & roles.candidate)[:, None] & ~frozen[None, :] & (demand > 0)).ravel()


def _allowed_suppliers(roles: _Roles, ally_shoring: bool) -> np.ndarray:
    """Exporters new sourcing may come from: no adversary; with ally-shoring possible members."""
    ok = ~roles.adversary
    if ally_shoring:
        ok &= roles.candidate & _may_be_member(roles.full_fixed, roles.associate_fixed)
    return ok


def _candidate_links(
    flow_codes: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    planned_pair: np.ndarray,
    supplier_ok: np.ndarray,
    exports: np.ndarray,
    top_k: int,
) -> LinkTable:
    """Baseline links of the planned pairs plus new links to the allowed suppliers."""
    imp, exp, sec, val = flow_codes
    nC, nS = exports.shape
    on = planned_pair[imp * nS + sec]
    b_key = (imp[on] * nC + exp[on]) * nS + sec[on]
    n_key = _new_link_keys(
        planned_pair, *_top_suppliers(supplier_ok, exports, top_k), exports.shape
    )
    keys = _union_keys(b_key, n_key, nC * nC * nS)
    baseline = np.zeros(len(keys))
    baseline[np.searchsorted(keys, b_key)] = val[on]
    rest, l_sec = np.divmod(keys, nS)
    l_imp, l_exp = np.divmod(rest, nC)
    return LinkTable(
        importer=l_imp.astype(_I),
        exporter=l_exp.astype(_I),
        sector=l_sec.astype(_I),
        baseline=baseline,
        can_increase=supplier_ok[l_exp],
    )


def _top_suppliers(
    supplier_ok: np.ndarray, exports: np.ndarray, top_k: int
) -> tuple[np.ndarray, np.ndarray]:
    """(exporter, sector) of the allowed suppliers with X > 0, by sector, largest first.

    Ties go by exporter code; with ``top_k`` only the first ``top_k`` of each sector are kept.
    """
    j_idx, s_idx = np.nonzero(supplier_ok[:, None] & (exports > 0))
    order = np.lexsort((j_idx, -exports[j_idx, s_idx], s_idx))
    j_idx, s_idx = j_idx[order], s_idx[order]
    if top_k:
        rank = np.arange(len(s_idx)) - np.searchsorted(s_idx, s_idx)
        keep = rank < top_k
        j_idx, s_idx = j_idx[keep], s_idx[keep]
    return j_idx, s_idx


def _new_link_keys(
    planned_pair: np.ndarray, j_idx: np.ndarray, s_idx: np.ndarray, shape: tuple[int, int]
) -> np.ndarray:
    """Keys ``(i * nC + j) * nS + s`` from every supplier (``j_idx``, ``s_idx`` sorted by
    sector) to every planned pair (i, s) of its sector, without self links."""
    nC, nS = shape
    n_sup = np.bincount(s_idx, minlength=nS)
    start = np.concatenate([[0], np.cumsum(n_sup)[:-1]])
    p_imp, p_sec = np.divmod(np.flatnonzero(planned_pair), nS)
    cnt = n_sup[p_sec]
    within = np.arange(int(cnt.sum()), dtype=_I) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    n_exp = j_idx[np.repeat(start[p_sec], cnt) + within]
    n_imp = np.repeat(p_imp, cnt)
    n_sec = np.repeat(p_sec, cnt)
    other = n_exp != n_imp
    return (n_imp[other] * nC + n_exp[other]) * nS + n_sec[other]


def _union_keys(a: np.ndarray, b: np.ndarray, space: int) -> np.ndarray:
    """Sorted unique keys of ``a`` and ``b`` (all in ``0..space-1``)."""
    if space <= 400_000_000:  # a bit mask over every possible key: linear time, no sort
        mask = np.zeros(space, bool)
        mask[a] = True
        mask[b] = True
        return np.flatnonzero(mask)
    return np.union1d(a, b)
