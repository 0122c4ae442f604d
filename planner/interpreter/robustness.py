"""What a robust plan means: every exit scenario, the price of robustness, who it leans on.

:func:`robustness_tables` turns a :class:`planner.robust.RobustOutcome` into

- ``robustness``: one row per exit scenario: leavers, probability, DI after the exit and the
  best recourse, its rise over the plan's nominal DI, recourse cost, status, and whether it
  is the worst;
- ``reliance``: one row per defector: the worst DI of the scenarios it is among, the rise
  over the nominal DI, and the new sales and own cost the nominal plan gives it; sorted with
  the member the plan leans on most first;

and a headline (``robustness`` in summary.json): method, mode, weight, k, the risk value, the
worst exit, and the price of robustness (the robust plan's nominal DI against the nominal
optimum's).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from planner.interpreter.metrics import tag

if TYPE_CHECKING:
    from planner.interpreter.core import Interpretation
    from planner.robust import RobustOutcome

__all__ = [
    "attach_robustness",
    "report_blocks",
    "report_extras",
    "report_figures",
    "robustness_headline",
    "robustness_sentences",
    "robustness_tables",
]

FIGURE = "robustness.png"


def _f(v: object) -> float | None:
    v = float(v)  # type: ignore[arg-type]
    return v if math.isfinite(v) else None


def _measure(o: RobustOutcome) -> str:
    """``effective_dependency`` when the objective measures effective content, else
    ``dependency``."""
    return "effective_dependency" if o.model.instance.effective_objective else "dependency"


def robustness_tables(o: RobustOutcome, it: Interpretation) -> dict[str, pd.DataFrame]:
    """The ``robustness`` and ``reliance`` tables (see the module docstring)."""
    model = o.model
    nominal = float(model.evaluate(model.dependency_measure(), it.plan.x)[0])
    t = o.evaluation.table.copy()
    t["measured"] = t[_measure(o)]  # the DI measure the objective uses
    t["rise"] = t["measured"] - nominal
    t["worst"] = t["measured"] == t["measured"].max()
    t["leavers"] = t["leavers"].map(lambda v: "+".join(v))
    cols = [
        "leavers",
        "probability",
        "dependency",
        "effective_dependency",
        "measured",
        "rise",
        "total_cost",
        "value",
        "status",
        "worst",
    ]
    scenarios = tag(t[cols], "robustness", "DI / USD mn")
    links = it.plan.links
    change = (links["optimized"] - links["baseline"]).clip(lower=0.0)
    sales = change.groupby(links["exporter"]).sum()
    cost = (change * links["unit_cost"]).groupby(links["importer"]).sum()
    rows = []
    roles = it.plan.roles
    for c in o.robust.scenarios.defectors:
        among = t.index[[c in str(s).split("+") for s in t.index]]
        worst = float(t.loc[among, "measured"].max()) if len(among) else math.nan
        rows.append(
            {
                "iso3": c,
                "role": roles.get(c, "outside"),
                "worst_dependency_when_leaving": worst,
                "rise": worst - nominal,
                "new_sales_in_plan": float(sales.get(c, 0.0)),
                "own_cost_in_plan": float(cost.get(c, 0.0)),
            }
        )
    rel = pd.DataFrame(rows).set_index("iso3") if rows else pd.DataFrame()
    if len(rel):
        rel = rel.sort_values(["rise", "new_sales_in_plan"], ascending=False)
    return {"robustness": scenarios, "reliance": tag(rel, "reliance", "DI / USD mn")}


def robustness_headline(o: RobustOutcome, it: Interpretation) -> dict:
    """The ``robustness`` key of summary.json."""
    cfg = o.robust.config
    model = o.model
    nominal = float(model.evaluate(model.dependency_measure(), it.plan.x)[0])
    t = it.tables["robustness"]
    rel = it.tables["reliance"]
    worst = t["measured"].idxmax() if len(t) and t["measured"].notna().any() else None
    price = nominal - o.nominal_dependency
    values = o.evaluation.table["value"].to_numpy(float) if len(t) else np.zeros(0)
    return {
        "method": o.method,
        "mode": cfg.mode,
        "weight": cfg.weight,
        "k": cfg.k,
        "alpha": cfg.alpha if cfg.mode == "cvar" else None,
        "defectors": list(o.robust.scenarios.defectors),
        "scenarios": len(t),
        "risk": _f(o.robust.risk(values)) if len(values) else 0.0,
        "objective": _f(o.result.objective),
        "best_bound": _f(o.result.best_bound),
        "gap": _f(o.result.gap),
        "worst_exit": None if worst is None else str(worst),
        "worst_dependency": None if worst is None else _f(t.loc[worst, "measured"]),
        "measure": _measure(o),
        "nominal_dependency": nominal,
        "nominal_optimum_dependency": _f(o.nominal_dependency),
        "price_of_robustness": _f(price),
        "price_of_robustness_pct": _f(price / o.nominal_dependency * 100)
        if o.nominal_dependency and math.isfinite(o.nominal_dependency)
        else None,
        "leans_on": [str(c) for c in rel.index[rel["rise"] > 1e-9][:3]] if len(rel) else [],
        "iterations": len(o.iterations),
        "sizes": {k: int(v) for k, v in o.sizes.items()},
    }


def attach_robustness(it: Interpretation, o: RobustOutcome) -> None:
    """Add the tables and the headline to an interpretation (in place)."""
    it.tables.update(robustness_tables(o, it))
    it.headline["robustness"] = robustness_headline(o, it)


def robustness_sentences(it: Interpretation) -> list[str]:
    """The robust plan in words; every number is in ``it.headline["robustness"]``."""
    h = it.headline.get("robustness")
    if not h:
        return []
    mode = {
        "worst_case": "the worst case",
        "expected": "the expected value",
        "cvar": f"the CVaR at alpha = {h['alpha']}",
    }[h["mode"]]
    out = [
        f"The plan is robust to the exit of any {h['k']} of {len(h['defectors'])} defectors "
        f"({h['scenarios']} exit scenarios, {mode} weighted {h['weight']:g}, solved by "
        f"{h['method']})."
    ]
    if h["worst_exit"] is not None:
        out.append(
            f"The worst exit is {h['worst_exit']}: after it, with the remaining members "
            f"re-sourcing, the dependency index is {h['worst_dependency']:.4f} against "
            f"{h['nominal_dependency']:.4f} with everyone in."
        )
    if h["nominal_optimum_dependency"] is not None:
        out.append(
            f"Price of robustness: the robust plan's nominal DI is {h['nominal_dependency']:.4f} "
            f"against the nominal optimum's {h['nominal_optimum_dependency']:.4f} "
            f"({h['price_of_robustness']:+.4f}"
            + (
                f", {h['price_of_robustness_pct']:+.1f} %"
                if h["price_of_robustness_pct"] is not None
                else ""
            )
            + ")."
        )
    if h["leans_on"]:
        out.append(f"The plan leans most on {', '.join(h['leans_on'])}.")
    return out


def _draw(t: pd.DataFrame, path: Path) -> Path | None:
    """DI after each exit (bars) against the nominal DI (line); None without matplotlib."""
    from planner.interpreter.plots import HAVE_MATPLOTLIB

    if not HAVE_MATPLOTLIB or not len(t):
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = t.sort_values("measured", ascending=False).head(40)
    nominal = float((t["measured"] - t["rise"]).iloc[0])
    fig, ax = plt.subplots(figsize=(8, 0.3 * len(t) + 1.5))
    colours = ["#b2182b" if bool(w) else "#2166ac" for w in t["worst"]]
    ax.barh(range(len(t)), t["measured"], color=colours)
    ax.axvline(nominal, color="black", lw=1, label="plan, everyone in")
    ax.set_yticks(range(len(t)), [str(s) for s in t["scenario"]])
    ax.invert_yaxis()
    ax.set_xlabel("dependency index after the exit (remaining members re-source)")
    ax.set_title("Exit scenarios (red: the worst)")
    ax.legend(loc="lower right")
    path = Path(path)
    fig.savefig(path, dpi=150, bbox_inches="tight")
    plt.close(fig)
    return path


def _view(df: pd.DataFrame, key: str, title: str, rows: int = 20):
    """A report table view of one of this module's tables (first ``rows`` rows)."""
    from planner.interpreter import formatting as fmt
    from planner.interpreter.tables import TableView

    d = df.head(rows)
    numeric = [pd.api.types.is_float_dtype(d[c]) for c in d.columns]
    cells = [
        [fmt.number(v) if isinstance(v, float) else str(v) for v in r]
        for r in d.itertuples(index=False)
    ]
    return TableView(
        title,
        [str(c) for c in d.columns],
        cells,
        len(d),
        len(df),
        "first rows",
        f"report_{key}.csv",
        numeric,
    )


def report_extras(it: Interpretation) -> tuple[dict, dict[str, pd.DataFrame]]:
    """Facts and tables the report adds for robustness and stability (empty when the run
    has neither): the sentences, and the tables with their index as a column."""
    facts: dict = {}
    tables: dict[str, pd.DataFrame] = {}
    if "robustness" in it.headline:
        facts["robustness_sentences"] = robustness_sentences(it)
        tables["robustness"] = it.tables["robustness"].reset_index()
        tables["reliance"] = it.tables["reliance"].reset_index()
    st = it.tables.get("stability")
    if st is not None:
        from planner.interpreter.stability import stability_sentences

        facts["stability_sentences"] = stability_sentences(st)
        ordered = st.sort_values("gain_from_moving", ascending=False)
        tables["stability"] = ordered.rename_axis("iso3").reset_index()
    return facts, tables


def report_blocks(data) -> list:
    """The report's robustness and stability sections, from its data (re-renderable)."""
    f, t = data.facts, data.tables
    out: list = []
    if f.get("robustness_sentences"):
        out += [("h2", "Robustness: exits of members"), ("p", " ".join(f["robustness_sentences"]))]
        if "robustness" in t:
            out.append(("table", _view(t["robustness"], "robustness", "Exit scenarios", 25)))
        if "reliance" in t:
            out.append(("table", _view(t["reliance"], "reliance", "Who the plan leans on", 15)))
    if f.get("stability_sentences"):
        out += [("h2", "Stability of the coalition"), ("p", " ".join(f["stability_sentences"]))]
        if "stability" in t:
            title = "Gain from leaving (members) or joining (outsiders), USD mn"
            out.append(("table", _view(t["stability"], "stability", title, 15)))
    return out


def report_figures(data, directory: Path) -> list:
    """The robustness figure for the report (none without exit scenarios)."""
    from planner.interpreter.plots import Figure

    t = data.tables.get("robustness")
    if t is None or not len(t) or not data.facts.get("robustness_sentences"):
        return []
    path = _draw(t, Path(directory) / FIGURE)
    if path is None:
        return []
    return [
        Figure(
            "robustness",
            path,
            "Dependency index after each exit scenario",
            "Bars: the DI after the exit with the remaining members re-sourcing (red: the "
            "worst); line: the plan with everyone in.",
        )
    ]
