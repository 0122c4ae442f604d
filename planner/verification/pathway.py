"""Verification of a pathway run: every phase re-checked, and the rules that link the phases.

A pathway run's usual files describe its last phase; :func:`last_phase` gives the checks that
phase's scenario (its budget is the budgets through it). The ``pathway`` check then rebuilds a
context for every phase from ``links_by_phase.csv``, ``domestic_by_phase.csv``,
``investment_by_phase.csv`` (``partnerships_by_phase.csv``), ``pathway.csv`` and
``pathway_tiers.csv``, runs every other registered check on it (rows ``<phase>: <family>``),
and re-checks the linking rules from the tables alone: nobody leaves or is downgraded (no
upgrade without ``pathway.upgrades``), tiers only tighten (or stay fixed), investment stays
built, each phase's cost within the budgets through it, at most ``max_new_members`` accessions
per phase, fixed accessions in their phase and role, and the last phase equal to the usual files.
Nothing here reads the model builders.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from functools import cached_property

import numpy as np
import pandas as pd

from planner.scenario import Scenario, load_scenario, phase_scenario
from planner.verification.context import VerifyContext
from planner.verification.registry import family_check, ordered_checks
from planner.verification.report import VerifyError, VerifyReport, group_sum

__all__ = ["PathwayFiles", "check_pathway", "is_pathway", "last_phase", "phase_context"]

TIER_LEVEL = {"open": 0, "incentivized": 1, "restricted": 2}
INSIDE = ("member", "associate")


def is_pathway(ctx: VerifyContext) -> bool:
    """Whether the run is a pathway (its summary.json has the ``pathway`` key)."""
    return bool(ctx.summary.get("pathway"))


class PathwayFiles:
    """The pathway's own files of a run directory, read once."""

    def __init__(self, ctx: VerifyContext) -> None:
        self.ctx = ctx
        self.scenario: Scenario = load_scenario(ctx.directory / "scenario.toml")
        self.phases: list[str] = list(self.scenario.pathway.phases)

    def _read(self, name: str, required: bool = True) -> pd.DataFrame | None:
        p = self.ctx.directory / name
        if not p.exists():
            if required:
                raise VerifyError(f"{p}: missing; not a complete pathway run directory")
            return None
        return pd.read_csv(p, keep_default_na=False, na_values=[""], dtype={"phase": str})

    @cached_property
    def roles(self) -> pd.DataFrame:
        """``pathway.csv`` indexed by iso3."""
        return self._read("pathway.csv").set_index("iso3")

    @cached_property
    def tiers(self) -> pd.DataFrame:
        """``pathway_tiers.csv`` indexed by sector."""
        return self._read("pathway_tiers.csv").set_index("sector")

    @cached_property
    def by_phase(self) -> dict[str, pd.DataFrame | None]:
        """Links, domestic supply, investment and partnerships with a ``phase`` column."""
        return {
            "links": self._read("links_by_phase.csv"),
            "domestic": self._read("domestic_by_phase.csv"),
            "investment": self._read("investment_by_phase.csv", required=False),
            "partnerships": self._read("partnerships_by_phase.csv", required=False),
        }

    def role(self, phase: str) -> pd.Series:
        """Every country's role in ``phase`` (candidates from pathway.csv, others as run)."""
        return (
            self.roles[f"role_{phase}"]
            .reindex(self.ctx.countries.index)
            .fillna(self.ctx.countries["role"])
        )

    def start_role(self) -> pd.Series:
        """Candidates' roles before the pathway (anchors, fixed members and associates)."""
        co = self.scenario.coalition
        idx = self.roles.index
        role = pd.Series("outside", index=idx, dtype=object)
        role[idx.isin(co.associates)] = "associate"
        role[idx.isin([*co.anchors, *co.members])] = "member"
        return role


def _phase_table(df: pd.DataFrame | None, phase: str) -> pd.DataFrame | None:
    if df is None:
        return None
    return df[df["phase"] == phase].drop(columns="phase").reset_index(drop=True)


def phase_context(ctx: VerifyContext, files: PathwayFiles, k: int) -> VerifyContext:
    """The context of phase ``k``: its tables, roles, tiers, scenario and summary numbers."""
    phase = files.phases[k]
    t = files.by_phase
    countries = ctx.countries.assign(role=files.role(phase))
    sectors = ctx.sectors.assign(tier=files.tiers[f"tier_{phase}"].reindex(ctx.sectors.index))
    s = ctx.summary["pathway"][phase]
    summary = {
        "status": ctx.summary.get("status"),
        "dependency_after": s["dependency_index"],
        "total_cost": s["total_cost"],
    }
    return replace(
        ctx,
        scenario=phase_scenario(files.scenario, k),
        summary=summary,
        links=_phase_table(t["links"], phase),
        domestic=_phase_table(t["domestic"], phase),
        investment=_phase_table(t["investment"], phase),
        partnerships=_phase_table(t["partnerships"], phase),
        countries=countries,
        sectors=sectors,
    )


def last_phase(ctx: VerifyContext) -> VerifyContext:
    """For a pathway run, the context with the last phase's scenario (the usual files hold the
    last phase); any other run unchanged."""
    if not is_pathway(ctx):
        return ctx
    pw = ctx.scenario.pathway
    return replace(ctx, scenario=phase_scenario(ctx.scenario, len(pw.phases) - 1))


@family_check("pathway", active=is_pathway)
def check_pathway(ctx: VerifyContext, report: VerifyReport) -> None:
    """Every phase re-checked by every other check, then the linking rules."""
    files = PathwayFiles(ctx)
    contexts = [phase_context(ctx, files, k) for k in range(len(files.phases))]
    others = [c for c in ordered_checks() if c.name != "pathway"]
    for phase, pctx in zip(files.phases, contexts, strict=True):
        sub = VerifyReport()
        for check in others:
            if check.active(pctx):
                check.run(pctx, sub)
        report.rows += [{**r, "family": f"{phase}: {r['family']}"} for r in sub.rows]
    _check_membership(files, report)
    _check_tiers(files, report)
    _check_investment(files, report)
    _check_budget(files, contexts, report)
    _check_accessions(files, report)
    _check_fixed(files, report)
    _check_last_phase(ctx, files, report)


def _roles_matrix(files: PathwayFiles) -> pd.DataFrame:
    """Candidates x (start, phases) roles."""
    m = pd.DataFrame({p: files.roles[f"role_{p}"] for p in files.phases})
    m.insert(0, "start", files.start_role())
    return m


def _pairs(m: pd.DataFrame, bad) -> tuple[float, str]:
    """Count of (country, phase) steps where ``bad(before, after)``; the first one."""
    cols = list(m.columns)
    hits = []
    for a, b in itertools.pairwise(cols):
        mask = bad(m[a], m[b])
        hits += [f"{c} {a}->{b}" for c in m.index[mask]]
    return float(len(hits)), hits[0] if hits else ""


def _check_membership(files: PathwayFiles, report: VerifyReport) -> None:
    m = _roles_matrix(files)
    n, at = _pairs(m, lambda a, b: a.isin(INSIDE) & ~b.isin(INSIDE))
    report.add("pathway_stay", n, 0, at)
    n, at = _pairs(m, lambda a, b: (a == "member") & (b != "member"))
    report.add("pathway_no_downgrade", n, 0, at)
    if not files.scenario.pathway.upgrades:
        n, at = _pairs(m, lambda a, b: (a == "associate") & (b == "member"))
        report.add("pathway_no_upgrade", n, 0, at)


def _check_tiers(files: PathwayFiles, report: VerifyReport) -> None:
    lv = pd.DataFrame({p: files.tiers[f"tier_{p}"].map(TIER_LEVEL) for p in files.phases})
    step = lv.diff(axis=1).iloc[:, 1:]
    fixed = files.scenario.pathway.tiers == "fixed"
    bad = (step != 0) if fixed else (step < 0)
    where = [f"{s} {p}" for p in bad.columns for s in bad.index[bad[p]]]
    name = "pathway_tier_fixed" if fixed else "pathway_tier_monotone"
    report.add(name, float(len(where)), 0, where[0] if where else "")


def _check_investment(files: PathwayFiles, report: VerifyReport) -> None:
    inv = files.by_phase["investment"]
    keys = ["exporter", "sector"]
    e = pd.DataFrame(
        {p: group_sum(None if inv is None else inv[inv["phase"] == p], keys) for p in files.phases}
    ).fillna(0.0)
    if e.shape[1] < 2 or not len(e):
        report.add("pathway_investment", 0.0)
        return
    fall = (-e.diff(axis=1).iloc[:, 1:]).clip(lower=0.0).max(axis=1)
    k = fall.idxmax()
    report.add("pathway_investment", float(fall[k]), float(e.loc[k].max()), k)


def _check_budget(files: PathwayFiles, contexts: list[VerifyContext], report: VerifyReport) -> None:
    sc = files.scenario
    cum = sc.pathway.cumulative_budgets(sc.parameters.budget)
    over = np.array([c.total_cost - b for c, b in zip(contexts, cum, strict=True)])
    k = int(np.argmax(over))
    report.add("pathway_budget", float(over[k]), cum[k], files.phases[k])


def _check_accessions(files: PathwayFiles, report: VerifyReport) -> None:
    limits = files.scenario.pathway.max_new_members
    if not limits:
        return
    m = _roles_matrix(files)
    cols = list(m.columns)
    entered = [
        int((~m[a].isin(INSIDE) & m[b].isin(INSIDE)).sum()) for a, b in itertools.pairwise(cols)
    ]
    over = np.array(entered, dtype=float) - np.array(limits, dtype=float)
    k = int(np.argmax(over))
    report.add("pathway_accessions", float(over[k]), 0, files.phases[k])


def _check_fixed(files: PathwayFiles, report: VerifyReport) -> None:
    pw = files.scenario.pathway
    m = _roles_matrix(files)
    bad = []
    for key, role in (("fixed", "member"), ("fixed_associates", "associate")):
        for phase, codes in getattr(pw, key).items():
            k = files.phases.index(phase)
            for c in codes:  # the scenario's handful of fixed accessions
                row = m.loc[c]
                early = [p for p in files.phases[:k] if row[p] in INSIDE]
                if early or row[phase] != role:
                    bad.append(f"{c} {phase}")
    report.add("pathway_fixed_accession", float(len(bad)), 0, bad[0] if bad else "")


def _check_last_phase(ctx: VerifyContext, files: PathwayFiles, report: VerifyReport) -> None:
    """links.csv equals the last phase of links_by_phase.csv."""
    keys = ["importer", "exporter", "sector"]
    last = _phase_table(files.by_phase["links"], files.phases[-1]).set_index(keys)["optimized"]
    main = ctx.links.set_index(keys)["optimized"]
    diff = main.sub(last, fill_value=0.0).abs()
    k = diff.idxmax() if len(diff) else ""
    report.add("pathway_last_phase", float(diff.max()) if len(diff) else 0.0, 0, k)
