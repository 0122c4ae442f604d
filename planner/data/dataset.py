"""The :class:`Dataset`: countries, sectors and cross-border flows, validated, with views."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from planner.data.network import NETWORK_FILE, Network, read_network
from planner.data.validation import (
    ISO3_RE,
    DataError,
    ValidationReport,
    check_codes,
    check_duplicates,
    check_known,
    check_numbers,
)

__all__ = ["REGIME_MEASURES", "SECTOR_DEFAULTS", "Dataset"]

ROW = "ROW"
SECTOR_DEFAULTS = {"headroom": 0.25, "premium": 0.10, "reshoring_cost": 0.5, "category": "other"}
REGIME_MEASURES = ("libdem", "polyarchy", "row_class")
_CATEGORY_RANK = {"other": 0, "critical": 1, "strategic": 2}


def _tag(obj: pd.Series, name: str, unit: str) -> pd.Series:
    obj = obj.rename(name)
    obj.attrs = {"name": name, "unit": unit}
    return obj


@dataclass
class Dataset:
    """Countries, sectors and cross-border flows (USD millions).

    Attributes
    ----------
    countries : pandas.DataFrame
        Indexed by ``iso3``; at least ``gdp`` (USD mn) and ``regime`` (score in [0, 1]).
    sectors : pandas.DataFrame
        Indexed by ``sector``; ``weight`` in [0, 1], ``headroom``, ``premium``,
        ``reshoring_cost``, ``category``.
    flows : pandas.DataFrame
        Columns ``importer``, ``exporter``, ``sector``, ``value``; cross-border only.
    output : pandas.DataFrame or None
        Indexed by (country, sector); ``gross_output`` (USD mn).
    domestic : pandas.DataFrame or None
        Indexed by (country, sector); ``value``: domestic intermediate flows (USD mn).
    name : str
        Dataset name (``"default"`` for the shipped one).
    source : pathlib.Path or None
        Directory it was read from.
    notes : list of str
        Everything the loader filled in or changed (never silent).
    regime_measure : str
        Which score ``countries["regime"]`` holds.
    defaulted : list of str
        Sector columns the file did not give and the loader filled with
        :data:`SECTOR_DEFAULTS` (a scenario's own value then applies instead).
    network_file : pathlib.Path or None
        The dataset's ``network.npz``, read on first access of :attr:`network`.
    network_ops : tuple
        Operations (folding, sector aggregation) to apply to the network read from
        ``network_file``, in order.
    """

    countries: pd.DataFrame
    sectors: pd.DataFrame
    flows: pd.DataFrame
    output: pd.DataFrame | None = None
    domestic: pd.DataFrame | None = None
    name: str = "dataset"
    source: Path | None = None
    notes: list[str] = field(default_factory=list)
    regime_measure: str = "libdem"
    defaulted: list[str] = field(default_factory=list)
    network_file: Path | None = None
    network_ops: tuple[Callable[[Network], Network], ...] = ()
    _network_cache: dict = field(default_factory=dict, repr=False, compare=False)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_frames(
        cls,
        countries: pd.DataFrame,
        sectors: pd.DataFrame,
        flows: pd.DataFrame,
        output: pd.DataFrame | None = None,
        domestic: pd.DataFrame | None = None,
        name: str = "dataset",
        files: Mapping[str, str] | None = None,
        source: Path | None = None,
    ) -> Dataset:
        """Validate plain tables (columns as in the dataset directory) and build a Dataset.

        Parameters
        ----------
        countries, sectors, flows, output, domestic : pandas.DataFrame
            Tables with the columns of a dataset directory (``iso3``/``sector`` as columns).
        name : str
            Dataset name.
        files : mapping, optional
            Table name -> file name used in error messages.
        source : pathlib.Path, optional
            Directory the tables came from.

        Raises
        ------
        DataError
            Listing every problem, each naming the file, the column and the first rows.
        """
        files = dict(files or {})
        fname = {
            k: files.get(k, f"{k} table")
            for k in ("countries", "sectors", "flows", "output", "domestic")
        }
        report = ValidationReport()
        notes: list[str] = []
        c = _clean_countries(countries, fname["countries"], report)
        defaulted: list[str] = []
        s = _clean_sectors(sectors, fname["sectors"], report, notes, defaulted)
        if report.issues:  # codes of the reference tables are needed below
            report.raise_if_any()
        f = _clean_flows(flows, fname["flows"], report, set(c.index), set(s.index))
        o = (
            _clean_by_country_sector(
                output, fname["output"], report, set(c.index), set(s.index), "gross_output"
            )
            if output is not None
            else None
        )
        d = (
            _clean_by_country_sector(
                domestic, fname["domestic"], report, set(c.index), set(s.index), "value"
            )
            if domestic is not None
            else None
        )
        report.raise_if_any()
        return cls(c, s, f, o, d, name=name, source=source, notes=notes, defaulted=defaulted)

    def validate(self) -> ValidationReport:
        """Check every table (and the network file) again; report all problems at once."""
        report = ValidationReport()
        if self.has_network:
            try:
                read_network(self.network_file, self.countries.index, self.sectors.index)
            except DataError as exc:
                report.issues.extend(exc.issues)
        try:
            Dataset.from_frames(
                self.countries.reset_index(),
                self.sectors.reset_index(),
                self.flows,
                None if self.output is None else self.output.reset_index(),
                None if self.domestic is None else self.domestic.reset_index(),
                name=self.name,
            )
        except DataError as exc:
            report.issues.extend(exc.issues)
        return report

    # ------------------------------------------------------------------ network
    @property
    def has_network(self) -> bool:
        """Whether the dataset carries an input-output network (without loading it)."""
        return self.network_file is not None and Path(self.network_file).exists()

    @property
    def network(self) -> Network | None:
        """The input-output network (loaded and validated on first access), or None."""
        if not self.has_network:
            return None
        key = (str(self.network_file), self.network_ops)
        net = self._network_cache.get(key)
        if net is None:
            # labels are checked against the tables the file belongs to (before any operation)
            codes = (None, None) if self.network_ops else (self.countries.index, self.sectors.index)
            net = read_network(self.network_file, *codes)
            for op in self.network_ops:
                net = op(net)
            self._network_cache.clear()  # one network per dataset lineage in memory
            self._network_cache[key] = net
        return net

    def require_network(self) -> Network:
        """The network, or DataError naming the missing file and the dataset directory."""
        net = self.network
        if net is None:
            where = self.source if self.source is not None else f"dataset {self.name!r}"
            raise DataError(
                f"this needs the input-output network: no {NETWORK_FILE} in {where} "
                "(see data/README.md, 'The network')",
                file=NETWORK_FILE,
                column="*",
            )
        return net

    def _with_network_op(self, op: Callable[[Network], Network], what: str) -> dict:
        """Fields for :func:`dataclasses.replace` that carry the network through ``op``."""
        if not self.has_network:
            return {}
        return {
            "network_ops": (*self.network_ops, op),
            "_network_cache": self._network_cache,
            "notes": [f"network: {what} (nodes merged, flows and output summed)"],
        }

    # ------------------------------------------------------------------ derived quantities
    def demand(self) -> pd.Series:
        """D[i,s]: imports of importer i in sector s (USD mn), indexed (importer, sector)."""
        d = self.flows.groupby(["importer", "sector"], sort=True)["value"].sum()
        return _tag(d, "demand", "USD mn")

    def exports(self) -> pd.Series:
        """X[j,s]: exports of exporter j in sector s (USD mn), indexed (exporter, sector)."""
        x = self.flows.groupby(["exporter", "sector"], sort=True)["value"].sum()
        return _tag(x, "exports", "USD mn")

    def gross_output(self) -> pd.Series:
        """GO[c,s] (USD mn), indexed (country, sector); empty without an output table."""
        if self.output is None:
            return _tag(pd.Series(dtype=float), "gross_output", "USD mn")
        return _tag(self.output["gross_output"], "gross_output", "USD mn")

    def adversary_imports(self, adversaries: Iterable[str]) -> pd.Series:
        """a0[i,s]: imports of i from the adversaries in s (USD mn)."""
        adv = set(adversaries)
        self._check_countries(adv, "adversaries")
        f = self.flows[self.flows["exporter"].isin(adv)]
        a = f.groupby(["importer", "sector"])["value"].sum()
        return _tag(a.reindex(self.demand().index, fill_value=0.0), "adversary_imports", "USD mn")

    def adversary_share(self, adversaries: Iterable[str] = ("CHN", "RUS")) -> pd.Series:
        """Share of i's imports in s that come from the adversaries (0 where D = 0)."""
        d = self.demand()
        a = self.adversary_imports(adversaries)
        share = (a / d.where(d > 0)).fillna(0.0)
        return _tag(share, "adversary_share", "share")

    def supplier_hhi(self) -> pd.Series:
        """Herfindahl-Hirschman index of i's suppliers in s (in [0, 1]; 1 = one supplier)."""
        d = self.demand()
        f = self.flows.join(d, on=["importer", "sector"])
        sq = (f["value"] / f["demand"].where(f["demand"] > 0)) ** 2
        h = sq.groupby([f["importer"], f["sector"]]).sum()
        return _tag(h.reindex(d.index, fill_value=0.0), "supplier_hhi", "index")

    def _check_countries(self, codes: Iterable[str], what: str) -> None:
        unknown = sorted(set(codes) - set(self.countries.index))
        if unknown:
            raise DataError(
                f"unknown country code(s) {unknown} (known: {len(self.countries)} countries)",
                file=self.name,
                column=what,
            )

    # ------------------------------------------------------------------ operations
    def with_regime(self, measure: str) -> Dataset:
        """Use another regime score: ``libdem`` (V-Dem liberal democracy, the default),
        ``polyarchy`` (V-Dem electoral democracy) or ``row_class`` (Regimes of the World class
        divided by 3)."""
        if measure not in REGIME_MEASURES:
            raise ValueError(f"regime measure {measure!r} is not one of {REGIME_MEASURES}")
        c = self.countries.copy()
        if "libdem" not in c.columns:
            c["libdem"] = c["regime"]
        if measure == "row_class":
            if "row_class" not in c.columns:
                raise DataError("no row_class column", file=self.name, column="row_class")
            c["regime"] = c["row_class"].astype(float) / 3.0
        else:
            if measure not in c.columns:
                raise DataError(f"no {measure} column", file=self.name, column=measure)
            c["regime"] = c[measure].astype(float)
        return replace(
            self,
            countries=c,
            regime_measure=measure,
            notes=[*self.notes, f"regime measure: {measure}"],
        )

    def subset_countries(self, keep: Iterable[str], row: str = ROW) -> Dataset:
        """Keep some countries; fold every other one into one rest-of-world aggregate.

        Flows between two folded countries become ``row``'s domestic flows, so every kept
        importer's and exporter's totals, and the grand total, are preserved. The aggregate's
        GDP is the sum and its regime score the GDP-weighted mean of the folded countries.
        """
        keep = list(dict.fromkeys(keep))
        self._check_countries(keep, "keep")
        if row in keep:
            raise ValueError(f"{row!r} names the aggregate; do not list it in keep")
        folded = [c for c in self.countries.index if c not in set(keep)]
        if not folded:
            return self
        to = pd.Series({c: (c if c in set(keep) else row) for c in self.countries.index})
        f = self.flows.assign(
            importer=self.flows["importer"].map(to), exporter=self.flows["exporter"].map(to)
        )
        internal = f["importer"] == f["exporter"]
        flows = (
            f[~internal]
            .groupby(["importer", "exporter", "sector"], as_index=False, sort=True)["value"]
            .sum()
        )
        dom_parts = [
            f[internal].rename(columns={"importer": "country"})[["country", "sector", "value"]]
        ]
        if self.domestic is not None:
            d = self.domestic.reset_index()
            d["country"] = d["country"].map(to)
            dom_parts.append(d[["country", "sector", "value"]])
        domestic = pd.concat(dom_parts).groupby(["country", "sector"], sort=True)[["value"]].sum()
        c = self.countries
        fold = c.loc[folded]
        gdp = float(fold["gdp"].sum())
        w = fold["gdp"] / gdp if gdp > 0 else pd.Series(1.0 / len(fold), index=fold.index)
        agg = {col: np.nan for col in c.columns}
        agg.update(
            {"name": "Rest of the world", "gdp": gdp, "regime": float((fold["regime"] * w).sum())}
        )
        for col in c.columns:
            if c[col].dtype == bool:
                agg[col] = False
        countries = pd.concat(
            [c.loc[keep], pd.DataFrame([agg], index=pd.Index([row], name="iso3"))]
        )
        output = None
        if self.output is not None:
            o = self.output.reset_index()
            o["country"] = o["country"].map(to)
            output = o.groupby(["country", "sector"], sort=True).sum(numeric_only=True)
        note = f"folded {len(folded)} countries into {row}"
        net = self._with_network_op(
            functools.partial(Network.aggregate, country_map=to.to_dict()),
            f"folded {len(folded)} countries into {row}",
        )
        return replace(
            self,
            countries=countries,
            flows=flows,
            output=output,
            domestic=domestic,
            network_ops=net.get("network_ops", self.network_ops),
            notes=[*self.notes, note, *net.get("notes", [])],
        )

    def aggregate_sectors(self, mapping: Mapping[str, str]) -> Dataset:
        """Merge sectors through ``mapping`` (old code -> new code); every code must be mapped.

        Flows and output are summed. A merged sector takes the most critical category of its
        parts, and flow-weighted means of weight, headroom, premium and reshoring cost.
        """
        unmapped = sorted(set(self.sectors.index) - set(mapping))
        if unmapped:
            raise DataError(
                f"sector mapping leaves {len(unmapped)} code(s) unmapped: {unmapped[:5]}",
                file="sector mapping",
                column="sector",
            )
        extra = sorted(set(mapping) - set(self.sectors.index))
        if extra:
            raise DataError(
                f"sector mapping names unknown code(s) {extra[:5]}",
                file="sector mapping",
                column="sector",
            )
        m = pd.Series(mapping)
        flows = (
            self.flows.assign(sector=self.flows["sector"].map(m))
            .groupby(["importer", "exporter", "sector"], as_index=False, sort=True)["value"]
            .sum()
        )
        vol = (
            self.flows.groupby("sector")["value"].sum().reindex(self.sectors.index, fill_value=0.0)
        )
        s = self.sectors.assign(
            new=m.reindex(self.sectors.index).to_numpy(), vol=vol.to_numpy() + 1e-12
        )
        rows = {}
        for new, g in s.groupby("new", sort=True):
            w = g["vol"] / g["vol"].sum()
            rec = {
                col: float((g[col] * w).sum())
                for col in ("weight", "headroom", "premium", "reshoring_cost")
                if col in g
            }
            rec["category"] = max(g["category"], key=lambda k: _CATEGORY_RANK.get(k, 0))
            rec["name"] = " + ".join(str(n) for n in g.get("name", g.index))
            rows[new] = rec
        sectors = pd.DataFrame.from_dict(rows, orient="index")
        sectors.index.name = "sector"

        def regroup(t: pd.DataFrame | None) -> pd.DataFrame | None:
            if t is None:
                return None
            r = t.reset_index()
            r["sector"] = r["sector"].map(m)
            return r.groupby(["country", "sector"], sort=True).sum(numeric_only=True)

        note = f"aggregated {len(mapping)} sectors into {len(sectors)}"
        net = self._with_network_op(
            functools.partial(Network.aggregate, sector_map=dict(mapping)),
            f"aggregated {len(mapping)} sectors into {len(sectors)}",
        )
        return replace(
            self,
            sectors=sectors,
            flows=flows,
            output=regroup(self.output),
            domestic=regroup(self.domestic),
            network_ops=net.get("network_ops", self.network_ops),
            notes=[*self.notes, note, *net.get("notes", [])],
        )

    def summary(self) -> str:
        """A few lines describing the dataset."""
        total = self.flows["value"].sum()
        return (
            f"{self.name}: {len(self.countries)} countries, {len(self.sectors)} sectors, "
            f"{len(self.flows)} cross-border flows totalling {total:,.1f} USD mn; "
            f"regime measure {self.regime_measure}"
        )

    def __repr__(self) -> str:
        return f"<Dataset {self.summary()}>"


# ---------------------------------------------------------------------- cleaning helpers
def _require(df: pd.DataFrame, cols: list[str], file: str, report: ValidationReport) -> bool:
    missing = [c for c in cols if c not in df.columns]
    for c in missing:
        report.add(file, c, f"required column is missing (columns present: {list(df.columns)})")
    return not missing


def _clean_countries(df: pd.DataFrame, file: str, report: ValidationReport) -> pd.DataFrame:
    df = df.reset_index(drop=df.index.name is None)
    if not _require(df, ["iso3", "gdp", "regime"], file, report):
        return pd.DataFrame(columns=["gdp", "regime"], index=pd.Index([], name="iso3"))
    df = df.copy()
    df["iso3"] = df["iso3"].astype(str).str.strip()
    check_codes(report, file, df["iso3"], ISO3_RE, "country code")
    check_duplicates(report, file, df, ["iso3"])
    df["gdp"] = check_numbers(report, file, df["gdp"], low=0.0)
    df["regime"] = check_numbers(report, file, df["regime"], low=0.0, high=1.0)
    for col in ("polyarchy", "libdem"):
        if col in df.columns:
            df[col] = check_numbers(report, file, df[col], low=0.0, high=1.0, required=False)
    if "name" not in df.columns:
        df["name"] = df["iso3"]
    return df.set_index("iso3")


def _clean_sectors(
    df: pd.DataFrame,
    file: str,
    report: ValidationReport,
    notes: list[str],
    defaulted: list[str],
) -> pd.DataFrame:
    df = df.reset_index(drop=df.index.name is None)
    if not _require(df, ["sector", "weight"], file, report):
        return pd.DataFrame(columns=["weight"], index=pd.Index([], name="sector"))
    df = df.copy()
    df["sector"] = df["sector"].astype(str).str.strip()
    check_codes(report, file, df["sector"], None, "sector code")
    check_duplicates(report, file, df, ["sector"])
    df["weight"] = check_numbers(report, file, df["weight"], low=0.0, high=1.0)
    for col, default in SECTOR_DEFAULTS.items():
        if col not in df.columns:
            df[col] = default
            defaulted.append(col)
            notes.append(f"{file}: no {col!r} column; every sector gets the default {default!r}")
        elif col != "category":
            df[col] = check_numbers(report, file, df[col], low=0.0)
    bad = ~df["category"].isin(list(_CATEGORY_RANK))
    report.add(
        file, "category", f"category must be one of {list(_CATEGORY_RANK)}", bad, df["category"]
    )
    if "name" not in df.columns:
        df["name"] = df["sector"]
    return df.set_index("sector")


def _clean_flows(
    df: pd.DataFrame, file: str, report: ValidationReport, countries: set, sectors: set
) -> pd.DataFrame:
    cols = ["importer", "exporter", "sector", "value"]
    if not _require(df, cols, file, report):
        return pd.DataFrame(columns=cols)
    if len(df) == 0:
        report.add(file, "*", "the table has no rows: there is no trade to plan")
        return pd.DataFrame(columns=cols)
    df = df[cols].copy()
    for col in ("importer", "exporter", "sector"):
        df[col] = df[col].astype(str).str.strip()
    df["value"] = check_numbers(report, file, df["value"], low=0.0)
    check_known(report, file, df["importer"], countries, "the country table")
    check_known(report, file, df["exporter"], countries, "the country table")
    check_known(report, file, df["sector"], sectors, "the sector table")
    same = (df["importer"] == df["exporter"]).to_numpy()
    report.add(
        file,
        "exporter",
        "flows must be cross-border (importer == exporter); put domestic flows in domestic.csv",
        same,
        df["exporter"],
    )
    check_duplicates(report, file, df, ["importer", "exporter", "sector"])
    return df.reset_index(drop=True)


def _clean_by_country_sector(
    df: pd.DataFrame, file: str, report: ValidationReport, countries: set, sectors: set, value: str
) -> pd.DataFrame:
    df = df.reset_index(drop=df.index.names == [None])
    cols = ["country", "sector", value]
    if not _require(df, cols, file, report):
        return pd.DataFrame(columns=[value])
    df = df.copy()
    for col in ("country", "sector"):
        df[col] = df[col].astype(str).str.strip()
    df[value] = check_numbers(report, file, df[value], low=0.0)
    for col in df.columns.difference(["country", "sector", value]):
        df[col] = check_numbers(report, file, df[col], required=False)
    check_known(report, file, df["country"], countries, "the country table")
    check_known(report, file, df["sector"], sectors, "the sector table")
    check_duplicates(report, file, df, ["country", "sector"])
    return df.set_index(["country", "sector"])
