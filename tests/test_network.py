"""The input-output network: Leontief content, look-through exposure, files, the shipped one."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from planner.data import (
    DataError,
    Network,
    adversary_content,
    exposure_table,
    load_dataset,
    read_network,
    value_added_origin,
    write_network,
)
from planner.data.network import NETWORK_FILE, network_arrays, write_npz

REPO = Path(__file__).resolve().parents[1]

# ---------------------------------------------------------------------- a hand-made network
# Nodes (country-major): 0 CHN_A01, 1 CHN_C26, 2 KOR_A01, 3 KOR_C26, 4 USA_A01, 5 USA_C26.
# Purchase shares by buyer column, and input shares (1 - value-added share):
#   CHN_A01 <- CHN_A01 1.0                              input share 0.3
#   CHN_C26 <- CHN_A01 0.5, CHN_C26 0.5                 input share 0.6
#   KOR_A01 <- KOR_A01 1.0                              input share 0.2
#   KOR_C26 <- CHN_C26 0.5, KOR_A01 0.5                 input share 0.4
#   USA_A01    inactive (no inputs)                     input share 0.0
#   USA_C26 <- CHN_C26 0.25, KOR_C26 0.25, USA_A01 0.5  input share 0.5
# Adversary (CHN) value-added content lambda, by hand:
#   CHN nodes buy only from China: lambda = 1.   KOR_A01 and USA_A01: 0.
#   KOR_C26 = 0.4 * (0.5 * 1 + 0.5 * 0) = 0.2
#   USA_C26 = 0.5 * (0.25 * 1 + 0.25 * 0.2 + 0.5 * 0) = 0.15
# Value-added origin of USA_C26: USA 0.5 (own) + 0.5 * 0.5 * 1 (USA_A01) = 0.75,
#   CHN 0.15, KOR 0.5 * 0.25 * (1 - 0.2) = 0.1; together 1.
COUNTRIES = ["CHN", "KOR", "USA"]
SECTORS = ["A01", "C26"]
SELLER = [0, 0, 1, 2, 1, 2, 1, 3, 4]
BUYER = [0, 1, 1, 2, 3, 3, 5, 5, 5]
SHARE = [1.0, 0.5, 0.5, 1.0, 0.5, 0.5, 0.25, 0.25, 0.5]
INPUT_SHARE = np.array([0.3, 0.6, 0.2, 0.4, 0.0, 0.5])
LAMBDA = np.array([1.0, 1.0, 0.0, 0.2, 0.0, 0.15])


def hand_network(output: np.ndarray | None = None) -> Network:
    nodes = pd.MultiIndex.from_product([COUNTRIES, SECTORS], names=["country", "sector"])
    shares = sp.csr_matrix((SHARE, (SELLER, BUYER)), shape=(6, 6))
    output = np.array([500.0, 300.0, 200.0, 200.0, 200.0, 400.0]) if output is None else output
    z = output - shares.multiply(INPUT_SHARE[None, :]) @ output
    return Network(nodes, shares, INPUT_SHARE.copy(), output, z)


def test_hand_made_content_and_origin():
    net = hand_network()
    lam = adversary_content(net, ["CHN"])
    np.testing.assert_allclose(lam.to_numpy(), LAMBDA, atol=1e-14)
    assert lam.index.equals(net.nodes) and lam[("USA", "C26")] == pytest.approx(0.15)
    origin = value_added_origin(net)
    np.testing.assert_allclose(origin.sum(axis=1).to_numpy(), 1.0, atol=1e-14)
    np.testing.assert_allclose(origin.loc[("USA", "C26")].to_numpy(), [0.15, 0.1, 0.75])
    # the cached factorisation serves a second adversary set: KOR_C26 buys only from CHN and
    # KOR (content 1); USA_C26 = 0.5 * (0.25 + 0.25) = 0.25 = its CHN + KOR origin shares
    both = adversary_content(net, ["CHN", "KOR"])
    assert both.iloc[3] == pytest.approx(1.0) and both.iloc[5] == pytest.approx(0.25)


def test_content_equals_power_series():
    rng = np.random.default_rng(7)
    n = 6  # 3 countries x 2 sectors, dense random shares
    a = rng.random((n, n))
    a /= a.sum(axis=0, keepdims=True)
    omb = rng.uniform(0.2, 0.7, n)
    nodes = pd.MultiIndex.from_product([COUNTRIES, SECTORS], names=["country", "sector"])
    net = Network(nodes, sp.csr_matrix(a), omb, np.ones(n), np.ones(n))
    t = a * omb[None, :]
    series, power = np.zeros((n, n)), np.eye(n)
    for _ in range(400):  # sum_k T^k; spectral radius <= 0.7
        series += power
        power = power @ t
    v = np.where(nodes.get_level_values(0) == "KOR", 1.0 - omb, 0.0)
    np.testing.assert_allclose(net.adversary_content(["KOR"]), v @ series, atol=1e-12)
    np.testing.assert_allclose(value_added_origin(net).sum(axis=1), 1.0, atol=1e-12)


def test_aggregation_keeps_the_table_consistent():
    net = hand_network()
    assert np.allclose(net.output - net.technical() @ net.output, net.final_demand)
    folded = net.aggregate(country_map={"KOR": "ROW", "USA": "ROW"})
    assert list(folded.countries) == ["CHN", "ROW"] and len(folded) == 4
    assert folded.output.sum() == pytest.approx(net.output.sum())
    assert folded.flows().sum() == pytest.approx(net.flows().sum())
    np.testing.assert_allclose(
        folded.output - folded.technical() @ folded.output, folded.final_demand, atol=1e-9
    )
    cols = np.asarray(folded.shares.sum(axis=0)).ravel()
    np.testing.assert_allclose(cols, 1.0)  # every merged buyer is active
    merged = net.aggregate(sector_map={"A01": "ALL", "C26": "ALL"})
    assert len(merged) == 3 and merged.flows().sum() == pytest.approx(net.flows().sum())
    # China's content of China stays 1 after merging sectors
    assert merged.adversary_content(["CHN"])[0] == pytest.approx(1.0)


# ---------------------------------------------------------------------- a dataset with it
COUNTRY_CSV = "iso3,name,gdp,regime\nCHN,China,18000,0.05\nKOR,Korea,1700,0.7\nUSA,US,25000,0.8\n"
SECTOR_CSV = "sector,name,weight\nA01,Agriculture,0.0\nC26,Electronics,1.0\n"
# USA imports C26: 30 from CHN, 10 from KOR (D = 40, a = 30); KOR imports 5 of C26 from CHN.
FLOW_CSV = "importer,exporter,sector,value\nUSA,CHN,C26,30\nUSA,KOR,C26,10\nKOR,CHN,C26,5\n"
OUTPUT_CSV = "country,sector,gross_output\nKOR,C26,195\nCHN,C26,900\nUSA,C26,400\n"


def write_dataset(d: Path, network: Network | None = None) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    for name, text in (
        ("countries", COUNTRY_CSV),
        ("sectors", SECTOR_CSV),
        ("flows", FLOW_CSV),
        ("output", OUTPUT_CSV),
    ):
        (d / f"{name}.csv").write_text(text, encoding="utf-8")
    if network is not None:
        write_network(network, d / NETWORK_FILE)
    return d


def test_exposure_table_by_hand(tmp_path):
    ds = load_dataset(write_dataset(tmp_path / "ds", hand_network()))
    e = exposure_table(ds, ["CHN"])
    assert list(e.columns) == ["direct", "first_order", "look_through"]
    usa = e.loc[("USA", "C26")]
    assert usa["direct"] == pytest.approx(30 / 40)
    # sigma[KOR, C26] = 5 / (GO 195 + D 5) = 0.025: (30 + 0.025 * 10) / 40
    assert usa["first_order"] == pytest.approx((30 + 0.025 * 10) / 40)
    # lambda[KOR, C26] = 0.2 (see the network above): (30 + 0.2 * 10) / 40 = 0.8
    assert usa["look_through"] == pytest.approx(0.8)
    # KOR buys only from China: every measure is 1
    np.testing.assert_allclose(e.loc[("KOR", "C26")].to_numpy(), 1.0)


def test_subset_and_aggregate_carry_the_network(tmp_path):
    ds = load_dataset(write_dataset(tmp_path / "ds", hand_network()))
    sub = ds.subset_countries(["USA", "CHN"])
    assert any(n.startswith("network: folded 1 countries") for n in sub.notes)
    assert list(sub.require_network().countries) == ["CHN", "ROW", "USA"]
    assert sub.network.output.sum() == pytest.approx(ds.network.output.sum())
    agg = ds.aggregate_sectors({"A01": "ALL", "C26": "ALL"})
    assert list(agg.network.sectors) == ["ALL"] and any(
        "network: aggregated" in n for n in agg.notes
    )
    assert exposure_table(agg, ["CHN"]).loc[("USA", "ALL"), "direct"] == pytest.approx(0.75)


def test_missing_network_names_file_and_directory(tmp_path):
    d = write_dataset(tmp_path / "plain")
    ds = load_dataset(d)
    assert ds.network is None and not ds.has_network
    assert ds.adversary_share(["CHN"]).loc[("USA", "C26")] == pytest.approx(0.75)  # still works
    with pytest.raises(DataError) as err:
        ds.require_network()
    assert NETWORK_FILE in err.value.files and str(d) in str(err.value)
    with pytest.raises(DataError, match=NETWORK_FILE):
        exposure_table(ds, ["CHN"])


def _arrays(**change):
    arr = network_arrays(hand_network())
    for k, v in change.items():
        if v is None:
            arr.pop(k)
        else:
            arr[k] = v
    return arr


def _data(i: int, v: float) -> np.ndarray:
    data = network_arrays(hand_network())["data"].copy()
    data[i] = v
    return data


BAD_NETWORKS = [
    ("not a zip", b"this is not a zip file", "*", "cannot read"),
    ("truncated zip", "truncate", "*", "cannot read"),
    ("missing array", _arrays(indptr=None), "indptr", "missing"),
    ("wrong shape", _arrays(output=np.ones(5)), "output", "shape"),
    (
        "unknown country",
        _arrays(country=np.array(["CHN"] * 2 + ["XXX"] * 2 + ["USA"] * 2)),
        "country",
        "not in the country table",
    ),
    (
        "unknown sector",
        _arrays(sector=np.array(["A01", "C99"] * 3)),
        "sector",
        "not in the sector table",
    ),
    ("negative share", _arrays(data=_data(2, -0.5)), "data", "negative share"),
    ("column above one", _arrays(data=_data(1, 0.6)), "data", "sum above 1"),
    ("input share above one", _arrays(input_share=np.full(6, 1.5)), "input_share", "[0, 1]"),
]


@pytest.mark.parametrize(
    ("case", "content", "column", "message"), BAD_NETWORKS, ids=[c[0] for c in BAD_NETWORKS]
)
def test_damaged_network_file_names_it(tmp_path, case, content, column, message):
    d = write_dataset(tmp_path / "ds")
    path = d / NETWORK_FILE
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content == "truncate":
        write_network(hand_network(), path)
        path.write_bytes(path.read_bytes()[:300])
    else:
        write_npz(path, content)
    with pytest.raises(DataError) as err:
        load_dataset(d)
    assert NETWORK_FILE in err.value.files, str(err.value)
    assert column in err.value.columns, str(err.value)
    assert message in str(err.value)


def test_bad_line_is_shown(tmp_path):
    d = write_dataset(tmp_path / "ds")
    write_npz(d / NETWORK_FILE, _arrays(data=_data(4, -0.25)))
    with pytest.raises(DataError, match=r"row 4: -0.25"):
        read_network(d / NETWORK_FILE)


def test_network_file_round_trip_is_byte_stable(tmp_path):
    net = hand_network()
    a = write_network(net, tmp_path / "a.npz").read_bytes()
    b = write_network(net, tmp_path / "b.npz").read_bytes()
    assert a == b
    back = read_network(tmp_path / "a.npz", COUNTRIES, SECTORS)
    assert (back.shares != net.shares).nnz == 0 and back.nodes.equals(net.nodes)
    with zipfile.ZipFile(io.BytesIO(a)) as zf:  # plain .npy members, readable by numpy.load
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}


# ---------------------------------------------------------------------- the shipped network
@pytest.fixture(scope="module")
def shipped():
    return load_dataset()


def test_shipped_network_shape_and_labels(shipped):
    net = shipped.require_network()
    assert net.shares.shape == (4000, 4000) and len(net.nodes) == 4000
    assert net.nodes.names == ["country", "sector"] and net.nodes.is_monotonic_increasing
    assert net.nodes[0] == ("AGO", "A01") and net.nodes[50] == ("ARE", "A01")
    assert list(net.countries) == sorted(shipped.countries.index)
    assert list(net.sectors) == sorted(shipped.sectors.index)
    cols = np.asarray(net.shares.sum(axis=0)).ravel()
    active = cols > 0
    assert int((~active).sum()) == 121
    np.testing.assert_allclose(cols[active], 1.0, atol=1e-12)


def test_shipped_flows_match_flows_csv(shipped):
    net = shipped.network
    nc, ns = len(net.countries), len(net.sectors)
    buyer = sp.csr_matrix((np.ones(nc * ns), (np.arange(nc * ns), np.arange(nc * ns) // ns)))
    by_country = (net.flows() @ buyer).toarray()  # [seller node, buyer country]
    fl = shipped.flows
    seller = net.countries.get_indexer(fl["exporter"]) * ns + net.sectors.get_indexer(fl["sector"])
    got = by_country[seller, net.countries.get_indexer(fl["importer"])]
    assert np.abs(got - fl["value"].to_numpy()).max() < 1e-3
    dom = shipped.domestic.reset_index()
    c = net.countries.get_indexer(dom["country"])
    got = by_country[c * ns + net.sectors.get_indexer(dom["sector"]), c]
    assert np.abs(got - dom["value"].to_numpy()).max() < 1e-3
    # cells absent from flows.csv and domestic.csv carry less than 1e-3 USD mn
    listed = np.zeros(by_country.shape, dtype=bool)
    listed[seller, net.countries.get_indexer(fl["importer"])] = True
    listed[c * ns + net.sectors.get_indexer(dom["sector"]), c] = True
    assert np.abs(by_country[~listed]).max() < 1e-3


def test_shipped_content_against_dense_inverse(shipped):
    net = shipped.network
    adv = ["CHN", "RUS"]
    lam = adversary_content(net, adv)
    t = net.technical().toarray()
    inverse = np.linalg.inv(np.eye(len(net)) - t)  # independent float64 check
    v = np.where(net.nodes.get_level_values(0).isin(adv), net.value_added_share, 0.0)
    np.testing.assert_allclose(lam.to_numpy(), v @ inverse, atol=1e-9, rtol=0)
    assert 0.7 < lam[("CHN", "C26")] < 1 and lam[("USA", "C26")] < 0.2
    origin = value_added_origin(net)
    np.testing.assert_allclose(origin.sum(axis=1).to_numpy(), 1.0, atol=1e-9)


def test_shipped_exposure_table(shipped):
    e = exposure_table(shipped, ["CHN", "RUS"])
    assert e.index.equals(shipped.demand().index)
    np.testing.assert_allclose(e["direct"], shipped.adversary_share(["CHN", "RUS"]), atol=1e-12)
    assert (e["first_order"] >= e["direct"] - 1e-12).all()
    assert (e["look_through"] >= e["direct"] - 1e-12).all()
    assert (e <= 1 + 1e-9).all().all()
