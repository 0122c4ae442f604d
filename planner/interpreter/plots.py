"""Figures readable in print: labels, units, nothing clipped (``bbox_inches="tight"``).

matplotlib is an optional extra (``pip install coalition-planner[plots]``); it is imported with
the non-interactive Agg backend only when a figure is drawn.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from planner.interpreter.core import Interpretation

__all__ = ["HAVE_MATPLOTLIB", "save_plots"]

HAVE_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
TIER_COLOURS = {"restricted": "#b2182b", "incentivized": "#ef8a62", "open": "#d1e5f0"}


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 10, "axes.titlesize": 11, "figure.dpi": 100})
    return plt


def _save(fig, path: Path) -> Path:
    fig.savefig(path, dpi=150, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return path


def plot_dependency(it: Interpretation, path: Path, top: int = 25) -> Path:
    """Dependency before and after for the members (largest GDP weight first)."""
    plt = _plt()
    m = it.tables["metrics_by_member"]
    m = m[m["role"].isin(["member", "associate"])].sort_values("weight", ascending=False).head(top)
    fig, ax = plt.subplots(figsize=(8, 0.3 * len(m) + 1.5))
    y = range(len(m))
    ax.barh([v + 0.2 for v in y], m["dependency_before"], height=0.4, label="before", color="#999")
    ax.barh([v - 0.2 for v in y], m["dependency_after"], height=0.4, label="after", color="#2166ac")
    ax.set_yticks(list(y), [f"{c} ({r})" for c, r in zip(m.index, m["role"], strict=True)])
    ax.invert_yaxis()
    ax.set_xlabel("criticality-weighted adversary share of imports")
    ax.set_title("Dependency on adversaries by coalition country")
    ax.legend(loc="lower right")
    return _save(fig, path)


def plot_tiers(it: Interpretation, path: Path) -> Path:
    """Tier of every sector, critical ones marked."""
    plt = _plt()
    t = it.tables["tiers"]
    fig, ax = plt.subplots(figsize=(10, 2.2))
    for k, (sector, row) in enumerate(t.iterrows()):
        ax.add_patch(plt.Rectangle((k, 0), 0.95, 1, color=TIER_COLOURS[row["tier"]]))
        ax.text(
            k + 0.47,
            0.5,
            str(sector),
            rotation=90,
            ha="center",
            va="center",
            fontsize=7,
            fontweight="bold" if row["weight"] > 0 else "normal",
        )
    ax.set_xlim(0, len(t))
    ax.set_ylim(0, 1)
    ax.set_yticks([])
    ax.set_xticks([])
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in TIER_COLOURS.values()]
    ax.legend(handles, list(TIER_COLOURS), ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.05))
    ax.set_title("Sector tiers (bold: critical sectors, weight > 0)")
    return _save(fig, path)


def plot_reallocations(it: Interpretation, path: Path, top: int = 20) -> Path:
    """The largest changes of imports on links (USD mn)."""
    plt = _plt()
    r = it.tables["reallocations"].head(top)
    fig, ax = plt.subplots(figsize=(8, 0.3 * max(len(r), 1) + 1.5))
    labels = [
        f"{a} <- {b} ({s})"
        for a, b, s in zip(r["importer"], r["exporter"], r["sector"], strict=True)
    ]
    ax.barh(
        range(len(r)), r["change"], color=["#b2182b" if v < 0 else "#2166ac" for v in r["change"]]
    )
    ax.set_yticks(range(len(r)), labels)
    ax.invert_yaxis()
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel("change of imports, USD mn (importer <- exporter, sector)")
    ax.set_title("Largest reallocations")
    return _save(fig, path)


def plot_capacity(it: Interpretation, path: Path, top: int = 20) -> Path:
    """Capacity use of the suppliers whose sales changed most."""
    plt = _plt()
    c = it.tables["capacity"]
    gains = it.tables["export_gains"]
    c = c[c["exporter"].isin(gains.index)].sort_values("used", ascending=False).head(top)
    fig, ax = plt.subplots(figsize=(8, 0.3 * max(len(c), 1) + 1.5))
    labels = [f"{e} ({s})" for e, s in zip(c["exporter"], c["sector"], strict=True)]
    ax.barh(range(len(c)), c["capacity"], color="#d9d9d9", label="capacity")
    ax.barh(range(len(c)), c["used"], color="#2166ac", label="sales after the plan")
    ax.set_yticks(range(len(c)), labels)
    ax.invert_yaxis()
    ax.set_xlabel("USD mn")
    ax.set_title("Capacity use of the suppliers that gain")
    ax.legend(loc="lower right")
    return _save(fig, path)


def plot_frontier(frontier: pd.DataFrame, path: Path) -> Path:
    """Total cost against the dependency index."""
    plt = _plt()
    ok = frontier.dropna(subset=["total_cost"])
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(ok["dependency_index"], ok["total_cost"], marker="o")
    ax.set_xlabel("dependency index")
    ax.set_ylabel("total cost, USD mn")
    ax.set_title("Cost of cutting dependency (frontier)")
    ax.grid(alpha=0.3)
    return _save(fig, path)


def save_plots(
    it: Interpretation, directory: Path, frontier: pd.DataFrame | None = None
) -> dict[str, Path]:
    """Draw every figure into ``directory``; returns name -> path."""
    directory = Path(directory)
    out = {
        "dependency": plot_dependency(it, directory / "dependency.png"),
        "tiers": plot_tiers(it, directory / "tiers.png"),
        "reallocations": plot_reallocations(it, directory / "reallocations.png"),
        "capacity": plot_capacity(it, directory / "capacity.png"),
    }
    if frontier is not None and len(frontier):
        out["frontier"] = plot_frontier(frontier, directory / "frontier.png")
    return out
