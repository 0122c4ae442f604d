"""The gallery's report: the league table of real coalitions against the best of their size,
as Markdown, a self-contained HTML page with the chart, and a brief in plain sentences.

Every number goes through :mod:`planner.interpreter.formatting` (per cent, USD, plain decimals).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from planner.interpreter import formatting as fmt

__all__ = ["gallery_brief", "league_rows", "plot_gallery", "write_gallery_report"]

#: the columns of the league table as shown (gallery.csv has every column)
HEAD = [
    "bloc",
    "size",
    "GDP share",
    "DI before -> after",
    "look-through DI before -> after",
    "cost",
    "output protected",
    "best same size: DI after",
    "best: cost",
    "efficiency",
    "best: status (gap)",
    "swap in",
    "swap out",
]


def _pct(v: float, decimals: int = 1) -> str:
    return "n/a" if v is None or not math.isfinite(float(v)) else fmt.percent(float(v), decimals)


def _money(v: float) -> str:
    return "n/a" if v is None or not math.isfinite(float(v)) else fmt.usd(float(v))


def _codes(text: object) -> list[str]:
    return [c for c in str(text or "").split(";") if c and c != "nan"]


def _size(r: dict[str, Any]) -> str:
    n, listed = int(r["size"]), int(r["listed"])
    text = f"{n}" if n == listed else f"{n} of {listed}"
    assoc = int(r["associates"])
    return text + (f" ({assoc} associate{'s' if assoc != 1 else ''})" if assoc else "")


def _note(r: dict[str, Any], key: str) -> str:
    """A stress note cell: the reason a protected-output figure is missing, or ''."""
    v = r.get(key)
    return v if isinstance(v, str) else ""


def _protected(r: dict[str, Any]) -> str:
    """The bloc's protected-output cell; 'n/a (see below)' when the test gave a reason."""
    if _note(r, "protected_output_note") and not math.isfinite(float(r["protected_output"])):
        return "n/a (see below)"
    return f"{_money(r['protected_output'])} ({_pct(r['protected_output_pct'], 2)})"


def league_rows(table: pd.DataFrame, stress: bool = True) -> tuple[list[str], list[list[str]]]:
    """The league table as text cells (header, rows), in the table's order."""
    head = list(HEAD) if stress else [h for h in HEAD if h != "output protected"]
    rows = []
    for r in table.to_dict("records"):
        gap = r.get("best_gap")
        status = str(r["best_status"])
        if gap is not None and math.isfinite(float(gap)):
            status += f" ({fmt.percent(float(gap), 2)})"
        restart = str(r.get("best_restart") or "")
        if restart in ("bloc", "incumbent"):
            status += ", re-solved from the bloc" if restart == "bloc" else ", HiGHS went on"
        cells = [
            str(r["title"]),
            _size(r),
            _pct(r["gdp_share"]),
            f"{_pct(r['dependency_before'])} -> {_pct(r['dependency_after'])}",
            f"{_pct(r['look_through_before'])} -> {_pct(r['look_through_after'])}",
            _money(r["total_cost"]),
            _protected(r) if stress else None,
            _pct(r["best_dependency_after"]),
            _money(r["best_total_cost"]),
            _pct(r["efficiency"], 0),
            status,
            ", ".join(_codes(r["swap_in"])) or "none",
            ", ".join(_codes(r["swap_out"])) or "none",
        ]
        rows.append([c for c in cells if c is not None])
    return head, rows


def _sentence(r: dict[str, Any]) -> str:
    """One bloc in words: how much of the best same-size cut it achieves, and the swap."""
    n = int(r["size"])
    title = str(r["title"])
    eff = r["efficiency"]
    before, after, best = r["dependency_before"], r["dependency_after"], r["best_dependency_after"]
    anchor = ", ".join(_codes(r["anchor"]))
    around = f" around {anchor}" if anchor else ""
    missing = _codes(r["not_modelled"])
    lead = f"**{title}** ({n} modelled member{'s' if n != 1 else ''}"
    lead += f"; {', '.join(missing)} not modelled)" if missing else ")"
    if eff is None or not math.isfinite(float(eff)):
        text = (
            f"{lead} leaves the dependency index at {_pct(after)}; no coalition of {n}{around} "
            "cuts it either."
        )
    else:
        text = (
            f"{lead} cuts the dependency index from {_pct(before)} to {_pct(after)}: "
            f"{_pct(eff, 0)} of what the best {n}-country coalition{around} would achieve "
            f"({_pct(best)})."
        )
    swap_in, swap_out = _codes(r["swap_in"]), _codes(r["swap_out"])
    if swap_in or swap_out:
        gain = float(after) - float(best)
        cost_b, cost_best = float(r["total_cost"]), float(r["best_total_cost"])
        if abs(cost_best - cost_b) <= 0.005 * max(abs(cost_b), 1.0):
            cost = f"at the same cost ({_money(cost_b)})"
        else:
            cost = f"at a cost of {_money(cost_best)} instead of {_money(cost_b)}"
        text += (
            f" Swapping {', '.join(swap_out) or 'nobody'} for {', '.join(swap_in) or 'nobody'} "
            f"would lower it by a further {fmt.percentage_points(gain)}, {cost}."
        )
    else:
        text += " The bloc is itself the best coalition of its size."
    if str(r.get("best_status")) != "optimal":
        gap = r.get("best_gap")
        gap_text = (
            f", {fmt.percent(float(gap), 1)} from the proven bound"
            if gap is not None and math.isfinite(float(gap))
            else ""
        )
        text += (
            f" The best coalition is the best found within the time limit{gap_text}: a better "
            "one may exist, so the efficiency is an upper bound."
        )
    assoc = _codes(r.get("bloc_associates"))
    if assoc:
        text += (
            f" {', '.join(assoc)} {'scores' if len(assoc) == 1 else 'score'} below the "
            "full-membership threshold and take"
            f"{'s' if len(assoc) == 1 else ''} part as "
            + (
                "an associate (a trusted supplier whose own sourcing is not planned)."
                if len(assoc) == 1
                else "associates (trusted suppliers whose own sourcing is not planned)."
            )
        )
    return text


def gallery_brief(table: pd.DataFrame) -> list[str]:
    """The brief: an overview sentence, then one paragraph per bloc, best first."""
    if table.empty:
        return ["No bloc was run."]
    ok = table[table["efficiency"].notna()]
    out = []
    if len(ok):
        top, low = ok.iloc[0], ok.iloc[-1]
        out.append(
            f"Of the {len(table)} blocs, {top['title']} comes closest to the best coalition of "
            f"its size ({_pct(top['efficiency'], 0)} of the attainable cut in the dependency "
            f"index), {low['title']} is furthest from it ({_pct(low['efficiency'], 0)}). "
            f"Every bloc starts from the same dependency index "
            f"({_pct(table['dependency_before'].iloc[0])}) under the same budget and rules; "
            "the index measures the GDP- and criticality-weighted adversary share of all "
            "candidates' imports, so a bloc also counts for what it does for outsiders (they "
            "keep their baseline)."
        )
    out += [_sentence(r) for r in table.to_dict("records")]
    return out


def plot_gallery(table: pd.DataFrame, path: Path) -> Any:
    """Dependency index after each bloc's plan and after the best coalition of its size,
    with the common baseline (horizontal bars, per cent); returns a report Figure."""
    from planner.interpreter.plots import AFTER, BEFORE, Figure, _plt, _save

    plt = _plt()
    t = table.iloc[::-1]
    n = len(t)
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * n + 1.4))
    y = list(range(n))
    h = 0.38
    ax.barh([k + h / 2 for k in y], t["dependency_after"] * 100, h, color=BEFORE, label="the bloc")
    ax.barh(
        [k - h / 2 for k in y],
        t["best_dependency_after"] * 100,
        h,
        color=AFTER,
        label="best coalition of the same size",
    )
    base = float(t["dependency_before"].iloc[0]) * 100
    ax.axvline(base, color="#b2182b", linestyle="--", linewidth=1, label="before any plan")
    ax.set_yticks(y)
    ax.set_yticklabels([f"{a} ({int(s)})" for a, s in zip(t["title"], t["size"], strict=True)])
    ax.set_xlabel("dependency index after the plan, %")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12 - 0.6 / (n + 2)), ncol=3, fontsize=8)
    ax.set_title("Real coalitions against the best coalition of their size")
    _save(fig, path)
    return Figure(
        "gallery",
        path,
        "Dependency index after each bloc's plan and after the best coalition of its size (%)",
        "Grey: the bloc as it is; blue: the best coalition of as many countries around the same "
        "anchor, under the same budget and rules; dashed: the dependency index before any plan.",
    )


def write_gallery_report(
    table: pd.DataFrame,
    directory: str | Path,
    plots: bool = True,
    notes: Sequence[str] = (),
    specs: Sequence[Any] = (),
) -> dict[str, Path]:
    """gallery.md, gallery.html (self-contained, with the chart) and gallery.png."""
    from planner.interpreter.report import _render_html, _render_md

    d = Path(directory)
    stress = any(
        c in table and table[c].notna().any() for c in ("protected_output", "best_protected_output")
    ) or any(
        c in table and table[c].map(lambda v: isinstance(v, str) and v != "").any()
        for c in ("protected_output_note", "best_protected_output_note")
    )
    head, rows = league_rows(table, stress=bool(stress))
    blocks: list = [("h1", "Real coalitions side by side")]
    blocks.append(("h2", "The brief"))
    blocks += [("p", s) for s in gallery_brief(table)]
    fig = plot_gallery(table, d / "gallery.png") if plots and len(table) else None
    if fig is not None:
        blocks.append(("figure", fig))
    blocks.append(("h2", "League table"))
    blocks.append(("grid", head, rows))
    legend = (
        "Efficiency = the bloc's cut of the dependency index (DI before - after) over the "
        "cut of the best coalition of the same size (at most as many countries, the same "
        "anchor and thresholds, membership chosen). Swap in / out: who that coalition adds "
        "and who it leaves out. Status: the optimum's solver status and remaining MIP "
        "gap; 'HiGHS went on': CBC stopped at its time limit and HiGHS continued from its "
        "incumbent; 're-solved from the bloc': the optimum came out worse than the bloc and "
        "was solved again from the bloc's plan."
    )
    if stress:
        legend += (
            " Output protected: gross output the bloc's plan saves its members under an "
            "adversary export ban of the plan's tiered sectors (the default test of planner "
            "stress RUN_DIR: linear technology, rerouting 50 %), USD and % of their output."
        )
    blocks.append(("p", legend))
    unstressed = [
        f"{r['title']}{' (its best same-size coalition)' if key.startswith('best_') else ''}: "
        + _note(r, key)
        for r in table.to_dict("records")
        for key in ("protected_output_note", "best_protected_output_note")
        if _note(r, key)
    ]
    if stress and unstressed:
        blocks.append(("h2", "Output protected: not computed"))
        blocks.append(("ul", unstressed))
    missing = [s for s in specs if getattr(s, "not_modelled", ())]
    if missing:
        blocks.append(("h2", "Members not modelled"))
        blocks.append(
            (
                "ul",
                [
                    f"{s.title}: {', '.join(s.not_modelled)} (outside the dataset's economies)"
                    for s in missing
                ],
            )
        )
    if notes:
        blocks.append(("h2", "Notes"))
        blocks.append(("ul", list(notes)))
    if specs:
        blocks.append(("h2", "Sources of the bloc lists"))
        blocks.append(("ul", [f"{s.title}: {s.source}" for s in specs]))
    md = d / "gallery.md"
    md.write_text(_render_md(blocks))
    page = d / "gallery.html"
    page.write_text(_render_html("Real coalitions side by side", blocks))
    out = {"md": md, "html": page}
    if fig is not None:
        out["png"] = fig.path
    return out
