"""Known-answer tests of the coercion stress test (planner.stress) on hand-made networks."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from planner.data.network import Network
from planner.errors import PlannerError
from planner.stress import (
    StressError,
    StressSpec,
    apply_plan,
    propagate,
    read_run_plan,
    run_stress,
    stress_test,
)

COUNTRIES = ["CHN", "DEU", "USA"]
SECTORS = ["a", "b"]


def network_from_flows(flows: np.ndarray, output: np.ndarray) -> Network:
    """A consistent Network from intermediate flows Z[seller, buyer] and gross output."""
    inputs = flows.sum(axis=0)
    shares = np.divide(flows, inputs[None, :], out=np.zeros_like(flows), where=inputs > 0)
    nodes = pd.MultiIndex.from_product([COUNTRIES, SECTORS], names=["country", "sector"])
    return Network(
        nodes,
        sp.csr_matrix(shares),
        inputs / output,
        output.astype(float),
        output - flows.sum(axis=1),
    )


def node(c: str, s: str) -> int:
    return COUNTRIES.index(c) * len(SECTORS) + SECTORS.index(s)


@pytest.fixture
def net() -> Network:
    """Nodes CHN.a CHN.b DEU.a DEU.b USA.a USA.b (country-major).

    USA.b (output 100, inputs 50): 20 from CHN.a, 20 from USA.a, 10 from USA.b.
    USA.a (output 200, inputs 80): 72 from DEU.b, 8 from USA.b.
    DEU.a (output 300, inputs 60): 60 from DEU.a. DEU.b (output 400, inputs 100): 50 from
    CHN.b, 50 from DEU.a. CHN.a (output 500, inputs 100): 100 from CHN.b. CHN.b (output 600,
    inputs 60): 60 from CHN.a. Every node sells to final demand, too.
    """
    z = np.zeros((6, 6))
    z[node("CHN", "a"), node("USA", "b")] = 20
    z[node("USA", "a"), node("USA", "b")] = 20
    z[node("USA", "b"), node("USA", "b")] = 10
    z[node("DEU", "b"), node("USA", "a")] = 72
    z[node("USA", "b"), node("USA", "a")] = 8
    z[node("DEU", "a"), node("DEU", "a")] = 60
    z[node("CHN", "b"), node("DEU", "b")] = 50
    z[node("DEU", "a"), node("DEU", "b")] = 50
    z[node("CHN", "b"), node("CHN", "a")] = 100
    z[node("CHN", "a"), node("CHN", "b")] = 60
    x = np.array([500.0, 600.0, 300.0, 400.0, 200.0, 100.0])
    return network_from_flows(z, x)


def loss(result, group: str, column: str = "output_loss_before") -> float:
    g = result.by_group.set_index("group")
    return float(g.loc[group, column])


def test_network_fixture_is_consistent(net):
    t = net.technical().toarray()
    assert np.allclose(net.output - t @ net.output, net.final_demand)
    assert (net.final_demand > 0).all()


def test_ban_without_substitute_known_answer(net):
    # CHN stops selling a to USA; nobody may reroute. USA.b needs 40 of sector a per 100 of
    # output and keeps only USA.a's 20: avail = 20 / 40 = 0.5, so under fixed proportions its
    # output halves: loss 0.5 * 100 = 50 USD mn gross output, 0.5 * 50 = 25 value added
    # (value-added share 1 - 50/100). USA.b still covers its own and USA.a's orders
    # (10 * 0.5 + 8 = 13 <= 50), so nothing else falls: the targets lose 50 of 300 (16.7 %).
    spec = StressSpec(
        adversaries=["CHN"], targets=["USA"], sectors=["a"], rerouting=0.0, technology="leontief"
    )
    r = stress_test(net, spec)
    c = r.by_country.set_index("country")
    assert c.loc["USA", "output_loss_before"] == pytest.approx(50.0, abs=1e-9)
    assert c.loc["USA", "va_loss_before"] == pytest.approx(25.0, abs=1e-9)
    assert c.loc["USA", "output_loss_pct_before"] == pytest.approx(100 * 50 / 300)
    assert c.loc["DEU", "output_loss_before"] == pytest.approx(0.0, abs=1e-9)
    assert loss(r, "targets") == pytest.approx(50.0, abs=1e-9)
    assert loss(r, "adversaries", "lost_sales_before") == pytest.approx(20.0)
    s = r.by_sector.set_index(["group", "sector"])
    assert s.loc[("targets", "b"), "output_loss_before"] == pytest.approx(50.0, abs=1e-9)
    assert r.summary["converged"] and r.summary["sectors"] == ["a"]
    # linear rule: the missing share of all inputs is 20/50 = 0.4, loss 40
    lin = stress_test(net, StressSpec(["CHN"], ["USA"], ["a"], 0.0, technology="linear"))
    assert loss(lin, "targets") == pytest.approx(40.0, abs=1e-9)


def test_rerouting_within_capacity(net):
    # rerouting 0.5 replaces 10 of the 20 lost; spare capacity of sector a outside CHN is
    # 0.01 * (300 + 200) = 5, so only 5 arrive: avail = (20 + 5) / 40, loss 100 * 15/40 = 37.5
    spec = StressSpec(["CHN"], ["USA"], ["a"], rerouting=0.5, technology="leontief", headroom=0.01)
    assert loss(stress_test(net, spec), "targets") == pytest.approx(37.5, abs=1e-9)
    spec = StressSpec(
        ["CHN"], ["USA"], ["a"], rerouting=0.5, technology="leontief", headroom=1.0
    )  # 10 arrive
    assert loss(stress_test(net, spec), "targets") == pytest.approx(25.0, abs=1e-9)


def test_full_rerouting_capacity_no_loss(net):
    spec = StressSpec(["CHN"], ["USA"], "all", rerouting=1.0, technology="leontief", headroom=10.0)
    r = stress_test(net, spec)
    assert np.abs(r.by_country["output_loss_before"]).max() < 1e-9


def test_no_ban_no_loss(net):
    # CHN sells nothing of sector b to the USA: the ban removes nothing
    r = stress_test(net, StressSpec(["CHN"], ["USA"], ["b"], rerouting=0.0, technology="leontief"))
    assert np.abs(r.by_country["output_loss_before"]).max() == 0.0
    shock = propagate(net, np.zeros(6, bool), np.ones(6, bool), rerouting=0.0)
    assert shock.output_loss.max() == 0.0 and shock.converged


def test_shortage_runs_downstream(net):
    # CHN.b stops selling to DEU: DEU.b's only origin of sector b is gone, its output falls to
    # 0 (loss 400). USA.a bought 72 of its 80 of sector b from DEU.b and keeps USA.b's 8:
    # avail 8 / 80 = 0.1, output 20 of 200 (loss 180). USA.b buys 20 from USA.a, which still
    # covers that order (20 <= 20), so USA.b keeps its output: a third country loses 180.
    r = stress_test(net, StressSpec(["CHN"], ["DEU"], ["b"], rerouting=0.0, technology="leontief"))
    c = r.by_country.set_index("country")
    assert c.loc["DEU", "output_loss_before"] == pytest.approx(400.0, abs=1e-9)
    assert c.loc["USA", "output_loss_before"] == pytest.approx(180.0, abs=1e-9)
    assert loss(r, "others") == pytest.approx(180.0, abs=1e-9)


def random_network(seed: int) -> Network:
    rng = np.random.default_rng(seed)
    z = rng.uniform(0, 10, (6, 6)) * (rng.uniform(size=(6, 6)) < 0.7)
    # every node sells to final demand and has value added
    x = np.maximum(
        z.sum(axis=1) / rng.uniform(0.2, 0.9, 6), z.sum(axis=0) / rng.uniform(0.3, 0.9, 6)
    )
    return network_from_flows(z, x)


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("technology", ["leontief", "linear"])
def test_wider_ban_never_costs_less(seed, technology):
    net = random_network(seed)

    def total(targets, sectors) -> float:
        spec = StressSpec(["CHN"], targets, sectors, 0.3, 0.05, technology)
        return float(stress_test(net, spec).by_country["output_loss_before"].sum())

    eps = 1e-7 * net.output.sum()  # the iteration stops when r moves by < 1e-9
    narrow = total(["USA"], ["a"])
    assert total(["USA"], "all") >= narrow - eps
    assert total(["USA", "DEU"], ["a"]) >= narrow - eps
    assert total(["USA", "DEU"], "all") >= total(["USA"], "all") - eps


def links_of(net: Network) -> pd.DataFrame:
    """links.csv of a plan that changes nothing: every cross-border (importer, exporter,
    sector) flow of the network, optimized = baseline."""
    z = net.flows().toarray()
    c = np.repeat(COUNTRIES, 2)
    s = np.tile(SECTORS, 3)
    rows, cols = np.nonzero(z)
    df = pd.DataFrame(
        {"importer": c[cols], "exporter": c[rows], "sector": s[rows], "baseline": z[rows, cols]}
    )
    df = df[df["importer"] != df["exporter"]]
    df = df.groupby(["importer", "exporter", "sector"], as_index=False)["baseline"].sum()
    return df.assign(optimized=df["baseline"])


def test_plan_identity_reproduces_network(net):
    empty = pd.DataFrame({"importer": [], "sector": [], "optimized": []})
    out = apply_plan(net, links_of(net), empty, empty)
    assert abs(out.shares - net.shares).max() < 1e-9
    assert np.abs(out.output - net.output).max() < 1e-9
    # random networks, too (the loop is over a handful of seeds)
    for seed in range(3):
        rn = random_network(seed)
        o = apply_plan(rn, links_of(rn))
        assert abs(o.shares - rn.shares).max() < 1e-9
        assert np.abs(o.output - rn.output).max() < 1e-9


def test_plan_moves_origins_and_keeps_technology(net):
    # the USA buys 15 of its 20 of sector a from DEU instead of CHN (DEU.a: a new origin)
    links = pd.DataFrame(
        {
            "importer": ["USA", "USA"],
            "exporter": ["CHN", "DEU"],
            "sector": ["a", "a"],
            "baseline": [20.0, 0.0],
            "optimized": [5.0, 15.0],
        }
    )
    out = apply_plan(net, links)
    z1 = out.flows().toarray()
    ub = node("USA", "b")
    assert z1[node("CHN", "a"), ub] == pytest.approx(5.0)
    assert z1[node("DEU", "a"), ub] == pytest.approx(15.0)
    agg = np.kron(np.ones(3), np.eye(2))  # sector x node
    assert np.allclose(agg @ out.shares.toarray(), agg @ net.shares.toarray())  # technology
    t = out.technical().toarray()
    assert np.allclose(out.output - t @ out.output, net.final_demand)  # same final demand
    assert out.output[node("DEU", "a")] > net.output[node("DEU", "a")]
    # the ban of sector a now costs the USA less (no rerouting: 20 + 15 of 40 stay)
    spec = StressSpec(["CHN"], ["USA"], ["a"], rerouting=0.0, technology="leontief")
    before = stress_test(net, spec).by_country.set_index("country")
    after = stress_test(out, spec).by_country.set_index("country")
    assert after.loc["USA", "output_loss_before"] == pytest.approx(100 * 5 / 40)
    assert before.loc["USA", "output_loss_before"] == pytest.approx(50.0)


def write_run(d, net: Network, links: pd.DataFrame | None = None) -> None:
    d.mkdir()
    pd.DataFrame({"iso3": COUNTRIES, "role": ["adversary", "associate", "member"]}).to_csv(
        d / "countries.csv", index=False
    )
    pd.DataFrame(
        {"sector": SECTORS, "tier": ["incentivized", "open"], "headroom": [0.0, 0.0]}
    ).to_csv(d / "sectors.csv", index=False)
    (links if links is not None else links_of(net)).to_csv(d / "links.csv", index=False)
    pd.DataFrame({"importer": [], "sector": [], "optimized": []}).to_csv(
        d / "domestic.csv", index=False
    )
    (d / "summary.json").write_text(json.dumps({"name": "toy"}))


def test_run_directory_plan_protects_and_writes(net, tmp_path):
    _tiered_run(net, tmp_path / "run")
    r = stress_test(
        net,
        StressSpec(targets="coalition", sectors="tiered", rerouting=0.0, technology="leontief"),
        tmp_path / "run",
    )
    assert r.summary["adversaries"] == ["CHN"] and r.summary["sectors"] == ["a"]
    assert r.summary["targets"] == ["DEU", "USA"]
    assert loss(r, "targets") == pytest.approx(50.0)
    assert loss(r, "targets", "output_loss_after") == pytest.approx(12.5)
    assert loss(r, "targets", "protected_output") == pytest.approx(37.5)
    assert loss(r, "members", "protected_output") == pytest.approx(37.5)
    out = r.write(tmp_path / "stress")
    names = {p.name for p in out.iterdir()}
    assert {
        "by_country.csv",
        "by_group.csv",
        "by_sector.csv",
        "summary.json",
        "report.md",
        "report.html",
        "manifest.json",
    } <= names
    man = json.loads((out / "manifest.json").read_text())
    for name, digest in man["files"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest
    assert "Coercion stress test" in (out / "report.md").read_text()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no partial left
    with pytest.raises(StressError, match="exists already"):
        r.write(tmp_path / "stress")


def _each_run(net, tmp_path):
    """A run directory with two full members (DEU, USA) and the spec of one ban each."""
    write_run(tmp_path / "run", net)
    roles = pd.DataFrame({"iso3": COUNTRIES, "role": ["adversary", "member", "member"]})
    roles.to_csv(tmp_path / "run" / "countries.csv", index=False)
    return StressSpec(targets="each", sectors="all", rerouting=0.0, technology="leontief")


def test_each_sweep_sequential_equals_processes(net, tmp_path):
    spec = _each_run(net, tmp_path)
    one = stress_test(net, spec, tmp_path / "run", workers=1)
    two = stress_test(net, spec, tmp_path / "run", workers=2)
    assert one.bans == ["DEU", "USA"]
    pd.testing.assert_frame_equal(one.ranking, two.ranking)
    rank = one.ranking.set_index("country")
    # DEU alone: DEU.b stops (400 of 700); USA alone: USA.b halves (50 of 300)
    assert rank.loc["DEU", "output_loss_before"] == pytest.approx(400.0)
    assert rank.loc["DEU", "world_loss_before"] == pytest.approx(400.0 + 180.0)
    assert rank.loc["USA", "output_loss_before"] == pytest.approx(50.0)
    assert list(one.ranking["country"]) == ["DEU", "USA"]
    assert (rank["protected_output"].abs() < 1e-9).all()  # the identity plan protects nothing
    out = one.write(tmp_path / "sweep", plots=False)
    assert (out / "ranking.csv").is_file()


def test_each_sweep_through_dask_equals_sequential(net, tmp_path):
    spec = _each_run(net, tmp_path)
    one = stress_test(net, spec, tmp_path / "run", workers=1)
    dask = stress_test(net, spec, tmp_path / "run", workers=2, executor="dask")
    pd.testing.assert_frame_equal(one.ranking, dask.ranking)
    assert dask.ranking.set_index("country").loc["DEU", "output_loss_before"] == pytest.approx(
        400.0
    )


@pytest.mark.parametrize(
    ("spec", "word"),
    [
        (dict(targets=["XXX"], sectors="all"), "XXX"),
        (dict(targets=["USA"], sectors=["zz"]), "zz"),
        (dict(adversaries=["QQQ"], targets=["USA"], sectors="all"), "QQQ"),
        (dict(targets=["CHN"], sectors="all"), "CHN"),
        (dict(targets="coalition", sectors="all"), "coalition"),
        (dict(targets=["USA"], sectors="tiered"), "tiered"),
    ],
)
def test_bad_inputs_name_the_value(net, spec, word):
    with pytest.raises(StressError, match=word) as err:
        stress_test(net, StressSpec(**spec))
    assert isinstance(err.value, PlannerError) and err.value.exit_code == 2


@pytest.mark.parametrize(
    ("kw", "word"),
    [
        ({"rerouting": 1.5}, "rerouting"),
        ({"headroom": -1.0}, "headroom"),
        ({"targets": "nobody"}, "nobody"),
        ({"technology": "cobb"}, "cobb"),
    ],
)
def test_bad_spec(kw, word):
    with pytest.raises(StressError, match=word):
        StressSpec(**kw)


def test_missing_run_files(net, tmp_path):
    with pytest.raises(StressError, match="no such run directory"):
        read_run_plan(tmp_path / "nothing")
    write_run(tmp_path / "run", net)
    (tmp_path / "run" / "links.csv").unlink()
    with pytest.raises(StressError, match=r"links\.csv"):
        stress_test(net, StressSpec(), tmp_path / "run")


def test_dataset_without_network(tmp_path):
    class NoNetwork:
        name = "toy"
        network = None

    with pytest.raises(StressError, match="toy"):
        run_stress(StressSpec(targets=["USA"], sectors="all"), dataset=NoNetwork())


def test_gallery_stress_cell_says_why_a_plan_without_tiers_has_no_figure(net, tmp_path):
    """The gallery's protected-output cell of a plan with every sector open is empty and the
    table says why (the stress test's own reason), in the cell and under its own heading.

    Checked: dropping the note from ``planner.galleries._stress`` fails the first assert;
    rendering the cell as before fails the last two."""
    from planner.galleries import COLUMNS, _stress
    from planner.interpreter.gallery import write_gallery_report

    write_run(tmp_path / "run", net)
    pd.DataFrame({"sector": SECTORS, "tier": ["open", "open"], "headroom": [0.0, 0.0]}).to_csv(
        tmp_path / "run" / "sectors.csv", index=False
    )
    cell = _stress(tmp_path / "run", net)
    assert "no restricted or incentivized sector" in cell["protected_output_note"]
    assert np.isnan(cell["protected_output"])
    tiered = _stress(_tiered_run(net, tmp_path / "tiered"), net)
    assert tiered["protected_output_note"] == "" and tiered["protected_output"] > 0
    row = {c: np.nan for c in COLUMNS}
    row.update(
        bloc="toy",
        title="Toy",
        size=2,
        listed=2,
        associates=0,
        best_status="optimal",
        swap_in="",
        swap_out="",
        **cell,
        **{f"best_{k}": v for k, v in tiered.items()},
    )
    out = tmp_path / "gallery"
    out.mkdir()
    write_gallery_report(pd.DataFrame([row]), out, plots=False)
    md = (out / "gallery.md").read_text()
    assert "n/a (see below)" in md
    assert "Output protected: not computed" in md and "Toy: sectors 'tiered'" in md


def _tiered_run(net: Network, directory) -> object:
    """A run directory whose plan tiers sector a: the USA buys 15 of its 20 of a from DEU
    instead of CHN."""
    links = links_of(net)
    extra = pd.DataFrame(
        {
            "importer": ["USA"],
            "exporter": ["DEU"],
            "sector": ["a"],
            "baseline": [0.0],
            "optimized": [15.0],
        }
    )
    links.loc[(links["exporter"] == "CHN") & (links["importer"] == "USA"), "optimized"] = 5.0
    write_run(directory, net, pd.concat([links, extra], ignore_index=True))
    return directory
