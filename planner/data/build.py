"""Build the shipped default dataset (data/) from the raw files in shared/data/.

    python -m planner.data.build --raw ../shared/data --out data

Deterministic: a rerun writes the same bytes. The build checks its output against the raw files
(row counts, totals, every flow value read back) and fails loudly on any mismatch.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from planner.data import reference as ref
from planner.errors import PlannerError

RAW_FLOWS = "icio2022/icio2022_bilateral_intermediate_by_sector.csv.gz"
RAW_OUTPUT = "icio2022/icio2022_output_by_country_sector.csv.gz"
RAW_COUNTRY_CODES = "icio2022/OECD_ICIO_2025_country_code_mapping.csv"
RAW_SECTOR_CODES = "icio2022/OECD_ICIO_2025_sector_code_mapping.csv"
RAW_WDI = "wdi/WB_API_NY.GDP.MKTP.CD_DS2_en_csv_v2_9865.csv"
RAW_VDEM = "vdem/vdem_v15_libdem_polyarchy_2010_2024.csv"
RAW_ROW = "regimes/owid_political-regime_RoW.csv"
RAW_UNGA = "unga/voeten_IdealpointestimatesAll_Apr2020.csv"

YEAR = 2022
UNGA_SESSION = 74  # the 2019 session, the last in the file
ICIO_AGGREGATES = {"ROW", "MX1", "MX2", "CN1", "CN2"}
EXPECTED_FILLS = {"regime": {"TWN", "BRN"}, "gdp": {"TWN"}, "row_class": {"BRN"}}


class BuildError(PlannerError, RuntimeError):
    """The raw files do not match what the build expects."""


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    # repr-precision floats and "\n" line ends: the same bytes on every rerun and platform
    df.to_csv(path, index=False, lineterminator="\n")


def read_raw_flows(raw: Path) -> pd.DataFrame:
    """The raw ICIO intermediate flows (domestic rows included)."""
    df = pd.read_csv(
        raw / RAW_FLOWS,
        dtype={"importer": str, "exporter": str, "sector": str, "value_usd_mn": float},
    )
    expected = ["importer", "exporter", "sector", "value_usd_mn"]
    if list(df.columns) != expected:
        raise BuildError(f"{RAW_FLOWS}: columns {list(df.columns)}, expected {expected}")
    return df


def _countries(raw: Path, codes: list[str]) -> pd.DataFrame:
    names = pd.read_csv(raw / RAW_COUNTRY_CODES, encoding="utf-8-sig", dtype=str)
    names = names.set_index("code")["country_or_region"]
    out = pd.DataFrame(index=pd.Index(codes, name="iso3"))
    out["name"] = names.reindex(out.index).to_numpy()
    fills: dict[str, list[str]] = {c: [] for c in codes}

    # GDP, current USD -> USD millions
    wdi = pd.read_csv(raw / RAW_WDI, skiprows=4, dtype={"Country Code": str})
    gdp = wdi.set_index("Country Code")[str(YEAR)] / 1e6
    out["gdp"] = gdp.reindex(out.index).to_numpy()
    missing = set(out.index[out["gdp"].isna()])
    if missing != EXPECTED_FILLS["gdp"]:
        raise BuildError(f"{RAW_WDI}: GDP {YEAR} missing for {sorted(missing)}, expected only TWN")
    out.loc["TWN", "gdp"] = ref.TAIWAN_GDP_2022_USD_MN
    fills["TWN"].append("gdp: " + ref.TAIWAN_GDP_SOURCE)

    # Regimes of the World class: latest year up to YEAR (the OWID export ends in 2021)
    row = pd.read_csv(raw / RAW_ROW, dtype={"Code": str})
    row = row[row["Year"] <= YEAR].dropna(subset=["Code"])
    row_year = int(row["Year"].max())
    row_latest = row[row["Year"] == row_year].set_index("Code")["regime_row_owid"]
    out["row_class"] = row_latest.reindex(out.index).to_numpy()
    missing = set(out.index[out["row_class"].isna()])
    if missing != EXPECTED_FILLS["row_class"]:
        raise BuildError(f"{RAW_ROW}: RoW class missing for {sorted(missing)}, expected only BRN")
    out.loc["BRN", "row_class"] = 0
    fills["BRN"].append(
        "row_class: 0 (closed autocracy): Brunei is an absolute monarchy without elections "
        "to its legislature (Constitution of Brunei, 1959; not covered by V-Dem)"
    )
    out["row_class"] = out["row_class"].astype("int64")
    out["row_class_year"] = row_year

    # V-Dem liberal and electoral democracy, YEAR
    vdem = pd.read_csv(raw / RAW_VDEM, dtype={"country_text_id": str})
    v = vdem[vdem["year"] == YEAR].set_index("country_text_id")
    out["regime"] = v["v2x_libdem"].reindex(out.index).to_numpy()
    out["polyarchy"] = v["v2x_polyarchy"].reindex(out.index).to_numpy()
    missing = set(out.index[out["regime"].isna()])
    if missing != EXPECTED_FILLS["regime"]:
        raise BuildError(f"{RAW_VDEM}: {YEAR} index missing for {sorted(missing)}")
    # Fill: the median score of the countries in the same RoW class (all V-Dem countries).
    all_row = row_latest.rename("row_class").to_frame().join(v[["v2x_libdem", "v2x_polyarchy"]])
    for iso in sorted(missing):
        cls = int(out.loc[iso, "row_class"])
        peers = all_row[all_row["row_class"] == cls].dropna()
        out.loc[iso, "regime"] = float(peers["v2x_libdem"].median())
        out.loc[iso, "polyarchy"] = float(peers["v2x_polyarchy"].median())
        fills[iso].append(
            f"regime, polyarchy: median V-Dem {YEAR} scores of the {len(peers)} countries in "
            f"RoW class {cls} ({row_year})"
        )

    # UN General Assembly ideal point, 2019 session
    unga = pd.read_csv(raw / RAW_UNGA, encoding="latin-1", dtype={"iso3c": str})
    u = unga[unga["session"] == UNGA_SESSION].dropna(subset=["iso3c"]).set_index("iso3c")
    out["unga_ideal_point_2019"] = u["IdealPoint"].reindex(out.index).to_numpy()
    for iso in out.index[out["unga_ideal_point_2019"].isna()]:
        fills[iso].append("unga_ideal_point_2019: none (not a UN member state); left empty")

    for bloc, (members, _src) in ref.BLOCS.items():
        out[bloc] = out.index.isin(members)
    out["fills"] = ["; ".join(fills[c]) for c in out.index]
    out["filled"] = out["fills"] != ""
    return out.reset_index()


def _sectors(raw: Path, codes: list[str]) -> pd.DataFrame:
    names = pd.read_csv(raw / RAW_SECTOR_CODES, encoding="utf-8-sig", dtype=str)
    names = names.set_index("code")["economic_activity"]
    out = pd.DataFrame({"sector": codes})
    out["name"] = names.reindex(codes).to_numpy()
    out["kind"] = np.where(out["sector"].str.startswith(ref.GOODS_PREFIXES), "goods", "services")
    out["category"] = np.select(
        [out["sector"].isin(ref.STRATEGIC), out["sector"].isin(ref.CRITICAL)],
        ["strategic", "critical"],
        "other",
    )
    out["weight"] = out["category"].map(ref.CATEGORY_WEIGHT)
    out["headroom"] = np.where(
        out["sector"].isin(ref.EXTRACTION), ref.EXTRACTION_HEADROOM, ref.DEFAULT_HEADROOM
    )
    out["premium"] = out["category"].map(ref.PREMIUM)
    out["reshoring_cost"] = ref.RESHORING_COST
    return out


def build(raw: Path, out: Path) -> dict[str, object]:
    """Build data/ from the raw folder; returns the manifest written to data/MANIFEST.json."""
    raw, out = Path(raw), Path(out)
    flows = read_raw_flows(raw)
    if flows[["importer", "exporter", "sector"]].duplicated().any():
        raise BuildError(f"{RAW_FLOWS}: duplicate (importer, exporter, sector) rows")
    if not np.isfinite(flows["value_usd_mn"]).all() or (flows["value_usd_mn"] < 0).any():
        raise BuildError(f"{RAW_FLOWS}: negative or non-finite values")
    countries = sorted(set(flows["importer"]) | set(flows["exporter"]))
    if ICIO_AGGREGATES & set(countries):
        raise BuildError(f"{RAW_FLOWS}: aggregates {sorted(ICIO_AGGREGATES & set(countries))}")
    sector_codes = pd.read_csv(raw / RAW_SECTOR_CODES, encoding="utf-8-sig", dtype=str)["code"]
    sectors = sorted(sector_codes)  # all 50 ICIO sectors, T has no intermediate flows
    unknown = set(flows["sector"]) - set(sectors)
    if unknown:
        raise BuildError(f"{RAW_FLOWS}: sectors not in {RAW_SECTOR_CODES}: {sorted(unknown)}")
    if len(countries) != 80 or len(sectors) != 50:
        raise BuildError(
            f"expected 80 economies and 50 sectors, found {len(countries)}, {len(sectors)}"
        )

    domestic_mask = flows["importer"] == flows["exporter"]
    cross = (
        flows[~domestic_mask]
        .rename(columns={"value_usd_mn": "value"})
        .sort_values(["importer", "exporter", "sector"], kind="stable")
        .reset_index(drop=True)
    )
    domestic = (
        flows[domestic_mask][["importer", "sector", "value_usd_mn"]]
        .rename(columns={"importer": "country", "value_usd_mn": "value"})
        .sort_values(["country", "sector"], kind="stable")
        .reset_index(drop=True)
    )
    output = pd.read_csv(raw / RAW_OUTPUT, dtype={"country": str, "sector": str})
    output = (
        output.rename(
            columns={
                "gross_output_usd_mn": "gross_output",
                "final_demand_sales_usd_mn": "final_demand_sales",
            }
        )
        .sort_values(["country", "sector"], kind="stable")
        .reset_index(drop=True)
    )
    country_table = _countries(raw, countries)
    sector_table = _sectors(raw, sectors)
    blocs = pd.DataFrame(
        [
            (bloc, iso, iso in set(countries), src)
            for bloc, (members, src) in ref.BLOCS.items()
            for iso in sorted(members)
        ],
        columns=["bloc", "iso3", "in_dataset", "source"],
    )

    out.mkdir(parents=True, exist_ok=True)
    files = {
        "countries.csv": country_table,
        "sectors.csv": sector_table,
        "flows.csv": cross,
        "domestic.csv": domestic,
        "output.csv": output,
        "blocs.csv": blocs,
    }
    for name, df in files.items():
        _write_csv(df, out / name)
    _verify(raw, out, flows)
    manifest = {
        "dataset": "oecd-icio-2022-intermediate",
        "reference_year": YEAR,
        "unit": "USD millions",
        "raw_files": {
            rel: _sha256(raw / rel)
            for rel in [
                RAW_FLOWS,
                RAW_OUTPUT,
                RAW_COUNTRY_CODES,
                RAW_SECTOR_CODES,
                RAW_WDI,
                RAW_VDEM,
                RAW_ROW,
                RAW_UNGA,
            ]
        },
        "files": {name: _sha256(out / name) for name in files},
        "rows": {name: len(df) for name, df in files.items()},
        "cross_border_total": float(cross["value"].sum()),
    }
    (out / "MANIFEST.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def _verify(raw: Path, out: Path, flows: pd.DataFrame) -> None:
    """Read the written files back and compare them with the raw ones."""
    back = pd.read_csv(out / "flows.csv", dtype={"importer": str, "exporter": str, "sector": str})
    dom = pd.read_csv(out / "domestic.csv", dtype={"country": str, "sector": str})
    raw_cross = flows[flows["importer"] != flows["exporter"]]
    if len(back) != len(raw_cross) or len(dom) + len(back) != len(flows):
        raise BuildError(f"row counts differ: flows {len(back)} vs raw {len(raw_cross)}")
    merged = raw_cross.merge(
        back, on=["importer", "exporter", "sector"], how="outer", indicator=True
    )
    if (merged["_merge"] != "both").any() or not np.array_equal(
        merged["value_usd_mn"].to_numpy(), merged["value"].to_numpy()
    ):
        raise BuildError("flows.csv does not reproduce every raw cross-border value exactly")
    total_raw, total_out = raw_cross["value_usd_mn"].sum(), back["value"].sum()
    if abs(total_raw - total_out) > 1e-9 * abs(total_raw):
        raise BuildError(f"cross-border total {total_out} differs from raw {total_raw}")
    dom_raw = flows.loc[flows["importer"] == flows["exporter"], "value_usd_mn"].sum()
    if abs(dom["value"].sum() - dom_raw) > 1e-9 * abs(dom_raw):
        raise BuildError("domestic total differs from the raw file")
    out_raw = pd.read_csv(raw / RAW_OUTPUT)["gross_output_usd_mn"].sum()
    out_back = pd.read_csv(out / "output.csv")["gross_output"].sum()
    if abs(out_raw - out_back) > 1e-9 * abs(out_raw):
        raise BuildError("gross output total differs from the raw file")


def default_raw_dir() -> Path:
    """``shared/data`` beside the repository (as laid out on the project's machines)."""
    return Path(__file__).resolve().parents[3] / "shared" / "data"


def main(argv: list[str] | None = None) -> int:
    """Command-line entry of the build."""
    ap = argparse.ArgumentParser(description="Build the default dataset from the raw files.")
    ap.add_argument("--raw", type=Path, default=default_raw_dir(), help="raw data folder")
    ap.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parents[2] / "data",
        help="output folder (default: the repository's data/)",
    )
    args = ap.parse_args(argv)
    try:
        manifest = build(args.raw, args.out)
    except (BuildError, FileNotFoundError, KeyError) as exc:
        print(f"build failed: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {args.out}: " + ", ".join(f"{k} {v} rows" for k, v in manifest["rows"].items()))
    print(f"cross-border total {manifest['cross_border_total']:.6f} USD mn")
    return 0


if __name__ == "__main__":
    sys.exit(main())
