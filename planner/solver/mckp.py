"""Multiple-choice knapsack by Lagrangian relaxation of its one budget row, with a repair step.

The problem: groups g = 1..G, each with options k = 1..K of cost c[g,k] and value v[g,k]
(missing options NaN); pick exactly one option per group to minimise Σ v subject to
Σ c <= B. Knows nothing of what the groups are.

Pricing the budget at λ >= 0 splits the problem by group: each group takes
argmin_k (v[g,k] + λ·c[g,k]), and L(λ) = Σ_g min_k (v + λ c) - λ·B is a lower bound on the
optimum for every λ (weak duality). L is concave and piecewise linear; its breakpoints are the
slopes of each group's lower convex hull in the (cost, value) plane. :func:`solve_mckp` finds
its maximum exactly (``method="breakpoints"``: the hull segments sorted by efficiency, whose
cumulative cost crosses the budget at λ*; this is also the optimum of the LP relaxation) or by
bisection on λ (``method="bisection"``). The repair step turns the λ* solution into a
feasible plan: every hull segment that fits in full (the LP optimum without its one fractional
segment), then a greedy fill with what budget remains (the largest value drop that still fits,
repeated). The gap ``(primal - bound) / |primal|`` is proven: the bound is L at the λ found.
Everything is vectorised over groups (a loop runs over the K hull steps and the fill moves).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from planner.errors import EXIT_INFEASIBLE, PlannerError

__all__ = ["MCKPError", "MCKPInfeasibleError", "MCKPResult", "lagrangian_dual", "solve_mckp"]

METHODS = ("breakpoints", "bisection")
REPAIRS = ("fill", "swap_fill")
"""The repair starts: the λ* plan (full hull segments) or the critical swap, each then filled."""


class MCKPError(PlannerError, ValueError):
    """The arrays of a multiple-choice knapsack are inconsistent (the message names which)."""

    prefix = "bad knapsack: "


class MCKPInfeasibleError(MCKPError):
    """Even the cheapest option of every group costs more than the budget."""

    exit_code = EXIT_INFEASIBLE
    prefix = "infeasible: "


@dataclass
class MCKPResult:
    """A feasible choice, a proven lower bound and the budget's price.

    Attributes
    ----------
    choice : numpy.ndarray
        Option chosen per group (column index).
    value : float
        Σ v of the choice (the primal value).
    cost : float
        Σ c of the choice (<= budget).
    bound : float
        L(λ) at the price found: a proven lower bound on the optimum.
    lp_value : float
        Optimum of the LP relaxation (equal to the largest L; NaN with ``bisection``).
    price : float
        λ*, the budget's shadow price: value per unit of budget (>= 0; 0 when the budget does
        not bind).
    gap : float
        ``(value - bound) / max(|value|, 1e-12)``, >= 0.
    budget : float
        The budget B.
    method : str
        ``"breakpoints"`` or ``"bisection"``.
    iterations : int
        Hull segments scanned (breakpoints) or bisection steps.
    fill_moves : int
        Options changed by the greedy fill.
    repair : str
        Which repair start won: ``"fill"`` (the λ* plan, filled) or ``"swap_fill"`` (the
        fractional segment taken in full, the least efficient taken segments dropped until
        the plan fits, then filled; breakpoints only).
    segments : int
        Hull segments of all groups (breakpoints of L).
    critical_group : int
        Group of the fractional segment of the LP optimum (-1 if none).
    timings : dict of str to float
        Seconds: ``hull``, ``dual``, ``repair``.
    """

    choice: np.ndarray
    value: float
    cost: float
    bound: float
    lp_value: float
    price: float
    gap: float
    budget: float
    method: str
    iterations: int
    fill_moves: int
    repair: str
    segments: int
    critical_group: int
    timings: dict[str, float] = field(default_factory=dict)


def _arrays(cost, value, budget) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    c = np.asarray(cost, dtype=float)
    v = np.asarray(value, dtype=float)
    if c.ndim != 2 or c.shape != v.shape:
        raise MCKPError(
            f"cost and value must be 2-D arrays of one shape (groups x options), "
            f"got {c.shape} and {v.shape}"
        )
    if c.shape[0] == 0 or c.shape[1] == 0:
        raise MCKPError(f"cost: need at least one group and one option, got shape {c.shape}")
    valid = np.isfinite(c) & np.isfinite(v)
    if (np.isnan(c) != np.isnan(v)).any() or (~valid & ~np.isnan(c)).any():
        raise MCKPError("cost and value: a missing option must be NaN in both; no infinities")
    if not valid.any(axis=1).all():
        g = int(np.flatnonzero(~valid.any(axis=1))[0])
        raise MCKPError(f"cost: group {g} has no option")
    if not (isinstance(budget, (int, float, np.floating)) and np.isfinite(budget)):
        raise MCKPError(f"budget must be a finite number, got {budget!r}")
    return np.where(valid, c, np.inf), np.where(valid, v, np.inf), valid


def _best_at(c: np.ndarray, v: np.ndarray, valid: np.ndarray, lam: float) -> np.ndarray:
    """Per group, argmin (v + lam c); ties to the cheaper option."""
    score = np.where(valid, v + lam * np.where(valid, c, 0.0), np.inf)
    low = score.min(axis=1, keepdims=True)
    return np.argmin(np.where(score <= low, c, np.inf), axis=1)


def lagrangian_dual(cost, value, budget: float, price: float) -> float:
    """L(λ) = Σ_g min_k (v[g,k] + λ c[g,k]) - λ B: a lower bound on the optimum for λ >= 0.

    Parameters
    ----------
    cost, value : array_like
        ``(groups, options)``; NaN marks a missing option.
    budget : float
        B.
    price : float
        λ >= 0.

    Returns
    -------
    float
    """
    c, v, valid = _arrays(cost, value, budget)
    if not price >= 0:
        raise MCKPError(f"price must be >= 0, got {price!r}")
    score = np.where(valid, v + price * np.where(valid, c, 0.0), np.inf)
    return float(score.min(axis=1).sum() - price * budget)


def _hull(c: np.ndarray, v: np.ndarray, valid: np.ndarray):
    """Each group's start option and lower-convex-hull segments (gift wrapping, K steps)."""
    g_n, k_n = c.shape
    rows = np.arange(g_n)
    cmin = c.min(axis=1, keepdims=True)
    start = np.argmin(np.where(valid & (c == cmin), v, np.inf), axis=1)
    cur = start.copy()
    active = np.ones(g_n, dtype=bool)
    prev_ratio = np.full(g_n, np.inf)
    seg = {"group": [], "step": [], "to": [], "dc": [], "dv": [], "ratio": []}
    for step in range(1, k_n):
        dc = c - c[rows, cur][:, None]
        dv = v - v[rows, cur][:, None]
        cand = valid & (dc > 0) & (dv < 0) & active[:, None]
        slope = np.full(c.shape, np.inf)
        np.divide(dv, dc, out=slope, where=cand)
        best = slope.min(axis=1)
        has = np.isfinite(best)
        if not has.any():
            break
        tie = cand & (slope <= best[:, None])
        nxt = np.argmax(np.where(tie, c, -np.inf), axis=1)  # collinear: the farthest
        g = np.flatnonzero(has)
        d_c = dc[g, nxt[g]]
        d_v = dv[g, nxt[g]]
        ratio = np.minimum(-d_v / d_c, prev_ratio[g])  # non-increasing along a hull
        prev_ratio[g] = ratio
        for key, x in zip(
            ("group", "step", "to", "dc", "dv", "ratio"),
            (g, np.full(len(g), step), nxt[g], d_c, d_v, ratio),
            strict=True,
        ):
            seg[key].append(x)
        cur[has] = nxt[has]
        active &= has
    out = {k: np.concatenate(x) if x else np.zeros(0) for k, x in seg.items()}
    for k in ("group", "step", "to"):
        out[k] = out[k].astype(np.int64)
    return start, out


def _fill(c, v, valid, choice, budget, max_moves: int) -> int:
    """Greedy fill: while some option change lowers the value and fits, make the largest."""
    rows = np.arange(len(choice))
    moves = 0
    scale = max(1.0, abs(budget))
    while moves < max_moves:
        left = budget - c[rows, choice].sum()
        dc = c - c[rows, choice][:, None]
        dv = v - v[rows, choice][:, None]
        ok = valid & (dc <= left - 1e-12 * scale) & (dv < 0)
        if not ok.any():
            break
        flat = int(np.argmin(np.where(ok, dv, np.inf)))
        g, k = divmod(flat, c.shape[1])
        choice[g] = k
        moves += 1
    return moves


def solve_mckp(
    cost,
    value,
    budget: float,
    *,
    method: str = "breakpoints",
    max_fill: int = 10_000,
    bisection_tol: float = 1e-12,
    max_iterations: int = 200,
) -> MCKPResult:
    """Minimise Σ_g v[g, x_g] subject to Σ_g c[g, x_g] <= B, one option x_g per group.

    Parameters
    ----------
    cost, value : array_like
        ``(groups, options)`` costs and values (NaN in both for a missing option).
    budget : float
        B.
    method : {"breakpoints", "bisection"}
        How the dual max_λ L(λ) is found: exactly from the sorted hull breakpoints (default),
        or by bisection on λ until the bracket is ``bisection_tol`` relative.
    max_fill : int
        Most greedy-fill moves in the repair step.
    bisection_tol : float
        Relative width of the λ bracket at which bisection stops.
    max_iterations : int
        Most bisection steps.

    Returns
    -------
    MCKPResult

    Raises
    ------
    MCKPError
        Arrays of different shapes, a group without options, an unknown method.
    MCKPInfeasibleError
        The cheapest option of every group already costs more than B.
    """
    if method not in METHODS:
        raise MCKPError(f"method must be one of {METHODS}, got {method!r}")
    c, v, valid = _arrays(cost, value, budget)
    budget = float(budget)
    g_n = c.shape[0]
    rows = np.arange(g_n)
    t0 = time.perf_counter()
    start, seg = _hull(c, v, valid)
    base_cost = float(c[rows, start].sum())
    if base_cost > budget + 1e-12 * max(1.0, abs(budget)):
        raise MCKPInfeasibleError(
            f"budget {budget:g} is below the cheapest choice, which costs {base_cost:g}"
        )
    t1 = time.perf_counter()
    n_seg = len(seg["group"])
    lp_value = float("nan")
    critical = -1
    if method == "breakpoints":
        order = np.lexsort((seg["step"], seg["group"], -seg["ratio"]))
        dc = seg["dc"][order]
        cum = np.cumsum(dc)
        left = budget - base_cost
        t = int(np.searchsorted(cum, left - 1e-12 * max(1.0, abs(budget)), side="right"))
        taken = order[:t]
        step_of = np.zeros(g_n, dtype=np.int64)
        np.maximum.at(step_of, seg["group"][taken], seg["step"][taken])
        to = np.full((g_n, c.shape[1]), -1, dtype=np.int64)  # hull vertex of each step
        to[:, 0] = start
        to[seg["group"], seg["step"]] = seg["to"]
        choice = to[rows, step_of]
        candidates = [choice]
        if t < n_seg:  # the critical segment in full, the least efficient taken ones out
            keep = int(np.searchsorted(cum, left - dc[t], side="right"))
            swap = np.zeros(g_n, dtype=np.int64)
            kept = np.append(order[: min(keep, t)], order[t])
            np.maximum.at(swap, seg["group"][kept], seg["step"][kept])
            candidates.append(to[rows, swap])
        price = float(seg["ratio"][order[t]]) if t < n_seg else 0.0
        frac = 0.0
        if t < n_seg:
            critical = int(seg["group"][order[t]])
            done = cum[t - 1] if t else 0.0
            frac = min(1.0, max(0.0, (left - done) / dc[t]))
        base_value = float(v[rows, start].sum())
        dv = seg["dv"][order]
        lp_value = base_value + float(dv[:t].sum()) + (frac * float(dv[t]) if t < n_seg else 0.0)
        iterations = t + 1 if t < n_seg else n_seg
        bound = lagrangian_dual(
            np.where(valid, c, np.nan), np.where(valid, v, np.nan), budget, price
        )
    else:
        lo, hi = 0.0, float(seg["ratio"].max()) * (1 + 1e-9) if n_seg else 0.0
        choice = _best_at(c, v, valid, 0.0)
        candidates = []
        iterations = 0
        if c[rows, choice].sum() <= budget:
            hi = 0.0
        else:
            while iterations < max_iterations and hi - lo > bisection_tol * hi:
                mid = 0.5 * (lo + hi)
                if c[rows, _best_at(c, v, valid, mid)].sum() > budget:
                    lo = mid
                else:
                    hi = mid
                iterations += 1
            choice = _best_at(c, v, valid, hi)
        candidates = [choice]
        cn, vn = np.where(valid, c, np.nan), np.where(valid, v, np.nan)
        bounds = {lam: lagrangian_dual(cn, vn, budget, lam) for lam in {lo, hi}}
        price = max(bounds, key=bounds.get)
        bound = bounds[price]
    t2 = time.perf_counter()
    best = None
    for k, cand in enumerate(candidates or [choice]):  # repair: each start, filled; the best
        cand = cand.copy()
        if c[rows, cand].sum() > budget:
            continue  # a swap that does not fit after all (a skipped hull step)
        moves = _fill(c, v, valid, cand, budget, max_fill)
        score = float(v[rows, cand].sum())
        if best is None or score < best[0]:
            best = (score, cand, moves, REPAIRS[k])
    primal, choice, moves, repair = best
    spent = float(c[rows, choice].sum())
    t3 = time.perf_counter()
    gap = max(0.0, primal - bound) / max(abs(primal), 1e-12)
    return MCKPResult(
        choice=choice,
        value=primal,
        cost=spent,
        bound=bound,
        lp_value=lp_value,
        price=price,
        gap=gap,
        budget=budget,
        method=method,
        iterations=iterations,
        fill_moves=moves,
        repair=repair,
        segments=n_seg,
        critical_group=critical,
        timings={"hull": t1 - t0, "dual": t2 - t1, "repair": t3 - t2},
    )
