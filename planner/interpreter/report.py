"""Plain-language summary, Markdown report and self-contained HTML report."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from planner.interpreter.core import Interpretation

__all__ = ["fmt_money", "html_report", "markdown_report", "summary_paragraph", "write_report"]

#: tables in the report, in order, with a heading and how many rows to show
REPORT_TABLES = [
    ("membership", "Membership", None),
    ("tiers", "Sector tiers", None),
    ("metrics_by_member", "Dependency by candidate country (before and after)", 25),
    ("metrics_by_sector", "Members' adversary share and flagged pairs by sector", None),
    ("reallocations", "Largest reallocations of imports", 20),
    ("domestic", "Domestic substitution", 15),
    ("cost_by_member", "Cost by member", 20),
    ("cost_by_sector", "Cost by sector", 20),
    ("export_gains", "Who gains: new exports by supplier", 15),
    ("volume", "Trade volume retained by members", 25),
    ("lost_exports", "Exports lost to export controls", 15),
    ("binding_constraints", "Binding constraints by family", None),
]


def fmt_money(v: float) -> str:
    """USD mn with a thousands separator and one decimal, as every report states money."""
    return f"USD {v:,.1f} mn"


def _plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def _list(items: Sequence[str], empty: str = "none") -> str:
    return ", ".join(items) if items else empty


def _carried_clause(h: dict) -> str:
    """The dependency index counting carried adversary content, by each measure computed."""
    fo_b = h.get("first_order_dependency_before", h["effective_dependency_before"])
    fo_a = h.get("first_order_dependency_after", h["effective_dependency_after"])
    text = (
        "counting adversary content shipped through third countries in the same sector, from "
        f"{fo_b:.4f} to {fo_a:.4f}"
    )
    if h.get("look_through_dependency_before") is not None:
        text += (
            "; through every tier of the supply network (look-through), from "
            f"{h['look_through_dependency_before']:.4f} to "
            f"{h['look_through_dependency_after']:.4f}"
        )
    return text


def summary_paragraph(it: Interpretation) -> str:
    """The plain-language paragraph; each number is a value of a table or ``it.headline``."""
    h = it.headline
    inst = it.model.instance
    adv = " and ".join(inst.countries[inst.adversary])
    members, assoc = h["members"], h["associates"]
    n_open = int((it.plan.tiers == "open").sum())
    before, after = h["dependency_before"], h["dependency_after"]
    change = (after - before) / before * 100 if before > 0 else 0.0
    parts = [
        f"Scenario {it.name} ({it.model.problem.replace('_', ' ')}, objective "
        f"{h['objective_kind']}, status {h['status']}).",
        f"The coalition has {len(members)} full members ({_list(members)}) and "
        f"{len(assoc)} associates ({_list(assoc)}).",
        f"Restricted sectors: {_list(h['restricted'])}; incentivized: "
        f"{_list(h['incentivized'])}; {n_open} {_plural(n_open, 'sector stays', 'sectors stay')} "
        "open.",
        f"The plan costs {fmt_money(h['total_cost'])} of a {fmt_money(h['budget'])} budget.",
        f"The dependency index (the GDP- and criticality-weighted share of the focal countries' "
        f"imports that comes from {adv}) falls from {before:.4f} to {after:.4f} "
        f"({change:+.1f} %); {_carried_clause(h)}.",
        f"Strategic dependencies flagged in the EU 2021 style (supplier HHI > 0.4, more than "
        f"half from outside the coalition, and a sector the coalition imports from outside "
        f"more than it exports): "
        f"{h['flagged_before']} importer-sector pairs before, {h['flagged_after']} after.",
        f"Full members keep {h['volume_retained'] * 100:.1f} % of their import volume.",
    ]
    if h["lost_exports"] > 0:
        parts.append(f"Export controls cost members {fmt_money(h['lost_exports'])} of exports.")
    sp = it.tables.get("shadow_prices")
    if sp is not None and len(sp):
        parts.append(str(sp["sentence"].iloc[0]))
    return " ".join(parts)


def _md_table(df: pd.DataFrame, rows: int | None) -> str:
    d = df if rows is None else df.head(rows)
    d = d.reset_index() if not isinstance(d.index, pd.RangeIndex) else d
    cols = [str(c) for c in d.columns]

    def cell(v: object) -> str:
        if isinstance(v, float):
            return f"{v:,.4g}" if abs(v) < 1 else f"{v:,.1f}"
        if isinstance(v, (list, tuple)):
            return ", ".join(map(str, v))
        return str(v).replace("|", "/")

    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in d.itertuples(index=False)]
    more = "" if rows is None or len(df) <= rows else f"\n\n({len(df) - rows} more rows)"
    return "\n".join(lines) + more


def markdown_report(it: Interpretation, figures: dict[str, Path] | None = None) -> str:
    """The Markdown report: summary, why, tables and figures (linked by file name)."""
    out = [f"# {it.name}", "", it.summary(), ""]
    sp = it.tables.get("shadow_prices")
    if sp is not None and len(sp):
        out += ["## Why: shadow prices", ""] + [f"- {s}" for s in sp["sentence"]] + [""]
    for key, title, rows in REPORT_TABLES:
        df = it.tables.get(key)
        if df is None or not len(df):
            continue
        unit = df.attrs.get("unit", "")
        out += [f"## {title}" + (f" ({unit})" if unit else ""), "", _md_table(df, rows), ""]
    for name, path in (figures or {}).items():
        out += [f"![{name}]({Path(path).name})", ""]
    return "\n".join(out)


def html_report(it: Interpretation, figures: dict[str, Path] | None = None) -> str:
    """A self-contained HTML report (figures embedded as base64 PNG)."""
    body = [f"<h1>{html.escape(it.name)}</h1>", f"<p>{html.escape(it.summary())}</p>"]
    sp = it.tables.get("shadow_prices")
    if sp is not None and len(sp):
        body.append("<h2>Why: shadow prices</h2><ul>")
        body += [f"<li>{html.escape(s)}</li>" for s in sp["sentence"]]
        body.append("</ul>")
    for name, path in (figures or {}).items():
        data = base64.b64encode(Path(path).read_bytes()).decode()
        body.append(
            f'<figure><img alt="{html.escape(name)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{html.escape(name)}</figcaption></figure>"
        )
    for key, title, rows in REPORT_TABLES:
        df = it.tables.get(key)
        if df is None or not len(df):
            continue
        d = df if rows is None else df.head(rows)
        body.append(f"<h2>{html.escape(title)}</h2>")
        body.append(d.to_html(float_format=lambda v: f"{v:,.4g}", border=0, classes="t"))
    style = (
        "body{font-family:sans-serif;max-width:1100px;margin:2em auto;line-height:1.4}"
        "table.t{border-collapse:collapse;font-size:0.85em}"
        "table.t td,table.t th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:right}"
        "img{max-width:100%}"
    )
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(it.name)}</title><style>{style}</style></head><body>"
        + "\n".join(body)
        + "</body></html>\n"
    )


def write_report(
    it: Interpretation,
    directory: str | Path,
    plots: bool = True,
    frontier: pd.DataFrame | None = None,
) -> dict[str, Path]:
    """Write report.md, report.html and (with matplotlib) the PNG plots into ``directory``.

    Returns the paths written by name. Without matplotlib the plots are left out and the
    report says so.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    figures: dict[str, Path] = {}
    if plots:
        from planner.interpreter.plots import HAVE_MATPLOTLIB, save_plots

        if HAVE_MATPLOTLIB:
            figures = save_plots(it, directory, frontier=frontier)
    md = markdown_report(it, figures)
    if plots and not figures:
        md += "\n(Plots left out: install the `plots` extra for matplotlib.)\n"
    paths = {"report.md": directory / "report.md", "report.html": directory / "report.html"}
    paths["report.md"].write_text(md)
    paths["report.html"].write_text(html_report(it, figures))
    return {**paths, **figures}
