"""A solved pathway back into tables, a story and a chart: who joins when, and why.

:func:`interpret_pathway` decodes every phase of a solved
:class:`~formulations.pathway.PathwayModel` by its labels, interprets the last phase like a
single-phase run (so the run directory's usual files keep their meaning for the last phase), and
prices each accession at its phase: the phase's sourcing LP without the country (its tiers and
everyone else's roles held) against the pathway's plan. :func:`write_pathway_files` writes
``pathway.csv``, ``pathway_phases.csv``, ``pathway_tiers.csv``, ``links_by_phase.csv`` (and the
phase tables of domestic supply, investment and partnerships that ``planner verify`` re-checks),
the chart, and the report section; it returns the ``pathway`` keys of summary.json.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from formulations.model import Plan
from formulations.pathway import PathwayModel
from formulations.problems import sourcing_lp
from planner.data.dataset import Dataset
from planner.interpreter.core import Interpretation, interpret
from planner.interpreter.metrics import tag
from planner.scenario import phase_scenario
from planner.solver import SolveOptions, SolveResult, Status, solve

__all__ = [
    "PathwayInterpretation",
    "interpret_pathway",
    "pathway_markdown",
    "phase_result",
    "write_pathway_files",
]

FLOAT_FORMAT = "%.10g"


@dataclass
class PathwayInterpretation:
    """What an analyst reads about a solved pathway.

    Attributes
    ----------
    name : str
        Scenario name.
    model : PathwayModel
        The built pathway.
    result : SolveResult
        The solve of the combined program.
    plans : list of Plan
        Each phase's plan, in phase order.
    last : Interpretation or None
        The last phase interpreted like a single-phase run (None for a comparator).
    tables : dict of str to pandas.DataFrame
        ``pathway`` (country, phase joined, role in each phase), ``phases`` (members, DI,
        cost per phase), ``tiers`` (sector, tier per phase), ``accessions`` (each accession
        and upgrade with its marginal value), ``links``, ``domestic``, ``investment`` and
        ``partnerships`` with a ``phase`` column.
    free : PathwayInterpretation or None
        The optimizer's free order under the same budgets and limits, when it was solved.
    """

    name: str
    model: PathwayModel
    result: SolveResult
    plans: list[Plan]
    last: Interpretation | None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    free: PathwayInterpretation | None = None

    @property
    def phases(self) -> list[str]:
        """Phase labels."""
        return self.model.phases

    @property
    def objective(self) -> float:
        """The pathway's objective (weighted DI, or weighted cost)."""
        return float(self.result.objective)

    def summary(self) -> dict[str, dict]:
        """summary.json's ``pathway``: phase -> members, associates, tiers, DI, cost, budget."""
        ph = self.tables["phases"]
        out = {}
        for k, (label, plan) in enumerate(zip(self.phases, self.plans, strict=True)):
            row = ph.iloc[k]
            out[label] = {
                "members": plan.members,
                "associates": plan.associates,
                "joined": _split(row["joined"]),
                "joined_as_associate": _split(row["joined_as_associate"]),
                "upgraded": _split(row["upgraded"]),
                "tiers": {s: str(t) for s, t in plan.tiers.items() if t != "open"},
                "dependency_index": float(row["dependency_after"]),
                "total_cost": float(row["total_cost"]),
                "budget": float(row["budget"]),
                "weight": float(row["weight"]),
            }
        return out


def phase_result(pm: PathwayModel, result: SolveResult, k: int) -> SolveResult:
    """Phase ``k`` of a pathway solve as a one-phase result on the base program's columns.

    Values and duals are those of the phase's copy; the duals (and reduced costs) are divided
    by the phase's objective weight, so they read as d(phase objective) / d(right-hand side);
    the objective is the phase's own (its DI with the tie-break, or its cost).
    """
    base, comb = pm.base.program, pm.program
    x = pm.phase_x(result.x, k) if len(result.x) else result.x
    w = pm.weights[k]
    scale = 1.0 / w if w > 0 else math.nan

    def by_block(values: dict[str, pd.Series]) -> dict[str, pd.Series]:
        out = {}
        for name, b in base.blocks.items():
            s = values.get(name)
            if s is None:
                continue
            pos = pm.replicas.columns(k)[b.columns] - comb.block(name).offset
            out[name] = pd.Series(s.to_numpy()[pos], index=b.labels, name=name)
        return out

    duals = {}
    for name, f in base.families.items():
        s = result.duals.get(name)
        if s is not None:
            pos = pm.replicas.rows(name, k) - comb.family(name).offset
            duals[name] = pd.Series(s.to_numpy()[pos] * scale, index=f.labels, name=name)
    rc = {n: s * scale for n, s in by_block(result.reduced_costs).items()}
    objective = base.objective_value(x) if len(x) and result.has_solution else result.objective
    return replace(
        result,
        x=x,
        values=by_block(result.values),
        duals=duals,
        reduced_costs=rc,
        objective=float(objective),
    )


def interpret_pathway(
    pm: PathwayModel,
    result: SolveResult,
    dataset: Dataset | None = None,
    options: SolveOptions | None = None,
    marginal: bool = True,
    last: bool = True,
) -> PathwayInterpretation:
    """Decode, tabulate and explain a solved pathway.

    Parameters
    ----------
    pm : PathwayModel
        The built pathway.
    result : SolveResult
        Its solve; must hold a solution.
    dataset : Dataset, optional
        The dataset (needed for the marginal values and the look-through measure).
    options : SolveOptions, optional
        Options of the sourcing LPs that price the accessions.
    marginal : bool
        Price each accession and upgrade (one sourcing LP each; needs ``dataset``).
    last : bool
        Interpret the last phase like a single-phase run.

    Returns
    -------
    PathwayInterpretation
    """
    result.raise_for_status()
    plans = pm.plans(result.x)
    n = len(pm.phases)
    it_last = None
    if last:
        k = n - 1
        it_last = interpret(pm.phase_model(k), phase_result(pm, result, k), dataset=dataset)
    tables = {
        "pathway": _roles_table(pm, plans),
        "phases": _phases_table(pm, plans),
        "tiers": _tiers_table(pm, plans),
        **_flow_tables(pm, plans),
    }
    acc = _accessions_table(pm, plans)
    if marginal and dataset is not None:
        acc = _price_accessions(pm, plans, acc, dataset, options or SolveOptions())
    tables["accessions"] = acc
    return PathwayInterpretation(pm.scenario.name, pm, result, plans, it_last, tables)


# ---------------------------------------------------------------------- tables
def _split(text: str) -> list[str]:
    return [t for t in str(text).split(";") if t]


def _role_matrix(pm: PathwayModel, plans: list[Plan]) -> pd.DataFrame:
    """Role of every candidate in every phase (countries x phases)."""
    inst = pm.instance
    roles = pd.DataFrame({label: p.roles for label, p in zip(pm.phases, plans, strict=True)})
    return roles[inst.candidate]


def _start_roles(pm: PathwayModel) -> pd.Series:
    """Each candidate's role before the pathway (anchors and fixed members or associates)."""
    inst = pm.instance
    y = np.nan_to_num(inst.full_fixed, nan=0.0) > 0.5
    z = np.nan_to_num(inst.associate_fixed, nan=0.0) > 0.5
    role = np.where(y, "member", np.where(z, "associate", "outside"))
    return pd.Series(role, index=inst.countries)[inst.candidate]


def _roles_table(pm: PathwayModel, plans: list[Plan]) -> pd.DataFrame:
    """pathway.csv: iso3, joined (phase, or ``start``), joined_as, full_member_from, role per
    phase (``role_<phase>``)."""
    roles = _role_matrix(pm, plans)
    start = _start_roles(pm)
    inside = roles.isin(["member", "associate"]).to_numpy()
    full = (roles == "member").to_numpy()
    phases = np.asarray(pm.phases, dtype=object)
    first_in = np.where(inside.any(axis=1), inside.argmax(axis=1), -1)
    first_full = np.where(full.any(axis=1), full.argmax(axis=1), -1)
    at_start = (start != "outside").to_numpy()
    joined = np.where(at_start, "start", np.where(first_in >= 0, phases[first_in], ""))
    rows = np.arange(len(roles))
    joined_as = np.where(first_in >= 0, roles.to_numpy()[rows, np.maximum(first_in, 0)], "")
    joined_as = np.where(at_start, start.to_numpy(), joined_as)
    full_from = np.where(first_full >= 0, phases[np.maximum(first_full, 0)], "")
    full_from = np.where(at_start & (start == "member").to_numpy(), "start", full_from)
    table = pd.DataFrame(
        {
            "iso3": roles.index,
            "joined": joined,
            "joined_as": joined_as,
            "full_member_from": full_from,
            **{f"role_{p}": roles[p].to_numpy() for p in pm.phases},
        }
    )
    order = np.lexsort((table["iso3"], _phase_rank(pm, table["joined"])))
    return tag(table.iloc[order].reset_index(drop=True), "pathway", "")


def _phase_rank(pm: PathwayModel, joined: pd.Series) -> np.ndarray:
    rank = {"start": -1, **{p: k for k, p in enumerate(pm.phases)}, "": len(pm.phases)}
    return joined.map(rank).to_numpy()


def _changes(pm: PathwayModel, plans: list[Plan]) -> list[dict[str, list[str]]]:
    """Per phase: who joined as full member, as associate, who was upgraded."""
    roles = _role_matrix(pm, plans)
    prev = _start_roles(pm)
    out = []
    for p in pm.phases:
        now = roles[p]
        entered = now.isin(["member", "associate"]) & (prev == "outside")
        out.append(
            {
                "joined": sorted(now.index[entered & (now == "member")]),
                "joined_as_associate": sorted(now.index[entered & (now == "associate")]),
                "upgraded": sorted(now.index[(prev == "associate") & (now == "member")]),
            }
        )
        prev = now
    return out


def _phases_table(pm: PathwayModel, plans: list[Plan]) -> pd.DataFrame:
    """pathway_phases.csv: one row per phase."""
    changes = _changes(pm, plans)
    eff = pm.instance.effective_objective
    key = "effective_dependency" if eff else "dependency"
    rows = []
    for k, (label, plan) in enumerate(zip(pm.phases, plans, strict=True)):
        t = plan.totals
        rows.append(
            {
                "phase": label,
                "weight": float(pm.weights[k]),
                "budget": float(pm.budgets[k]),
                "target": float(pm.targets[k]) if pm.objective_kind == "cost" else math.nan,
                "dependency_before": t["dependency_before"],
                "dependency_after": t["dependency_after"],
                "objective_dependency": t[f"{key}_after"],
                "total_cost": t["total_cost"],
                "members": len(plan.members),
                "associates": len(plan.associates),
                **{name: ";".join(v) for name, v in changes[k].items()},
                "restricted": ";".join(sorted(plan.tiers.index[plan.tiers == "restricted"])),
                "incentivized": ";".join(sorted(plan.tiers.index[plan.tiers == "incentivized"])),
            }
        )
    return tag(pd.DataFrame(rows), "pathway_phases", "")


def _tiers_table(pm: PathwayModel, plans: list[Plan]) -> pd.DataFrame:
    """pathway_tiers.csv: sector, tier per phase (``tier_<phase>``)."""
    data = {f"tier_{p}": plan.tiers.to_numpy() for p, plan in zip(pm.phases, plans, strict=True)}
    table = pd.DataFrame({"sector": pm.instance.sectors, **data})
    return tag(table, "pathway_tiers", "")


def _flow_tables(pm: PathwayModel, plans: list[Plan]) -> dict[str, pd.DataFrame]:
    """Links, domestic supply, investment and partnerships of every phase (``phase`` first)."""
    out = {}
    for name, get in (
        ("links", lambda p: p.links),
        ("domestic", lambda p: p.domestic[["importer", "sector", "optimized", "unit_cost"]]),
        ("investment", lambda p: p.investment),
        ("partnerships", lambda p: p.partnership),
    ):
        parts = [get(p) for p in plans]
        if any(part is None for part in parts):
            continue
        frames = [part.assign(phase=label) for part, label in zip(parts, pm.phases, strict=True)]
        df = pd.concat(frames, ignore_index=True)
        out[name] = tag(df[["phase", *parts[0].columns]], f"{name}_by_phase", "USD mn")
    return out


def _accessions_table(pm: PathwayModel, plans: list[Plan]) -> pd.DataFrame:
    """Every accession and upgrade: phase, iso3, change, the phase's DI with it."""
    rows = []
    for k, ch in enumerate(_changes(pm, plans)):
        di = plans[k].totals[_di_key(pm)]
        for change, who in (
            ("joins as full member", ch["joined"]),
            ("joins as associate", ch["joined_as_associate"]),
            ("becomes a full member", ch["upgraded"]),
        ):
            rows += [
                {"phase": pm.phases[k], "iso3": c, "change": change, "phase_dependency": di}
                for c in who
            ]
    cols = ["phase", "iso3", "change", "phase_dependency"]
    table = pd.DataFrame(rows, columns=cols)
    table["dependency_without"] = math.nan
    table["marginal_value"] = math.nan
    table["feasible_without"] = True
    return tag(table, "pathway_accessions", "DI")


def _di_key(pm: PathwayModel) -> str:
    return "effective_dependency_after" if pm.instance.effective_objective else "dependency_after"


def _price_accessions(
    pm: PathwayModel,
    plans: list[Plan],
    table: pd.DataFrame,
    dataset: Dataset,
    options: SolveOptions,
) -> pd.DataFrame:
    """Marginal value of each accession at its phase: the DI of the phase's sourcing LP
    without it (outside, or still an associate for an upgrade) minus the phase's DI."""
    table = table.copy()
    phase_of = {p: k for k, p in enumerate(pm.phases)}
    measure = pm.base.dependency_measure()
    for r, row in enumerate(table.itertuples(index=False)):  # one LP per accession
        k = phase_of[row.phase]
        plan = plans[k]
        members = [c for c in plan.members if c != row.iso3]
        associates = [c for c in plan.associates if c != row.iso3]
        if row.change == "becomes a full member":
            associates.append(row.iso3)
        sc = phase_scenario(pm.scenario, k)
        model = sourcing_lp(
            dataset, sc, members, associates, dict(plan.tiers.items()), objective="dependency"
        )
        res = solve(model.program, sc.solver.backend, options)
        if res.status is Status.OPTIMAL:
            without = float(model.evaluate(measure, res.x)[0])
            table.loc[r, "dependency_without"] = without
            table.loc[r, "marginal_value"] = without - row.phase_dependency
        elif res.status is Status.INFEASIBLE:
            table.loc[r, "feasible_without"] = False
    return table


# ---------------------------------------------------------------------- report and chart
def _money(v: float) -> str:
    return f"USD {v:,.1f} mn"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _words(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _phase_sentences(pi: PathwayInterpretation) -> list[str]:
    """One paragraph per phase: who joins, who is upgraded, tiers, DI and cost, and why."""
    ph, acc = pi.tables["phases"], pi.tables["accessions"]
    out = []
    for row in ph.itertuples(index=False):
        parts = []
        for names, verb, role in (
            (_split(row.joined), "join", "full member"),
            (_split(row.joined_as_associate), "join", "associate"),
            (_split(row.upgraded), "become", "full member"),
        ):
            if names:
                one = len(names) == 1
                as_ = "as " if verb == "join" else ""
                parts.append(
                    f"{_words(names)} {verb}{'s' if one else ''} {as_}"
                    f"{'a' if one else ''}{' ' if one else ''}{role}{'' if one else 's'}"
                )
        who = "; ".join(parts) if parts else "nobody joins"
        tiers = []
        if row.restricted:
            tiers.append(f"restricted: {', '.join(_split(row.restricted))}")
        if row.incentivized:
            tiers.append(f"incentivized: {', '.join(_split(row.incentivized))}")
        text = (
            f"**{row.phase}**: {who}. The coalition has {_count(row.members, 'full member')} "
            f"and {_count(row.associates, 'associate')}; DI {row.dependency_after:.4f} (from "
            f"{row.dependency_before:.4f}), cost {_money(row.total_cost)} of the "
            f"{_money(row.budget)} available by then"
            + (f"; tiers {'; '.join(tiers)}" if tiers else "; every sector open")
            + "."
        )
        here = acc[acc["phase"] == row.phase]
        needed = here[~here["feasible_without"]]["iso3"].tolist()
        if needed:
            text += (
                f" Without {_words(needed)} the phase's tiers and budget could not be met "
                "(its sourcing LP is infeasible)."
            )
        why = here[here["marginal_value"].notna()]
        if len(why):
            bits = [
                f"{r.iso3} {r.marginal_value:.4f} (DI {r.dependency_without:.4f} without it)"
                for r in why.sort_values("marginal_value", ascending=False).itertuples()
            ]
            text += (
                " Why: each accession's marginal value at this phase (how much higher the "
                "phase's DI would be without it, its sourcing re-optimized): "
                + "; ".join(bits)
                + "."
            )
        out.append(text)
    return out


def _free_order_sentences(pi: PathwayInterpretation) -> list[str]:
    free = pi.free
    if free is None:
        return []
    kind = "weighted DI" if pi.model.objective_kind == "dependency" else "weighted cost"
    gap = pi.objective - free.objective
    rel = gap / abs(pi.objective) if pi.objective else 0.0
    lines = [
        f"The optimizer's free order, under the same budgets and accession limits, reaches a "
        f"{kind} of {free.objective:.4f} against {pi.objective:.4f} for the fixed order: the "
        f"fixed order costs {gap:.4f} ({rel:.1%} of its objective)."
    ]
    if free.result.status is not Status.OPTIMAL and np.isfinite(free.result.best_bound):
        bound = float(free.result.best_bound)
        lines.append(
            f"The free order is not proven optimal ({free.result.status.value}, gap "
            f"{free.result.gap:.2%}): its optimum lies between {bound:.4f} and "
            f"{free.objective:.4f}, so the fixed order costs between {gap:.4f} and "
            f"{pi.objective - bound:.4f}."
        )
    for row in free.tables["phases"].itertuples(index=False):
        joined = _split(row.joined) + [f"{c} (associate)" for c in _split(row.joined_as_associate)]
        joined += [f"{c} (upgrade)" for c in _split(row.upgraded)]
        lines.append(
            f"- free order, {row.phase}: {_words(joined) or 'nobody'} join; DI "
            f"{row.dependency_after:.4f}, cost {_money(row.total_cost)}"
        )
    return lines


def pathway_markdown(pi: PathwayInterpretation, figure: str | None = None) -> str:
    """The report section: who joins when and why, the phases table, the free-order gap."""
    pw = pi.model.scenario.pathway
    kind = "DI" if pi.model.objective_kind == "dependency" else "cost"
    lines = [
        "## Pathway: who joins when",
        "",
        f"{len(pi.phases)} phases ({', '.join(pi.phases)}); the objective is the weighted "
        f"{kind} over the phases ({pi.objective:.4f}); nobody leaves, tiers "
        f"{'only tighten' if pw.tiers == 'monotone' else 'stay fixed'}, associates "
        f"{'may' if pw.upgrades else 'may not'} become full members later"
        + (
            f"; at most {', '.join(map(str, pw.max_new_members))} accessions per phase"
            if pw.max_new_members
            else ""
        )
        + ".",
        "",
    ]
    lines += [f"- {s}" for s in _phase_sentences(pi)] + [""]
    cols = ["phase", "joined", "joined_as_associate", "upgraded", "members", "associates"]
    cols += ["dependency_after", "total_cost", "budget"]
    lines += [_md_table(pi.tables["phases"][cols]), ""]
    free = _free_order_sentences(pi)
    if free:
        lines += ["### Against the optimizer's free order", "", *free, ""]
    if figure:
        lines += [f"![pathway]({figure})", ""]
    return "\n".join(lines)


def _md_table(df: pd.DataFrame) -> str:
    def cell(v: object) -> str:
        if isinstance(v, float):
            return f"{v:,.4g}" if abs(v) < 1 else f"{v:,.1f}"
        return str(v).replace(";", ", ").replace("|", "/")

    lines = ["| " + " | ".join(map(str, df.columns)) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


def plot_pathway(pi: PathwayInterpretation, path: Path) -> Path:
    """DI per phase (and the free order's), each phase labelled with who joins."""
    from planner.interpreter.plots import _plt, _save

    plt = _plt()
    ph = pi.tables["phases"]
    x = np.arange(len(ph))
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.plot(x, ph["dependency_after"], marker="o", color="#2166ac", label=pi.name)
    if pi.free is not None:
        fr = pi.free.tables["phases"]
        ax.plot(x, fr["dependency_after"], marker="s", ls="--", color="#b2182b", label="free order")
    ax.axhline(float(ph["dependency_before"].iloc[0]), color="#999", lw=1, label="baseline")
    for k, row in enumerate(ph.itertuples(index=False)):
        who = _split(row.joined) + [f"{c} (a)" for c in _split(row.joined_as_associate)]
        who += [f"{c} (up)" for c in _split(row.upgraded)]
        ax.annotate(
            "\n".join(who) or "-",
            (k, row.dependency_after),
            textcoords="offset points",
            xytext=(0, 8),
            ha="center",
            fontsize=8,
        )
    ax.set_xticks(x, ph["phase"])
    ax.set_xlabel("phase (who joins above each point; a = associate, up = upgrade)")
    ax.set_ylabel("dependency index")
    ax.set_title("Pathway: who joins when, and the dependency index per phase")
    ax.legend(loc="upper right")
    return _save(fig, path)


def _csv(df: pd.DataFrame, path: Path) -> None:
    from planner.files import clean_floats

    clean_floats(df).to_csv(path, index=False, float_format=FLOAT_FORMAT, lineterminator="\n")


def write_pathway_files(pi: PathwayInterpretation, directory: Path, plots: bool = True) -> dict:
    """Write the pathway's files into a run directory; the summary.json keys to add.

    Writes ``pathway.csv``, ``pathway_phases.csv``, ``pathway_tiers.csv``,
    ``pathway_accessions.csv``, ``links_by_phase.csv``, ``domestic_by_phase.csv``,
    ``investment_by_phase.csv`` (and ``partnerships_by_phase.csv``), the same for the free
    order with a ``free_`` prefix when it was solved, ``pathway.png`` (with matplotlib), and
    the report section, put before the report's first section.
    """
    d = Path(directory)
    for prefix, p in (("", pi), ("free_", pi.free)):
        if p is None:
            continue
        t = p.tables
        _csv(t["pathway"], d / f"{prefix}pathway.csv")
        _csv(t["phases"], d / f"{prefix}pathway_phases.csv")
        _csv(t["tiers"], d / f"{prefix}pathway_tiers.csv")
        _csv(t["accessions"], d / f"{prefix}pathway_accessions.csv")
        for name in ("links", "domestic", "investment", "partnerships"):
            if name in t:
                _csv(t[name], d / f"{prefix}{name}_by_phase.csv")
    figure = None
    if plots:
        from planner.interpreter.plots import HAVE_MATPLOTLIB

        if HAVE_MATPLOTLIB:
            figure = plot_pathway(pi, d / "pathway.png").name
    _insert_report_section(d, pi, figure)
    out: dict[str, object] = {"pathway": pi.summary(), "pathway_objective": pi.objective}
    if pi.free is not None:
        out["pathway_free_order"] = {
            "objective": pi.free.objective,
            "gap": pi.objective - pi.free.objective,
            "status": pi.free.result.status.value,
            "best_bound": _finite(pi.free.result.best_bound),
            "mip_gap": _finite(pi.free.result.gap),
            "phases": pi.free.summary(),
        }
    return out


def _finite(v: float) -> float | None:
    return float(v) if np.isfinite(v) else None


def _insert_report_section(d: Path, pi: PathwayInterpretation, figure: str | None) -> None:
    """Put the pathway section into report.md and report.html before their first section."""
    md_path, html_path = d / "report.md", d / "report.html"
    section = pathway_markdown(pi, figure)
    if md_path.exists():
        md = md_path.read_text()
        at = md.find("\n## ")
        md = md + "\n" + section if at < 0 else md[: at + 1] + section + "\n" + md[at + 1 :]
        md_path.write_text(md)
    if html_path.exists():
        page = html_path.read_text()
        fragment = _html_section(pi, figure, d)
        at = page.find("<h2>")
        at = at if at >= 0 else page.rfind("</body>")
        html_path.write_text(page[:at] + fragment + page[at:])


def _html_section(pi: PathwayInterpretation, figure: str | None, d: Path) -> str:
    import base64

    parts = ["<h2>Pathway: who joins when</h2><ul>"]
    parts += [f"<li>{html.escape(s.replace('**', ''))}</li>" for s in _phase_sentences(pi)]
    parts.append("</ul>")
    free = _free_order_sentences(pi)
    if free:
        parts.append("<h3>Against the optimizer's free order</h3>")
        parts += [f"<p>{html.escape(s.lstrip('- '))}</p>" for s in free]
    if figure:
        data = base64.b64encode((d / figure).read_bytes()).decode()
        parts.append(f'<figure><img alt="pathway" src="data:image/png;base64,{data}"></figure>')
    return "\n".join(parts) + "\n"
