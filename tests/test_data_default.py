"""The shipped default dataset: sizes, totals against the raw files, byte-identical rebuild."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from planner.data import build as build_mod
from planner.data import load_dataset

REPO = Path(__file__).resolve().parents[1]
RAW = build_mod.default_raw_dir()
needs_raw = pytest.mark.skipif(
    not (RAW / build_mod.RAW_FLOWS).exists(), reason=f"raw data not found at {RAW}"
)


@pytest.fixture(scope="module")
def ds():
    return load_dataset()


def test_sizes_and_roles(ds):
    assert len(ds.countries) == 80 and len(ds.sectors) == 50
    assert ds.countries.index.name == "iso3" and ds.sectors.index.name == "sector"
    assert list(ds.flows.columns) == ["importer", "exporter", "sector", "value"]
    assert (ds.flows["importer"] != ds.flows["exporter"]).all()
    assert {"CHN", "RUS", "USA", "TWN"} <= set(ds.countries.index)
    assert ds.countries.loc[["USA", "JPN", "DEU"], "g7"].all()
    assert ds.countries["eu27"].sum() == 27 and ds.countries["g7"].sum() == 7


def test_fills_are_flagged(ds):
    filled = set(ds.countries.index[ds.countries["filled"]])
    assert {"TWN", "BRN", "HKG"} <= filled
    assert "DGBAS" in ds.countries.loc["TWN", "fills"]
    assert ds.countries.loc["TWN", "gdp"] == 761_700.0
    assert ds.countries.loc["TWN", "row_class"] == 3
    # no other country carries a fill
    assert filled == {"TWN", "BRN", "HKG"}


def test_sector_classes(ds):
    s = ds.sectors
    assert set(s.index[s["category"] == "strategic"]) == {"C26", "C302T309"}
    assert s.loc["C21", "category"] == "critical" and s.loc["C10T12", "category"] == "other"
    assert s.loc["C26", "weight"] == 1.0 and s.loc["K", "weight"] == 0.0
    assert s.loc["K", "kind"] == "services" and s.loc["C26", "kind"] == "goods"


@needs_raw
def test_totals_and_spot_value_match_raw(ds):
    raw = build_mod.read_raw_flows(RAW)
    cross = raw[raw["importer"] != raw["exporter"]]
    total = cross["value_usd_mn"].sum()
    assert total == pytest.approx(14.64e6, rel=1e-3)  # about 14.64 trillion USD
    assert ds.flows["value"].sum() == pytest.approx(total, rel=1e-9)
    key = (cross.importer == "USA") & (cross.exporter == "CHN") & (cross.sector == "C26")
    mine = ds.flows[
        (ds.flows.importer == "USA") & (ds.flows.exporter == "CHN") & (ds.flows.sector == "C26")
    ]
    assert mine["value"].iloc[0] == cross.loc[key, "value_usd_mn"].iloc[0]  # exactly


@needs_raw
def test_rebuild_is_byte_identical(tmp_path):
    build_mod.build(RAW, tmp_path)
    shipped = REPO / "data"
    for name in [
        "countries.csv",
        "sectors.csv",
        "flows.csv",
        "domestic.csv",
        "output.csv",
        "blocs.csv",
        "network.npz",
        "MANIFEST.json",
    ]:
        assert (tmp_path / name).read_bytes() == (shipped / name).read_bytes(), name


@needs_raw
def test_build_fails_loudly_on_a_changed_raw_file(tmp_path):
    raw = tmp_path / "raw"
    for rel in [
        build_mod.RAW_FLOWS,
        build_mod.RAW_OUTPUT,
        build_mod.RAW_COUNTRY_CODES,
        build_mod.RAW_SECTOR_CODES,
        build_mod.RAW_WDI,
        build_mod.RAW_VDEM,
        build_mod.RAW_ROW,
        build_mod.RAW_UNGA,
        build_mod.RAW_NETWORK,
    ]:
        (raw / rel).parent.mkdir(parents=True, exist_ok=True)
        (raw / rel).symlink_to(RAW / rel)
    flows = pd.read_csv(raw / build_mod.RAW_FLOWS)
    flows = pd.concat([flows, flows.iloc[[5]]])  # a duplicated row
    (raw / build_mod.RAW_FLOWS).unlink()
    flows.to_csv(raw / build_mod.RAW_FLOWS, index=False)
    with pytest.raises(build_mod.BuildError, match="duplicate"):
        build_mod.build(raw, tmp_path / "out")


@needs_raw
def test_network_build_fails_loudly_when_flows_disagree(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    for name in ("flows.csv", "domestic.csv"):
        (out / name).write_bytes((REPO / "data" / name).read_bytes())
    fl = pd.read_csv(out / "flows.csv", dtype={"importer": str, "exporter": str, "sector": str})
    key = (fl.importer == "USA") & (fl.exporter == "CHN") & (fl.sector == "C26")
    fl.loc[key, "value"] += 0.01  # beyond the 1e-3 USD mn tolerance
    fl.to_csv(out / "flows.csv", index=False)
    ds = load_dataset()
    with pytest.raises(build_mod.BuildError, match=r"CHN/C26 -> USA"):
        build_mod.build_network(RAW, out, list(ds.countries.index), list(ds.sectors.index))


def test_manifest_records_the_network():
    import hashlib
    import json

    manifest = json.loads((REPO / "data" / "MANIFEST.json").read_text())
    sha = hashlib.sha256((REPO / "data" / "network.npz").read_bytes()).hexdigest()
    assert manifest["files"]["network.npz"] == sha
    assert manifest["network"]["nodes"] == 4000
    assert (REPO / "data" / "network.npz").stat().st_size < 40e6


def test_default_dataset_loads_the_network_lazily():
    ds = load_dataset()
    assert ds.has_network and not ds._network_cache  # nothing read yet
    assert ds.network is ds.network  # read once, then cached


def test_derived_quantities_balance(ds):
    d, x = ds.demand(), ds.exports()
    assert d.sum() == pytest.approx(ds.flows["value"].sum(), rel=1e-12)
    assert x.sum() == pytest.approx(d.sum(), rel=1e-12)
    assert d.attrs["unit"] == "USD mn" and d.name == "demand"
    share = ds.adversary_share(["CHN", "RUS"])
    assert ((share >= 0) & (share <= 1 + 1e-12)).all()
    hhi = ds.supplier_hhi()
    assert ((hhi > 0) & (hhi <= 1 + 1e-12)).all()


def test_regime_measures(ds):
    poly = ds.with_regime("polyarchy")
    assert poly.countries.loc["USA", "regime"] == ds.countries.loc["USA", "polyarchy"]
    row = ds.with_regime("row_class")
    assert row.countries.loc["TWN", "regime"] == 1.0
    with pytest.raises(ValueError, match="regime measure"):
        ds.with_regime("freedom_house")
