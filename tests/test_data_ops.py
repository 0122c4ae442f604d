"""Dataset operations on small hand-made and random datasets: totals must balance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.data import DataError, Dataset, load_baci

CODES = ["AAA", "BBB", "CCC", "DDD", "EEE", "FFF"]


def small(n_c: int, n_s: int, values: list[float]) -> Dataset:
    countries = pd.DataFrame(
        {
            "iso3": CODES[:n_c],
            "gdp": np.arange(1, n_c + 1) * 10.0,
            "regime": np.linspace(0.1, 0.9, n_c),
        }
    )
    sectors = pd.DataFrame(
        {
            "sector": [f"S{k}" for k in range(n_s)],
            "weight": np.linspace(0, 1, n_s),
            "category": ["other"] * n_s,
        }
    )
    rows = [(i, j, f"S{k}") for i in CODES[:n_c] for j in CODES[:n_c] if i != j for k in range(n_s)]
    flows = pd.DataFrame(rows, columns=["importer", "exporter", "sector"])
    flows["value"] = (values * (len(flows) // len(values) + 1))[: len(flows)]
    return Dataset.from_frames(countries, sectors, flows)


def test_hand_computed_shares_and_hhi():
    countries = pd.DataFrame(
        {"iso3": ["USA", "CHN", "KOR"], "gdp": [3, 2, 1], "regime": [0.8, 0.1, 0.7]}
    )
    sectors = pd.DataFrame({"sector": ["C26"], "weight": [1.0]})
    flows = pd.DataFrame(
        {
            "importer": ["USA", "USA"],
            "exporter": ["CHN", "KOR"],
            "sector": ["C26", "C26"],
            "value": [30.0, 10.0],
        }
    )
    ds = Dataset.from_frames(countries, sectors, flows)
    assert ds.demand()[("USA", "C26")] == 40.0
    assert ds.adversary_share(["CHN"])[("USA", "C26")] == pytest.approx(0.75)
    assert ds.supplier_hhi()[("USA", "C26")] == pytest.approx(0.75**2 + 0.25**2)
    assert any("default" in n for n in ds.notes)  # headroom etc. filled openly


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n_c=st.integers(3, 6),
    n_s=st.integers(1, 3),
    values=st.lists(st.floats(0, 1e5, allow_nan=False), min_size=1, max_size=20),
    data=st.data(),
)
def test_row_folding_preserves_totals(n_c, n_s, values, data):
    ds = small(n_c, n_s, values)
    keep = data.draw(
        st.lists(st.sampled_from(CODES[:n_c]), min_size=1, max_size=n_c - 1, unique=True)
    )
    sub = ds.subset_countries(keep)
    total = ds.flows["value"].sum()
    dom = 0.0 if sub.domestic is None else sub.domestic["value"].sum()
    assert sub.flows["value"].sum() + dom == pytest.approx(total, rel=1e-12, abs=1e-9)
    for c in keep:
        for col in ("importer", "exporter"):
            before = ds.flows.loc[ds.flows[col] == c, "value"].sum()
            after = sub.flows.loc[sub.flows[col] == c, "value"].sum()
            assert after == pytest.approx(before, rel=1e-12, abs=1e-9)
    folded = [c for c in CODES[:n_c] if c not in keep]
    assert sub.countries.loc["ROW", "gdp"] == pytest.approx(ds.countries.loc[folded, "gdp"].sum())
    assert set(sub.countries.index) == {*keep, "ROW"}
    assert sub.validate().ok


@settings(max_examples=60, deadline=None)
@given(
    n_s=st.integers(2, 3),
    values=st.lists(st.floats(0, 1e5, allow_nan=False), min_size=1, max_size=20),
    data=st.data(),
)
def test_sector_aggregation_preserves_totals(n_s, values, data):
    ds = small(4, n_s, values)
    targets = data.draw(st.lists(st.sampled_from(["X", "Y"]), min_size=n_s, max_size=n_s))
    mapping = {f"S{k}": targets[k] for k in range(n_s)}
    agg = ds.aggregate_sectors(mapping)
    for col in ("importer", "exporter"):
        before = ds.flows.groupby(col)["value"].sum()
        after = agg.flows.groupby(col)["value"].sum().reindex(before.index, fill_value=0)
        np.testing.assert_allclose(after, before, rtol=1e-12, atol=1e-9)
    assert set(agg.sectors.index) == set(targets)
    assert ((agg.sectors["weight"] >= 0) & (agg.sectors["weight"] <= 1 + 1e-12)).all()


def test_aggregation_requires_a_complete_mapping():
    ds = small(3, 2, [1.0])
    with pytest.raises(DataError, match="unmapped: \\['S1'\\]"):
        ds.aggregate_sectors({"S0": "X"})


def test_baci_loader(tmp_path):
    baci = tmp_path / "BACI_HS17_Y2022_V202401.csv"
    baci.write_text(
        "t,i,j,k,v,q\n"
        "2022,156,842,854231,1500.0,10\n"  # CHN -> USA, chips
        "2022,156,842,854232,500.0,2\n"  # CHN -> USA, chips
        "2022,410,842,300490,250.5,1\n"  # KOR -> USA, medicaments
        "2021,410,842,300490,999.0,1\n"  # other year
        "2022,842,410,010121,40.0,3\n"  # USA -> KOR, horses (agriculture)
    )
    codes = tmp_path / "country_codes_V202401.csv"
    codes.write_text(
        "country_code,country_name,country_iso2,country_iso3\n"
        "156,China,CN,CHN\n410,Rep. of Korea,KR,KOR\n842,USA,US,USA\n"
    )
    concordance = {"8542": "C26", "30": "C21", "01": "A01"}
    flows = load_baci(baci, codes, concordance, year=2022)
    got = flows.set_index(["importer", "exporter", "sector"])["value"]
    assert got[("USA", "CHN", "C26")] == pytest.approx(2.0)  # 2000 thousand USD
    assert got[("USA", "KOR", "C21")] == pytest.approx(0.2505)
    assert got[("KOR", "USA", "A01")] == pytest.approx(0.04)
    assert len(got) == 3
    with pytest.raises(DataError, match="not mapped") as err:
        load_baci(baci, codes, {"8542": "C26"}, year=2022)
    assert err.value.columns == ["k"] and "300490" in str(err.value)


def test_vdem_and_wdi_loaders(tmp_path):
    from planner.data import load_vdem, load_wdi

    vdem = tmp_path / "vdem.csv"
    vdem.write_text(
        "country_name,country_text_id,year,v2x_polyarchy,v2x_libdem\n"
        "Mexico,MEX,2021,0.6,0.4\nMexico,MEX,2022,0.61,0.41\n"
        "Japan,JPN,2022,0.85,0.75\n"
    )
    lib = load_vdem(vdem, 2022)
    assert lib.to_dict() == {"MEX": 0.41, "JPN": 0.75}
    assert load_vdem(vdem, 2022, "v2x_polyarchy")["JPN"] == 0.85
    bad = tmp_path / "vdem_bad.csv"
    bad.write_text("country_text_id,year,v2x_libdem\nMEX,2022,1.4\n")
    with pytest.raises(DataError, match=r"v2x_libdem.*above 1"):
        load_vdem(bad, 2022)
    wdi = tmp_path / "wdi.csv"
    wdi.write_text(
        '"Data Source","WDI",\n\n"Last Updated Date","2024-10-24",\n\n'
        '"Country Name","Country Code","Indicator Name","Indicator Code","2021","2022",\n'
        '"Japan","JPN","GDP","NY.GDP.MKTP.CD","5000000000000","4200000000000",\n'
        '"Aruba","ABW","GDP","NY.GDP.MKTP.CD","","",\n'
    )
    gdp = load_wdi(wdi, 2022)
    assert gdp["JPN"] == 4_200_000.0 and np.isnan(gdp["ABW"])
    with pytest.raises(DataError, match="'2030'"):
        load_wdi(wdi, 2030)
