"""A four-country world small enough to solve by hand (tests of the formulations).

Countries: USA (anchor, GDP 100, regime 0.9), DEU (GDP 50, regime 0.8), MEX (GDP 20, regime 0.4:
associate-eligible only), CHN (adversary, GDP 80). Sectors: S1 (critical, weight 1) and S2
(ordinary, weight 0); premium 0.1, headroom 0.25, reshoring cost 0.5 everywhere.

Flows (USD mn): USA<-CHN S1 100, USA<-DEU S1 50, DEU<-CHN S1 40, DEU<-USA S1 10, MEX<-CHN S1 10,
CHN<-DEU S1 20, USA<-MEX S2 200, DEU<-MEX S2 100.

So D[USA,S1] = 150 (a0 100), D[DEU,S1] = 50 (a0 40), D[MEX,S1] = 10 (a0 10); X[DEU,S1] = 70 (cap
87.5, room 17.5), X[USA,S1] = 10 (room 2.5). Baseline DI over the candidates (GDP weights
100/170, 50/170, 20/170) = (100 * 2/3 + 50 * 0.8 + 20 * 1) / 170 = 126.667 / 170.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

import pandas as pd

from formulations.model import CoalitionModel, Plan
from formulations.problems import build_model
from planner.data.dataset import Dataset
from planner.scenario import Scenario
from planner.solver import SolveOptions, SolveResult, solve

FLOWS = [
    ("USA", "CHN", "S1", 100.0),
    ("USA", "DEU", "S1", 50.0),
    ("DEU", "CHN", "S1", 40.0),
    ("DEU", "USA", "S1", 10.0),
    ("MEX", "CHN", "S1", 10.0),
    ("CHN", "DEU", "S1", 20.0),
    ("USA", "MEX", "S2", 200.0),
    ("DEU", "MEX", "S2", 100.0),
]
DI0 = (100 * 2 / 3 + 50 * 0.8 + 20 * 1.0) / 170


def world(output: dict[tuple[str, str], float] | None = None) -> Dataset:
    """The tiny world; ``output`` adds gross output per (country, sector)."""
    countries = pd.DataFrame(
        {
            "iso3": ["USA", "DEU", "MEX", "CHN"],
            "gdp": [100.0, 50.0, 20.0, 80.0],
            "regime": [0.9, 0.8, 0.4, 0.1],
        }
    )
    sectors = pd.DataFrame(
        {
            "sector": ["S1", "S2"],
            "weight": [1.0, 0.0],
            "category": ["critical", "other"],
            "headroom": [0.25, 0.25],
            "premium": [0.1, 0.1],
            "reshoring_cost": [0.5, 0.5],
        }
    )
    flows = pd.DataFrame(FLOWS, columns=["importer", "exporter", "sector", "value"])
    out = None
    if output:
        out = pd.DataFrame(
            [(c, s, v) for (c, s), v in output.items()],
            columns=["country", "sector", "gross_output"],
        )
    return Dataset.from_frames(countries, sectors, flows, output=out, name="tiny")


BASE: dict[str, Any] = {
    "name": "tiny",
    "coalition": {"adversaries": ["CHN"], "anchors": ["USA"], "choose_members": False},
    "sectors": {"choose_tiers": False, "tiers": {"S1": "restricted"}},
    "parameters": {"budget": 10000.0, "max_volume_drop": 1.0, "min_open_share": 0.0},
    "objective": {"kind": "cost", "target": 1.0, "cost_tiebreak": 0.0},
}


def scenario(**sections: dict[str, Any]) -> Scenario:
    """BASE with sections updated key by key (``coalition={"members": ["DEU"]}``)."""
    d = deepcopy(BASE)
    for section, values in sections.items():
        d.setdefault(section, {}).update(values)
    return Scenario.from_dict(d, source="tiny test")


def run(
    sc: Scenario, ds: Dataset | None = None, backend: str = "highs"
) -> tuple[SolveResult, CoalitionModel, Plan | None]:
    """Build, solve, decode (plan is None without a solution)."""
    model = build_model(ds or world(), sc)
    res = solve(model.program, backend, SolveOptions(mip_gap=1e-9))
    plan = model.plan(res.x) if res.status.has_solution else None
    return res, model, plan


def write_world(directory, output: dict[tuple[str, str], float] | None = None):
    """Write the tiny world as a dataset directory (countries, sectors, flows CSV)."""
    from pathlib import Path

    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    ds = world(output)
    ds.countries.reset_index().to_csv(d / "countries.csv", index=False)
    ds.sectors.reset_index().to_csv(d / "sectors.csv", index=False)
    ds.flows.to_csv(d / "flows.csv", index=False)
    if output:
        ds.output.reset_index().to_csv(d / "output.csv", index=False)
    return d


def scenario_file(path, data_dir, **sections: dict[str, Any]):
    """A scenario TOML file on the tiny world (BASE updated like :func:`scenario`)."""
    from pathlib import Path

    from planner.scenario import scenario_to_toml

    sc = scenario(data={"path": str(data_dir)}, **sections)
    Path(path).write_text(scenario_to_toml(sc))
    return Path(path)
