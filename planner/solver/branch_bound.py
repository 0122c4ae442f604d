"""Backend ``branch_bound``: a branch and bound over one loaded HiGHS LP relaxation.

Made for MILPs like the coalition model: about a hundred binaries (tiers, membership) over tens
of thousands of continuous flows. Its root gap is that of a multiple-choice knapsack over the
sector tiers (a fractional tier mixes two policies; with the tiers fixed at the optimum the LP
bound is the optimum on the model's defaults), so branching on tiers first closes it in tens
of nodes.
HiGHS's own MILP solver spends most of such a solve outside the search: it computes an
analytic centre of the whole LP by interior point at every solve (3.2 s of a 4.5 s
frontier point on the model's defaults, HiGHS 1.16, which always does it) and loads and
presolves the model afresh each time. Here the relaxation stays loaded in one HiGHS object;
every node is a dual simplex re-solve from its parent's basis (milliseconds, no presolve); a
:class:`BranchBoundSession` keeps the model, the root basis and the plans of earlier solves
from one solve to the next (a frontier's points).

Two threads (``options.threads`` >= 2, or none given on a machine with two cores; see
:data:`SIDE_BY_SIDE`): a second loaded copy of the relaxation (the helper) solves LPs beside
the main one: the up direction of every strong branching and of every branching (both
children are solved at once, :data:`EAGER_CHILDREN`), and the start's plan beside the root.
A third copy (the scout) solves the next solve's root LP and its rounding beside this solve's
search when the session was told what comes next (:meth:`BranchBoundSession.expect`, which
the frontier calls for each next point). Every LP is solved from its basis alone (HiGHS's
solver state is cleared first), so its point does not depend on which copy solved it or what
that copy solved before: a solve is deterministic, whatever the timing of the threads.

The search, on the relaxation with every integer column continuous:

1. the root LP; an infeasible root is an infeasible MILP;
2. candidate plans, each the LP with the integer columns fixed: the start's point, the
   session's last solution (:data:`POOL_SIZE`), the root rounded up, and (only while no plan
   is feasible) the root rounded to the nearest integer; the best feasible one is the first
   incumbent;
3. depth first until a plan is found, then best first (ties: the deeper node), branching on a
   fractional integer column of the highest branching priority present
   (:attr:`ProgramArrays.priority <planner.solver.arrays.ProgramArrays>`, from the formulation:
   tiers before membership), the one with the best product of estimated down and up gains
   (pseudocosts). A column no branching has measured in both directions is first measured by
   strong branching (both children solved, at most :data:`STRONG_CANDIDATES` per node; a pruned
   direction is branched at once, and a chosen column's children keep their solved LPs). A node
   whose columns of the top priority are all integral also tries its lower columns rounded up
   as a plan (each plan once; rounded down too while no plan exists: rounding up can break a
   cap on the coalition's size). Node LPs get the incumbent as HiGHS's ``objective_bound``, so
   a dual simplex that passes it stops early;
4. the search stops when the lowest open bound is within ``options.mip_gap`` of the
   incumbent (relative, HiGHS's definition, or :data:`ABS_GAP` absolute): OPTIMAL with that
   bound and gap. At the time limit it stops with the incumbent (or none) and its bound.

After :data:`NODE_LIMIT` nodes (:data:`NO_PLAN_NODES` without a plan), or when a node LP
ends other than optimal or infeasible (an unbounded relaxation, a numerical failure), the
MILP goes to HiGHS's own solver with the incumbent as its start and the time left; the log
says so. An LP goes straight to HiGHS.
Raw ``solver_options`` are HiGHS options, set for every LP (and the hand-over MILP).
"""

from __future__ import annotations

import heapq
import math
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

import numpy as np

from planner.solver import highs
from planner.solver.arrays import ProgramArrays
from planner.solver.options import SolveOptions
from planner.solver.progress import ProgressUpdate, relative_gap, send
from planner.solver.result import BackendOutcome, Status, WarmStart

NAME = "branch_bound"
PACKAGE = "highspy"  # what to install for this backend

#: nodes after which the MILP is handed to HiGHS's own solver
NODE_LIMIT = 200
#: nodes after which a search that has found no plan is handed to HiGHS's own solver
NO_PLAN_NODES = 100
#: earlier solutions a session keeps as candidate plans (each costs an LP per solve)
POOL_SIZE = 1
#: columns strong-branched at most per node (only those no branching has measured yet)
STRONG_CANDIDATES = 8
#: a column within this of an integer counts as integral
INT_TOL = 1e-6
#: absolute gap at which the search stops (HiGHS's ``mip_abs_gap`` default)
ABS_GAP = 1e-6
#: seconds between two progress reports
REPORT_INTERVAL = 0.5
#: solve two LPs side by side (both directions of a strong branching; the root beside the
#: start's plan) on a second loaded HiGHS object when the solve may use two threads; each LP
#: starts from its basis alone, so a solve is as deterministic as with one
SIDE_BY_SIDE = True
#: with LPs side by side, solve both children of a branching at once (as strong branching
#: does) rather than each when it is taken from the queue
EAGER_CHILDREN = True

SOLVER_NAME = "planner branch and bound (HiGHS LPs)"


def available() -> bool:
    """True when highspy imports."""
    return highs.available()


@dataclass(order=True)
class _Node:
    bound: float
    depth: int  # negated: deeper first among equal bounds
    seq: int
    lower: np.ndarray = field(compare=False)
    upper: np.ndarray = field(compare=False)
    basis: object = field(compare=False)
    var: int = field(default=-1, compare=False)  # the branching that made it (-1: the root)
    way: int = field(default=0, compare=False)  # 0 down, 1 up
    step: float = field(default=1.0, compare=False)  # how far the branching moved the column
    solved: tuple | None = field(default=None, compare=False)  # (x, basis) when strong-branched


class _Pseudocosts:
    """Objective change per unit of a branched column, down and up, as observed."""

    def __init__(self, n: int) -> None:
        self.sums = np.zeros((2, n))
        self.counts = np.zeros((2, n))

    def observe(self, node: _Node, value: float) -> None:
        if node.var >= 0:
            self.add(node.way, node.var, value - node.bound, node.step)

    def add(self, way: int, var: int, gain: float, step: float) -> None:
        if math.isfinite(gain):
            self.sums[way, var] += max(gain, 0.0) / step
            self.counts[way, var] += 1

    def unreliable(self, candidates: np.ndarray) -> np.ndarray:
        """The candidates not yet observed in both directions."""
        return candidates[self.counts[:, candidates].min(axis=0) < 1]

    def pick(self, candidates: np.ndarray, xi: np.ndarray) -> int:
        """The candidate with the best product of estimated down and up gains (the most
        fractional one before anything was observed)."""
        f = xi[candidates] - np.floor(xi[candidates])
        if not self.counts.any():
            return int(candidates[np.argmax(np.minimum(f, 1 - f))])
        seen = self.counts > 0
        mean = np.where(seen, self.sums / np.maximum(self.counts, 1), np.nan)
        fill = [np.nanmean(mean[w]) if seen[w].any() else 1.0 for w in (0, 1)]
        down = np.where(seen[0, candidates], mean[0, candidates], fill[0]) * f
        up = np.where(seen[1, candidates], mean[1, candidates], fill[1]) * (1 - f)
        score = np.maximum(down, 1e-6) * np.maximum(up, 1e-6)
        return int(candidates[np.argmax(score)])


@dataclass
class _Search:
    """The state of one solve: incumbent, counters, log lines."""

    arrays: ProgramArrays
    options: SolveOptions
    started: float
    ints: np.ndarray
    priority: np.ndarray
    sign: float  # +1 minimise, -1 maximise: the search minimises sign * objective
    incumbent: np.ndarray | None = None
    upper: float = math.inf
    nodes: int = 0
    lps: int = 0
    strong: int = 0  # columns strong-branched
    pruned: float = math.inf  # the lowest bound of the subtrees closed without a plan
    tried: set = field(default_factory=set)
    lines: list = field(default_factory=list)
    last_report: float = 0.0

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def time_left(self) -> float:
        limit = self.options.time_limit
        return math.inf if limit is None else limit - self.elapsed()

    def closed(self, bound: float) -> bool:
        """True when ``bound`` cannot improve the incumbent by more than the gap."""
        if not math.isfinite(self.upper):
            return False
        slack = max(ABS_GAP, self.options.mip_gap * abs(self.upper))
        return bound >= self.upper - slack

    def note(self, text: str) -> None:
        self.lines.append(f"{self.elapsed():7.2f}s  {text}")


@dataclass
class _Ahead:
    """The expected solve's work done beside the current one on the scout: its root LP
    (a future) and, once that is solved, the root rounded up (``plans``, by plan key)."""

    relaxed: ProgramArrays
    search: _Search
    root: object = None
    plans: dict = field(default_factory=dict)


class BranchBoundSession:
    """One relaxation kept loaded in HiGHS between solves of the same program.

    A later solve with the same matrix, integrality and sense (only right-hand sides, bounds
    or costs changed) pushes the changes into the loaded model, starts its root from the
    previous root's basis and tries the previous solutions' integer parts as plans. An LP is
    solved by a :class:`~planner.solver.highs.HighsSession` kept alongside.
    """

    def __init__(self) -> None:
        self._h = None
        self._arrays: ProgramArrays | None = None
        self._options: tuple | None = None
        self._root_basis = None
        self._integrality: np.ndarray | None = None
        self._lp_session = highs.HighsSession()
        self.pool: list[np.ndarray] = []
        """Integer parts of earlier solutions (newest last)."""
        self.pseudocosts: _Pseudocosts | None = None
        """What branchings changed, kept from solve to solve of the session."""
        self.reloads = 0
        """How many times the relaxation was loaded from scratch."""
        self._helper = None  # a second loaded copy of the relaxation (SIDE_BY_SIDE)
        self._loading = None  # the future of the helper being loaded
        self._pool: ThreadPoolExecutor | None = None  # the thread that runs the helper's LPs
        self._expected: ProgramArrays | None = None  # the next solve's arrays (expect)
        self._scout = None  # a third copy, for the next solve's root LP
        self._scout_arrays: ProgramArrays | None = None  # what the scout has loaded
        self._scout_pool: ThreadPoolExecutor | None = None
        self._ahead: _Ahead | None = None  # the next solve's work, started on the scout
        self._planned: _Ahead | None = None  # this solve's work, done by the scout

    # ------------------------------------------------------------------ loading
    def _prepare(self, hs, arrays: ProgramArrays, options: SolveOptions) -> bool:
        """Load or update the relaxation; True when it was loaded afresh."""
        relaxed = replace(arrays, integrality=np.zeros_like(arrays.integrality))
        if (
            self._h is not None
            and _loaded_options(options) == self._options
            and highs.same_matrix(self._arrays, relaxed)
            and np.array_equal(self._integrality, arrays.integrality)
        ):
            if not _same_direction(self._arrays.c, relaxed.c):  # another objective:
                self.pseudocosts = _Pseudocosts(self.pseudocosts.sums.shape[1])  # new gains
            highs.push_changes(self._h, self._arrays, relaxed)
            if self._loading is not None:  # loaded beside the last solve's root
                self._helper, self._loading = self._loading.result(), None
            if self._helper is not None:
                highs.push_changes(self._helper, self._arrays, relaxed)
            self._arrays = relaxed
            return False
        if self._loading is not None:  # of another model: let it finish, and drop it
            self._loading.result()
        h = self._load(hs, relaxed, options, options.threads)
        self._h, self._arrays, self._options = h, relaxed, _loaded_options(options)
        self._integrality = arrays.integrality.copy()
        self._root_basis, self.pool, self._helper, self._loading = None, [], None, None
        self.pseudocosts = _Pseudocosts(int(np.count_nonzero(arrays.integrality)))
        self.reloads += 1
        return True

    @staticmethod
    def _load(hs, relaxed: ProgramArrays, options: SolveOptions, threads: int | None):
        """A HiGHS object with ``relaxed`` loaded and the session's options set."""
        h = highs.new_highs(hs, quiet=True)
        highs._set(h, "output_flag", False)
        if threads is not None:
            highs._set(h, "threads", int(threads))
        highs._set(h, "random_seed", int(options.random_seed))
        # no presolve, the root from scratch included: a node LP starts from a basis, and a
        # cold root is faster without (the model's defaults 0.23 s against 0.46 s, the D-TEP
        # core 0.30 s against 0.47 s: presolve's search for parallel columns costs more than
        # it saves); the solve's raw options may still ask for it
        highs._set(h, "presolve", "off")
        highs._set_raw(h, options.solver_options)
        h.passModel(highs._build(hs, relaxed))
        return h

    def _side(self, hs, options: SolveOptions, wait: bool = True):
        """The helper object for LPs solved beside the main one (loaded in its thread on
        first use, then kept and updated with the main one), or None when the solve has one
        thread. ``wait=False`` only starts loading it (beside the first root LP)."""
        if not _side_by_side(options):
            return None
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="branch_bound")
        if self._helper is None and self._loading is None:
            self._loading = self._pool.submit(self._load, hs, self._arrays, options, 1)
        if wait and self._helper is None:
            self._helper, self._loading = self._loading.result(), None
        return self._helper

    # ------------------------------------------------------------------ the next root
    def expect(self, arrays: ProgramArrays) -> None:
        """The next solve will be ``arrays``: once this solve's root is known, the next
        root LP is solved from its basis beside the search (on a third HiGHS object, so
        every LP still goes to the same object whatever the timing)."""
        self._expected = arrays

    def _look_ahead(self, hs, s: _Search, basis) -> None:
        """Start the expected solve's root LP from ``basis`` (this solve's root) on the
        scout, then the root rounded up, when the solve may use two threads and only bounds,
        costs or right-hand sides differ from the loaded relaxation. (Solving there the next
        solve's start too was no faster: each plan this solve finds, 5.12 s against 4.87 s,
        median of 3, for the 11-point frontier; only the final one, the same within noise.)"""
        expected, self._expected = self._expected, None
        if expected is None or not _side_by_side(s.options):
            return
        relaxed = replace(expected, integrality=np.zeros_like(expected.integrality))
        if not (
            highs.same_matrix(self._arrays, relaxed)
            and np.array_equal(self._integrality, expected.integrality)
        ):
            return
        if self._scout_pool is None:
            self._scout_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scout")
        search = _Search(relaxed, s.options, time.perf_counter(), s.ints, s.priority, s.sign)
        ahead = _Ahead(relaxed, search)
        lo, up = relaxed.col_lower[s.ints], relaxed.col_upper[s.ints]
        options = s.options

        def root() -> tuple:
            # the scout is loaded and changed only here, in its own thread, after the
            # tasks queued before (no two threads ever touch one HiGHS object)
            highs._match_scheduler(hs, 1)
            if self._scout is None or not highs.same_matrix(self._scout_arrays, relaxed):
                self._scout = self._load(hs, relaxed, options, 1)
            else:
                highs.push_changes(self._scout, self._scout_arrays, relaxed)
            self._scout_arrays = relaxed
            got = self._lp_on(self._scout, hs, ahead.search, lo, up, basis, keep_basis=True)
            if got[0] == "optimal":
                plan = _rounded(np.ceil(got[2][s.ints] - INT_TOL), lo, up)
                ahead.plans[plan.tobytes()] = self._lp_on(
                    self._scout, hs, ahead.search, plan, plan, got[3]
                )
            return got

        ahead.root = self._scout_pool.submit(root)
        self._ahead = ahead

    def _root_ahead(self, s: _Search) -> tuple | None:
        """The root LP solved ahead for this solve, if it was this relaxation and ended
        optimal: ``(state, value, x, basis)``; the root rounded up, solved after it, becomes
        this solve's (:attr:`_planned`, taken by :meth:`_try_plan`)."""
        ahead, self._ahead = self._ahead, None
        self._planned = None
        if ahead is None:
            return None
        got = ahead.root.result()
        same = (
            highs.same_matrix(ahead.relaxed, self._arrays)
            and np.array_equal(ahead.relaxed.c, self._arrays.c)
            and np.array_equal(ahead.relaxed.col_lower, self._arrays.col_lower)
            and np.array_equal(ahead.relaxed.col_upper, self._arrays.col_upper)
            and np.array_equal(ahead.relaxed.rhs, self._arrays.rhs)
            and np.array_equal(ahead.relaxed.sense_codes, self._arrays.sense_codes)
        )
        if not same or got[0] != "optimal":
            return None
        s.lps += 1
        self._planned = ahead
        return got

    def _remember(self, plan: np.ndarray) -> None:
        kept = [p for p in self.pool if not np.array_equal(p, plan)]
        self.pool = [*kept, plan][-POOL_SIZE:]

    # ------------------------------------------------------------------ one LP
    def _lp(
        self,
        hs,
        s: _Search,
        lower: np.ndarray,
        upper: np.ndarray,
        basis: object | None,
        cutoff: float = math.inf,
    ) -> tuple[str, float, np.ndarray | None]:
        """The relaxation with the integer columns' bounds ``lower``/``upper``: ("optimal",
        sign * objective, x), ("infeasible", inf, None), ("cutoff", ...) when the dual simplex
        proves the objective above ``cutoff`` (HiGHS's ``objective_bound``, a minimisation's
        own objective), ("limit", ...) or ("failed", ...)."""
        state, value, x, _ = self._lp_on(self._h, hs, s, lower, upper, basis, cutoff)
        return state, value, x

    @staticmethod
    def _lp_on(
        h,
        hs,
        s: _Search,
        lower: np.ndarray,
        upper: np.ndarray,
        basis: object | None,
        cutoff: float = math.inf,
        keep_basis: bool = False,
        count: bool = True,
    ) -> tuple[str, float, np.ndarray | None, object | None]:
        """:meth:`_lp` on the HiGHS object ``h``; also the optimal basis if ``keep_basis``;
        ``count=False`` leaves ``s.lps`` to the caller (an LP in another thread)."""
        h.changeColsBounds(len(s.ints), s.ints.astype(np.int32), lower, upper)
        if basis is not None:
            # from the basis alone: HiGHS would otherwise carry its last run's simplex state
            # (edge weights) into this one, and the optimal vertex would depend on which LPs
            # the object solved before (which object, in what order)
            h.clearSolver()
            h.setBasis(basis)
        left = s.time_left()
        if left <= 0:
            return "limit", math.inf, None, None
        highs.set_time_limit(h, float(left) if math.isfinite(left) else None)
        highs._set(h, "objective_bound", cutoff)
        h.run()
        if count:
            s.lps += 1
        status = h.getModelStatus()
        m = hs.HighsModelStatus
        if status == m.kOptimal:
            value = s.sign * float(h.getInfo().objective_function_value)
            x = np.asarray(h.getSolution().col_value, dtype=float)
            return "optimal", value, x, h.getBasis() if keep_basis else None
        if status == m.kInfeasible:
            return "infeasible", math.inf, None, None
        if status == m.kObjectiveBound:  # the dual simplex passed the cutoff: pruned
            return "cutoff", math.inf, None, None
        if status in highs._limit_codes(hs):
            return "limit", math.inf, None, None
        return "failed", math.inf, None, None

    def _beside(self, hs, s: _Search, side, task: tuple, main):
        """Start the LP ``task`` (lower, upper, basis, cutoff) on the helper ``side`` in its
        thread, run ``main()`` here, then wait: ``(main's result, the task's 4-tuple)``."""

        def run() -> tuple:
            highs._match_scheduler(hs, 1)
            return self._lp_on(side, hs, s, *task, keep_basis=True, count=False)

        future = self._pool.submit(run)
        try:
            here = main()
        finally:
            there = future.result()
        s.lps += 1
        return here, there

    def _plan(self, s: _Search, plan: np.ndarray) -> np.ndarray | None:
        """``plan`` rounded into the integer columns' bounds; None if it was tried already."""
        lo, up = self._arrays.col_lower[s.ints], self._arrays.col_upper[s.ints]
        plan = _rounded(plan, lo, up)
        return None if plan.tobytes() in s.tried else plan

    def _take_plan(
        self, s: _Search, plan: np.ndarray, state: str, value: float, x, why: str
    ) -> str:
        """Record the LP of ``plan`` as tried; keep its point if it is better."""
        if state in ("optimal", "infeasible"):  # a plan stopped by a limit is not tried
            s.tried.add(plan.tobytes())
        if state == "optimal" and value < s.upper:
            s.upper, s.incumbent = value, x
            s.note(f"incumbent {s.sign * value:.10g} from {why}")
        return state

    def _try_plan(self, hs, s: _Search, plan: np.ndarray, basis: object, why: str) -> str:
        """Solve the LP with the integer columns fixed at ``plan`` (or take it from the
        scout, which solved it from the same basis); keep it if it is better."""
        plan = self._plan(s, plan)
        if plan is None:
            return "tried"
        state, value, x = self._planned_lp(s, plan) or self._lp(hs, s, plan, plan, basis)
        return self._take_plan(s, plan, state, value, x, why)

    def _planned_lp(self, s: _Search, plan: np.ndarray) -> tuple | None:
        """``plan``'s LP as the scout solved it for this solve, if it did."""
        ahead = self._planned
        if ahead is None:
            return None
        got = ahead.plans.get(plan.tobytes())
        if got is None:
            return None
        s.lps += 1
        return got[:3]

    # ------------------------------------------------------------------ the search
    def solve(
        self, arrays: ProgramArrays, options: SolveOptions, start: WarmStart | None = None
    ) -> BackendOutcome:
        """Solve ``arrays`` (see the module's description)."""
        if not arrays.is_mip:
            return self._lp_session.solve(arrays, options, start)
        started = time.perf_counter()  # loading counts against the time limit
        arrays = _integral_bounds(arrays)
        if arrays is None:
            return BackendOutcome(
                Status.INFEASIBLE,
                "an integer column's bounds hold no integer",
                SOLVER_NAME,
                "",
                log="branch_bound: an integer column's bounds hold no integer\n",
            )
        hs = highs.import_highspy()
        highs._match_scheduler(hs, options.threads)
        fresh = self._prepare(hs, arrays, options)
        ints = np.flatnonzero(arrays.integrality)
        prio = (
            arrays.priority[ints]
            if arrays.priority is not None
            else np.zeros(len(ints), dtype=np.int64)
        )
        s = _Search(
            arrays,
            options,
            started,
            ints,
            prio,
            -1.0 if arrays.maximize else 1.0,
        )
        s.note(
            f"{len(ints)} integer columns of {arrays.n_cols}, {arrays.n_rows} rows; "
            f"relaxation {'loaded' if fresh else 'updated in place'}"
        )
        lo0, up0 = arrays.col_lower[ints], arrays.col_upper[ints]
        given = start is not None and start.x is not None and len(start.x) == arrays.n_cols
        state, root, x = self._root(hs, s, lo0, up0, start.x[ints] if given else None)
        if state == "infeasible":
            s.note("the LP relaxation is infeasible")
            return self._finish(hs, s, Status.INFEASIBLE, math.inf)
        if state == "limit":
            return self._finish(hs, s, Status.TIME_LIMIT_NO_SOLUTION, -math.inf)
        if state != "optimal":
            return self._hand_over(hs, s, f"the root LP ended {state}")
        basis = self._root_basis
        self._look_ahead(hs, s, basis)
        s.note(f"root bound {s.sign * root:.10g}")
        candidates = [("the start", start.x[ints])] if given else []
        candidates += [("an earlier solution", p) for p in reversed(self.pool)]
        candidates += [("the root rounded up", np.ceil(x[ints] - INT_TOL))]
        for why, plan in candidates:
            if len(plan) == len(ints) and not s.closed(root):
                self._try_plan(hs, s, plan, basis, why)
        if s.incumbent is None:  # rounding to the nearest is dearer and rarely better
            self._try_plan(hs, s, np.round(x[ints]), basis, "the root rounded")
        return self._search(hs, s, _Node(root, 0, 0, lo0, up0, basis), x)

    def _root(self, hs, s: _Search, lo0, up0, start: np.ndarray | None) -> tuple:
        """The root LP ``(state, value, x)``; an optimal one's basis becomes the session's
        root basis. Taken from the scout when it solved this relaxation ahead
        (:meth:`expect`); else, with a helper and a basis from an earlier solve, the start's
        plan is solved beside it (from that basis: it needs nothing of the root)."""
        ahead = self._root_ahead(s)
        if ahead is not None:
            state, value, x, self._root_basis = ahead
            s.note("root LP solved ahead, beside the previous solve")
            return state, value, x
        side = self._side(hs, s.options, wait=self._root_basis is not None)
        plan = self._plan(s, start) if start is not None and side is not None else None
        if plan is None:
            here = self._lp(hs, s, lo0, up0, self._root_basis)
        else:
            here, (state, value, x, _) = self._beside(
                hs,
                s,
                side,
                (plan, plan, self._root_basis, math.inf),
                lambda: self._lp(hs, s, lo0, up0, self._root_basis),
            )
        if here[0] == "optimal":  # an infeasible root leaves no plan to keep
            self._root_basis = self._h.getBasis()
            if plan is not None:
                self._take_plan(s, plan, state, value, x, "the start")
        return here

    def _search(self, hs, s: _Search, root: _Node, root_x: np.ndarray) -> BackendOutcome:
        heap = [root]
        top = int(s.priority.max(initial=0))
        seq = 1
        while heap:
            node = _pop(heap, s.incumbent is None)
            if s.closed(node.bound):
                heapq.heappush(heap, node)
                break
            if s.nodes >= NODE_LIMIT or (s.incumbent is None and s.nodes >= NO_PLAN_NODES):
                heapq.heappush(heap, node)
                why = f"{s.nodes} nodes" + ("" if s.incumbent is not None else " without a plan")
                return self._hand_over(hs, s, why, heap[0].bound)
            s.nodes += 1
            if s.nodes == 1:
                value, x, basis = node.bound, root_x, node.basis
            elif node.solved is not None:  # its LP was solved when it was strong-branched
                value, (x, basis) = node.bound, node.solved
                node.solved = None
            else:
                cutoff = self._cutoff(s)
                state, value, x = self._lp(hs, s, node.lower, node.upper, node.basis, cutoff)
                self.pseudocosts.observe(node, cutoff if state == "cutoff" else value)
                if state == "cutoff":  # the subtree is at least the cutoff: a bound still
                    s.pruned = min(s.pruned, cutoff)
                if state in ("infeasible", "cutoff"):
                    continue
                if state == "limit":
                    heapq.heappush(heap, node)
                    break
                if state != "optimal":
                    return self._hand_over(hs, s, f"a node LP ended {state}", heap_bound(heap))
                basis = self._h.getBasis()
            self._report(s, min(value, heap_bound(heap)))
            if s.closed(value):
                s.pruned = min(s.pruned, value)
                continue
            xi = x[s.ints]
            frac = np.abs(xi - np.round(xi))
            fractional = frac > INT_TOL
            if not fractional.any():
                if self._try_plan(hs, s, xi, basis, f"node {s.nodes}") == "limit":
                    heapq.heappush(heap, node)  # still open: its plan was not solved
                    break
                s.pruned = min(s.pruned, value)  # the subtree's optimum
                continue
            level = int(s.priority[fractional].max())
            if level < top:  # the top priority is integral here: try the rest rounded up
                self._try_plan(hs, s, np.ceil(xi - INT_TOL), basis, f"rounding at node {s.nodes}")
                if s.incumbent is None:  # rounded up breaks a cap (coalition size): down
                    why = f"rounding down at node {s.nodes}"
                    self._try_plan(hs, s, np.floor(xi + INT_TOL), basis, why)
                if s.closed(value):
                    s.pruned = min(s.pruned, value)
                    continue
            cands = np.flatnonzero(fractional & (s.priority == level))
            tried = self._strong(hs, s, node, value, xi, basis, cands)
            if tried is None:
                return self._hand_over(hs, s, "a strong-branching LP failed", heap_bound(heap))
            pruned = [j for j, res in tried.items() if any(r[0] != "optimal" for r in res)]
            j = pruned[0] if pruned else self.pseudocosts.pick(cands, xi)
            if s.nodes == 1:
                s.note(
                    f"root: {int(fractional.sum())} fractional integer columns; branching on "
                    f"column {int(s.ints[j])} (priority {level})"
                )
            both = tried.get(j)
            if both is None and EAGER_CHILDREN and self._side(hs, s.options) is not None:
                both = self._both_ways(hs, s, node, value, xi, basis, j)
                if both is None:
                    return self._hand_over(hs, s, "a node LP failed", heap_bound(heap))
                both = both if len(both) == 2 else None  # a limit: the children stay open
            for state, v, _, _ in both or ():
                if state == "cutoff":  # a child cut off: bounded by v
                    s.pruned = min(s.pruned, v)
            for child in self._children(node, value, xi, basis, j, both, seq):
                heapq.heappush(heap, child)
                seq += 1
        bound = min(heap_bound(heap), s.pruned, s.upper)
        if heap and not s.closed(heap_bound(heap)):  # stopped by the time limit, nodes open
            s.note(f"time limit with {len(heap)} nodes open")
            status = (
                Status.TIME_LIMIT_FEASIBLE
                if s.incumbent is not None
                else Status.TIME_LIMIT_NO_SOLUTION
            )
            return self._finish(hs, s, status, bound)
        if s.incumbent is None:
            s.note("every node infeasible")
            return self._finish(hs, s, Status.INFEASIBLE, math.inf)
        return self._finish(hs, s, Status.OPTIMAL, bound)

    def _strong(
        self, hs, s: _Search, node: _Node, value: float, xi: np.ndarray, basis, cands
    ) -> dict | None:
        """Strong branching on the candidates no branching has measured yet (both
        directions), at most :data:`STRONG_CANDIDATES` of them, the most fractional first:
        ``{column: [(state, value, x, basis) down, up]}``; their gains become pseudocosts
        (what makes the later choices good). None when an LP failed."""
        todo = self.pseudocosts.unreliable(cands)
        if not len(todo):
            return {}
        f = np.abs(xi[todo] - np.round(xi[todo]))
        todo = todo[np.argsort(-f, kind="stable")][:STRONG_CANDIDATES]
        out: dict = {}
        for j in todo:
            res = self._both_ways(hs, s, node, value, xi, basis, int(j))
            if res is None:
                return None
            if len(res) < 2:  # a limit
                return out
            s.strong += 1
            out[int(j)] = res
            if any(r[0] != "optimal" for r in res):
                break  # a direction is pruned: branch here, one child left
        return out

    def _both_ways(
        self, hs, s: _Search, node: _Node, value: float, xi: np.ndarray, basis, j: int
    ) -> list | None:
        """Both children of branching ``node`` on column ``j``, solved (down here, up on the
        helper when there is one: side by side): ``[(state, value, x, basis) down, up]``,
        a cut-off child valued at the cutoff; their gains become pseudocosts. Shorter when
        a limit stopped one, None when an LP failed."""
        down = (node.lower, node.upper.copy())
        down[1][j] = math.floor(xi[j])
        up = (node.lower.copy(), node.upper)
        up[0][j] = math.ceil(xi[j])
        cutoff = self._cutoff(s)  # the incumbent stays: one cutoff for both directions
        side = self._side(hs, s.options)
        if side is None:
            solved = [
                self._lp_on(self._h, hs, s, *down, basis, cutoff, keep_basis=True),
                self._lp_on(self._h, hs, s, *up, basis, cutoff, keep_basis=True),
            ]
        else:
            solved = list(
                self._beside(
                    hs,
                    s,
                    side,
                    (*up, basis, cutoff),
                    lambda: self._lp_on(self._h, hs, s, *down, basis, cutoff, keep_basis=True),
                )
            )
        res = []
        for way, (lower, upper) in enumerate((down, up)):
            state, v, x, b = solved[way]
            if state == "failed":
                return None
            if state == "limit":
                return res
            step = xi[j] - upper[j] if way == 0 else lower[j] - xi[j]
            gain = v - value if state == "optimal" else (cutoff - value)
            self.pseudocosts.add(way, j, gain, step)
            v = cutoff if state == "cutoff" else v  # a cut-off child is at least that
            res.append((state, v, x, b))
        return res

    @staticmethod
    def _children(
        node: _Node, value: float, xi: np.ndarray, basis, j: int, tried: list | None, seq: int
    ) -> list[_Node]:
        """The two nodes of branching ``node`` on column ``j`` (fewer when strong branching
        pruned one; a strong-branched child keeps its LP's value, point and basis)."""
        down_up, up_lo = node.upper.copy(), node.lower.copy()
        down_up[j] = math.floor(xi[j])
        up_lo[j] = math.ceil(xi[j])
        steps = (xi[j] - down_up[j], up_lo[j] - xi[j])
        out = []
        for way, (lower, upper) in enumerate(((node.lower, down_up), (up_lo, node.upper))):
            bound, solved = value, None
            if tried is not None:
                state, v, x, b = tried[way]
                if state != "optimal":
                    continue  # infeasible or above the cutoff
                bound, solved = max(value, v), (x, b)
            child = _Node(bound, node.depth - 1, seq + way, lower, upper, basis, j, way, steps[way])
            child.solved = solved
            out.append(child)
        return out

    @staticmethod
    def _cutoff(s: _Search) -> float:
        """The objective above which a node cannot matter (minimisation only: HiGHS's dual
        simplex bound is in the model's own sense)."""
        if s.sign < 0 or not math.isfinite(s.upper):
            return math.inf
        return s.upper - max(ABS_GAP, s.options.mip_gap * abs(s.upper))

    # ------------------------------------------------------------------ outcomes
    def _report(self, s: _Search, bound: float, final: bool = False) -> None:
        if s.options.progress is None:
            return
        if not final and s.elapsed() - s.last_report < REPORT_INTERVAL:
            return
        s.last_report = s.elapsed()
        obj = s.sign * s.upper if math.isfinite(s.upper) else math.nan
        send(
            s.options.progress,
            ProgressUpdate(
                elapsed=s.elapsed(),
                kind="mip",
                objective=obj,
                bound=s.sign * bound,
                gap=relative_gap(obj, s.sign * bound) if math.isfinite(obj) else math.inf,
                nodes=s.nodes,
                solver="branch_bound",
                final=final,
            ),
        )

    def _restore(self, s: _Search) -> None:
        """Give the integer columns their own bounds back (the loaded model is the
        relaxation of ``arrays`` again, for the next solve of the session)."""
        lo, up = self._arrays.col_lower[s.ints], self._arrays.col_upper[s.ints]
        self._h.changeColsBounds(len(s.ints), s.ints.astype(np.int32), lo, up)

    def _finish(self, hs, s: _Search, status: Status, bound: float) -> BackendOutcome:
        self._restore(s)
        out = BackendOutcome(
            status,
            f"{status.value} after {s.nodes} nodes, {s.lps} LPs ({s.strong} strong branchings)",
            SOLVER_NAME,
            highs._version(self._h),
        )
        if math.isfinite(bound) and status is not Status.INFEASIBLE:
            out.best_bound = s.sign * bound  # proven, with or without a plan
        if s.incumbent is not None and status.has_solution:
            out.x = s.incumbent
            out.objective = s.arrays.objective_value(s.incumbent)
            out.gap = relative_gap(out.objective, out.best_bound)
            self._remember(np.round(s.incumbent[s.ints]))
        s.note(f"{out.solver_status}; objective {out.objective:.10g}, bound {out.best_bound:.10g}")
        out.log = "branch_bound (planner, LPs by HiGHS):\n" + "\n".join(s.lines) + "\n"
        self._report(s, bound, final=True)
        return out

    def _hand_over(self, hs, s: _Search, why: str, bound: float = -math.inf) -> BackendOutcome:
        """HiGHS's own MILP solver from the incumbent, with the time left."""
        left = s.time_left()
        if left <= 0:  # no time to hand over: what the search has
            s.note(f"{why}, and the time limit reached")
            status = (
                Status.TIME_LIMIT_FEASIBLE
                if s.incumbent is not None
                else (Status.TIME_LIMIT_NO_SOLUTION)
            )
            return self._finish(hs, s, status, min(bound, s.pruned, s.upper))
        self._restore(s)
        s.note(f"{why}: handed to HiGHS's MILP solver from the incumbent")
        options = s.options.with_(time_limit=None if not math.isfinite(left) else max(left, 0.0))
        start = WarmStart(x=s.incumbent, backend="highs") if s.incumbent is not None else None
        out = highs.solve(s.arrays, options, start=start)
        if not out.status.has_solution and s.incumbent is not None:  # keep the search's plan
            s.note(f"HiGHS ended {out.status.value} without a plan: the search's plan stands")
            return self._finish(hs, s, Status.TIME_LIMIT_FEASIBLE, min(bound, s.pruned, s.upper))
        out.log = "branch_bound (planner, LPs by HiGHS):\n" + "\n".join(s.lines) + "\n" + out.log
        if out.x is not None and out.status.has_solution:
            self._remember(np.round(out.x[s.ints]))
        return out


def _integral_bounds(arrays: ProgramArrays) -> ProgramArrays | None:
    """``arrays`` with every integer column's bounds rounded inward to integers (a bound of
    2.5 allows at most 2); None when some integer column's bounds then hold no integer."""
    integer = arrays.integrality.astype(bool)
    lo = np.where(integer, np.ceil(arrays.col_lower - INT_TOL), arrays.col_lower)
    up = np.where(integer, np.floor(arrays.col_upper + INT_TOL), arrays.col_upper)
    if (lo[integer] > up[integer]).any():
        return None
    if np.array_equal(lo, arrays.col_lower) and np.array_equal(up, arrays.col_upper):
        return arrays
    return replace(arrays, col_lower=lo + 0.0, col_upper=up + 0.0)


def _rounded(plan: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """``plan`` rounded to integers within the bounds (+ 0.0: no -0.0 beside 0.0 in a key)."""
    return np.clip(np.round(plan), lower, upper) + 0.0


def _side_by_side(options: SolveOptions) -> bool:
    """True when a solve with ``options`` may run LPs side by side (two threads or more;
    none given: this machine's cores)."""
    threads = options.threads if options.threads is not None else (os.cpu_count() or 1)
    return SIDE_BY_SIDE and threads >= 2


def _loaded_options(options: SolveOptions) -> tuple:
    """The options set on the loaded HiGHS object (a change reloads it)."""
    return options.threads, options.random_seed, tuple(sorted(options.solver_options.items()))


def _same_direction(a: np.ndarray, b: np.ndarray) -> bool:
    """True when the cost vectors ``a`` and ``b`` are one positive multiple of the other
    (the same objective under another scale: what branchings gain carries over)."""
    na, nb = float(np.abs(a).max(initial=0.0)), float(np.abs(b).max(initial=0.0))
    if na == 0.0 or nb == 0.0:
        return na == nb
    return bool(np.allclose(a / na, b / nb, rtol=1e-9, atol=1e-12))


def _pop(heap: list[_Node], dive: bool) -> _Node:
    """The next node: the lowest bound (best first) or, while ``dive`` (no plan yet), the
    deepest open node (ties: the lowest bound), which reaches an integral point soonest."""
    if not dive or len(heap) == 1:
        return heapq.heappop(heap)
    k = min(range(len(heap)), key=lambda i: (heap[i].depth, heap[i].bound, heap[i].seq))
    node = heap[k]
    heap[k] = heap[-1]
    heap.pop()
    heapq.heapify(heap)
    return node


def heap_bound(heap: list[_Node]) -> float:
    """The lowest bound among the open nodes (``inf`` when none is open)."""
    return heap[0].bound if heap else math.inf


def solve(
    arrays: ProgramArrays,
    options: SolveOptions,
    start: WarmStart | None = None,
    session: BranchBoundSession | None = None,
) -> BackendOutcome:
    """Solve ``arrays`` by branch and bound over HiGHS LPs (an LP: by HiGHS directly).

    ``start``: its point's integer part is tried as a plan. ``session``: keep the loaded
    relaxation, root basis and solutions for the next solve (:class:`BranchBoundSession`).
    """
    return (session if session is not None else BranchBoundSession()).solve(arrays, options, start)


Session = BranchBoundSession  # what planner.solver.SolverSession keeps for this backend
