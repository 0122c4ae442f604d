"""Every symbol of MODEL.md exists in code under a readable name (formulations.builder.SYMBOLS),
and bad scenarios are refused with the key named."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from formulations.builder import SYMBOLS
from formulations.expr import Expr
from formulations.instance import FormulationError
from formulations.problems import build_model
from planner import scenario as scenario_module
from tests.tiny import scenario, world

# the symbols of MODEL.md's tables (sets, parameters, variables) and formulas
MODEL_SYMBOLS = """C A P N S K Phi F0 D X GO h gdp regime theta_full theta_assoc w w~ omega pi p
beta rho kappa B delta tau V r_inc epsilon rho_cov alpha gamma n_min n_max sigma cap y z t f u q
e a a0 DI""".split()


def test_every_model_symbol_is_mapped_and_resolves():
    missing = [s for s in MODEL_SYMBOLS if s not in SYMBOLS]
    assert not missing
    sc = scenario(
        coalition={"choose_members": True},
        sectors={"choose_tiers": True, "tiers": {}},
        constraints={"capacity_investment": True},
    )
    model = build_model(world(), sc)
    for sym, where in SYMBOLS.items():
        head, _, rest = where.partition(" ")
        if head.startswith("Instance."):
            obj = model.instance
            for part in head.split(".")[1:]:
                assert hasattr(obj, part), sym
                obj = getattr(obj, part)
        elif head.startswith("CoalitionModel."):
            assert hasattr(model, head.split(".")[1]), sym
        elif head.startswith("scenario."):
            _, section, key = head.split(".")
            assert hasattr(getattr(sc, section), key), sym
        elif head == "block":
            assert rest in model.program.blocks, sym
        elif head == "expression":
            assert rest.split()[0] in model.expressions, sym
        elif head.startswith("planner.scenario."):
            assert hasattr(scenario_module, head.rsplit(".", 1)[1]), sym
        elif head.startswith("formulations."):  # a module constant, e.g. formulations.sets.TIERS
            import importlib

            module, _, name = head.rpartition(".")
            assert getattr(importlib.import_module(module), name), sym
        else:
            pytest.fail(f"{sym}: unreadable location {where!r}")


def _resolve(model, sc, where: str):
    """The object SYMBOLS names (``Instance.demand`` -> model.instance.demand, ...)."""
    head, _, rest = where.partition(" ")
    if head.startswith("Instance."):
        obj = model.instance
        for part in head.split(".")[1:]:
            obj = getattr(obj, part)
        return obj
    if head == "block":
        return model.program.block(rest)
    if head == "expression":
        return model.expressions[rest.split()[0]]
    raise KeyError(where)


def test_symbols_resolve_to_the_hand_values_of_the_tiny_world():
    """Not just "an attribute of that name exists": the objects SYMBOLS names hold the tiny
    world's hand values (tests/tiny.py): D[USA,S1] = 150, X[DEU,S1] = 70, cap[DEU,S1] = 87.5,
    a0[USA,S1] = 100, omega = (100, 50, 20, 0) / 170, A = {CHN}, P = {USA, DEU, MEX}; the
    blocks y (DEU) and z (DEU, MEX) and t (S1 by three tiers); DI at the
    baseline (no shifts, x = 0) is DI0.

    Checked: with SYMBOLS["D"] pointed at "Instance.exports" (an attribute that exists, so the
    old hasattr test passed) this failed."""
    from tests.tiny import DI0

    sc = scenario(
        coalition={"choose_members": True},
        sectors={"choose_tiers": True, "tiers": {}},
        constraints={"capacity_investment": True},
    )
    model = build_model(world(), sc)

    def get(sym):
        return _resolve(model, sc, SYMBOLS[sym])

    countries = list(get("C"))
    usa, deu = countries.index("USA"), countries.index("DEU")
    s1 = list(get("S")).index("S1")
    assert get("D")[usa, s1] == pytest.approx(150.0)
    assert get("X")[deu, s1] == pytest.approx(70.0)
    assert get("cap")[deu, s1] == pytest.approx(87.5)
    assert get("a0")[usa, s1] == pytest.approx(100.0)
    assert np.asarray(get("omega")) == pytest.approx(np.array([100, 50, 20, 0]) / 170)
    assert [c for c, a in zip(countries, get("A"), strict=True) if a] == ["CHN"]
    assert [c for c, p in zip(countries, get("P"), strict=True) if p] == ["USA", "DEU", "MEX"]
    # one tier column per (weighted sector, tier): S1 only, S2 has weight 0
    t = get("t").labels
    assert set(t.get_level_values(0)) == {"S1"} and len(t) == 3
    # y: the full-member choice of non-anchor candidates above the full threshold (DEU; USA
    # is an anchor, MEX's regime 0.4 admits it as associate only); z: DEU and MEX
    assert list(get("y").labels) == ["DEU"] and list(get("z").labels) == ["DEU", "MEX"]
    x0 = np.zeros(model.program.n_variables)
    assert get("DI").value(x0)[0] == pytest.approx(DI0)


@pytest.mark.parametrize(
    ("sections", "key"),
    [
        ({"coalition": {"adversaries": ["XXX"]}}, "coalition.adversaries"),
        ({"coalition": {"candidates": ["USA", "CHN"]}}, "coalition.candidates"),
        ({"coalition": {"focal": ["CHN"]}}, "coalition.focal"),
        ({"coalition": {"members": ["MEX"]}}, "coalition.members"),
        ({"sectors": {"tiers": {"S9": "open"}}}, "sectors.tiers.S9"),
        ({"coalition": {"candidates": ["DEU", "MEX"]}}, "coalition.anchors"),
    ],
)
def test_bad_scenario_names_the_key(sections, key):
    with pytest.raises(FormulationError) as err:
        build_model(world(), scenario(**sections))
    assert err.value.key == key
    assert key in str(err.value)


def test_expr_take_and_sum_by_match_dense_algebra():
    rng = np.random.default_rng(0)
    n, ncols = 7, 5
    owner = rng.integers(0, n, 20)
    col = rng.integers(0, ncols, 20)
    coef = rng.normal(size=20)
    e = Expr.terms(n, owner, col, coef, rng.normal(size=n))
    dense = np.zeros((n, ncols))
    np.add.at(dense, (owner, col), coef)
    x = rng.normal(size=ncols)
    assert e.value(x) == pytest.approx(dense @ x + e.const)
    idx = np.array([3, 3, 0, 6])
    assert e.take(idx).value(x) == pytest.approx((dense @ x + e.const)[idx])
    group = np.array([0, 1, 0, 1, 2, -1, 2])
    g = e.sum_by(group, 3)
    want = pd.Series(dense @ x + e.const).groupby(group).sum().drop(-1).to_numpy()
    assert g.value(x) == pytest.approx(want)
    assert (e * 2.0 - e).value(x) == pytest.approx(e.value(x))
    assert (1.0 - e).value(x) == pytest.approx(1.0 - e.value(x))
