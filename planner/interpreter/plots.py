"""The report's figures, drawn from the report's data with matplotlib's headless Agg backend.

Every figure has a title, units on its axes and a one-line caption for the report; labels are
readable in print and nothing is clipped (``bbox_inches="tight"``). Figures are drawn from
:class:`~planner.interpreter.report.ReportData` alone, so ``planner report`` redraws them from
a run directory's files. matplotlib is a core dependency; :func:`require_matplotlib` says what
to do when it is missing.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from planner.errors import PlannerError
from planner.interpreter import formatting as fmt

if TYPE_CHECKING:
    from planner.interpreter.report import ReportData

__all__ = [
    "HAVE_MATPLOTLIB",
    "Figure",
    "PlotError",
    "plot_frontier",
    "require_matplotlib",
    "save_plots",
]

HAVE_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
TIER_COLOURS = {"restricted": "#b2182b", "incentivized": "#ef8a62", "open": "#d1e5f0"}
BEFORE, AFTER = "#a6a6a6", "#2166ac"
#: bars per figure at most (the tables beside the report have every row)
TOP = 30


class PlotError(PlannerError, ImportError):
    """matplotlib is missing although the figures were asked for."""


def require_matplotlib() -> None:
    """Raise :class:`PlotError` (exit 2) when matplotlib cannot be imported."""
    if importlib.util.find_spec("matplotlib") is None:
        raise PlotError(
            "matplotlib is not installed, but it is a dependency of the planner: reinstall "
            "it (pip install coalition-planner, or pip install matplotlib), or pass --no-plots"
        )


@dataclass(frozen=True)
class Figure:
    """A figure written for the report: file, title (with units) and a one-line caption."""

    name: str
    path: Path
    title: str
    caption: str


def _plt():
    require_matplotlib()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
            "font.size": 10,
            "axes.titlesize": 11,
            "figure.dpi": 100,
            # plain tick labels: no offset, no scientific notation
            "axes.formatter.useoffset": False,
            "axes.formatter.limits": (-30, 30),
        }
    )
    return plt


def _save(fig, path: Path) -> Path:
    # no Software/date metadata: the same data draws the same bytes
    fig.savefig(path, dpi=150, bbox_inches="tight", metadata={"Software": None})
    import matplotlib.pyplot as plt

    plt.close(fig)
    return path


def _money_axis(total_mn: float) -> tuple[str, float]:
    unit, div = fmt.money_unit(total_mn)
    return unit, div


def _shown(n: int, n_all: int, one: str, many: str, which: str) -> str:
    """``"all 53 coalition countries"``, ``"the 30 most dependent of 53 ..."``, ``"1 supplier"``."""
    if n == n_all:
        return f"{n} {one}" if n == 1 else f"all {n} {many}"
    return f"the {n} {which} of {n_all} {many}"


def _adversaries(data: ReportData) -> str:
    return " and ".join(data.facts.get("adversaries") or []) or "the adversaries"


# ------------------------------------------------------------------ the figures
def plot_dependency(data: ReportData, path: Path, top: int = TOP) -> Figure | None:
    """Dependency before and after by coalition country, most dependent first."""
    m = data.tables.get("metrics_by_member")
    if m is None:
        return None
    m = m[m["role"].isin(["member", "associate"])]
    if not len(m):
        return None
    n_all = len(m)
    m = m.sort_values("dependency_before", ascending=False, kind="stable").head(top)
    plt = _plt()
    fig, ax = plt.subplots(figsize=(8, 0.28 * len(m) + 1.6))
    y = np.arange(len(m))
    ax.barh(y - 0.2, m["dependency_before"], height=0.4, label="before", color=BEFORE)
    ax.barh(y + 0.2, m["dependency_after"], height=0.4, label="after the plan", color=AFTER)
    ax.set_yticks(
        y,
        [
            f"{c} ({'A' if r == 'associate' else 'M'})"
            for c, r in zip(m.index, m["role"], strict=True)
        ],
    )
    ax.invert_yaxis()
    ax.set_xlabel(
        "dependency index (0 to 1: criticality-weighted share of imports from "
        f"{_adversaries(data)})"
    )
    title = f"Dependency on {_adversaries(data)} by coalition country"
    ax.set_title(title)
    ax.legend(loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    f = data.facts
    shown = _shown(len(m), n_all, "coalition country", "coalition countries", "most dependent")
    caption = (
        f"Each coalition country's dependency before (grey) and after (blue) the plan, {shown}, "
        "most dependent first (M full member, A associate); the coalition's "
        f"index falls from {fmt.number(f['dependency_before'], decimals=4)} to "
        f"{fmt.number(f['dependency_after'], decimals=4)}."
    )
    return Figure("dependency", _save(fig, path), title, caption)


def _stacked(ax, df: pd.DataFrame, parts: list[tuple[str, str, str]], div: float) -> None:
    y = np.arange(len(df))
    left = np.zeros(len(df))
    for col, label, colour in parts:
        if col not in df:
            continue
        v = df[col].to_numpy(float) / div
        if not np.any(v > 0):
            continue
        ax.barh(y, v, left=left, color=colour, label=label)
        left += v
    ax.set_yticks(y, [str(i) for i in df.index])
    ax.invert_yaxis()
    ax.grid(axis="x", alpha=0.3)


def plot_cost(data: ReportData, path: Path, top: int = 15) -> Figure | None:
    """The plan's cost by member and by sector (largest first), by kind of spending."""
    cm, cs = data.tables.get("cost_by_member"), data.tables.get("cost_by_sector")
    if cm is None or cs is None or not (len(cm) or len(cs)):
        return None
    cm = cm.sort_values("total", ascending=False, kind="stable").head(top)
    cs = cs.sort_values("total", ascending=False, kind="stable").head(top)
    scale = max(fmt.scale_of(cm["total"]), fmt.scale_of(cs["total"]))
    unit, div = _money_axis(scale)
    plt = _plt()
    rows = max(len(cm), len(cs), 1)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 0.3 * rows + 2.2), layout="constrained")
    parts = [
        ("sourcing", "new sourcing", "#2166ac"),
        ("reshoring", "domestic substitution", "#ef8a62"),
        ("investment", "pooled investment", "#4d9221"),
    ]
    _stacked(a1, cm, parts, div)
    _stacked(a2, cs, parts, div)
    a1.set_title("by member")
    a2.set_title("by sector")
    a1.set_xlabel(unit)
    a2.set_xlabel(unit)
    handles, labels = {}, {}
    for ax in (a1, a2):
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(lab, h)
            labels[lab] = lab
    if handles:
        fig.legend(
            list(handles.values()),
            list(labels),
            loc="outside lower center",
            ncol=len(handles),
            frameon=False,
        )
    title = f"Cost of the plan by member and by sector ({unit})"
    fig.suptitle(title)
    f = data.facts
    caption = (
        f"What the plan pays for new sourcing, domestic substitution and pooled investment, by "
        f"member (left) and by sector (right), largest first; in all {fmt.usd(f['total_cost'])} "
        f"of a {fmt.usd(f['budget'])} budget."
    )
    return Figure("cost", _save(fig, path), title, caption)


def plot_gains(data: ReportData, path: Path, top: int = 20) -> Figure | None:
    """Who gains: new exports by supplier, coalition and others."""
    g = data.tables.get("export_gains")
    if g is None or not len(g):
        return None
    n_all = len(g)
    g = g.sort_values("new_exports", ascending=False, kind="stable").head(top)
    unit, div = _money_axis(fmt.scale_of(g["new_exports"]))
    plt = _plt()
    fig, ax = plt.subplots(figsize=(8, 0.28 * len(g) + 1.6))
    inside = g["in_coalition"].astype(bool).to_numpy()
    y = np.arange(len(g))
    v = g["new_exports"].to_numpy(float) / div
    ax.barh(y[inside], v[inside], color=AFTER, label="coalition member or associate")
    if (~inside).any():
        ax.barh(y[~inside], v[~inside], color="#f4a582", label="outside the coalition")
    ax.set_yticks(y, [str(i) for i in g.index])
    ax.invert_yaxis()
    ax.set_xlabel(f"new exports, {unit}")
    ax.legend(loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    title = f"Who gains: new exports by supplier ({unit})"
    ax.set_title(title)
    shown = _shown(len(g), n_all, "supplier", "suppliers", "largest")
    total = fmt.usd(float(data.tables["export_gains"]["new_exports"].sum()))
    caption = (
        f"The suppliers whose sales grow under the plan ({shown}), largest first; new exports "
        f"{total} in all."
    )
    return Figure("gains", _save(fig, path), title, caption)


def plot_tiers(data: ReportData, path: Path, columns: int = 10) -> Figure | None:
    """Every sector's tier as a grid of cells, critical sectors in bold."""
    t = data.tables.get("tiers")
    if t is None or not len(t):
        return None
    plt = _plt()
    n = len(t)
    rows = int(np.ceil(n / columns))
    fig, ax = plt.subplots(figsize=(8, 0.45 * rows + 1.0))
    for k, (sector, row) in enumerate(t.iterrows()):
        r, c = divmod(k, columns)
        ax.add_patch(
            plt.Rectangle((c, -r - 1), 0.95, 0.9, color=TIER_COLOURS.get(row["tier"], "#eee"))
        )
        ax.text(
            c + 0.47,
            -r - 0.55,
            str(sector),
            ha="center",
            va="center",
            fontsize=7,
            fontweight="bold" if row["weight"] > 0 else "normal",
            color="white" if row["tier"] == "restricted" else "black",
        )
    ax.set_xlim(0, columns)
    ax.set_ylim(-rows - 0.1, 0)
    ax.set_axis_off()
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in TIER_COLOURS.values()]
    ax.legend(
        handles,
        list(TIER_COLOURS),
        ncol=3,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        frameon=False,
    )
    title = "Sector tiers"
    ax.set_title(f"{title} (bold: critical sectors, weight > 0)")
    f = data.facts
    caption = (
        f"The tier of each of the {n} sectors: {len(f['restricted'])} restricted, "
        f"{len(f['incentivized'])} incentivized, {f['open']} open; critical sectors in bold."
    )
    return Figure("tiers", _save(fig, path), title, caption)


def plot_frontier(frontier: pd.DataFrame, path: Path) -> Path:
    """Total cost (USD bn) against the dependency index, one point per target."""
    plt = _plt()
    ok = frontier.dropna(subset=["total_cost"])
    unit, div = _money_axis(fmt.scale_of(ok["total_cost"]))
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(ok["dependency_index"], ok["total_cost"] / div, marker="o", color=AFTER)
    ax.set_xlabel("dependency index (0 to 1)")
    ax.set_ylabel(f"total cost, {unit}")
    ax.set_title(f"Cost of cutting dependency (frontier, {unit})")
    ax.grid(alpha=0.3)
    return _save(fig, path)


def _frontier_figure(data: ReportData, path: Path) -> Figure | None:
    fr = data.tables.get("frontier")
    if fr is None or "total_cost" not in fr or not fr["total_cost"].notna().any():
        return None
    unit, _ = _money_axis(fmt.scale_of(fr["total_cost"]))
    plot_frontier(fr, path)
    ok = fr.dropna(subset=["total_cost"])
    caption = (
        f"The least cost of reaching each dependency index, {len(ok)} points from "
        f"{fmt.number(float(ok['dependency_index'].max()), decimals=4)} down to "
        f"{fmt.number(float(ok['dependency_index'].min()), decimals=4)}."
    )
    return Figure("frontier", path, f"Cost of cutting dependency ({unit})", caption)


def save_plots(data: ReportData, directory: str | Path) -> list[Figure]:
    """Draw every figure the report's data allows into ``directory``, in report order:
    dependency, cost, gains, tiers, frontier (when one was computed)."""
    d = Path(directory)
    drawn = [
        plot_dependency(data, d / "dependency.png"),
        plot_cost(data, d / "cost.png"),
        plot_gains(data, d / "gains.png"),
        plot_tiers(data, d / "tiers.png"),
        _frontier_figure(data, d / "frontier.png"),
    ]
    return [f for f in drawn if f is not None]
