"""The report: the story first (the plan, what it buys, what binds and what more would buy),
then the figures, then the tables cut to the rows that matter, with the full tables beside it.

A report is rendered from :class:`ReportData`, which is written into the directory next to it
(``report.json`` and one ``report_KEY.csv`` per table, money in USD mn and shares in [0, 1]);
``planner report RUN_DIR`` re-renders a run's report and figures from those files alone,
without the model or the solver. Every number passes through
:mod:`planner.interpreter.formatting`: plain decimals, no scientific notation, noise as 0.

``report.md`` is the reproducible text; ``report.html`` is self-contained (figures embedded as
data URIs, no scripts) and readable at phone width.
"""

from __future__ import annotations

import base64
import html
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from planner.interpreter import formatting as fmt
from planner.interpreter.tables import INDEX, VIEWS, TableView, view

if TYPE_CHECKING:
    from planner.interpreter.core import Interpretation
    from planner.interpreter.plots import Figure

__all__ = [
    "REPORT_DATA",
    "ReportData",
    "fmt_money",
    "html_report",
    "markdown_report",
    "render_report",
    "summary_paragraph",
    "why_lines",
    "why_summary",
    "write_report",
]

#: the report's data file (facts, why, assumptions, which tables); tables are report_KEY.csv
REPORT_DATA = "report.json"
REPORT_FORMAT = 1
#: floats in the report's CSV files, as in the run's other tables
FLOAT_FORMAT = "%.10g"
#: shadow prices and binding families the summary and the headline state
TOP_WHY = 5


def fmt_money(v: float) -> str:
    """Money held in USD mn, as the report states it (``USD 50.0 bn``, ``USD 350 mn``)."""
    return fmt.usd(v)


def _plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def _list(items: list[str] | tuple[str, ...], empty: str = "none") -> str:
    return ", ".join(items) if items else empty


def _index(v: float) -> str:
    """A dependency index (a share in [0, 1]) to four decimals."""
    return fmt.number(v, decimals=4)


def _change(before: float, after: float) -> str:
    if before <= 0:
        return "no baseline to cut"
    rel = (after - before) / before
    word = "a cut" if rel <= 0 else "a rise"
    return f"{word} of {fmt.number(abs(rel) * 100, decimals=1)} %"


def _label_text(label: object) -> str:
    if isinstance(label, (tuple, list)):
        return ", ".join(map(str, label))
    if label is None or (isinstance(label, float) and np.isnan(label)):
        return ""
    return str(label)


# ------------------------------------------------------------------ the paragraph
def _carried_clause(h: dict) -> str:
    """The dependency index counting carried adversary content, by each measure computed."""
    fo_b = h.get("first_order_dependency_before", h["effective_dependency_before"])
    fo_a = h.get("first_order_dependency_after", h["effective_dependency_after"])
    text = (
        "counting adversary content shipped through third countries in the same sector, from "
        f"{_index(fo_b)} to {_index(fo_a)}"
    )
    if h.get("look_through_dependency_before") is not None:
        text += (
            "; through every tier of the supply network (look-through), from "
            f"{_index(h['look_through_dependency_before'])} to "
            f"{_index(h['look_through_dependency_after'])}"
        )
    return text


def _flag_sentence(it: Interpretation) -> str:
    """The EU 2021-style flags, split into critical (weighted) and other sectors, with what
    the pairs the plan leaves flagged have in common (:func:`~planner.interpreter.explain.
    flag_split`)."""
    from planner.interpreter.explain import flag_split

    return str(flag_split(it)["sentence"])


def summary_paragraph(it: Interpretation) -> str:
    """The plain-language paragraph; each number is a value of a table or ``it.headline``.

    The why (shadow prices, binding families) is stated apart: :func:`why_lines`.
    """
    h = it.headline
    inst = it.model.instance
    adv = " and ".join(inst.countries[inst.adversary])
    members, assoc = h["members"], h["associates"]
    n_open = int((it.plan.tiers == "open").sum())
    before, after = h["dependency_before"], h["dependency_after"]
    parts = [
        f"Scenario {it.name} ({it.model.problem.replace('_', ' ')}, objective "
        f"{h['objective_kind']}, status {h['status']}).",
        f"The coalition has {len(members)} full {_plural(len(members), 'member', 'members')} "
        f"({_list(members)}) and {len(assoc)} "
        f"{_plural(len(assoc), 'associate', 'associates')} ({_list(assoc)}).",
        f"Restricted sectors: {_list(h['restricted'])}; incentivized: "
        f"{_list(h['incentivized'])}; {n_open} {_plural(n_open, 'sector stays', 'sectors stay')} "
        "open.",
        f"The plan costs {fmt.usd(h['total_cost'])} of a {fmt.usd(h['budget'])} budget.",
        f"The dependency index (the GDP- and criticality-weighted share of the focal countries' "
        f"imports that comes from {adv}) falls from {_index(before)} to {_index(after)} "
        f"({_change(before, after)}); {_carried_clause(h)}.",
        _flag_sentence(it),
        f"Full members keep {fmt.percent(h['volume_retained'])} of their import volume.",
    ]
    if h["lost_exports"] > 0:
        parts.append(f"Export controls cost members {fmt.usd(h['lost_exports'])} of exports.")
    return fmt.plain_text(" ".join(parts))


# ------------------------------------------------------------------ why
def _binding_sentence(family: str, row: pd.Series) -> str:
    desc = str(row["description"]) if row["description"] == row["description"] else ""
    n, b = int(row["rows"]), int(row["binding"])
    where = "binds" if n == 1 else f"binds in {b:,} of {n:,} rows"
    at = _label_text(row["at"])
    dual = row["largest_dual"]
    price = (
        f", the largest shadow price at {at}"
        if n > 1 and at and dual == dual and abs(dual) > 0
        else ""
    )
    return f"`{family}`: {desc}; {where}{price}." if desc else f"`{family}` {where}{price}."


def _binding_order(b: dict[str, Any]) -> tuple[int, float]:
    """Policy families (those a scenario key sets) and capacity first, then by the largest
    shadow price."""
    from formulations.families import RELAXATIONS

    policy = b["family"] in RELAXATIONS or b["family"] == "capacity"
    price = b["largest_shadow_price"]
    return (0 if policy else 1, -abs(price) if price == price else 1.0)


def why_summary(it: Interpretation, top: int = TOP_WHY) -> dict[str, Any]:
    """Why the plan is what it is, as data (summary.json's ``why``, the report's headline).

    Returns
    -------
    dict
        ``duals`` (``lp``, ``fixed_milp`` or ``none``), ``held_fixed`` (what the shadow prices
        hold at the optimum, or None), ``binding`` (the inequality families with a binding row,
        largest shadow price first: family, rows, binding, largest_shadow_price, at,
        description, sentence) and ``shadow_prices`` (the ``top`` first rows of the shadow
        price table: family, label, dual, step, effect, sentence). NaN is None.
    """
    from planner.files import json_safe

    bc = it.tables["binding_constraints"]
    fams = it.model.program.families
    binding = []
    for family, row in bc.iterrows():
        fam = fams.get(family)
        if int(row["binding"]) == 0 or fam is None or (fam.sense_codes == 0).all():
            continue  # equalities hold by definition: they say nothing about the plan
        dual = float(row["largest_dual"])
        binding.append(
            {
                "family": str(family),
                "rows": int(row["rows"]),
                "binding": int(row["binding"]),
                "largest_shadow_price": dual,
                "at": _label_text(row["at"]),
                "description": str(row["description"]),
                "sentence": fmt.plain_text(_binding_sentence(str(family), row)),
            }
        )
    binding.sort(key=_binding_order)
    sp = it.tables["shadow_prices"].head(top)
    prices = [
        {
            "family": str(r["family"]),
            "label": _label_text(r["label"]),
            "dual": float(r["dual"]),
            "step": float(r["step"]),
            "effect": float(r["effect"]),
            "sentence": fmt.plain_text(str(r["sentence"])),
        }
        for _, r in sp.iterrows()
    ]
    kind = it.result.duals_kind
    return json_safe(
        {
            "duals": kind,
            "held_fixed": "membership and tiers" if kind == "fixed_milp" else None,
            "binding": binding[:top],
            "binding_families": len(binding),
            "shadow_prices": prices,
        }
    )


def why_lines(it: Interpretation) -> list[str]:
    """The why as the command line prints it under the summary (shadow prices, then what
    binds)."""
    return _why_text(why_summary(it))


def _why_text(why: dict[str, Any]) -> list[str]:
    lines = []
    prices = why.get("shadow_prices") or []
    if prices:
        held = f"; {why['held_fixed']} held at the optimum" if why.get("held_fixed") else ""
        lines.append(f"Why (shadow prices{held}):")
        lines += [f"- {p['sentence']}" for p in prices]
    elif why.get("duals") == "none":
        lines.append("Why: no shadow prices (the solver returned no duals).")
    binding = why.get("binding") or []
    if binding:
        words = ", ".join(
            f"{b['family']} ({b['binding']:,} of {b['rows']:,} rows)"
            if b["rows"] > 1
            else b["family"]
            for b in binding
        )
        more = why.get("binding_families", len(binding)) - len(binding)
        lines.append(f"Binding: {words}" + (f" and {more} more families." if more else "."))
    return lines


# ------------------------------------------------------------------ the report's data
def _facts(it: Interpretation) -> dict[str, Any]:
    h = it.headline
    inst = it.model.instance
    sc = inst.scenario
    r = it.result
    keys = [
        k
        for k in h
        if k.endswith(("dependency_before", "dependency_after"))
        or k
        in (
            "objective",
            "objective_kind",
            "status",
            "members",
            "associates",
            "restricted",
            "incentivized",
            "total_cost",
            "budget",
            "flagged_before",
            "flagged_after",
            "volume_retained",
            "lost_exports",
        )
    ]
    facts = {k: h[k] for k in keys}
    facts.update(
        name=it.name,
        description=sc.description,
        problem=it.model.problem,
        exposure=inst.exposure,
        adversaries=[str(c) for c in inst.countries[inst.adversary]],
        candidates=int((inst.candidate & ~inst.adversary).sum()),
        sectors=int(inst.n_sectors),
        critical=int((inst.weight > 0).sum()),
        open=int((it.plan.tiers == "open").sum()),
        solver=re.sub(r"\s*\([^)]*[/\\][^)]*\)", "", f"{r.solver_name} {r.solver_version}").strip(),
        backend=r.backend,
        gap=round(float(r.gap), 12),  # its last digits are the objective's last bits
        duals=r.duals_kind,
    )
    return facts


def _range(values: np.ndarray, as_percent: bool = True) -> str:
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if not v.size:
        return "n/a"
    show = (lambda x: fmt.percent(x, decimals=1)) if as_percent else fmt.number
    lo, hi = float(v.min()), float(v.max())
    return show(lo) if np.isclose(lo, hi) else f"{show(lo)} to {show(hi)} (by sector)"


def _assumptions(it: Interpretation) -> list[dict[str, str]]:
    """The assumptions the plan rests on, each with the scenario key (or data column) that
    changes it."""
    inst = it.model.instance
    sc = inst.scenario
    p, co, ob = sc.parameters, sc.coalition, sc.objective
    basis = "exports" if p.capacity_basis == "exports" else "gross output"
    weighted = np.argsort(-inst.weight, kind="stable")[: min(5, int((inst.weight > 0).sum()))]
    top = ", ".join(f"{inst.sectors[k]} ({fmt.number(inst.weight[k])})" for k in weighted)
    n_w = int((inst.weight > 0).sum())
    barrier = f"; coalition suppliers {fmt.percent(p.barrier_cut)} cheaper" if p.barrier_cut else ""
    rows = [
        (
            "Adversaries",
            _list([str(c) for c in inst.countries[inst.adversary]]),
            "`coalition.adversaries`",
        ),
        (
            "Who may join",
            f"full members from a regime score of {fmt.number(co.full_threshold, decimals=2)}, "
            f"associates from {fmt.number(co.associate_threshold, decimals=2)}; anchors "
            f"{_list(co.anchors)}",
            "`coalition.full_threshold`, `coalition.associate_threshold`, `coalition.anchors`",
        ),
        (
            "Country weights",
            f"GDP shares of the focal countries ({_focal_words(co.focal)})",
            "`coalition.focal`",
        ),
        (
            "Criticality weights",
            f"{n_w} of {inst.n_sectors} sectors weigh in the index"
            + (f"; largest: {top}" if n_w else ""),
            "the dataset's `sectors.csv` column `weight`",
        ),
        (
            "Capacity headroom",
            f"{_range(inst.headroom)} of {basis} on top of today's sales",
            "`parameters.headroom` (or the dataset's `sectors.csv` column `headroom`), "
            "`parameters.capacity_basis`",
        ),
        (
            "Sourcing premiums",
            f"{_range(inst.premium)} per USD of new sourcing{barrier}",
            "the dataset's `sectors.csv` column `premium`; `parameters.barrier_cut`",
        ),
        (
            "Domestic substitution",
            f"{_range(inst.reshoring_cost)} per USD",
            "`parameters.reshoring_cost` (or the dataset's `sectors.csv` column `reshoring_cost`)",
        ),
        ("Budget", fmt.usd(p.budget), "`parameters.budget`"),
        (
            "Largest fall of members' import volume",
            fmt.percent(p.max_volume_drop),
            "`parameters.max_volume_drop`",
        ),
        (
            "Open sectors keep at least",
            f"{fmt.percent(p.min_open_share)} of candidates' trade",
            "`parameters.min_open_share`",
        ),
        (
            "Cut in incentivized sectors",
            f"{fmt.percent(p.incentivized_cut)} of adversary imports",
            "`parameters.incentivized_cut`",
        ),
        (
            "Residual in restricted sectors",
            fmt.percent(p.restricted_residual),
            "`parameters.restricted_residual`",
        ),
        (
            "Exposure the objective counts",
            _EXPOSURE_WORDS.get(inst.exposure, inst.exposure),
            "`parameters.exposure`",
        ),
        ("Objective", _OBJECTIVE_WORDS.get(ob.kind, ob.kind), "`objective.kind`"),
    ]
    return [{"what": a, "value": b, "key": c} for a, b, c in rows]


_EXPOSURE_WORDS = {
    "direct": "direct imports from the adversaries",
    "first_order": "direct imports plus adversary content shipped through third countries",
    "look_through": "adversary value added through every tier of the supply network",
}
_OBJECTIVE_WORDS = {
    "dependency": "lowest dependency index within the budget",
    "minimax": "lowest dependency of the most dependent member",
    "cost": "lowest cost that reaches the dependency target (`objective.target`)",
    "frontier": "cost against the dependency index, point by point",
}


def _focal_words(focal: object) -> str:
    if isinstance(focal, str):
        return f"here: {focal}"
    return f"here: {len(focal)} countries listed"  # type: ignore[arg-type]


def _table_csv(df: pd.DataFrame, key: str) -> str:
    index = INDEX.get(key)
    d = df.rename_axis(index).reset_index() if index else df.reset_index(drop=True)
    d = d.copy()
    for c in d.columns:
        if d[c].dtype == object:
            d[c] = [_label_text(v) for v in d[c]]
    d = fmt.clean_relative(d)
    return d.to_csv(index=False, float_format=FLOAT_FORMAT, lineterminator="\n")


def _read_table(text: str | Path, key: str) -> pd.DataFrame:
    src = io.StringIO(text) if isinstance(text, str) else text
    df = pd.read_csv(src, keep_default_na=False, na_values=[""])
    index = INDEX.get(key)
    return df.set_index(index) if index and index in df.columns else df


@dataclass
class ReportData:
    """Everything a report shows, as it is written beside it.

    Attributes
    ----------
    name : str
        Scenario name.
    facts : dict
        The headline numbers (money in USD mn, shares in [0, 1]).
    why : dict
        :func:`why_summary`.
    assumptions : list of dict
        ``what``, ``value``, ``key`` (the scenario key or data column that changes it).
    summary : str
        The plain-language paragraph.
    tables : dict of str to pandas.DataFrame
        The tables of :data:`planner.interpreter.tables.VIEWS` (and ``shadow_prices``,
        ``frontier`` when computed), exactly as their CSV files read back.
    """

    name: str
    facts: dict[str, Any]
    why: dict[str, Any]
    assumptions: list[dict[str, str]]
    summary: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    csv: dict[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def from_interpretation(
        cls, it: Interpretation, frontier: pd.DataFrame | None = None
    ) -> ReportData:
        """The report's data of an interpretation (and a frontier, if one was computed)."""
        from planner.files import json_safe, stable_floats

        raw = {k: it.tables[k] for k in INDEX if k in it.tables}
        if frontier is not None and len(frontier):
            raw["frontier"] = frontier
        from planner.interpreter.robustness import report_extras

        extra_facts, extra_tables = report_extras(it)  # robustness and stability sections
        raw.update(extra_tables)
        extra_facts["explanations"] = _explanation_sections(it)
        csv = {k: _table_csv(df, k) for k, df in raw.items()}
        return cls(
            name=it.name,
            facts=stable_floats(json_safe({**_facts(it), **extra_facts})),
            why=stable_floats(why_summary(it)),
            assumptions=_assumptions(it),
            summary=it.summary(),
            tables={k: _read_table(text, k) for k, text in csv.items()},
            csv=csv,
        )

    def write(self, directory: str | Path) -> list[Path]:
        """Write ``report.json`` and the ``report_KEY.csv`` files; returns their paths."""
        d = Path(directory)
        meta = {
            "format": REPORT_FORMAT,
            "name": self.name,
            "facts": self.facts,
            "why": self.why,
            "assumptions": self.assumptions,
            "summary": self.summary,
            "tables": sorted(self.csv),
        }
        paths = [d / REPORT_DATA]
        from planner.files import stable_floats

        text = json.dumps(stable_floats(meta), indent=2, sort_keys=True, allow_nan=False)
        paths[0].write_text(text + "\n")
        for key, text in sorted(self.csv.items()):
            (d / f"report_{key}.csv").write_text(text)
            paths.append(d / f"report_{key}.csv")
        return paths

    @classmethod
    def read(cls, directory: str | Path) -> ReportData:
        """Read what :meth:`write` wrote.

        Raises
        ------
        FileNotFoundError, ValueError
            ``report.json`` or a table it lists is missing, or it is of another format.
        """
        d = Path(directory)
        meta = json.loads((d / REPORT_DATA).read_text())
        if meta.get("format") != REPORT_FORMAT:
            raise ValueError(f"{d / REPORT_DATA}: format {meta.get('format')!r}, expected 1")
        csv = {k: (d / f"report_{k}.csv").read_text() for k in meta["tables"]}
        return cls(
            name=meta["name"],
            facts=meta["facts"],
            why=meta["why"],
            assumptions=meta["assumptions"],
            summary=meta["summary"],
            tables={k: _read_table(text, k) for k, text in csv.items()},
            csv=csv,
        )


def _explanation_sections(it: Interpretation) -> list[list[str]]:
    """The explanation sections (title, Markdown) when the run computed them (``planner run``
    with ``--explain brief`` or ``full``): never re-solves here, so a report of a bare
    interpretation leaves them out."""
    if "role_reasons" not in it.tables:
        return []
    from planner.interpreter.explain import explanation_sections

    return [[title, fmt.plain_text(md)] for title, md in explanation_sections(it)]


def _md_to_blocks(md: str) -> list:
    """The small Markdown of the explanation sections as blocks: paragraphs, "- " lists and
    "|" tables (header, rule, rows)."""
    out: list = []
    lines = md.splitlines()
    k = 0
    while k < len(lines):
        line = lines[k]
        if line.startswith("- "):
            items = []
            while k < len(lines) and lines[k].startswith("- "):
                items.append(lines[k][2:])
                k += 1
            out.append(("ul", items))
        elif line.startswith("|"):
            rows = []
            while k < len(lines) and lines[k].startswith("|"):
                rows.append([c.strip() for c in lines[k].strip().strip("|").split("|")])
                k += 1
            out.append(("grid", rows[0], [r for r in rows[1:] if not set("".join(r)) <= {"-"}]))
        else:
            if line.strip():
                out.append(("p", line))
            k += 1
    return out


# ------------------------------------------------------------------ blocks
# a report is a list of blocks, rendered to Markdown and to HTML by the same order:
# ("h1"|"h2"|"p"|"small", text), ("ul", [text | (text, [text])]), ("figure", Figure),
# ("table", TableView); text may hold `code` and **bold**
Block = tuple


def _tier_words(f: dict[str, Any]) -> str:
    parts = []
    for tier in ("restricted", "incentivized"):
        codes = f[tier]
        parts.append(f"{len(codes)} {tier}" + (f" ({_list(codes)})" if codes else ""))
    return (
        f"{', '.join(parts)}, {f['open']} open, of {f['sectors']} sectors "
        f"({f['critical']} critical: weight > 0)"
    )


def _headline(data: ReportData) -> list:
    f = data.facts
    members, assoc = f["members"], f["associates"]
    n_coal = len(members) + len(assoc)
    adv = " and ".join(f["adversaries"]) or "the adversaries"
    items: list = [
        (
            f"**Coalition:** {len(members)} full {_plural(len(members), 'member', 'members')} "
            f"and {len(assoc)} {_plural(len(assoc), 'associate', 'associates')} "
            f"({n_coal} of {f['candidates']} candidate countries).",
            [f"Full members: {_list(members)}.", f"Associates: {_list(assoc)}."],
        ),
        f"**Sector tiers:** {_tier_words(f)}.",
        f"**Dependency index** (criticality-weighted share of imports from {adv}): "
        f"{_index(f['dependency_before'])} → {_index(f['dependency_after'])} "
        f"({_change(f['dependency_before'], f['dependency_after'])}).",
    ]
    carried = []
    for key, words in (
        ("first_order", "with content carried through third countries"),
        ("look_through", "look-through (every tier of the supply network)"),
    ):
        b, a = f.get(f"{key}_dependency_before"), f.get(f"{key}_dependency_after")
        if b is not None and a is not None:
            carried.append(f"{words}: {_index(b)} → {_index(a)}")
    if carried:
        items.append("**Effective dependency:** " + "; ".join(carried) + ".")
    used = f["total_cost"] / f["budget"] if f["budget"] else 0.0
    items.append(
        f"**Cost:** {fmt.usd(f['total_cost'])} of a {fmt.usd(f['budget'])} budget "
        f"({fmt.percent(used)} used)."
    )
    why = data.why
    binding = why.get("binding") or []
    if binding:
        more = why.get("binding_families", len(binding)) - len(binding)
        tail = [f"and {more} more families (see the binding constraints table)."] if more else []
        items.append(("**What binds:**", [b["sentence"] for b in binding] + tail))
    else:
        items.append("**What binds:** no inequality row is at its limit.")
    prices = why.get("shadow_prices") or []
    if prices:
        held = f", {why['held_fixed']} held at the optimum" if why.get("held_fixed") else ""
        items.append(
            (f"**What more would buy** (shadow prices{held}):", [p["sentence"] for p in prices])
        )
    elif why.get("duals") == "none":
        items.append("**Shadow prices:** not available (the solver returned no duals).")
    gap = f.get("gap")
    gap_text = f", gap {fmt.percent(gap, decimals=2)}" if gap is not None and gap > 0 else ""
    items.append(
        f"**Solve:** {f['status']}, {f['problem'].replace('_', ' ')}, objective "
        f"{f['objective_kind']}, {f['solver']} ({f['backend']}){gap_text}."
    )
    return [("h2", "The plan at a glance"), ("ul", items)]


def _how_to_read(data: ReportData) -> list:
    f = data.facts
    adv = " and ".join(f["adversaries"]) or "the adversaries"
    items = [
        f"The **dependency index** is a share between 0 and 1: the GDP-weighted average, over "
        f"the focal countries, of each one's criticality-weighted share of imports that comes "
        f"from {adv} (0.10 means 10 %). Non-members count at their baseline.",
        "Money is in USD (bn from USD 1 bn up, else mn); the CSV files beside this report keep "
        "USD mn and shares between 0 and 1. Values below a billionth of their column's "
        "largest are shown as 0.",
        "A **shadow price** is what one more unit of a limit (budget, a supplier's capacity) "
        "would change in the objective"
        + (
            ", with membership and tiers held at the optimum (the integer decisions fixed)."
            if f.get("duals") == "fixed_milp"
            else "."
        ),
        "The plan rests on these assumptions; each changes with the key named:",
    ]
    rows = [f"{a['what']}: {a['value']} ({a['key']})." for a in data.assumptions]
    return [("h2", "How to read this"), ("ul", [*items[:-1], (items[-1], rows)])]


def _blocks(data: ReportData, figures: list[Figure] | None, plots: bool) -> list:
    f = data.facts
    out: list = [("h1", f"{data.name}: the plan and why")]
    if f.get("description"):
        out.append(("p", str(f["description"])))
    out += _headline(data)
    out += [("h2", "In words"), ("p", data.summary)]
    for title, md in f.get("explanations") or []:  # why these members, tiers; flags left
        out += [("h2", title), *_md_to_blocks(md)]
    from planner.interpreter.robustness import report_blocks

    out += report_blocks(data)  # robustness and stability, when the run has them
    out += _how_to_read(data)
    out.append(("h2", "Figures"))
    if figures:
        out += [("figure", fig) for fig in figures]
    else:
        out.append(
            (
                "p",
                "No figures: drawn without them (`--no-plots`)."
                if not plots
                else "No figures: nothing to draw.",
            )
        )
    out.append(("h2", "Tables"))
    out.append(
        (
            "p",
            "Each table is cut to the rows that matter; the full tables are the "
            "`report_*.csv` files beside this report (USD mn, shares between 0 and 1).",
        )
    )
    for spec in VIEWS:
        df = data.tables.get(spec.key)
        if df is None or not len(df):
            continue
        tv = view(spec, df)
        if tv.shown:
            out.append(("table", tv))
    return out


# ------------------------------------------------------------------ Markdown
def _md_cell(text: str) -> str:
    return text.replace("|", "/").replace("\n", " ")


def _md_table(tv: TableView) -> list[str]:
    align = ["---:" if n else "---" for n in tv.numeric]
    lines = [
        "| " + " | ".join(_md_cell(h) for h in tv.headers) + " |",
        "|" + "|".join(align) + "|",
    ]
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in tv.cells]
    return [*lines, "", f"*{tv.note}*"]


def _render_md(blocks: list) -> str:
    out: list[str] = []
    n_fig = 0
    for b in blocks:
        kind = b[0]
        if kind == "h1":
            out += [f"# {b[1]}", ""]
        elif kind == "h2":
            out += [f"## {b[1]}", ""]
        elif kind == "p":
            out += [b[1], ""]
        elif kind == "ul":
            for item in b[1]:
                text, sub = item if isinstance(item, tuple) else (item, [])
                out.append(f"- {text}")
                out += [f"  - {s}" for s in sub]
            out.append("")
        elif kind == "figure":
            n_fig += 1
            fig = b[1]
            out += [
                f"![{fig.title}]({fig.path.name})",
                "",
                f"*Figure {n_fig}: {fig.title}.* {fig.caption}",
                "",
            ]
        elif kind == "table":
            tv = b[1]
            out += [f"### {tv.title}", "", *_md_table(tv), ""]
        elif kind == "grid":
            head, rows = b[1], b[2]
            out += [
                "| " + " | ".join(head) + " |",
                "|" + "---|" * len(head),
                *("| " + " | ".join(r) + " |" for r in rows),
                "",
            ]
    return "\n".join(out).rstrip() + "\n"


def markdown_report(
    it: Interpretation | ReportData, figures: list[Figure] | None = None, plots: bool = True
) -> str:
    """The Markdown report: headline, why, how to read it, figures (linked by file name),
    tables cut to the rows that matter."""
    data = it if isinstance(it, ReportData) else ReportData.from_interpretation(it)
    return _render_md(_blocks(data, figures, plots))


# ------------------------------------------------------------------ HTML
_CSS = (
    "*{box-sizing:border-box}"
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;"
    "padding:1rem;line-height:1.45;color:#1f2328;background:#fff}"
    "main{max-width:64rem;margin:0 auto}"
    "h1{font-size:1.6rem;margin:.2em 0 .6em}h2{font-size:1.25rem;margin-top:1.8em;"
    "border-bottom:1px solid #d0d7de;padding-bottom:.2em}h3{font-size:1.05rem;margin-top:1.5em}"
    "ul{padding-left:1.2rem}li{margin:.25em 0;overflow-wrap:anywhere}"
    "section.headline{background:#f6f8fa;border-left:4px solid #2166ac;padding:.1rem 1rem}"
    "figure{margin:1.2rem 0}img{display:block;max-width:100%;height:auto}"
    "figcaption{font-size:.9em;color:#424a53;margin-top:.3em}"
    ".scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;max-width:100%}"
    "table{border-collapse:collapse;font-size:.88em;margin:.4em 0}"
    "th,td{padding:.25em .6em;border-bottom:1px solid #d8dee4;text-align:left;"
    "vertical-align:top}th{background:#f6f8fa}td.n,th.n{text-align:right;white-space:nowrap}"
    "p.note{font-size:.85em;color:#57606a;margin-top:.2em}"
    "code{font-size:.92em;background:#f6f8fa;padding:0 .2em;overflow-wrap:anywhere}"
)
_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*([^*]+)\*\*")


def _inline(text: str) -> str:
    t = html.escape(str(text), quote=False)
    t = _CODE.sub(r"<code>\1</code>", t)
    return _BOLD.sub(r"<strong>\1</strong>", t)


def _html_table(tv: TableView) -> str:
    def cls(k: int) -> str:
        return ' class="n"' if tv.numeric[k] else ""

    head = "".join(f"<th{cls(k)}>{html.escape(h)}</th>" for k, h in enumerate(tv.headers))
    rows = "".join(
        "<tr>" + "".join(f"<td{cls(k)}>{html.escape(c)}</td>" for k, c in enumerate(r)) + "</tr>"
        for r in tv.cells
    )
    return (
        f'<h3>{html.escape(tv.title)}</h3><div class="scroll"><table><thead><tr>{head}</tr>'
        f'</thead><tbody>{rows}</tbody></table></div><p class="note">{html.escape(tv.note)}</p>'
    )


def _render_html(title: str, blocks: list) -> str:
    body: list[str] = []
    n_fig = 0
    in_headline = False
    for b in blocks:
        kind = b[0]
        if kind == "h2" and in_headline:
            body.append("</section>")
            in_headline = False
        if kind == "h1":
            body.append(f"<h1>{_inline(b[1])}</h1>")
        elif kind == "h2":
            if b[1] == "The plan at a glance":
                body.append('<section class="headline">')
                in_headline = True
            body.append(f"<h2>{_inline(b[1])}</h2>")
        elif kind == "p":
            body.append(f"<p>{_inline(b[1])}</p>")
        elif kind == "ul":
            items = []
            for item in b[1]:
                text, sub = item if isinstance(item, tuple) else (item, [])
                inner = "".join(f"<li>{_inline(s)}</li>" for s in sub)
                nested = f"<ul>{inner}</ul>" if sub else ""
                items.append(f"<li>{_inline(text)}{nested}</li>")
            body.append("<ul>" + "".join(items) + "</ul>")
        elif kind == "figure":
            n_fig += 1
            fig = b[1]
            data = base64.b64encode(fig.path.read_bytes()).decode("ascii")
            body.append(
                f'<figure><img alt="{html.escape(fig.title)}" '
                f'src="data:image/png;base64,{data}"><figcaption><strong>Figure {n_fig}: '
                f"{html.escape(fig.title)}.</strong> {_inline(fig.caption)}</figcaption></figure>"
            )
        elif kind == "table":
            body.append(_html_table(b[1]))
        elif kind == "grid":
            head = "".join(f"<th>{_inline(h)}</th>" for h in b[1])
            rows = "".join(
                "<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in r) + "</tr>" for r in b[2]
            )
            body.append(
                f'<div class="scroll"><table><thead><tr>{head}</tr></thead>'
                f"<tbody>{rows}</tbody></table></div>"
            )
    if in_headline:
        body.append("</section>")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body><main>\n"
        + "\n".join(body)
        + "\n</main></body></html>\n"
    )


def html_report(
    it: Interpretation | ReportData, figures: list[Figure] | None = None, plots: bool = True
) -> str:
    """A self-contained HTML report (figures embedded as data URIs, no scripts), readable at
    phone width: the same blocks as :func:`markdown_report`."""
    data = it if isinstance(it, ReportData) else ReportData.from_interpretation(it)
    return _render_html(f"{data.name}: the plan and why", _blocks(data, figures, plots))


# ------------------------------------------------------------------ writing
def render_report(data: ReportData, directory: str | Path, plots: bool = True) -> dict[str, Path]:
    """Draw the figures (unless ``plots`` is False) and write report.md and report.html from
    ``data`` into ``directory`` (which must exist); returns the paths written by name."""
    directory = Path(directory)
    figures: list[Figure] = []
    if plots:
        from planner.interpreter.plots import save_plots

        figures = save_plots(data, directory)
        from planner.interpreter.robustness import report_figures

        figures += report_figures(data, directory)
    blocks = _blocks(data, figures, plots)
    paths = {"report.md": directory / "report.md", "report.html": directory / "report.html"}
    paths["report.md"].write_text(_render_md(blocks))
    paths["report.html"].write_text(_render_html(f"{data.name}: the plan and why", blocks))
    return {**paths, **{fig.name: fig.path for fig in figures}}


def write_report(
    it: Interpretation,
    directory: str | Path,
    plots: bool = True,
    frontier: pd.DataFrame | None = None,
) -> dict[str, Path]:
    """Write the report into ``directory`` (created if needed): report.md, report.html, the
    figures (PNG, unless ``plots`` is False), and the report's data (report.json and the full
    tables as report_KEY.csv, from which ``planner report`` re-renders it).

    Parameters
    ----------
    it : Interpretation
        The solved scenario.
    directory : str or Path
        Where to write.
    plots : bool
        Draw the figures (matplotlib, headless).
    frontier : pandas.DataFrame, optional
        A cost-dependency frontier (:func:`planner.frontiers.frontier`): drawn and tabled too.

    Returns
    -------
    dict of str to Path
        The files written, by name (``report.md``, ``report.html``, each figure's name).
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    data = ReportData.from_interpretation(it, frontier)
    data.write(directory)
    return render_report(data, directory, plots=plots)
