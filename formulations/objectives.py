"""The objectives of the model: dependency (default), minimax, cost for a target, frontier.

The dependency and minimax objectives carry a tiny tie-break, ``objective.cost_tiebreak`` (by
default 1e-6) times (total cost / B + share of sectors not ``open``): spending the whole budget,
or tiering every sector, is worth a millionth of DI. Among plans with the same dependency the
cheapest, least interventionist one is reported rather than an arbitrary one. Set it to 0 for
the pure the model's objective.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from formulations.expr import Expr, add_rows
from formulations.families._util import fixed_at

if TYPE_CHECKING:
    from formulations.builder import ModelBuilder

__all__ = ["OBJECTIVES", "dependency_measure", "set_objective"]

OBJECTIVES = ("dependency", "minimax", "cost", "frontier")
TARGET_FAMILY = "dependency_target"


def dependency_measure(b: ModelBuilder) -> tuple[Expr, Expr]:
    """(DI, per-country dependency) the objective uses: effective or direct, by the
    scenario's exposure measure (``parameters.exposure``)."""
    key = "effective_dependency" if b.inst.effective_objective else "dependency"
    return b.x[f"{key}_index"], b.x[key]


def _tiebreak(b: ModelBuilder) -> Expr:
    sc = b.scenario
    weight = sc.objective.cost_tiebreak
    tiered = (1.0 - b.x["tier_open"]).sum() * (1.0 / b.inst.n_sectors)
    return b.x["total_cost"] * (weight / max(sc.parameters.budget, 1.0)) + tiered * weight


def _set(b: ModelBuilder, e: Expr, name: str) -> None:
    b.program.set_objective(e.col, e.coef, "min", float(e.const[0]), name=name)


def set_objective(b: ModelBuilder, kind: str, target: float | None = None) -> None:
    """Set the program's objective.

    Parameters
    ----------
    b : ModelBuilder
        Builder with variables and families added.
    kind : {"dependency", "minimax", "cost", "frontier"}
        ``cost`` and ``frontier`` minimise total cost subject to the row ``dependency_target``
        (DI <= target); a frontier re-solves the same program for other targets
        (:meth:`formulations.model.CoalitionModel.set_dependency_target`).
    target : float, optional
        DI target for ``cost`` (default ``objective.target``); a frontier starts at the
        baseline DI.
    """
    di, dep = dependency_measure(b)
    if kind == "dependency":
        _set(b, di + _tiebreak(b), "dependency_index")
    elif kind == "minimax":
        inst = b.inst
        blk = b.program.add_variables(
            "max_dependency",
            pd.Index(["max"], name="objective"),
            upper=1.0,
            description="largest full member's dependency",
            unit="share",
        )
        zmax = Expr.variables(
            inst.n_countries,
            np.arange(inst.n_countries),
            np.full(inst.n_countries, blk.columns[0]),
        )
        effective = inst.effective_objective
        big_m = np.ones(inst.n_countries) if effective else inst.baseline_dependency()
        y = b.x["full_member"]
        keep = inst.focal & inst.candidate & ~fixed_at(y, 0.0)
        add_rows(
            b.program,
            "minimax_dependency",
            inst.countries,
            zmax - dep + (1.0 - y) * big_m,
            ">=",
            keep=keep,
            description="the objective is at least every full member's dependency",
        )
        z1 = Expr.variables(1, np.zeros(1, np.int64), blk.columns)
        _set(b, z1 + _tiebreak(b), "max_member_dependency")
    elif kind in ("cost", "frontier"):
        if target is None:
            target = (
                b.scenario.objective.target
                if kind == "cost"
                else float(
                    b.inst.baseline_dependency(b.inst.effective_objective)
                    @ b.inst.gdp_weight
                )
            )
        add_rows(
            b.program,
            TARGET_FAMILY,
            pd.Index(["DI"], name="objective"),
            di,
            "<=",
            float(target),
            description="dependency index at most the target",
        )
        if TARGET_FAMILY not in b.program.families:  # the constant row held: keep it settable
            b.program.add_constraints(
                TARGET_FAMILY,
                pd.Index(["DI"], name="objective"),
                np.zeros(0),
                np.zeros(0),
                np.zeros(0),
                "<=",
                float(target) - float(di.const[0]),
            )
        _set(b, b.x["total_cost"], "total_cost")
    else:
        raise ValueError(f"objective kind {kind!r} is not one of {OBJECTIVES}")
