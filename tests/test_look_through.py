"""Look-through exposure in the model, the run, verify and the stress command, on the shipped
data, against computations of their own (a dense float64 inverse, hand-made tampering).

Broken on purpose to check these tests can fail: setting ``share[adversary] = 0`` to
``share[:] = 0`` in formulations.instance.look_through_share makes the baseline test fail
(the look-through DI falls to the direct DI); removing the look_through branch of
planner.verification.checks._carried_share makes the tampered-summary test pass verification
and so fail here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import planner
from planner.verify import verify_run

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def dataset():
    return planner.load_dataset()


def _dense_look_through_di(ds, sc) -> float:
    """The baseline look-through DI from first principles: L = inv(I - A diag(omb)) dense,
    lambda = va_adv @ L, then (a + sum_{j not in A} lambda[j,s] F0[i,j,s]) / D per pair,
    weighted by GDP over the focal countries and by criticality weight over sectors."""
    net = ds.require_network()
    n = len(net.nodes)
    tech = net.shares.toarray() * net.input_share[None, :]
    inv = np.linalg.inv(np.eye(n) - tech)
    adv = set(sc.coalition.adversaries)
    is_adv = net.nodes.get_level_values(0).isin(list(adv))
    lam = (np.where(is_adv, net.value_added_share, 0.0)) @ inv
    lam = dict(zip(net.nodes, lam, strict=True))
    flows = ds.flows
    flows = flows[flows["importer"] != flows["exporter"]]
    from_adv = flows["exporter"].isin(adv)
    carried = np.where(
        from_adv,
        flows["value"],
        flows["value"]
        * np.array([lam[(e, s)] for e, s in zip(flows["exporter"], flows["sector"], strict=True)]),
    )
    flows = flows.assign(carried=carried)
    per_pair = flows.groupby(["importer", "sector"])[["value", "carried"]].sum()
    share = per_pair["carried"] / per_pair["value"]
    countries = ds.countries
    cand = ~countries.index.isin(list(adv))
    gdp = countries.loc[cand, "gdp"]
    omega = gdp / gdp.sum()
    w = ds.sectors["weight"] / ds.sectors["weight"].sum()
    s = share.unstack("sector").reindex(index=omega.index, columns=w.index).fillna(0.0)
    return float(omega @ (s.to_numpy() @ w.to_numpy()))


def test_look_through_baseline_matches_a_dense_computation(dataset):
    sc = planner.load_scenario(ROOT / "scenarios" / "look_through.toml")
    model = planner.build_model(dataset, sc)
    assert model.instance.exposure == "look_through"
    built = float(model.expressions["effective_dependency_index"].const[0])
    expected = _dense_look_through_di(dataset, sc)
    assert built == pytest.approx(expected, abs=1e-6)
    # look-through counts more than same-sector first-order content here (0.207 > 0.194)
    first = planner.build_model(dataset, sc.with_overrides({"parameters.exposure": "first_order"}))
    assert built > float(first.expressions["effective_dependency_index"].const[0]) + 1e-3


def test_look_through_needs_a_network(tmp_path):
    import shutil

    for f in (ROOT / "data").glob("*.csv"):
        shutil.copy(f, tmp_path / f.name)
    ds = planner.load_dataset(tmp_path)
    sc = planner.Scenario(name="x").with_overrides({"parameters.exposure": "look_through"})
    with pytest.raises(planner.PlannerError, match=r"parameters\.exposure.*network"):
        planner.build_model(ds, sc)


@pytest.fixture(scope="module")
def look_through_run(tmp_path_factory, dataset):
    out = tmp_path_factory.mktemp("lt") / "run"
    o = planner.run(ROOT / "scenarios" / "look_through.toml", out, dataset=dataset, plots=False)
    assert o.result.status.value == "optimal"
    return out


def test_look_through_run_reports_every_measure_and_verifies(look_through_run):
    s = json.loads((look_through_run / "summary.json").read_text())
    assert s["exposure"] == "look_through"
    for key in ("dependency", "first_order_dependency", "look_through_dependency"):
        assert s[f"{key}_after"] < s[f"{key}_before"]
    # the objective (dependency kind, tiny cost tie-break) is the look-through index
    assert s["objective"] == pytest.approx(s["look_through_dependency_after"], abs=1e-4)
    report = verify_run(look_through_run)
    assert report.ok
    assert "look_through_index" in set(report.table["family"])


def test_verify_catches_a_wrong_look_through_index(look_through_run, tmp_path):
    import shutil

    bad = tmp_path / "bad"
    shutil.copytree(look_through_run, bad)
    s = json.loads((bad / "summary.json").read_text())
    s["look_through_dependency_after"] += 0.01
    (bad / "summary.json").write_text(json.dumps(s))
    report = verify_run(bad)
    t = report.table.set_index("family")
    assert not report.ok
    assert t.loc["look_through_index", "worst"] == pytest.approx(0.01, abs=1e-9)


def _stress(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "planner", "stress", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )


def test_stress_command_prints_losses_and_writes_its_own_directory(look_through_run, tmp_path):
    before = {p.name: p.read_bytes() for p in look_through_run.iterdir()}
    out = tmp_path / "stress"
    proc = _stress(str(look_through_run), "--out", str(out), "--no-plots", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "the plan protects USD" in proc.stdout
    for group in ("targets", "members", "associates"):
        assert group in proc.stdout
    groups = json.loads((out / "summary.json").read_text())["groups"]
    m = groups["members"]
    assert m["output_loss_after"] <= m["output_loss_before"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert "by_group.csv" in json.dumps(manifest)
    # the run directory is never modified
    assert {p.name: p.read_bytes() for p in look_through_run.iterdir()} == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--targets", "XXX"], "unknown target country ['XXX']"),
        (["--sectors", "ZZZ,C26"], "unknown sector ['ZZZ']"),
        (["--rerouting", "1.5"], "rerouting 1.5"),
    ],
)
def test_stress_bad_inputs_name_the_value_and_write_nothing(
    look_through_run, tmp_path, args, message
):
    out = tmp_path / "stress"
    proc = _stress(str(look_through_run), *args, "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert not out.exists()
    assert not list(tmp_path.glob(".stress*"))


def test_stress_of_a_path_that_is_neither_run_nor_scenario(tmp_path):
    proc = _stress(str(tmp_path / "nothing"), cwd=tmp_path)
    assert proc.returncode == 2
    assert "neither a run directory nor a scenario file" in proc.stderr


@pytest.mark.parametrize(
    ("network", "message"),
    [
        (None, "network.npz"),  # a dataset without a network
        (b"not a zip file", "network.npz"),  # a damaged network file
    ],
)
def test_stress_on_a_dataset_without_a_sound_network_names_the_file(tmp_path, network, message):
    import shutil

    data = tmp_path / "data"
    data.mkdir()
    for f in (ROOT / "data").glob("*.csv"):
        shutil.copy(f, data / f.name)
    if network is not None:
        (data / "network.npz").write_bytes(network)
    scenario = tmp_path / "s.toml"
    scenario.write_text('name = "s"\n[data]\npath = "data"\n')
    out = tmp_path / "stress"
    proc = _stress(str(scenario), "--targets", "USA", "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert not out.exists()
