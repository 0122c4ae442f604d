"""The model's sets and parameters (MODEL.md) computed from a dataset and a scenario.

Everything is a numpy array over integer codes: countries ``0..nC-1`` and sectors ``0..nS-1``
in dataset order, country-sector pairs flattened as ``c * nS + s``, and candidate links
(importer, exporter, sector) as parallel arrays. No Python loop runs over links or pairs.

Which decisions are free is settled here: a country's full membership ``y`` and associate
membership ``z`` and a sector's tier ``t`` are either fixed (a number) or free (``NaN`` /
``-1``). The four problems of MODEL.md differ only in these arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planner.data.dataset import ROW, Dataset
from planner.errors import PlannerError
from planner.scenario import TIERS, Scenario

__all__ = [
    "INCENTIVIZED",
    "OPEN",
    "RESTRICTED",
    "FormulationError",
    "Instance",
    "LinkTable",
    "build_instance",
]

RESTRICTED, INCENTIVIZED, OPEN = (TIERS.index(t) for t in ("restricted", "incentivized", "open"))
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
    """Sets and parameters of one model instance (MODEL.md symbols in brackets).

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
    transshipment_share: np.ndarray  # sigma[j,s]
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
        return np.isnan(self.full_fixed) | (self.full_fixed > 0.5)

    @property
    def may_be_member(self) -> np.ndarray:
        """Countries that can be in the coalition (full member or associate)."""
        return self.may_be_full | np.isnan(self.associate_fixed) | (self.associate_fixed > 0.5)

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


def build_instance(dataset: Dataset, scenario: Scenario) -> Instance:
    """Compute the sets, parameters and candidate links of MODEL.md.

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
    co, pa, sw = scenario.coalition, scenario.parameters, scenario.constraints
    notes: list[str] = []
    countries = pd.Index(dataset.countries.index, name="iso3")
    sectors = pd.Index(dataset.sectors.index, name="sector")
    nC, nS = len(countries), len(sectors)
    gdp = dataset.countries["gdp"].to_numpy(float)
    regime = dataset.countries["regime"].to_numpy(float)

    # ---------------------------------------------------------------- sets
    adversary = _country_list(co.adversaries, countries, "coalition.adversaries")
    if isinstance(co.candidates, str):
        candidate = ~adversary & (countries != ROW)
    else:
        candidate = _country_list(co.candidates, countries, "coalition.candidates")
        bad = countries[candidate & adversary].tolist()
        if bad:
            raise FormulationError(
                "coalition.candidates", f"adversaries {bad} cannot be candidates"
            )
    anchors = _country_list(co.anchors, countries, "coalition.anchors")
    members = _country_list(co.members, countries, "coalition.members")
    associates = _country_list(co.associates, countries, "coalition.associates")
    for key, mask in (
        ("coalition.anchors", anchors),
        ("coalition.members", members),
        ("coalition.associates", associates),
    ):
        outside = countries[mask & ~candidate].tolist()
        if outside:
            raise FormulationError(key, f"{outside} are not candidates (coalition.candidates)")

    if sw.coalition_shape:
        full_ok = regime >= co.full_threshold
        assoc_ok = regime >= co.associate_threshold
        for key, mask, ok, th in (
            ("coalition.anchors", anchors, full_ok, "full_threshold"),
            ("coalition.members", members, full_ok, "full_threshold"),
            ("coalition.associates", associates, assoc_ok, "associate_threshold"),
        ):
            bad = np.flatnonzero(mask & ~ok)
            if len(bad):
                detail = ", ".join(f"{countries[k]} ({regime[k]:.3f})" for k in bad[:5])
                raise FormulationError(
                    key,
                    f"regime score below coalition.{th} = {getattr(co, th)}: {detail}; "
                    "lower the threshold or switch constraints.coalition_shape off",
                )
    else:
        full_ok = np.ones(nC, bool)
        assoc_ok = np.ones(nC, bool)

    full_fixed = np.zeros(nC)
    assoc_fixed = np.zeros(nC)
    if co.choose_members:
        full_fixed[candidate & full_ok] = np.nan
        assoc_fixed[candidate & assoc_ok] = np.nan
    fixed_full = anchors | members
    full_fixed[fixed_full] = 1.0
    assoc_fixed[fixed_full] = 0.0
    full_fixed[associates] = 0.0
    assoc_fixed[associates] = 1.0

    if isinstance(co.focal, str):
        focal = candidate.copy()
    else:
        focal = _country_list(co.focal, countries, "coalition.focal")
        outside = countries[focal & ~candidate].tolist()
        if outside:
            raise FormulationError("coalition.focal", f"{outside} are not candidates")
    if not focal.any():
        raise FormulationError("coalition.focal", "no focal country")

    tier_fixed = np.full(nS, -1 if scenario.sectors.choose_tiers else OPEN, dtype=_I)
    unknown = sorted(set(scenario.sectors.tiers) - set(sectors))
    if unknown:
        raise FormulationError(f"sectors.tiers.{unknown[0]}", "unknown sector code")
    unknown = sorted(set(scenario.sectors.leveraging) - set(sectors))
    if unknown:
        raise FormulationError("sectors.leveraging", f"unknown sector code(s) {unknown}")
    for sec, tier in scenario.sectors.tiers.items():
        tier_fixed[sectors.get_loc(sec)] = TIERS.index(tier)

    # ---------------------------------------------------------------- flows as codes
    fl = dataset.flows
    imp = _codes(countries, fl["importer"])
    exp = _codes(countries, fl["exporter"])
    sec = _codes(sectors, fl["sector"])
    val = fl["value"].to_numpy(float)
    nCS = nC * nS
    demand = _fsum(imp * nS + sec, val, nCS).reshape(nC, nS)
    exports = _fsum(exp * nS + sec, val, nCS).reshape(nC, nS)
    from_adv = adversary[exp]
    adv_imports = _fsum(imp[from_adv] * nS + sec[from_adv], val[from_adv], nCS).reshape(nC, nS)
    to_adv = adversary[imp]
    exp_to_adv = _fsum(exp[to_adv] * nS + sec[to_adv], val[to_adv], nCS).reshape(nC, nS)
    go = np.full((nC, nS), np.nan)
    if dataset.output is not None and len(dataset.output):
        o = dataset.output.reset_index()
        oc, os_ = _codes(countries, o["country"]), _codes(sectors, o["sector"])
        ok = (oc >= 0) & (os_ >= 0)
        go[oc[ok], os_[ok]] = o["gross_output"].to_numpy(float)[ok]

    # ---------------------------------------------------------------- sector parameters
    st = dataset.sectors

    def sector_param(col: str, scenario_value: float) -> np.ndarray:
        if col in st.columns and col not in dataset.defaulted:
            return st[col].to_numpy(float)
        return np.full(nS, float(scenario_value))

    headroom = sector_param("headroom", pa.headroom)
    reshoring = sector_param("reshoring_cost", pa.reshoring_cost)
    investment = sector_param("investment_cost", pa.investment_cost)
    premium = st["premium"].to_numpy(float)
    weight = st["weight"].to_numpy(float)
    if weight.sum() <= 0:
        raise FormulationError(
            "sectors (weight column)",
            "no sector has a positive criticality weight w_s, so dependency is undefined",
        )
    weight_share = weight / weight.sum()
    # Dominance: tiering a sector of zero criticality weight cannot lower dependency or cost; it
    # only forces cuts, bars suppliers, loses exports and open share. Such sectors are fixed
    # open unless the scenario lists them in sectors.tiers (a 4x smaller default MILP).
    dominated = (tier_fixed < 0) & (weight == 0)
    if dominated.any():
        tier_fixed[dominated] = OPEN
        notes.append(
            f"{int(dominated.sum())} sectors with zero criticality weight fixed open (tiering "
            "them cannot lower dependency or cost)"
        )

    if pa.capacity_basis == "output":
        missing = np.isnan(go) & (exports > 0)
        if missing.any():
            notes.append(
                f"capacity basis 'output': {int(missing.sum())} exporter-sector pairs lack gross "
                "output; their capacity uses the exports basis"
            )
        capacity = np.where(np.isnan(go), (1 + headroom) * exports, exports + headroom * go)
    else:
        capacity = (1 + headroom) * exports

    supply = np.where(np.isnan(go), exports, go) + demand
    sigma = np.divide(adv_imports, supply, out=np.zeros((nC, nS)), where=supply > 0)
    sigma[adversary] = 0.0
    # baseline indirect content: sum over non-adversary exporters of sigma[j,s] F0[i,j,s]
    nonadv = ~from_adv
    indirect0 = _fsum(
        imp[nonadv] * nS + sec[nonadv], val[nonadv] * sigma[exp[nonadv], sec[nonadv]], nCS
    ).reshape(nC, nS)

    focal_gdp = gdp[focal].sum()
    if focal_gdp <= 0:
        raise FormulationError("coalition.focal", "focal countries have no GDP")
    gdp_weight = np.where(focal, gdp / focal_gdp, 0.0)
    import_volume = demand.sum(axis=1)
    sector_volume = demand[candidate].sum(axis=0)

    # ---------------------------------------------------------------- planned pairs
    may_full = np.isnan(full_fixed) | (full_fixed > 0.5)
    planned_importer = (may_full if sw.keep_baseline else np.ones(nC, bool)) & candidate
    frozen = (tier_fixed == OPEN) if sw.tier_rules else np.zeros(nS, bool)
    planned_pair = (planned_importer[:, None] & ~frozen[None, :] & (demand > 0)).ravel()

    # ---------------------------------------------------------------- candidate links
    may_member = may_full | np.isnan(assoc_fixed) | (assoc_fixed > 0.5)
    supplier_ok = ~adversary.copy()
    if pa.ally_shoring:
        supplier_ok &= candidate & may_member
    links = _candidate_links(
        imp, exp, sec, val, planned_pair, supplier_ok, exports, pa.top_k_new_suppliers, nC, nS
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
        adversary=adversary,
        candidate=candidate,
        focal=focal,
        full_fixed=full_fixed,
        associate_fixed=assoc_fixed,
        tier_fixed=tier_fixed,
        demand=demand,
        exports=exports,
        gross_output=go,
        adversary_imports=adv_imports,
        exports_to_adversaries=exp_to_adv,
        capacity=capacity,
        transshipment_share=sigma,
        weight=weight,
        sector_category=(
            st["category"].astype(str).to_numpy()
            if "category" in st.columns
            else np.full(nS, "other")
        ),
        weight_share=weight_share,
        gdp_weight=gdp_weight,
        headroom=headroom,
        premium=premium,
        reshoring_cost=reshoring,
        investment_cost=investment,
        import_volume=import_volume,
        sector_volume=sector_volume,
        baseline_indirect=indirect0,
        planned_pair=planned_pair,
        links=links,
        flow_codes=(imp, exp, sec, val),
        notes=notes,
    )


def _candidate_links(
    imp: np.ndarray,
    exp: np.ndarray,
    sec: np.ndarray,
    val: np.ndarray,
    planned_pair: np.ndarray,
    supplier_ok: np.ndarray,
    exports: np.ndarray,
    top_k: int,
    nC: int,
    nS: int,
) -> LinkTable:
    """Baseline links of the planned pairs plus new links to the allowed suppliers."""
    pair = imp * nS + sec
    on = planned_pair[pair]
    b_key = (imp[on] * nC + exp[on]) * nS + sec[on]
    b_val = val[on]

    # suppliers per sector: allowed exporters with X > 0, largest first (ties by code)
    j_idx, s_idx = np.nonzero(supplier_ok[:, None] & (exports > 0))
    order = np.lexsort((j_idx, -exports[j_idx, s_idx], s_idx))
    j_idx, s_idx = j_idx[order], s_idx[order]
    if top_k:
        rank = np.arange(len(s_idx)) - np.searchsorted(s_idx, s_idx)
        keep = rank < top_k
        j_idx, s_idx = j_idx[keep], s_idx[keep]
    n_sup = np.bincount(s_idx, minlength=nS)
    start = np.concatenate([[0], np.cumsum(n_sup)[:-1]])

    p = np.flatnonzero(planned_pair)
    p_imp, p_sec = p // nS, p % nS
    cnt = n_sup[p_sec]
    total = int(cnt.sum())
    within = np.arange(total, dtype=_I) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    n_exp = j_idx[np.repeat(start[p_sec], cnt) + within]
    n_imp = np.repeat(p_imp, cnt)
    n_sec = np.repeat(p_sec, cnt)
    self_link = n_exp == n_imp
    n_key = (n_imp[~self_link] * nC + n_exp[~self_link]) * nS + n_sec[~self_link]

    space = nC * nC * nS
    if space <= 400_000_000:  # a bit mask over every possible key: linear time, no sort
        mask = np.zeros(space, bool)
        mask[b_key] = True
        mask[n_key] = True
        keys = np.flatnonzero(mask)
    else:
        keys = np.union1d(b_key, n_key)
    baseline = np.zeros(len(keys))
    baseline[np.searchsorted(keys, b_key)] = b_val
    l_sec = keys % nS
    rest = keys // nS
    l_exp = rest % nC
    l_imp = rest // nC
    return LinkTable(
        importer=l_imp.astype(_I),
        exporter=l_exp.astype(_I),
        sector=l_sec.astype(_I),
        baseline=baseline,
        can_increase=supplier_ok[l_exp],
    )
