"""``planner verify RUN_DIR``: check a run's solution from its own files, without the solver.

Reads scenario.toml, links.csv, domestic.csv (+ partnerships.csv, investment.csv),
countries.csv and sectors.csv, reloads the dataset the manifest names (its sha256 must match),
and re-checks every active constraint family of shared/MODEL.md with pandas, then recomputes the
dependency index and compares it with summary.json. Each family reports its worst violation
(USD mn, or shares); anything above the tolerance fails the run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from planner.data.loaders import dataset_sha256
from planner.errors import PlannerError
from planner.interpreter.metrics import dependency_index, pair_metrics
from planner.scenario import load_scenario

__all__ = ["VerifyError", "VerifyReport", "verify_run"]

TOL = 1e-5  # relative to 1 + |right-hand side|


class VerifyError(PlannerError, ValueError):
    """The run directory is incomplete or unreadable (names the file)."""


@dataclass
class VerifyReport:
    """Worst violation per family (absolute and relative to 1 + |rhs|), and the verdict."""

    rows: list[dict] = field(default_factory=list)

    def add(self, family: str, violation: float, scale: float = 0.0, where: object = "") -> None:
        v = max(float(violation), 0.0)
        self.rows.append(
            {"family": family, "worst": v, "relative": v / (1.0 + abs(scale)), "at": str(where)}
        )

    @property
    def table(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=["family", "worst", "relative", "at"])

    @property
    def ok(self) -> bool:
        return bool((self.table["relative"] <= TOL).all())

    def __str__(self) -> str:
        lines = [f"{'family':<28} {'worst violation':>16}  at"]
        for r in self.rows:
            mark = "ok" if r["relative"] <= TOL else "FAIL"
            lines.append(f"{r['family']:<28} {r['worst']:>16.3g}  {r['at']}  {mark}")
        lines.append("verdict: " + ("ok" if self.ok else "FAILED"))
        return "\n".join(lines)


def _worst(values: pd.Series, scale: pd.Series | float = 0.0) -> tuple[float, float, object]:
    """Largest violation (relative to 1 + |scale|), its scale and label; 0 when empty."""
    if not len(values):
        return 0.0, 0.0, ""
    v = values.to_numpy(float)
    if isinstance(scale, pd.Series):
        sc = (
            scale.to_numpy(float)
            if len(scale) == len(values)
            else (scale.reindex(values.index).fillna(0.0).to_numpy(float))
        )
    else:
        sc = np.full(len(v), float(scale))
    k = int(np.argmax(v / (1.0 + np.abs(sc))))
    return float(v[k]), float(sc[k]), (values.index[k] if v[k] > 0 else "")


def _group(df: pd.DataFrame | None, keys: list[str], col: str = "optimized") -> pd.Series:
    """Sum of ``col`` by ``keys``; an empty Series with the named index when there is nothing."""
    if df is None or not len(df):
        empty = pd.MultiIndex.from_arrays([[] for _ in keys], names=keys)
        return pd.Series(0.0, index=empty)[:0]
    return df.groupby(keys)[col].sum()


def _read(d: Path, name: str, required: bool = True) -> pd.DataFrame | None:
    p = d / name
    if not p.exists():
        if required:
            raise VerifyError(f"{p}: missing; not a complete run directory")
        return None
    return pd.read_csv(p, keep_default_na=False, na_values=[""])


def verify_run(directory: str | Path) -> VerifyReport:
    """Re-check a run directory (see the module docstring).

    Raises
    ------
    VerifyError
        A required file is missing, the run has no solution, or the dataset's sha256 differs.
    """
    from planner.runs import load_scenario_dataset

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
    dom = _read(d, "domestic.csv")
    part = _read(d, "partnerships.csv", required=False)
    inv = _read(d, "investment.csv", required=False)
    countries = _read(d, "countries.csv").set_index("iso3")
    sectors = _read(d, "sectors.csv").set_index("sector")
    co, pa, sw = sc.coalition, sc.parameters, sc.constraints
    rep = VerifyReport()

    role = countries["role"]
    members = set(role.index[role == "member"])
    assoc = set(role.index[role == "associate"])
    coalition = members | assoc
    adversaries = set(co.adversaries)
    tier = sectors["tier"]
    keys = ["importer", "sector"]
    lk = links.copy()
    lk["up"] = (lk["optimized"] - lk["baseline"]).clip(lower=0.0)
    lk["change"] = lk["optimized"] - lk["baseline"]
    demand = ds.demand()
    if "candidate" in countries.columns:
        cand = countries.index[countries["candidate"].astype(str).str.lower() == "true"]
    else:
        cand = role.index[role != "adversary"]
    q = _group(dom, keys)
    g = _group(part, keys)
    supplied = lk.groupby(keys)["optimized"].sum().add(q, fill_value=0).add(g, fill_value=0)
    dem = demand[demand.index.get_level_values(0).isin(cand)]

    # 1 demand
    if sw.demand:
        gap = (supplied.reindex(dem.index, fill_value=0.0) - dem).abs()
        rep.add("demand", *_worst(gap, dem))
    # 2 keep_baseline: non-members keep their baseline
    if sw.keep_baseline:
        others = ~lk["importer"].isin(members)
        v = lk.loc[others].set_index([*keys, "exporter"])["change"].abs()
        dq = dom[~dom["importer"].isin(members)].set_index(keys)["optimized"]
        rep.add("keep_baseline", *_worst(pd.concat([v, dq.abs()])))
    # 4 ally-shoring
    if pa.ally_shoring:
        up = lk[lk["up"] > 0]
        bad = up[~up["exporter"].isin(coalition)]
        res_ = up[up["sector"].map(tier).eq("restricted") & ~up["exporter"].isin(members)]
        v = pd.concat([bad, res_]).set_index([*keys, "exporter"])["up"]
        rep.add("ally_shoring", *_worst(v))
    adv_up = lk[lk["exporter"].isin(adversaries)].set_index([*keys, "exporter"])["up"]
    rep.add("no_new_adversary_sourcing", *_worst(adv_up))
    # 5 tier rules (full members)
    mem_links = lk[lk["importer"].isin(members)]
    a = (
        mem_links[mem_links["exporter"].isin(adversaries)]
        .groupby(keys)[["baseline", "optimized"]]
        .sum()
    )
    if sw.tier_rules and len(mem_links):
        t = a.index.get_level_values("sector").map(tier)
        limit = np.where(
            t == "incentivized",
            (1 - pa.incentivized_cut) * a["baseline"],
            np.where(t == "restricted", pa.restricted_residual * a["baseline"], np.inf),
        )
        v = (a["optimized"] - limit).clip(lower=0.0)
        rep.add("tier_rules_cut", *_worst(v, a["baseline"]))
        open_links = mem_links[mem_links["sector"].map(tier).eq("open")]
        v = open_links.set_index([*keys, "exporter"])["change"].abs()
        dq = dom[dom["importer"].isin(members) & dom["sector"].map(tier).eq("open")]
        rep.add("tier_rules_open", *_worst(pd.concat([v, dq.set_index(keys)["optimized"]])))
    # export controls: lost exports of members to adversaries in restricted sectors
    fl = ds.flows
    lost = _group(None, ["exporter", "sector"])
    if sw.export_controls:
        ec = fl[fl["importer"].isin(adversaries) & fl["exporter"].isin(coalition)]
        ec = ec[ec["sector"].map(tier).eq("restricted")]
        lost = (1 - pa.restricted_residual) * ec.groupby(["exporter", "sector"])["value"].sum()
    # 3 capacity, recomputed from the dataset and the scenario
    x = ds.exports()
    st = ds.sectors
    h = st["headroom"] if "headroom" not in ds.defaulted else pd.Series(pa.headroom, index=st.index)
    hx = h.reindex(x.index.get_level_values("sector")).to_numpy()
    if pa.capacity_basis == "output" and ds.output is not None:
        go = ds.gross_output().reindex(x.index)
        cap = pd.Series(np.where(go.isna(), (1 + hx) * x, x + hx * go.fillna(0)), index=x.index)
    else:
        cap = (1 + hx) * x
    e = _group(inv, ["exporter", "sector"])
    change = lk.groupby(["exporter", "sector"])["change"].sum()
    used = x.add(change, fill_value=0.0).sub(lost, fill_value=0.0)
    room = cap.add(e, fill_value=0.0)
    if sw.capacity:
        v = (used - room.reindex(used.index, fill_value=0.0)).clip(lower=0.0)
        v = v[used.index.isin(change.index[change > 0])]
        rep.add("capacity", *_worst(v, room.reindex(v.index, fill_value=0.0)))
    # 7 budget
    prem = st["premium"]
    rho = (
        st["reshoring_cost"]
        if "reshoring_cost" not in ds.defaulted
        else pd.Series(pa.reshoring_cost, index=st.index)
    )
    in_coal = lk["exporter"].isin(coalition)
    unit = lk["sector"].map(prem) * np.where(in_coal, 1 - pa.barrier_cut, 1.0)
    sourcing = float((unit * lk["up"]).sum())
    reshoring = float((dom["sector"].map(rho) * dom["optimized"]).sum()) if len(dom) else 0.0
    partner = float(g.sum()) * pa.leveraging_cost
    kappa = (
        st["investment_cost"]
        if "investment_cost" in st.columns
        else pd.Series(pa.investment_cost, index=st.index)
    )
    invest = float((e.index.get_level_values("sector").map(kappa) * e).sum()) if len(e) else 0.0
    total = sourcing + reshoring + partner + invest
    if sw.budget:
        rep.add("budget", total - pa.budget, pa.budget, "total")
        if pa.burden_sharing:
            own = (unit * lk["up"]).groupby(lk["importer"]).sum()
            if len(dom):
                own = own.add(
                    (dom["sector"].map(rho) * dom["optimized"]).groupby(dom["importer"]).sum(),
                    fill_value=0,
                )
            gdp = countries["gdp"]
            share = gdp[list(members)] / gdp[list(members)].sum()
            v = (own.reindex(share.index, fill_value=0) - pa.budget * share).clip(lower=0)
            rep.add("burden_sharing", *_worst(v, pa.budget * share))
    rep.add("cost_matches_summary", abs(total - float(summary["total_cost"])), total, "total")
    # 8 openness
    if sw.openness:
        vol = fl[fl["importer"].isin(members)]["value"].sum()
        drop = -float(lk.loc[lk["importer"].isin(members), "change"].sum()) + float(lost.sum())
        rep.add("openness_volume", drop - pa.max_volume_drop * vol, vol, "total")
        v_s = demand[demand.index.get_level_values(0).isin(cand)].groupby(level="sector").sum()
        open_share = v_s[v_s.index.map(tier) == "open"].sum()
        rep.add(
            "openness_open_share", pa.min_open_share * v_s.sum() - open_share, v_s.sum(), "total"
        )
        rep.add(
            "openness_max_restricted",
            float((tier == "restricted").sum() - sc.sectors.max_restricted),
            0,
            "total",
        )
    # 9 coalition shape
    if sw.coalition_shape:
        n = len(coalition)
        rep.add("coalition_size", max(co.min_size - n, n - co.max_size, 0), 0, "count")
        gdp_all = ds.countries["gdp"].sum()
        covered = ds.countries.loc[list(coalition), "gdp"].sum() if coalition else 0.0
        rep.add("coalition_gdp", co.min_gdp_share * gdp_all - covered, gdp_all, "total")
        reg = ds.countries["regime"]
        bad_full = [c for c in members if reg[c] < co.full_threshold - 1e-12]
        bad_assoc = [c for c in assoc if reg[c] < co.associate_threshold - 1e-12]
        rep.add("eligibility", float(len(bad_full) + len(bad_assoc)), 0, bad_full + bad_assoc)
        rep.add(
            "anchors", float(len(set(co.anchors) - members)), 0, sorted(set(co.anchors) - members)
        )
    # 10 participation
    if sw.participation:
        own = (unit * lk["up"]).groupby(lk["importer"]).sum()
        if len(dom):
            own = own.add(
                (dom["sector"].map(rho) * dom["optimized"]).groupby(dom["importer"]).sum(),
                fill_value=0,
            )
        gain = lk.groupby("exporter")["change"].sum().sub(lost.groupby(level=0).sum(), fill_value=0)
        who = sorted(coalition - set(co.anchors))
        v = (
            own.reindex(who, fill_value=0)
            - pa.participation_margin * gain.reindex(who, fill_value=0)
        ).clip(lower=0)
        rep.add("participation", *_worst(v, own.reindex(who, fill_value=0)))
    # 11 coercion
    if sw.coercion:
        crit = set(st.index[st["weight"] > 0])
        spare = (room.reindex(used.index, fill_value=0.0) - used).clip(lower=0.0)
        spare = spare[spare.index.get_level_values(0).isin(coalition)]
        by_s = spare.groupby(level="sector").sum()
        need = a[a.index.get_level_values("sector").isin(crit)]["optimized"] * pa.coercion_cover
        own_spare = spare.reindex(
            pd.MultiIndex.from_arrays(
                [need.index.get_level_values(0), need.index.get_level_values(1)]
            ),
            fill_value=0.0,
        ).to_numpy()
        avail = (
            by_s.reindex(need.index.get_level_values("sector"), fill_value=0.0).to_numpy()
            - own_spare
        )
        v = pd.Series(need.to_numpy() - avail, index=need.index).clip(lower=0)
        rep.add("coercion", *_worst(v, need))

    # strategic leveraging: partnership supply only for full members, in listed sectors
    # outside the restricted tier, up to lambda a0
    if len(g):
        a0_all = ds.adversary_imports(sorted(adversaries))
        lev = set(sc.sectors.leveraging)
        allowed = pd.Series(
            [
                sw.strategic_leveraging
                and i in members
                and s in lev
                and tier.get(s) != "restricted"
                for i, s in g.index
            ],
            index=g.index,
        )
        limit = pa.leveraging_share * a0_all.reindex(g.index, fill_value=0.0) * allowed
        rep.add("strategic_leveraging", *_worst((g - limit).clip(lower=0.0), limit))
    # indirect exposure: members' effective adversary content not above its baseline
    if sw.indirect_exposure:
        go = ds.gross_output()
        supply = go.reindex(x.index).fillna(x) if len(go) else x
        supply = supply.add(demand.rename_axis(["exporter", "sector"]), fill_value=0.0)
        a0_js = ds.adversary_imports(sorted(adversaries)).rename_axis(["exporter", "sector"])
        sigma = (a0_js.reindex(supply.index, fill_value=0.0) / supply.where(supply > 0)).fillna(0.0)
        sigma = sigma[~sigma.index.get_level_values(0).isin(adversaries)]
        d_pos = dem[dem > 0].rename_axis(keys)
        before = pair_metrics(links, "baseline", adversaries, coalition, d_pos, sigma)["effective"]
        after = pair_metrics(links, "optimized", adversaries, coalition, d_pos, sigma)["effective"]
        after = after.add(g.reindex(after.index, fill_value=0.0), fill_value=0.0)
        crit = set(st.index[st["weight"] > 0])
        lv0, lv1 = after.index.get_level_values(0), after.index.get_level_values(1)
        mine = lv0.isin(members) & lv1.isin(crit)
        v = (after[mine] - before[mine]).clip(lower=0.0)
        rep.add("indirect_exposure", *_worst(v, before[mine]))

    # dependency index, recomputed from the tables
    focal = countries["focal"].astype(bool)
    omega = (countries["gdp"] * focal) / float((countries["gdp"] * focal).sum())
    w = st["weight"] / st["weight"].sum()
    sigma = None
    d_pos = dem[dem > 0].rename_axis(keys)
    m_after = pair_metrics(links, "optimized", adversaries, coalition, d_pos, sigma)
    di, _ = dependency_index(m_after, omega, w)
    rep.add("dependency_index", abs(di - float(summary["dependency_after"])), di, "DI")
    return rep
