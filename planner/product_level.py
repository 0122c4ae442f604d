"""The product-level tier problem end to end: a tier per product under one budget, membership
fixed, solved by Lagrangian decomposition over products with a proven gap.

:func:`product_tiers` builds every (product, tier) option in closed form
(:func:`formulations.product_tiers.tier_options`), prices the budget
(:func:`planner.solver.solve_mckp`) and returns the plan as a labelled table with the dual
bound, the gap and the budget's shadow price. The model is documented in
``docs/product_level.md``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from formulations.product_tiers import (
    ProductTierError,
    TierOptions,
    check_tier_inputs,
    tier_options,
)
from planner.data.synthetic import ProductWorld
from planner.solver.mckp import METHODS, MCKPResult, solve_mckp

__all__ = ["ProductTierError", "ProductTierResult", "product_tiers"]


@dataclass
class ProductTierResult:
    """A tier per product, its cost and effect, and how close to optimal it is proven to be.

    Attributes
    ----------
    plan : pandas.DataFrame
        Indexed by product code: ``tier``, ``cost`` (USD mn), ``di_reduction``, ``weight``
        and ``adversary_imports`` (the full members' baseline imports from adversaries).
    totals : dict
        ``di_baseline``, ``di_after`` (the plan's DI), ``di_bound`` (no plan within the budget
        has a lower DI), ``gap``, ``cost``, ``budget``, ``price`` and the number of products
        per tier (``n_open``, ``n_incentivized``, ``n_restricted``).
    bound : float
        Proven lower bound on the optimal DI (the Lagrangian dual at the price found).
    gap : float
        ``(di_after - bound) / di_after``: the plan is at most this far from optimal.
    price : float
        λ*, the budget's shadow price: DI taken off per extra USD mn of budget (>= 0).
    options : TierOptions
        Every (product, tier) option (cost, DI reduction) and the per-product table.
    solution : MCKPResult
        The decomposition's raw result (choice, iterations, hull segments, timings).
    timings : dict of str to float
        Seconds: ``build`` (the options), ``solve`` (dual and repair).
    """

    plan: pd.DataFrame
    totals: dict
    bound: float
    gap: float
    price: float
    options: TierOptions
    solution: MCKPResult
    timings: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict:
        """Plain numbers for JSON: totals, sizes, iterations and timings."""
        s = self.solution
        return {
            **{
                k: (float(v) if isinstance(v, (float, np.floating)) else v)
                for k, v in self.totals.items()
            },
            "sizes": dict(self.options.sizes),
            "method": s.method,
            "iterations": s.iterations,
            "segments": s.segments,
            "fill_moves": s.fill_moves,
            "timings": {**self.timings, **{f"solve_{k}": v for k, v in s.timings.items()}},
        }


def product_tiers(
    world: ProductWorld,
    budget: float,
    *,
    members: Sequence[str] | None = None,
    associates: Sequence[str] | None = None,
    adversaries: Sequence[str] | None = None,
    r_inc: float = 0.5,
    eps: float = 0.0,
    beta: float = 0.0,
    method: str = "breakpoints",
) -> ProductTierResult:
    """Choose a tier per product to minimise DI within one budget, membership fixed.

    Parameters
    ----------
    world : planner.data.synthetic.ProductWorld
        Countries, products and baseline bilateral imports per product (USD mn), e.g. from
        :func:`planner.data.synthetic.synthetic_products` or
        :meth:`~planner.data.synthetic.ProductWorld.from_frames`.
    budget : float
        USD mn, >= 0.
    members, associates : sequence of str, optional
        Full members and associates (country codes). Default: the world's
        :meth:`~planner.data.synthetic.ProductWorld.default_coalition` (associates default to
        none when ``members`` is given).
    adversaries : sequence of str, optional
        Default: the countries the world flags ``adversary``.
    r_inc : float
        Cut of adversary imports in incentivized products, in [0, 1].
    eps : float
        Residual adversary share in restricted products, in [0, 1 - r_inc].
    beta : float
        Barrier cut among members, in [0, 1): coalition sourcing costs premium·(1 - beta).
    method : {"breakpoints", "bisection"}
        How the budget's price is found (see :func:`planner.solver.solve_mckp`).

    Returns
    -------
    ProductTierResult

    Raises
    ------
    ProductTierError
        Before any work, naming the field: ``budget`` (negative or not finite), ``method``,
        ``products`` (none), ``weight`` (all zero), ``r_inc``, ``eps``, ``beta``,
        ``members``, ``associates``, ``adversaries`` (unknown codes, empty, overlapping).

    Examples
    --------
    >>> from planner.data.synthetic import synthetic_products
    >>> world = synthetic_products(30, 100, seed=1)
    >>> result = product_tiers(world, budget=2000.0)
    >>> bool(result.bound <= result.totals["di_after"] < result.totals["di_baseline"])
    True
    >>> result.plan.loc[result.plan["tier"] != "open"].shape[0]
    11
    """
    if not (isinstance(budget, (int, float, np.floating)) and math.isfinite(budget)):
        raise ProductTierError("budget", f"must be a finite number, got {budget!r}")
    if budget < 0:
        raise ProductTierError("budget", f"must be >= 0, got {budget!r}")
    if method not in METHODS:
        raise ProductTierError("method", f"must be one of {METHODS}, got {method!r}")
    if members is None:
        members, default_assoc = world.default_coalition()
        associates = default_assoc if associates is None else associates
    associates = () if associates is None else associates
    check_tier_inputs(world, members, associates, adversaries, r_inc=r_inc, eps=eps, beta=beta)

    t0 = time.perf_counter()
    opts = tier_options(world, members, associates, adversaries, r_inc=r_inc, eps=eps, beta=beta)
    t1 = time.perf_counter()
    sol = solve_mckp(opts.cost, opts.value, float(budget), method=method)
    t2 = time.perf_counter()

    rows = np.arange(len(opts.products))
    tiers = np.asarray(opts.tiers)
    plan = pd.DataFrame(
        {
            "tier": pd.Categorical(tiers[sol.choice], categories=list(opts.tiers)),
            "cost": opts.cost[rows, sol.choice],
            "di_reduction": opts.reduction[rows, sol.choice],
            "weight": opts.table["weight"].to_numpy(),
            "adversary_imports": opts.table["adversary_imports"].to_numpy(),
        },
        index=opts.products,
    )
    di_after = opts.di_baseline + sol.value
    bound = opts.di_baseline + sol.bound
    gap = max(0.0, di_after - bound) / max(abs(di_after), 1e-12)
    counts = plan["tier"].value_counts()
    totals = {
        "di_baseline": opts.di_baseline,
        "di_after": di_after,
        "di_bound": bound,
        "gap": gap,
        "cost": sol.cost,
        "budget": float(budget),
        "price": sol.price,
        **{f"n_{t}": int(counts.get(t, 0)) for t in opts.tiers},
    }
    return ProductTierResult(
        plan=plan,
        totals=totals,
        bound=bound,
        gap=gap,
        price=sol.price,
        options=opts,
        solution=sol,
        timings={"build": t1 - t0, "solve": t2 - t1},
    )
