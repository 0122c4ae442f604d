"""The product-level tier problem: membership fixed, one tier per product, one budget.

From bilateral imports per product (a :class:`~planner.data.synthetic.ProductWorld`) and a fixed
coalition, :func:`tier_options` computes, for every product and tier, what the tier costs and
how much it lowers the dependency index, in closed form with numpy group sums over the links
(no Python loop over products or links). The choice of one tier per product under one budget
is then a multiple-choice knapsack: :class:`TierOptions` hands its arrays to a solver
(:func:`planner.solver.solve_mckp`) or builds the exact MILP as a :class:`Program`
(:meth:`TierOptions.program`) for an independent check.

The closed form, per product p and tier k with cut fraction c_k (open 0, incentivized r_inc,
restricted 1 - eps): every full member i cuts its adversary imports a0[i,p] by c_k·a0[i,p];
the cut S = c_k·Σ_i a0[i,p] is re-sourced first from the spare capacity h·X[j,p] of the
coalition's exporters of p (full members and associates when incentivized, full members only
when restricted), never from a member's own spare capacity for its own imports, at
pi = premium·(1 - beta) per USD, and the rest at home at rho (the reshoring cost). Pooled
supply with one price per product makes the cheapest sourcing a bipartite flow whose largest
value is min(S, T, S + T - max_i(d_i + s_i)) (T the pooled spare, d_i and s_i member i's cut
and own spare; max-flow min-cut on a complete bipartite graph without its diagonal).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from formulations.instance import FormulationError
from formulations.program import Program

__all__ = ["PRODUCT_TIERS", "ProductTierError", "TierOptions", "check_tier_inputs", "tier_options"]

PRODUCT_TIERS = ("open", "incentivized", "restricted")
"""The tiers, in the column order of :class:`TierOptions` arrays."""


class ProductTierError(FormulationError):
    """An input of the product-level tier problem is invalid; ``key`` names the field."""

    prefix = "bad input: "

    def cli_message(self, where: str | None = None) -> str:
        """``bad input: field 'KEY': problem``."""
        return f"{self.prefix}{self}"

    def __init__(self, key: str, problem: str):
        self.key, self.problem = key, problem
        Exception.__init__(self, f"field '{key}': {problem}")


@dataclass
class TierOptions:
    """Every (product, tier) option of the product-level tier problem.

    Attributes
    ----------
    products : pandas.Index
        Product codes, one row of the arrays each.
    tiers : tuple of str
        Tier names, one column each (:data:`PRODUCT_TIERS`).
    cost : numpy.ndarray
        ``(n_products, 3)`` cost of putting the product in the tier, USD mn (0 when open).
    reduction : numpy.ndarray
        ``(n_products, 3)`` how much the tier lowers DI (0 when open).
    di_baseline : float
        DI before any tier: Σ_i ω_i Σ_p w̃_p a0[i,p] / D[i,p] over the full members.
    table : pandas.DataFrame
        Per product (indexed by code): ``weight``, ``adversary_imports`` (the members'
        a0 summed), ``di_share`` (w̃_p Σ_i ω_i a0/D: the most a product can take off DI),
        ``spare_full`` and ``spare_coalition`` (pooled spare capacity of full members, of
        full members and associates), ``premium_cost`` (pi) and ``reshoring_cost`` (rho).
    parameters : dict
        ``r_inc``, ``eps``, ``beta``, the members, associates and adversaries used.
    sizes : dict
        ``links``, ``products``, ``options`` (finite options) and ``members``.
    """

    products: pd.Index
    tiers: tuple[str, ...]
    cost: np.ndarray
    reduction: np.ndarray
    di_baseline: float
    table: pd.DataFrame
    parameters: dict = field(default_factory=dict)
    sizes: dict = field(default_factory=dict)

    @property
    def value(self) -> np.ndarray:
        """DI contribution of each option to minimise: ``-reduction`` (DI = baseline + Σ)."""
        return -self.reduction

    def program(self, budget: float) -> Program:
        """The exact product-level tier MILP as a solver-neutral program.

        Binaries ``tier[p, k]`` (labels product, tier); family ``one_tier``: Σ_k tier[p,k] = 1
        per product; family ``budget``: Σ cost·tier <= ``budget``; objective: minimise
        DI = di_baseline - Σ reduction·tier.

        Parameters
        ----------
        budget : float
            USD mn, >= 0.

        Returns
        -------
        Program
        """
        if not (np.isfinite(budget) and budget >= 0):
            raise ProductTierError("budget", f"must be a finite number >= 0, got {budget!r}")
        n, k = self.cost.shape
        p = Program("product_tiers")
        labels = pd.MultiIndex.from_product([self.products, self.tiers], names=["product", "tier"])
        t = p.add_variables("tier", labels, kind="binary", description="product p is in tier k")
        cols = t.columns
        p.add_constraints(
            "one_tier",
            self.products,
            np.repeat(np.arange(n), k),
            cols,
            1.0,
            "==",
            1.0,
            description="each product is in exactly one tier",
        )
        c = self.cost.ravel()
        nz = c != 0
        p.add_constraints(
            "budget",
            pd.Index(["budget"], name="budget"),
            np.zeros(int(nz.sum()), dtype=np.int64),
            cols[nz],
            c[nz],
            "<=",
            float(budget),
            description="the tiers' total cost stays within the budget (USD mn)",
        )
        r = self.reduction.ravel()
        nzr = r != 0
        p.set_objective(cols[nzr], -r[nzr], "min", constant=self.di_baseline, name="dependency")
        return p


def _positions(codes: Sequence[str], table: pd.Index, key: str) -> np.ndarray:
    if isinstance(codes, str):
        raise ProductTierError(key, "must be a list of country codes, not one string")
    codes = list(codes)
    pos = table.get_indexer(codes)
    if (pos < 0).any():
        unknown = [c for c, q in zip(codes, pos, strict=True) if q < 0][:3]
        raise ProductTierError(key, f"unknown country codes {unknown}")
    if len(set(codes)) != len(codes):
        raise ProductTierError(key, "a country code is listed twice")
    return pos


def check_tier_inputs(
    world,
    members: Sequence[str],
    associates: Sequence[str] = (),
    adversaries: Sequence[str] | None = None,
    *,
    r_inc: float = 0.5,
    eps: float = 0.0,
    beta: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Check the inputs of :func:`tier_options` (cheap: no pass over the links).

    Returns
    -------
    members, associates, adversaries : numpy.ndarray
        Country positions.

    Raises
    ------
    ProductTierError
        Naming the field: ``products`` (none), ``weight`` (all zero), ``r_inc`` / ``eps`` /
        ``beta`` (outside their ranges), ``members`` / ``associates`` / ``adversaries``
        (unknown codes, empty, overlapping).
    """
    if world.n_products == 0:
        raise ProductTierError("products", "the world has no products")
    if world.n_countries == 0:
        raise ProductTierError("countries", "the world has no countries")
    for key, x, lo, hi in (("r_inc", r_inc, 0.0, 1.0), ("eps", eps, 0.0, 1.0)):
        if not (isinstance(x, (int, float)) and lo <= x <= hi):
            raise ProductTierError(key, f"must be in [{lo:g}, {hi:g}], got {x!r}")
    if eps > 1.0 - r_inc:
        raise ProductTierError(
            "eps", f"the restricted residual {eps} must not exceed 1 - r_inc = {1 - r_inc}"
        )
    if not (isinstance(beta, (int, float)) and 0.0 <= beta < 1.0):
        raise ProductTierError("beta", f"must be in [0, 1), got {beta!r}")
    w = world.products["weight"].to_numpy(dtype=float)
    if not (np.isfinite(w).all() and (w >= 0).all() and w.sum() > 0):
        raise ProductTierError("weight", "criticality weights must be >= 0, and not all 0")
    codes = pd.Index(world.countries["code"])
    if adversaries is None:
        adversaries = codes[world.countries["adversary"].to_numpy(dtype=bool)].tolist()
    adv = _positions(adversaries, codes, "adversaries")
    if len(adv) == 0:
        raise ProductTierError("adversaries", "name at least one adversary")
    full = _positions(members, codes, "members")
    if len(full) == 0:
        raise ProductTierError("members", "name at least one full member")
    assoc = _positions(associates, codes, "associates")
    for key, pos in (("members", full), ("associates", assoc)):
        bad = np.intersect1d(pos, adv)
        if len(bad):
            raise ProductTierError(key, f"adversaries cannot join: {codes[bad].tolist()}")
    both = np.intersect1d(full, assoc)
    if len(both):
        raise ProductTierError("associates", f"already full members: {codes[both].tolist()}")
    return full, assoc, adv


def tier_options(
    world,
    members: Sequence[str],
    associates: Sequence[str] = (),
    adversaries: Sequence[str] | None = None,
    *,
    r_inc: float = 0.5,
    eps: float = 0.0,
    beta: float = 0.0,
) -> TierOptions:
    """Cost and DI reduction of every (product, tier) option, in closed form.

    Parameters
    ----------
    world : planner.data.synthetic.ProductWorld
        Countries, products (``weight``, ``premium``, ``reshoring_cost``, ``headroom``) and
        baseline links F0 (USD mn).
    members : sequence of str
        Full members (their imports are planned; they are the focal countries of DI,
        weighted by GDP, and trusted suppliers in every tier).
    associates : sequence of str
        Associates: trusted suppliers in incentivized products only.
    adversaries : sequence of str, optional
        Default: the countries the world flags ``adversary``.
    r_inc : float
        Cut of adversary imports in incentivized products, in [0, 1].
    eps : float
        Residual adversary share allowed in restricted products, in [0, 1 - r_inc].
    beta : float
        Barrier cut among members: coalition sourcing costs premium·(1 - beta) per USD.

    Returns
    -------
    TierOptions

    Raises
    ------
    ProductTierError
        See :func:`check_tier_inputs`; raised before the links are read.
    """
    full, assoc, adv = check_tier_inputs(
        world, members, associates, adversaries, r_inc=r_inc, eps=eps, beta=beta
    )
    nc, n_p = world.n_countries, world.n_products
    links = world.links
    imp = links["importer"].to_numpy()
    exp = links["exporter"].to_numpy()
    prod = links["product"].to_numpy()
    value = links["value"].to_numpy(dtype=float)

    is_full = np.zeros(nc, dtype=bool)
    is_full[full] = True
    is_assoc = np.zeros(nc, dtype=bool)
    is_assoc[assoc] = True
    is_adv = np.zeros(nc, dtype=bool)
    is_adv[adv] = True

    # dense country x product group sums (200 x 5,000 is 1 M cells)
    cell_imp = imp.astype(np.int64) * n_p + prod
    demand = np.bincount(cell_imp, weights=value, minlength=nc * n_p).reshape(nc, n_p)
    exports = np.bincount(exp.astype(np.int64) * n_p + prod, weights=value, minlength=nc * n_p)
    exports = exports.reshape(nc, n_p)
    cut_links = is_adv[exp] & is_full[imp]
    a0 = np.bincount(cell_imp[cut_links], weights=value[cut_links], minlength=nc * n_p)
    a0 = a0.reshape(nc, n_p)

    gdp = world.countries["gdp"].to_numpy(dtype=float)
    omega = np.where(is_full, gdp, 0.0)
    if omega.sum() <= 0:
        raise ProductTierError("members", "the full members' GDP sums to 0")
    omega /= omega.sum()
    prods = world.products
    w = prods["weight"].to_numpy(dtype=float)
    w_tilde = w / w.sum()
    share = np.divide(a0, demand, out=np.zeros_like(a0), where=demand > 0)
    exposure = omega @ share  # Σ_i ω_i a0/D per product
    di_share = w_tilde * exposure
    di_baseline = float(di_share.sum())

    headroom = prods["headroom"].to_numpy(dtype=float)
    pi = prods["premium"].to_numpy(dtype=float) * (1.0 - beta)
    rho = prods["reshoring_cost"].to_numpy(dtype=float)
    adversary_imports = a0.sum(axis=0)

    cut = np.array([0.0, r_inc, 1.0 - eps])
    suppliers = {
        "incentivized": (is_full | is_assoc) & ~is_adv,
        "restricted": is_full & ~is_adv,
    }
    cost = np.zeros((n_p, 3))
    reduction = np.zeros((n_p, 3))
    pooled = {}
    for k, tier in enumerate(PRODUCT_TIERS[1:], start=1):  # two tiers, each over all products
        spare = headroom[None, :] * exports * suppliers[tier][:, None]  # s_j per product
        total_spare = spare.sum(axis=0)
        pooled[tier] = total_spare
        need = cut[k] * adversary_imports  # S
        own = (cut[k] * a0 + spare).max(axis=0)  # max_i (d_i + s_i)
        flow = np.clip(np.minimum.reduce([need, total_spare, need + total_spare - own]), 0, None)
        flow = np.minimum(flow, need)
        cost[:, k] = pi * flow + rho * (need - flow)
        reduction[:, k] = cut[k] * di_share

    codes = pd.Index(prods["product"], name="product")
    table = pd.DataFrame(
        {
            "weight": w,
            "adversary_imports": adversary_imports,
            "di_share": di_share,
            "spare_full": pooled["restricted"],
            "spare_coalition": pooled["incentivized"],
            "premium_cost": pi,
            "reshoring_cost": rho,
        },
        index=codes,
    )
    names = pd.Index(world.countries["code"])
    return TierOptions(
        products=codes,
        tiers=PRODUCT_TIERS,
        cost=cost,
        reduction=reduction,
        di_baseline=di_baseline,
        table=table,
        parameters={
            "r_inc": r_inc,
            "eps": eps,
            "beta": beta,
            "members": names[full].tolist(),
            "associates": names[assoc].tolist(),
            "adversaries": names[adv].tolist(),
        },
        sizes={
            "links": len(links),
            "products": n_p,
            "options": int(np.isfinite(cost).sum()),
            "members": len(full),
        },
    )
