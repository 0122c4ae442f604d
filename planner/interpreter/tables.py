"""The analyst's tables of a solved model, read back by labels through the model's Plan, and
the report's views of them (which rows matter, which columns, in which units).

:func:`build_tables` computes the tables (money in USD mn, shares in [0, 1]);
:data:`VIEWS` and :func:`view` cut them for the report: the rows that matter, formatted for
people by :mod:`planner.interpreter.formatting`. The full tables are written beside the report
as CSV files (``report_KEY.csv``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from formulations.model import CoalitionModel, Plan
from planner.interpreter import formatting as fmt
from planner.interpreter.metrics import tag

__all__ = ["INDEX", "VIEWS", "TableView", "View", "build_tables", "view"]


def _membership(model: CoalitionModel, plan: Plan) -> pd.DataFrame:
    inst = model.instance
    co = inst.scenario.coalition
    shape = inst.scenario.constraints.coalition_shape
    anchors = set(co.anchors)
    fixed_full = set(co.members) | anchors
    fixed_assoc = set(co.associates)
    rows = []
    for k, c in enumerate(inst.countries):
        role = plan.roles[c]
        reg = inst.regime[k]
        if inst.adversary[k]:
            why = "adversary (coalition.adversaries)"
        elif not inst.candidate[k]:
            why = "not a candidate (coalition.candidates)"
        elif c in anchors:
            why = "anchor: fixed full member"
        elif c in fixed_full:
            why = "full member fixed by the scenario"
        elif c in fixed_assoc:
            why = "associate fixed by the scenario"
        elif not co.choose_members:
            why = "outside: membership fixed by the scenario"
        elif shape and reg < co.associate_threshold:
            why = f"ineligible: regime {reg:.2f} < associate threshold {co.associate_threshold}"
        elif role == "member":
            why = f"chosen: regime {reg:.2f} >= full threshold {co.full_threshold}"
        elif role == "associate":
            why = f"chosen as associate (regime {reg:.2f})"
        else:
            why = "eligible, not chosen"
        rows.append(
            {
                "iso3": c,
                "role": role,
                "gdp": inst.gdp[k],
                "regime": reg,
                "eligible_full": bool((not shape) or reg >= co.full_threshold),
                "eligible_associate": bool((not shape) or reg >= co.associate_threshold),
                "focal": bool(inst.focal[k]),
                "why": why,
            }
        )
    return tag(pd.DataFrame(rows).set_index("iso3"), "membership", "gdp: USD mn")


def build_tables(model: CoalitionModel, plan: Plan) -> dict[str, pd.DataFrame]:
    """Membership, tiers, reallocations, domestic, costs, gains, volume, lost exports, capacity.

    Every table carries ``attrs`` name and unit. Money is USD mn.
    """
    inst = model.instance
    sc = inst.scenario
    out: dict[str, pd.DataFrame] = {"membership": _membership(model, plan)}

    members = set(plan.members)
    coalition = members | set(plan.associates)
    lk = plan.links.copy()
    lk["change"] = lk["optimized"] - lk["baseline"]
    lk["cost"] = lk["unit_cost"] * lk["change"].clip(lower=0.0)
    adv = lk["exporter"].isin(list(inst.countries[inst.adversary]))
    a_before = lk[adv].groupby("sector")["baseline"].sum()
    a_after = lk[adv].groupby("sector")["optimized"].sum()
    free = inst.tier_fixed < 0
    out["tiers"] = tag(
        pd.DataFrame(
            {
                "tier": plan.tiers,
                "chosen": free,
                "weight": inst.weight,
                "category": inst.sector_category,
                "candidate_imports": inst.sector_volume,
                "adversary_imports_before": a_before.reindex(inst.sectors, fill_value=0.0),
                "adversary_imports_after": a_after.reindex(inst.sectors, fill_value=0.0),
            },
            index=inst.sectors,
        ),
        "tiers",
        "USD mn",
    )
    moved = lk[np.abs(lk["change"]) > 1e-6].sort_values("change", key=np.abs, ascending=False)
    out["reallocations"] = tag(moved.reset_index(drop=True), "reallocations", "USD mn")
    dom = plan.domestic.copy()
    dom["cost"] = dom["optimized"] * dom["unit_cost"]
    out["domestic"] = tag(dom, "domestic", "USD mn")

    sourcing = lk.groupby("importer")["cost"].sum()
    reshoring = dom.groupby("importer")["cost"].sum()
    by_member = pd.DataFrame({"sourcing": sourcing, "reshoring": reshoring}).fillna(0.0)
    by_member["total"] = by_member.sum(axis=1)
    by_member = by_member[by_member["total"] > 1e-9].sort_values("total", ascending=False)
    out["cost_by_member"] = tag(by_member, "cost_by_member", "USD mn")
    by_sector = pd.DataFrame(
        {
            "sourcing": lk.groupby("sector")["cost"].sum(),
            "reshoring": dom.groupby("sector")["cost"].sum(),
            "investment": (plan.investment["optimized"] * plan.investment["unit_cost"])
            .groupby(plan.investment["sector"])
            .sum(),
        }
    ).fillna(0.0)
    by_sector["total"] = by_sector.sum(axis=1)
    by_sector = by_sector[by_sector["total"] > 1e-9].sort_values("total", ascending=False)
    out["cost_by_sector"] = tag(by_sector, "cost_by_sector", "USD mn")

    alpha = sc.parameters.participation_margin
    gains = pd.DataFrame(
        {
            "new_exports": lk["change"].clip(lower=0.0).groupby(lk["exporter"]).sum(),
            "net_export_change": lk["change"].groupby(lk["exporter"]).sum(),
        }
    )
    gains = gains[gains["new_exports"] > 1e-9].sort_values("new_exports", ascending=False)
    gains["value_added"] = alpha * gains["new_exports"]
    gains["in_coalition"] = gains.index.isin(list(coalition))
    out["export_gains"] = tag(gains, "export_gains", "USD mn")

    vol = pd.DataFrame(
        {
            "before": lk.groupby("importer")["baseline"].sum(),
            "after": lk.groupby("importer")["optimized"].sum(),
        }
    )
    vol = vol.loc[vol.index.isin(list(members))]
    vol["change"] = vol["after"] - vol["before"]
    vol["retained"] = (vol["after"] / vol["before"]).where(vol["before"] > 0, 1.0)
    out["volume"] = tag(vol, "volume", "USD mn")

    lost = model.evaluate("lost_exports", plan.x)
    pairs = inst.pair_index()
    on = lost > 1e-9
    out["lost_exports"] = tag(
        pd.DataFrame(
            {
                "exporter": pairs.get_level_values(0)[on],
                "sector": pairs.get_level_values(1)[on],
                "lost": lost[on],
            }
        ),
        "lost_exports",
        "USD mn",
    )
    cap = plan.capacity.copy()
    cap["utilisation"] = (cap["used"] / cap["capacity"]).where(cap["capacity"] > 0)
    cap["spare"] = cap["capacity"] - cap["used"]
    out["capacity"] = tag(cap, "capacity", "USD mn")
    return out


# ------------------------------------------------------------------ the report's views
#: the index column of each table the report saves (None: a plain row number)
INDEX: dict[str, str | None] = {
    "membership": "iso3",
    "tiers": "sector",
    "metrics_by_member": "iso3",
    "metrics_by_sector": "sector",
    "cost_by_member": "importer",
    "cost_by_sector": "sector",
    "export_gains": "exporter",
    "reallocations": None,
    "domestic": None,
    "volume": "importer",
    "lost_exports": None,
    "binding_constraints": "family",
    "shadow_prices": None,
}

_TIER_ORDER = {"restricted": 0, "incentivized": 1, "open": 2}
_ROLE_ORDER = {"member": 0, "associate": 1}


@dataclass(frozen=True)
class View:
    """How the report shows one table.

    Attributes
    ----------
    key, title : str
        The table's key in ``Interpretation.tables`` and the report's heading.
    columns : tuple of (column, header, kind)
        What to show; ``kind`` is ``text``, ``int``, ``money`` (USD mn, shown in USD bn from
        USD 1 bn up, one unit per table), ``share`` (shown as %), ``index`` (a dependency
        index, 4 decimals), ``score`` (2 decimals), ``number``, ``dual`` or ``yesno``.
        Missing columns are skipped.
    rows : int
        How many rows the report shows.
    select : callable, optional
        The rows that matter, in order (default: the table's own order).
    what : str
        What the selection keeps, in words.
    """

    key: str
    title: str
    columns: tuple[tuple[str, str, str], ...]
    rows: int
    select: Callable[[pd.DataFrame], pd.DataFrame] | None = None
    what: str = ""


@dataclass
class TableView:
    """A view applied to a table: headers and cells as text, and what was left out."""

    title: str
    headers: list[str]
    cells: list[list[str]]
    shown: int
    total: int
    what: str
    file: str
    numeric: list[bool] = field(default_factory=list)

    @property
    def note(self) -> str:
        """``Showing 15 of 53 rows (...); the full table: report_KEY.csv.``"""
        if self.shown == self.total:
            rows = "1 row" if self.total == 1 else f"{self.total} rows"
            return f"{rows}, all shown; the full table: {self.file}."
        what = f" ({self.what})" if self.what else ""
        return f"Showing {self.shown} of {self.total} rows{what}; the full table: {self.file}."


def _coalition(df: pd.DataFrame) -> pd.DataFrame:
    d = df[df["role"].isin(list(_ROLE_ORDER))]
    order = d["role"].map(_ROLE_ORDER)
    key = d["gdp"] if "gdp" in d else d["dependency_before"]
    return d.iloc[np.lexsort((-key.to_numpy(float), order.to_numpy(int)))]


def _by_dependency(df: pd.DataFrame) -> pd.DataFrame:
    d = df[df["role"].isin(list(_ROLE_ORDER))]
    return d.sort_values("dependency_before", ascending=False, kind="stable")


def _tiered_or_critical(df: pd.DataFrame) -> pd.DataFrame:
    d = df[(df["tier"] != "open") | (df["weight"] > 0)]
    order = d["tier"].map(_TIER_ORDER).fillna(3)
    return d.iloc[np.lexsort((-d["weight"].to_numpy(float), order.to_numpy(int)))]


def _sectors_that_matter(df: pd.DataFrame) -> pd.DataFrame:
    flagged = (df["flagged_before"] > 0) | (df["flagged_after"] > 0)
    d = df[(df["tier"] != "open") | df["critical"].astype(bool) | flagged]
    before = d["members_adversary_share_before"].fillna(0.0).to_numpy(float)
    return d.iloc[np.lexsort((-before, ~d["critical"].astype(bool).to_numpy()))]


def _largest(column: str, absolute: bool = False) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def select(df: pd.DataFrame) -> pd.DataFrame:
        key = (lambda s: s.abs()) if absolute else None
        return df.sort_values(column, ascending=False, key=key, kind="stable")

    return select


def _binding(df: pd.DataFrame) -> pd.DataFrame:
    d = df[df["binding"] > 0]
    mag = d["largest_dual"].abs().fillna(-1.0).to_numpy(float)
    return d.iloc[np.argsort(-mag, kind="stable")]


def _least_retained(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values("retained", kind="stable")


VIEWS: tuple[View, ...] = (
    View(
        "membership",
        "The coalition: full members and associates",
        (
            ("iso3", "country", "text"),
            ("role", "role", "text"),
            ("gdp", "GDP", "money"),
            ("regime", "regime score", "score"),
            ("why", "why", "text"),
        ),
        200,
        _coalition,
        "full members first, then associates, largest GDP first",
    ),
    View(
        "tiers",
        "Sector tiers: tiered and critical sectors",
        (
            ("sector", "sector", "text"),
            ("tier", "tier", "text"),
            ("weight", "criticality weight", "number"),
            ("category", "category", "text"),
            ("candidate_imports", "candidates' imports", "money"),
            ("adversary_imports_before", "from adversaries before", "money"),
            ("adversary_imports_after", "after", "money"),
        ),
        60,
        _tiered_or_critical,
        "restricted, incentivized, then open sectors of weight > 0",
    ),
    View(
        "metrics_by_member",
        "Dependency by coalition country, before and after",
        (
            ("iso3", "country", "text"),
            ("role", "role", "text"),
            ("dependency_before", "dependency before", "index"),
            ("dependency_after", "after", "index"),
            ("first_order_dependency_after", "after, with carried content", "index"),
            ("look_through_dependency_after", "after, look-through", "index"),
            ("weight", "GDP weight (%)", "share"),
        ),
        25,
        _by_dependency,
        "coalition countries, most dependent before first",
    ),
    View(
        "metrics_by_sector",
        "Members' adversary share of imports by sector",
        (
            ("sector", "sector", "text"),
            ("tier", "tier", "text"),
            ("critical", "critical", "yesno"),
            ("members_adversary_share_before", "adversary share before (%)", "share"),
            ("members_adversary_share_after", "after (%)", "share"),
            ("flagged_before", "pairs flagged before", "int"),
            ("flagged_after", "after", "int"),
        ),
        25,
        _sectors_that_matter,
        "tiered, critical or flagged sectors; critical first",
    ),
    View(
        "cost_by_member",
        "Cost of the plan by member",
        (
            ("importer", "member", "text"),
            ("sourcing", "new sourcing", "money"),
            ("reshoring", "domestic substitution", "money"),
            ("total", "total", "money"),
        ),
        15,
        None,
        "largest first",
    ),
    View(
        "cost_by_sector",
        "Cost of the plan by sector",
        (
            ("sector", "sector", "text"),
            ("sourcing", "new sourcing", "money"),
            ("reshoring", "domestic substitution", "money"),
            ("investment", "pooled investment", "money"),
            ("total", "total", "money"),
        ),
        15,
        None,
        "largest first",
    ),
    View(
        "export_gains",
        "Who gains: new exports by supplier",
        (
            ("exporter", "supplier", "text"),
            ("new_exports", "new exports", "money"),
            ("net_export_change", "net change of exports", "money"),
            ("value_added", "value added gained", "money"),
            ("in_coalition", "in the coalition", "yesno"),
        ),
        15,
        None,
        "largest new exports first",
    ),
    View(
        "reallocations",
        "Largest reallocations of imports",
        (
            ("importer", "importer", "text"),
            ("exporter", "exporter", "text"),
            ("sector", "sector", "text"),
            ("baseline", "before", "money"),
            ("optimized", "after", "money"),
            ("change", "change", "money"),
            ("cost", "cost", "money"),
        ),
        15,
        _largest("change", absolute=True),
        "largest changes first",
    ),
    View(
        "domestic",
        "Domestic substitution",
        (
            ("importer", "country", "text"),
            ("sector", "sector", "text"),
            ("optimized", "produced at home instead", "money"),
            ("cost", "cost", "money"),
        ),
        10,
        _largest("cost"),
        "largest cost first",
    ),
    View(
        "volume",
        "Import volume kept by full members",
        (
            ("importer", "member", "text"),
            ("before", "imports before", "money"),
            ("after", "after", "money"),
            ("retained", "kept (%)", "share"),
        ),
        15,
        _least_retained,
        "least kept first",
    ),
    View(
        "lost_exports",
        "Exports lost to export controls",
        (
            ("exporter", "exporter", "text"),
            ("sector", "sector", "text"),
            ("lost", "lost exports", "money"),
        ),
        10,
        _largest("lost"),
        "largest first",
    ),
    View(
        "binding_constraints",
        "Binding constraints by family",
        (
            ("family", "family", "text"),
            ("binding", "binding rows", "int"),
            ("rows", "of rows", "int"),
            ("largest_dual", "largest shadow price", "dual"),
            ("at", "at", "text"),
            ("description", "what the rows say", "text"),
        ),
        30,
        _binding,
        "families with a binding row, largest shadow price first",
    ),
)

_NUMERIC_KINDS = {"int", "money", "share", "index", "score", "number", "dual"}


def _cell(v: object, kind: str, scale: float, money_div: float) -> str:
    if kind == "yesno":
        return "yes" if bool(v) and v == v else ""
    if kind == "text":
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return ""
        return str(v)
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "n/a"
    if kind == "int":
        return f"{int(v):,}"
    if kind == "money":
        return fmt.number(float(v) / money_div, scale=scale / money_div)
    if kind == "share":
        p = float(v) * 100
        return fmt.number(p, scale=scale * 100, digits=2, decimals=1 if abs(p) >= 0.1 else None)
    if kind == "index":
        return fmt.number(float(v), scale=scale, decimals=4)
    if kind == "score":
        return fmt.number(float(v), scale=scale, decimals=2)
    return fmt.number(float(v), scale=scale)


def view(spec: View, table: pd.DataFrame, rows: int | None = None) -> TableView:
    """Apply ``spec`` to ``table`` (as :func:`build_tables` or the saved CSV gives it).

    Parameters
    ----------
    spec : View
        Which rows and columns, and how to show them.
    table : pandas.DataFrame
        The full table (indexed as :data:`INDEX` says).
    rows : int, optional
        Rows to show (default ``spec.rows``).

    Returns
    -------
    TableView
        Headers and cells as text, every number formatted by
        :mod:`planner.interpreter.formatting` against its column's scale.
    """
    df = table.reset_index() if INDEX.get(spec.key) else table
    total = len(df)
    if spec.select is not None:
        df = spec.select(df)
    df = df.head(spec.rows if rows is None else rows)
    cols = [c for c in spec.columns if c[0] in df.columns]
    money = [c for c, _, k in cols if k == "money"]
    money_scale = fmt.scale_of(np.concatenate([df[c].to_numpy(float) for c in money] + [[]]))
    unit, div = fmt.money_unit(money_scale)
    headers, cells_by_col, numeric = [], [], []
    for c, header, kind in cols:
        headers.append(f"{header} ({unit})" if kind == "money" else header)
        col = df[c]
        scale = fmt.scale_of(col.to_numpy(float)) if kind in _NUMERIC_KINDS - {"int"} else 0.0
        cells_by_col.append([_cell(v, kind, scale, div) for v in col.tolist()])
        numeric.append(kind in _NUMERIC_KINDS)
    cells = [list(r) for r in zip(*cells_by_col, strict=True)] if cells_by_col else []
    return TableView(
        spec.title, headers, cells, len(df), total, spec.what, f"report_{spec.key}.csv", numeric
    )
