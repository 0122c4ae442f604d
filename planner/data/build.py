"""Build the shipped default dataset (data/) from the raw public files (sources and licences
in data/README.md), for maintainers who have them:

    python -m planner.data.build --raw RAW_DIR --out data

Deterministic: a rerun writes the same bytes. The build checks its output against the raw files
(row counts, totals, every flow value read back) and fails loudly on any mismatch.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.linalg as sla
import scipy.sparse as sp

from planner.data import reference as ref
from planner.data.network import NETWORK_FILE, Network, network_arrays, read_network, write_npz
from planner.data.validation import DataError
from planner.errors import PlannerError

RAW_FLOWS = "icio2022/icio2022_bilateral_intermediate_by_sector.csv.gz"
RAW_OUTPUT = "icio2022/icio2022_output_by_country_sector.csv.gz"
RAW_COUNTRY_CODES = "icio2022/OECD_ICIO_2025_country_code_mapping.csv"
RAW_SECTOR_CODES = "icio2022/OECD_ICIO_2025_sector_code_mapping.csv"
RAW_WDI = "wdi/WB_API_NY.GDP.MKTP.CD_DS2_en_csv_v2_9865.csv"
RAW_VDEM = "vdem/vdem_v15_libdem_polyarchy_2010_2024.csv"
RAW_ROW = "regimes/owid_political-regime_RoW.csv"
RAW_UNGA = "unga/voeten_IdealpointestimatesAll_Apr2020.csv"
RAW_NETWORK = "icio2022/icio2022_network_sanction_simulator_cache.npz"
NETWORK_FLOW_TOL = 1e-3  # USD mn: node flows summed over buying sectors vs flows.csv/domestic.csv
NETWORK_SHARE_TOL = 1e-12  # decoded purchase shares vs the raw float64 ones
NETWORK_CONTENT_TOL = 1e-9  # adversary content from the shipped file vs the raw float64 file
FLOW_GRID = 1e4  # ICIO flows are multiples of 1e-4 USD mn
EXACT_DIVISOR = 2.0**40  # columns whose flows are not on the grid: shares to 2^-41

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

    for bloc in ref.COUNTRY_FLAGS:
        out[bloc] = out.index.isin(ref.BLOCS[bloc][0])
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
    net_info = build_network(raw, out, countries, sectors)
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
                RAW_NETWORK,
            ]
        },
        "files": {name: _sha256(out / name) for name in [*files, NETWORK_FILE]},
        "rows": {**{name: len(df) for name, df in files.items()}, NETWORK_FILE: net_info["nodes"]},
        "network": net_info,
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


def _read_raw_network(raw: Path) -> dict[str, np.ndarray]:
    path = raw / RAW_NETWORK
    try:
        with np.load(path, allow_pickle=False) as z:
            arr = {k: z[k] for k in ("A", "omb", "s", "go", "z", "countries", "sectors")}
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise BuildError(f"{RAW_NETWORK}: cannot read the network: {exc}") from exc
    return arr


def build_network(
    raw: Path, out: Path, countries: list[str], sectors: list[str]
) -> dict[str, object]:
    """Write ``network.npz`` from the raw network cache and verify it; returns its summary.

    The raw nodes are sector-major (node ``r * C + u``); the written ones country-major.
    Purchase shares are stored losslessly as integer flows on ICIO's 1e-4 USD mn grid with a
    per-buyer divisor (``share = data / divisor[buyer]``); a buyer whose shares are not on the
    grid (the capped ones) gets the divisor 2^40 instead.
    """
    arr = _read_raw_network(raw)
    a, omb, go = arr["A"], arr["omb"], arr["go"]
    nc, ns = len(countries), len(sectors)
    n = nc * ns
    if list(arr["countries"]) != countries or list(arr["sectors"]) != sectors:
        raise BuildError(f"{RAW_NETWORK}: countries or sectors differ from the flows file")
    if a.shape != (n, n) or any(arr[k].shape != (n,) for k in ("omb", "s", "go", "z")):
        raise BuildError(f"{RAW_NETWORK}: expected {n} nodes, A has shape {a.shape}")
    if not np.isfinite(a).all() or (a < 0).any():
        raise BuildError(f"{RAW_NETWORK}: negative or non-finite shares")
    raw_node = np.arange(n)
    # new node k = u * ns + r holds raw node r * nc + u
    perm = (raw_node % ns) * nc + raw_node // ns
    shares = sp.csr_matrix(a[np.ix_(perm, perm)])
    shares.sort_indices()
    col = shares.indices
    grid = FLOW_GRID * (omb * go)[perm]
    counts = np.round(shares.data * grid[col])
    colsum = np.bincount(col, weights=counts, minlength=n)
    divisor = np.where(colsum > 0, colsum, 1.0)
    err = np.zeros(n)
    np.maximum.at(err, col, np.abs(counts / divisor[col] - shares.data))
    off = err > NETWORK_SHARE_TOL
    divisor[off] = EXACT_DIVISOR
    in_off = off[col]
    counts[in_off] = np.round(shares.data[in_off] * EXACT_DIVISOR)
    nodes = pd.MultiIndex.from_product([countries, sectors], names=["country", "sector"])
    network = Network(nodes, shares, omb[perm], arr["s"][perm], arr["z"][perm], go[perm])
    write_npz(
        out / NETWORK_FILE,
        network_arrays(network, divisor=divisor, data=counts.astype(np.int64)),
    )
    back = read_network(out / NETWORK_FILE, countries, sectors)
    _verify_network(out, back, network, arr, perm)
    return {
        "nodes": n,
        "links": int(shares.nnz),
        "inactive_nodes": int((np.diff(sp.csc_matrix(shares).indptr) == 0).sum()),
        "exact_divisor_nodes": int(off.sum()),
    }


def _verify_network(
    out: Path, back: Network, network: Network, arr: dict[str, np.ndarray], perm: np.ndarray
) -> None:
    """The written network against the raw file and the shipped flows; BuildError otherwise."""
    if not back.nodes.equals(network.nodes):
        raise BuildError(f"{NETWORK_FILE}: node labels do not read back")
    d = back.shares - network.shares
    share_err = float(abs(d).max()) if d.nnz else 0.0
    if share_err > NETWORK_SHARE_TOL or back.shares.nnz != network.shares.nnz:
        raise BuildError(f"{NETWORK_FILE}: shares differ from {RAW_NETWORK} by {share_err:.3g}")
    for k in ("input_share", "output", "final_demand", "reported_output"):
        if not np.array_equal(getattr(back, k), getattr(network, k)):
            raise BuildError(f"{NETWORK_FILE}: {k} does not reproduce {RAW_NETWORK} exactly")
    # flows seller -> buyer summed over the buyer's sectors, against flows.csv and domestic.csv
    nc, ns = len(back.countries), len(back.sectors)
    n = nc * ns
    buyer_country = np.arange(n) // ns
    p = sp.csr_matrix((np.ones(n), (np.arange(n), buyer_country)), shape=(n, nc))
    by_country = (back.flows() @ p).toarray()  # [seller node, buyer country]
    fl = pd.read_csv(out / "flows.csv", dtype={"importer": str, "exporter": str, "sector": str})
    dom = pd.read_csv(out / "domestic.csv", dtype={"country": str, "sector": str})
    ci, si = back.countries, back.sectors
    expected = np.zeros((n, nc))
    seller = ci.get_indexer(fl["exporter"]) * ns + si.get_indexer(fl["sector"])
    expected[seller, ci.get_indexer(fl["importer"])] = fl["value"].to_numpy()
    dseller = ci.get_indexer(dom["country"]) * ns + si.get_indexer(dom["sector"])
    expected[dseller, ci.get_indexer(dom["country"])] = dom["value"].to_numpy()
    gap = np.abs(by_country - expected)
    worst = np.unravel_index(int(np.argmax(gap)), gap.shape)
    if gap[worst] > NETWORK_FLOW_TOL:
        c, s = back.nodes[worst[0]]
        raise BuildError(
            f"{NETWORK_FILE}: flows {c}/{s} -> {ci[worst[1]]} sum to {by_country[worst]:.6f}, "
            f"shipped {expected[worst]:.6f} USD mn (gap {gap[worst]:.3g} > {NETWORK_FLOW_TOL})"
        )
    # adversary content from the shipped file against a dense float64 inverse of the raw file
    adv = ["CHN", "RUS"]
    lam = back.adversary_content(adv)
    t_raw = arr["A"][np.ix_(perm, perm)] * arr["omb"][perm][None, :]
    v = np.where(back.nodes.get_level_values(0).isin(adv), 1.0 - arr["omb"][perm], 0.0)
    lam_raw = sla.solve(np.eye(n) - t_raw.T, v)
    lam_err = float(np.abs(lam - lam_raw).max())
    if lam_err > NETWORK_CONTENT_TOL:
        raise BuildError(
            f"{NETWORK_FILE}: adversary content differs from {RAW_NETWORK} by {lam_err:.3g}"
        )


def default_raw_dir() -> Path:
    """The maintainers' raw-data directory, ``../shared/data`` beside the checkout (users have
    the built data/ and never need it)."""
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
    except (BuildError, DataError, FileNotFoundError, KeyError) as exc:
        print(f"build failed: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {args.out}: " + ", ".join(f"{k} {v} rows" for k, v in manifest["rows"].items()))
    print(f"cross-border total {manifest['cross_border_total']:.6f} USD mn")
    return 0


if __name__ == "__main__":
    sys.exit(main())
