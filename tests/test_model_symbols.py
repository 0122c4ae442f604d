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
        else:
            pytest.fail(f"{sym}: unreadable location {where!r}")


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
